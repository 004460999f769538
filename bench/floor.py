#!/usr/bin/python3
"""The least work any exact pruning can do along an optimal-ODE run.

Usage: floor.py RUN.h5 IMAGES.idx.gz [CHUNK]

For each level σ_i of the run, and the run's own points x_i there (the
queries of its evaluations at σ_i), a row y can be left out of both products
only if its weight is below e^-50 of the largest, ‖x − y‖² − min‖x − y'‖² >
100 σ².  This prints, per level, the fraction of (query, row) pairs that
must be computed, and the fraction of (query, chunk of CHUNK rows) pairs
that hold such a row in the file's order.  Whatever the bounds and the order
of the rows, an evaluation costs at least its row fraction of a dense one:
the sum over the run's evaluations (Heun: two per level but the first and
last) is a floor for the whole run against its dense GEMM pairs.
"""
import sys

import h5py
import numpy as np

from numpy_denoiser import load_idx


def main():
    run, data = sys.argv[1], sys.argv[2]
    chunk = int(sys.argv[3]) if len(sys.argv) > 3 else 512
    y = load_idx(data)
    with h5py.File(run, "r") as f:
        traj = f["trajectory"][:]
        sigmas = f["sigmas"][:]
        nfe = int(f["config"].attrs["nfe"])
    mu = y.mean(0)
    yc = y - mu
    yy = (yc**2).sum(1)
    nchunks = (len(y) + chunk - 1) // chunk
    print("# sigma  rows_needed  chunks_needed_file_order")
    rows_needed = []
    for x, s in zip(traj, sigmas):
        if s == 0:
            continue
        xc = x - mu
        d2 = np.maximum((xc**2).sum(1)[:, None] - 2 * xc @ yc.T + yy[None, :], 0)
        need = d2 - d2.min(1)[:, None] <= 100 * s * s
        per_chunk = np.add.reduceat(need, np.arange(0, len(y), chunk), axis=1) > 0
        rows_needed.append(need.mean())
        print(f"{s:9.4g}  {need.mean():.4f}  {per_chunk.sum() / (need.shape[0] * nchunks):.4f}")
    # Heun: level i is evaluated at the step from it and (second evaluation)
    # at the step into it; the last level once more when the run ends at 0
    # (an Euler step), once only when it does not.
    weights = [1.0] + [2.0] * (len(rows_needed) - 1)
    weights[-1] += nfe - sum(weights)
    floor = sum(w * r for w, r in zip(weights, rows_needed)) / nfe
    print(f"run_floor_vs_{nfe}_gemm_pairs {floor:.3f}")


if __name__ == "__main__":
    main()
