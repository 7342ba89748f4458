#!/usr/bin/env bash
# Create (or reuse) the Python venv for the tokenleaderclient 0.9 acceptance
# harness. Idempotent and non-interactive (safe under CI=true, no stdin).
#
#   tests/tokenleader/setup.sh            # venv at <repo>/target/tl-venv
#   TL_VENV=/tmp/v tests/tokenleader/setup.sh
#
# Prints the venv's python path as its last line.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${TL_VENV:-$repo/target/tl-venv}"
python="${PYTHON:-python3}"
client_pin="tokenleaderclient==0.9"
stamp="$venv/.tl-harness-stamp"

export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

want="$( { echo "$client_pin"; cat "$here/requirements.txt"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"

check_imports() {
    "$venv/bin/python" - <<'PY'
import importlib.metadata as md
import jwt, flask, yaml, requests, cryptography  # noqa: F401
from tokenleaderclient.client.client import Client  # noqa: F401
from tokenleaderclient.rbac.enforcer import Enforcer  # noqa: F401
assert md.version("tokenleaderclient") == "0.9", md.version("tokenleaderclient")
assert md.version("PyJWT") == "1.7.0", md.version("PyJWT")
assert md.version("Flask") == "1.1.4", md.version("Flask")
PY
}

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && check_imports 2>/dev/null; then
    echo "tl-venv up to date: $venv" >&2
    echo "$venv/bin/python"
    exit 0
fi

echo "creating tl-venv at $venv" >&2
rm -f "$stamp"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >&2
# tokenleaderclient's own pins cannot install on Python 3.11: take it alone...
"$venv/bin/python" -m pip install -q --no-deps "$client_pin" >&2
# ...and give it the versions that work (see requirements.txt).
"$venv/bin/python" -m pip install -q -r "$here/requirements.txt" >&2
check_imports
echo "$want" >"$stamp"
"$venv/bin/python" -m pip freeze >&2
echo "$venv/bin/python"
