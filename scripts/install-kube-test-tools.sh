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

sudo_cmd=()
[ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)

installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

missing=()
for p in python3-kubernetes openssl; do
  installed "$p" || missing+=("$p")
done
if [ -x /usr/bin/kubectl ] || command -v kubectl >/dev/null 2>&1; then
  kubectl_note="kubectl present: $(kubectl version --client 2>/dev/null | head -n1 || echo '?')"
else
  missing+=(kubernetes-client)
  kubectl_note="kubectl from Debian's kubernetes-client (fallback; older than 1.32)"
fi

if ((${#missing[@]})); then
  echo "install-kube-test-tools: installing ${missing[*]}" >&2
  "${sudo_cmd[@]}" apt-get update -q
  DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
else
  echo "install-kube-test-tools: Debian packages present" >&2
fi
echo "install-kube-test-tools: $kubectl_note" >&2
