#!/bin/sh
# 02-quasi-linearity.sh: doc/theory.md §8 experiment 2, sampling trajectories are almost straight.
#
#   experiments/02-quasi-linearity.sh [--quick] [OUTDIR]
#
# Claim: the deviation of x_i from the straight line through the start x_0 and the end x_T
# stays below 1 % of the chord ‖x_T − x_0‖ (quasi-linear), while the denoising trajectory
# D(x_i; σ_i) bends much more.  Two runs from the same starts (seed 0) on EDM's ρ = 7 grid from
# σ = 80 to 0.002: Euler with 21 timestamps (the authors' notebook) and Heun with 18 (EDM, no
# σ = 0 step).
# Writes OUTDIR/02-quasi-linearity-euler21.h5, -heun18.h5 (runs with /metrics),
# 02-quasi-linearity.png (deviation / chord of both runs, sampling and denoising) and
# 02-quasi-linearity-euler21-geometry.png, -heun18-geometry.png (plots/trajectory_geometry.gp:
# absolute deviation and distance to the end); with DIFFGEO_CIFAR10 the same with -cifar10.
# --quick: first 3000 images, 16 trajectories (default 64).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 64)
name=02-quasi-linearity
wrote=
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    dg_paper_runs "$set" "$base" "$n"
    for r in $dg_paper; do
        dg_draw trajectory_geometry.gp "$base-$r.h5" "$base-$r-geometry.png" "$DIFFGEO"
    done
    dg_draw $name.gp "$base.png" "$DIFFGEO" "$base-euler21.h5" "$(dg_paper_label euler21)" \
        "$base-heun18.h5" "$(dg_paper_label heun18)"
    wrote="$wrote $base-euler21.h5 $base-heun18.h5 $base.png $base-euler21-geometry.png $base-heun18-geometry.png"
done

# ---- headline numbers ------------------------------------------------------------------------
# per trajectory: the largest ratio over the grid; then mean and largest over the trajectories
per_traj_max() {  # RUN METRIC CHORD-TABLE-ARGS...
    r=$1; metric=$2; shift 2
    { "$DIFFGEO" table "$r" /sigmas; "$DIFFGEO" table "$r" "$metric"; "$DIFFGEO" table "$r" "$@"; } |
        dg_awk rowstats -v op=bycol -v scale=100 -v out=matrix | dg_colmax
}
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    echo "headline ($(dg_name "$set"); $n trajectories per run, sigma 80 -> 0.002):"
    for r in $dg_paper; do
        what=$(dg_paper_label "$r")
        nfe=$(dg_cfg "$base-$r.h5" nfe)
        per_traj_max "$base-$r.h5" /metrics/deviation /metrics/chord |
            awk -v w="$what" -v nfe="$nfe" '{ printf "  %s (NFE %d): sampling trajectory max deviation / chord = %.3f %% (mean over trajectories; largest %.3f %%)\n", w, nfe, $1, $2 }'
        per_traj_max "$base-$r.h5" /metrics/deviation_denoised /metrics/distance_to_end_denoised --slice 0 |
            awk -v w="$what" '{ printf "  %s: denoising trajectory max deviation / its chord = %.1f %% (mean; largest %.1f %%)\n", w, $1, $2 }'
    done
done
dg_elapsed
