#!/usr/bin/env bash
# Plot bench/compare's per-run times (COMPARE_TSV) as an SVG: the median of each tool in each socket
# mode, as grouped bars on a log scale, with the requests per run in the labels. Needs gnuplot
# (Debian: gnuplot-nox). The floor (bench/floor/rotate_floor.c), measured in go mode only, is the
# last group when the run has it.
#   COMPARE_TSV=/tmp/compare.tsv bench/compare 21 && bench/plot-compare.sh /tmp/compare.tsv docs/perf/rotation.svg
set -euo pipefail
tsv=${1:?usage: plot-compare.sh COMPARE_TSV OUT.svg}
out=${2:?usage: plot-compare.sh COMPARE_TSV OUT.svg}
command -v gnuplot >/dev/null || { echo "plot: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }
data=$(mktemp)
trap 'rm -f "$data"' EXIT
# One row per tool: label, median ms in mode go, median ms in mode nagle.
awk -F'\t' '
  { t[$1 FS $2] = t[$1 FS $2] " " $3; n[$2] = $4; tools[$2] = 1 }
  function median(list,   a, k, i, j, x) {
    k = split(list, a, " ")
    for (i = 2; i <= k; i++) { x = a[i]; for (j = i - 1; j >= 1 && a[j] > x; j--) a[j + 1] = a[j]; a[j + 1] = x }
    return a[int(k / 2) + 1] / 1000
  }
  END {
    split("keyd python curl floor", order, " ")
    names["keyd"] = "keyd rotate"; names["python"] = "python hvac + kubernetes"; names["curl"] = "curl + jq + kubectl"
    names["floor"] = "floor: raw OpenSSL client"
    for (i = 1; i <= 4; i++) {
      tool = order[i]; if (!(tool in tools)) continue
      nagle = ("nagle" FS tool) in t ? sprintf("%.2f", median(t["nagle" FS tool])) : "NaN"
      printf "\"%s\\n%d requests\" %.2f %s\n", names[tool], n[tool], median(t["go" FS tool]), nagle
    }
  }' "$tsv" >"$data"
gnuplot <<GP
set terminal svg size 900,420 font "sans,12" noenhanced
set output "$out"
set title "keyd rotate against what users write instead (median wall time, Vault + Kubernetes doubles over HTTPS)"
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set logscale y
set ylabel "milliseconds (log scale)"
set yrange [1:*]
set key top left reverse Left
set bmargin 4
set grid ytics
set datafile missing "NaN"
plot "$data" using 2:xtic(1) title "servers as Go (TCP_NODELAY)", '' using 3 title "servers as Python http.server (Nagle)"
GP
echo "plot: $out"
