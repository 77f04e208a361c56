#!/usr/bin/env bash
# keyd daemon with many swarms: start-up time (until the API listens), a /readyz answer during the
# first pass, and the SIGTERM latency in the middle of that pass (every swarm issues its first key
# on the file store), at 1,000, 3,000 and 10,000 swarms.
# Usage: bench/daemon-stop.sh [path/to/keyd] (default build/release/bin/keyd); COUNTS="1000 3000"
# picks the swarm counts.
set -euo pipefail
keyd=${1:-build/release/bin/keyd}
keyd=$(realpath "$keyd")
counts=${COUNTS:-1000 3000 10000}
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && kill -9 "$pid" 2>/dev/null; rm -rf "$work"' EXIT

ms() { echo $(($(date +%s%N) / 1000000)); }

for n in $counts; do
  dir="$work/$n"
  mkdir -p "$dir"
  cd "$dir"
  {
    echo 'store: {backend: file, file: {dir: store}}'
    echo 'audit: {file: audit.jsonl}'
    echo 'server: {listen: 127.0.0.1:0, auth: {tokens_file: tokens}}'
    echo 'leader_election: {lock_file: daemon.lock}'
    echo 'swarms:'
    for i in $(seq 0 $((n - 1))); do echo "  - {name: s$i, targets: [{type: file, path: ipfs/s$i.key}]}"; done
  } > keyd.yaml
  echo "$(printf '%064d' 0) bench" > tokens
  chmod 600 tokens
  start=$(ms)
  "$keyd" --log-level info daemon --config keyd.yaml 2> daemon.log &
  pid=$!
  port=
  until [ -n "$port" ]; do
    port=$(grep -o 'listening on http://127.0.0.1:[0-9]*' daemon.log | grep -o '[0-9]*$' || true)
    kill -0 "$pid" 2>/dev/null || { echo "keyd daemon did not start:"; tail -5 daemon.log; exit 1; }
    sleep 0.01
  done
  listening=$(ms)
  # In the middle of the first pass: a tenth of the swarms have their first key.
  until grep -q "swarm s$((n / 10)): no key stored" daemon.log; do
    kill -0 "$pid" 2>/dev/null || { echo "keyd daemon stopped:"; tail -5 daemon.log; exit 1; }
    sleep 0.01
  done
  t0=$(ms)
  checked=$(curl -s "http://127.0.0.1:$port/readyz" | grep -o '"first_pass":{[^}]*}' || echo '(no first_pass)')
  code=$(curl -s -o /dev/null -w '%{http_code}' "http://127.0.0.1:$port/readyz")
  t1=$(ms)
  kill -TERM "$pid"
  sent=$(ms)
  wait "$pid" || true
  exited=$(ms)
  pid=
  echo "$n swarms: API listening after $((listening - start)) ms; /readyz $code in $(((t1 - t0) / 2)) ms" \
    "during the first pass $checked; SIGTERM to exit: $((exited - sent)) ms"
  cd "$work"
done
