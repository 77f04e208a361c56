#!/usr/bin/env bash
# Installs what the end-to-end suite with real libp2p nodes needs (tests/e2e/run.sh):
#   - node (20 or later) and npm, via apt only if missing;
#   - js-libp2p (libp2p, @libp2p/tcp, @libp2p/pnet, @chainsafe/libp2p-noise, @libp2p/yamux,
#     @libp2p/ping, @libp2p/identify) from the committed tests/e2e/package-lock.json.
# Idempotent: `npm ci` runs only when tests/e2e/node_modules is missing or the lock file changed since
# the last install, so a second run does nothing and needs no network.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

missing=()
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if ((${#missing[@]})); then
  echo "install-e2e-tools: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
fi
major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$major" -lt 20 ]; then
  echo "install-e2e-tools: node $(node --version) is too old; js-libp2p 3.x needs node 20 or later" >&2
  exit 1
fi

e2e=tests/e2e
stamp=$e2e/node_modules/.keyd-package-lock.sha256
want=$(sha256sum "$e2e/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$e2e/node_modules/libp2p" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install-e2e-tools: npm ci in $e2e" >&2
  (cd "$e2e" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
else
  echo "install-e2e-tools: js-libp2p present (package-lock unchanged)" >&2
fi
