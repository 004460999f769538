/*
 * Tests of dg_solver: Euler and Heun against an independent long-double
 * implementation of doc/theory.md §5 with the reference denoiser, exact NFE, the
 * mean-shift identity of an Euler step (doc/theory.md §3), and the driver's checks.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffgeo.h"
#include "reference.h"
#include "tap.h"

#define N_DATA 700
#define DIM 6
#define NQ 5

/* Options of the reference integration. */
typedef struct ref_options {
    unsigned max_order;
    int afs, denoise_to_zero, threshold;
} ref_options;

/* Dynamic thresholding, written from its definition: the 0.995 quantile
 * (linear interpolation between order statistics) of |D| per sample. */
static int cmp_ld(const void *a, const void *b)
{
    const long double x = *(const long double *)a, y = *(const long double *)b;
    return (x > y) - (x < y);
}

static void ref_threshold(long double *den)
{
    for (size_t q = 0; q < NQ; q++) {
        long double a[DIM];
        for (size_t k = 0; k < DIM; k++)
            a[k] = fabsl(den[q * DIM + k]);
        qsort(a, DIM, sizeof a[0], cmp_ld);
        const long double pos = 0.995L * (DIM - 1);
        const size_t lo = (size_t)pos;
        long double s = lo + 1 < DIM ? a[lo] + (pos - lo) * (a[lo + 1] - a[lo]) : a[lo];
        if (s < 1)
            s = 1;
        for (size_t k = 0; k < DIM; k++) {
            long double v = den[q * DIM + k];
            v = v > s ? s : v < -s ? -s : v;
            den[q * DIM + k] = v / s;
        }
    }
}

/* D(x; σ) from the long-double reference, rounded through double as the
 * library's denoiser interface is. */
static void ref_eval(const double *y, const long double *x, double sigma, int threshold,
                     long double *out, size_t *nfe)
{
    double xd[NQ * DIM], od[NQ * DIM];
    for (size_t k = 0; k < NQ * DIM; k++)
        xd[k] = (double)x[k];
    ref_denoise(y, N_DATA, DIM, xd, NQ, sigma, od);
    for (size_t k = 0; k < NQ * DIM; k++)
        out[k] = od[k];
    if (threshold)
        ref_threshold(out);
    ++*nfe;
}

/*
 * The mean of the Lagrange basis polynomial of node j over [t[0], t[0] + h],
 * nodes t[0..m−1]: expanded into monomials of u = t − t[0] and integrated
 * term by term (independent of the library's quadrature).
 */
static long double lagrange_mean(const long double *t, unsigned m, unsigned j, long double h)
{
    long double poly[DG_SOLVER_MAX_ORDER + 1] = {1}; /* coefficients of u^k */
    unsigned deg = 0;
    for (unsigned k = 0; k < m; k++) {
        if (k == j)
            continue;
        /* multiply by (u − (t_k − t_0)) / (t_j − t_k) */
        const long double root = t[k] - t[0], scale = t[j] - t[k];
        for (unsigned p = deg + 2; p-- > 0;) {
            const long double lower = p ? poly[p - 1] : 0;
            poly[p] = (lower - root * poly[p]) / scale;
        }
        deg++;
    }
    long double mean = 0;
    for (unsigned p = 0; p <= deg; p++)
        mean += poly[p] * powl(h, p) / (p + 1);
    return mean;
}

/*
 * Independent integration of doc/theory.md §5, in long double, keeping the
 * history as lists of D and d (the DS and k-diffusion code structure), not as
 * the library's coefficient form.
 */
static void ref_solve(const dg_solver_type *type, const ref_options *o, const double *y,
                      const double *sigmas, size_t nsig, const double *x0, double *traj,
                      double *den, size_t *nfe)
{
    enum { L = NQ * DIM };
    long double x[L], d_hist[4][L], den_hist[3][L], cur[L], slope[L], probe[L], den_probe[L];
    const unsigned max_order = o->max_order ? o->max_order : 4;
    for (size_t k = 0; k < L; k++)
        x[k] = x0[k];
    memcpy(traj, x0, L * sizeof *traj);
    *nfe = 0;
    for (size_t i = 0; i + 1 < nsig; i++) {
        const long double s = sigmas[i], t = sigmas[i + 1];
        if (o->afs && i == 0)
            for (size_t k = 0; k < L; k++)
                cur[k] = x[k] - s * (x[k] / sqrtl(1 + s * s));
        else
            ref_eval(y, x, sigmas[i], o->threshold, cur, nfe);
        for (size_t k = 0; k < L; k++) {
            den[i * L + k] = (double)cur[k];
            slope[k] = (x[k] - cur[k]) / s;
        }
        /* Shift the histories: index 0 is the current step. */
        memmove(d_hist[1], d_hist[0], 3 * sizeof d_hist[0]);
        memmove(den_hist[1], den_hist[0], 2 * sizeof den_hist[0]);
        memcpy(d_hist[0], slope, sizeof slope);
        memcpy(den_hist[0], cur, sizeof cur);

        if (o->denoise_to_zero && t == 0) {
            memcpy(x, cur, sizeof x);
        } else if (type == &dg_solver_euler ||
                   ((type == &dg_solver_heun || type == &dg_solver_dpm2) && t == 0)) {
            for (size_t k = 0; k < L; k++)
                x[k] += (t - s) * slope[k];
        } else if (type == &dg_solver_heun || type == &dg_solver_dpm2) {
            const long double m = type == &dg_solver_heun ? t : sqrtl(s * t);
            for (size_t k = 0; k < L; k++)
                probe[k] = x[k] + (m - s) * slope[k];
            ref_eval(y, probe, (double)m, o->threshold, den_probe, nfe);
            for (size_t k = 0; k < L; k++) {
                const long double dp = (probe[k] - den_probe[k]) / m;
                x[k] += (t - s) * (type == &dg_solver_heun ? (slope[k] + dp) / 2 : dp);
            }
        } else if (type == &dg_solver_dpmpp2m || type == &dg_solver_dpmpp3m) {
            if (t == 0) {
                memcpy(x, cur, sizeof x);
            } else {
                const long double h = logl(s / t), phi1 = expm1l(-h);
                const long double phi2 = phi1 / h + 1, phi3 = phi2 / h - 0.5L;
                for (size_t k = 0; k < L; k++) {
                    long double dt = cur[k], extra = 0;
                    if (type == &dg_solver_dpmpp2m && i >= 1) {
                        const long double r = logl(sigmas[i - 1] / s) / h;
                        dt = (1 + 1 / (2 * r)) * cur[k] - (1 / (2 * r)) * den_hist[1][k];
                    } else if (type == &dg_solver_dpmpp3m && i == 1) {
                        const long double r = logl(sigmas[i - 1] / s) / h;
                        extra = phi2 * (cur[k] - den_hist[1][k]) / r;
                    } else if (type == &dg_solver_dpmpp3m && i >= 2) {
                        const long double r0 = logl(sigmas[i - 1] / s) / h;
                        const long double r1 = logl(sigmas[i - 2] / sigmas[i - 1]) / h;
                        const long double d10 = (cur[k] - den_hist[1][k]) / r0;
                        const long double d11 = (den_hist[1][k] - den_hist[2][k]) / r1;
                        const long double D1 = d10 + (d10 - d11) * r0 / (r0 + r1);
                        const long double D2 = (d10 - d11) / (r0 + r1);
                        extra = phi2 * D1 - phi3 * D2;
                    }
                    x[k] = (t / s) * x[k] - phi1 * dt + extra;
                }
            }
        } else { /* ipndm, ipndm_v */
            const unsigned order = i + 1 < max_order ? (unsigned)(i + 1) : max_order;
            static const long double ab[4][4] = {{1},
                                                 {1.5L, -0.5L},
                                                 {23 / 12.0L, -16 / 12.0L, 5 / 12.0L},
                                                 {55 / 24.0L, -59 / 24.0L, 37 / 24.0L, -9 / 24.0L}};
            long double c[4], nodes[4];
            for (unsigned j = 0; j < order; j++) {
                nodes[j] = sigmas[i - j];
                c[j] = ab[order - 1][j];
            }
            if (type == &dg_solver_ipndm_v)
                for (unsigned j = 0; j < order; j++)
                    c[j] = lagrange_mean(nodes, order, j, t - s);
            for (size_t k = 0; k < L; k++) {
                long double sum = 0;
                for (unsigned j = 0; j < order; j++)
                    sum += c[j] * d_hist[j][k];
                x[k] += (t - s) * sum;
            }
        }
        for (size_t k = 0; k < L; k++)
            traj[(i + 1) * L + k] = (double)x[k];
    }
}

static void test_against_reference(gsl_rng *rng, const double *y, dg_denoiser *den,
                                   const dg_solver_type *type, int final_zero,
                                   const dg_schedule_type *schedule, size_t steps,
                                   const ref_options *o)
{
    static const ref_options plain = {0};
    if (!o)
        o = &plain;
    double sigmas[40];
    dg_error err;
    dg_schedule_make(schedule, 0.013, 47.5, 0, steps, sigmas, &err);
    const size_t nsig = steps + (final_zero ? 1 : 0);
    if (final_zero)
        sigmas[steps] = 0;
    const size_t len = NQ * DIM;
    double *x0 = random_points(rng, NQ, DIM, 0, sigmas[0]);
    double *traj = malloc(nsig * len * sizeof *traj), *dn = malloc(nsig * len * sizeof *dn);
    double *rtraj = malloc(nsig * len * sizeof *rtraj), *rdn = malloc(nsig * len * sizeof *rdn);
    size_t nfe = 0, rnfe = 0;
    const dg_solve_options opt = {.afs = o->afs,
                                  .denoise_to_zero = o->denoise_to_zero,
                                  .threshold = o->threshold,
                                  .max_order = o->max_order};
    int status = dg_solve(type, den, sigmas, nsig, NQ, DIM, x0, traj, dn, &opt, &nfe, &err);
    ref_solve(type, o, y, sigmas, nsig, x0, rtraj, rdn, &rnfe);
    const double et = max_rel_error(traj, rtraj, nsig * NQ, DIM);
    const double ed = max_rel_error(dn, rdn, (nsig - 1) * NQ, DIM);
    char what[160];
    snprintf(what, sizeof what, "%s%s%s%s max order %u, %s grid of %zu%s", type->name,
             o->afs ? " --afs" : "", o->denoise_to_zero ? " --denoise-to-zero" : "",
             o->threshold ? " --threshold" : "", o->max_order ? o->max_order : 4, schedule->name,
             steps, final_zero ? " + σ = 0" : "");
    ok(status == DG_OK && et <= 1e-9 && ed <= 1e-9,
       "%s: trajectory within %.2e, denoised within %.2e of the reference", what, et, ed);
    ok(nfe == rnfe && dg_solver_nfe(type, sigmas, nsig, &opt) == rnfe,
       "%s: NFE = %zu (reference %zu)", what, nfe, rnfe);
    free(x0);
    free(traj);
    free(dn);
    free(rtraj);
    free(rdn);
}

/* One Euler step is a convex blend toward the mean-shift target D = m_σ(x). */
static void test_mean_shift_identity(gsl_rng *rng, dg_denoiser *den)
{
    const double sigmas[2] = {3.7, 1.9};
    double *x0 = random_points(rng, NQ, DIM, 0, 3.7);
    double traj[2 * NQ * DIM], dn[NQ * DIM];
    dg_error err;
    dg_solve(&dg_solver_euler, den, sigmas, 2, NQ, DIM, x0, traj, dn, NULL, NULL, &err);
    const double r = sigmas[1] / sigmas[0];
    double worst = 0;
    for (size_t k = 0; k < NQ * DIM; k++) {
        /* Relative to the size of the two terms, the scale of rounding in a
         * sum: where they nearly cancel, the blend itself is all rounding. */
        const double blend = r * x0[k] + (1 - r) * dn[k];
        const double scale = fabs(r * x0[k]) + fabs((1 - r) * dn[k]);
        worst = fmax(worst, fabs(traj[NQ * DIM + k] - blend) / (scale + 1e-300));
    }
    ok(worst <= 1e-14, "Euler step = (σ'/σ) x + (1 − σ'/σ) m_σ(x) (relative error %.2e)", worst);
    free(x0);
}

static void cancel_after_first(void *ctx, size_t done, size_t total)
{
    (void)total;
    volatile sig_atomic_t *flag = ctx;
    if (done == 1)
        *flag = 1;
}

static void test_driver_checks(gsl_rng *rng, dg_denoiser *den)
{
    double sigmas[5] = {10, 5, 2, 1, 0.5};
    double *x0 = random_points(rng, NQ, DIM, 0, 10);
    double traj[5 * NQ * DIM], dn[4 * NQ * DIM];
    dg_error err;
    volatile sig_atomic_t flag = 0;
    dg_solve_options opt = {
        .progress = cancel_after_first, .progress_ctx = (void *)&flag, .cancel = &flag};
    ok(dg_solve(&dg_solver_heun, den, sigmas, 5, NQ, DIM, x0, traj, dn, &opt, NULL, &err) ==
           DG_ECANCELLED,
       "a cancel flag stops the run: %s", err.message);
    double rising[3] = {1, 2, 3};
    ok(dg_solve(&dg_solver_euler, den, rising, 3, NQ, DIM, x0, traj, dn, NULL, NULL, &err) ==
           DG_EINVAL,
       "an increasing grid is refused: %s", err.message);
    ok(dg_solve(&dg_solver_euler, den, sigmas, 5, NQ, DIM - 1, x0, traj, dn, NULL, NULL, &err) ==
           DG_EINVAL,
       "a dimension mismatch is refused: %s", err.message);
    x0[7] = NAN;
    ok(dg_solve(&dg_solver_euler, den, sigmas, 5, NQ, DIM, x0, traj, dn, NULL, NULL, &err) ==
           DG_ENONFINITE,
       "NaN start points are refused: %s", err.message);
    ok(dg_solver_find("euler") == &dg_solver_euler && dg_solver_find("heun") == &dg_solver_heun &&
           dg_solver_find("rk45") == NULL,
       "solvers are found by name");
    free(x0);
}

/*
 * The table holds the seven documented solvers, each found by its name; the
 * tool prints 1 + extra_evals as the evaluations per step, which a run must
 * count (on steps that do not end in σ = 0); summaries are one line without
 * a hand-written evaluation count.
 */
static void test_table(gsl_rng *rng, dg_denoiser *den)
{
    static const char *const documented[] = {"euler",   "heun",  "dpm2",   "dpmpp2m",
                                             "dpmpp3m", "ipndm", "ipndm_v"};
    const size_t count = sizeof documented / sizeof *documented;
    size_t entries = 0;
    while (dg_solver_types[entries])
        entries++;
    ok(entries == count, "the solver table has the %zu documented solvers (%zu)", count, entries);
    for (size_t k = 0; k < count; k++) {
        const dg_solver_type *s = dg_solver_find(documented[k]);
        ok(s && strcmp(s->name, documented[k]) == 0, "%s is found by name", documented[k]);
        if (!s)
            continue;
        ok(s->summary && s->summary[0] && !strchr(s->summary, '\n') &&
               !strstr(s->summary, "evaluation"),
           "%s: a one-line summary without an evaluation count", s->name);
        double sigmas[4] = {10, 4, 1, 0.25}, *x0 = random_points(rng, NQ, DIM, 0, 10);
        double traj[4 * NQ * DIM], dn[3 * NQ * DIM];
        size_t nfe = 0;
        dg_error err;
        const int status = dg_solve(s, den, sigmas, 4, NQ, DIM, x0, traj, dn, NULL, &nfe, &err);
        ok(status == DG_OK && nfe == 3 * (1 + s->extra_evals),
           "%s: %u evaluations per step, as the help says (%zu in 3 steps)", s->name,
           1 + s->extra_evals, nfe);
        free(x0);
    }
    for (size_t a = 0; dg_solver_types[a]; a++)
        for (size_t b = a + 1; dg_solver_types[b]; b++)
            ok(strcmp(dg_solver_types[a]->name, dg_solver_types[b]->name) != 0,
               "solver names %zu and %zu differ", a, b);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 4242);
    /* Data not centred at the origin, in a few loose clusters. */
    double *y = random_points(rng, N_DATA, DIM, 0, 0.4);
    for (size_t i = 0; i < N_DATA; i++)
        for (size_t k = 0; k < DIM; k++)
            y[i * DIM + k] += 1.3 * (double)((i * 7 + k) % 5) - 0.9;
    dg_denoiser *den = NULL;
    dg_error err;
    dg_denoiser_empirical_alloc(y, N_DATA, DIM, &den, &err);

    for (size_t t = 0; dg_solver_types[t]; t++)
        for (int fz = 0; fz <= 1; fz++)
            test_against_reference(rng, y, den, dg_solver_types[t], fz, &dg_schedule_edm, 14, NULL);
    test_against_reference(rng, y, den, &dg_solver_heun, 0, &dg_schedule_logsnr, 9, NULL);
    test_against_reference(rng, y, den, &dg_solver_euler, 1, &dg_schedule_time_uniform, 13, NULL);
    /* The options, on solvers where they matter most. */
    const ref_options afs = {.afs = 1}, dtz = {.denoise_to_zero = 1};
    const ref_options order2 = {.max_order = 2}, order3 = {.max_order = 3};
    const ref_options thr = {.threshold = 1};
    test_against_reference(rng, y, den, &dg_solver_ipndm, 0, &dg_schedule_edm, 12, &afs);
    test_against_reference(rng, y, den, &dg_solver_heun, 0, &dg_schedule_edm, 12, &afs);
    test_against_reference(rng, y, den, &dg_solver_dpmpp2m, 0, &dg_schedule_logsnr, 12, &afs);
    test_against_reference(rng, y, den, &dg_solver_ipndm_v, 1, &dg_schedule_edm, 12, &dtz);
    test_against_reference(rng, y, den, &dg_solver_heun, 1, &dg_schedule_edm, 12, &dtz);
    test_against_reference(rng, y, den, &dg_solver_ipndm, 0, &dg_schedule_edm, 12, &order2);
    test_against_reference(rng, y, den, &dg_solver_ipndm_v, 0, &dg_schedule_logsnr, 12, &order3);
    test_against_reference(rng, y, den, &dg_solver_dpmpp2m, 0, &dg_schedule_edm, 12, &thr);
    test_mean_shift_identity(rng, den);
    test_driver_checks(rng, den);
    test_table(rng, den);

    dg_denoiser_free(den);
    free(y);
    gsl_rng_free(rng);
    return done_testing();
}
