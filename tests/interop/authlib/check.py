"""Authlib's `PrivateKeyJWT` (RFC 7523 client authentication) against a running dealer.

    check.py keys DIR                  RSA, EC P-256 and Ed25519 keys: DIR/NAME.pem (private,
                                       PKCS#8) and DIR/NAME.jwks.json (the public JWK Set)
    check.py tokens URL DIR AUDIENCE   tokens for pk-rsa (RS256), pk-ec (ES256), pk-ed (EdDSA),
                                       pk-uri (RS256, keys at a jwks_uri) and pk-rot (its first
                                       key), each verified against the dealer's JWKS; a wrong
                                       key and a replayed assertion refused
    check.py rotated URL DIR AUDIENCE  after `client set-jwks pk-rot`: its old key refused, the
                                       new one accepted

Every token request goes through Authlib's `OAuth2Session` with
`token_endpoint_auth_method=PrivateKeyJWT(token_endpoint, ...)`: `aud` is the token endpoint,
`exp` an hour ahead (Authlib's defaults). Prints one line per check; exits 1 if any failed.
"""

import json
import sys
import types
import warnings
from pathlib import Path

import requests
from authlib.integrations.requests_client import OAuth2Session, OAuthError
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from joserfc import jwt
from joserfc.jwk import ECKey, KeySet, OKPKey, RSAKey

# joserfc warns that RFC 9864 deprecates the alg name "EdDSA" for "Ed25519"; the dealer (and
# jsonwebtoken) know "EdDSA", which RFC 9864 keeps valid.
warnings.filterwarnings("ignore", message="EdDSA is deprecated")

TIMEOUT = 10
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
# The key names, their joserfc type and how they are made; the kid is the name.
KEYS = {
    "rsa": (RSAKey, lambda: RSAKey.generate_key(2048)),
    "ec": (ECKey, lambda: ECKey.generate_key("P-256")),
    "ed": (OKPKey, lambda: OKPKey.generate_key("Ed25519")),
    "uri": (RSAKey, lambda: RSAKey.generate_key(2048)),
    "wrong": (RSAKey, lambda: RSAKey.generate_key(2048)),
    "old": (RSAKey, lambda: RSAKey.generate_key(2048)),
    "new": (ECKey, lambda: ECKey.generate_key("P-256")),
}

failed = 0


def check(what: str, ok: bool, detail: object = "") -> None:
    global failed
    print(f"{'ok' if ok else 'not ok'} - {what}" + ("" if ok else f": {detail}"))
    failed += not ok


def make_keys(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, (_, generate) in KEYS.items():
        key = generate()
        (folder / f"{name}.pem").write_bytes(key.as_pem(private=True))
        public = dict(key.as_dict(private=False), kid=name)
        (folder / f"{name}.jwks.json").write_text(json.dumps({"keys": [public]}))


def load_key(folder: Path, name: str):
    kind = KEYS[name][0]
    return kind.import_key((folder / f"{name}.pem").read_bytes(), {"kid": name})


class Dealer:
    """The dealer's metadata and key set, and token requests made the way Authlib makes them."""

    def __init__(self, url: str, folder: Path, audience: str):
        meta = requests.get(f"{url}/.well-known/oauth-authorization-server", timeout=TIMEOUT)
        meta.raise_for_status()
        self.meta = meta.json()
        self.token_endpoint = self.meta["token_endpoint"]
        jwks = requests.get(self.meta["jwks_uri"], timeout=TIMEOUT).json()
        self.keys = KeySet.import_key_set(jwks)
        self.folder = folder
        self.audience = audience

    def auth(self, key_name: str, alg: str) -> PrivateKeyJWT:
        return PrivateKeyJWT(self.token_endpoint, alg=alg, headers={"kid": key_name})

    def session(self, client_id: str, key_name: str, alg: str, statuses: list) -> OAuth2Session:
        session = OAuth2Session(
            client_id,
            load_key(self.folder, key_name),
            token_endpoint_auth_method=self.auth(key_name, alg),
        )

        def record(resp):
            statuses.append(resp.status_code)
            return resp

        session.register_compliance_hook("access_token_response", record)
        return session

    def fetch(self, client_id: str, key_name: str, alg: str):
        """(HTTP status, token or the OAuth error's code) through OAuth2Session.fetch_token."""
        statuses: list = []
        session = self.session(client_id, key_name, alg, statuses)
        try:
            token = session.fetch_token(
                self.token_endpoint,
                grant_type="client_credentials",
                audience=self.audience,
                timeout=TIMEOUT,
            )
            return statuses[-1], token
        except OAuthError as e:
            return (statuses[-1] if statuses else None), e.error

    def verify(self, access_token: str, client_id: str) -> str:
        """Why the token does not verify against the dealer's JWKS, or '' when it does."""
        try:
            token = jwt.decode(access_token, self.keys, algorithms=["RS512"])
            jwt.JWTClaimsRegistry(
                iss={"essential": True, "value": self.meta["issuer"]},
                aud={"essential": True, "value": self.audience},
                sub={"essential": True, "value": client_id},
                exp={"essential": True},
            ).validate(token.claims)
        except Exception as e:  # noqa: BLE001 - any failure is the check's detail
            return f"{type(e).__name__}: {e}"
        return ""

    def expect_token(self, what: str, client_id: str, key_name: str, alg: str) -> None:
        status, token = self.fetch(client_id, key_name, alg)
        check(f"{what}: a token", status == 200 and isinstance(token, dict), (status, token))
        if status == 200:
            why = self.verify(token["access_token"], client_id)
            check(f"{what}: it verifies against the JWKS for {self.audience}", why == "", why)

    def expect_refused(self, what: str, client_id: str, key_name: str, alg: str) -> None:
        status, error = self.fetch(client_id, key_name, alg)
        check(f"{what}: 401 invalid_client", (status, error) == (401, "invalid_client"), (status, error))


def tokens(dealer: Dealer) -> None:
    methods = dealer.meta.get("token_endpoint_auth_methods_supported", [])
    check("the metadata lists private_key_jwt", "private_key_jwt" in methods, methods)
    dealer.expect_token("pk-rsa, RS256 key from --jwks", "pk-rsa", "rsa", "RS256")
    dealer.expect_token("pk-ec, ES256 key from --jwks", "pk-ec", "ec", "ES256")
    dealer.expect_token("pk-ed, EdDSA key from --jwks", "pk-ed", "ed", "EdDSA")
    dealer.expect_token("pk-uri, RS256 key from a loopback jwks_uri", "pk-uri", "uri", "RS256")
    dealer.expect_token("pk-rot, its first key", "pk-rot", "old", "RS256")
    dealer.expect_refused("pk-rsa signing with a key it never registered", "pk-rsa", "wrong", "RS256")

    # One assertion made by Authlib's PrivateKeyJWT, sent twice by hand: the jti is single-use.
    owner = types.SimpleNamespace(client_id="pk-rsa", client_secret=load_key(dealer.folder, "rsa"))
    assertion = dealer.auth("rsa", "RS256").sign(owner, dealer.token_endpoint)
    form = {
        "grant_type": "client_credentials",
        "audience": dealer.audience,
        "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": assertion,
    }
    first = requests.post(dealer.token_endpoint, data=form, timeout=TIMEOUT)
    check("a captured assertion, first use: 200", first.status_code == 200, first.status_code)
    again = requests.post(dealer.token_endpoint, data=form, timeout=TIMEOUT)
    error = again.json().get("error") if again.headers.get("content-type", "").startswith("application/json") else None
    check(
        "the same assertion again: 401 invalid_client",
        (again.status_code, error) == (401, "invalid_client"),
        (again.status_code, again.text),
    )


def rotated(dealer: Dealer) -> None:
    dealer.expect_refused("pk-rot after set-jwks, its old key", "pk-rot", "old", "RS256")
    dealer.expect_token("pk-rot after set-jwks, its new ES256 key", "pk-rot", "new", "ES256")


def main() -> int:
    mode, args = sys.argv[1], sys.argv[2:]
    if mode == "keys":
        make_keys(Path(args[0]))
        return 0
    url, folder, audience = args
    dealer = Dealer(url, Path(folder), audience)
    {"tokens": tokens, "rotated": rotated}[mode](dealer)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
