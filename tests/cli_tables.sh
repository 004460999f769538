#!/bin/sh
# `diffgeo analyze` and `diffgeo table`: metrics land in the file, tables
# have the promised columns, and a reader that stops early is not an error.
. "$srcdir/tests/lib.sh"

"$DIFFGEO" sample --data synthetic:gmm,n=500,d=64,k=4 -n 5 --steps 8 --final-zero \
    -o "$WORK/run.h5"
run_diffgeo analyze "$WORK/run.h5"
ok $rc "analyze succeeds"
"$DIFFGEO" info "$WORK/run.h5" >"$WORK/info.txt"
for m in deviation:"9 × 5" deviation_denoised:"8 × 5" distance_to_end:"9 × 5" \
    distance_to_end_denoised:"8 × 5" norm_x:"9 × 5" norm_denoised:"8 × 5" cosine:"8 × 5" chord:"5" \
    norm_d:"8 × 5" pca2_error:"9 × 5" coords3d:"9 × 5 × 3" curvature:"9 × 5" torsion:"9 × 5"; do
    name=${m%%:*} shape=${m#*:}
    grep -q "/metrics/$name  *float64  *\[$shape\]" "$WORK/info.txt"
    ok $? "/metrics/$name has shape [$shape]"
done

"$DIFFGEO" table "$WORK/run.h5" /metrics/deviation --reduce --sigma >"$WORK/dev.txt"
head -n 1 "$WORK/dev.txt" | grep -q "^# index sigma mean std min max nan$"
ok $? "reduced table header"
awk '!/^#/ { n++; if (NF != 7) bad = 1 } END { exit (bad || n != 9) }' "$WORK/dev.txt"
ok $? "reduced table: 9 rows of 7 columns"
awk '!/^#/ && ($1 == 0 || $1 == 8) { if ($3 != 0 || $6 != 0) bad = 1 } END { exit bad }' "$WORK/dev.txt"
ok $? "deviation is zero at both ends"

"$DIFFGEO" table "$WORK/run.h5" /trajectory --slice 3,1 --image >"$WORK/img.txt"
awk '!/^#/ { n++; if (NF != 8) bad = 1 } END { exit (bad || n != 8) }' "$WORK/img.txt"
ok $? "--image prints an 8 × 8 matrix for d = 64"

# chord = distance_to_end at index 0.
"$DIFFGEO" table "$WORK/run.h5" /metrics/chord | awk '!/^#/ { print $2 }' >"$WORK/c1.txt"
"$DIFFGEO" table "$WORK/run.h5" /metrics/distance_to_end --slice 0 | awk '!/^#/ { print $2 }' >"$WORK/c2.txt"
cmp -s "$WORK/c1.txt" "$WORK/c2.txt"
ok $? "chord equals the first distance to the end"

# A reader that stops after one line (gnuplot, head) gives EPIPE: quiet
# success.  2000 rows of 64 values are far more than a pipe buffer holds.
"$DIFFGEO" sample --data synthetic:gmm,n=500,d=64,k=4 -n 2000 --steps 2 -o "$WORK/big.h5"
status=$( ("$DIFFGEO" table "$WORK/big.h5" /trajectory --slice 0 2>"$WORK/pipe.err"; echo $? >"$WORK/pipe.rc") | head -n 1 >/dev/null; cat "$WORK/pipe.rc")
[ "$status" = 0 ] && [ ! -s "$WORK/pipe.err" ]
ok $? "a closed pipe is a quiet exit 0"

run_diffgeo table "$WORK/run.h5" /trajectory
[ $rc -eq 2 ] && grep -q "slice" "$WORK/err"
ok $? "a 3-D array without --slice is a usage error"
run_diffgeo table "$WORK/run.h5" /sigmas --slice 40
[ $rc -eq 2 ] && grep -q "outside axis 0" "$WORK/err"
ok $? "an index outside the array is a usage error"
# The lists of names in help and messages come from the library's tables:
# every documented solver and schedule is in each list and runs by its name.
SOLVERS="euler heun dpm2 dpmpp2m dpmpp3m ipndm ipndm_v"
SCHEDULES="edm logsnr time-uniform"
run_diffgeo sample --data synthetic:gmm,n=50,d=4,k=2 --solver nonsense -o "$WORK/x.h5"
grep -q "unknown solver 'nonsense' (euler, heun, dpm2, dpmpp2m, dpmpp3m, ipndm, ipndm_v)" "$WORK/err"
ok $? "the unknown-solver message lists the solvers"
run_diffgeo schedule --schedule nonsense
grep -q "unknown schedule 'nonsense' (edm, logsnr, time-uniform, list:…, h5:…)" "$WORK/err"
ok $? "the unknown-schedule message lists the schedules"
run_diffgeo gits --data synthetic:gmm,n=50,d=4,k=2 --cost nonsense -o "$WORK/x.h5"
grep -q "unknown cost 'nonsense' (dev, l2, l1)" "$WORK/err"
ok $? "the unknown-cost message lists the costs"
"$DIFFGEO" sample --help >"$WORK/sample-help.txt"
"$DIFFGEO" gits --help | tr '\n' ' ' | tr -s ' ' >"$WORK/gits-help.txt"
for s in $SOLVERS; do
    "$DIFFGEO" sample -q --data synthetic:gmm,n=50,d=4,k=2 --solver "$s" --steps 3 -n 2 \
        -o "$WORK/solver.h5" &&
        [ "$(grep -c "^  $s  *[12]  " "$WORK/sample-help.txt")" -eq 1 ] &&
        sed -n '/^Solver and grid/,/--max-order/p' "$WORK/sample-help.txt" | grep -q "[ ,]$s[ ,]" &&
        grep -o -- "--teacher NAME teacher solver: [^[]*" "$WORK/gits-help.txt" | grep -q "[ ,]$s[ ,]"
    ok $? "solver $s runs by its name and is listed in sample --help (--solver, Solvers) and gits --help"
done
"$DIFFGEO" schedule --help >"$WORK/schedule-help.txt"
"$DIFFGEO" meanshift --help | tr '\n' ' ' | tr -s ' ' >"$WORK/meanshift-help.txt"
for s in $SCHEDULES; do
    "$DIFFGEO" schedule --schedule "$s" --steps 4 >"$WORK/grid.txt" &&
        [ "$(grep -c -v '^#' "$WORK/grid.txt")" -eq 4 ] &&
        [ "$(grep -c "^  $s  " "$WORK/schedule-help.txt")" -eq 1 ] &&
        sed -n '/--schedule NAME/,/--steps/p' "$WORK/schedule-help.txt" | grep -q "[ ,]$s[ ,]" &&
        grep -o -- "--anneal NAME the σ grid: [^:]*" "$WORK/meanshift-help.txt" | grep -q "[ ,]$s[ ,]"
    ok $? "schedule $s runs by its name and is listed in schedule --help and meanshift --help"
done
# Help stays within 80 columns (characters, not bytes).
for c in sample interpolate analyze schedule gits meanshift field table; do
    width=$("$DIFFGEO" "$c" --help | LC_ALL=C.UTF-8 wc -L)
    [ "$width" -le 80 ]
    ok $? "$c --help fits in 80 columns ($width)"
done
done_testing
