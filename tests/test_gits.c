/*
 * Tests of dg_gits: the dynamic programme against brute-force enumeration of
 * every path, and the cost matrix against a naive long-double computation.
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

#define T 9

/*
 * The objective the programme minimises for a path 0 = i_0 < i_1 < … < i_K =
 * T − 1: Σ_m coeff^m C[i_m][i_{m+1}] (later jumps weigh more).
 */
static double path_cost(const double *C, const size_t *path, size_t K, double coeff)
{
    long double total = 0, w = 1;
    for (size_t m = 0; m < K; m++, w *= coeff)
        total += w * C[path[m] * T + path[m + 1]];
    return (double)total;
}

/* Every increasing choice of K − 1 inner indices from 1..T−2, recursively. */
static void enumerate(const double *C, size_t K, double coeff, size_t *path, size_t m, double *best,
                      size_t *best_path)
{
    if (m == K) {
        const double c = path_cost(C, path, K, coeff);
        if (c < *best) {
            *best = c;
            memcpy(best_path, path, (K + 1) * sizeof *path);
        }
        return;
    }
    if (m == K - 1) {
        path[m + 1] = T - 1;
        enumerate(C, K, coeff, path, m + 1, best, best_path);
        return;
    }
    for (size_t i = path[m] + 1; i + 1 < T; i++) {
        path[m + 1] = i;
        enumerate(C, K, coeff, path, m + 1, best, best_path);
    }
}

static void test_dp(gsl_rng *rng)
{
    double C[T * T], V[T * T];
    for (int trial = 0; trial < 3; trial++) {
        for (size_t k = 0; k < T * T; k++)
            C[k] = trial == 2 ? gsl_ran_gaussian(rng, 1.0) /* signed, like dev */
                              : gsl_rng_uniform(rng) * 3.7;
        const double coeff = trial == 1 ? 0.85 : DG_GITS_DEFAULT_COEFF;
        int all = 1;
        for (size_t K = 1; K <= T - 1; K++) {
            size_t idx[T], path[T] = {0}, best_path[T];
            double best = INFINITY;
            dg_error err;
            enumerate(C, K, coeff, path, 0, &best, best_path);
            const int status = dg_gits_dp(C, T, K, coeff, V, idx, &err);
            const double got = path_cost(C, idx, K, coeff);
            const int same = memcmp(idx, best_path, (K + 1) * sizeof idx[0]) == 0;
            all &= status == DG_OK && same && fabs(V[K] - best) <= 1e-12 * fabs(best) + 1e-15 &&
                   fabs(got - best) <= 1e-12 * fabs(best) + 1e-15;
            if (!(status == DG_OK && same))
                diag("K = %zu: dp cost %.17g, brute force %.17g", K, got, best);
        }
        ok(all, "trial %d (coeff %.2f): the programme finds the brute-force optimum for K = 1..%d",
           trial, coeff, T - 1);
    }
    size_t idx[T];
    dg_error err;
    ok(dg_gits_dp(C, T, T, 1.15, V, idx, &err) == DG_EINVAL, "K = T steps are refused: %s",
       err.message);
    ok(dg_gits_dp(C, T, 3, 0.0, V, idx, &err) == DG_EINVAL, "coefficient 0 is refused");
}

/* Naive costs: x̂ = x_i + (σ_j − σ_i)(x_i − D_i)/σ_i against x_j, mean over trajectories. */
static double naive_cost(const double *sig, const double *traj, const double *den, size_t n,
                         size_t dim, int kind, size_t i, size_t j)
{
    long double total = 0;
    for (size_t s = 0; s < n; s++) {
        long double jump[16], dev_jump = 0, dev_target = 0, norm = 0;
        const double *x = traj + (i * n + s) * dim, *d = den + (i * n + s) * dim;
        const double *xj = traj + (j * n + s) * dim;
        const double *a = traj + s * dim, *b = traj + ((T - 1) * n + s) * dim;
        for (size_t k = 0; k < dim; k++)
            jump[k] = x[k] + ((long double)sig[j] - sig[i]) * ((x[k] - (long double)d[k]) / sig[i]);
        /* distance to the line a–b: minimise over the line parameter */
        long double uu = 0, pj = 0, pt = 0;
        for (size_t k = 0; k < dim; k++) {
            uu += ((long double)b[k] - a[k]) * (b[k] - a[k]);
            pj += (jump[k] - a[k]) * ((long double)b[k] - a[k]);
            pt += ((long double)xj[k] - a[k]) * ((long double)b[k] - a[k]);
        }
        for (size_t k = 0; k < dim; k++) {
            const long double u = (long double)b[k] - a[k];
            const long double rj = jump[k] - a[k] - pj / uu * u;
            const long double rt = xj[k] - a[k] - pt / uu * u;
            dev_jump += rj * rj;
            dev_target += rt * rt;
            norm += kind == DG_GITS_COST_L1 ? fabsl(jump[k] - xj[k])
                                            : (jump[k] - xj[k]) * (jump[k] - xj[k]);
        }
        total += kind == DG_GITS_COST_DEV  ? sqrtl(dev_jump) - sqrtl(dev_target)
                 : kind == DG_GITS_COST_L2 ? sqrtl(norm)
                                           : norm;
    }
    return (double)(total / n);
}

static void test_cost_matrix(gsl_rng *rng)
{
    const size_t n = 5, dim = 6;
    double sig[T];
    dg_error err;
    dg_schedule_make(&dg_schedule_edm, 0.02, 30, 7, T, sig, &err);
    double *traj = random_points(rng, T * n, dim, 0.4, 2.0);
    double *den = random_points(rng, (T - 1) * n, dim, -0.1, 0.6);
    double C[T * T];
    for (int kind = 0; kind < 3; kind++) {
        int status = dg_gits_cost_matrix(sig, T, traj, den, n, dim, (dg_gits_cost)kind, C, &err);
        double worst = 0;
        int lower_nan = 1;
        for (size_t i = 0; i < T; i++)
            for (size_t j = 0; j < T; j++) {
                if (j <= i) {
                    lower_nan &= isnan(C[i * T + j]);
                    continue;
                }
                const double want = naive_cost(sig, traj, den, n, dim, kind, i, j);
                worst = fmax(worst, fabs(C[i * T + j] - want) / (fabs(want) + 1e-300));
            }
        ok(status == DG_OK && worst <= 1e-12 && lower_nan,
           "%s cost matrix against a naive long-double computation (relative error %.2e)",
           dg_gits_cost_name((dg_gits_cost)kind), worst);
    }
#ifdef _OPENMP
    double C1[T * T];
    omp_set_num_threads(1);
    dg_gits_cost_matrix(sig, T, traj, den, n, dim, DG_GITS_COST_DEV, C1, &err);
    omp_set_num_threads(2);
    dg_gits_cost_matrix(sig, T, traj, den, n, dim, DG_GITS_COST_DEV, C, &err);
    ok(memcmp(C, C1, sizeof C) == 0, "the cost matrix is bit-identical for 1 and 2 threads");
#endif
    ok(dg_gits_cost_find("l1") == DG_GITS_COST_L1 && dg_gits_cost_find("l3") < 0,
       "costs are found by name");
    free(traj);
    free(den);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 1729);
    test_dp(rng);
    test_cost_matrix(rng);
    gsl_rng_free(rng);
    return done_testing();
}
