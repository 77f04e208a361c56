#!/usr/bin/env bash
# Benchmark: process start of keyd builds (issue 18 goal 2). For each binary: the median wall time of
# `keyd version` (and of /bin/true for reference), `keyd fetch` from the Vault double against curl + jq
# doing the same GET and writing the same file, the instructions `keyd version` executes (callgrind,
# dynamic loader included), the shared libraries it loads, its size, and the number of dynamic
# relocations; then the resident memory of the agent sidecar after 30 polls (bench/agent.sh) and of the
# daemon idle and after 100,000 requests (bench/daemon.sh). Prints numbers; asserts nothing.
#   bench/start.sh [RUNS] [KEYD_BINARY...]   (default: build/release-shared/bin/keyd build/release/bin/keyd,
#                                              whichever exist)
# Uses hyperfine when installed (warm-up runs, then RUNS runs), else bench_time (bench/lib.sh).
set -euo pipefail
runs=${1:-50}
shift || true
root=$(cd "$(dirname "$0")/.." && pwd)
. "$root/bench/lib.sh"
binaries=("$@")
if [ ${#binaries[@]} -eq 0 ]; then
  for preset in release-shared release; do
    [ -x "$root/build/$preset/bin/keyd" ] && binaries+=("$root/build/$preset/bin/keyd")
  done
fi
for i in "${!binaries[@]}"; do binaries[i]=$(realpath "${binaries[i]}"); done
[ ${#binaries[@]} -gt 0 ] || { echo "bench: build first: cmake --preset release && cmake --build --preset release" >&2; exit 2; }

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
swarms: [{name: ipfs-overlay}]
YAML
cd "$work"

# median_us LABEL COMMAND...: the median wall time in microseconds.
median_us() {
  if command -v hyperfine >/dev/null; then
    hyperfine -N --warmup 5 --runs "$runs" --export-json "$work/h.json" -- "$(printf '%q ' "$@")" >/dev/null 2>&1
    /usr/bin/python3 -c 'import json,sys; print(round(json.load(open(sys.argv[1]))["results"][0]["median"]*1e6))' "$work/h.json"
  else
    bench_time "$runs" : "$@" >/dev/null 2>&1
    echo "${bench_times[$((${#bench_times[@]} / 2))]}"
  fi
}

echo "/bin/true: median $(median_us /bin/true) us ($runs runs)"

# curl + jq: the GET keyd fetch makes (read from the double's log), the key written to a file.
"${binaries[0]}" rotate --config keyd.yaml >/dev/null
curl -s -X DELETE "$ctl/requests" >/dev/null
"${binaries[0]}" fetch --config keyd.yaml --out "$work/fetched.key" >/dev/null 2>&1
get_path=$(curl -s "$ctl/requests" | /usr/bin/python3 -c 'import json,sys; print([x["path"] for x in json.load(sys.stdin)["requests"] if x["method"]=="GET" and "/data/" in x["path"]][-1])')
cat >"$work/curl-jq.sh" <<SH
#!/bin/sh
curl -sf -H "X-Vault-Token: \$(cat $work/token)" "http://127.0.0.1:$port$get_path" | jq -rj '.data.data["swarm.key"]' >$work/curl.key
SH
chmod +x "$work/curl-jq.sh"
echo "curl + jq, the same GET to a file: median $(median_us "$work/curl-jq.sh") us"

for keyd in "${binaries[@]}"; do
  echo "== $keyd"
  echo "keyd version: median $(median_us "$keyd" version) us"
  curl -s -X DELETE "$ctl/requests" >/dev/null
  "$keyd" fetch --config keyd.yaml --out "$work/fetched.key" >/dev/null 2>&1
  requests=$(curl -s "$ctl/requests" | /usr/bin/python3 -c 'import json,sys; r=json.load(sys.stdin)["requests"]; print(len(r), "(" + ", ".join(x["method"] + " " + x["path"] for x in r) + ")")')
  echo "keyd fetch (vault double, token auth): median $(median_us "$keyd" fetch --config keyd.yaml --out "$work/fetched.key") us; HTTP requests: $requests"
  if command -v valgrind >/dev/null; then
    valgrind --tool=callgrind --callgrind-out-file="$work/cg.out" "$keyd" version >/dev/null 2>"$work/cg.err" || true
    echo "keyd version instructions (callgrind, loader included): $(grep -o 'Collected : [0-9]*' "$work/cg.err" | grep -o '[0-9]*$')"
  fi
  if readelf -lW "$keyd" | grep -q INTERP; then
    libs=$(ldd "$keyd" | grep -vc 'linux-vdso' || true)
    echo "shared libraries loaded (ldd, loader included, vdso not): $libs"
    LD_DEBUG=statistics "$keyd" version >/dev/null 2>"$work/ld.txt" || true
    relocations=$(awk '/number of relocations:/ {print $NF; exit}' "$work/ld.txt")
    echo "dynamic relocations at start (LD_DEBUG=statistics): $relocations"
  else
    echo "shared libraries loaded: none (static; $(readelf -SW "$keyd" | grep -q '\.relr\.dyn' && echo 'relative relocations packed, DT_RELR' || echo 'relocations unpacked'))"
  fi
  # Page faults taken (perf's software event counts the faults the program ran into, not the pages an
  # madvise made present); each costs about 11 us in the virtual machines this is measured on.
  if command -v perf >/dev/null; then
    for what in "version" "fetch --config keyd.yaml --out $work/fetched.key"; do
      # shellcheck disable=SC2086
      faults=$(perf stat -x, -e page-faults -r 11 "$keyd" $what 2>&1 >/dev/null | awk -F, '/page-faults/ {print $1}')
      echo "page faults, keyd ${what%% *} (perf stat, mean of 11): $faults"
    done
  fi
  echo "binary size: $(stat -c %s "$keyd") bytes"
  if [ "${MEMORY:-1}" = 1 ]; then  # MEMORY=0 skips the agent's and the daemon's resident memory
    "$root/bench/agent.sh" 3 "$keyd" 30 | grep -E '^keyd agent \(continuous' || true
    "$root/bench/daemon.sh" "$keyd" | grep -E 'RSS' || true
  fi
done
