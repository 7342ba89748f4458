#!/usr/bin/env bash
# CI: a client that knows only a service's URL (RFC 9728, what MCP clients do), on oauth4webapi
# (npm, package-lock.json), against tokendealer-client's protected_resource example in front of
# a real dealer (check.mjs): from the 401 to the metadata, to the dealer, to a token, to 200; a
# token for another audience 401. Needs node (20+), npm and cargo (builds the example).
#
#   tests/interop/rfc9728/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$here/../lib.sh"
interop_init "${1:-}"

(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)
(cd "$interop_repo" && cargo build --quiet -p tokendealer-client --example protected_resource) ||
    fail "the protected_resource example did not build"

start_dealer main "$(free_port)"
service_port="$(free_port)"
resource="http://127.0.0.1:$service_port/runs"
secret="$(register_client main svc "$resource" https://other.example --scope runs:read)"

DEALER_URL="$dealer_url" LISTEN="127.0.0.1:$service_port" \
    start_background "$work/service.log" "$interop_repo/target/debug/examples/protected_resource"
wait_for "$resource"

TOKENDEALER_CLIENT_SECRET="$secret" node "$here/check.mjs" "$resource" svc https://other.example ||
    fail "oauth4webapi from $resource"
