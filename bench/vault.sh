#!/usr/bin/env bash
# Benchmark: wall time of `keyd rotate` and `keyd fetch` against the Vault double (token auth,
# plain HTTP on loopback), and the number of HTTP requests each makes, read from the double's
# request log. Prints numbers; asserts nothing.
#   bench/vault.sh [RUNS] [KEYD_BINARY]
set -euo pipefail
runs=${1:-21}
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
keyd=${2:-$root/build/release/bin/keyd}
[ -x "$keyd" ] || { echo "bench: build first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }

work=$(mktemp -d)
start_vault_double "$work"
trap 'kill $double 2>/dev/null; wait $double 2>/dev/null; rm -rf "$work"' EXIT

cat >"$work/keyd.yaml" <<YAML
store:
  backend: vault
  vault:
    address: http://127.0.0.1:$port
    auth: {method: token, token_file: $work/token}
audit: {file: $work/audit.jsonl}
swarms:
  - name: ipfs-overlay
    targets: [{type: file, path: $work/swarm.key}]
YAML
cd "$work"

clear_requests() { curl -s -X DELETE "$ctl/requests" >/dev/null; }

measure() {  # label, then the keyd arguments
  local label=$1
  shift
  bench_time "$runs" clear_requests "$keyd" "$@" --config keyd.yaml >/dev/null 2>&1
  local requests
  requests=$(curl -s "$ctl/requests" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["requests"]; print(len(r), "(" + ", ".join(x["method"] + " " + x["path"] for x in r) + ")")')
  echo "$label ($runs runs): $(bench_stats us median min); HTTP requests of the last run: $requests"
}

"$keyd" rotate --config keyd.yaml >/dev/null   # first version exists, as in steady state
measure "keyd rotate (vault double, token auth, 1 file target)" rotate
measure "keyd fetch  (vault double, token auth)" fetch --out "$work/fetched.key"
