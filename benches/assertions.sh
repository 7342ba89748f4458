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
cargo build --release --quiet --bin tokendealer --example client_assertions
MAKE=target/release/examples/client_assertions
source benches/ratio_dealer.sh
SECRET=$(admin client add bench-secret --audience https://api.example --alg "$ALG" --field client_secret)
"$MAKE" key "$KEY_ALG" "$WORK/key.pem" > "$WORK/jwks.json"
admin client add bench-jwt --audience https://api.example --alg "$ALG" --jwks "$WORK/jwks.json" >/dev/null
echo "server: $BIN (defaults: sled, per-thread I/O), token alg $ALG, assertion key $KEY_ALG, connections=$CONNS, rounds=${ROUNDS}x(secret ${ROUND_SECS}s + private_key_jwt ${ROUND_SECS}s)"

# Enough assertions for a round at 15,000 tokens/s (RS512 tokens: ~5x this dealer's rate here),
# 60,000/s for the faster algorithms. Each lives the round and a minute: the single-use record
# (bound 100,000, shared with DPoP) forgets them soon after.
PER_SEC=15000; [[ $ALG == RS512 ]] || PER_SEC=60000
COUNT=$((ROUND_SECS * PER_SEC))
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
