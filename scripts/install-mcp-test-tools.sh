#!/usr/bin/env bash
# Installs what the poly-secret-mcp test double needs (tests/doubles/mcp, checked by
# tests/conformance/mcp/run.sh):
#   - node (20 or later) and npm, via apt only if missing;
#   - @modelcontextprotocol/sdk and zod from the committed tests/doubles/mcp/package-lock.json.
# Idempotent: `npm ci` runs only when tests/doubles/mcp/node_modules is missing or the lock file changed
# since the last install, so a second run does nothing and needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/install.sh  # the cd above put us at the repository root
missing=($(node_packages))
((${#missing[@]} == 0)) || apt_install_missing install-mcp-test-tools "${missing[@]}"
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "install-mcp-test-tools: node $(node --version) is too old; the MCP test double needs node 20 or later" >&2
  exit 1
fi

npm_ci_if_changed install-mcp-test-tools tests/doubles/mcp @modelcontextprotocol/sdk
