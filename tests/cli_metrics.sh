#!/bin/sh
# `diffgeo analyze` against tests/check_metrics.py, an independent numpy implementation
# of the measurements of doc/theory.md §3 and §6: runs of diffgeo sample (the run's own
# denoiser on a subset of the reference data, and the reference itself), and run files
# written by experiments/export_from_pytorch.py with and without /config.
. "$srcdir/tests/lib.sh"

if ! have_python; then
    skip_all "python3 with numpy and h5py not available"
fi

CHECK="$srcdir/tests/check_metrics.py"
EXPORT="$srcdir/experiments/export_from_pytorch.py"

# py ARGS...: run a Python script; its stderr becomes TAP diagnostics.
py() {
    "$PYTHON3" "$@" 2>"$WORK/py.err"
    py_rc=$?
    sed 's/^/# /' "$WORK/py.err"
    return $py_rc
}

# analyze_and_check NAME ANALYZE-ARGS... -- CHECK-ARGS...: one TAP test.
analyze_and_check() {
    name=$1
    shift
    set -- "$@" --
    analyze_args=
    while [ "$1" != "--" ]; do
        analyze_args="$analyze_args $1"
        shift
    done
    shift
    check_args=
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        check_args="$check_args $1"
        shift
    done
    # shellcheck disable=SC2086 # the argument lists hold words without blanks
    run_diffgeo analyze "$WORK/$name.h5" $analyze_args
    if [ "$rc" -ne 0 ]; then
        sed 's/^/# /' "$WORK/err"
        ok 1 "$name: diffgeo analyze$analyze_args (exit $rc)"
        return
    fi
    # shellcheck disable=SC2086
    py "$CHECK" "$WORK/$name.h5" $check_args
    ok $? "$name: check_metrics.py of diffgeo analyze$analyze_args"
}

# attr FILE DATASET ATTRIBUTE: print an attribute of a dataset.
attr() {
    "$PYTHON3" -c 'import sys, h5py
print(h5py.File(sys.argv[1], "r")[sys.argv[2]].attrs.get(sys.argv[3], ""))' "$@"
}

py "$srcdir/tests/crosscheck.py" make-data "$WORK/a.h5" --n 300 --d 12 --offset 3 --seed 5
ok $? "make-data writes 300 x 12 points"
A="h5:$WORK/a.h5:/x"

# 1. The run's denoiser is D* of the first 150 rows, the reference all 300.
"$DIFFGEO" sample -q --data "$A" --limit 150 --solver euler --steps 15 -n 4 -o "$WORK/half.h5"
analyze_and_check half --reference "$A" --window 5 -- \
    --reference "$WORK/a.h5" --run-data "$WORK/a.h5" --run-limit 150 --window 5

# 2. Heun into σ = 0 on the reference data itself: x* = x and D* = D to the bit.
"$DIFFGEO" sample -q --data "$A" --solver heun --steps 9 --final-zero -n 3 -o "$WORK/self.h5"
analyze_and_check self --reference "$A" -- --reference "$WORK/a.h5" --run-data "$WORK/a.h5"
"$PYTHON3" -c 'import sys, h5py, numpy as np
m = h5py.File(sys.argv[1], "r")["metrics"]
sys.exit(not all(np.all(m[k][()] == 0) for k in
         ("distance_to_optimal", "denoised_vs_optimal", "score_deviation", "optimal_self")))' \
    "$WORK/self.h5"
ok $? "self: with the run's own data as reference the four distances are exactly 0"

# 3. An external run file (the exporter's numpy loop), /config/solver = euler.
py "$EXPORT" "$WORK/ext.h5" --data-out "$WORK/toy.h5" --n 5 --steps 13 >/dev/null
ok $? "export_from_pytorch.py writes a run file and its training data"
analyze_and_check ext --reference "h5:$WORK/toy.h5:/x" --window 7 -- \
    --reference "$WORK/toy.h5" --window 7
attr "$WORK/ext.h5" /metrics/score_deviation note | grep -q "optimal_self not written.*gaussian-fit"
ok $? "ext: the note says why optimal_self is missing"

# 4. The same without /config: euler is assumed, and the note says so.
cp "$WORK/ext.h5" "$WORK/bare.h5"
"$PYTHON3" -c 'import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    del f["config"], f["metrics"]' "$WORK/bare.h5"
analyze_and_check bare --reference "h5:$WORK/toy.h5:/x" --window 7 -- \
    --reference "$WORK/toy.h5" --window 7
attr "$WORK/bare.h5" /metrics/distance_to_optimal note | grep -q "euler assumed"
ok $? "bare: the note of distance_to_optimal says that euler was assumed"

# 5. A run whose data are gone: a stale optimal_self is removed, with a note
# (--trust-config: the run's data are not the reference's).
cp "$WORK/a.h5" "$WORK/moved.h5"
"$DIFFGEO" sample -q --data "h5:$WORK/moved.h5:/x" --solver euler --steps 6 -n 2 \
    -o "$WORK/gone.h5"
"$DIFFGEO" analyze "$WORK/gone.h5" --reference "$A" --trust-config -q &&
    "$DIFFGEO" info "$WORK/gone.h5" | grep -q "/metrics/optimal_self"
ok $? "gone: optimal_self is written while the run's data exist"
rm "$WORK/moved.h5"
"$DIFFGEO" analyze "$WORK/gone.h5" --reference "$A" --trust-config -q &&
    ! "$DIFFGEO" info "$WORK/gone.h5" | grep -q "/metrics/optimal_self" &&
    attr "$WORK/gone.h5" /metrics/score_deviation note | grep -q "cannot re-create"
ok $? "gone: without the run's data the old optimal_self is removed and the note says why"

# 6. The arrays written and the table of analyze --help (generated from the
# library's dg_metric_infos) are the same: each name once, with the same shape
# (half.h5: T = 14 steps, n = 4 samples).
"$DIFFGEO" analyze --help >"$WORK/help.txt"
sed -n 's/^[ R] \([a-z0-9_]*\)  *\(\[[^ ]*\]\).*/\1 \2/p' "$WORK/help.txt" |
    awk '{ s = $2; gsub(/T\+1/, "15", s); gsub(/T/, "14", s); gsub(/n/, "4", s)
           gsub(/\]\[/, " × ", s); print $1, s }' | sort >"$WORK/table.txt"
"$DIFFGEO" info "$WORK/half.h5" |
    sed -n 's|^ */metrics/\([a-z0-9_]*\)  *float64  *\(\[.*\]\)$|\1 \2|p' | sort >"$WORK/written.txt"
[ "$(wc -l <"$WORK/written.txt")" -eq 23 ] && [ "$(cut -d' ' -f1 "$WORK/table.txt" | uniq -d)" = "" ] &&
    diff "$WORK/table.txt" "$WORK/written.txt" >"$WORK/table.diff"
ok $? "analyze writes exactly the $(wc -l <"$WORK/table.txt") arrays of its --help table, with their shapes"
sed 's/^/# /' "$WORK/table.diff"

done_testing
