#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for tests: no system service, a temporary folder, a free port.
#   .ci/pg-cluster.sh start DIR   -> initdb + start; prints the superuser URL on stdout
#   .ci/pg-cluster.sh stop DIR    -> fast shutdown (the folder is left for the caller to delete)
#   .ci/pg-cluster.sh restart DIR -> stop, then start on the same port (tests of reconnection)
# TLS is on (plaintext stays allowed): DIR/ca.crt is a throwaway CA that signed the server's
# certificate for 127.0.0.1 and localhost, for tests of sslmode=verify-full.
# Installs Debian's postgresql if its binaries are missing. As root, runs as `postgres`
# (initdb refuses root); otherwise as the current user.
set -euo pipefail

cmd=${1:?start|stop|restart}
dir=${2:?cluster folder}

bin=""
for candidate in /usr/lib/postgresql/*/bin; do
  [ -x "$candidate/initdb" ] && bin=$candidate
done
if [ -z "$bin" ]; then
  if [ "$(id -u)" = 0 ]; then
    echo "installing postgresql from Debian" >&2
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q postgresql >&2
  else
    echo "PostgreSQL binaries missing: apt-get install postgresql" >&2
    exit 1
  fi
  for candidate in /usr/lib/postgresql/*/bin; do
    [ -x "$candidate/initdb" ] && bin=$candidate
  done
fi

as_owner() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# A throwaway CA and the server's certificate, made once per cluster folder.
make_certs() {
  [ -f "$dir/server.crt" ] && return 0
  command -v openssl >/dev/null || {
    echo "openssl missing: apt-get install openssl" >&2
    exit 1
  }
  local ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
  as_owner openssl req -x509 "${ec[@]}" -days 7 -subj "/CN=tokendealer test CA" \
    -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" \
    -keyout "$dir/ca.key" -out "$dir/ca.crt" 2>/dev/null
  as_owner openssl req "${ec[@]}" -subj "/CN=127.0.0.1" \
    -keyout "$dir/server.key" -out "$dir/server.csr" 2>/dev/null
  printf '%s\n' "subjectAltName=IP:127.0.0.1,DNS:localhost" "basicConstraints=critical,CA:FALSE" \
    "keyUsage=critical,digitalSignature" "extendedKeyUsage=serverAuth" | as_owner tee "$dir/server.ext" >/dev/null
  as_owner openssl x509 -req -in "$dir/server.csr" -CA "$dir/ca.crt" -CAkey "$dir/ca.key" \
    -CAcreateserial -days 7 -extfile "$dir/server.ext" -out "$dir/server.crt" 2>/dev/null
  chmod 0600 "$dir/server.key" "$dir/ca.key"
  chmod 0644 "$dir/ca.crt"
}

start() {
  local port
  if [ -f "$dir/port" ]; then port=$(cat "$dir/port"); else port=$(free_port); fi
  as_owner "$bin/pg_ctl" -D "$dir/db" -l "$dir/log" \
    -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c max_connections=500 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c ssl=on -c ssl_cert_file=$dir/server.crt -c ssl_key_file=$dir/server.key" \
    -w -t 60 start >&2
  echo "postgres://postgres@127.0.0.1:$port/postgres"
}

case "$cmd" in
  start)
    mkdir -p "$dir"
    if [ "$(id -u)" = 0 ]; then chown postgres: "$dir"; fi
    chmod 0700 "$dir"
    if [ ! -f "$dir/db/PG_VERSION" ]; then
      as_owner "$bin/initdb" -D "$dir/db" -A trust -U postgres --no-sync >&2
    fi
    free_port > "$dir/port.tmp" && { [ -f "$dir/port" ] || mv "$dir/port.tmp" "$dir/port"; }
    rm -f "$dir/port.tmp"
    make_certs
    start
    ;;
  stop)
    as_owner "$bin/pg_ctl" -D "$dir/db" -m fast -w stop >&2 || true
    ;;
  restart)
    as_owner "$bin/pg_ctl" -D "$dir/db" -m fast -w stop >&2 || true
    start
    ;;
  *)
    echo "usage: $0 start|stop|restart DIR" >&2
    exit 2
    ;;
esac
