#!/usr/bin/env bash
# What a refused client assertion costs, by reason: a known client with a wrong key against an
# unknown client and an untrusted issuer (issue 24). Usage: benches/assertion_timing.sh [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin tokendealer --example assertion_timing
DIR=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
target/release/tokendealer serve --listen "127.0.0.1:$PORT" --data-dir "$DIR/data" --keys-dir "$DIR/keys" \
  > "$DIR/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
target/release/examples/assertion_timing "http://127.0.0.1:$PORT" "$DIR/data" "${1:-1000}"
