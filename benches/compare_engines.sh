#!/usr/bin/env bash
# sled and PostgreSQL in one run, one after the other, each against its own signing ceiling:
#   benches/compare_engines.sh --database-url postgres://postgres@127.0.0.1:PORT/postgres [load.sh options…]
# The token path reads an in-memory cache on both engines; the ratio PostgreSQL ÷ sled is the
# comparison (goal ≥ 0.95).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ "${1:-}" == "--database-url" && -n "${2:-}" ]] || { echo "usage: $0 --database-url URL [options]" >&2; exit 2; }
URL=$2; shift 2
echo "== sled"
benches/load.sh "$@" | tee /tmp/compare_engines.sled | grep -E '^(storage:|server:|MEDIAN|server RSS)'
echo "== PostgreSQL"
benches/load.sh --database-url "$URL" "$@" | tee /tmp/compare_engines.pg | grep -E '^(storage:|server:|MEDIAN|server RSS)'
python3 - <<'PY'
import re
def rate(path):
    for line in open(path):
        m = re.search(r"MEDIAN .*?(?:tokens|requests)/s (\d+)", line)
        if m: return float(m.group(1))
s, p = rate("/tmp/compare_engines.sled"), rate("/tmp/compare_engines.pg")
print(f"PostgreSQL ÷ sled (median rates of this run): {p / s:.3f}")
PY
