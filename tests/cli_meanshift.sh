#!/bin/sh
# shellcheck source=tests/lib.sh disable=SC2086,SC2154
# (SC2086: option lists in variables are split on purpose; SC2154: srcdir and
# rc come from the test environment and lib.sh.)
# `diffgeo meanshift`: the shape of /path, --tol 0, the annealed run against
# `diffgeo sample --solver euler`, the flat kernel against scikit-learn's
# MeanShift (tests/sklearn_meanshift.py; skipped without python3-sklearn), and
# bad input.
. "$srcdir/tests/lib.sh"

data="synthetic:gmm,n=150,d=4,k=3,std=0.2,seed=5"
HELPER="$srcdir/tests/sklearn_meanshift.py"

# attr FILE NAME: a root attribute as `diffgeo info` prints it.
attr() {
    "$DIFFGEO" info "$1" | awk -v name="$2" '$1 == name { print $2; exit }'
}

# same_blocks FILE_A PATH_A FILE_B PATH_B BLOCKS: block i (i < BLOCKS) of two
# rank-3 arrays agrees to 1e-12 relative to the block's largest |value|.
same_blocks() {
    _i=0
    while [ $_i -lt "$5" ]; do
        "$DIFFGEO" table "$1" "$2" --slice $_i >"$WORK/block_a" &&
            "$DIFFGEO" table "$3" "$4" --slice $_i >"$WORK/block_b" || return 1
        awk 'NR == FNR { if (!/^#/) for (k = 2; k <= NF; k++) a[FNR, k] = $k; next }
             /^#/ { next }
             { for (k = 2; k <= NF; k++) {
                   d = $k - a[FNR, k]; if (d < 0) d = -d; if (d > worst) worst = d
                   v = $k < 0 ? -$k : $k; if (v > big) big = v; n++ } }
             END { exit !(n > 0 && worst <= 1e-12 * big) }' "$WORK/block_a" "$WORK/block_b" ||
            return 1
        _i=$((_i + 1))
    done
}

# ------------------------------------------------------------------ Gaussian kernel

# Data in a file, so that /path[0] can be compared with it.
"$DIFFGEO" sample --data $data --steps 4 -n 40 --final-zero -o "$WORK/d.h5"
run_diffgeo meanshift --data "h5:$WORK/d.h5:/samples" --bandwidth 0.35 -o "$WORK/g.h5"
ok $rc "gaussian mean shift on 40 points succeeds: $(cat "$WORK/err")"
iters=$(attr "$WORK/g.h5" iterations)
[ "$iters" -gt 1 ] && [ "$iters" -lt 300 ] &&
    "$DIFFGEO" info "$WORK/g.h5" | grep -q "/path  *float64  *\[$((iters + 1)) × 40 × 4\]"
ok $? "/path is [iterations + 1][n][d] = [$((iters + 1)) × 40 × 4] (converged in $iters)"
"$DIFFGEO" table "$WORK/g.h5" /path --slice 0 >"$WORK/p0.txt"
"$DIFFGEO" table "$WORK/d.h5" /samples >"$WORK/data.txt"
cmp -s "$WORK/p0.txt" "$WORK/data.txt"
ok $? "/path[0] is the data, bit for bit"
"$DIFFGEO" info "$WORK/g.h5" >"$WORK/g.info"
for field in "kernel  *gaussian" "mode  *fixed" "bandwidth  *0.35" "tol  *0.001" "max_iter  *300"; do
    grep -q "$field" "$WORK/g.info"
    ok $? "the file records $field"
done
! grep -q "^/config" "$WORK/g.info"
ok $? "info shows no /config section for a mean-shift file (its settings are at the root)"

run_diffgeo meanshift --data $data --bandwidth 0.35 --tol 0 --max-iter 7 -o "$WORK/t0.h5"
[ $rc -eq 0 ] && [ "$(attr "$WORK/t0.h5" iterations)" = 7 ] &&
    "$DIFFGEO" info "$WORK/t0.h5" | grep -q "/path  *float64  *\[8 × 150 × 4\]"
ok $? "--tol 0 --max-iter 7: exactly 7 iterations, /path [8 × 150 × 4]"

run_diffgeo meanshift --data $data --bandwidth 0.35 --init "h5:$WORK/d.h5:/samples" --max-iter 3 \
    --tol 0 -o "$WORK/init.h5"
"$DIFFGEO" table "$WORK/init.h5" /path --slice 0 >"$WORK/i0.txt"
[ $rc -eq 0 ] && cmp -s "$WORK/i0.txt" "$WORK/data.txt" &&
    "$DIFFGEO" info "$WORK/init.h5" | grep -q "/path  *float64  *\[4 × 40 × 4\]"
ok $? "--init: 40 start points climb on the 150 data points"

# ------------------------------------------------------------------ annealing = Euler

for grid in "--anneal edm --steps 4 --final-zero" "--anneal list:6.5,2.2,0.7,0.05"; do
    sgrid=$(echo "$grid" | sed 's/--anneal/--schedule/')
    "$DIFFGEO" sample --data $data --solver euler $sgrid -n 5 --seed 3 -o "$WORK/s.h5"
    run_diffgeo meanshift --data $data $grid -n 5 --seed 3 -o "$WORK/a.h5"
    T=$(attr "$WORK/a.h5" iterations)
    [ $rc -eq 0 ] && same_blocks "$WORK/a.h5" /path "$WORK/s.h5" /trajectory $((T + 1)) &&
        "$DIFFGEO" table "$WORK/a.h5" /sigmas >"$WORK/sa" && "$DIFFGEO" table "$WORK/s.h5" /sigmas >"$WORK/ss" &&
        cmp -s "$WORK/sa" "$WORK/ss"
    ok $? "meanshift $grid = sample --solver euler $sgrid (seed 3, $T steps, 1e-12)"
done
same_blocks "$WORK/a.h5" /targets "$WORK/s.h5" /denoised 3 &&
    "$DIFFGEO" info "$WORK/a.h5" | grep -q "/targets  *float64  *\[3 × 5 × 4\]" &&
    "$DIFFGEO" info "$WORK/a.h5" | grep -q "mode  *annealed"
ok $? "the annealed /targets [T][n][d] are sample's /denoised; the file says mode annealed"

# ------------------------------------------------------------------ flat kernel = scikit-learn

run_diffgeo meanshift --data $data --kernel flat --bin-seeding -o "$WORK/f.h5"
[ $rc -eq 0 ] && "$DIFFGEO" info "$WORK/f.h5" | grep -q "/labels  *int64  *\[150\]" &&
    "$DIFFGEO" info "$WORK/f.h5" | grep -q "/modes  *float64  *\[$(attr "$WORK/f.h5" modes) × 4\]"
ok $? "flat kernel: int64 /labels [150] and /modes [M × 4]"

# (find_spec looks for scikit-learn without the second it takes to import)
if have_python && "$PYTHON3" -c 'import importlib.util as u, sys
sys.exit(u.find_spec("sklearn") is None)' 2>/dev/null; then
    "$PYTHON3" "$HELPER" blobs "$WORK/b2.h5" --n 240 --d 2 --k 4 --seed 11 &&
        "$PYTHON3" "$HELPER" blobs "$WORK/b5.h5" --n 180 --d 5 --k 3 --seed 12 --spread 0.9 \
            --offset 2.385
    ok $? "blobs: 240 points in 2-D, 180 in 5-D around 2.385"
    : >"$WORK/cases"
    # flat_case NAME DATA BANDWIDTH|estimate BIN_SEEDING MIN_BIN_FREQ
    flat_case() {
        _opts=
        [ "$3" != estimate ] && _opts="--bandwidth $3"
        [ "$4" = 1 ] && _opts="$_opts --bin-seeding"
        [ "$5" != 1 ] && _opts="$_opts --min-bin-freq $5"
        "$DIFFGEO" meanshift --kernel flat --data "h5:$WORK/$2.h5:/x" $_opts -o "$WORK/$1.h5" &&
            echo "$1 $WORK/$2.h5 $WORK/$1.h5 $3 $4 $5" >>"$WORK/cases"
    }
    flat_case est2 b2 estimate 0 1 && flat_case bin2 b2 1.7 1 1 && flat_case freq2 b2 1.1 1 3 &&
        flat_case est5bin b5 estimate 1 1 && flat_case given5 b5 2.385 0 1
    ok $? "diffgeo meanshift --kernel flat on 5 cases"
    # The comparison must be able to fail: a copy with two modes swapped and one label changed.
    cp "$WORK/bin2.h5" "$WORK/swapped.h5"
    "$PYTHON3" -c 'import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    m = f["modes"][...]; m[[0, 1]] = m[[1, 0]]; f["modes"][...] = m
    f["labels"][7] = (f["labels"][7] + 1) % len(m)' "$WORK/swapped.h5"
    echo "swapped $WORK/b2.h5 $WORK/swapped.h5 1.7 1 1" >>"$WORK/cases"
    "$PYTHON3" "$HELPER" compare "$WORK/cases" >"$WORK/sk.out" 2>"$WORK/sk.err"
    sed 's/^/# /' "$WORK/sk.err"
    grep -v "swapped" "$WORK/sk.out" >"$WORK/sk.good"
    while read -r line; do
        case $line in
        "ok "*) ok 0 "scikit-learn agrees: ${line#ok }" ;;
        *) ok 1 "scikit-learn agrees: ${line#not ok }" ;;
        esac
    done <"$WORK/sk.good"
    [ "$(grep -c "^\(not \)\{0,1\}ok " "$WORK/sk.good")" -eq 5 ]
    ok $? "the comparison reported on all 5 cases"
    grep -q "^not ok swapped: modes differ.*; labels differ at 1 of 240 points" "$WORK/sk.out"
    ok $? "the comparison rejects swapped modes and a changed label"
else
    k=0
    while [ $k -lt 9 ]; do
        tap_n=$((tap_n + 1))
        echo "ok $tap_n - flat kernel against scikit-learn # SKIP /usr/bin/python3 lacks sklearn"
        k=$((k + 1))
    done
fi

# ------------------------------------------------------------------ bad input

for bad in "" "--bandwidth 0" "--bandwidth -1.5" "--bandwidth 0.3 --tol -0.1" \
    "--bandwidth 0.3 --kernel cubic" "--anneal edm --bandwidth 0.3" "--kernel flat --anneal edm" \
    "--anneal edm --tol 0.01" "--bandwidth 0.3 --bin-seeding" "--bandwidth 0.3 --steps 5" \
    "--bandwidth 0.3 -n 3" "--bandwidth 0.3 --max-iter x" "--anneal warp" \
    "--kernel flat --quantile 1.5" "--kernel flat --bin-seeding --min-bin-freq 0" \
    "--kernel flat --min-bin-freq 2" "--kernel flat --bandwidth 0.3 --quantile 0.2"; do
    run_diffgeo meanshift --data $data $bad -o "$WORK/bad.h5"
    [ $rc -eq 2 ] && [ ! -e "$WORK/bad.h5" ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
        grep -q "^diffgeo: " "$WORK/err" && [ ! -s "$WORK/out" ]
    ok $? "meanshift ${bad:-without --bandwidth}: usage error, one line, no file: $(cat "$WORK/err")"
done
"$DIFFGEO" sample --data $data --steps 2 --sigma-max 900 --sigma-min 800 -n 3 -o "$WORK/far.h5"
for bad in "--data h5:$WORK/missing.h5 --bandwidth 0.3" \
    "--data $data --kernel flat --bin-seeding --min-bin-freq 1000" \
    "--data $data --bandwidth 0.3 --init h5:$WORK/d.h5:/trajectory" \
    "--data $data --kernel flat --bandwidth 0.01 --init h5:$WORK/far.h5:/samples"; do
    run_diffgeo meanshift $bad -o "$WORK/bad.h5"
    [ $rc -eq 1 ] && [ ! -e "$WORK/bad.h5" ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
        grep -q "^diffgeo: " "$WORK/err"
    ok $? "meanshift $bad: failure (exit 1), one line, no file: $(cat "$WORK/err")"
done

# A distribution has no rows to cluster (this used to crash).
run_diffgeo meanshift --data synthetic:rings --kernel flat -o "$WORK/bad.h5"
[ $rc -eq 2 ] && [ ! -e "$WORK/bad.h5" ] && grep -q "not data rows" "$WORK/err"
ok $? "meanshift --kernel flat on a mixture: usage error, no crash: $(cat "$WORK/err")"

run_diffgeo meanshift --help
[ $rc -eq 0 ] && grep -q -- "--bandwidth" "$WORK/out" && grep -q -- "--anneal" "$WORK/out" &&
    [ "$(grep -c "^  diffgeo meanshift" "$WORK/out")" -eq 3 ]
ok $? "meanshift --help teaches the three modes with an example each"
done_testing
