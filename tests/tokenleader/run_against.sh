#!/usr/bin/env bash
# Run the tokenleaderclient 0.9 acceptance harness against a running server
# (the real tokendealer, or anything else that claims to be tokenleader 1.8).
#
#   tests/tokenleader/run_against.sh [--strict] [--keep] URL USER ROLE
#
# The password and the server's public key come from the environment, so that
# they stay out of the process list:
#   TL_PASSWORD     the user's password (required)
#   TL_PUBKEY_SSH   "ssh-rsa AAAA..." or @FILE;  or
#   TL_PUBKEY_CMD   a command printing it, e.g. "target/release/tokendealer keys show --format ssh"
#   TL_SSL_VERIFY   false (default) / true / CA bundle path
#   TL_VENV         venv location (default <repo>/target/tl-venv)
# URL USER ROLE may also be given as TL_URL TL_USER TL_ROLE.
# --strict: differences from tokenleader 1.8's exact answers ([wire] checks) fail
# instead of warning.  Exit status: 0 iff no check failed.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

usage() {
    sed -n '2,16p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
    exit 2
}

extra=()
positional=()
while (($#)); do
    case "$1" in
        --strict | --keep) extra+=("$1") ;;
        -h | --help) usage ;;
        --) shift; positional+=("$@"); break ;;
        -*) echo "unknown option: $1" >&2; usage ;;
        *) positional+=("$1") ;;
    esac
    shift
done

TL_URL="${positional[0]:-${TL_URL:-}}"
TL_USER="${positional[1]:-${TL_USER:-}}"
TL_ROLE="${positional[2]:-${TL_ROLE:-}}"
if ((${#positional[@]} > 3)); then
    echo "too many arguments (the password and key go in TL_PASSWORD / TL_PUBKEY_SSH)" >&2
    usage
fi
if [[ -z "${TL_PUBKEY_SSH:-}" && -n "${TL_PUBKEY_CMD:-}" ]]; then
    # word splitting of the command is intended
    # shellcheck disable=SC2086
    TL_PUBKEY_SSH="$($TL_PUBKEY_CMD)"
fi
for v in TL_URL TL_USER TL_ROLE TL_PASSWORD TL_PUBKEY_SSH; do
    if [[ -z "${!v:-}" ]]; then
        echo "missing $v" >&2
        usage
    fi
done
export TL_URL TL_USER TL_ROLE TL_PASSWORD TL_PUBKEY_SSH

python="$("$here/setup.sh" | tail -n 1)"
exec "$python" "$here/acceptance.py" ${extra[@]+"${extra[@]}"}
