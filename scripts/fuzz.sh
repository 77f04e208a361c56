#!/usr/bin/env bash
# Build the libFuzzer targets (preset `fuzz`, tests/fuzz) and run each for SECONDS (default 10) on its
# seed corpus (tests/fuzz/corpus/<target>), copied to a temporary directory so the run adds nothing
# to the repository. Prints, per target, the executions, the coverage (libFuzzer's cov and ft) and
# the findings; the inputs of any finding are kept in build/fuzz/findings/<target>/. Exits non-zero
# when a target found something (a crash, a failed invariant, a leak, a timeout, out of memory).
#   scripts/fuzz.sh [SECONDS] [TARGET...]      e.g. scripts/fuzz.sh 3600 vault scan
# FUZZ_RUNS=N stops a target after N executions if that comes before SECONDS (the long campaign:
# FUZZ_RUNS=10000000 scripts/fuzz.sh 3600, docs/fuzzing.md). FUZZ_TIMEOUT=S (default 10) is the
# wall-clock time one input may take: raise it when the run is niced below busy builds, or a
# starved process reads as a timeout.
# docs/fuzzing.md explains the targets and what each asserts.
set -euo pipefail
cd "$(dirname "$0")/.."

seconds=${1:-10}
shift || true
jobs=$(nproc 2>/dev/null || echo 2)

cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$jobs"

if [ "$#" -gt 0 ]; then
  targets=("$@")
else
  targets=()
  for binary in build/fuzz/fuzz/*_fuzz; do
    name=$(basename "$binary")
    targets+=("${name%_fuzz}")
  done
fi

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# Key file seeds are made at run time: no swarm key is ever committed (keyd scan --git-history
# stays at 0 keys). One key per codec, plus the same as a Kubernetes Secret's data.
seed_keys() {
  local dir=$1 hex b64
  hex=$(head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n')
  b64=$(printf '%s' "$hex" | xxd -r -p | base64 -w0)
  printf '/key/swarm/psk/1.0.0/\n/base16/\n%s\n' "$hex" >"$dir/generated-base16"
  printf '/key/swarm/psk/1.0.0/\r\n/base16/\r\n%s\r\n' "${hex^^}" >"$dir/generated-base16-crlf-upper"
  printf '/key/swarm/psk/1.0.0/\n/base64/\n%s\n' "$b64" >"$dir/generated-base64"
  { printf '/key/swarm/psk/1.0.0/\n/bin/\n'; printf '%s' "$hex" | xxd -r -p; } >"$dir/generated-bin"
  # Two padded pieces (31 bytes, then 1): Go's stream decoder reads on (docs/fuzzing.md, finding 3).
  printf '/key/swarm/psk/1.0.0/\n/base64/\n%s\n%s\n' "$(printf '%s' "${hex:0:62}" | xxd -r -p | base64 -w0)" \
    "$(printf '%s' "${hex:62:2}" | xxd -r -p | base64 -w0)" >"$dir/generated-base64-two-pieces"
  # 25 bytes then 7: the line break ends Go's first 40-byte read right after the padded group
  # (docs/fuzzing.md, finding 7); on one line the same characters are rejected.
  printf '/key/swarm/psk/1.0.0/\n/base64/\n%s\n%s\n' "$(printf '%s' "${hex:0:50}" | xxd -r -p | base64 -w0)" \
    "$(printf '%s' "${hex:50:14}" | xxd -r -p | base64 -w0)" >"$dir/generated-base64-chunk-edge"
  printf 'data:\n  swarm.key: %s\n' "$(base64 -w0 <"$dir/generated-base16")" >"$dir/generated-secret-data"
}

status=0
printf '%-14s %8s %12s %8s %8s  %s\n' target seconds executions cov ft findings
for name in "${targets[@]}"; do
  binary=build/fuzz/fuzz/${name}_fuzz
  [ -x "$binary" ] || { echo "no fuzz target $name ($binary)"; status=1; continue; }
  corpus=$work/$name/corpus
  artifacts=$work/$name/artifacts
  mkdir -p "$corpus" "$artifacts"
  if [ -d "tests/fuzz/corpus/$name" ]; then cp -r "tests/fuzz/corpus/$name/." "$corpus/"; fi
  case $name in key_file | scan) seed_keys "$corpus" ;; esac
  log=$work/$name/log
  started=$SECONDS
  # -timeout: one input may take at most FUZZ_TIMEOUT (10) s; -rss_limit_mb: a parser must not balloon.
  TMPDIR=$work/$name "$binary" -max_total_time="$seconds" ${FUZZ_RUNS:+-runs="$FUZZ_RUNS"} -timeout="${FUZZ_TIMEOUT:-10}" -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$artifacts/" "$corpus" >"$log" 2>&1 || true
  elapsed=$((SECONDS - started))
  executions=$(grep -Eo 'stat::number_of_executed_units: [0-9]+' "$log" | grep -Eo '[0-9]+$' || echo 0)
  last=$(grep -E '^#[0-9]+' "$log" | tail -n1 || true)
  cov=$(grep -Eo 'cov: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
  ft=$(grep -Eo 'ft: [0-9]+' <<<"$last" | grep -Eo '[0-9]+' || echo 0)
  # libFuzzer also saves "slow-unit-*" inputs that took over 10 s of wall time: on a loaded machine
  # that is scheduling, not the parser (a real hang is a timeout, above FUZZ_TIMEOUT). Kept and
  # named, not counted as findings.
  slow=$(find "$artifacts" -type f -name 'slow-unit-*' | wc -l)
  found=$(find "$artifacts" -type f ! -name 'slow-unit-*' | wc -l)
  if grep -Eq 'ERROR: (libFuzzer|AddressSanitizer|LeakSanitizer|UndefinedBehaviorSanitizer)|runtime error:|FUZZ_CHECK failed' "$log" && ((found == 0)); then
    found=1  # a finding without a saved input (e.g. a leak at exit)
  fi
  summary=none
  if ((found > 0)); then
    status=1
    keep=build/fuzz/findings/$name
    mkdir -p "$keep"
    cp "$log" "$keep/log"
    find "$artifacts" -type f -exec cp {} "$keep/" \;
    summary="$found: $({ grep -Eam1 'FUZZ_CHECK failed.*|ERROR: [A-Za-z]+: [^ ]+( [^ ]+)?|runtime error: .*' "$log" || echo 'see the log'; } | cut -c1-100) (inputs and log in $keep)"
  fi
  if ((slow > 0)); then
    keep=build/fuzz/slow/$name
    mkdir -p "$keep"
    find "$artifacts" -type f -name 'slow-unit-*' -exec cp {} "$keep/" \;
    summary+="; $slow slow units (>10 s wall, in $keep; rerun one to time it)"
  fi
  printf '%-14s %8s %12s %8s %8s  %s\n' "$name" "$elapsed" "$executions" "$cov" "$ft" "$summary"
done

if ((status == 0)); then
  echo "fuzz: ${#targets[@]} passed, 0 failed"
else
  echo "fuzz: findings (see above); reproduce with build/fuzz/fuzz/<target>_fuzz <input>"
fi
exit "$status"
