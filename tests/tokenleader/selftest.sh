#!/usr/bin/env bash
# Prove the acceptance harness: run it against fake_server.py (a faithful
# tokenleader 1.8), which must pass everything in --strict mode, and against
# deliberately broken variants (--quirk), each of which must be caught.
# Needs no network beyond 127.0.0.1 once setup.sh has built the venv.
#
#   tests/tokenleader/selftest.sh [-v]
#
# Last line: "N passed, M failed" over the scenarios; exit 0 iff M == 0.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
verbose=0
[[ "${1:-}" == "-v" ]] && verbose=1

python="$("$here/setup.sh" | tail -n 1)"
work="$(mktemp -d "${TMPDIR:-/tmp}/tl-selftest.XXXXXX")"
server_pid=""

stop_server() {
    if [[ -n "$server_pid" ]]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
cleanup() {
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

user="user1"
password="selftest-$RANDOM$RANDOM"
role="role1"

start_server() {
    local ready="$work/ready" i
    rm -f "$ready"
    "$python" "$here/fake_server.py" --user "$user" --password "$password" \
        --roles "$role,role9" --ready-file "$ready" "$@" >"$work/server.out" 2>&1 &
    server_pid=$!
    for ((i = 0; i < 100; i++)); do
        [[ -s "$ready" ]] && break
        if ! kill -0 "$server_pid" 2>/dev/null; then
            cat "$work/server.out" >&2
            echo "fake server died" >&2
            exit 1
        fi
        sleep 0.1
    done
    [[ -s "$ready" ]] || { echo "fake server not ready after 10 s" >&2; exit 1; }
    port="$(sed -n 's/^PORT=//p' "$ready")"
    pubkey="$(sed -n 's/^TL_PUBKEY_SSH=//p' "$ready")"
}

passed=0
failed=0

# scenario NAME WANT_RC EXPECT_REGEX STRICT(0|1) [--quirk Q ...]
# WANT_RC: 0 = acceptance must pass, 1 = it must fail; EXPECT_REGEX must match
# its output (use '' to skip).
scenario() {
    local name="$1" want_rc="$2" expect="$3" strict="$4" rc=0 out
    shift 4
    start_server "$@"
    out="$work/$name.out"
    TL_URL="http://127.0.0.1:$port" TL_USER="$user" TL_PASSWORD="$password" \
        TL_PUBKEY_SSH="$pubkey" TL_ROLE="$role" TL_STRICT="$strict" \
        "$python" "$here/acceptance.py" >"$out" 2>&1 </dev/null || rc=$?
    stop_server
    local ok=1 why=""
    if [[ "$want_rc" == 0 && "$rc" != 0 ]]; then
        ok=0; why="acceptance exited $rc, wanted success"
    elif [[ "$want_rc" != 0 && "$rc" == 0 ]]; then
        ok=0; why="acceptance passed, wanted it to catch the fault"
    elif [[ -n "$expect" ]] && ! grep -Eq -- "$expect" "$out"; then
        ok=0; why="output lacks /$expect/"
    elif ! tail -n 1 "$out" | grep -Eq '^[0-9]+ passed, [0-9]+ failed(, [0-9]+ skipped)?$'; then
        ok=0; why="last line is not 'N passed, M failed'"
    fi
    if ((ok)); then
        passed=$((passed + 1))
        echo "PASS selftest $name -- $(tail -n 1 "$out")"
    else
        failed=$((failed + 1))
        echo "FAIL selftest $name -- $why"
    fi
    if ((verbose)) || ((!ok)); then
        sed 's/^/    /' "$out"
    fi
}

scenario faithful-strict   0 '^24 passed, 0 failed$' 1
scenario faithful-lenient  0 '^24 passed, 0 failed$' 0
scenario aud               1 'FAIL \[client\] token claims.*aud' 0 --quirk aud
scenario aud-local-verify  1 'FAIL \[client\] Client.verify_token\(token\) locally.*Invalid token' 0 --quirk aud
scenario rs256-lenient     0 'WARN \[wire\] +token header' 0 --quirk rs256
scenario rs256-strict      1 'FAIL \[wire\] +token header' 1 --quirk rs256
scenario status-200-strict 1 'FAIL \[wire\] +POST /token/gettoken.*HTTP 200' 1 --quirk status-200
scenario no-status         1 "FAIL \[client\] Client.get_token.*status is None" 0 --quirk no-status
scenario sub-string        1 'FAIL \[client\] Enforcer: route allowed' 0 --quirk sub-string
scenario no-wfc            1 'FAIL \[client\] Enforcer: route allowed' 0 --quirk no-wfc
scenario oauth-errors      1 "FAIL \[client\] get_token with a wrong password.*no 'status'" 0 --quirk oauth-errors
scenario expired           1 'FAIL \[client\] Client.verify_token\(token\) locally.*Signature expired' 0 --quirk expired

echo "$passed passed, $failed failed"
((failed == 0))
