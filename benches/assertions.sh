#!/usr/bin/env bash
# A private_key_jwt client's tokens/s against a secret client's, in one run on one server
# (issue 24: goal >= 0.85). Usage: benches/assertions.sh [SECS] [TASKS]
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --bin tokendealer --example assertion_load
DIR=$(mktemp -d)
PORT=$((20000 + RANDOM % 20000))
target/release/tokendealer serve --listen "127.0.0.1:$PORT" --data-dir "$DIR/data" --keys-dir "$DIR/keys" \
  > "$DIR/serve.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null; rm -rf "$DIR"' EXIT
for _ in $(seq 100); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && break; sleep 0.1; done
target/release/examples/assertion_load "http://127.0.0.1:$PORT" "$DIR/data" "${1:-10}" "${2:-16}"
