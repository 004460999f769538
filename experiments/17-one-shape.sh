#!/bin/sh
# 17-one-shape.sh: doc/theory.md §8, all sampling trajectories share one shape.
#
#   experiments/17-one-shape.sh [--quick] [OUTDIR]
#
# Claim (the paper, qualitatively): the trajectories have one and the same "boomerang" shape,
# whatever the start.  Each trajectory is normalised by its chord L: position along the chord
# t = (L − sqrt(e² − v²))/L ∈ [0, 1] (e the distance to the end, v the deviation) and height
# v/L, interpolated onto t = 0, 0.05, …, 1 (plots/17-shape.awk).  Measured: the spread of the
# height over the trajectories at each t, and an alignment measure, the cosine between each
# trajectory's profile and the mean profile and the RMS difference after scaling each profile
# to its own peak (a 1-D Procrustes distance); the same between the mean shapes of two solvers.
# Runs: the authors' settings (lib.sh dg_paper_runs), Euler 21 and Heun 18 timestamps, the same
# starts.  Writes OUTDIR/17-one-shape-euler21.h5, -heun18.h5, 17-one-shape.png.
# --quick: first 3000 images, 16 trajectories (default 64).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 64)
name=17-one-shape
base=$outdir/$name
dg_paper_runs main "$base" "$n"
shape() {
    { "$DIFFGEO" table "$1" /metrics/distance_to_end; "$DIFFGEO" table "$1" /metrics/deviation
      "$DIFFGEO" table "$1" /metrics/chord; } | awk -f "$plots_dir/17-shape.awk" -v mode="$2"
}
for r in $dg_paper; do
    shape "$base-$r.h5" profiles >"$base-$r-profiles.tmp"
    shape "$base-$r.h5" stats >"$base-$r-stats.tmp"
done
dg_draw $name.gp "$base.png" "$base-euler21-profiles.tmp" "$base-euler21-stats.tmp" "$(dg_paper_label euler21)" \
    "$base-heun18-stats.tmp" "$(dg_paper_label heun18)" "$(dg_name main)" "$n"
dg_wrote "$base-euler21.h5" "$base-heun18.h5" "$base.png"
echo "headline ($(dg_name main); $n trajectories per run; deviation / chord against the position along the chord):"
for r in $dg_paper; do
    shape "$base-$r.h5" align | awk -v w="$(dg_paper_label "$r")" '{ printf "  %s: cosine to the mean profile: mean %.5f, smallest %.5f; RMS difference of peak-scaled profiles %.4f\n", w, $1, $2, $3 }'
    awk -v w="$(dg_paper_label "$r")" '{ if ($2 > m) { m = $2; tm = $1; sm = $3 } if ($2 > 0) { s += $3 / $2; c++ } }
        END { printf "  %s: mean peak %.4f %% of the chord at t = %.2f (std over trajectories %.4f %%); mean std/mean over t %.3f\n", w, m, tm, sm, s / c }' "$base-$r-stats.tmp"
done
# the two solvers' mean shapes against each other
paste "$base-euler21-stats.tmp" "$base-heun18-stats.tmp" | awk '
    { a[NR] = $2; b[NR] = $5; if ($2 > ma) ma = $2; if ($5 > mb) mb = $5; dot += $2 * $5; a2 += $2 * $2; b2 += $5 * $5; d = $2 - $5; if (d < 0) d = -d; if (d > md) md = d }
    END { for (k = 1; k <= NR; k++) r += (a[k] / ma - b[k] / mb) ^ 2
          printf "  Euler 21 vs Heun 18 mean shapes: cosine %.5f, RMS of peak-scaled difference %.4f, largest difference %.4f %% of the chord\n", dot / sqrt(a2 * b2), sqrt(r / NR), md }'
rm -f "$base"-*-profiles.tmp "$base"-*-stats.tmp
dg_elapsed
