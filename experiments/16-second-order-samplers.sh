#!/bin/sh
# 16-second-order-samplers.sh: doc/theory.md §5 and §8, second-order samplers are Euler plus a
# finite difference of the denoising trajectory, and their order, on a closed-form Gaussian flow.
#
#   experiments/16-second-order-samplers.sh [--quick] [OUTDIR]
#
# Data: one Gaussian in d = 2 (synthetic:gauss2d,k=1,spread=0,std=1, 1000 rows drawn) with
# `--denoiser gaussian`, the Gaussian fitted to the rows (stored under /fit): its denoiser
# D = μ + Σ(Σ + σ²I)⁻¹(x − μ) and the exact ODE solution are closed forms, computed in
# plots/16-gaussian-flow.awk from /fit, independently of diffgeo.
#  1. Finite differences: every step of a Heun and a DPM-Solver-2 run (17 timestamps) is rebuilt
#     as x_{i+1} = x_i + h d_i + w · (d(x̃; σ_p) − d_i)/(σ_p − σ_i), Euler plus a weight times the
#     finite difference of d = (x − D)/σ (w = h²/2 for Heun, h(σ_m − σ_i) for DPM-Solver-2), and
#     compared with the run's x_{i+1}: equal to rounding.
#  2. Local error: one step from σ = 2 to 2 − h (from the same starts), h = 1.6 … 0.025: the
#     error against the exact solution should fall as h³.
#  3. Global error: EDM ρ = 7 grids, σ 80 → 0.002, 9 … 257 timestamps: error at σ_min against the
#     exact solution, falling as h² (h the mean step).
# Writes OUTDIR/16-second-order-samplers-SOLVER-fd.h5 (the runs of 1), -SOLVER-local-K.h5 and
# -SOLVER-global-N.h5, 16-second-order-samplers.txt (solver kind h mean max) and
# 16-second-order-samplers.png.  --quick: 8 starts, h down to 0.1, up to 65 timestamps
# (default 32 starts, h down to 0.025, up to 257 timestamps).
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

name=16-second-order-samplers
base=$outdir/$name
txt=$base.txt
spec="synthetic:gauss2d,k=1,spread=0,std=1"
n=$(dg_size 8 32)
hs=$(dg_size "1.6 0.8 0.4 0.2 0.1" "1.6 0.8 0.4 0.2 0.1 0.05 0.025")
grids=$(dg_size "9 17 33 65" "9 17 33 65 129 257")
awkf=$plots_dir/16-gaussian-flow.awk
run() { dg sample --data "$spec" --samples 1000 --denoiser gaussian -n "$n" -q "$@"; }
fit() { "$DIFFGEO" table "$1" /fit/means; "$DIFFGEO" table "$1" /fit/covs --slice 0; "$DIFFGEO" table "$1" /sigmas; }
ends() { fit "$1"; "$DIFFGEO" table "$1" /trajectory --slice 0; "$DIFFGEO" table "$1" /trajectory --slice -1; }

wrote=
echo "# solver kind h mean_error max_error" >"$txt"
fdres=
for s in heun dpm2; do
    f=$base-$s-fd.h5
    run --solver "$s" --steps 17 -o "$f"
    wrote="$wrote $f"
    r=$({ fit "$f"
          for i in $(seq 0 16); do "$DIFFGEO" table "$f" /trajectory --slice "$i"; done
          for i in $(seq 0 15); do "$DIFFGEO" table "$f" /denoised --slice "$i"; done; } |
        awk -f "$awkf" -v mode=fd -v solver="$s")
    fdres="$fdres$s $r
"
    k=0
    for h in $hs; do
        f=$base-$s-local-$k.h5
        run --solver "$s" --sigma-max 2 --sigma-min "$(awk -v h="$h" 'BEGIN { print 2 - h }')" --steps 2 -o "$f"
        ends "$f" | awk -f "$awkf" -v mode=end | awk -v s="$s" '{ print s, "local", $0 }' >>"$txt"
        wrote="$wrote $f"; k=$((k + 1))
    done
    for g in $grids; do
        f=$base-$s-global-$g.h5
        run --solver "$s" --steps "$g" -o "$f"
        ends "$f" | awk -f "$awkf" -v mode=end | awk -v s="$s" '{ print s, "global", $0 }' >>"$txt"
        wrote="$wrote $f"
    done
done

dg_draw "$name.gp" "$base.png" "$txt" "$n"
# shellcheck disable=SC2086
dg_wrote $wrote "$txt" "$base.png"
echo "headline (one Gaussian in d = 2, fitted to 1000 rows; $n starts; errors against the closed-form solution):"
printf '%s' "$fdres" | awk '{ printf "  %s rebuilt as Euler + finite difference of d: largest relative difference %.2e per step (D against the closed form: %.2e)\n", $1, $2, $3 }'
awk '!/^#/ { k = $1 " " $2; if (k in prev) printf "  %s %s error: h %.4g -> %.4g: mean %.3e -> %.3e, observed order %.3f\n", $1, $2, ph[k], $3, prev[k], $4, log(prev[k] / $4) / log(ph[k] / $3)
             prev[k] = $4; ph[k] = $3 }' "$txt"
dg_elapsed
