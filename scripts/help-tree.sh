#!/usr/bin/env bash
# The command tree of a keyd binary, read from its own --help (so the man page and the shell
# completion can never disagree with the binary): one line per command, its path then its long and
# short options separated by ":", e.g. "rotate:--config -c --swarm -s ..." and "audit verify:--config
# ...". The first line (empty path) is the top level. Used by scripts/make-man.sh and
# scripts/make-completion.sh.
#   scripts/help-tree.sh KEYD_BINARY
set -euo pipefail
keyd=${1:?usage: scripts/help-tree.sh KEYD_BINARY}

# The subcommands listed in a --help text (the "Subcommands:" section, two-space indented names).
subcommands() { awk '/^Subcommands:/ {on = 1; next} on && /^  [a-z]/ {print $1; next} on && !/^ / {on = 0}'; }
# The options of a --help text: "-c,--config TEXT ..." gives "--config -c".
options() {
  awk '/^Options:/ {on = 1; next} on && /^  -/ {
         split($1, names, ","); line = ""
         for (i = length(names); i >= 1; i--) line = line " " names[i]
         print substr(line, 2); next }
       on && !/^ / {on = 0}' | tr '\n' ' ' | sed 's/ $//'
}

walk() {  # path words...
  local help
  help=$("$keyd" "$@" --help)
  printf '%s:%s\n' "$*" "$(options <<<"$help")"
  local sub
  for sub in $(subcommands <<<"$help"); do walk "$@" "$sub"; done
}
walk
