#!/bin/sh
# 15-dimension.sh: doc/theory.md §8, norm concentration (Proposition 2) and quasi-linearity
# against the dimension d, on synthetic data.
#
#   experiments/15-dimension.sh [--quick] [OUTDIR]
#
# Claim: for x_σ = y + σε with ε ~ N(0, I_d), ‖x_σ‖/(σ√d) → 1 as σ grows, with a spread
# (std over samples) of about 1/√(2d) — the noise concentrates on a shell that gets thinner
# with d; the sampling trajectory's relative deviation from its chord shrinks with d too.
# For d = 2, 8, 32, 128, 512, 784, 3072: synthetic:gmm,d=D,n=2000 (a random Gaussian mixture's
# rows), Euler with 21 timestamps (EDM ρ = 7, σ 80 → 0.002), `diffgeo analyze`; per d:
#   the std over the samples of ‖x_0‖/(σ_max√d) (x_0 = σ_max z, the start) against 1/√(2d), and
#   the same at the grid index with σ ≈ 5.8 (the sampling trajectory, data no longer
#   negligible), and the largest deviation / chord over each trajectory (mean and largest).
# Writes OUTDIR/15-dimension-dD.h5 for each d, 15-dimension.txt (d, 1/sqrt(2d), mean and std of
# the ratio at σ_max and at σ_8, then mean and largest relative deviation in %, samples) and
# 15-dimension.png.  --quick: 16 trajectories (default 128).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

name=15-dimension
base=$outdir/$name
txt=$base.txt
n=$(dg_size 16 128)
dims="2 8 32 128 512 784 3072"
wrote=
echo "# d inv_sqrt_2d ratio0_mean ratio0_std ratio8_mean ratio8_std sigma8 reldev_mean_pct reldev_max_pct n" >"$txt"
for d in $dims; do
    f=$base-d$d.h5
    dg sample --data "synthetic:gmm,d=$d,n=2000" -n "$n" --solver euler --steps 21 -q -o "$f"
    dg analyze "$f" -q
    wrote="$wrote $f"
    { "$DIFFGEO" table "$f" /sigmas
      "$DIFFGEO" table "$f" /metrics/norm_x
      "$DIFFGEO" table "$f" /metrics/deviation
      "$DIFFGEO" table "$f" /metrics/chord; } | awk -v d="$d" '
        /^#/ { blk++; next }
        blk == 1 { sg[$1] = $2; next }
        blk == 2 { for (j = 2; j <= NF; j++) nx[$1, j - 2] = $j; n = NF - 1; next }
        blk == 3 { for (j = 2; j <= NF; j++) if ($j > dv[j - 2]) dv[j - 2] = $j; next }
        blk == 4 { ch[$1] = $2 }
        END {
            for (k = 0; k <= 8; k += 8) {
                s = ss = 0
                for (j = 0; j < n; j++) { r = nx[k, j] / (sg[k] * sqrt(d)); s += r; ss += r * r }
                m[k] = s / n; v = ss / n - m[k] * m[k]; sd[k] = sqrt(v > 0 ? v * n / (n - 1) : 0)
            }
            s = mx = 0
            for (j = 0; j < n; j++) { r = dv[j] / ch[j] * 100; s += r; if (r > mx) mx = r }
            printf "%d %.6g %.8g %.6g %.8g %.6g %.6g %.6g %.6g %d\n", d, 1 / sqrt(2 * d), m[0], sd[0], m[8], sd[8], sg[8], s / n, mx, n
        }' >>"$txt"
done
dg_draw "$name.gp" "$base.png" "$txt"
# shellcheck disable=SC2086
dg_wrote $wrote "$txt" "$base.png"
echo "headline (synthetic:gmm,d=D,n=2000; $n trajectories per d; Euler, 21 timestamps):"
awk '!/^#/ { printf "  d = %4d: ||x||/(sigma sqrt d) at sigma 80: %.5f ± %.5f (1/sqrt(2d) = %.5f, ratio %.3f); at sigma %.3g: %.4f ± %.5f; deviation/chord %.3f %% (largest %.3f %%)\n", $1, $3, $4, $2, $4 / $2, $7, $5, $6, $8, $9 }' "$txt"
dg_elapsed
