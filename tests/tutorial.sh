#!/bin/sh
# The tutorial cannot rot: every ```sh block of every lab of doc/tutorial/
# runs, in document order, in a fresh directory per lab, against the built
# tool (on PATH as 'diffgeo'), and must succeed; ```python blocks run with
# $PYTHON3 when numpy and h5py import, else they are skipped (and said so).
# Blocks that call gnuplot are skipped when there is no gnuplot.
. "${srcdir:-.}/tests/lib.sh"

tutorial="${top_srcdir:-$srcdir}/doc/tutorial"
tutorial=$(cd "$tutorial" && pwd)
mkdir -p "$WORK/bin"
ln -sf "$(cd "$(dirname "$DIFFGEO")" && pwd)/$(basename "$DIFFGEO")" "$WORK/bin/diffgeo"
PATH=$(cd "$WORK/bin" && pwd):$PATH
export PATH
have_python=no
"$PYTHON3" -c 'import numpy, h5py' 2>/dev/null && have_python=yes
have_gnuplot=no
command -v gnuplot >/dev/null 2>&1 && have_gnuplot=yes

# blocks LAB DIR: write the fenced blocks of LAB as DIR/NNN.sh and
# DIR/NNN.py, numbered in document order.
blocks() {
    awk -v dir="$2" '
        /^```(sh|python)[[:space:]]*$/ && !on {
            on = 1; n++
            f = sprintf("%s/%03d.%s", dir, n, $0 ~ /python/ ? "py" : "sh")
            printf "" >f
            next
        }
        /^```/ && on { on = 0; close(f); next }
        on { print >f }' "$1"
}

labs=$(ls "$tutorial"/[0-9]*.md 2>/dev/null)
index="$tutorial"/README.md
[ -n "$labs" ] && [ -f "$index" ]
ok $? "doc/tutorial has its README.md and $(echo $labs | wc -w) labs"

for lab in $labs; do
    name=$(basename "$lab" .md)
    # the README's index names every lab
    grep -q "($name\.md)" "$index"
    ok $? "$name: listed in doc/tutorial/README.md"
    # each lab has its parts
    missing=
    for part in Goal Commands Figure Questions Answers; do
        grep -q "^## $part" "$lab" || missing="$missing $part"
    done
    [ -z "$missing" ]
    ok $? "$name: has Goal, Commands, Figure, Questions, Answers${missing:+ (missing:$missing)}"

    dir=$(cd "$WORK" && pwd)/$name
    mkdir -p "$dir/blocks"
    blocks "$lab" "$dir/blocks"
    nsh=$(ls "$dir/blocks" | grep -c '\.sh$')
    npy=$(ls "$dir/blocks" | grep -c '\.py$')
    [ "$nsh" -gt 0 ]
    ok $? "$name: $nsh sh blocks, $npy python blocks"
    start=$(date +%s)
    failed= skipped=
    for b in "$dir"/blocks/*; do
        case $b in
        *.py)
            if [ $have_python = no ]; then skipped="$skipped $(basename "$b")"; continue; fi
            (cd "$dir" && "$PYTHON3" "$b") >"$b.out" 2>&1 ;;
        *)
            if [ $have_gnuplot = no ] && grep -q gnuplot "$b"; then
                skipped="$skipped $(basename "$b")"; continue
            fi
            (cd "$dir" && sh -e "$b") >"$b.out" 2>&1 ;;
        esac
        if [ $? -ne 0 ]; then
            failed="$failed $(basename "$b")"
            sed 's/^/# /' "$b" "$b.out" | tail -20
        fi
    done
    secs=$(($(date +%s) - start))
    [ -z "$failed" ]
    ok $? "$name: every block runs (${secs} s)${failed:+ (failed:$failed)}${skipped:+ (skipped:$skipped)}"
done
done_testing
