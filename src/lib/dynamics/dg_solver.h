/*
 * dg_solver: solvers of the probability-flow ODE dx/dσ = (x − D(x; σ))/σ
 * (doc/theory.md §1, §5) and the run driver that records a trajectory.
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

/* The largest order of the multistep (Adams–Bashforth) solvers. */
#define DG_SOLVER_MAX_ORDER 4

/* The quantile of |D| that dynamic thresholding scales to 1 (Imagen, DS code). */
#define DG_THRESHOLD_QUANTILE 0.995

/* The state a step works in; owned by the driver, one per run. */
typedef struct dg_solver_work {
    dg_denoiser *den;
    size_t n, dim;        /* batch of n points in R^dim */
    const double *sigmas; /* the grid */
    size_t nsigmas;
    const double *traj;     /* the trajectory so far: blocks 0..i are set */
    const double *denoised; /* D(x_j; σ_j) for j ≤ i (multistep history) */
    unsigned max_order;     /* order cap of ipndm and ipndm_v (1..4) */
    int threshold;          /* apply dynamic thresholding to every D */
    double *scratch[3];     /* two n × dim buffers and one of dim for the step */
    size_t nfe;             /* denoiser evaluations so far */
} dg_solver_work;

typedef struct dg_solver_type {
    const char *name;    /* "euler", "heun", "dpm2", "dpmpp2m", ... */
    const char *summary; /* one line for --help; the tool adds the evaluations per step */
    /* Order of accuracy of the step formula with full history: one step from
     * exact values errs by O(h^(order+1)). */
    unsigned order;
    /* Order of the error of a whole run.  Multistep methods start with an
     * Euler step (then lower orders) whose O(h²) local error stays in the
     * result, so theirs is min(order, 2) asymptotically; the higher order
     * shows at moderate step counts, where the start at large σ is nearly
     * straight. */
    unsigned global_order;
    /* Evaluations per step besides D(x_i; σ_i), on steps that do not end in σ = 0. */
    unsigned extra_evals;
    /*
     * x ← x_{i+1} from x = x_i and den_x = D(x_i; σ_i) (both n × dim).  Uses
     * dg_solver_eval for any further evaluation, so NFE stays exact.
     */
    int (*step)(dg_solver_work *w, size_t i, double *x, const double *den_x, dg_error *err);
} dg_solver_type;

/* Euler (≡ DDIM): x_{i+1} = x_i + (σ_{i+1} − σ_i) d_i, d_i = (x_i − D_i)/σ_i. */
extern const dg_solver_type dg_solver_euler;
/* Heun (EDM Algorithm 2 without churn); Euler on a step into σ = 0. */
extern const dg_solver_type dg_solver_heun;
/* DPM-Solver-2 (r = ½): slope at σ_mid = sqrt(σ_i σ_{i+1}); Euler into σ = 0. */
extern const dg_solver_type dg_solver_dpm2;
/*
 * DPM-Solver++(2M) in λ = −ln σ, h_i = ln(σ_i/σ_{i+1}):
 * x_{i+1} = (σ_{i+1}/σ_i) x_i − expm1(−h_i) D̃_i, D̃_i = D_i on the first step,
 * else (1 + 1/(2r)) D_i − (1/(2r)) D_{i−1} with r = h_{i−1}/h_i; into σ = 0,
 * x_{i+1} = D_i.
 */
extern const dg_solver_type dg_solver_dpmpp2m;
/*
 * DPM-Solver++(3M) exactly as published (DPM-Solver++, k-diffusion,
 * diff-sampler): adds the second divided difference D2 with weight −φ₃
 * (φ₂ = φ₁/h + 1, φ₃ = φ₂/h − ½, φ₁ = expm1(−h)); warm start with 1st and 2nd
 * order.  Note: D2 ≈ h² D''/2 while the exact weight of D'' is −h²φ₃, so the
 * published update has a local error of O(h³): a second-order method (measured
 * in tests/test_solver_order.c).  It is kept as published so that trajectories
 * match those codes.
 */
extern const dg_solver_type dg_solver_dpmpp3m;
/* iPNDM: Adams–Bashforth in σ with the constant-step coefficients, order
 * min(max_order, i + 1). */
extern const dg_solver_type dg_solver_ipndm;
/* iPNDM_v: Adams–Bashforth with the true variable-step coefficients, the
 * mean of each Lagrange basis polynomial over the step. */
extern const dg_solver_type dg_solver_ipndm_v;

/* The NULL-terminated table of solvers and lookup by name (NULL if unknown). */
extern const dg_solver_type *const dg_solver_types[];
const dg_solver_type *dg_solver_find(const char *name);

/* out ← D(x; σ) for the work's batch, counting one function evaluation. */
int dg_solver_eval(dg_solver_work *w, const double *x, double sigma, double *out, dg_error *err);

/*
 * Dynamic thresholding of the DS code, per row of d values: s = the
 * DG_THRESHOLD_QUANTILE quantile of |D| (linear interpolation), s ← max(s, 1),
 * D ← clamp(D, −s, s)/s.  scratch holds d doubles.
 */
void dg_dynamic_threshold(double *den, size_t n, size_t dim, double *scratch);

/* How the first and last steps are taken (doc/theory.md §5). */
typedef struct dg_solve_options {
    /* Analytical first step: D(x_0; σ_0) is replaced by x_0 − σ_0 x_0/sqrt(1 + σ_0²),
     * i.e. d_0 = x_0/sqrt(1 + σ_0²), saving one evaluation. */
    int afs;
    /* A last step into σ = 0 returns D(x; σ) itself (DS's denoise-to-zero)
     * instead of the solver's own rule. */
    int denoise_to_zero;
    /* Dynamic thresholding of every denoiser output (off by default: it breaks
     * data outside [−1, 1]). */
    int threshold;
    /* Order cap of ipndm and ipndm_v, 1..DG_SOLVER_MAX_ORDER; 0 means 4. */
    unsigned max_order;
    /* Called after each step with (steps done, steps in all); may be NULL. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    /* When non-NULL and set non-zero (e.g. by a signal handler), the run stops
     * after the current step with DG_ECANCELLED. */
    const volatile sig_atomic_t *cancel;
} dg_solve_options;

/* The number of denoiser evaluations a run of type over this grid makes
 * with these options (opt may be NULL). */
size_t dg_solver_nfe(const dg_solver_type *type, const double *sigmas, size_t nsigmas,
                     const dg_solve_options *opt);

/*
 * Integrates from the n start points x0 (n × dim, at σ_0) along the grid
 * sigmas[0..T] (T + 1 = nsigmas entries, checked by dg_schedule_check).
 * Writes trajectory ((T+1) × n × dim; row block 0 = x0, block T = the end)
 * and denoised (T × n × dim; block i = D(x_i; σ_i)), and *nfe (may be NULL).
 * opt may be NULL.  Returns DG_EINVAL for a bad grid or a dimension mismatch,
 * DG_ECANCELLED, or the denoiser's status.
 */
int dg_solve(const dg_solver_type *type, dg_denoiser *den, const double *sigmas, size_t nsigmas,
             size_t n, size_t dim, const double *x0, double *trajectory, double *denoised,
             const dg_solve_options *opt, size_t *nfe, dg_error *err);

#endif /* DG_SOLVER_H */
