#!/bin/sh
# shellcheck source=tests/lib.sh disable=SC2154
# (SC2154: srcdir and rc come from the test environment and lib.sh.)
# Interruption (doc/theory.md §9): SIGINT, SIGTERM, SIGHUP or SIGQUIT
# while `sample`, `meanshift` or `gits` is computing, or while it (or
# `analyze`) writes its output, ends diffgeo with status 128 + the signal
# (130, 143, 129, 131) and one line on stderr; the temporary file is removed and a
# previous output file of the same name stays byte-identical.
. "$srcdir/tests/lib.sh"

# Under valgrind a run reaches its computation only after seconds of start-up.
under_valgrind && skip_all "signal timing under valgrind"

# A run that computes for a minute or more if left alone: the empirical
# denoiser over 4000 points (8 chunks, so that OpenMP starts its threads),
# 256 trajectories, 2000 timestamps.
LONG="--data synthetic:gmm,n=4000,d=64 -n 256 --steps 2000 -q"
OMP_NUM_THREADS=2
export OMP_NUM_THREADS

run_diffgeo sample --data synthetic:gmm,n=100,d=16 -n 2 --steps 3 -o "$WORK/prev.h5"
ok $rc "setup: a previous run file"
cp "$WORK/prev.h5" "$WORK/snapshot.h5"

# SIGINT reaches a background command only if it is not ignored, as a
# non-interactive shell does for `&`: env --default-signal restores it.
if env --default-signal=INT true 2>/dev/null; then
    DEFAULT_INT="env --default-signal=INT"
else
    DEFAULT_INT=
fi

# computing PID: true once the process has started computing, that is once
# OpenMP has started a second thread (the first parallel region of the
# denoiser), or, without OpenMP, after 2 s of CPU time.
computing() {
    [ "$(ls "/proc/$1/task" 2>/dev/null | wc -l)" -ge 2 ] || [ "$(cpu_ticks "$1")" -ge 200 ]
}

# reap PID: waits up to 60 s for the process to end (it must stop within a
# step), killing it if not; sets rc to its exit status.
reap() {
    _k=0
    while kill -0 "$1" 2>/dev/null && [ $_k -lt 3000 ]; do
        sleep 0.02
        _k=$((_k + 1))
    done
    kill -0 "$1" 2>/dev/null && kill -KILL "$1"
    wait "$1"
    rc=$?
}

# interrupted WHAT SIGNAL STATUS WHEN FRAGMENT -- COMMAND...: starts
# diffgeo COMMAND... -o $WORK/prev.h5 in the background, sends SIGNAL once
# WHEN (a function of the PID) holds, and checks exit status STATUS, one
# line on stderr holding FRAGMENT, the previous file unchanged and no
# temporary file left.  When WHEN never holds (the run ended first), the
# four tests are skipped.
interrupted() {
    _what=$1 _sig=$2 _status=$3 _when=$4 _frag=$5
    shift 6
    # A shell without job control also starts background commands with
    # SIGQUIT ignored, and a suite started under nohup has SIGHUP ignored
    # (which diffgeo keeps, as programs do under nohup).
    _launch=
    case $_sig in INT | QUIT | HUP) _launch="env --default-signal=$_sig" ;; esac
    if [ -n "$_launch" ] && [ -z "$DEFAULT_INT" ]; then
        skip_tests 4 "$_what" "env --default-signal is not available"
        return
    fi
    $_launch "$DIFFGEO" "$@" -o "$WORK/prev.h5" >"$WORK/out" 2>"$WORK/err" &
    _pid=$!
    if ! wait_for $_pid "$_when"; then
        reap $_pid
        skip_tests 4 "$_what" "the run ended (status $rc) before it could be interrupted"
        return
    fi
    kill -"$_sig" $_pid
    reap $_pid

    [ "$rc" -eq "$_status" ]
    ok $? "$_what: exit status $_status"
    [ "$rc" -eq "$_status" ] || echo "#   got exit status $rc"
    [ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -q "^diffgeo: .*$_frag" "$WORK/err"
    ok $? "$_what: one line on stderr, 'diffgeo: ...$_frag...'"
    diag "$WORK/err"
    cmp -s "$WORK/snapshot.h5" "$WORK/prev.h5"
    ok $? "$_what: the previous run file is byte-identical"
    no_temp_files "$WORK"
    ok $? "$_what: no temporary file left"
}

interrupted "sample, SIGTERM while computing" TERM 143 computing "interrupted after step" -- \
    sample $LONG
interrupted "sample, SIGINT while computing" INT 130 computing "interrupted after step" -- \
    sample $LONG
GITS="gits --data synthetic:gmm,n=4000,d=64 --warmup 256 --teacher-steps 2000 --steps 5 -q"
interrupted "gits, SIGTERM while computing" TERM 143 computing "interrupted after step" -- $GITS
interrupted "gits, SIGINT while computing" INT 130 computing "interrupted after step" -- $GITS
MEANSHIFT="meanshift --data synthetic:gmm,n=20000,d=64 --bandwidth 0.5 --tol 0 --max-iter 200 -q"
interrupted "meanshift, SIGTERM while computing" TERM 143 computing "interrupted after step" -- \
    $MEANSHIFT
interrupted "meanshift, SIGINT while computing" INT 130 computing "interrupted after step" -- \
    $MEANSHIFT

# While writing: a run that computes little and writes 120 MB (its
# trajectories); the signal goes once the temporary file exists.
writing() {
    for _f in "$WORK"/.prev.h5.tmp.*; do
        [ -s "$_f" ] && return 0
    done
    return 1
}
WRITE="sample --data synthetic:gmm,n=20,d=500 -n 5000 --steps 3 --solver euler -q"
interrupted "sample, SIGTERM while writing" TERM 143 writing "interrupted; $WORK/prev.h5 not written" \
    -- $WRITE
# A closed terminal or ssh session (SIGHUP), and ^\ (SIGQUIT).
interrupted "sample, SIGHUP while computing" HUP 129 computing "interrupted after step" -- \
    sample $LONG
interrupted "sample, SIGQUIT while computing" QUIT 131 computing "interrupted after step" -- \
    sample $LONG
interrupted "sample, SIGHUP while writing" HUP 129 writing "interrupted; $WORK/prev.h5 not written" \
    -- $WRITE
interrupted "sample, SIGQUIT while writing" QUIT 131 writing "interrupted; $WORK/prev.h5 not written" \
    -- $WRITE

# analyze while it writes its copy of a 120 MB run file: the run file stays
# as it was and the copy is removed.
# shellcheck disable=SC2086
"$DIFFGEO" $WRITE -o "$WORK/big.h5" >"$WORK/out" 2>"$WORK/err"
ok $? "setup: a 120 MB run file"
cp "$WORK/big.h5" "$WORK/big-snapshot.h5"
analyze_writing() {
    for _f in "$WORK"/.big.h5.tmp.*; do
        [ -s "$_f" ] && return 0
    done
    return 1
}
for sig in TERM HUP; do
    case $sig in TERM) status=143 launch= ;; HUP) status=129 launch="env --default-signal=HUP" ;; esac
    if [ -n "$launch" ] && [ -z "$DEFAULT_INT" ]; then
        skip_tests 1 "analyze, SIG$sig while writing" "env --default-signal is not available"
        continue
    fi
    $launch "$DIFFGEO" analyze "$WORK/big.h5" >"$WORK/out" 2>"$WORK/err" &
    pid=$!
    if wait_for $pid analyze_writing; then
        kill -$sig $pid
        reap $pid
        [ "$rc" -eq $status ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
            grep -q "^diffgeo: interrupted" "$WORK/err" &&
            cmp -s "$WORK/big-snapshot.h5" "$WORK/big.h5" && no_temp_files "$WORK"
        ok $? "analyze, SIG$sig while writing: status $status, one line, run file intact, no temporary file"
        [ "$rc" -eq $status ] || echo "#   got exit status $rc"
        diag "$WORK/err"
    else
        reap $pid
        skip_tests 1 "analyze, SIG$sig while writing" "the run ended first (status $rc)"
    fi
done
rm -f "$WORK/big.h5" "$WORK/big-snapshot.h5"

# A second signal ends the process at once, while the first waits for the
# end of a step (here a step of 100 GFLOP, a second or more: 2048
# trajectories over 50000 points).  The pause lets the first signal be
# delivered, so that the two are not merged into one.
"$DIFFGEO" sample --data synthetic:gmm,n=50000,d=128 -n 2048 --steps 10 -q \
    -o "$WORK/prev.h5" >"$WORK/out" 2>"$WORK/err" &
pid=$!
if wait_for $pid computing; then
    kill -TERM $pid
    sleep 0.1
    kill -TERM $pid
    reap $pid
    [ "$rc" -eq 143 ] && [ ! -s "$WORK/err" ] && cmp -s "$WORK/snapshot.h5" "$WORK/prev.h5" &&
        no_temp_files "$WORK"
    ok $? "a second SIGTERM ends the run at once: status 143, no message, previous file intact"
    [ "$rc" -eq 143 ] || echo "#   got exit status $rc"
    diag "$WORK/err"
else
    reap $pid
    skip_tests 1 "a second SIGTERM ends the run at once" "the run ended first (status $rc)"
fi

done_testing
