#!/bin/sh
# shellcheck source=tests/lib.sh disable=SC2154
# (SC2154: srcdir and rc come from the test environment and lib.sh.)
# Files at the edges (README.md, "Output files"): an output path must be a
# regular file the user may write, or not exist; FIFOs, devices, directories
# and sockets are refused before anything is computed, and stay what they
# were.  A rewritten file keeps its mode and group; a symbolic link's target
# is updated; a hard link is replaced.  Inputs that are not regular files
# (a FIFO would block a reader forever) are refused at once.
. "$srcdir/tests/lib.sh"

FAST="--data synthetic:gmm,n=100,d=16 -n 2 --steps 3 -q"
GITS="--data synthetic:gmm,n=100,d=16 --teacher-steps 21 --warmup 12 --steps 5 -q"
MEANSHIFT="--data synthetic:gmm,n=100,d=16 --bandwidth 0.35 --max-iter 3 -q"
# A --data spec that cannot be read: an output error reported with it was
# found before the data were read.
MISSING="npy:$WORK/missing.npy"

# still_special WHAT TEST PATH: PATH is still what `test TEST` says (-p FIFO,
# -c character device, -d directory, -S socket) and no temporary file is left.
still_special() {
    [ "$2" "$3" ] && no_temp_files "$(dirname "$3")"
    ok $? "$1: $(basename "$3") is left as it was, no temporary file"
}

# ------------------------------------------------------------ output paths

mkfifo "$WORK/fifo"
for cmd in sample gits meanshift; do
    case $cmd in
    sample) opts=$FAST ;;
    gits) opts=$GITS ;;
    meanshift) opts=$MEANSHIFT ;;
    esac
    # shellcheck disable=SC2086
    expect_error "$cmd -o FIFO" 1 - "$WORK/fifo" "not a regular file" -- $cmd $opts -o "$WORK/fifo"
    still_special "$cmd -o FIFO" -p "$WORK/fifo"
done
# shellcheck disable=SC2086
expect_error "interpolate -o FIFO" 1 - "$WORK/fifo" "not a regular file" -- \
    interpolate $FAST --steps 3 -o "$WORK/fifo"
still_special "interpolate -o FIFO" -p "$WORK/fifo"
expect_error "-o FIFO is refused before the data are read" 1 - "$WORK/fifo" \
    "not a regular file" -- sample --data "$MISSING" -n 2 --steps 3 -o "$WORK/fifo"

# A character device of our own (the null device's numbers), never /dev/null.
if mknod "$WORK/null" c 1 3 2>/dev/null; then
    # shellcheck disable=SC2086
    expect_error "sample -o DEVICE" 1 - "$WORK/null" "not a regular file" -- \
        sample $FAST -o "$WORK/null"
    still_special "sample -o DEVICE" -c "$WORK/null"
    rm -f "$WORK/null"
else
    skip_tests 5 "sample -o DEVICE" "mknod needs privileges"
fi

mkdir "$WORK/dir"
expect_error "-o DIRECTORY is refused before the data are read" 1 - "$WORK/dir" \
    "Is a directory" -- sample --data "$MISSING" -n 2 --steps 3 -o "$WORK/dir"
still_special "sample -o DIRECTORY" -d "$WORK/dir"

if have_python && "$PYTHON3" -c 'import socket, sys
s = socket.socket(socket.AF_UNIX)
s.bind(sys.argv[1])' "$WORK/sock" 2>/dev/null; then
    # shellcheck disable=SC2086
    expect_error "gits -o SOCKET" 1 - "$WORK/sock" "not a regular file" -- gits $GITS -o "$WORK/sock"
    still_special "gits -o SOCKET" -S "$WORK/sock"
else
    skip_tests 5 "gits -o SOCKET" "cannot create a socket"
fi

# A dangling symbolic link: refused (there is no target to update).
ln -s "$WORK/nowhere/x.h5" "$WORK/dangling.h5"
# shellcheck disable=SC2086
expect_error "sample -o DANGLING-SYMLINK" 1 - "$WORK/dangling.h5" "symbolic link" -- \
    sample $FAST -o "$WORK/dangling.h5"
[ -L "$WORK/dangling.h5" ] && [ ! -e "$WORK/nowhere" ]
ok $? "sample -o DANGLING-SYMLINK: the link is left as it was"

# ---------------------------------------------- rewriting an existing file

# mode_of FILE: its permission bits in octal.
mode_of() {
    stat -c %a "$1"
}

# shellcheck disable=SC2086
run_diffgeo sample $FAST -o "$WORK/private.h5"
chmod 600 "$WORK/private.h5"
# shellcheck disable=SC2086
run_diffgeo sample $FAST --seed 5 -o "$WORK/private.h5"
[ "$rc" -eq 0 ] && [ "$(mode_of "$WORK/private.h5")" = 600 ]
ok $? "sample -o over a 0600 file keeps mode 0600 (got $(mode_of "$WORK/private.h5"))"
run_diffgeo analyze "$WORK/private.h5"
[ "$rc" -eq 0 ] && [ "$(mode_of "$WORK/private.h5")" = 600 ]
ok $? "analyze of a 0600 file keeps mode 0600 (got $(mode_of "$WORK/private.h5"))"

# The group, where the user may set it (root may set any).
if chgrp 65534 "$WORK/private.h5" 2>/dev/null; then
    # shellcheck disable=SC2086
    run_diffgeo sample $FAST --seed 6 -o "$WORK/private.h5"
    [ "$rc" -eq 0 ] && [ "$(stat -c %g "$WORK/private.h5")" = 65534 ]
    ok $? "sample -o over a file of group 65534 keeps the group"
    run_diffgeo analyze "$WORK/private.h5"
    [ "$rc" -eq 0 ] && [ "$(stat -c %g "$WORK/private.h5")" = 65534 ]
    ok $? "analyze keeps the group"
else
    skip_tests 2 "rewriting keeps the group" "chgrp not permitted"
fi

# A symbolic link: its target, in another directory, is updated in place
# and the link stays a link.
mkdir "$WORK/targets"
# shellcheck disable=SC2086
run_diffgeo sample $FAST -o "$WORK/targets/run.h5"
cp "$WORK/targets/run.h5" "$WORK/snapshot"
ln -s targets/run.h5 "$WORK/link.h5"
# shellcheck disable=SC2086
run_diffgeo sample $FAST --seed 9 -o "$WORK/link.h5"
[ "$rc" -eq 0 ] && [ -L "$WORK/link.h5" ] && [ -f "$WORK/targets/run.h5" ] &&
    ! cmp -s "$WORK/snapshot" "$WORK/targets/run.h5" &&
    grep -a -q -F -e "--seed 9" "$WORK/targets/run.h5" && no_temp_files "$WORK" &&
    no_temp_files "$WORK/targets"
ok $? "sample -o SYMLINK writes the link's target, the link stays"
cp "$WORK/targets/run.h5" "$WORK/snapshot"
run_diffgeo analyze "$WORK/link.h5"
[ "$rc" -eq 0 ] && [ -L "$WORK/link.h5" ] && ! cmp -s "$WORK/snapshot" "$WORK/targets/run.h5" &&
    grep -a -q -F "metrics" "$WORK/targets/run.h5"
ok $? "analyze SYMLINK adds its metrics to the target, the link stays"

# A hard link (documented): the name written gets the new file, the other
# name keeps the old one.
# shellcheck disable=SC2086
run_diffgeo sample $FAST -o "$WORK/a.h5"
ln "$WORK/a.h5" "$WORK/b.h5"
cp "$WORK/a.h5" "$WORK/snapshot"
# shellcheck disable=SC2086
run_diffgeo sample $FAST --seed 4 -o "$WORK/a.h5"
[ "$rc" -eq 0 ] && cmp -s "$WORK/snapshot" "$WORK/b.h5" && ! cmp -s "$WORK/snapshot" "$WORK/a.h5" &&
    [ "$(stat -c %h "$WORK/a.h5")" = 1 ]
ok $? "sample -o HARDLINK replaces that name only; the other link keeps the old run"

# An unprivileged user in a directory it may write: a file it may not write
# (root's, 0644) is refused, not replaced by way of the directory.
as_nobody=
if [ "$(id -u)" = 0 ] && command -v setpriv >/dev/null 2>&1 &&
    setpriv --reuid=65534 --regid=65534 --clear-groups true 2>/dev/null; then
    as_nobody="setpriv --reuid=65534 --regid=65534 --clear-groups"
fi
shared=$(cd "$WORK" && pwd)/shared
mkdir "$shared" && chmod 1777 "$shared" 2>/dev/null
# shellcheck disable=SC2086
if [ -n "$as_nobody" ] && $as_nobody "$DIFFGEO" --version >/dev/null 2>&1 &&
    $as_nobody test -w "$shared"; then
    # shellcheck disable=SC2086
    run_diffgeo sample $FAST -o "$shared/root.h5"
    chmod 644 "$shared/root.h5"
    chmod 777 "$shared" # no sticky bit: the directory lets anyone rename over it
    cp "$shared/root.h5" "$WORK/snapshot"
    # shellcheck disable=SC2086
    $as_nobody "$DIFFGEO" sample $FAST -o "$shared/root.h5" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    [ "$rc" -eq 1 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
        grep -q "^diffgeo: .*Permission denied" "$WORK/err" && cmp -s "$WORK/snapshot" "$shared/root.h5" &&
        [ "$(stat -c %u "$shared/root.h5")" = 0 ] && no_temp_files "$shared"
    ok $? "unprivileged sample -o over a file it may not write: refused, file unchanged"
    diag "$WORK/err"
    $as_nobody "$DIFFGEO" analyze "$shared/root.h5" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    [ "$rc" -eq 1 ] && grep -q "^diffgeo: .*Permission denied" "$WORK/err" &&
        cmp -s "$WORK/snapshot" "$shared/root.h5" && no_temp_files "$shared"
    ok $? "unprivileged analyze of a file it may not write: refused, file unchanged"
    diag "$WORK/err"
else
    skip_tests 2 "unprivileged writes" "cannot run as an unprivileged user here"
fi

# ------------------------------------------------------- inputs that block

# A fresh FIFO (a failed refusal above would have replaced it).
rm -f "$WORK/fifo"
mkfifo "$WORK/fifo"

# refused_at_once WHAT -- ARGS...: diffgeo ARGS... ends within 10 s with
# status 1 and one line naming the FIFO as not a regular file.
refused_at_once() {
    _what=$1
    shift 2
    timeout -k 2 10 "$DIFFGEO" "$@" >"$WORK/out" 2>"$WORK/err"
    rc=$?
    [ "$rc" -eq 1 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
        grep -q "^diffgeo: .*$WORK/fifo.*not a regular file" "$WORK/err"
    ok $? "$_what: refused at once, one line (status $rc)"
    diag "$WORK/err"
}

refused_at_once "npy:FIFO" -- sample --data "npy:$WORK/fifo" -n 2 --steps 3 -o "$WORK/x.h5"
refused_at_once "idx:FIFO" -- sample --data "idx:$WORK/fifo" -n 2 --steps 3 -o "$WORK/x.h5"
refused_at_once "h5:FIFO" -- sample --data "h5:$WORK/fifo" -n 2 --steps 3 -o "$WORK/x.h5"
# shellcheck disable=SC2086
refused_at_once "--init npy:FIFO" -- sample $FAST --init "npy:$WORK/fifo" -o "$WORK/x.h5"
# shellcheck disable=SC2086
refused_at_once "--init h5:FIFO" -- sample $FAST --init "h5:$WORK/fifo" -o "$WORK/x.h5"
refused_at_once "--schedule h5:FIFO" -- sample --data synthetic:gmm,n=100,d=16 -n 2 \
    --schedule "h5:$WORK/fifo" -o "$WORK/x.h5"
refused_at_once "gmm:FIFO" -- sample --data "gmm:$WORK/fifo" -n 2 --steps 3 -o "$WORK/x.h5"
refused_at_once "info FIFO" -- info "$WORK/fifo"
refused_at_once "table FIFO" -- table "$WORK/fifo" /samples
refused_at_once "analyze FIFO" -- analyze "$WORK/fifo"
mkdir "$WORK/cifar"
ln -s ../fifo "$WORK/cifar/test_batch.bin"
timeout -k 2 10 "$DIFFGEO" sample --data "cifar10:$WORK/cifar:test" -n 2 --steps 3 \
    -o "$WORK/x.h5" >"$WORK/out" 2>"$WORK/err"
rc=$?
[ "$rc" -eq 1 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] && grep -q "not a regular file" "$WORK/err"
ok $? "cifar10: batch that is a FIFO: refused at once (status $rc)"
diag "$WORK/err"
[ ! -e "$WORK/x.h5" ] && no_temp_files "$WORK"
ok $? "no output file after the refused inputs"

done_testing
