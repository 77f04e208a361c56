#!/usr/bin/env bash
# Render docs/architecture.svg (the layers and the three flows) from docs/architecture.dot.
# Needs Graphviz (installed here when missing, as the other scripts install their Debian packages).
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v dot >/dev/null; then
  sudo_cmd=""; [ "$(id -u)" -eq 0 ] || sudo_cmd="sudo"
  $sudo_cmd apt-get install -y --no-install-recommends graphviz >/dev/null
fi
dot -Tsvg docs/architecture.dot -o docs/architecture.svg
echo "docs/architecture.svg rendered from docs/architecture.dot"
