#!/usr/bin/env bash
# CI: openid-client 6 and jose (npm, package-lock.json) against real dealers. check.mjs: the
# client-credentials grant with client_secret_post and client_secret_basic, right and wrong
# secrets. discovery.mjs: default discovery (openid-configuration), a token per audience, jose
# accepting its audience's token and refusing the other's; for an issuer at the listener's URL
# and one with a path. dpop.mjs: DPoP-bound tokens through openid-client's DPoP handle, with and
# without nonces. pkjwt.mjs: private_key_jwt through openid-client's PrivateKeyJwt with RSA, EC
# and Ed25519 keys registered with --jwks, and one served at a --jwks-uri by a local http.server
# on 127.0.0.1 (that dealer started with [client_assertions] jwks_allow_http_loopback); a key the
# client never registered is invalid_client. Exits non-zero if any check fails. Needs node (20+),
# npm and python3.
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
# DPoP (RFC 9449): openid-client's DPoP handle, nonces off, then on (one retry after
# use_dpop_nonce); the client registered --dpop gets no token without a proof.
port="$(free_port)"
TOKENDEALER_DPOP_NONCE=true start_dealer nonce "$port"
issuers[nonce]="$dealer_url"
for dealer in root nonce; do
    admin "$dealer" client add dpop-check --audience https://api.example --dpop >"$work/$dealer-dpop.json" ||
        fail "could not register dpop-check on $dealer"
    secrets[$dealer-dpop]="$(python3 -c 'import json, sys; print(json.load(open(sys.argv[1]))["client_secret"])' "$work/$dealer-dpop.json")"
done
expect "a --dpop client without a proof" 400 "$(printf 'client_secret=%s' "${secrets[root-dpop]}" |
    curl -sS --max-time 10 -o /dev/null -w '%{http_code}' -d grant_type=client_credentials \
        -d client_id=dpop-check -d @- "${issuers[root]}/oauth/token")"
TOKENDEALER_CLIENT_SECRET="${secrets[root-dpop]}" run_check "openid-client's DPoP against ${issuers[root]}" \
    node "$here/dpop.mjs" "${issuers[root]}" dpop-check https://api.example
TOKENDEALER_CLIENT_SECRET="${secrets[nonce-dpop]}" run_check "openid-client's DPoP with nonces against ${issuers[nonce]}" \
    node "$here/dpop.mjs" "${issuers[nonce]}" dpop-check https://api.example nonce
# private_key_jwt (RFC 7523): openid-client's PrivateKeyJwt, keys made by pkjwt.mjs.
keys="$work/pkjwt-keys"
node "$here/pkjwt.mjs" keys "$keys" || fail "could not make the private_key_jwt keys"
mkdir -p "$keys/served"
cp "$keys/uri.jwks.json" "$keys/served/jwks.json"
jwks_port="$(free_port)"
start_background "$work/jwks-server.log" python3 -m http.server --bind 127.0.0.1 \
    --directory "$keys/served" "$jwks_port"
wait_for "http://127.0.0.1:$jwks_port/jwks.json" -f
TOKENDEALER_CLIENT_ASSERTIONS_JWKS_ALLOW_HTTP_LOOPBACK=true start_dealer pkjwt "$(free_port)"
issuers[pkjwt]="$dealer_url"
for key in rsa ec ed; do
    admin pkjwt client add "pkjwt-$key" --audience https://api.example --jwks "$keys/$key.jwks.json" \
        >/dev/null || fail "could not register pkjwt-$key with --jwks"
done
admin pkjwt client add pkjwt-uri --audience https://api.example \
    --jwks-uri "http://127.0.0.1:$jwks_port/jwks.json" >/dev/null || fail "could not register pkjwt-uri"
run_check "openid-client's PrivateKeyJwt against ${issuers[pkjwt]}" \
    node "$here/pkjwt.mjs" check "${issuers[pkjwt]}" "$keys" https://api.example
checks_passed "openid-client or jose did not get or verify tokens as expected"
