#!/usr/bin/python3
"""Independent cross-check of the /metrics that `diffgeo analyze` writes.

A second implementation from the definitions of doc/theory.md sections 3 and 6 (and the
`diffgeo analyze --help` text), in numpy, not from diffgeo's C code: long-double loops with
exact differences for distances and the KDE, numpy's SVD (not an eigensolver of a Gram
matrix) for principal components, numpy's polyfit for curvature, and crosscheck.py's
long-double denoiser and Euler/Heun integrator for the comparisons with the optimal
denoiser D*.

    check_metrics.py RUN.h5 [--reference DATA.h5[:/x]] [--run-data DATA.h5[:/x]]
                     [--run-limit N] [--window W] [--verbose]

--reference: the data of `analyze --reference` (checks the reference arrays);
--run-data/--run-limit: the run's own data (checks optimal_self, which must then exist;
without it, optimal_self must be absent). Output lines start with '#'; the exit status
is 0 if every check passed, 1 otherwise.
"""

import argparse
import os
import sys

import h5py
import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import crosscheck  # noqa: E402  (the independent denoiser and integrator)

LD = np.longdouble
TOL = 1e-10          # relative, elementwise, for measurements of the run alone
TOL_OPTIMAL = 1e-9   # relative, for measurements through an integrated trajectory
TOL_CURVATURE = 1e-6  # relative: a cubic fit amplifies rounding by 1/window^3
PCA_RANK_TOL = 1e-13  # eigenvalues (squared singular values) below this fraction are 0
STRAIGHT_TOL = 1e-9   # kappa * half-window below this: torsion undefined


def norm(a, axis=-1):
    return np.sqrt(np.sum(np.asarray(a, LD) ** 2, axis=axis))


def compare(rep, what, got, want, tol, floor=0.0):
    """Elementwise |got - want| <= tol * max(|want|, floor); NaN must match NaN."""
    got, want = np.asarray(got, np.float64), np.asarray(want, LD)
    if not rep.check(got.shape == want.shape, f"{what}: shape {want.shape}", f"got {got.shape}"):
        return
    nan = np.isnan(want)
    rep.check(np.array_equal(np.isnan(got), nan), f"{what}: NaN exactly where expected",
              f"{int(np.isnan(got).sum())} NaN, expected {int(nan.sum())}")
    scale = np.maximum(np.abs(want[~nan]), LD(floor))
    err = np.abs(got[~nan] - want[~nan]) / np.maximum(scale, LD(np.finfo(float).tiny))
    worst = float(err.max()) if err.size else 0.0
    rep.note(f"{what}: max relative error {worst:.2e}")
    rep.check(worst <= tol, f"{what} within {tol:g}", f"{worst:.3e}")


# ----------------------------------------------------------------- doc/theory.md section 6

def deviation(tr):
    """Distance from the line through start and end; 0 at both ends."""
    tr = np.asarray(tr, LD)
    chord = tr[-1] - tr[0]
    u = chord / np.maximum(norm(chord), LD(1e-300))[:, None]
    v = tr[-1][None] - tr
    dev = norm(v - np.sum(v * u, axis=-1)[..., None] * u)
    dev[0] = dev[-1] = 0
    return dev


def cosine(tr, de):
    a, b = np.asarray(tr[:-1], LD) - de, np.asarray(tr[:-1], LD) - tr[-1]
    return np.sum(a * b, axis=-1) / (norm(a) * norm(b))


def signed_top2(Y):
    """Top-2 right singular vectors of Y (K x d) and the coordinates Y @ P, each column
    signed so that its largest |coordinate| is positive; negligible ones are 0."""
    _, s, vt = np.linalg.svd(Y, full_matrices=False)
    P = np.zeros((2, Y.shape[1]))
    for j in range(min(2, len(s))):
        if s[0] > 0 and s[j] ** 2 > PCA_RANK_TOL * s[0] ** 2:
            P[j] = vt[j]
    C = Y @ P.T
    for j in range(2):
        big = int(np.argmax(np.abs(C[:, j])))
        if C[big, j] < 0:
            C[:, j], P[j] = -C[:, j], -P[j]
    return P, C


def refine(Xc, P, steps=4):
    """A few steps of subspace iteration in long double from numpy's SVD directions P
    (2 x d): the SVD's own error, about eps s1/(s2 - s3), would otherwise show in the
    smallest projection errors."""
    Xc, Q = np.asarray(Xc, LD), np.asarray(P, LD).T
    rank = int(np.sum(np.any(P != 0, axis=1)))
    for _ in range(steps if rank == 2 else 0):
        Z = Xc.T @ (Xc @ Q)
        q0 = Z[:, 0] / norm(Z[:, 0])
        z1 = Z[:, 1] - (q0 @ Z[:, 1]) * q0
        z1 -= (q0 @ z1) * q0
        Q = np.stack([q0, z1 / norm(z1)], axis=1)
    return Q.T


def pca2_error(tr):
    K, n, _ = tr.shape
    out = np.empty((K, n), dtype=LD)
    for s in range(n):
        X = np.asarray(tr[:, s, :], LD)
        Xc = X - X.mean(axis=0)
        P = refine(Xc, signed_top2(np.asarray(Xc, np.float64))[0])
        out[:, s] = norm(Xc - (Xc @ P.T) @ P) / norm(X)
    return out


def coords3d(tr):
    K, n, _ = tr.shape
    out = np.empty((K, n, 3))
    for s in range(n):
        X = tr[:, s, :]
        chord = X[-1] - X[0]
        u = chord / np.linalg.norm(chord)
        along = (X - X[0]) @ u
        Y = (X - X[0]) - along[:, None] * u
        _, C = signed_top2(Y)
        out[:, s, 0], out[:, s, 1:] = along, C
    return out


def curvature_torsion(curve, window):
    """Cubic least-squares fits (numpy.polyfit) in arc length over centred windows."""
    K, n, _ = curve.shape
    kappa, tau = np.full((K, n), np.nan), np.full((K, n), np.nan)
    half = window // 2
    for s in range(n):
        r = curve[:, s, :]
        arc = np.concatenate([[0.0], np.cumsum(np.linalg.norm(np.diff(r, axis=0), axis=1))])
        for k in range(half, K - half):
            t = arc[k - half:k + half + 1] - arc[k]
            span = max(-t[0], t[-1])
            c = np.polyfit(t / span, r[k - half:k + half + 1] - r[k], 3)  # highest power first
            d1, d2, d3 = c[2] / span, 2 * c[1] / span ** 2, 6 * c[0] / span ** 3
            rr = np.cross(d1, d2)
            kappa[k, s] = np.linalg.norm(rr) / np.linalg.norm(d1) ** 3
            if kappa[k, s] * span >= STRAIGHT_TOL:
                tau[k, s] = rr @ d3 / (rr @ rr)
    return kappa, tau


# ----------------------------------------------------------------- doc/theory.md section 3

def kde_logpdf(x, y, h):
    """log p^_h(x) of the Gaussian KDE of y, long double, exact differences."""
    x, y, h = np.asarray(x, LD), np.asarray(y, LD), LD(h)
    d2 = np.sum((x[:, None, :] - y[None, :, :]) ** 2, axis=-1)
    logits = -d2 / (2 * h * h)
    top = logits.max(axis=1)
    lse = top + np.log(np.sum(np.exp(logits - top[:, None]), axis=1))
    return lse - np.log(LD(len(y))) - LD(y.shape[1]) / 2 * np.log(2 * LD(np.pi) * h * h)


def nn_distance(x, y):
    d2 = np.sum((np.asarray(x, LD)[:, None, :] - np.asarray(y, LD)[None]) ** 2, axis=-1)
    return np.sqrt(d2.min(axis=1))


# ----------------------------------------------------------------- the checks

def check_attributes(rep, m):
    for name, ds in m.items():
        dims = [ds.dims[i].label for i in range(ds.ndim)]
        rep.check(isinstance(ds.attrs.get("description"), str) and ds.attrs["description"],
                  f"/metrics/{name} has a description")
        rep.check(isinstance(ds.attrs.get("units"), str) and ds.attrs["units"],
                  f"/metrics/{name} has units")
        rep.check(all(dims), f"/metrics/{name} has named axes", f"{dims}")
    rep.section("attributes of /metrics")


def check_run_alone(rep, m, s, tr, de, window):
    T = len(s) - 1
    compare(rep, "deviation", m["deviation"], deviation(tr), TOL, float(norm(tr[-1] - tr[0]).max()) * 1e-6)
    compare(rep, "deviation_denoised", m["deviation_denoised"], deviation(de), TOL,
            float(norm(de[-1] - de[0]).max()) * 1e-6)
    compare(rep, "distance_to_end", m["distance_to_end"], norm(np.asarray(tr, LD) - tr[-1]), TOL)
    compare(rep, "distance_to_end_denoised", m["distance_to_end_denoised"],
            norm(np.asarray(de, LD) - de[-1]), TOL)
    compare(rep, "chord", m["chord"], norm(np.asarray(tr[-1], LD) - tr[0]), TOL)
    compare(rep, "norm_x", m["norm_x"], norm(tr), TOL)
    compare(rep, "norm_denoised", m["norm_denoised"], norm(de), TOL)
    compare(rep, "norm_d", m["norm_d"], norm((np.asarray(tr[:-1], LD) - de) /
                                              np.asarray(s[:-1], LD)[:, None, None]), TOL)
    compare(rep, "cosine", m["cosine"], cosine(tr, de), TOL)
    rep.section("distances, norms, cosine (doc/theory.md section 6)")

    # ‖x − x̃‖ is formed in double: below 1e-5 the values are compared to 1e-15 absolute.
    compare(rep, "pca2_error", m["pca2_error"], pca2_error(tr), TOL, 1e-5)
    view = coords3d(tr)
    scale = float(np.abs(view[..., 1]).max())
    compare(rep, "coords3d (along the chord)", m["coords3d"][..., 0], view[..., 0], TOL,
            float(np.abs(view[..., 0]).max()) * 1e-6)
    compare(rep, "coords3d (principal coordinates)", m["coords3d"][..., 1:], view[..., 1:],
            TOL_OPTIMAL, scale)
    kappa, tau = curvature_torsion(np.asarray(m["coords3d"]), window)
    # Where a piece is straight to 1e-6 of the run's largest curvature, rounding dominates
    # both fits: there the error is measured against that scale.
    compare(rep, f"curvature (window {window})", m["curvature"], kappa, TOL_CURVATURE,
            1e-6 * float(np.nanmax(kappa, initial=0)))
    rep.check(np.array_equal(np.isnan(m["torsion"]), np.isnan(tau)),
              "torsion: NaN exactly where expected")
    rep.note(f"torsion of the runs' 3-D curves: median |tau| {np.nanmedian(np.abs(tau)):.3g}"
             " (not compared: rounding dominates it on nearly straight pieces)")
    rep.section("principal components, 3-D view, curvature (doc/theory.md section 6)")
    return T


def check_reference(rep, f, m, s, tr, de, y, run_y):
    T, n, d = de.shape
    sl = s.astype(LD)
    compare(rep, "nn_distance", m["nn_distance"], nn_distance(tr[-1], y), TOL)
    sigma_min = s[-1] if s[-1] > 0 else s[-2]
    compare(rep, "nn_distance_ratio", m["nn_distance_ratio"],
            nn_distance(tr[-1], y) / (LD(sigma_min) * np.sqrt(LD(d))), TOL)
    before = np.stack([kde_logpdf(tr[i], y, s[i]) for i in range(T)])
    after = np.stack([kde_logpdf(tr[i + 1], y, s[i]) for i in range(T)])
    compare(rep, "kde_loglik_before", m["kde_loglik_before"], before, TOL, 1.0)
    compare(rep, "kde_loglik_after", m["kde_loglik_after"], after, TOL, 1.0)
    rep.check(np.array_equal(m["kde_violations"], np.sum(after < before, axis=1)),
              "kde_violations counts the decreases", f"{m['kde_violations'][()]}")
    dstar_run = np.stack([crosscheck.denoise(tr[i], y, sl[i]) for i in range(T)])
    lam = 1 - sl[1:] / sl[:-1]
    bound = (lam * (2 - lam))[:, None] * norm(dstar_run - tr[:-1]) ** 2 / (2 * sl[:-1, None] ** 2)
    compare(rep, "kde_gain_bound", m["kde_gain_bound"], bound, TOL_OPTIMAL)
    compare(rep, "score_deviation", m["score_deviation"], norm(dstar_run - de), TOL_OPTIMAL,
            float(norm(dstar_run).max()))
    rep.section("against the reference data (doc/theory.md section 3)")

    solver = f["config"].attrs.get("solver", "euler") if "config" in f else "euler"
    if solver not in ("euler", "heun"):
        rep.note(f"solver {solver}: the optimal trajectory is not cross-checked")
        return
    xs, _, _ = crosscheck.integrate(solver, tr[0], y, sl)
    dstar = np.stack([crosscheck.denoise(xs[i], y, sl[i]) for i in range(T)])
    compare(rep, "distance_to_optimal", m["distance_to_optimal"], norm(xs - tr), TOL_OPTIMAL,
            float(norm(xs).max()))
    compare(rep, "denoised_vs_optimal", m["denoised_vs_optimal"], norm(dstar - de), TOL_OPTIMAL,
            float(norm(dstar).max()))
    if run_y is None:
        rep.check("optimal_self" not in m, "optimal_self is absent without the run's denoiser")
    elif rep.check("optimal_self" in m, "optimal_self is present"):
        drun = np.stack([crosscheck.denoise(xs[i], run_y, sl[i]) for i in range(T)])
        compare(rep, "optimal_self", m["optimal_self"], norm(drun - dstar), TOL_OPTIMAL,
                float(norm(dstar).max()))
    rep.section(f"the optimal trajectory ({solver})")


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run")
    p.add_argument("--reference", help="FILE.h5[:/dataset] (default /x)")
    p.add_argument("--run-data", help="FILE.h5[:/dataset]: the run's own data")
    p.add_argument("--run-limit", type=int, default=0)
    p.add_argument("--window", type=int, default=101)
    p.add_argument("--verbose", "-v", action="store_true")
    args = p.parse_args(argv)
    rep = crosscheck.Report(args.verbose)
    with h5py.File(args.run, "r") as f:
        if not rep.check("metrics" in f, "the run file has /metrics"):
            return rep.finish()
        m = {k: v for k, v in f["metrics"].items()}
        s, tr, de = f["sigmas"][()], f["trajectory"][()], f["denoised"][()]
        check_attributes(rep, f["metrics"])
        K = len(s)
        window = min(args.window, K)
        window = max(window - (window % 2 == 0), 5)
        m = {k: v[()] for k, v in m.items()}
        check_run_alone(rep, m, s, tr, de, window)
        if args.reference:
            y = crosscheck.read_h5_spec(args.reference, "/x")
            run_y = None
            if args.run_data:
                run_y = crosscheck.read_h5_spec(args.run_data, "/x")
                run_y = run_y[:args.run_limit] if args.run_limit else run_y
            check_reference(rep, f, m, s, tr, de, y, run_y)
    return rep.finish()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
