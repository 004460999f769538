#!/bin/sh
# End-to-end cross-check of `diffgeo sample` against tests/crosscheck.py, an independent
# numpy implementation of doc/theory.md (sigma grids, exact empirical denoiser, Euler and Heun):
# structure of the run file, the sigma grid to 1e-14, D* at the run's points to 1e-12 and
# the independently integrated trajectories to 1e-9 (relative, per sample).
. "$srcdir/tests/lib.sh"

if ! have_python; then
    skip_all "python3 with numpy and h5py not available"
fi

CROSSCHECK="$srcdir/tests/crosscheck.py"

# crosscheck ARGS...: run crosscheck.py; its stdout is TAP diagnostics already, its
# stderr is turned into diagnostics too. Returns its exit status.
crosscheck() {
    "$PYTHON3" "$CROSSCHECK" "$@" 2>"$WORK/crosscheck.err"
    cc_rc=$?
    sed 's/^/# /' "$WORK/crosscheck.err"
    return $cc_rc
}

# sample_and_check NAME DATA [CHECK-OPTIONS --] SAMPLE-OPTIONS...: run diffgeo sample on
# $WORK/DATA.h5:/x writing $WORK/NAME.h5, then cross-check it; one TAP test.
sample_and_check() {
    name=$1
    data=$2
    shift 2
    check_opts=
    case " $* " in
    *" -- "*)
        while [ "$1" != "--" ]; do
            check_opts="$check_opts $1"
            shift
        done
        shift
        ;;
    esac
    echo "# diffgeo sample --data h5:$WORK/$data.h5:/x $* -o $WORK/$name.h5"
    run_diffgeo sample -q --data "h5:$WORK/$data.h5:/x" "$@" -o "$WORK/$name.h5"
    if [ "$rc" -ne 0 ]; then
        sed 's/^/# /' "$WORK/err"
        ok 1 "$name: diffgeo sample $* (exit $rc)"
        return
    fi
    # shellcheck disable=SC2086 # check_opts holds separate words without blanks
    crosscheck check "$WORK/$name.h5" --data "$WORK/$data.h5" $check_opts
    ok $? "$name: crosscheck of diffgeo sample $*"
}

crosscheck selftest
ok $? "crosscheck.py reference reproduces the test vectors of doc/theory.md §4.7"

crosscheck make-data "$WORK/a.h5" --n 300 --d 12 --offset 50 --seed 4711 &&
    crosscheck make-data "$WORK/b.h5" --n 240 --d 7 --offset -31.5 --scale 2 --seed 90210
ok $? "make-data writes two data sets (300 x 12 around 50, 240 x 7 around -31.5)"

sample_and_check euler21 a --solver euler --steps 21 -n 3 --seed 11
sample_and_check euler21_zero b --solver euler --steps 21 --final-zero -n 8 --seed 12
sample_and_check heun18 b --solver heun --steps 18 -n 5 --seed 13
sample_and_check heun18_zero a --solver heun --steps 18 --final-zero -n 6 --seed 14
sample_and_check logsnr a --solver heun --schedule logsnr --steps 12 -n 4 --seed 15
# a tight cluster far from the origin: |x|^2 ~ 1e9, spread 0.05 (doc/theory.md §2 warns
# that the expansion |x|^2 + |y|^2 - 2 x.y loses digits here)
crosscheck make-data "$WORK/far.h5" --n 200 --d 10 --offset 1e4 --scale 0.05 --seed 31337
ok $? "make-data writes 200 x 10 points 1e4 + 0.05 N(0, I)"
sample_and_check far_cluster far --solver heun --steps 18 --final-zero -n 4 --seed 17
sample_and_check time_uniform b --solver euler --schedule time-uniform --rho 2 --steps 15 \
    --final-zero -n 7 --seed 16

# Start points from --init: /trajectory[0] must be those points, bit for bit.
crosscheck make-data "$WORK/starts.h5" --n 5 --d 12 --offset 0 --scale 80 --seed 2718 \
    --name /x0
ok $? "make-data writes 5 start points 80 N(0, I) in /x0"
sample_and_check init a --init "$WORK/starts.h5:/x0" -- \
    --solver heun --steps 10 --final-zero --sigma-max 80 --init "h5:$WORK/starts.h5:/x0"

# The cross-check must be able to fail: expect_reject DESCRIPTION PATTERN CHECK-ARGS...
# passes if `crosscheck.py check` exits non-zero and prints a line matching PATTERN.
expect_reject() {
    desc=$1
    pattern=$2
    shift 2
    ! crosscheck check "$@" >"$WORK/reject.out" && grep -q "$pattern" "$WORK/reject.out"
    ok $? "crosscheck rejects $desc"
}
expect_reject "an euler run integrated as heun" "not ok - independent heun vs /trajectory" \
    "$WORK/euler21.h5" --data "$WORK/a.h5" --solver heun
crosscheck make-data "$WORK/c.h5" --n 300 --d 12 --offset 50 --seed 4712 >/dev/null
expect_reject "a run checked against other data of the same shape" \
    "not ok - D\\* at the run's points" "$WORK/euler21.h5" --data "$WORK/c.h5"
# one row of /denoised off by 1e-11 relative: below the trajectory tolerance, above 1e-12
cp "$WORK/heun18.h5" "$WORK/perturbed.h5"
"$PYTHON3" -c 'import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f["denoised"][7, 2, :] *= 1 + 1e-11' "$WORK/perturbed.h5"
expect_reject "/denoised perturbed by 1e-11 relative" "not ok - D\\* at the run's points" \
    "$WORK/perturbed.h5" --data "$WORK/b.h5"

done_testing
