#!/usr/bin/env bash
# Installs what the end-to-end suite with real libp2p nodes needs (tests/e2e/run.sh):
#   - node (20 or later) and npm, via apt only if missing;
#   - js-libp2p (libp2p, @libp2p/tcp, @libp2p/pnet, @chainsafe/libp2p-noise, @libp2p/yamux,
#     @libp2p/ping, @libp2p/identify) from the committed tests/e2e/package-lock.json.
# Idempotent: `npm ci` runs only when tests/e2e/node_modules is missing or the lock file changed since
# the last install, so a second run does nothing and needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/install.sh  # the cd above put us at the repository root
missing=($(node_packages))
((${#missing[@]} == 0)) || apt_install_missing install-e2e-tools "${missing[@]}"
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "install-e2e-tools: node $(node --version) is too old; js-libp2p 3.x needs node 20 or later" >&2
  exit 1
fi

npm_ci_if_changed install-e2e-tools tests/e2e libp2p
