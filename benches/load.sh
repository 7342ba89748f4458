#!/usr/bin/env bash
# Load benchmark of a release-built tokendealer on this machine, with the raw signing ceiling
# measured in the same run so the result is a ratio, not an absolute number.
#
#   benches/load.sh [--alg RS512|EdDSA|ES256] [--clients N] [--jwks] [--duration S]
#                   [--connections C] [--signer pool|blocking|inline] [--workers N]
#                   [--pin-wrk CPU] [--openssl]
#
# --clients N  seeds N clients (seed-<i>, with the server stopped) and makes wrk pick one at random
#              per request; reports the sled size on disk and the start-up time to /healthz.
# --jwks       drives GET /.well-known/jwks.json instead of the token endpoint.
# --signer     where signatures run (TOKENDEALER_SIGNER); --workers sets TOKIO_WORKER_THREADS.
# --pin-wrk    runs wrk under `taskset -c CPU`; the server is never pinned.
# The load generator runs on the same 2 cores: its CPU share is measured and printed.
set -euo pipefail

ALG=RS512 CLIENTS=0 JWKS=0 DURATION=15 CONNS=16 SIGNER=pool WORKERS="" PIN="" OPENSSL=0
while [[ $# -gt 0 ]]; do
  case "$1" in
    --alg) ALG=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --jwks) JWKS=1; shift ;;
    --duration) DURATION=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --signer) SIGNER=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --pin-wrk) PIN=$2; shift 2 ;;
    --openssl) OPENSSL=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin tokendealer --example rsa_ceiling --example seed_clients
BIN=target/release/tokendealer
CORES=$(nproc)

WORK=$(mktemp -d /tmp/tokendealer-load.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
start_server() {
  local t0; t0=$(now_ms)
  env ${WORKERS:+TOKIO_WORKER_THREADS=$WORKERS} TOKENDEALER_SIGNER="$SIGNER" RUST_LOG=warn \
    "$BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" --keys-dir "$WORK/keys" \
    2>>"$WORK/server.log" &
  SERVER_PID=$!
  until curl -fsS "$URL/healthz" >/dev/null 2>&1; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.02
  done
  STARTUP_MS=$(( $(now_ms) - t0 ))
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }

start_server
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server: signer=$SIGNER tokio_workers=${WORKERS:-$CORES} connections=$CONNS duration=${DURATION}s"
echo "start-up to /healthz (empty db): ${STARTUP_MS} ms"

ID=bench SECRET=""
if [[ $JWKS -eq 0 ]]; then
  SECRET=$("$BIN" --url "$URL" --data-dir "$WORK/data" client add bench \
    --audience https://api.example --scope read --alg "$ALG" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
fi
if [[ $CLIENTS -gt 0 ]]; then
  stop_server
  target/release/examples/seed_clients "$WORK/data" "$CLIENTS" "$ALG"
  echo "sled size on disk with $CLIENTS clients: $(du -sh "$WORK/data" | cut -f1)"
  start_server
  echo "start-up to /healthz with $CLIENTS clients: ${STARTUP_MS} ms"
fi

if [[ $JWKS -eq 0 ]]; then
  CEILING=$(target/release/examples/rsa_ceiling "$CORES" 5 "$ALG" | awk '{print $3}')
  echo "ceiling: raw $ALG signatures/s on $CORES threads (aws-lc-rs, cached key): $CEILING"
  if [[ $OPENSSL -eq 1 ]]; then
    openssl speed -multi "$CORES" -seconds 5 rsa2048 2>/dev/null | grep -E '^rsa 2048|^ *sign' | tail -1 |
      sed 's/^/openssl speed -multi: /'
  fi
fi

TARGET="$URL/"
MODE=token; [[ $JWKS -eq 1 ]] && MODE=jwks
# Warm-up: connections open, caches filled.
wrk -t1 -c"$CONNS" -d2s -s benches/load.lua "$TARGET" -- "$MODE" "$ID" "$SECRET" "$CLIENTS" >/dev/null
S0=$(cpu_ticks "$SERVER_PID")
${PIN:+taskset -c $PIN} /usr/bin/time -f "WRKCPU %U %S" -o "$WORK/wrk.time" \
  wrk -t1 -c"$CONNS" -d"${DURATION}s" --latency -s benches/load.lua "$TARGET" -- "$MODE" "$ID" "$SECRET" "$CLIENTS" \
  > "$WORK/wrk.out"
S1=$(cpu_ticks "$SERVER_PID")
RESULT=$(grep '^RESULT' "$WORK/wrk.out")
echo "$RESULT"
read -r _ WU WS < "$WORK/wrk.time"
HZ=$(getconf CLK_TCK)
python3 - "$RESULT" "$WU" "$WS" "$S0" "$S1" "$HZ" "$CORES" "${CEILING:-0}" "$MODE" "$ALG" <<'PY'
import sys
res = dict(kv.split("=") for kv in sys.argv[1].split()[1:])
wu, ws, s0, s1, hz, cores, ceiling = map(float, sys.argv[2:9])
mode, alg = sys.argv[9], sys.argv[10]
dur, rps = float(res["duration_s"]), float(res["rps"])
wrk_share = (wu + ws) / (dur * cores)
srv_share = (s1 - s0) / hz / (dur * cores)
print(f"wrk CPU: {wrk_share:.1%} of the machine; server CPU: {srv_share:.1%}")
if mode == "token":
    print(f"tokens/s: {rps:.0f}  ({alg})")
    print(f"ratio tokens/s / raw {alg} signatures/s: {rps / ceiling:.3f}")
    if wrk_share < 1:
        print(f"ratio against the ceiling left after wrk's share: {rps / (ceiling * (1 - wrk_share)):.3f}")
else:
    print(f"jwks requests/s: {rps:.0f}")
print(f"p50: {res['p50_ms']} ms  p99: {res['p99_ms']} ms  failed (non-2xx + socket errors): {int(res['non2xx']) + int(res['socket_errors'])}")
PY
echo "server peak RSS (VmHWM): $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")"
