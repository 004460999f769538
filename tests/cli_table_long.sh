#!/bin/sh
# `diffgeo table`: the long format for lines (--long), --digits, integers
# printed exactly, --reduce on empty rows and on NaN, and --sigma only beside
# arrays whose row axis is the σ grid.  Expected values come from h5py and
# numpy reading the same file, never from an earlier run of the tool.
. "$srcdir/tests/lib.sh"

have_python || skip_all "needs /usr/bin/python3 with numpy and h5py"

"$DIFFGEO" sample -q --data synthetic:gauss2d --solver euler -n 4 --steps 6 -o "$WORK/run.h5"
ok $? "a 2-D run of 4 trajectories"

# --long: trajectory by trajectory, step by step, a blank line between.
"$DIFFGEO" table "$WORK/run.h5" /trajectory --long >"$WORK/long.txt"
ok $? "table /trajectory --long"
"$PYTHON3" - "$WORK/run.h5" "$WORK/long.txt" <<'PY'
import sys, h5py, numpy as np
x = h5py.File(sys.argv[1], "r")["/trajectory"][()]
text = open(sys.argv[2]).read()
assert text.startswith("# grid sample c0 c1\n"), text[:40]
blocks = text.split("\n", 1)[1].rstrip("\n").split("\n\n")
assert len(blocks) == x.shape[1], len(blocks)
for j, b in enumerate(blocks):
    lines = b.split("\n")
    assert len(lines) == x.shape[0], (j, len(lines))
    for i, line in enumerate(lines):
        f = line.split()
        assert int(f[0]) == i and int(f[1]) == j, line
        assert [float(v) for v in f[2:]] == list(x[i, j]), (line, x[i, j])
PY
ok $? "--long: one line per (step, trajectory, coordinates), exact, blank line between trajectories"

"$DIFFGEO" table "$WORK/run.h5" /trajectory --long --sigma --digits 5 >"$WORK/long5.txt"
ok $? "table /trajectory --long --sigma --digits 5"
"$PYTHON3" - "$WORK/run.h5" "$WORK/long5.txt" <<'PY'
import sys, h5py
f = h5py.File(sys.argv[1], "r")
x, s = f["/trajectory"][()], f["/sigmas"][()]
lines = open(sys.argv[2]).read().split("\n")
assert lines[0] == "# grid sigma sample c0 c1", lines[0]
rows = [l.split() for l in lines[1:] if l.strip()]
assert len(rows) == x.shape[0] * x.shape[1]
for r in rows:
    i, j = int(r[0]), int(r[2])
    want = ["%.5g" % s[i]] + ["%.5g" % v for v in x[i, j]]
    assert [r[1]] + r[3:] == want, (r, want)
PY
ok $? "--digits 5 prints 5 significant digits; --sigma adds /sigmas[step]"

"$DIFFGEO" table "$WORK/run.h5" /trajectory --slice 0 --long >"$WORK/long2.txt" 2>"$WORK/err"
[ $? -eq 0 ] && awk 'NF == 0 { blank++ } END { exit blank != 1 }' "$WORK/long2.txt" &&
    head -n 1 "$WORK/long2.txt" | grep -q '^# sample dim value$' &&
    [ "$(grep -c '^[0-9]' "$WORK/long2.txt")" -eq 8 ]
ok $? "--long on two axes: one value per line, a block per column"

# Integers are read and printed exactly; floats keep 17 digits.
"$PYTHON3" - "$WORK/ints.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["i64"] = np.array([2**53 + 1, -2**63, 2**63 - 1], dtype=np.int64)
    f["u64"] = np.array([2**64 - 1, 2**53 + 1], dtype=np.uint64)
    f["i8"] = np.array([[-128, 127], [0, -1]], dtype=np.int8)
    f["nan"] = np.array([[np.nan, 1.0], [1.0, 3.0], [np.nan, np.nan], [np.inf, 2.0]])
    f["empty"] = np.zeros((3, 0))
PY
"$DIFFGEO" table "$WORK/ints.h5" /i64 | awk '!/^#/ { print $2 }' | tr '\n' ' ' >"$WORK/i64.txt"
[ "$(cat "$WORK/i64.txt")" = "9007199254740993 -9223372036854775808 9223372036854775807 " ]
ok $? "int64 2^53+1, min and max print exactly"
"$DIFFGEO" table "$WORK/ints.h5" /u64 | awk '!/^#/ { print $2 }' | tr '\n' ' ' >"$WORK/u64.txt"
[ "$(cat "$WORK/u64.txt")" = "18446744073709551615 9007199254740993 " ]
ok $? "uint64 2^64-1 and 2^53+1 print exactly"
"$DIFFGEO" table "$WORK/ints.h5" /i8 --digits 1 | awk '!/^#/' | tr '\n' ' ' >"$WORK/i8.txt"
[ "$(cat "$WORK/i8.txt")" = "0 -128 127 1 0 -1 " ]
ok $? "int8 prints as integers (--digits is for floats)"

# --reduce: statistics over the values that are not NaN, and their count.
"$DIFFGEO" table "$WORK/ints.h5" /nan --reduce >"$WORK/nan.txt"
ok $? "table --reduce on rows with NaN"
"$PYTHON3" - "$WORK/nan.txt" <<'PY'
import sys, math
lines = open(sys.argv[1]).read().split("\n")
assert lines[0] == "# index mean std min max nan", lines[0]
rows = [l.split() for l in lines[1:] if l]
want = [["0", "1", "0", "1", "1", "1"], ["1", "2", "1", "1", "3", "0"],
        ["2", "nan", "nan", "nan", "nan", "2"]]
assert rows[:3] == want, rows
# a row with +inf: mean and max inf, std NaN (inf - inf), as numpy says
assert rows[3][0] == "3" and rows[3][1] == "inf" and rows[3][3] == "2" and rows[3][4] == "inf" \
    and math.isnan(float(rows[3][2])) and rows[3][5] == "0", rows[3]
PY
ok $? "--reduce: [nan, 1] gives mean = min = max = 1 and nan = 1; all NaN gives nan and 2"
expect_error "--reduce on empty rows" 1 - "empty" "/empty" -- table "$WORK/ints.h5" /empty --reduce

# --sigma only where the row axis is the σ grid.
expect_error "--sigma on /samples" 1 - "/samples" "'sample'" "not the σ grid" -- \
    table "$WORK/run.h5" /samples --sigma
expect_error "--sigma on /trajectory --slice 1" 1 - "'sample'" -- \
    table "$WORK/run.h5" /trajectory --slice 1 --sigma
expect_error "--sigma on an unlabelled array" 1 - "no label" -- \
    table "$WORK/ints.h5" /nan --sigma
expect_error "--long --sigma on [sample][dim]" 1 - "'sample'" -- \
    table "$WORK/run.h5" /trajectory --slice 0 --long --sigma

expect_error "--digits 0" 2 - "--digits 0" -- table "$WORK/run.h5" /sigmas --digits 0
expect_error "--digits 18" 2 - "--digits 18" -- table "$WORK/run.h5" /sigmas --digits 18
expect_error "--long and --reduce" 2 - "exclude" -- table "$WORK/run.h5" /trajectory --long --reduce
expect_error "--long on one axis" 2 - "--long needs" -- table "$WORK/run.h5" /sigmas --long

done_testing
