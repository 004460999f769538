/* dg_tensor: flat row-major blocks and BLAS-backed products. */
#include "config.h"

#include "dg_tensor.h"

#include <gsl/gsl_cblas.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

/* Cache-line alignment keeps BLAS packing and vector loads on their fast path. */
#define DG_ALIGNMENT 64

bool dg_size_fits(size_t rows, size_t cols)
{
    if (rows == 0 || cols == 0)
        return true;
    return rows <= SIZE_MAX / sizeof(double) / cols;
}

double *dg_doubles_alloc(size_t rows, size_t cols)
{
    if (!dg_size_fits(rows, cols))
        return NULL;
    size_t bytes = rows * cols * sizeof(double);
    /* aligned_alloc wants a multiple of the alignment; never ask for 0 bytes.
     * Rounding up must not wrap around: 2^61 − 1 doubles would become 64 bytes. */
    if (bytes > SIZE_MAX - (DG_ALIGNMENT - 1))
        return NULL;
    bytes = (bytes + DG_ALIGNMENT - 1) / DG_ALIGNMENT * DG_ALIGNMENT;
    if (bytes == 0)
        bytes = DG_ALIGNMENT;
    return aligned_alloc(DG_ALIGNMENT, bytes);
}

void dg_doubles_free(double *p)
{
    free(p);
}

void dg_gemm_abt(double alpha, dg_block a, dg_block b, double beta, dg_block c)
{
    if (c.rows == 0 || c.cols == 0)
        return;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)a.rows, (int)b.rows, (int)a.cols,
                alpha, a.data, (int)a.ld, b.data, (int)b.ld, beta, c.data, (int)c.ld);
}

void dg_gemm_ab(double alpha, dg_block a, dg_block b, double beta, dg_block c)
{
    if (c.rows == 0 || c.cols == 0)
        return;
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)a.rows, (int)b.cols, (int)a.cols,
                alpha, a.data, (int)a.ld, b.data, (int)b.ld, beta, c.data, (int)c.ld);
}

/* Four partial sums: vectorisable, and a smaller rounding error than one. */
double dg_dot(const double *x, const double *y, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        s0 += x[k] * y[k];
        s1 += x[k + 1] * y[k + 1];
        s2 += x[k + 2] * y[k + 2];
        s3 += x[k + 3] * y[k + 3];
    }
    for (; k < n; k++)
        s0 += x[k] * y[k];
    return (s0 + s1) + (s2 + s3);
}

double dg_sqnorm(const double *x, size_t n)
{
    return dg_dot(x, x, n);
}

double dg_sqdist(const double *x, const double *y, size_t n)
{
    double s0 = 0, s1 = 0, s2 = 0, s3 = 0;
    size_t k = 0;
    for (; k + 4 <= n; k += 4) {
        const double e0 = x[k] - y[k], e1 = x[k + 1] - y[k + 1];
        const double e2 = x[k + 2] - y[k + 2], e3 = x[k + 3] - y[k + 3];
        s0 += e0 * e0;
        s1 += e1 * e1;
        s2 += e2 * e2;
        s3 += e3 * e3;
    }
    for (; k < n; k++) {
        const double e = x[k] - y[k];
        s0 += e * e;
    }
    return (s0 + s1) + (s2 + s3);
}

double dg_norm(const double *x, size_t n)
{
    return n ? cblas_dnrm2((int)n, x, 1) : 0.0;
}

double dg_logsumexp(const double *v, size_t n)
{
    double m = -INFINITY;
    for (size_t k = 0; k < n; k++) {
        if (isnan(v[k]))
            return NAN;
        if (v[k] > m)
            m = v[k];
    }
    if (!isfinite(m))
        return m; /* empty, all -inf, or some +inf */
    double s = 0;
    for (size_t k = 0; k < n; k++)
        s += exp(v[k] - m);
    return m + log(s);
}

bool dg_all_finite(const double *x, size_t n, size_t *where)
{
    for (size_t k = 0; k < n; k++) {
        if (!isfinite(x[k])) {
            if (where)
                *where = k;
            return false;
        }
    }
    return true;
}

int dg_check_finite(const double *x, size_t n, size_t dim, const char *what, dg_error *err)
{
    return dg_check_finite_rows(x, n, dim, 0, what, err);
}

int dg_check_finite_rows(const double *x, size_t n, size_t dim, size_t first, const char *what,
                         dg_error *err)
{
    size_t at;
    if (dim > 0 && dg_size_fits(n, dim) && !dg_all_finite(x, n * dim, &at))
        return dg_error_set(err, DG_ENONFINITE, "%s: row %zu, column %zu holds %s", what,
                            first + at / dim, at % dim, isnan(x[at]) ? "NaN" : "Inf");
    return DG_OK;
}
