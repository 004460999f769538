#!/bin/sh
# 08-ode-jump.sh: doc/theory.md §8 experiment 8 (and §7), ODE-Jump against full sampling at equal NFE.
#
#   experiments/08-ode-jump.sh [--quick] [OUTDIR]
#
# Claim: stopping the ODE at σ_K and returning D(x_K; σ_K) (ODE-Jump, `diffgeo sample
# --jump-at K`) gives better samples than a full run with the same number of denoiser
# evaluations, and far better ones than x_K itself.  Quality here is the distance to the end
# point of an accurate teacher from the same start (iPNDM on 61 timestamps, NFE 60; the tool
# has no nearest-training-sample measure), and the share of samples that land on the teacher's
# end, within an RMS difference of 0.02 per pixel (0.02·√d; the exact denoiser memorises, so a
# sample either ends on the teacher's training image, about σ_min√d away, or on another one,
# far away).  For K = 2, 4, ..., 18 on Euler's 21-timestamp EDM
# grid (ρ = 7, σ 80 -> 0.002, seed 0):
#   ODE-Jump      x_K by Euler, then D(x_K; σ_K)                      NFE K + 1
#   full run      Euler on a K + 2 timestamp EDM grid, σ 80 -> 0.002   NFE K + 1
#   x_K           the noisy state itself                               NFE K
# and, for reference, the full Euler run with 21 timestamps (NFE 20).
# Writes OUTDIR/08-ode-jump-teacher.h5, -euler21.h5, -jumpK.h5 and -fullK.h5 for each K,
# 08-ode-jump-summary.txt (columns K nfe sigma_K, then mean and std of the distance to the
# teacher's end for the jump, the full run and x_K, then the number of samples of each within
# 0.02·√d of it, the number of samples, then the paired statistics of ODE-Jump against the full
# run from the same starts: mean and standard error of the per-start difference of their
# distances, and the number of starts where each is closer, equal, and of pairs),
# 08-ode-jump.png (both against NFE) and 08-ode-jump-images.png (teacher, full run, ODE-Jump and
# x_K for K = 10).  With DIFFGEO_CIFAR10 the same with -cifar10.  --quick: first 3000 images,
# 16 trajectories (default 64).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 64)
rms=0.02
ks="2 4 6 8 10 12 14 16 18"
kshow=10
name=08-ode-jump
wrote=
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    dg_sample "$set" "$base-teacher.h5" "$n" --solver ipndm --steps 61
    dg_sample "$set" "$base-euler21.h5" "$n" --solver euler --steps 21
    wrote="$wrote $base-teacher.h5 $base-euler21.h5"
    for k in $ks; do
        dg_sample "$set" "$base-jump$k.h5" "$n" --solver euler --steps 21 --jump-at "$k"
        dg_sample "$set" "$base-full$k.h5" "$n" --solver euler --steps $((k + 2))
        wrote="$wrote $base-jump$k.h5 $base-full$k.h5"
    done

    # distances to the teacher's end points: rows jump, full, x_K of each K, reduced per row
    same=$(dg_rms "$base-teacher.h5" "$rms")
    for k in $ks; do
        nfe=$(dg_cfg "$base-jump$k.h5" nfe)
        sigma=$("$DIFFGEO" table "$base-jump$k.h5" /sigmas | awk -v k="$k" '$1 == k { print $2 }')
        { "$DIFFGEO" table "$base-teacher.h5" /samples
          "$DIFFGEO" table "$base-jump$k.h5" /samples
          "$DIFFGEO" table "$base-full$k.h5" /samples
          "$DIFFGEO" table "$base-jump$k.h5" /trajectory --slice "$k"; } |
            dg_awk rowdist >"$base-dist.tmp"
        # the same starts for both: the paired difference jump − full, per start
        pair=$(dg_awk paired -v a=0 -v b=1 "$base-dist.tmp")
        dg_awk rowstats -v sigma=0 -v below="$same" "$base-dist.tmp" |
            awk -v k="$k" -v nfe="$nfe" -v s="$sigma" -v pair="$pair" '!/^#/ { m[$1] = $2; sd[$1] = $3; c[$1] = $6; b[$1] = $7 }
                END { printf "%d %d %.17g %.17g %.17g %.17g %.17g %.17g %.17g %d %d %d %d %s\n", k, nfe, s, m[0], sd[0], m[1], sd[1], m[2], sd[2], b[0], b[1], b[2], c[0], pair }'
    done >"$base-summary.tmp"
    rm -f "$base-dist.tmp"
    { echo "# K nfe sigma_K jump_mean jump_std full_mean full_std xK_mean xK_std jump_same full_same xK_same n diff_mean diff_se jump_closer full_closer ties n_pairs"
      cat "$base-summary.tmp"; } >"$base-summary.txt"
    rm -f "$base-summary.tmp"
    ref=$({ "$DIFFGEO" table "$base-teacher.h5" /samples; "$DIFFGEO" table "$base-euler21.h5" /samples; } |
          dg_awk rowdist | dg_awk rowstats -v sigma=0 -v below="$same" | awk '!/^#/ { printf "%.17g %.17g %d", $2, $3, $7 }')

    dg_draw $name.gp "$base-summary.txt" "$base.png" "$DIFFGEO" "$base-teacher.h5" "$ref" \
        "$(awk -v s="$same" -v r="$rms" 'BEGIN { printf "%.2g = %g√d", s, r }')"
    dg_draw image_rows.gp "$base-images.png" "$DIFFGEO" \
        "ODE-Jump and full sampling at equal NFE ($(dg_cfg "$base-teacher.h5" data), exact optimal denoiser)
end points of the same starts; jump at K = $kshow of Euler's 21-timestamp grid" 8 \
        "teacher (iPNDM, NFE 60)|$base-teacher.h5|/samples|" \
        "full Euler run, NFE $((kshow + 1))|$base-full$kshow.h5|/samples|" \
        "ODE-Jump D(x_{$kshow}; σ_{$kshow}), NFE $((kshow + 1))|$base-jump$kshow.h5|/samples|" \
        "x_{$kshow} itself, NFE $kshow|$base-jump$kshow.h5|/trajectory|$kshow"
    wrote="$wrote $base-summary.txt $base.png $base-images.png"
done

# ---- headline numbers ------------------------------------------------------------------------
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    same=$(dg_rms "$base-teacher.h5" "$rms")
    echo "headline ($(dg_name "$set"); $n trajectories; distance of the end point to the teacher's (iPNDM, 61 timestamps), mean over the trajectories, and in brackets the share of samples within $rms sqrt(d) of it):"
    ref=$({ "$DIFFGEO" table "$base-teacher.h5" /samples; "$DIFFGEO" table "$base-euler21.h5" /samples; } |
          dg_awk rowdist | dg_awk rowstats -v sigma=0 -v below="$same" | awk '!/^#/ { printf "%.4g (%.0f %%)", $2, 100 * $7 / $6 }')
    awk -v ref="$ref" '
        /^#/ { next }
        { f = 100 / $13
          printf "  K = %2d (sigma_K = %6.3g), NFE %2d: ODE-Jump %7.4g (%3.0f %%)   full Euler run %7.4g (%3.0f %%)   x_K %7.4g (%3.0f %%)\n", $1, $3, $2, $4, f * $10, $6, f * $11, $8, f * $12
          printf "          paired, same start: ODE-Jump - full run = %+.3f +- %.3f (standard error); ODE-Jump closer for %d, full run for %d, equal %d of %d starts\n", $14, $15, $16, $17, $18, $19
          if ($4 < $6) better++; total++ }
        END { printf "  ODE-Jump closer to the teacher than the full run at equal NFE (mean distance) for %d of %d K; full Euler run with 21 timestamps (NFE 20): %s\n", better, total, ref }' \
        "$base-summary.txt"
done
dg_elapsed
