#!/bin/sh
# headline.sh: the headline experiment of the README.
#
#   experiments/headline.sh [--quick] [OUTDIR]
#
# Samples 16 trajectories of the probability-flow ODE with the exact optimal denoiser (EDM Heun,
# 18 timestamps from sigma = 80 to 0.002), measures their geometry and draws two figures:
#   OUTDIR/quickstart.h5               the run file (with /metrics)
#   OUTDIR/quickstart-geometry.png     deviation from the start-end line, distance to the end
#   OUTDIR/quickstart-trajectories.png images along the sampling and denoising trajectories
# Data: Fashion-MNIST (Debian package dataset-fashion-mnist) when installed, otherwise a
# synthetic Gaussian mixture with 28x28 images.  --quick uses the first 5000 images only.
# Environment: DIFFGEO (the diffgeo tool; default ../diffgeo next to this script, the build
# tree, else `diffgeo` on PATH), GNUPLOT (default gnuplot).  OUTDIR defaults to results.
# Option parsing, data choice and tool discovery are experiments/lib.sh's.
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=experiments/lib.sh
. "$script_dir/lib.sh"
dg_setup "$@"
for f in trajectory_geometry.gp trajectory_grid.gp; do
    [ -r "$plots_dir/$f" ] || dg_die "cannot find the plot script $plots_dir/$f"
done
# --quick here keeps 5000 images (the experiments keep 3000)
[ "$quick" -eq 0 ] || limit="--limit 5000"

run=$outdir/quickstart.h5
geo_png=$outdir/quickstart-geometry.png
traj_png=$outdir/quickstart-trajectories.png

echo "$prog: sampling ($data${limit:+, $limit})" >&2
# $limit is empty or two words: leave it unquoted
# shellcheck disable=SC2086
"$DIFFGEO" sample --data "$data" $limit -n 16 --solver heun --steps 18 \
    --sigma-max 80 --sigma-min 0.002 -o "$run"
"$DIFFGEO" analyze "$run"

echo "$prog: drawing the figures" >&2
dg_draw trajectory_geometry.gp "$run" "$geo_png" "$DIFFGEO"
dg_draw trajectory_grid.gp "$run" "$traj_png" "$DIFFGEO" 4

# ---- headline numbers ------------------------------------------------------------------------
chord=$("$DIFFGEO" table "$run" /metrics/chord |
        awk '!/^#/ { s += $2; n++ } END { if (n) printf "%.6g", s / n }')
dev=$("$DIFFGEO" table "$run" /metrics/deviation --reduce --sigma |
      awk '!/^#/ && (!set || $3 > m) { m = $3; s = $2; set = 1 } END { printf "%.6g %.6g", m, s }')
dev_d=$("$DIFFGEO" table "$run" /metrics/deviation_denoised --reduce --sigma |
        awk '!/^#/ && (!set || $3 > m) { m = $3; set = 1 } END { printf "%.6g", m }')
chord_d=$("$DIFFGEO" table "$run" /metrics/distance_to_end_denoised --reduce --sigma |
          awk '!/^#/ { printf "%.6g", $3; exit }')
nfe=$("$DIFFGEO" info "$run" | awk '$1 == "nfe" { print $2; exit }')
{ [ -n "$chord" ] && [ -n "$nfe" ]; } || dg_die "cannot read the headline numbers from $run"

dg_wrote "$run" "$geo_png" "$traj_png"
echo "headline ($data${limit:+, $limit}; 16 trajectories, Heun, 18 timestamps, sigma 80 -> 0.002):"
echo "$dev $chord" | awk '{ printf "  sampling trajectory: max over sigma of the mean deviation from the start-end line = %.3g (at sigma = %.3g) = %.2f %% of the mean chord length %.1f\n", $1, $2, 100 * $1 / $3, $3 }'
echo "$dev_d $chord_d" | awk '{ if ($2 > 0) printf "  denoising trajectory: max mean deviation = %.3g = %.1f %% of its mean chord length %.3g\n", $1, 100 * $1 / $2, $2 }'
echo "  NFE (denoiser evaluations per trajectory) = $nfe"
