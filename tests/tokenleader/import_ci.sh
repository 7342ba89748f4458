#!/usr/bin/env bash
# CI: build a real tokenleader 1.8 database with tokenleader's own adminops (in a private mount
# namespace: the real /etc is never written), import it into a real tokendealer listening on
# 127.0.0.1:5001, check the import and the logins (import_checks.py), then run tokenleaderclient
# 0.9's own test-suite, tokenleaderclient/tests/base_tests.py from its sdist, unchanged: it
# hard-codes user1/user1 and http://localhost:5001. Exits non-zero if anything fails.
#
#   tests/tokenleader/import_ci.sh [path/to/tokendealer]      (default: target/debug/tokendealer)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
repo="$(cd "$here/../.." && pwd)"
bin="${1:-$repo/target/debug/tokendealer}"
[[ -x "$bin" ]] || (cd "$repo" && cargo build --quiet)
bin="$(cd "$(dirname "$bin")" && pwd)/$(basename "$bin")"

python="$("$here/setup_server.sh" | tail -n 1)"
sdist="$(dirname "$(dirname "$python")")/sdist"
work="$(mktemp -d)"
server=""
cleanup() {
    if [[ -n "$server" ]]; then
        kill -TERM "$server" 2>/dev/null && wait "$server" || true
    fi
    rm -rf "$work"
}
trap cleanup EXIT

echo "== tokenleader 1.8 adminops: building the database"
"$here/tl_adminops.sh" "$work/tl" "$here/import_scenario.sh" >"$work/adminops.log" 2>&1 ||
    { cat "$work/adminops.log" >&2; exit 1; }
db="$work/tl/auth.db"

# base_tests.py hard-codes http://localhost:5001.
port_free() {
    "$python" -c 'import socket, sys
s = socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try: s.bind(("127.0.0.1", 5001))
except OSError: sys.exit(1)'
}
for _ in $(seq 1 30); do port_free && break; sleep 1; done
if ! port_free; then
    echo "error: 127.0.0.1:5001 is in use; tokenleaderclient's tests need it:" >&2
    (ss -ltnp 'sport = :5001' || true) >&2
    exit 1
fi

url="http://127.0.0.1:5001"
printf '[users]\nmin_password_length = 5\n' >"$work/tokendealer.toml"
RUST_LOG=warn "$bin" serve --listen 127.0.0.1:5001 --data-dir "$work/data" --keys-dir "$work/keys" \
    --config "$work/tokendealer.toml" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -fsS "$url/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
curl -fsS "$url/healthz" >/dev/null || { cat "$work/server.log" >&2; exit 1; }

echo "== import and logins"
"$python" "$here/import_checks.py" "$bin" "$url" "$work/data" "$db"

echo "== tokenleaderclient 0.9's own tests (tokenleaderclient/tests/base_tests.py, unchanged)"
suite="$work/tlclient"
cp -r "$sdist" "$suite"
testdata="$suite/tokenleaderclient/tests/testdata"
cat >"$testdata/test_general_configs.yml" <<YML
user_auth_info_from: file
user_auth_info_file_location: tokenleaderclient/tests/testdata/test_settings.ini
fernet_key_file: tokenleaderclient/tests/testdata/fernet_key
tl_public_key: $("$bin" keys show --format ssh --url "$url")
ssl_verify: False
tl_user: user1
tl_url: http://localhost:5001
YML
# What `tokenleader-auth -p user1` does: the suite's module-level clients read this file.
(cd "$suite" && HOME="$work" "$python" -c '
from tokenleaderclient.configs.config_handler import Configs
Configs(config_file="tokenleaderclient/tests/testdata/test_general_configs.yml").generate_user_auth_file("user1")
' >/dev/null)
if (cd "$suite" && HOME="$work" "$python" -m unittest -v tokenleaderclient.tests.base_tests \
        >"$work/base_tests.log" 2>&1); then
    ran="$(grep -Eo '^Ran [0-9]+ tests?' "$work/base_tests.log" | grep -Eo '[0-9]+')"
    grep -Eo '^test_[a-z_]+' "$work/base_tests.log" | sed 's/^/ok /'
    echo "base_tests: $ran passed, 0 failed"
else
    cat "$work/base_tests.log" >&2
    echo "base_tests: FAILED" >&2
    exit 1
fi
