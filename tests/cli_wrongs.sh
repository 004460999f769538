#!/bin/sh
# shellcheck source=tests/lib.sh disable=SC2086,SC2154
# (SC2086: option lists in variables are split on purpose; SC2154: srcdir and
# rc come from the test environment and lib.sh.)
# Silent wrongs of issue 14 (findings 7 and 9): inputs on which a command
# wrote NaN or a wrong answer and exited 0 now fail with one line and no
# file; table and info print what the file holds, exactly and safely.
# Inputs are made with /usr/bin/python3 (numpy, h5py), expected outputs too.
. "$srcdir/tests/lib.sh"

have_python || skip_all "needs $PYTHON3 with numpy and h5py"

# py CODE: runs Python in $WORK with numpy as np and h5py imported.
py() {
    (cd "$WORK" && "$PYTHON3" -c "import numpy as np, h5py
$1")
}

py "
rng = np.random.RandomState(0)
np.save('d.npy', rng.randn(20, 2))
np.save('init160.npy', np.full((2, 2), 1e160))
np.save('init300.npy', np.full((2, 2), 1e300))
np.save('d160.npy', np.arange(1, 6)[:, None] * np.full((5, 2), 1e160))
np.save('d100.npy', rng.rand(30, 3) * 100)
np.save('dsmall.npy', rng.rand(30, 3) * 2 - 1)
np.save('opposite.npy', np.array([[1.0, 2.0], [-1.0, -2.0]]))
"
out=$WORK/out.h5

# ------------------------------------------------------------------ finding 7: no NaN written

for init in init160 init300; do
    expect_error "meanshift --init rows of ${init#init} ones, --bandwidth 0.5" 1 "$out" \
        "squared distances overflow" -- \
        meanshift -q --data "npy:$WORK/d.npy" --init "npy:$WORK/$init.npy" --bandwidth 0.5 -o "$out"
done
expect_error "meanshift on data of 1e160 with --bandwidth 1e159" 1 "$out" \
    "squared distances overflow" -- \
    meanshift -q --data "npy:$WORK/d160.npy" --bandwidth 1e159 -o "$out"
expect_error "meanshift --anneal list:1e300,1" 1 "$out" "squared distances overflow" -- \
    meanshift -q --data "npy:$WORK/d.npy" --anneal list:1e300,1 -n 2 -o "$out"
expect_error "sample --schedule list:1e300,1 says the same" 1 "$out" \
    "squared distances overflow" -- \
    sample -q --data "npy:$WORK/d.npy" --schedule list:1e300,1 -n 2 -o "$out"

# ------------------------------------------------------------------ finding 9

expect_error "sample --threshold on data in [0, 100]" 1 "$out" \
    "--threshold is only for data in [-1, 1]" "row 0" -- \
    sample -q --data "npy:$WORK/d100.npy" --threshold -n 2 -o "$out"
expect_error "sample --threshold on a distribution" 1 "$out" \
    "--threshold needs data rows in [-1, 1]" -- \
    sample -q --data synthetic:rings --threshold -n 2 -o "$out"
run_diffgeo sample -q --data "npy:$WORK/dsmall.npy" --threshold -n 2 -o "$out"
[ $rc -eq 0 ] && [ -s "$out" ]
ok $? "sample --threshold on data in [-1, 1] still runs: $(cat "$WORK/err")"
rm -f "$out"

expect_error "gits --coeff 1e300 overflows the programme" 1 "$out" \
    "GITS: the weighted cost of 6 steps overflows" -- \
    gits -q --data synthetic:gmm,n=100,d=2 --coeff 1e300 -o "$out"

expect_error "interpolate: slerp between opposite starts" 1 "$out" \
    "slerp between opposite start points" -- \
    interpolate -q --data "npy:$WORK/d.npy" --init "npy:$WORK/opposite.npy" -o "$out"
run_diffgeo interpolate -q --data "npy:$WORK/d.npy" --init "npy:$WORK/opposite.npy" \
    --method lerp -o "$out"
[ $rc -eq 0 ] && [ -s "$out" ]
ok $? "interpolate --method lerp between the same opposite starts still runs: $(cat "$WORK/err")"
rm -f "$out"

done_testing
