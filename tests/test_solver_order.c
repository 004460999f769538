/*
 * Orders of accuracy of every solver on single Gaussians N(μ, U diag(λ) Uᵀ),
 * whose probability-flow ODE has a closed-form solution (doc/theory.md §2):
 * z_j(σ) = z_j(σ₀) sqrt((λ_j + σ²)/(λ_j + σ₀²)) in the eigenbasis.  The
 * Gaussian, its denoiser and its flow are implemented here, independently of
 * the library, for full (rotated), diagonal and low-rank covariances.
 *
 * Two measurements per solver:
 *  - local: one step from exact history errs by O(h^(order+1));
 *  - global: a whole run errs by O(N^−global_order) (multistep methods keep
 *    the O(h²) error of their Euler start, see dg_solver.h).
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffgeo.h"
#include "tap.h"

#define DIM 4
#define NPTS 2
#define SLOPE_TOL 0.3

typedef struct gaussian {
    const char *name;
    double mu[DIM];
    double u[DIM][DIM]; /* columns are the eigenvectors */
    double lambda[DIM]; /* eigenvalues; 0 = a direction of zero variance */
} gaussian;

/* z = Uᵀ(x − μ) */
static void to_eigen(const gaussian *g, const double *x, double *z)
{
    for (int j = 0; j < DIM; j++) {
        z[j] = 0;
        for (int k = 0; k < DIM; k++)
            z[j] += g->u[k][j] * (x[k] - g->mu[k]);
    }
}

static void from_eigen(const gaussian *g, const double *z, double *x)
{
    for (int k = 0; k < DIM; k++) {
        x[k] = g->mu[k];
        for (int j = 0; j < DIM; j++)
            x[k] += g->u[k][j] * z[j];
    }
}

/* D(x; σ) = μ + U diag(λ/(λ + σ²)) Uᵀ (x − μ) */
static int gaussian_eval(void *state, const double *x, size_t n, double sigma, double *out,
                         dg_error *err)
{
    (void)err;
    const gaussian *g = state;
    for (size_t i = 0; i < n; i++) {
        double z[DIM];
        to_eigen(g, x + i * DIM, z);
        for (int j = 0; j < DIM; j++)
            z[j] *= g->lambda[j] / (g->lambda[j] + sigma * sigma);
        from_eigen(g, z, out + i * DIM);
    }
    return DG_OK;
}

static void no_free(void *state)
{
    (void)state;
}

static const dg_denoiser_type gaussian_type = {"test-gaussian", gaussian_eval, no_free};

/* The exact flow from σ₀ to σ. */
static void gaussian_flow(const gaussian *g, const double *x0, double s0, double s, double *x)
{
    for (size_t i = 0; i < NPTS; i++) {
        double z[DIM];
        to_eigen(g, x0 + i * DIM, z);
        for (int j = 0; j < DIM; j++)
            z[j] *= sqrt((g->lambda[j] + s * s) / (g->lambda[j] + s0 * s0));
        from_eigen(g, z, x + i * DIM);
    }
}

static double max_abs_diff(const double *a, const double *b, size_t len)
{
    double m = 0;
    for (size_t k = 0; k < len; k++)
        m = fmax(m, fabs(a[k] - b[k]));
    return m;
}

/* Least-squares slope of log(err) against log(h). */
static double loglog_slope(const double *h, const double *err, int count)
{
    double sx = 0, sy = 0, sxx = 0, sxy = 0;
    for (int k = 0; k < count; k++) {
        const double lx = log(h[k]), ly = log(err[k]);
        sx += lx;
        sy += ly;
        sxx += lx * lx;
        sxy += lx * ly;
    }
    return (count * sxy - sx * sy) / (count * sxx - sx * sx);
}

/*
 * Local order: history σ_{i−j} = s0 + c_j h (j = 1..3), σ_i = s0, σ_{i+1} =
 * s0 − h, with exact x and D at every history point; one step from there.
 */
static void test_local_order(const gaussian *g, dg_denoiser *den, const dg_solver_type *type,
                             const double *x_ref)
{
    /* iPNDM's constant coefficients assume equal steps. */
    static const double uniform[3] = {1, 2, 3}, uneven[3] = {1.3, 2.9, 4.1};
    const double *c = type == &dg_solver_ipndm ? uniform : uneven;
    const double s0 = 1.1;
    const size_t len = NPTS * DIM;
    double hs[4], errs[4];
    for (int r = 0; r < 4; r++) {
        const double h = 0.08 / (1 << r);
        const double sigmas[5] = {s0 + c[2] * h, s0 + c[1] * h, s0 + c[0] * h, s0, s0 - h};
        double traj[4 * NPTS * DIM], dn[4 * NPTS * DIM], x[NPTS * DIM], want[NPTS * DIM];
        double s0buf[NPTS * DIM], s1buf[NPTS * DIM], s2buf[DIM];
        for (int j = 0; j < 4; j++) {
            gaussian_flow(g, x_ref, s0, sigmas[j], traj + j * len);
            gaussian_eval((void *)g, traj + j * len, NPTS, sigmas[j], dn + j * len, NULL);
        }
        dg_solver_work w = {.den = den,
                            .n = NPTS,
                            .dim = DIM,
                            .sigmas = sigmas,
                            .nsigmas = 5,
                            .traj = traj,
                            .denoised = dn,
                            .max_order = DG_SOLVER_MAX_ORDER,
                            .scratch = {s0buf, s1buf, s2buf}};
        memcpy(x, traj + 3 * len, sizeof x);
        dg_error err;
        type->step(&w, 3, x, dn + 3 * len, &err);
        gaussian_flow(g, x_ref, s0, s0 - h, want);
        hs[r] = h;
        errs[r] = max_abs_diff(x, want, len);
    }
    const double slope = loglog_slope(hs, errs, 4);
    ok(fabs(slope - (type->order + 1)) <= SLOPE_TOL,
       "%s, %s covariance: local error slope %.2f (order %u + 1; errors %.1e … %.1e)", type->name,
       g->name, slope, type->order, errs[0], errs[3]);
}

/* Global order: whole runs on edm grids from σ = 10 to 0.05, N = 128, 256, 512 steps. */
static void test_global_order(const gaussian *g, dg_denoiser *den, const dg_solver_type *type,
                              const double *x0)
{
    const double smax = 10, smin = 0.05;
    double hs[3], errs[3], want[NPTS * DIM];
    gaussian_flow(g, x0, smax, smin, want);
    for (int r = 0; r < 3; r++) {
        const size_t steps = (size_t)128 << r;
        double *sigmas = malloc((steps + 1) * sizeof *sigmas);
        double *traj = malloc((steps + 1) * NPTS * DIM * sizeof *traj);
        double *dn = malloc(steps * NPTS * DIM * sizeof *dn);
        dg_error err;
        dg_schedule_make(&dg_schedule_edm, smin, smax, 7, steps + 1, sigmas, &err);
        dg_solve(type, den, sigmas, steps + 1, NPTS, DIM, x0, traj, dn, NULL, NULL, &err);
        hs[r] = 1.0 / (double)steps;
        errs[r] = max_abs_diff(traj + steps * NPTS * DIM, want, NPTS * DIM);
        free(sigmas);
        free(traj);
        free(dn);
    }
    const double slope = loglog_slope(hs, errs, 3);
    ok(fabs(slope - type->global_order) <= SLOPE_TOL,
       "%s, %s covariance: global error slope %.2f over N = 128…512 (global order %u)", type->name,
       g->name, slope, type->global_order);
}

/* An orthonormal basis: the Householder reflection I − 2vvᵀ/‖v‖². */
static void householder(double u[DIM][DIM], const double *v)
{
    double vv = 0;
    for (int k = 0; k < DIM; k++)
        vv += v[k] * v[k];
    for (int a = 0; a < DIM; a++)
        for (int b = 0; b < DIM; b++)
            u[a][b] = (a == b) - 2 * v[a] * v[b] / vv;
}

/*
 * The library's Gaussian kinds against the test's own: dg_gmm with the same
 * covariance (full from U diag(λ) Uᵀ, diagonal, low rank from the non-zero
 * directions) gives the same denoiser and flow; then the global order is
 * measured through the library's "gmm" denoiser as well.
 */
static void test_library_gaussian(const gaussian *g, int kind, const double *x0)
{
    dg_gmm *lib = NULL;
    dg_error err;
    dg_gmm_alloc(1, DIM, &lib, &err);
    double cov[DIM * DIM], dirs[DIM * DIM], vals[DIM];
    size_t r = 0;
    for (int a = 0; a < DIM; a++)
        for (int b = 0; b < DIM; b++) {
            cov[a * DIM + b] = 0;
            for (int j = 0; j < DIM; j++)
                cov[a * DIM + b] += g->u[a][j] * g->lambda[j] * g->u[b][j];
        }
    for (int j = 0; j < DIM; j++)
        if (g->lambda[j] > 0) {
            for (int k = 0; k < DIM; k++)
                dirs[r * DIM + k] = g->u[k][j];
            vals[r++] = g->lambda[j];
        }
    int status = kind == 0   ? dg_gmm_set_full(lib, 0, 1.0, g->mu, cov, &err)
                 : kind == 1 ? dg_gmm_set_diag(lib, 0, 1.0, g->mu, g->lambda, &err)
                             : dg_gmm_set_lowrank(lib, 0, 1.0, g->mu, r, dirs, vals, &err);
    double mine[NPTS * DIM], theirs[NPTS * DIM];
    gaussian_flow(g, x0, 10, 0.05, mine);
    status |= dg_gmm_gaussian_flow(lib, x0, NPTS, 10, 0.05, theirs, &err);
    const double flow_err = max_abs_diff(mine, theirs, NPTS * DIM);
    gaussian_eval((void *)g, x0, NPTS, 0.37, mine, NULL);
    status |= dg_gmm_denoise(lib, x0, NPTS, 0.37, theirs, &err);
    const double den_err = max_abs_diff(mine, theirs, NPTS * DIM);
    ok(status == DG_OK && flow_err < 1e-12 && den_err < 1e-12,
       "dg_gmm, %s covariance: flow within %.1e, denoiser within %.1e of the test's Gaussian",
       g->name, flow_err, den_err);
    dg_denoiser *den = NULL;
    dg_denoiser_gmm_alloc(lib, &den, &err);
    test_global_order(g, den, &dg_solver_heun, x0);
    test_global_order(g, den, &dg_solver_dpmpp2m, x0);
    dg_denoiser_free(den);
    dg_gmm_free(lib);
}

int main(void)
{
    gaussian full = {"full", {0.3, -1.2, 2.385, 0.7}, {{0}}, {0.05, 0.4, 1.7, 3.3}};
    gaussian diag = {"diagonal", {-0.4, 0.9, 0.15, -2.2}, {{0}}, {0.12, 0.85, 2.6, 0.33}};
    gaussian low = {"low-rank", {1.4, 0.2, -0.6, 0.35}, {{0}}, {0, 0.8, 0, 2.6}};
    const double v1[DIM] = {1.0, -0.7, 0.4, 2.1}, v2[DIM] = {-0.3, 1.9, 0.8, 0.5};
    householder(full.u, v1);
    householder(low.u, v2);
    for (int k = 0; k < DIM; k++)
        diag.u[k][k] = 1;

    const gaussian *cases[] = {&full, &diag, &low};
    const double x_ref[NPTS * DIM] = {1.7, -0.3, 2.9, 0.2, -0.8, 1.1, 0.45, -2.3};
    const double x0[NPTS * DIM] = {12.5, -7.1, 4.4, 9.8, -3.6, 15.2, -11.0, 2.7};
    for (int c = 0; c < 3; c++) {
        dg_denoiser *den = dg_denoiser_wrap(&gaussian_type, DIM, (void *)cases[c]);
        for (size_t t = 0; dg_solver_types[t]; t++) {
            test_local_order(cases[c], den, dg_solver_types[t], x_ref);
            test_global_order(cases[c], den, dg_solver_types[t], x0);
        }
        dg_denoiser_free(den);
        test_library_gaussian(cases[c], c, x0);
    }
    return done_testing();
}
