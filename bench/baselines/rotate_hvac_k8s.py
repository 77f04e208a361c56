#!/usr/bin/python3
"""What a user writes instead of `keyd rotate`, with the official Python clients: hvac (Vault) and
kubernetes (the Kubernetes client). The same job, done correctly:
  1. a new swarm key from the OS CSPRNG, in the format Kubo reads;
  2. Vault KV v2: read the current version, write the new one with check-and-set (never over a
     version someone else wrote meanwhile);
  3. the Kubernetes Secret: read it, update it with its resourceVersion (optimistic concurrency),
     create it when missing;
  4. the StatefulSet: a strategic-merge patch of a pod-template annotation (the key's fingerprint),
     which makes the controller roll the pods (what `kubectl rollout restart` does).
Prints nothing on success; exits non-zero on any failure. Used by bench/compare.
  rotate_hvac_k8s.py VAULT_ADDR VAULT_TOKEN_FILE KUBECONFIG NAMESPACE SECRET STATEFULSET [KV_PATH]
"""
import base64
import hashlib
import os
import sys

import hvac
from kubernetes import client, config
from kubernetes.client.rest import ApiException


def main():
    vault_addr, token_file, kubeconfig, namespace, secret, statefulset = sys.argv[1:7]
    path = sys.argv[7] if len(sys.argv) > 7 else "ipfs-overlay/swarm-key"
    key = os.urandom(32)
    key_file = "/key/swarm/psk/1.0.0/\n/base16/\n%s\n" % key.hex()
    fingerprint = hashlib.sha256(key).hexdigest()

    with open(token_file) as fh:
        vault = hvac.Client(url=vault_addr, token=fh.read().strip(), timeout=30)
    kv = vault.secrets.kv.v2
    try:
        current = kv.read_secret_metadata(path=path, mount_point="secret")["data"]["current_version"]
    except hvac.exceptions.InvalidPath:
        current = 0
    kv.create_or_update_secret(path=path, secret={"swarm.key": key_file, "fingerprint": fingerprint},
                               cas=current, mount_point="secret")

    config.load_kube_config(config_file=kubeconfig)
    core = client.CoreV1Api()
    data = {"swarm.key": base64.b64encode(key_file.encode()).decode()}
    try:
        existing = core.read_namespaced_secret(secret, namespace)
        existing.data = data
        core.replace_namespaced_secret(secret, namespace, existing)   # carries its resourceVersion
    except ApiException as exc:
        if exc.status != 404:
            raise
        core.create_namespaced_secret(namespace, client.V1Secret(
            metadata=client.V1ObjectMeta(name=secret), type="Opaque", data=data))
    client.AppsV1Api().patch_namespaced_stateful_set(statefulset, namespace, {
        "spec": {"template": {"metadata": {"annotations": {"example.com/swarm-key-fingerprint": fingerprint}}}}})


if __name__ == "__main__":
    main()
