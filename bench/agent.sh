#!/usr/bin/env bash
# Benchmark of `keyd agent` against the Vault double (Kubernetes auth with a service-account
# token, policies/keyd-reader.hcl, plain HTTP on loopback): the wall time of `--once` (the init
# container) when it writes the file and when the file is already current, and the resident memory
# of the continuous agent (the sidecar) after POLLS polls, from /proc/<pid>/status (VmRSS, VmHWM).
# For comparison: the Vault Agent injector requests 64Mi per pod; 13–20Mi are measured in use.
# Prints numbers; asserts nothing.
#   bench/agent.sh [RUNS] [KEYD_BINARY] [POLLS]   (default the release build, a static binary;
#   bench/start.sh runs this for it and for the release-shared build)
set -euo pipefail
runs=${1:-21}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
keyd=${2:-$root/build/release/bin/keyd}
polls=${3:-50}
[ -x "$keyd" ] || { echo "bench: build first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
keyd=$(realpath "$keyd")

work=$(mktemp -d)
/usr/bin/python3 "$root/tests/doubles/vault_double.py" --port 0 --port-file "$work/port" \
  --control-port-file "$work/ctl" --token-file "$work/token" --quiet --exit-with-parent &
double=$!
agent=""
trap '[ -n "$agent" ] && kill $agent 2>/dev/null; kill $double 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 500); do [ -s "$work/port" ] && [ -s "$work/ctl" ] && break; sleep 0.01; done
port=$(cat "$work/port")
ctl=http://127.0.0.1:$(cat "$work/ctl")/_double

agent_vault_role "$ctl" "$work/sa-token"

cat >"$work/rotate.yaml" <<YAML
store:
  backend: vault
  vault: {address: "http://127.0.0.1:$port", auth: {method: token, token_file: $work/token}}
audit: {file: $work/rotate-audit.jsonl}
swarms: [{name: ipfs-overlay}]
YAML
cat >"$work/agent.yaml" <<YAML
store:
  backend: vault
  vault: {address: "http://127.0.0.1:$port", auth: {method: kubernetes, role: keyd-reader, jwt_file: $work/sa-token}}
audit: {file: $work/agent-audit.jsonl}
swarms: [{name: ipfs-overlay}]
YAML
cd "$work"
"$keyd" rotate --config rotate.yaml >/dev/null

remove_first=no
before_once() {
  if [ "$remove_first" = yes ]; then rm -f "$work/data/swarm.key"; fi
  curl -s -X DELETE "$ctl/requests" >/dev/null
}
once() {  # label, remove-first (yes/no)
  remove_first=$2
  bench_time "$runs" before_once \
    "$keyd" agent --once --config agent.yaml --sink "$work/data/swarm.key" --uid 1000 --gid 1000 >/dev/null
  local requests
  requests=$(curl -s "$ctl/requests" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["requests"]; print(len(r), "(" + ", ".join(x["method"] + " " + x["path"] for x in r) + ")")')
  echo "keyd agent --once, $1 ($runs runs): $(bench_stats us median min max); HTTP requests: $requests"
}
once "file written" yes
once "file already current" no

# The sidecar: poll every 100 ms, then read its memory.
curl -s -X DELETE "$ctl/requests" >/dev/null
"$keyd" agent --config agent.yaml --sink "$work/data/swarm.key" --interval 100ms 2>"$work/agent.err" &
agent=$!
for _ in $(seq 3000); do
  n=$(curl -s "$ctl/requests" | /usr/bin/python3 -c 'import json,sys; print(sum(1 for x in json.load(sys.stdin)["requests"] if "/metadata/" in x["path"]))')
  [ "$n" -ge "$polls" ] && break
  sleep 0.05
done
rss=$(awk '/^VmRSS/ {print $2}' /proc/$agent/status)
hwm=$(awk '/^VmHWM/ {print $2}' /proc/$agent/status)
cpu=$(awk '{print $14 + $15}' /proc/$agent/stat)
# Where the resident pages are: Rss per mapping, summed by what is mapped (the binary's file pages,
# the heap, thread stacks and other anonymous memory).
where=$(awk -v bin="$keyd" '
  /^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "") ? "anonymous" : ($6 == bin ? "binary" : $6); next }
  /^Rss:/ { rss[name] += $2 }
  END { for (n in rss) if (rss[n] > 0) printf "%s %d kB, ", n, rss[n] }' /proc/$agent/smaps)
kill -TERM $agent
wait $agent || true
agent=""
echo "keyd agent (continuous, after $n metadata polls): VmRSS ${rss} kB ($(( rss / 1024 )) MiB), VmHWM ${hwm} kB; CPU $cpu ticks ($(getconf CLK_TCK)/s)"
echo "  resident by mapping: ${where%, }"
echo "Vault Agent injector for comparison: 64Mi requested per pod, 13-20Mi measured in use"
echo "binary: $keyd ($(du -k "$keyd" | cut -f1) kB)"
