#!/usr/bin/env bash
# Ordinary logins during a flood of wrong passwords for users imported with costly Werkzeug
# hashes (issue 21, point 4), at real size: pbkdf2:sha512:1000000, the costliest hash the import
# accepts.
#
#   benches/costly_login_flood.sh [--threads N] [--costly-users N] [--method M] [--seconds S]
#                                 [--config FILE] [--no-build]
#
# Starts a release-built tokendealer (default [users] settings: argon2id m=19456 KiB, t=2,
# lockout 10 per user and 100 per address) on a free 127.0.0.1 port with temporary dirs;
# creates org/ou/dept/role/wfc, user alice (argon2id), --costly-users users (40) imported with
# a METHOD hash (default pbkdf2:sha512:1000000; random digests: their passwords are unknown)
# and carol, imported with a real METHOD hash of her password. Then --threads (40) senders post
# wrong passwords for the costly users to /token/gettoken in a loop, each request on a new
# connection from the next address of 127.1.0.0/16 (rotating, so the per-address lockout
# barely bites), for --seconds (25); meanwhile alice logs in every 0.5 s, and carol every 2 s.
# Prints the time one wrong password for a costly user takes while idle, then alice's and
# carol's outcomes and latencies, the flood's statuses, and the server's CPU time over it. --config appends a TOML [users] fragment; TOKENDEALER_BIN runs another
# build (e.g. one built from an older commit) instead of building.
set -euo pipefail

THREADS=40 COSTLY=40 METHOD="pbkdf2:sha512:1000000" SECONDS_=25 EXTRA="" BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --threads) THREADS=$2; shift 2 ;;
    --costly-users) COSTLY=$2; shift 2 ;;
    --method) METHOD=$2; shift 2 ;;
    --seconds) SECONDS_=$2; shift 2 ;;
    --config) EXTRA=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
[[ $BUILD -eq 1 ]] && cargo build --release --quiet --bin tokendealer
BIN=${TOKENDEALER_BIN:-$PWD/target/release/tokendealer}

WORK=$(mktemp -d /tmp/tokendealer-costly.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

{ echo "[users]"; [[ -n "$EXTRA" ]] && cat "$EXTRA"; } > "$WORK/tokendealer.toml"
# 0.0.0.0 would do too; 127.0.0.1 accepts every 127.x source address on Linux.
RUST_LOG=warn "$BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" \
  --keys-dir "$WORK/keys" --config "$WORK/tokendealer.toml" 2>>"$WORK/server.log" &
SERVER_PID=$!
until curl -fsS "$URL/healthz" >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.05
done
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg), binary $BIN, git $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml || echo '+dirty')"
echo "settings: $(tr '\n' ' ' < "$WORK/tokendealer.toml")"

admin() { "$BIN" --url "$URL" --data-dir "$WORK/data" "$@" >/dev/null; }
admin org add acme
admin ou add eng
admin dept add platform
admin role add ops
admin wfc add acme-eng --org acme --ou eng --dept platform
echo "alice pw 12345" | admin user add alice --email alice@acme.example --role ops --wfc acme-eng --password-stdin

python3 - "$URL" "$WORK/data/admin-credentials.json" "$SERVER_PID" "$THREADS" "$COSTLY" "$METHOD" "$SECONDS_" <<'PY'
import base64, hashlib, http.client, json, os, statistics, sys, threading, time, urllib.parse
url, creds, pid, threads, costly, method, seconds = sys.argv[1:8]
threads, costly, seconds, pid = int(threads), int(costly), float(seconds), int(pid)
host, port = urllib.parse.urlsplit(url).hostname, urllib.parse.urlsplit(url).port
creds = json.load(open(creds))

def request(verb, path, body, headers, source=None):
    conn = http.client.HTTPConnection(host, port, timeout=60,
                                      source_address=(source, 0) if source else None)
    started = time.perf_counter()
    conn.request(verb, path, body, headers)
    r = conn.getresponse(); data = r.read(); conn.close()
    return r.status, time.perf_counter() - started, data

basic = base64.b64encode(f"{creds['client_id']}:{creds['client_secret']}".encode()).decode()
form = "grant_type=client_credentials&audience=urn%3Atokendealer%3Aadmin&scope=tokendealer%3Aadmin"
_, _, body = request("POST", "/oauth/token", form, {"Authorization": "Basic " + basic,
                     "Content-Type": "application/x-www-form-urlencoded"})
admin = {"Authorization": "Bearer " + json.loads(body)["access_token"], "Content-Type": "application/json"}

_, digest, iterations = method.split(":")
size = hashlib.new(digest).digest_size
def werkzeug(password):
    salt = os.urandom(8).hex()
    if password is None:
        return f"{method}${salt}${os.urandom(size).hex()}"
    dk = hashlib.pbkdf2_hmac(digest, password.encode(), salt.encode(), int(iterations))
    return f"{method}${salt}${dk.hex()}"
def import_user(name, hash_):
    user = {"username": name, "email": name, "password_hash": hash_, "roles": ["ops"], "wfc": "acme-eng"}
    status, _, data = request("POST", "/admin/import/tokenleader/users", json.dumps(user), admin)
    assert status == 201, (status, data)
for i in range(costly):
    import_user(f"costly{i}", werkzeug(None))
import_user("carol", werkzeug("carol pw 12345"))

def gettoken(user, password, source=None):
    body = json.dumps({"username": user, "password": password})
    status, took, _ = request("POST", "/token/gettoken", body, {"Content-Type": "application/json"}, source)
    return status, took

# What one check of METHOD costs through the server, idle: wrong passwords, one at a time.
idle = sorted(gettoken(f"costly{i % costly}", "a wrong password")[1] for i in range(5))
print(f"one wrong password for a {method} user, idle, 5 in a row: median {idle[2] * 1000:.0f} ms "
      f"(min {idle[0] * 1000:.0f}, max {idle[-1] * 1000:.0f})")
# carol's first good login replaces her hash with argon2id: during the flood her logins show
# what a costly user meets.
cpu = lambda: sum(int(x) for x in open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[11:13]) / os.sysconf("SC_CLK_TCK")
stop = threading.Event(); flood = {}; lock = threading.Lock()
def sender(t):
    k = 0
    while not stop.is_set():
        source = f"127.1.{(t * 997 + k) // 250 % 250}.{(t * 997 + k) % 250 + 1}"
        try:
            status, _ = gettoken(f"costly{(t + k) % costly}", "a wrong password", source)
        except Exception as e:  # a refused or reset connection is an outcome too
            status = type(e).__name__
        with lock: flood[status] = flood.get(status, 0) + 1
        k += 1

def probe(user, password, every, out):
    while not stop.is_set():
        t0 = time.perf_counter()
        out.append(gettoken(user, password))
        time.sleep(max(0.0, every - (time.perf_counter() - t0)))

cpu0 = cpu(); started = time.perf_counter()
workers = [threading.Thread(target=sender, args=(t,)) for t in range(threads)]
for w in workers: w.start()
time.sleep(1.0)  # the flood is under way before the first probe
alice, carol = [], []
probes = [threading.Thread(target=probe, args=("alice", "alice pw 12345", 0.5, alice)),
          threading.Thread(target=probe, args=("carol", "carol pw 12345", 2.0, carol))]
for p in probes: p.start()
time.sleep(seconds)
stop.set()
for w in workers + probes: w.join()
elapsed = time.perf_counter() - started; cpu1 = cpu()

def report(name, results, good):
    ok = [took for status, took in results if status == good]
    fast = [took for status, took in results if status == good and took < 2.0]
    took = sorted(t for _, t in results)
    statuses = {}
    for status, _ in results: statuses[status] = statuses.get(status, 0) + 1
    print(f"{name}: {len(fast)}/{len(results)} succeeded in < 2 s ({100 * len(fast) / max(1, len(results)):.0f} %); "
          f"latency p50 {statistics.median(took) * 1000:.0f} ms, p90 {took[int(0.9 * (len(took) - 1))] * 1000:.0f} ms, "
          f"max {took[-1] * 1000:.0f} ms; statuses {dict(sorted(statuses.items(), key=str))}")
print(f"flood: {threads} senders, {costly} users with {method} hashes, {seconds:.0f} s; "
      f"answers {dict(sorted(flood.items(), key=str))} ({sum(flood.values()) / elapsed:.0f}/s)")
report("alice (argon2id) every 0.5 s", alice, 201)
report("carol (imported, real hash) every 2 s", carol, 201)
print(f"server CPU over the flood: {cpu1 - cpu0:.1f} s in {elapsed:.1f} s of wall time")
PY
