/*
 * dg_denoiser: the denoiser interface D(x; σ) and its kinds.
 *
 * A denoiser maps a batch of n points x (n × dim, row-major) at noise level
 * σ > 0 to n points D(x; σ), the posterior mean E[y | y + σε = x] for the
 * kind's data distribution (PAPER.md §2).  Kinds are const type descriptors;
 * a denoiser object pairs a kind with its state.  Objects are not safe to use
 * from several threads at once (they own scratch space); evaluations
 * parallelise internally with OpenMP and are bit-identical for any number of
 * threads.
 */
#ifndef DG_DENOISER_H
#define DG_DENOISER_H

#include <stddef.h>

#include "dg_status.h"

typedef struct dg_denoiser dg_denoiser;

typedef struct dg_denoiser_type {
    const char *name; /* "empirical", ... */
    /* out ← D(x; σ) for n rows; σ > 0 and finite x are checked by the caller. */
    int (*eval)(void *state, const double *x, size_t n, double sigma,
                double *out, dg_error *err);
    void (*free)(void *state);
} dg_denoiser_type;

/* --- Generic interface ---------------------------------------------------- */

/*
 * out ← D(x; σ) for the n rows of x (n × dim).  out may not alias x.
 * Returns DG_EINVAL for σ ≤ 0 or non-finite σ, DG_ENONFINITE for NaN/Inf in x.
 */
int dg_denoiser_eval(dg_denoiser *den, const double *x, size_t n,
                     double sigma, double *out, dg_error *err);

size_t dg_denoiser_dim(const dg_denoiser *den);
const char *dg_denoiser_name(const dg_denoiser *den);

/* Releases a denoiser and its state; NULL is a no-op. */
void dg_denoiser_free(dg_denoiser *den);

/* --- The exact empirical optimal denoiser (PAPER.md §2) -------------------- */

/*
 * D*(x; σ) = Σ_i w_i y_i, w = softmax_i(−‖x − y_i‖² / (2σ²)), for data
 * y_1..y_N with uniform weights.
 *
 * How it is computed: the data are stored centred on their mean μ.  They are
 * cut into chunks of DG_EMPIRICAL_CHUNK rows; per chunk and query one GEMM
 * gives the logits (x−μ)·(y_i−μ) − ½‖y_i−μ‖² and a second GEMM the weighted
 * sum, giving a record (max logit, Σ e^{ℓ−max}, Σ e^{ℓ−max} y).  Records are
 * combined over a binary tree whose shape depends only on the number of
 * chunks (a binary counter over chunk indices), so the result is bit-identical
 * for any thread count.  Where the rounding error of the GEMM logits could
 * exceed DG_EMPIRICAL_LOGIT_TOL (small σ), the logits of every point whose
 * weight is not negligible (within DG_EMPIRICAL_LOGIT_WINDOW nats of its
 * chunk's maximum, allowing for the worst-case rounding error) are recomputed
 * from exact differences −‖x − y_i‖²/2.
 *
 * Chunks are computed DG_EMPIRICAL_GROUP at a time (in parallel); a query
 * whose weights in a chunk are all below e^−WINDOW of the largest logit seen
 * in the earlier groups skips that chunk's second product.  The groups are
 * fixed, so which products are skipped does not depend on the thread count.
 */
#define DG_EMPIRICAL_CHUNK 512         /* rows per chunk: fixes the reduction tree */
#define DG_EMPIRICAL_QUERY_BLOCK 128   /* queries per pass over the data */
#define DG_EMPIRICAL_GROUP 8           /* chunks computed between skip decisions */
#define DG_EMPIRICAL_LOGIT_TOL 1e-12   /* largest typical logit error accepted from a GEMM */
#define DG_EMPIRICAL_LOGIT_WINDOW 50.0 /* e^−50 ≈ 2e−22: weights below it cannot matter */

/*
 * Builds the empirical denoiser for the n rows of y (n × dim).  The data are
 * copied (the caller keeps y).  Returns DG_EINVAL for n = 0 or dim = 0,
 * DG_ENONFINITE for NaN/Inf in y, DG_ENOMEM.
 */
int dg_denoiser_empirical_alloc(const double *y, size_t n, size_t dim,
                                dg_denoiser **out, dg_error *err);

/*
 * The same without a copy of the data: takes ownership of y (n × dim,
 * allocated with dg_doubles_alloc) and centres it in place, so y must not be
 * used or freed by the caller afterwards.  On failure y is left unchanged and
 * stays the caller's.
 */
int dg_denoiser_empirical_adopt(double *y, size_t n, size_t dim,
                                dg_denoiser **out, dg_error *err);

/* Allocates a denoiser object of a given kind around state (for kinds defined elsewhere). */
dg_denoiser *dg_denoiser_wrap(const dg_denoiser_type *type, size_t dim,
                              void *state);

#endif /* DG_DENOISER_H */
