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
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$here/../lib.sh"
interop_init "${1:-}"

# openid-client 6 is built for Node.js 20 and later (Web Crypto as a global).
major="$(node -p 'process.versions.node.split(".")[0]')"
((major >= 20)) || fail "openid-client 6 needs Node.js 20 or later; node is $(node --version)"
# The locked versions exactly (package-lock.json); node_modules is not committed.
(cd "$here" && npm ci --no-audit --no-fund --loglevel=error >/dev/null)

declare -A issuers secrets
start_dealer root "$(free_port)"
issuers[root]="$dealer_url"
port="$(free_port)"
start_dealer tenant "$port" --issuer "http://127.0.0.1:$port/tenant-a"
issuers[tenant]="$dealer_url/tenant-a"
for dealer in root tenant; do
    secrets[$dealer]="$(register_client "$dealer" oidc-check https://api.example https://other.example)"
done

TOKENDEALER_CLIENT_SECRET="${secrets[root]}" run_check "openid-client's client authentication against ${issuers[root]}" \
    node "$here/check.mjs" "${issuers[root]}" oidc-check https://api.example
for dealer in root tenant; do
    echo "# default discovery and jose, issuer ${issuers[$dealer]}"
    TOKENDEALER_CLIENT_SECRET="${secrets[$dealer]}" run_check "openid-client and jose against ${issuers[$dealer]}" \
        node "$here/discovery.mjs" "${issuers[$dealer]}" oidc-check https://api.example https://other.example
done
checks_passed "openid-client or jose did not get or verify tokens as expected"
