/*
 * dg_gmm: Gaussian mixtures and their exact denoisers (doc/theory.md §2).
 *
 * The model: p_0 = Σ_k π_k N(μ_k, Σ_k) in R^d, K ≥ 1 components.
 * - Each Σ_k is stored eigen-decomposed once, when the component is set:
 *   Σ_k = U_k diag(λ_k) U_kᵀ, U_k as rank_k rows of d doubles (unit
 *   eigen-directions).
 * - Kinds:
 *   DG_COV_FULL     any symmetric PSD d × d matrix; U from gsl_eigen_symmv,
 *                   rank = d, eigenvalues in decreasing order
 *   DG_COV_DIAG     d variances along the coordinate axes (U = I, implicit)
 *   DG_COV_ISO      one variance shared by all d axes (U = I, implicit)
 *   DG_COV_LOWRANK  r ≤ d orthonormal directions given by the caller and
 *                   their r variances; the other d − r directions have
 *                   variance 0
 * - Zero variances are allowed everywhere: a component with all variances 0
 *   is a point mass, and N point masses of weight 1/N are the empirical
 *   distribution of doc/theory.md §2.
 *
 * Noised by σ, each covariance gains σ² I.  With z = U_kᵀ(x − μ_k) and
 * ρ = (x − μ_k) − U_k z the part of x − μ_k outside span(U_k) (computed as
 * that difference, never as ‖x − μ_k‖² − ‖z‖², which cancels):
 *
 *   ℓ_k(x; σ) = ln π_k − ½ Σ_{j=1..d} ln(λ_kj + σ²)
 *               − ½ Σ_j z_j²/(λ_kj + σ²) − ½ ‖ρ‖²/σ²
 *   (the d − rank_k directions outside U_k count as λ = 0, ln σ² = 2 ln σ)
 *   γ_k(x) = softmax_k ℓ_k(x; σ)
 *   D(x; σ) = Σ_k γ_k [μ_k + U_k diag(λ_k/(λ_k + σ²)) z]
 *   log p_σ(x) = logsumexp_k ℓ_k − (d/2) ln 2π
 *   ∇ log p_σ(x) = (D(x; σ) − x)/σ²
 *               = −Σ_k γ_k [U_k diag(1/(λ_k + σ²)) z + ρ/σ²]
 *
 * Numerics: every σ > 0 that is a double (1e-300 … 1e300 included).
 * - No σ² is formed where it could under- or overflow: standard deviations
 *   are hypot(√λ, σ), ln(λ + σ²) comes from ln λ and 2 ln σ, the
 *   zero-variance distances ‖ρ‖ enter the logits as a product of two ratios
 *   to σ taken relative to the smallest of them, and the softmax over
 *   components is streamed with a running maximum.
 * - The large term 2 ln σ of every direction with λ ≤ σ² is counted apart
 *   and the part common to all components is left out of the softmax, so at
 *   large σ and d the logits do not lose digits to Σ_j ln(λ_j + σ²) ≈ 2d ln σ.
 * - D(x; σ) is always finite; log p_σ and the score are finite wherever
 *   their true values are doubles (at σ = 1e-300 a point 1 away from a
 *   zero-variance component has log density −5e599, which is not, and comes
 *   out as −Inf).
 * - The score comes from the second formula above, not as (D − x)/σ², which
 *   loses every digit when σ² ≪ λ.
 * - D and the score are exact to a few units of rounding as long as the
 *   standardised distances |z_j|/√(λ_kj + σ²) stay below 1e150.
 *
 * Objects and threads:
 * - a dg_gmm is built by dg_gmm_alloc and the setters (or by the loader, the
 *   fitters and the synthetic generators) and released by dg_gmm_free;
 * - evaluations take a const mixture and are thread-safe on it; each call
 *   allocates one scratch block of DG_GMM_QUERY_BLOCK rows per thread;
 * - batches are cut into fixed blocks of DG_GMM_QUERY_BLOCK rows evaluated
 *   in parallel (OpenMP) with single-threaded BLAS calls; a row's result
 *   depends only on its own block, so results are bit-identical for any
 *   number of threads.
 *
 * Errors:
 * - DG_EINVAL: an argument out of its domain, with a message naming it;
 * - DG_ENONFINITE: NaN/Inf in an input;
 * - DG_ENOMEM;
 * - the loader also DG_EIO and DG_EFORMAT;
 * - on failure, *out arguments are NULL.
 */
#ifndef DG_GMM_H
#define DG_GMM_H

#include <gsl/gsl_rng.h>
#include <stddef.h>

#include "dg_denoiser.h"
#include "dg_status.h"

/* --- Tolerances and defaults ----------------------------------------------- */

/* Weights must sum to 1 within this (absolute); they are used as given. */
#define DG_GMM_WEIGHT_TOL 1e-9
/* A full covariance is symmetric when |c_ij − c_ji| ≤ tol · max |c|; it is
 * then symmetrised before the eigen-decomposition. */
#define DG_GMM_SYMMETRY_TOL 1e-9
/* Eigenvalues of a full covariance within ±tol · λ_max are rounding noise of
 * the eigensolver (its absolute error is about d · 2e-16 · λ_max) and are set
 * to exactly 0; one below −tol · λ_max makes the covariance indefinite. */
#define DG_GMM_PSD_TOL 1e-10
/* Low-rank directions must satisfy |u_i · u_j − δ_ij| ≤ tol (float32 data
 * pass); accepted directions are then re-orthonormalised to rounding level
 * by two passes of modified Gram–Schmidt, in the given order. */
#define DG_GMM_ORTHONORMAL_TOL 1e-6
/* Queries per block: the unit of parallel work and of every GEMM. */
#define DG_GMM_QUERY_BLOCK 64

/* --- Types ----------------------------------------------------------------- */

typedef enum dg_cov_kind {
    DG_COV_FULL = 0, /* full d × d covariance, eigen-decomposed */
    DG_COV_DIAG,     /* diagonal: d variances */
    DG_COV_ISO,      /* isotropic: one variance */
    DG_COV_LOWRANK   /* r orthonormal directions with r variances, rest 0 */
} dg_cov_kind;

/* "full", "diag", "iso", "lowrank"; "unknown" for other values. */
const char *dg_cov_kind_name(dg_cov_kind kind);

typedef struct dg_gmm dg_gmm;

/* --- Building a mixture ---------------------------------------------------- */

/*
 * Allocates a mixture of K components in R^dim, none of them set yet.
 * Returns DG_EINVAL for K = 0 or dim = 0, DG_ENOMEM.
 */
int dg_gmm_alloc(size_t K, size_t dim, dg_gmm **out, dg_error *err);

/* Releases a mixture; NULL is a no-op. */
void dg_gmm_free(dg_gmm *g);

/*
 * Setters of component k (0 ≤ k < K).
 * - Ownership: each copies its arguments (the caller keeps them) and
 *   replaces whatever component k held before; on failure k is unchanged.
 * - weight: positive and finite; mean: dim finite values.
 * - set_full: cov is dim × dim row-major; refused if not symmetric within
 *   DG_GMM_SYMMETRY_TOL or with an eigenvalue below −DG_GMM_PSD_TOL λ_max.
 *   The eigen-decomposition (gsl_eigen_symmv, O(d³)) happens here, once.
 * - set_diag: variances holds dim values ≥ 0.
 * - set_iso: one variance ≥ 0.
 * - set_lowrank: r ≤ dim directions as the rows of eigvecs (r × dim), each
 *   with its variance eigvals[j] ≥ 0; refused if not orthonormal within
 *   DG_GMM_ORTHONORMAL_TOL.  r = 0 (eigvecs and eigvals may be NULL) is a
 *   point mass at mean.
 * - Errors name the component ("component 2: ..."), all DG_EINVAL unless
 *   noted: index out of range, weight ≤ 0, NaN/Inf (DG_ENONFINITE),
 *   negative variance, and the refusals above.
 */
int dg_gmm_set_full(dg_gmm *g, size_t k, double weight, const double *mean, const double *cov,
                    dg_error *err);
int dg_gmm_set_diag(dg_gmm *g, size_t k, double weight, const double *mean, const double *variances,
                    dg_error *err);
int dg_gmm_set_iso(dg_gmm *g, size_t k, double weight, const double *mean, double variance,
                   dg_error *err);
int dg_gmm_set_lowrank(dg_gmm *g, size_t k, double weight, const double *mean, size_t r,
                       const double *eigvecs, const double *eigvals, dg_error *err);

/*
 * DG_OK when every component is set and the weights sum to 1 within
 * DG_GMM_WEIGHT_TOL, else DG_EINVAL ("component 3 is not set", "weights sum
 * to 0.9, not 1").  Every evaluation below runs this check first.
 */
int dg_gmm_check(const dg_gmm *g, dg_error *err);

/*
 * Reads a mixture from the HDF5 file at path:
 *   /weights   [K]         K ≥ 1 positive weights summing to 1
 *   /means     [K][d]
 * and exactly one of
 *   /covs      [K][d][d]   full covariances
 *   /variances [K][d]      diagonal covariances
 *   /eigvecs   [K][r][d] with /eigvals [K][r]   low rank, r ≤ d (rows are
 *                          orthonormal directions)
 * - Any float or integer type is read as double.
 * - Every shape is checked before anything is read.
 * - Errors name the file and the dataset ("m.h5:/covs: component 1:
 *   covariance is not symmetric ..."): DG_EIO, DG_EFORMAT (missing or
 *   misshapen datasets), DG_ENONFINITE, DG_EINVAL (invalid values),
 *   DG_ENOMEM.
 */
int dg_gmm_load(const char *path, dg_gmm **out, dg_error *err);

/* The same, for datasets inside group (e.g. "/fit" reads /fit/weights, …). */
int dg_gmm_load_group(const char *path, const char *group, dg_gmm **out, dg_error *err);

/* --- Reading a mixture back ------------------------------------------------ */

size_t dg_gmm_components(const dg_gmm *g);
size_t dg_gmm_dim(const dg_gmm *g);
/* π_k, or NaN when k is out of range or component k is not set. */
double dg_gmm_weight(const dg_gmm *g, size_t k);
/* μ_k (dim values, owned by g), or NULL when k is out of range or unset. */
const double *dg_gmm_mean(const dg_gmm *g, size_t k);

/*
 * The stored decomposition of Σ_k, as pointers into g (valid until
 * component k is set again or g is freed):
 *   FULL, LOWRANK: *rank directions as the rows of *eigvecs (rank × dim) with
 *                  their variances *eigvals (rank); FULL has rank = dim
 *   DIAG, ISO:     *eigvecs = NULL (the coordinate axes), *rank = dim and
 *                  *eigvals holds dim variances (all equal for ISO)
 * Any of kind, rank, eigvecs, eigvals may be NULL if not wanted.
 * Returns DG_EINVAL when k is out of range or unset.
 */
int dg_gmm_eigen(const dg_gmm *g, size_t k, dg_cov_kind *kind, size_t *rank, const double **eigvecs,
                 const double **eigvals, dg_error *err);

/* cov ← Σ_k = U diag(λ) Uᵀ as a dim × dim row-major matrix (caller-owned). */
int dg_gmm_covariance(const dg_gmm *g, size_t k, double *cov, dg_error *err);

/* --- Evaluations (σ > 0 and finite, x finite, n × dim row-major) ----------- */

/* out (n × dim) ← D(x; σ), the posterior mean E[y | y + σε = x]. */
int dg_gmm_denoise(const dg_gmm *g, const double *x, size_t n, double sigma, double *out,
                   dg_error *err);

/* out (n) ← log p_σ(x) = log Σ_k π_k N(x; μ_k, Σ_k + σ² I), −(d/2) ln 2π included. */
int dg_gmm_log_density(const dg_gmm *g, const double *x, size_t n, double sigma, double *out,
                       dg_error *err);

/* out (n × dim) ← ∇ log p_σ(x) = (D(x; σ) − x)/σ². */
int dg_gmm_score(const dg_gmm *g, const double *x, size_t n, double sigma, double *out,
                 dg_error *err);

/*
 * Draws n points y ~ p_0 into out (n × dim).
 * - Per row a uniform variate picks the component by weight, then
 *   y = μ + U diag(√λ) ξ with ξ ~ N(0, I_rank) (gsl_ran_gaussian_ziggurat).
 * - Rows are drawn in order, so the first m rows do not depend on n.
 * - rng is the caller's and advances.
 */
int dg_gmm_sample(const dg_gmm *g, gsl_rng *rng, size_t n, double *out, dg_error *err);

/*
 * The exact solution of the probability-flow ODE dx/dσ = (x − D(x; σ))/σ of
 * a single Gaussian (K = 1, else DG_EINVAL), from σ0 > 0 to σ ≥ 0
 * (doc/theory.md §2): per eigen-direction z_j(σ) = z_j(σ0) ·
 * sqrt((λ_j + σ²)/(λ_j + σ0²)), and the part outside span(U) scales by
 * σ/σ0.  x0 and out are n × dim and may be the same array.
 */
int dg_gmm_gaussian_flow(const dg_gmm *g, const double *x0, size_t n, double sigma0, double sigma,
                         double *out, dg_error *err);

/*
 * Wraps a copy of g as a denoiser of kind "gmm" (dg_denoiser.h) for the
 * solvers.
 * - Ownership: the denoiser owns its copy; the caller may free or change g
 *   afterwards.
 * - Threads: the denoiser keeps its scratch space, so it is not safe to
 *   share between threads (like every dg_denoiser).
 * - Errors: DG_EINVAL if dg_gmm_check fails, DG_ENOMEM.
 */
int dg_denoiser_gmm_alloc(const dg_gmm *g, dg_denoiser **out, dg_error *err);

/* --- Fitting: the "generalising" denoisers ------------------------------- */

/*
 * One Gaussian (K = 1, full covariance) fitted to the n rows of y (n × d) by
 * maximum likelihood: the sample mean and the 1/n covariance (the MLE, not
 * the unbiased 1/(n − 1) one).  A singular covariance (n ≤ d, constant
 * coordinates) is fine: its null directions get variance exactly 0.
 * Returns DG_EINVAL for n = 0 or d = 0, DG_ENONFINITE, DG_ENOMEM.
 */
int dg_gmm_fit_gaussian(const double *y, size_t n, size_t d, dg_gmm **out, dg_error *err);

#define DG_GMM_EM_MAX_ITER 200   /* EM iterations (M-steps) at most */
#define DG_GMM_EM_TOL 1e-8       /* stop when the mean log-likelihood gains less */
#define DG_GMM_EM_REG_SCALE 1e-6 /* default variance floor / mean data variance */

typedef struct dg_gmm_fit_options {
    size_t max_iter;  /* M-steps at most; 0 → DG_GMM_EM_MAX_ITER */
    double tol;       /* stop when the mean log-likelihood per point gains
                         less than tol; ≤ 0 → DG_GMM_EM_TOL */
    double reg;       /* variance floor (see dg_gmm_fit_em); ≤ 0 →
                         DG_GMM_EM_REG_SCALE × the mean coordinate variance */
    dg_cov_kind kind; /* DG_COV_FULL (the zero value) or DG_COV_DIAG */
    /* Called after each E-step with the iteration (0 = the initial
     * mixture) and the mean log-likelihood per point (1/n) Σ_i log p_0(y_i)
     * of the mixture at that iteration; a nonzero return stops the fit with
     * DG_ECANCELLED.  NULL for none. */
    int (*on_iteration)(void *ctx, size_t iteration, double loglik);
    void *ctx; /* passed to on_iteration */
} dg_gmm_fit_options;

/*
 * A K-component mixture fitted to the n rows of y (n × d) by EM.
 * - Initialisation, deterministic from seed (GSL's mt19937):
 *   - k-means++ picks K data points as centres: the first uniformly, each
 *     next with probability ∝ its squared distance to the nearest centre
 *     chosen;
 *   - each point goes to its nearest centre (ties to the lower index);
 *   - one M-step on this hard assignment gives the initial mixture.
 * - E-step: responsibilities γ_ik by a max-subtracted log-sum-exp over
 *   components, and the log-likelihood.
 * - M-step: π_k = N_k/n, μ_k = Σ_i γ_ik y_i / N_k and Σ_k from the weighted
 *   scatter S_k = Σ_i γ_ik (y_i − μ_k)(y_i − μ_k)ᵀ / N_k, every eigenvalue
 *   (FULL) or variance (DIAG) below reg raised to reg.  Why a floor rather
 *   than reg added to the diagonal: it is the exact maximiser of the EM
 *   objective over covariances with all eigenvalues ≥ reg, so the
 *   log-likelihood never decreases, up to rounding.
 * - Stops when an iteration gains less than tol, or after max_iter M-steps;
 *   returns the mixture whose log-likelihood was reported last.
 * - Determinism: bit-identical for any number of OpenMP threads (the E-step
 *   runs on fixed blocks of rows, every sum over rows in row order).
 * - opt may be NULL for defaults.
 * - Errors: DG_EINVAL (K = 0, n < K, fewer than K distinct points, constant
 *   data with reg ≤ 0, a component that loses all its points, a kind other
 *   than FULL or DIAG), DG_ENONFINITE, DG_ENOMEM, DG_ECANCELLED.
 */
int dg_gmm_fit_em(const double *y, size_t n, size_t d, size_t K, unsigned long seed,
                  const dg_gmm_fit_options *opt, dg_gmm **out, dg_error *err);

/* --- Teaching mixtures ----------------------------------------------------- */

/*
 * A built-in mixture from "NAME[,key=value...]" (defaults in brackets):
 *
 *   gauss2d   K full-covariance Gaussians in 2-D: means uniform in the disc of
 *             radius spread, each covariance R(θ) diag(s₁², s₂²) R(θ)ᵀ with θ
 *             uniform and s₁, s₂ = std × uniform[0.5, 1.5]; weights ∝
 *             uniform[0.5, 1.5].  Keys: k [5], seed [0], spread [3], std [0.4].
 *   rings     isotropic Gaussians of standard deviation std, per_ring of them
 *             evenly spaced on each of `rings` circles of radii radius,
 *             2 radius, …; equal weights.  Keys: rings [2], per_ring [8],
 *             radius [1], std [0.05].
 *   lowrank   K components in R^d, each with r random orthonormal directions
 *             of variances scale² × uniform[0.25, 1] (zero variance
 *             elsewhere), means N(0, I_d), equal weights.  Keys: d [16], k [3],
 *             r [2], seed [0], scale [1].
 *
 * - Integer keys take non-negative integers, the others finite reals;
 *   std ≥ 0 (0 gives point masses).
 * - Errors: DG_EUNKNOWN for an unknown name (the message lists the built-in
 *   names) or key, DG_EINVAL for a malformed or out-of-range value (k = 0,
 *   r > d, std < 0, ...), DG_ENOMEM.
 */
int dg_gmm_synthetic(const char *spec, dg_gmm **out, dg_error *err);

/* The name of the i-th built-in mixture ("gauss2d", ...), NULL for i past the last. */
const char *dg_gmm_synthetic_name(size_t i);

#endif /* DG_GMM_H */
