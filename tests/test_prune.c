/*
 * The empirical denoiser's bounds carried from one evaluation to the next:
 * along trajectories that move its queries (the ODE with smooth and jumping
 * schedules, starts exactly between two rows, rows tied in distance,
 * duplicate rows, mean shift with a fixed bandwidth) and for a batch that
 * has nothing to do with the last one, every evaluation is compared with
 * the naive long-double computation; the runs are bit-identical for 1 and 2
 * threads, and the bounds do skip products (else nothing would be tested).
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

#define N_DATA 2600 /* 6 chunks, the last one partial: one group */
#define DIM 8
#define NQ 21
#define CLUSTERS 20
#define OFFSET 37.0 /* far from the origin: small σ takes the exact path */

/* Rows of CLUSTERS tight clusters in a box, in random order. */
static double *make_data(gsl_rng *rng)
{
    double centre[CLUSTERS][DIM];
    for (size_t c = 0; c < CLUSTERS; c++)
        for (size_t k = 0; k < DIM; k++)
            centre[c][k] = OFFSET + 10 * gsl_rng_uniform(rng);
    double *y = malloc(N_DATA * DIM * sizeof *y);
    for (size_t i = 0; i < N_DATA; i++) {
        const size_t c = gsl_rng_uniform_int(rng, CLUSTERS);
        for (size_t k = 0; k < DIM; k++)
            y[i * DIM + k] = centre[c][k] + 0.3 * gsl_ran_gaussian(rng, 1.0);
    }
    return y;
}

/* Queries: data rows plus noise of size `noise`. */
static double *make_queries(gsl_rng *rng, const double *y, double noise)
{
    return points_near_rows(rng, y, N_DATA, DIM, NQ, noise, 0, 0);
}

/* What a run records: every output, the worst error, the products skipped. */
typedef struct run {
    double *outs; /* evaluations × NQ × DIM */
    size_t evals, cap;
    double worst;
    size_t skipped, products;
} run;

/* D(x; σ) against the reference, recorded in r; false when the evaluation fails. */
static bool checked_eval(dg_denoiser *den, const double *y, const double *x, double sigma,
                         double *d, run *r)
{
    dg_error err;
    if (dg_denoiser_eval(den, x, NQ, sigma, d, &err) != DG_OK) {
        diag("σ = %g: %s", sigma, err.message);
        r->worst = INFINITY;
        return false;
    }
    double want[NQ * DIM];
    ref_denoise(y, N_DATA, DIM, x, NQ, sigma, want);
    const double e = max_rel_error(d, want, NQ, DIM);
    if (!(e <= r->worst))
        r->worst = e;
    size_t skipped, products;
    dg_denoiser_pruned(den, &skipped, &products);
    r->skipped += skipped;
    r->products += products;
    if (r->evals < r->cap)
        memcpy(r->outs + r->evals * NQ * DIM, d, NQ * DIM * sizeof *d);
    r->evals++;
    return true;
}

/*
 * Euler steps of the probability-flow ODE from x (changed in place) along
 * sigmas[0..ns−1] and then to 0: x ← D + (σ_next/σ)(x − D).  A σ_next above
 * σ throws the queries far away (a large late jump).
 */
static void trajectory(dg_denoiser *den, const double *y, double *x, const double *sigmas,
                       size_t ns, run *r)
{
    double d[NQ * DIM];
    for (size_t i = 0; i < ns; i++) {
        if (!checked_eval(den, y, x, sigmas[i], d, r))
            return;
        const double ratio = i + 1 < ns ? sigmas[i + 1] / sigmas[i] : 0.0;
        for (size_t k = 0; k < NQ * DIM; k++)
            x[k] = d[k] + ratio * (x[k] - d[k]);
    }
}

/* Mean shift with a fixed bandwidth h: x ← D(x; h), `steps` times. */
static void meanshift(dg_denoiser *den, const double *y, double *x, double h, size_t steps, run *r)
{
    double d[NQ * DIM];
    for (size_t i = 0; i < steps && checked_eval(den, y, x, h, d, r); i++)
        memcpy(x, d, sizeof d);
}

/*
 * A walk at a fixed σ from x (changed) to the point `to` in `steps` equal
 * steps, D evaluated at each point, as interpolate does along its path.
 */
static void walk(dg_denoiser *den, const double *y, double *x, const double *to, size_t steps,
                 double sigma, run *r)
{
    double d[NQ * DIM], from[NQ * DIM];
    memcpy(from, x, sizeof from);
    for (size_t i = 0; i <= steps && checked_eval(den, y, x, sigma, d, r); i++)
        for (size_t q = 0; q < NQ; q++)
            for (size_t k = 0; k < DIM; k++) {
                const double t = (double)(i + 1) / (double)steps;
                x[q * DIM + k] = (1 - t) * from[q * DIM + k] + t * to[k];
            }
}

/* A smooth schedule (Karras, ρ = 7) of n levels from 40 down to 0.002. */
static void karras(double *s, size_t n)
{
    const double a = pow(40.0, 1 / 7.0), b = pow(0.002, 1 / 7.0);
    for (size_t i = 0; i < n; i++)
        s[i] = pow(a + (double)i / (double)(n - 1) * (b - a), 7.0);
}

#define KARRAS 18
static const double jumps[] = {40, 10, 2, 0.5, 0.1, 0.02, 0.01, 3.0, 0.005, 0.001, 8.0, 0.002};
static const double settle[] = {0.5, 0.2, 0.1, 0.03, 0.01, 0.003, 0.001};

/*
 * Every scenario in one sequence on one denoiser (the history runs through
 * all of them); r collects the outputs.  y is changed: rows are planted.
 */
static void scenarios(double *y, gsl_rng *rng, run *r, bool report)
{
    dg_denoiser *den = NULL;
    dg_error err;
    double *x = make_queries(rng, y, 40.0);
    double sk[KARRAS];
    karras(sk, KARRAS);
    /* Duplicates: row 2500 repeats row 10 (chunks 4 and 0).  Ties: around
     * the point c, rows c ± v in chunks 1 and 3, c ± w in chunks 2 and 4
     * (‖v‖ = ‖w‖), and the query of row 1 starts at c, between all four.
     * The last chunk (rows 2560 …) is a cluster of its own, far away. */
    memcpy(y + 2500 * DIM, y + 10 * DIM, DIM * sizeof *y);
    double far[DIM];
    for (size_t k = 0; k < DIM; k++)
        far[k] = OFFSET + (k == 0 ? 60.0 : 5.0);
    for (size_t i = 2560; i < N_DATA; i++)
        for (size_t k = 0; k < DIM; k++)
            y[i * DIM + k] = far[k] + 0.3 * gsl_ran_gaussian(rng, 1.0);
    double c[DIM], v[DIM] = {0}, w[DIM] = {0};
    for (size_t k = 0; k < DIM; k++)
        c[k] = y[700 * DIM + k];
    v[0] = 0.75;
    w[3] = 0.75;
    for (size_t k = 0; k < DIM; k++) {
        y[600 * DIM + k] = c[k] + v[k];
        y[1600 * DIM + k] = c[k] - v[k];
        y[1100 * DIM + k] = c[k] + w[k];
        y[2100 * DIM + k] = c[k] - w[k];
    }
    if (dg_denoiser_empirical_alloc(y, N_DATA, DIM, &den, &err) != DG_OK) {
        diag("alloc: %s", err.message);
        r->worst = INFINITY;
        free(x);
        return;
    }

    size_t before = r->skipped;
    trajectory(den, y, x, sk, KARRAS, r);
    if (report) {
        ok(r->worst <= 1e-12, "ODE, 18 Karras levels 40 → 0.002: every evaluation within %.2e",
           r->worst);
        ok(r->skipped > before, "ODE: %zu of %zu first products skipped", r->skipped, r->products);
    }

    /* The same denoiser for an unrelated batch at small σ. */
    r->worst = 0;
    double *fresh = make_queries(rng, y, 0.05);
    memcpy(x, fresh, NQ * DIM * sizeof *x);
    meanshift(den, y, x, 0.01, 1, r);
    if (report)
        ok(r->worst <= 1e-12, "an unrelated batch at σ = 0.01 after the ODE: within %.2e",
           r->worst);

    /* Large late jumps of the schedule, from noisy starts. */
    r->worst = 0;
    before = r->skipped;
    for (size_t k = 0; k < NQ * DIM; k++)
        x[k] = fresh[k] + 40.0 * gsl_ran_gaussian(rng, 1.0);
    trajectory(den, y, x, jumps, sizeof jumps / sizeof jumps[0], r);
    if (report)
        ok(r->worst <= 1e-12 && r->skipped > before,
           "schedule with jumps up to σ = 3 and 8 late: within %.2e, %zu products skipped",
           r->worst, r->skipped - before);

    /* Starts exactly between rows: the midpoints of pairs in different
     * chunks, the tie point c, a duplicated row. */
    r->worst = 0;
    for (size_t q = 0; q < NQ; q++) {
        const size_t a = gsl_rng_uniform_int(rng, 512), b = 512 + gsl_rng_uniform_int(rng, 2000);
        for (size_t k = 0; k < DIM; k++)
            x[q * DIM + k] = 0.5 * (y[a * DIM + k] + y[b * DIM + k]);
    }
    memcpy(x + DIM, c, sizeof c);
    memcpy(x + 2 * DIM, y + 10 * DIM, DIM * sizeof *x);
    trajectory(den, y, x, settle, sizeof settle / sizeof settle[0], r);
    if (report) {
        ok(r->worst <= 1e-12,
           "starts between two rows, at a 4-way tie, on a duplicate: within %.2e", r->worst);
        ok(fabs(x[DIM] - c[0]) < 1e-9 && fabs(x[DIM + 3] - c[3]) < 1e-9,
           "the tie point stays where it is (moved by %.2e)", fabs(x[DIM] - c[0]));
    }

    /* Walks from the data to the far cluster, as the queries approach a
     * chunk that the bounds had kept out. */
    r->worst = 0;
    before = r->skipped;
    free(fresh);
    fresh = make_queries(rng, y, 0.0);
    memcpy(x, fresh, NQ * DIM * sizeof *x);
    walk(den, y, x, far, 30, 0.05, r);
    if (report)
        ok(r->worst <= 1e-12 && r->skipped > before,
           "walks from rows to a far cluster at σ = 0.05: within %.2e, %zu products skipped",
           r->worst, r->skipped - before);

    /* Mean shift with a fixed bandwidth from noisy starts. */
    r->worst = 0;
    before = r->skipped;
    double *ms = make_queries(rng, y, 1.0);
    meanshift(den, y, ms, 0.3, 25, r);
    if (report)
        ok(r->worst <= 1e-12 && r->skipped > before,
           "mean shift, h = 0.3, 25 steps: within %.2e, %zu products skipped", r->worst,
           r->skipped - before);
    free(ms);
    free(fresh);
    free(x);
    dg_denoiser_free(den);
}

#define EVALS 128

/*
 * Rounding: two clusters at ±1e6 make the GEMM logits err by about 1e-3
 * (in squared distance); a query tied between rows of two chunks, at
 * σ = 1e-4, evaluated three times where it stands.  A bound that ignored
 * that error would skip one of the tied rows.
 */
static void test_rounding(gsl_rng *rng)
{
    enum { N = 1024, D = 4, Q = 3 };
    double *y = malloc(N * D * sizeof *y);
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < D; k++)
            y[i * D + k] = (k == 0 ? (i % 2 ? 1e6 : -1e6) : 0) + gsl_ran_gaussian(rng, 3.0);
    double x[Q * D], got[Q * D], want[Q * D];
    for (size_t q = 0; q < Q; q++) {
        const size_t a = 2 * q + 1, b = 513 + 2 * 50 * q; /* chunks 0 and 1, both at +1e6 */
        for (size_t k = 0; k < D; k++) {
            x[q * D + k] = y[a * D + k];
            y[b * D + k] = y[a * D + k] - (k == 1 ? 0.5 : 0);
            y[a * D + k] += k == 1 ? 0.5 : 0;
        }
    }
    dg_denoiser *den = NULL;
    dg_error err;
    double worst = 0;
    if (dg_denoiser_empirical_alloc(y, N, D, &den, &err) != DG_OK)
        worst = INFINITY;
    for (int r = 0; r < 3 && den; r++) {
        if (dg_denoiser_eval(den, x, Q, 1e-4, got, &err) != DG_OK) {
            worst = INFINITY;
            break;
        }
        ref_denoise(y, N, D, x, Q, 1e-4, want);
        const double e = max_rel_error(got, want, Q, D);
        if (!(e <= worst))
            worst = e;
    }
    ok(worst <= 1e-12, "rows tied at ±1e6, σ = 1e-4, three evaluations: within %.2e", worst);
    dg_denoiser_free(den);
    free(y);
}

/*
 * D* against the reference for Q queries at each σ of sigmas; the worst
 * relative error (∞ when an evaluation fails).
 */
static double worst_over(const double *y, size_t n, size_t d, const double *x, size_t nq,
                         const double *sigmas, size_t ns)
{
    dg_denoiser *den = NULL;
    dg_error err;
    double worst = 0;
    double *got = malloc(nq * d * sizeof *got), *want = malloc(nq * d * sizeof *want);
    if (dg_denoiser_empirical_alloc(y, n, d, &den, &err) != DG_OK)
        worst = INFINITY;
    for (size_t s = 0; s < ns && den; s++) {
        if (dg_denoiser_eval(den, x, nq, sigmas[s], got, &err) != DG_OK) {
            worst = INFINITY;
            break;
        }
        ref_denoise(y, n, d, x, nq, sigmas[s], want);
        const double e = max_rel_error(got, want, nq, d);
        if (!(e <= worst))
            worst = e;
    }
    dg_denoiser_free(den);
    free(got);
    free(want);
    return worst;
}

/*
 * Which rows take exact differences: two clouds at ±1e6 (far from their
 * mean too), where every GEMM logit errs by about 1e-3 and many rows weigh e^−5 to
 * e^−30 of the largest; keeping the GEMM logits of rows that close to the
 * maximum would move D* far beyond 1e-12.  Then a chunk with one row at
 * 1e4 among rows of size 1 (its radius, and so every rounding bound, set
 * by the outlier), queried near the cloud, near the outlier and between.
 */
static void test_exact_rows(gsl_rng *rng)
{
    enum { N = 1100, D = 4, Q = 6 };
    static const double sigmas[] = {8, 3, 1, 0.5, 0.2};
    double *y = malloc(N * D * sizeof *y), x[Q * D];
    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < D; k++)
            y[i * D + k] = (k == 0 ? (i % 2 ? 1e6 : -1e6) : 0) + gsl_ran_gaussian(rng, 3.0);
    for (size_t q = 0; q < Q; q++)
        for (size_t k = 0; k < D; k++)
            x[q * D + k] = y[(97 * q) * D + k] + gsl_ran_gaussian(rng, 0.5);
    const double far = worst_over(y, N, D, x, Q, sigmas, 5);
    ok(far <= 1e-12, "clouds at ±1e6, σ = 8 … 0.2: within %.2e", far);

    for (size_t i = 0; i < N; i++)
        for (size_t k = 0; k < D; k++)
            y[i * D + k] = gsl_ran_gaussian(rng, 1.0);
    for (size_t k = 0; k < D; k++)
        y[200 * D + k] = 1e4;
    for (size_t q = 0; q < Q; q++)
        for (size_t k = 0; k < D; k++)
            x[q * D + k] = (q % 3 == 0 ? 0.0 : q % 3 == 1 ? 1e4 : 5e3) + gsl_ran_gaussian(rng, 0.3);
    const double outlier = worst_over(y, N, D, x, Q, sigmas, 5);
    ok(outlier <= 1e-12, "a chunk with one row at 1e4, σ = 8 … 0.2: within %.2e", outlier);
    free(y);
}

int main(void)
{
    dg_blas_set_threads(1);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261205);
    double *y = make_data(rng);
    double *y2 = malloc(N_DATA * DIM * sizeof *y2);
    memcpy(y2, y, N_DATA * DIM * sizeof *y);

    run one = {malloc(EVALS * NQ * DIM * sizeof(double)), 0, EVALS, 0, 0, 0};
#ifdef _OPENMP
    omp_set_num_threads(1);
#endif
    gsl_rng_set(rng, 7);
    scenarios(y, rng, &one, true);
    ok(one.evals <= EVALS, "%zu evaluations recorded", one.evals);
#ifdef _OPENMP
    run two = {malloc(EVALS * NQ * DIM * sizeof(double)), 0, EVALS, 0, 0, 0};
    omp_set_num_threads(2);
    gsl_rng_set(rng, 7);
    scenarios(y2, rng, &two, false);
    ok(two.evals == one.evals && two.skipped == one.skipped &&
           memcmp(one.outs, two.outs, one.evals * NQ * DIM * sizeof(double)) == 0,
       "1 and 2 threads: the same %zu evaluations bit for bit, the same %zu skips", one.evals,
       one.skipped);
    free(two.outs);
#else
    ok(1, "# SKIP built without OpenMP");
#endif
    free(one.outs);
    test_rounding(rng);
    test_exact_rows(rng);
    free(y);
    free(y2);
    gsl_rng_free(rng);
    return done_testing();
}
