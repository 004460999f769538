/*
 * dg_solver: solvers of the probability-flow ODE dx/dσ = (x − D(x; σ))/σ
 * (PAPER.md §1, §5) and the run driver that records a trajectory.
 *
 * A solver is a const type descriptor with a step function; the driver
 * evaluates D(x_i; σ_i) once per step (that is the denoising trajectory) and
 * hands it to the step, which may evaluate the denoiser again (Heun).  A grid
 * may end in σ = 0 (EDM/k-diffusion convention); the step into 0 is then an
 * Euler step, which returns D(x; σ) itself.
 */
#ifndef DG_SOLVER_H
#define DG_SOLVER_H

#include <signal.h>
#include <stddef.h>

#include "dg_denoiser.h"
#include "dg_status.h"

/* The state a step works in; owned by the driver, one per run. */
typedef struct dg_solver_work {
    dg_denoiser *den;
    size_t n, dim;        /* batch of n points in R^dim */
    const double *sigmas; /* the grid */
    size_t nsigmas;
    double *scratch[2];   /* two n × dim buffers for the step's own use */
    size_t nfe;           /* denoiser evaluations so far */
} dg_solver_work;

typedef struct dg_solver_type {
    const char *name;    /* "euler", "heun" */
    const char *summary; /* one line for --help */
    unsigned order;      /* order of accuracy in the step size */
    /* Evaluations per step besides D(x_i; σ_i), on steps that do not end in σ = 0. */
    unsigned extra_evals;
    /*
     * x ← x_{i+1} from x = x_i and den_x = D(x_i; σ_i) (both n × dim).  Uses
     * dg_solver_eval for any further evaluation, so NFE stays exact.
     */
    int (*step)(dg_solver_work *w, size_t i, double *x, const double *den_x,
                dg_error *err);
} dg_solver_type;

/* Euler (≡ DDIM): x_{i+1} = x_i + (σ_{i+1} − σ_i) d_i, d_i = (x_i − D_i)/σ_i. */
extern const dg_solver_type dg_solver_euler;
/* Heun (EDM Algorithm 2 without churn); Euler on a step into σ = 0. */
extern const dg_solver_type dg_solver_heun;

/* The NULL-terminated table of solvers and lookup by name (NULL if unknown). */
extern const dg_solver_type *const dg_solver_types[];
const dg_solver_type *dg_solver_find(const char *name);

/* out ← D(x; σ) for the work's batch, counting one function evaluation. */
int dg_solver_eval(dg_solver_work *w, const double *x, double sigma,
                   double *out, dg_error *err);

/* The number of denoiser evaluations a run of type over this grid makes. */
size_t dg_solver_nfe(const dg_solver_type *type, const double *sigmas,
                     size_t nsigmas);

typedef struct dg_solve_options {
    /* Called after each step with (steps done, steps in all); may be NULL. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    /* When non-NULL and set non-zero (e.g. by a signal handler), the run stops
     * after the current step with DG_ECANCELLED. */
    const volatile sig_atomic_t *cancel;
} dg_solve_options;

/*
 * Integrates from the n start points x0 (n × dim, at σ_0) along the grid
 * sigmas[0..T] (T + 1 = nsigmas entries, checked by dg_schedule_check).
 * Writes trajectory ((T+1) × n × dim; row block 0 = x0, block T = the end)
 * and denoised (T × n × dim; block i = D(x_i; σ_i)), and *nfe (may be NULL).
 * opt may be NULL.  Returns DG_EINVAL for a bad grid or a dimension mismatch,
 * DG_ECANCELLED, or the denoiser's status.
 */
int dg_solve(const dg_solver_type *type, dg_denoiser *den,
             const double *sigmas, size_t nsigmas, size_t n, size_t dim,
             const double *x0, double *trajectory, double *denoised,
             const dg_solve_options *opt, size_t *nfe, dg_error *err);

#endif /* DG_SOLVER_H */
