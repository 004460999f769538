/* Tests of dg_tensor: products, norms and log-sum-exp against naive long-double loops. */
#include "config.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "diffgeo.h"
#include "reference.h"
#include "tap.h"

static void test_gemm(gsl_rng *rng)
{
    /* Views with ld > cols: a 7 × 5 block inside a 7 × 9 array, and so on. */
    const size_t m = 7, k = 5, n = 6, lda = 9, ldb = 8, ldc = 11;
    double *a = random_points(rng, m, lda, 0.3, 1.7);
    double *b = random_points(rng, n, ldb, -0.2, 2.1);
    double *bt = random_points(rng, k, ldb, 0.1, 1.1);
    double *c = random_points(rng, m, ldc, 0.0, 1.0);
    double *c0 = malloc(m * ldc * sizeof *c0);
    for (size_t i = 0; i < m * ldc; i++)
        c0[i] = c[i];
    dg_block A = {a, m, k, lda}, B = {b, n, k, ldb}, C = {c, m, n, ldc};
    dg_gemm_abt(1.5, A, B, -0.75, C);
    double worst = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            long double s = 0;
            for (size_t l = 0; l < k; l++)
                s += (long double)a[i * lda + l] * b[j * ldb + l];
            const double want = (double)(1.5L * s - 0.75L * c0[i * ldc + j]);
            worst = fmax(worst, fabs(c[i * ldc + j] - want) / (fabs(want) + 1));
        }
    ok(worst < 1e-14, "C ← αABᵀ + βC on strided views (error %.2e)", worst);
    /* The columns beyond the view are left alone. */
    int untouched = 1;
    for (size_t i = 0; i < m; i++)
        for (size_t j = n; j < ldc; j++)
            untouched &= c[i * ldc + j] == c0[i * ldc + j];
    ok(untouched, "dg_gemm_abt writes only inside its view");

    dg_block Bt = {bt, k, n, ldb};
    for (size_t i = 0; i < m * ldc; i++)
        c[i] = c0[i];
    dg_gemm_ab(2.0, A, Bt, 1.0, C);
    worst = 0;
    for (size_t i = 0; i < m; i++)
        for (size_t j = 0; j < n; j++) {
            long double s = 0;
            for (size_t l = 0; l < k; l++)
                s += (long double)a[i * lda + l] * bt[l * ldb + j];
            const double want = (double)(2.0L * s + c0[i * ldc + j]);
            worst = fmax(worst, fabs(c[i * ldc + j] - want) / (fabs(want) + 1));
        }
    ok(worst < 1e-14, "C ← αAB + βC on strided views (error %.2e)", worst);
    ok(dg_block_row(C, 3) == c + 3 * ldc && dg_block_rows(C, 2, 3).data == c + 2 * ldc &&
           dg_block_rows(C, 2, 3).rows == 3,
       "row views point into the same memory");
    free(a);
    free(b);
    free(bt);
    free(c);
    free(c0);
}

static void test_norms(gsl_rng *rng)
{
    const size_t n = 1001;
    double *x = random_points(rng, 1, n, 2.385, 3.1), *y = random_points(rng, 1, n, -1.2, 0.7);
    long double dot = 0, xx = 0, dd = 0;
    for (size_t k = 0; k < n; k++) {
        dot += (long double)x[k] * y[k];
        xx += (long double)x[k] * x[k];
        dd += ((long double)x[k] - y[k]) * ((long double)x[k] - y[k]);
    }
    check_rel(dg_dot(x, y, n), (double)dot, 1e-13, "dg_dot against long double");
    check_rel(dg_sqnorm(x, n), (double)xx, 1e-14, "dg_sqnorm against long double");
    check_rel(dg_sqdist(x, y, n), (double)dd, 1e-14, "dg_sqdist against long double");
    check_rel(dg_norm(x, n), (double)sqrtl(xx), 1e-14, "dg_norm against long double");
    double big[3] = {3e200, 4e200, 0};
    if (have_extended_precision())
        check_rel(dg_norm(big, 3), 5e200, 1e-15, "dg_norm does not overflow at 1e200");
    else
        skip(NO_EXTENDED_PRECISION, "dg_norm does not overflow at 1e200");
    free(x);
    free(y);
}

/*
 * The documented order of dg_dot and dg_sqdist, written plainly: element k
 * into partial sum k mod 16, then the upper half of the sums onto the lower
 * until one is left.  Every build (and each of its vector widths) must give
 * these bits.
 */
static double lane_order_sum(const double *x, const double *y, size_t n, bool distance)
{
    double s[16] = {0};
    for (size_t k = 0; k < n; k++) {
        const double t = distance ? (x[k] - y[k]) * (x[k] - y[k]) : x[k] * y[k];
        s[k % 16] += t;
    }
    for (size_t half = 8; half > 0; half /= 2)
        for (size_t i = 0; i < half; i++)
            s[i] += s[i + half];
    return s[0];
}

static void test_norm_bits(gsl_rng *rng)
{
    const size_t sizes[] = {0, 1, 7, 15, 16, 17, 33, 784, 1001};
    size_t differ = 0;
    for (size_t t = 0; t < sizeof sizes / sizeof *sizes; t++) {
        const size_t n = sizes[t];
        double *x = random_points(rng, 1, n + 1, 0, 1e3),
               *y = random_points(rng, 1, n + 1, 5, 1e-2);
        differ += dg_dot(x, y, n) != lane_order_sum(x, y, n, false);
        differ += dg_sqnorm(x, n) != lane_order_sum(x, x, n, false);
        differ += dg_sqdist(x, y, n) != lane_order_sum(x, y, n, true);
        free(x);
        free(y);
    }
    ok(differ == 0,
       "dg_dot, dg_sqnorm and dg_sqdist give the bits of their documented order "
       "(%zu of 27 differ)",
       differ);
}

static void test_logsumexp(gsl_rng *rng)
{
    const size_t n = 257;
    double v[257];
    long double s = 0;
    for (size_t k = 0; k < n; k++) {
        v[k] = 40 * gsl_ran_gaussian(rng, 1.0);
        s += expl(v[k]);
    }
    check_rel(dg_logsumexp(v, n), (double)logl(s), 1e-15, "logsumexp of N(0, 40²) values");
    for (size_t k = 0; k < n; k++)
        v[k] -= 1e6; /* exp underflows for every entry */
    check_rel(dg_logsumexp(v, n), (double)(logl(s) - 1e6L), 1e-15, "logsumexp shifted by −1e6");
    double two[2] = {7e5, 7e5};
    check_rel(dg_logsumexp(two, 2), 7e5 + log(2.0), 1e-15, "logsumexp of {7e5, 7e5} (no overflow)");
    ok(dg_logsumexp(v, 0) == -INFINITY, "logsumexp of nothing is −∞");
    double inf[2] = {-INFINITY, -INFINITY};
    ok(dg_logsumexp(inf, 2) == -INFINITY, "logsumexp of {−∞, −∞} is −∞, not NaN");
    double nan[2] = {1.0, NAN};
    ok(isnan(dg_logsumexp(nan, 2)), "logsumexp propagates NaN");
}

static void test_alloc(void)
{
    double *p = dg_doubles_alloc(3, 5);
    ok(p != NULL && ((size_t)p % 64) == 0, "dg_doubles_alloc is 64-byte aligned");
    dg_doubles_free(p);
    ok(dg_doubles_alloc((size_t)-1 / 4, 3) == NULL, "an overflowing size is refused");
    /* 2^61 − 1 doubles fit in size_t bytes, but not once rounded up to 64. */
    ok(dg_doubles_alloc(SIZE_MAX / sizeof(double), 1) == NULL &&
           dg_doubles_alloc(1, SIZE_MAX / sizeof(double) - 3) == NULL,
       "a size whose rounding up to the alignment wraps around is refused");
    dg_doubles_free(NULL);
    double x[4] = {1, 2, INFINITY, 4};
    size_t at = 99;
    ok(!dg_all_finite(x, 4, &at) && at == 2, "dg_all_finite finds the first Inf");
    dg_error err;
    ok(dg_check_finite(x, 2, 2, "grid", &err) == DG_ENONFINITE &&
           strcmp(err.message, "grid: row 1, column 0 holds Inf") == 0,
       "dg_check_finite names row and column: %s", err.message);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 7);
    test_gemm(rng);
    test_norms(rng);
    test_norm_bits(rng);
    test_logsumexp(rng);
    test_alloc();
    gsl_rng_free(rng);
    return done_testing();
}
