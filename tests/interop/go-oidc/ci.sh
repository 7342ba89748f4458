#!/usr/bin/env bash
# CI: go-oidc 2.1.0 (Debian's golang-github-coreos-go-oidc-dev, GOPATH mode) against real
# dealers: NewProvider from the issuer URL, the token endpoint it discovers, its Verifier with
# the audience as ClientID (verify.go). Run twice: an issuer that is the listener's URL, and an
# issuer with a path (http://127.0.0.1:PORT/tenant-a), whose documents the dealer serves under
# the path. Needs golang-go and golang-github-coreos-go-oidc-dev.
#
#   tests/interop/go-oidc/ci.sh [path/to/tokendealer]   (default: target/debug/tokendealer)
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source-path=SCRIPTDIR source=../lib.sh
. "$here/../lib.sh"
interop_init "${1:-}"

gopath=/usr/share/gocode
[[ -d $gopath/src/github.com/coreos/go-oidc ]] ||
    fail "needs Debian's golang-go and golang-github-coreos-go-oidc-dev"
# Built once (Go's build cache keeps the packages between runs), run against both dealers.
GO111MODULE=off GOPATH="$gopath" go build -o "$work/verify" "$here/verify.go" ||
    fail "verify.go did not build against Debian's go-oidc"

declare -A issuers
port="$(free_port)"
start_dealer root "$port"
issuers[root]="$dealer_url"
port="$(free_port)"
start_dealer tenant "$port" --issuer "http://127.0.0.1:$port/tenant-a"
issuers[tenant]="$dealer_url/tenant-a"

for dealer in root tenant; do
    issuer="${issuers[$dealer]}"
    secret="$(register_client "$dealer" svc https://api.example https://other.example)"
    echo "# $dealer: issuer $issuer"
    TOKENDEALER_CLIENT_SECRET="$secret" run_check "go-oidc against $issuer" \
        "$work/verify" "$issuer" svc https://api.example https://other.example
done
checks_passed "go-oidc did not discover or verify as expected"
