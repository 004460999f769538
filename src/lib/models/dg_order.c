/* dg_order: rows in a spatially tight order (a PCA tree). */
#include "config.h"

#include "dg_order.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dg_tensor.h"

/* Power iterations per split, on about POWER_ROWS of its rows. */
#define POWER_ITERATIONS 6
#define POWER_ROWS 512

typedef struct keyed {
    double key; /* the row's projection on the split direction */
    size_t row;
} keyed;

/* By projection, ties by row index: a total order, so the sort is stable. */
static int by_key(const void *pa, const void *pb)
{
    const keyed *a = pa, *b = pb;
    if (a->key != b->key)
        return a->key < b->key ? -1 : 1;
    return (a->row > b->row) - (a->row < b->row);
}

typedef struct tree {
    const double *y;
    size_t dim, leaf;
    keyed *keys;              /* one per row */
    double *mean, *dir, *acc; /* dim each */
} tree;

/* t->mean ← the mean of the rows idx[0], idx[stride], … below count. */
static void rows_mean(tree *t, const size_t *idx, size_t count, size_t stride)
{
    const size_t dim = t->dim;
    size_t used = 0;
    memset(t->mean, 0, dim * sizeof *t->mean);
    for (size_t i = 0; i < count; i += stride, used++)
        for (size_t k = 0; k < dim; k++)
            t->mean[k] += t->y[idx[i] * dim + k];
    for (size_t k = 0; k < dim; k++)
        t->mean[k] /= (double)used;
}

/*
 * t->dir ← the top principal direction of the rows idx[0 … count), by power
 * iterations from the farthest row's direction, all on every stride-th row
 * (the direction only has to separate the rows well, and a subsample of
 * about POWER_ROWS rows does); false when those rows are all equal.
 */
static bool top_direction(tree *t, const size_t *idx, size_t count)
{
    const size_t dim = t->dim, stride = count > POWER_ROWS ? count / POWER_ROWS : 1;
    rows_mean(t, idx, count, stride);
    double far = 0;
    for (size_t i = 0; i < count; i += stride) {
        const double d = dg_sqdist(t->y + idx[i] * dim, t->mean, dim);
        if (d > far) {
            far = d;
            for (size_t k = 0; k < dim; k++)
                t->dir[k] = t->y[idx[i] * dim + k] - t->mean[k];
        }
    }
    if (far == 0)
        return false;
    for (int it = 0; it < POWER_ITERATIONS; it++) {
        /* acc = Σ ((y − m)·v) (y − m) = Σ p y − (Σ p) m, with p = y·v − m·v. */
        const double mv = dg_dot(t->mean, t->dir, dim);
        double psum = 0;
        memset(t->acc, 0, dim * sizeof *t->acc);
        for (size_t i = 0; i < count; i += stride) {
            const double *y = t->y + idx[i] * dim;
            const double p = dg_dot(y, t->dir, dim) - mv;
            psum += p;
            for (size_t k = 0; k < dim; k++)
                t->acc[k] += p * y[k];
        }
        for (size_t k = 0; k < dim; k++)
            t->acc[k] -= psum * t->mean[k];
        const double norm = dg_norm(t->acc, dim);
        if (!(norm > 0))
            break;
        for (size_t k = 0; k < dim; k++)
            t->dir[k] = t->acc[k] / norm;
    }
    return true;
}

/* Orders idx[0 … count) as the tree's leaves, left to right. */
static void split(tree *t, size_t *idx, size_t count)
{
    if (count <= t->leaf)
        return;
    if (top_direction(t, idx, count)) {
        /* The projections up to the same constant −mean·dir: the order is all that counts. */
        for (size_t i = 0; i < count; i++)
            t->keys[i] = (keyed){dg_dot(t->y + idx[i] * t->dim, t->dir, t->dim), idx[i]};
        qsort(t->keys, count, sizeof *t->keys, by_key);
        for (size_t i = 0; i < count; i++)
            idx[i] = t->keys[i].row;
    }
    /* The median, rounded up to whole leaves: every leaf but the last is full. */
    const size_t left = (count / 2 + t->leaf - 1) / t->leaf * t->leaf;
    split(t, idx, left);
    split(t, idx + left, count - left);
}

int dg_order_pca_tree(const double *y, size_t n, size_t dim, size_t leaf, size_t *order,
                      dg_error *err)
{
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    if (n <= leaf)
        return DG_OK;
    tree t = {.y = y,
              .dim = dim,
              .leaf = leaf,
              .keys = malloc(n * sizeof *t.keys),
              .mean = malloc(3 * dim * sizeof *t.mean)};
    if (!t.keys || !t.mean) {
        free(t.keys);
        free(t.mean);
        return dg_error_set(err, DG_ENOMEM, "out of memory to order %zu rows", n);
    }
    t.dir = t.mean + dim;
    t.acc = t.dir + dim;
    split(&t, order, n);
    free(t.keys);
    free(t.mean);
    return DG_OK;
}
