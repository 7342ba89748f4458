#!/usr/bin/env bash
# CI: python-requests (PyPI, pinned in requirements.txt) presenting client certificates with
# `cert=(cert, key)` to a TLS dealer (RFC 8705, check.py): a tls_client_auth client with a
# certificate from a client CA (--tls-client-ca, registered by subject DN) and a
# self_signed_tls_client_auth client (registered with --tls-cert-file) each get a token whose
# cnf.x5t#S256 is their certificate's, and invalid_client without it. Certificates are made
# with openssl as an operator would. The venv is kept in target/ and rebuilt when
# requirements.txt changes. Needs python3 with venv, openssl, and PyPI for the first run.
#
#   tests/interop/requests-mtls/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$here/../lib.sh"
interop_init "${1:-}"

venv="$interop_repo/target/interop-requests-venv"
want="$(sha256sum "$here/requirements.txt" | cut -d' ' -f1)"
if [[ ! -x "$venv/bin/python" || "$(cat "$venv/.requirements" 2>/dev/null)" != "$want" ]]; then
    rm -rf "$venv"
    python3 -m venv "$venv"
    "$venv/bin/pip" install -q --disable-pip-version-check --no-deps -r "$here/requirements.txt" ||
        fail "could not install requests' pinned packages"
    echo "$want" >"$venv/.requirements"
fi

make_ca
pki="$work/clients"
mkdir -p "$pki"
(
    cd "$pki"
    # A client CA, a certificate it signs for svc-dn, and svc-self's self-signed one.
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj "/CN=interop client CA" -keyout client-ca.key -out client-ca.pem
    openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -subj "/O=Example/CN=svc-dn" -keyout svc-dn.key -out svc-dn.csr
    printf 'extendedKeyUsage=clientAuth\nbasicConstraints=CA:FALSE\n' >client.cnf
    openssl x509 -req -in svc-dn.csr -CA client-ca.pem -CAkey client-ca.key -CAcreateserial \
        -days 1 -extfile client.cnf -out svc-dn.pem
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
        -subj "/CN=svc-self" -keyout svc-self.key -out svc-self.pem
) >"$pki/openssl.log" 2>&1 || { cat "$pki/openssl.log" >&2; fail "openssl could not make the client certificates"; }

start_dealer main "$(free_port)" --tls-cert "$work/ca/cert.pem" --tls-key "$work/ca/key.pem" \
    --tls-client-ca "$pki/client-ca.pem"
subject="$(openssl x509 -in "$pki/svc-dn.pem" -noout -subject -nameopt RFC2253 | sed 's/^subject=//')"
admin main client add svc-dn --audience https://api.example --tls-subject "$subject" >/dev/null ||
    fail "could not register svc-dn by its subject $subject"
admin main client add svc-self --audience https://api.example --tls-cert-file "$pki/svc-self.pem" \
    >/dev/null || fail "could not register svc-self by its certificate"

"$venv/bin/python" "$here/check.py" "$dealer_url" "$work/ca/ca.pem" \
    "svc-dn:$pki/svc-dn.pem:$pki/svc-dn.key" "svc-self:$pki/svc-self.pem:$pki/svc-self.key" ||
    fail "python-requests with client certificates against $dealer_url"
