#!/usr/bin/env bash
# Resident memory of a release-built tokendealer through a flood of failed password logins:
# does the memory argon2 takes for a flood come back once the flood is over?
#
#   benches/login_flood_rss.sh [--logins N] [--parallel P] [--idle SECS] [--token-requests N]
#                              [--settle SECS] [--config FILE] [--no-build]
#
# Starts the real server (default argon2 parameters: m=19456 KiB, t=2, p=1) on a free
# 127.0.0.1 port with temporary data and keys dirs; the lockout thresholds are raised so that
# every login of the flood is hashed (with the defaults, most would get 429 without any work).
# Creates org/ou/dept/role/wfc and a user with the admin CLI, then prints VmRSS
# (/proc/PID/status) at start, after setup and --settle seconds (12) later, the peak during a
# client-credentials load (--token-requests over 16 keep-alive connections), right after N
# wrong-password logins at /token/gettoken sent P at a time, and every 5 s of an idle period;
# then the latency of one login after that idle period and of ten more in a row. --config appends a TOML
# `[users]`-table fragment (e.g. hash_concurrency) to the generated settings file;
# TOKENDEALER_BIN runs another build (e.g. a copy of an older one) instead of building.
set -euo pipefail

LOGINS=100 PARALLEL=16 IDLE=30 SETTLE=12 TOKENS=8000 EXTRA="" BUILD=1
while [[ $# -gt 0 ]]; do
  case "$1" in
    --logins) LOGINS=$2; shift 2 ;;
    --parallel) PARALLEL=$2; shift 2 ;;
    --idle) IDLE=$2; shift 2 ;;
    --token-requests) TOKENS=$2; shift 2 ;;
    --settle) SETTLE=$2; shift 2 ;;
    --config) EXTRA=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
[[ $BUILD -eq 1 ]] && cargo build --release --quiet --bin tokendealer
BIN=${TOKENDEALER_BIN:-$PWD/target/release/tokendealer}

WORK=$(mktemp -d /tmp/tokendealer-rss.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID=""
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

{
  echo "[users]"
  echo "max_failures_per_user = 1000000"
  echo "max_failures_per_address = 1000000"
  [[ -n "$EXTRA" ]] && cat "$EXTRA"
} > "$WORK/tokendealer.toml"

RUST_LOG=warn "$BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" \
  --keys-dir "$WORK/keys" --config "$WORK/tokendealer.toml" 2>>"$WORK/server.log" &
SERVER_PID=$!
until curl -fsS "$URL/healthz" >/dev/null 2>&1; do
  kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
  sleep 0.05
done

rss() { awk '/^VmRSS/ {printf "%.1f MiB", $2 / 1024}' "/proc/$SERVER_PID/status"; }
threads() { awk '/^Threads/ {print $2}' "/proc/$SERVER_PID/status"; }
echo "machine: $(nproc) cores, glibc $(ldd --version | head -1 | awk '{print $NF}'), git $(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src Cargo.toml || echo '+dirty')"
echo "settings: $(tr '\n' ' ' < "$WORK/tokendealer.toml")"
echo "RSS at start:                $(rss)  (threads $(threads))"

admin() { "$BIN" --url "$URL" --data-dir "$WORK/data" "$@" >/dev/null; }
admin org add acme
admin ou add eng
admin dept add platform
admin role add ops
admin wfc add acme-eng --org acme --ou eng --dept platform
echo "alice pw 12345" | admin user add alice --email alice@acme.example --role ops --wfc acme-eng --password-stdin
SECRET=$("$BIN" --url "$URL" --data-dir "$WORK/data" client add svc --audience https://api.example |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
echo "RSS after setup (1 hash):    $(rss)"
sleep "$SETTLE"
echo "RSS after $SETTLE s idle:         $(rss)"

# Client credentials: 16 curl processes, each reusing one connection for its share.
peak_during() {
  local peak=0 kb
  while kill -0 "$1" 2>/dev/null; do
    kb=$(awk '/^VmRSS/ {print $2}' "/proc/$SERVER_PID/status")
    (( kb > peak )) && peak=$kb
    sleep 0.1
  done
  printf "%.1f MiB" "$(echo "$peak / 1024" | bc -l)"
}
token_load() {
  local per=$(( TOKENS / 16 )) urls=()
  for ((i = 0; i < per; i++)); do urls+=("$URL/oauth/token"); done
  for ((c = 0; c < 16; c++)); do
    curl -s -w '%{stderr}%{http_code}\n' -u "svc:$SECRET" -d grant_type=client_credentials "${urls[@]}" \
      >/dev/null 2>"$WORK/token.codes.$c" &
  done
  wait
  cat "$WORK"/token.codes.* > "$WORK/token.codes"
}
if [[ $TOKENS -gt 0 ]]; then
  T0=$(date +%s.%N)
  token_load &
  LOAD=$!
  PEAK=$(peak_during "$LOAD")
  wait "$LOAD"
  SECS=$(echo "$(date +%s.%N) - $T0" | bc -l)
  echo "RSS peak, $TOKENS client-credentials tokens over 16 connections: $PEAK ($(printf '%.0f' "$(echo "$TOKENS / $SECS" | bc -l)")/s; statuses: $(sort "$WORK/token.codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}'))"
  echo "RSS after the token load:    $(rss)"
fi

login() {
  curl -s -o /dev/null -w '%{http_code}\n' -H 'content-type: application/json' \
    -d "{\"username\":\"alice\",\"password\":\"wrong password $1\"}" "$URL/token/gettoken"
}
export -f login
export URL
T0=$(date +%s.%N)
seq "$LOGINS" | xargs -P "$PARALLEL" -I{} bash -c 'login {}' > "$WORK/login.codes"
SECS=$(echo "$(date +%s.%N) - $T0" | bc -l)
echo "RSS after $LOGINS failed logins, $PARALLEL parallel: $(rss)  (threads $(threads); $(printf '%.1f' "$SECS") s; statuses: $(sort "$WORK/login.codes" | uniq -c | awk '{printf "%s×%s ", $1, $2}'))"
for ((t = 5; t <= IDLE; t += 5)); do
  sleep 5
  echo "RSS after ${t} s idle:$(printf '%*s' $(( 9 - ${#t} )) '')$(rss)"
done
# One login after the idle period (argon2 memory mapped afresh), then ten in a row (reused).
login_ms() {
  curl -s -o /dev/null -w '%{time_total}' -H 'content-type: application/json' \
    -d '{"username":"alice","password":"wrong"}' "$URL/token/gettoken" | awk '{printf "%.0f", $1 * 1000}'
}
FIRST=$(login_ms)
NEXT=$(for _ in $(seq 10); do login_ms; echo; done | sort -n | sed -n 5,6p | paste -sd/)
echo "one login after the idle period: $FIRST ms; the next ten in a row, median: $NEXT ms"
echo "peak RSS (VmHWM):            $(awk '/^VmHWM/ {printf "%.1f MiB", $2 / 1024}' "/proc/$SERVER_PID/status")"
