#!/usr/bin/env bash
# Benchmark: wall time of `keyd fetch` and `keyd rotate` with store.backend mcp — keyd starts the
# poly-secret-mcp test double (the real MCP SDK server on node, tests/doubles/mcp) for each command,
# so the times include the server's start-up, the MCP handshake and its shutdown — against the Vault
# double (token auth, plain HTTP on loopback). Also counts the tool calls per command (from the
# double's call log). Builds nothing; prints numbers; asserts nothing.
#   KEYD=build/release/bin/keyd bench/mcp.sh [RUNS]       (needs scripts/install-mcp-test-tools.sh)
set -euo pipefail
runs=${1:-11}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
keyd=${KEYD:-$root/build/release/bin/keyd}
[ "${keyd#/}" != "$keyd" ] || keyd=$PWD/$keyd
[ -x "$keyd" ] || { echo "bench: no keyd at $keyd; set KEYD= or build: cmake --preset release && cmake --build --preset release" >&2; exit 2; }
node=$(command -v node) || { echo "bench: node not found: run scripts/install-mcp-test-tools.sh" >&2; exit 2; }
[ -d "$root/tests/doubles/mcp/node_modules/@modelcontextprotocol/sdk" ] ||
  { echo "bench: the MCP double's npm packages are missing: run scripts/install-mcp-test-tools.sh" >&2; exit 2; }

work=$(mktemp -d)
/usr/bin/python3 "$root/tests/doubles/vault_double.py" --port 0 --port-file "$work/port" \
  --token-file "$work/token" --quiet --exit-with-parent &
double=$!
trap 'kill $double 2>/dev/null; wait $double 2>/dev/null; rm -rf "$work"' EXIT
for _ in $(seq 500); do [ -s "$work/port" ] && [ -s "$work/token" ] && break; sleep 0.01; done
port=$(cat "$work/port")

cat >"$work/keyd.yaml" <<YAML
store:
  backend: mcp
  mcp:
    command: ["$node", "$root/tests/doubles/mcp/server.mjs"]
    env: {VAULT_ADDR: "http://127.0.0.1:$port", MCP_DOUBLE_CALL_LOG: "$work/calls.jsonl"}
    env_files: {VAULT_TOKEN: "$work/token"}
    timeout: 10s
audit: {file: $work/audit.jsonl}
swarms:
  - name: ipfs-overlay
    targets: [{type: file, path: $work/swarm.key}]
YAML
cd "$work"

clear_calls() { : >"$work/calls.jsonl"; }
run_keyd() { "$keyd" "$@" --config keyd.yaml >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }; }

measure() {  # label, then the keyd arguments
  local label=$1
  shift
  bench_time "$runs" clear_calls run_keyd "$@"
  local calls
  calls=$(/usr/bin/python3 -c 'import json,sys; c=[json.loads(l)["tool"] for l in open(sys.argv[1]) if "tool" in l]; print(len(c), "(" + ", ".join(c) + ")")' "$work/calls.jsonl")
  echo "$label ($runs runs): $(bench_stats ms median min max); tool calls of the last run: $calls"
}

"$keyd" rotate --config keyd.yaml >/dev/null   # first version exists, as in steady state
measure "keyd fetch  (mcp: node SDK server start-up + handshake + vault_read + shutdown)" fetch --out "$work/fetched.key"
measure "keyd rotate (mcp: start-up + read, write, verify + 1 file target)" rotate
