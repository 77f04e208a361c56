# Sourced by run.sh and kube/run.sh: a temp dir removed on exit, background runs killed on exit/interrupt.
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
