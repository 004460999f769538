/*
 * dg_gmm_internal: what the files of dg_gmm share.  Internal to libdiffgeo:
 * not installed.
 *
 * - dg_gmm.c            the mixture, its evaluations and its denoiser
 * - dg_gmm_fit.c        the Gaussian fit and EM
 * - dg_gmm_load.c       the HDF5 loader
 * - dg_gmm_synthetic.c  the built-in teaching mixtures
 */
#ifndef DG_GMM_INTERNAL_H
#define DG_GMM_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include "dg_gmm.h"
#include "dg_status.h"

#define QB DG_GMM_QUERY_BLOCK
/* ln 2π, for the normalising constant −(d/2) ln 2π. */
#define LOG_2PI 1.8378770664093454835606594728112353
/* Room for a "component K: what" label of dg_check_finite. */
#define DG_GMM_LABEL_SIZE 64

/* --- Types ----------------------------------------------------------------- */

typedef struct component {
    bool set; /* false until a setter succeeds */
    dg_cov_kind kind;
    double weight;   /* π_k > 0 */
    double *mean;    /* μ_k, dim */
    size_t rank;     /* FULL: dim, LOWRANK: r, DIAG and ISO: dim */
    double *eigvecs; /* rank × dim, rows = unit directions; NULL for DIAG, ISO */
    double *eigvals; /* rank variances ≥ 0 (DIAG, ISO: one per axis) */
} component;

struct dg_gmm {
    size_t K, dim;
    component *comp; /* K */
};

/* A noise level without σ² formed where it matters. */
typedef struct noise {
    double sigma;     /* σ; 0 only inside EM, where every variance is > 0 */
    double sigma2;    /* σ · σ, which may be 0 or Inf */
    double log_sigma; /* ln σ */
} noise;

/* What a pass over the components produces besides the logits. */
typedef enum want { WANT_DENSITY, WANT_DENOISED, WANT_SCORE } want;

/* Scratch for one block of QB queries, carved out of one allocation. */
typedef struct workspace {
    double *xc;     /* QB × dim: x − μ_k */
    double *z;      /* QB × rmax: U_k (x − μ_k), then its coefficients */
    double *v;      /* QB × dim: the residual ρ, then the component's vector */
    double *acc;    /* QB × dim: streamed Σ_k e^{ℓ_k − m} v_k */
    double *a;      /* QB: ln π_k − ½ Σ ln(λ + σ²) − ½ q + n_ref ln σ */
    double *t;      /* QB: length of the zero-variance part of x − μ_k */
    double *ref;    /* QB: smallest t so far; logits are kept relative to it */
    double *m;      /* QB: running maximum of the relative logits */
    double *s;      /* QB: Σ e^{ℓ − m} */
    double *inv_sd; /* dim: 1/sqrt(λ_j + σ²), 0 where λ_j = 0 */
    double *coef;   /* dim: λ_j/(λ_j + σ²) */
    double *gather; /* dim: the entries of x − μ_k along zero variances */
    double *storage;
} workspace;

/* The work on rows [first, first + count) of a batch, with a thread's workspace. */
typedef void (*block_fn)(void *ctx, size_t first, size_t count, workspace *ws);

/* FULL and LOWRANK hold explicit directions; DIAG and ISO the coordinate axes. */
static inline bool has_basis(const component *c)
{
    return c->kind == DG_COV_FULL || c->kind == DG_COV_LOWRANK;
}

/* --- Shared functions (dg_gmm.c) ------------------------------------------- */

/* Two passes of modified Gram–Schmidt on r rows of length d, in order. */
void dg_gmm_orthonormalise(double *u, size_t r, size_t d);

/*
 * dg_gmm_set_full with every eigenvalue below min_var raised to min_var
 * (0 for callers, reg for EM).
 */
int dg_gmm_set_full_floor(dg_gmm *g, size_t k, double weight, const double *mean, const double *cov,
                          double min_var, dg_error *err);

/* Threads worth starting for n rows: one per block at most. */
size_t dg_gmm_thread_slots(size_t n);

/* nslots workspaces for blocks of QB queries of g; NULL when out of memory. */
workspace *dg_gmm_workspaces_alloc(const dg_gmm *g, size_t nslots);
void dg_gmm_workspaces_free(workspace *ws);

/*
 * Runs fn on the fixed blocks of QB rows of [0, n), in parallel on at most
 * nslots threads, each with its own workspace:
 * - blocks write disjoint rows;
 * - a row's result depends only on its block, whose bounds do not depend on
 *   the thread count, so neither does any bit of the result.
 */
void dg_gmm_for_blocks(size_t n, workspace *ws, size_t nslots, block_fn fn, void *ctx);

/*
 * Component c on the nb queries x at noise s (logits shifted by n_ref ln σ):
 * - ws->a[i]: ln π − ½ Σ ln(λ + σ²) − ½ q_i + n_ref ln σ;
 * - ws->t[i]: the length of the zero-variance part of x_i − μ;
 * - ws->v: nothing for WANT_DENSITY, the rows of μ + U diag(λ/(λ+σ²)) z for
 *   WANT_DENOISED, −U diag(1/(λ+σ²)) z − ρ/σ² for WANT_SCORE.
 */
void dg_gmm_component_block(const component *c, size_t dim, const double *x, size_t nb,
                            const noise *s, size_t n_ref, want w, workspace *ws);

#endif /* DG_GMM_INTERNAL_H */
