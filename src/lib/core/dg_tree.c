/* dg_tree: the reduction tree over chunk indices (see dg_tree.h). */
#include "config.h"

#include "dg_tree.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dg_comm.h"
#include "dg_tensor.h"

/* The split point of node [lo, hi): lo + the largest power of two below hi − lo. */
static size_t tree_split(size_t lo, size_t hi)
{
    size_t p = 1;
    while (2 * p < hi - lo)
        p *= 2;
    return lo + p;
}

/* True if [lo, hi) is a node of the tree over [0, nchunks). */
static bool tree_is_node(size_t lo, size_t hi, size_t nchunks)
{
    const size_t n = hi - lo;
    if ((n & (n - 1)) == 0)
        return lo % n == 0;
    if (hi != nchunks)
        return false;
    size_t span = 1; /* the smallest power of two above n */
    while (span < n)
        span *= 2;
    return lo % span == 0;
}

static void *tree_slot(const dg_tree *t, size_t i)
{
    return (unsigned char *)t->storage + i * t->payload;
}

/* Entries needed to push the chunks [first, end) (a dry run of dg_tree_push). */
static size_t tree_depth_needed(size_t first, size_t end, size_t nchunks)
{
    size_t lo[DG_TREE_DEPTH_MAX], hi[DG_TREE_DEPTH_MAX], depth = 0, most = 1;
    for (size_t j = first; j < end; j++) {
        lo[depth] = j;
        hi[depth++] = j + 1;
        if (depth > most)
            most = depth;
        while (depth >= 2 && tree_is_node(lo[depth - 2], hi[depth - 1], nchunks) &&
               tree_split(lo[depth - 2], hi[depth - 1]) == hi[depth - 2]) {
            hi[depth - 2] = hi[depth - 1];
            depth--;
        }
    }
    return most;
}

/* The chunks of all processes follow from n_total by dg_data_shard. */
int dg_tree_init(dg_tree *t, size_t n_total, const dg_comm *comm, size_t payload, dg_error *err)
{
    const size_t size = comm ? (size_t)comm->size : 1, me = comm ? (size_t)comm->rank : 0;
    t->nchunks = (n_total + DG_CHUNK_ROWS - 1) / DG_CHUNK_ROWS;
    t->comm = comm && comm->size > 1 ? comm : NULL;
    t->rank_first = malloc((size + 1) * sizeof *t->rank_first);
    if (!t->rank_first)
        return dg_error_set(err, DG_ENOMEM, "out of memory for the chunks of %zu processes", size);
    for (size_t r = 0; r < size; r++) {
        size_t first, count;
        dg_data_shard(n_total, DG_SHARD_ROWS, size, r, &first, &count);
        /* An empty shard starts at n_total: past the last chunk. */
        t->rank_first[r] = (first + DG_CHUNK_ROWS - 1) / DG_CHUNK_ROWS;
    }
    t->rank_first[size] = t->nchunks;
    t->first = t->rank_first[me];
    t->end = t->rank_first[me + 1];
    t->capacity = tree_depth_needed(t->first, t->end, t->nchunks);
    t->payload = payload;
    t->depth = 0;
    const size_t words = (payload + sizeof(double) - 1) / sizeof(double);
    t->storage = dg_doubles_alloc(t->capacity + 1, words);
    if (!t->storage)
        return dg_error_set(err, DG_ENOMEM,
                            "out of memory for a reduction tree of %zu payloads of %zu bytes",
                            t->capacity + 1, payload);
    /* A payload may have unused parts that travel in messages all the same
     * (a partial block's records): their bytes are defined, never garbage. */
    memset(t->storage, 0, (t->capacity + 1) * words * sizeof(double));
    return DG_OK;
}

void dg_tree_release(dg_tree *t)
{
    free(t->rank_first);
    dg_doubles_free(t->storage);
    t->rank_first = NULL;
    t->storage = NULL;
}

void dg_tree_push(dg_tree *t, const dg_tree_ops *ops, const void *ctx, size_t j, const void *leaf)
{
    if (ops->copy)
        ops->copy(ctx, tree_slot(t, t->depth), leaf);
    else
        memcpy(tree_slot(t, t->depth), leaf, ops->bytes(ctx));
    t->lo[t->depth] = j;
    t->hi[t->depth++] = j + 1;
    while (t->depth >= 2 && tree_is_node(t->lo[t->depth - 2], t->hi[t->depth - 1], t->nchunks) &&
           tree_split(t->lo[t->depth - 2], t->hi[t->depth - 1]) == t->hi[t->depth - 2]) {
        ops->merge(ctx, tree_slot(t, t->depth - 2), tree_slot(t, t->depth - 1));
        t->hi[t->depth - 2] = t->hi[t->depth - 1];
        t->depth--;
    }
}

static size_t tree_owner(const dg_tree *t, size_t chunk)
{
    size_t r = 0;
    while (t->rank_first[r + 1] <= chunk)
        r++;
    return r;
}

static size_t tree_find(const dg_tree *t, size_t lo)
{
    for (size_t i = 0; i < t->depth; i++)
        if (t->lo[i] == lo)
            return i;
    return SIZE_MAX;
}

/*
 * Builds node [lo, hi) where it spans processes: its value ends up at the
 * owner of chunk lo, in the entry that starts at lo.  Every process walks
 * the same nodes in the same order, so sends and receives pair up.
 */
static int tree_span(dg_tree *t, const dg_tree_ops *ops, const void *ctx, size_t lo, size_t hi)
{
    const size_t a = tree_owner(t, lo);
    if (a == tree_owner(t, hi - 1))
        return DG_OK;
    const size_t mid = tree_split(lo, hi);
    int status = tree_span(t, ops, ctx, lo, mid);
    if (status == DG_OK)
        status = tree_span(t, ops, ctx, mid, hi);
    const size_t b = tree_owner(t, mid), me = (size_t)t->comm->rank;
    if (status != DG_OK || (me != a && me != b))
        return status;
    const size_t bytes = ops->bytes(ctx);
    if (me != a) {
        const size_t k = tree_find(t, mid);
        t->lo[k] = SIZE_MAX;
        return t->comm->send(t->comm->state, tree_slot(t, k), bytes, (int)a);
    }
    const size_t i = tree_find(t, lo);
    void *right = tree_slot(t, t->capacity);
    if (a == b) {
        const size_t k = tree_find(t, mid);
        right = tree_slot(t, k);
        t->lo[k] = SIZE_MAX;
    } else {
        status = t->comm->recv(t->comm->state, right, bytes, (int)b);
    }
    if (status == DG_OK) {
        ops->merge(ctx, tree_slot(t, i), right);
        t->hi[i] = hi;
    }
    return status;
}

int dg_tree_finish(dg_tree *t, const dg_tree_ops *ops, const void *ctx, void **root, dg_error *err)
{
    *root = NULL;
    int status = DG_OK;
    if (t->comm)
        status = tree_span(t, ops, ctx, 0, t->nchunks);
    if (status == DG_OK && t->first == 0 && t->end > 0)
        *root = tree_slot(t, tree_find(t, 0));
    t->depth = 0;
    if (status != DG_OK)
        return dg_error_set(err, status, "communication between processes failed");
    return DG_OK;
}

int dg_shard_check(size_t n_total, const dg_comm *comm, const double *y, size_t n, size_t *first,
                   dg_error *err)
{
    const size_t size = comm ? (size_t)comm->size : 1, me = comm ? (size_t)comm->rank : 0;
    size_t count;
    dg_data_shard(n_total, DG_SHARD_ROWS, size, me, first, &count);
    if (count != n || (n > 0 && !y))
        return dg_error_set(err, DG_EINVAL,
                            "process %zu holds %zu rows; its shard of %zu rows "
                            "has %zu",
                            me, n, n_total, count);
    return DG_OK;
}

int dg_comm_all_ok(const dg_comm *comm, int status, dg_error *err)
{
    if (!comm || comm->size <= 1)
        return status;
    double failed = status != DG_OK;
    const int sent = comm->max(comm->state, &failed, 1);
    if (status != DG_OK)
        return status; /* err holds this process's own message */
    if (sent != DG_OK)
        return dg_error_set(err, DG_EIO, "communication between processes failed");
    if (failed > 0)
        return dg_error_set(err, DG_EREMOTE, "another process failed");
    return DG_OK;
}
