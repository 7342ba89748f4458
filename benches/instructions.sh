#!/usr/bin/env bash
# Instructions the server executes per request, in user space, counted by valgrind (callgrind):
# unlike a rate, this count barely moves with other load on a shared machine, so a change of a
# few percent in the dealer's own work is visible in one run. It counts instructions, not time:
# kernel work (TCP, wake-ups) is not in it, and a memcpy of N bytes counts about N/32.
#
#   benches/instructions.sh [--bin PATH]... [--requests N] [--top K] [--keep DIR] [CASE...]
#
# CASE: jwks, RS512, EdDSA or ES256 (a client-credentials token with a secret client of that
#       algorithm); pkjwt (an RS512 token for a private_key_jwt client: an ES256 assertion,
#       examples/client_assertions.rs); dpop (an RS512 token for the secret client, bound by an
#       ES256 DPoP proof, examples/dpop_proofs.rs). Assertions and proofs are made before each
#       phase, one per request (each is good once). RS512 against pkjwt and against dpop is the
#       load-independent ratio of issues 24 and 25. Default: jwks EdDSA RS512.
# --bin       a dealer binary to count (repeatable: one column each, e.g. an older commit's build
#             beside this one); default target/release/tokendealer, built first.
# --requests  requests counted per case (default 2000), after 300 not counted (warm-up).
# --top K     also lists, per case and binary, the K functions with the most instructions of
#             their own per request, then the inclusive instructions per request of the parts
#             that pkjwt and dpop add (proof or assertion check, single-use offer, store flush):
#             benches/instructions_split.py.
# --keep DIR  keeps each counted dump as DIR/CASE.N.callgrind (N: the --bin's place), for
#             callgrind_annotate --inclusive=yes.
# One keep-alive connection sends the requests one after another (python3 http.client);
# callgrind's counters are zeroed after the warm-up and dumped after the last answer.
# Needs valgrind (Debian: valgrind).
set -euo pipefail

BINS=() REQUESTS=2000 TOP=0 KEEP='' CASES=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --bin) BINS+=("$2"); shift 2 ;;
    --requests) REQUESTS=$2; shift 2 ;;
    --top) TOP=$2; shift 2 ;;
    --keep) KEEP=$2; shift 2 ;;
    jwks|RS512|EdDSA|ES256|pkjwt|dpop) CASES+=("$1"); shift ;;
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
cargo build --release --quiet --example client_assertions --example dpop_proofs
EXAMPLES=target/release/examples

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
# pkjwt and dpop: one assertion or proof a line, one per request.
lines = open(sys.argv[6]).read().split() if len(sys.argv) > 6 else []
conn = http.client.HTTPConnection("127.0.0.1", port)
form = f"grant_type=client_credentials&client_id={cid}&client_secret={secret}"
assertion = ("grant_type=client_credentials&client_assertion_type="
             "urn%3Aietf%3Aparams%3Aoauth%3Aclient-assertion-type%3Ajwt-bearer&client_assertion=")
content = {"Content-Type": "application/x-www-form-urlencoded"}
for i in range(n):
    if case == "jwks":
        conn.request("GET", "/.well-known/jwks.json")
    elif case == "pkjwt":
        conn.request("POST", "/oauth/token", assertion + lines[i], content)
    elif case == "dpop":
        conn.request("POST", "/oauth/token", form, {**content, "DPoP": lines[i]})
    else:
        conn.request("POST", "/oauth/token", form, content)
    answer = conn.getresponse()
    answer.read()
    if answer.status != 200:
        sys.exit(f"{case}: status {answer.status}")
PY

cat > "$WORK/count.py" <<'PY'
# Reads a callgrind dump: total instructions per request, the top functions by own count, and
# (with --top) the inclusive count of the parts benches/instructions_split.py names.
import collections, re, subprocess, sys
path, n, top = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
names, own, incl, fn, after_call = {}, collections.Counter(), collections.Counter(), None, False
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
            incl[fn] += int(fields[1])  # a call's line is its inclusive cost
            after_call = False
print(round(sum(own.values()) / n))
for name, count in own.most_common(top):
    print(f"  {count / n:10.0f}  {(name or '?')[:110]}", file=sys.stderr)
if top:
    split = subprocess.run([sys.executable, sys.argv[4], str(n)], input=repr(dict(incl)),
                           capture_output=True, text=True, check=True).stdout
    print(split, file=sys.stderr, end="")
PY

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
# Starts $1 on $PORT with data in $DIR, optionally under valgrind ($2). A DPoP proof may be an
# hour old (default: 60 s + 10 s of leeway): callgrind's slow phases outlast a minute, and the
# window changes no work per request, only how long each `jti` is held.
start() {
  local bin=$1 wrapper=${2:-}
  # shellcheck disable=SC2086
  RUST_LOG=warn TOKENDEALER_DPOP_MAX_AGE_SECS=3600 $wrapper "$bin" --data-dir "$DIR/data" serve --listen "127.0.0.1:$PORT" \
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
# Writes $1 fresh assertions (pkjwt) or DPoP proofs (dpop) to $DIR/lines, one per request.
lines() {
  case $case in
    pkjwt) "$EXAMPLES/client_assertions" sign "$DIR/key.pem" bench "http://127.0.0.1:$PORT" "$1" 3000 ;;
    dpop) "$EXAMPLES/dpop_proofs" "http://127.0.0.1:$PORT/oauth/token" "$1" ;;
    *) : ;;
  esac > "$DIR/lines"
}

# One case on one binary: sets COUNT to its instructions per request. Runs in this shell, not
# in a command substitution, so that any failure stops the script (set -e) and the trap stops
# the server it started.
count() {
  local bin=$1 case=$2 alg=$2
  [[ $case == jwks ]] && alg=RS512
  DIR=$(mktemp -d "$WORK/run.XXXX") PORT=$(free_port)
  # The key set and the client are made at full speed; only the counted server runs under valgrind.
  start "$bin"
  [[ $case == pkjwt || $case == dpop ]] && alg=RS512
  local url="http://127.0.0.1:$PORT" secret=none
  if [[ $case == pkjwt ]]; then
    "$EXAMPLES/client_assertions" key ES256 "$DIR/key.pem" > "$DIR/jwks.json"
    "$bin" --url "$url" --data-dir "$DIR/data" client add bench --audience https://api.example \
      --alg "$alg" --jwks "$DIR/jwks.json" >/dev/null
  else
    secret=$("$bin" --url "$url" --data-dir "$DIR/data" client add bench \
      --audience https://api.example --alg "$alg" --field client_secret)
  fi
  stop
  start "$bin" "valgrind -q --tool=callgrind --callgrind-out-file=$DIR/callgrind.out"
  lines 300
  python3 "$WORK/client.py" "$PORT" "$case" 300 bench "$secret" "$DIR/lines"
  lines "$REQUESTS"
  callgrind_control -z "$PID" >/dev/null 2>&1
  python3 "$WORK/client.py" "$PORT" "$case" "$REQUESTS" bench "$secret" "$DIR/lines"
  callgrind_control -d "$PID" >/dev/null 2>&1
  stop
  # callgrind_control -d wrote part 1; the exit wrote the file without a part number.
  COUNT=$(python3 "$WORK/count.py" "$DIR/callgrind.out.1" "$REQUESTS" "$TOP" \
    benches/instructions_split.py 2>"$DIR/top")
  [[ $COUNT =~ ^[0-9]+$ && $COUNT -gt 0 ]] || { echo "no count for $case on $bin" >&2; exit 1; }
  [[ -z $KEEP ]] || { mkdir -p "$KEEP"; cp "$DIR/callgrind.out.1" "$KEEP/$case.$3.callgrind"; }
  if [[ $TOP -gt 0 ]]; then
    { echo "$case, $bin: own instructions per request"; cat "$DIR/top"; } >>"$WORK/tops"
  fi
}

printf '%-8s' case; for b in "${BINS[@]}"; do printf '  %s' "$b"; done; echo
for c in "${CASES[@]}"; do
  printf '%-8s' "$c"
  first=""
  for i in "${!BINS[@]}"; do
    b=${BINS[$i]}
    count "$b" "$c" "$i"
    n=$COUNT
    if [[ -z "$first" ]]; then first=$n; printf '  %10s' "$n"
    else printf '  %10s (%+.1f%%)' "$n" "$(python3 -c "print(100*($n-$first)/$first)")"; fi
  done
  echo
done
echo "(user-space instructions per request, ${REQUESTS} requests per case, one connection)"
[[ -f "$WORK/tops" ]] && cat "$WORK/tops"
exit 0
