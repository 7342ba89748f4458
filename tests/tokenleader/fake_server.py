#!/usr/bin/env python3
"""A tiny fake tokenleader 1.8 server, to prove the acceptance harness.

Answers exactly as tokenleader 1.8's Flask app did (see NOTES.md, "What
tokenleader 1.8 answered"):

  POST /token/gettoken   JSON {"username","password"}
      -> 201 {auth_token, message:"success", service_catalog:{...}, status:"success"}
      -> 200 {status:"Wrong Password"|"User not registered"|"missing authentication info ", message}
      -> 500 (HTML) when the body is not JSON or lacks either key
  GET  /token/verify_token   header X-Auth-Token
      -> 201 {message, payload, status} with status "Verification Successful",
         "Signature expired", "Invalid token", or the missing-header status

Tokens: PyJWT 1.7 RS512, header {"typ":"JWT","alg":"RS512"}, claims
{exp: iat+3600, iat, sub: {id, username, email, roles, wfc:{id,name,org,orgunit,department}}}.

Standard library HTTP only, plus PyJWT and cryptography from the harness venv.
The RSA key is generated at start-up (test-only, never written to disk unless
--ssh-pubkey-file is given, and then only the public half).

--quirk NAME (repeatable) makes it deviate on purpose, so that the harness's
negative self-test can show each deviation is caught:
  aud            add "aud": "tokendealer" to the claims
  rs256          sign with RS256 instead of RS512
  status-200     answer a successful gettoken with 200 instead of 201
  no-status      leave "status" out of the successful gettoken answer
  sub-string     RFC 7519 style: "sub" is the username string, user data in "user"
  no-wfc         leave "wfc" out of the sub object
  oauth-errors   wrong password -> 401 {"error":"invalid_grant"} (no status key)
  expired        issue tokens that expired 10 s ago
"""

import argparse
import datetime
import json
import os
import sys
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

QUIRKS = {"aud", "rs256", "status-200", "no-status", "sub-string", "no-wfc",
          "oauth-errors", "expired"}

FLASK_500 = (b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
             b"<title>500 Internal Server Error</title>\n"
             b"<h1>Internal Server Error</h1>\n"
             b"<p>The server encountered an internal error and was unable to "
             b"complete your request. Either the server is overloaded or there "
             b"is an error in the application.</p>\n")
FLASK_404 = (b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
             b"<title>404 Not Found</title>\n<h1>Not Found</h1>\n"
             b"<p>The requested URL was not found on the server.</p>\n")
FLASK_405 = (b'<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 3.2 Final//EN">\n'
             b"<title>405 Method Not Allowed</title>\n<h1>Method Not Allowed</h1>\n"
             b"<p>The method is not allowed for the requested URL.</p>\n")


def jsonify_bytes(obj):
    """Flask 1.x jsonify() outside debug mode: sorted keys, compact, trailing newline."""
    return (json.dumps(obj, sort_keys=True, separators=(",", ":")) + "\n").encode()


class State:
    def __init__(self, args):
        self.quirks = set(args.quirk or [])
        self.key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self.private_pem = self.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.TraditionalOpenSSL,
            serialization.NoEncryption())
        self.public_pem = self.key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        self.ssh_pubkey = self.key.public_key().public_bytes(
            serialization.Encoding.OpenSSH,
            serialization.PublicFormat.OpenSSH).decode()
        roles = [r for r in args.roles.split(",") if r]
        self.users = {
            args.user: {
                "password": args.password,
                "sub": {
                    "id": 1,
                    "username": args.user,
                    "email": args.email or "{}@example.test".format(args.user),
                    "roles": roles,
                    "wfc": {"id": 1, "name": "wfc1", "org": "org1",
                            "orgunit": "ou1", "department": "dept1"},
                },
            }
        }
        self.service_catalog = {
            "tokenleader": {"id": 1, "name": "tokenleader",
                            "endpoint_url_internal": None,
                            "endpoint_url_external": "localhost:5001",
                            "endpoint_url_admin": None},
            "micros1": {"id": 2, "name": "micros1",
                        "endpoint_url_internal": "localhost:5002",
                        "endpoint_url_external": None,
                        "endpoint_url_admin": None},
        }

    def issue(self, sub):
        now = datetime.datetime.utcnow()
        if "expired" in self.quirks:
            now = now - datetime.timedelta(seconds=3610)
        # datetimes, exactly as tokenleader did; PyJWT turns them into ints
        payload = {"exp": now + datetime.timedelta(days=0, seconds=3600),
                   "iat": now}
        if "sub-string" in self.quirks:
            payload["sub"] = sub["username"]
            payload["user"] = dict(sub)
        else:
            sub = dict(sub)
            if "no-wfc" in self.quirks:
                sub.pop("wfc", None)
            payload["sub"] = sub
        if "aud" in self.quirks:
            payload["aud"] = "tokendealer"
        alg = "RS256" if "rs256" in self.quirks else "RS512"
        return jwt.encode(payload, self.private_pem, algorithm=alg).decode()

    def decrypt_n_verify_token(self, token):
        # tokenleader 1.8's own check: note the `algorithm=` typo (ignored by
        # PyJWT 1.7, so any algorithm the key fits is accepted).
        try:
            return jwt.decode(token, self.public_pem, algorithm=["RS512"])
        except jwt.ExpiredSignatureError:
            return "Signature expired. Please log in again."
        except jwt.InvalidTokenError:
            return "Invalid token. Please log in again."


class Handler(BaseHTTPRequestHandler):
    server_version = "Werkzeug/0.16.1"
    sys_version = "Python/3.11"
    protocol_version = "HTTP/1.1"

    @property
    def state(self):
        return self.server.state

    def log_message(self, fmt, *args):  # quiet unless --verbose
        if self.server.verbose:
            sys.stderr.write("fake-tokenleader: " + (fmt % args) + "\n")

    def send(self, code, body, ctype="application/json"):
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def path_only(self):
        return self.path.split("?", 1)[0]

    def read_body(self):
        n = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(n) if n else b""

    # --- routing ---------------------------------------------------------
    def do_POST(self):
        if self.path_only() == "/token/gettoken":
            return self.gettoken()
        if self.path_only() == "/token/verify_token":
            self.read_body()
            return self.send(405, FLASK_405, "text/html")
        self.read_body()
        return self.send(404, FLASK_404, "text/html")

    def do_GET(self):
        if self.path_only() == "/token/verify_token":
            return self.verify_token()
        if self.path_only() == "/token/gettoken":
            return self.send(405, FLASK_405, "text/html")
        return self.send(404, FLASK_404, "text/html")

    # --- endpoints -------------------------------------------------------
    def gettoken(self):
        raw = self.read_body()
        ctype = (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()
        # Flask 1.x request.json: None unless the mimetype is application/json
        # (or +json); then `'username' in None` raised -> 500.
        if not (ctype == "application/json" or ctype.endswith("+json")):
            return self.send(500, FLASK_500, "text/html")
        try:
            data = json.loads(raw.decode("utf-8"))
        except ValueError:
            return self.send(400, FLASK_500.replace(b"500 Internal Server Error",
                                                    b"400 Bad Request"), "text/html")
        if not (isinstance(data, dict) and "username" in data and "password" in data):
            # the view fell through and returned None -> Flask 500
            return self.send(500, FLASK_500, "text/html")
        username, password = data["username"], data["password"]
        if username is None or password is None:
            return self.send(200, jsonify_bytes({
                "status": "missing authentication info ",
                "message": "no authentication information provided"}))
        user = self.state.users.get(username)
        if user is None:
            if "oauth-errors" in self.state.quirks:
                return self.send(401, jsonify_bytes({"error": "invalid_grant"}))
            return self.send(200, jsonify_bytes({
                "status": "User not registered",
                "message": "user not found, not registered yet"}))
        if password != user["password"]:
            if "oauth-errors" in self.state.quirks:
                return self.send(401, jsonify_bytes({"error": "invalid_grant"}))
            return self.send(200, jsonify_bytes({
                "status": "Wrong Password",
                "message": "Password did not match"}))
        body = {"status": "success", "message": "success",
                "auth_token": self.state.issue(user["sub"]),
                "service_catalog": self.state.service_catalog}
        if "no-status" in self.state.quirks:
            del body["status"]
        code = 200 if "status-200" in self.state.quirks else 201
        return self.send(code, jsonify_bytes(body))

    def verify_token(self):
        token = self.headers.get("X-Auth-Token")
        if token is not None:
            try:
                payload = self.state.decrypt_n_verify_token(token)
            except Exception:  # tokenleader let e.g. InvalidKeyError escape -> 500
                return self.send(500, FLASK_500, "text/html")
            if payload == "Signature expired. Please log in again.":
                status = "Signature expired"
                message = ("Signature expired. Please log in and get a fresh "
                           "token and send it for reverify.")
            elif payload == "Invalid token. Please log in again.":
                status = "Invalid token"
                message = "Invalid token. obtain a valid token and send it for verifiaction"
            else:
                status = "Verification Successful"
                message = "Token has been successfully decrypted"
        else:
            status = "request header  missing 'X-Auth-Token' key or token value"
            message = ("The request header must carry a 'X-Auth-Token' key whose "
                       "value should be a valid JWT token  ")
            payload = {}
        return self.send(201, jsonify_bytes(
            {"status": status, "message": message, "payload": payload}))


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0, help="0 = pick a free port")
    ap.add_argument("--user", default="user1")
    ap.add_argument("--password", default="user1-test-password")
    ap.add_argument("--email", default=None)
    ap.add_argument("--roles", default="role1", help="comma-separated")
    ap.add_argument("--quirk", action="append", choices=sorted(QUIRKS))
    ap.add_argument("--ready-file", help="write PORT=..., TL_PUBKEY_SSH=... here once listening")
    ap.add_argument("--verbose", action="store_true")
    args = ap.parse_args()

    state = State(args)
    httpd = ThreadingHTTPServer((args.host, args.port), Handler)
    httpd.daemon_threads = True
    httpd.state = state
    httpd.verbose = args.verbose
    port = httpd.server_address[1]
    info = "PORT={}\nTL_PUBKEY_SSH={}\n".format(port, state.ssh_pubkey)
    if args.ready_file:
        tmp = args.ready_file + ".tmp"
        with open(tmp, "w") as f:
            f.write(info)
        os.replace(tmp, args.ready_file)
    sys.stdout.write(info)
    sys.stdout.flush()
    sys.stderr.write("fake tokenleader 1.8 on http://{}:{} quirks={}\n".format(
        args.host, port, sorted(state.quirks) or "none"))
    try:
        httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        httpd.server_close()


if __name__ == "__main__":
    main()
