#!/usr/bin/python3
"""Write any sampler's trajectories as a diffgeo run file, for `diffgeo analyze`.

`diffgeo analyze RUN.h5` measures trajectories it did not sample itself. It needs three
float64 arrays (doc/theory.md section 9):

    /sigmas      [T+1]        the sigma grid, strictly decreasing; [0] = sigma_max; only the
                              last entry may be 0
    /trajectory  [T+1][n][d]  x_i at each grid point; [0] = the start, [T] = the end
    /denoised    [T][n][d]    D(x_i; sigma_i), the denoiser output at each evaluated point
                              (EDM parameterisation: D predicts the clean data; for an
                              eps-prediction network, D = x - sigma * eps)

and reads /config attributes where present: `solver` (euler, heun, dpm2, dpmpp2m, ...; an
unknown or missing name means the optimal comparison trajectory is integrated with euler,
and the metrics' 'note' attribute says so), afs, denoise_to_zero, threshold, max_order.
Images are flattened to d values per row.

Hooking it into a PyTorch sampler loop is three lines, marked (1) (2) (3) below:

    rec = RunRecorder(sigmas, solver="euler", data="my-cifar10-model")   # (1)
    x = sigmas[0] * torch.randn(n, 3, 32, 32)
    for i in range(len(sigmas) - 1):
        with torch.no_grad():
            D = model(x, sigmas[i])                    # your denoiser
        rec.record(x, D)                               # (2) x_i and D(x_i; sigma_i)
        x = x + (sigmas[i + 1] - sigmas[i]) * (x - D) / sigmas[i]
    rec.finish(x)                                      # (3) the end point x_T
    rec.save("run.h5")

then `diffgeo analyze run.h5 --reference h5:train.h5:/x` compares the run with the exact
optimal denoiser of the training data. For a second-order sampler (Heun), record the first
evaluation of each step, as diffgeo does.

Run as a script, this file samples a toy model with the loop above: a Gaussian fitted to a
small synthetic data set (a denoiser that generalises, unlike the optimal one). It uses
PyTorch when it is installed and numpy otherwise; the recorder is the same.

    export_from_pytorch.py RUN.h5 [--data-out DATA.h5] [--n 6] [--steps 21] [--seed 0]

--data-out writes the toy's training data (/x, N x d) for `--reference h5:DATA.h5:/x`.
"""

import argparse
import datetime
import os
import sys

import h5py
import numpy as np

try:  # optional: the recorder takes torch tensors as they are
    import torch
except ImportError:
    torch = None


def _numpy(a):
    """A numpy array, torch tensor or list as float64 numpy."""
    if hasattr(a, "detach"):
        a = a.detach().cpu().double().numpy()
    return np.asarray(a, dtype=np.float64)


def _rows(a):
    """A batch (n x ..., e.g. n images) as n x d."""
    a = _numpy(a)
    return a.reshape(a.shape[0], -1)


class RunRecorder:
    """Collects x_i and D(x_i; sigma_i) along a sampler loop and writes a run file."""

    def __init__(self, sigmas, solver="euler", data="external", denoiser="external",
                 schedule="external", seed=0, image_shape=None, **config):
        self.sigmas = _numpy(sigmas).reshape(-1)
        self.xs, self.ds = [], []
        self.attrs = {"solver": solver, "data": data, "denoiser": denoiser,
                      "schedule": schedule}
        self.extra = config  # afs, denoise_to_zero, threshold, rho, nfe, ... where known
        self.seed = seed
        self.image_shape = image_shape

    def record(self, x, denoised):
        """Call once per step, before the update: x_i and D(x_i; sigma_i)."""
        self.xs.append(_rows(x))
        self.ds.append(_rows(denoised))

    def finish(self, x):
        """Call once after the loop with the end point x_T."""
        self.xs.append(_rows(x))

    def save(self, path):
        """Writes the run file atomically (a temporary name, then a rename)."""
        traj, den = np.stack(self.xs), np.stack(self.ds)
        T, n, d = den.shape
        if traj.shape != (T + 1, n, d) or self.sigmas.shape != (T + 1,):
            raise ValueError(f"{len(self.xs)} points and {len(self.ds)} evaluations recorded "
                             f"for {len(self.sigmas)} sigmas: call record() once per step "
                             f"and finish() once")
        positive = self.sigmas[self.sigmas > 0]
        tmp = os.path.join(os.path.dirname(os.path.abspath(path)),
                           f".{os.path.basename(path)}.tmp.{os.getpid()}")
        with h5py.File(tmp, "w") as f:
            f.attrs["command_line"] = " ".join(sys.argv)
            f.attrs["created"] = datetime.datetime.now(datetime.timezone.utc).strftime(
                "%Y-%m-%dT%H:%M:%SZ")
            f.attrs["seed"] = np.int64(self.seed)
            cfg = f.create_group("config")
            for key, value in self.attrs.items():
                cfg.attrs[key] = str(value)
            ints = {"steps": len(positive), "final_zero": int(self.sigmas[-1] == 0),
                    "nfe": T, "n": n, "dim": d}
            ints.update({k: v for k, v in self.extra.items() if isinstance(v, (bool, int))})
            for key, value in ints.items():
                cfg.attrs[key] = np.int64(value)
            cfg.attrs["sigma_min"] = float(positive[-1])
            cfg.attrs["sigma_max"] = float(self.sigmas[0])
            for key, value in self.extra.items():
                if isinstance(value, float):
                    cfg.attrs[key] = value
            if self.image_shape:
                cfg.attrs["image_shape"] = np.asarray(self.image_shape, dtype=np.int64)
            arrays = {"sigmas": (self.sigmas, ["grid"]),
                      "trajectory": (traj, ["grid", "sample", "dim"]),
                      "denoised": (den, ["eval", "sample", "dim"]),
                      "samples": (traj[-1], ["sample", "dim"])}
            for name, (value, labels) in arrays.items():
                ds = f.create_dataset(name, data=value.astype(np.float64))
                for axis, label in enumerate(labels):
                    ds.dims[axis].label = label
        os.replace(tmp, path)


# ----------------------------------------------------------------- the toy sampler

def edm_sigmas(steps, sigma_min=0.002, sigma_max=80.0, rho=7.0):
    """EDM's polynomial grid (doc/theory.md section 4), steps timestamps from sigma_max."""
    i = np.arange(steps) / (steps - 1)
    s = (sigma_max ** (1 / rho) + i * (sigma_min ** (1 / rho) - sigma_max ** (1 / rho))) ** rho
    s[0], s[-1] = sigma_max, sigma_min  # exactly, not to rounding
    return s


def toy_data(seed, n=200, d=16, k=3):
    """A small mixture of k clusters in R^d."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(-1, 1, (k, d))
    return centres[rng.integers(0, k, n)] + 0.15 * rng.standard_normal((n, d))


def gaussian_denoiser(y):
    """D(x; sigma) = mu + U diag(lam/(lam + sigma^2)) U^T (x - mu) for N(mu, cov(y))."""
    mu = y.mean(axis=0)
    lam, U = np.linalg.eigh(np.cov(y, rowvar=False))
    lam = np.clip(lam, 0, None)

    def D(x, sigma):
        return mu + ((x - mu) @ U * (lam / (lam + sigma * sigma))) @ U.T
    return D


def sample_numpy(D, sigmas, n, d, rng, rec):
    x = sigmas[0] * rng.standard_normal((n, d))
    for i in range(len(sigmas) - 1):
        den = D(x, sigmas[i])
        rec.record(x, den)                                  # (2)
        x = x + (sigmas[i + 1] - sigmas[i]) * (x - den) / sigmas[i]
    rec.finish(x)                                           # (3)


def sample_torch(D, sigmas, n, d, rng, rec):
    """The same loop on torch tensors: where a PyTorch sampler calls the recorder."""
    model = lambda x, s: torch.from_numpy(D(x.numpy(), s))  # stands in for a network
    x = torch.from_numpy(sigmas[0] * rng.standard_normal((n, d)))
    for i in range(len(sigmas) - 1):
        with torch.no_grad():
            den = model(x, float(sigmas[i]))
        rec.record(x, den)                                  # (2)
        x = x + float(sigmas[i + 1] - sigmas[i]) * (x - den) / float(sigmas[i])
    rec.finish(x)                                           # (3)


def main(argv):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("run", help="the run file to write")
    p.add_argument("--data-out", help="also write the toy's training data here (/x)")
    p.add_argument("--n", type=int, default=6, help="trajectories [6]")
    p.add_argument("--steps", type=int, default=21, help="timestamps of the EDM grid [21]")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args(argv)

    y = toy_data(args.seed)
    if args.data_out:
        with h5py.File(args.data_out, "w") as f:
            f["x"] = y
    sigmas = edm_sigmas(args.steps)
    rec = RunRecorder(sigmas, solver="euler", data="toy: 200 points in R^16 "
                      "(experiments/export_from_pytorch.py)", denoiser="gaussian-fit",
                      schedule="edm", seed=args.seed, rho=7.0, afs=0, denoise_to_zero=0,
                      threshold=0)                          # (1)
    sampler = sample_torch if torch is not None else sample_numpy
    sampler(gaussian_denoiser(y), sigmas, args.n, y.shape[1],
            np.random.default_rng(args.seed + 1), rec)
    rec.save(args.run)
    print(f"# wrote {args.run}: {args.n} trajectories, {args.steps} timestamps, "
          f"{'torch' if torch is not None else 'numpy'} loop")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
