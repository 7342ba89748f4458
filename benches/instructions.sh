#!/usr/bin/env bash
# Instructions the server executes per request, in user space, counted by valgrind (callgrind):
# unlike a rate, this count barely moves with other load on a shared machine, so a change of a
# few percent in the dealer's own work is visible in one run. It counts instructions, not time:
# kernel work (TCP, wake-ups) is not in it, and a memcpy of N bytes counts about N/32.
#
#   benches/instructions.sh [--bin PATH]... [--requests N] [--top K] [CASE...]
#
# CASE: jwks, RS512, EdDSA or ES256 (a client-credentials token with a client of that
#       algorithm); default: jwks EdDSA RS512.
# --bin       a dealer binary to count (repeatable: one column each, e.g. an older commit's build
#             beside this one); default target/release/tokendealer, built first.
# --requests  requests counted per case (default 2000), after 300 not counted (warm-up).
# --top K     also lists, per case and binary, the K functions with the most instructions of
#             their own per request.
# One keep-alive connection sends the requests one after another (python3 http.client);
# callgrind's counters are zeroed after the warm-up and dumped after the last answer.
# Needs valgrind (Debian: valgrind).
set -euo pipefail

BINS=() REQUESTS=2000 TOP=0 CASES=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BINS+=("$2"); shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --top) TOP=$2; shift 2 ;;
    jwks|RS512|EdDSA|ES256) CASES+=("$1"); shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
[[ ${#CASES[@]} -gt 0 ]] || CASES=(jwks EdDSA RS512)
cd "$(dirname "$0")/.."
command -v valgrind >/dev/null || { apt-get update -qq && apt-get install -y -qq valgrind >/dev/null; }
if [[ ${#BINS[@]} -eq 0 ]]; then
  cargo build --release --quiet --bin tokendealer
  BINS=(target/release/tokendealer)
fi

WORK=$(mktemp -d /tmp/tokendealer-instr.XXXXXX)
PID=""
cleanup() {
  if [[ -n "$PID" ]]; then kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/client.py" <<'PY'
import http.client, sys
port, case, n, cid, secret = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
conn = http.client.HTTPConnection("127.0.0.1", port)
form = f"grant_type=client_credentials&client_id={cid}&client_secret={secret}"
for _ in range(n):
    if case == "jwks":
        conn.request("GET", "/.well-known/jwks.json")
    else:
        conn.request("POST", "/oauth/token", form, {"Content-Type": "application/x-www-form-urlencoded"})
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit(f"{case}: status {answer.status}")
PY

cat > "$WORK/count.py" <<'PY'
# Reads a callgrind dump: total instructions per request, and the top functions by own count.
import collections, re, sys
path, n, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names, own, fn, after_call = {}, collections.Counter(), None, False
for line in open(path, errors="replace"):
    m = re.match(r"c?fn=\((\d+)\)(?: (.*))?", line)
    if m:
        if m[2]:
            names[m[1]] = m[2].strip()
        if line.startswith("fn="):
            fn = names.get(m[1])
        continue
    if line.startswith("calls="):
        after_call = True  # the next cost line is the call's inclusive cost: not this function's
        continue
    if line[:1].isdigit() or line[:1] in "+-*":
        fields = line.split()
        if len(fields) >= 2:
            if not after_call:
                own[fn] += int(fields[1])
            after_call = False
print(round(sum(own.values()) / n))
for name, count in own.most_common(top):
    print(f"  {count / n:10.0f}  {(name or '?')[:110]}", file=sys.stderr)
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Starts $1 on $PORT with data in $DIR, optionally under valgrind ($2).
start() {
  local bin=$1 wrapper=${2:-}
  # shellcheck disable=SC2086
  RUST_LOG=warn $wrapper "$bin" --data-dir "$DIR/data" serve --listen "127.0.0.1:$PORT" \
    --keys-dir "$DIR/keys" 2>>"$DIR/log" &
  PID=$!
  for _ in $(seq 600); do
    curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && return 0
    kill -0 "$PID" 2>/dev/null || break
    sleep 0.1
  done
  echo "the server did not start: $(tail -3 "$DIR/log")" >&2
  exit 1
}
stop() { kill "$PID" 2>/dev/null || true; wait "$PID" 2>/dev/null || true; PID=""; }

# One case on one binary: sets COUNT to its instructions per request. Runs in this shell, not
# in a command substitution, so that any failure stops the script (set -e) and the trap stops
# the server it started.
count() {
  local bin=$1 case=$2 alg=$2
  [[ $case == jwks ]] && alg=RS512
  DIR=$(mktemp -d "$WORK/run.XXXX") PORT=$(free_port)
  # The key set and the client are made at full speed; only the counted server runs under valgrind.
  start "$bin"
  local secret
  secret=$("$bin" --url "http://127.0.0.1:$PORT" --data-dir "$DIR/data" client add bench \
    --audience https://api.example --alg "$alg" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
  stop
  start "$bin" "valgrind -q --tool=callgrind --callgrind-out-file=$DIR/callgrind.out"
  python3 "$WORK/client.py" "$PORT" "$case" 300 bench "$secret"
  callgrind_control -z "$PID" >/dev/null 2>&1
  python3 "$WORK/client.py" "$PORT" "$case" "$REQUESTS" bench "$secret"
  callgrind_control -d "$PID" >/dev/null 2>&1
  stop
  # callgrind_control -d wrote part 1; the exit wrote the file without a part number.
  COUNT=$(python3 "$WORK/count.py" "$DIR/callgrind.out.1" "$REQUESTS" "$TOP" 2>"$DIR/top")
  [[ $COUNT =~ ^[0-9]+$ && $COUNT -gt 0 ]] || { echo "no count for $case on $bin" >&2; exit 1; }
  if [[ $TOP -gt 0 ]]; then
    { echo "$case, $bin: own instructions per request"; cat "$DIR/top"; } >>"$WORK/tops"
  fi
}

printf '%-8s' case; for b in "${BINS[@]}"; do printf '  %s' "$b"; done; echo
for c in "${CASES[@]}"; do
  printf '%-8s' "$c"
  first=""
  for b in "${BINS[@]}"; do
    count "$b" "$c"
    n=$COUNT
    if [[ -z "$first" ]]; then first=$n; printf '  %10s' "$n"
    else printf '  %10s (%+.1f%%)' "$n" "$(python3 -c "print(100*($n-$first)/$first)")"; fi
  done
  echo
done
echo "(user-space instructions per request, ${REQUESTS} requests per case, one connection)"
[[ -f "$WORK/tops" ]] && cat "$WORK/tops"
exit 0
