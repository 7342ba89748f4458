#!/usr/bin/env bash
# CI: Apache httpd with mod_auth_openidc (Debian's packages) as an OAuth 2.0 resource server in
# front of a real dealer on HTTPS (the module fetches keys over https only; a throwaway CA signs
# the dealer's certificate). The dealer's token for Apache's audience gets 200; a token for
# another audience, one from another dealer and none get 401. With [keys] algorithms =
# ["RS512"], Apache's error log names no key it could not parse (cjose, its JOSE library, reads
# no OKP key: with the default three, the foreign token's search through the key set logs one).
# Needs apache2, libapache2-mod-auth-openidc, openssl, curl.
#
#   tests/interop/apache/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
#   INTEROP_KEYS_ALGORITHMS='["RS512","EdDSA","ES256"]' tests/interop/apache/ci.sh   # fails: OKP
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$here/../lib.sh"
interop_init "${1:-}"

modules=/usr/lib/apache2/modules
[[ -x /usr/sbin/apache2 && -f $modules/mod_auth_openidc.so ]] ||
    fail "needs Debian's apache2 and libapache2-mod-auth-openidc"

make_ca
port="$(free_port)"
issuer="https://127.0.0.1:$port"
TOKENDEALER_KEYS_ALGORITHMS="${INTEROP_KEYS_ALGORITHMS:-[\"RS512\"]}" \
    start_dealer main "$port" --tls-cert "$work/ca/cert.pem" --tls-key "$work/ca/key.pem"
secret="$(register_client main svc https://api.example https://other.example)"
# Another dealer (its own keys and issuer) whose client may ask for Apache's audience.
start_dealer elsewhere "$(free_port)"
foreign_secret="$(register_client elsewhere svc https://api.example)"

# Apache as a user process: its own config, pid file, logs and mutexes under $work, a free
# port, in the foreground (stopped by PID at exit). Started as root, its children run as
# nobody, so what they read at request time (the CA bundle) must be world-readable.
apache="$work/apache"
mkdir -p "$apache/htdocs"
echo "runs" >"$apache/htdocs/api"
chmod a+x "$work"
chmod -R a+rX "$work/ca" "$apache"
apache_port="$(free_port)"
cat >"$apache/httpd.conf" <<CONF
ServerRoot $apache
ServerName 127.0.0.1
Listen 127.0.0.1:$apache_port
PidFile $apache/httpd.pid
DefaultRuntimeDir $apache
ErrorLog $apache/error.log
LogLevel warn auth_openidc:info
User nobody
Group nogroup
LoadModule mpm_event_module $modules/mod_mpm_event.so
LoadModule authn_core_module $modules/mod_authn_core.so
LoadModule authz_core_module $modules/mod_authz_core.so
LoadModule auth_openidc_module $modules/mod_auth_openidc.so
DocumentRoot $apache/htdocs
OIDCOAuthVerifyJwksUri $issuer/.well-known/jwks.json
OIDCCABundlePath $work/ca/ca.pem
<Location /api>
  AuthType oauth20
  # Bare Require lines are alternatives: the audience alone would admit any issuer's token.
  <RequireAll>
    Require claim iss:$issuer
    Require claim aud:https://api.example
  </RequireAll>
</Location>
CONF
start_background "$apache/stdout.log" apache2 -f "$apache/httpd.conf" -DFOREGROUND
interop_logs+=("$apache/error.log")
wait_for "http://127.0.0.1:$apache_port/"

# status [TOKEN]: Apache's answer to GET /api with that bearer token (none when empty).
status() {
    curl -sS -o /dev/null --max-time 10 -w '%{http_code}' ${1:+-H "Authorization: Bearer $1"} \
        "http://127.0.0.1:$apache_port/api"
}
expect "the token for Apache's audience" 200 "$(status "$(get_token main svc "$secret" https://api.example)")"
expect "a token for another audience" 401 "$(status "$(get_token main svc "$secret" https://other.example)")"
expect "another dealer's token for Apache's audience" 401 \
    "$(status "$(get_token elsewhere svc "$foreign_secret" https://api.example)")"
expect "no token" 401 "$(status "")"

# What cjose could not read, logged at each search through the key set (a warning).
unreadable="$(grep -c 'JWK parsing failed' "$apache/error.log" || true)"
expect "keys Apache could not parse" 0 "$unreadable"
checks_passed "mod_auth_openidc did not answer as expected"
