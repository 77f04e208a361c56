#!/usr/bin/env bash
# Installs the real Kubernetes clients that tests/conformance/kube/run.sh drives against the
# kube-apiserver double (tests/doubles/kube_double.py):
#   - Debian's python3-kubernetes (22.6) and the openssl CLI (test certificates), via apt only if missing;
#   - kubectl: /usr/bin/kubectl (1.32 on these machines) when present; otherwise Debian's
#     kubernetes-client as a fallback (kubectl 1.20 — older: no aggregated discovery, no protobuf
#     bodies; the conformance suite still runs against it).
# Idempotent: what is already there is skipped; apt-get update runs only when something is installed.
# The double itself needs only /usr/bin/python3's standard library.
set -euo pipefail
cd "$(dirname "$0")/.."
. scripts/lib/install.sh  # the cd above put us at the repository root

packages=(python3-kubernetes openssl)
if [ -x /usr/bin/kubectl ] || command -v kubectl >/dev/null 2>&1; then
  kubectl_note="kubectl present: $(kubectl version --client 2>/dev/null | head -n1 || echo '?')"
else
  packages+=(kubernetes-client)
  kubectl_note="kubectl from Debian's kubernetes-client (fallback; older than 1.32)"
fi

apt_install_missing install-kube-test-tools "${packages[@]}"
echo "install-kube-test-tools: $kubectl_note" >&2
