/*
 * bench_mixture: one evaluation of the exact mixture denoiser (128 queries,
 * K = 10 full-covariance components in d = 784, the size of Fashion-MNIST
 * class mixtures, σ = 10) against the plain DGEMMs it needs: per component
 * one product into the eigenbasis, (B × d)(d × d)ᵀ, and one back,
 * (B × d)(d × d), so 2K products of 2·B·d² flops each.  Contenders alternate
 * and the medians of the repetitions are compared.
 *
 * The covariances are random (A Aᵀ/d + I/100 for Gaussian A): the cost of
 * an evaluation does not depend on their values, only on their rank.
 *
 * Usage: bench_mixture [REPEATS]
 */
#include "config.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench.h"
#include "diffgeo.h"

#define QUERIES 128
#define COMPONENTS 10
#define DIM 784
#define SIGMA 10.0

/* A random K-component full-covariance mixture in dimension d. */
static int random_mixture(gsl_rng *rng, double *a, double *cov, double *mean, dg_gmm **out,
                          dg_error *err)
{
    const size_t d = DIM;
    int status = dg_gmm_alloc(COMPONENTS, d, out, err);
    for (size_t k = 0; k < COMPONENTS && status == DG_OK; k++) {
        for (size_t i = 0; i < d * d; i++)
            a[i] = gsl_ran_gaussian(rng, 1.0);
        for (size_t i = 0; i < d; i++)
            mean[i] = gsl_ran_gaussian(rng, 1.0);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)d, (int)d, (int)d,
                    1.0 / (double)d, a, (int)d, a, (int)d, 0.0, cov, (int)d);
        /* Symmetric to the last bit, as the setter demands. */
        for (size_t i = 0; i < d; i++) {
            cov[i * d + i] += 0.01;
            for (size_t j = 0; j < i; j++)
                cov[j * d + i] = cov[i * d + j];
        }
        status = dg_gmm_set_full(*out, k, 1.0 / COMPONENTS, mean, cov, err);
    }
    return status;
}

int main(int argc, char **argv)
{
    const int repeats = argc > 1 ? atoi(argv[1]) : 5;
    const size_t d = DIM;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *a = dg_doubles_alloc(d, d), *cov = dg_doubles_alloc(d, d);
    double *mean = dg_doubles_alloc(1, d);
    double *x = dg_doubles_alloc(QUERIES, d), *out = dg_doubles_alloc(QUERIES, d);
    double *z = dg_doubles_alloc(QUERIES, d);
    double *t_den = malloc((size_t)(repeats > 0 ? repeats : 1) * sizeof *t_den);
    double *t_gemm = malloc((size_t)(repeats > 0 ? repeats : 1) * sizeof *t_gemm);
    dg_gmm *g = NULL;
    dg_denoiser *den = NULL;
    dg_error err;
    dg_error_clear(&err);
    if (repeats < 1 || !rng || !a || !cov || !mean || !x || !out || !z || !t_den || !t_gemm ||
        random_mixture(rng, a, cov, mean, &g, &err) != DG_OK ||
        dg_denoiser_gmm_alloc(g, &den, &err) != DG_OK) {
        fprintf(stderr, "bench_mixture: %s\n",
                repeats < 1      ? "bad repeat count"
                : err.message[0] ? err.message
                                 : "out of memory");
        return 1;
    }
    for (size_t i = 0; i < QUERIES * d; i++)
        x[i] = SIGMA * gsl_ran_gaussian(rng, 1.0);
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
#else
    const int threads = 1;
#endif

    for (int r = 0; r < repeats; r++) {
        double t0 = bench_now();
        if (dg_denoiser_eval(den, x, QUERIES, SIGMA, out, &err) != DG_OK) {
            fprintf(stderr, "bench_mixture: %s\n", err.message);
            return 1;
        }
        t_den[r] = bench_now() - t0;
        /* The products at their best: one call each, BLAS's own threads
         * (a stands in for each component's eigenvectors). */
        dg_blas_set_threads(threads);
        t0 = bench_now();
        for (size_t k = 0; k < COMPONENTS; k++) {
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, QUERIES, (int)d, (int)d, 1.0, x,
                        (int)d, a, (int)d, 0.0, z, (int)d);
            cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, QUERIES, (int)d, (int)d, 1.0, z,
                        (int)d, a, (int)d, 1.0, out, (int)d);
        }
        t_gemm[r] = bench_now() - t0;
        dg_blas_set_threads(1);
    }
    const double md = bench_median(t_den, repeats), mg = bench_median(t_gemm, repeats);
    const double gflop = 4.0 * COMPONENTS * QUERIES * (double)d * (double)d * 1e-9;
    printf("# bench_mixture: K = %d full covariances, d = %zu, B = %d, σ = %g, %d threads, "
           "%d repeats, medians\n",
           COMPONENTS, d, QUERIES, SIGMA, threads, repeats);
    printf("# what                       seconds   GFLOP/s\n");
    printf("mixture_K%d_B%d_d%zu      %9.4f %9.2f\n", COMPONENTS, QUERIES, d, md, gflop / md);
    printf("its_%d_dgemm                 %9.4f %9.2f\n", 2 * COMPONENTS, mg, gflop / mg);
    printf("mixture_gemm_ratio          %9.3f\n", md / mg);

    free(t_den);
    free(t_gemm);
    dg_doubles_free(a);
    dg_doubles_free(cov);
    dg_doubles_free(mean);
    dg_doubles_free(x);
    dg_doubles_free(out);
    dg_doubles_free(z);
    gsl_rng_free(rng);
    dg_denoiser_free(den);
    dg_gmm_free(g);
    return 0;
}
