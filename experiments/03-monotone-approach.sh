#!/bin/sh
# 03-monotone-approach.sh: doc/theory.md §8 experiment 3, both trajectories approach their end
# monotonically.
#
#   experiments/03-monotone-approach.sh [--quick] [OUTDIR]
#
# Claim (the paper's Observation 2): the distance to the end, ‖x_i − x_T‖ for the sampling
# trajectory and ‖D_i − D_{T−1}‖ for the denoising trajectory, decreases at every step *in
# expectation*.  The test, as the paper states it: the MEAN over the trajectories of each
# distance decreases at every step, mean_{i+1} < mean_i (a step where both means are already
# exactly 0 is not counted).  Extra information, not the claim: the steps (over all trajectories)
# at which a single trajectory's distance grows, dist_{i+1} > dist_i; steps where its denoising
# distance is already exactly 0 (the exact denoiser returns the final training image) have no
# ratio and are not counted.  Runs: Euler with 21 timestamps and Heun with 18, EDM's
# ρ = 7 grid from σ = 80 to 0.002, same starts (seed 0).
# Writes OUTDIR/03-monotone-approach-euler21.h5, -heun18.h5 (with /metrics) and a figure per run
# (03-monotone-approach-euler21.png, -heun18.png); with DIFFGEO_CIFAR10 the same with -cifar10.
# --quick: first 3000 images, 16 trajectories (default 64).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 64)
name=03-monotone-approach
wrote=
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    dg_paper_runs "$set" "$base" "$n"
    for r in $dg_paper; do
        dg_draw $name.gp "$base-$r.h5" "$base-$r.png" "$DIFFGEO"
        wrote="$wrote $base-$r.h5 $base-$r.png"
    done
done

# ---- headline numbers ------------------------------------------------------------------------
# violations RUN METRIC: "steps increases largest-ratio sigma-of-it"
violations() {
    { "$DIFFGEO" table "$1" /sigmas; "$DIFFGEO" table "$1" "$2"; } |
        dg_awk rowstats -v op=stepratio -v out=matrix |
        awk '/^#/ { next }
             { for (j = 3; j <= NF; j++) {
                   if ($j == "NaN") continue
                   steps++
                   if ($j + 0 > 1) up++
                   if (steps == 1 || $j + 0 > worst) { worst = $j + 0; at = $2 }
               } }
             END { printf "%d %d %.6f %.3g\n", steps, up, worst, at }'
}
# meansteps RUN METRIC: the paper's test on the mean over the trajectories,
# "steps increases largest-ratio sigma-of-it" of mean_{i+1} / mean_i (steps with both means 0
# are left out)
meansteps() {
    { "$DIFFGEO" table "$1" /sigmas; "$DIFFGEO" table "$1" "$2"; } |
        dg_awk rowstats |
        awk '/^#/ { next }
             { if (have && !(m == 0 && $3 == 0)) {
                   steps++; r = m > 0 ? $3 / m : 1e300
                   if ($3 > m) up++
                   if (steps == 1 || r > worst) { worst = r; at = s }
               }
               have = 1; m = $3; s = $2 }
             END { printf "%d %d %.6f %.3g\n", steps, up, worst, at }'
}
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    echo "headline ($(dg_name "$set"); $n trajectories per run, sigma 80 -> 0.002):"
    echo "  Observation 2 (the mean over the trajectories of the distance to the end decreases at every step):"
    for r in $dg_paper; do
        what=$(dg_paper_label "$r")
        for m in distance_to_end distance_to_end_denoised; do
            case $m in
                distance_to_end) d="sampling ||x_i - x_T||" ;;
                *) d="denoising ||D_i - D_{T-1}||" ;;
            esac
            meansteps "$base-$r.h5" /metrics/$m |
                awk -v w="$what" -v d="$d" '{ printf "    %s: %s: %s, the mean grows in %d of %d steps (largest ratio of consecutive means %.4f, at sigma = %s)\n", w, d, $2 ? "FAILS" : "holds", $2, $1, $3, $4 }'
        done
    done
    echo "  extra, single trajectories (a step with dist_{i+1} > dist_i of one trajectory; not what the claim is about):"
    for r in $dg_paper; do
        what=$(dg_paper_label "$r")
        violations "$base-$r.h5" /metrics/distance_to_end |
            awk -v w="$what" '{ printf "    %s: sampling ||x_i - x_T||: %d increases in %d steps (largest step ratio %.4f)\n", w, $2, $1, $3 }'
        violations "$base-$r.h5" /metrics/distance_to_end_denoised |
            awk -v w="$what" '{ printf "    %s: denoising ||D_i - D_{T-1}||: %d increases in %d steps (largest step ratio %.4f, at sigma = %s)\n", w, $2, $1, $3, $4 }'
    done
done
dg_elapsed
