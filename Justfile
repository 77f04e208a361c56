# keyd's everyday operations. `just --list` shows them.
set shell := ["bash", "-euo", "pipefail", "-c"]

config := env_var_or_default("KEYD_CONFIG", "configs/local.yaml")
ipfs_path := env_var_or_default("IPFS_PATH", env_var_or_default("HOME", "/root") + "/.ipfs")
keyd := "./build/release/bin/keyd"

# Install dependencies and build an optimised keyd
build:
    ./scripts/install-deps.sh
    cmake --preset release >/dev/null
    cmake --build --preset release --target keyd

# Everything CI runs: warnings-as-errors build, sanitizer build, all tests
test:
    ./scripts/test.sh

# Rotate the swarm key and deliver it to the configured targets
rotate swarm="": build
    {{keyd}} rotate --config {{config}} {{ if swarm != "" { "--swarm " + swarm } else { "" } }}

# Fetch the current key from the store (file or Vault) into OUT, mode 0600; cfg: $KEYD_CONFIG or configs/local.yaml
fetch-swarm-key out=(ipfs_path + "/swarm.key") cfg=config: build
    {{keyd}} fetch --config {{quote(cfg)}} --out {{quote(out)}}

# Push the stored key to every target again (idempotent)
sync: build
    {{keyd}} sync --config {{config}}

# List stored versions (fingerprints only)
history: build
    {{keyd}} history --config {{config}}

# Check the audit trail's hash chain
audit-verify: build
    {{keyd}} audit verify --config {{config}}

# Format the sources
fmt:
    clang-format -i $(git ls-files '*.cpp' '*.hpp')
