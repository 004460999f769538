#!/usr/bin/python3
"""The empirical optimal denoiser as a researcher writes it in numpy.

D*(x; σ) = Σ_i softmax_i(−‖x − y_i‖²/2σ²) y_i for a batch of queries:
squared distances by the expansion ‖x‖² + ‖y‖² − 2 x·y, a max-subtracted
softmax, and the weighted sum.  Used by `make bench` as the numpy contender;
prints the median time of REPEATS evaluations in seconds.

Usage: numpy_denoiser.py IMAGES.idx.gz [REPEATS [SIGMA [QUERIES]]]
"""
import gzip
import sys
import time

import numpy as np


def load_idx(path):
    with gzip.open(path, "rb") as f:
        raw = f.read()
    n, rows, cols = (int.from_bytes(raw[k:k + 4], "big") for k in (4, 8, 12))
    return np.frombuffer(raw, np.uint8, offset=16).reshape(n, rows * cols) / 127.5 - 1.0


def denoise(x, y, y_sq, sigma):
    d2 = (x * x).sum(1)[:, None] + y_sq[None, :] - 2.0 * x @ y.T
    logits = -d2 / (2.0 * sigma * sigma)
    logits -= logits.max(1, keepdims=True)
    w = np.exp(logits)
    w /= w.sum(1, keepdims=True)
    return w @ y


def main():
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    sigma = float(sys.argv[3]) if len(sys.argv) > 3 else 10.0
    queries = int(sys.argv[4]) if len(sys.argv) > 4 else 128
    y = load_idx(path)
    rng = np.random.default_rng(0)
    x = y[rng.integers(0, len(y), queries)] + sigma * rng.standard_normal((queries, y.shape[1]))
    y_sq = (y * y).sum(1)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        denoise(x, y, y_sq, sigma)
        times.append(time.perf_counter() - t0)
    print(f"{np.median(times):.6f}")


if __name__ == "__main__":
    main()
