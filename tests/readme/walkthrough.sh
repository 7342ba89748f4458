#!/usr/bin/env bash
# Runs the README's walkthrough block as a newcomer pastes it, against a fresh dealer started the
# way the README's run command does (127.0.0.1:5001, ./data and ./keys of a temporary folder).
#   tests/readme/walkthrough.sh target/debug/tokendealer
# The block names target/release/tokendealer; it is pointed at the binary given instead.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
bin=$(cd "$(dirname "$1")" && pwd)/$(basename "$1")

work=$(mktemp -d /tmp/tokendealer-walkthrough.XXXXXX)
dealer=""
cleanup() {
  [ -n "$dealer" ] && kill "$dealer" 2>/dev/null && wait "$dealer" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

# The first ```sh block after "## Walkthrough".
python3 - "$root/README.md" >"$work/block.sh" <<'PY'
import re, sys
text = open(sys.argv[1]).read()
section = text.split("## Walkthrough", 1)[1]
print(re.search(r"```sh\n(.*?)```", section, re.S).group(1))
PY
mkdir -p "$work/target/release"
ln -s "$bin" "$work/target/release/tokendealer"

cd "$work"
if python3 -c 'import socket; socket.create_connection(("127.0.0.1", 5001), 1)' 2>/dev/null; then
  echo "127.0.0.1:5001 is taken: the walkthrough needs it" >&2
  exit 1
fi
"$bin" serve >"$work/serve.log" 2>&1 &
dealer=$!
for _ in $(seq 100); do
  curl -sf http://127.0.0.1:5001/healthz >/dev/null && break
  sleep 0.1
done

bash -euo pipefail "$work/block.sh" | tee "$work/out.txt"
grep -q "'sub': 'strava'" "$work/out.txt" || {
  echo "the walkthrough did not end with the decoded token" >&2
  exit 1
}
echo "walkthrough: ok"
