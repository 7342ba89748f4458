#!/usr/bin/env bash
# CI: Authlib (PyPI, pinned in requirements.txt) authenticating with private_key_jwt (RFC 7523)
# against a real dealer (check.py): `authlib.oauth2.rfc7523.PrivateKeyJWT` in an OAuth2Session
# gets client-credentials tokens with RS256, ES256 and EdDSA keys registered with --jwks, and
# with a key served at a --jwks-uri by a local http.server on 127.0.0.1 (the dealer started with
# [client_assertions] jwks_allow_http_loopback); each token verifies against the dealer's JWKS
# for its audience. A key the client never registered is invalid_client, one assertion sent
# twice is refused the second time, and after `client set-jwks` the old key is refused and the
# new one accepted. The venv is kept in target/ and rebuilt when requirements.txt changes. Needs
# python3 with venv, and PyPI for the first run.
#
#   tests/interop/authlib/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$here/../lib.sh"
interop_init "${1:-}"

venv="$interop_repo/target/interop-authlib-venv"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$here/requirements.txt" ||
        fail "could not install Authlib's pinned packages"
    echo "$want" >"$venv/.requirements"
fi

keys="$work/client-keys"
"$venv/bin/python" "$here/check.py" keys "$keys" || fail "could not make the client keys"
# pk-uri's keys, published the way a service publishes its own: a static file over HTTP.
mkdir -p "$keys/served"
cp "$keys/uri.jwks.json" "$keys/served/jwks.json"
jwks_port="$(free_port)"
start_background "$work/jwks-server.log" python3 -m http.server --bind 127.0.0.1 \
    --directory "$keys/served" "$jwks_port"
wait_for "http://127.0.0.1:$jwks_port/jwks.json" -f

TOKENDEALER_CLIENT_ASSERTIONS_JWKS_ALLOW_HTTP_LOOPBACK=true start_dealer main "$(free_port)"
audience=https://api.example
for client in rsa ec ed; do
    admin main client add "pk-$client" --audience "$audience" --jwks "$keys/$client.jwks.json" >/dev/null ||
        fail "could not register pk-$client with --jwks"
done
admin main client add pk-uri --audience "$audience" --jwks-uri "http://127.0.0.1:$jwks_port/jwks.json" \
    >/dev/null || fail "could not register pk-uri with --jwks-uri"
admin main client add pk-rot --audience "$audience" --jwks "$keys/old.jwks.json" >/dev/null ||
    fail "could not register pk-rot"

run_check "Authlib's PrivateKeyJWT against $dealer_url" \
    "$venv/bin/python" "$here/check.py" tokens "$dealer_url" "$keys" "$audience"
admin main client set-jwks pk-rot "$keys/new.jwks.json" >/dev/null || fail "could not re-key pk-rot"
run_check "Authlib's PrivateKeyJWT after a key rotation" \
    "$venv/bin/python" "$here/check.py" rotated "$dealer_url" "$keys" "$audience"
checks_passed "Authlib's private_key_jwt did not get or lose tokens as expected"
