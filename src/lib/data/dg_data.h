/*
 * dg_data: datasets of N rows in R^d, loaded from a spec string.
 *
 * Specs (the --data of every command):
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
 *                        is a perfect square the means are smooth images; in
 *                        d = 2 they lie evenly on a circle of radius 0.8.
 *   synthetic:TOY[,key=value...]
 *                        the toy sets of dg_toy (moons, spiral, swissroll,
 *                        checkerboard)
 *
 * The grammar is a table, one dg_spec_form a row, which dg_data_load reads
 * and the lists in its messages are written from; dg_source (models/) adds
 * the mixtures to it.  Every loader validates shapes and sizes before it
 * allocates, refuses NaN and Inf, and reports the first problem through
 * dg_error.  Loaders are thread-safe (no shared state); HDF5 access goes
 * through dg_h5.
 */
#ifndef DG_DATA_H
#define DG_DATA_H

#include <stdbool.h>
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

/* --- The grammar as a table ----------------------------------------------- */

/* One form of spec: a row of a grammar's table. */
typedef struct dg_spec_form {
    const char *prefix; /* what the spec starts with: "h5:", "cifar10", "synthetic:" */
    /* NULL, or the names one of which follows prefix, e.g. "synthetic:" +
     * "gauss2d": names(i) is the i-th, NULL past the last. */
    const char *(*names)(size_t i);
    /* For a prefix not ending in ':', what may follow it (and its name)
     * when the spec goes on: ':' or ','. */
    char next;
    const char *syntax;  /* "h5:PATH[:/dataset]"; lists show it up to its first '[' */
    const char *summary; /* one line of help, at most DG_SPEC_SUMMARY_MAX bytes */
} dg_spec_form;

/* The longest summary: help texts indent it by up to 27 columns of 80. */
#define DG_SPEC_SUMMARY_MAX 53

/* The longest short form ("synthetic:blobs"), and a list of all in a message. */
#define DG_SPEC_ENTRY_MAX 64
#define DG_SPEC_LIST_MAX 512

/*
 * Whether spec has the given form: it starts with prefix (and one of the
 * names), then ends or, for a prefix not ending in ':', goes on with `next`.
 * *rest (rest may be NULL) gets what follows the prefix, name and `next`,
 * or NULL when the spec ends there.
 */
bool dg_spec_form_matches(const dg_spec_form *form, const char *spec, const char **rest);

/* How dg_spec_form_write writes a form (one entry a name for forms with names). */
typedef enum dg_spec_style {
    DG_SPEC_SHORT,    /* "h5:PATH, idx:PATH": for messages */
    DG_SPEC_PREFIXES, /* "h5:\nidx:\n": one a line, for shell completion */
    DG_SPEC_HELP      /* "h5:PATH[:/dataset]\n  summary\n": for --help */
} dg_spec_style;

/*
 * Appends the entries of form to text (size bytes, kept NUL-terminated; a
 * list that does not fit is cut short) at *len, which grows by their whole
 * length as snprintf counts.  With `within` (NULL: all), only the entries
 * whose short form starts with it are written, without it: "synthetic:"
 * turns synthetic:gmm into "gmm".
 */
void dg_spec_form_write(const dg_spec_form *form, dg_spec_style style, const char *within,
                        char *text, size_t size, size_t *len);

/* The i-th form of the specs dg_data_load reads (rows); NULL past the last. */
const dg_spec_form *dg_data_spec(size_t i);

/* The form of spec among dg_data_load's, or NULL. */
const dg_spec_form *dg_data_spec_find(const char *spec);

/*
 * Splits text at the last occurrence of sep, the one splitter of the spec
 * grammar: "a:b.h5:/x" at ":/" gives "a:b.h5" and "/x", "dir:with:colons:test"
 * at ":" gives "dir:with:colons" and "test".
 *   head   what comes before, copied (size bytes); it must be non-empty
 *   *tail  one character into the separator ("/x", "test"), or NULL
 *          when there is none (head is then the whole text)
 * Returns DG_OK, or DG_EINVAL when head would be empty or not fit (nothing
 * is set in err: the caller names the spec it expected).
 */
int dg_spec_split(const char *text, const char *sep, char *head, size_t size, const char **tail);

#endif /* DG_DATA_H */
