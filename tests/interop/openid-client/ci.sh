#!/usr/bin/env bash
# CI: start the real tokendealer on a free port with temporary dirs, register a client with the
# CLI, and run openid-client 6 against it (check.mjs: client_secret_post and client_secret_basic,
# right and wrong secrets). Exits non-zero if any check fails. Needs node and npm.
#
#   tests/interop/openid-client/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../../.." && pwd)"
bin="${1:-$repo/target/debug/tokendealer}"
[[ -x "$bin" ]] || (cd "$repo" && cargo build --quiet)

# openid-client 6 is built for Node.js 20 and later (Web Crypto as a global).
major="$(node -p 'process.versions.node.split(".")[0]')"
(( major >= 20 )) || { echo "openid-client 6 needs Node.js 20 or later; node is $(node --version)" >&2; exit 1; }

# The locked versions exactly (package-lock.json); node_modules is not committed.
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

work="$(mktemp -d)"
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
url="http://127.0.0.1:$port"
RUST_LOG=warn "$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/data" --keys-dir "$work/keys" \
    >"$work/server.log" 2>&1 &
server=$!
cleanup() {
    kill -TERM "$server" 2>/dev/null && wait "$server" || true
    rm -rf "$work"
}
trap cleanup EXIT

for _ in $(seq 1 100); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$url/healthz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

secret="$("$bin" client add oidc-check --audience https://api.example --url "$url" --data-dir "$work/data" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["client_secret"])')"

TOKENDEALER_CLIENT_SECRET="$secret" node "$here/check.mjs" "$url" oidc-check https://api.example ||
    { echo "server log:" >&2; cat "$work/server.log" >&2; exit 1; }
