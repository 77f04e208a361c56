#!/usr/bin/env bash
# Conformance of the kube-apiserver double (tests/doubles/kube_double.py) with two real clients:
# kubectl (1.32 on these machines; Debian's kubernetes-client is the fallback) and Debian's
# python3-kubernetes. Fails if either client disagrees with the double. Everything runs on 127.0.0.1
# with kernel-chosen ports; each test file starts and stops its own double (which also exits with its
# parent); certificates are made here with the openssl CLI; kubectl gets generated kubeconfigs and a
# fresh --cache-dir in a temp dir. Install the clients first: scripts/install-kube-test-tools.sh
# Closing line: "N passed, M failed" summed over both clients.
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
cd "$here" || exit 1

. ../lib.sh
conformance_setup kube-conformance

missing=0
if ! /usr/bin/python3 -c 'import kubernetes' 2>/dev/null; then
  echo "kube conformance: python3-kubernetes is not installed (run scripts/install-kube-test-tools.sh)" >&2
  missing=1
fi
if ! command -v kubectl >/dev/null 2>&1; then
  echo "kube conformance: kubectl is not installed (run scripts/install-kube-test-tools.sh)" >&2
  missing=1
fi
if ! command -v openssl >/dev/null 2>&1; then
  echo "kube conformance: the openssl CLI is missing (run scripts/install-kube-test-tools.sh)" >&2
  missing=1
fi
if ((missing)); then
  echo "0 passed, 1 failed"
  exit 1
fi

./make-kube-certs.sh "$tmp/certs"
export KUBE_DOUBLE_CERT_DIR="$tmp/certs"
export KUBE_CONFORMANCE_TMP="$tmp"   # the tests' own temp dirs go here, so cleanup removes them
unset KUBECONFIG

passed=0
failed=0
rc_all=0
run() { # label seconds file
  local label=$1 secs=$2 file=$3 rc line p f
  run_limited "$secs" "$tmp/$label.out" /usr/bin/python3 "$file"
  cat "$tmp/$label.out"
  line=$(grep -E "^$label: passed=[0-9]+ failed=[0-9]+$" "$tmp/$label.out" | tail -n1)
  f=0
  if [ -n "$line" ]; then
    p=${line#"$label: passed="}; p=${p%% *}; f=${line##*failed=}
    passed=$((passed + p)); failed=$((failed + f))
  fi
  if [ "$rc" -ne 0 ]; then
    rc_all=1
    if [ -z "$line" ] || [ "$f" -eq 0 ]; then
      failed=$((failed + 1))   # crashed or timed out before reporting
    fi
  fi
}

echo "== kubectl $(kubectl version --client 2>/dev/null | head -n1 | sed 's/^Client Version: //')"
run kube-kubectl 75 test_kubectl.py
echo "== python3-kubernetes $(/usr/bin/python3 -c 'import kubernetes; print(kubernetes.__version__)' 2>/dev/null)"
run kube-python 45 test_pyk8s.py
echo "== optimistic concurrency on Secrets (python3-kubernetes and kubectl racing)"
run kube-optimistic 45 test_optimistic.py

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$rc_all" -eq 0 ]
