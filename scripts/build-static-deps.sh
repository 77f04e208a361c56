#!/usr/bin/env bash
# The libraries the portable keyd binary (CMake preset `portable`, cmake/Portable.cmake,
# docs/performance.md) links statically but Debian ships no usable archive of, from Debian's own
# source packages (apt-get source, with Debian's patches; the same versions the dev build links),
# fetched through a deb-src twin of the configured apt mirror:
#   DEPS/curl: a static libcurl with only what keyd uses, HTTP and HTTPS over OpenSSL. Debian's
#     libcurl.a needs GSSAPI (krb5 ships no archive), LDAP, nghttp2, idn2, psl, brotli, zstd, ssh;
#     this one needs only libssl.a and libcrypto.a.
#   DEPS/src/fmtlib-*, DEPS/src/spdlog-*: the sources of fmt's and spdlog's compiled parts (Debian
#     ships only shared libraries); CMake compiles them into the keyd binary.
# Reuses what DEPS already holds.
#   scripts/build-static-deps.sh [DEPS]      (default build/deps; needs root only for apt)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
deps=${1:-$root/build/deps}
mkdir -p "$deps/src"
deps=$(cd "$deps" && pwd)
prefix=$deps/curl
work=$deps/curl.src

# Debian source packages: add deb-src lines for the configured mirror(s) unless there are some.
apt_source() {  # package...: unpacked into the current directory
  if ! grep -rqsE '^(Types:.*deb-src|deb-src )' /etc/apt/sources.list /etc/apt/sources.list.d/; then
    if [ -f /etc/apt/sources.list.d/debian.sources ]; then
      sed 's/^Types: deb$/Types: deb-src/' /etc/apt/sources.list.d/debian.sources >/etc/apt/sources.list.d/keyd-deb-src.sources
    else
      grep -E '^deb ' /etc/apt/sources.list | sed 's/^deb /deb-src /' >/etc/apt/sources.list.d/keyd-deb-src.list
    fi
    apt-get update -qq
  fi
  command -v dpkg-source >/dev/null || apt-get install -y -qq dpkg-dev >/dev/null
  apt-get source -qq "$@" >/dev/null 2>&1 || apt-get source "$@"
}

if ! compgen -G "$deps/src/fmtlib-*/src/format.cc" >/dev/null || ! compgen -G "$deps/src/spdlog-*/src/spdlog.cpp" >/dev/null; then
  (cd "$deps/src" && apt_source fmtlib spdlog && rm -f ./*.dsc ./*.tar.* ./*.asc)
fi
if [ -f "$prefix/lib/libcurl.a" ]; then
  echo "static libcurl already built: $prefix/lib/libcurl.a"
  exit 0
fi
rm -rf "$work"
mkdir -p "$work"

(cd "$work" && apt_source curl)
source_dir=$(find "$work" -mindepth 1 -maxdepth 1 -type d -name 'curl-*' | head -1)
[ -n "$source_dir" ] || { echo "build-static-deps: apt-get source curl gave no source tree" >&2; exit 1; }

# HTTP(S) only, over OpenSSL (which does not read openssl.cnf at start); no zlib, brotli, zstd,
# IDN, PSL, HTTP/2, SSH, GSSAPI, LDAP, NTLM, alt-svc. The threaded resolver stays (timeouts on name
# lookups), as do proxies. The default CA bundle and directory are Debian's, as in Debian's libcurl
# (elsewhere, name the CA in the store's ca_file).
cmake -S "$source_dir" -B "$work/build" -G Ninja \
  -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_POSITION_INDEPENDENT_CODE=ON \
  -DCMAKE_C_FLAGS="-ffunction-sections -fdata-sections" \
  -DBUILD_SHARED_LIBS=OFF -DBUILD_CURL_EXE=OFF -DBUILD_TESTING=OFF -DENABLE_MANUAL=OFF \
  -DHTTP_ONLY=ON -DCURL_DISABLE_LDAP=ON -DCURL_DISABLE_LDAPS=ON \
  -DCURL_USE_OPENSSL=ON -DOPENSSL_USE_STATIC_LIBS=ON \
  -DCMAKE_DISABLE_FIND_PACKAGE_ZLIB=ON -DCURL_BROTLI=OFF -DCURL_ZSTD=OFF -DUSE_NGHTTP2=OFF -DUSE_LIBIDN2=OFF \
  -DCURL_USE_LIBPSL=OFF -DCURL_USE_LIBSSH2=OFF -DCURL_USE_LIBSSH=OFF -DCURL_USE_GSSAPI=OFF \
  -DUSE_LIBRTMP=OFF -DENABLE_THREADED_RESOLVER=ON -DCURL_DISABLE_ALTSVC=ON -DCURL_DISABLE_NTLM=ON -DCURL_DISABLE_OPENSSL_AUTO_LOAD_CONFIG=ON \
  -DCURL_CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt -DCURL_CA_PATH=/etc/ssl/certs >"$work/configure.log"
cmake --build "$work/build" -j"${JOBS:-2}" >"$work/build.log"
cmake --install "$work/build" >/dev/null
rm -rf "$work"
echo "static libcurl: $prefix/lib/libcurl.a"
