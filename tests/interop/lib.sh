# shellcheck shell=bash
# Shared by the interop scripts (tests/interop/*/ci.sh): real dealers on free ports with
# temporary dirs, clients registered with the CLI, a throwaway CA, and one exit path that stops
# everything started and, on failure, prints every log. Sourced, not run:
#
#   . "$(dirname "${BASH_SOURCE[0]}")/../lib.sh"
#   interop_init "${1:-}"                       # the dealer binary (default: target/debug/tokendealer)
#   port="$(free_port)"
#   start_dealer main "$port" [serve flags…]    # sets dealer_url; waits for /healthz
#   secret="$(register_client main svc https://api.example https://other.example)"
#   token="$(get_token main svc "$secret" https://api.example)"
#   expect "what" 200 "$got"; run_check "what" checker args…   # ok / not ok lines, counted
#   checks_passed "what did not match"          # or fail "…": the message, then the logs; exit 1
#
# Every request has a deadline (curl --max-time; the checkers' own timeouts), so a dealer that
# hangs fails the script instead of holding CI.

interop_repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"

# The binary, the temporary folder ($work), and the exit trap. Call first.
interop_init() {
    bin="${1:-$interop_repo/target/debug/tokendealer}"
    [[ -x "$bin" ]] || (cd "$interop_repo" && cargo build --quiet)
    [[ -x "$bin" ]] || fail "no dealer binary at $bin"
    work="$(mktemp -d /tmp/tokendealer-interop.XXXXXX)"
    interop_pids=()
    interop_logs=()
    declare -gA dealer_urls=() dealer_cas=()
    trap interop_exit EXIT
}

# Stops what was started (by PID, newest first: a service before the dealer it reads), and
# prints the logs when the script fails, whatever failed.
interop_exit() {
    local status=$? i log
    set +e # a service killed by the signal reports 143: not this script's failure
    if ((status != 0)); then
        for log in "${interop_logs[@]}"; do
            echo "--- ${log#"$work"/}" >&2
            if [[ -s "$log" ]]; then tail -n 80 "$log" >&2; else echo "(empty)" >&2; fi
        done
    fi
    for ((i = ${#interop_pids[@]} - 1; i >= 0; i--)); do
        kill -TERM "${interop_pids[i]}" 2>/dev/null && wait "${interop_pids[i]}" 2>/dev/null
    done
    rm -rf "$work"
    exit "$status"
}

fail() {
    echo "FAIL: $*" >&2
    exit 1
}

# expect WHAT WANT GOT: one line per check, as the Node checks print; checks_passed at the end
# fails the script if any did not match.
interop_failed=0
expect() {
    if [[ "$3" == "$2" ]]; then
        echo "ok - $1: $3"
    else
        echo "not ok - $1: $3, expected $2"
        interop_failed=1
    fi
}
# run_check WHAT COMMAND…: a checker program (its own ok/not ok lines); a failure is counted
# and the next checker still runs.
run_check() {
    local what="$1"
    shift
    "$@" || { echo "not ok - $what" && interop_failed=1; }
}
checks_passed() {
    ((interop_failed == 0)) || fail "$1"
}

free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# start_background LOG COMMAND…: runs it, remembers its PID for the exit and LOG for a failure.
start_background() {
    local log="$1"
    shift
    "$@" >"$log" 2>&1 &
    interop_pids+=("$!")
    interop_logs+=("$log")
}

# wait_for URL [curl flags…]: until URL answers (any status), at most 10 s.
wait_for() {
    local url="$1" _
    shift
    for _ in $(seq 1 100); do
        curl -sS -o /dev/null --max-time 2 "$@" "$url" 2>/dev/null && return 0
        sleep 0.1
    done
    fail "nothing answered at $url within 10 s"
}

# start_dealer NAME PORT [serve flags…]: a dealer on 127.0.0.1:PORT, data and keys in
# $work/NAME. With --tls-cert it is HTTPS and trusts $work/ca/ca.pem (make_ca first).
# Sets dealer_url (its listener, not necessarily its issuer).
start_dealer() {
    local name="$1" port="$2" scheme=http ca=""
    shift 2
    if [[ " $* " == *" --tls-cert "* ]]; then scheme=https ca="$work/ca/ca.pem"; fi
    mkdir -p "$work/$name"
    dealer_url="$scheme://127.0.0.1:$port"
    dealer_urls[$name]="$dealer_url"
    dealer_cas[$name]="$ca"
    RUST_LOG="${RUST_LOG:-info}" start_background "$work/$name/dealer.log" \
        "$bin" serve --listen "127.0.0.1:$port" --data-dir "$work/$name/data" \
        --keys-dir "$work/$name/keys" "$@"
    wait_for "$dealer_url/healthz" -f ${ca:+--cacert "$ca"}
}

# The admin CLI against dealer NAME.
admin() {
    local name="$1"
    shift
    "$bin" "$@" --url "${dealer_urls[$name]}" --data-dir "$work/$name/data" \
        ${dealer_cas[$name]:+--ca-cert "${dealer_cas[$name]}"}
}

# register_client NAME ID AUDIENCE… [--FLAG VALUE…]: prints the secret. Flags (--scope S, --alg A)
# go to `client add` as given. The secret is read from the JSON answer (older builds have no
# --field), so a build from any commit can be checked.
register_client() {
    local name="$1" id="$2" args=()
    shift 2
    while (($#)); do
        if [[ $1 == --* ]]; then args+=("$1" "$2") && shift 2; else args+=(--audience "$1") && shift; fi
    done
    admin "$name" client add "$id" "${args[@]}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["client_secret"])' ||
        fail "could not register $id on $name"
}

# get_token NAME ID SECRET AUDIENCE: prints an access token from dealer NAME's token endpoint
# (client_secret_post; the secret goes through stdin, not the command line).
get_token() {
    local name="$1" id="$2" secret="$3" audience="$4" ca="${dealer_cas[$1]}"
    printf 'client_secret=%s' "$secret" |
        curl -fsS --max-time 10 ${ca:+--cacert "$ca"} -d grant_type=client_credentials -d "client_id=$id" \
            --data-urlencode "audience=$audience" -d @- "${dealer_urls[$name]}/oauth/token" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])' ||
        fail "no token for $id with audience $audience from $name"
}

# make_ca: a throwaway CA ($work/ca/ca.pem) and a certificate it signed for 127.0.0.1
# ($work/ca/cert.pem, key.pem), as a private deployment has; P-256, for speed.
make_ca() {
    local dir="$work/ca"
    mkdir -p "$dir"
    (
        cd "$dir"
        openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
            -subj /CN=interop-ca -keyout ca.key -out ca.pem
        openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=127.0.0.1 \
            -keyout key.pem -out cert.csr
        printf 'subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n' >ext.cnf
        openssl x509 -req -in cert.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 1 \
            -extfile ext.cnf -out cert.pem
    ) >"$dir/openssl.log" 2>&1 || { cat "$dir/openssl.log" >&2; fail "openssl could not make the test CA"; }
}
