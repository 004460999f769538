/*
 * Tests of dg_meanshift: Gaussian mean shift against iterating the naive
 * long-double denoiser, the annealed run against the Euler solver, the
 * monotone KDE likelihood of doc/theory.md §3 with a long-double KDE, and the flat
 * kernel (scikit-learn's MeanShift) on data small enough to work by hand.
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

#define N_DATA 137
#define DIM 5
#define NQ 9

/* Start points: half of them data points plus noise, half between the data. */
static double *make_starts(gsl_rng *rng, const double *y, double spread)
{
    return points_near_rows(rng, y, N_DATA, DIM, NQ, spread, 2.385, 1.7 * spread);
}

/* ‖a − b‖ for rows of dim, in long double. */
static long double dist_l(const double *a, const double *b, size_t dim)
{
    long double s = 0;
    for (size_t k = 0; k < dim; k++) {
        const long double e = (long double)a[k] - b[k];
        s += e * e;
    }
    return sqrtl(s);
}

/* ------------------------------------------------------------------------ */
/* Gaussian kernel, fixed bandwidth                                         */
/* ------------------------------------------------------------------------ */

static void test_gaussian_iterates(gsl_rng *rng, const double *y, dg_denoiser *den)
{
    const double h = 0.73;
    const size_t iters = 20, len = NQ * DIM;
    double *x0 = make_starts(rng, y, 0.9);
    double *path = malloc((iters + 1) * len * sizeof *path);
    double *want = malloc((iters + 1) * len * sizeof *want);
    dg_meanshift_options opt = DG_MEANSHIFT_OPTIONS_DEFAULT;
    opt.tol = 0;
    opt.max_iter = iters;
    size_t got_iters = 0;
    dg_error err;
    const int status = dg_meanshift_gaussian(den, h, NQ, DIM, x0, &opt, path, &got_iters, &err);
    /* The reference: iterate the naive long-double D*(x; σ = h). */
    memcpy(want, x0, len * sizeof *want);
    for (size_t k = 0; k < iters; k++)
        ref_denoise(y, N_DATA, DIM, want + k * len, NQ, h, want + (k + 1) * len);
    const double e = max_rel_error(path, want, (iters + 1) * NQ, DIM);
    ok(status == DG_OK && got_iters == iters && e <= 1e-12,
       "tol 0: exactly %zu iterations (%zu), each x_k = m_h(x_(k-1)) within %.2e of the "
       "long-double reference",
       iters, got_iters, e);

    /* With a tolerance: it stops at the first iteration that moves no point by more than tol·h. */
    opt.tol = 1e-4;
    opt.max_iter = 200;
    double *path2 = malloc((opt.max_iter + 1) * len * sizeof *path2);
    size_t K = 0;
    const int status2 = dg_meanshift_gaussian(den, h, NQ, DIM, x0, &opt, path2, &K, &err);
    long double last = 0, before = 0;
    for (size_t q = 0; q < NQ && K >= 2; q++) {
        last = fmaxl(last, dist_l(path2 + K * len + q * DIM, path2 + (K - 1) * len + q * DIM, DIM));
        before = fmaxl(
            before, dist_l(path2 + (K - 1) * len + q * DIM, path2 + (K - 2) * len + q * DIM, DIM));
    }
    ok(status2 == DG_OK && K >= 2 && K < opt.max_iter && last <= opt.tol * h &&
           before > opt.tol * h,
       "tol 1e-4: stops after %zu iterations, last shift %.3Lg ≤ tol·h < previous %.3Lg", K, last,
       before);
    double *want2 = malloc((K + 1) * len * sizeof *want2);
    memcpy(want2, x0, len * sizeof *want2);
    for (size_t k = 0; k < K; k++)
        ref_denoise(y, N_DATA, DIM, want2 + k * len, NQ, h, want2 + (k + 1) * len);
    const double e2 = max_rel_error(path2, want2, (K + 1) * NQ, DIM);
    ok(e2 <= 1e-12, "its %zu iterates are within %.2e of the long-double reference", K, e2);
    free(want2);

    opt.max_iter = 0;
    ok(dg_meanshift_gaussian(den, h, NQ, DIM, x0, &opt, path2, &K, &err) == DG_OK && K == 0 &&
           memcmp(path2, x0, len * sizeof *x0) == 0,
       "max_iter 0: the path is the start points alone");
    opt.max_iter = 3;
    ok(dg_meanshift_gaussian(den, 0.0, NQ, DIM, x0, &opt, path2, &K, &err) == DG_EINVAL &&
           dg_meanshift_gaussian(den, -h, NQ, DIM, x0, &opt, path2, &K, &err) == DG_EINVAL,
       "h = 0 and h < 0 are rejected: %s", err.message);
    opt.tol = -1e-3;
    ok(dg_meanshift_gaussian(den, h, NQ, DIM, x0, &opt, path2, &K, &err) == DG_EINVAL,
       "a negative tolerance is rejected: %s", err.message);
    opt.tol = 0;
    ok(dg_meanshift_gaussian(den, h, NQ, DIM - 1, x0, &opt, path2, &K, &err) == DG_EINVAL,
       "a dimension mismatch is rejected: %s", err.message);
    free(x0);
    free(path);
    free(path2);
    free(want);
}

/* ------------------------------------------------------------------------ */
/* Gaussian kernel, annealed bandwidth                                      */
/* ------------------------------------------------------------------------ */

static void test_annealed_is_euler(gsl_rng *rng, dg_denoiser *den, const dg_schedule_type *type,
                                   size_t steps, int final_zero)
{
    double sigmas[32];
    dg_error err;
    dg_schedule_make(type, 0.05, 12.5, 0, steps, sigmas, &err);
    if (final_zero)
        sigmas[steps] = 0;
    const size_t nsig = steps + (final_zero ? 1 : 0), T = nsig - 1, len = NQ * DIM;
    double *x0 = random_points(rng, NQ, DIM, 0, sigmas[0]);
    double *path = malloc(nsig * len * sizeof *path), *targets = malloc(T * len * sizeof *path);
    double *traj = malloc(nsig * len * sizeof *path), *dn = malloc(T * len * sizeof *path);
    const int s1 = dg_meanshift_annealed(den, sigmas, nsig, NQ, DIM, x0, NULL, path, targets, &err);
    const int s2 =
        dg_solve(&dg_solver_euler, den, sigmas, nsig, NQ, DIM, x0, traj, dn, NULL, NULL, &err);
    const double ep = max_rel_error(path, traj, nsig * NQ, DIM);
    const double et = max_rel_error(targets, dn, T * NQ, DIM);
    ok(s1 == DG_OK && s2 == DG_OK && ep <= 1e-12 && et <= 1e-12,
       "annealed on %s, %zu timestamps%s: path within %.2e of dg_solve(euler), targets within "
       "%.2e of its denoised",
       type->name, steps, final_zero ? " + σ = 0" : "", ep, et);
    if (final_zero)
        ok(memcmp(path + T * len, targets + (T - 1) * len, len * sizeof *path) == 0,
           "the step to σ = 0 is one plain mean-shift iteration: x_T = m_σ(x_(T-1)) exactly");
    free(x0);
    free(path);
    free(targets);
    free(traj);
    free(dn);
}

/* ------------------------------------------------------------------------ */
/* Monotone likelihood (doc/theory.md §3)                                        */
/* ------------------------------------------------------------------------ */

/* log Σ_i exp(−‖x − y_i‖²/(2h²)), the Gaussian KDE without its constant, in long double. */
static long double log_kde(const double *y, size_t n, size_t dim, const long double *x, double h)
{
    long double *l = malloc(n * sizeof *l), max = -INFINITY, sum = 0;
    for (size_t i = 0; i < n; i++) {
        long double d2 = 0;
        for (size_t k = 0; k < dim; k++) {
            const long double e = x[k] - y[i * dim + k];
            d2 += e * e;
        }
        l[i] = -d2 / (2.0L * h * h);
        max = fmaxl(max, l[i]);
    }
    for (size_t i = 0; i < n; i++)
        sum += expl(l[i] - max);
    free(l);
    return max + logl(sum);
}

/*
 * (log p̂_h(x') − log p̂_h(x)) / bound − 1 for x' = x + λ(m − x), bound =
 * λ(2 − λ)‖m − x‖²/(2h²); the theorem says it is ≥ 0.
 */
static double likelihood_margin(const double *y, const double *x, const double *m, double lambda,
                                double h)
{
    long double xl[DIM], xn[DIM], shift2 = 0;
    for (size_t k = 0; k < DIM; k++) {
        xl[k] = x[k];
        xn[k] = x[k] + lambda * ((long double)m[k] - x[k]);
        shift2 += ((long double)m[k] - x[k]) * ((long double)m[k] - x[k]);
    }
    const long double gain = log_kde(y, N_DATA, DIM, xn, h) - log_kde(y, N_DATA, DIM, xl, h);
    const long double bound = lambda * (2 - lambda) * shift2 / (2.0L * h * h);
    return (double)(gain / bound - 1);
}

static void test_monotone_likelihood(gsl_rng *rng, const double *y, dg_denoiser *den)
{
    const double h = 0.61, lambdas[3] = {0.3, 1.0, 1.7};
    double *x0 = make_starts(rng, y, 1.1), path[2 * NQ * DIM];
    dg_meanshift_options opt = DG_MEANSHIFT_OPTIONS_DEFAULT;
    opt.max_iter = 1;
    size_t K;
    dg_error err;
    dg_meanshift_gaussian(den, h, NQ, DIM, x0, &opt, path, &K, &err);
    for (size_t l = 0; l < 3; l++) {
        double worst = INFINITY;
        for (size_t q = 0; q < NQ; q++)
            worst = fmin(worst,
                         likelihood_margin(y, x0 + q * DIM, path + (NQ + q) * DIM, lambdas[l], h));
        ok(worst >= -1e-9,
           "λ = %.1f: log p̂_h(x + λ(m_h(x) − x)) − log p̂_h(x) ≥ "
           "λ(2 − λ)‖m_h(x) − x‖²/(2h²) at all %d points (least gain/bound − 1 "
           "= %.3g)",
           lambdas[l], NQ, worst);
    }
    free(x0);

    /* Along an annealed run every Euler step has λ = 1 − σ_{i+1}/σ_i and h = σ_i. */
    double sigmas[12];
    dg_schedule_make(&dg_schedule_edm, 0.08, 9.5, 0, 11, sigmas, &err);
    sigmas[11] = 0;
    const size_t nsig = 12, len = NQ * DIM;
    double *starts = random_points(rng, NQ, DIM, 0, sigmas[0]);
    double *apath = malloc(nsig * len * sizeof *apath),
           *targets = malloc(nsig * len * sizeof *apath);
    dg_meanshift_annealed(den, sigmas, nsig, NQ, DIM, starts, NULL, apath, targets, &err);
    double worst = INFINITY;
    for (size_t i = 0; i + 1 < nsig; i++)
        for (size_t q = 0; q < NQ; q++)
            worst = fmin(worst, likelihood_margin(y, apath + i * len + q * DIM,
                                                  targets + i * len + q * DIM,
                                                  1 - sigmas[i + 1] / sigmas[i], sigmas[i]));
    ok(worst >= -1e-9,
       "annealed run: every step raises log p̂_σi by at least the bound "
       "(least gain/bound − 1 = %.3g)",
       worst);
    free(starts);
    free(apath);
    free(targets);
}

/* ------------------------------------------------------------------------ */
/* Flat kernel (scikit-learn's MeanShift), worked by hand                   */
/* ------------------------------------------------------------------------ */

/*
 * Eight points in the plane, h = 1.25:
 *   a chain a1 = (2.385, 1.1), a2 = (3.285, 1.1), a3 = (4.185, 1.1), spacing
 *   0.9: a1 sees {a1, a2} (a3 is 1.8 away) and climbs to their mean 2.835,
 *   which again sees {a1, a2} (a3 at 1.35): centre (2.835, 1.1), count 2;
 *   a2 sees all three: centre (3.285, 1.1), count 3; a3: (3.735, 1.1), 2;
 *   a pair b = (−1.5, 0.4), (−0.9, 0.4): both climb to (−1.2, 0.4), count 2;
 *   a pair c = (−1.2, 4.0), (−1.2, 4.6): both climb to (−1.2, 4.3), count 2;
 *   a loner e = (−4.4, −2.3): count 1.
 * Sorted by (count, coordinates) descending: (3.285, 1.1) 3; then count 2
 * by x: (3.735, 1.1), (2.835, 1.1), and x = −1.2 twice, decided by y:
 * (−1.2, 4.3) before (−1.2, 0.4); last e.  (3.285, 1.1) suppresses the two
 * chain centres 0.45 away; the others lie farther than h from everything.
 * Every seed has stopped after at most two updates, the second moving by 0:
 * n_iter_ = 1.
 */
static void test_flat_by_hand(void)
{
    const double y[8 * 2] = {-1.5,  0.4, 2.385, 1.1, -1.2,  4.0, -4.4, -2.3,
                             4.185, 1.1, -0.9,  0.4, 3.285, 1.1, -1.2, 4.6};
    const double want_modes[4 * 2] = {3.285, 1.1, -1.2, 4.3, -1.2, 0.4, -4.4, -2.3};
    const size_t want_labels[8] = {2, 0, 1, 3, 0, 2, 0, 1};
    const size_t want_counts[8] = {2, 2, 2, 1, 2, 2, 3, 2};
    const double want_centres[8 * 2] = {-1.2,  0.4, 2.835, 1.1, -1.2,  4.3, -4.4, -2.3,
                                        3.735, 1.1, -1.2,  0.4, 3.285, 1.1, -1.2, 4.3};
    const double h = 1.25;
    const dg_meanshift_options opt = DG_MEANSHIFT_OPTIONS_DEFAULT;
    double path[(DG_MEANSHIFT_MAX_ITER + 2) * 8 * 2], modes[8 * 2];
    size_t counts[8], labels[8], iterations, n_iter, M = 0;
    dg_error err;
    int status =
        dg_meanshift_flat(y, 8, 2, h, y, 8, &opt, path, counts, &iterations, &n_iter, &err);
    const double *centres = path + iterations * 8 * 2;
    double e = 0;
    for (size_t k = 0; k < 16; k++)
        e = fmax(e, fabs(centres[k] - want_centres[k]));
    ok(status == DG_OK && e <= 1e-12 && memcmp(counts, want_counts, sizeof counts) == 0,
       "each seed climbs to its hand-computed centre (error %.2g) with its count", e);
    ok(iterations == 2 && n_iter == 1,
       "two updates at most (%zu), scikit-learn's n_iter_ = 1 "
       "(%zu)",
       iterations, n_iter);
    if (status == DG_OK)
        status = dg_meanshift_select(centres, counts, 8, 2, h, modes, &M, &err);
    e = 0;
    for (size_t k = 0; k < 2 * M && M == 4; k++)
        e = fmax(e, fabs(modes[k] - want_modes[k]));
    ok(status == DG_OK && M == 4 && e <= 1e-12,
       "four modes in scikit-learn's order, ties broken by the second coordinate (%zu, error "
       "%.2g)",
       M, e);
    if (status == DG_OK)
        status = dg_meanshift_label(y, 8, 2, modes, M, labels, &err);
    ok(status == DG_OK && memcmp(labels, want_labels, sizeof labels) == 0,
       "labels 2 0 1 3 0 2 0 1 (nearest mode)");

    /* tol 0: no seed converges, so each makes max_iter + 1 updates. */
    const dg_meanshift_options zero = {.tol = 0, .max_iter = 4};
    status = dg_meanshift_flat(y, 8, 2, h, y, 8, &zero, path, counts, &iterations, &n_iter, &err);
    ok(status == DG_OK && iterations == 5 && n_iter == 4,
       "tol 0, max_iter 4: 5 updates per seed (%zu), n_iter_ = 4 (%zu)", iterations, n_iter);

    /* A seed with no data within h stays put with count 0 and is dropped. */
    const double far[2 * 2] = {40.0, 40.0, -1.4, 0.5};
    status = dg_meanshift_flat(y, 8, 2, h, far, 2, &opt, path, counts, &iterations, &n_iter, &err);
    ok(status == DG_OK && counts[0] == 0 && counts[1] == 2 && path[iterations * 4] == 40.0 &&
           path[iterations * 4 + 1] == 40.0,
       "a seed with an empty neighbourhood stays where it is, count 0");
    if (status == DG_OK)
        status = dg_meanshift_select(path + iterations * 4, counts, 2, 2, h, modes, &M, &err);
    ok(status == DG_OK && M == 1 && fabs(modes[0] + 1.2) <= 1e-12 && fabs(modes[1] - 0.4) <= 1e-12,
       "select drops it and keeps (−1.2, 0.4)");
    ok(dg_meanshift_select(path + iterations * 4, counts, 1, 2, h, modes, &M, &err) == DG_EINVAL,
       "no seed with data: %s", err.message);
}

/*
 * The selection alone, h = 1.25.  Centres by seed, with counts:
 *   (0, 0) 5, (1.2, 0) 3, (2.385, 0) 2, X = (6.5, 6.5) 2, Y = (7.3, 6.5) 3,
 *   X again with 4, (9, 9) 0.
 * X is one centre with count 4 (the last seed's, as a dict overwrites); (9, 9)
 * is dropped.  Order: (0, 0) 5, X 4, then count 3 by x: Y, (1.2, 0); then
 * (2.385, 0).  (0, 0) suppresses (1.2, 0) at 1.2 ≤ h; X suppresses Y at 0.8;
 * (2.385, 0) is 2.385 from (0, 0) and stays, though within h of the
 * suppressed (1.2, 0).
 */
static void test_select_by_hand(void)
{
    const double c[7 * 2] = {0, 0, 1.2, 0, 2.385, 0, 6.5, 6.5, 7.3, 6.5, 6.5, 6.5, 9, 9};
    const size_t counts[7] = {5, 3, 2, 2, 3, 4, 0};
    const double want[3 * 2] = {0, 0, 6.5, 6.5, 2.385, 0};
    double modes[7 * 2];
    size_t M = 0;
    dg_error err;
    const int status = dg_meanshift_select(c, counts, 7, 2, 1.25, modes, &M, &err);
    ok(status == DG_OK && M == 3 && memcmp(modes, want, sizeof want) == 0,
       "select: (0, 0), (6.5, 6.5), (2.385, 0): the last count of a repeated centre counts, "
       "suppressed centres suppress nothing");
}

/* Ties, with values exact in binary: a point at distance exactly h is inside. */
static void test_flat_boundaries(void)
{
    const double y[2] = {2.375, 3.625}, modes[2] = {3.0, 1.0}, mid[1] = {2.0};
    double path[(DG_MEANSHIFT_MAX_ITER + 2) * 2];
    size_t counts[2], iterations, label = 7;
    dg_error err;
    const int status =
        dg_meanshift_flat(y, 2, 1, 1.25, y, 2, NULL, path, counts, &iterations, NULL, &err);
    ok(status == DG_OK && counts[0] == 2 && counts[1] == 2 && path[iterations * 2] == 3.0,
       "2.375 and 3.625 are h = 1.25 apart: each sees both and climbs to 3.0");
    ok(dg_meanshift_label(mid, 1, 1, modes, 2, &label, &err) == DG_OK && label == 0,
       "a point halfway between two modes takes the first");
    const double bad[2] = {2.375, NAN};
    double h;
    ok(dg_meanshift_flat(bad, 2, 1, 1.25, y, 2, NULL, path, counts, &iterations, NULL, &err) ==
               DG_ENONFINITE &&
           dg_meanshift_estimate_bandwidth(bad, 2, 1, 0.3, &h, &err) == DG_ENONFINITE,
       "NaN in the data is refused: %s", err.message);
}

static void test_bin_seeds(void)
{
    /* 1.25/0.5 = 2.5 and 1.75/0.5 = 3.5 round half to even: bins 2, 1, 4, 1, −0. */
    const double y[5] = {1.25, 0.3, 1.75, 0.45, -0.2};
    double seeds[5];
    size_t ns = 0;
    dg_error err;
    int status = dg_meanshift_bin_seeds(y, 5, 1, 0.5, 1, seeds, &ns, &err);
    ok(status == DG_OK && ns == 4 && seeds[0] == 1.0 && seeds[1] == 0.5 && seeds[2] == 2.0 &&
           seeds[3] == 0.0,
       "bins in the order of their first point, rounded half to even: 1.0 0.5 2.0 0.0");
    status = dg_meanshift_bin_seeds(y, 5, 1, 0.5, 2, seeds, &ns, &err);
    ok(status == DG_OK && ns == 1 && seeds[0] == 0.5, "min_freq 2 keeps the one bin of two");
    status = dg_meanshift_bin_seeds(y, 5, 1, 0.5, 3, seeds, &ns, &err);
    ok(status == DG_OK && ns == 0, "min_freq 3 keeps none");

    /*
     * float32 arithmetic: float32(0.3) = 10066330·2⁻²⁵; bin 8 gives
     * 80530640·2⁻²⁵ = 2.400000095367431640625; bin 17 gives 171127610·2⁻²⁵,
     * rounded to 24 bits: 171127616·2⁻²⁵ = 5.1000003814697265625.
     */
    const double z[3] = {2.385, 2.41, 5.0};
    status = dg_meanshift_bin_seeds(z, 3, 1, 0.3, 1, seeds, &ns, &err);
    ok(status == DG_OK && ns == 2 && seeds[0] == 2.400000095367431640625 &&
           seeds[1] == 5.1000003814697265625,
       "seeds are float32(bin)·float32(h) in float32: %.17g %.17g", seeds[0], seeds[1]);

    /* Every point alone in its bin: scikit-learn falls back to the points. */
    const double w[3] = {2.385, 5.0, 7.7};
    status = dg_meanshift_bin_seeds(w, 3, 1, 0.3, 1, seeds, &ns, &err);
    ok(status == DG_OK && ns == 3 && memcmp(seeds, w, sizeof w) == 0,
       "as many bins as points: the seeds are the points themselves");
}

static void test_estimate_bandwidth(void)
{
    /*
     * n = 7, quantile 0.3: k = int(2.1) = 2, the nearest other point:
     * 0.615 0.615 0.5 0.5 0.3 0.3 1.6, mean 4.43/7.  Quantile 0.5: k = 3, the
     * second nearest: 1.815 1.2 1.2 1.7 1.9 1.6 1.9, mean 11.315/7.
     */
    const double y[7] = {2.385, 3.0, 4.2, 4.7, 7.1, 7.4, 9.0};
    double h = 0, h5 = 0;
    dg_error err;
    int status = dg_meanshift_estimate_bandwidth(y, 7, 1, 0.3, &h, &err);
    check_rel(status == DG_OK ? h : NAN, 4.43 / 7, 1e-14, "estimate_bandwidth, quantile 0.3");
    status = dg_meanshift_estimate_bandwidth(y, 7, 1, 0.5, &h5, &err);
    check_rel(status == DG_OK ? h5 : NAN, 11.315 / 7, 1e-14, "estimate_bandwidth, quantile 0.5");
    /* The same points on a line through the plane: distances scale by ‖(0.6, 0.8)‖ = 1. */
    double p[14];
    for (size_t i = 0; i < 7; i++) {
        p[2 * i] = -3.1 + 0.6 * y[i];
        p[2 * i + 1] = 0.8 * y[i];
    }
    status = dg_meanshift_estimate_bandwidth(p, 7, 2, 0.3, &h, &err);
    check_rel(status == DG_OK ? h : NAN, 4.43 / 7, 1e-14, "estimate_bandwidth in the plane");
    ok(dg_meanshift_estimate_bandwidth(y, 7, 1, 0.0, &h, &err) == DG_EINVAL,
       "quantile 0 is rejected: %s", err.message);
}

/* The flat climb and the bandwidth do not depend on the number of threads. */
static void test_threads(gsl_rng *rng)
{
#ifdef _OPENMP
    const size_t n = 300, dim = 3;
    double *y = random_points(rng, n, dim, 2.385, 1.4);
    double *p1 = malloc((DG_MEANSHIFT_MAX_ITER + 2) * n * dim * sizeof *p1);
    double *p2 = malloc((DG_MEANSHIFT_MAX_ITER + 2) * n * dim * sizeof *p2);
    size_t *c1 = malloc(n * sizeof *c1), *c2 = malloc(n * sizeof *c2), i1, i2, n1, n2;
    double h1, h2;
    dg_error err;
    omp_set_num_threads(1);
    dg_meanshift_estimate_bandwidth(y, n, dim, 0.2, &h1, &err);
    dg_meanshift_flat(y, n, dim, h1, y, n, NULL, p1, c1, &i1, &n1, &err);
    omp_set_num_threads(3);
    dg_meanshift_estimate_bandwidth(y, n, dim, 0.2, &h2, &err);
    dg_meanshift_flat(y, n, dim, h2, y, n, NULL, p2, c2, &i2, &n2, &err);
    ok(h1 == h2 && i1 == i2 && n1 == n2 && memcmp(p1, p2, (i1 + 1) * n * dim * sizeof *p1) == 0 &&
           memcmp(c1, c2, n * sizeof *c1) == 0,
       "1 and 3 threads: the same bandwidth and bit-identical paths");
    free(y);
    free(p1);
    free(p2);
    free(c1);
    free(c2);
#else
    (void)rng;
    ok(1, "# SKIP built without OpenMP");
#endif
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2385);
    dg_blas_set_threads(1);
    double *y = random_points(rng, N_DATA, DIM, 2.385, 1.3);
    dg_denoiser *den = NULL;
    dg_error err;
    if (dg_denoiser_empirical_alloc(y, N_DATA, DIM, &den, &err) != DG_OK) {
        diag("cannot build the denoiser: %s", err.message);
        return 1;
    }

    test_gaussian_iterates(rng, y, den);
    test_annealed_is_euler(rng, den, &dg_schedule_edm, 13, 1);
    test_annealed_is_euler(rng, den, &dg_schedule_logsnr, 9, 0);
    test_monotone_likelihood(rng, y, den);
    test_flat_by_hand();
    test_flat_boundaries();
    test_select_by_hand();
    test_bin_seeds();
    test_estimate_bandwidth();
    test_threads(rng);

    dg_denoiser_free(den);
    free(y);
    gsl_rng_free(rng);
    return done_testing();
}
