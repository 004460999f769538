#!/bin/sh
# shellcheck source=tests/lib.sh disable=SC2086,SC2154
# (SC2086: option strings are split on purpose; SC2154: srcdir and rc come
# from the test environment and lib.sh.)
# Resource failures: a write that fails (a full disk, simulated with
# `ulimit -f`) and an allocation that fails (`ulimit -v`) give one line
# 'diffgeo: ...' on stderr and exit status 1, and leave no partial file: no
# temporary file, and a previous output file byte-identical (expect_error).
. "$srcdir/tests/lib.sh"

# limited LIMIT VALUE: DIFFGEO becomes a script that runs the tool under
# `ulimit LIMIT VALUE`, with two OpenMP threads (libgomp aborts when it cannot
# create a thread's stack, which is not what is tested here); "restore"
# returns to the tool itself.
REAL_DIFFGEO=$DIFFGEO
limited() {
    if [ "$1" = restore ]; then
        DIFFGEO=$REAL_DIFFGEO
        return
    fi
    printf '#!/bin/sh\nulimit %s %s || exit 99\nOMP_NUM_THREADS=2 exec "%s" "$@"\n' \
        "$1" "$2" "$REAL_DIFFGEO" >"$WORK/limited"
    chmod +x "$WORK/limited"
    DIFFGEO=$WORK/limited
}

run_diffgeo sample --data synthetic:gmm,n=200,d=64 -n 4 --steps 5 -o "$WORK/prev.h5"
ok $rc "setup: a previous run file"
run_diffgeo gits --data synthetic:gmm,n=200,d=64 --warmup 8 --teacher-steps 20 --steps 5 \
    -o "$WORK/prev-gits.h5"
ok $rc "setup: a previous schedule file"

# ------------------------------------------------------------------ writes

# 200 blocks of 512 bytes (dash) or 1024 (bash): far below the 1.3 MB the
# run file needs.
limited -f 200
expect_error "sample, a write past ulimit -f" 1 "$WORK/prev.h5" "cannot write $WORK/prev.h5" \
    "File too large" -- sample --data synthetic:gmm,n=200,d=64 -n 64 --steps 20 -o "$WORK/prev.h5"
expect_error "sample, a new file past ulimit -f" 1 "$WORK/new.h5" "cannot write $WORK/new.h5" -- \
    sample --data synthetic:gmm,n=200,d=64 -n 64 --steps 20 -o "$WORK/new.h5"
expect_error "meanshift, a write past ulimit -f" 1 "$WORK/prev.h5" "cannot write $WORK/prev.h5" \
    -- meanshift --data synthetic:gmm,n=2000,d=64 --bandwidth 1 --tol 0 --max-iter 5 -q \
    -o "$WORK/prev.h5"
expect_error "gits, a write past ulimit -f" 1 "$WORK/prev-gits.h5" "cannot write" -- \
    gits --data synthetic:gmm,n=200,d=64 --warmup 8 --teacher-steps 300 --steps 5 \
    -o "$WORK/prev-gits.h5"
limited restore

# ------------------------------------------------------------------ memory

# 600 MB of address space: enough for the tool, its libraries and OpenBLAS's
# buffers (OpenBLAS loops forever when it cannot allocate them), not for
# what each case asks.  ASan reserves terabytes of address space and
# valgrind needs its own, so neither can run these.
skip_reason=
under_asan && skip_reason="ulimit -v under AddressSanitizer"
under_valgrind && skip_reason="ulimit -v under valgrind"
limited -v 600000
expect_error "data of 1.2 GB" 1 "$WORK/prev.h5" "out of memory" -- \
    sample --data synthetic:gmm,n=200000,d=784 -n 4 --steps 3 -o "$WORK/prev.h5"
# 300 MB of data, held once (the denoiser adopts the rows), leave too little
# for OpenBLAS's two 128 MiB work buffers: refused before OpenBLAS tries.
expect_error "data of 300 MB and BLAS buffers of 256 MiB" 1 "$WORK/prev.h5" \
    "no memory left for the BLAS library's work buffers" -- \
    sample --data synthetic:gmm,n=50000,d=784 -n 4 --steps 3 -o "$WORK/prev.h5"
expect_error "mean-shift iterates of 5.6 GB" 1 "$WORK/prev.h5" \
    "cannot allocate 301 iterations of 3000 × 784 points" -- \
    meanshift --data synthetic:gmm,n=3000,d=784 --bandwidth 1 --tol 0 --max-iter 300 \
    -o "$WORK/prev.h5"
expect_error "trajectories of 1.1 GB" 1 "$WORK/prev.h5" "cannot allocate trajectories" -- \
    sample --data synthetic:gmm,n=200,d=784 -n 3000 --steps 60 -o "$WORK/prev.h5"
expect_error "a GITS teacher of 1.6 GB" 1 "$WORK/prev-gits.h5" "cannot allocate the teacher" -- \
    gits --data synthetic:gmm,n=200,d=784 --warmup 2048 --teacher-steps 100 --steps 5 \
    -o "$WORK/prev-gits.h5"
limited restore

# 900 MB: the same 300 MB of data fit with the BLAS buffers because the data
# are held once (a copy for the denoiser would need 600 MB of them).
limited -v 900000
if [ -n "$skip_reason" ]; then
    skip_tests 1 "sample, 300 MB of data under a 900 MB limit" "$skip_reason"
else
    run_diffgeo sample --data synthetic:gmm,n=50000,d=784 -n 4 --steps 3 -q -o "$WORK/fits.h5"
    ok $rc "sample, 300 MB of data under a 900 MB limit: the rows are held once"
    diag "$WORK/err"
fi
limited restore
skip_reason=

done_testing
