#!/usr/bin/env bash
# Native TLS against plain HTTP on this machine (release build; wrk and the server share the
# cores): tokens/s over keep-alive connections, new connections/s (one request each), and RSS
# with 500 idle keep-alive connections of each kind and 500 stalled TLS handshakes. Then mutual
# TLS (RFC 8705) on the TLS dealer, which has a client CA: tokens/s over 16 keep-alive
# connections without a client certificate, with one (the token is then bound to it), and by a
# tls_client_auth client authenticating with it alone, interleaved round by round, all three
# from one generator (examples/token_load.rs: wrk cannot present a certificate).
#
#   benches/tls.sh [--secs S] [--rounds N] [--mtls-only]
set -euo pipefail
SECS=8 ROUNDS=2 MTLS_ONLY=
while [[ $# -gt 0 ]]; do
  case "$1" in
    --secs) SECS=$2; shift 2 ;;
    --rounds) ROUNDS=$2; shift 2 ;;
    --mtls-only) MTLS_ONLY=1; shift ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { apt-get update -qq && apt-get install -y -qq wrk >/dev/null; }
cargo build --release --quiet --bin tokendealer --example token_load
BIN=$PWD/target/release/tokendealer
LOAD=$PWD/target/release/examples/token_load
W=$(mktemp -d /tmp/tokendealer-tls.XXXXXX)
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; rm -rf "$W"; }
trap cleanup EXIT
cd "$W"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=localhost \
  -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -addext "basicConstraints=critical,CA:FALSE" \
  -keyout key.pem -out cert.pem 2>/dev/null
# A client CA and a client certificate under it (O=Example, CN=svc-dn), key and certificate in one PEM.
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj /CN=client-ca \
  -keyout client-ca.key -out client-ca.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /O=Example/CN=svc-dn \
  -keyout client.key -out client.csr 2>/dev/null
printf 'extendedKeyUsage=clientAuth\n' > client.cnf
openssl x509 -req -in client.csr -CA client-ca.pem -CAkey client-ca.key -CAcreateserial -days 1 \
  -extfile client.cnf -out client.pem 2>/dev/null
cat client.pem client.key > client-identity.pem
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
PLAIN_PORT=$(free_port) TLS_PORT=$(free_port)
RUST_LOG=warn "$BIN" serve --listen 127.0.0.1:$PLAIN_PORT --data-dir d1 --keys-dir k1 2>log1 &
PLAIN=$!; PIDS+=("$PLAIN")
RUST_LOG=warn "$BIN" serve --listen 127.0.0.1:$TLS_PORT --data-dir d2 --keys-dir k2 \
  --tls-cert cert.pem --tls-key key.pem --tls-client-ca client-ca.pem 2>log2 &
TLS=$!; PIDS+=("$TLS")
for _ in $(seq 100); do
  curl -fs http://127.0.0.1:$PLAIN_PORT/healthz >/dev/null && curl -fs --cacert cert.pem https://127.0.0.1:$TLS_PORT/healthz >/dev/null && break
  sleep 0.1
done
secret() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['client_secret'])" "$1"; }
rate() { awk '/Requests\/sec/{r=$2} /Non-2xx/{n=$NF} END{print r (n ? " (non-2xx " n ")" : "")}'; }
rss() { awk '/VmRSS/{print $2 " kB"}' /proc/$1/status; }
TLS_URL=https://127.0.0.1:$TLS_PORT
"$BIN" client add svc-dn --audience https://api.example --tls-subject CN=svc-dn,O=Example \
  --url "$TLS_URL" --data-dir d2 --ca-cert cert.pem >/dev/null
s=$(secret d2/admin-credentials.json)
mtls_arm() {
  case "$1" in
    without) "$LOAD" "$TLS_URL" cert.pem 16 "$SECS" admin "$s" ;;
    with) "$LOAD" "$TLS_URL" cert.pem 16 "$SECS" admin "$s" client-identity.pem ;;
    by_cert) "$LOAD" "$TLS_URL" cert.pem 16 "$SECS" svc-dn "" client-identity.pem ;;
  esac
}
arms=(without with by_cert)
declare -A took
for round in $(seq "$ROUNDS"); do
  # Each round starts with another arm: the machine's load drifts over a run.
  for i in 0 1 2; do
    arm=${arms[$(((round + i) % 3))]}
    took[$arm]=$(mtls_arm "$arm")
  done
  echo "round $round mtls: secret client without a certificate ${took[without]}; with one (bound) ${took[with]}; tls_client_auth client by certificate ${took[by_cert]}"
done
[[ -n $MTLS_ONLY ]] && exit 0
for round in $(seq "$ROUNDS"); do
  for kind in plain tls; do
    if [[ $kind == plain ]]; then url=http://127.0.0.1:$PLAIN_PORT; s=$(secret d1/admin-credentials.json)
    else url=https://127.0.0.1:$TLS_PORT; s=$(secret d2/admin-credentials.json); fi
    printf 'wrk.method = "POST"\nwrk.headers["Content-Type"] = "application/x-www-form-urlencoded"\nwrk.body = "grant_type=client_credentials&client_id=admin&client_secret=%s"\n' "$s" > token.lua
    tokens=$(wrk -t2 -c16 -d"${SECS}s" -s token.lua "$url/oauth/token" 2>&1 | rate)
    conns=$(wrk -t2 -c16 -d"${SECS}s" -H "Connection: close" "$url/healthz" 2>&1 | rate)
    echo "round $round $kind: tokens/s (16 keep-alive connections) $tokens; new connections/s (GET /healthz, Connection: close) $conns"
  done
done
echo "RSS at rest: plain $(rss $PLAIN), tls $(rss $TLS)"
python3 - "$PLAIN_PORT" "$TLS_PORT" "$PLAIN" "$TLS" <<'PY'
import socket, ssl, sys, time
plain_port, tls_port, plain_pid, tls_pid = (int(a) for a in sys.argv[1:])
ctx = ssl.create_default_context(cafile="cert.pem")
def rss(pid): return next(l.split()[1] for l in open(f"/proc/{pid}/status") if l.startswith("VmRSS"))
plain = [socket.create_connection(("127.0.0.1", plain_port)) for _ in range(500)]
tls = [ctx.wrap_socket(socket.create_connection(("127.0.0.1", tls_port)), server_hostname="localhost") for _ in range(500)]
for s in plain + tls: s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
for s in plain + tls: s.recv(4096)
time.sleep(1)
print(f"RSS with 500 idle keep-alive connections (one request each): plain {rss(plain_pid)} kB, tls {rss(tls_pid)} kB")
stalled = [socket.create_connection(("127.0.0.1", tls_port)) for _ in range(500)]
time.sleep(1)
print(f"tls RSS with 500 stalled handshakes more: {rss(tls_pid)} kB")
PY
