#!/usr/bin/env bash
# Builds what a platform team installs, from the release build (a static binary) under /usr:
#   build/package/keyd_<version>_amd64.deb   the binary, keyd(1), the bash completion, the systemd
#                                            units, example configs, Vault policies, docs, license
#   build/image/rootfs/                      the image's root file system: the binary, the CA
#                                            certificates, a non-root user
#   build/image/Containerfile                FROM scratch, COPY rootfs/ / (configs/image/Containerfile)
# scripts/check-package.sh installs the .deb with dpkg and runs keyd from the root file system in a
# chroot. Needs scripts/install-deps.sh (and, once, the static dependencies: scripts/build-static-deps.sh,
# which the release configure runs itself).
#   scripts/package.sh
set -euo pipefail
cd "$(dirname "$0")/.."
command -v dpkg-shlibdeps >/dev/null || apt-get install -y -qq dpkg-dev >/dev/null

cmake --preset package >/dev/null
cmake --build --preset package
(cd build/package && cpack -G DEB >/dev/null)
deb=$(ls build/package/keyd_*.deb)
echo "package: $deb ($(du -k "$deb" | cut -f1) KiB)"

# The image's root file system: exactly what the Containerfile copies.
image=build/image
rootfs=$image/rootfs
rm -rf "$image"
mkdir -p "$rootfs/usr/bin" "$rootfs/etc/ssl/certs" "$rootfs/tmp" "$rootfs/var/lib/keyd" "$rootfs/etc/keyd"
install -m 0755 build/package/bin/keyd "$rootfs/usr/bin/keyd"
# No libraries: the binary is static (glibc linked in; scripts/check-package.sh checks it).
cp -L /etc/ssl/certs/ca-certificates.crt "$rootfs/etc/ssl/certs/ca-certificates.crt"
printf 'root:x:0:0:root:/root:/sbin/nologin\nnonroot:x:65532:65532:nonroot:/var/lib/keyd:/sbin/nologin\n' >"$rootfs/etc/passwd"
printf 'root:x:0:\nnonroot:x:65532:\n' >"$rootfs/etc/group"
printf 'hosts: files dns\n' >"$rootfs/etc/nsswitch.conf"
chmod 1777 "$rootfs/tmp"
chmod 0700 "$rootfs/var/lib/keyd"
chown 65532:65532 "$rootfs/var/lib/keyd" 2>/dev/null || true
cp configs/image/Containerfile "$image/Containerfile"
echo "image root file system: $rootfs ($(du -sk "$rootfs" | cut -f1) KiB, $(find "$rootfs" -type f | wc -l) files)"
