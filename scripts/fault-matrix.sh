#!/usr/bin/env bash
# Regenerate docs/fault-matrix.md: build keyd and the cli tests (dev preset), run every cell of the
# fault matrix (tests/unit/cli/fault_matrix_test.cpp) in parallel through ctest, and let each cell
# write its outcome into the table. Usage: scripts/fault-matrix.sh [JOBS] (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-2}"
out="$PWD/docs/fault-matrix.md"
cmake --preset dev >/dev/null
cmake --build --preset dev -j"$jobs" --target keyd keyd_cli_tests
rm -rf "$out.cells" "$out.lock"
status=0
KEYD_FAULT_MATRIX_OUT="$out" ctest --preset dev -R 'FaultMatrix' -j"$jobs" --output-on-failure || status=$?
rm -rf "$out.cells" "$out.lock"
echo "docs/fault-matrix.md regenerated (ctest exit $status)"
exit "$status"
