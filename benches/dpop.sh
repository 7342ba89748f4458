#!/usr/bin/env bash
# DPoP-bound tokens per second against bearer tokens per second, on one release-built dealer in
# one run (issue 25's goal: DPoP ≥ 0.85 of bearer). Rounds alternate bearer and DPoP requests of
# one client with wrk (benches/dpop.lua, the same Lua call per request on both sides); each DPoP
# request carries a fresh proof (examples/dpop_proofs.rs, made before the round: a proof is good
# once) of one key: ES256 unless --proof-alg names EdDSA or RS256. The ratio is taken per round pair and the median printed (benches/ratio_rounds.py),
# with the load average before and after.
#
#   benches/dpop.sh [--alg RS512|EdDSA|ES256] [--proof-alg ES256|EdDSA|RS256] [--rounds N] [--round-secs S] [--connections C] [--bin PATH]
set -euo pipefail

ALG=RS512 PROOF_ALG=ES256 ROUNDS=3 ROUND_SECS=4 CONNS=16 BIN=target/release/tokendealer
while [[ $# -gt 0 ]]; do
  case "$1" in
    --alg) ALG=$2; shift 2 ;;
    --proof-alg) PROOF_ALG=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --round-secs) ROUND_SECS=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --bin) BIN=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
cargo build --release --quiet --bin tokendealer --example dpop_proofs
source benches/ratio_dealer.sh
SECRET=$(admin client add bench --audience https://api.example --scope read --alg "$ALG" --field client_secret)
echo "server: $BIN (defaults: sled, per-thread I/O), token alg $ALG, proof alg $PROOF_ALG, connections=$CONNS, rounds=${ROUNDS}x(bearer ${ROUND_SECS}s + DPoP ${ROUND_SECS}s)"

# Enough proofs for a round at 40,000 tokens/s, far above this dealer's RS512 rate; an RSA proof
# takes as long to make as an RS512 token, so 8,000/s (about twice that rate here) for those.
PER_SEC=40000; [[ $PROOF_ALG == RS256 ]] && PER_SEC=8000
PROOFS=$((ROUND_SECS * PER_SEC))
wrk_round() { wrk -t1 -c"$CONNS" -d"${ROUND_SECS}s" --latency -s benches/dpop.lua "$URL" -- bench "$SECRET" "$@" | grep '^RESULT'; }
wrk_round >/dev/null # warm-up
: > "$WORK/rounds"
for ((r = 1; r <= ROUNDS; r++)); do
  target/release/examples/dpop_proofs "$URL/oauth/token" "$PROOFS" "$PROOF_ALG" > "$WORK/proofs.txt"
  echo "base $(measured wrk_round)" >> "$WORK/rounds"
  echo "other $(measured wrk_round "$WORK/proofs.txt")" >> "$WORK/rounds"
done
python3 benches/ratio_rounds.py "$WORK/rounds" bearer DPoP 0.85
echo "load average after: $(load)"
