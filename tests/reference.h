/*
 * Independent reference computations for the tests: the empirical optimal
 * denoiser as a naive two-loop computation in long double with exact
 * differences (doc/theory.md §2), and random data.  Deliberately simple and slow.
 */
#ifndef DG_TEST_REFERENCE_H
#define DG_TEST_REFERENCE_H

#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdlib.h>

/* out ← Σ_i softmax_i(−‖x − y_i‖²/(2σ²)) y_i for one query, in long double. */
static void ref_denoise_one(const double *y, size_t n, size_t dim, const double *x, double sigma,
                            double *out)
{
    long double *logit = malloc(n * sizeof *logit);
    long double max = -INFINITY, total = 0;
    const long double s2 = (long double)sigma * sigma;
    for (size_t i = 0; i < n; i++) {
        long double d2 = 0;
        for (size_t k = 0; k < dim; k++) {
            const long double e = (long double)x[k] - y[i * dim + k];
            d2 += e * e;
        }
        logit[i] = -d2 / (2 * s2);
        if (logit[i] > max)
            max = logit[i];
    }
    long double *acc = calloc(dim, sizeof *acc);
    for (size_t i = 0; i < n; i++) {
        const long double w = expl(logit[i] - max);
        total += w;
        for (size_t k = 0; k < dim; k++)
            acc[k] += w * y[i * dim + k];
    }
    for (size_t k = 0; k < dim; k++)
        out[k] = (double)(acc[k] / total);
    free(acc);
    free(logit);
}

static __attribute__((unused)) void ref_denoise(const double *y, size_t n, size_t dim,
                                                const double *x, size_t nq, double sigma,
                                                double *out)
{
    for (size_t q = 0; q < nq; q++)
        ref_denoise_one(y, n, dim, x + q * dim, sigma, out + q * dim);
}

/*
 * The index of the row of y (n × dim) nearest to x, the first of equals, and
 * its squared distance in *sqdist (may be NULL): long double, exact differences.
 */
static __attribute__((unused)) size_t ref_nearest(const double *y, size_t n, size_t dim,
                                                  const double *x, long double *sqdist)
{
    size_t best = 0;
    long double best_d2 = INFINITY;
    for (size_t i = 0; i < n; i++) {
        long double d2 = 0;
        for (size_t k = 0; k < dim; k++) {
            const long double e = (long double)x[k] - y[i * dim + k];
            d2 += e * e;
        }
        if (d2 < best_d2) {
            best_d2 = d2;
            best = i;
        }
    }
    if (sqdist)
        *sqdist = best_d2;
    return best;
}

/* ‖a − b‖ / ‖b‖ for vectors of length dim, in long double. */
static __attribute__((unused)) double rel_error(const double *a, const double *b, size_t dim)
{
    long double num = 0, den = 0;
    for (size_t k = 0; k < dim; k++) {
        const long double e = (long double)a[k] - b[k];
        num += e * e;
        den += (long double)b[k] * b[k];
    }
    return (double)sqrtl(num / den);
}

/* The largest per-row relative error over n rows. */
static __attribute__((unused)) double max_rel_error(const double *a, const double *b, size_t n,
                                                    size_t dim)
{
    double worst = 0;
    for (size_t i = 0; i < n; i++) {
        const double e = rel_error(a + i * dim, b + i * dim, dim);
        if (!(e <= worst))
            worst = e; /* NaN propagates as the worst */
    }
    return worst;
}

/* n × dim points offset + scale · N(0, 1), from a seeded GSL generator. */
static __attribute__((unused)) double *random_points(gsl_rng *rng, size_t n, size_t dim,
                                                     double offset, double scale)
{
    double *x = malloc(n * dim * sizeof *x);
    for (size_t k = 0; k < n * dim; k++)
        x[k] = offset + scale * gsl_ran_gaussian(rng, 1.0);
    return x;
}

/*
 * nq points as a trajectory meets them: each a random row of y (n × dim)
 * plus noise · N(0, 1) per coordinate; with far_scale > 0 the even ones lie
 * between the data instead, at far_offset + far_scale · N(0, 1).
 */
static __attribute__((unused)) double *points_near_rows(gsl_rng *rng, const double *y, size_t n,
                                                        size_t dim, size_t nq, double noise,
                                                        double far_offset, double far_scale)
{
    double *x = malloc(nq * dim * sizeof *x);
    for (size_t q = 0; q < nq; q++) {
        const size_t j = gsl_rng_uniform_int(rng, n);
        for (size_t k = 0; k < dim; k++)
            x[q * dim + k] = q % 2 || far_scale == 0
                                 ? y[j * dim + k] + noise * gsl_ran_gaussian(rng, 1.0)
                                 : far_offset + far_scale * gsl_ran_gaussian(rng, 1.0);
    }
    return x;
}

#endif /* DG_TEST_REFERENCE_H */
