#!/bin/sh
# `diffgeo analyze` against tests/check_metrics.py, an independent numpy implementation
# of the measurements of doc/theory.md §3 and §6: runs of diffgeo sample (the run's own
# denoiser on a subset of the reference data, and the reference itself), and run files
# written by experiments/export_from_pytorch.py with and without /config.
. "$srcdir/tests/lib.sh"

if ! have_python; then
    skip_all "python3 with numpy and h5py not available"
fi

CHECK="$srcdir/tests/check_metrics.py"
EXPORT="$srcdir/experiments/export_from_pytorch.py"

# py ARGS...: run a Python script; its stderr becomes TAP diagnostics.
py() {
    "$PYTHON3" "$@" 2>"$WORK/py.err"
    py_rc=$?
    sed 's/^/# /' "$WORK/py.err"
    return $py_rc
}

# analyze_and_check NAME ANALYZE-ARGS... -- CHECK-ARGS...: one TAP test.
analyze_and_check() {
    name=$1
    shift
    set -- "$@" --
    analyze_args=
    while [ "$1" != "--" ]; do
        analyze_args="$analyze_args $1"
        shift
    done
    shift
    check_args=
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do
        check_args="$check_args $1"
        shift
    done
    # shellcheck disable=SC2086 # the argument lists hold words without blanks
    run_diffgeo analyze "$WORK/$name.h5" $analyze_args
    if [ "$rc" -ne 0 ]; then
        sed 's/^/# /' "$WORK/err"
        ok 1 "$name: diffgeo analyze$analyze_args (exit $rc)"
        return
    fi
    # shellcheck disable=SC2086
    py "$CHECK" "$WORK/$name.h5" $check_args
    ok $? "$name: check_metrics.py of diffgeo analyze$analyze_args"
}

# attr FILE DATASET ATTRIBUTE: print an attribute of a dataset.
attr() {
    "$PYTHON3" -c 'import sys, h5py
print(h5py.File(sys.argv[1], "r")[sys.argv[2]].attrs.get(sys.argv[3], ""))' "$@"
}

py "$srcdir/tests/crosscheck.py" make-data "$WORK/a.h5" --n 300 --d 12 --offset 3 --seed 5
ok $? "make-data writes 300 x 12 points"
A="h5:$WORK/a.h5:/x"

# 1. The run's denoiser is D* of the first 150 rows, the reference all 300.
"$DIFFGEO" sample -q --data "$A" --limit 150 --solver euler --steps 15 -n 4 -o "$WORK/half.h5"
analyze_and_check half --reference "$A" --window 5 -- \
    --reference "$WORK/a.h5" --run-data "$WORK/a.h5" --run-limit 150 --window 5

# 2. Heun into σ = 0 on the reference data itself: x* = x and D* = D to the bit.
"$DIFFGEO" sample -q --data "$A" --solver heun --steps 9 --final-zero -n 3 -o "$WORK/self.h5"
analyze_and_check self --reference "$A" -- --reference "$WORK/a.h5" --run-data "$WORK/a.h5"
"$PYTHON3" -c 'import sys, h5py, numpy as np
m = h5py.File(sys.argv[1], "r")["metrics"]
sys.exit(not all(np.all(m[k][()] == 0) for k in
         ("distance_to_optimal", "denoised_vs_optimal", "score_deviation", "optimal_self")))' \
    "$WORK/self.h5"
ok $? "self: with the run's own data as reference the four distances are exactly 0"

# 3. An external run file (the exporter's numpy loop), /config/solver = euler.
py "$EXPORT" "$WORK/ext.h5" --data-out "$WORK/toy.h5" --n 5 --steps 13 >/dev/null
ok $? "export_from_pytorch.py writes a run file and its training data"
analyze_and_check ext --reference "h5:$WORK/toy.h5:/x" --window 7 -- \
    --reference "$WORK/toy.h5" --window 7
attr "$WORK/ext.h5" /metrics/score_deviation note | grep -q "optimal_self not written.*gaussian-fit"
ok $? "ext: the note says why optimal_self is missing"

# 4. The same without /config: euler is assumed, and the note says so.
cp "$WORK/ext.h5" "$WORK/bare.h5"
"$PYTHON3" -c 'import sys, h5py
with h5py.File(sys.argv[1], "r+") as f:
    del f["config"], f["metrics"]' "$WORK/bare.h5"
analyze_and_check bare --reference "h5:$WORK/toy.h5:/x" --window 7 -- \
    --reference "$WORK/toy.h5" --window 7
attr "$WORK/bare.h5" /metrics/distance_to_optimal note | grep -q "euler assumed"
ok $? "bare: the note of distance_to_optimal says that euler was assumed"

# 5. A run whose data are gone: a stale optimal_self is removed, with a note
# (--trust-config: the run's data are not the reference's).
cp "$WORK/a.h5" "$WORK/moved.h5"
"$DIFFGEO" sample -q --data "h5:$WORK/moved.h5:/x" --solver euler --steps 6 -n 2 \
    -o "$WORK/gone.h5"
"$DIFFGEO" analyze "$WORK/gone.h5" --reference "$A" --trust-config -q &&
    "$DIFFGEO" info "$WORK/gone.h5" | grep -q "/metrics/optimal_self"
ok $? "gone: optimal_self is written while the run's data exist"
rm "$WORK/moved.h5"
"$DIFFGEO" analyze "$WORK/gone.h5" --reference "$A" --trust-config -q &&
    ! "$DIFFGEO" info "$WORK/gone.h5" | grep -q "/metrics/optimal_self" &&
    attr "$WORK/gone.h5" /metrics/score_deviation note | grep -q "cannot re-create"
ok $? "gone: without the run's data the old optimal_self is removed and the note says why"

# 5b. A fitted run (--denoiser gaussian): its denoiser is re-created from /fit, so
# optimal_self = ‖D_fit(x*_i; σ_i) − D*(x*_i; σ_i)‖ is written; checked against numpy's
# μ + Σ(Σ + σ²I)⁻¹(x − μ) from /fit on the optimal trajectory of crosscheck.py.
"$DIFFGEO" sample -q --data "$A" --limit 150 --denoiser gaussian --solver euler --steps 8 -n 3 \
    -o "$WORK/fit.h5" &&
    "$DIFFGEO" analyze "$WORK/fit.h5" --reference "$A" -q &&
    py -c 'import sys, h5py, numpy as np
sys.path.insert(0, sys.argv[3])
import crosscheck
f = h5py.File(sys.argv[1], "r")
y = crosscheck.read_h5_spec(sys.argv[2], "/x")
s, tr = f["sigmas"][()], f["trajectory"][()]
if "optimal_self" not in f["metrics"]:
    sys.exit("optimal_self was not written")
xs, _, _ = crosscheck.integrate("euler", tr[0], y, s)
xs = np.asarray(xs, dtype=np.float64)
mu, S = f["fit/means"][0], f["fit/covs"][0]
want = []
for i in range(len(s) - 1):
    dfit = mu + np.linalg.solve(S + s[i] ** 2 * np.eye(len(mu)), S @ (xs[i] - mu).T).T
    dstar = np.asarray(crosscheck.denoise(xs[i], y, s[i]), dtype=np.float64)
    want.append(np.linalg.norm(dfit - dstar, axis=1))
got = f["metrics/optimal_self"][()]
err = np.max(np.abs(got - np.array(want))) / max(np.max(np.abs(want)), 1e-300)
print(f"optimal_self against numpy: relative error {err:.3g}", file=sys.stderr)
sys.exit(not err < 1e-9)' "$WORK/fit.h5" "$WORK/a.h5" "$srcdir/tests"
ok $? "fit: optimal_self of a gaussian run is re-created from /fit and matches numpy"

# 5c. A mixture run (--denoiser gmm on gmm:FILE), the reference the 200 rows drawn from the
# mixture (/samples_data): optimal_self = ‖D_gmm(x*_i; σ_i) − D*(x*_i; σ_i)‖, the mixture's
# exact denoiser against the empirical one of its samples, only with --trust-config (the
# mixture file is named by /config alone).  numpy computes the mixture's posterior mean
# Σ_k r_k(x) (μ_k + Σ_k(Σ_k + σ²I)⁻¹(x − μ_k)), r_k ∝ w_k N(x; μ_k, Σ_k + σ²I), from the
# file it wrote.
"$PYTHON3" -c 'import sys, h5py, numpy as np
rng = np.random.default_rng(3)
K, d = 3, 4
A = rng.normal(size=(K, d, d))
with h5py.File(sys.argv[1], "w") as f:
    f["weights"] = np.array([0.5, 0.3, 0.2])
    f["means"] = rng.normal(scale=3.0, size=(K, d))
    f["covs"] = np.einsum("kij,klj->kil", A, A) / d + 0.05 * np.eye(d)' "$WORK/mix.h5" &&
    "$DIFFGEO" sample -q --data "gmm:$WORK/mix.h5" --samples 200 --denoiser gmm --solver euler --steps 9 -n 3 \
        -o "$WORK/mixrun.h5" &&
    "$DIFFGEO" analyze "$WORK/mixrun.h5" --reference "h5:$WORK/mixrun.h5:/samples_data" -q &&
    ! "$DIFFGEO" info "$WORK/mixrun.h5" | grep -q "/metrics/optimal_self" &&
    attr "$WORK/mixrun.h5" /metrics/score_deviation note | grep -q "without --trust-config"
ok $? "mixture: without --trust-config optimal_self is not written, and the note says why"
"$DIFFGEO" analyze "$WORK/mixrun.h5" --reference "h5:$WORK/mixrun.h5:/samples_data" \
    --trust-config -q &&
    py -c 'import sys, h5py, numpy as np
sys.path.insert(0, sys.argv[3])
import crosscheck
f, g = h5py.File(sys.argv[1], "r"), h5py.File(sys.argv[2], "r")
w, mu, S = g["weights"][()], g["means"][()], g["covs"][()]
y = f["samples_data"][()]
s, tr = f["sigmas"][()], f["trajectory"][()]
if "optimal_self" not in f["metrics"]:
    sys.exit("optimal_self was not written")
xs, _, _ = crosscheck.integrate("euler", tr[0], y, s)
xs = np.asarray(xs, dtype=np.float64)
def mixture_denoise(x, sigma):
    C = S + sigma ** 2 * np.eye(mu.shape[1])
    logr, post = [], []
    for k in range(len(w)):
        z = np.linalg.solve(C[k], (x - mu[k]).T).T
        logr.append(np.log(w[k]) - 0.5 * np.sum((x - mu[k]) * z, axis=1)
                    - 0.5 * np.linalg.slogdet(C[k])[1])
        post.append(mu[k] + z @ S[k])
    logr = np.array(logr)
    r = np.exp(logr - logr.max(axis=0))
    r /= r.sum(axis=0)
    return np.einsum("kn,knd->nd", r, np.array(post))
want = []
for i in range(len(s) - 1):
    dstar = np.asarray(crosscheck.denoise(xs[i], y, s[i]), dtype=np.float64)
    want.append(np.linalg.norm(mixture_denoise(xs[i], s[i]) - dstar, axis=1))
got = f["metrics/optimal_self"][()]
err = np.max(np.abs(got - np.array(want))) / max(np.max(np.abs(want)), 1e-300)
print(f"optimal_self of the mixture run against numpy: relative error {err:.3g}", file=sys.stderr)
sys.exit(not err < 1e-9)' "$WORK/mixrun.h5" "$WORK/mix.h5" "$srcdir/tests"
ok $? "mixture: with --trust-config optimal_self is the mixture's denoiser against D* of its samples"

# 5d. An empirical run on rows drawn from a mixture (--samples): its denoiser is
# re-created from the run file's own /samples_data (named on the command line, so
# without --trust-config).  With the first 150 of its 300 rows as the reference,
# numpy computes optimal_self = ‖D_300(x*_i; σ_i) − D*_150(x*_i; σ_i)‖ on the
# optimal trajectory of the 150 rows.
"$DIFFGEO" sample -q --data synthetic:rings --samples 300 --denoiser empirical --solver euler \
    --steps 7 -n 3 -o "$WORK/drawn.h5" &&
    "$DIFFGEO" analyze "$WORK/drawn.h5" --reference "h5:$WORK/drawn.h5:/samples_data" \
        --reference-limit 150 -q &&
    py -c 'import sys, h5py, numpy as np
sys.path.insert(0, sys.argv[2])
import crosscheck
f = h5py.File(sys.argv[1], "r")
y = f["samples_data"][()]
s, tr = f["sigmas"][()], f["trajectory"][()]
if "optimal_self" not in f["metrics"]:
    sys.exit("optimal_self was not written: " + f["metrics/score_deviation"].attrs["note"])
xs, _, _ = crosscheck.integrate("euler", tr[0], y[:150], s)
xs = np.asarray(xs, dtype=np.float64)
want = []
for i in range(len(s) - 1):
    own = np.asarray(crosscheck.denoise(xs[i], y, s[i]), dtype=np.float64)
    ref = np.asarray(crosscheck.denoise(xs[i], y[:150], s[i]), dtype=np.float64)
    want.append(np.linalg.norm(own - ref, axis=1))
got = f["metrics/optimal_self"][()]
err = np.max(np.abs(got - np.array(want))) / max(np.max(np.abs(want)), 1e-300)
print(f"optimal_self of the drawn rows against numpy: relative error {err:.3g}", file=sys.stderr)
sys.exit(not err < 1e-9)' "$WORK/drawn.h5" "$srcdir/tests"
ok $? "samples: optimal_self of an empirical run on drawn rows comes from its /samples_data"
"$DIFFGEO" sample -q --data synthetic:rings --samples 300 --denoiser empirical --solver euler \
    --steps 7 -n 3 --no-save-data -o "$WORK/undrawn.h5" &&
    "$DIFFGEO" analyze "$WORK/undrawn.h5" --reference "h5:$WORK/drawn.h5:/samples_data" -q &&
    ! "$DIFFGEO" info "$WORK/undrawn.h5" | grep -q "/metrics/optimal_self" &&
    attr "$WORK/undrawn.h5" /metrics/score_deviation note | grep -q "no dataset /samples_data"
ok $? "samples: without /samples_data (--no-save-data) optimal_self is not written, and the note says why"

# 6. The arrays written and the table of analyze --help (generated from the
# library's dg_metric_infos) are the same: each name once, with the same shape
# (half.h5: T = 14 steps, n = 4 samples).
"$DIFFGEO" analyze --help >"$WORK/help.txt"
sed -n 's/^[ R] \([a-z0-9_]*\)  *\(\[[^ ]*\]\).*/\1 \2/p' "$WORK/help.txt" |
    awk '{ s = $2; gsub(/T\+1/, "15", s); gsub(/T/, "14", s); gsub(/n/, "4", s)
           gsub(/\]\[/, " × ", s); print $1, s }' | sort >"$WORK/table.txt"
"$DIFFGEO" info "$WORK/half.h5" |
    sed -n 's|^ */metrics/\([a-z0-9_]*\)  *float64  *\(\[.*\]\)$|\1 \2|p' | sort >"$WORK/written.txt"
[ "$(wc -l <"$WORK/written.txt")" -eq 23 ] && [ "$(cut -d' ' -f1 "$WORK/table.txt" | uniq -d)" = "" ] &&
    diff "$WORK/table.txt" "$WORK/written.txt" >"$WORK/table.diff"
ok $? "analyze writes exactly the $(wc -l <"$WORK/table.txt") arrays of its --help table, with their shapes"
sed 's/^/# /' "$WORK/table.diff"

done_testing
