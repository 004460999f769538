/*
 * Tests of the exact empirical denoiser against a naive long-double
 * computation with exact differences, its limits, invariances, robustness
 * and thread-count independence.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "diffgeo.h"
#include "reference.h"
#include "tap.h"

/* Data with large norms (‖y‖ ≈ 1200) that the GEMM expansion would spoil. */
#define N_DATA 1300 /* 3 chunks, the last one partial */
#define DIM 24
#define OFFSET 250.3
#define SPREAD 1.9
#define NQ 29

static dg_denoiser *make_denoiser(const double *y, size_t n, size_t dim)
{
    dg_denoiser *den = NULL;
    dg_error err;
    if (dg_denoiser_empirical_alloc(y, n, dim, &den, &err) != DG_OK)
        diag("alloc failed: %s", err.message);
    return den;
}

/* max over queries of ‖D − D_ref‖/‖D_ref‖ at σ, D_ref from the long-double reference. */
static double error_against_reference(dg_denoiser *den, const double *y, size_t n, size_t dim,
                                      const double *x, size_t nq, double sigma)
{
    double *got = malloc(nq * dim * sizeof *got), *want = malloc(nq * dim * sizeof *want);
    dg_error err;
    const int status = dg_denoiser_eval(den, x, nq, sigma, got, &err);
    ref_denoise(y, n, dim, x, nq, sigma, want);
    const double e = status == DG_OK ? max_rel_error(got, want, nq, dim) : INFINITY;
    free(got);
    free(want);
    return e;
}

/*
 * Queries as the ODE meets them: half are data points plus σ-sized noise,
 * half are points between the data.
 */
static double *make_queries(gsl_rng *rng, const double *y, double sigma)
{
    return points_near_rows(rng, y, N_DATA, DIM, NQ, sigma, OFFSET, 2.4 * SPREAD);
}

static void test_exactness(gsl_rng *rng, const double *y, dg_denoiser *den)
{
    static const double sigmas[] = {1e-4, 1e-3, 0.1, 1, 10, 1e3};
    for (size_t s = 0; s < sizeof sigmas / sizeof sigmas[0]; s++) {
        double *x = make_queries(rng, y, sigmas[s]);
        const double e = error_against_reference(den, y, N_DATA, DIM, x, NQ, sigmas[s]);
        ok(e <= 1e-12,
           "σ = %g: D* within 1e-12 of the long-double reference (max relative error %.2e)",
           sigmas[s], e);
        free(x);
    }
}

/* σ → 0 gives the nearest data point; σ → ∞ the data mean. */
static void test_limits(gsl_rng *rng, const double *y, dg_denoiser *den)
{
    double *x = make_queries(rng, y, 0.3), out[NQ * DIM];
    dg_error err;
    dg_denoiser_eval(den, x, NQ, 1e-7, out, &err);
    double worst = 0;
    for (size_t q = 0; q < NQ; q++) {
        const size_t best = ref_nearest(y, N_DATA, DIM, x + q * DIM, NULL);
        worst = fmax(worst, rel_error(out + q * DIM, y + best * DIM, DIM));
    }
    ok(worst <= 1e-15, "σ = 1e-7 gives the nearest neighbour (max relative error %.2e)", worst);

    long double mean[DIM] = {0};
    double mean_d[DIM];
    for (size_t i = 0; i < N_DATA; i++)
        for (size_t k = 0; k < DIM; k++)
            mean[k] += y[i * DIM + k];
    for (size_t k = 0; k < DIM; k++)
        mean_d[k] = (double)(mean[k] / N_DATA);
    dg_denoiser_eval(den, x, NQ, 1e9, out, &err);
    worst = 0;
    for (size_t q = 0; q < NQ; q++)
        worst = fmax(worst, rel_error(out + q * DIM, mean_d, DIM));
    ok(worst <= 1e-14, "σ = 1e9 gives the data mean (max relative error %.2e)", worst);
    free(x);
}

/* Reordering the data changes the chunks and the tree, not the answer. */
static void test_permutation(gsl_rng *rng, const double *y, dg_denoiser *den)
{
    size_t perm[N_DATA];
    for (size_t i = 0; i < N_DATA; i++)
        perm[i] = i;
    gsl_ran_shuffle(rng, perm, N_DATA, sizeof perm[0]);
    double *yp = malloc(N_DATA * DIM * sizeof *yp);
    for (size_t i = 0; i < N_DATA; i++)
        memcpy(yp + i * DIM, y + perm[i] * DIM, DIM * sizeof *yp);
    dg_denoiser *den_p = make_denoiser(yp, N_DATA, DIM);
    static const double sigmas[] = {0.05, 2.385, 61.7};
    for (size_t s = 0; s < 3; s++) {
        double *x = make_queries(rng, y, sigmas[s]), a[NQ * DIM], b[NQ * DIM];
        dg_error err;
        dg_denoiser_eval(den, x, NQ, sigmas[s], a, &err);
        dg_denoiser_eval(den_p, x, NQ, sigmas[s], b, &err);
        const double e = max_rel_error(b, a, NQ, DIM);
        ok(e <= 1e-13, "σ = %g: permuting the data changes D* by %.2e (≤ 1e-13)", sigmas[s], e);
        free(x);
    }
    dg_denoiser_free(den_p);
    free(yp);
}

/* No NaN or Inf for any σ > 0, however extreme. */
static void test_extreme_sigma(gsl_rng *rng, const double *y, dg_denoiser *den)
{
    static const double sigmas[] = {1e-300, 1e-160, 1e-30, 1e30, 1e160, 1e300};
    double *x = make_queries(rng, y, 1.0), out[NQ * DIM];
    for (size_t s = 0; s < sizeof sigmas / sizeof sigmas[0]; s++) {
        dg_error err;
        int status = dg_denoiser_eval(den, x, NQ, sigmas[s], out, &err);
        ok(status == DG_OK && dg_all_finite(out, NQ * DIM, NULL), "σ = %g: finite output",
           sigmas[s]);
    }
    free(x);
}

static void test_bad_input(const double *y, dg_denoiser *den)
{
    double x[DIM], out[DIM];
    memcpy(x, y, sizeof x);
    dg_error err;
    ok(dg_denoiser_eval(den, x, 1, 0.0, out, &err) == DG_EINVAL, "σ = 0 is refused");
    ok(dg_denoiser_eval(den, x, 1, -1.5, out, &err) == DG_EINVAL, "σ < 0 is refused");
    ok(dg_denoiser_eval(den, x, 1, NAN, out, &err) == DG_EINVAL, "σ = NaN is refused");
    ok(dg_denoiser_eval(den, x, 1, INFINITY, out, &err) == DG_EINVAL, "σ = Inf is refused");
    x[5] = NAN;
    ok(dg_denoiser_eval(den, x, 1, 1.0, out, &err) == DG_ENONFINITE &&
           strstr(err.message, "column 5") != NULL,
       "a NaN query is refused, naming its column: %s", err.message);
    double bad[2 * DIM];
    memcpy(bad, y, sizeof bad);
    bad[DIM + 3] = INFINITY;
    dg_denoiser *d2 = NULL;
    ok(dg_denoiser_empirical_alloc(bad, 2, DIM, &d2, &err) == DG_ENONFINITE && d2 == NULL &&
           strstr(err.message, "row 1") != NULL,
       "data holding Inf are refused: %s", err.message);
    ok(dg_denoiser_empirical_alloc(y, 0, DIM, &d2, &err) == DG_EINVAL, "empty data are refused");
}

/* Bit-identical results for 1 and 2 threads, on more chunks than threads. */
static void test_threads(gsl_rng *rng)
{
#ifdef _OPENMP
    const size_t n = 5000, dim = 9, nq = 150; /* 10 chunks, 2 query blocks */
    double *y = random_points(rng, n, dim, -3.2, 1.3);
    double *x = random_points(rng, nq, dim, -3.2, 1.5);
    double *a = malloc(nq * dim * sizeof *a), *b = malloc(nq * dim * sizeof *b);
    static const double sigmas[] = {0.01, 0.4, 7.0};
    const int saved = omp_get_max_threads();
    omp_set_num_threads(2);
    dg_denoiser *den2 = make_denoiser(y, n, dim);
    omp_set_num_threads(1);
    dg_denoiser *den1 = make_denoiser(y, n, dim);
    for (size_t s = 0; s < 3; s++) {
        dg_error err;
        omp_set_num_threads(1);
        dg_denoiser_eval(den1, x, nq, sigmas[s], a, &err);
        omp_set_num_threads(2);
        dg_denoiser_eval(den2, x, nq, sigmas[s], b, &err);
        ok(memcmp(a, b, nq * dim * sizeof *a) == 0,
           "σ = %g: 1 and 2 threads give bit-identical results", sigmas[s]);
    }
    omp_set_num_threads(saved);
    dg_denoiser_free(den1);
    dg_denoiser_free(den2);
    free(a);
    free(b);
    free(x);
    free(y);
#else
    (void)rng;
    ok(1, "# SKIP built without OpenMP");
#endif
}

/* Sizes around the chunk boundary, against the reference. */
static void test_chunk_sizes(gsl_rng *rng)
{
    static const size_t sizes[] = {1, 2, 511, 512, 513, 1024, 1537};
    for (size_t s = 0; s < sizeof sizes / sizeof sizes[0]; s++) {
        const size_t n = sizes[s], dim = 7, nq = 5;
        double *y = random_points(rng, n, dim, 11.0, 0.8);
        double *x = random_points(rng, nq, dim, 11.0, 0.9);
        dg_denoiser *den = make_denoiser(y, n, dim);
        const double e = error_against_reference(den, y, n, dim, x, nq, 0.37);
        ok(e <= 1e-12, "N = %zu rows: relative error %.2e", n, e);
        dg_denoiser_free(den);
        free(x);
        free(y);
    }
}

/*
 * Two dense clusters at ±1000.7 in 4 dimensions (spread 0.3): centring on
 * the data mean does not help, the GEMM logits of a query near one cluster
 * carry rounding errors of order u‖x − μ‖‖y − μ‖/σ² ≈ 1e-10/σ², and only the
 * exact-difference path reaches 1e-12.
 */
static void test_far_clusters(gsl_rng *rng)
{
    const size_t n = 1100, dim = 4, nq = 17;
    double *y = random_points(rng, n, dim, 0.0, 0.3);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < dim; k++)
            y[i * dim + k] += i % 2 ? -1000.7 : 1000.7;
    dg_denoiser *den = make_denoiser(y, n, dim);
    static const double sigmas[] = {1e-3, 0.01, 0.1, 1.0};
    for (size_t s = 0; s < 4; s++) {
        double *x = random_points(rng, nq, dim, 1000.7, 0.35);
        const double e = error_against_reference(den, y, n, dim, x, nq, sigmas[s]);
        ok(e <= 1e-12, "clusters at ±1000, σ = %g: relative error %.2e", sigmas[s], e);
        free(x);
    }
    dg_denoiser_free(den);
    free(y);
}

/*
 * Dense planar data (4000 points of spread 3 in 2-D, spacing ≈ 0.05) at
 * σ ≈ spacing: many weights matter at once and the exact-difference path is
 * active (GEMM logits alone were measured at ~5e-15 here).
 */
static void test_dense_small_sigma(gsl_rng *rng)
{
    const size_t n = 4000, dim = 2, nq = 23;
    double *y = random_points(rng, n, dim, 0.0, 3.0);
    dg_denoiser *den = make_denoiser(y, n, dim);
    static const double sigmas[] = {2e-4, 1e-3, 0.01, 0.05};
    for (size_t s = 0; s < 4; s++) {
        double *x = random_points(rng, nq, dim, 0.0, 2.0);
        const double e = error_against_reference(den, y, n, dim, x, nq, sigmas[s]);
        ok(e <= 1e-12, "dense 2-D data, σ = %g: relative error %.2e", sigmas[s], e);
        free(x);
    }
    dg_denoiser_free(den);
    free(y);
}

/*
 * Many chunks (14, two skip groups): queries next to the data at small σ skip
 * most chunks' second products; the result must still match the reference.
 */
static void test_skipped_chunks(gsl_rng *rng)
{
    const size_t n = 7000, dim = 5, nq = 9;
    double *y = random_points(rng, n, dim, 3.3, 1.7);
    dg_denoiser *den = make_denoiser(y, n, dim);
    static const double sigmas[] = {0.004, 0.05, 0.3, 3.0, 30.0};
    for (size_t s = 0; s < 5; s++) {
        double *x = malloc(nq * dim * sizeof *x);
        for (size_t q = 0; q < nq; q++) {
            /* near rows of the last group, so earlier groups cannot be skipped
             * but later chunks of it can */
            const size_t j = n - 1 - 613 * q;
            for (size_t k = 0; k < dim; k++)
                x[q * dim + k] = y[j * dim + k] + sigmas[s] * gsl_ran_gaussian(rng, 0.7);
        }
        const double e = error_against_reference(den, y, n, dim, x, nq, sigmas[s]);
        ok(e <= 1e-12, "14 chunks, σ = %g: relative error %.2e", sigmas[s], e);
        free(x);
    }
    dg_denoiser_free(den);
    free(y);
}

/* Adopting the rows gives the same bits as copying them; a refusal leaves them alone. */
static void test_adopt(gsl_rng *rng)
{
    const size_t n = 1100, dim = 6, nq = 4;
    double *y = random_points(rng, n, dim, -7.25, 1.1);
    double *own = dg_doubles_alloc(n, dim);
    memcpy(own, y, n * dim * sizeof *y);
    double *x = random_points(rng, nq, dim, -7.25, 1.3), a[4 * 6], b[4 * 6];
    dg_denoiser *copy = make_denoiser(y, n, dim), *adopted = NULL;
    dg_error err;
    int status = dg_denoiser_empirical_adopt(own, n, dim, &adopted, &err);
    dg_denoiser_eval(copy, x, nq, 0.83, a, &err);
    dg_denoiser_eval(adopted, x, nq, 0.83, b, &err);
    ok(status == DG_OK && memcmp(a, b, sizeof a) == 0,
       "an adopted buffer gives the same bits as a copied one");
    dg_denoiser_free(adopted); /* frees `own` */
    dg_denoiser_free(copy);

    double *bad = dg_doubles_alloc(n, dim);
    memcpy(bad, y, n * dim * sizeof *y);
    bad[17] = NAN;
    status = dg_denoiser_empirical_adopt(bad, n, dim, &adopted, &err);
    ok(status == DG_ENONFINITE && adopted == NULL && memcmp(bad, y, 17 * sizeof *y) == 0 &&
           memcmp(bad + 18, y + 18, (n * dim - 18) * sizeof *y) == 0,
       "a refused adoption leaves the buffer unchanged and the caller's");
    dg_doubles_free(bad);
    free(x);
    free(y);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20260529);
    double *y = random_points(rng, N_DATA, DIM, OFFSET, SPREAD);
    dg_denoiser *den = make_denoiser(y, N_DATA, DIM);
    ok(den != NULL && strcmp(dg_denoiser_name(den), "empirical") == 0 &&
           dg_denoiser_dim(den) == DIM,
       "empirical denoiser built");

    test_exactness(rng, y, den);
    test_limits(rng, y, den);
    test_permutation(rng, y, den);
    test_extreme_sigma(rng, y, den);
    test_bad_input(y, den);
    test_threads(rng);
    test_chunk_sizes(rng);
    test_far_clusters(rng);
    test_dense_small_sigma(rng);
    test_skipped_chunks(rng);
    test_adopt(rng);

    dg_denoiser_free(den);
    free(y);
    gsl_rng_free(rng);
    return done_testing();
}
