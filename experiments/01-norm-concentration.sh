#!/bin/sh
# 01-norm-concentration.sh: doc/theory.md §8 experiment 1, the norm of noisy data concentrates.
#
#   experiments/01-norm-concentration.sh [--quick] [OUTDIR]
#
# Claim: for x_σ = y + σε, ε ~ N(0, I_d), ‖x_σ‖/(σ√d) → 1 as σ grows, with a spread across
# samples of ≈ 1/√(2d); in general ‖x_σ‖ ≈ sqrt(‖y‖² + σ²d), i.e. the ratio is
# ≈ sqrt(‖y‖²/(σ²d) + 1).
# Two measurements at every σ of the grid (Euler, 21 timestamps of EDM's ρ = 7 grid from 80 to
# 0.002, as the authors' notebook):
#   - the sampling trajectories x_i of the probability-flow ODE (exact optimal denoiser),
#     ‖x_i‖ from /metrics/norm_x;
#   - forward-noised data y + σε: y are the end points of the same run (the last denoiser
#     output D(x; σ_min-ish), which is a training image: the exact denoiser memorises), ε drawn
#     here in awk (8 draws per image, one ε per draw for all σ, seed 1).
# Writes OUTDIR/01-norm-concentration.h5 (the run), ...-forward.txt (the forward-noised
# statistics: index sigma mean std min max count prediction) and ....png; with DIFFGEO_CIFAR10
# also the same files with -cifar10.  --quick: first 3000 images, 16 trajectories.
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 16 128)
draws=8
name=01-norm-concentration
wrote=
for set in $sets; do
    run=$outdir/$name$(dg_tag "$set").h5
    fwd=$outdir/$name$(dg_tag "$set")-forward.txt
    png=$outdir/$name$(dg_tag "$set").png
    dg_sample "$set" "$run" "$n" --solver euler --steps 21
    dg analyze "$run"
    dim=$(dg_cfg "$run" dim)

    # forward noising: x_σ = y + σε for the same ε at every σ, so only y·ε and ‖ε‖² are drawn
    { "$DIFFGEO" table "$run" /sigmas; "$DIFFGEO" table "$run" /denoised --slice -1; } |
    awk -v draws="$draws" -v d="$dim" '
        BEGIN { srand(1); m = 0 }
        /^#/ { part++; next }
        part == 1 { sig[ns++] = $2; next }
        {
            yy = 0
            for (k = 2; k <= NF; k++) yy += $k * $k
            ny[nrow++] = yy
            for (e = 0; e < draws; e++) {
                ye = 0; ee = 0
                for (k = 2; k <= NF; k += 2) {   # Box-Muller: two normals per pair of pixels
                    u = rand(); if (u < 1e-300) u = 1e-300
                    r = sqrt(-2 * log(u)); a = 6.283185307179586 * rand()
                    z1 = r * cos(a); z2 = r * sin(a)
                    ye += $k * z1; ee += z1 * z1
                    if (k + 1 <= NF) { ye += $(k + 1) * z2; ee += z2 * z2 }
                }
                sy[m] = yy; sye[m] = ye; see[m] = ee; m++
            }
        }
        END {
            print "# index sigma mean std min max count prediction"
            for (i = 0; i < ns; i++) {
                s = sig[i]; sum = 0; ss = 0
                for (j = 0; j < m; j++) {
                    v = sqrt(sy[j] + 2 * s * sye[j] + s * s * see[j]) / (s * sqrt(d))
                    val[j] = v; sum += v
                    if (j == 0 || v < lo) lo = v
                    if (j == 0 || v > hi) hi = v
                }
                mean = sum / m
                for (j = 0; j < m; j++) ss += (val[j] - mean) ^ 2
                pred = 0
                for (j = 0; j < nrow; j++) pred += sqrt(ny[j] / (s * s * d) + 1)
                printf "%d %.17g %.17g %.17g %.17g %.17g %d %.17g\n", i, s, mean, sqrt(ss / m), lo, hi, m, pred / nrow
            }
        }' >"$fwd.tmp"
    mv "$fwd.tmp" "$fwd"
    dg_draw $name.gp "$run" "$fwd" "$png" "$DIFFGEO"
    wrote="$wrote $run $fwd $png"
done

# ---- headline numbers ------------------------------------------------------------------------
# shellcheck disable=SC2086
dg_wrote $wrote
for set in $sets; do
    run=$outdir/$name$(dg_tag "$set").h5
    fwd=$outdir/$name$(dg_tag "$set")-forward.txt
    dim=$(dg_cfg "$run" dim)
    echo "headline ($(dg_name "$set"), d = $dim; $n Euler trajectories of 21 timestamps, sigma 80 -> 0.002; $((n * draws)) forward-noised images):"
    { "$DIFFGEO" table "$run" /sigmas; "$DIFFGEO" table "$run" /metrics/norm_x; } |
        dg_awk rowstats -v op=bysigma -v scale="$(awk -v d="$dim" 'BEGIN { printf "%.17g", 1 / sqrt(d) }')" |
    awk -v d="$dim" -v fwd="$fwd" '
        BEGIN {
            while ((getline line < fwd) > 0) {
                split(line, f, " ")
                if (f[1] == "#") continue
                fm[f[1]] = f[3]; fs[f[1]] = f[4]; pr[f[1]] = f[8]
            }
        }
        /^#/ { next }
        {
            i = $1; s[i] = $2; m[i] = $3; sd[i] = $4; last = i
            ds = m[i] / pr[i] - 1; if (ds < 0) ds = -ds
            df = fm[i] / pr[i] - 1; if (df < 0) df = -df
            if (ds > dsmax) dsmax = ds
            if (df > dfmax) dfmax = df
            if (!done && (m[i] > 1.01 || fm[i] > 1.01)) { s1 = i > 0 ? s[i - 1] : s[i]; done = 1 }
        }
        END {
            printf "  at sigma = %g: ||x||/(sigma sqrt d) = %.4f +- %.4f (sampling), %.4f +- %.4f (forward-noised); 1/sqrt(2d) = %.4f\n", s[0], m[0], sd[0], fm[0], fs[0], 1 / sqrt(2 * d)
            printf "  within 1 %% of 1 for sigma >= %.3g; at sigma = %g the ratio is %.4g (prediction sqrt(||y||^2/(sigma^2 d) + 1) = %.4g)\n", s1, s[last], m[last], pr[last]
            printf "  largest relative gap between the mean ratio and the prediction over the grid: %.2g %% (sampling), %.2g %% (forward-noised)\n", 100 * dsmax, 100 * dfmax
        }'
done
dg_elapsed
