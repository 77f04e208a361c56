#!/usr/bin/env bash
# Test certificates for the kube-apiserver double, made with the openssl CLI into DIR:
# everything ../make-certs.sh makes (ca, server for 127.0.0.1/localhost, client CN=keyd-test-client,
# other-ca), plus client certificates whose subject names a Kubernetes user and groups:
#   admin-client.crt/.key    CN=kube-admin,  O=system:masters   (allowed everything)
#   reader-client.crt/.key   CN=cert-reader, O=keyd-readers     (rules set by the tests)
#   stranger-client.crt/.key CN=stranger, signed by the unrelated CA (must be refused)
set -euo pipefail
dir=${1:?usage: make-kube-certs.sh DIR}
here=$(cd "$(dirname "$0")" && pwd)
"$here/../make-certs.sh" "$dir"
cd "$dir"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
client() { # name subject ca
  openssl req "${ec[@]}" -keyout "$1.key" -out "$1.csr" -subj "$2" 2>/dev/null
  printf '%s\n' "basicConstraints=CA:FALSE" "keyUsage=critical,digitalSignature,keyEncipherment" \
    "extendedKeyUsage=clientAuth" >"$1.ext"
  openssl x509 -req -in "$1.csr" -CA "$3.crt" -CAkey "$3.key" -CAcreateserial -days 1 \
    -out "$1.crt" -extfile "$1.ext" 2>/dev/null
  rm -f "$1.csr" "$1.ext"
}
client admin-client "/O=system:masters/CN=kube-admin" ca
client reader-client "/O=keyd-readers/CN=cert-reader" ca
client stranger-client "/CN=stranger" other-ca
chmod 600 ./*.key
