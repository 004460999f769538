#!/bin/sh
# shellcheck source=tests/lib.sh disable=SC2154
# (SC2154: srcdir and rc come from the test environment and lib.sh.)
# Files and processes users can trust (issue 14, findings 3, 4, 8 and 9):
# analyze writes its measurements only into the version of the run file it
# measured (checked under the writers' lock) and leaves no stale reference
# arrays; a run file (its /config, its /fit) does not decide what analyze
# opens or allocates; info's reading of a hostile file is bounded and its
# output escaped; the isolated reader's memory limit holds.
. "$srcdir/tests/lib.sh"

have_python || skip_all "needs /usr/bin/python3 with numpy and h5py"
OMP_NUM_THREADS=2
export OMP_NUM_THREADS

# h5 PYTHON: runs a Python snippet with h5py and numpy imported and W the
# work directory; its exit status is the test's.
h5() {
    W=$WORK "$PYTHON3" -c "import os, sys, h5py, numpy as np
W = os.environ['W']
$1"
}

# measured ARGS...: runs diffgeo ARGS... as run_diffgeo does (killed after
# 60 s: status 137) and sets kb to its peak memory (kB; its children's
# included) and secs to its CPU time (s).
measured() {
    /usr/bin/time -f '%M %U' -o "$WORK/time" timeout -s KILL 60 "$DIFFGEO" "$@" \
        >"$WORK/out" 2>"$WORK/err"
    rc=$?
    set -- $(tail -n 1 "$WORK/time")
    kb=$1 secs=$2
}

# computing PID: the process has run 0.5 s of CPU time (it has read the run
# file and is measuring).
computing() {
    [ "$(cpu_ticks "$1")" -ge 50 ]
}

# ---------------------------------------------------------------- finding 3
# A concurrent `sample -o r.h5` while `analyze r.h5 --reference ...`
# computes: the result is never /trajectory of one run beside /metrics of
# the other.  analyze refuses (status 1, one line) and r.h5 is sample's.
run_diffgeo sample --data synthetic:gmm,n=100,d=16 -n 32 --steps 100 -q -o "$WORK/r.h5"
ok $rc "setup: a run of 32 samples, 100 steps"
"$DIFFGEO" analyze "$WORK/r.h5" --reference synthetic:gmm,n=20000,d=16 -q \
    >"$WORK/aout" 2>"$WORK/aerr" &
apid=$!
if wait_for $apid computing; then
    run_diffgeo sample --data synthetic:gmm,n=100,d=16 -n 5 --steps 3 -q -o "$WORK/r.h5"
    ok $rc "concurrent sample -o r.h5 while analyze computes: status 0"
    wait $apid
    arc=$?
    [ $arc -eq 1 ] && [ "$(wc -l <"$WORK/aerr")" -eq 1 ] &&
        grep -q "^diffgeo: .*r.h5 changed since it was read (another program wrote it); nothing written" "$WORK/aerr"
    ok $? "analyze of a file replaced meanwhile: status 1, one line saying so (status $arc)"
    diag "$WORK/aerr"
    h5 "f = h5py.File(W + '/r.h5', 'r')
sys.exit(0 if f['trajectory'].shape == (3, 5, 16) and 'metrics' not in f else 1)"
    ok $? "r.h5 is the new run alone: /trajectory [3][5][16], no /metrics"
    no_temp_files "$WORK"
    ok $? "no temporary file left"
else
    wait $apid
    skip_tests 4 "concurrent sample during analyze" "analyze ended before it computed"
fi

# The same when the file is rewritten in place (same inode, other bytes).
run_diffgeo sample --data synthetic:gmm,n=100,d=16 -n 32 --steps 100 -q -o "$WORK/r.h5"
cp "$WORK/r.h5" "$WORK/other.h5"
"$DIFFGEO" analyze "$WORK/r.h5" --reference synthetic:gmm,n=20000,d=16 -q \
    >"$WORK/aout" 2>"$WORK/aerr" &
apid=$!
if wait_for $apid computing; then
    # One byte of the last array's data changed.
    printf 'x' | dd of="$WORK/r.h5" bs=1 seek=$(($(wc -c <"$WORK/r.h5") - 8)) conv=notrunc 2>/dev/null
    cp "$WORK/r.h5" "$WORK/inplace.h5"
    wait $apid
    arc=$?
    [ $arc -eq 1 ] && grep -q "changed since it was read" "$WORK/aerr" &&
        cmp -s "$WORK/r.h5" "$WORK/inplace.h5"
    ok $? "analyze of a file rewritten in place meanwhile: refused, the file as rewritten"
    diag "$WORK/aerr"
else
    wait $apid
    skip_tests 1 "in-place rewrite during analyze" "analyze ended before it computed"
fi

# The window between analyze's last check and its rename: every diffgeo
# writer takes the writers' lock (an fcntl lock) on the file it replaces for
# the two.  Here another writer (Python, taking the same lock) holds it
# while analyze comes to its rename, and replaces r.h5 before letting go:
# analyze, checking under the lock, refuses.  (Without the lock analyze
# would not wait; checking before taking it, it would write the old run's
# metrics into the new file.)
# locker FILE [NEW]: holds the fcntl lock on FILE until a process waits for
# it (/proc/locks), then renames NEW (if given) over FILE, waits 0.3 s and
# lets go; prints "waited" or "nobody waited" (after 60 s), and without
# NEW "replaced while locked" if FILE was.
locker() {
    "$PYTHON3" -c 'import fcntl, os, sys, time
f = open(sys.argv[1], "r+b")
fcntl.lockf(f, fcntl.LOCK_EX)
open(sys.argv[1] + ".locked", "w").close()
ino = os.fstat(f.fileno()).st_ino
def waiter():
    return any("->" in l and l.split()[-3].endswith(":%d" % ino) for l in open("/proc/locks"))
t = time.time()
while not waiter() and time.time() - t < 60:
    time.sleep(0.01)
print("waited" if waiter() else "nobody waited", flush=True)
if len(sys.argv) > 2:
    os.replace(sys.argv[2], sys.argv[1])
time.sleep(0.3)
if len(sys.argv) == 2 and os.stat(sys.argv[1]).st_ino != ino:
    print("replaced while locked")
f.close()' "$@"
}
# locked FILE: waits (up to 10 s) until locker holds FILE's lock.
locked() {
    _k=0
    while [ ! -e "$1.locked" ] && [ $_k -lt 1000 ]; do
        sleep 0.01
        _k=$((_k + 1))
    done
    rm -f "$1.locked"
}
if [ -r /proc/locks ]; then
    run_diffgeo sample --data synthetic:gmm,n=100,d=16 -n 6 --steps 8 -q -o "$WORK/r.h5"
    run_diffgeo sample --data synthetic:gmm,n=100,d=16 -n 5 --steps 3 -q -o "$WORK/new.h5"
    cp "$WORK/new.h5" "$WORK/new-copy.h5"
    locker "$WORK/r.h5" "$WORK/new.h5" >"$WORK/lock-out" &
    lpid=$!
    locked "$WORK/r.h5"
    run_diffgeo analyze "$WORK/r.h5" -q
    wait $lpid
    [ "$(cat "$WORK/lock-out")" = waited ] && [ $rc -eq 1 ] &&
        grep -q "r.h5 changed since it was read (another program wrote it); nothing written" "$WORK/err" &&
        cmp -s "$WORK/r.h5" "$WORK/new-copy.h5"
    ok $? "analyze waits for the writers' lock, then refuses the file replaced meanwhile ($(cat "$WORK/lock-out"), status $rc)"
    diag "$WORK/err"
    no_temp_files "$WORK"
    ok $? "no temporary file left"
    # Every writer takes it: sample waits, then replaces the file.
    locker "$WORK/r.h5" >"$WORK/lock-out" &
    lpid=$!
    locked "$WORK/r.h5"
    "$DIFFGEO" sample --data synthetic:gmm,n=100,d=16 -n 3 --steps 3 -q -o "$WORK/r.h5" \
        >"$WORK/out" 2>"$WORK/err" &
    spid=$!
    wait $lpid
    wait $spid
    rc=$?
    [ "$(cat "$WORK/lock-out")" = waited ] && [ $rc -eq 0 ] &&
        h5 "sys.exit(h5py.File(W + '/r.h5', 'r')['trajectory'].shape != (3, 3, 16))"
    ok $? "sample waits for the writers' lock, then writes ($(cat "$WORK/lock-out"), status $rc)"
else
    skip_tests 3 "the writers' lock" "no /proc/locks"
fi

# Stale reference arrays: analyze --reference, then analyze alone.
run_diffgeo sample --data synthetic:gmm,n=100,d=16 -n 4 --steps 5 -q -o "$WORK/s.h5"
run_diffgeo analyze "$WORK/s.h5" --reference synthetic:gmm,n=100,d=16 -q
ok $rc "setup: analyze --reference"
h5 "f = h5py.File(W + '/s.h5', 'r'); sys.exit(0 if 'score_deviation' in f['metrics'] else 1)"
ok $? "setup: /metrics/score_deviation written"
run_diffgeo analyze "$WORK/s.h5" -q
ok $rc "analyze again without --reference: status 0"
h5 "f = h5py.File(W + '/s.h5', 'r')
stale = [k for k in ('score_deviation', 'distance_to_optimal', 'denoised_vs_optimal',
    'optimal_self', 'kde_loglik_before', 'kde_loglik_after', 'kde_gain_bound',
    'kde_violations', 'nn_distance', 'nn_distance_ratio') if k in f['metrics']]
print('#   stale:', stale)
sys.exit(0 if not stale and 'deviation' in f['metrics'] else 1)"
ok $? "no reference array of the earlier analysis is left"

# ---------------------------------------------------------------- finding 4
# A run file names data in /config/data: analyze loads them (to re-create
# the run's own denoiser for optimal_self) only with --trust-config, and a
# loader refuses rows of the wrong dimension before it allocates them.

# note FILE ARRAY: the 'note' attribute of /metrics/ARRAY.
note() {
    "$PYTHON3" -c 'import sys, h5py
print(h5py.File(sys.argv[1], "r")["metrics"][sys.argv[2]].attrs.get("note", ""))' "$@"
}
# set_config_data FILE SPEC: /config/data of FILE becomes SPEC.
set_config_data() {
    "$PYTHON3" -c 'import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    f["config"].attrs["data"] = sys.argv[2]' "$@"
}
# The run's own data in a .npy file the run names, the reference elsewhere.
h5 "x = np.random.default_rng(4).normal(size=(50, 16))
np.save(W + '/own.npy', x)
np.save(W + '/ref.npy', x[:40])
np.save(W + '/narrow.npy', np.zeros((10, 8)))"
ok $? "setup: the run's data own.npy (50 x 16) and reference ref.npy (its first 40 rows)"
run_diffgeo sample --data "npy:$WORK/own.npy" -n 3 --steps 6 -q -o "$WORK/u.h5"
ok $rc "setup: a run on npy:own.npy"
cp "$WORK/u.h5" "$WORK/u0.h5"
run_diffgeo analyze "$WORK/u.h5" --reference "npy:$WORK/ref.npy" -q
h5 "f = h5py.File(W + '/u.h5', 'r'); sys.exit('optimal_self' in f['metrics'] or 'score_deviation' not in f['metrics'])"
ok $? "analyze --reference OTHER: status $rc, /config/data not loaded (no optimal_self)"
note "$WORK/u.h5" score_deviation | grep -q "without --trust-config: /config/data 'npy:$WORK/own.npy'"
ok $? "the note of score_deviation says --trust-config would load /config/data"
cp "$WORK/u0.h5" "$WORK/u.h5"
run_diffgeo analyze "$WORK/u.h5" --reference "npy:$WORK/ref.npy" --trust-config -q
h5 "f = h5py.File(W + '/u.h5', 'r'); sys.exit('optimal_self' not in f['metrics'])"
ok $? "analyze --reference OTHER --trust-config: status $rc, optimal_self written"
run_diffgeo analyze "$WORK/u.h5" --trust-config -q
[ $rc -eq 2 ] && grep -q -- "--trust-config needs --reference" "$WORK/err"
ok $? "--trust-config without --reference: a usage error"
"$DIFFGEO" analyze --help | grep -q -- "--trust-config"
ok $? "analyze --help documents --trust-config"

# /config/data naming 2 million rows of dimension 1000 (16 GB): refused by
# its dimension before any row is allocated, even when trusted, in well
# under a second of CPU and a small fraction of that memory.
cp "$WORK/u0.h5" "$WORK/big.h5"
set_config_data "$WORK/big.h5" "synthetic:gmm,n=2000000,d=1000"
measured analyze "$WORK/big.h5" \
    --reference "npy:$WORK/ref.npy" --trust-config -q
[ $rc -eq 0 ] && [ "$kb" -lt 400000 ]
ok $? "a trusted /config/data of 16 GB: status $rc, peak memory $kb kB, $secs s of CPU"
note "$WORK/big.h5" score_deviation | grep -q "synthetic:gmm: rows of dimension 1000, 16 wanted"
ok $? "the note says the dimension is wrong"
diag "$WORK/err"
# The same named on the command line: the loader refuses it at once.
expect_error "--reference of dimension 1000 for a run of 16" 1 - \
    "rows of dimension 1000, 16 wanted" -- \
    analyze "$WORK/u0.h5" --reference synthetic:gmm,n=2000000,d=1000 -q
expect_error "--reference npy: of dimension 8" 1 - "rows of dimension 8, 16 wanted" -- \
    analyze "$WORK/u0.h5" --reference "npy:$WORK/narrow.npy" -q
h5 "f = h5py.File(W + '/narrow.h5', 'w'); f['x'] = np.zeros((10, 8))"
expect_error "--reference h5: of dimension 8" 1 - "rows of dimension 8, 16 wanted" -- \
    analyze "$WORK/u0.h5" --reference "h5:$WORK/narrow.h5:/x" -q
# A FIFO named in /config/data: refused at once, never opened.
mkfifo "$WORK/fifo"
cp "$WORK/u0.h5" "$WORK/f.h5"
set_config_data "$WORK/f.h5" "npy:$WORK/fifo"
timeout 60 "$DIFFGEO" analyze "$WORK/f.h5" --reference "npy:$WORK/ref.npy" --trust-config -q \
    >"$WORK/out" 2>"$WORK/err"
rc=$?
[ $rc -eq 0 ] && note "$WORK/f.h5" score_deviation | grep -q "not a regular file (a FIFO)"
ok $? "a FIFO in /config/data: analyze does not hang (status $rc), the note says why"

# A fitted run's denoiser is read from its /fit as untrusted input: in the
# isolated reader, /fit/means checked against /config/denoiser's components
# and the run's dimension before any array is read, values checked, memory
# bounded.  A malformed /fit leaves optimal_self out with the reason.
run_diffgeo sample --data synthetic:gmm,n=100,d=16 --denoiser gaussian -n 3 --steps 6 -q \
    -o "$WORK/fit0.h5"
ok $rc "setup: a run of the gaussian denoiser (its mixture in /fit)"
cp "$WORK/fit0.h5" "$WORK/fit.h5"
run_diffgeo analyze "$WORK/fit.h5" --reference synthetic:gmm,n=100,d=16 -q
h5 "sys.exit('optimal_self' not in h5py.File(W + '/fit.h5', 'r')['metrics'])"
ok $? "analyze of it: status $rc, optimal_self written (its /fit reproduces /denoised)"
h5 "import shutil, zlib
def variant(name, change):
    shutil.copy(W + '/fit0.h5', W + '/' + name + '.h5')
    with h5py.File(W + '/' + name + '.h5', 'r+') as f:
        change(f)
def narrow(f):
    del f['fit/means']
    f['fit/means'] = np.zeros((1, 8))
def nan(f):
    m = f['fit/means'][()]
    m[0, 3] = np.nan
    f['fit/means'][...] = m
def components(f):
    f['config'].attrs['denoiser'] = 'gmm-fit:3'
def bomb(f):
    # 48 Mi components: 6 GiB of means and of variances, 13 MB on disk.
    K = 48 << 20
    f['config'].attrs['denoiser'] = 'gmm-fit:%d' % K
    for k in list(f['fit']):
        del f['fit/' + k]
    chunk = zlib.compress(np.zeros(1 << 20).tobytes(), 9)
    w = f['fit'].create_dataset('weights', shape=(K,), dtype='f8', chunks=(1 << 20,),
                                compression='gzip')
    for i in range(K >> 20):
        w.id.write_direct_chunk((i << 20,), chunk)
    for name in ('means', 'variances'):
        d = f['fit'].create_dataset(name, shape=(K, 16), dtype='f8', chunks=(1 << 16, 16),
                                    compression='gzip')
        for i in range(K >> 16):
            d.id.write_direct_chunk((i << 16, 0), chunk)
variant('fit-narrow', narrow)
variant('fit-nan', nan)
variant('fit-components', components)
variant('fit-bomb', bomb)"
ok $? "setup: /fit/means [1][8], /fit/means holding NaN, /config/denoiser gmm-fit:3, 6 GiB of /fit in 13 MB"
for v in "narrow:is not \[1\]\[16\] (the components of /config/denoiser, the run's dimension)" \
    "nan:/fit/means: row 0, column 3 holds NaN" \
    "components:is not \[3\]\[16\]" \
    "bomb:/fit/means: cannot allocate 805306368 doubles"; do
    name=${v%%:*} want=${v#*:}
    if [ $name = bomb ] && { under_asan || under_valgrind; }; then
        skip_tests 1 "a /fit of 6 GiB" "no memory limit under AddressSanitizer; slow under valgrind"
        continue
    fi
    measured analyze "$WORK/fit-$name.h5" --reference synthetic:gmm,n=100,d=16 -q
    [ $rc -eq 0 ] && [ "$kb" -lt 1000000 ] &&
        h5 "sys.exit('optimal_self' in h5py.File(W + '/fit-$name.h5', 'r')['metrics'])" &&
        note "$WORK/fit-$name.h5" score_deviation |
        grep -q "optimal_self not written: cannot re-create the run's fitted denoiser from /fit: .*$want"
    ok $? "a /fit $name: status $rc, no optimal_self, the note says why; peak $kb kB, $secs s"
    diag "$WORK/err"
done

# ---------------------------------------------------------------- finding 8
# A 2 KB file whose variable-length string attribute claims 1.8 GB (its
# length field corrupted): info finishes at once in little memory, the
# value shown as its type.
h5 "import struct
with h5py.File(W + '/vlen.h5', 'w') as f:
    f.attrs['note'] = 'Q' * 16
    f['x'] = np.zeros(3)
b = bytearray(open(W + '/vlen.h5', 'rb').read())
gcol = b.find(b'GCOL')
ref = b.find(struct.pack('<IQI', 16, gcol, 1))   # length, heap address, index
assert gcol > 0 and ref > 0
b[ref:ref + 4] = struct.pack('<I', 0x70000000)
open(W + '/vlen.h5', 'wb').write(b)"
ok $? "setup: a file whose string attribute's length field says 1.8 GB"
# The bound is the isolated reader's memory limit, which a build with
# AddressSanitizer (terabytes of shadow memory) cannot set: there only the
# outcome is checked (and libhdf5, given the memory, reads the value).
small_peak() {
    under_asan || [ "$kb" -lt 300000 ]
}
note_shown() {
    if under_asan; then
        grep -q "^  note  " "$WORK/out"
    else
        grep -q "^  note  *(string)$" "$WORK/out"
    fi
}
measured info "$WORK/vlen.h5"
[ $rc -eq 0 ] && small_peak && note_shown &&
    grep -q "^  /x " "$WORK/out"
ok $? "info of it: status $rc, peak memory $kb kB ($secs s of CPU), the contents listed"
diag "$WORK/out"
# analyze reads /config the same way: a run file whose /config/data string
# claims 1.8 GB costs no more than a sound one.
h5 "import struct
b = bytearray(open(W + '/u0.h5', 'rb').read())
n = len(h5py.File(W + '/u0.h5', 'r')['config'].attrs['data'].encode())
def all_at(pattern):
    k = b.find(pattern)
    while k >= 0:
        yield k
        k = b.find(pattern, k + 1)
refs = [k for g in all_at(b'GCOL') for k in all_at(struct.pack('<IQ', n, g))]
assert len(refs) == 1
b[refs[0]:refs[0] + 4] = struct.pack('<I', 0x70000000)
open(W + '/cfg.h5', 'wb').write(b)"
ok $? "setup: a run file whose /config/data claims 1.8 GB"
measured analyze "$WORK/cfg.h5" \
    --reference "npy:$WORK/ref.npy" -q
[ $rc -eq 0 ] && small_peak
ok $? "analyze --reference of it: status $rc, peak memory $kb kB, $secs s of CPU"
diag "$WORK/err"
# The same bound holds for a fixed-length string whose size is corrupted.
h5 "import struct
with h5py.File(W + '/fixed.h5', 'w') as f:
    f.attrs['note'] = np.bytes_(b'abcdefghij')
    f['x'] = np.zeros(3)
b = bytearray(open(W + '/fixed.h5', 'rb').read())
k = b.find(bytes([0x13, 1, 0, 0]) + struct.pack('<I', 10))  # a string type of 10 bytes
assert k > 0
b[k + 4:k + 8] = struct.pack('<I', 0x70000000)
open(W + '/fixed.h5', 'wb').write(b)"
measured info "$WORK/fixed.h5"
[ $rc -eq 0 ] && [ "$kb" -lt 300000 ] && grep -q "^  /x " "$WORK/out"
ok $? "info of a file whose fixed-length string says 1.8 GB: status $rc, peak memory $kb kB"

# ---------------------------------------------------------------- finding 9
# info escapes control characters in names and values: a file cannot send
# escape sequences to the terminal.
h5 "with h5py.File(W + '/esc.h5', 'w') as f:
    f.attrs['ti\x1btle'] = 'red \x1b[31m text\rback\\\\slash σ'
    f['da\x07ta'] = np.zeros(2)"
run_diffgeo info "$WORK/esc.h5"
"$PYTHON3" -c 'import sys
sys.exit(any(c < 32 and c != 10 or c == 127 for c in open(sys.argv[1], "rb").read()))' "$WORK/out" &&
    grep -q -F 'ti\x1btle' "$WORK/out" && grep -q -F 'red \x1b[31m text\x0dback\\slash σ' "$WORK/out" &&
    grep -q -F '/da\x07ta' "$WORK/out"
ok $? "info prints control characters as \\xNN and doubles a backslash (status $rc)"
diag "$WORK/out"

# analyze on points near 1e-200 or 1e200: the measurements of a run scaled
# by an exact power of two (2^-660, 2^660) are those of the run itself, bit
# for bit, for the scale-free arrays (pca2_error) and scaled for coords3d.
run_diffgeo sample --data synthetic:gmm,n=100,d=16 -n 3 --steps 8 -q -o "$WORK/p.h5"
h5 "f = h5py.File(W + '/p.h5', 'r')
for name, e in (('tiny', -660), ('huge', 660)):
    with h5py.File(W + '/' + name + '.h5', 'w') as g:
        g['sigmas'] = f['sigmas'][()]
        g['trajectory'] = np.ldexp(f['trajectory'][()], e)
        g['denoised'] = np.ldexp(f['denoised'][()], e)"
ok $? "setup: the run scaled by 2^-660 and 2^660"
for name in tiny huge; do
    "$DIFFGEO" analyze "$WORK/$name.h5" -q 2>"$WORK/err"
    ok $? "analyze of the run scaled to $name values: status 0"
    diag "$WORK/err"
done
"$DIFFGEO" analyze "$WORK/p.h5" -q
h5 "m = h5py.File(W + '/p.h5', 'r')['metrics']
bad = []
for name, e in (('tiny', -660), ('huge', 660)):
    t = h5py.File(W + '/' + name + '.h5', 'r')['metrics']
    if not np.array_equal(t['pca2_error'][()], m['pca2_error'][()]): bad.append(name + ' pca2_error')
    if not np.array_equal(t['coords3d'][()], np.ldexp(m['coords3d'][()], e)): bad.append(name + ' coords3d')
print('#   differ:', bad)
sys.exit(1 if bad or np.isnan(m['pca2_error'][()]).any() else 0)"
ok $? "pca2_error and coords3d of the scaled runs: the run's own, exactly (scaled)"

# A pipe as npy: input (bash's <(cat f.npy)): refused at once with one line.
mkfifo "$WORK/npipe"
cat "$WORK/own.npy" >"$WORK/npipe" &
catpid=$!
expect_error "npy: of a pipe" 1 "$WORK/o.h5" "not a regular file (a FIFO)" -- \
    sample --data "npy:$WORK/npipe" -n 2 --steps 3 -q -o "$WORK/o.h5"
! grep -q "left in the file" "$WORK/err"
ok $? "no size computed from a pipe ('left in the file')"
kill $catpid 2>/dev/null
wait $catpid 2>/dev/null

# ---------------------------------------------------------------- the isolated reader
# Every path that could block on a FIFO is refused before it opens it
# (tests/cli_files.sh), so no SIGTERM during a blocked open is left to test.
# The child that reads an HDF5 file first dies with its parent: a parent
# killed outright (SIGKILL) while its child decompresses 320 MB leaves no
# reader behind.
h5 "with h5py.File(W + '/slow.h5', 'w') as f:
    d = f.create_dataset('x', shape=(40000, 1000), dtype='f8', chunks=(1000, 1000),
                         compression='gzip', compression_opts=9)
    d[...] = np.zeros((40000, 1000))"
ok $? "setup: 320 MB of zeros, gzip-compressed"
# child_of PID: a child process of PID, if any.
child_of() {
    for _s in /proc/[0-9]*/stat; do
        awk -v p="$1" '{ sub(/^.*\) /, ""); if ($2 == p) { print FILENAME; exit } }' "$_s" 2>/dev/null
    done | sed -n 's|^/proc/\([0-9]*\)/stat$|\1|p' | head -n 1
}
# alive PID: the process exists and is not a zombie.
alive() {
    [ -r "/proc/$1/stat" ] && ! awk '{ sub(/^.*\) /, ""); exit $1 != "Z" }' "/proc/$1/stat" 2>/dev/null
}
"$DIFFGEO" sample --data "h5:$WORK/slow.h5" -n 2 --steps 3 -q -o "$WORK/slow-out.h5" \
    >"$WORK/out" 2>"$WORK/err" &
pid=$!
child=
k=0
while [ -z "$child" ] && [ $k -lt 500 ] && kill -0 $pid 2>/dev/null; do
    child=$(child_of $pid)
    [ -n "$child" ] || sleep 0.01
    k=$((k + 1))
done
if [ -n "$child" ] && alive "$child"; then
    # Its address space is bounded (dg_h5.h): 4 GiB and 64 bytes per byte of
    # the file beyond what it inherits; no bound under AddressSanitizer.
    if under_asan; then
        skip_tests 1 "the isolated reader's address-space limit" "AddressSanitizer: no limit by design"
    else
        lim=$(awk '/^Max address space/ { print $4 }' "/proc/$child/limits" 2>/dev/null)
        own=$(($(wc -c <"$WORK/slow.h5") * 64 + 4 * 1024 * 1024 * 1024))
        case $lim in
        '' | *[!0-9]*) false ;;
        *) [ "$lim" -ge "$own" ] && [ "$lim" -le $((own + 16 * 1024 * 1024 * 1024)) ] ;;
        esac
        ok $? "the isolated reader's address space is bounded: $lim bytes (4 GiB + 64 x file: $own)"
    fi
    kill -KILL $pid
    wait $pid 2>/dev/null
    k=0
    while alive "$child" && [ $k -lt 200 ]; do
        sleep 0.01
        k=$((k + 1))
    done
    ! alive "$child"
    ok $? "the isolated reader ends with its parent (SIGKILL of the parent; gone after $((k * 10)) ms)"
    alive "$child" && kill -KILL "$child"
else
    wait $pid 2>/dev/null
    skip_tests 1 "the isolated reader ends with its parent" "no reader seen in time"
fi

# The memory bound itself (finding 8's files above test the metadata
# reader's): a 6 MB file of 6 GiB of gzip-compressed zeros (within zlib's
# ratio, so the storage check lets it through) is refused by the reader's
# failed allocation at once, in little memory.  Without the bound it would
# decompress 6 GiB twice and sample on them (until measured's timeout).
h5 "import zlib
chunk = zlib.compress(np.zeros((1024, 1024)).tobytes(), 9)
with h5py.File(W + '/bomb.h5', 'w') as f:
    d = f.create_dataset('x', shape=(768 * 1024, 1024), dtype='f8', chunks=(1024, 1024),
                         compression='gzip')
    for i in range(768):
        d.id.write_direct_chunk((i * 1024, 0), chunk)"
ok $? "setup: 6 GiB of zeros in a 6 MB file, gzip-compressed"
if under_asan || under_valgrind; then
    skip_tests 1 "the isolated reader's memory bound" \
        "no memory limit under AddressSanitizer; slow under valgrind"
else
    measured sample --data "h5:$WORK/bomb.h5:/x" -n 2 --steps 3 -q -o "$WORK/bomb-out.h5"
    [ $rc -eq 1 ] && [ "$kb" -lt 1000000 ] && [ "$(wc -l <"$WORK/err")" -eq 1 ] &&
        grep -q "^diffgeo: .*bomb.h5:/x: cannot allocate 786432 × 1024 doubles$" "$WORK/err" &&
        [ ! -e "$WORK/bomb-out.h5" ]
    ok $? "sample on it: refused (status $rc), peak memory $kb kB (children included), $secs s"
    diag "$WORK/err"
fi

done_testing
