#!/usr/bin/env bash
# What a user writes instead of `keyd rotate`, with curl + jq (Vault's HTTP API) and kubectl. The
# same job as rotate_hvac_k8s.py, done correctly: a new key from the CSPRNG; Vault KV v2 read of the
# current version, then a check-and-set write; the Secret applied (kubectl create --dry-run | kubectl
# apply: created when missing, updated otherwise); the StatefulSet's pod template annotated with
# the key's fingerprint (a strategic-merge patch, as `kubectl rollout restart` does). The key goes
# through pipes and a mode-0600 temporary file, never the command line. Used by bench/compare.
#   rotate_curl_kubectl.sh VAULT_ADDR VAULT_TOKEN_FILE KUBECONFIG NAMESPACE SECRET STATEFULSET [KV_PATH]
set -euo pipefail
vault_addr=$1 token_file=$2 namespace=$4 secret=$5 statefulset=$6
export KUBECONFIG=$3
path=${7:-ipfs-overlay/swarm-key}
umask 077
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
head -c 32 /dev/urandom >"$work/key.bin"
{ printf '/key/swarm/psk/1.0.0/\n/base16/\n'; od -An -tx1 -v "$work/key.bin" | tr -d ' \n'; printf '\n'; } >"$work/swarm.key"
fingerprint=$(sha256sum "$work/key.bin" | cut -d' ' -f1)
header="X-Vault-Token: $(cat "$token_file")"

current=$(curl -sS --max-time 30 -H @<(printf '%s\n' "$header") "$vault_addr/v1/secret/metadata/$path" |
  jq -r '.data.current_version // 0')
jq -n --rawfile key "$work/swarm.key" --arg fp "$fingerprint" --argjson cas "$current" \
  '{options: {cas: $cas}, data: {"swarm.key": $key, fingerprint: $fp}}' |
  curl -sS --fail --max-time 30 -H @<(printf '%s\n' "$header") -X POST --data-binary @- \
    "$vault_addr/v1/secret/data/$path" >/dev/null

kubectl create secret generic "$secret" -n "$namespace" --from-file=swarm.key="$work/swarm.key" \
  --dry-run=client -o yaml | kubectl apply -f - >/dev/null
kubectl patch statefulset "$statefulset" -n "$namespace" -p \
  "{\"spec\":{\"template\":{\"metadata\":{\"annotations\":{\"example.com/swarm-key-fingerprint\":\"$fingerprint\"}}}}}" >/dev/null
