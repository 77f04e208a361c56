#!/usr/bin/env bash
# Installs the tools the Vault double's conformance tests need (tests/conformance/run.sh):
#   - Debian's python3-hvac (a real Vault client) and the openssl CLI (test certificates);
#   - npm's node-vault (the other real client) from the committed tests/conformance/package-lock.json.
# Idempotent: what is already there is skipped, so a second run does nothing and needs no network.
# The Vault double itself needs only /usr/bin/python3's standard library.
set -euo pipefail
cd "$(dirname "$0")/.."

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

packages=(python3-hvac openssl)
command -v node >/dev/null 2>&1 || packages+=(nodejs)
command -v npm >/dev/null 2>&1 || packages+=(npm)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "install-test-tools: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-test-tools: Debian packages present" >&2
fi

conf=tests/conformance
stamp=$conf/node_modules/.keyd-package-lock.sha256
want=$(sha256sum "$conf/package-lock.json" | cut -d' ' -f1)
if [ ! -d "$conf/node_modules/node-vault" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  echo "install-test-tools: npm ci in $conf" >&2
  (cd "$conf" && npm ci --no-audit --no-fund --loglevel=error)
  echo "$want" >"$stamp"
else
  echo "install-test-tools: node-vault present (package-lock unchanged)" >&2
fi
