# Sourced by benches/assertions.sh and benches/dpop.sh: one release-built dealer for rounds of
# two kinds of request, and the measures taken around each round. Expects BIN; sets WORK, URL,
# SERVER_PID (stopped and WORK removed on exit).
#
# Every assertion and proof is good once and held in the single-use record until it expires: at
# thousands of tokens/s one client outgrows the default bounds (100,000 in all, a tenth of that
# per client) within seconds and is refused by design. The dealer starts with both raised so that
# the benches measure the cost of a token, not the bound (4,000,000 entries: ~450 bytes each held,
# examples/single_use_memory.rs).

command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }

WORK=$(mktemp -d /tmp/tokendealer-ratio.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

TOKENDEALER_CLIENT_ASSERTIONS_MAX_SINGLE_USE=4000000 \
TOKENDEALER_CLIENT_ASSERTIONS_MAX_SINGLE_USE_PER_CLIENT=4000000 \
RUST_LOG=warn "$BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" \
  --keys-dir "$WORK/keys" 2>>"$WORK/server.log" &
SERVER_PID=$!
until curl -fsS "$URL/healthz" >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.02
done

admin() { "$BIN" --url "$URL" --data-dir "$WORK/data" "$@"; }
load() { cut -d' ' -f1-3 /proc/loadavg; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average: $(load)"

# The server's CPU time (user + system, clock ticks) and context switches (every thread) around
# a round: tokens per server CPU-second moves less with other load than tokens per second.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$SERVER_PID/stat"; }
switches() { cat /proc/"$SERVER_PID"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }
measured() {
  local t0 x0 result
  t0=$(cpu_ticks) x0=$(switches)
  result=$("$@")
  echo "$result server_ticks=$(($(cpu_ticks) - t0)) switches=$(($(switches) - x0))"
}
