/* dg_solver: probability-flow ODE solvers and the run driver (doc/theory.md §5). */
#include "config.h"

#include "dg_solver.h"

#include <gsl/gsl_sort.h>
#include <gsl/gsl_statistics_double.h>
#include <math.h>
#include <string.h>

#include "dg_schedule.h"
#include "dg_tensor.h"

/* ------------------------------------------------------------------------ */
/* Evaluations                                                              */
/* ------------------------------------------------------------------------ */

void dg_dynamic_threshold(double *den, size_t n, size_t dim, double *scratch)
{
    for (size_t s = 0; s < n; s++) {
        double *row = den + s * dim;
        for (size_t k = 0; k < dim; k++)
            scratch[k] = fabs(row[k]);
        gsl_sort(scratch, 1, dim);
        const double q =
            gsl_stats_quantile_from_sorted_data(scratch, 1, dim, DG_THRESHOLD_QUANTILE);
        const double limit = fmax(q, 1.0);
        for (size_t k = 0; k < dim; k++)
            row[k] = fmin(fmax(row[k], -limit), limit) / limit;
    }
}

int dg_solver_eval(dg_solver_work *w, const double *x, double sigma, double *out, dg_error *err)
{
    w->nfe++;
    int status = dg_denoiser_eval(w->den, x, w->n, sigma, out, err);
    if (status == DG_OK && w->threshold)
        dg_dynamic_threshold(out, w->n, w->dim, w->scratch[2]);
    return status;
}

/* Block j of the trajectory and of the denoising outputs. */
static const double *x_at(const dg_solver_work *w, size_t j)
{
    return w->traj + j * w->n * w->dim;
}

static const double *den_at(const dg_solver_work *w, size_t j)
{
    return w->denoised + j * w->n * w->dim;
}

/* ------------------------------------------------------------------------ */
/* One-step solvers                                                         */
/* ------------------------------------------------------------------------ */

/* y ← x + h (x − D)/σ: one Euler step of length h = σ_next − σ. */
static void euler_update(double *y, const double *x, const double *den_x, double sigma, double h,
                         size_t len)
{
    for (size_t k = 0; k < len; k++)
        y[k] = x[k] + h * ((x[k] - den_x[k]) / sigma);
}

static int euler_step(dg_solver_work *w, size_t i, double *x, const double *den_x, dg_error *err)
{
    (void)err;
    const double sigma = w->sigmas[i], h = w->sigmas[i + 1] - sigma;
    euler_update(x, x, den_x, sigma, h, w->n * w->dim);
    return DG_OK;
}

/*
 * Second-order steps with one extra evaluation at σ_probe, reached by an Euler
 * predictor: x_{i+1} = x_i + h (a d_i + b d(x_probe)).  Heun probes σ_{i+1}
 * with a = b = ½; DPM-Solver-2 probes σ_mid = sqrt(σ_i σ_{i+1}) with a = 0,
 * b = 1.  A step into σ = 0 is Euler (EDM, k-diffusion).
 */
static int two_stage_step(dg_solver_work *w, size_t i, double *x, const double *den_x, double probe,
                          double a, double b, dg_error *err)
{
    const size_t len = w->n * w->dim;
    const double sigma = w->sigmas[i], next = w->sigmas[i + 1];
    const double h = next - sigma;
    double *pred = w->scratch[0], *den_pred = w->scratch[1];

    if (next == 0)
        return euler_step(w, i, x, den_x, err);
    euler_update(pred, x, den_x, sigma, probe - sigma, len);
    int status = dg_solver_eval(w, pred, probe, den_pred, err);
    if (status != DG_OK)
        return status;
    for (size_t k = 0; k < len; k++) {
        const double d0 = (x[k] - den_x[k]) / sigma;
        const double d1 = (pred[k] - den_pred[k]) / probe;
        x[k] = x[k] + h * (a * d0 + b * d1);
    }
    return DG_OK;
}

static int heun_step(dg_solver_work *w, size_t i, double *x, const double *den_x, dg_error *err)
{
    return two_stage_step(w, i, x, den_x, w->sigmas[i + 1], 0.5, 0.5, err);
}

static int dpm2_step(dg_solver_work *w, size_t i, double *x, const double *den_x, dg_error *err)
{
    const double mid = sqrt(w->sigmas[i] * w->sigmas[i + 1]);
    return two_stage_step(w, i, x, den_x, mid, 0.0, 1.0, err);
}

/* ------------------------------------------------------------------------ */
/* DPM-Solver++ multistep (data prediction, λ = −ln σ)                      */
/* ------------------------------------------------------------------------ */

/*
 * x ← (σ'/σ) x − expm1(−h) D_i + c1 (D_i − D_{i−1}) + c2 (D_{i−1} − D_{i−2}),
 * the common form of the multistep DPM-Solver++ updates (c1 = c2 = 0 on the
 * first step).  Into σ = 0 the update is x ← D_i.
 */
static void dpmpp_update(dg_solver_work *w, size_t i, double *x, const double *den_x, double c1,
                         double c2)
{
    const size_t len = w->n * w->dim;
    const double sigma = w->sigmas[i], next = w->sigmas[i + 1];
    if (next == 0) {
        memcpy(x, den_x, len * sizeof *x);
        return;
    }
    const double ratio = next / sigma, phi1 = expm1(-log(sigma / next));
    const double *d1 = i >= 1 ? den_at(w, i - 1) : den_x;
    const double *d2 = i >= 2 ? den_at(w, i - 2) : d1;
    for (size_t k = 0; k < len; k++)
        x[k] = ratio * x[k] - phi1 * den_x[k] + c1 * (den_x[k] - d1[k]) + c2 * (d1[k] - d2[k]);
}

/* h_j = ln(σ_j/σ_{j+1}), the step in λ = −ln σ. */
static double lambda_step(const dg_solver_work *w, size_t j)
{
    return log(w->sigmas[j] / w->sigmas[j + 1]);
}

static int dpmpp2m_step(dg_solver_work *w, size_t i, double *x, const double *den_x, dg_error *err)
{
    (void)err;
    double c1 = 0;
    if (i >= 1 && w->sigmas[i + 1] > 0) {
        /* −expm1(−h) D̃ with D̃ = D_i + (D_i − D_{i−1})/(2r). */
        const double h = lambda_step(w, i), r = lambda_step(w, i - 1) / h;
        c1 = -expm1(-h) / (2 * r);
    }
    dpmpp_update(w, i, x, den_x, c1, 0);
    return DG_OK;
}

static int dpmpp3m_step(dg_solver_work *w, size_t i, double *x, const double *den_x, dg_error *err)
{
    (void)err;
    double c1 = 0, c2 = 0;
    if (i >= 1 && w->sigmas[i + 1] > 0) {
        const double h = lambda_step(w, i);
        const double phi2 = expm1(-h) / h + 1, phi3 = phi2 / h - 0.5;
        const double r0 = lambda_step(w, i - 1) / h;
        if (i == 1) {
            c1 = phi2 / r0; /* second order: φ₂ (D_i − D_{i−1})/r₀ */
        } else {
            /* φ₂ D1 − φ₃ D2 with divided differences
             * d0 = (D_i − D_{i−1})/r₀, d1 = (D_{i−1} − D_{i−2})/r₁,
             * D1 = d0 + (d0 − d1) r₀/(r₀ + r₁), D2 = (d0 − d1)/(r₀ + r₁). */
            const double r1 = lambda_step(w, i - 2) / h, s = r0 + r1;
            const double a = phi2 * (1 + r0 / s) - phi3 / s; /* coefficient of d0 */
            const double b = -phi2 * r0 / s + phi3 / s;      /* coefficient of d1 */
            c1 = a / r0;
            c2 = b / r1;
        }
    }
    dpmpp_update(w, i, x, den_x, c1, c2);
    return DG_OK;
}

/* ------------------------------------------------------------------------ */
/* iPNDM: Adams–Bashforth in σ                                              */
/* ------------------------------------------------------------------------ */

/* x ← x + h Σ_j c_j d_{i−j}, d_j = (x_j − D_j)/σ_j, with d_i from den_x. */
static void adams_bashforth(dg_solver_work *w, size_t i, double *x, const double *den_x,
                            const double *c, unsigned order)
{
    const size_t len = w->n * w->dim;
    const double h = w->sigmas[i + 1] - w->sigmas[i];
    for (size_t k = 0; k < len; k++) {
        double slope = c[0] * ((x[k] - den_x[k]) / w->sigmas[i]);
        for (unsigned j = 1; j < order; j++)
            slope += c[j] * ((x_at(w, i - j)[k] - den_at(w, i - j)[k]) / w->sigmas[i - j]);
        x[k] = x[k] + h * slope;
    }
}

static unsigned multistep_order(const dg_solver_work *w, size_t i)
{
    return i + 1 < w->max_order ? (unsigned)(i + 1) : w->max_order;
}

static int ipndm_step(dg_solver_work *w, size_t i, double *x, const double *den_x, dg_error *err)
{
    (void)err;
    static const double coeff[DG_SOLVER_MAX_ORDER][DG_SOLVER_MAX_ORDER] = {
        {1.0},
        {3.0 / 2, -1.0 / 2},
        {23.0 / 12, -16.0 / 12, 5.0 / 12},
        {55.0 / 24, -59.0 / 24, 37.0 / 24, -9.0 / 24},
    };
    const unsigned order = multistep_order(w, i);
    adams_bashforth(w, i, x, den_x, coeff[order - 1], order);
    return DG_OK;
}

/*
 * Variable-step Adams–Bashforth: c_j is the mean over [σ_i, σ_{i+1}] of the
 * Lagrange basis polynomial that is 1 at σ_{i−j} and 0 at the other nodes
 * σ_i, …, σ_{i−order+1}.  Three-point Gauss–Legendre quadrature is exact for
 * these polynomials (degree ≤ 3).
 */
static void variable_step_coefficients(const double *sigmas, size_t i, unsigned order, double *c)
{
    static const double node[3] = {-0.77459666924148337704, 0.0, 0.77459666924148337704};
    static const double weight[3] = {5.0 / 9, 8.0 / 9, 5.0 / 9};
    const double t0 = sigmas[i], h = sigmas[i + 1] - t0;
    for (unsigned j = 0; j < order; j++) {
        c[j] = 0;
        for (int q = 0; q < 3; q++) {
            const double t = t0 + 0.5 * h * (1 + node[q]);
            double basis = 1;
            for (unsigned m = 0; m < order; m++)
                if (m != j)
                    basis *= (t - sigmas[i - m]) / (sigmas[i - j] - sigmas[i - m]);
            c[j] += 0.5 * weight[q] * basis;
        }
    }
}

static int ipndm_v_step(dg_solver_work *w, size_t i, double *x, const double *den_x, dg_error *err)
{
    (void)err;
    double c[DG_SOLVER_MAX_ORDER];
    const unsigned order = multistep_order(w, i);
    variable_step_coefficients(w->sigmas, i, order, c);
    adams_bashforth(w, i, x, den_x, c, order);
    return DG_OK;
}

/* ------------------------------------------------------------------------ */
/* The table                                                                */
/* ------------------------------------------------------------------------ */

const dg_solver_type dg_solver_euler = {
    "euler", "first-order Euler step in σ (equivalent to DDIM)", 1, 1, 0, euler_step};
const dg_solver_type dg_solver_heun = {
    "heun", "second-order Heun (EDM Algorithm 2, no churn)", 2, 2, 1, heun_step};
const dg_solver_type dg_solver_dpm2 = {
    "dpm2", "DPM-Solver-2 (r = 1/2), midpoint in log σ", 2, 2, 1, dpm2_step};
const dg_solver_type dg_solver_dpmpp2m = {
    "dpmpp2m", "DPM-Solver++(2M), multistep in log σ", 2, 2, 0, dpmpp2m_step};
const dg_solver_type dg_solver_dpmpp3m = {
    "dpmpp3m",   "DPM-Solver++(3M) as published (second order, see dg_solver.h)", 2, 2, 0,
    dpmpp3m_step};
const dg_solver_type dg_solver_ipndm = {
    "ipndm",   "improved PNDM: Adams-Bashforth in σ up to --max-order (4), warm start", 4, 2, 0,
    ipndm_step};
const dg_solver_type dg_solver_ipndm_v = {
    "ipndm_v", "iPNDM with true variable-step Adams-Bashforth coefficients", 4, 2, 0, ipndm_v_step};

const dg_solver_type *const dg_solver_types[] = {
    &dg_solver_euler,   &dg_solver_heun,  &dg_solver_dpm2,    &dg_solver_dpmpp2m,
    &dg_solver_dpmpp3m, &dg_solver_ipndm, &dg_solver_ipndm_v, NULL};

const dg_solver_type *dg_solver_find(const char *name)
{
    for (size_t k = 0; dg_solver_types[k]; k++)
        if (strcmp(dg_solver_types[k]->name, name) == 0)
            return dg_solver_types[k];
    return NULL;
}

size_t dg_solver_nfe(const dg_solver_type *type, const double *sigmas, size_t nsigmas,
                     const dg_solve_options *opt)
{
    size_t nfe = 0;
    for (size_t i = 0; i + 1 < nsigmas; i++) {
        const int analytic = opt && opt->afs && i == 0;
        nfe += (analytic ? 0 : 1) + (sigmas[i + 1] > 0 ? type->extra_evals : 0);
    }
    return nfe;
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                   */
/* ------------------------------------------------------------------------ */

/* D_0 = x_0 − σ_0 d_0 with the analytical first slope d_0 = x_0/sqrt(1 + σ_0²). */
static void analytic_first_denoised(const double *x, size_t len, double sigma, double *den)
{
    const double scale = 1 / sqrt(1 + sigma * sigma);
    for (size_t k = 0; k < len; k++)
        den[k] = x[k] - sigma * (x[k] * scale);
}

/* The arguments of dg_solve that it checks before it allocates. */
static int check_solve(dg_denoiser *den, const double *sigmas, size_t nsigmas, size_t n, size_t dim,
                       const double *x0, const dg_solve_options *opt, dg_error *err)
{
    int status = dg_schedule_check(sigmas, nsigmas, err);
    if (status != DG_OK)
        return status;
    if (dim != dg_denoiser_dim(den))
        return dg_error_set(err, DG_EINVAL, "start points have dimension %zu, the data %zu", dim,
                            dg_denoiser_dim(den));
    if (n == 0)
        return dg_error_set(err, DG_EINVAL, "no start points");
    if (opt->max_order > DG_SOLVER_MAX_ORDER)
        return dg_error_set(err, DG_EINVAL, "maximum order %u: must be 1 to %d", opt->max_order,
                            DG_SOLVER_MAX_ORDER);
    return dg_check_finite(x0, n, dim, "start points", err);
}

/* Step i of a run: x_{i+1} and D(x_i; σ_i) into the trajectory and the denoised blocks. */
static int solve_step(const dg_solver_type *type, dg_solver_work *w, const dg_solve_options *opt,
                      double *trajectory, double *denoised, size_t i, dg_error *err)
{
    const size_t len = w->n * w->dim;
    double *x = trajectory + (i + 1) * len;
    double *den_x = denoised + i * len;
    int status = DG_OK;
    memcpy(x, trajectory + i * len, len * sizeof *x);
    if (opt->afs && i == 0)
        analytic_first_denoised(x, len, w->sigmas[0], den_x);
    else
        status = dg_solver_eval(w, x, w->sigmas[i], den_x, err);
    if (status != DG_OK)
        return status;
    if (opt->denoise_to_zero && w->sigmas[i + 1] == 0) {
        memcpy(x, den_x, len * sizeof *x);
        return DG_OK;
    }
    return type->step(w, i, x, den_x, err);
}

/* The step's scratch buffers (two n × dim, one dim); on failure some may be NULL. */
static int alloc_scratch(dg_solver_work *w, dg_error *err)
{
    w->scratch[0] = dg_doubles_alloc(w->n, w->dim);
    w->scratch[1] = dg_doubles_alloc(w->n, w->dim);
    w->scratch[2] = dg_doubles_alloc(1, w->dim);
    if (!w->scratch[0] || !w->scratch[1] || !w->scratch[2])
        return dg_error_set(err, DG_ENOMEM, "cannot allocate solver workspace for %zu × %zu", w->n,
                            w->dim);
    return DG_OK;
}

int dg_solve(const dg_solver_type *type, dg_denoiser *den, const double *sigmas, size_t nsigmas,
             size_t n, size_t dim, const double *x0, double *trajectory, double *denoised,
             const dg_solve_options *opt, size_t *nfe, dg_error *err)
{
    static const dg_solve_options defaults = {0};
    if (!opt)
        opt = &defaults;
    int status = check_solve(den, sigmas, nsigmas, n, dim, x0, opt, err);
    if (status != DG_OK)
        return status;

    const size_t steps = nsigmas - 1;
    dg_solver_work w = {
        .den = den,
        .n = n,
        .dim = dim,
        .sigmas = sigmas,
        .nsigmas = nsigmas,
        .traj = trajectory,
        .denoised = denoised,
        .max_order = opt->max_order ? opt->max_order : DG_SOLVER_MAX_ORDER,
        .threshold = opt->threshold,
    };
    status = alloc_scratch(&w, err);
    /* A distributed denoiser's processes evaluate together, or none does. */
    status = dg_denoiser_agree(den, status, err);
    if (status != DG_OK)
        goto free_scratch;

    memcpy(trajectory, x0, n * dim * sizeof *trajectory);
    for (size_t i = 0; i < steps; i++) {
        status = solve_step(type, &w, opt, trajectory, denoised, i, err);
        if (status != DG_OK)
            goto free_scratch;
        if (opt->progress)
            opt->progress(opt->progress_ctx, i + 1, steps);
        if (opt->cancel && *opt->cancel) {
            status =
                dg_error_set(err, DG_ECANCELLED, "interrupted after step %zu of %zu", i + 1, steps);
            goto free_scratch;
        }
    }
    if (nfe)
        *nfe = w.nfe;

free_scratch:
    for (int k = 0; k < 3; k++)
        dg_doubles_free(w.scratch[k]);
    return status;
}
