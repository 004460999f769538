#!/bin/sh
# lecture2d.sh: the 2-D lecture figure (four panels) and the animation of
# samples flowing from noise to data, for 2-D data rows or a 2-D mixture.
#
#   plots/lecture2d.sh [--steps N] [DATA [OUTDIR]]
#
# DATA: a 2-D mixture (synthetic:gauss2d, the default; synthetic:rings;
# gmm:FILE), drawn from with the exact mixture denoiser, or 2-D data rows
# (synthetic:moons, spiral, checkerboard, npy:data/moons-500.npy, ...), drawn
# from with the empirical denoiser D*.  --steps N: the σ grid points of the
# animation's Euler run (as for `diffgeo sample --steps`: N − 1 steps), one
# frame each, from the noise ("start") to "step N − 1 of N − 1", then 12 frames
# that hold the end [60]; fewer make the GIF faster to write.
# Writes OUTDIR/lecture2d.png and OUTDIR/flow.gif (OUTDIR: lecture2d-NAME), and
# keeps the run files and the tables gnuplot reads beside them.  The figure's
# canvas takes the data's aspect; the GIF's view is the data's extent widened by
# 2σ of each step, so it closes in on the data as σ falls.  The diffgeo tool is
# $DIFFGEO, else `diffgeo` on the PATH.  About a minute on 2 cores, most of it
# writing the GIF.
set -eu
DG=${DIFFGEO:-diffgeo}
STEPS=60
while [ $# -gt 0 ]; do
    case $1 in
    --steps)
        [ $# -ge 2 ] && [ "$2" -ge 1 ] 2>/dev/null || {
            echo "lecture2d.sh: --steps needs a whole number >= 1" >&2
            exit 2
        }
        STEPS=$2
        shift 2 ;;
    -h | --help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 0 ;;
    -*) echo "lecture2d.sh: unknown option '$1' (see --help)" >&2; exit 2 ;;
    *) break ;;
    esac
done
DATA=${1:-synthetic:gauss2d}
# a mixture: its exact denoiser, and 400 rows drawn from it as the data points
# (field stores them as /samples_data); data rows: the empirical denoiser of the
# rows themselves (stored as /data)
case $DATA in
gmm:* | synthetic:gauss2d* | synthetic:rings*) ROWS="--samples 400 --denoiser gmm" ROWSET=samples_data ;;
*) ROWS="--denoiser empirical" ROWSET=data ;;
esac
NAME=$(printf '%s' "${DATA#synthetic:}" | tr -c 'A-Za-z0-9_-' _)
OUT=${2:-lecture2d-$NAME}
HERE=$(cd "$(dirname "$0")" && pwd)
mkdir -p "$OUT"

# The field: density at σ = 0.02 (the data's own, nearly), the score at σ = 0.3;
# the rows go to /data (or /samples_data) and, in plane coordinates, /plane/data
# (or /plane/samples_data).
"$DG" field -q --data "$DATA" $ROWS --sigma 0.02,0.3 --grid 101 \
    -o "$OUT/field.h5"
# Sampling (Heun, 30 steps) from σ = 80: trajectories x_i and denoised D(x_i; σ_i).
"$DG" sample -q --data "$DATA" --solver heun --steps 30 -n 24 --seed 3 -o "$OUT/sample.h5"
# Gaussian mean shift with bandwidth 0.3 from 60 of the rows.
"$DG" meanshift -q --data "h5:$OUT/field.h5:/$ROWSET" --limit 60 --bandwidth 0.3 \
    -o "$OUT/meanshift.h5"
# The animation: 300 samples by Euler from σ = 3 over $STEPS steps (EDM grid with ρ = 3:
# steps spread more evenly than ρ = 7), over the density on the same box as the
# figure's field (the data's extent with a margin), finer; flow2d.gp's view is that
# box widened by 2σ of each step, so it closes in on the data as the samples do.
"$DG" sample -q --data "$DATA" --solver euler --steps "$STEPS" --sigma-max 3 --rho 3 -n 300 --seed 5 \
    -o "$OUT/flow.h5"
# first and last value of a grid axis of a field, "first,last"
ends() { "$DG" table "$1" "$2" | awk '!/^#/ { v[n++] = $2 } END { printf "%.17g,%.17g", v[0], v[n - 1] }'; }
"$DG" field -q --data "$DATA" $ROWS --sigma 0.05 --grid 141 \
    --range "$(ends "$OUT/field.h5" /grid/u),$(ends "$OUT/field.h5" /grid/v)" -o "$OUT/flow-field.h5"

tab() { "$DG" table "$@" --digits 6; }
tab "$OUT/field.h5" /field/logp --slice 0 --long >"$OUT/density.txt"
tab "$OUT/field.h5" /field/score --slice 1 --long >"$OUT/score.txt"
tab "$OUT/field.h5" "/plane/$ROWSET" >"$OUT/data.txt"
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
