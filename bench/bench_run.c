/*
 * bench_run: a whole optimal-ODE run (Heun, the EDM grid of 18 levels from
 * 80 to 0.002 and a last step to 0: 35 evaluations) with the exact empirical
 * denoiser, each evaluation timed and set against one pair of plain DGEMMs
 * of the same shapes (queries × rows × d and back), with the fraction of
 * first products (query × chunk) that the bounds carried over skipped.
 * The GEMM pair is timed between the evaluations, so each ratio compares
 * times taken moments apart on the same machine.
 *
 * Usage: bench_run [QUERIES [ROWS [DATA-SPEC]]]   (ROWS 0: all the rows)
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

#define LEVELS 18
#define MAX_EVALS 64

/* The denoiser under test, wrapped so that each evaluation is measured. */
typedef struct timed {
    dg_denoiser *inner;
    const double *y; /* the data, for the GEMM pair */
    size_t n, dim;
    double *g, *s; /* the GEMM pair's outputs */
    size_t evals;
    double sigma[MAX_EVALS], seconds[MAX_EVALS], gemm[MAX_EVALS], skipped[MAX_EVALS];
} timed;

static __attribute__((noinline)) double gemm_pair(timed *t, const double *x, size_t nq)
{
    /* The two products at their best: BLAS's own threads, as many as ours. */
#ifdef _OPENMP
    dg_blas_set_threads(omp_get_max_threads());
#endif
    const double t0 = bench_now();
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)nq, (int)t->n, (int)t->dim, 1.0, x,
                (int)t->dim, t->y, (int)t->dim, 0.0, t->g, (int)t->n);
    cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, (int)nq, (int)t->dim, (int)t->n, 1.0,
                t->g, (int)t->n, t->y, (int)t->dim, 0.0, t->s, (int)t->dim);
    const double dt = bench_now() - t0;
    dg_blas_set_threads(1);
    return dt;
}

static int timed_eval(void *state, const double *x, size_t nq, double sigma, double *out,
                      dg_error *err)
{
    timed *t = state;
    const double t0 = bench_now();
    const int status = dg_denoiser_eval(t->inner, x, nq, sigma, out, err);
    const double dt = bench_now() - t0;
    if (t->evals < MAX_EVALS) {
        size_t skipped, products;
        dg_denoiser_pruned(t->inner, &skipped, &products);
        t->sigma[t->evals] = sigma;
        t->seconds[t->evals] = dt;
        t->skipped[t->evals] = products ? (double)skipped / (double)products : 0;
        t->gemm[t->evals] = gemm_pair(t, x, nq);
    }
    t->evals++;
    return status;
}

static void timed_free(void *state)
{
    (void)state;
}

static const dg_denoiser_type timed_type = {"timed", timed_eval, timed_free};

int main(int argc, char **argv)
{
    const size_t nq = argc > 1 ? strtoul(argv[1], NULL, 10) : 128;
    size_t rows = argc > 2 ? strtoul(argv[2], NULL, 10) : 0;
    const char *spec = argc > 3 ? argv[3] : "fashion-mnist";
    dg_dataset *data = NULL;
    dg_error err;
    if (nq < 1 || dg_data_load(spec, NULL, &data, &err) != DG_OK) {
        fprintf(stderr, "bench_run: %s\n", nq < 1 ? "bad query count" : err.message);
        return 1;
    }
    if (rows == 0 || rows > data->n)
        rows = data->n;
    const size_t d = data->dim;
    timed t = {.y = data->x, .n = rows, .dim = d};
    double sigmas[LEVELS + 1];
    if (dg_denoiser_empirical_alloc(data->x, rows, d, &t.inner, &err) != DG_OK ||
        dg_schedule_make(&dg_schedule_edm, 0.002, 80, 7, LEVELS, sigmas, &err) != DG_OK) {
        fprintf(stderr, "bench_run: %s\n", err.message);
        return 1;
    }
    sigmas[LEVELS] = 0;
    dg_denoiser *den = dg_denoiser_wrap(&timed_type, d, &t);
    t.g = dg_doubles_alloc(nq, rows);
    t.s = dg_doubles_alloc(nq, d);
    double *x0 = dg_doubles_alloc(nq, d);
    double *traj = dg_doubles_alloc((LEVELS + 1) * nq, d);
    double *denoised = dg_doubles_alloc(LEVELS * nq, d);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    for (size_t k = 0; k < nq * d; k++)
        x0[k] = 80 * gsl_ran_gaussian(rng, 1.0);
    size_t nfe = 0;
    const double t0 = bench_now();
    const int status = dg_solve(&dg_solver_heun, den, sigmas, LEVELS + 1, nq, d, x0, traj, denoised,
                                NULL, &nfe, &err);
    const double run = bench_now() - t0;
    if (status != DG_OK) {
        fprintf(stderr, "bench_run: %s\n", err.message);
        return 1;
    }
    const size_t evals = t.evals < MAX_EVALS ? t.evals : MAX_EVALS;
    double pairs = 0, copy[MAX_EVALS];
    for (size_t i = 0; i < evals; i++) {
        pairs += t.gemm[i];
        copy[i] = t.gemm[i];
    }
    const double median_pair = bench_median(copy, (int)evals);
    printf("# bench_run: Heun, %d levels 80 -> 0.002 and 0, B = %zu, N = %zu, d = %zu\n", LEVELS,
           nq, rows, d);
    printf("# eval  sigma       seconds   vs_gemm_pair  first_products_skipped\n");
    for (size_t i = 0; i < evals; i++)
        printf("eval %2zu %10.4g %9.4f %9.3f %9.3f\n", i + 1, t.sigma[i], t.seconds[i],
               t.seconds[i] / t.gemm[i], t.skipped[i]);
    printf("run_seconds              %9.4f\n", run);
    printf("evaluations_seconds      %9.4f\n", run - pairs);
    printf("run_vs_%zu_gemm_pairs     %9.3f\n", evals, (run - pairs) / (evals * median_pair));

    gsl_rng_free(rng);
    dg_doubles_free(x0);
    dg_doubles_free(traj);
    dg_doubles_free(denoised);
    dg_doubles_free(t.g);
    dg_doubles_free(t.s);
    dg_denoiser_free(den);
    dg_denoiser_free(t.inner);
    dg_dataset_free(data);
    return 0;
}
