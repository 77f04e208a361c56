#!/usr/bin/env bash
# keyd daemon: resident memory idle and after 100,000 API requests, and /healthz requests per second
# on loopback. Usage: bench/daemon.sh [path/to/keyd] (default build/release/bin/keyd, a static binary;
# build/release-shared/bin/keyd links Debian's shared libraries; bench/start.sh runs this for both). REQUESTS=N sets the count.
set -euo pipefail
keyd=${1:-build/release/bin/keyd}
keyd=$(realpath "$keyd")
requests=${REQUESTS:-100000}
work=$(mktemp -d)
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$work"' EXIT
cd "$work"
cat > keyd.yaml <<'YAML'
store: {backend: file, file: {dir: store}}
audit: {file: audit.jsonl}
server: {listen: 127.0.0.1:0, threads: 4}
leader_election: {lock_file: daemon.lock}
swarms:
  - name: bench
    rotation: {max_age: 720h}
    targets: [{type: file, path: ipfs/swarm.key}]
YAML
"$keyd" --log-level info daemon --config keyd.yaml 2> daemon.log &
pid=$!
for _ in $(seq 100); do
  port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' daemon.log | grep -o '[0-9]*$' || true)
  [ -n "$port" ] && break
  sleep 0.05
done
[ -n "$port" ] || { echo "keyd daemon did not start:"; cat daemon.log; exit 1; }
url="http://127.0.0.1:$port"
until curl -sf "$url/readyz" >/dev/null; do sleep 0.05; done
sleep 1
# VmRSS counts the shared libraries (libcrypto, libcurl, libstdc++) mapped once per node; RssAnon is
# the daemon's own memory (heap, stacks).
rss() { awk '/^VmRSS/ {r=$2} /^RssAnon/ {a=$2} END {print r " kB (RssAnon " a " kB)"}' "/proc/$pid/status"; }
echo "idle RSS: $(rss)"
if command -v wrk >/dev/null; then
  wrk -t2 -c32 -d10s "$url/healthz" | tee wrk.txt | grep -E 'Requests/sec|Latency' || true
  done_requests=$(awk '/requests in/ {print $1}' wrk.txt)
  echo "RSS after $done_requests /healthz requests (wrk): $(rss)"
  while [ "${done_requests:-0}" -lt "$requests" ]; do
    wrk -t2 -c32 -d5s "$url/healthz" > wrk.txt
    done_requests=$((done_requests + $(awk '/requests in/ {print $1}' wrk.txt)))
  done
  echo "RSS after $done_requests requests: $(rss)"
else
  echo "wrk is missing (apt-get install -y wrk): no requests/s figure; sending $requests requests with curl instead"
  seq "$requests" | xargs -P 8 -n 500 sh -c 'for _ in "$@"; do echo "url = \"'"$url"'/healthz\""; echo "output = /dev/null"; done | curl -s -K - ' sh
  echo "RSS after $requests requests: $(rss)"
fi
