#!/usr/bin/python3
"""Regenerates the files of data/ (see data/README.md).

    make-data.py [DIFFGEO]

DIFFGEO is the built tool (default: ../diffgeo beside this folder).  Needs
numpy and h5py, and Debian's dataset-fashion-mnist; the tool itself never
runs Python.  The output is the same bytes on every run.
"""
import gzip
import os
import subprocess
import sys
import tempfile

import h5py
import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
FASHION = "/usr/share/datasets/fashion-mnist"


def moons(tool):
    """500 rows of the tool's synthetic:moons (seed 0), taken from /data of a run file."""
    with tempfile.TemporaryDirectory() as tmp:
        run = os.path.join(tmp, "run.h5")
        subprocess.run([tool, "sample", "-q", "--data", "synthetic:moons,n=500,seed=0",
                        "--steps", "2", "-n", "1", "--save-data", "-o", run], check=True)
        with h5py.File(run, "r") as f:
            rows = f["/data"][()]
    assert rows.shape == (500, 2) and rows.dtype == np.float64
    np.save(os.path.join(HERE, "moons-500.npy"), rows)


def gmm2d():
    """Four anisotropic Gaussians at the corners of a square: a mixture file."""
    means = np.array([[1.0, 1.0], [-1.0, 1.0], [-1.0, -1.0], [1.0, -1.0]])
    weights = np.array([0.4, 0.3, 0.2, 0.1])
    covs = np.empty((4, 2, 2))
    for k in range(4):
        angle = np.pi / 4 * k
        rot = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
        covs[k] = rot @ np.diag([0.09, 0.01]) @ rot.T
    covs = 0.5 * (covs + covs.transpose(0, 2, 1))  # exactly symmetric
    path = os.path.join(HERE, "gmm2d-4.h5")
    # No time stamps in the file: the same bytes on every run.
    with h5py.File(path, "w", track_order=False) as f:
        f.create_dataset("weights", data=weights, track_times=False)
        f.create_dataset("means", data=means, track_times=False)
        f.create_dataset("covs", data=covs, track_times=False)
        f.attrs["description"] = "4 Gaussians at the corners of [-1, 1]^2, weights 0.4 0.3 0.2 0.1"


def idx(path):
    """The array of a gzip-compressed IDX file of unsigned bytes."""
    with gzip.open(path, "rb") as f:
        raw = f.read()
    rank = raw[3]
    shape = tuple(int.from_bytes(raw[4 + 4 * k:8 + 4 * k], "big") for k in range(rank))
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * rank).reshape(shape)


def fashion():
    """The first 200 images of the Fashion-MNIST test split, and their labels."""
    images = idx(os.path.join(FASHION, "t10k-images-idx3-ubyte.gz"))[:200]
    labels = idx(os.path.join(FASHION, "t10k-labels-idx1-ubyte.gz"))[:200]
    np.save(os.path.join(HERE, "fashion-mnist-test-200.npy"), np.ascontiguousarray(images))
    np.save(os.path.join(HERE, "fashion-mnist-test-200-labels.npy"), np.ascontiguousarray(labels))


def main():
    tool = sys.argv[1] if len(sys.argv) > 1 else os.path.join(HERE, "..", "diffgeo")
    moons(tool)
    gmm2d()
    fashion()


if __name__ == "__main__":
    main()
