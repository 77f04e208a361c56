#!/usr/bin/env bash
# Conformance of the poly-secret-mcp test double (tests/doubles/mcp/server.mjs): the MCP SDK's real
# Client + StdioClientTransport drive it against the Vault double (tests/doubles/vault_double.py) over
# HTTP — protocol version negotiation, the six tools and their argument conventions, the vault CLI's
# `-format=json` output and error texts, Vault down or sealed at start, and every fault mode.
# Everything runs on 127.0.0.1 with kernel-chosen ports; the Vault double exits with its parent.
# Install first: scripts/install-mcp-test-tools.sh. Closing line: "N passed, M failed".
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here"

. ../lib.sh
conformance_setup mcp-conformance

if [ ! -d ../../doubles/mcp/node_modules/@modelcontextprotocol/sdk ]; then
  echo "conformance: the MCP SDK is not installed (run scripts/install-mcp-test-tools.sh)" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

sdk=$(node -p 'require("../../doubles/mcp/node_modules/@modelcontextprotocol/sdk/package.json").version' 2>/dev/null || echo '?')
echo "== @modelcontextprotocol/sdk $sdk, node $(node --version)"
export MCP_CONFORMANCE_TMP="$tmp"
run_limited 50 "$tmp/mcp.out" node conformance.mjs
node_rc=$rc
cat "$tmp/mcp.out"
passed=0
failed=0
line=$(grep -E '^mcp: passed=[0-9]+ failed=[0-9]+$' "$tmp/mcp.out" | tail -n1)
if [ -n "$line" ]; then
  passed=${line#mcp: passed=}; passed=${passed%% *}; failed=${line##*failed=}
fi
if [ "$node_rc" -ne 0 ] && [ "$failed" -eq 0 ]; then
  failed=1   # crashed or timed out before reporting
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$node_rc" -eq 0 ]
