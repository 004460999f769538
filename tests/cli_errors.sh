#!/bin/sh
# shellcheck source=tests/lib.sh disable=SC2086,SC2154
# (SC2086: $FAST is split into options on purpose; SC2154: srcdir and rc come
# from the test environment and lib.sh.)
# Error reporting of the command line (DESIGN.md "Command line"): every bad
# input gets ONE line on stderr starting with "diffgeo: " that names the
# problem, exit status 1 (failed computation, unreadable input) or 2 (usage
# error), nothing on stdout, and no output file left behind; a previous file of
# the same name stays byte-identical and no temporary .NAME.tmp.* remains.
. "$srcdir/tests/lib.sh"

GMM=synthetic:gmm,n=200,d=16
FAST="-n 4 --steps 5"

# ------------------------------------------------------------------ helpers

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

# ------------------------------------------------------------------ inputs

OUT=$WORK/out.h5 # a fresh name: every failing run must leave it absent

run_diffgeo sample --data $GMM $FAST -o "$WORK/good.h5"
[ "$rc" -eq 0 ] && [ -s "$WORK/good.h5" ]
ok $? "setup: a valid run file"
[ "$rc" -eq 0 ] || diag "$WORK/err"
cp "$WORK/good.h5" "$WORK/prev.h5" # an earlier result the failures must not touch

# IDX files: a 16-byte rank-3 header claiming 10 images of 28 × 28 ubyte.
idx_header() {
    printf '\000\000\010\003\000\000\000\012\000\000\000\034\000\000\000\034'
}
{ idx_header; head -c 7840 /dev/zero; } >"$WORK/full.idx"          # complete
{ idx_header; head -c 2352 /dev/zero; } >"$WORK/trunc.idx"         # 3 of 10 images
gzip -c "$WORK/trunc.idx" >"$WORK/trunc.idx.gz"
gzip -c "$WORK/full.idx" >"$WORK/full.idx.gz"
# The same bytes as two gzip members (what pigz, bgzip or cat a.gz b.gz give).
{ head -c 4000 "$WORK/full.idx" | gzip -c; tail -c +4001 "$WORK/full.idx" | gzip -c; } \
    >"$WORK/multi.idx.gz"
printf '\000\000\010\003\000\000' >"$WORK/short.idx"                 # 6-byte header
printf '\000\000\010\001\000\000\000\003\001\002\003' >"$WORK/labels.idx" # labels, rank 1
echo "this is text, not IDX" >"$WORK/text.idx"
mkdir "$WORK/adir"

# HDF5 inputs.
if have_python; then
    "$PYTHON3" - "$WORK" <<'EOF'
import os, sys
import numpy as np, h5py
w = sys.argv[1]
def save(name, **arrays):
    with h5py.File(os.path.join(w, name), "w") as f:
        for key, value in arrays.items():
            f[key] = value
x = np.zeros((10, 16))
save("rank1.h5", x=np.arange(16.0))
nan = x.copy(); nan[3, 5] = np.nan
save("nan.h5", x=nan)
inf = x.copy(); inf[7, 2] = -np.inf
save("inf.h5", x=inf)
save("two.h5", x=x, y=x)
save("strings.h5", x=np.array([b"abc", b"def"]))
save("init15.h5", x=np.zeros((4, 15)))
save("init3.h5", x=np.zeros((3, 16)))
save("notrun.h5", x=np.zeros((3, 16)))
# Run files from some other sampler: a valid one, and one broken way each.
rng = np.random.default_rng(3)
sig = np.array([80.0, 9.5, 1.2, 0.15, 0.002])
traj = rng.standard_normal((5, 2, 3)) * sig[:, None, None]
den = rng.standard_normal((4, 2, 3))
save("ext_ok.h5", sigmas=sig, trajectory=traj, denoised=den)
save("ext_nodenoised.h5", sigmas=sig, trajectory=traj)
save("ext_shape.h5", sigmas=sig, trajectory=traj, denoised=np.zeros((5, 2, 3)))
bad = traj.copy(); bad[2, 1, 0] = np.nan
save("ext_nan.h5", sigmas=sig, trajectory=bad, denoised=den)
up = sig.copy(); up[3] = 2.0
save("ext_up.h5", sigmas=up, trajectory=traj, denoised=den)
EOF
    ok $? "setup: HDF5 inputs written with h5py"
    skip_h5=
else
    skip_tests 1 "setup: HDF5 inputs written with h5py" "no h5py"
    skip_h5="no h5py"
fi

# Positive controls: the truncation tests below fail for the right reason.
run_diffgeo sample --data "idx:$WORK/full.idx" $FAST -o "$WORK/ok1.h5"
ok $rc "control: a complete IDX file is accepted"
run_diffgeo sample --data "idx:$WORK/full.idx.gz" $FAST -o "$WORK/ok2.h5"
ok $rc "control: a complete gzip IDX file is accepted"
run_diffgeo sample --data "idx:$WORK/multi.idx.gz" $FAST -o "$WORK/ok3.h5"
ok $rc "control: a complete two-member gzip IDX file is accepted"
rm -f "$WORK/ok1.h5" "$WORK/ok2.h5" "$WORK/ok3.h5"

# ------------------------------------------------------------------ 1. missing files

expect_error "h5: missing file" 1 "$OUT" "$WORK/missing.h5" "No such file or directory" -- \
    sample --data "h5:$WORK/missing.h5" $FAST -o "$OUT"
expect_error "idx: missing file" 1 "$OUT" "$WORK/missing.idx" "No such file or directory" -- \
    sample --data "idx:$WORK/missing.idx" $FAST -o "$OUT"
expect_error "--init h5: missing file" 1 "$OUT" "$WORK/missing.h5" "No such file or directory" -- \
    sample --data $GMM $FAST --init "h5:$WORK/missing.h5" -o "$OUT"
expect_error "missing data over an earlier result" 1 "$WORK/prev.h5" "$WORK/missing.h5" -- \
    sample --data "h5:$WORK/missing.h5" $FAST -o "$WORK/prev.h5"

# ------------------------------------------------------------------ 2. unreadable inputs

expect_error "h5: a directory" 1 "$OUT" "$WORK/adir" "directory" -- \
    sample --data "h5:$WORK/adir" $FAST -o "$OUT"
expect_error "idx: a directory" 1 "$OUT" "$WORK/adir" -- \
    sample --data "idx:$WORK/adir" $FAST -o "$OUT"
grep -q -i "directory" "$WORK/err" # the message of the run just above
ok $? "idx: a directory: the message says it is a directory"

cp "$WORK/full.idx" "$WORK/noread.idx"
cp "$WORK/good.h5" "$WORK/noread.h5"
chmod 000 "$WORK/noread.idx" "$WORK/noread.h5"
if [ "$(id -u)" -eq 0 ]; then
    skip_reason="running as root, who can read a file of mode 000"
fi
expect_error "idx: mode 000" 1 "$OUT" "$WORK/noread.idx" "Permission denied" -- \
    sample --data "idx:$WORK/noread.idx" $FAST -o "$OUT"
expect_error "h5: mode 000" 1 "$OUT" "$WORK/noread.h5" -- \
    sample --data "h5:$WORK/noread.h5" $FAST -o "$OUT"
if [ -n "${skip_reason:-}" ]; then
    skip_tests 1 "h5: mode 000: the message says permission is denied" "$skip_reason"
else
    grep -q "Permission denied" "$WORK/err"
    ok $? "h5: mode 000: the message says permission is denied"
fi
skip_reason=
chmod 644 "$WORK/noread.idx" "$WORK/noread.h5"

# ------------------------------------------------------------------ 3. malformed IDX

expect_error "idx: wrong magic (text)" 1 "$OUT" "$WORK/text.idx" "magic" -- \
    sample --data "idx:$WORK/text.idx" $FAST -o "$OUT"
expect_error "idx: truncated data" 1 "$OUT" "$WORK/trunc.idx" "truncated" -- \
    sample --data "idx:$WORK/trunc.idx" $FAST -o "$OUT"
expect_error "idx: truncated data, gzip" 1 "$OUT" "$WORK/trunc.idx.gz" "truncated" -- \
    sample --data "idx:$WORK/trunc.idx.gz" $FAST -o "$OUT"
expect_error "idx: truncated header" 1 "$OUT" "$WORK/short.idx" "truncated" "header" -- \
    sample --data "idx:$WORK/short.idx" $FAST -o "$OUT"
expect_error "idx: 1-D labels" 1 "$OUT" "$WORK/labels.idx" "rank 1" -- \
    sample --data "idx:$WORK/labels.idx" $FAST -o "$OUT"
expect_error "idx: truncated data over an earlier result" 1 "$WORK/prev.h5" "truncated" -- \
    sample --data "idx:$WORK/trunc.idx.gz" $FAST -o "$WORK/prev.h5"

# ------------------------------------------------------------------ 4. malformed HDF5

skip_reason=$skip_h5
expect_error "h5: rank-1 dataset" 1 "$OUT" "$WORK/rank1.h5" "rank 1" -- \
    sample --data "h5:$WORK/rank1.h5" $FAST -o "$OUT"
expect_error "h5: NaN" 1 "$OUT" "$WORK/nan.h5" "NaN" "row 3, column 5" -- \
    sample --data "h5:$WORK/nan.h5" $FAST -o "$OUT"
expect_error "h5: Inf" 1 "$OUT" "$WORK/inf.h5" "Inf" "row 7, column 2" -- \
    sample --data "h5:$WORK/inf.h5" $FAST -o "$OUT"
expect_error "h5: NaN over an earlier result" 1 "$WORK/prev.h5" "NaN" -- \
    sample --data "h5:$WORK/nan.h5" $FAST -o "$WORK/prev.h5"
expect_error "h5: two datasets, none named" 1 "$OUT" "$WORK/two.h5" "/x" "/y" "name one" -- \
    sample --data "h5:$WORK/two.h5" $FAST -o "$OUT"
expect_error "h5: named dataset does not exist" 1 "$OUT" "$WORK/two.h5" "/nosuch" -- \
    sample --data "h5:$WORK/two.h5:/nosuch" $FAST -o "$OUT"
expect_error "h5: string dataset" 1 "$OUT" "$WORK/strings.h5" "string" -- \
    sample --data "h5:$WORK/strings.h5" $FAST -o "$OUT"
skip_reason=
expect_error "h5: not an HDF5 file" 1 "$OUT" "$WORK/text.idx" "not an HDF5 file" -- \
    sample --data "h5:$WORK/text.idx" $FAST -o "$OUT"

# ------------------------------------------------------------------ 5. --init of the wrong shape

skip_reason=$skip_h5
expect_error "--init: 15 columns, data d = 16" 1 "$OUT" "$WORK/init15.h5" "dimension 15" -- \
    sample --data $GMM $FAST --init "h5:$WORK/init15.h5" -o "$OUT"
expect_error "--init: 3 rows, -n 4" 1 "$OUT" "$WORK/init3.h5" "3 start points" "asks for 4" -- \
    sample --data $GMM $FAST --init "h5:$WORK/init3.h5" -o "$OUT"
expect_error "--init: wrong shape over an earlier result" 1 "$WORK/prev.h5" "dimension" -- \
    sample --data $GMM $FAST --init "h5:$WORK/init15.h5" -o "$WORK/prev.h5"
skip_reason=

# ------------------------------------------------------------------ 6. grid problems (usage)

expect_error "--sigma-min 0" 2 "$OUT" "--sigma-min 0" "positive" -- \
    sample --data $GMM $FAST --sigma-min 0 -o "$OUT"
expect_error "--sigma-min -1" 2 "$OUT" "--sigma-min -1" "positive" -- \
    sample --data $GMM $FAST --sigma-min -1 -o "$OUT"
expect_error "--sigma-min = --sigma-max" 2 "$OUT" "--sigma-min 80" "--sigma-max 80" -- \
    sample --data $GMM $FAST --sigma-min 80 --sigma-max 80 -o "$OUT"
expect_error "--sigma-min above the default σ_max" 2 "$OUT" "--sigma-min 100" "--sigma-max 80" -- \
    sample --data $GMM $FAST --sigma-min 100 -o "$OUT"
expect_error "--steps 1" 2 "$OUT" "--steps 1" "at least 2" -- \
    sample --data $GMM -n 4 --steps 1 -o "$OUT"
expect_error "--steps 0" 2 "$OUT" "--steps 0" "at least 2" -- \
    sample --data $GMM -n 4 --steps 0 -o "$OUT"
expect_error "--rho 0" 2 "$OUT" "--rho 0" "positive" -- \
    sample --data $GMM $FAST --rho 0 -o "$OUT"
expect_error "--sigma-max nan" 2 "$OUT" "--sigma-max" "'nan'" -- \
    sample --data $GMM $FAST --sigma-max nan -o "$OUT"
expect_error "--steps abc" 2 "$OUT" "--steps" "'abc'" -- \
    sample --data $GMM -n 4 --steps abc -o "$OUT"
expect_error "usage error over an earlier result" 2 "$WORK/prev.h5" "--sigma-min" -- \
    sample --data $GMM $FAST --sigma-min 0 -o "$WORK/prev.h5"

# ------------------------------------------------------------------ 7. unknown names (usage)

expect_error "--solver rk45" 2 "$OUT" "solver" "'rk45'" -- \
    sample --data $GMM $FAST --solver rk45 -o "$OUT"
expect_error "--schedule cosine" 2 "$OUT" "schedule" "'cosine'" -- \
    sample --data $GMM $FAST --schedule cosine -o "$OUT"
expect_error "--denoiser network" 2 "$OUT" "denoiser" "'network'" -- \
    sample --data $GMM $FAST --denoiser network -o "$OUT"
# Unknown data specs go through the library loader and exit 1 today (DG_EUNKNOWN
# through cli_fail), although the standard calls unknown names usage errors (2).
expect_error "data spec nonsense:foo" 2 "$OUT" "unknown data spec" "'nonsense:foo'" -- \
    sample --data nonsense:foo $FAST -o "$OUT"
expect_error "data spec synthetic:nosuch" 2 "$OUT" "unknown synthetic dataset" "'nosuch'" -- \
    sample --data synthetic:nosuch $FAST -o "$OUT"
expect_error "unknown option --frobnicate" 2 "$OUT" "--frobnicate" -- \
    sample --data $GMM $FAST --frobnicate -o "$OUT"
expect_error "missing -o" 2 - "missing -o" -- \
    sample --data $GMM $FAST
expect_error "missing --data" 2 "$OUT" "missing --data" -- \
    sample $FAST -o "$OUT"
expect_error "unknown command" 2 - "unknown command" "'frob'" -- \
    frob

# ------------------------------------------------------------------ 8. table and analyze

cp "$WORK/good.h5" "$WORK/run.h5"
expect_error "table: missing dataset" 1 "$WORK/run.h5" "$WORK/run.h5" "/nosuch" -- \
    table "$WORK/run.h5" /nosuch
skip_reason=$skip_h5
expect_error "analyze: not a run file" 1 "$WORK/notrun.h5" "$WORK/notrun.h5" "/sigmas" -- \
    analyze "$WORK/notrun.h5"
expect_error "analyze: no /denoised" 1 "$WORK/ext_nodenoised.h5" "no dataset /denoised" -- \
    analyze "$WORK/ext_nodenoised.h5"
expect_error "analyze: /denoised of the wrong shape" 1 "$WORK/ext_shape.h5" \
    "/denoised must be [4][2][3]" -- analyze "$WORK/ext_shape.h5"
expect_error "analyze: NaN in /trajectory" 1 "$WORK/ext_nan.h5" "/trajectory[2][1][0] holds NaN" -- \
    analyze "$WORK/ext_nan.h5"
expect_error "analyze: σ grid not decreasing" 1 "$WORK/ext_up.h5" "/sigmas" \
    "not strictly decreasing at entry 3" -- analyze "$WORK/ext_up.h5"
expect_error "analyze: reference of another dimension" 1 "$WORK/ext_ok.h5" "dimension 16" -- \
    analyze "$WORK/ext_ok.h5" --reference "h5:$WORK/init3.h5"
cp "$WORK/ext_ok.h5" "$WORK/ext_before.h5"
run_diffgeo analyze "$WORK/ext_ok.h5"
[ "$rc" -eq 0 ] && ! cmp -s "$WORK/ext_ok.h5" "$WORK/ext_before.h5"
ok $? "control: the valid external run file is analyzed (and changed)"
skip_reason=

# ------------------------------------------------------------------ 9. output directory missing

expect_error "-o into a missing directory" 1 "$WORK/nodir/out.h5" "$WORK/nodir/out.h5" \
    "No such file or directory" -- \
    sample --data $GMM $FAST -o "$WORK/nodir/out.h5"
[ ! -e "$WORK/nodir" ]
ok $? "-o into a missing directory: the directory is not created"

# ------------------------------------------------------------------ the end

no_temp_files "$WORK"
ok $? "no temporary files anywhere in $WORK"
cmp -s "$WORK/good.h5" "$WORK/prev.h5"
ok $? "the earlier result survived every failure byte for byte"

done_testing
