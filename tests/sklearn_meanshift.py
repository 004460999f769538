#!/usr/bin/env python3
"""Independent check of `diffgeo meanshift --kernel flat` against scikit-learn.

  sklearn_meanshift.py blobs OUT.h5 --n N --d D --k K --seed S [--spread S] [--offset O]
      writes N points around K random centres to OUT.h5:/x (numpy and h5py only)
  sklearn_meanshift.py compare CASES
      CASES holds one case a line: NAME DATA.h5 RUN.h5 BANDWIDTH|estimate BIN_SEEDING
      MIN_BIN_FREQ.  Each case runs sklearn.cluster.MeanShift on DATA.h5:/x with those
      options and compares its cluster_centers_ (same order, to 1e-10 relative to the
      data's scale), labels_ (identical) and n_iter_ with /modes, /labels and the
      attributes of RUN.h5.  Prints one line a case, "ok NAME ..." or "not ok NAME ...",
      and exits 1 if any case fails, 3 if scikit-learn is missing.
"""
import argparse
import sys

import h5py
import numpy as np

MODE_TOL = 1e-10


def blobs(args):
    rng = np.random.default_rng(args.seed)
    centres = rng.uniform(-8.0, 8.0, size=(args.k, args.d))
    which = rng.integers(args.k, size=args.n)
    x = args.offset + centres[which] + args.spread * rng.standard_normal((args.n, args.d))
    with h5py.File(args.out, "w") as f:
        f["x"] = x
    return 0


def compare_case(name, data, run, bandwidth, bin_seeding, min_bin_freq):
    from sklearn.cluster import MeanShift, estimate_bandwidth

    with h5py.File(data, "r") as f:
        x = f["x"][...]
    with h5py.File(run, "r") as f:
        modes = f["modes"][...]
        labels = f["labels"][...]
        labels_type = f["labels"].dtype
        h = float(f.attrs["bandwidth"])
        n_iter = int(f.attrs["n_iter"])
    given = None if bandwidth == "estimate" else float(bandwidth)
    problems = []
    want_h = estimate_bandwidth(x) if given is None else given
    if abs(h - want_h) > 1e-12 * want_h:
        problems.append("bandwidth %.17g, scikit-learn %.17g" % (h, want_h))
    ms = MeanShift(bandwidth=given, bin_seeding=bin_seeding == "1",
                   min_bin_freq=int(min_bin_freq)).fit(x)
    want = ms.cluster_centers_
    scale = max(1.0, float(np.max(np.abs(x))))
    if modes.shape != want.shape:
        problems.append("modes %s, scikit-learn %s" % (modes.shape, want.shape))
        err = float("inf")
    else:
        err = float(np.max(np.abs(modes - want))) / scale
        if not err <= MODE_TOL:
            problems.append("modes differ by %.3g relative" % err)
    if labels_type != np.int64:
        problems.append("/labels is %s, not int64" % labels_type)
    if labels.shape != ms.labels_.shape or np.any(labels != ms.labels_):
        problems.append("labels differ at %d of %d points" % (
            int(np.sum(labels != ms.labels_)), len(labels))
                        if labels.shape == ms.labels_.shape else "labels have another shape")
    if n_iter != ms.n_iter_:
        problems.append("n_iter %d, scikit-learn %d" % (n_iter, ms.n_iter_))
    detail = "%d modes, max mode difference %.3g (relative), h = %.17g, n_iter %d" % (
        len(want), err, h, ms.n_iter_)
    if problems:
        print("not ok %s: %s; %s" % (name, "; ".join(problems), detail))
        return False
    print("ok %s: %s" % (name, detail))
    return True


def compare(args):
    try:
        import sklearn.cluster  # noqa: F401
    except ImportError:
        return 3
    good = True
    with open(args.cases) as f:
        for line in f:
            if line.strip():
                good &= compare_case(*line.split())
    return 0 if good else 1


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sub = p.add_subparsers(dest="command", required=True)
    b = sub.add_parser("blobs")
    b.add_argument("out")
    b.add_argument("--n", type=int, required=True)
    b.add_argument("--d", type=int, required=True)
    b.add_argument("--k", type=int, required=True)
    b.add_argument("--seed", type=int, required=True)
    b.add_argument("--spread", type=float, default=0.6)
    b.add_argument("--offset", type=float, default=0.0)
    b.set_defaults(run=blobs)
    c = sub.add_parser("compare")
    c.add_argument("cases")
    c.set_defaults(run=compare)
    args = p.parse_args()
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
