#!/bin/sh
# 11-latent-interpolation.sh: doc/theory.md §8 experiment 11 (and §7), interpolating between starts.
#
#   experiments/11-latent-interpolation.sh [--quick] [OUTDIR]
#
# Claim: two independent starts a, b at σ_max have norm ≈ σ_max√d and are nearly orthogonal,
# so the straight line (1 − λ)a + λb cuts inside the noise shell: at λ = ½ its norm is ≈ 0.707
# σ_max√d (sqrt((1 − λ)² + λ²) in general); spherical interpolation (slerp) and the lerp
# rescaled to σ_max√d stay on the shell.  `diffgeo interpolate` with the three methods, the same
# two starts (seed 0), 11 points λ = 0, 0.1, ..., 1, each decoded by Heun with 18 timestamps
# (EDM's ρ = 7 grid from σ = 80 to 0.002).
# Writes OUTDIR/11-latent-interpolation-lerp.h5, -slerp.h5, -rescaled.h5,
# 11-latent-interpolation.png (‖x_0‖/(σ_max√d) against λ) and 11-latent-interpolation-images.png
# (the decoded end points of each method); with DIFFGEO_CIFAR10 the same with -cifar10.
# --quick: first 3000 images, 7 points.
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

points=$(dg_size 7 11)
name=11-latent-interpolation
methods="lerp slerp rescaled"
wrote=
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    for m in $methods; do
        # shellcheck disable=SC2086
        dg interpolate --data "$(dg_spec "$set")" $limit --method "$m" --points "$points" \
            --solver heun --steps 18 -q -o "$base-$m.h5"
        wrote="$wrote $base-$m.h5"
    done
    dg_draw $name.gp "$base.png" "$DIFFGEO" "$base-lerp.h5" "$base-slerp.h5" "$base-rescaled.h5"
    columns=$("$DIFFGEO" table "$base-lerp.h5" /interpolation/lambda |
              awk '!/^#/ { printf "%sλ = %.2g", sep, $2; sep = "|" }')
    dg_draw image_rows.gp "$base-images.png" "$DIFFGEO" \
        "Decoded interpolations between two starts ($(dg_cfg "$base-lerp.h5" data), exact optimal denoiser)
end points of Heun with 18 timestamps from x_0(λ); λ = 0 and λ = 1 decode the two starts a and b" "$columns" \
        "lerp|$base-lerp.h5|/samples|" "slerp|$base-slerp.h5|/samples|" "rescaled lerp|$base-rescaled.h5|/samples|"
    wrote="$wrote $base.png $base-images.png"
done

# ---- headline numbers ------------------------------------------------------------------------
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    base=$outdir/$name$(dg_tag "$set")
    echo "headline ($(dg_name "$set"), d = $(dg_cfg "$base-lerp.h5" dim); $points points between the same two starts, ||x_0(lambda)|| / (sigma_max sqrt d)):"
    for m in $methods; do
        { "$DIFFGEO" table "$base-$m.h5" /interpolation/lambda; "$DIFFGEO" table "$base-$m.h5" /interpolation/norm_ratio; } |
        awk -v m="$m" '/^#/ { part++; next }
            part == 1 { lam[$1] = $2; next }
            { r[$1] = $2; if ($1 + 1 > n) n = $1 + 1 }
            END {
                lo = 0; hi = 0
                for (i = 0; i < n; i++) { if (r[i] < r[lo]) lo = i; if (r[i] > r[hi]) hi = i; if (lam[i] == 0.5) mid = i }
                printf "  %-8s: smallest %.4f at lambda = %g, largest %.4f at lambda = %g", m, r[lo], lam[lo], r[hi], lam[hi]
                if (mid != "") printf "; at lambda = 0.5: %.4f", r[mid]
                if (mid != "" && m == "lerp") printf " (orthogonal starts: %.4f)", sqrt((r[0] ^ 2 + r[n - 1] ^ 2) / 4)
                printf "\n"
            }'
    done
    # the two starts: their norms and angle, from the lerp run (rows 0 and last of x_0)
    "$DIFFGEO" table "$base-lerp.h5" /trajectory --slice 0 |
        awk '!/^#/ { n++; for (k = 2; k <= NF; k++) v[n, k] = $k; nf = NF }
             END { for (k = 2; k <= nf; k++) { aa += v[1, k] ^ 2; bb += v[n, k] ^ 2; ab += v[1, k] * v[n, k] }
                   printf "  the starts: ||a|| / ||b|| = %.4f, cos(a, b) = %.4f\n", sqrt(aa / bb), ab / sqrt(aa * bb) }'
done
dg_elapsed
