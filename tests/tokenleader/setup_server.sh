#!/usr/bin/env bash
# Create (or reuse) the venv with tokenleader 1.8 itself (its `adminops` builds the real
# databases the import is tested on) and tokenleaderclient 0.9, plus tokenleaderclient 0.9's
# sdist (its own tests, tokenleaderclient/tests/base_tests.py, are not in the wheel).
# Idempotent and non-interactive (safe under CI=true, no stdin); cached under target/.
#
#   tests/tokenleader/setup_server.sh      # venv at <repo>/target/tl18-venv
#   TL18_VENV=/tmp/v tests/tokenleader/setup_server.sh
#
# Prints the venv's python path as its last line; the sdist is at <venv>/sdist/.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
venv="${TL18_VENV:-$repo/target/tl18-venv}"
python="${PYTHON:-python3}"
pins=("tokenleader==1.8" "tokenleaderclient==0.9")
stamp="$venv/.tl18-stamp"

export PIP_NO_INPUT=1 PIP_DISABLE_PIP_VERSION_CHECK=1

want="$( { printf '%s\n' "${pins[@]}"; cat "$here/requirements-server.txt"; "$python" -c 'import sys; print(sys.version)'; } | sha256sum | cut -d' ' -f1)"

check() {
    "$venv/bin/python" - <<'PY'
import importlib.metadata as md
import sqlalchemy, flask_sqlalchemy, flask_migrate, konfig, werkzeug  # noqa: F401
from tokenleaderclient.client.client import Client  # noqa: F401
assert md.version("tokenleader") == "1.8", md.version("tokenleader")
assert md.version("tokenleaderclient") == "0.9", md.version("tokenleaderclient")
assert werkzeug.__version__ == "0.16.1", werkzeug.__version__
assert sqlalchemy.__version__ == "1.3.24", sqlalchemy.__version__
PY
    [[ -f "$venv/sdist/tokenleaderclient/tests/base_tests.py" && -x "$venv/bin/adminops" ]]
}

if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$want" ]] && check 2>/dev/null; then
    echo "tl18-venv up to date: $venv" >&2
    echo "$venv/bin/python"
    exit 0
fi

echo "creating tl18-venv at $venv" >&2
rm -f "$stamp"
"$python" -m venv "$venv"
"$venv/bin/python" -m pip install -q --upgrade pip >&2
# Their own pins (Flask 1.0.2, cryptography 2.3.1, PyYAML 3.13, ...) cannot install on 3.11:
# take them alone, and give them the versions that work.
"$venv/bin/python" -m pip install -q --no-deps "${pins[@]}" >&2
"$venv/bin/python" -m pip install -q -r "$here/requirements-server.txt" >&2
downloads="$(mktemp -d)"
"$venv/bin/python" -m pip download -q --no-deps --no-binary :all: -d "$downloads" "tokenleaderclient==0.9" >&2
rm -rf "$venv/sdist"
mkdir -p "$venv/sdist"
tar -xzf "$downloads"/tokenleaderclient-0.9.tar.gz -C "$venv/sdist" --strip-components=1
rm -rf "$downloads"
check
echo "$want" >"$stamp"
"$venv/bin/python" -m pip freeze >&2
echo "$venv/bin/python"
