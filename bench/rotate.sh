#!/usr/bin/env bash
# Benchmark: wall time of `keyd rotate` on the embedded file store (one file target), and the
# size of the keyd binary. Prints numbers; asserts nothing.
#   bench/rotate.sh [RUNS] [KEYD_BINARY]
set -euo pipefail
runs=${1:-25}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
keyd=${2:-$root/build/release/bin/keyd}
[ -x "$keyd" ] || { echo "bench: build first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp "$root/configs/local.yaml" "$work/keyd.yaml"
cd "$work"
"$keyd" rotate --config keyd.yaml >/dev/null   # first run creates the master key and directories

bench_time "$runs" : "$keyd" rotate --config keyd.yaml >/dev/null
echo "keyd rotate (file store, 1 file target, $runs runs): $(bench_stats us median p90 min)"
size=$(stat -c %s "$keyd")
stripped=$(strip -o "$work/keyd.stripped" "$keyd" && stat -c %s "$work/keyd.stripped")
echo "keyd binary: ${size} bytes as built, ${stripped} bytes stripped"
if [ -x /usr/bin/time ]; then
  rss=$( { /usr/bin/time -f '%M' "$keyd" rotate --config keyd.yaml >/dev/null; } 2>&1 | tail -1)
  echo "keyd rotate max resident set: ${rss} KiB"
fi
