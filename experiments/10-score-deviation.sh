#!/bin/sh
# 10-score-deviation.sh: doc/theory.md §6 and §8 experiment 10, the score deviation of a denoiser
# that generalises, measured against the exact optimal denoiser D* of the training data.
#
#   experiments/10-score-deviation.sh [--quick] [OUTDIR]
#
# Three stand-ins for a learned denoiser D (doc/theory.md §2): the Gaussian fitted to the training
# data (--denoiser gaussian), a 10-component mixture fitted by EM (--denoiser gmm-fit:10), and
# D* of a disjoint set (the Fashion-MNIST test images; only with Fashion-MNIST).  Each samples
# Euler, 21 timestamps (EDM ρ = 7, σ 80 → 0.002, seed 0) and is analysed with --reference the
# training data, which gives the four distances of doc/theory.md §6 per σ:
#   distance_to_optimal  ‖x_i − x*_i‖          denoised_vs_optimal ‖D(x_i) − D*(x*_i)‖
#   score_deviation      ‖D(x_i) − D*(x_i)‖    optimal_self        ‖D(x*_i) − D*(x*_i)‖
# (optimal_self needs the run's own denoiser: analyze re-creates the fitted ones from /fit and
# D* of the test images from /config.)
# Writes OUTDIR/10-score-deviation-gaussian.h5, -gmm10.h5, -disjoint.h5 and
# 10-score-deviation.png.
# --quick: first 3000 training (and test) images, 8 trajectories, gmm-fit:10 (default: all
# training images, the 10000 test images, 32 trajectories; the 10-component mixture is fitted
# to the first 10000 training images, since EM on all 60000 (about 1.5e12 flops per
# iteration, up to 200 iterations) takes hours on two cores).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 8 32)
name=10-score-deviation
base=$outdir/$name
reflimit=
[ -z "$limit" ] || reflimit="--reference-limit 3000"
fitlimit=${limit:-"--limit 10000"}
runs="gaussian gmm10"
dg_sample main "$base-gaussian.h5" "$n" --solver euler --steps 21 --denoiser gaussian
# shellcheck disable=SC2086
dg sample --data "$(dg_spec main)" $fitlimit -n "$n" --solver euler --steps 21 \
    --denoiser gmm-fit:10 -q -o "$base-gmm10.h5"
if [ "$data" = fashion-mnist ]; then
    # shellcheck disable=SC2086
    dg sample --data fashion-mnist:test $limit -n "$n" --solver euler --steps 21 -q -o "$base-disjoint.h5"
    runs="$runs disjoint"
else
    echo "$prog: no Fashion-MNIST test set: the disjoint-set run is left out" >&2
fi
label() {
    case $1 in
        gaussian) echo "Gaussian fit (Wiener denoiser)" ;;
        gmm10) echo "10-component mixture fit (EM, first ${fitlimit#--limit } images)" ;;
        disjoint) echo "D* of the test images (disjoint)" ;;
    esac
}
for r in $runs; do
    # The disjoint run's data (the test images) are not the reference: analyze re-creates its
    # denoiser for optimal_self only when told to trust the run file (written just above).
    trust=
    [ "$r" != disjoint ] || trust=--trust-config
    # shellcheck disable=SC2086
    dg analyze "$base-$r.h5" --reference "$data" $reflimit $trust -q
done
set --
for r in $runs; do set -- "$@" "$base-$r.h5" "$(label "$r")"; done
dg_draw $name.gp "$base.png" "$DIFFGEO" "$@"
set --
for r in $runs; do set -- "$@" "$base-$r.h5"; done
dg_wrote "$@" "$base.png"

echo "headline ($(dg_name main) as the reference; $n trajectories, Euler 21, sigma 80 -> 0.002):"
for r in $runs; do
    echo "  $(label "$r"):"
    for m in distance_to_optimal denoised_vs_optimal score_deviation optimal_self; do
        "$DIFFGEO" info "$base-$r.h5" | grep -q "/metrics/$m " || continue
        "$DIFFGEO" table "$base-$r.h5" /metrics/$m --reduce --sigma |
            awk -v m="$m" '/^#/ { next } { if (!seen || $3 > mx) { mx = $3; smx = $2 }; seen = 1; last = $3; sl = $2 }
                END { printf "    %-20s largest mean %9.4f at sigma %-8.3g  at the end (sigma %g): %.4f\n", m, mx, smx, sl, last }'
    done
done
dg_elapsed
