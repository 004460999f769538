#!/bin/sh
# 05-norm-curves.sh: doc/theory.md §8 experiment 5, norms along the trajectories.
#
#   experiments/05-norm-curves.sh [--quick] [OUTDIR]
#
# Claim (doc/theory.md §6): ‖x_i‖ ≈ sqrt(‖y‖² + σ²d) (≈ σ√d at large σ), ‖D(x_i; σ_i)‖ grows from
# the norm of the data mean to the norm of a data point, and ‖d_i‖ stays ≈ √d.  One run: Euler
# with 21 timestamps on EDM's ρ = 7 grid from σ = 80 to 0.002 (seed 0).  ‖d_i‖ =
# ‖x_i − D_i‖/σ_i is computed from /trajectory and /denoised, since `diffgeo analyze` writes no
# /metrics/norm_d.
# Writes OUTDIR/05-norm-curves.h5 (with /metrics) and 05-norm-curves.png; with DIFFGEO_CIFAR10
# the same with -cifar10.  --quick: first 3000 images, 16 trajectories (default 64).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 64)
name=05-norm-curves
wrote=
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    dg_sample "$set" "$base.h5" "$n" --solver euler --steps 21
    dg analyze "$base.h5"
    dg_draw $name.gp "$base.h5" "$base.png" "$DIFFGEO"
    wrote="$wrote $base.h5 $base.png"
done

# ---- headline numbers ------------------------------------------------------------------------
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    run=$outdir/$name$(dg_tag "$set").h5
    dim=$(dg_cfg "$run" dim)
    steps=$(dg_cfg "$run" steps)
    echo "headline ($(dg_name "$set"), d = $dim; $n Euler trajectories of 21 timestamps, sigma 80 -> 0.002; mean +- std over the trajectories):"
    "$DIFFGEO" table "$run" /metrics/norm_x --reduce --sigma |
        awk -v d="$dim" '!/^#/ { if (!f) { printf "  ||x_0|| = %.1f +- %.1f at sigma = %g (sigma sqrt d = %.1f)", $3, $4, $2, $2 * sqrt(d); f = 1 }; m = $3; s = $4 }
                         END { printf "; ||x_T|| = %.2f +- %.2f\n", m, s }'
    "$DIFFGEO" table "$run" /metrics/norm_denoised --reduce --sigma |
        awk '!/^#/ { if (!f) { printf "  ||D(x_0; 80)|| = %.2f +- %.2f", $3, $4; f = 1 }; m = $3; s = $4; sg = $2 }
             END { printf "; at sigma = %.3g: %.2f +- %.2f\n", sg, m, s }'
    i=0
    { "$DIFFGEO" table "$run" /sigmas
      while [ "$i" -lt $((steps - 1)) ]; do
          "$DIFFGEO" table "$run" /trajectory --slice "$i"
          "$DIFFGEO" table "$run" /denoised --slice "$i"
          i=$((i + 1))
      done | dg_awk rowdist -v mode=pairs; } |
        dg_awk rowstats -v op=bysigma |
        awk -v d="$dim" '!/^#/ { v = $3 / sqrt(d); if (!f || v < lo) { lo = v; at = $2 }; if (!f || v > hi) { hi = v; ah = $2 }; f = 1 }
                         END { printf "  ||d_i||/sqrt(d): mean over the trajectories between %.3f (sigma = %.3g) and %.3f (sigma = %.3g)\n", lo, at, hi, ah }'
done
dg_elapsed
