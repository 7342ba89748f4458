#!/usr/bin/env bash
# Where the server's CPU goes under token load: `perf record` of the release build with line
# tables (the `profiling` profile, in target/profiling/) while wrk drives POST /oauth/token,
# summarized by category. Needs `perf` (Debian: linux-perf).
#
#   benches/profile.sh [--io per-thread|shared] [--signer pool|blocking|inline] [--workers N]
#                      [--alg RS512|EdDSA|ES256] [--clients N --spread]
set -euo pipefail
SIGNER="" IO="" WORKERS="" ALG=RS512 CLIENTS=0 SPREAD=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --signer) SIGNER=$2; shift 2 ;;
    --io) IO=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --alg) ALG=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --spread) SPREAD=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
cargo build --profile profiling --quiet --bin tokendealer --example seed_clients
BIN=target/profiling/tokendealer
WORK=$(mktemp -d /tmp/tokendealer-prof.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
trap '[[ -n "$SERVER_PID" ]] && kill "$SERVER_PID" 2>/dev/null; rm -rf "$WORK"' EXIT
start() {
  env ${WORKERS:+TOKIO_WORKER_THREADS=$WORKERS} ${SIGNER:+TOKENDEALER_SIGNER=$SIGNER} \
    ${IO:+TOKENDEALER_IO=$IO} RUST_LOG=warn \
    "$BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" --keys-dir "$WORK/keys" 2>>"$WORK/log" &
  SERVER_PID=$!
  until curl -fsS "$URL/healthz" >/dev/null 2>&1; do sleep 0.02; done
}
start
SECRET=$("$BIN" --url "$URL" --data-dir "$WORK/data" client add bench --audience https://api.example \
  --alg "$ALG" | python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
if [[ $CLIENTS -gt 0 ]]; then
  kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true
  target/profiling/examples/seed_clients "$WORK/data" "$CLIENTS" "$ALG" >/dev/null
  start
fi
PICK=0; [[ $SPREAD -eq 1 ]] && PICK=$CLIENTS
LOAD_SPREAD=$PICK wrk -t1 -c16 -d14s -s benches/load.lua "$URL/" -- token bench "$SECRET" > "$WORK/wrk.out" &
WRK=$!
sleep 2
perf stat -e task-clock,context-switches,cpu-migrations -p "$SERVER_PID" -o "$WORK/stat" -- sleep 4
perf record -q -F 999 -g -p "$SERVER_PID" -o "$WORK/perf.data" -- sleep 6 2>/dev/null
wait "$WRK"
grep '^RESULT' "$WORK/wrk.out"
grep -E 'task-clock|context-switches|migrations' "$WORK/stat"
perf report -i "$WORK/perf.data" --no-children --sort dso,symbol --stdio 2>/dev/null |
  grep -E '^ +[0-9]' > "$WORK/report"
python3 - "$WORK/report" <<'PY'
import re, sys
cats = {}
for line in open(sys.argv[1]):
    m = re.match(r"\s+([\d.]+)%\s+(\S+)\s+\[(.)\]\s+(.*?)\s{2,}", line)
    if not m: continue
    pct, dso, kind, sym = float(m[1]), m[2], m[3], m[4]
    if re.search(r"aws_lc|^bn_|sha256|sha512|edwards|curve25519|p256|ecdsa|ec_GFp|bignum", sym): c = "crypto (aws-lc)"
    elif kind == "k": c = "kernel"
    elif "sled" in sym: c = "sled"
    elif dso.startswith("libc") and re.search(r"malloc|free|realloc|memmove|memcpy|memset", sym): c = "libc alloc/copy"
    elif re.search(r"hyper|h1::|tokio|mio", sym): c = "hyper/tokio"
    elif re.search(r"serde|json", sym): c = "serde_json"
    else: c = "other"
    cats[c] = cats.get(c, 0) + pct
for c, p in sorted(cats.items(), key=lambda x: -x[1]):
    print(f"  {c:<18} {p:5.1f}%")
PY
echo "top symbols:"; head -${TOP:-12} "$WORK/report" | awk '{printf "  %s %s %s\n", $1, $2, $4}'
