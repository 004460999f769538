/*
 * dg_data: datasets of N rows in R^d, loaded from a spec string.
 *
 * Specs (DESIGN.md, "Command line"):
 *   h5:PATH[:/dataset]   float or integer array of rank ≥ 2, each row flattened;
 *                        integer data are images, scaled to [−1, 1] by their
 *                        type's range (uint8: v/127.5 − 1).  Without a dataset
 *                        name the file's only array at the root is used.
 *   idx:PATH             MNIST IDX file (ubyte, float or double; gzip accepted)
 *   npy:PATH             NumPy .npy file (versions 1.0 to 3.0) of dtype <f8,
 *                        >f8, <f4, >f4 or |u1 in C order, rank ≥ 2 with rows
 *                        first (rank 3 or 4 keeps the image shape); uint8
 *                        data are images scaled by v/127.5 − 1
 *   cifar10:DIR[:train|:test]
 *                        CIFAR-10, binary version: DIR/data_batch_1.bin …
 *                        data_batch_5.bin (train, the default) or
 *                        DIR/test_batch.bin; rows in the files' channel-plane
 *                        order, image_shape {3, 32, 32}, v/127.5 − 1; a DIR
 *                        holding ':' needs the split spelt out
 *   fashion-mnist[:train|:test]
 *                        the IDX files of Debian's dataset-fashion-mnist
 *   synthetic:blobs[,key=value...]
 *                        the same kind of mixture (keys n, d, k, std, seed)
 *                        drawn so that any row can be made alone: block b
 *                        of DG_SYNTHETIC_BLOCK rows has its own random
 *                        stream, seeded from (seed, b), so a shard of a
 *                        dataset of any size is made without the rest
 *   synthetic:gmm[,key=value...]
 *                        a built-in Gaussian mixture drawn with GSL's RNG:
 *                        n (rows, 2000), d (dimension, 64), k (components, 6),
 *                        std (per-coordinate spread, 0.15), seed (0).  When d
 *                        is a perfect square the means are smooth images.
 *
 * Every loader validates shapes and sizes before it allocates, refuses NaN and
 * Inf, and reports the first problem through dg_error.  Loaders are
 * thread-safe (no shared state); HDF5 access goes through dg_h5.
 */
#ifndef DG_DATA_H
#define DG_DATA_H

#include <stddef.h>

#include "dg_comm.h"
#include "dg_dataset.h"
#include "dg_status.h"

/* Rows of synthetic:blobs drawn from one random stream. */
#define DG_SYNTHETIC_BLOCK 512

/*
 * Loads the dataset named by spec into *out (caller frees with
 * dg_dataset_free).  opt may be NULL for defaults.  Returns DG_OK, or
 * DG_EIO (cannot open/read), DG_EFORMAT (malformed, truncated, wrong rank or
 * type), DG_ENONFINITE (NaN/Inf), DG_EUNKNOWN (unknown spec kind), DG_EINVAL
 * (bad synthetic parameter), DG_ENOMEM.  Nothing is allocated on failure.
 */
int dg_data_load(const char *spec, const dg_data_options *opt, dg_dataset **out, dg_error *err);

/* The path of a split of Fashion-MNIST ("train" or "test") under dir. */
int dg_fashion_mnist_path(const char *dir, const char *split, char *path, size_t size);

#endif /* DG_DATA_H */
