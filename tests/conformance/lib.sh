# Sourced by the conformance runs, tests/just/run.sh and tests/bench/smoke.sh: a temp dir removed on
# exit, background runs killed on exit/interrupt, and check (below).
conformance_setup() { # temp-dir-prefix
  tmp=$(mktemp -d "${TMPDIR:-/tmp}/$1.XXXXXX")
  pids=()
  trap conformance_cleanup EXIT
  trap 'exit 130' INT TERM
}
conformance_cleanup() {
  local p
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}
run_limited() { # seconds output-file|- command... ; sets rc (killed after seconds, then 5 more)
  local secs=$1 out=$2
  shift 2
  if [ "$out" = - ]; then
    timeout --kill-after=5 "$secs" "$@" &
  else
    timeout --kill-after=5 "$secs" "$@" >"$out" 2>&1 &
  fi
  pids+=($!)
  wait "${pids[-1]}"
  rc=$?
}
# A check that does not stop the run: "ok"/"FAIL" and the description, the failing command's output
# indented below it; counts into $passed and $failed (set both to 0 first). Needs conformance_setup.
check() { # description command... : passes when the command succeeds
  local what=$1
  shift
  if "$@" >"$tmp/check.out" 2>&1; then
    passed=$((passed + 1))
    echo "ok    $what"
  else
    failed=$((failed + 1))
    echo "FAIL  $what"
    sed 's/^/      /' "$tmp/check.out"
  fi
}
