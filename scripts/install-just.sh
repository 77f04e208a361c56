#!/usr/bin/env bash
# Installs `just` (the Justfile's command runner) for keyd's recipes and tests/just/run.sh:
#   - node and npm, via apt only if missing (Debian 12 has no `just` package);
#   - rust-just 1.57.0 (prebuilt just binaries on npm) from the committed tools/just/package-lock.json,
#     into tools/just/node_modules; the command is tools/just/node_modules/.bin/just.
# Idempotent: npm runs only when tools/just/node_modules lacks the pinned version.
# Nothing else in the repository needs just: scripts/quickstart.sh and scripts/test.sh never call it.
# For a just on your PATH instead: npm install -g rust-just@1.57.0
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/install.sh  # the cd above put us at the repository root
missing=($(node_packages))
((${#missing[@]} == 0)) || apt_install_missing install-just "${missing[@]}"

# Not `npm ci`: npm 11 writes the lock with only this platform's rust-just-<os>-<cpu> package and then
# refuses `npm ci` for the others it lists as optional. `npm install` with the committed lock installs
# exactly the locked versions (integrity-checked); it runs only when the pinned just is not there yet.
want=$(node -p 'require("./tools/just/package.json").dependencies["rust-just"]')
have=$(tools/just/node_modules/.bin/just --version 2>/dev/null | awk '{print $2}' || true)
if [ "$have" != "$want" ]; then
  echo "install-just: npm install in tools/just (rust-just $want)" >&2
  (cd tools/just && npm install --no-audit --no-fund --loglevel=error)
else
  echo "install-just: just $have present" >&2
fi
echo "install-just: $(tools/just/node_modules/.bin/just --version) at tools/just/node_modules/.bin/just" >&2
