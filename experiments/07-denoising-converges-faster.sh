#!/bin/sh
# 07-denoising-converges-faster.sh: doc/theory.md §8 experiment 7, the denoising trajectory reaches
# the final sample earlier than the sampling trajectory.
#
#   experiments/07-denoising-converges-faster.sh [--quick] [OUTDIR]
#
# Claim: per step, ‖D(x_i; σ_i) − x_T‖ is far below ‖x_i − x_T‖, and the denoising output
# settles on the final sample many steps before x_i does.  Measured on Euler with 21 timestamps
# (EDM's ρ = 7 grid from σ = 80 to 0.002, seed 0), per trajectory: the first step at which each
# distance falls below (a) 0.02·√d, an RMS difference of 0.02 per pixel (1 % of the [−1, 1]
# range), and (b) 1 % of its own value at the start.  ‖D(x_i) − x_T‖ is computed from /denoised
# and /samples (no /metrics holds it).
# Writes OUTDIR/07-denoising-converges-faster.h5 (with /metrics), ....png (distances) and
# ...-grid.png (plots/trajectory_grid.gp: x_i above D(x_i; σ_i) for 4 trajectories); with
# DIFFGEO_CIFAR10 the same with -cifar10 (no image grid: trajectory_grid.gp draws grey images
# only).  --quick: first 3000 images, 16 trajectories (default 64).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 64)
rms=0.02
rel=0.01
name=07-denoising-converges-faster
wrote=
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    dg_sample "$set" "$base.h5" "$n" --solver euler --steps 21
    dg analyze "$base.h5"
    dg_draw $name.gp "$base.h5" "$base.png" "$DIFFGEO" "$rms" "$rel"
    wrote="$wrote $base.h5 $base.png"
    if [ "$set" = main ]; then
        dg_draw trajectory_grid.gp "$base.h5" "$base-grid.png" "$DIFFGEO" 4
        wrote="$wrote $base-grid.png"
    fi
done

# ---- headline numbers ------------------------------------------------------------------------
# first RUN OP THRESHOLD [denoised]: the first step below THRESHOLD of each trajectory (dg_colfirst)
first() {
    r=$1; op=$2; thr=$3
    if [ $# -gt 3 ]; then
        steps=$(dg_cfg "$r" steps)
        { "$DIFFGEO" table "$r" /sigmas
          { "$DIFFGEO" table "$r" /samples
            i=0
            while [ "$i" -lt $((steps - 1)) ]; do
                "$DIFFGEO" table "$r" /denoised --slice "$i"; i=$((i + 1))
            done; } | dg_awk rowdist; }
    else
        { "$DIFFGEO" table "$r" /sigmas; "$DIFFGEO" table "$r" /metrics/distance_to_end; }
    fi | dg_awk rowstats -v op="$op" -v out=matrix | dg_colfirst "$thr"
}
say() {  # WHAT: formats a dg_colfirst line
    awk -v w="$1" '{ if ($5 > 0) printf "    %s: step %d (sigma = %.3g) for the median trajectory, steps %d to %d, %d of %d trajectories\n", w, $1, $2, $3, $4, $5, $6
                     else printf "    %s: never\n", w }'
}
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    run=$outdir/$name$(dg_tag "$set").h5
    dim=$(dg_cfg "$run" dim)
    abs=$(dg_rms "$run" "$rms")
    echo "headline ($(dg_name "$set"), d = $dim; $n Euler trajectories of 21 timestamps, sigma 80 -> 0.002, steps 0..20):"
    echo "  first step with distance to x_T below $abs (RMS $rms per pixel):"
    first "$run" value "$abs" | say "sampling  ||x_i - x_T||   "
    first "$run" value "$abs" denoised | say "denoising ||D(x_i) - x_T||"
    echo "  first step with distance to x_T below $rel of its value at step 0:"
    first "$run" byrow0 "$rel" | say "sampling  ||x_i - x_T||   "
    first "$run" byrow0 "$rel" denoised | say "denoising ||D(x_i) - x_T||"
done
dg_elapsed
