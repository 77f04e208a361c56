#!/usr/bin/env bash
# A short run of bench/compare in CI (one run per tool and socket mode; the measured runs are in
# docs/performance.md): it proves the benchmark still runs end to end — both baselines, the floor
# (bench/floor/rotate_floor.c, compiled by bench/compare) and keyd against the doubles — and checks
# what does not depend on the machine's speed: the HTTP requests of one rotation (keyd at most 8,
# issue 18; the floor exactly the same 8) and that every tool printed a time. Times are printed,
# never asserted. Closing line: "bench smoke: N passed, M failed".
#   tests/bench/smoke.sh            KEYD=path/to/keyd (default build/release, else build/dev)
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
keyd=${KEYD:-}
for candidate in build/release/bin/keyd build/dev/bin/keyd; do
  [ -n "$keyd" ] || { [ -x "$candidate" ] && keyd=$PWD/$candidate; }
done
[ -n "$keyd" ] || { echo "bench smoke: no keyd binary (build one, or set KEYD)"; echo "bench smoke: 0 passed, 1 failed"; exit 1; }

. tests/conformance/lib.sh  # conformance_setup, check
conformance_setup keyd-bench-smoke
out=$tmp/compare.out
passed=0 failed=0

KEYD=$keyd COMPARE_MODES="go nagle" timeout --kill-after=5 300 bench/compare 1 2>&1 | tee "$out"
status=${PIPESTATUS[0]}
check "bench/compare exits 0" test "$status" -eq 0

# "<name>  median   X ms  p90   Y ms   N requests ..." under "== <mode>:".
line_of() { awk -v mode="== $1:" -v name="$2" 'index($0, mode) == 1 { m = 1; next } /^== / { m = 0 } m && index($0, name) == 1' "$out"; }
requests_of() { line_of "$1" "$2" | grep -Eo '[0-9]+ requests' | grep -Eo '^[0-9]+'; }
timed() { line_of "$1" "$2" | grep -Eq 'median +[0-9]+\.[0-9] ms'; }

for mode in go nagle; do
  for tool in "keyd rotate" "python hvac + kubernetes" "curl + jq + kubectl"; do
    check "$mode: $tool printed a median" timed "$mode" "$tool"
  done
  n=$(requests_of "$mode" "keyd rotate")
  check "$mode: keyd rotate made at most 8 requests (${n:-none})" test "${n:-99}" -le 8
done
check "go: the floor printed a median" timed go "floor (raw OpenSSL client)"
n=$(requests_of go "floor (raw OpenSSL client)")
check "go: the floor made the same 8 requests (${n:-none})" test "${n:-0}" -eq 8
check "go: keyd's distance from the floor was printed" grep -Eq '^keyd above the floor: -?[0-9]+\.[0-9] ms' "$out"
check "nagle: no floor (it has no quick ACKs)" test -z "$(line_of nagle "floor (raw OpenSSL client)")"

echo "bench smoke: $passed passed, $failed failed"
((failed == 0))
