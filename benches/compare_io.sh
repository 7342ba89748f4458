#!/usr/bin/env bash
# Both I/O models in one run, one after the other, each against its own signing ceiling:
#   benches/compare_io.sh [any benches/load.sh option…]   e.g. --alg EdDSA, --connections 1000
# Prints each model's summary lines; the ratios are the comparison (absolute rates move with
# the machine's other load).
set -euo pipefail
cd "$(dirname "$0")/.."
for io in per-thread shared; do
  echo "== io=$io"
  benches/load.sh --io "$io" "$@" | grep -E '^(server:|MEDIAN|server RSS)'
done
