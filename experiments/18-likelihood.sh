#!/bin/sh
# 18-likelihood.sh: doc/theory.md §8, Observation 3 in terms of likelihood: along a trajectory
# the denoising output D(x_i; σ_i) reaches high data density earlier than x_i itself.
#
#   experiments/18-likelihood.sh [--quick] [OUTDIR]
#
# Data with an exact density: a Gaussian mixture fitted by EM (--denoiser gmm-fit:5) to 2000
# rows of synthetic:gauss2d (d = 2); the run's denoiser is that mixture's exact denoiser, and its
# log-density log p(x) = log Σ w_k N(x; μ_k, Σ_k) is computed in plots/18-loglik.awk from /fit,
# at every x_i and D(x_i; σ_i) of Euler runs with 21 timestamps (EDM ρ = 7, σ 80 → 0.002).
# Measured per grid index: the mean (and std) over the trajectories of log p(x_i) and log p(D_i),
# and the first grid index where each mean is within 1 nat of the final value log p(x_T).
# Writes OUTDIR/18-likelihood.h5, 18-likelihood.txt (i sigma mean_x std_x mean_D std_D) and
# 18-likelihood.png.  --quick: 64 trajectories (default 512).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

n=$(dg_size 64 512)
K=5
name=18-likelihood
run=$outdir/$name.h5
txt=$outdir/$name.txt
dg sample --data synthetic:gauss2d --samples 2000 --denoiser gmm-fit:$K -n "$n" --solver euler --steps 21 -q -o "$run"
T=20
{ echo "# i sigma logp_x_mean logp_x_std logp_D_mean logp_D_std"
  { "$DIFFGEO" table "$run" /sigmas; "$DIFFGEO" table "$run" /fit/weights; "$DIFFGEO" table "$run" /fit/means
    for k in $(seq 0 $((K - 1))); do "$DIFFGEO" table "$run" /fit/covs --slice "$k"; done
    for i in $(seq 0 $T); do "$DIFFGEO" table "$run" /trajectory --slice "$i"; done
    for i in $(seq 0 $((T - 1))); do "$DIFFGEO" table "$run" /denoised --slice "$i"; done; } |
      awk -f "$plots_dir/18-loglik.awk" -v K=$K; } >"$txt"
dg_draw $name.gp "$outdir/$name.png" "$txt" "$n"
dg_wrote "$run" "$txt" "$outdir/$name.png"
echo "headline (a 5-component mixture fitted to 2000 rows of synthetic:gauss2d; $n Euler trajectories, 21 timestamps):"
awk '!/^#/ { i = $1; s[i] = $2; x[i] = $3; sx[i] = $4; y[i] = $5; T = i }
    END {
        fin = x[T]
        for (i = 0; i <= T; i++) { if (fx == "" && x[i] > fin - 1) fx = i; if (fy == "" && y[i] != "NaN" && y[i] > fin - 1) fy = i }
        printf "  final mean log p(x_T) = %.3f nats (std %.3f)\n", fin, sx[T]
        printf "  within 1 nat of it: D(x_i) from step %d (sigma %.3g), x_i from step %d (sigma %.3g)\n", fy, s[fy], fx, s[fx]
        for (i = 0; i < T; i += 2) printf "  step %2d sigma %8.4g: mean log p(x_i) %10.3f, mean log p(D_i) %8.3f\n", i, s[i], x[i], y[i]
    }' "$txt"
dg_elapsed
