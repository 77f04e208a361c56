#!/usr/bin/env bash
# Installs everything keyd needs to build and test on Debian 12. Idempotent: packages that are
# already installed are skipped, so a second run does nothing and needs no network. help2man makes
# keyd(1) from the built binary's --help (CMakeLists.txt).
set -euo pipefail

packages=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libcurl4-openssl-dev libssl-dev nlohmann-json3-dev libcpp-httplib-dev libyaml-cpp-dev
  libspdlog-dev libgtest-dev libgmock-dev libcli11-dev libsodium-dev
  help2man
)

. "$(dirname "$0")/lib/install.sh"
apt_install_missing install-deps "${packages[@]}"
