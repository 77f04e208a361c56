#!/usr/bin/env bash
# Install keyd's pre-commit hook (scripts/hooks/pre-commit: `keyd scan --staged`) into a repository.
#   scripts/install-hooks.sh [--force] [REPO]       REPO: default the current directory
# The hook goes where git looks for hooks (.git/hooks, or core.hooksPath when set). A different
# existing pre-commit hook is left alone unless --force is given; it is then kept as
# pre-commit.keyd-backup next to the new one.
set -euo pipefail

usage() { sed -n '2,6s/^# \{0,1\}//p' "$0"; }
force=0
repo=.
for arg in "$@"; do
  case $arg in
    --force) force=1 ;;
    -h | --help) usage; exit 0 ;;
    -*) echo "install-hooks: unknown option $arg" >&2; usage >&2; exit 2 ;;
    *) repo=$arg ;;
  esac
done

source_hook="$(cd "$(dirname "$0")" && pwd)/hooks/pre-commit"
[ -f "$source_hook" ] || { echo "install-hooks: $source_hook is missing" >&2; exit 2; }
hooks_dir=$(git -C "$repo" rev-parse --path-format=absolute --git-path hooks) || {
  echo "install-hooks: $repo is not a git repository" >&2
  exit 2
}
mkdir -p "$hooks_dir"
target="$hooks_dir/pre-commit"

if [ -e "$target" ] || [ -L "$target" ]; then
  if cmp -s "$source_hook" "$target"; then
    echo "install-hooks: $target is already keyd's pre-commit hook"
    exit 0
  fi
  if [ "$force" != 1 ]; then
    echo "install-hooks: $target exists and is a different hook; not replaced (use --force to replace it," \
      "keeping it as pre-commit.keyd-backup)" >&2
    exit 1
  fi
  cp -p "$target" "$target.keyd-backup"
  rm -f "$target"
fi
install -m 0755 "$source_hook" "$target"
echo "install-hooks: installed $target (keyd scan --staged before every commit)"
