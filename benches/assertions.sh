#!/usr/bin/env bash
# A private_key_jwt client's tokens per second against a secret client's, on one release-built
# dealer in one run (issue 24's goal: >= 0.85). Rounds alternate the two clients with wrk
# (benches/assertions.lua: every body built before the round, the same Lua call per request on
# both sides); the assertions are signed before each round (examples/client_assertions.rs: an
# assertion is good once), so the generator signs nothing while the dealer is timed. The ratio is
# taken per round pair and the median printed, with the load average before and after.
#
#   benches/assertions.sh [--alg RS512|EdDSA|ES256] [--key-alg ES256|EdDSA|RS256] [--rounds N]
#                         [--round-secs S] [--connections C] [--bin PATH]
# --alg: the tokens' algorithm (both clients); --key-alg: the assertion's key (default ES256).
set -euo pipefail

ALG=RS512 KEY_ALG=ES256 ROUNDS=3 ROUND_SECS=4 CONNS=16 BIN=target/release/tokendealer
while [[ $# -gt 0 ]]; do
  case "$1" in
    --alg) ALG=$2; shift 2 ;;
    --key-alg) KEY_ALG=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --round-secs) ROUND_SECS=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin tokendealer --example client_assertions
MAKE=target/release/examples/client_assertions

WORK=$(mktemp -d /tmp/tokendealer-assertions.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

# Every assertion is good once and held in the single-use record until it expires: at thousands of
# tokens/s one client outgrows the default bounds (100,000 in all, a tenth of that per client)
# within seconds and is refused by design. The bench raises both so that it measures the cost of
# a token, not the bound (4,000,000 entries: a few hundred MB of sled at most).
TOKENDEALER_CLIENT_ASSERTIONS_MAX_SINGLE_USE=4000000 \
TOKENDEALER_CLIENT_ASSERTIONS_MAX_SINGLE_USE_PER_CLIENT=4000000 \
RUST_LOG=warn "$BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" \
  --keys-dir "$WORK/keys" 2>>"$WORK/server.log" &
SERVER_PID=$!
until curl -fsS "$URL/healthz" >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.02
done
admin() { "$BIN" --url "$URL" --data-dir "$WORK/data" "$@"; }
SECRET=$(admin client add bench-secret --audience https://api.example --alg "$ALG" --field client_secret)
"$MAKE" key "$KEY_ALG" "$WORK/key.pem" > "$WORK/jwks.json"
admin client add bench-jwt --audience https://api.example --alg "$ALG" --jwks "$WORK/jwks.json" >/dev/null
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average: $(load)"
echo "server: $BIN (defaults: sled, per-thread I/O), token alg $ALG, assertion key $KEY_ALG, connections=$CONNS, rounds=${ROUNDS}x(secret ${ROUND_SECS}s + private_key_jwt ${ROUND_SECS}s)"

# Enough assertions for a round at 15,000 tokens/s (RS512 tokens: ~5x this dealer's rate here),
# 60,000/s for the faster algorithms. Each lives the round and a minute: the single-use record
# (bound 100,000, shared with DPoP) forgets them soon after.
PER_SEC=15000; [[ $ALG == RS512 ]] || PER_SEC=60000
COUNT=$((ROUND_SECS * PER_SEC))
# The server's CPU time (user + system, clock ticks) and context switches (every thread) around
# a round: tokens per server CPU-second moves less with other load than tokens per second.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
switches() { cat /proc/"$SERVER_PID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }
measured() {
  local t0 x0 result
  t0=$(cpu_ticks) x0=$(switches)
  result=$("$@")
  echo "$result server_ticks=$(($(cpu_ticks) - t0)) switches=$(($(switches) - x0))"
}
wrk_round() { wrk -t1 -c"$CONNS" -d"${ROUND_SECS}s" --latency -s benches/assertions.lua "$URL" -- "$@" | grep '^RESULT'; }
wrk_round secret bench-secret "$SECRET" >/dev/null # warm-up
: > "$WORK/rounds"
for ((r = 1; r <= ROUNDS; r++)); do
  "$MAKE" sign "$WORK/key.pem" bench-jwt "$URL" "$COUNT" $((ROUND_SECS * 3 + 60)) > "$WORK/assertions.txt"
  echo "base $(measured wrk_round secret bench-secret "$SECRET")" >> "$WORK/rounds"
  echo "other $(measured wrk_round assertion "$WORK/assertions.txt")" >> "$WORK/rounds"
done
python3 benches/ratio_rounds.py "$WORK/rounds" secret private_key_jwt 0.85
echo "load average after: $(load)"
