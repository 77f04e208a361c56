#!/usr/bin/env bash
# Benchmark: `keyd scan` throughput in MB/s, on generated files (this repository's sources repeated,
# plus lock-file-like lines full of unlabelled 64-hex checksums) and on this repository's git history.
# Prints numbers; asserts nothing.
#   bench/scan.sh [MIB] [KEYD_BINARY]        MIB: size of the generated tree (default 128)
set -euo pipefail
mib=${1:-128}
root=$(cd "$(dirname "$0")/.." && pwd)
keyd=${2:-$root/build/release/bin/keyd}
[ -x "$keyd" ] || { echo "bench: build first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The corpus: sources (text with the usual mix of hex, base64 and paths) and checksum lines.
seed="$work/seed"
mkdir -p "$seed"
git -C "$root" ls-files -z -- '*.cpp' '*.hpp' '*.md' '*.yaml' '*.py' '*.sh' |
  (cd "$root" && xargs -0 cat) >"$seed/sources.txt"
for i in $(seq 2000); do
  printf 'pkg-%d = { checksum = "%s" }\n' "$i" "$(printf '%s' "$i" | sha256sum | cut -c1-64)"
done >"$seed/lock.txt"
corpus="$work/corpus"
mkdir -p "$corpus"
target=$((mib * 1024 * 1024))
size=0
n=0
while [ "$size" -lt "$target" ]; do
  dir="$corpus/d$((n % 16))"
  mkdir -p "$dir"
  cat "$seed/sources.txt" "$seed/lock.txt" >"$dir/f$n.txt"
  size=$((size + $(stat -c %s "$dir/f$n.txt")))
  n=$((n + 1))
done

now() { date +%s%N; }
# best of 3: the first run also warms the page cache
best=0
for _ in 1 2 3; do
  start=$(now)
  status=0
  out=$("$keyd" scan --no-allow --output json "$corpus" 2>/dev/null) || status=$?
  end=$(now)
  [ "$status" -le 1 ] || { echo "bench: keyd scan failed (exit $status)" >&2; exit 1; }
  ns=$((end - start))
  if [ "$best" = 0 ] || [ "$ns" -lt "$best" ]; then best=$ns; fi
done
bytes=$(printf '%s' "$out" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes"])')
found=$(printf '%s' "$out" | python3 -c 'import json,sys; print(len(json.load(sys.stdin)["findings"]))')
awk -v b="$bytes" -v ns="$best" -v n="$n" -v f="$found" 'BEGIN {
  printf "keyd scan (files): %d files, %.1f MiB in %.3f s: %.0f MB/s (best of 3, %d findings)\n",
    n, b / 1048576, ns / 1e9, b / 1e6 / (ns / 1e9), f }'

if git -C "$root" rev-parse --git-dir >/dev/null 2>&1; then
  start=$(now)
  status=0
  out=$("$keyd" scan --git-history --no-allow --output json "$root" 2>/dev/null) || status=$?
  end=$(now)
  [ "$status" -le 1 ] || { echo "bench: keyd scan --git-history failed (exit $status)" >&2; exit 1; }
  read -r bytes commits < <(printf '%s' "$out" | python3 -c 'import json,sys; d=json.load(sys.stdin); print(d["bytes"], d["commits"])')
  awk -v b="$bytes" -v ns="$((end - start))" -v c="$commits" 'BEGIN {
    printf "keyd scan --git-history (this repository): %d commits, %.1f MiB of hunks in %.3f s: %.1f MB/s (git log -p included)\n",
      c, b / 1048576, ns / 1e9, b / 1e6 / (ns / 1e9) }'
fi
