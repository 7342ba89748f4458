#!/usr/bin/env python3
"""Checks `tokendealer import tokenleader` against a database built by tokenleader 1.8's own
adminops (import_scenario.sh), on a running tokendealer. Run by import_ci.sh; stdlib only.

  import_checks.py TOKENDEALER_BIN URL DATA_DIR AUTH_DB

Prints one PASS/FAIL line per check and ends with "N passed, M failed"; exit 1 on a failure.
"""

import base64
import json
import subprocess
import sys
import urllib.error
import urllib.request

BIN, URL, DATA_DIR, DB = sys.argv[1:5]
RESULTS = []


def check(name, ok, detail=""):
    RESULTS.append(bool(ok))
    print(f"{'PASS' if ok else 'FAIL'} {name}" + (f": {detail}" if detail and not ok else ""))


def td(*args, stdin=""):
    out = subprocess.run([BIN, *args, "--url", URL, "--data-dir", DATA_DIR], input=stdin,
                         capture_output=True, text=True, timeout=120)
    if out.returncode != 0:
        raise RuntimeError(f"tokendealer {' '.join(args)}: {out.stderr.strip()}")
    return json.loads(out.stdout)


def http(method, path, body=None, headers=None, form=None):
    headers = dict(headers or {})
    data = None
    if body is not None:
        data = json.dumps(body).encode()
        headers["content-type"] = "application/json"
    if form is not None:
        data = "&".join(f"{k}={urllib.request.quote(v)}" for k, v in form.items()).encode()
        headers["content-type"] = "application/x-www-form-urlencoded"
    req = urllib.request.Request(URL + path, data=data, headers=headers, method=method)
    try:
        with urllib.request.urlopen(req, timeout=30) as r:
            return r.status, json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, json.loads(e.read() or b"null")


def gettoken(username, password):
    return http("POST", "/token/gettoken", {"username": username, "password": password})


def scheme(username):
    return td("user", "show", username)["password_scheme"]


def main():
    kinds = ["orgs", "ous", "depts", "roles", "wfcs", "users", "services"]
    expected = {
        "orgs": ["org1", "acme", "globex"],
        "ous": ["ou1", "eng", "globex-ou"],
        "depts": ["dept1", "platform", "globex-dept"],
        "roles": ["role1", "ops"],
        "wfcs": ["wfc1", "acme-eng", "globex-ops"],
        "users": ["user1", "alice", "carol"],
        "services": ["tokenleader", "micros1"],
    }
    skipped = {"wfcs": ["old-wfc"], "users": ["bob"], "services": ["billing svc"]}

    dry = td("import", "tokenleader", "--sqlite", DB, "--dry-run")
    check("dry run: lists what it would create",
          all(dry[k]["would_create"] == expected[k] for k in kinds), json.dumps(dry))
    check("dry run: writes nothing", td("user", "list") == [] and td("org", "list") == [])

    first = td("import", "tokenleader", "--sqlite", DB)
    check("import: creates every entry tokendealer can take",
          all(first[k]["created"] == expected[k] for k in kinds), json.dumps(first))
    got_skipped = {k: [s["name"] for s in first[k]["skipped"]] for k in kinds if first[k]["skipped"]}
    check("import: skips what tokenleader's one-link-per-row keys lost, and names it cannot take",
          got_skipped == skipped, json.dumps(got_skipped))
    bob = first["users"]["skipped"][0]["reason"]
    check("import: says why bob is skipped", "no wfc" in bob, bob)
    check("import: says what it did", first["message"] == 'created 19 entries; 3 skipped (see "skipped")',
          first["message"])

    check("user1 keeps tokenleader's Werkzeug hash until it logs in", scheme("user1") == "werkzeug")
    status, body = gettoken("user1", "user1")
    check("/token/gettoken with tokenleader's documented user1/user1",
          status == 201 and body.get("status") == "success" and "auth_token" in body,
          f"{status} {body}")
    catalog = body.get("service_catalog", {})
    check("the catalog keeps tokenleader's URLs",
          catalog.get("tokenleader", {}).get("endpoint_url_internal") == "localhost:5001"
          and catalog.get("micros1", {}).get("endpoint_url_external") == "micros1.example.com:5002/api",
          json.dumps(catalog))
    status, verified = http("GET", "/token/verify_token", headers={"X-Auth-Token": body.get("auth_token", "")})
    sub = verified.get("payload", {}).get("sub", {})
    check("the token carries tokenleader's email field and wfc",
          status == 201 and sub.get("email") == "user1" and sub.get("wfc", {}).get("org") == "org1",
          json.dumps(verified))
    check("the first good login replaced the hash with argon2id", scheme("user1") == "argon2id")
    status, _ = gettoken("user1", "user1")
    check("user1/user1 still works after the upgrade", status == 201)

    status, body = gettoken("alice", "wrong password")
    check("a wrong password is refused", status == 401 and body.get("status") == "Wrong Password",
          f"{status} {body}")
    check("a wrong password leaves the Werkzeug hash", scheme("alice") == "werkzeug")

    client = td("client", "add", "portal", "--audience", "https://portal.example", "--grant", "password")
    basic = base64.b64encode(f"portal:{client['client_secret']}".encode()).decode()
    status, token = http("POST", "/oauth/token", headers={"authorization": f"Basic {basic}"},
                         form={"grant_type": "password", "username": "alice",
                               "password": "alice secret 1"})
    claims = {}
    if status == 200:
        payload = token["access_token"].split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    check("the password grant with alice's tokenleader password",
          status == 200 and claims.get("roles") == ["ops", "role1"]
          and claims.get("wfc", {}).get("name") == "acme-eng", f"{status} {token}")
    check("alice's hash is argon2id now", scheme("alice") == "argon2id")

    # A Werkzeug hash is checked once, against the password as presented (what Werkzeug hashed).
    status, _ = gettoken("carol", "Pa\u0308sswo\u0308rd 1")
    check("carol's NFC-hashed password typed decomposed (NFD) is refused, as by tokenleader",
          status == 401, str(status))
    status, _ = gettoken("carol", "P\u00e4ssw\u00f6rd 1")
    check("typed precomposed, it logs in and is upgraded",
          status == 201 and scheme("carol") == "argon2id", str(status))
    status, _ = gettoken("carol", "Pa\u0308sswo\u0308rd 1")
    check("and after the upgrade (argon2id of NFC) the NFD spelling works too", status == 201,
          str(status))

    second = td("import", "tokenleader", "--sqlite", DB)
    check("a second import changes nothing and says so",
          all(second[k]["created"] == [] for k in kinds)
          and second["message"].startswith("nothing changed"), json.dumps(second))

    td("user", "add", "dan", "--email", "dan@acme.test", "--role", "ops", "--wfc", "acme-eng",
       "--password-stdin", stdin="dan01\n")
    status, _ = gettoken("dan", "dan01")
    check("min_password_length = 5 lets a new user have a 5-byte password", status == 201)

    passed, failed = RESULTS.count(True), RESULTS.count(False)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
