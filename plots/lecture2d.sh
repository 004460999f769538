#!/bin/sh
# lecture2d.sh: the 2-D lecture figure (four panels) and the animation of
# samples flowing from noise to data, from a built-in 2-D mixture.
#
#   plots/lecture2d.sh [DATA [OUTDIR]]     DATA: synthetic:gauss2d (default) or synthetic:rings
#
# Writes OUTDIR/lecture2d.png and OUTDIR/flow.gif (OUTDIR: lecture2d-NAME), and
# keeps the run files and the tables gnuplot reads beside them.  The diffgeo
# tool is $DIFFGEO, else `diffgeo` on the PATH.  About a minute on 2 cores.
set -eu
DG=${DIFFGEO:-diffgeo}
DATA=${1:-synthetic:gauss2d}
NAME=$(printf '%s' "${DATA#synthetic:}" | tr -c 'A-Za-z0-9_-' _)
OUT=${2:-lecture2d-$NAME}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"

# The field: density at σ = 0.02 (the data's own, nearly), the score at σ = 0.3;
# 400 rows drawn from the mixture go to /data.
"$DG" field -q --data "$DATA" --samples 400 --denoiser gmm --sigma 0.02,0.3 --grid 101 \
    -o "$OUT/field.h5"
# Sampling (Heun, 30 steps) from σ = 80: trajectories x_i and denoised D(x_i; σ_i).
"$DG" sample -q --data "$DATA" --solver heun --steps 30 -n 24 --seed 3 -o "$OUT/sample.h5"
# Gaussian mean shift with bandwidth 0.3 from 60 of the rows.
"$DG" meanshift -q --data "h5:$OUT/field.h5:/data" --limit 60 --bandwidth 0.3 \
    -o "$OUT/meanshift.h5"
# The animation: 300 samples by Euler from σ = 3 over 60 steps (EDM grid with ρ = 3:
# steps spread more evenly than ρ = 7), on a wider field.
"$DG" sample -q --data "$DATA" --solver euler --steps 60 --sigma-max 3 --rho 3 -n 300 --seed 5 \
    -o "$OUT/flow.h5"
"$DG" field -q --data "$DATA" --denoiser gmm --sigma 0.05 --grid 141 --range -5,5,-5,5 \
    -o "$OUT/flow-field.h5"

tab() { "$DG" table "$@" --digits 6; }
tab "$OUT/field.h5" /field/logp --slice 0 --long >"$OUT/density.txt"
tab "$OUT/field.h5" /field/score --slice 1 --long >"$OUT/score.txt"
tab "$OUT/field.h5" /plane/data >"$OUT/data.txt"
tab "$OUT/sample.h5" /trajectory --long >"$OUT/trajectories.txt"
tab "$OUT/sample.h5" /denoised --long >"$OUT/denoised.txt"
tab "$OUT/meanshift.h5" /path --long >"$OUT/meanshift.txt"
tab "$OUT/flow.h5" /trajectory --long --sigma >"$OUT/flow.txt"
tab "$OUT/flow-field.h5" /field/logp --slice 0 --long >"$OUT/flow-density.txt"

# The grid of a field: first value and spacing of /grid/u and /grid/v.
axis() { "$DG" table "$1" "$2" | awk '!/^#/ { v[n++] = $2 } END { printf "%.17g,%.17g", v[0], v[1] - v[0] }'; }
gnuplot -e "OUT='$OUT'; DATA='$DATA'; UG='$(axis "$OUT/field.h5" /grid/u)'; VG='$(axis "$OUT/field.h5" /grid/v)'" \
    "$HERE/lecture2d.gp"
gnuplot -e "OUT='$OUT'; DATA='$DATA'; UG='$(axis "$OUT/flow-field.h5" /grid/u)'; VG='$(axis "$OUT/flow-field.h5" /grid/v)'" \
    "$HERE/flow2d.gp"
echo "$OUT/lecture2d.png $OUT/flow.gif"
