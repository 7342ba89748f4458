#!/usr/bin/env bash
# Resident memory of a release-built tokendealer under stalled HTTP/2 streams, and 30 s after:
# N prior-knowledge connections × M `POST /oauth/token` streams, each sending B bytes of a body
# that announces B + 90 and then nothing (examples/h2_stall.rs), held H seconds, then closed.
#
#   benches/h2_stall_rss.sh [--connections N] [--streams M] [--bytes B] [--hold H] [--after S]
#                           [--config FILE] [--no-build]
#
# Defaults: 10 × 200 streams of 60,000 bytes (issue 21's case, the largest body that fits under
# the 64 KiB limit), held 25 s, watched 30 s after. Prints VmRSS (/proc/PID/status) at start,
# the peak while the streams are open (sampled every 100 ms; VmHWM too), at the client's exit and
# every 5 s after, and what the streams were answered. --config appends a TOML fragment (e.g.
# body_budget_mb = 1024 to see the server without the budget); TOKENDEALER_BIN runs another
# build (e.g. a copy of an older one) instead of building.
set -euo pipefail

CONNECTIONS=10 STREAMS=200 BYTES=60000 HOLD=25 AFTER=30 EXTRA="" BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --connections) CONNECTIONS=$2; shift 2 ;;
    --streams) STREAMS=$2; shift 2 ;;
    --bytes) BYTES=$2; shift 2 ;;
    --hold) HOLD=$2; shift 2 ;;
    --after) AFTER=$2; shift 2 ;;
    --config) EXTRA=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
[[ $BUILD -eq 1 ]] && cargo build --release --quiet --bin tokendealer --example h2_stall
BIN=${TOKENDEALER_BIN:-$PWD/target/release/tokendealer}
STALL=$PWD/target/release/examples/h2_stall

WORK=$(mktemp -d /tmp/tokendealer-h2rss.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

: > "$WORK/tokendealer.toml"
[[ -n "$EXTRA" ]] && cat "$EXTRA" >> "$WORK/tokendealer.toml"

serve() {
  RUST_LOG=warn "$BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" \
    --keys-dir "$WORK/keys" --config "$WORK/tokendealer.toml" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  until curl -fsS "$URL/healthz" >/dev/null 2>&1; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.05
  done
}
# The first start generates keys and hashes the bootstrap operator's password (argon2's 19 MiB,
# returned 10 s later): measure a second start on the same dirs, as a server runs.
serve
kill "$SERVER_PID"; wait "$SERVER_PID" || true
serve

kib() { awk -v k="$1" '$1 == k":" {print $2}' "/proc/$SERVER_PID/status"; }
mib() { awk -v k="$1" '$1 == k":" {printf "%.1f", $2 / 1024}' "/proc/$SERVER_PID/status"; }
echo "machine: $(nproc) cores, glibc $(ldd --version | head -1 | awk '{print $NF}'), git $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml || echo '+dirty')"
echo "settings: $(tr '\n' ' ' < "$WORK/tokendealer.toml")"
echo "case: $CONNECTIONS connections x $STREAMS streams, $BYTES of $((BYTES + 90)) bytes each, held ${HOLD} s"
START=$(kib VmRSS)
echo "RSS at start:              $(mib VmRSS) MiB"

"$STALL" "127.0.0.1:$PORT" "$CONNECTIONS" "$STREAMS" "$HOLD" "$BYTES" > "$WORK/stall.out" 2>&1 &
CLIENT=$!
PEAK=0
while kill -0 "$CLIENT" 2>/dev/null; do
  kb=$(kib VmRSS)
  (( kb > PEAK )) && PEAK=$kb
  sleep 0.1
done
wait "$CLIENT" || true
grow() { awk -v a="$1" -v b="$START" 'BEGIN {printf "%.1f MiB (%+.1f)", a / 1024, (a - b) / 1024}'; }
echo "RSS peak, streams open:    $(grow "$PEAK")  VmHWM $(mib VmHWM) MiB"
echo "RSS at the client's exit:  $(grow "$(kib VmRSS)")"
sed 's/^/client: /' "$WORK/stall.out"
for ((t = 5; t <= AFTER; t += 5)); do
  sleep 5
  echo "RSS ${t} s after:$(printf '%*s' $(( 11 - ${#t} )) '')$(grow "$(kib VmRSS)")"
done
curl -fsS -o /dev/null -w "healthz after: %{http_code}\n" "$URL/healthz"
