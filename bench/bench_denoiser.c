/*
 * bench_denoiser: one evaluation of the exact empirical denoiser (128
 * queries against Fashion-MNIST's 60 000 training images, d = 784, σ = 10,
 * where every weight matters) against the two plain DGEMMs of the same
 * shapes it is built on.  Contenders alternate and the medians of the
 * repetitions are compared, so the noise of a shared machine largely cancels.
 * Then the exponentials of one such evaluation alone (128 × 60 000 weights,
 * arguments in [−50, 0], one chunk's row at a time, one thread, timed in
 * the thread's processor time): dg_exp_array against libm's exp over the
 * same arrays.
 *
 * Usage: bench_denoiser [REPEATS [DATA-SPEC [SIGMA]]]
 */
#include "config.h"

#include <gsl/gsl_cblas.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "bench.h"
#include "dg_exp.h"
#include "diffgeo.h"

#define QUERIES 128

/*
 * Processor seconds for `total` exponentials by libm (t_libm) and by
 * dg_exp_array (t_dg), medians of `repeats` alternating runs over the same
 * arguments, a chunk's row of them at a time as in the denoiser.
 */
static void bench_exp(gsl_rng *rng, size_t total, int repeats, double *t_libm, double *t_dg)
{
    const size_t len = DG_EMPIRICAL_CHUNK, rows = total / len;
    double *arg = malloc(len * sizeof *arg), *w = malloc(len * sizeof *w);
    double *tl = malloc((size_t)repeats * sizeof *tl), *td = malloc((size_t)repeats * sizeof *td);
    for (size_t i = 0; i < len; i++)
        arg[i] = -50.0 * gsl_rng_uniform(rng);
    volatile double sink = 0;
    for (int r = 0; r < repeats; r++) {
        double t0 = bench_thread_cpu();
        for (size_t j = 0; j < rows; j++) {
            for (size_t i = 0; i < len; i++)
                w[i] = exp(arg[i]);
            sink += w[j % len];
        }
        tl[r] = bench_thread_cpu() - t0;
        t0 = bench_thread_cpu();
        for (size_t j = 0; j < rows; j++) {
            memcpy(w, arg, len * sizeof *w);
            dg_exp_array(w, len);
            sink += w[j % len];
        }
        td[r] = bench_thread_cpu() - t0;
    }
    *t_libm = bench_median(tl, repeats);
    *t_dg = bench_median(td, repeats);
    free(arg);
    free(w);
    free(tl);
    free(td);
}

int main(int argc, char **argv)
{
    const int repeats = argc > 1 ? atoi(argv[1]) : 5;
    const char *spec = argc > 2 ? argv[2] : "fashion-mnist";
    const double SIGMA = argc > 3 ? atof(argv[3]) : 10.0;
    dg_dataset *data = NULL;
    dg_denoiser *den = NULL;
    dg_error err;
    if (repeats < 1 || dg_data_load(spec, NULL, &data, &err) != DG_OK ||
        dg_denoiser_empirical_alloc(data->x, data->n, data->dim, &den, &err) != DG_OK) {
        fprintf(stderr, "bench_denoiser: %s\n", repeats < 1 ? "bad repeat count" : err.message);
        return 1;
    }
    const size_t n = data->n, d = data->dim;
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    double *x = dg_doubles_alloc(QUERIES, d), *out = dg_doubles_alloc(QUERIES, d);
    double *g = dg_doubles_alloc(QUERIES, n), *s = dg_doubles_alloc(QUERIES, d);
    for (size_t q = 0; q < QUERIES; q++) {
        const size_t j = gsl_rng_uniform_int(rng, n);
        for (size_t k = 0; k < d; k++)
            x[q * d + k] = data->x[j * d + k] + SIGMA * gsl_ran_gaussian(rng, 1.0);
    }
    for (size_t k = 0; k < QUERIES * n; k++)
        g[k] = 1.0 / (double)n;
#ifdef _OPENMP
    const int threads = omp_get_max_threads();
#else
    const int threads = 1;
#endif

    double *t_den = malloc((size_t)repeats * sizeof *t_den);
    double *t_gemm = malloc((size_t)repeats * sizeof *t_gemm);
    /* With one thread, processor times too: robust on a loaded machine. */
    double *c_den = malloc((size_t)repeats * sizeof *c_den);
    double *c_gemm = malloc((size_t)repeats * sizeof *c_gemm);
    for (int r = 0; r < repeats; r++) {
        double c0 = bench_thread_cpu(), t0 = bench_now();
        dg_denoiser_eval(den, x, QUERIES, SIGMA, out, &err);
        t_den[r] = bench_now() - t0;
        c_den[r] = bench_thread_cpu() - c0;
        /* The two products at their best: one call each, BLAS's own threads. */
        dg_blas_set_threads(threads);
        c0 = bench_thread_cpu();
        t0 = bench_now();
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, QUERIES, (int)n, (int)d, 1.0, x,
                    (int)d, data->x, (int)d, 0.0, g, (int)n);
        cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, QUERIES, (int)d, (int)n, 1.0, g,
                    (int)n, data->x, (int)d, 0.0, s, (int)d);
        t_gemm[r] = bench_now() - t0;
        c_gemm[r] = bench_thread_cpu() - c0;
        dg_blas_set_threads(1);
    }
    const double md = bench_median(t_den, repeats), mg = bench_median(t_gemm, repeats);
    const double gflop = 4.0 * QUERIES * (double)n * (double)d * 1e-9;
    printf("# bench_denoiser: σ = %g, %d threads, %d repeats, medians\n", SIGMA, threads, repeats);
    printf("# what                       seconds   GFLOP/s\n");
    printf("denoiser_B%d_N%zu_d%zu   %9.4f %9.2f\n", QUERIES, n, d, md, gflop / md);
    printf("two_dgemm_same_shapes       %9.4f %9.2f\n", mg, gflop / mg);
    printf("gemm_ratio                  %9.3f\n", md / mg);
    if (threads == 1)
        printf("gemm_ratio_cpu              %9.3f\n",
               bench_median(c_den, repeats) / bench_median(c_gemm, repeats));
    double t_libm, t_dg;
    bench_exp(rng, QUERIES * n, repeats, &t_libm, &t_dg);
    printf("exp_libm_%zu                %9.4f\n", QUERIES * n, t_libm);
    printf("exp_dg_exp_array_%zu        %9.4f\n", QUERIES * n, t_dg);
    printf("exp_libm_over_dg_exp        %9.3f\n", t_libm / t_dg);

    free(t_den);
    free(t_gemm);
    free(c_den);
    free(c_gemm);
    dg_doubles_free(x);
    dg_doubles_free(out);
    dg_doubles_free(g);
    dg_doubles_free(s);
    gsl_rng_free(rng);
    dg_denoiser_free(den);
    dg_dataset_free(data);
    return 0;
}
