# Shared by the install scripts (source it): idempotent installs from Debian and from npm lock files.

# apt_install_missing LABEL PACKAGE...: install the packages dpkg does not list as installed;
# `apt-get update` runs only when something must be installed, so a second run needs no network.
apt_install_missing() {
  local label=$1
  shift
  local sudo_cmd=() missing=() p
  [ "$(id -u)" -eq 0 ] || sudo_cmd=(sudo)
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if ((${#missing[@]})); then
    echo "$label: installing ${missing[*]}" >&2
    "${sudo_cmd[@]}" apt-get update -q
    DEBIAN_FRONTEND=noninteractive "${sudo_cmd[@]}" apt-get install -y -q --no-install-recommends "${missing[@]}"
  else
    echo "$label: Debian packages present" >&2
  fi
}

# node_packages LABEL: the Debian packages for node and npm, when either command is missing.
node_packages() {
  command -v node >/dev/null 2>&1 || echo nodejs
  command -v npm >/dev/null 2>&1 || echo npm
}

# npm_ci_if_changed LABEL DIR MODULE: `npm ci` in DIR when DIR/node_modules/MODULE is missing or
# DIR/package-lock.json changed since the last install (its sha256 is stamped into node_modules).
npm_ci_if_changed() {
  local label=$1 dir=$2 module=$3
  local stamp=$dir/node_modules/.keyd-package-lock.sha256 want
  want=$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)
  if [ ! -d "$dir/node_modules/$module" ] || [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
    echo "$label: npm ci in $dir" >&2
    (cd "$dir" && npm ci --no-audit --no-fund --loglevel=error)
    echo "$want" >"$stamp"
  else
    echo "$label: $module present (package-lock unchanged)" >&2
  fi
}
