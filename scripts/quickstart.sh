#!/usr/bin/env bash
# Install, build, and run keyd's main job on the embedded default: rotate the swarm key of the
# swarm in configs/local.yaml (file store under configs/.keyd/, key delivered to
# configs/.keyd/ipfs/swarm.key: a config's relative paths are relative to its directory).
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
cmake --preset release-shared >/dev/null
cmake --build --preset release-shared -j "$(nproc 2>/dev/null || echo 2)" --target keyd >/dev/null

keyd=./build/release-shared/bin/keyd
config=configs/local.yaml
"$keyd" rotate --config "$config"
echo
"$keyd" history --config "$config"
echo
"$keyd" inspect configs/.keyd/ipfs/swarm.key
"$keyd" audit verify --config "$config"
