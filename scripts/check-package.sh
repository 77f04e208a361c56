#!/usr/bin/env bash
# Proves what scripts/package.sh built, the way a platform team would use it:
#   - the .deb: depends on nothing (the binary is static); dpkg installs it into a scratch root (a
#     real dpkg database there, never this system's), the installed keyd runs, dpkg lists and then
#     removes every file;
#   - the binary needs nothing at run time (a static-pie: no interpreter, no shared library), its
#     start pre-faults its writable segment in one call, its hot code is linked together;
#   - the image's root file system (build/image/rootfs, what configs/image/Containerfile copies)
#     holds only the binary, the CA certificates and the user files, and keyd runs from it in
#     a chroot as the non-root user: generate and inspect a key, rotate on the embedded file store
#     and verify the audit trail, and fetch the key from the Vault double over 127.0.0.1.
# Needs root (dpkg --root and chroot). Prints "package: N passed, 0 failed"; exits 1 naming the
# first check that failed.
#   scripts/check-package.sh
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
[ "$(id -u)" = 0 ] || { echo "package: FAILED: needs root (dpkg --root, chroot)"; exit 1; }
deb=$(ls build/package/keyd_*.deb 2>/dev/null | head -n1)
[ -n "$deb" ] || { echo "package: FAILED: no .deb in build/package: run scripts/package.sh first"; exit 1; }
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' build/package/CMakeCache.txt)
rootfs=$root/build/image/rootfs
work=$(mktemp -d)
vault_pid=
cleanup() {
  [ -n "$vault_pid" ] && kill "$vault_pid" 2>/dev/null && wait "$vault_pid" 2>/dev/null
  rm -rf "$work" "$rootfs/tmp/check"
}
trap cleanup EXIT
passed=0
check() {  # description, command...
  local what=$1
  shift
  if "$@" >"$work/out" 2>&1; then
    passed=$((passed + 1))
  else
    echo "package: FAILED: $what"
    sed 's/^/  | /' "$work/out" | head -n 20
    echo "package: $passed passed, 1 failed"
    exit 1
  fi
}

# The .deb itself.
check "the .deb is named for version $version" test "$(basename "$deb")" = "keyd_${version}_amd64.deb"
check "the .deb depends on nothing (got: $(dpkg-deb -f "$deb" Depends))" test -z "$(dpkg-deb -f "$deb" Depends)"
contents=$(dpkg-deb -c "$deb" | awk '{print $6}')
for f in ./usr/bin/keyd ./usr/share/man/man1/keyd.1 ./usr/share/bash-completion/completions/keyd \
  ./usr/lib/systemd/system/keyd.service ./usr/lib/systemd/system/keyd-rotate.service \
  ./usr/lib/systemd/system/keyd-rotate.timer ./usr/share/doc/keyd/examples/local.yaml \
  ./usr/share/doc/keyd/LICENSE ./usr/share/doc/keyd/policies/keyd.hcl; do
  check "the .deb holds $f" grep -qx "$f" <<<"$contents"
done
check "the .deb holds nothing under /usr/local" bash -c "! grep -q '^./usr/local' <<<'$contents'"

# Installed by dpkg into a scratch root with its own database.
dpkg_root=$work/dpkg-root
mkdir -p "$dpkg_root/var/lib/dpkg/info" "$dpkg_root/var/lib/dpkg/updates" "$dpkg_root/var/lib/dpkg/triggers"
touch "$dpkg_root/var/lib/dpkg/status"
check "dpkg installs the .deb" dpkg --root="$dpkg_root" --force-script-chrootless -i "$deb"
check "dpkg records keyd $version as installed" \
  grep -qx "Status: install ok installed" <(dpkg --root="$dpkg_root" -s keyd)
check "the installed keyd says its version" grep -qx "keyd $version" <("$dpkg_root/usr/bin/keyd" --version)
check "keyd.service runs /usr/bin/keyd" \
  grep -qx "ExecStart=/usr/bin/keyd daemon --config /etc/keyd/keyd.yaml" "$dpkg_root/usr/lib/systemd/system/keyd.service"
check "the installed keyd generates a key file with mode 0600" \
  bash -c "'$dpkg_root/usr/bin/keyd' generate --out '$work/swarm.key' && test \"\$(stat -c %a '$work/swarm.key')\" = 600"
check "the installed keyd inspects it" "$dpkg_root/usr/bin/keyd" inspect "$work/swarm.key"
check "dpkg lists every installed file" grep -qx /usr/bin/keyd <(dpkg --root="$dpkg_root" -L keyd)
check "dpkg removes the package" dpkg --root="$dpkg_root" --force-script-chrootless -r keyd
check "nothing of keyd is left after removal" \
  test -z "$(find "$dpkg_root/usr" -type f 2>/dev/null)"

# The binary needs nothing at run time: a static position-independent executable (address-space
# randomisation kept), with no program interpreter and no shared library named.
bin=build/package/bin/keyd
check "the binary is position-independent" grep -q 'Type: *DYN' <(readelf -hW "$bin")
check "the binary names no program interpreter" bash -c "! readelf -lW '$bin' | grep -q INTERP"
check "the binary names no shared library" bash -c "! readelf -dW '$bin' | grep -q NEEDED"
# Its start (keyd/cli/static_pie_start.cpp): one madvise(MADV_POPULATE_WRITE) over the writable
# segment before glibc's start code runs (before its first brk). -EINVAL on a kernel older than 5.14.
command -v strace >/dev/null ||
  { echo "check-package: strace is missing (./scripts/install-test-tools.sh)" >&2; exit 2; }
strace -f -o "$work/start.trace" "$bin" version >/dev/null
check "its start asks for the writable segment in one call before glibc's start code" \
  grep -Eq '^[0-9]+ +madvise\(0x[0-9a-f]+, [0-9]{6,}, MADV_POPULATE_WRITE\)' <(grep -m1 -E 'madvise|brk' "$work/start.trace")
# ... at an address the kernel randomises: two starts, two places.
strace -f -o "$work/start2.trace" "$bin" version >/dev/null
first=$(grep -m1 -o 'madvise(0x[0-9a-f]*' "$work/start.trace")
second=$(grep -m1 -o 'madvise(0x[0-9a-f]*' "$work/start2.trace")
check "its writable segment is at a random address ($first, then $second)" test "$first" != "$second"
# The code keyd's common runs execute is linked together (cmake/hot-text.ld, scripts/hot-text.sh).
hot=$(readelf -SW "$bin" | sed -n 's/.*\.text\.keyd_hot *PROGBITS *[0-9a-f]* *[0-9a-f]* *\([0-9a-f]*\).*/\1/p')
hot=$((16#${hot:-0}))
check "the hot code is linked together in .text.keyd_hot (size: ${hot:-none})" test "${hot:-0}" -gt $((1024 * 1024))
# ... and a short command has it mapped at once before glibc's start code (MADV_POPULATE_READ of the
# whole section, then of .rodata); the daemon and the agent, whose VmRSS a container's limit sees, not.
populated=$(grep -m1 -E 'madvise\(0x[0-9a-f]+, [0-9]+, MADV_POPULATE_READ\)|brk' "$work/start.trace" |
  sed -n 's/.*madvise(0x[0-9a-f]*, \([0-9]*\), MADV_POPULATE_READ).*/\1/p')
check "keyd version maps the hot code at once before glibc's start code (${populated:-nothing} bytes)" \
  test "${populated:-0}" -ge "$((hot - 4096))"
for long_running in "daemon --help" "agent --help" "--log-level info daemon --help"; do
  # shellcheck disable=SC2086 # the words are the command line
  strace -f -e trace=madvise -o "$work/long.trace" "$bin" $long_running >/dev/null
  check "keyd $long_running maps no code ahead" bash -c "! grep -q MADV_POPULATE_READ '$work/long.trace'"
done

# The image's root file system: only what the Containerfile promises.
check "the image's root file system exists (scripts/package.sh)" test -x "$rootfs/usr/bin/keyd"
unexpected=$(cd "$rootfs" && find . -type f | sed 's|^\./||' |
  grep -Evx 'usr/bin/keyd|etc/ssl/certs/ca-certificates\.crt|etc/(passwd|group|nsswitch\.conf)' || true)
check "the root file system holds only the binary, CA certificates and user files (extra: $unexpected)" \
  test -z "$unexpected"
check "the root file system holds the CA certificates" test -s "$rootfs/etc/ssl/certs/ca-certificates.crt"
check "the root file system names the non-root user 65532" grep -q '^nonroot:x:65532:65532:' "$rootfs/etc/passwd"
check "no shell in the root file system" bash -c "! test -e '$rootfs/bin/sh' && ! test -e '$rootfs/usr/bin/sh'"
in_image() { chroot --userspec=65532:65532 "$rootfs" /usr/bin/keyd "$@"; }
check "keyd runs from the root file system as the non-root user" grep -qx "keyd $version" <(in_image --version)
mkdir -p "$rootfs/tmp/check"
chown 65532:65532 "$rootfs/tmp/check"
check "in the image: generate a key file" in_image generate --out /tmp/check/swarm.key
check "in the image: inspect it" in_image inspect /tmp/check/swarm.key
cat >"$rootfs/tmp/check/local.yaml" <<'YAML'
store:
  backend: file
  file:
    dir: store
audit:
  file: audit.jsonl
swarms:
  - name: ipfs-overlay
    path: ipfs-overlay/swarm-key
    targets:
      - type: file
        path: ipfs/swarm.key
YAML
chown 65532:65532 "$rootfs/tmp/check/local.yaml"
check "in the image: rotate on the embedded file store" in_image rotate --config /tmp/check/local.yaml
check "in the image: the delivered key is valid" in_image inspect /tmp/check/ipfs/swarm.key
check "in the image: keyd ran as 65532 and wrote the key with mode 0600" \
  test "$(stat -c %u:%a "$rootfs/tmp/check/ipfs/swarm.key")" = 65532:600
check "in the image: the audit trail verifies" in_image audit verify --config /tmp/check/local.yaml

# Over the network from the image: the Vault double (tests/doubles) on 127.0.0.1, port chosen at run time.
python3 tests/doubles/vault_double.py --port 0 --port-file "$work/vault-port" --token-file "$work/vault-token" \
  --quiet --exit-with-parent &
vault_pid=$!
for _ in $(seq 200); do [ -s "$work/vault-port" ] && [ -s "$work/vault-token" ] && break; sleep 0.05; done
check "the Vault double started" test -s "$work/vault-port"
cat >"$rootfs/tmp/check/vault.yaml" <<YAML
store:
  backend: vault
  vault:
    address: http://127.0.0.1:$(cat "$work/vault-port")
    mount: secret
    allow_insecure_http: true
    auth:
      method: token
      token_file: token
audit:
  file: vault-audit.jsonl
swarms:
  - name: ipfs-overlay
    path: ipfs-overlay/swarm-key
    targets:
      - type: file
        path: vault/swarm.key
YAML
install -m 0600 -o 65532 -g 65532 "$work/vault-token" "$rootfs/tmp/check/token"
chown 65532:65532 "$rootfs/tmp/check/vault.yaml"
check "in the image: rotate against Vault over 127.0.0.1" in_image rotate --config /tmp/check/vault.yaml
check "in the image: fetch the key back from Vault" \
  in_image fetch --config /tmp/check/vault.yaml --out /tmp/check/fetched.key
check "in the image: the fetched key is the delivered one" cmp "$rootfs/tmp/check/fetched.key" "$rootfs/tmp/check/vault/swarm.key"
# glibc's name service, linked in: the built-in files source names the user from the image's
# /etc/passwd, and finds localhost in this system's /etc/hosts.
check "in the image: the audit trail names the non-root user from /etc/passwd" \
  grep -q '"actor":"nonroot"' "$rootfs/tmp/check/vault-audit.jsonl"
sed "s|http://127.0.0.1:|http://localhost:|; s|token_file: token|token_file: $work/vault-token|; s|file: vault-audit.jsonl|file: $work/localhost-audit.jsonl|" \
  "$rootfs/tmp/check/vault.yaml" >"$work/localhost.yaml"
check "the binary finds localhost through /etc/hosts" \
  "$bin" fetch --config "$work/localhost.yaml" --out "$work/localhost.key"
# A user /etc/passwd does not name (systemd's DynamicUser, as keyd.service runs it): keyd must not
# reach for glibc's shared modules (this system's nsswitch.conf says `passwd: files systemd`, and with
# libnss_systemd installed the static binary crashed in getpwuid_r until keyd/cli/static_glibc.cpp).
chmod 0711 "$work"  # that user may pass through (every file in it is still root's, mode 0600 or 0644)
mkdir -m 0777 "$work/nobody"
printf 'store: {backend: file, file: {dir: store}}\naudit: {file: audit.jsonl}\nswarms: [{name: ipfs-overlay}]\n' \
  >"$work/nobody/keyd.yaml"
check "a user /etc/passwd does not name rotates, audited as uid:N" \
  setpriv --reuid=54321 --regid=54321 --clear-groups "$bin" rotate --config "$work/nobody/keyd.yaml"
check "... and the audit trail names it uid:54321" grep -q '"actor":"uid:54321"' "$work/nobody/audit.jsonl"
echo "package: $passed passed, 0 failed"
