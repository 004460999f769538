"""Compares the HDF5 files of two folders, bit for bit (tests/same-runs.sh).

Every file of the first folder must exist in the second with the same
groups, arrays (dtype, shape and bytes) and attributes, apart from the
attributes that name the build or the moment they were written.
"""
import os
import sys

import h5py
import numpy as np

# Arrays a newer build may add to every run file (the data rows, with
# their attributes): present in the new file only, they are not a difference.
ADDED = {"data", "samples_data"}

IGNORED = {"diffgeo_version", "created", "command_line", "seconds",
           "seconds_per_step", "peak_rss_mb", "peak_rss_bytes"}


def items(f):
    out = {}

    def visit(name, obj):
        out[name] = obj
    f.visititems(visit)
    out["/"] = f
    return out


def same_value(a, b):
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        if a.dtype != b.dtype or a.shape != b.shape:
            return False
        if a.dtype == object:   # variable-length strings
            return a.tolist() == b.tolist()
        return a.tobytes() == b.tobytes()
    if isinstance(a, float) and isinstance(b, float):
        return np.float64(a).tobytes() == np.float64(b).tobytes()
    return type(a) == type(b) and a == b


def compare(pa, pb):
    problems = []
    with h5py.File(pa, "r") as fa, h5py.File(pb, "r") as fb:
        ia, ib = items(fa), items(fb)
        for name in sorted(set(ia) | set(ib)):
            if name not in ia and name in ADDED:
                continue
            if name not in ia or name not in ib:
                problems.append(f"{name}: only in {'old' if name in ia else 'new'}")
                continue
            oa, ob = ia[name], ib[name]
            if isinstance(oa, h5py.Dataset) != isinstance(ob, h5py.Dataset):
                problems.append(f"{name}: a dataset in one file only")
                continue
            if isinstance(oa, h5py.Dataset) and not same_value(oa[()], ob[()]):
                problems.append(f"{name}: values differ")
            keys = (set(oa.attrs) | set(ob.attrs)) - IGNORED
            for k in sorted(keys):
                if k not in oa.attrs or k not in ob.attrs:
                    problems.append(f"{name}@{k}: only in one file")
                elif not same_value(oa.attrs[k], ob.attrs[k]):
                    problems.append(f"{name}@{k}: {oa.attrs[k]!r} != {ob.attrs[k]!r}")
    return problems


def main():
    old, new = sys.argv[1], sys.argv[2]
    files = sorted(f for f in os.listdir(old) if f.endswith(".h5"))
    bad = 0
    for f in files:
        problems = compare(os.path.join(old, f), os.path.join(new, f))
        print(f"{'same' if not problems else 'DIFFERENT'}  {f}")
        for p in problems:
            print(f"    {p}")
        bad += bool(problems)
    print(f"{len(files) - bad} of {len(files)} files identical")
    return 1 if bad or not files else 0


if __name__ == "__main__":
    sys.exit(main())
