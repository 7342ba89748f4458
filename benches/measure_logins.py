# Measures tokendealer's password logins and client-credentials latency while a flood of
# password logins is in flight, then wrong-password vs unknown-user timing at /token/gettoken.
# Python stdlib only; HTTP/1.1 keep-alive per thread.
#
#   python3 scripts/measure_logins.py PORT FLOOD_THREADS SVC_JSON PORTAL_JSON
#
# SVC_JSON / PORTAL_JSON: the output of `tokendealer client add svc --audience https://api` and
# `tokendealer client add portal --audience https://api --grant password`; user alice with
# password "alice pw 12345" must exist; raise the [users] lockout thresholds in the server's
# TOML first, or the lockout answers most of the flood with 429.
import http.client, json, sys, threading, time, statistics, base64, urllib.parse
HOST, PORT = "127.0.0.1", int(sys.argv[1])
svc = json.load(open(sys.argv[3])); portal = json.load(open(sys.argv[4]))
def basic(c): return "Basic " + base64.b64encode(f"{c['client_id']}:{c['client_secret']}".encode()).decode()
def post(conn, path, body, headers):
    t = time.perf_counter(); conn.request("POST", path, body, headers); r = conn.getresponse(); r.read()
    return r.status, time.perf_counter() - t
def cc(conn):
    return post(conn, "/oauth/token", "grant_type=client_credentials",
                {"Authorization": basic(svc), "Content-Type": "application/x-www-form-urlencoded"})
def login(conn, pw):
    body = urllib.parse.urlencode({"grant_type": "password", "username": "alice", "password": pw})
    return post(conn, "/oauth/token", body, {"Authorization": basic(portal), "Content-Type": "application/x-www-form-urlencoded"})
def gettoken(conn, pw):
    return post(conn, "/token/gettoken", json.dumps({"username": "alice", "password": pw}), {"content-type": "application/json"})
def pct(xs, p): xs = sorted(xs); return xs[min(len(xs) - 1, int(p * len(xs)))] * 1000
c = http.client.HTTPConnection(HOST, PORT)
for f, name in [(lambda: login(c, "alice pw 12345"), "password grant (ok)"),
                (lambda: login(c, "wrong"), "password grant (wrong pw)"),
                (lambda: gettoken(c, "alice pw 12345"), "gettoken (ok)")]:
    lat = [f()[1] for _ in range(30)]
    print(f"{name:28s} sequential x30: p50 {pct(lat, .5):.1f} ms  p90 {pct(lat, .9):.1f} ms")
base = [cc(c)[1] for _ in range(300)]
print(f"client_credentials idle x300: p50 {pct(base, .5):.2f} ms  p99 {pct(base, .99):.2f} ms  max {max(base)*1000:.2f} ms")
stop = threading.Event(); done = [0]; statuses = {}
def flood():
    conn = http.client.HTTPConnection(HOST, PORT)
    while not stop.is_set():
        s, _ = login(conn, "alice pw 12345" if done[0] % 2 else "wrong"); done[0] += 1; statuses[s] = statuses.get(s, 0) + 1
ths = [threading.Thread(target=flood) for _ in range(int(sys.argv[2]))]
[t.start() for t in ths]; time.sleep(1)
t0 = time.perf_counter(); during = []
while time.perf_counter() - t0 < 10:
    s, l = cc(c); assert s == 200, s; during.append(l)
stop.set(); [t.join() for t in ths]
print(f"client_credentials during {len(ths)} concurrent password logins (10 s): n={len(during)} p50 {pct(during, .5):.2f} ms  p99 {pct(during, .99):.2f} ms  max {max(during)*1000:.2f} ms; logins completed {done[0]} ({done[0]/11:.0f}/s) statuses {statuses}")

# Wrong password vs unknown user: same work, same answer.
conn = http.client.HTTPConnection(HOST, PORT)
def g(u, p):
    c = conn
    t = time.perf_counter(); c.request("POST", "/token/gettoken", json.dumps({"username": u, "password": p}), {"content-type": "application/json"}); r = c.getresponse(); b = r.read(); return r.status, b, time.perf_counter() - t
res = {}
for i in range(60):
    for name, u in [("wrong password", "alice"), ("unknown user", "nobody%d" % i)]:
        s, b, t = g(u, "nope-nope"); res.setdefault(name, []).append(t); res.setdefault(name + " body", set()).add((s, b))
for name in ["wrong password", "unknown user"]:
    xs = sorted(res[name]); print(f"{name:15s} x60: p50 {xs[30]*1000:.1f} ms p10 {xs[6]*1000:.1f} ms p90 {xs[54]*1000:.1f} ms; answers {res[name + ' body']}")
