# keyd's everyday operations, and the ipfs-overlay's (the recipes of the original repo, without
# its bugs). `just --list` shows them. `just` is optional: scripts/install-just.sh installs the
# pinned rust-just from npm (tools/just/), or `npm install -g rust-just`.
#
# Environment: KEYD_CONFIG (keyd's config), KEYD (the keyd binary; default: keyd on PATH), KUBECONFIG,
# KEYD_BUNDLE_VALUES, KEYD_BUNDLE_OUT, IPFS_NAMESPACE, IPFS_NAME (must match the values).
set shell := ["bash", "-euo", "pipefail", "-c"]

config := env_var_or_default("KEYD_CONFIG", "configs/local.yaml")
ipfs_path := env_var_or_default("IPFS_PATH", env_var_or_default("HOME", "/root") + "/.ipfs")
keyd := env_var_or_default("KEYD", "keyd")
values := env_var_or_default("KEYD_BUNDLE_VALUES", "configs/bundle-values.yaml")
bundle_dir := env_var_or_default("KEYD_BUNDLE_OUT", ".keyd/bundle")
namespace := env_var_or_default("IPFS_NAMESPACE", "ipfs-system")
name := env_var_or_default("IPFS_NAME", "ipfs")

# Install dependencies and build the release keyd, needing only glibc (only when asked: recipes use the keyd that is there)
build:
    ./scripts/install-deps.sh
    cmake --preset release >/dev/null
    cmake --build --preset release --target keyd
    @echo "built build/release/bin/keyd (needs only glibc): use it with KEYD=$PWD/build/release/bin/keyd, or install it (cmake --install build/release, or the .deb: scripts/package.sh)"

# The keyd the recipes run: $KEYD, else keyd on PATH. Never builds one unasked.
[private]
built:
    @command -v {{quote(keyd)}} >/dev/null || { echo "just: no keyd to run ({{keyd}}): put keyd on PATH (cmake --install, the .deb), set KEYD=/path/to/keyd, or build one with 'just build'" >&2; exit 127; }

# Everything CI runs: warnings-as-errors build, sanitizer build, all tests
test:
    ./scripts/test.sh

# The daemon under hostile clients (floods, slow sockets, chunked bombs, malformed HTTP, authorization matrix), ≤ 60 s; docs/abuse.md
abuse: built
    python3 tests/abuse/abuse_suite.py --keyd {{quote(keyd)}}

# Benchmarks that print numbers: rotation on the file store, then the other bench/ scripts
bench: build
    ./bench/rotate.sh
    for b in bench/*.sh; do [ "$b" = bench/rotate.sh ] || "$b"; done

# Rotate the swarm key and deliver it to the configured targets
rotate swarm="": built
    {{keyd}} rotate --config {{config}} {{ if swarm != "" { "--swarm " + swarm } else { "" } }}

# The original repo's name for `rotate`: a new key, stored, delivered, pods restarted once
rotate-swarm-key swarm="": (rotate swarm)

# Fetch the current key from the store (file or Vault) into OUT, mode 0600; cfg: $KEYD_CONFIG or configs/local.yaml
fetch-swarm-key out=(ipfs_path + "/swarm.key") cfg=config: built
    {{keyd}} fetch --config {{quote(cfg)}} --out {{quote(out)}}

# A new key into OUT (mode 0600, refuses to overwrite), never to the terminal: only its fingerprint is shown
generate-swarm-key out=(ipfs_path + "/swarm.key"): built
    {{keyd}} generate --out {{quote(out)}}

# Push the stored key to every target again (idempotent)
sync: built
    {{keyd}} sync --config {{config}}

# List stored versions (fingerprints only)
history: built
    {{keyd}} history --config {{config}}

# Check the audit trail's hash chain
audit-verify: built
    {{keyd}} audit verify --config {{config}}

# Render the overlay's manifests (no key) from VALUES into OUT; see docs/bundle.md
bundle values=values out=bundle_dir: built
    {{keyd}} bundle --values {{quote(values)}} --out {{quote(out)}}

# Bundle, apply it, then deliver the key: `keyd sync` when the store has one, else `keyd rotate`.
# keyd's config: $KEYD_CONFIG, else the bundle's OUT/operator/keyd.yaml (same names as the manifests; Vault from VAULT_ADDR/VAULT_TOKEN).
# Refuses, before anything reaches the cluster, a config without a kubernetes target (the key would never reach the pods)
deploy values=values out=bundle_dir cfg=env_var_or_default("KEYD_CONFIG", out + "/operator/keyd.yaml"): (bundle values out)
    {{keyd}} config check --config {{quote(cfg)}} --require-target kubernetes >/dev/null
    kubectl apply -k {{quote(out)}}
    if err=$({{keyd}} history --config {{quote(cfg)}} 2>&1 >/dev/null); then \
      {{keyd}} sync --config {{quote(cfg)}}; \
    elif grep -q "no data at store path" <<<"$err"; then \
      {{keyd}} rotate --config {{quote(cfg)}}; \
    else \
      echo "deploy: cannot read keyd's store: $err" >&2; exit 1; \
    fi

# Remove the overlay's objects; keeps the namespace, the data volumes and the key Secret (purge=true deletes the namespace)
undeploy out=bundle_dir purge="false":
    test -f {{quote(out)}}/kustomization.yaml || { echo "undeploy: no bundle in {{out}} (run just bundle)" >&2; exit 1; }
    for f in {{quote(out)}}/*.yaml; do \
      case "$f" in */namespace.yaml|*/kustomization.yaml) continue ;; esac; \
      kubectl delete --ignore-not-found -f "$f"; \
    done
    {{ if purge == "true" { "kubectl delete namespace --ignore-not-found " + namespace } else { "true" } }}

# The overlay's objects, and the ZeroTier link's status when ../zerotier-k8s-link is checked out
cluster-status:
    kubectl get statefulsets,pods,services,networkpolicies,cronjobs,deployments,persistentvolumeclaims \
      -n {{namespace}} -l app.kubernetes.io/part-of=ipfs-overlay
    if [ -f ../zerotier-k8s-link/Justfile ]; then just -f ../zerotier-k8s-link/Justfile status; fi

# Add stdin to the overlay through the Kubo RPC API (POST /api/v0/add, pinned); $IPFS_API or a port-forward to pod 0
pin-content:
    if [ -n "${IPFS_API:-}" ]; then api=$IPFS_API; else \
      log=$(mktemp); kubectl port-forward -n {{namespace}} pod/{{name}}-0 :5001 >"$log" 2>&1 & pf=$!; \
      trap 'kill $pf 2>/dev/null; rm -f "$log"' EXIT; \
      for _ in $(seq 100); do grep -q "Forwarding from 127.0.0.1:" "$log" && break; kill -0 $pf || { cat "$log" >&2; exit 1; }; sleep 0.1; done; \
      api=http://$(grep -o "127.0.0.1:[0-9]*" "$log" | head -n1); \
    fi; \
    curl --fail-with-body --silent --show-error --max-time 300 -X POST -F file=@- "$api/api/v0/add?pin=true&cid-version=1"

# keyd's versions, the StatefulSet's rollout, and each node's peer count (ipfs swarm peers)
health: built
    {{keyd}} history --config {{quote(config)}}
    kubectl rollout status statefulset/{{name}} -n {{namespace}} --timeout=60s
    for pod in $(kubectl get pods -n {{namespace}} -l app.kubernetes.io/name={{name}} -o name); do \
      peers=$(kubectl exec -n {{namespace}} "$pod" -c ipfs -- ipfs swarm peers | wc -l); \
      echo "${pod#pod/}: $peers peers"; \
    done

# Install the pre-commit hook that refuses commits adding a swarm key (keyd scan --staged)
install-hooks *args: built
    ./scripts/install-hooks.sh {{args}}

# Find swarm keys in files (or --git-history, --staged); exit 1 when any is found
scan *args: built
    {{keyd}} scan {{args}}

# Format the sources
fmt:
    clang-format -i $(git ls-files '*.cpp' '*.hpp')
