#!/usr/bin/env bash
# keyd daemon at scale: for N swarms with no key yet (one file target each), the time of the daemon's
# first pass until every swarm has its first key, the daemon's VmRSS after that pass, and the
# steady-state cost of a check (CPU time per swarm check, checks per second, store requests per
# check) over a few seconds of back-to-back passes. Prints numbers, asserts nothing.
#
# Usage: bench/daemon-scale.sh [path/to/keyd] (default build/release/bin/keyd)
#   COUNTS="10 100 1000"   swarm counts (add 10000 for the big run)
#   STORES="file vault"    file: the embedded file store; vault: tests/doubles/vault_double.py
#   FORMAT=text|tsv|csv    text: one readable line per run; tsv/csv: a header, then one row per run
#   STEADY=5               seconds of steady-state passes measured (sync_interval 1s)
#   EXTRA_YAML='…'         extra top-level YAML lines for the generated config (e.g. 'concurrency: 1')
#   FIRST_INTERVAL=30s     sync_interval of the first pass (restart and steady state use 1s)
#
# A second start on the same store (sync_interval 1s) then times the first pass of a restart (every
# key present) and measures the steady state.
#
# "first pass": from the daemon's start to the first /readyz answer in which every swarm was checked
# and none has a failure or a missing key (keyd_key_version > 0 for all N swarms in /metrics).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
keyd=${1:-build/release/bin/keyd}
keyd=$(realpath "$keyd")
counts=${COUNTS:-10 100 1000}
stores=${STORES:-file vault}
format=${FORMAT:-text}
steady=${STEADY:-5}
extra_yaml=${EXTRA_YAML:-}
first_interval=${FIRST_INTERVAL:-30s}
work=$(mktemp -d)
pid=
vault_pid=
cleanup() {
  [ -n "$pid" ] && kill -9 "$pid" 2>/dev/null
  [ -n "$vault_pid" ] && kill "$vault_pid" 2>/dev/null && wait "$vault_pid" 2>/dev/null
  rm -rf "$work"
}
trap cleanup EXIT

ms() { echo $(($(date +%s%N) / 1000000)); }
clk_tck=$(getconf CLK_TCK)
# CPU time of the daemon so far, in milliseconds (utime + stime from /proc/PID/stat).
cpu_ms() { awk -v t="$clk_tck" '{sub(/^.*\) /, ""); print int(($12 + $13) * 1000 / t)}' "/proc/$pid/stat"; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$pid/status"; }
# Sums of a metric family over all its label sets, from /metrics.
metric_sum() { curl -s "$url/metrics" | awk -v m="$1" -v f="${2:-}" 'index($0, m "{") == 1 && index($0, f) {s += $NF} END {printf "%d", s}'; }

start_vault() {
  local d="$work/vault"
  mkdir -p "$d"
  /usr/bin/python3 "$root/tests/doubles/vault_double.py" --port 0 --port-file "$d/port" --token-file "$d/token" \
    --quiet --exit-with-parent &
  vault_pid=$!
  for _ in $(seq 200); do [ -s "$d/port" ] && break; sleep 0.05; done
  [ -s "$d/port" ] || { echo "the Vault double did not start" >&2; exit 1; }
  vault_addr="http://127.0.0.1:$(cat "$d/port")"
  vault_token=$(cat "$d/token")
}

# Starts keyd daemon on keyd.yaml (sets pid, url, start) and waits until its first pass is over:
# every swarm checked, and every swarm has a key.
start_daemon() {
  start=$(ms)
  VAULT_TOKEN=${vault_token:-} "$keyd" --log-level warn daemon --config keyd.yaml 2>> daemon.log &
  pid=$!
  # The listening line is logged at info; find the port from the socket instead.
  local port=
  until [ -n "$port" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "keyd daemon did not start:" >&2; tail -5 daemon.log >&2; exit 1; }
    port=$(ss -ltnpH 2>/dev/null | awk -v p="pid=$pid," 'index($0, p) {sub(/.*:/, "", $4); print $4; exit}')
    [ -n "$port" ] || sleep 0.005
  done
  url="http://127.0.0.1:$port"
  # /metrics (about 170 bytes a swarm) is asked only once /readyz (about 50 bytes a swarm) says the
  # pass is complete; polled every 20 ms, so the polling costs the daemon little CPU while it works.
  until curl -s "$url/readyz" | grep -q '"complete":true' &&
    [ "$(curl -s "$url/metrics" | awk '/^keyd_key_version\{/ && $NF > 0 {c++} END {print c + 0}')" -ge "$n" ]; do
    kill -0 "$pid" 2>/dev/null || { echo "keyd daemon stopped:" >&2; tail -5 daemon.log >&2; exit 1; }
    sleep "${POLL:-0.02}"
  done
}

stop_daemon() {
  kill -TERM "$pid"
  wait "$pid" || true
  pid=
}

case $format in
  tsv) printf 'store\tswarms\tfirst_pass_ms\tfirst_pass_cpu_ms\trestart_pass_ms\trss_kib\tsteady_checks_per_s\tcpu_us_per_check\tstore_requests_per_check\tfirst_pass_store_requests\n' ;;
  csv) echo 'store,swarms,first_pass_ms,first_pass_cpu_ms,restart_pass_ms,rss_kib,steady_checks_per_s,cpu_us_per_check,store_requests_per_check,first_pass_store_requests' ;;
  text) ;;
  *) echo "FORMAT must be text, tsv or csv" >&2; exit 2 ;;
esac

for store in $stores; do
  if [ "$store" = vault ] && [ -z "$vault_pid" ]; then start_vault; fi
  for n in $counts; do
    dir="$work/$store-$n"
    mkdir -p "$dir"
    cd "$dir"
    if [ "$store" = vault ]; then
      curl -s -X POST -H "X-Vault-Token: $vault_token" "$vault_addr/_double/reset" >/dev/null
      store_yaml="store: {backend: vault, vault: {address: \"$vault_addr\", allow_insecure_http: true, auth: {method: token}}}"
    else
      store_yaml='store: {backend: file, file: {dir: store}}'
    fi
    # The first pass runs at the default sync_interval (30s), as a real first start would: with 1s
    # the swarms done early would be checked again and again while the pass goes on (at 10,000
    # swarms that is most of its CPU). Restart and steady state run at 1s.
    write_config() {
      {
        echo "$store_yaml"
        echo 'audit: {file: audit.jsonl}'
        echo "sync_interval: $1"
        echo 'server: {listen: 127.0.0.1:0}'
        echo 'leader_election: {lock_file: daemon.lock}'
        [ -n "$extra_yaml" ] && echo "$extra_yaml"
        echo 'swarms:'
        for i in $(seq 0 $((n - 1))); do
          echo "  - {name: s$i, path: bench/s$i, targets: [{type: file, path: ipfs/s$i.key}]}"
        done
      } > keyd.yaml
    }
    write_config "$first_interval"
    start_daemon
    first=$(($(ms) - start))
    first_cpu=$(cpu_ms)
    rss=$(rss_kb)
    # Swarms checked early may be checked again before the pass ends (a FIRST_INTERVAL shorter than
    # the pass): those checks are "unchanged" deliveries of one metadata request each, which do not
    # count for the first pass.
    pass_requests=$(($(metric_sum keyd_store_requests_total) - $(metric_sum keyd_sync_total 'outcome="unchanged"')))
    stop_daemon
    # A restart: every swarm has its key; the first pass reads them (and accounts for them in the
    # audit trail) without writing. Then the steady state: sync_interval 1s, so each swarm is checked
    # about once a second (more often than that is impossible; fewer means a pass takes longer than
    # the interval).
    write_config 1s
    start_daemon
    restart=$(($(ms) - start))
    checks0=$(metric_sum keyd_sync_total 'outcome="unchanged"')
    requests0=$(metric_sum keyd_store_requests_total)
    cpu0=$(cpu_ms)
    t0=$(ms)
    sleep "$steady"
    checks1=$(metric_sum keyd_sync_total 'outcome="unchanged"')
    requests1=$(metric_sum keyd_store_requests_total)
    cpu1=$(cpu_ms)
    t1=$(ms)
    rss_after=$(rss_kb)
    stop_daemon
    checks=$((checks1 - checks0))
    per_s=$(awk -v c="$checks" -v t="$((t1 - t0))" 'BEGIN {printf "%.0f", c * 1000 / t}')
    cpu_us=$(awk -v c="$checks" -v u="$((cpu1 - cpu0))" 'BEGIN {if (c > 0) printf "%.0f", u * 1000 / c; else print "nan"}')
    req=$(awk -v c="$checks" -v r="$((requests1 - requests0))" 'BEGIN {if (c > 0) printf "%.2f", r / c; else print "nan"}')
    case $format in
      tsv) printf '%s\t%d\t%d\t%d\t%d\t%d\t%s\t%s\t%s\t%d\n' "$store" "$n" "$first" "$first_cpu" "$restart" "$rss" "$per_s" "$cpu_us" "$req" "$pass_requests" ;;
      csv) echo "$store,$n,$first,$first_cpu,$restart,$rss,$per_s,$cpu_us,$req,$pass_requests" ;;
      text)
        echo "$store $n swarms: first pass $first ms ($first_cpu ms CPU, $pass_requests store requests); VmRSS $rss kB after it," \
          "$rss_after kB after ${steady}s steady; steady state $per_s checks/s, $cpu_us us CPU and $req store" \
          "requests per check; restart (keys present): first pass $restart ms"
        ;;
    esac
    cd "$work"
    rm -rf "$dir"
  done
done
