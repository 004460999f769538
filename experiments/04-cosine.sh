#!/bin/sh
# 04-cosine.sh: doc/theory.md §8 experiment 4, the ODE direction points at the end point.
#
#   experiments/04-cosine.sh [--quick] [OUTDIR]
#
# Claim: cos(d_i, x_i − x_T) ≈ 1 at large σ, where d_i = (x_i − D(x_i; σ_i))/σ_i is the
# direction of the probability-flow ODE: one step along d_0 already points at the final sample
# (which justifies the analytical first step, AFS).  /metrics/cosine of two runs from the same
# starts (seed 0), EDM's ρ = 7 grid from σ = 80 to 0.002: Euler with 21 timestamps and Heun
# with 18.
# Writes OUTDIR/04-cosine-euler21.h5, -heun18.h5 (with /metrics) and 04-cosine.png; with
# DIFFGEO_CIFAR10 the same with -cifar10.  --quick: first 3000 images, 16 trajectories
# (default 64).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 64)
name=04-cosine
wrote=
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    dg_paper_runs "$set" "$base" "$n"
    dg_draw $name.gp "$base.png" "$DIFFGEO" "$base-euler21.h5" "$(dg_paper_label euler21)" \
        "$base-heun18.h5" "$(dg_paper_label heun18)"
    wrote="$wrote $base-euler21.h5 $base-heun18.h5 $base.png"
done

# ---- headline numbers ------------------------------------------------------------------------
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    echo "headline ($(dg_name "$set"); $n trajectories per run, sigma 80 -> 0.002):"
    for r in $dg_paper; do
        what=$(dg_paper_label "$r")
        "$DIFFGEO" table "$base-$r.h5" /metrics/cosine --reduce --sigma |
        awk -v w="$what" '
            /^#/ { next }
            NR == 2 { s0 = $2; m0 = $3; sd0 = $4; lo0 = $5 }
            { if (!set || $3 < mmin) { mmin = $3; smin = $2; set = 1 }
              if ($5 < lo) lo = $5; if (NR == 2) lo = $5
              if (1 - $3 < 1e-12 && !one) { one = $2 }
              if (1 - $3 >= 1e-12) one = 0 }
            END {
                printf "  %s: cos(d_i, x_i - x_T) at sigma = %g: %.6f +- %.1g (smallest trajectory %.6f)\n", w, s0, m0, sd0, lo0
                printf "  %s: smallest mean cosine %.4f at sigma = %.3g (smallest of any trajectory at any step %.4f)", w, mmin, smin, lo
                if (one) printf "; 1 to rounding for sigma <= %.3g", one
                printf "\n"
            }'
    done
done
dg_elapsed
