#!/usr/bin/env bash
# Load benchmark of a release-built tokendealer on this machine, with the raw signing ceiling
# measured in the same run so the result is a ratio, not an absolute number.
#
#   benches/load.sh [--alg RS512|EdDSA|ES256] [--clients N] [--spread] [--jwks] [--rounds N] [--round-secs S]
#                   [--connections C] [--signer pool|blocking|inline] [--signer-threads N]
#                   [--workers N] [--io per-thread|shared] [--io-threads N] [--database-url POSTGRES_URL]
#                   [--pin-wrk CPU] [--openssl] [--bare] [--bin PATH]
#
# --clients N  seeds N clients (seed-<i>, with the server stopped) next to the benchmark client;
#              reports the sled size on disk and the start-up time to /healthz.
# --spread     with --clients: wrk picks one of the N seeded clients at random per request
#              (worst case: every lookup a different client, mostly cold) instead of one client.
# --jwks       drives GET /.well-known/jwks.json instead of the token endpoint.
# --signer     where signatures run (TOKENDEALER_SIGNER; default: the I/O model's own, inline for
#              per-thread, pool for shared); --workers sets TOKIO_WORKER_THREADS.
# --io         the I/O model (TOKENDEALER_IO; default per-thread). benches/compare_io.sh runs both.
# --io-threads the per-thread model's thread count (TOKENDEALER_IO_THREADS; default one per core).
# --database-url  PostgreSQL instead of sled: a superuser URL; a fresh database is created for
#              the run (and dropped after). benches/compare_engines.sh runs both engines.
# --pin-wrk    runs wrk under `taskset -c CPU`; the server is never pinned.
# --bin        the dealer binary to drive (default: target/release/tokendealer, built first), e.g.
#              an older commit's build for a before/after comparison on the same machine.
# --bare       (RS512 tokens) each round also drives examples/bare_server.rs — one signature and a
#              fixed answer of the dealer's size per request, no HTTP library — with the same wrk
#              load: the best ratio any server reaches on this machine with the load generator on
#              the same cores, and the dealer's ratio as a fraction of it.
# Each of N rounds measures the raw signing ceiling (examples/rsa_ceiling.rs: the same aws-lc-rs
# call on one thread per core) for S seconds, then drives the server with wrk for S seconds; the
# ratio is taken per round and the median printed, so both sides saw about the same machine.
# The load generator runs on the same cores: its CPU share is measured and printed per round.
set -euo pipefail

ALG=RS512 CLIENTS=0 SPREAD=0 JWKS=0 ROUNDS=5 ROUND_SECS=4 CONNS=16 SIGNER="" IO="" DATABASE_URL="" SIGNER_THREADS=0 WORKERS="" PIN="" OPENSSL=0 BARE=0 BIN=target/release/tokendealer IO_THREADS=""
while [[ $# -gt 0 ]]; do
  case "$1" in
    --alg) ALG=$2; shift 2 ;;
    --clients) CLIENTS=$2; shift 2 ;;
    --jwks) JWKS=1; shift ;;
    --spread) SPREAD=1; shift ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --round-secs) ROUND_SECS=$2; shift 2 ;;
    --connections) CONNS=$2; shift 2 ;;
    --signer) SIGNER=$2; shift 2 ;;
    --workers) WORKERS=$2; shift 2 ;;
    --io) IO=$2; shift 2 ;;
    --database-url) DATABASE_URL=$2; shift 2 ;;
    --signer-threads) SIGNER_THREADS=$2; shift 2 ;;
    --pin-wrk) PIN=$2; shift 2 ;;
    --openssl) OPENSSL=1; shift ;;
    --bare) BARE=1; shift ;;
    --bin) BIN=$2; shift 2 ;;
    --io-threads) IO_THREADS=$2; shift 2 ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done

cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin tokendealer --example rsa_ceiling --example seed_clients --example bare_server
CORES=$(nproc)

WORK=$(mktemp -d /tmp/tokendealer-load.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
URL="http://127.0.0.1:$PORT"
SERVER_PID="" BARE_PID=""
DB_URL="" DB_NAME=""
if [[ -n "$DATABASE_URL" ]]; then
  [[ $CLIENTS -eq 0 ]] || { echo "--clients seeds sled only" >&2; exit 2; }
  DB_NAME="td_bench_$$"
  psql -q "$DATABASE_URL" -c "CREATE DATABASE $DB_NAME" >/dev/null
  DB_URL="${DATABASE_URL%/*}/$DB_NAME"
  "$BIN" master-key generate > "$WORK/master.key"
  chmod 600 "$WORK/master.key"
fi
cleanup() {
  if [[ -n "$SERVER_PID" ]]; then kill "$SERVER_PID" 2>/dev/null || true; wait "$SERVER_PID" 2>/dev/null || true; fi
  if [[ -n "$BARE_PID" ]]; then kill "$BARE_PID" 2>/dev/null || true; wait "$BARE_PID" 2>/dev/null || true; fi
  if [[ -n "$DB_NAME" ]]; then psql -q "$DATABASE_URL" -c "DROP DATABASE IF EXISTS $DB_NAME" >/dev/null 2>&1 || true; fi
  rm -rf "$WORK"
}
trap cleanup EXIT

now_ms() { date +%s%3N; }
start_server() {
  local t0; t0=$(now_ms)
  echo "signer_threads = $SIGNER_THREADS" > "$WORK/tokendealer.toml"
  env ${WORKERS:+TOKIO_WORKER_THREADS=$WORKERS} ${SIGNER:+TOKENDEALER_SIGNER=$SIGNER} \
    ${IO:+TOKENDEALER_IO=$IO} ${IO_THREADS:+TOKENDEALER_IO_THREADS=$IO_THREADS} RUST_LOG=warn \
    ${DB_URL:+TOKENDEALER_DATABASE_URL=$DB_URL TOKENDEALER_MASTER_KEY_FILE=$WORK/master.key} \
    "$BIN" --data-dir "$WORK/data" serve --listen "127.0.0.1:$PORT" --keys-dir "$WORK/keys" \
    --config "$WORK/tokendealer.toml" 2>>"$WORK/server.log" &
  SERVER_PID=$!
  until curl -fsS "$URL/healthz" >/dev/null 2>&1; do
    kill -0 "$SERVER_PID" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.02
  done
  STARTUP_MS=$(( $(now_ms) - t0 ))
}
stop_server() { kill "$SERVER_PID"; wait "$SERVER_PID" 2>/dev/null || true; SERVER_PID=""; }
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# Context switches of all the server's threads so far (voluntary and not).
switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ {n += $2} END {print n}'; }

start_server
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
if [[ -n "$DB_NAME" ]]; then echo "storage: PostgreSQL (database $DB_NAME)"; else echo "storage: sled"; fi
echo "server: $BIN io=${IO:-per-thread (default)}${IO_THREADS:+ io_threads=$IO_THREADS} signer=${SIGNER:-default} signer_threads=$SIGNER_THREADS tokio_workers=${WORKERS:-$CORES} connections=$CONNS rounds=${ROUNDS}x${ROUND_SECS}s"
echo "start-up to /healthz (empty db): ${STARTUP_MS} ms"

ID=bench SECRET=""
if [[ $JWKS -eq 0 ]]; then
  SECRET=$("$BIN" --url "$URL" --data-dir "$WORK/data" client add bench \
    --audience https://api.example --scope read --alg "$ALG" |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["client_secret"])')
fi
if [[ $CLIENTS -gt 0 ]]; then
  stop_server
  target/release/examples/seed_clients "$WORK/data" "$CLIENTS" "$ALG"
  echo "sled size on disk with $CLIENTS clients: $(du -sh "$WORK/data" | cut -f1)"
  start_server
  echo "start-up to /healthz with $CLIENTS clients: ${STARTUP_MS} ms"
fi

if [[ $JWKS -eq 0 && $OPENSSL -eq 1 ]]; then
  openssl speed -multi "$CORES" -seconds 5 rsa2048 2>/dev/null | grep -E '^rsa 2048' | tail -1 |
    sed 's/^/openssl speed -multi (sign, verify per s): /'
fi

MODE=token; [[ $JWKS -eq 1 ]] && MODE=jwks
PICK=0; [[ $SPREAD -eq 1 ]] && PICK=$CLIENTS
export LOAD_SPREAD=$PICK  # read by benches/load.lua
WRK_ARGS=(-s benches/load.lua "$URL/" -- "$MODE" "$ID" "$SECRET")
BARE_ARGS=()
if [[ $BARE -eq 1 ]]; then
  [[ $MODE == token && $ALG == RS512 && $PICK -eq 0 ]] || { echo "--bare: RS512 tokens, one client" >&2; exit 2; }
  BODY=$(curl -fsS -o /dev/null -w '%{size_download}' -u "$ID:$SECRET" -d grant_type=client_credentials "$URL/oauth/token")
  target/release/examples/bare_server "$BODY" "$CORES" > "$WORK/bare.port" &
  BARE_PID=$!
  until [[ -s "$WORK/bare.port" ]]; do sleep 0.02; done
  BARE_ARGS=(-s benches/load.lua "http://127.0.0.1:$(cat "$WORK/bare.port")/" -- "$MODE" "$ID" "$SECRET")
  echo "bare server: one RS512 signature and a fixed ${BODY}-byte body per request (the dealer's answer size)"
  wrk -t1 -c"$CONNS" -d2s "${BARE_ARGS[@]}" >/dev/null
fi
# Warm-up: connections open, caches filled.
wrk -t1 -c"$CONNS" -d2s "${WRK_ARGS[@]}" >/dev/null
# Other work on this machine comes and goes: alternate short ceiling and load rounds, and take
# each round's ratio, so both sides of a ratio saw about the same machine.
: > "$WORK/rounds"
for ((r = 1; r <= ROUNDS; r++)); do
  CEIL_LINE="none"
  if [[ $JWKS -eq 0 ]]; then
    CEIL_LINE=$(target/release/examples/rsa_ceiling "$CORES" "$ROUND_SECS" "$ALG")
  fi
  S0=$(cpu_ticks "$SERVER_PID") X0=$(switches "$SERVER_PID")
  ${PIN:+taskset -c $PIN} /usr/bin/time -f "%U %S" -o "$WORK/wrk.time" \
    wrk -t1 -c"$CONNS" -d"${ROUND_SECS}s" --latency "${WRK_ARGS[@]}" > "$WORK/wrk.out"
  S1=$(cpu_ticks "$SERVER_PID") X1=$(switches "$SERVER_PID")
  BARE_LINE=""
  if [[ $BARE -eq 1 ]]; then
    ${PIN:+taskset -c $PIN} wrk -t1 -c"$CONNS" -d"${ROUND_SECS}s" --latency "${BARE_ARGS[@]}" > "$WORK/bare.out"
    BARE_LINE="bare_rps=$(grep '^RESULT' "$WORK/bare.out" | sed 's/.* rps=\([0-9.]*\).*/\1/') "
  fi
  echo "$BARE_LINE$(grep '^RESULT' "$WORK/wrk.out") wrk_cpu=$(awk '{print $1 + $2}' "$WORK/wrk.time") server_ticks=$((S1 - S0)) switches=$((X1 - X0)) ceiling=[$CEIL_LINE]" >> "$WORK/rounds"
done
python3 - "$WORK/rounds" "$(getconf CLK_TCK)" "$CORES" "$MODE" "$ALG" <<'PY'
import re, statistics, sys
path, hz, cores, mode, alg = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
rows = []
for line in open(path):
    kv = dict(re.findall(r"(\w+)=([\d.]+)", line.split("ceiling=")[0]))
    ceil = dict(re.findall(r"(\w+)=([\d.]+)", line.split("ceiling=")[1]))
    rows.append((kv, ceil))
def med(xs): return statistics.median(xs)
fails = sum(int(k["non2xx"]) + int(k["socket_errors"]) for k, _ in rows)
bare = all("bare_rps" in k for k, _ in rows)
print(f"{'round':>5} {'req/s':>9} {'ceiling/s':>9} {'ratio':>6} {'cpu-ratio':>9} {'p50 ms':>7} {'p99 ms':>7} {'srv cpu':>7} {'wrk cpu':>7} {'µs/req':>6} {'cs/req':>6}" + (f" {'bare/s':>7} {'bare ratio':>10} {'of bare':>7}" if bare else ""))
ratios, cpu_ratios, rps_all, p99s, bare_ratios, of_bare, per_reqs, cs_reqs = [], [], [], [], [], [], [], []
for i, (k, c) in enumerate(rows, 1):
    dur, rps = float(k["duration_s"]), float(k["rps"])
    srv_cpu = float(k["server_ticks"]) / hz
    srv_share, wrk_share = srv_cpu / (dur * cores), float(k["wrk_cpu"]) / (dur * cores)
    ceiling = float(c.get("signs", 0)) / float(c["wall_s"]) if c else 0
    ratio = rps / ceiling if ceiling else 0
    # Tokens per server CPU-second over signatures per ceiling CPU-second: what the HTTP path
    # costs on top of the signature, whatever share of the cores other work took.
    cpu_ratio = (float(k["requests"]) / srv_cpu) / (float(c["signs"]) / float(c["cpu_s"])) if c and srv_cpu else 0
    # The server's CPU time and its threads' context switches per request: what one request
    # costs the server, whatever share of the cores it got.
    per_req = srv_cpu * 1e6 / float(k["requests"]); cs_req = float(k["switches"]) / float(k["requests"])
    per_reqs.append(per_req); cs_reqs.append(cs_req)
    ratios.append(ratio); cpu_ratios.append(cpu_ratio); rps_all.append(rps); p99s.append(float(k["p99_ms"]))
    extra = ""
    if bare:
        brps = float(k["bare_rps"])
        bare_ratios.append(brps / ceiling if ceiling else 0); of_bare.append(rps / brps if brps else 0)
        extra = f" {brps:>7.0f} {bare_ratios[-1]:>10.3f} {of_bare[-1]:>7.3f}"
    # The JWKS has no signature: no ceiling, no ratio.
    c_txt, r_txt, cr_txt = (f"{ceiling:>9.0f}", f"{ratio:>6.3f}", f"{cpu_ratio:>9.3f}") if c else (f"{'-':>9}", f"{'-':>6}", f"{'-':>9}")
    print(f"{i:>5} {rps:>9.0f} {c_txt} {r_txt} {cr_txt} {float(k['p50_ms']):>7.2f} {float(k['p99_ms']):>7.2f} {srv_share:>7.1%} {wrk_share:>7.1%} {per_req:>6.2f} {cs_req:>6.3f}" + extra)
if mode == "token":
    print(f"MEDIAN {alg}: tokens/s {med(rps_all):.0f}  ratio to raw {alg} signatures/s {med(ratios):.3f}  "
          f"per-CPU-second ratio {med(cpu_ratios):.3f}  p99 {med(p99s):.2f} ms (worst round {max(p99s):.2f})  failed {fails}")
    if bare:
        print(f"MEDIAN bare server (signature + fixed answer): ratio to raw signatures/s {med(bare_ratios):.3f}  "
              f"dealer tokens/s ÷ bare requests/s {med(of_bare):.3f}")
else:
    print(f"MEDIAN jwks requests/s {med(rps_all):.0f}  p99 {med(p99s):.2f} ms (worst round {max(p99s):.2f})  failed {fails}")
print(f"MEDIAN server CPU per request {med(per_reqs):.2f} µs  context switches per request {med(cs_reqs):.3f}")
PY
echo "server RSS at the end of the load (VmRSS): $(awk '/VmRSS/ {print $2, $3}' "/proc/$SERVER_PID/status"); peak since start, start-up included (VmHWM): $(awk '/VmHWM/ {print $2, $3}' "/proc/$SERVER_PID/status")"
