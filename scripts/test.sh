#!/usr/bin/env bash
# Install dependencies, build and run every test:
#   1. conformance of the Vault, kube-apiserver and poly-secret-mcp doubles with real clients (hvac,
#      node-vault, kubectl, python3-kubernetes, the MCP SDK's client) — the doubles must be right before keyd's tests rely on them;
#   2. the warnings-as-errors build and the ASan+UBSan build, each running the whole ctest suite, and
#      the abuse suite (tests/abuse) against the warnings-as-errors build's daemon;
#   3. every libFuzzer target on its committed corpus for 10 s (scripts/fuzz.sh 10; docs/fuzzing.md);
#   4. keyd scan over this repository's whole git history, and the Justfile's recipes against the doubles;
#   5. the end-to-end proof with real js-libp2p nodes using keys made by keyd (and keyd agent);
#   6. the .deb and the image's root file system, built from the release build and installed/run;
#   7. one run of the rotation benchmark against the doubles (tests/bench/smoke.sh: bench/compare
#      with both baselines and the floor; request counts checked, times only printed).
# Each stage closes with "N passed, S skipped, M failed" (or "N passed, M failed": it cannot skip),
# then "== <stage>: took N s" (the builds too), so CI's time is visible stage by stage;
# a skipped test is never counted as passed, and a skip that is not in the allow-list below fails CI.
# Ends with one line "total: N passed, S skipped, 0 failed" summing every stage; exits non-zero on any
# failure or unexpected skip.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/install-test-tools.sh
./scripts/install-kube-test-tools.sh
./scripts/install-e2e-tools.sh
./scripts/install-mcp-test-tools.sh
./scripts/install-just.sh

# The tests allowed to skip, as "<ctest preset> <test name>", each with its reason. Keep it short
# (ideally empty): CI runs as root with every tool installed, so anything else that skips there
# lost its coverage silently and fails the run.
allowed_skips=(
  # ProcessSpawn.ThePipeErrorNamesWhatItWasFor lowers RLIMIT_NOFILE to 3; ASan/UBSan need descriptors
  # of their own to report, so the test skips itself in sanitizer builds (it runs in the dev build).
  "asan ProcessSpawn.ThePipeErrorNamesWhatItWasFor"
)

passed=0
skipped=0
log=$(mktemp)
trap 'rm -f "$log"' EXIT
# Run a stage, show its output, and add the "N passed[, S skipped]" of its closing line to the totals.
stage() {
  local name=$1 began=$SECONDS
  shift
  echo "== $name"
  "$@" 2>&1 | tee "$log"
  local status=${PIPESTATUS[0]}
  echo "== $name: took $((SECONDS - began)) s"
  ((status == 0)) || { echo "== $name failed (exit $status)"; exit "$status"; }
  local line n s
  line=$(grep -Eo '[0-9]+ passed, ([0-9]+ skipped, )?0 failed' "$log" | tail -n1 || true)
  [ -n "$line" ] || { echo "== $name: no closing \"N passed, 0 failed\" line"; exit 1; }
  n=${line%% *}
  s=$(grep -Eo '[0-9]+ skipped' <<<"$line" | grep -Eo '^[0-9]+' || true)
  passed=$((passed + n))
  skipped=$((skipped + ${s:-0}))
}

# ctest counts a skipped test as passed ("100% tests passed ... out of N"): read its list of tests
# that did not run, fail on any skip outside allowed_skips, and close with an honest
# "ctest (<preset>): N passed, S skipped, 0 failed".
run_ctest() { # preset jobs
  local preset=$1 jobs=$2 out total name unexpected=0 n_skipped=0
  out=$(mktemp)
  local exclude=()
  # The fault matrix (docs/fault-matrix.md) runs once, on the dev build: its 45 cells are real keyd
  # processes against the doubles (about 2 minutes), and the ASan build adds no new fault path to them.
  [ "$preset" = asan ] && exclude=(-E '^Cells/FaultMatrix\.')
  ctest --preset "$preset" -j "$jobs" "${exclude[@]}" 2>&1 | tee "$out"
  local status=${PIPESTATUS[0]}
  if ((status != 0)); then rm -f "$out"; return "$status"; fi
  total=$(grep -Eo 'tests passed, 0 tests failed out of [0-9]+' "$out" | tail -n1 | grep -Eo '[0-9]+$' || true)
  if [ -z "$total" ]; then echo "ctest ($preset): no summary line"; rm -f "$out"; return 1; fi
  while IFS= read -r name; do
    n_skipped=$((n_skipped + 1))
    if printf '%s\n' "${allowed_skips[@]}" | grep -Fxq "$preset $name"; then
      echo "ctest ($preset): skipped (allowed): $name"
    else
      echo "ctest ($preset): UNEXPECTED SKIP: $name (not in allowed_skips in scripts/test.sh)"
      unexpected=$((unexpected + 1))
    fi
  done < <(sed -nE 's/^[[:space:]]*[0-9]+ - (.+) \((Skipped|Disabled)\)$/\1/p' "$out")
  rm -f "$out"
  echo "ctest ($preset): $((total - n_skipped)) passed, $n_skipped skipped, $unexpected failed"
  ((unexpected == 0))
}

stage "conformance of the Vault double (python3-hvac, node-vault)" tests/conformance/run.sh
stage "conformance of the kube-apiserver double (kubectl, python3-kubernetes)" tests/conformance/kube/run.sh
stage "conformance of the poly-secret-mcp double (MCP SDK client)" tests/conformance/mcp/run.sh

jobs=$(nproc 2>/dev/null || echo 2)
# In CI, line tables only (-g1): enough for sanitizer and gdb backtraces (file:line), and about a
# third less compile time than full debug info on these template-heavy tests.
debug_info=()
[ "${CI:-}" = true ] && debug_info=(-DCMAKE_CXX_FLAGS_DEBUG=-g1 -DCMAKE_C_FLAGS_DEBUG=-g1)
for preset in dev asan; do
  echo "== build ($preset)"
  began=$SECONDS
  cmake --preset "$preset" "${debug_info[@]}" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== build ($preset): took $((SECONDS - began)) s"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    stage "test ($preset)" run_ctest "$preset" "$jobs"
  # The real daemon under hostile clients (docs/abuse.md), once, on the dev build: ASan's overhead
  # would distort the answer times and RSS it measures.
  if [ "$preset" = dev ]; then
    stage "abuse suite against keyd daemon (tests/abuse)" python3 tests/abuse/abuse_suite.py --keyd build/dev/bin/keyd
  fi
done

# Every parser of untrusted input under libFuzzer, briefly (the long campaign: docs/fuzzing.md):
# each target first replays its committed corpus (the regression inputs of every finding), then
# mutates it for 10 s. scripts/fuzz.sh closes with "fuzz: N passed, 0 failed".
stage "fuzz targets, 10 s each on their corpora (tests/fuzz)" scripts/fuzz.sh 10

# No swarm key in any commit of this repository (public test vectors only through .keyd-scan-allow).
echo "== keyd scan --git-history (no swarm key in this repository's history)"
if [ "$(git rev-parse --is-shallow-repository 2>/dev/null)" = true ]; then
  echo "note: shallow clone: only the commits present are scanned"
fi
build/dev/bin/keyd scan --git-history .

stage "just recipes against the kube double (tests/just)" env KEYD="$PWD/build/dev/bin/keyd" tests/just/run.sh

stage "end-to-end with real js-libp2p (tests/e2e)" env KEYD=build/dev/bin/keyd tests/e2e/run.sh

# What a platform team installs (docs/install.md): the release build (one static binary) as a .deb, proven
# by installing it with dpkg into a scratch root, and as the image's root file system, proven by
# running keyd from it in a chroot as the non-root user (scripts/check-package.sh).
echo "== packages (scripts/package.sh)"
began=$SECONDS
./scripts/package.sh
echo "== packages (scripts/package.sh): took $((SECONDS - began)) s"
stage "the .deb and the image's root file system (scripts/check-package.sh)" ./scripts/check-package.sh

# The rotation benchmark, once (docs/performance.md has the measured runs), with the package's
# release binary: it must still run, and a rotation must still take at most 8 requests.
stage "benchmark smoke: bench/compare, one run per tool (tests/bench/smoke.sh)" env KEYD="$PWD/build/package/bin/keyd" tests/bench/smoke.sh

echo "total: $passed passed, $skipped skipped, 0 failed (in $SECONDS s)"
