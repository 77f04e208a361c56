#!/usr/bin/env bash
# Conformance of the Vault double (tests/doubles/vault_double.py) with two real Vault clients:
# Debian's python3-hvac and npm's node-vault. Fails if either client disagrees with the double.
# Everything runs on 127.0.0.1 with kernel-chosen ports; each test file starts and stops its own
# doubles (which also exit with their parent). Install the clients first: scripts/install-test-tools.sh
# Closing line: "N passed, M failed" summed over both clients.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

. ./lib.sh
conformance_setup vault-conformance

passed=0
failed=0
missing=0
if ! /usr/bin/python3 -c 'import hvac' 2>/dev/null; then
  echo "conformance: python3-hvac is not installed (run scripts/install-test-tools.sh)" >&2
  missing=1
fi
if [ ! -d node_modules/node-vault ]; then
  echo "conformance: node-vault is not installed (run scripts/install-test-tools.sh)" >&2
  missing=1
fi
if ((missing)); then
  echo "0 passed, 1 failed"
  exit 1
fi

./make-certs.sh "$tmp/certs"
export VAULT_DOUBLE_CERT_DIR="$tmp/certs"
export VAULT_CONFORMANCE_TMP="$tmp"   # the tests' own temp dirs go here, so cleanup removes them

echo "== python3-hvac $(/usr/bin/python3 -c 'import hvac; print(hvac.__version__)' 2>/dev/null || echo '?')"
run_limited 45 "$tmp/hvac.out" /usr/bin/python3 test_hvac.py
py_rc=$rc
cat "$tmp/hvac.out"
line=$(grep -E '^hvac: passed=[0-9]+ failed=[0-9]+$' "$tmp/hvac.out" | tail -n1)
if [ -n "$line" ]; then
  p=${line#hvac: passed=}; p=${p%% *}; f=${line##*failed=}
  passed=$((passed + p)); failed=$((failed + f))
fi
if [ "$py_rc" -ne 0 ] && { [ -z "$line" ] || [ "${f:-0}" -eq 0 ]; }; then
  failed=$((failed + 1))   # crashed or timed out before reporting
fi

echo "== node-vault $(node -p 'require("node-vault/package.json").version' 2>/dev/null || echo '?')"
run_limited 45 - node --test --test-reporter=spec --test-reporter-destination=stdout \
  --test-reporter=tap --test-reporter-destination="$tmp/node.tap" node-vault.test.js
node_rc=$rc
np=$(sed -n 's/^# pass \([0-9]*\)$/\1/p' "$tmp/node.tap" 2>/dev/null | tail -n1)
nf=$(sed -n 's/^# fail \([0-9]*\)$/\1/p' "$tmp/node.tap" 2>/dev/null | tail -n1)
passed=$((passed + ${np:-0})); failed=$((failed + ${nf:-0}))
if [ "$node_rc" -ne 0 ] && [ "${nf:-0}" -eq 0 ]; then
  failed=$((failed + 1))
fi

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$py_rc" -eq 0 ] && [ "$node_rc" -eq 0 ]
