"""PyJWT against a running tokendealer, the way a Python service verifies its tokens.

The jwks_uri and token endpoint from {issuer}/.well-known/openid-configuration, a token per
audience (client_secret_post), then PyJWKClient + jwt.decode with the audience, the issuer and
RS512 (and RFC 9068's typ, which PyJWT does not check itself): the token for the audience is
accepted, the one for the other audience refused (InvalidAudienceError).

    TOKENDEALER_CLIENT_SECRET=... python verify.py ISSUER CLIENT_ID AUDIENCE OTHER_AUDIENCE

Prints one line per check; exits 1 if any failed.
"""

import json
import os
import sys
import urllib.parse
import urllib.request

import jwt

failed = 0


def check(what, ok, detail=""):
    global failed
    print(f"{'ok' if ok else 'not ok'} - {what}{'' if ok else f': {detail}'}")
    failed += not ok


def get_json(url, form=None):
    data = urllib.parse.urlencode(form).encode() if form else None
    with urllib.request.urlopen(url, data=data, timeout=10) as response:
        return json.load(response)


def verify(jwks, token, issuer, audience):
    if jwt.get_unverified_header(token).get("typ") != "at+jwt":
        raise jwt.InvalidTokenError("not an RFC 9068 access token")
    return jwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["RS512"],
                      audience=audience, issuer=issuer,
                      options={"require": ["exp", "iat", "iss", "aud", "sub"]})


def main():
    if len(sys.argv) != 5 or not os.environ.get("TOKENDEALER_CLIENT_SECRET"):
        sys.exit("usage: TOKENDEALER_CLIENT_SECRET=... python verify.py ISSUER CLIENT_ID AUDIENCE OTHER_AUDIENCE")
    issuer, client_id, audience, other = sys.argv[1:]
    discovery = f"{issuer}/.well-known/openid-configuration"
    try:
        metadata = get_json(discovery)
    except OSError as e:  # urllib's HTTPError and URLError
        check(f"the discovery document at {discovery}", False, repr(e))
        sys.exit(1)
    jwks = jwt.PyJWKClient(metadata["jwks_uri"], timeout=10)

    for aud, accepted in ((audience, True), (other, False)):
        token = get_json(metadata["token_endpoint"], {
            "grant_type": "client_credentials", "client_id": client_id,
            "client_secret": os.environ["TOKENDEALER_CLIENT_SECRET"], "audience": aud,
        })["access_token"]
        what = f"PyJWT {'accepts' if accepted else 'refuses'} the token for {aud} (audience {audience})"
        try:
            claims = verify(jwks, token, issuer, audience)
            check(what, accepted, f"accepted: {claims}")
        except jwt.InvalidAudienceError as e:
            check(what, not accepted, repr(e))
        except jwt.PyJWTError as e:
            check(what, False, repr(e))
    sys.exit(1 if failed else 0)


main()
