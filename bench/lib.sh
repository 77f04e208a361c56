# Sourced by the bench scripts: the wall time of a command over RUNS runs, and its statistics as text.
#   . "$root/bench/lib.sh"
#   bench_time "$runs" reset_log "$keyd" rotate --config keyd.yaml
#   echo "keyd rotate ($runs runs): $(bench_stats us median min max)"   # median 812 us, min 790 us, max 901 us

# bench_time RUNS BEFORE COMMAND [ARGUMENT...]: RUNS times, runs BEFORE (untimed; `:` for nothing),
# then COMMAND. Leaves COMMAND's wall times in microseconds, sorted, in the array bench_times.
# Timed with bash's EPOCHREALTIME (microseconds, no process): until 2026-12-05 two `date`
# processes around each run added about 7 ms to every time on this VM.
bench_time() {
  local runs=$1 before=$2 start end
  shift 2
  bench_times=()
  for _ in $(seq "$runs"); do
    "$before"
    start=${EPOCHREALTIME/[.,]/}
    "$@"
    end=${EPOCHREALTIME/[.,]/}
    bench_times+=($((end - start)))
  done
  mapfile -t bench_times < <(printf '%s\n' "${bench_times[@]}" | sort -n)
}

# bench_stats UNIT STATISTIC...: "median 812 us, min 790 us" from bench_times, in UNIT (us, or ms
# rounded down), for each STATISTIC: median (the middle time; the upper one of an even count), min,
# max, p90 (the time at 90 % of the sorted list).
bench_stats() {
  local unit=$1 count=${#bench_times[@]} text="" statistic value
  shift
  [ "$count" -gt 0 ] || { echo "bench_stats: no times (call bench_time first)" >&2; return 2; }
  for statistic in "$@"; do
    case $statistic in
      median) value=${bench_times[$((count / 2))]} ;;
      min) value=${bench_times[0]} ;;
      max) value=${bench_times[$((count - 1))]} ;;
      p90) value=${bench_times[$((count * 9 / 10))]} ;;
      *) echo "bench_stats: unknown statistic '$statistic'" >&2; return 2 ;;
    esac
    case $unit in
      us) ;;
      ms) value=$((value / 1000)) ;;
      *) echo "bench_stats: unknown unit '$unit' (us or ms)" >&2; return 2 ;;
    esac
    text+="${text:+, }$statistic $value $unit"
  done
  printf '%s' "$text"
}

# start_vault_double DIR [ARGUMENT...]: the Vault double on 127.0.0.1 (plain HTTP, token auth), its
# files in DIR (port, ctl, token: the root token). Sets double (its pid: the caller stops it), port
# and ctl (the control URL, .../_double). Needs $root.
start_vault_double() {
  local dir=$1
  shift
  /usr/bin/python3 "$root/tests/doubles/vault_double.py" --port 0 --port-file "$dir/port" \
    --control-port-file "$dir/ctl" --token-file "$dir/token" --quiet --exit-with-parent "$@" &
  double=$!
  for _ in $(seq 500); do [ -s "$dir/port" ] && [ -s "$dir/ctl" ] && break; sleep 0.01; done
  port=$(cat "$dir/port")
  ctl=http://127.0.0.1:$(cat "$dir/ctl")/_double
}

# agent_vault_role CONTROL_URL TOKEN_FILE: on the Vault double at CONTROL_URL (.../_double), the
# reader policy and the pod's Kubernetes auth role as policies/README.md sets them up, and in
# TOKEN_FILE a service-account token that role accepts (the double does not check its signature).
agent_vault_role() {
  local ctl=$1 token_file=$2
  curl -sf -X POST -H 'Content-Type: application/json' "$ctl/policies" \
    -d "$(/usr/bin/python3 -c 'import json,sys; print(json.dumps({"name":"keyd-reader","hcl":open(sys.argv[1]).read()}))' "$root/policies/keyd-reader.hcl")" >/dev/null
  curl -sf -X POST -H 'Content-Type: application/json' "$ctl/kubernetes/roles" \
    -d '{"name":"keyd-reader","bound_service_account_names":["ipfs"],"bound_service_account_namespaces":["ipfs"],"policies":["keyd-reader"]}' >/dev/null
  /usr/bin/python3 - "$token_file" <<'PY'
import base64, json, sys
b = lambda d: base64.urlsafe_b64encode(json.dumps(d).encode()).rstrip(b"=").decode()
claims = {"iss": "kubernetes/serviceaccount", "kubernetes.io/serviceaccount/namespace": "ipfs",
          "kubernetes.io/serviceaccount/service-account.name": "ipfs", "sub": "system:serviceaccount:ipfs:ipfs"}
open(sys.argv[1], "w").write(b({"alg": "RS256", "kid": "bench"}) + "." + b(claims) + "." + b("sig"))
PY
}
