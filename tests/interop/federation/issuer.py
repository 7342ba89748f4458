"""A stand-in external issuer: a Kubernetes API server's OpenID discovery, served over plain
HTTP on loopback, minting projected service-account tokens for the federation check (ci.sh).

    issuer.py PORT   serves http://127.0.0.1:PORT with
      /.well-known/openid-configuration   issuer, jwks_uri (= /openid/v1/jwks), RS256
      /openid/v1/jwks                     the public key, kid sa-key-1
      /mint?sub=NS:SA&aud=AUD[&ttl=S]     a token shaped as the kubelet's (loopback only: a test aid)

PyJWT and cryptography, pinned in ../pyjwt/requirements.txt.
"""

import json
import sys
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

PORT = int(sys.argv[1])
ISSUER = f"http://127.0.0.1:{PORT}"
KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
JWK = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(KEY.public_key()))
JWK.update({"kid": "sa-key-1", "use": "sig", "alg": "RS256"})


def service_account_token(namespace, name, aud, ttl):
    now = int(time.time())
    claims = {
        "iss": ISSUER,
        "sub": f"system:serviceaccount:{namespace}:{name}",
        "aud": [aud],
        "exp": now + ttl,
        "iat": now,
        "nbf": now,
        "jti": str(uuid.uuid4()),
        "kubernetes.io": {
            "namespace": namespace,
            "pod": {"name": f"{name}-6d9f7c-abcde", "uid": str(uuid.uuid4())},
            "serviceaccount": {"name": name, "uid": str(uuid.uuid4())},
        },
    }
    return jwt.encode(claims, KEY, algorithm="RS256", headers={"kid": "sa-key-1"})


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        url = urlparse(self.path)
        if url.path == "/.well-known/openid-configuration":
            self.answer({
                "issuer": ISSUER,
                "jwks_uri": f"{ISSUER}/openid/v1/jwks",
                "response_types_supported": ["id_token"],
                "subject_types_supported": ["public"],
                "id_token_signing_alg_values_supported": ["RS256"],
            })
        elif url.path == "/openid/v1/jwks":
            self.answer({"keys": [JWK]})
        elif url.path == "/mint":
            q = {k: v[0] for k, v in parse_qs(url.query).items()}
            namespace, name = q["sub"].split(":", 1)
            token = service_account_token(namespace, name, q["aud"], int(q.get("ttl", "3600")))
            self.answer(token, "text/plain")
        else:
            self.send_error(404)

    def answer(self, body, content_type="application/json"):
        data = (body if isinstance(body, str) else json.dumps(body)).encode()
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, fmt, *args):
        sys.stderr.write("issuer: " + fmt % args + "\n")


ThreadingHTTPServer(("127.0.0.1", PORT), Handler).serve_forever()
