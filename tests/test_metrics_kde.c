/*
 * Tests of the measurements against reference data (doc/theory.md §3): nearest
 * neighbours and the Gaussian KDE against naive long-double loops with exact
 * differences, and the monotone likelihood of Euler steps of the optimal ODE
 * (annealed mean shift).
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

/* log p̂_h(x) = LSE_i(−‖x − y_i‖²/2h²) − ln N − (d/2) ln(2πh²), naively in long double. */
static long double ref_kde(const double *y, size_t N, size_t dim, const double *x, double h)
{
    long double *l = malloc(N * sizeof *l), top = -INFINITY, sum = 0;
    for (size_t i = 0; i < N; i++) {
        long double d2 = 0;
        for (size_t k = 0; k < dim; k++) {
            const long double e = (long double)x[k] - y[i * dim + k];
            d2 += e * e;
        }
        l[i] = -d2 / (2 * (long double)h * h);
        top = fmaxl(top, l[i]);
    }
    for (size_t i = 0; i < N; i++)
        sum += expl(l[i] - top);
    free(l);
    return top + logl(sum) - logl((long double)N) -
           0.5L * (long double)dim * logl(2 * acosl(-1) * (long double)h * h);
}

static void test_nn(gsl_rng *rng)
{
    /* 1300 rows: two full chunks of DG_EMPIRICAL_CHUNK and a partial one. */
    enum { N = 1300, DIM = 5, NQ = 9 };
    double *y = random_points(rng, N, DIM, 50.0, 2.0), *x = random_points(rng, NQ, DIM, 50.0, 2.0);
    /* Query 0 sits next to the last row, query 1 next to a row of the second chunk. */
    for (size_t k = 0; k < DIM; k++) {
        x[k] = y[(N - 1) * DIM + k] + 1e-7 * (double)(k + 1);
        x[DIM + k] = y[700 * DIM + k] - 2.385e-3;
    }
    double dist[NQ];
    size_t idx[NQ];
    dg_error err;
    int rc = dg_metric_nn_distance(y, N, DIM, x, NQ, dist, idx, &err);
    double worst = 0;
    int same = 1;
    for (size_t q = 0; q < NQ; q++) {
        long double best;
        const size_t at = ref_nearest(y, N, DIM, x + q * DIM, &best);
        worst = fmax(worst, fabs(dist[q] - (double)sqrtl(best)) / (double)sqrtl(best));
        same &= idx[q] == at;
    }
    ok(rc == DG_OK && worst < 1e-14,
       "nearest-neighbour distance against brute force in long double (relative error %.2e)",
       worst);
    ok(same && idx[0] == N - 1 && idx[1] == 700, "nearest-neighbour indices agree");
    /* Row 20 again in its own chunk and in a later one: the first minimiser wins. */
    memcpy(y + 120 * DIM, y + 20 * DIM, DIM * sizeof *y);
    memcpy(y + 1250 * DIM, y + 20 * DIM, DIM * sizeof *y);
    memcpy(x, y + 20 * DIM, DIM * sizeof *x);
    dg_metric_nn_distance(y, N, DIM, x, 1, dist, idx, &err);
    ok(dist[0] == 0 && idx[0] == 20, "a query on a row repeated twice: distance 0, first index");
    ok(dg_metric_nn_distance(y, 0, DIM, x, 1, dist, idx, &err) == DG_EINVAL, "no data is refused");
    free(y);
    free(x);
}

static void test_kde(gsl_rng *rng)
{
    /* 4700 rows: 9 chunks, more than one group of them; 263 queries: more
     * than one batch of queries through the tree. */
    enum { N = 4700, DIM = 6, NQ = 263, NH = 4 };
    /* Far from the origin, where ‖x‖² + ‖y‖² − 2x·y would lose digits. */
    double *y = random_points(rng, N, DIM, 1e3, 1.5), *x = random_points(rng, NQ, DIM, 1e3, 2.0);
    double h[NQ * NH], logp[NQ * NH], nn2[NQ];
    const double bands[NH] = {0.002, 0.4, 2.385, 80};
    for (size_t q = 0; q < NQ; q++)
        for (size_t j = 0; j < NH; j++)
            h[q * NH + j] = bands[(q + j) % NH];
    dg_error err;
    int rc = dg_metric_kde(y, N, DIM, x, NQ, h, NH, logp, nn2, NULL, &err);
    double worst = 0;
    for (size_t q = 0; q < NQ; q++)
        for (size_t j = 0; j < NH; j++) {
            const long double want = ref_kde(y, N, DIM, x + q * DIM, h[q * NH + j]);
            worst = fmax(worst, (double)(fabsl(logp[q * NH + j] - want) / fmaxl(1, fabsl(want))));
        }
    ok(rc == DG_OK && worst < 1e-13,
       "KDE log-likelihood against a long-double naive log-sum-exp, h from 0.002 to 80 "
       "(relative error %.2e)",
       worst);

    /* Two points in one dimension: log p̂_h(0) = ln((φ_h(1) + φ_h(3))/2) in closed form. */
    const double two[2] = {1, -3}, origin[1] = {0}, hh = 0.7;
    double lp;
    dg_metric_kde(two, 2, 1, origin, 1, &hh, 1, &lp, NULL, NULL, &err);
    const double phi1 = exp(-1 / (2 * hh * hh)), phi3 = exp(-9 / (2 * hh * hh));
    const double want = log((phi1 + phi3) / 2 / (sqrt(2 * M_PI) * hh));
    check_rel(lp, want, 1e-14, "KDE of two points in one dimension in closed form");

    double skip[NQ * 2];
    for (size_t q = 0; q < NQ; q++) {
        skip[q * 2] = q % 3 == 0 ? 0.0 : q % 3 == 1 ? -1.0 : NAN;
        skip[q * 2 + 1] = 0.4;
    }
    dg_metric_kde(y, N, DIM, x, NQ, skip, 2, logp, NULL, NULL, &err);
    int skipped = 1;
    for (size_t q = 0; q < NQ; q++)
        skipped &= isnan(logp[q * 2]) && isfinite(logp[q * 2 + 1]);
    ok(skipped, "bandwidths 0, −1 and NaN give NaN, the others a value");
    ok(dg_metric_kde(y, N, DIM, x, NQ, h, DG_KDE_BANDWIDTHS_MAX + 1, logp, NULL, NULL, &err) ==
           DG_EINVAL,
       "more than %d bandwidths per query are refused", DG_KDE_BANDWIDTHS_MAX);
#ifdef _OPENMP
    double one[NQ * NH], two_threads[NQ * NH];
    omp_set_num_threads(1);
    dg_metric_kde(y, N, DIM, x, NQ, h, NH, one, NULL, NULL, &err);
    omp_set_num_threads(2);
    dg_metric_kde(y, N, DIM, x, NQ, h, NH, two_threads, NULL, NULL, &err);
    ok(memcmp(one, two_threads, sizeof one) == 0, "the KDE is bit-identical for 1 and 2 threads");
#endif
    free(y);
    free(x);
}

/*
 * Euler steps of the optimal ODE are annealed mean-shift steps: each raises
 * log p̂_h (h = σ_i) by at least λ(2 − λ)‖m_h(x) − x‖²/(2h²) (doc/theory.md §3).
 */
static void test_monotone(gsl_rng *rng)
{
    enum { N = 60, DIM = 4, NS = 6, T = 14 };
    double *y = random_points(rng, N, DIM, 2.385, 1.0);
    double sig[T + 1], *x0 = random_points(rng, NS, DIM, 0.0, 80.0);
    double traj[(T + 1) * NS * DIM], den[T * NS * DIM], bound[T * NS];
    double h[(T + 1) * NS * 2], logp[(T + 1) * NS * 2];
    dg_error err;
    dg_denoiser *dstar = NULL;
    dg_denoiser_empirical_alloc(y, N, DIM, &dstar, &err);
    dg_schedule_make(&dg_schedule_edm, 0.002, 80, 7, T, sig, &err);
    sig[T] = 0; /* the last step is one classic mean-shift iteration */
    const int rc =
        dg_solve(&dg_solver_euler, dstar, sig, T + 1, NS, DIM, x0, traj, den, NULL, NULL, &err);
    for (size_t k = 0; k <= T; k++)
        for (size_t s = 0; s < NS; s++) {
            h[(k * NS + s) * 2] = k > 0 ? sig[k - 1] : NAN;
            h[(k * NS + s) * 2 + 1] = k < T ? sig[k] : NAN;
        }
    dg_metric_kde(y, N, DIM, traj, (T + 1) * NS, h, 2, logp, NULL, NULL, &err);
    dg_metric_kde_gain_bound(traj, den, sig, T, NS, DIM, bound);
    double least = INFINITY, slack = INFINITY;
    for (size_t k = 0; k < T; k++)
        for (size_t s = 0; s < NS; s++) {
            const double gain = logp[((k + 1) * NS + s) * 2] - logp[(k * NS + s) * 2 + 1];
            least = fmin(least, gain);
            /* The bound may be met with equality only up to rounding of log p̂. */
            slack =
                fmin(slack, gain - bound[k * NS + s] + 1e-12 * fabs(logp[(k * NS + s) * 2 + 1]));
        }
    ok(rc == DG_OK && least > 0,
       "every Euler step of the optimal ODE raises log p̂_σ (least "
       "gain %.3g nats)",
       least);
    ok(slack >= 0, "and by at least λ(2 − λ)‖m − x‖²/(2h²) (least margin %.3g nats)", slack);

    /* The bound against a direct evaluation: one step of λ = 1.5 from a point. */
    const double lambda = 1.5, hb = 1.3;
    double m[DIM], xp[DIM], start[DIM], hs[2] = {hb, hb}, lp[2], b;
    for (size_t k = 0; k < DIM; k++)
        start[k] = 2.385 + x0[k] * 0.02;
    dg_denoiser_eval(dstar, start, 1, hb, m, &err);
    for (size_t k = 0; k < DIM; k++)
        xp[k] = start[k] + lambda * (m[k] - start[k]);
    dg_metric_kde(y, N, DIM, start, 1, hs, 1, lp, NULL, NULL, &err);
    dg_metric_kde(y, N, DIM, xp, 1, hs + 1, 1, lp + 1, NULL, NULL, &err);
    b = lambda * (2 - lambda) * dg_sqdist(m, start, DIM) / (2 * hb * hb);
    ok(lp[1] - lp[0] >= b, "an over-relaxed mean-shift step (λ = 1.5) gains %.4g ≥ %.4g nats",
       lp[1] - lp[0], b);
    dg_denoiser_free(dstar);
    free(y);
    free(x0);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4711);
    test_nn(rng);
    test_kde(rng);
    test_monotone(rng);
    gsl_rng_free(rng);
    return done_testing();
}
