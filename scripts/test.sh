#!/usr/bin/env bash
# Install dependencies, build and run every test: the conformance of the Vault and kube-apiserver
# doubles with real clients, then the warnings-as-errors build and the AddressSanitizer + UndefinedBehaviorSanitizer
# build of the whole suite.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh
./scripts/install-test-tools.sh
./scripts/install-kube-test-tools.sh

# The Vault double must satisfy real Vault clients before keyd's own tests may rely on it.
echo "== conformance of the Vault double (python3-hvac, node-vault)"
tests/conformance/run.sh
echo "== conformance of the kube-apiserver double (kubectl, python3-kubernetes)"
tests/conformance/kube/run.sh

jobs=$(nproc 2>/dev/null || echo 2)
for preset in dev asan; do
  echo "== build ($preset)"
  cmake --preset "$preset" >/dev/null
  cmake --build --preset "$preset" -j "$jobs"
  echo "== test ($preset)"
  ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --preset "$preset" -j "$jobs"
done
