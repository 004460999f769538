/* dg_order: rows in a spatially tight order (a PCA tree). */
#include "config.h"

#include "dg_order.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dg_tensor.h"

/* Power iterations per split: the direction only has to separate the rows well. */
#define POWER_ITERATIONS 6

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

/* t->mean ← the mean of the rows idx[0 … count). */
static void rows_mean(tree *t, const size_t *idx, size_t count)
{
    const size_t dim = t->dim;
    memset(t->mean, 0, dim * sizeof *t->mean);
    for (size_t i = 0; i < count; i++)
        for (size_t k = 0; k < dim; k++)
            t->mean[k] += t->y[idx[i] * dim + k];
    for (size_t k = 0; k < dim; k++)
        t->mean[k] /= (double)count;
}

/* (y − mean)·v for row y. */
static double centred_dot(const tree *t, const double *y, const double *v)
{
    double s = 0;
    for (size_t k = 0; k < t->dim; k++)
        s += (y[k] - t->mean[k]) * v[k];
    return s;
}

/*
 * t->dir ← the top principal direction of the rows idx[0 … count) (about
 * t->mean), from the farthest row's direction; false when the rows are all
 * equal.
 */
static bool top_direction(tree *t, const size_t *idx, size_t count)
{
    const size_t dim = t->dim;
    double far = 0;
    for (size_t i = 0; i < count; i++) {
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
        memset(t->acc, 0, dim * sizeof *t->acc);
        for (size_t i = 0; i < count; i++) {
            const double *y = t->y + idx[i] * dim;
            const double p = centred_dot(t, y, t->dir);
            for (size_t k = 0; k < dim; k++)
                t->acc[k] += p * (y[k] - t->mean[k]);
        }
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
    rows_mean(t, idx, count);
    if (top_direction(t, idx, count)) {
        for (size_t i = 0; i < count; i++)
            t->keys[i] = (keyed){centred_dot(t, t->y + idx[i] * t->dim, t->dir), idx[i]};
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
    tree t = {y,    dim, leaf, malloc(n * sizeof *t.keys), malloc(3 * dim * sizeof *t.mean),
              NULL, NULL};
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
