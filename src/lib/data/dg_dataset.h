/*
 * dg_dataset: the bottom of the data layer, what every loader fills.
 *
 *   dg_dataset        N rows in R^d, with the image shape of a row if any
 *   dg_data_options   which rows a loader keeps: a limit, then a shard
 *   dg_data_wanted    those rows, for a source of n rows
 *
 * Nothing here reads a file or a spec: the loaders (dg_data_formats, dg_h5)
 * sit above, the spec dispatcher dg_data_load on top.  Thread-safe.
 */
#ifndef DG_DATASET_H
#define DG_DATASET_H

#include <stdbool.h>
#include <stddef.h>

#include "dg_status.h"

/*
 * The largest image rank kept in image_shape: the axes after the rows of the
 * source array, e.g. {28, 28}, or {3, 32, 32} (channels first) for CIFAR-10.
 */
#define DG_IMAGE_RANK_MAX 3

typedef struct dg_dataset {
    size_t n;          /* number of rows held */
    size_t total;      /* rows of the whole (limited) source; n unless a shard */
    size_t first;      /* index of the first row held in the source; 0 unless a shard */
    size_t dim;        /* doubles per row */
    double *x;         /* n × dim, row-major, owned by the dataset */
    size_t image_rank; /* 0 when rows are not images */
    size_t image_shape[DG_IMAGE_RANK_MAX]; /* product = dim */
} dg_dataset;

typedef struct dg_data_options {
    size_t limit; /* keep the first `limit` rows; 0 keeps all */
    /* Shards: with shard_parts > 1, load only part shard_index of the
     * (limited) rows as dg_data_shard deals them out in blocks of
     * shard_align rows (≥ 1); the dataset's total and first say which. */
    size_t shard_parts, shard_index, shard_align;
    bool isolate_hdf5; /* read HDF5 specs through dg_h5_isolated, so that a
                          crash inside libhdf5 is an error (DG_EFORMAT)
                          rather than the end of the process */
    /* Non-zero: the row dimension the caller needs; a source of another
     * dimension is refused (DG_EFORMAT, dg_data_check_dim) before any row is
     * allocated, so that a spec from an untrusted file cannot make a loader
     * reserve memory for data that would be refused anyway. */
    size_t want_dim;
} dg_data_options;

/* A dataset of n × dim uninitialised doubles with no image shape; NULL if short of memory. */
dg_dataset *dg_dataset_alloc(size_t n, size_t dim);

/* Releases a dataset; NULL is a no-op. */
void dg_dataset_free(dg_dataset *data);

/*
 * Rows of a source array of the given rank and shape (rows first): when
 * rank − 1 is 2 to DG_IMAGE_RANK_MAX they are images, and data keeps
 * shape[1..rank) as its image shape; otherwise data is left as it is.
 */
void dg_dataset_set_image_shape(dg_dataset *data, size_t rank, const size_t *shape);

/*
 * The rows a loader keeps of a source of n rows under opt (NULL: all):
 *   *total   the first opt->limit of them (all when limit is 0 or above n)
 *   *first, *count
 *            the shard of those that dg_data_shard gives when
 *            opt->shard_parts > 1; else 0 and *total
 */
void dg_data_wanted(const dg_data_options *opt, size_t n, size_t *total, size_t *first,
                    size_t *count);

/*
 * DG_OK when opt wants no dimension or dim; else DG_EFORMAT ("WHAT: rows of
 * dimension DIM, WANT wanted").  Loaders call it before allocating rows.
 */
int dg_data_check_dim(const dg_data_options *opt, size_t dim, const char *what, dg_error *err);

/*
 * The dataset a loader fills from a source of n rows of dim doubles: the
 * rows dg_data_wanted names, uninitialised, with total and first set.
 * Returns DG_OK, DG_EFORMAT (dg_data_check_dim) or DG_ENOMEM ("WHAT:
 * cannot allocate K × DIM doubles").
 */
int dg_dataset_alloc_wanted(const dg_data_options *opt, size_t n, size_t dim, const char *what,
                            dg_dataset **out, dg_error *err);

#endif /* DG_DATASET_H */
