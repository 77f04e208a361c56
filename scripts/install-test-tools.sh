#!/usr/bin/env bash
# Installs the tools the Vault double's conformance tests need (tests/conformance/run.sh):
#   - Debian's python3-hvac (a real Vault client) and the openssl CLI (test certificates);
#   - npm's node-vault (the other real client) from the committed tests/conformance/package-lock.json;
#   - clang 16 and its runtime (libFuzzer, ASan, UBSan) for the fuzz targets (scripts/fuzz.sh,
#     docs/fuzzing.md): Debian 12's clang 14 cannot compile keyd's std::expected;
#   - strace, which scripts/check-package.sh runs the static binary under (its start's madvise calls);
#   - jq, which the curl baseline of bench/compare uses (tests/bench/smoke.sh runs it once).
# Idempotent: what is already there is skipped, so a second run does nothing and needs no network.
# The Vault double itself needs only /usr/bin/python3's standard library.
set -euo pipefail
cd "$(dirname "$0")/.."

. scripts/lib/install.sh  # the cd above put us at the repository root
# shellcheck disable=SC2046 # node_packages prints package names
apt_install_missing install-test-tools python3-hvac openssl clang-16 libclang-rt-16-dev xxd strace jq $(node_packages)
npm_ci_if_changed install-test-tools tests/conformance node-vault
