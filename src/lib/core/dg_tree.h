/*
 * dg_tree: the reduction tree over the fixed row chunks of a dataset, shared
 * by every computation that must give the same bits whatever the number of
 * threads or processes (the empirical denoiser's records and mean, the
 * KDE's records).  Internal to libdiffgeo: not installed.
 *
 * The chunks are those of the empirical denoiser: DG_CHUNK_ROWS rows
 * each, dealt out to processes in whole groups (DG_SHARD_ROWS, by
 * dg_data_shard).  A node [lo, hi) of more than one chunk has the children
 * [lo, lo + p) and [lo + p, hi), p the largest power of two below hi − lo:
 * the tree of a binary counter over chunk indices, whose shape depends only
 * on the number of chunks.  A process pushes the payloads of its chunks in
 * order and builds the largest nodes inside its range on a stack; the nodes
 * that span processes are built by messages between their children's
 * owners, so every merge has the same operands, in the same order, as in a
 * single process.
 */
#ifndef DG_TREE_H
#define DG_TREE_H

#include <stddef.h>

#include "dg_comm.h"
#include "dg_status.h"

/* The operation of a tree on its payloads (opaque blocks of bytes). */
typedef struct dg_tree_ops {
    void (*merge)(const void *ctx, void *a, const void *b); /* a ← a ⊕ b, a left of b */
    size_t (*bytes)(const void *ctx);                       /* used bytes of a payload */
    /* dst ← src where merge will read it (NULL: the first `bytes`, whole). */
    void (*copy)(const void *ctx, void *dst, const void *src);
} dg_tree_ops;

/* Enough for any range of chunks: sizes rise, then fall, along the stack. */
#define DG_TREE_DEPTH_MAX (2 * 64 + 2)

typedef struct dg_tree {
    size_t nchunks;      /* C: chunks of the whole dataset */
    size_t first, end;   /* the chunks held here */
    const dg_comm *comm; /* NULL: every chunk is here */
    size_t *rank_first;  /* first chunk of each process; size + 1 entries */
    size_t capacity;     /* stack entries */
    size_t depth;        /* entries in use */
    size_t lo[DG_TREE_DEPTH_MAX], hi[DG_TREE_DEPTH_MAX]; /* the node of each entry */
    double *storage;                                     /* capacity + 1 payloads */
    size_t payload; /* bytes per payload (the most a merge uses) */
} dg_tree;

/*
 * Sets up the tree of this process for a dataset of n_total rows spread
 * over comm (NULL or one process: all of them here), with payloads of
 * `payload` bytes.
 * - Errors: DG_ENOMEM, with a message in err.
 * - dg_tree_release frees what was allocated, also after a failure.
 */
int dg_tree_init(dg_tree *t, size_t n_total, const dg_comm *comm, size_t payload, dg_error *err);
void dg_tree_release(dg_tree *t);

/* Pushes the payload of chunk j (chunks in order) and merges complete nodes. */
void dg_tree_push(dg_tree *t, const dg_tree_ops *ops, const void *ctx, size_t j, const void *leaf);

/*
 * Collective: completes the tree after every chunk held here was pushed.
 * - *root: the payload of the whole tree on the process that holds chunk 0
 *   (process 0), NULL elsewhere.
 * - The stack is empty again afterwards.
 * - Errors: the status of a failed message, with "communication between
 *   processes failed" in err.
 */
int dg_tree_finish(dg_tree *t, const dg_tree_ops *ops, const void *ctx, void **root, dg_error *err);

/*
 * DG_OK if the n rows y (NULL for none) are this process's shard of a
 * dataset of n_total rows spread over comm (NULL or one process: all of
 * them), the range dg_data_shard(n_total, DG_SHARD_ROWS, …) gives;
 * *first gets the index of its first row.  DG_EINVAL otherwise.
 */
int dg_shard_check(size_t n_total, const dg_comm *comm, const double *y, size_t n, size_t *first,
                   dg_error *err);

/*
 * Collective: whether every process reached this point with DG_OK, for
 * processes that meet in messages afterwards and must all go on or all stop.
 * - Returns status where it is an error (err keeps its message);
 * - DG_EREMOTE ("another process failed") on a process that was fine when
 *   another was not; DG_EIO ("communication between processes failed") when
 *   the message itself failed;
 * - DG_OK when all were fine; comm NULL or one process: status.
 */
int dg_comm_all_ok(const dg_comm *comm, int status, dg_error *err);

#endif /* DG_TREE_H */
