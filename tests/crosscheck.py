#!/usr/bin/python3
"""Independent cross-check of diffgeo run files.

This is a second implementation written from the formulas of doc/theory.md (sections 1, 2, 4
and 5) and its run-file contract (doc/theory.md section 9), not from diffgeo's C code. It recomputes
the sigma grid, the exact empirical denoiser and the Euler / Heun (EDM Algorithm 2 without
churn) trajectories in numpy long double, and compares them with what diffgeo wrote.

    crosscheck.py make-data OUT.h5 --n N --d D --offset X [--scale S] [--seed K] [--name /x]
        write OUT.h5:/x = offset + scale * N(0, 1), float64, shape N x D
    crosscheck.py check RUN.h5 --data DATA.h5[:/x] [--solver euler|heun] [--init FILE.h5[:/x0]]
        check RUN.h5; with --solver, integrate with that solver instead of /config's;
        with --init, /trajectory[0] must equal those start points bit for bit
    crosscheck.py selftest
        check this file's reference formulas against the test vectors of doc/theory.md section 4.7

Every output line starts with '#' (TAP diagnostics), so that a TAP test may pass it through;
the exit status is 0 if every check passed, 1 otherwise (with a message on stderr), 2 on a
usage error.
"""

import argparse
import datetime
import sys

import h5py
import numpy as np

LD = np.longdouble

TOL_SIGMAS = 1e-14  # relative, per grid point
TOL_DENOISED = 1e-12  # relative, per sample, D at the run's own points
TOL_TRAJECTORY = 1e-9  # relative, per sample, independently integrated trajectory

STRING_ATTRS_ROOT = ("diffgeo_version", "command_line", "created")
INT_ATTRS_ROOT = ("seed",)
STRING_ATTRS_CONFIG = ("data", "denoiser", "solver", "schedule")
INT_ATTRS_CONFIG = ("steps", "final_zero", "nfe", "n", "dim")
FLOAT_ATTRS_CONFIG = ("sigma_min", "sigma_max", "rho")


# ----------------------------------------------------------------- reporting

class Report:
    """Collects named checks and prints them as TAP-like diagnostic lines.

    A check prints its own line when it fails (or with verbose); section() closes a group
    of checks with one summary line."""

    def __init__(self, verbose=False):
        self.verbose = verbose
        self.failed = []
        self.count = 0
        self.group = [0, 0]  # checks, failures since the last section()

    def check(self, passed, what, detail=""):
        passed = bool(passed)
        self.count += 1
        self.group[0] += 1
        if not passed:
            self.failed.append(what)
            self.group[1] += 1
        if self.verbose or not passed:
            line = f"#   {'ok' if passed else 'not ok'} - {what}"
            print(line + (f" ({detail})" if detail else ""))
        return passed

    def section(self, name):
        checks, failures = self.group
        if checks:
            status = f"not ok - {name}: {failures} of" if failures else f"ok - {name}:"
            print(f"# {status} {checks} check{'s' if checks > 1 else ''}")
        self.group = [0, 0]

    def note(self, text):
        print(f"# {text}")

    def finish(self):
        self.section("other")
        if self.failed:
            print(f"crosscheck: {len(self.failed)} of {self.count} checks failed: "
                  + "; ".join(self.failed), file=sys.stderr)
            return 1
        self.note(f"all {self.count} checks passed")
        return 0


# ----------------------------------------------------------------- doc/theory.md section 4

def sigma_grid(schedule, steps, sigma_min, sigma_max, rho, final_zero):
    """The decreasing sigma grid of doc/theory.md section 4, in long double."""
    lo, hi = LD(sigma_min), LD(sigma_max)
    frac = np.arange(steps, dtype=LD) / LD(steps - 1)
    if schedule == "edm":
        r = LD(rho)
        s = (hi ** (1 / r) + frac * (lo ** (1 / r) - hi ** (1 / r))) ** r
    elif schedule == "logsnr":
        s = np.exp(np.log(hi) + frac * (np.log(lo) - np.log(hi)))
    elif schedule == "time-uniform":
        r = LD(rho)
        beta_d, beta_min = vp_betas(sigma_min, sigma_max)
        t = (1 + frac * (vp_eps() ** (1 / r) - 1)) ** r
        s = np.sqrt(np.expm1(beta_d * t * t / 2 + beta_min * t))
    else:
        raise ValueError(f"unknown schedule '{schedule}'")
    if final_zero:
        s = np.append(s, LD(0))
    return s


def vp_eps():
    return LD(1) / LD(1000)


def vp_betas(sigma_min, sigma_max):
    """beta_d and beta_min of the VP time-uniform schedule (doc/theory.md section 4)."""
    eps = vp_eps()
    lmin = np.log1p(LD(sigma_min) ** 2)
    lmax = np.log1p(LD(sigma_max) ** 2)
    beta_d = 2 * (lmin / eps - lmax) / (eps - 1)
    return beta_d, lmax - beta_d / 2


# ----------------------------------------------------------------- doc/theory.md sections 2 and 5

def denoise(x, y, sigma):
    """Exact empirical denoiser D*(x; sigma) = sum_i softmax(-|x - y_i|^2 / 2 sigma^2) y_i.

    x: (n, d), y: (N, d). Long double, logits from the exact differences x - y_i,
    max-subtracted before the exponential.
    """
    x, y, sigma = np.asarray(x, LD), np.asarray(y, LD), LD(sigma)
    diff = x[:, None, :] - y[None, :, :]
    logits = -np.einsum("nkd,nkd->nk", diff, diff) / (2 * sigma * sigma)
    w = np.exp(logits - logits.max(axis=1, keepdims=True))
    return np.einsum("nk,kd->nd", w, y) / w.sum(axis=1, keepdims=True)


def integrate(solver, x0, y, sigmas):
    """Euler or Heun (EDM Algorithm 2 without churn; a step into sigma = 0 is Euler).

    Returns the trajectory (T+1, n, d), the first-stage denoiser outputs (T, n, d) and the
    number of denoiser evaluations.
    """
    if solver not in ("euler", "heun"):
        raise ValueError(f"unknown solver '{solver}'")
    x = np.asarray(x0, LD)
    xs, ds, nfe = [x], [], 0
    for s, s_next in zip(sigmas[:-1], sigmas[1:]):
        D = denoise(x, y, s)
        nfe += 1
        slope = (x - D) / s
        x_next = x + (s_next - s) * slope
        if solver == "heun" and s_next > 0:
            slope2 = (x_next - denoise(x_next, y, s_next)) / s_next
            nfe += 1
            x_next = x + (s_next - s) * (slope + slope2) / 2
        x = x_next
        xs.append(x)
        ds.append(D)
    return np.stack(xs), np.stack(ds), nfe


def expected_nfe(solver, steps, final_zero):
    """doc/theory.md section 5: Euler one per step, Heun two, the Euler step into 0 saves one."""
    if solver == "euler":
        return steps
    return 2 * steps - (1 if final_zero else 0)


# ----------------------------------------------------------------- comparisons

def rel_err(ref, got):
    """Max over all leading indices of |ref - got| / |ref| (norm along the last axis).

    Returns (max, index of the max)."""
    ref = np.asarray(ref, LD)
    num = np.sqrt(np.sum((ref - np.asarray(got, LD)) ** 2, axis=-1))
    den = np.sqrt(np.sum(ref ** 2, axis=-1))
    e = num / np.maximum(den, LD(np.finfo(np.float64).tiny))
    where = np.unravel_index(int(np.argmax(e)), e.shape)
    return float(e[where]), tuple(int(i) for i in where)


def read_h5_spec(spec, default):
    """'FILE.h5[:/dataset]' -> float64 array."""
    path, _, name = spec.partition(":")
    with h5py.File(path, "r") as f:
        return np.asarray(f[name or default][()], dtype=np.float64)


# ----------------------------------------------------------------- structure (doc/theory.md section 9)

def check_attrs(rep, obj, where, strings, ints, floats=()):
    """String attributes must read as plain str, integers as ints, floats as reals."""
    attrs = {}
    for name in strings + ints + floats:
        if not rep.check(name in obj.attrs, f"attribute {where}{name} present"):
            continue
        v = obj.attrs[name]
        attrs[name] = v
        if name in strings:
            rep.check(type(v) is str, f"{where}{name} reads as str",
                      f"{type(v).__name__} {v!r}")
        elif name in ints:
            rep.check(isinstance(v, (int, np.integer)) and not isinstance(v, bool),
                      f"{where}{name} reads as an integer", f"{type(v).__name__} {v!r}")
        else:
            rep.check(isinstance(v, (float, np.floating)) and np.isfinite(v),
                      f"{where}{name} reads as a finite float", f"{type(v).__name__} {v!r}")
    return attrs


def check_created(rep, value):
    """created: ISO 8601 in UTC (a trailing Z or +00:00)."""
    try:
        t = datetime.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
        utc = t.utcoffset() == datetime.timedelta(0)
    except ValueError:
        t, utc = None, False
    rep.check(utc, "created parses as ISO 8601 UTC", repr(value))


def check_structure(rep, f):
    """The run file contract (doc/theory.md section 9); returns (config attrs, arrays) or None if unusable."""
    root = check_attrs(rep, f, "/", STRING_ATTRS_ROOT, INT_ATTRS_ROOT)
    if "created" in root:
        check_created(rep, root["created"])
    if "command_line" in root:
        rep.check(str(root["command_line"]).split()[:2] == ["diffgeo", "sample"],
                  "command_line starts with 'diffgeo sample'", repr(root["command_line"]))
    if not rep.check(isinstance(f.get("config"), h5py.Group), "/config is a group"):
        return None
    cfg = check_attrs(rep, f["config"], "/config/", STRING_ATTRS_CONFIG, INT_ATTRS_CONFIG,
                      FLOAT_ATTRS_CONFIG)

    arrays = {}
    for name in ("sigmas", "trajectory", "denoised", "samples"):
        ds = f.get(name)
        if rep.check(isinstance(ds, h5py.Dataset), f"/{name} is a dataset"):
            rep.check(ds.dtype == np.dtype("<f8"), f"/{name} is float64", str(ds.dtype))
            arrays[name] = ds[()]
            rep.check(np.all(np.isfinite(arrays[name])), f"/{name} is finite")
    if len(arrays) < 4 or any(k not in cfg for k in INT_ATTRS_CONFIG + FLOAT_ATTRS_CONFIG):
        return None

    s, tr, de, sa = (arrays[k] for k in ("sigmas", "trajectory", "denoised", "samples"))
    T, n, d = len(s) - 1, int(cfg["n"]), int(cfg["dim"])
    fz = int(cfg["final_zero"])
    ok = rep.check(s.ndim == 1 and T >= 1, "/sigmas is [T+1] with T >= 1", str(s.shape))
    ok &= rep.check(tr.shape == (T + 1, n, d), "/trajectory is [T+1][n][d]",
                    f"{tr.shape} vs {(T + 1, n, d)}")
    ok &= rep.check(de.shape == (T, n, d), "/denoised is [T][n][d]",
                    f"{de.shape} vs {(T, n, d)}")
    ok &= rep.check(sa.shape == (n, d), "/samples is [n][d]", str(sa.shape))
    if not ok:
        return None
    rep.check(np.array_equal(sa, tr[T]), "/samples == /trajectory[T] exactly")
    if "image_shape" in f["config"].attrs:
        shape = np.atleast_1d(f["config"].attrs["image_shape"])
        rep.check(np.issubdtype(shape.dtype, np.integer) and int(np.prod(shape)) == d,
                  "/config/image_shape has dim elements", repr(shape))

    rep.check(bool(np.all(np.diff(s) < 0)), "/sigmas strictly decreasing")
    rep.check(s[0] == cfg["sigma_max"], "/sigmas[0] == sigma_max exactly",
              f"{s[0]!r} vs {cfg['sigma_max']!r}")
    rep.check(fz in (0, 1), "final_zero is 0 or 1", repr(fz))
    rep.check(len(s) == int(cfg["steps"]) + fz, "len(/sigmas) == steps + final_zero",
              f"{len(s)} vs steps {cfg['steps']}")
    last = s[-2] if fz else s[-1]
    rep.check(last == cfg["sigma_min"], "last positive sigma == sigma_min exactly",
              f"{last!r} vs {cfg['sigma_min']!r}, rel {abs(last / cfg['sigma_min'] - 1):.2e}")
    if fz:
        rep.check(s[-1] == 0.0, "with final_zero the last sigma is 0", repr(s[-1]))
    check_axis_labels(rep, f)
    return cfg, arrays


def check_axis_labels(rep, f):
    """Named axes (h5py dims[k].label), as the run-file description promises."""
    want = {"sigmas": ["grid"], "trajectory": ["grid", "sample", "dim"],
            "denoised": ["eval", "sample", "dim"], "samples": ["sample", "dim"]}
    for name, labels in want.items():
        dims = f[name].dims
        got = [dims[i].label for i in range(len(dims))]
        rep.check(got == labels, f"/{name} axes are labelled {labels}", f"got {got}")


# ----------------------------------------------------------------- numerics

def check_sigmas(rep, cfg, s):
    ref = sigma_grid(cfg["schedule"], int(cfg["steps"]), cfg["sigma_min"], cfg["sigma_max"],
                     cfg["rho"], int(cfg["final_zero"]))
    if rep.check(ref.shape == s.shape, "sigma grid length matches doc/theory.md section 4",
                 f"{s.shape} vs {ref.shape}"):
        pos = ref > 0
        e = np.abs(s[pos] - ref[pos]) / ref[pos]
        i = int(np.argmax(e))
        rep.note(f"sigmas ({cfg['schedule']}, rho {cfg['rho']:g}): max rel err {float(e[i]):.3e} "
                 f"at index {i}")
        rep.check(float(e[i]) <= TOL_SIGMAS and np.all(s[~pos] == 0),
                  f"sigma grid within {TOL_SIGMAS:g} relative of doc/theory.md section 4",
                  f"sigma[{i}] = {s[i]!r}, reference {float(ref[i])!r}")
    rep.section(f"sigma grid ({cfg['schedule']})")


def report_err(rep, what, e, where, absolute, tol):
    rep.note(f"{what}: max rel err {e:.3e} at {where} (max abs {absolute:.3e})")
    rep.check(e <= tol, f"{what} within {tol:g}", f"rel err {e:.3e} at {where}")


def check_numerics(rep, cfg, arrays, y, solver):
    s, tr, de = arrays["sigmas"], arrays["trajectory"], arrays["denoised"]
    T, fz = len(s) - 1, int(cfg["final_zero"])
    sl = s.astype(LD)
    rep.check(solver == cfg["solver"], f"/config/solver is '{solver}'", repr(cfg["solver"]))
    rep.check(int(cfg["nfe"]) == expected_nfe(solver, T, fz),
              f"nfe == {expected_nfe(solver, T, fz)} ({solver}, {T} steps, final_zero {fz})",
              f"run says {int(cfg['nfe'])}")
    rep.section("solver and nfe (doc/theory.md section 5)")

    # (a) the denoiser at the run's own points
    mine = np.stack([denoise(tr[i], y, sl[i]) for i in range(T)])
    e, (i, k) = rel_err(mine, de)
    report_err(rep, "D* at the run's points vs /denoised", e,
               f"step {i} (sigma {s[i]:.6g}) sample {k}", float(np.max(np.abs(mine - de))),
               TOL_DENOISED)
    rep.section("denoiser at the run's own points")

    # (b) the whole trajectory, integrated independently from /trajectory[0]
    xs, ds, nfe = integrate(solver, tr[0], y, sl)
    rep.check(nfe == int(cfg["nfe"]), "independent integration used the run's nfe",
              f"{nfe} vs {int(cfg['nfe'])}")
    e, (i, k) = rel_err(xs, tr)
    report_err(rep, f"independent {solver} vs /trajectory", e, f"grid point {i} sample {k}",
               float(np.max(np.abs(xs - tr))), TOL_TRAJECTORY)
    e, (i, k) = rel_err(ds, de)
    report_err(rep, f"independent {solver} vs /denoised", e, f"step {i} sample {k}",
               float(np.max(np.abs(ds - de))), TOL_TRAJECTORY)
    rep.section(f"independent {solver} integration")

    # not a check: how far the start points are from the noise shell sigma_max sqrt(d)
    ratio = np.linalg.norm(tr[0], axis=1) / (s[0] * np.sqrt(tr.shape[2]))
    rep.note(f"start |x0|/(sigma_max sqrt d): min {ratio.min():.3f} max {ratio.max():.3f}")


def cmd_check(args):
    rep = Report(args.verbose)
    y = read_h5_spec(args.data, "/x")
    y = y.reshape(len(y), -1)  # N x ... is read as N x d, flattened
    with h5py.File(args.run, "r") as f:
        got = check_structure(rep, f)
    if got is not None:
        cfg, arrays = got
        rep.check(y.ndim == 2 and y.shape[1] == arrays["trajectory"].shape[2],
                  "data dimension == /config/dim", f"data {y.shape}, dim {cfg['dim']}")
    rep.section("structure (doc/theory.md section 9, run file)")
    if got is None:
        rep.check(False, "run file usable for the numerical checks")
        return rep.finish()
    rep.note(f"{args.run}: {cfg['solver']}, {cfg['schedule']}, {len(arrays['sigmas']) - 1} "
             f"steps, final_zero {int(cfg['final_zero'])}, n {int(cfg['n'])}, "
             f"d {int(cfg['dim'])}, data {y.shape[0]} points, nfe {int(cfg['nfe'])}")
    if args.init:
        x0 = read_h5_spec(args.init, "/x0")
        rep.check(x0.shape == arrays["trajectory"][0].shape
                  and np.array_equal(x0, arrays["trajectory"][0]),
                  "/trajectory[0] == --init start points bit for bit",
                  f"shapes {x0.shape}, {arrays['trajectory'][0].shape}")
        rep.section(f"start points from {args.init}")
    try:
        check_sigmas(rep, cfg, arrays["sigmas"])
        check_numerics(rep, cfg, arrays, y, args.solver or cfg["solver"])
    except (ValueError, TypeError, KeyError) as exc:  # e.g. an attribute of the wrong type
        rep.check(False, f"numerical checks ran to the end ({type(exc).__name__}: {exc})")
    return rep.finish()


def cmd_make_data(args):
    rng = np.random.default_rng(args.seed)
    x = args.offset + args.scale * rng.standard_normal((args.n, args.d))
    with h5py.File(args.out, "w") as f:
        f.create_dataset(args.name, data=x.astype(np.float64))
    print(f"# wrote {args.out}:{args.name} {args.n} x {args.d}, offset {args.offset}, "
          f"scale {args.scale}, seed {args.seed}")
    return 0


# ----------------------------------------------------------------- selftest (doc/theory.md section 4.7 vectors)

def close_to_printed(value, printed):
    """value equals the decimal string printed to within half a unit of its last digit."""
    decimals = len(printed.split(".")[1]) if "." in printed else 0
    return abs(float(value) - float(printed)) <= 0.5001 * 10.0 ** -decimals


def cmd_selftest(args):
    rep = Report(args.verbose)
    vectors = [
        ("edm", 7, 7, ["80", "30.183258055", "9.7232013553", "2.5152189761", "0.469979058",
                       "0.051532394323", "0.002"], range(7)),
        ("edm", 18, 7, ["80", "57.585984721", "40.785573797", "0.0075280199628", "0.002"],
         [0, 1, 2, 16, 17]),
        ("logsnr", 7, 0, ["80", "13.679807573", "2.3392141906", "0.4", "0.068399037867",
                          "0.011696070953", "0.002"], range(7)),
        ("time-uniform", 7, 1, ["80", "20.96550632", "6.950235412", "2.823688824",
                                "1.286668915", "0.5271715978", "0.002"], range(7)),
        ("time-uniform", 7, 2, ["80", "8.672468611", "2.30433993", "0.9262575943",
                                "0.3843132756", "0.1098461671", "0.002"], range(7)),
    ]
    for schedule, steps, rho, printed, idx in vectors:
        s = sigma_grid(schedule, steps, 0.002, 80.0, rho, False)
        bad = [(i, float(s[i]), p) for i, p in zip(idx, printed) if not close_to_printed(s[i], p)]
        rep.check(not bad, f"{schedule} N={steps} rho={rho} matches doc/theory.md section 4.7", repr(bad[:2]) if bad else "")
    beta_d, beta_min = vp_betas(0.002, 80.0)
    rep.check(close_to_printed(beta_d, "17.537956987")
              and close_to_printed(beta_min, "-0.0047689865"),
              "VP beta_d and beta_min match doc/theory.md section 4.7", f"{float(beta_d)!r}, {float(beta_min)!r}")
    rep.check(sigma_grid("edm", 5, 0.002, 80, 7, True)[-1] == 0, "final_zero appends 0")
    rep.section("sigma grids against doc/theory.md section 4 test vectors")

    rng = np.random.default_rng(7)
    y = 3 + rng.standard_normal((40, 5))
    x = 3 + 2 * rng.standard_normal((6, 5))
    far = denoise(x, y, 1e6)
    rep.check(rel_err(np.tile(y.mean(0), (6, 1)), far)[0] < 1e-10, "sigma -> inf gives the mean")
    nearest = y[np.argmin(((x[:, None] - y[None]) ** 2).sum(-1), axis=1)]
    rep.check(rel_err(nearest, denoise(x, y, 1e-3))[0] < 1e-15, "sigma -> 0 gives the nearest point")
    two = np.array([[0.0], [1.0]])
    sig = 0.7  # two points: D = sigmoid((2x - 1) / (2 sigma^2)) exactly
    d_ref = 1 / (1 + np.exp(-(2 * 0.3 - 1) / (2 * sig * sig)))
    rep.check(abs(float(denoise([[0.3]], two, sig)[0, 0]) - d_ref) < 1e-15,
              "two-point denoiser is a logistic function")
    sig = np.array([80.0, 5.0, 0.0], dtype=LD)
    xs, ds, nfe = integrate("euler", x, y, sig)
    blend = (sig[1] / sig[0]) * xs[0] + (1 - sig[1] / sig[0]) * ds[0]
    rep.check(rel_err(blend, xs[1])[0] < 1e-17 and rel_err(ds[1], xs[2])[0] < 1e-17
              and nfe == 2, "Euler is the annealed mean-shift blend; its step into 0 gives D")
    _, _, nfe = integrate("heun", x, y, sig)
    rep.check(nfe == 3 == expected_nfe("heun", 2, True), "Heun nfe with a step into 0")
    # Heun is second order: two-point data, end point against a much finer Heun run
    yy = np.array([[-1.0], [1.0]])
    fine, _, _ = integrate("heun", [[7.0]], yy, sigma_grid("edm", 641, 0.5, 20.0, 7, False))
    errs = []
    for steps in (21, 41):
        coarse, _, _ = integrate("heun", [[7.0]], yy, sigma_grid("edm", steps, 0.5, 20.0, 7, False))
        errs.append(abs(float(coarse[-1, 0, 0] - fine[-1, 0, 0])))
    rep.check(3.0 < errs[0] / errs[1] < 5.0, "Heun converges at second order",
              f"errors {errs[0]:.2e}, {errs[1]:.2e}")
    rep.section("reference denoiser and solvers")
    return rep.finish()


# ----------------------------------------------------------------- command line

def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    sub = p.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make-data", help="write random data offset + scale N(0, 1)")
    m.add_argument("out")
    m.add_argument("--n", type=int, required=True)
    m.add_argument("--d", type=int, required=True)
    m.add_argument("--offset", type=float, default=0.0)
    m.add_argument("--scale", type=float, default=1.0)
    m.add_argument("--seed", type=int, default=0)
    m.add_argument("--name", default="/x")
    c = sub.add_parser("check", help="check a run file written by diffgeo sample")
    c.add_argument("run")
    c.add_argument("--data", required=True, help="FILE.h5[:/dataset] (default /x)")
    c.add_argument("--solver", choices=("euler", "heun"))
    c.add_argument("--init", help="FILE.h5[:/dataset] (default /x0): expected start points")
    c.add_argument("--verbose", "-v", action="store_true", help="print every check")
    t = sub.add_parser("selftest", help="check the reference against the test vectors of doc/theory.md")
    t.add_argument("--verbose", "-v", action="store_true", help="print every check")
    args = p.parse_args(argv)
    return {"make-data": cmd_make_data, "check": cmd_check, "selftest": cmd_selftest}[
        args.command](args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
