#!/bin/sh
# 12-low-dimensional.sh: doc/theory.md §6 and §8 experiment 12, each sampling trajectory lives in
# a very low-dimensional subspace.
#
#   experiments/12-low-dimensional.sh [--quick] [OUTDIR]
#
# Claims: (AMED) the projection of x_i on the top two principal components of its own
# trajectory misses at most about 8 % of ‖x_i‖ (pca2_error); (Chen et al.) in the 3-D view
# {u, PC1, PC2}, u along the chord x_T − x_0 and the PCs of the off-chord parts, the trajectory
# is a "boomerang" (the paper, qualitatively; its off-axis extent, 0.1–0.4 % of the length, is
# read off a figure of the GITS paper).  The off-axis distance in that view is, by construction,
# the deviation from the chord of experiment 2; what the view adds is how much of the off-chord
# part lies outside span{u, PC1, PC2}: the residual r_i, reported per σ in % of the deviation
# (and of the chord).
# Runs: the authors' settings (lib.sh dg_paper_runs): Euler 21 and Heun 18 timestamps, EDM
# ρ = 7, σ 80 → 0.002, seed 0, with /metrics.
# Writes OUTDIR/12-low-dimensional-euler21.h5, -heun18.h5, 12-low-dimensional.png and
# 12-low-dimensional-residual-RUN.txt (i sigma, then mean std max of r_i/dev_i and mean max of
# r_i/chord, in %, over the trajectories).
# --quick: first 3000 images, 16 trajectories (default 64).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 64)
name=12-low-dimensional
base=$outdir/$name
dg_paper_runs main "$base" "$n"
dg_draw $name.gp "$base.png" "$DIFFGEO" "$base-euler21.h5" "$(dg_paper_label euler21)" \
    "$base-heun18.h5" "$(dg_paper_label heun18)"
echo "headline ($(dg_name main); $n trajectories per run, sigma 80 -> 0.002):"
for r in $dg_paper; do
    f=$base-$r.h5
    { "$DIFFGEO" table "$f" /sigmas; "$DIFFGEO" table "$f" /metrics/pca2_error; } |
        dg_awk rowstats -v scale=100 -v out=matrix | dg_colmax |
        awk -v w="$(dg_paper_label "$r")" '{ printf "  %s: max over the trajectory of pca2_error = %.3f %% of ||x|| (mean over trajectories; largest %.3f %%)\n", w, $1, $2 }'
    T=$(($("$DIFFGEO" table "$f" /sigmas | grep -vc '^#') - 1))
    for i in $(seq 0 $T); do "$DIFFGEO" table "$f" /metrics/coords3d --slice "$i"; done |
        awk -f "$plots_dir/$name.awk" -v mode=extent |
        awk -v w="$(dg_paper_label "$r")" '{ printf "  %s: 3-D boomerang off-axis extent max sqrt(b^2+c^2) / length = %.3f %% (mean; range %.3f .. %.3f %%; = the chord deviation of experiment 2)\n", w, $1, $3, $2 }'
    { echo "# i sigma resid_dev_mean resid_dev_std resid_dev_max resid_chord_mean resid_chord_max (percent)"
      { "$DIFFGEO" table "$f" /sigmas; "$DIFFGEO" table "$f" /metrics/deviation
        for i in $(seq 0 $T); do "$DIFFGEO" table "$f" /metrics/coords3d --slice "$i"; done; } |
          awk -f "$plots_dir/$name.awk" -v mode=residual; } >"$base-residual-$r.txt"
    echo "  $(dg_paper_label "$r"): outside span{u, PC1, PC2}, ||r_i|| in % of the deviation from the chord (mean ± std, largest; mean in % of the chord):"
    awk '!/^#/ { printf "    sigma %8.4g: %6.2f ± %5.2f %%, largest %6.2f %%; %.4f %% of the chord\n", $2, $3, $4, $5, $6 }' "$base-residual-$r.txt"
    awk '!/^#/ && $2 <= 1 { s += $3; c++; if ($5 > m) m = $5 } !/^#/ { if ($5 > ma) ma = $5; if ($7 > mc) mc = $7 }
        END { printf "    sigma <= 1: mean %.2f %%, largest %.2f %%; all sigma: largest %.2f %% of the deviation, %.4f %% of the chord\n", s / c, m, ma, mc }' "$base-residual-$r.txt"
    wrote_r="${wrote_r:-} $base-residual-$r.txt"
done
# shellcheck disable=SC2086
dg_wrote "$base-euler21.h5" "$base-heun18.h5" "$base.png" $wrote_r
dg_elapsed
