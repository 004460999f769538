#!/bin/sh
# 12-low-dimensional.sh: doc/theory.md §6 and §8 experiment 12, each sampling trajectory lives in
# a very low-dimensional subspace.
#
#   experiments/12-low-dimensional.sh [--quick] [OUTDIR]
#
# Claims: (AMED) the projection of x_i on the top two principal components of its own
# trajectory misses at most about 8 % of ‖x_i‖ (pca2_error); (Chen et al.) in the 3-D view
# {u, PC1, PC2}, u along the chord x_T − x_0 and the PCs of the off-chord parts, the trajectory
# is a "boomerang" whose off-axis extent is only 0.1–1 % of its length.
# Runs: the authors' settings (lib.sh dg_paper_runs): Euler 21 and Heun 18 timestamps, EDM
# ρ = 7, σ 80 → 0.002, seed 0, with /metrics.
# Writes OUTDIR/12-low-dimensional-euler21.h5, -heun18.h5 and 12-low-dimensional.png.
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
dg_wrote "$base-euler21.h5" "$base-heun18.h5" "$base.png"

echo "headline ($(dg_name main); $n trajectories per run, sigma 80 -> 0.002):"
for r in $dg_paper; do
    f=$base-$r.h5
    { "$DIFFGEO" table "$f" /sigmas; "$DIFFGEO" table "$f" /metrics/pca2_error; } |
        dg_awk rowstats -v scale=100 -v out=matrix | dg_colmax |
        awk -v w="$(dg_paper_label "$r")" '{ printf "  %s: max over the trajectory of pca2_error = %.3f %% of ||x|| (mean over trajectories; largest %.3f %%)\n", w, $1, $2 }'
    T=$(($("$DIFFGEO" table "$f" /sigmas | grep -vc '^#') - 1))
    for i in $(seq 0 $T); do "$DIFFGEO" table "$f" /metrics/coords3d --slice "$i"; done |
        awk -f "$plots_dir/$name.awk" -v mode=extent |
        awk -v w="$(dg_paper_label "$r")" '{ printf "  %s: 3-D boomerang off-axis extent max sqrt(b^2+c^2) / length = %.3f %% (mean; range %.3f .. %.3f %%)\n", w, $1, $3, $2 }'
done
dg_elapsed
