#!/usr/bin/env bash
# Plot bench/daemon-scale.sh's TSV as an SVG: the first pass's wall time and the daemon's VmRSS after
# it against the number of swarms, one line per store, both axes on a log scale. Needs gnuplot
# (Debian: gnuplot-nox). Several TSV files (say one on disk, one on tmpfs) are drawn together; each
# line is named "<label>: <store>", the label from LABEL:FILE or the file's name.
#   FORMAT=tsv COUNTS="10 100 1000 10000" bench/daemon-scale.sh > /tmp/disk.tsv
#   bench/plot-scale.sh docs/perf/daemon-scale.svg "disk:/tmp/disk.tsv" "tmpfs:/tmp/tmpfs.tsv"
set -euo pipefail
out=${1:?usage: plot-scale.sh OUT.svg [LABEL:]TSV...}
shift
[ $# -ge 1 ] || { echo "usage: plot-scale.sh OUT.svg [LABEL:]TSV..." >&2; exit 2; }
command -v gnuplot >/dev/null || { echo "plot: gnuplot not found (apt-get install gnuplot-nox)" >&2; exit 2; }
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
time_plots=()
rss_plots=()
k=0
for arg in "$@"; do
  label=${arg%%:*}
  file=${arg#*:}
  [ "$label" = "$arg" ] && label=$(basename "$file" .tsv)
  [ -r "$file" ] || { echo "plot: cannot read $file" >&2; exit 2; }
  for store in $(awk -F'\t' 'NR > 1 && !seen[$1]++ {print $1}' "$file"); do
    k=$((k + 1))
    # swarms, first pass in seconds, VmRSS in MiB (columns by header name).
    awk -F'\t' -v s="$store" '
      NR == 1 { for (i = 1; i <= NF; i++) col[$i] = i; next }
      $1 == s { printf "%d %.3f %.1f\n", $col["swarms"], $col["first_pass_ms"] / 1000, $col["rss_kib"] / 1024 }
    ' "$file" | sort -n > "$work/$k.dat"
    time_plots+=("\"$work/$k.dat\" using 1:2 with linespoints lw 2 title \"$label: $store\"")
    rss_plots+=("\"$work/$k.dat\" using 1:3 with linespoints lw 2 title \"$label: $store\"")
  done
done
join_plots() { local IFS=,; echo "$*"; }
gnuplot <<GP
set terminal svg size 1000,420 font "sans,12" noenhanced
set output "$out"
set multiplot layout 1,2 title "keyd daemon: first pass over N new swarms (one file target each)"
set logscale xy
set grid
set key top left
set xlabel "swarms"
set ylabel "first pass, seconds"
plot $(join_plots "${time_plots[@]}")
set ylabel "VmRSS after the first pass, MiB"
plot $(join_plots "${rss_plots[@]}")
unset multiplot
GP
echo "plot: $out"
