#!/usr/bin/env bash
# CI: start the real tokendealer, set up a tokenleader-style user with the CLI, and run the
# tokenleaderclient 0.9 acceptance harness against it. Exits non-zero if any check fails.
#
#   tests/tokenleader/ci.sh [path/to/tokendealer]      (default: target/debug/tokendealer)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${1:-$repo/target/debug/tokendealer}"
[[ -x "$bin" ]] || (cd "$repo" && cargo build --quiet)

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

td() { "$bin" "$@" --url "$url" --data-dir "$work/data" >/dev/null; }
td org add acme
td ou add engineering
td dept add platform
td wfc add acme-eng-platform --org acme --ou engineering --dept platform
td role add ops
td service add micros1 --internal-url http://micros1.internal:5002 --external-url https://micros1.example.com
password="$(python3 -c 'import secrets; print(secrets.token_urlsafe(18))')"
printf '%s\n' "$password" | td user add alice --email alice@acme.test --role ops --wfc acme-eng-platform --password-stdin

TL_PASSWORD="$password" TL_PUBKEY_CMD="$bin keys show --format ssh --url $url --data-dir $work/data" \
    "$here/run_against.sh" "$url" alice ops
