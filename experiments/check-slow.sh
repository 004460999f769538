#!/bin/sh
# check-slow.sh: run every experiment with --quick into a temporary directory and check that
# each wrote its run files and figures (`make check-slow`).
#
#   experiments/check-slow.sh [SCRIPT...]     (default: experiments/[0-9]*.sh)
#
# For experiments/NN-name.sh: at least one OUTDIR/NN-name*.h5 and one OUTDIR/NN-name*.png, and
# every such file non-empty.  Prints one line per script with its time; exit status 1 when any
# script fails or misses a file.  Environment as for the experiments (DIFFGEO, GNUPLOT,
# DIFFGEO_CIFAR10); KEEP=1 keeps the temporary directory.
set -eu
script_dir=$(cd "$(dirname "$0")" && pwd)
if [ $# -eq 0 ]; then
    set -- "$script_dir"/[0-9]*.sh
fi
tmp=$(mktemp -d "${TMPDIR:-/tmp}/diffgeo-check-slow.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
    echo "check-slow: keeping $tmp"
else
    trap 'rm -rf "$tmp"' EXIT
fi
trap 'exit 130' INT TERM

failed=0
t_all=$(date +%s)
for script in "$@"; do
    name=$(basename "$script" .sh)
    t0=$(date +%s)
    if ! sh "$script" --quick "$tmp/out" >"$tmp/$name.log" 2>&1; then
        echo "FAIL $name: the script failed; its output:"
        sed 's/^/    /' "$tmp/$name.log"
        failed=1
        continue
    fi
    problem=
    for ext in h5 png; do
        found=0
        for f in "$tmp/out/$name"*."$ext"; do
            [ -e "$f" ] || continue
            found=1
            [ -s "$f" ] || problem="$problem empty $(basename "$f");"
        done
        [ $found -eq 1 ] || problem="$problem no $name*.$ext;"
    done
    if [ -n "$problem" ]; then
        echo "FAIL $name:$problem"
        failed=1
    else
        echo "PASS $name ($(($(date +%s) - t0)) s)"
    fi
done
echo "check-slow: $# experiments in $(($(date +%s) - t_all)) s"
exit $failed
