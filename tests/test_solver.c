/*
 * Tests of dg_solver: Euler and Heun against an independent long-double
 * implementation of PAPER.md §5 with the reference denoiser, exact NFE, the
 * mean-shift identity of an Euler step (PAPER.md §3), and the driver's checks.
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

/* Independent integration: Euler or Heun (EDM Algorithm 2 without churn). */
static void ref_solve(int heun, const double *y, const double *sigmas, size_t nsig,
                      const double *x0, double *traj, double *den, size_t *nfe)
{
    const size_t len = NQ * DIM;
    double x[NQ * DIM], d0[NQ * DIM], pred[NQ * DIM], d1[NQ * DIM];
    memcpy(x, x0, sizeof x);
    memcpy(traj, x0, sizeof x);
    *nfe = 0;
    for (size_t i = 0; i + 1 < nsig; i++) {
        const double s = sigmas[i], t = sigmas[i + 1];
        ref_denoise(y, N_DATA, DIM, x, NQ, s, d0);
        ++*nfe;
        memcpy(den + i * len, d0, sizeof d0);
        for (size_t k = 0; k < len; k++)
            pred[k] = x[k] + (t - s) * (x[k] - d0[k]) / s;
        if (heun && t > 0) {
            ref_denoise(y, N_DATA, DIM, pred, NQ, t, d1);
            ++*nfe;
            for (size_t k = 0; k < len; k++)
                x[k] = x[k] + (t - s) * ((x[k] - d0[k]) / s + (pred[k] - d1[k]) / t) / 2;
        } else {
            memcpy(x, pred, sizeof x);
        }
        memcpy(traj + (i + 1) * len, x, sizeof x);
    }
}

static void test_against_reference(gsl_rng *rng, const double *y, dg_denoiser *den,
                                   const dg_solver_type *type, int final_zero,
                                   const dg_schedule_type *schedule, size_t steps)
{
    double sigmas[32];
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
    int status = dg_solve(type, den, sigmas, nsig, NQ, DIM, x0, traj, dn, NULL, &nfe, &err);
    ref_solve(type == &dg_solver_heun, y, sigmas, nsig, x0, rtraj, rdn, &rnfe);
    const double et = max_rel_error(traj, rtraj, nsig * NQ, DIM);
    const double ed = max_rel_error(dn, rdn, (nsig - 1) * NQ, DIM);
    ok(status == DG_OK && et <= 1e-9 && ed <= 1e-9,
       "%s, %s grid of %zu%s: trajectory within %.2e, denoised within %.2e of the reference",
       type->name, schedule->name, steps, final_zero ? " + σ = 0" : "", et, ed);
    const size_t T = nsig - 1;
    const size_t want_nfe = type == &dg_solver_heun ? 2 * T - (final_zero ? 1 : 0) : T;
    ok(nfe == want_nfe && rnfe == want_nfe && dg_solver_nfe(type, sigmas, nsig) == want_nfe,
       "%s: NFE = %zu (expected %zu)", type->name, nfe, want_nfe);
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
        const double blend = r * x0[k] + (1 - r) * dn[k];
        worst = fmax(worst, fabs(traj[NQ * DIM + k] - blend) / (fabs(blend) + 1e-300));
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
    dg_solve_options opt = {cancel_after_first, (void *)&flag, &flag};
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

    for (int fz = 0; fz <= 1; fz++) {
        test_against_reference(rng, y, den, &dg_solver_euler, fz, &dg_schedule_edm, 21);
        test_against_reference(rng, y, den, &dg_solver_heun, fz, &dg_schedule_edm, 18);
    }
    test_against_reference(rng, y, den, &dg_solver_heun, 0, &dg_schedule_logsnr, 9);
    test_against_reference(rng, y, den, &dg_solver_euler, 1, &dg_schedule_time_uniform, 13);
    test_mean_shift_identity(rng, den);
    test_driver_checks(rng, den);

    dg_denoiser_free(den);
    free(y);
    gsl_rng_free(rng);
    return done_testing();
}
