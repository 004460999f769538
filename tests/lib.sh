# Shared helpers of the shell tests: TAP output and running diffgeo.
# Sourced by tests/*.sh; expects DIFFGEO (the built tool) and srcdir from the
# test environment (Makefile.am sets both), and writes only below $WORK.

: "${DIFFGEO:=./diffgeo}"
: "${srcdir:=.}"
: "${PYTHON3:=/usr/bin/python3}"
WORK=${WORK:-tests/work/$(basename "$0" .sh)}
rm -rf "$WORK"
mkdir -p "$WORK"

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
    echo "1..$tap_n"
    [ "$tap_failed" -eq 0 ]
}

# run_diffgeo ARGS...: runs the tool, keeping stdout in $WORK/out, stderr in
# $WORK/err and the exit status in $rc.
run_diffgeo() {
    "$DIFFGEO" "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
}

# have_python: /usr/bin/python3 with numpy and h5py (the Debian packages).
have_python() {
    [ -x "$PYTHON3" ] && "$PYTHON3" -c 'import numpy, h5py' 2>/dev/null
}
