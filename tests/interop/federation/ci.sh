#!/usr/bin/env bash
# CI: workload identity federation end to end, as README's steps go: a stand-in Kubernetes
# issuer (issuer.py: discovery and JWKS over plain HTTP on loopback, allowed by the dealer's
# development setting), `trust add` with discovered keys, `client add --federated`, then a
# token for the client with the service account's token as the client_assertion; another
# service account's token, and one for another audience, are invalid_client.
#
#   tests/interop/federation/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$here/../lib.sh"
interop_init "${1:-}"

# PyJWT and cryptography as the PyJWT check pins them (the same venv).
requirements="$here/../pyjwt/requirements.txt"
venv="$interop_repo/target/interop-pyjwt-venv"
want="$(sha256sum "$requirements" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$requirements" ||
        fail "could not install PyJWT's pinned packages"
    echo "$want" >"$venv/.requirements"
fi

issuer_port="$(free_port)"
issuer="http://127.0.0.1:$issuer_port"
start_background "$work/issuer.log" "$venv/bin/python" "$here/issuer.py" "$issuer_port"
wait_for "$issuer/openid/v1/jwks" -f

TOKENDEALER_CLIENT_ASSERTIONS_JWKS_ALLOW_HTTP_LOOPBACK=true start_dealer main "$(free_port)"
admin main trust add cluster --issuer "$issuer" >/dev/null || fail "trust add"
admin main client add billing-worker --audience https://api.example \
    --federated cluster=system:serviceaccount:billing:worker >/dev/null || fail "client add --federated"

mint() { curl -fsS --max-time 5 "$issuer/mint?sub=$1&aud=$2"; }
# token_status ASSERTION [FORM…]: the status of a token request with that client assertion.
token_status() {
    local assertion="$1"
    shift
    curl -sS --max-time 10 -o "$work/answer.json" -w '%{http_code}' \
        -d grant_type=client_credentials \
        -d client_assertion_type=urn:ietf:params:oauth:client-assertion-type:jwt-bearer \
        -d "client_assertion=$assertion" "$@" "$dealer_url/oauth/token"
}

expect "the worker's service-account token gets a token" 200 \
    "$(token_status "$(mint billing:worker "$dealer_url")")"
expect "whose client_id is the bound client" billing-worker \
    "$(python3 -c 'import base64, json, sys
t = json.load(open(sys.argv[1]))["access_token"].split(".")[1]
print(json.loads(base64.urlsafe_b64decode(t + "=" * (-len(t) % 4)))["client_id"])' "$work/answer.json")"
expect "the same projected token again (no single use)" 200 \
    "$(token_status "$(mint billing:worker "$dealer_url")" -d client_id=billing-worker)"
expect "another service account's token" 401 "$(token_status "$(mint billing:other "$dealer_url")")"
expect "a token for another audience" 401 "$(token_status "$(mint billing:worker https://elsewhere.example)")"
checks_passed "workload identity federation against $dealer_url"
