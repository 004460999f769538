# Shared helpers of the shell tests: TAP output, running diffgeo and checking
# its error reports (expect_error).
# Sourced by tests/*.sh; expects DIFFGEO (the built tool) and srcdir from the
# test environment (Makefile.am sets both), and writes only below $WORK.

: "${DIFFGEO:=./diffgeo}"
: "${srcdir:=.}"
: "${PYTHON3:=/usr/bin/python3}"
WORK=${WORK:-tests/work/$(basename "$0" .sh)}
rm -rf "$WORK"
mkdir -p "$WORK"

# Under `make check-valgrind`, DIFFGEO_WRAPPER is the valgrind command line
# (libtool --mode=execute valgrind ...): DIFFGEO then runs the real binary
# under it, every process (forked children too) logging to
# $WORK/valgrind.PID.log, and done_testing adds one test that none of them
# found an error or a definite leak.
: "${DIFFGEO_WRAPPER:=}"
case $DIFFGEO_WRAPPER in *[![:space:]]*) ;; *) DIFFGEO_WRAPPER= ;; esac
if [ -n "$DIFFGEO_WRAPPER" ]; then
    _logs=$(cd "$WORK" && pwd)
    printf '#!/bin/sh\nexec %s --log-file=%s/valgrind.%%p.log "%s" "$@"\n' \
        "$DIFFGEO_WRAPPER" "$_logs" "$DIFFGEO" >"$WORK/diffgeo-valgrind"
    chmod +x "$WORK/diffgeo-valgrind"
    DIFFGEO=$_logs/diffgeo-valgrind
fi

# under_valgrind, under_asan: what the tests cannot run there (signal timing
# under valgrind's slowdown; `ulimit -v` with ASan's terabytes of shadow).
under_valgrind() {
    [ -n "$DIFFGEO_WRAPPER" ]
}
under_asan() {
    case " ${DG_SANITIZE:-} " in *" address "*) return 0 ;; esac
    return 1
}

tap_n=0
tap_failed=0

# ok CONDITION-STATUS DESCRIPTION: record one test from an exit status (0 = pass).
ok() {
    tap_n=$((tap_n + 1))
    if [ "$1" -eq 0 ]; then
        echo "ok $tap_n - $2"
    else
        echo "not ok $tap_n - $2"
        tap_failed=$((tap_failed + 1))
    fi
}

skip_all() {
    echo "1..0 # SKIP $1"
    exit 0
}

done_testing() {
    if under_valgrind; then
        # Processes killed by a signal are left out: they are the children
        # of dg_h5_isolated that libhdf5 crashed (tests/data/libhdf5-crash.h5),
        # whose errors are libhdf5's by design; any other crash fails its own
        # test through the exit status.
        _runs=0 _crashed=0 _bad=
        for _f in "$WORK"/valgrind.*.log; do
            [ -f "$_f" ] || continue
            _runs=$((_runs + 1))
            if grep -q 'Process terminating with default action of signal' "$_f"; then
                _crashed=$((_crashed + 1))
            elif grep -q -E 'ERROR SUMMARY: [1-9]|definitely lost: [1-9]' "$_f"; then
                _bad="$_bad $_f"
            fi
        done
        [ "$_runs" -gt 0 ] && [ -z "$_bad" ]
        ok $? "valgrind: no error and no definite leak in $_runs processes ($_crashed crashed)"
        for _f in $_bad; do
            diag "$_f"
        done
    fi
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}

# run_diffgeo ARGS...: runs the tool, keeping stdout in $WORK/out, stderr in
# $WORK/err and the exit status in $rc.
run_diffgeo() {
    "$DIFFGEO" "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
}

# cpu_ticks PID: user + system CPU time of the process, in clock ticks.
cpu_ticks() {
    awk '{ sub(/^.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}

# wait_for PID CONDITION: polls CONDITION PID every 20 ms for up to 60 s;
# false if the process ended first or the time ran out.
wait_for() {
    _k=0
    while [ $_k -lt 3000 ]; do
        kill -0 "$1" 2>/dev/null || return 1
        "$2" "$1" && return 0
        sleep 0.02
        _k=$((_k + 1))
    done
    return 1
}

# have_python: /usr/bin/python3 with numpy and h5py (the Debian packages).
have_python() {
    [ -x "$PYTHON3" ] && "$PYTHON3" -c 'import numpy, h5py' 2>/dev/null
}

# ------------------------------------------------------------------ error checks

# diag FILE: echo a file as TAP comments.
diag() {
    sed 's/^/#   /' "$1"
}

# skip_tests COUNT DESCRIPTION REASON: COUNT skipped tests.
skip_tests() {
    _k=0
    while [ "$_k" -lt "$1" ]; do
        tap_n=$((tap_n + 1))
        echo "ok $tap_n - $2 # SKIP $3"
        _k=$((_k + 1))
    done
}

# no_temp_files DIR: no ".NAME.tmp.*" left in DIR by an atomic write.
no_temp_files() {
    for _f in "$1"/.*.tmp.*; do
        [ -e "$_f" ] && return 1
    done
    return 0
}

# expect_error DESCRIPTION STATUS OUTFILE FRAGMENT... -- ARGS...
#   Runs "diffgeo ARGS..." and records, for that one bad input:
#     1. the exit status is exactly STATUS;
#     2. stderr is exactly one line and it starts with "diffgeo: ";
#     3. that line contains every FRAGMENT (fixed strings);
#     4. stdout is empty;
#     5. unless OUTFILE is "-": if OUTFILE existed before the run, it is
#        byte-identical afterwards, otherwise it does not exist; either way no
#        temporary file is left beside it.
#   With $skip_reason set, records the same number of skipped tests instead.
expect_error() {
    _what=$1 _status=$2 _outfile=$3
    shift 3
    _frags=
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        _frags="$_frags$1
"
        shift
    done
    [ "$1" = "--" ] && shift
    if [ -n "${skip_reason:-}" ]; then
        if [ "$_outfile" = "-" ]; then _k=4; else _k=5; fi
        skip_tests $_k "$_what" "$skip_reason"
        return
    fi

    _existed=0
    if [ "$_outfile" != "-" ] && [ -e "$_outfile" ]; then
        _existed=1
        cp "$_outfile" "$WORK/snapshot"
    fi

    run_diffgeo "$@"

    [ "$rc" -eq "$_status" ]
    ok $? "$_what: exit status $_status"
    [ "$rc" -eq "$_status" ] || echo "#   got exit status $rc"

    _lines=$(wc -l <"$WORK/err")
    [ "$_lines" -eq 1 ] && [ "$(head -c 9 "$WORK/err")" = "diffgeo: " ] &&
        [ "$(tail -c 1 "$WORK/err" | od -An -c | tr -d ' ')" = '\n' ]
    _r=$?
    ok $_r "$_what: one line on stderr starting with 'diffgeo: '"
    [ $_r -eq 0 ] || { echo "#   stderr ($_lines lines):"; diag "$WORK/err"; }

    _r=0
    _missing=
    _old_ifs=$IFS
    IFS='
'
    set -f
    for _frag in $_frags; do
        if ! grep -F -q -e "$_frag" "$WORK/err"; then
            _r=1
            _missing="$_missing '$_frag'"
        fi
    done
    set +f
    IFS=$_old_ifs
    ok $_r "$_what: message names the problem ($(printf '%s' "$_frags" | tr '\n' ';' | sed 's/;$//; s/;/; /g'))"
    [ $_r -eq 0 ] || { echo "#   missing:$_missing; stderr:"; diag "$WORK/err"; }

    [ ! -s "$WORK/out" ]
    _r=$?
    ok $_r "$_what: nothing on stdout"
    [ $_r -eq 0 ] || { echo "#   stdout:"; head -n 5 "$WORK/out" | sed 's/^/#   /'; }

    [ "$_outfile" = "-" ] && return
    if [ "$_existed" -eq 1 ]; then
        cmp -s "$WORK/snapshot" "$_outfile" && no_temp_files "$(dirname "$_outfile")"
        ok $? "$_what: previous $(basename "$_outfile") unchanged, no temporary file"
    else
        [ ! -e "$_outfile" ] && no_temp_files "$(dirname "$_outfile")"
        ok $? "$_what: no $(basename "$_outfile") and no temporary file left"
        rm -f "$_outfile" # so that the next case starts from a fresh name again
    fi
    rm -f "$WORK/snapshot"
}
