/* dg_solver: probability-flow ODE solvers and the run driver (PAPER.md §5). */
#include "config.h"

#include "dg_solver.h"

#include <string.h>

#include "dg_schedule.h"
#include "dg_tensor.h"

int dg_solver_eval(dg_solver_work *w, const double *x, double sigma,
                   double *out, dg_error *err)
{
    w->nfe++;
    return dg_denoiser_eval(w->den, x, w->n, sigma, out, err);
}

/* ------------------------------------------------------------------------ */
/* Steps                                                                    */
/* ------------------------------------------------------------------------ */

/* y ← x + h (x − D)/σ: one Euler step of length h = σ_next − σ. */
static void euler_update(double *y, const double *x, const double *den_x,
                         double sigma, double h, size_t len)
{
    for (size_t k = 0; k < len; k++)
        y[k] = x[k] + h * ((x[k] - den_x[k]) / sigma);
}

static int euler_step(dg_solver_work *w, size_t i, double *x,
                      const double *den_x, dg_error *err)
{
    (void)err;
    const double sigma = w->sigmas[i], h = w->sigmas[i + 1] - sigma;
    euler_update(x, x, den_x, sigma, h, w->n * w->dim);
    return DG_OK;
}

/*
 * EDM Algorithm 2 without churn: an Euler predictor, then the trapezoidal
 * average of the slopes at both ends, except on a step into σ = 0.
 */
static int heun_step(dg_solver_work *w, size_t i, double *x,
                     const double *den_x, dg_error *err)
{
    const size_t len = w->n * w->dim;
    const double sigma = w->sigmas[i], next = w->sigmas[i + 1];
    const double h = next - sigma;
    double *pred = w->scratch[0], *den_pred = w->scratch[1];

    euler_update(pred, x, den_x, sigma, h, len);
    if (next == 0) {
        memcpy(x, pred, len * sizeof *x);
        return DG_OK;
    }
    int status = dg_solver_eval(w, pred, next, den_pred, err);
    if (status != DG_OK)
        return status;
    for (size_t k = 0; k < len; k++) {
        const double d0 = (x[k] - den_x[k]) / sigma;
        const double d1 = (pred[k] - den_pred[k]) / next;
        x[k] = x[k] + h * (0.5 * d0 + 0.5 * d1);
    }
    return DG_OK;
}

const dg_solver_type dg_solver_euler = {
    .name = "euler",
    .summary = "first-order Euler step in σ (equivalent to DDIM)",
    .order = 1,
    .extra_evals = 0,
    .step = euler_step,
};

const dg_solver_type dg_solver_heun = {
    .name = "heun",
    .summary = "second-order Heun (EDM Algorithm 2, no churn), 2 evaluations per step",
    .order = 2,
    .extra_evals = 1,
    .step = heun_step,
};

const dg_solver_type *const dg_solver_types[] = {&dg_solver_euler, &dg_solver_heun, NULL};

const dg_solver_type *dg_solver_find(const char *name)
{
    for (size_t k = 0; dg_solver_types[k]; k++)
        if (strcmp(dg_solver_types[k]->name, name) == 0)
            return dg_solver_types[k];
    return NULL;
}

size_t dg_solver_nfe(const dg_solver_type *type, const double *sigmas,
                     size_t nsigmas)
{
    size_t nfe = 0;
    for (size_t i = 0; i + 1 < nsigmas; i++)
        nfe += 1 + (sigmas[i + 1] > 0 ? type->extra_evals : 0);
    return nfe;
}

/* ------------------------------------------------------------------------ */
/* Driver                                                                   */
/* ------------------------------------------------------------------------ */

int dg_solve(const dg_solver_type *type, dg_denoiser *den,
             const double *sigmas, size_t nsigmas, size_t n, size_t dim,
             const double *x0, double *trajectory, double *denoised,
             const dg_solve_options *opt, size_t *nfe, dg_error *err)
{
    int status = dg_schedule_check(sigmas, nsigmas, err);
    if (status != DG_OK)
        return status;
    if (dim != dg_denoiser_dim(den))
        return dg_error_set(err, DG_EINVAL, "start points have dimension %zu, the data %zu",
                            dim, dg_denoiser_dim(den));
    if (n == 0)
        return dg_error_set(err, DG_EINVAL, "no start points");
    status = dg_check_finite(x0, n, dim, "start points", err);
    if (status != DG_OK)
        return status;

    const size_t len = n * dim, steps = nsigmas - 1;
    dg_solver_work w = {den, n, dim, sigmas, nsigmas, {NULL, NULL}, 0};
    w.scratch[0] = dg_doubles_alloc(n, dim);
    w.scratch[1] = dg_doubles_alloc(n, dim);
    if (!w.scratch[0] || !w.scratch[1]) {
        status = dg_error_set(err, DG_ENOMEM, "cannot allocate solver workspace for %zu × %zu",
                              n, dim);
        goto release;
    }

    memcpy(trajectory, x0, len * sizeof *trajectory);
    for (size_t i = 0; i < steps; i++) {
        double *x = trajectory + (i + 1) * len;
        double *den_x = denoised + i * len;
        memcpy(x, trajectory + i * len, len * sizeof *x);
        status = dg_solver_eval(&w, x, sigmas[i], den_x, err);
        if (status == DG_OK)
            status = type->step(&w, i, x, den_x, err);
        if (status != DG_OK)
            goto release;
        if (opt && opt->progress)
            opt->progress(opt->progress_ctx, i + 1, steps);
        if (opt && opt->cancel && *opt->cancel) {
            status = dg_error_set(err, DG_ECANCELLED, "interrupted after step %zu of %zu",
                                  i + 1, steps);
            goto release;
        }
    }
    if (nfe)
        *nfe = w.nfe;

release:
    dg_doubles_free(w.scratch[0]);
    dg_doubles_free(w.scratch[1]);
    return status;
}
