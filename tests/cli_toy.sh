#!/bin/sh
# Toy data sets as rows (synthetic:moons, spiral, swissroll, checkerboard;
# rings and gauss2d with n=), synthetic:gmm in the plane, the files of data/,
# and the data rows stored in run files (/data, /samples_data).  Each toy set
# is checked against the geometry it is defined by, read back from /data.
. "$srcdir/tests/lib.sh"

# rows SPEC NAME [OPTIONS...]: a short sample run whose /data holds SPEC's rows.
rows() {
    _spec=$1 _name=$2
    shift 2
    run_diffgeo sample -q --data "$_spec" --steps 2 -n 1 "$@" -o "$WORK/$_name.h5"
    [ "$rc" -eq 0 ] || diag "$WORK/err"
}

# py_check DESCRIPTION ARGS... <<'PY': a Python check (exit 0 = pass), or a skip.
py_check() {
    _what=$1
    shift
    if have_python; then
        "$PYTHON3" - "$@"
        ok $? "$_what"
    else
        cat >/dev/null
        skip_tests 1 "$_what" "python3 with numpy and h5py not available"
    fi
}

# --- the toy sets' geometry ---------------------------------------------------

rows "synthetic:moons,n=2000,noise=0" moons0
rows "synthetic:moons,n=2000" moons
py_check "moons: even rows on the upper half circle about (0, 0), odd rows on the lower one about (1, 0.5); default noise 0.05" \
    "$WORK/moons0.h5" "$WORK/moons.h5" <<'PY'
import sys, h5py, numpy as np
x = h5py.File(sys.argv[1])["data"][()]
up, lo = x[0::2], x[1::2]
e1 = np.abs(np.hypot(up[:, 0], up[:, 1]) - 1).max()
e2 = np.abs(np.hypot(lo[:, 0] - 1, lo[:, 1] - 0.5) - 1).max()
good = x.shape == (2000, 2) and e1 < 1e-14 and e2 < 1e-14
good &= up[:, 1].min() >= 0 and lo[:, 1].max() <= 0.5
# The whole angle range is used: both ends of each half circle are reached.
good &= up[:, 0].min() < -0.99 and up[:, 0].max() > 0.99
y = h5py.File(sys.argv[2])["data"][()]
# Noise of standard deviation s moves a point off its circle by ~N(0, s²).
r = np.concatenate([np.hypot(y[0::2, 0], y[0::2, 1]) - 1,
                    np.hypot(y[1::2, 0] - 1, y[1::2, 1] - 0.5) - 1])
print(f"# noise 0: off the circles by {max(e1, e2):.1e}; noise 0.05: radial sd {r.std():.4f}")
good &= 0.045 < r.std() < 0.055
sys.exit(0 if good else 1)
PY

rows "synthetic:spiral,n=1500,noise=0,turns=3" spiral
py_check "spiral: angle = 2π·turns·radius (mod 2π) and radius ≤ 1" "$WORK/spiral.h5" <<'PY'
import sys, h5py, numpy as np
x = h5py.File(sys.argv[1])["data"][()]
r = np.hypot(x[:, 0], x[:, 1])
d = np.angle(np.exp(1j * (np.arctan2(x[:, 1], x[:, 0]) - 2 * np.pi * 3 * r)))
print(f"# spiral: largest angle mismatch {np.abs(d).max():.1e}, radius in [{r.min():.3f}, {r.max():.3f}]")
sys.exit(0 if x.shape == (1500, 2) and np.abs(d).max() < 1e-9 and r.max() <= 1 else 1)
PY

rows "synthetic:swissroll,n=1200,noise=0" roll2
rows "synthetic:swissroll,d=3,n=1200,noise=0" roll3
py_check "swissroll: radius r = t/(4.5π) at angle t ∈ [1.5π, 4.5π]; d=3 adds a height in [−1, 1]" \
    "$WORK/roll2.h5" "$WORK/roll3.h5" <<'PY'
import sys, h5py, numpy as np
good = True
for path, d in zip(sys.argv[1:], (2, 3)):
    x = h5py.File(path)["data"][()]
    good &= x.shape == (1200, d)
    r = np.hypot(x[:, 0], x[:, 1])
    t = 4.5 * np.pi * r
    d_angle = np.angle(np.exp(1j * (np.arctan2(x[:, 1], x[:, 0]) - t)))
    good &= np.abs(d_angle).max() < 1e-9 and r.min() >= 1 / 3 - 1e-15 and r.max() <= 1
    if d == 3:
        h = x[:, 2]
        good &= h.min() >= -1 and h.max() <= 1 and h.min() < -0.9 and h.max() > 0.9
    print(f"# swissroll d={d}: angle mismatch {np.abs(d_angle).max():.1e}, r in [{r.min():.4f}, {r.max():.4f}]")
sys.exit(0 if good else 1)
PY

rows "synthetic:checkerboard,n=4000" board
rows "synthetic:checkerboard,n=3000,cells=6,seed=9" board6
py_check "checkerboard: every point in a black square (floor x + floor y even), each of them used evenly" \
    "$WORK/board.h5" "$WORK/board6.h5" <<'PY'
import sys, h5py, numpy as np
good = True
for path, cells, n in zip(sys.argv[1:], (4, 6), (4000, 3000)):
    x = h5py.File(path)["data"][()]
    f = np.floor(x).astype(int)
    good &= x.shape == (n, 2) and np.all((f[:, 0] + f[:, 1]) % 2 == 0)
    good &= x.min() >= -cells / 2 and x.max() < cells / 2
    squares = cells * cells // 2
    _, counts = np.unique(f, axis=0, return_counts=True)
    # Binomial counts: mean n/squares, 5 standard deviations either side.
    m = n / squares
    sd = np.sqrt(m * (1 - 1 / squares))
    good &= len(counts) == squares and np.all(np.abs(counts - m) < 5 * sd)
    print(f"# {cells}×{cells}: {len(counts)} squares used, counts {counts.min()} to {counts.max()} (mean {m:.0f})")
sys.exit(0 if good else 1)
PY

rows "synthetic:gmm,n=600,d=2,k=5,std=0.001,seed=4" gmm2
py_check "synthetic:gmm in d = 2: k = 5 clusters on the circle of radius 0.8, 72° apart" "$WORK/gmm2.h5" <<'PY'
import sys, h5py, numpy as np
x = h5py.File(sys.argv[1])["data"][()]
r = np.hypot(x[:, 0], x[:, 1])
t = np.sort(np.arctan2(x[:, 1], x[:, 0]))
# Clusters: runs of angles without a gap wider than 0.05 rad (std 0.001 at
# radius 0.8 spreads a cluster over ~0.01 rad).
cut = np.flatnonzero(np.diff(t) > 0.05) + 1
groups = np.split(t, cut)
if len(groups) > 1 and t[0] + 2 * np.pi - t[-1] < 0.05:  # a cluster across ±π
    groups = [np.concatenate([groups[-1] - 2 * np.pi, groups[0]])] + groups[1:-1]
a = np.array([g.mean() for g in groups])
gaps = np.diff(np.concatenate([a, [a[0] + 2 * np.pi]]))
print(f"# radius in [{r.min():.4f}, {r.max():.4f}], cluster angles {np.degrees(a).round(1)}")
good = np.abs(r - 0.8).max() < 0.006 and len(a) == 5 and np.abs(gaps - 2 * np.pi / 5).max() < 0.01
sys.exit(0 if good else 1)
PY

rows "synthetic:rings,n=800,std=0.0001,seed=3" rings
run_diffgeo info "$WORK/rings.h5"
grep -q "denoiser  *empirical" "$WORK/out"
ok $? "synthetic:rings,n=N is data rows (the empirical denoiser), without n= the mixture"
py_check "rings,n=N: rows on the 2 × 8 component means (radii 1 and 2, angles k·45°)" "$WORK/rings.h5" <<'PY'
import sys, h5py, numpy as np
x = h5py.File(sys.argv[1])["data"][()]
r = np.hypot(x[:, 0], x[:, 1])
a = np.arctan2(x[:, 1], x[:, 0]) / (np.pi / 4)
good = x.shape == (800, 2) and np.all(np.minimum(np.abs(r - 1), np.abs(r - 2)) < 0.001)
good &= np.abs(a - np.round(a)).max() < 0.001
means = {(round(ri), int(np.round(ai)) % 8) for ri, ai in zip(r, a)}
print(f"# {len(means)} of 16 component means hit")
sys.exit(0 if good and len(means) == 16 else 1)
PY

rows "synthetic:gauss2d,n=20000,seed=7" g2rows
run_diffgeo sample -q --data "synthetic:gauss2d,seed=7" --samples 20000 --seed 11 --steps 2 -n 1 \
    -o "$WORK/g2samples.h5"
py_check "gauss2d,n=N and --samples N draw from the same mixture (means within 5 standard errors)" \
    "$WORK/g2rows.h5" "$WORK/g2samples.h5" <<'PY'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1])["data"][()]
b = h5py.File(sys.argv[2])["samples_data"][()]
se = np.sqrt(a.var(0) / len(a) + b.var(0) / len(b))
z = np.abs(a.mean(0) - b.mean(0)) / se
print(f"# mean difference in standard errors: {z.round(2)}; different streams: {not np.array_equal(a, b)}")
sys.exit(0 if a.shape == b.shape == (20000, 2) and np.all(z < 5) and not np.array_equal(a, b) else 1)
PY

# --- seeds, counts, limits --------------------------------------------------------

for spec in "synthetic:moons,n=300,seed=5" "synthetic:swissroll,d=3,n=300,seed=5" \
    "synthetic:rings,n=300,seed=5"; do
    rows "$spec" a
    rows "$spec" b
    rows "$(echo "$spec" | sed 's/seed=5/seed=6/')" c
    if have_python; then
        "$PYTHON3" - "$WORK/a.h5" "$WORK/b.h5" "$WORK/c.h5" <<'PY'
import sys, h5py, numpy as np
a, b, c = (h5py.File(p)["data"][()] for p in sys.argv[1:])
sys.exit(0 if len(a) == 300 and a.tobytes() == b.tobytes() and not np.array_equal(a, c) else 1)
PY
        ok $? "$spec: 300 rows, the same bits again, other rows with another seed"
    else
        skip_tests 1 "$spec: reproducible" "no python3"
    fi
done

rows "synthetic:spiral,n=500" full
rows "synthetic:spiral,n=500" first --limit 120
rows "synthetic:spiral,n=120" short
py_check "--limit 120 and n=120 both give the first 120 rows of n=500" \
    "$WORK/full.h5" "$WORK/first.h5" "$WORK/short.h5" <<'PY'
import sys, h5py
a, b, c = (h5py.File(p)["data"][()] for p in sys.argv[1:])
sys.exit(0 if a[:120].tobytes() == b.tobytes() == c.tobytes() else 1)
PY

# --- the files of data/ ------------------------------------------------------------

rows "npy:$srcdir/data/moons-500.npy" dmoons
rows "synthetic:moons,n=500,seed=0" smoons
py_check "data/moons-500.npy loads as 500 × 2 and holds synthetic:moons,n=500,seed=0 bit for bit" \
    "$WORK/dmoons.h5" "$WORK/smoons.h5" "$srcdir/data/moons-500.npy" <<'PY'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1])["data"][()]
b = h5py.File(sys.argv[2])["data"][()]
c = np.load(sys.argv[3])
sys.exit(0 if a.shape == (500, 2) and a.tobytes() == b.tobytes() == c.tobytes() else 1)
PY

run_diffgeo sample -q --data "gmm:$srcdir/data/gmm2d-4.h5" --steps 3 -n 2 -o "$WORK/dgmm.h5"
"$DIFFGEO" info "$WORK/dgmm.h5" >"$WORK/out" 2>&1
grep -q "denoiser  *gmm" "$WORK/out" && grep -q "^  dim  *2$" "$WORK/out" &&
    ! grep -q "^  /data " "$WORK/out"
ok $? "data/gmm2d-4.h5 loads as a 2-D mixture (exact denoiser, no rows to store)"
run_diffgeo meanshift -q --data "gmm:$srcdir/data/gmm2d-4.h5" --samples 300 --bandwidth 0.2 \
    -o "$WORK/dgmm-ms.h5"
run_diffgeo sample -q --data "gmm:$srcdir/data/gmm2d-4.h5" --samples 300 --steps 2 -n 1 \
    -o "$WORK/dgmm-s.h5"
py_check "meanshift --samples 300 on data/gmm2d-4.h5: /samples_data 300 × 2, the rows sample --samples draws" \
    "$WORK/dgmm-ms.h5" "$WORK/dgmm-s.h5" <<'PY'
import sys, h5py
m, s = (h5py.File(p) for p in sys.argv[1:])
a, b = m["samples_data"][()], s["samples_data"][()]
# Fixed bandwidth starts from every data point: /path[0] is the drawn rows.
sys.exit(0 if a.shape == (300, 2) and a.tobytes() == b.tobytes() == m["path"][0].tobytes() else 1)
PY

rows "npy:$srcdir/data/fashion-mnist-test-200.npy" dfm
"$DIFFGEO" info "$WORK/dfm.h5" >"$WORK/out" 2>&1
grep -q "image_shape  *\[28, 28\]" "$WORK/out" && grep -q "/data  *float64  *\[200 × 784\]" "$WORK/out"
ok $? "data/fashion-mnist-test-200.npy loads as 200 images of 28 × 28"
if [ -r /usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz ]; then
    rows "fashion-mnist:test" fm --limit 200
    py_check "data/fashion-mnist-test-200.npy holds the first 200 test images; its labels are 200 classes 0-9" \
        "$WORK/dfm.h5" "$WORK/fm.h5" "$srcdir/data/fashion-mnist-test-200-labels.npy" <<'PY'
import sys, h5py, numpy as np
a, b = (h5py.File(p)["data"][()] for p in sys.argv[1:3])
lab = np.load(sys.argv[3])
sys.exit(0 if a.tobytes() == b.tobytes() and lab.shape == (200,) and set(lab) <= set(range(10)) else 1)
PY
else
    skip_tests 1 "data/fashion-mnist-test-200.npy against the dataset" "dataset-fashion-mnist not installed"
fi

# --- diffgeo info --data: what a spec gives ---------------------------------------------

# info_has SPEC PATTERN...: every (grep -E) pattern is a line of `diffgeo info --data SPEC`.
info_has() {
    _spec=$1
    shift
    "$DIFFGEO" info --data "$_spec" >"$WORK/info" 2>&1 || return 1
    for _p in "$@"; do
        grep -q -E "$_p" "$WORK/info" || { diag "$WORK/info"; return 1; }
    done
}
info_has "npy:$srcdir/data/moons-500.npy" "^  kind  *rows$" "^  rows  *500$" "^  dim  *2$"
ok $? "info --data: data/moons-500.npy is 500 rows of dimension 2"
info_has "gmm:$srcdir/data/gmm2d-4.h5" "^  kind  *mixture$" "^  components  *4$" "^  dim  *2$"
ok $? "info --data: data/gmm2d-4.h5 is a mixture of 4 components in dimension 2"
info_has "npy:$srcdir/data/fashion-mnist-test-200.npy" "^  rows  *200$" "^  dim  *784$" \
    "^  image_shape  *\[28, 28\]$" "^  0  -1  -1  -1$"
ok $? "info --data: data/fashion-mnist-test-200.npy is 200 images of 28 × 28 (corner pixel black: −1)"
# The moons' mean: (E cos t + E(1 − cos t))/2 = 0.5 and (E sin t + E(0.5 − sin t))/2 = 0.25
# for t uniform in [0, π]; the sd of a 20000-row mean is below 0.005.
"$DIFFGEO" info --data synthetic:moons,n=20000,noise=0 >"$WORK/info" &&
    awk '$1 == "0" { x = $3 } $1 == "1" { y = $3 }
         END { d = (x - 0.5) ^ 2 + (y - 0.25) ^ 2; print "# mean", x, y; exit !(d < 0.02 ^ 2) }' \
        "$WORK/info"
ok $? "info --data: synthetic:moons has the mean (0.5, 0.25) of its two half circles"
info_has "synthetic:rings,rings=3" "^  kind  *mixture$" "^  components  *24$"
ok $? "info --data: synthetic:rings,rings=3 is the mixture of 3 × 8 components"

# --- /data in run files ------------------------------------------------------------

py_check "/data holds the rows with their description, units and axes" "$WORK/dmoons.h5" <<'PY'
import sys, h5py
d = h5py.File(sys.argv[1])["data"]
good = d.attrs["units"] == "data units" and "rows of --data" in d.attrs["description"]
sys.exit(0 if good and [x.label for x in d.dims] == ["row", "dim"] else 1)
PY
rows "synthetic:moons,n=50" nosave --no-save-data
"$DIFFGEO" info "$WORK/nosave.h5" | grep -q "^  /data "
[ $? -ne 0 ]
ok $? "--no-save-data leaves /data out"
rows "synthetic:gmm,n=1001,d=1000,k=2" big
"$DIFFGEO" info "$WORK/big.h5" | grep -q "^  /data "
[ $? -ne 0 ]
ok $? "rows × d = 1001 × 1000 > 10^6: no /data by default"
rows "synthetic:gmm,n=1000,d=1000,k=2" edge
"$DIFFGEO" info "$WORK/edge.h5" | grep -q "/data  *float64  *\[1000 × 1000\]"
ok $? "rows × d = 10^6: /data by default"
rows "synthetic:gmm,n=1001,d=1000,k=2" bigsave --save-data
"$DIFFGEO" info "$WORK/bigsave.h5" | grep -q "/data  *float64  *\[1001 × 1000\]"
ok $? "--save-data stores them all the same"

run_diffgeo gits -q --data synthetic:moons,n=60 --warmup 4 --teacher-steps 9 --steps 3 \
    -o "$WORK/gits.h5"
run_diffgeo interpolate -q --data synthetic:moons,n=60 --points 3 --steps 3 -o "$WORK/interp.h5"
run_diffgeo meanshift -q --data synthetic:moons,n=60 --kernel flat -o "$WORK/flat.h5"
run_diffgeo meanshift -q --data synthetic:moons,n=60 --anneal edm --steps 4 -n 2 \
    -o "$WORK/anneal.h5"
_r=0
for f in gits interp flat anneal; do
    "$DIFFGEO" info "$WORK/$f.h5" | grep -q "/data  *float64  *\[60 × 2\]" || {
        _r=1
        echo "# no /data in $f.h5"
    }
done
ok $_r "gits, interpolate and meanshift (flat, annealed) store /data too"

# --- --init takes every spec of rows ----------------------------------------------------

run_diffgeo sample -q --data synthetic:moons,n=100 --init "synthetic:rings,n=3,radius=40,seed=2" \
    --steps 3 -o "$WORK/init.h5"
rows "synthetic:rings,n=3,radius=40,seed=2" initrows
py_check "--init synthetic:rings,n=3: the 3 start points are the spec's rows" \
    "$WORK/init.h5" "$WORK/initrows.h5" <<'PY'
import sys, h5py
a = h5py.File(sys.argv[1])["trajectory"][0]
b = h5py.File(sys.argv[2])["data"][()]
sys.exit(0 if a.shape == (3, 2) and a.tobytes() == b.tobytes() else 1)
PY
expect_error "--init of a distribution" 2 "$WORK/bad.h5" "synthetic:rings is a distribution" -- \
    sample --data synthetic:moons,n=100 --init synthetic:rings -o "$WORK/bad.h5"

# --- bad parameters: one line, no output -----------------------------------------------

for case in "synthetic:moons,noise=-1|noise must be ≥ 0" \
    "synthetic:moons,n=0|n must be between 1" \
    "synthetic:moons,seed=-2|seed must be a non-negative integer" \
    "synthetic:moons,n=12x|n must be a non-negative integer" \
    "synthetic:moons,cells=4|unknown parameter 'cells' (n, seed, noise)" \
    "synthetic:moons,n|'n' is not key=value" \
    "synthetic:swissroll,d=4|d must be 2 or 3" \
    "synthetic:spiral,turns=0|turns must be in (0, 1000]" \
    "synthetic:checkerboard,cells=5|cells must be an even number" \
    "synthetic:checkerboard,noise=0.1|unknown parameter 'noise'" \
    "synthetic:rings,n=0|n must be a row count" \
    "synthetic:rings,n=5,n=6|given once" \
    "synthetic:rings,n=5,radius=x|radius must be a finite number" \
    "synthetic:moonz|unknown synthetic distribution 'moonz'"; do
    spec=${case%%|*} frag=${case#*|}
    expect_error "$spec" 2 "$WORK/bad.h5" "$frag" -- sample --data "$spec" -o "$WORK/bad.h5"
done
expect_error "info --data with a bad key" 2 - "noise must be ≥ 0" -- \
    info --data synthetic:spiral,noise=-0.1
expect_error "meanshift --samples on rows" 2 "$WORK/bad.h5" "--samples applies to mixtures" -- \
    meanshift --data synthetic:moons --samples 10 --bandwidth 0.1 -o "$WORK/bad.h5"

done_testing
