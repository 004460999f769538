#!/bin/sh
# shellcheck source=tests/lib.sh disable=SC2086,SC2154
# (SC2086: $OPTS is split into options on purpose; SC2154: srcdir and rc come
# from the test environment and lib.sh.)
# npy:PATH against numpy itself: arrays saved by np.save (float64, float32,
# big-endian float64, uint8 images; header versions 2.0 and 3.0) are read by
# `diffgeo sample --data npy:... --init npy:...`.  The run file must start
# exactly at the saved start points, and its whole trajectory must equal, bit
# for bit, that of the same run on the same values written by h5py; numpy's
# Fortran-order, object, int64 and 1-D arrays are refused with one line.
. "$srcdir/tests/lib.sh"

if ! have_python; then
    skip_all "python3 with numpy and h5py not available"
fi

# Each dtype: NAME.npy (40 images of 4 x 4), NAME_starts.npy (3 x 16), and
# NAME.h5 with /x and /starts, the float64 values diffgeo must read from them
# (uint8: v/127.5 - 1, computed by numpy).
"$PYTHON3" - "$WORK" <<'EOF'
import os, sys
import numpy as np, h5py
w = sys.argv[1]
rng = np.random.default_rng(20261129)
x = rng.normal(size=(40, 4, 4)) * 0.7 + 0.1
starts = rng.normal(size=(3, 16)) * 80
cases = {
    "f8": (x, starts),
    "f4": (x.astype(np.float32), starts.astype(np.float32)),
    "f8be": (x.astype(">f8"), starts.astype(">f8")),
    "u8": (rng.integers(0, 256, size=(40, 4, 4), dtype=np.uint8),
           rng.integers(0, 256, size=(3, 16), dtype=np.uint8)),
}
def as_read(a):
    return a.astype(np.float64) / 127.5 - 1.0 if a.dtype == np.uint8 else a.astype(np.float64)
for name, (data, s) in cases.items():
    np.save(os.path.join(w, name + ".npy"), data)
    np.save(os.path.join(w, name + "_starts.npy"), s)
    with h5py.File(os.path.join(w, name + ".h5"), "w") as f:
        f["x"] = as_read(data)
        f["starts"] = as_read(s)
for version in (2, 3):
    with open(os.path.join(w, "v%d.npy" % version), "wb") as f:
        np.lib.format.write_array(f, x, version=(version, 0))
np.save(os.path.join(w, "fortran.npy"), np.asfortranarray(x.reshape(40, 16)))
np.save(os.path.join(w, "object.npy"), np.full((3, 16), None, dtype=object),
        allow_pickle=True)
np.save(os.path.join(w, "int64.npy"), np.zeros((3, 16), dtype=np.int64))
np.save(os.path.join(w, "vector.npy"), np.zeros(16))
with open(os.path.join(w, "f8.npy"), "rb") as f:
    whole = f.read()
with open(os.path.join(w, "cut.npy"), "wb") as f:
    f.write(whole[:-8])
EOF
ok $? "setup: numpy saves float64, float32, >f8 and uint8 arrays, h5py the same values"

OPTS="-q --steps 6 --solver heun"

# compare RUN-A RUN-B STARTS.h5: RUN-A starts at /starts exactly, has image_shape
# 4 x 4, and its /trajectory equals RUN-B's bit for bit.
compare() {
    "$PYTHON3" - "$@" <<'EOF'
import sys
import numpy as np, h5py
a, b, ref = sys.argv[1:4]
with h5py.File(a, "r") as fa, h5py.File(b, "r") as fb, h5py.File(ref, "r") as fr:
    traj, other, starts = fa["trajectory"][...], fb["trajectory"][...], fr["starts"][...]
    shape = list(np.atleast_1d(fa["config"].attrs.get("image_shape", [])))
problems = []
if traj.dtype != np.float64 or not np.array_equal(traj[0], starts):
    problems.append("/trajectory[0] differs from the saved start points")
if shape != [4, 4]:
    problems.append("image_shape %r, expected [4, 4]" % shape)
if traj.shape != other.shape or traj.tobytes() != other.tobytes():
    problems.append("/trajectory differs from the run on the h5py copy")
for p in problems:
    print("# " + p)
sys.exit(1 if problems else 0)
EOF
}

for name in f8 f4 f8be u8; do
    run_diffgeo sample $OPTS --data "npy:$WORK/$name.npy" --init "npy:$WORK/${name}_starts.npy" \
        -o "$WORK/npy_$name.h5"
    ok $rc "$name: diffgeo sample --data npy: --init npy: runs"
    [ "$rc" -eq 0 ] || diag "$WORK/err"
    run_diffgeo sample $OPTS --data "h5:$WORK/$name.h5:/x" --init "h5:$WORK/$name.h5:/starts" \
        -o "$WORK/h5_$name.h5"
    ok $rc "$name: the same run on the h5py copy"
    compare "$WORK/npy_$name.h5" "$WORK/h5_$name.h5" "$WORK/$name.h5"
    ok $? "$name: starts exactly at the saved points, trajectory equals the h5py run bit for bit"
done

for version in 2 3; do
    run_diffgeo sample $OPTS --data "npy:$WORK/v$version.npy" --init "npy:$WORK/f8_starts.npy" \
        -o "$WORK/v$version.h5"
    ok $rc "header version $version.0: diffgeo sample runs"
    compare "$WORK/v$version.h5" "$WORK/h5_f8.h5" "$WORK/f8.h5"
    ok $? "header version $version.0: trajectory equals the float64 run bit for bit"
done

OUT=$WORK/out.h5
expect_error "numpy Fortran-order array" 1 "$OUT" "$WORK/fortran.npy" \
    "Fortran order is not supported; save with np.ascontiguousarray" -- \
    sample $OPTS --data "npy:$WORK/fortran.npy" -o "$OUT"
expect_error "numpy object array" 1 "$OUT" "$WORK/object.npy" "object arrays ('|O')" -- \
    sample $OPTS --data "npy:$WORK/object.npy" -o "$OUT"
expect_error "numpy int64 array" 1 "$OUT" "$WORK/int64.npy" "unsupported dtype '<i8'" -- \
    sample $OPTS --data "npy:$WORK/int64.npy" -o "$OUT"
expect_error "numpy 1-D array" 1 "$OUT" "$WORK/vector.npy" "rank 1" -- \
    sample $OPTS --data "npy:$WORK/vector.npy" -o "$OUT"
expect_error "numpy file cut by 8 bytes" 1 "$OUT" "$WORK/cut.npy" "truncated .npy file" -- \
    sample $OPTS --data "npy:$WORK/cut.npy" -o "$OUT"

done_testing
