/*
 * dg_tensor: flat row-major blocks of doubles and the few BLAS-backed
 * operations the denoisers need.
 *
 * A dg_block is a view: it never owns its memory.  Row i of a block starts at
 * data + i * ld, and holds cols contiguous doubles.  Memory for blocks comes
 * from dg_doubles_alloc (64-byte aligned, overflow-checked) or from the caller.
 *
 * Products go through GSL's CBLAS interface, which the build links against
 * OpenBLAS (configure --with-cblas).  All functions are thread-safe.
 */
#ifndef DG_TENSOR_H
#define DG_TENSOR_H

#include <stdbool.h>
#include <stddef.h>

#include "dg_status.h"

typedef struct dg_block {
    double *data; /* first element of row 0 */
    size_t rows;  /* number of rows */
    size_t cols;  /* doubles per row */
    size_t ld;    /* distance between rows, in doubles (ld ≥ cols) */
} dg_block;

/* A view of rows × cols contiguous doubles. */
static inline dg_block dg_block_view(double *data, size_t rows, size_t cols)
{
    dg_block b = {data, rows, cols, cols};
    return b;
}

/* Rows [first, first + count) of b, as a view of the same memory. */
static inline dg_block dg_block_rows(dg_block b, size_t first, size_t count)
{
    dg_block r = {b.data + first * b.ld, count, b.cols, b.ld};
    return r;
}

/* Pointer to row i of b. */
static inline double *dg_block_row(dg_block b, size_t i)
{
    return b.data + i * b.ld;
}

/*
 * Allocates rows × cols doubles, 64-byte aligned, uninitialised.  Returns NULL
 * when the size overflows size_t or memory is short.  Release with
 * dg_doubles_free (free(NULL) semantics).
 */
double *dg_doubles_alloc(size_t rows, size_t cols);
void dg_doubles_free(double *p);

/* True when rows × cols doubles fit in size_t bytes. */
bool dg_size_fits(size_t rows, size_t cols);

/* C ← α A Bᵀ + β C, with A rows × k, B cols × k, C A.rows × B.rows. */
void dg_gemm_abt(double alpha, dg_block a, dg_block b, double beta, dg_block c);

/* C ← α A B + β C, with A rows × k, B k × cols, C A.rows × B.cols. */
void dg_gemm_ab(double alpha, dg_block a, dg_block b, double beta, dg_block c);

/* Σ x_k y_k, Σ x_k² and Σ (x_k − y_k)², in double with 16 partial sums
 * added pairwise at the end (the same bits on every IEEE machine). */
double dg_dot(const double *x, const double *y, size_t n);
double dg_sqnorm(const double *x, size_t n);
double dg_sqdist(const double *x, const double *y, size_t n);

/* Euclidean norm, robust against overflow (CBLAS dnrm2). */
double dg_norm(const double *x, size_t n);

/*
 * log Σ exp(v_k), max-subtracted so that it neither overflows nor underflows:
 * returns -INFINITY for n = 0 or all entries -INFINITY, +INFINITY if any entry
 * is +INFINITY, NaN if any entry is NaN.
 */
double dg_logsumexp(const double *v, size_t n);

/* True if all n entries are finite; on failure *where gets the first bad index. */
bool dg_all_finite(const double *x, size_t n, size_t *where);

/*
 * DG_OK if the n × dim block x is finite, else DG_ENONFINITE with a message
 * "WHAT: row R, column C holds NaN" naming the first bad entry.
 */
int dg_check_finite(const double *x, size_t n, size_t dim, const char *what, dg_error *err);

/* The same for rows first … first + n − 1 of a larger whole (a shard): the
 * message counts rows from the start of the whole. */
int dg_check_finite_rows(const double *x, size_t n, size_t dim, size_t first, const char *what,
                         dg_error *err);

#endif /* DG_TENSOR_H */
