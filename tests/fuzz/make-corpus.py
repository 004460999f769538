#!/usr/bin/python3
"""Writes the seed corpora of the fuzz targets: small valid and near-valid
inputs, one file each, in tests/fuzz/corpus/NAME/.

    /usr/bin/python3 tests/fuzz/make-corpus.py [CORPUS-DIR]

Needs numpy and h5py (Debian: python3-numpy, python3-h5py).  It rewrites
only the seeds it knows; regression inputs found by fuzzing (files named
regress-*) are kept.  The HDF5 seeds depend on the h5py/libhdf5 that wrote
them; the committed ones come from Debian 12 (h5py 3.7, HDF5 1.10.8).
"""
import gzip
import os
import struct
import sys

import h5py
import numpy as np

root = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "corpus")


def put(target, name, data):
    d = os.path.join(root, target)
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(data)


# ------------------------------------------------------------------ IDX
def idx(code, shape, payload):
    return bytes([0, 0, code, len(shape)]) + b"".join(struct.pack(">I", e) for e in shape) + payload


u8 = bytes(range(12))
put("idx", "ubyte-3x2x2", idx(0x08, (3, 2, 2), u8))
put("idx", "ubyte-4x3", idx(0x08, (4, 3), u8))
put("idx", "float-2x2", idx(0x0D, (2, 2), struct.pack(">4f", 0.5, -1.25, 2.0, 3.5)))
put("idx", "double-2x2", idx(0x0E, (2, 2), struct.pack(">4d", 0.5, -1.25, 2.0, 3.5)))
put("idx", "double-nan", idx(0x0E, (1, 2), struct.pack(">2d", 1.0, float("nan"))))
put("idx", "ubyte-rank4", idx(0x08, (2, 1, 2, 3), u8))
put("idx", "gzip-3x2x2", gzip.compress(idx(0x08, (3, 2, 2), u8), mtime=0))
whole = idx(0x08, (3, 2, 2), u8)
put("idx", "gzip-two-members", gzip.compress(whole[:9], mtime=0) + gzip.compress(whole[9:], mtime=0))
bad_isize = bytearray(gzip.compress(whole, mtime=0))
bad_isize[-4:] = struct.pack("<I", 1000)
put("idx", "gzip-wrong-isize", bytes(bad_isize))
put("idx", "truncated", idx(0x08, (10, 2, 2), u8[:8]))
put("idx", "gzip-truncated", gzip.compress(idx(0x08, (10, 2, 2), u8[:8]), mtime=0))
put("idx", "labels-rank1", idx(0x08, (3,), b"\x01\x02\x03"))
put("idx", "rank5", idx(0x08, (1, 1, 1, 1, 1), b"\x00"))
put("idx", "int-type", idx(0x0C, (1, 1), b"\x00\x00\x00\x01"))
put("idx", "zero-rows", idx(0x08, (0, 2), b""))
put("idx", "zero-extent", idx(0x08, (2, 0), b""))
put("idx", "huge-claim", idx(0x08, (0xFFFFFFFF, 0xFFFFFFFF, 0xFFFFFFFF), u8))
put("idx", "short-header", b"\x00\x00\x08\x03\x00\x00")
put("idx", "text", b"this is text, not IDX\n")


# ------------------------------------------------------------------ .npy
def npy(header, payload, version=(1, 0)):
    prefix = b"\x93NUMPY" + bytes(version)
    size = 4 if version[0] >= 2 else 2
    head = header.encode("latin1")
    total = len(prefix) + size + len(head) + 1
    head += b" " * ((64 - total % 64) % 64) + b"\n"
    length = struct.pack("<I" if size == 4 else "<H", len(head))
    return prefix + length + head + payload


def d(descr, shape, fortran=False):
    return "{'descr': '%s', 'fortran_order': %s, 'shape': %s, }" % (descr, fortran, shape)


f8 = struct.pack("<12d", *[0.25 * k for k in range(12)])
put("npy", "f8-3x4", npy(d("<f8", "(3, 4)"), f8))
put("npy", "f8-big-endian", npy(d(">f8", "(2, 2)"), struct.pack(">4d", 1, 2, 3, 4)))
put("npy", "f4-v2-2x2x2", npy(d("<f4", "(2, 2, 2)"), struct.pack("<8f", *range(8)), (2, 0)))
put("npy", "f4-big-endian", npy(d(">f4", "(2, 2)"), struct.pack(">4f", 1, 2, 3, 4)))
put("npy", "u1-v3-2x3x3", npy(d("|u1", "(2, 3, 3)"), bytes(range(18)), (3, 0)))
put("npy", "u1-rank5", npy(d("|u1", "(1, 1, 2, 1, 2)"), bytes(4)))
put("npy", "long-extents", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (2L, 2L), }",
                               struct.pack("<4d", 1, 2, 3, 4)))
put("npy", "keys-reordered", npy("{'shape': (1, 2), 'fortran_order': False, 'descr': \"<f8\"}",
                                 struct.pack("<2d", 1, 2)))
put("npy", "nan", npy(d("<f8", "(1, 2)"), struct.pack("<2d", 1, float("inf"))))
put("npy", "fortran", npy(d("<f8", "(2, 2)", True), struct.pack("<4d", 1, 2, 3, 4)))
put("npy", "object", npy(d("|O", "(2, 2)"), bytes(32)))
put("npy", "int64", npy(d("<i8", "(2, 2)"), bytes(32)))
put("npy", "rank1", npy(d("<f8", "(4,)"), bytes(32)))
put("npy", "scalar", npy(d("<f8", "()"), bytes(8)))
put("npy", "no-tuple-comma", npy(d("<f8", "(4)"), bytes(32)))
put("npy", "truncated", npy(d("<f8", "(10, 16)"), bytes(100)))
put("npy", "huge-claim", npy(d("<f8", "(1000000000000, 1000000000000)"), bytes(16)))
put("npy", "extra-key", npy("{'descr': '<f8', 'fortran_order': False, 'shape': (1, 1), 'x': 1}",
                            bytes(8)))
put("npy", "repeated-key", npy("{'descr': '<f8', 'descr': '<f8', 'shape': (1, 1)}", bytes(8)))
put("npy", "structured", npy("{'descr': [('a', '<f8')], 'fortran_order': False, 'shape': (1, 1)}",
                             bytes(8)))
put("npy", "bad-version", b"\x93NUMPY\x04\x00\x10\x00" + b"{}" + b" " * 13 + b"\n")
put("npy", "header-past-end", b"\x93NUMPY\x01\x00\xff\x7f{'descr'")
put("npy", "not-npy", b"PK\x03\x04 a zip file, not npy")

# ------------------------------------------------------------------ CIFAR-10
record = bytes([3]) + bytes((7 * k) % 256 for k in range(3072))
put("cifar10", "one-record", record)
put("cifar10", "two-records", record + bytes([9]) + bytes(3072))
put("cifar10", "record-and-a-byte", record + b"\x01")
put("cifar10", "short", record[:100])
put("cifar10", "empty", b"")


# ------------------------------------------------------------------ HDF5
def h5(name, fill, **kwargs):
    d = os.path.join(root, "h5")
    os.makedirs(d, exist_ok=True)
    with h5py.File(os.path.join(d, name), "w", **kwargs) as f:
        fill(f)


def arrays(**items):
    def fill(f):
        for key, value in items.items():
            f[key] = value
    return fill


x = np.arange(12.0).reshape(4, 3) / 4 - 1
h5("x-f8-4x3", arrays(x=x))
h5("x-f8-latest", arrays(x=x), libver="latest")
h5("x-f4-and-y", arrays(x=x.astype(np.float32), y=x))
h5("x-u8-images", arrays(x=np.arange(12, dtype=np.uint8).reshape(3, 2, 2)))
h5("x-i16", arrays(x=np.array([[-32768, 0, 32767]], dtype=np.int16)))
h5("x-u64", arrays(x=np.array([[0, 2**64 - 1]], dtype=np.uint64)))
h5("x-nan", arrays(x=np.array([[0.5, np.nan]])))
h5("x-rank1", arrays(x=np.arange(3.0)))
h5("x-scalar", arrays(x=np.float64(2.5)))
h5("x-strings", arrays(x=np.array([b"abc", b"def"])))
h5("x-compound", arrays(x=np.zeros((2, 2), dtype=[("a", "<f8"), ("b", "<i4")])))
h5("x-empty-rows", arrays(x=np.zeros((0, 3))))
h5("x-in-group", arrays(**{"g/x": x}))


def chunked_gzip(f):
    f.create_dataset("x", data=np.tile(x, (8, 1)), chunks=(4, 3), compression="gzip", shuffle=True,
                     fletcher32=True)


h5("x-chunked-gzip", chunked_gzip)


def huge_claim(f):
    f.create_dataset("x", shape=(10**12, 1000), dtype="<f8", chunks=(1, 1000))


h5("x-huge-claim", huge_claim)


def overflow_claim(f):
    f.create_dataset("x", shape=(2**61 - 1, 1), dtype="<f8", chunks=(1, 1))
    f.create_dataset("sigmas", shape=(2**61 - 1,), dtype="<f8", chunks=(1,))


h5("overflow-claim", overflow_claim)


def unwritten(f):
    f.create_dataset("x", shape=(4, 3), dtype="<f8")


h5("x-unwritten", unwritten)


def external_storage(f):
    f.create_dataset("x", shape=(2, 2), dtype="u1", external=[("outside.bin", 0, 4)])


h5("x-external-storage", external_storage)


def links(f):
    f["data"] = x
    f["x"] = h5py.SoftLink("/data")
    f["ext"] = h5py.ExternalLink("outside.h5", "/x")


h5("x-soft-link", links)


def virtual(f):
    layout = h5py.VirtualLayout(shape=(2, 3), dtype="<f8")
    layout[:] = h5py.VirtualSource("outside.h5", "x", shape=(2, 3))
    f.create_virtual_dataset("x", layout, fillvalue=0)


h5("x-virtual", virtual, libver="latest")
h5("sigmas", arrays(sigmas=np.array([80.0, 10.0, 1.0, 0.002])))
h5("sigmas-int", arrays(sigmas=np.array([80, 10, 1], dtype=np.int32)))
mu = np.array([[0.5, -1.0], [1.5, 0.25]])
w = np.array([0.4, 0.6])
h5("gmm-full", arrays(weights=w, means=mu, covs=np.stack([np.eye(2) * 0.3, [[0.4, 0.1], [0.1, 0.2]]])))
h5("gmm-diag", arrays(weights=w, means=mu, variances=np.array([[0.3, 0.8], [0.4, 0.2]])))
h5("gmm-lowrank", arrays(weights=w, means=mu, eigvecs=np.array([[[1.0, 0.0]], [[0.6, 0.8]]]),
                         eigvals=np.array([[0.5], [0.25]])))
h5("gmm-bad-weights", arrays(weights=np.array([0.4, 0.4]), means=mu, variances=np.ones((2, 2))))
h5("gmm-not-psd", arrays(weights=np.array([1.0]), means=mu[:1], covs=np.array([[[1.0, 2.0], [2.0, 1.0]]])))
h5("gmm-shapes", arrays(weights=w, means=mu, covs=np.ones((2, 3, 3))))

# ------------------------------------------------------------------ spec strings
specs = {
    "h5": "h5:data.h5", "h5-dataset": "h5:data.h5:/x", "h5-no-path": "h5::/x",
    "idx": "idx:a.idx", "npy": "npy:a.npy", "cifar": "cifar10:dir", "cifar-test": "cifar10:dir:test",
    "cifar-empty": "cifar10:", "fmnist": "fashion-mnist", "fmnist-split": "fashion-mnist:bogus",
    "gmm": "synthetic:gmm", "gmm-keys": "synthetic:gmm,n=10,d=4,k=2,std=0.5,seed=3",
    "gmm-zero": "synthetic:gmm,n=0", "gmm-no-value": "synthetic:gmm,x",
    "gmm-negative": "synthetic:gmm,d=-3",
    "gauss2d": "synthetic:gauss2d,k=3,seed=1,spread=2,std=0.1",
    "rings": "synthetic:rings,rings=2,per_ring=3,radius=1.5,std=0.05",
    "lowrank": "synthetic:lowrank,d=6,k=2,r=2,seed=1,scale=0.5",
    "lowrank-r-above-d": "synthetic:lowrank,d=4,r=6", "unknown": "synthetic:wat,k=1",
    "gauss2d-empty-value": "synthetic:gauss2d,k=", "list": "list:80,10,1,0.002",
    "list-zero": "list:80,10,1,0", "list-rising": "list:1,2", "list-empty": "list:",
    "list-nan": "list:nan,1", "list-range": "list:1e400,1", "list-hex": "list:0x10,1e-3",
    "blobs": "synthetic:blobs,n=600,d=3,seed=2", "gmm-file": "gmm:mix.h5:/fit",
    "gmm-file-empty": "gmm:", "h5-colons": "h5:a:b.h5:/x", "h5-empty": "h5:",
    "cifar-colons": "cifar10:dir:with:colons:test", "builtin-near-miss": "synthetic:ring",
    "gmm-near-miss": "synthetic:gmmx", "cifar-comma": "cifar10,x",
    "moons": "synthetic:moons,n=40,noise=0.1,seed=2", "spiral": "synthetic:spiral,turns=3,n=30",
    "swissroll-3d": "synthetic:swissroll,d=3,n=20", "checkerboard": "synthetic:checkerboard,cells=6",
    "toy-bad-key": "synthetic:checkerboard,noise=1", "rings-rows": "synthetic:rings,n=50,seed=4",
    "gauss2d-rows-twice": "synthetic:gauss2d,n=5,k=2,n=6",
}
for name, text in specs.items():
    put("spec", name, text.encode())
