#!/usr/bin/env bash
# Regenerates cmake/hot-text.ld, the order in which the release build links the code keyd's common
# runs execute (docs/performance.md, "Process start and memory"). The kernel maps a program's text
# 64 KiB or more around every page that runs, so code that runs scattered among code that never does
# makes most of the binary resident. This profiles, under callgrind, an unstripped link of the release
# build (with a linker map) doing what keyd is mostly run for, against the test doubles on 127.0.0.1
# (ports chosen at run time), and writes the input sections that ran, those of the agent first:
#   1. the agent sidecar (Kubernetes auth, plain HTTP; then token auth over TLS), 20 polls each;
#   2. the daemon on the file store: its first pass and requests to every probe and /metrics;
#   3. keyd rotate with a Vault store over TLS and a Kubernetes target; keyd fetch;
#   4. keyd version.
# Stale entries only cost locality: a section the order names that no longer exists is ignored. Run it
# after larger changes and commit the result with the bench/agent.sh and bench/start.sh numbers.
#   scripts/hot-text.sh            (needs a configured release build, valgrind, python3, curl)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
. "$root/bench/lib.sh"
command -v valgrind >/dev/null || { echo "hot-text: needs valgrind (apt-get install -y valgrind)" >&2; exit 2; }
[ -f build/release/build.ninja ] || { echo "hot-text: configure first: cmake --preset release" >&2; exit 2; }
cmake --build --preset release >/dev/null
work=$(mktemp -d)
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

# The release link, unstripped, with a map, and without the current order (so the map shows the
# default placement the profiles are matched against).
link=$(cd build/release && ninja -t commands bin/keyd | tail -n1)
link=${link//" -s "/" -Wl,-Map=$work/keyd.map "}
link=$(printf '%s' "$link" | sed -E "s@ -Wl,-T,[^ ]*hot-text\\.ld@@; s@-o bin/keyd @-o $work/keyd @")
(cd build/release && eval "$link") 2>&1 | grep -v 'statically linked applications requires\|in function' || true
keyd=$work/keyd
[ -x "$keyd" ] || { echo "hot-text: the unstripped relink failed" >&2; exit 1; }

profile() {  # name, command...: one callgrind profile
  local name=$1
  shift
  valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$name" "$@" \
    >/dev/null 2>"$work/vg.$name" || true
  profiles+=("$name=$work/cg.$name")
}
profiles=()

# The doubles, over TLS, as in the conformance tests.
tests/conformance/make-certs.sh "$work/certs" >/dev/null
tls=(--tls-cert "$work/certs/server.crt" --tls-key "$work/certs/server.key")
/usr/bin/python3 tests/doubles/vault_double.py --port 0 --port-file "$work/vport" --control-port-file "$work/vctl" \
  --token-file "$work/vtoken" --quiet --exit-with-parent "${tls[@]}" &
pids+=($!)
/usr/bin/python3 tests/doubles/vault_double.py --port 0 --port-file "$work/hport" --control-port-file "$work/hctl" \
  --token-file "$work/htoken" --quiet --exit-with-parent &
pids+=($!)
/usr/bin/python3 tests/doubles/kube_double.py --port 0 --port-file "$work/kport" --control-port-file "$work/kctl" \
  --token-file "$work/ktoken" --kubeconfig "$work/kubeconfig" --ca-cert "$work/certs/ca.crt" --quiet \
  --exit-with-parent "${tls[@]}" &
pids+=($!)
for _ in $(seq 500); do
  [ -s "$work/vport" ] && [ -s "$work/hport" ] && [ -s "$work/hctl" ] && [ -s "$work/kubeconfig" ] && break
  sleep 0.02
done
vault=https://127.0.0.1:$(cat "$work/vport")
plain=http://127.0.0.1:$(cat "$work/hport")
hctl=http://127.0.0.1:$(cat "$work/hctl")/_double
api=https://127.0.0.1:$(cat "$work/kport")
kube() { curl -sf --cacert "$work/certs/ca.crt" -H "Authorization: Bearer $(cat "$work/ktoken")" \
  -H 'Content-Type: application/json' "$api$1" -d "$2" >/dev/null; }
kube /api/v1/namespaces '{"apiVersion":"v1","kind":"Namespace","metadata":{"name":"ipfs-system"}}'
kube /apis/apps/v1/namespaces/ipfs-system/statefulsets '{"apiVersion":"apps/v1","kind":"StatefulSet",
  "metadata":{"name":"ipfs","namespace":"ipfs-system"},"spec":{"replicas":3,"serviceName":"ipfs",
  "selector":{"matchLabels":{"app":"ipfs"}},"template":{"metadata":{"labels":{"app":"ipfs"}},
  "spec":{"containers":[{"name":"ipfs","image":"ipfs/kubo"}]}}}}'
cd "$work"

# 1. The agent: Kubernetes auth over plain HTTP (as bench/agent.sh), then token auth over TLS.
agent_vault_role "$hctl" "$work/sa-token"
cat >plain.yaml <<YAML
store: {backend: vault, vault: {address: "$plain", auth: {method: token, token_file: $work/htoken}}}
audit: {file: $work/plain-audit.jsonl}
swarms: [{name: ipfs-overlay}]
YAML
cat >agent-k8s.yaml <<YAML
store: {backend: vault, vault: {address: "$plain", auth: {method: kubernetes, role: keyd-reader, jwt_file: $work/sa-token}}}
audit: {file: $work/agent-audit.jsonl}
swarms: [{name: ipfs-overlay}]
YAML
cat >keyd.yaml <<YAML
store:
  backend: vault
  vault: {address: $vault, auth: {method: token, token_file: $work/vtoken}, tls: {ca_file: $work/certs/ca.crt}}
audit: {file: $work/audit.jsonl}
kubernetes: {kubeconfig: $work/kubeconfig}
swarms:
  - name: ipfs-overlay
    targets:
      - {type: kubernetes, namespace: ipfs-system, secret: ipfs-swarm-key, restart: [{kind: StatefulSet, name: ipfs}], wait: false}
YAML
cat >agent-tls.yaml <<YAML
store:
  backend: vault
  vault: {address: $vault, auth: {method: token, token_file: $work/vtoken}, tls: {ca_file: $work/certs/ca.crt}}
audit: {file: $work/agent-tls-audit.jsonl}
swarms: [{name: ipfs-overlay}]
YAML
"$keyd" rotate --config plain.yaml >/dev/null
agent() {  # name, config
  timeout -s TERM 25 valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.$1" \
    "$keyd" agent --config "$2" --sink "$work/$1.key" --interval 300ms >/dev/null 2>"$work/vg.$1" || true
  profiles+=("$1=$work/cg.$1")
}
agent agent-k8s agent-k8s.yaml
"$keyd" rotate --config keyd.yaml >/dev/null  # the TLS store's first key, outside the profiles
agent agent-tls agent-tls.yaml

# 2. The daemon on the file store, with a request to every probe and to /metrics.
cat >daemon.yaml <<'YAML'
store: {backend: file, file: {dir: store}}
audit: {file: daemon-audit.jsonl}
server: {listen: 127.0.0.1:0, threads: 4}
leader_election: {lock_file: daemon.lock}
swarms:
  - name: hot
    targets: [{type: file, path: ipfs/swarm.key}]
YAML
valgrind --tool=callgrind --demangle=no --callgrind-out-file="$work/cg.daemon" \
  "$keyd" --log-level info daemon --config daemon.yaml 2>"$work/daemon.log" >/dev/null &
daemon=$!
pids+=("$daemon")
url=
for _ in $(seq 600); do
  url=$(grep -o 'listening on http://127.0.0.1:[0-9]*' "$work/daemon.log" | grep -o 'http://.*' || true)
  [ -n "$url" ] && curl -sf "$url/readyz" >/dev/null && break
  sleep 0.1
done
for path in /healthz /readyz /metrics /healthz /readyz /metrics; do curl -s "$url$path" >/dev/null || true; done
kill -TERM "$daemon"
wait "$daemon" || true
profiles+=("daemon=$work/cg.daemon")

# 3. and 4.
profile rotate "$keyd" rotate --config keyd.yaml
profile fetch "$keyd" fetch --config keyd.yaml --out "$work/fetched.key"
profile version "$keyd" version

cd "$root"
/usr/bin/python3 scripts/lib/hot_text.py "$work/keyd.map" "$keyd" cmake/hot-text.ld "${profiles[@]}"
