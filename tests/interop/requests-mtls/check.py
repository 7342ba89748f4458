"""python-requests with a client certificate (`cert=(cert, key)`) against a TLS dealer: for
each client, a token request with `client_id` alone, the token's `cnf.x5t#S256` equal to the
SHA-256 of the certificate's DER; the same request without the certificate is `invalid_client`.

    check.py DEALER_URL SERVER_CA CLIENT_ID:CERT:KEY ...
"""

import base64
import hashlib
import json
import ssl
import sys

import requests

TIMEOUT = 10


def b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))


def main() -> int:
    url, server_ca, clients = sys.argv[1], sys.argv[2], sys.argv[3:]
    metadata = requests.get(
        f"{url}/.well-known/oauth-authorization-server", verify=server_ca, timeout=TIMEOUT
    ).json()
    token_endpoint = metadata["token_endpoint"]
    failed = 0

    def check(what: str, ok: bool, detail: object) -> None:
        nonlocal failed
        print(f"{'ok' if ok else 'not ok'} - {what}: {detail}")
        failed += not ok

    check(
        "the metadata promises certificate-bound tokens",
        metadata.get("tls_client_certificate_bound_access_tokens") is True,
        metadata.get("tls_client_certificate_bound_access_tokens"),
    )
    for spec in clients:
        client_id, cert, key = spec.split(":")
        with open(cert) as f:
            der = ssl.PEM_cert_to_DER_cert(f.read())
        form = {"grant_type": "client_credentials", "client_id": client_id}
        r = requests.post(
            token_endpoint, data=form, cert=(cert, key), verify=server_ca, timeout=TIMEOUT
        )
        check(f"{client_id} gets a token with its certificate", r.status_code == 200, r.status_code)
        if r.status_code == 200:
            cnf = claims(r.json()["access_token"]).get("cnf")
            want = {"x5t#S256": b64url(hashlib.sha256(der).digest())}
            check(f"{client_id}'s token is bound to its certificate", cnf == want, cnf)
        r = requests.post(token_endpoint, data=form, verify=server_ca, timeout=TIMEOUT)
        check(
            f"{client_id} without its certificate is refused",
            r.status_code == 401 and r.json().get("error") == "invalid_client",
            (r.status_code, r.text),
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
