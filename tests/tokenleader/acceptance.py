#!/usr/bin/env python3
"""Acceptance harness: does a server work with the unmodified PyPI
tokenleaderclient 0.9, as tokenleader 1.8 did?

Run it with the venv made by setup.sh (run_against.sh does both):

  TL_URL=http://127.0.0.1:8080 TL_USER=alice TL_PASSWORD=... \
  TL_PUBKEY_SSH="$(tokendealer keys show --format ssh)" TL_ROLE=role1 \
      target/tl-venv/bin/python tests/tokenleader/acceptance.py [--strict]

Environment (or the matching --options):
  TL_URL         base URL; the client appends /token/gettoken etc.
  TL_USER        a user the server knows
  TL_PASSWORD    that user's password
  TL_PUBKEY_SSH  the server's public key as one "ssh-rsa AAAA... [comment]" line
                 (a PEM public key also works with PyJWT 1.7; see NOTES.md)
  TL_ROLE        a role the user holds (goes into the role->rule map)
  TL_SSL_VERIFY  optional, "false" (default) / "true" / a CA bundle path
  TL_STRICT      optional, "1" = same as --strict

Checks marked [client] are what tokenleaderclient 0.9 itself needs: any
failure exits 1. Checks marked [wire] compare with tokenleader 1.8's exact
answers (status codes, alg, failure statuses): by default they only WARN;
with --strict they fail too.

All config files are written to a fresh temp dir and HOME is pointed there,
so nothing under /etc or the real home is read or written. The last line is
"N passed, M failed" (", K skipped" may follow). Exit 0 iff M == 0.
"""

import argparse
import base64
import contextlib
import hashlib
import hmac
import io
import json
import os
import re
import shutil
import string
import sys
import tempfile
import time
import traceback

HERE = os.path.dirname(os.path.abspath(__file__))
TEMPLATES = os.path.join(HERE, "templates")

RULE_ALLOWED = "tlharness:allowed_api:read"
RULE_DENIED = "tlharness:denied_api:write"
OTHER_ROLE = "tlharness-role-the-user-does-not-hold"
REFUSAL_MARKER = "this endpoint is restricted"
WFC_KEYS = {"id", "name", "org", "orgunit", "department"}
CATALOG_KEYS = {"id", "name", "endpoint_url_internal", "endpoint_url_external",
                "endpoint_url_admin"}


class CheckFailed(Exception):
    pass


class Skip(Exception):
    pass


def b64url_decode(seg):
    if isinstance(seg, str):
        seg = seg.encode()
    return base64.urlsafe_b64decode(seg + b"=" * (-len(seg) % 4))


def b64url_encode(raw):
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def split_jwt(token):
    parts = token.split(".")
    if len(parts) != 3:
        raise CheckFailed("token has {} dot-separated segments, want 3".format(len(parts)))
    try:
        header = json.loads(b64url_decode(parts[0]))
        claims = json.loads(b64url_decode(parts[1]))
    except Exception as e:
        raise CheckFailed("token segments are not base64url JSON: {}".format(e))
    return header, claims, parts


def yaml_scalar(value):
    """Render a YAML scalar; plain when it round-trips, as users write it."""
    import yaml
    if isinstance(value, bool):
        return "true" if value else "false"
    try:
        if yaml.safe_load(value) == value and "\n" not in value and value.strip() == value:
            return value
    except Exception:
        pass
    return json.dumps(value)  # a JSON string is a valid YAML double-quoted scalar


class Harness:
    def __init__(self, opts):
        self.o = opts
        self.passed = self.failed = self.skipped = self.warned = 0
        self.token = None
        self.local_result = None
        self.role_map_file = None

    # ---------------------------------------------------------------- output
    def run(self, name, fn, level="client"):
        tag = "[{}]".format(level)
        buf = io.StringIO()  # the library print()s a lot; Flask logs tracebacks to stderr
        try:
            with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(buf):
                detail = fn()
        except Skip as e:
            self.skipped += 1
            print("SKIP {:8} {} -- {}".format(tag, name, e))
            return
        except (CheckFailed, SystemExit, Exception) as e:
            if isinstance(e, CheckFailed):
                why = str(e)
            elif isinstance(e, SystemExit):
                why = "the library called sys.exit({!r})".format(e.code)
            else:
                why = "{}: {}\n{}".format(type(e).__name__, e, traceback.format_exc())
            lib_out = buf.getvalue().strip()
            if lib_out:
                why += "\n      library output: " + lib_out.replace("\n", "\n      ")
            if level == "wire" and not self.o.strict:
                self.warned += 1
                print("WARN {:8} {} -- {}".format(tag, name, why))
            else:
                self.failed += 1
                print("FAIL {:8} {} -- {}".format(tag, name, why))
            return
        self.passed += 1
        print("PASS {:8} {}{}".format(tag, name, " -- " + detail if detail else ""))

    # ----------------------------------------------------------------- setup
    def write_configs(self):
        tmp = self.o.workdir
        self.config_file = os.path.join(tmp, "client_configs.yml")
        self.fernet_key_file = os.path.join(tmp, "tlclient", "fernetkeys")
        self.auth_file = os.path.join(tmp, "tlclient", "user_settings.ini")
        self.role_map_file = os.path.join(tmp, "role_to_acl_map.yml")
        with open(os.path.join(TEMPLATES, "client_configs.yml.in")) as f:
            tpl = string.Template(f.read())
        ssl_verify = self.o.ssl_verify
        ssl_verify_yaml = (ssl_verify.lower() if ssl_verify.lower() in ("true", "false")
                           else yaml_scalar(ssl_verify))
        with open(self.config_file, "w") as f:
            f.write(tpl.substitute(
                user_auth_info_file_location=yaml_scalar(self.auth_file),
                fernet_key_file=yaml_scalar(self.fernet_key_file),
                tl_public_key=yaml_scalar(self.o.pubkey),
                tl_user=yaml_scalar(self.o.user),
                tl_url=yaml_scalar(self.o.url),
                ssl_verify=ssl_verify_yaml))
        with open(os.path.join(TEMPLATES, "role_to_acl_map.yml.in")) as f:
            tpl = string.Template(f.read())
        with open(self.role_map_file, "w") as f:
            f.write(tpl.substitute(role=yaml_scalar(self.o.role), rule_allowed=RULE_ALLOWED,
                                   other_role=OTHER_ROLE, rule_denied=RULE_DENIED))

    def check_config(self):
        from tokenleaderclient.configs.config_handler import Configs
        from tokenleaderclient.client.client import Client
        conf = Configs(config_file=self.config_file)
        # what the `tokenleader-auth -p PASSWORD` CLI does: Fernet-encrypt the
        # password into user_auth_info_file_location (key in fernet_key_file)
        conf.generate_user_auth_file(self.o.password)
        if not os.path.exists(self.auth_file):
            raise CheckFailed("generate_user_auth_file wrote no {}".format(self.auth_file))
        self.conf = conf
        self.client = Client(conf)  # calls conf.decrypt_password()
        if self.client.tl_password != self.o.password:
            raise CheckFailed("Client did not decrypt the stored password back")
        if self.client.tl_url != self.o.url:
            raise CheckFailed("tl_url read back as {!r}".format(self.client.tl_url))
        return "config in {}, encrypted password file written and read back".format(
            self.o.workdir)

    # -------------------------------------------------------------- gettoken
    def check_get_token(self):
        r = self.client.get_token()
        if not isinstance(r, dict):
            raise CheckFailed("get_token() returned {!r}, not a dict".format(r))
        if "error" in r and "auth_token" not in r:
            raise CheckFailed("get_token() failed: {}".format(r["error"]))
        tok = r.get("auth_token")
        if not isinstance(tok, str) or not tok:
            raise CheckFailed("auth_token missing or not a string: {!r}".format(r))
        split_jwt(tok)
        self.token = tok  # let the later checks run even if the rest is wrong
        if r.get("status") != "success":
            raise CheckFailed("status is {!r}, want 'success' (Enforcer.get_token_only "
                              "needs it); keys: {}".format(r.get("status"), sorted(r)))
        cat = r.get("service_catalog")
        if not isinstance(cat, dict):
            raise CheckFailed("service_catalog missing or not an object: {!r} (tokenleader "
                              "1.8 always sent one, {{}} when empty)".format(cat))
        for name, entry in cat.items():
            if not isinstance(entry, dict):
                raise CheckFailed("service_catalog[{!r}] is not an object".format(name))
            missing = CATALOG_KEYS - set(entry)
            if missing:
                raise CheckFailed("service_catalog[{!r}] lacks {}".format(name, sorted(missing)))
        self.token = tok
        self.get_token_answer = r
        return "token of {} chars; service_catalog: {}".format(
            len(tok), ", ".join(sorted(cat)) or "(empty)")

    def check_get_token_only(self):
        from tokenleaderclient.rbac.enforcer import Enforcer
        t = Enforcer(self.client).get_token_only()
        if not isinstance(t, str) or t.count(".") != 2:
            raise CheckFailed("Enforcer.get_token_only() returned {!r}".format(t))
        return None

    def check_wire_gettoken(self):
        import requests
        r = requests.post(self.o.url + "/token/gettoken",
                          json.dumps(dict(username=self.o.user, password=self.o.password)),
                          headers={"content-type": "application/json"},
                          verify=self.client.ssl_verify)
        problems = []
        if r.status_code != 201:
            problems.append("HTTP {} (tokenleader 1.8: 201)".format(r.status_code))
        ct = r.headers.get("Content-Type", "")
        if not ct.startswith("application/json"):
            problems.append("Content-Type {!r}".format(ct))
        try:
            body = r.json()
        except ValueError:
            raise CheckFailed("; ".join(problems + ["body is not JSON"]))
        if body.get("message") != "success":
            problems.append("message {!r} (tokenleader 1.8: 'success')".format(body.get("message")))
        extra = set(body) - {"auth_token", "message", "service_catalog", "status"}
        if problems:
            raise CheckFailed("; ".join(problems))
        return "HTTP 201 {}{}".format(ct, "; extra keys " + str(sorted(extra)) if extra else "")

    # ---------------------------------------------------------- token format
    def need_token(self):
        if not self.token:
            raise CheckFailed("no token (get_token failed)")

    def check_token_claims(self):
        self.need_token()
        header, claims, _ = split_jwt(self.token)
        if "aud" in claims:
            raise CheckFailed("token has aud={!r}: PyJWT 1.7 decode() without audience= "
                              "raises InvalidAudienceError, so verify_token says "
                              "'Invalid token'".format(claims["aud"]))
        for c in ("exp", "iat"):
            if not isinstance(claims.get(c), int):
                raise CheckFailed("{} is {!r}, want an integer".format(c, claims.get(c)))
        now = int(time.time())
        if claims["exp"] <= now:
            raise CheckFailed("exp {} is not in the future (now {}); PyJWT 1.7 has no "
                              "leeway".format(claims["exp"], now))
        if isinstance(claims.get("nbf"), (int, float)) and claims["nbf"] > now:
            raise CheckFailed("nbf {} is in the future (no leeway)".format(claims["nbf"]))
        sub = claims.get("sub")
        if not isinstance(sub, dict):
            raise CheckFailed("sub is {!r}: the Enforcer does payload['sub'].get('roles'), "
                              "so sub must be a JSON object".format(sub))
        missing = {"id", "username", "email", "roles", "wfc"} - set(sub)
        if missing:
            raise CheckFailed("sub lacks {}".format(sorted(missing)))
        roles = sub["roles"]
        if not (isinstance(roles, list) and all(isinstance(x, str) for x in roles)):
            raise CheckFailed("sub.roles is {!r}, want a list of strings".format(roles))
        if self.o.role not in roles:
            raise CheckFailed("role {!r} not in sub.roles {}".format(self.o.role, roles))
        if sub["username"] != self.o.user:
            raise CheckFailed("sub.username {!r} != {!r}".format(sub["username"], self.o.user))
        wfc = sub["wfc"]
        if not (isinstance(wfc, dict) and wfc):
            raise CheckFailed("sub.wfc is {!r}; the Enforcer passes wfc= to the view only "
                              "when it is a non-empty object".format(wfc))
        missing = WFC_KEYS - set(wfc)
        if missing:
            raise CheckFailed("sub.wfc lacks {}".format(sorted(missing)))
        self.header, self.claims = header, claims
        return "alg={} exp-iat={}s claims={}".format(header.get("alg"),
                                                     claims["exp"] - claims["iat"],
                                                     sorted(claims))

    def check_wire_token_header(self):
        self.need_token()
        header, claims, _ = split_jwt(self.token)
        problems = []
        if header != {"typ": "JWT", "alg": "RS512"}:
            problems.append("header {} (tokenleader 1.8: {{'typ': 'JWT', 'alg': 'RS512'}})"
                            .format(header))
        extra = set(claims) - {"exp", "iat", "sub"}
        if extra:
            problems.append("extra claims {} (tokenleader 1.8: exp, iat, sub only)"
                            .format(sorted(extra)))
        if problems:
            raise CheckFailed("; ".join(problems))
        return "header {\"typ\":\"JWT\",\"alg\":\"RS512\"}, claims exp/iat/sub"

    # ----------------------------------------------------------- verify local
    def check_verify_local(self):
        self.need_token()
        r = self.client.verify_token(self.token)
        if r.get("status") != "Verification Successful":
            raise CheckFailed("status {!r}, message {!r}, payload {!r}".format(
                r.get("status"), r.get("message"), r.get("payload")))
        payload = r["payload"]
        sub = payload.get("sub") if isinstance(payload, dict) else None
        if not isinstance(sub, dict):
            raise CheckFailed("payload.sub is {!r}, not an object".format(sub))
        if sub.get("username") != self.o.user:
            raise CheckFailed("payload.sub.username {!r}".format(sub.get("username")))
        if self.o.role not in (sub.get("roles") or []):
            raise CheckFailed("role {!r} not in {!r}".format(self.o.role, sub.get("roles")))
        self.local_result = r
        return "user={} roles={} wfc={}".format(sub.get("username"), sub.get("roles"),
                                                json.dumps(sub.get("wfc"), sort_keys=True))

    # ---------------------------------------------------------- verify remote
    def check_verify_remote(self):
        self.need_token()
        r = self.client.verify_token_from_tl(self.token)
        if not isinstance(r, dict):
            raise CheckFailed("answer {!r}".format(r))
        if "error" in r and "status" not in r:
            raise CheckFailed(r["error"])
        if r.get("status") != "Verification Successful":
            raise CheckFailed("status {!r} message {!r}".format(r.get("status"), r.get("message")))
        if r.get("message") != "Token has been successfully decrypted":
            raise CheckFailed("message {!r}".format(r.get("message")))
        if self.local_result and r.get("payload") != self.local_result["payload"]:
            raise CheckFailed("payload {!r} differs from the locally verified one {!r}".format(
                r.get("payload"), self.local_result["payload"]))
        return "status/message/payload match the local verification"

    def check_wire_verify(self):
        self.need_token()
        import requests
        r = requests.get(self.o.url + "/token/verify_token", headers={"X-Auth-Token": self.token},
                         verify=self.client.ssl_verify)
        problems = []
        if r.status_code != 201:
            problems.append("HTTP {} (tokenleader 1.8: 201)".format(r.status_code))
        ct = r.headers.get("Content-Type", "")
        if not ct.startswith("application/json"):
            problems.append("Content-Type {!r}".format(ct))
        try:
            body = r.json()
            if set(body) != {"status", "message", "payload"}:
                problems.append("keys {} (tokenleader 1.8: message, payload, status)".format(
                    sorted(body)))
        except ValueError:
            problems.append("body is not JSON")
        if problems:
            raise CheckFailed("; ".join(problems))
        return "HTTP 201 " + ct

    def check_verify_remote_tampered(self):
        self.need_token()
        bad = self.tampered_signature()
        r = self.client.verify_token_from_tl(bad)
        if not isinstance(r, dict):
            raise CheckFailed("answer {!r}".format(r))
        if "error" in r and "status" not in r:
            raise CheckFailed("no JSON answer: {}".format(r["error"]))
        if r.get("status") == "Verification Successful":
            raise CheckFailed("the server accepted a token with a broken signature")
        if r.get("status") != "Invalid token" and self.o.strict:
            raise CheckFailed("status {!r} (tokenleader 1.8: 'Invalid token')".format(
                r.get("status")))
        return "status {!r}".format(r.get("status"))

    def check_wire_gettoken_failure(self, user, password, want_status):
        import requests
        r = requests.post(self.o.url + "/token/gettoken",
                          json.dumps(dict(username=user, password=password)),
                          headers={"content-type": "application/json"},
                          verify=self.client.ssl_verify)
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code != 200 or not isinstance(body, dict) or body.get("status") != want_status:
            raise CheckFailed("HTTP {} {!r} (tokenleader 1.8: HTTP 200 with status {!r})".format(
                r.status_code, body if body is not None else r.text[:200], want_status))
        return "HTTP 200 status {!r}".format(want_status)

    # ------------------------------------------------------------ tampering
    def tampered_signature(self):
        h, p, s = self.token.split(".")
        sig = bytearray(b64url_decode(s))
        sig[len(sig) // 2] ^= 0x01
        return ".".join([h, p, b64url_encode(bytes(sig))])

    def tampered_payload(self):
        h, p, s = self.token.split(".")
        claims = json.loads(b64url_decode(p))
        if isinstance(claims.get("sub"), dict):
            claims["sub"]["roles"] = ["admin"]
        else:
            claims["sub"] = {"roles": ["admin"]}
        return ".".join([h, b64url_encode(json.dumps(claims).encode()), s])

    def alg_none(self):
        _, p, _ = self.token.split(".")
        h = b64url_encode(json.dumps({"typ": "JWT", "alg": "none"}).encode())
        return "{}.{}.".format(h, p)

    def hs512_with_public_key(self):
        _, p, _ = self.token.split(".")
        h = b64url_encode(json.dumps({"typ": "JWT", "alg": "HS512"}).encode())
        mac = hmac.new(self.o.pubkey.encode(), "{}.{}".format(h, p).encode(), hashlib.sha512)
        return "{}.{}.{}".format(h, p, b64url_encode(mac.digest()))

    def foreign_key(self):
        import jwt
        from cryptography.hazmat.primitives.asymmetric import rsa
        from cryptography.hazmat.primitives import serialization
        k = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = k.private_bytes(serialization.Encoding.PEM,
                              serialization.PrivateFormat.TraditionalOpenSSL,
                              serialization.NoEncryption())
        _, claims, _ = split_jwt(self.token)
        t = jwt.encode(claims, pem, algorithm="RS512")
        return t.decode() if isinstance(t, bytes) else t

    def check_local_refuses(self, make, want_status=None):
        def fn():
            self.need_token()
            bad = make()
            r = self.client.verify_token(bad)
            st = r.get("status")
            if st == "Verification Successful":
                raise CheckFailed("verify_token ACCEPTED it: payload {!r}".format(r.get("payload")))
            if want_status and st != want_status:
                raise CheckFailed("refused, but status {!r} (want {!r})".format(st, want_status))
            return "refused: {!r}".format(st)
        return fn

    # ------------------------------------------------------------- enforcer
    def build_app(self):
        import flask
        from tokenleaderclient.rbac.enforcer import Enforcer
        enforcer = Enforcer(self.client, role_acl_map_file_prod_settings=self.role_map_file)
        app = flask.Flask("tlharness")
        self.views_ran = []

        # NB: role_acl_map_file must be passed to the decorator itself; its
        # default is the module constant /etc/tokenleader/role_to_acl_map.yml,
        # not the Enforcer's constructor argument.
        @app.route("/tlharness/allowed", methods=["GET", "POST"])
        @enforcer.enforce_access_rule_with_token(RULE_ALLOWED, role_acl_map_file=self.role_map_file)
        def allowed(wfc=None):
            self.views_ran.append("allowed")
            return flask.jsonify({"view": "allowed",
                                  "wfc": None if wfc is None else {
                                      "org": wfc.org, "orgunit": wfc.orgunit,
                                      "department": wfc.department, "name": wfc.name}})

        @app.route("/tlharness/denied", methods=["GET", "POST"])
        @enforcer.enforce_access_rule_with_token(RULE_DENIED, role_acl_map_file=self.role_map_file)
        def denied(wfc=None):
            self.views_ran.append("denied")
            return flask.jsonify({"view": "denied"})

        self.app = app
        return app

    def call(self, path, token):
        headers = {} if token is None else {"X-Auth-Token": token}
        self.views_ran = []
        with self.app.test_client() as c:
            return c.get(path, headers=headers)

    def check_enforcer_allowed(self):
        self.need_token()
        resp = self.call("/tlharness/allowed", self.token)
        body = resp.get_data(as_text=True)
        if resp.status_code != 200 or self.views_ran != ["allowed"]:
            raise CheckFailed("HTTP {} view_ran={} body {!r}".format(
                resp.status_code, self.views_ran, body[:300]))
        data = json.loads(body)
        want = self.claims["sub"]["wfc"] if getattr(self, "claims", None) else None
        if data["wfc"] is None:
            raise CheckFailed("view got no wfc (token's sub.wfc empty?)")
        if want and data["wfc"]["org"] != want.get("org"):
            raise CheckFailed("view got wfc {} but token says {}".format(data["wfc"], want))
        return "HTTP 200 via X-Auth-Token; view got wfc {}".format(
            json.dumps(data["wfc"], sort_keys=True))

    def refused(self, path, token):
        resp = self.call(path, token)
        body = resp.get_data(as_text=True)
        if self.views_ran:
            raise CheckFailed("the view RAN (HTTP {}, body {!r})".format(resp.status_code, body[:200]))
        if REFUSAL_MARKER not in body:
            raise CheckFailed("view did not run, but body lacks {!r}: HTTP {} {!r}".format(
                REFUSAL_MARKER, resp.status_code, body[:300]))
        # tokenleaderclient refuses with HTTP 200 and a JSON string body (text/html)
        return "refused (HTTP {}, body {{'message': 'this endpoint is restricted ...'}})".format(
            resp.status_code)

    def check_enforcer_denied(self):
        self.need_token()
        roles = self.claims["sub"]["roles"] if getattr(self, "claims", None) else []
        if "admin" in roles:
            raise Skip("the user holds role 'admin', which the Enforcer lets through every "
                       "rule; use a non-admin user to test refusal")
        return self.refused("/tlharness/denied", self.token)

    def check_enforcer_no_header(self):
        return self.refused("/tlharness/allowed", None)

    def check_enforcer_tampered(self):
        self.need_token()
        return self.refused("/tlharness/allowed", self.tampered_payload())

    # --------------------------------------------------- gettoken failures
    def check_gettoken_rejects(self, user, password):
        def fn():
            from tokenleaderclient.client.client import Client
            from tokenleaderclient.rbac.enforcer import Enforcer
            c = Client(self.conf)
            c.tl_username, c.tl_password = user, password
            r = c.get_token()
            if not isinstance(r, dict):
                raise CheckFailed("get_token() returned {!r}".format(r))
            if r.get("auth_token"):
                raise CheckFailed("a token was issued: {!r}".format(r))
            if "status" not in r:
                raise CheckFailed("answer {!r} has no 'status': Enforcer.get_token_only() "
                                  "raises KeyError on it".format(r))
            if r["status"] == "success":
                raise CheckFailed("status 'success' without a token")
            got = Enforcer(c).get_token_only()  # must not raise
            return "refused, status {!r} (get_token_only -> {!r})".format(r["status"], got)
        return fn

    # ------------------------------------------------------------------ all
    def main(self):
        print("tokenleaderclient 0.9 acceptance against {} as {!r} (role {!r}){}".format(
            self.o.url, self.o.user, self.o.role, " [strict]" if self.o.strict else ""))
        self.write_configs()
        self.run("Configs + tokenleader-auth password file + Client()", self.check_config)
        if not hasattr(self, "client"):
            print("cannot go on without a client")
        else:
            self.run("Client.get_token(): status 'success', auth_token, service_catalog",
                     self.check_get_token)
            self.run("Enforcer.get_token_only() returns the token", self.check_get_token_only)
            self.run("POST /token/gettoken answers 201 application/json, message 'success'",
                     self.check_wire_gettoken, "wire")
            self.run("token claims: int exp/iat, no aud, sub object {id,username,email,roles,wfc}",
                     self.check_token_claims)
            self.run("token header {typ:JWT, alg:RS512}, claims exp/iat/sub only",
                     self.check_wire_token_header, "wire")
            self.run("Client.verify_token(token) locally with the ssh-rsa key",
                     self.check_verify_local)
            self.run("Client.verify_token_from_tl(token)", self.check_verify_remote)
            self.run("GET /token/verify_token answers 201 application/json {message,payload,status}",
                     self.check_wire_verify, "wire")
            self.run("verify_token_from_tl refuses a token with a broken signature",
                     self.check_verify_remote_tampered)
            self.run("verify_token refuses a broken signature",
                     self.check_local_refuses(self.tampered_signature, "Invalid token"))
            self.run("verify_token refuses a payload changed to roles=['admin']",
                     self.check_local_refuses(self.tampered_payload, "Invalid token"))
            self.run("verify_token refuses alg 'none'", self.check_local_refuses(self.alg_none))
            self.run("verify_token refuses HS512 keyed with the public key text",
                     self.check_local_refuses(self.hs512_with_public_key))
            self.run("verify_token refuses RS512 signed by another key",
                     self.check_local_refuses(self.foreign_key, "Invalid token"))
            self.run("verify_token refuses a non-JWT string",
                     self.check_local_refuses(lambda: "not-a-jwt"))
            try:
                self.build_app()
            except Exception as e:
                print("FAIL cannot build the Flask app: {}".format(e))
                self.failed += 1
            else:
                self.run("Enforcer: route allowed for the role answers 200 with wfc",
                         self.check_enforcer_allowed)
                self.run("Enforcer: route whose rule the role lacks is refused",
                         self.check_enforcer_denied)
                self.run("Enforcer: request without X-Auth-Token is refused",
                         self.check_enforcer_no_header)
                self.run("Enforcer: tampered token is refused", self.check_enforcer_tampered)
            self.run("get_token with a wrong password is refused with a status",
                     self.check_gettoken_rejects(self.o.user, self.o.password + "-wrong"))
            self.run("get_token for an unknown user is refused with a status",
                     self.check_gettoken_rejects("tlharness-no-such-user", "x"))
            self.run("wrong password -> HTTP 200 status 'Wrong Password'",
                     lambda: self.check_wire_gettoken_failure(
                         self.o.user, self.o.password + "-wrong", "Wrong Password"), "wire")
            self.run("unknown user -> HTTP 200 status 'User not registered'",
                     lambda: self.check_wire_gettoken_failure(
                         "tlharness-no-such-user", "x", "User not registered"), "wire")
        if self.warned:
            print("({} [wire] difference(s) from tokenleader 1.8 only warned; "
                  "--strict makes them fail)".format(self.warned))
        line = "{} passed, {} failed".format(self.passed, self.failed)
        if self.skipped:
            line += ", {} skipped".format(self.skipped)
        print(line)
        return 0 if self.failed == 0 else 1


def parse_args(argv):
    env = os.environ.get
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--url", default=env("TL_URL"))
    ap.add_argument("--user", default=env("TL_USER"))
    ap.add_argument("--password", default=env("TL_PASSWORD"))
    ap.add_argument("--pubkey", default=env("TL_PUBKEY_SSH"),
                    help="ssh-rsa line, or @FILE to read it from a file")
    ap.add_argument("--role", default=env("TL_ROLE"))
    ap.add_argument("--ssl-verify", default=env("TL_SSL_VERIFY", "false"))
    ap.add_argument("--strict", action="store_true",
                    default=env("TL_STRICT", "0") not in ("", "0", "false"))
    ap.add_argument("--keep", action="store_true", help="keep the temp config dir")
    o = ap.parse_args(argv)
    missing = [n for n in ("url", "user", "password", "pubkey", "role") if not getattr(o, n)]
    if missing:
        ap.error("missing: " + ", ".join("TL_" + ("PUBKEY_SSH" if m == "pubkey" else m.upper())
                                         for m in missing))
    if o.pubkey.startswith("@"):
        with open(o.pubkey[1:]) as f:
            o.pubkey = f.read()
    o.pubkey = o.pubkey.strip()
    if "\n" in o.pubkey and not o.pubkey.startswith("-----BEGIN"):
        ap.error("TL_PUBKEY_SSH must be one line")
    if not re.match(r"^(ssh-rsa AAAA|-----BEGIN)", o.pubkey):
        ap.error("TL_PUBKEY_SSH does not look like 'ssh-rsa AAAA...': {!r}".format(o.pubkey[:40]))
    if o.url.endswith("/"):
        # the client does tl_url + '/token/gettoken'
        o.url = o.url.rstrip("/")
    return o


def main(argv=None):
    o = parse_args(sys.argv[1:] if argv is None else argv)
    o.workdir = tempfile.mkdtemp(prefix="tl-acceptance-")
    os.environ["HOME"] = o.workdir  # keep ~ expansions away from the real home
    try:
        return Harness(o).main()
    finally:
        if o.keep:
            print("config kept in " + o.workdir, file=sys.stderr)
        else:
            shutil.rmtree(o.workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
