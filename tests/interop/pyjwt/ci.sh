#!/usr/bin/env bash
# CI: PyJWT (PyPI, pinned in requirements.txt) verifying a real dealer's tokens (verify.py):
# PyJWKClient on the discovered jwks_uri, jwt.decode with audience, issuer and RS512; its
# audience's token accepted, another's refused. The venv is kept in target/ and rebuilt when
# requirements.txt changes. Needs python3 with venv, and PyPI for the first run.
#
#   tests/interop/pyjwt/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$here/../lib.sh"
interop_init "${1:-}"

venv="$interop_repo/target/interop-pyjwt-venv"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$here/requirements.txt" ||
        fail "could not install PyJWT's pinned packages"
    echo "$want" >"$venv/.requirements"
fi

start_dealer main "$(free_port)"
secret="$(register_client main svc https://api.example https://other.example)"
TOKENDEALER_CLIENT_SECRET="$secret" "$venv/bin/python" "$here/verify.py" "$dealer_url" svc \
    https://api.example https://other.example || fail "PyJWT against $dealer_url"
