#!/usr/bin/env bash
# CI: openid-client 6 and jose (npm, package-lock.json) against real dealers. check.mjs: the
# client-credentials grant with client_secret_post and client_secret_basic, right and wrong
# secrets. discovery.mjs: default discovery (openid-configuration), a token per audience, jose
# accepting its audience's token and refusing the other's; for an issuer at the listener's URL
# and one with a path. Exits non-zero if any check fails. Needs node (20+) and npm.
#
#   tests/interop/openid-client/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
. "$here/../lib.sh"
interop_init "${1:-}"

# openid-client 6 is built for Node.js 20 and later (Web Crypto as a global).
major="$(node -p 'process.versions.node.split(".")[0]')"
((major >= 20)) || fail "openid-client 6 needs Node.js 20 or later; node is $(node --version)"
# The locked versions exactly (package-lock.json); node_modules is not committed.
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

start_dealer root "$(free_port)"
root_issuer="$dealer_url"
port="$(free_port)"
start_dealer tenant "$port" --issuer "http://127.0.0.1:$port/tenant-a"
tenant_issuer="$dealer_url/tenant-a"

root_secret="$(register_client root oidc-check https://api.example https://other.example)"
tenant_secret="$(register_client tenant oidc-check https://api.example https://other.example)"

TOKENDEALER_CLIENT_SECRET="$root_secret" run_check "openid-client's client authentication against $root_issuer" \
    node "$here/check.mjs" "$root_issuer" oidc-check https://api.example
for dealer in root tenant; do
    issuer="${dealer}_issuer" secret="${dealer}_secret"
    echo "# default discovery and jose, issuer ${!issuer}"
    TOKENDEALER_CLIENT_SECRET="${!secret}" run_check "openid-client and jose against ${!issuer}" \
        node "$here/discovery.mjs" "${!issuer}" oidc-check https://api.example https://other.example
done
checks_passed "openid-client or jose did not get or verify tokens as expected"
