#!/bin/sh
# Mixtures in the tool: gmm:FILE[:/group], teaching mixtures, --samples,
# fitted denoisers stored under /fit, and malformed mixtures (exit 1).
. "$srcdir/tests/lib.sh"

run_diffgeo sample --data synthetic:gauss2d -n 4 --steps 6 -o "$WORK/pop.h5"
"$DIFFGEO" info "$WORK/pop.h5" | grep -q "denoiser         gmm"
ok $? "a teaching mixture uses its exact denoiser (gmm) by default"
run_diffgeo sample --data synthetic:rings --samples 400 -n 4 --steps 6 -o "$WORK/emp.h5"
"$DIFFGEO" info "$WORK/emp.h5" | grep -q "denoiser         empirical" &&
    "$DIFFGEO" info "$WORK/emp.h5" | grep -q "samples          400"
ok $? "--samples N draws data from the mixture; the empirical denoiser is then the default"

run_diffgeo sample --data synthetic:gmm,n=600,d=9,k=3 --denoiser gmm-fit:3 -n 3 --steps 6 \
    --seed 5 -o "$WORK/fit.h5"
"$DIFFGEO" info "$WORK/fit.h5" | grep -q "/fit/covs  *float64  *\[3 × 9 × 9\]"
ok $? "gmm-fit:3 stores its mixture under /fit"
run_diffgeo sample --data "gmm:$WORK/fit.h5:/fit" -n 3 --steps 6 --seed 5 -o "$WORK/reuse.h5"
ok $rc "the stored fit is reusable as --data gmm:RUN.h5:/fit"
if have_python; then
    "$PYTHON3" - "$WORK/fit.h5" "$WORK/reuse.h5" <<'PY'
import sys, h5py, numpy as np
a = h5py.File(sys.argv[1])["trajectory"][:]
b = h5py.File(sys.argv[2])["trajectory"][:]
err = np.abs(a - b).max() / np.abs(a).max()
print(f"# fitted vs reloaded mixture: max relative difference {err:.2e}")
sys.exit(0 if err < 1e-10 else 1)
PY
    ok $? "the reloaded fit reproduces the fitted run's trajectories (1e-10)"
else
    ok 0 "# SKIP python3 with numpy and h5py not available"
fi
run_diffgeo sample --data synthetic:gmm,n=600,d=9 --denoiser gaussian -n 3 --steps 6 -o "$WORK/g.h5"
"$DIFFGEO" info "$WORK/g.h5" | grep -q "/fit/weights  *float64  *\[1\]"
ok $? "--denoiser gaussian stores its single Gaussian"

# Impossible parameters: exit 1, one line, no output file.
for spec in "synthetic:lowrank,d=4,r=6" "synthetic:gauss2d,k=0" "synthetic:rings,std=-1"; do
    expect_error "$spec" 1 "$WORK/bad.h5" "diffgeo: " -- sample --data "$spec" -o "$WORK/bad.h5"
done
expect_error "unknown mixture key" 2 "$WORK/bad.h5" "unknown parameter" -- \
    sample --data synthetic:rings,wobble=2 -o "$WORK/bad.h5"
expect_error "gmm denoiser on data" 2 "$WORK/bad.h5" "needs a mixture" -- \
    sample --data synthetic:gmm,n=50,d=4 --denoiser gmm -o "$WORK/bad.h5"
expect_error "empirical denoiser on a mixture" 2 "$WORK/bad.h5" "--samples" -- \
    sample --data synthetic:rings --denoiser empirical -o "$WORK/bad.h5"
expect_error "gmm-fit without K" 2 "$WORK/bad.h5" "positive integer" -- \
    sample --data synthetic:gmm,n=50,d=4 --denoiser gmm-fit:x -o "$WORK/bad.h5"

# Malformed mixture files, written with h5py.
if have_python; then
    "$PYTHON3" - "$WORK" <<'PY'
import sys, h5py, numpy as np
w = sys.argv[1]
mu = np.array([[0.5, -1.0, 2.0], [1.5, 0.25, -0.75]])
good_cov = np.stack([np.diag([0.3, 0.8, 1.1]), np.diag([0.4, 0.2, 0.9])])
def write(name, **arrays):
    with h5py.File(f"{w}/{name}.h5", "w") as f:
        for k, v in arrays.items():
            f[k] = v
write("ok", weights=[0.4, 0.6], means=mu, covs=good_cov)
write("negvar", weights=[0.4, 0.6], means=mu, variances=[[0.3, -0.8, 1.1], [0.4, 0.2, 0.9]])
write("sum", weights=[0.4, 0.5], means=mu, covs=good_cov)
write("rank", weights=[0.4, 0.6], means=mu, eigvecs=np.zeros((2, 4, 3)), eigvals=np.ones((2, 4)))
write("empty", weights=np.zeros(0), means=np.zeros((0, 3)), covs=np.zeros((0, 3, 3)))
asym = good_cov.copy(); asym[0, 0, 1] = 0.2
write("asym", weights=[0.4, 0.6], means=mu, covs=asym)
indef = good_cov.copy(); indef[1] = [[1, 2, 0], [2, 1, 0], [0, 0, 1]]
write("indef", weights=[0.4, 0.6], means=mu, covs=indef)
write("shape", weights=[0.4, 0.6], means=mu[:1], covs=good_cov)
write("nan", weights=[0.4, 0.6], means=np.where(mu > 1.9, np.nan, mu), covs=good_cov)
PY
    run_diffgeo sample --data "gmm:$WORK/ok.h5" -n 2 --steps 4 -o "$WORK/okrun.h5"
    ok $rc "a valid mixture file runs"
    for case in "negvar:negative" "sum:sum" "rank:exceeds" "empty:K = 0" "asym:symmetric" \
        "indef:" "shape:shape" "nan:NaN"; do
        name=${case%%:*} fragment=${case#*:}
        expect_error "mixture file: $name" 1 "$WORK/bad.h5" "$WORK/$name.h5" ${fragment:+"$fragment"} -- \
            sample --data "gmm:$WORK/$name.h5" -n 2 --steps 4 -o "$WORK/bad.h5"
    done
else
    skip_tests 9 "malformed mixture files" "python3 with numpy and h5py not available"
fi
done_testing
