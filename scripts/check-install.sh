#!/usr/bin/env bash
# What `cmake --install` puts where (ctest install.layout): installs BUILD_DIR into a scratch DESTDIR
# (never into the system) and checks that the binary runs from there, that the systemd units name
# the installed binary (and, where systemd-analyze exists, that it verifies them without a word),
# that keyd(1) documents every command and the bash completion completes them, that the docs,
# example configs, Vault policies and license are in place, and that nothing installed is key-shaped.
# Prints "install: N passed, 0 failed"; exits 1 naming the first check that failed.
#   scripts/check-install.sh BUILD_DIR
set -euo pipefail
build=${1:?usage: scripts/check-install.sh BUILD_DIR}
dest=$(mktemp -d)
trap 'rm -rf "$dest"' EXIT
DESTDIR=$dest cmake --install "$build" >/dev/null
prefix=$(sed -n 's/^CMAKE_INSTALL_PREFIX:PATH=//p' "$build/CMakeCache.txt")
root=$dest$prefix
passed=0
check() {  # description, command...
  local what=$1
  shift
  if "$@" >/dev/null 2>&1; then
    passed=$((passed + 1))
  else
    echo "install: FAILED: $what"
    echo "install: $passed passed, 1 failed"
    exit 1
  fi
}
version=$(sed -n 's/^CMAKE_PROJECT_VERSION:STATIC=//p' "$build/CMakeCache.txt")  # the build's own version
check "bin/keyd is installed and executable" test -x "$root/bin/keyd"
check "the installed keyd says its version" grep -qx "keyd $version" <("$root/bin/keyd" --version)
units=$root/lib/systemd/system
for unit in keyd.service keyd-rotate.service keyd-rotate.timer; do
  check "$unit is installed" test -f "$units/$unit"
done
check "keyd.service runs the installed binary" grep -qx "ExecStart=$prefix/bin/keyd daemon --config /etc/keyd/keyd.yaml" "$units/keyd.service"
check "keyd-rotate.service runs the installed binary" grep -qx "ExecStart=$prefix/bin/keyd rotate --config /etc/keyd/keyd.yaml" "$units/keyd-rotate.service"
check "no placeholder is left in the units" bash -c "! grep -q '@' '$units/keyd.service' '$units/keyd-rotate.service'"
if command -v systemd-analyze >/dev/null; then
  # verify checks that ExecStart exists: point the copies at the binary in DESTDIR.
  mkdir -p "$dest/verify"
  for unit in keyd.service keyd-rotate.service keyd-rotate.timer; do
    sed "s|$prefix/bin/keyd|$root/bin/keyd|" "$units/$unit" >"$dest/verify/$unit"
  done
  out=$(cd "$dest/verify" && systemd-analyze verify keyd.service keyd-rotate.service keyd-rotate.timer 2>&1) || true
  check "systemd-analyze verify says nothing about the units: $out" test -z "$out"
else
  echo "install: systemd-analyze not installed: units checked by content only"
fi
docs=$root/share/doc/keyd
for f in README.md CHANGELOG.md LICENSE docs/daemon.md docs/agent.md examples/local.yaml examples/vault.yaml \
  examples/bundle-values.yaml policies/keyd.hcl policies/keyd-reader.hcl; do
  check "share/doc/keyd/$f is installed" test -f "$docs/$f"
done
man=$root/share/man/man1/keyd.1
check "share/man/man1/keyd.1 is installed" test -f "$man"
check "keyd(1) is a man page for this version" grep -q '^\.TH KEYD "1" .*"keyd '"$version"'"' "$man"
# Every command of the installed binary, from its own --help (scripts/help-tree.sh), e.g. "audit verify".
commands=$("$(dirname "$0")/help-tree.sh" "$root/bin/keyd" | cut -d: -f1 | sed '/^$/d')
top_level=$(grep -v ' ' <<<"$commands" | sort)
while IFS= read -r cmd; do
  check "keyd(1) documents keyd $cmd" grep -q "^\.SS \"keyd $cmd\"" "$man"
done <<<"$commands"
completion=$root/share/bash-completion/completions/keyd
check "the bash completion is installed" test -f "$completion"
# complete WORDS...: what the installed completion offers for the last word.
complete_words() {
  bash -c 'source "$1"; shift; COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1)); _keyd; printf "%s\n" "${COMPREPLY[@]}"' \
    _ "$completion" "$@"
}
check "completion: keyd ro<TAB> offers rotate and rollback" \
  test "$(complete_words keyd ro | sort | tr '\n' ' ')" = "rollback rotate "
check "completion: keyd rotate --c<TAB> offers --config" test "$(complete_words keyd rotate --c)" = "--config"
check "completion: keyd audit <TAB> offers verify" test "$(complete_words keyd audit '')" = "verify"
check "completion: keyd -c f.yaml history --sw<TAB> skips option values" \
  test "$(complete_words keyd --log-level warn history --sw)" = "--swarm"
check "completion: keyd <TAB> offers every command keyd --help lists" \
  test "$(complete_words keyd '' | sort)" = "$top_level"
# keyd scan skips files over 64 MiB, and a debug build's binary is larger than that: scan a stripped
# copy too, so the binary's own bytes (its string literals) are looked at (dev, release builds).
mkdir -p "$dest/stripped"
strip -o "$dest/stripped/keyd" "$root/bin/keyd"
# An ASan+UBSan binary is over the limit even stripped (about 270 MB): there the stripped copy may be
# skipped too; the dev build's run of this check scans the same sources' literals.
allowed_skips=(-e '^keyd: warning: .*/bin/keyd: skipped')
if grep -q '^KEYD_SANITIZE:BOOL=ON$' "$build/CMakeCache.txt"; then
  allowed_skips+=(-e '^keyd: warning: .*/stripped/keyd: skipped')
  echo "install: sanitizer build: its stripped binary is over keyd scan's 64 MiB limit (the dev build scans it)"
fi
scan_out=$("$root/bin/keyd" scan "$dest" 2>&1) && scan_status=0 || scan_status=$?
check "nothing key-shaped is installed (the binary's stripped copy included): $scan_out" \
  test "$scan_status" = 0 -a -z "$(grep -v "${allowed_skips[@]}" -e '^keyd scan: 0 swarm keys found' <<<"$scan_out")"
echo "install: $passed passed, 0 failed"
