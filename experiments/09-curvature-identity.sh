#!/bin/sh
# 09-curvature-identity.sh: doc/theory.md §5 and §8 experiment 9, the curvature identity
# d²x/dσ² = −(1/σ) dD/dσ along trajectories of the probability-flow ODE.
#
#   experiments/09-curvature-identity.sh [--quick] [OUTDIR]
#
# Differentiating dx/dσ = (x − D)/σ once more gives d²x/dσ² = −(1/σ) dD/dσ: the curvature of
# the sampling trajectory is the (scaled) velocity of the denoising trajectory, which is why
# second-order samplers are "Euler plus a finite difference of D".  A fine Heun run gives both
# sides by central finite differences on its (non-uniform) grid; their relative difference
# measures how well the identity holds on the discrete trajectory.
#   OUTDIR/09-curvature-identity.h5     the fine run
#   OUTDIR/09-curvature-identity.txt    per grid index: σ, mean ‖d²x/dσ²‖, mean ‖(1/σ) dD/dσ‖,
#                                       mean and max relative difference over the samples
#   OUTDIR/09-curvature-identity.png    both sides against σ, and their relative difference where
#                                       D still moves (once the exact denoiser has settled on a
#                                       training image, both sides are zero up to rounding)
# --quick: first 3000 images, 4 trajectories, 201 timestamps (default: all images, 8, 401).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

name=09-curvature-identity
run=$outdir/$name.h5
txt=$outdir/$name.txt
n=$(dg_size 4 8)
steps=$(dg_size 201 401)

dg_sample main "$run" "$n" --solver heun --steps "$steps"
T=$((steps - 1)) # evaluated grid points 0..T−1 have D

# Slices of x and D, in grid order, into one awk pass that keeps the last three of each.
i=0
while [ "$i" -lt "$T" ]; do
    "$DIFFGEO" table "$run" /trajectory --slice "$i"
    "$DIFFGEO" table "$run" /denoised --slice "$i"
    i=$((i + 1))
done | awk -v nsamp="$n" -v sig="$("$DIFFGEO" table "$run" /sigmas | awk '!/^#/ { printf "%s ", $2 }')" '
    BEGIN { split(sig, s, " "); print "# index sigma lhs rhs rel_mean rel_max" }
    /^#/ { blk++; row = 0; next }
    {
        k = int((blk - 1) / 2); w = (blk - 1) % 2
        for (c = 2; c <= NF; c++) v[w, k % 3, row, c] = $c
        nc = NF; row++; nrow = row
        # once D of grid index k is complete, index k − 1 has both neighbours
        if (w == 1 && k >= 2 && row == nsamp) emit(k - 1)
    }
    function emit(i,    a, b, cc, j, c, h0, h1, xpp, dd, l2, r2, d2, rel, sl, sr, rm, rx) {
        a = (i - 1) % 3; b = i % 3; cc = (i + 1) % 3
        h0 = s[i + 1] - s[i]; h1 = s[i + 2] - s[i + 1]          # σ_i − σ_{i−1}, σ_{i+1} − σ_i
        sl = sr = rm = rx = 0
        for (j = 0; j < nsamp; j++) {
            l2 = r2 = d2 = 0
            for (c = 2; c <= nc; c++) {
                xpp = 2 * ((v[0, cc, j, c] - v[0, b, j, c]) / h1 - (v[0, b, j, c] - v[0, a, j, c]) / h0) / (h0 + h1)
                dd = -(v[1, cc, j, c] - v[1, a, j, c]) / (h0 + h1) / s[i + 1]
                l2 += xpp * xpp; r2 += dd * dd; d2 += (xpp - dd) * (xpp - dd)
            }
            rel = l2 > 0 ? sqrt(d2 / l2) : 0
            sl += sqrt(l2); sr += sqrt(r2); rm += rel; if (rel > rx) rx = rel
        }
        printf "%d %.17g %.17g %.17g %.17g %.17g\n", i, s[i + 1], sl / nsamp, sr / nsamp, rm / nsamp, rx
    }
' >"$txt"

dg_draw "$name.gp" "$outdir/$name.png" "$txt" "$(dg_name main)" "$n" "$steps"
dg_wrote "$run" "$txt" "$outdir/$name.png"
# Where D has settled on a training image both sides vanish; compare where it still moves.
awk '!/^#/ && $4 > 1e-6 { n++; m += $5; if ($6 > x) x = $6; if (!lo || $2 < lo) lo = $2 }
     END { printf "%s: curvature identity d²x/dσ² = −(1/σ) dD/dσ, Heun with %s timestamps:\n", "'"$prog"'", "'"$steps"'"
           printf "  relative difference of the two sides where D still moves (σ ≥ %.3g, %d grid points): mean %.2e, max %.2e\n", lo, n, m / n, x }' "$txt"
dg_elapsed
