#!/usr/bin/env bash
# The Justfile's overlay recipes, run by the real `just` against a kube-apiserver double this script
# starts (127.0.0.1, kernel-chosen port, TLS with a CA made here; KUBECONFIG points at it) and a keyd
# whose store is a temporary file store with a kubernetes target on the double:
#   just bundle, generate-swarm-key, deploy (refused without a kubernetes target; then twice: rotate, then sync), cluster-status, pin-content
#   (against a stand-in for Kubo's RPC API that answers POST only), undeploy.
# Installs nothing. Needs: just (scripts/install-just.sh, or on PATH), kubectl and the openssl CLI
# (scripts/install-kube-test-tools.sh), python3, curl, and a built keyd ($KEYD, else build/release,
# build/release-shared or
# build/dev). Closing line: "N passed, M failed".
set -uo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root" || exit 1
. tests/conformance/lib.sh
conformance_setup keyd-just

just_bin=$root/tools/just/node_modules/.bin/just
[ -x "$just_bin" ] || just_bin=$(command -v just || true)
keyd_bin=${KEYD:-}
for candidate in "$root/build/release/bin/keyd" "$root/build/release-shared/bin/keyd" "$root/build/dev/bin/keyd"; do
  [ -n "$keyd_bin" ] || { [ -x "$candidate" ] && keyd_bin=$candidate; }
done
missing=()
[ -n "$just_bin" ] || missing+=("just (run scripts/install-just.sh)")
command -v kubectl >/dev/null 2>&1 || missing+=("kubectl (run scripts/install-kube-test-tools.sh)")
command -v openssl >/dev/null 2>&1 || missing+=("openssl")
command -v curl >/dev/null 2>&1 || missing+=("curl")
[ -n "$keyd_bin" ] && [ -x "$keyd_bin" ] || missing+=("a keyd binary (build one, or set KEYD)")
if ((${#missing[@]})); then
  printf 'just tests: missing %s\n' "${missing[@]}" >&2
  echo "0 passed, 1 failed"
  exit 1
fi

passed=0
failed=0

wait_for_file() { # file pid
  local _
  for _ in $(seq 500); do
    [ -s "$1" ] && return 0
    kill -0 "$2" 2>/dev/null || return 1
    sleep 0.02
  done
  return 1
}

# --- the kube-apiserver double
tests/conformance/kube/make-kube-certs.sh "$tmp/certs" >/dev/null 2>&1 || { echo "just tests: certificates failed" >&2; echo "0 passed, 1 failed"; exit 1; }
/usr/bin/python3 tests/doubles/kube_double.py --port 0 --port-file "$tmp/kube.port" --token-file "$tmp/kube.token" \
  --control-port-file "$tmp/kube.ctl" --tls-cert "$tmp/certs/server.crt" --tls-key "$tmp/certs/server.key" \
  --kubeconfig "$tmp/kubeconfig" --ca-cert "$tmp/certs/ca.crt" --quiet --exit-with-parent >"$tmp/kube.log" 2>&1 &
pids+=($!)
if ! wait_for_file "$tmp/kube.ctl" "${pids[-1]}" || ! wait_for_file "$tmp/kubeconfig" "${pids[-1]}"; then
  echo "just tests: the kube double did not start:" >&2
  cat "$tmp/kube.log" >&2
  echo "0 passed, 1 failed"
  exit 1
fi
curl -sf -X POST -H 'Content-Type: application/json' -d '{"seconds_per_pod": 0.05}' \
  "http://127.0.0.1:$(cat "$tmp/kube.ctl")/_double/controller" >/dev/null

# --- a stand-in for Kubo's RPC API: POST /api/v0/add only (GET → 405, as Kubo answers)
cat >"$tmp/kubo_api.py" <<'EOF'
import http.server, json, os, sys, tempfile
class H(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(405); self.end_headers()
    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        ok = self.path.startswith("/api/v0/add?") and "multipart/form-data" in self.headers.get("Content-Type", "")
        with open(sys.argv[2], "ab") as f:
            f.write(body)
        out = json.dumps({"Name": "file", "Hash": "bafkreistandin", "Size": str(len(body))}).encode()
        self.send_response(200 if ok else 400); self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(out))); self.end_headers(); self.wfile.write(out)
    def log_message(self, *a):
        pass
s = http.server.HTTPServer(("127.0.0.1", 0), H)
fd, tmpname = tempfile.mkstemp(dir=os.path.dirname(sys.argv[1])); os.write(fd, str(s.server_port).encode()); os.close(fd)
os.rename(tmpname, sys.argv[1])
s.serve_forever()
EOF
/usr/bin/python3 "$tmp/kubo_api.py" "$tmp/kubo.port" "$tmp/kubo.received" >"$tmp/kubo.log" 2>&1 &
pids+=($!)
wait_for_file "$tmp/kubo.port" "${pids[-1]}" || { cat "$tmp/kubo.log" >&2; echo "0 passed, 1 failed"; exit 1; }

# --- keyd: file store, a kubernetes target on what the bundle deploys
mkdir -p "$tmp/work"
cat >"$tmp/work/keyd.yaml" <<EOF
store: {backend: file, file: {dir: $tmp/work/store}}
audit: {file: $tmp/work/audit.jsonl}
swarms:
  - name: ipfs-overlay
    path: ipfs-overlay/swarm-key
    targets:
      - type: kubernetes
        namespace: ipfs-system
        secret: ipfs-swarm-key
        restart: [{kind: StatefulSet, name: ipfs}]
        timeout: 60s
EOF
export KUBECONFIG=$tmp/kubeconfig HOME=$tmp KEYD=$keyd_bin KEYD_CONFIG=$tmp/work/keyd.yaml
export KEYD_BUNDLE_VALUES=$root/configs/bundle-values.yaml KEYD_BUNDLE_OUT=$tmp/work/bundle
kubectl_() { kubectl --cache-dir "$tmp/kube-cache" "$@"; }
j() { timeout --kill-after=5 120 "$just_bin" --justfile "$root/Justfile" "$@"; }

echo "== just $("$just_bin" --version | cut -d' ' -f2), keyd $keyd_bin, kube double on port $(cat "$tmp/kube.port")"

versions() { "$keyd_bin" history --config "$KEYD_CONFIG" --output json | python3 -c 'import json,sys; print(len(json.load(sys.stdin)))'; }
annotation() { # resource jsonpath
  kubectl_ get "$1" -n ipfs-system -o jsonpath="{$2}"
}

j bundle >"$tmp/bundle.out" 2>&1
check "just bundle renders the kustomization and the module manifest, without a key" bash -c '[ "$0" -eq 0 ] &&
  test -f "$1/kustomization.yaml" && test -f "$1/ipfs-overlay.manifest.json" && ! grep -rq "/key/swarm/psk" "$1"' \
  "$?" "$KEYD_BUNDLE_OUT"

gen=$tmp/gen/swarm.key
j generate-swarm-key "$gen" >"$tmp/gen.out" 2>&1
gen_rc=$?
key_hex=$(sed -n 3p "$gen" 2>/dev/null)
check "just generate-swarm-key writes a valid key file with mode 0600" bash -c '[ "$0" -eq 0 ] &&
  [ "$(stat -c %a "$1")" = 600 ] && "$2" inspect "$1"' "$gen_rc" "$gen" "$keyd_bin"
check "just generate-swarm-key shows the fingerprint, never the key" bash -c '[ ${#1} -eq 64 ] && grep -q fingerprint "$0" &&
  ! grep -qi -e "$1" "$0"' "$tmp/gen.out" "$key_hex"
j generate-swarm-key "$gen" >"$tmp/gen2.out" 2>&1
check "just generate-swarm-key refuses to overwrite" bash -c '[ "$0" -ne 0 ] && [ "$(sed -n 3p "$1")" = "$2" ]' "$?" "$gen" "$key_hex"

# A config without a kubernetes target: deploy refuses before kubectl applies anything (issue 19).
cat >"$tmp/work/local-only.yaml" <<EOF
store: {backend: file, file: {dir: $tmp/work/local-store}}
audit: {file: $tmp/work/local-audit.jsonl}
swarms:
  - name: ipfs-overlay
    targets: [{type: file, path: $tmp/work/swarm.key}]
EOF
KEYD_CONFIG=$tmp/work/local-only.yaml j deploy >"$tmp/deploy0.out" 2>&1
check "just deploy refuses a config without a kubernetes target, before anything is applied" bash -c 'cat "$1"; [ "$0" -ne 0 ] &&
  grep -q "no swarm has a kubernetes target" "$1" && ! grep -q "created" "$1" && [ -z "$2" ] && ! test -e "$3"' \
  "$?" "$tmp/deploy0.out" "$(kubectl_ get statefulsets -n ipfs-system -o name 2>/dev/null)" "$tmp/work/local-store"

# Without KEYD_CONFIG, deploy uses the operator config the bundle rendered (same names as the manifests).
(unset KEYD_CONFIG; j --dry-run deploy configs/bundle-values.yaml "$tmp/dry-bundle") >"$tmp/deploy-dry.out" 2>&1
check "without KEYD_CONFIG just deploy runs keyd with the bundle's operator/keyd.yaml" bash -c 'cat "$1"; [ "$0" -eq 0 ] &&
  grep -q "config check --config .*/dry-bundle/operator/keyd.yaml. --require-target kubernetes" "$1" &&
  grep -q "rotate --config .*/dry-bundle/operator/keyd.yaml" "$1"' "$?" "$tmp/deploy-dry.out"

j deploy >"$tmp/deploy1.out" 2>&1
check "just deploy applies the bundle, then rotates (the store had no key)" bash -c 'cat "$1"; [ "$0" -eq 0 ] &&
  grep -q "statefulset.apps/ipfs created" "$1" && grep -q "cronjob.batch/keyd created" "$1" && [ "$2" = 1 ]' \
  "$?" "$tmp/deploy1.out" "$(versions)"
fp=$(annotation secret/ipfs-swarm-key '.metadata.annotations.keyd\.io/fingerprint')
check "the Secret carries the stored key's fingerprint, and so does the pod template" bash -c '[ -n "$0" ] &&
  [ "$0" = "$1" ] && "$3" history --config "$KEYD_CONFIG" | grep -q "$0"' \
  "$fp" "$(annotation statefulset/ipfs '.spec.template.metadata.annotations.keyd\.io/swarm-key-fingerprint')" "" "$keyd_bin"

j deploy >"$tmp/deploy2.out" 2>&1
check "just deploy again syncs (the store has a key): no new version, nothing restarted" bash -c 'cat "$1"; [ "$0" -eq 0 ] &&
  grep -q "statefulset.apps/ipfs unchanged" "$1" && [ "$2" = 1 ] && [ "$3" = "$4" ]' \
  "$?" "$tmp/deploy2.out" "$(versions)" "$fp" "$(annotation statefulset/ipfs '.spec.template.metadata.annotations.keyd\.io/swarm-key-fingerprint')"

j cluster-status >"$tmp/status.out" 2>&1
check "just cluster-status lists the overlay's objects" bash -c 'cat "$1"; [ "$0" -eq 0 ] &&
  grep -q "statefulset.apps/ipfs" "$1" && grep -q "cronjob.batch/keyd" "$1" && grep -q "service/ipfs-peers" "$1"' \
  "$?" "$tmp/status.out"

printf 'pinned through the overlay\n' | IPFS_API="http://127.0.0.1:$(cat "$tmp/kubo.port")" j pin-content >"$tmp/pin.out" 2>&1
check "just pin-content POSTs stdin to the Kubo RPC API's /api/v0/add" bash -c 'cat "$1"; [ "$0" -eq 0 ] &&
  grep -q bafkreistandin "$1" && grep -q "pinned through the overlay" "$2"' "$?" "$tmp/pin.out" "$tmp/kubo.received"

j undeploy >"$tmp/undeploy.out" 2>&1
check "just undeploy removes the overlay, keeps the namespace and the key Secret" bash -c 'cat "$1"; [ "$0" -eq 0 ] &&
  [ -z "$2" ] && [ -z "$3" ] && [ "$4" = ipfs-system ] && [ "$5" = ipfs-swarm-key ]' "$?" "$tmp/undeploy.out" \
  "$(kubectl_ get sts -n ipfs-system -o name 2>/dev/null)" "$(kubectl_ get cronjobs -n ipfs-system -o name 2>/dev/null)" \
  "$(kubectl_ get namespace ipfs-system -o jsonpath='{.metadata.name}' 2>/dev/null)" \
  "$(kubectl_ get secret ipfs-swarm-key -n ipfs-system -o jsonpath='{.metadata.name}' 2>/dev/null)"

# Recipes use the keyd that is there ($KEYD, else PATH) and never build one unasked (issue 19: with
# KEYD unset, `just fetch-swarm-key` used to run apt and a full build).
mkdir -p "$tmp/pathbin"
ln -s "$keyd_bin" "$tmp/pathbin/keyd"
started=$SECONDS
env -u KEYD PATH=/usr/bin:/bin timeout 60 "$just_bin" --justfile "$root/Justfile" history >"$tmp/nokeyd.out" 2>&1
check "without KEYD and without keyd on PATH a recipe stops at once, says how to get one, builds nothing" bash -c 'cat "$1"; [ "$0" -ne 0 ] &&
  grep -q "no keyd to run" "$1" && grep -q KEYD= "$1" && ! grep -q -e "cmake --preset" -e "cmake --build" -e apt-get -e install-deps "$1" && [ "$2" -lt 20 ]' \
  "$?" "$tmp/nokeyd.out" "$((SECONDS - started))"
env -u KEYD PATH="$tmp/pathbin:$PATH" timeout 60 "$just_bin" --justfile "$root/Justfile" history >"$tmp/pathkeyd.out" 2>&1
check "without KEYD a recipe runs the keyd on PATH" bash -c 'cat "$1"; [ "$0" -eq 0 ] && grep -q VERSION "$1"' \
  "$?" "$tmp/pathkeyd.out"

check "no recipe's output contains the key" bash -c '! grep -qi -e "$0" "$1"/*.out' "$key_hex" "$tmp"

echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
