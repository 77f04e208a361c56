#!/usr/bin/env bash
# Writes keyd's bash completion, generated from the binary's own --help (scripts/help-tree.sh), so
# it completes exactly the commands and options that binary has. Installed as
# share/bash-completion/completions/keyd; tested by tests/packaging/completion.sh.
#   scripts/make-completion.sh KEYD_BINARY OUT
set -euo pipefail
keyd=${1:?usage: scripts/make-completion.sh KEYD_BINARY OUT}
out=${2:?usage: scripts/make-completion.sh KEYD_BINARY OUT}
tree=$("$(dirname "$0")/help-tree.sh" "$keyd")

{
  echo "# bash completion for keyd $("$keyd" --version | awk '{print $2}'), generated from its --help"
  echo "# by scripts/make-completion.sh. Commands and options complete; anything else completes file names."
  echo '_keyd() {'
  echo '  local cur=${COMP_WORDS[COMP_CWORD]} path="" i w'
  echo '  # The command path typed so far: the words that name a (sub)command, options and values skipped.'
  echo '  for ((i = 1; i < COMP_CWORD; i++)); do'
  echo '    w=${COMP_WORDS[i]}'
  echo '    case "${path:+$path }$w" in'
  paths=$(cut -d: -f1 <<<"$tree" | sed '/^$/d' | awk '{printf "%s\"%s\"", (NR > 1 ? "|" : ""), $0}')
  echo "      $paths) path=\"\${path:+\$path }\$w\" ;;"
  echo '    esac'
  echo '  done'
  echo '  local words'
  echo '  case "$path" in'
  while IFS=: read -r path opts; do
    subs=$(awk -F: -v p="$path" '{n = split($1, w, " "); parent = ""; for (i = 1; i < n; i++) parent = parent (i > 1 ? " " : "") w[i]; if (n > 0 && parent == p) printf "%s ", w[n]}' <<<"$tree")
    echo "    \"$path\") words=\"${subs}${opts}\" ;;"
  done <<<"$tree"
  echo '  esac'
  echo '  # Complete commands, and options once a dash is typed; otherwise file names (complete -o default).'
  echo '  if [[ $cur == -* ]]; then'
  echo '    mapfile -t COMPREPLY < <(compgen -W "$words" -- "$cur")'
  echo '  else'
  echo '    mapfile -t COMPREPLY < <(compgen -W "$(printf "%s\n" $words | grep -v "^-")" -- "$cur")'
  echo '  fi'
  echo '}'
  echo 'complete -o default -F _keyd keyd'
} >"$out"
