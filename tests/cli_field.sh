#!/bin/sh
# `diffgeo field`: D(x; σ), the score, log p_σ and the ODE velocity on a grid
# of a plane.  D and log p_σ are checked against closed forms computed here
# in numpy (a single Gaussian, a 2-component mixture, the Gaussian KDE of
# data rows), the plane of principal components against data that lie in a
# known plane in d = 3, and bad inputs leave no file.
. "$srcdir/tests/lib.sh"

have_python || skip_all "needs /usr/bin/python3 with numpy and h5py"

# Closed forms, independent of the tool: reads FIELD.h5 only for the values
# to compare, builds the grid itself from NU, NV and the range.
cat >"$WORK/check.py" <<'PY'
import sys, h5py, numpy as np

def grid(nu, nv, r):
    u = r[0] + (r[1] - r[0]) * np.arange(nu) / (nu - 1)
    v = r[2] + (r[3] - r[2]) * np.arange(nv) / (nv - 1)
    return u, v

def mixture(w, mu, cov, x, s):
    """D and log p_sigma of sum_k w_k N(mu_k, cov_k) at the rows of x."""
    d = x.shape[1]
    logs, posts = [], []
    for k in range(len(w)):
        c = cov[k] + s * s * np.eye(d)
        ci = np.linalg.inv(c)
        diff = x - mu[k]
        q = np.einsum("ni,ij,nj->n", diff, ci, diff)
        logs.append(np.log(w[k]) - 0.5 * q - 0.5 * np.log(np.linalg.det(2 * np.pi * c)))
        posts.append(mu[k] + diff @ (cov[k] @ ci).T)
    logs = np.array(logs)
    top = logs.max(axis=0)
    logp = top + np.log(np.exp(logs - top).sum(axis=0))
    r = np.exp(logs - logp)
    return np.einsum("kn,knd->nd", r, np.array(posts)), logp

def kde(y, x, s):
    """D and log p_sigma of the Gaussian KDE of the rows y (bandwidth s)."""
    d2 = ((x[:, None, :] - y[None, :, :]) ** 2).sum(axis=2)
    l = -d2 / (2 * s * s)
    top = l.max(axis=1, keepdims=True)
    e = np.exp(l - top)
    lse = top[:, 0] + np.log(e.sum(axis=1))
    D = (e @ y) / e.sum(axis=1, keepdims=True)
    return D, lse - np.log(len(y)) - 0.5 * y.shape[1] * np.log(2 * np.pi * s * s)

def close(a, b, tol, what):
    err = np.max(np.abs(a - b) / (1 + np.abs(b)))
    if not err <= tol:
        sys.exit("%s: max relative error %.3g > %g" % (what, err, tol))
PY

# 1. One Gaussian and a mixture of two in 2-D (full covariances).
"$PYTHON3" - "$WORK" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1] + "/one.h5", "w") as f:
    f["weights"] = [1.0]
    f["means"] = [[0.385, -1.2]]
    f["covs"] = [[[1.7, 0.6], [0.6, 0.9]]]
with h5py.File(sys.argv[1] + "/two.h5", "w") as f:
    f["weights"] = [0.3, 0.7]
    f["means"] = [[-1.35, 0.4], [1.1, -0.55]]
    f["covs"] = [[[0.45, 0.12], [0.12, 0.3]], [[0.2, -0.05], [-0.05, 0.6]]]
PY
for m in one two; do
    run_diffgeo field -q --data "gmm:$WORK/$m.h5" --sigma 0.37,1.9 --grid 7,5 \
        --range -3,3.5,-4,2 -o "$WORK/$m-field.h5"
    ok $rc "field on gmm:$m.h5"
    "$PYTHON3" - "$WORK" "$m" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from check import *
w, m = sys.argv[1], sys.argv[2]
g = h5py.File("%s/%s.h5" % (w, m), "r")
f = h5py.File("%s/%s-field.h5" % (w, m), "r")
u, v = grid(7, 5, [-3, 3.5, -4, 2])
close(f["/grid/u"][()], u, 1e-15, "/grid/u")
close(f["/grid/v"][()], v, 1e-15, "/grid/v")
x = np.array([[a, b] for b in v for a in u])
for k, s in enumerate([0.37, 1.9]):
    D, logp = mixture(g["weights"][()], g["means"][()], g["covs"][()], x, s)
    close(f["/field/denoised"][k].reshape(-1, 2), D, 1e-12, "D at sigma %g" % s)
    close(f["/field/logp"][k].reshape(-1), logp, 1e-12, "log p at sigma %g" % s)
PY
    ok $? "$m: D(x; σ) and log p_σ match the closed form (1e-12)"
done

# 2. The identities: score = (D − x)/σ², velocity = (x − D)/σ, in the data
#    plane itself (2-D: origin 0, basis the coordinate axes).
"$PYTHON3" - "$WORK/two-field.h5" <<'PY'
import sys, h5py, numpy as np
f = h5py.File(sys.argv[1], "r")
assert (f["/plane/origin"][()] == 0).all() and (f["/plane/basis"][()] == np.eye(2)).all()
u, v, sig = f["/grid/u"][()], f["/grid/v"][()], f["/grid/sigma"][()]
x = np.stack(np.meshgrid(u, v), axis=-1)
for k, s in enumerate(sig):
    D = f["/field/denoised"][k]
    assert np.allclose(f["/field/score"][k], (D - x) / s**2, rtol=1e-13, atol=1e-13)
    assert np.allclose(f["/field/velocity"][k], (x - D) / s, rtol=1e-13, atol=1e-13)
PY
ok $? "score = (D − x)/σ² and velocity = (x − D)/σ"

# 3. Data rows: the exact empirical D* and the KDE's log p_σ; /data stored.
"$PYTHON3" - "$WORK/rows.npy" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(7)
np.save(sys.argv[1], rng.normal(size=(40, 2)) * [1.3, 0.6] + [0.25, -0.4])
PY
run_diffgeo field -q --data "npy:$WORK/rows.npy" --sigma 0.05,0.6 --grid 6 -o "$WORK/rows-field.h5"
ok $rc "field on 40 data rows"
"$PYTHON3" - "$WORK" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from check import *
y = np.load(sys.argv[1] + "/rows.npy")
f = h5py.File(sys.argv[1] + "/rows-field.h5", "r")
assert (f["/data"][()] == y).all(), "/data"
assert np.allclose(f["/plane/data"][()], y, rtol=0, atol=0)
lo, hi = y.min(axis=0), y.max(axis=0)
pad = 0.1 * (hi - lo)
u, v = grid(6, 6, [lo[0] - pad[0], hi[0] + pad[0], lo[1] - pad[1], hi[1] + pad[1]])
close(f["/grid/u"][()], u, 1e-14, "automatic range u")
close(f["/grid/v"][()], v, 1e-14, "automatic range v")
x = np.array([[a, b] for b in v for a in u])
for k, s in enumerate([0.05, 0.6]):
    D, logp = kde(y, x, s)
    close(f["/field/denoised"][k].reshape(-1, 2), D, 1e-12, "D* at sigma %g" % s)
    close(f["/field/logp"][k].reshape(-1), logp, 1e-12, "KDE log p at sigma %g" % s)
PY
ok $? "rows: D* and the KDE's log p_σ match numpy (1e-12), the range is the data's ±10 %, /data holds the rows"

# Rows drawn from a mixture by --samples are stored as in every run file:
# /samples_data (and /plane/samples_data), never /data; they are the rows
# `sample --samples` draws with the same seed, and the empirical D* and the
# KDE are those of these rows.
run_diffgeo field -q --data "gmm:$WORK/two.h5" --samples 50 --seed 4 --denoiser empirical \
    --sigma 0.4 --grid 5,3 -o "$WORK/drawn-field.h5"
ok $rc "field --samples 50 --denoiser empirical on gmm:two.h5"
run_diffgeo sample -q --data "gmm:$WORK/two.h5" --samples 50 --seed 4 -n 1 --steps 2 \
    -o "$WORK/drawn-sample.h5"
"$PYTHON3" - "$WORK" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from check import *
f = h5py.File(sys.argv[1] + "/drawn-field.h5", "r")
s = h5py.File(sys.argv[1] + "/drawn-sample.h5", "r")
assert "data" not in f and "data" not in f["plane"], "drawn rows stored as /data: %s" % list(f)
y = f["samples_data"][()]
assert y.shape == (50, 2) and (y == s["samples_data"][()]).all(), "not the rows sample draws"
assert (f["/plane/samples_data"][()] == y).all(), "/plane/samples_data"
u, v = f["/grid/u"][()], f["/grid/v"][()]
x = np.array([[a, b] for b in v for a in u])
D, logp = kde(y, x, 0.4)
close(f["/field/denoised"][0].reshape(-1, 2), D, 1e-12, "D* of the drawn rows")
close(f["/field/logp"][0].reshape(-1), logp, 1e-12, "KDE of the drawn rows")
PY
ok $? "--samples: /samples_data and /plane/samples_data (no /data), the rows sample draws, D* and the KDE of them"

run_diffgeo field -q --data "npy:$WORK/rows.npy" --no-save-data --sigma 0.6 --grid 3 \
    -o "$WORK/nosave-field.h5"
"$PYTHON3" -c "import sys, h5py; f = h5py.File(sys.argv[1], 'r'); sys.exit('data' in f or 'data' in f['plane'])" \
    "$WORK/nosave-field.h5"
ok $? "--no-save-data: neither /data nor /plane/data"

# --denoiser gaussian: D and log p_σ of the fitted Gaussian (mean, 1/n covariance).
run_diffgeo field -q --data "npy:$WORK/rows.npy" --denoiser gaussian --sigma 0.45 --grid 4 \
    -o "$WORK/gauss-field.h5"
"$PYTHON3" - "$WORK" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from check import *
y = np.load(sys.argv[1] + "/rows.npy")
f = h5py.File(sys.argv[1] + "/gauss-field.h5", "r")
u, v = f["/grid/u"][()], f["/grid/v"][()]
x = np.array([[a, b] for b in v for a in u])
D, logp = mixture([1.0], [y.mean(axis=0)], [np.cov(y.T, bias=True)], x, 0.45)
close(f["/field/denoised"][0].reshape(-1, 2), D, 1e-12, "Wiener D")
close(f["/field/logp"][0].reshape(-1), logp, 1e-12, "log p of the fitted Gaussian")
PY
ok $? "--denoiser gaussian: D and log p_σ of the fitted Gaussian match numpy"

# The same file for any number of threads.
(
    for t in 1 2; do
        OMP_NUM_THREADS=$t "$DIFFGEO" field -q --data "npy:$WORK/rows.npy" --sigma 0.2,0.9 \
            --grid 9 -o "$WORK/t$t.h5" || exit 1
    done
    for a in /field/denoised /field/score /field/velocity /field/logp; do
        for t in 1 2; do
            "$DIFFGEO" table "$WORK/t$t.h5" "$a" --slice 1 --long >"$WORK/t$t.txt" || exit 1
        done
        cmp -s "$WORK/t1.txt" "$WORK/t2.txt" || exit 1
    done
)
ok $? "bit-identical fields with 1 and 2 threads"

# 4. d = 3, data in a tilted plane: the default plane is theirs.
"$PYTHON3" - "$WORK/plane.npy" <<'PY'
import sys, numpy as np
rng = np.random.default_rng(3)
e1 = np.array([1.0, 2.0, 2.0]) / 3
e2 = np.array([2.0, 1.0, -2.0]) / 3
a, b = rng.normal(size=(2, 60)) * [[2.5], [0.8]]
np.save(sys.argv[1], np.outer(a, e1) + np.outer(b, e2) + [0.7, -1.1, 0.35])
PY
run_diffgeo field -q --data "npy:$WORK/plane.npy" --sigma 0.3 --grid 5,4 -o "$WORK/plane-field.h5"
ok $rc "field on data in a plane of R^3"
"$PYTHON3" - "$WORK" <<'PY'
import sys
sys.path.insert(0, sys.argv[1])
from check import *
y = np.load(sys.argv[1] + "/plane.npy")
f = h5py.File(sys.argv[1] + "/plane-field.h5", "r")
B, o = f["/plane/basis"][()], f["/plane/origin"][()]
close(o, y.mean(axis=0), 1e-14, "origin = the data mean")
close(B @ B.T, np.eye(2), 1e-13, "orthonormal basis")
n = np.cross([1.0, 2.0, 2.0], [2.0, 1.0, -2.0]) / 9
assert np.abs(B @ n).max() < 1e-10, "basis not in the data plane: %s" % (B @ n)
# the first direction is the one of largest variance: ±e1 for most draws
c = np.cov((y - o).T, bias=True)
w, V = np.linalg.eigh(c)
assert abs(abs(B[0] @ V[:, 2]) - 1) < 1e-10 and abs(abs(B[1] @ V[:, 1]) - 1) < 1e-10
close(f["/plane/data"][()], (y - o) @ B.T, 1e-12, "/plane/data")
u, v = f["/grid/u"][()], f["/grid/v"][()]
x = np.array([o + a * B[0] + b * B[1] for b in v for a in u])
D, logp = kde(y, x, 0.3)
close(f["/field/denoised"][0].reshape(-1, 2), (D - o) @ B.T, 1e-10, "D* in the plane")
close(f["/field/logp"][0].reshape(-1), logp, 1e-10, "log p in d = 3")
PY
ok $? "d = 3: the plane of the top two principal components holds the data; D* and log p_σ on it"

# A mixture in d = 3: the plane of the top two eigenvectors of its covariance
# Σ_k π_k (Σ_k + (μ_k − μ)(μ_k − μ)ᵀ), by numpy's eigh here.
"$PYTHON3" - "$WORK/mix3.h5" <<'PY'
import sys, h5py, numpy as np
with h5py.File(sys.argv[1], "w") as f:
    f["weights"] = [0.35, 0.65]
    f["means"] = [[1.2, -0.4, 2.385], [-0.7, 0.9, -1.1]]
    f["covs"] = [[[0.9, 0.2, 0.1], [0.2, 0.5, -0.15], [0.1, -0.15, 0.3]],
                 [[0.4, -0.1, 0.0], [-0.1, 1.6, 0.25], [0.0, 0.25, 0.2]]]
PY
run_diffgeo field -q --data "gmm:$WORK/mix3.h5" --sigma 0.5 --grid 3 -o "$WORK/mix3-field.h5"
ok $rc "field on a mixture in R^3"
"$PYTHON3" - "$WORK" <<'PY'
import sys, h5py, numpy as np
g = h5py.File(sys.argv[1] + "/mix3.h5", "r")
f = h5py.File(sys.argv[1] + "/mix3-field.h5", "r")
w, mu, cov = g["weights"][()], g["means"][()], g["covs"][()]
m = w @ mu
c = sum(w[k] * (cov[k] + np.outer(mu[k] - m, mu[k] - m)) for k in range(2))
val, vec = np.linalg.eigh(c)
B = f["/plane/basis"][()]
assert np.abs(f["/plane/origin"][()] - m).max() < 1e-14
for r, col in ((0, 2), (1, 1)):
    want = vec[:, col] * np.sign(vec[np.abs(vec[:, col]).argmax(), col])
    assert np.abs(B[r] - want).max() < 1e-12, (r, B[r], want)
PY
ok $? "mixture in d = 3: the plane of the top two eigenvectors of its covariance (numpy eigh), largest |component| positive"

run_diffgeo field -q --data "npy:$WORK/plane.npy" --sigma 0.3 --grid 3 --plane 2,0 \
    -o "$WORK/axes-field.h5"
"$PYTHON3" - "$WORK" <<'PY'
import sys, h5py, numpy as np
y = np.load(sys.argv[1] + "/plane.npy")
f = h5py.File(sys.argv[1] + "/axes-field.h5", "r")
assert (f["/plane/basis"][()] == [[0, 0, 1], [1, 0, 0]]).all()
o = f["/plane/origin"][()]
assert o[0] == 0 and o[2] == 0 and abs(o[1] - y[:, 1].mean()) < 1e-14
assert np.allclose(f["/plane/data"][()], y[:, [2, 0]], rtol=0, atol=0)
PY
ok $? "--plane 2,0: u = x_2, v = x_0, the other coordinate at its mean"

"$PYTHON3" -c "import sys, numpy as np; np.save(sys.argv[1], [[2.0, 1.5, -0.5], [0.3, 1.0, 1.7]])" \
    "$WORK/dirs.npy"
run_diffgeo field -q --data "npy:$WORK/plane.npy" --sigma 0.3 --grid 3 --plane "npy:$WORK/dirs.npy" \
    -o "$WORK/dirs-field.h5"
"$PYTHON3" - "$WORK" <<'PY'
import sys, h5py, numpy as np
a, b = np.load(sys.argv[1] + "/dirs.npy")
e0 = a / np.linalg.norm(a)
e1 = b - (b @ e0) * e0
e1 /= np.linalg.norm(e1)
f = h5py.File(sys.argv[1] + "/dirs-field.h5", "r")
assert np.allclose(f["/plane/basis"][()], [e0, e1], rtol=0, atol=1e-15), f["/plane/basis"][()]
y = np.load(sys.argv[1] + "/plane.npy")
assert np.allclose(f["/plane/origin"][()], y.mean(axis=0), rtol=0, atol=1e-14)
PY
ok $? "--plane SPEC: the two rows made orthonormal (Gram-Schmidt), through the mean"

# 5. gnuplot-ready through table: the long format of one σ.
"$DIFFGEO" table "$WORK/two-field.h5" /field/score --slice 1 --long >"$WORK/long.txt" &&
    head -n 1 "$WORK/long.txt" | grep -q '^# v u c0 c1$' &&
    [ "$(grep -c '^[0-9]' "$WORK/long.txt")" -eq 35 ]
ok $? "table /field/score --slice 1 --long: 35 lines 'v u c0 c1'"

# --coords: the index columns become the grid's coordinates, computed here from
# --grid 7,5 --range -3,3.5,-4,2 (u_i = U0 + i (U1 − U0)/6, v_j = V0 + j (V1 − V0)/4),
# the values those of /field at [σ][j][i], read back exactly.
for a in logp score; do
    "$DIFFGEO" table "$WORK/two-field.h5" /field/$a --slice 1 --long --coords \
        >"$WORK/coords-$a.txt" || echo "table --coords failed" >>"$WORK/coords-$a.txt"
done
"$PYTHON3" - "$WORK" <<'PY'
import sys, h5py, numpy as np
w = sys.argv[1]
f = h5py.File(w + "/two-field.h5", "r")
for a, head, width in (("logp", "# v u value", 1), ("score", "# v u c0 c1", 2)):
    lines = open("%s/coords-%s.txt" % (w, a)).read().split("\n")
    assert lines[0] == head, lines[0]
    blocks = "\n".join(lines[1:]).strip("\n").split("\n\n")
    assert len(blocks) == 7, "%s: %d blocks, not one per u" % (a, len(blocks))
    want = f["/field/" + a][1]
    for i, b in enumerate(blocks):
        rows = np.array([[float(t) for t in l.split()] for l in b.split("\n")])
        assert rows.shape == (5, 2 + width), rows.shape
        u = -3 + 6.5 * i / 6
        v = -4 + 6.0 * np.arange(5) / 4
        assert np.allclose(rows[:, 1], u, rtol=0, atol=1e-15), (a, i, rows[:, 1], u)
        assert np.allclose(rows[:, 0], v, rtol=0, atol=1e-15), (a, i, rows[:, 0], v)
        assert (rows[:, 2:] == want[:, i].reshape(5, width)).all(), (a, i)
PY
ok $? "table --coords: lines 'v u values' at the grid's coordinates (from --grid and --range), values exact"

"$DIFFGEO" table "$WORK/two-field.h5" /field/logp --slice 0 --coords >"$WORK/coords-rows.txt" &&
    "$PYTHON3" - "$WORK" <<'PY'
import sys, h5py, numpy as np
w = sys.argv[1]
t = np.loadtxt(w + "/coords-rows.txt")
f = h5py.File(w + "/two-field.h5", "r")
assert open(w + "/coords-rows.txt").readline().startswith("# v c0 c1")
assert np.allclose(t[:, 0], -4 + 1.5 * np.arange(5), rtol=0, atol=1e-15)
assert (t[:, 1:] == f["/field/logp"][0]).all()
PY
ok $? "table --coords without --long: the row column is v, the values the rows of the matrix"

expect_error "--coords on an axis without /grid/LABEL" 1 - "--coords" "coord" -- \
    table "$WORK/two-field.h5" /plane/basis --coords
expect_error "--coords with --image" 2 - "--coords" "--image" -- \
    table "$WORK/two-field.h5" /grid/u --coords --image

# A signal during the evaluation: 128 + 15, no file and no temporary file.
if under_valgrind; then
    skip_tests 1 "SIGTERM during the evaluation" "signal timing under valgrind"
else
    # A few seconds of work (12 σ on a 600 × 600 grid); the signal goes once
    # the process has computed for 0.3 s of CPU time, whatever the machine.
    busy() { [ "$(cpu_ticks "$1")" -ge 30 ]; }
    "$DIFFGEO" field -q --data synthetic:rings --grid 600 \
        --sigma 0.05,0.1,0.15,0.2,0.25,0.3,0.35,0.4,0.45,0.5,0.55,0.6 -o "$WORK/term.h5" &
    pid=$!
    if wait_for $pid busy; then
        kill -TERM $pid
        wait $pid
        rc=$?
        [ $rc -eq 143 ] && [ ! -e "$WORK/term.h5" ] && no_temp_files "$WORK"
        ok $? "SIGTERM during the evaluation: status 143 ($rc), no file, no temporary file"
    else
        wait $pid
        skip_tests 1 "SIGTERM during the evaluation" "the run ended (status $?) before it could be interrupted"
    fi
fi

# 6. Bad inputs: one line, no file.
OUT=$WORK/bad.h5
expect_error "σ = 0" 2 "$OUT" "--sigma" "positive" -- \
    field --data synthetic:gauss2d --sigma 0.5,0 -o "$OUT"
expect_error "σ < 0" 2 "$OUT" "--sigma" "positive" -- \
    field --data synthetic:gauss2d --sigma -1 -o "$OUT"
expect_error "--grid 0" 2 "$OUT" "--grid 0" -- field --data synthetic:gauss2d --grid 0 -o "$OUT"
expect_error "--grid 1,5" 2 "$OUT" "--grid 1,5" -- field --data synthetic:gauss2d --grid 1,5 -o "$OUT"
expect_error "an unknown option" 2 "$OUT" "--bogus" -- field --data synthetic:gauss2d --bogus -o "$OUT"
expect_error "an empty range" 2 "$OUT" "--range" -- \
    field --data synthetic:gauss2d --range 1,0,0,1 -o "$OUT"
expect_error "--plane 0,0" 2 "$OUT" "--plane" -- field --data synthetic:gauss2d --plane 0,0 -o "$OUT"
expect_error "--plane beyond d" 2 "$OUT" "--plane 0,5" -- \
    field --data synthetic:gauss2d --plane 0,5 -o "$OUT"
"$PYTHON3" -c "import sys, numpy as np; np.save(sys.argv[1], np.outer(np.linspace(0, 1, 20), [1.0, 2.0, 3.0]))" "$WORK/line.npy"
expect_error "data in a line" 1 "$OUT" "fewer than two dimensions" -- \
    field --data "npy:$WORK/line.npy" -o "$OUT"
"$PYTHON3" -c "import sys, numpy as np; np.save(sys.argv[1], [[1.0, 2.0, 3.0], [2.0, 4.0, 6.0]])" \
    "$WORK/parallel.npy"
expect_error "parallel --plane directions" 1 "$OUT" "parallel" -- \
    field --data "npy:$WORK/plane.npy" --plane "npy:$WORK/parallel.npy" -o "$OUT"
expect_error "no -o" 2 - "-o" -- field --data synthetic:gauss2d

done_testing
