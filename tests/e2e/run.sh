#!/usr/bin/env bash
# End-to-end proof with real js-libp2p nodes (issue 6): scenarios.test.mjs (keyd's keys form a
# private swarm, other keys and no key are refused, rotation moves nodes across, fingerprints) and
# pnet-table.test.mjs (the reference parser table against keyd's and js-libp2p's parsers);
# agent.test.mjs (the key file `keyd agent` writes joins a node to the swarm; another swarm's is refused).
#   KEYD=build/dev/bin/keyd tests/e2e/run.sh
# Needs tests/e2e/node_modules: scripts/install-e2e-tools.sh. Everything runs on 127.0.0.1 with
# kernel-chosen ports, in temp dirs. The tests run in a process group of their own, which is killed
# on exit whatever happens. Closing line: "e2e: N passed, S skipped, M failed"; exit status 1 on any
# failure, on any skip, and when ../shared/reference/swarm-key.md (beside the checkout) is missing.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)

if [ -z "${KEYD:-}" ]; then
  echo "e2e: set KEYD to the keyd binary, e.g. KEYD=build/dev/bin/keyd $0" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi
KEYD=$(realpath -e "$KEYD" 2>/dev/null) && [ -x "$KEYD" ] || {
  echo "e2e: KEYD=${KEYD} is not an executable file" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
}
export KEYD
cd "$here"
# pnet-table.test.mjs checks keyd's fixture against the reference table beside the checkout
# (../shared/reference/swarm-key.md): without it that check cannot run, and a
# missing check is a failure, not a skip.
reference="$here/../../../shared/reference/swarm-key.md"
if [ ! -f "$reference" ]; then
  echo "e2e: the reference table $(realpath -m "$reference") is missing: shared/ must sit beside the checkout" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi

if [ ! -d node_modules/libp2p ] || [ ! -d node_modules/@libp2p/pnet ]; then
  echo "e2e: js-libp2p is not installed (run scripts/install-e2e-tools.sh)" >&2
  echo "e2e: 0 passed, 1 failed"
  exit 1
fi

tmp=$(mktemp -d "${TMPDIR:-/tmp}/keyd-e2e.XXXXXX")
export KEYD_E2E_TMP="$tmp"   # the tests' temp dirs go here, so cleanup removes them
pgid=""
cleanup() {
  if [ -n "$pgid" ]; then
    kill -TERM -- "-$pgid" 2>/dev/null || true
    for _ in 1 2 3 4 5 6 7 8 9 10; do
      kill -0 -- "-$pgid" 2>/dev/null || break
      sleep 0.2
    done
    kill -KILL -- "-$pgid" 2>/dev/null || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP

echo "== e2e with real js-libp2p ($(node --version), libp2p $(node -p 'require("./node_modules/libp2p/package.json").version'), @libp2p/pnet $(node -p 'require("./node_modules/@libp2p/pnet/package.json").version')); keyd: $KEYD"
start=$SECONDS
# setsid: the runner, its test-file processes and every libp2p node they start share one new
# process group, so cleanup() reaches all of them and nothing else.
setsid timeout --kill-after=5 110 \
  node --import ./polyfill.mjs --test --test-concurrency=1 --test-timeout=90000 \
    --test-reporter=spec --test-reporter-destination=stdout \
    --test-reporter=tap --test-reporter-destination="$tmp/results.tap" \
    scenarios.test.mjs agent.test.mjs pnet-table.test.mjs &
runner=$!
pgid=$(ps -o pgid= -p "$runner" 2>/dev/null | tr -d ' ')
[ "$pgid" = "$(ps -o pgid= -p $$ | tr -d ' ')" ] && pgid=""   # never our own group
wait "$runner"
rc=$?

passed=$(grep -E '^# pass [0-9]+$' "$tmp/results.tap" 2>/dev/null | tail -n1 | awk '{print $3}')
failed=$(grep -E '^# fail [0-9]+$' "$tmp/results.tap" 2>/dev/null | tail -n1 | awk '{print $3}')
cancelled=$(grep -E '^# cancelled [0-9]+$' "$tmp/results.tap" 2>/dev/null | tail -n1 | awk '{print $3}')
skipped=$(grep -E '^# skipped [0-9]+$' "$tmp/results.tap" 2>/dev/null | tail -n1 | awk '{print $3}')
todo=$(grep -E '^# todo [0-9]+$' "$tmp/results.tap" 2>/dev/null | tail -n1 | awk '{print $3}')
passed=${passed:-0}
skipped=$((${skipped:-0} + ${todo:-0}))
failed=$((${failed:-0} + ${cancelled:-0}))
if [ "$skipped" -gt 0 ]; then
  # node's "# pass" leaves them out, but a test that did not run is a failure here: nothing may skip.
  echo "e2e: $skipped test(s) skipped or todo; none may:" >&2
  grep -E '^ *ok [0-9]+ - .*# (SKIP|TODO)' "$tmp/results.tap" >&2 || true
  failed=$((failed + skipped))
fi
if [ "$rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  echo "e2e: the test runner exited $rc" >&2
  failed=1
fi
echo "e2e: finished in $((SECONDS - start)) s"
echo "e2e: $passed passed, $skipped skipped, $failed failed"
[ "$failed" -eq 0 ]
