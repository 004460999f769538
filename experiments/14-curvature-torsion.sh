#!/bin/sh
# 14-curvature-torsion.sh: doc/theory.md §6 and §8 experiment 14, curvature and torsion of the 3-D
# curve {u, PC1, PC2} of a fine sampling trajectory.
#
#   experiments/14-curvature-torsion.sh [--quick] [OUTDIR]
#
# The paper: a 1000-step uniform-σ trajectory (1001 timestamps, σ 80 → 0.002, EDM grid with
# ρ = 1), κ and τ from a local cubic least-squares fit in arc length over a 101-point window.
# Full size here: 1001 timestamps, window 101, 4 trajectories, the first 10000 images (all
# 60000 would take about 10 minutes per run on two cores).  --quick: 201 timestamps, window 21,
# 4 trajectories, the first 3000 images.
# Writes OUTDIR/14-curvature-torsion.h5 (with /metrics) and 14-curvature-torsion.png.
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
. "$script_dir/lib.sh"
dg_setup "$@"

steps=$(dg_size 201 1001)
window=$(dg_size 21 101)
n=4
name=14-curvature-torsion
run=$outdir/$name.h5
[ -n "$limit" ] || limit="--limit 10000"
dg_sample main "$run" "$n" --solver euler --schedule edm --rho 1 --steps "$steps"
dg analyze "$run" --window "$window" -q
dg_draw $name.gp "$outdir/$name.png" "$DIFFGEO" "$run" "$window"
dg_wrote "$run" "$outdir/$name.png"

echo "headline ($(dg_name main); $n trajectories, Euler, $steps uniform-sigma timestamps, window $window):"
for m in curvature torsion; do
    "$DIFFGEO" table "$run" /metrics/$m --sigma | awk -v m="$m" '
        /^#/ { next }
        { for (j = 3; j <= NF; j++) if ($j != "NaN" && $j != "nan") { v = $j < 0 ? -$j : $j
              if (!c || v > hi) { hi = v; shi = $2 }; if (!c || v < lo) lo = v; c++ } }
        END { printf "  |%s|: smallest %.4g, largest %.4g (at sigma %.4g), over %d finite points\n", m, lo, hi, shi, c }'
done
dg_elapsed
