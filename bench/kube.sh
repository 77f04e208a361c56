#!/usr/bin/env bash
# Benchmark: wall time of `keyd rotate` with a file store and a Kubernetes target (Secret +
# StatefulSet restart, wait: false so the simulated rollout is not counted) against the
# kube-apiserver double over plain HTTP on loopback, and the number of API requests it makes.
# Prints numbers; asserts nothing.   bench/kube.sh [RUNS] [KEYD_BINARY]
set -euo pipefail
runs=${1:-15}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
keyd=${2:-$root/build/release/bin/keyd}
[ -x "$keyd" ] || { echo "bench: build first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }

work=$(mktemp -d)
/usr/bin/python3 "$root/tests/doubles/kube_double.py" --plain-http --port 0 --port-file "$work/port" \
  --control-port-file "$work/ctl" --token-file "$work/token" --kubeconfig "$work/kubeconfig" \
  --quiet --exit-with-parent &
double=$!
trap 'kill $double 2>/dev/null; wait $double 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 500); do [ -s "$work/port" ] && [ -s "$work/ctl" ] && [ -s "$work/kubeconfig" ] && break; sleep 0.01; done
ctl=http://127.0.0.1:$(cat "$work/ctl")/_double
api=http://127.0.0.1:$(cat "$work/port")
auth="Authorization: Bearer $(cat "$work/token")"
curl -sf -H "$auth" -H 'Content-Type: application/json' "$api/api/v1/namespaces" \
  -d '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ipfs-system"}}' >/dev/null
curl -sf -H "$auth" -H 'Content-Type: application/json' "$api/apis/apps/v1/namespaces/ipfs-system/statefulsets" -d '{
  "apiVersion":"apps/v1","kind":"StatefulSet","metadata":{"name":"ipfs","namespace":"ipfs-system"},
  "spec":{"replicas":3,"serviceName":"ipfs","selector":{"matchLabels":{"app":"ipfs"}},
          "template":{"metadata":{"labels":{"app":"ipfs"}},"spec":{"containers":[{"name":"ipfs","image":"ipfs/kubo"}]}}}}' >/dev/null

cat >"$work/keyd.yaml" <<YAML
store: {backend: file, file: {dir: $work/store}}
audit: {file: $work/audit.jsonl}
kubernetes: {kubeconfig: $work/kubeconfig}
swarms:
  - name: ipfs-overlay
    targets:
      - type: kubernetes
        namespace: ipfs-system
        secret: ipfs-swarm-key
        restart: [{kind: StatefulSet, name: ipfs}]
        wait: false
YAML
cd "$work"
"$keyd" rotate --config keyd.yaml >/dev/null   # the Secret exists from here on, as in steady state

clear_requests() { curl -s -X DELETE "$ctl/requests" >/dev/null; }
bench_time "$runs" clear_requests "$keyd" rotate --config keyd.yaml >/dev/null
requests=$(curl -s "$ctl/requests" | /usr/bin/python3 -c '
import json, sys
d = json.load(sys.stdin)
r = d["requests"] if isinstance(d, dict) else d
print(len(r), "(" + ", ".join(x["method"] + " " + x["path"] for x in r) + ")")')
echo "keyd rotate (file store + kubernetes target, wait: false, $runs runs): $(bench_stats us median min)"
echo "API requests of the last run: $requests"
