/*
 * dg_metrics: geometric measurements of trajectories (doc/theory.md §3, §6).
 *
 * A trajectory block holds K points per sample, K × n × dim, index 0 the
 * start and K − 1 the end.  Outputs are K × n (one value per point and
 * sample), matching the run file's /metrics layout.  All functions are
 * thread-safe (those with a workspace: one workspace per thread) and
 * allocate nothing, except the workspace constructor.  Inputs are assumed
 * finite; the caller checks them (dg_check_finite).
 */
#ifndef DG_METRICS_H
#define DG_METRICS_H

#include <stdbool.h>
#include <stddef.h>

#include "dg_comm.h"
#include "dg_status.h"

/* --- Distances and norms along a trajectory (doc/theory.md §6) ------------ */

/*
 * Distance of each point from the straight line through its sample's start
 * and end: u = (x_end − x_0)/‖x_end − x_0‖, v = x_end − x_k,
 * dev = ‖v − (v·u) u‖.  Zero at both ends; if start and end coincide, the
 * distance to that point.
 */
void dg_metric_deviation(const double *traj, size_t K, size_t n, size_t dim, double *out);

/* ‖x_k − x_end‖ for every point. */
void dg_metric_distance_to_end(const double *traj, size_t K, size_t n, size_t dim, double *out);

/* ‖x_k‖ for every point. */
void dg_metric_norm(const double *traj, size_t K, size_t n, size_t dim, double *out);

/* ‖a_k − b_k‖ for every point of two blocks of the same shape K × n × dim. */
void dg_metric_distance(const double *a, const double *b, size_t K, size_t n, size_t dim,
                        double *out);

/*
 * ‖d_k‖ = ‖x_k − D_k‖/σ_k, d_k = (x_k − D_k)/σ_k the ODE's slope, for the K
 * evaluated points: traj holds at least K blocks, denoised K × n × dim,
 * sigmas K entries, all σ_k > 0 (a grid point with σ = 0 has no evaluation).
 */
void dg_metric_norm_d(const double *traj, const double *denoised, const double *sigmas, size_t K,
                      size_t n, size_t dim, double *out);

/*
 * cos(d_k, x_k − x_end) with d_k = (x_k − D_k)/σ_k, for the K evaluated
 * points: traj is (K + 1) × n × dim (the end is traj[K]), denoised K × n × dim.
 * The cosine does not depend on σ_k > 0; it is 0 where either vector is 0.
 */
void dg_metric_cosine(const double *traj, const double *denoised, size_t K, size_t n, size_t dim,
                      double *out);

/* --- Against reference data: nearest neighbours, the KDE (doc/theory.md §3) */

/* The most bandwidths dg_metric_kde evaluates per query in one pass. */
#define DG_KDE_BANDWIDTHS_MAX 4

/*
 * The Gaussian kernel density estimate of the data y_1..y_N (N × dim) with
 * bandwidth h, whose mean shift is the optimal denoiser (doc/theory.md §3):
 *
 *   log p̂_h(x) = log((1/N) Σ_i N(x; y_i, h² I))
 *              = LSE_i(−‖x − y_i‖²/(2h²)) − ln N − (dim/2) ln(2π h²)   [nats]
 *
 * For each of the nq queries x_q (rows of x, nq × dim) and each of its nh
 * bandwidths h[q·nh + j] (nh ≤ DG_KDE_BANDWIDTHS_MAX):
 * logp[q·nh + j] = log p̂_h(x_q), or NaN where that h is not a positive
 * finite number (a way to skip entries).  When nn_sqdist is non-NULL it gets
 * min_i ‖x_q − y_i‖², and nn_index (may be NULL) the first minimiser.
 *
 * Squared distances come from exact differences, never from the expansion
 * ‖x‖² + ‖y‖² − 2x·y.  The data are cut into the empirical denoiser's
 * chunks (DG_CHUNK_ROWS rows); per chunk and query a record holds the
 * chunk's nearest row and the log-sum-exp's sums taken about its distance
 * (the largest logit for every h), and records combine over the denoiser's
 * reduction tree over chunk indices.  Chunks and blocks of queries run in
 * parallel (OpenMP); results do not depend on the number of threads.
 * h and logp may be NULL when nh = 0.  Returns DG_EINVAL for N = 0, dim = 0,
 * nh > DG_KDE_BANDWIDTHS_MAX, or nh > 0 without h or logp; DG_ENOMEM.
 */
int dg_metric_kde(const double *y, size_t N, size_t dim, const double *x, size_t nq,
                  const double *h, size_t nh, double *logp, double *nn_sqdist, size_t *nn_index,
                  dg_error *err);

/*
 * dg_metric_kde over a dataset of n_total rows spread over the processes of
 * comm as dg_denoiser_empirical_shard spreads them: every process calls it
 * (collectively) with its own n rows y (rows [first, first + n) of the
 * dataset, the range dg_data_shard(n_total, DG_SHARD_ROWS,
 * comm->size, comm->rank) gives; y = NULL for none) and the same queries and
 * bandwidths, and gets the same results, bit for bit those of one process
 * holding all the rows (nn_index counts rows of the whole dataset).  Nodes
 * of the tree that span processes are built by messages, and the root's
 * records are broadcast from process 0.  comm = NULL or one process is
 * dg_metric_kde.  Errors: those of dg_metric_kde, DG_EINVAL if n is not this
 * process's shard, DG_EREMOTE on a process that was fine when another could
 * not take part (nobody is left waiting), a failed message's status.
 */
int dg_metric_kde_shard(const double *y, size_t n, size_t dim, size_t n_total, const dg_comm *comm,
                        const double *x, size_t nq, const double *h, size_t nh, double *logp,
                        double *nn_sqdist, size_t *nn_index, dg_error *err);

/*
 * out[q] = min_i ‖x_q − y_i‖, the distance of each of the nq queries to its
 * nearest data point (index[q], the first one, when index is non-NULL):
 * dg_metric_kde without bandwidths.  Returns DG_EINVAL for N = 0 or dim = 0.
 */
int dg_metric_nn_distance(const double *y, size_t N, size_t dim, const double *x, size_t nq,
                          double *out, size_t *index, dg_error *err);

/*
 * The guaranteed gain of log p̂_h for one Euler step of the optimal ODE
 * (doc/theory.md §3): x_{k+1} = x_k + λ (m_h(x_k) − x_k) with h = σ_k,
 * λ = 1 − σ_{k+1}/σ_k ∈ [0, 1], m_h(x_k) = D*(x_k; σ_k) the mean shift, gains
 *
 *   log p̂_h(x_{k+1}) − log p̂_h(x_k) ≥ λ(2 − λ) ‖m_h(x_k) − x_k‖² / (2h²).
 *
 * out[k·n + s] is that bound for the K evaluated points: traj holds at least
 * K blocks, mshift (m_h at those points) K × n × dim, sigmas K + 1 entries
 * with σ_k > 0 for k < K.
 */
void dg_metric_kde_gain_bound(const double *traj, const double *mshift, const double *sigmas,
                              size_t K, size_t n, size_t dim, double *out);

/* --- Low-dimensional structure (doc/theory.md §6; AMED) ------------------- */

/*
 * Eigenvalues below this fraction of the largest one are taken as zero: their
 * principal directions are rounding noise, and are set to 0 instead.
 */
#define DG_PCA_RANK_TOL 1e-13

/* Scratch space for the shape measurements of trajectories of K points in R^dim. */
typedef struct dg_metric_workspace dg_metric_workspace;

/*
 * Allocates a workspace for trajectories of exactly K points in R^dim (about
 * K·dim + 2·min(K, dim)² doubles).  NULL if short of memory or K or dim is 0.
 */
dg_metric_workspace *dg_metric_workspace_alloc(size_t K, size_t dim);

/* Releases a workspace; NULL is a no-op. */
void dg_metric_workspace_free(dg_metric_workspace *w);

/*
 * The top two principal directions of K points x_k (the rows of x, K × dim)
 * about a centre c (NULL: the origin): the unit eigenvectors p_1, p_2 of the
 * two largest eigenvalues of Σ_k (x_k − c)(x_k − c)ᵀ, into the rows of pc
 * (2 × dim, caller-owned), each signed so that the largest |(x_k − c)·p_j|
 * is positive.  A direction the points do not span (eigenvalue at most
 * DG_PCA_RANK_TOL of the largest) is 0; *rank gets how many are not (0 to 2).
 *
 * Method: GSL's symmetric eigensolver on the K × K Gram matrix (K ≤ dim) or
 * the dim × dim scatter matrix, then one step of subspace iteration and a
 * Rayleigh–Ritz rotation in the plane (the second direction to about
 * ε λ₃/(λ₂ − λ₃) instead of ε λ₁/(λ₂ − λ₃)); the points are first scaled by a
 * power of two, so 1e-200 and 1e200 are measured as 1.  Cost O(K·dim·min(K,
 * dim) + min(K, dim)³).  The rows of a symmetric positive semi-definite
 * matrix S taken as K = dim points give the eigenvectors of S² = SᵀS, that
 * is of S (eigenvalues below √DG_PCA_RANK_TOL of the largest count as 0).
 *
 * w: a workspace made for (K, dim), one per thread; x and centre are not
 * changed.  Returns DG_EINVAL unless the workspace was made for (K, dim),
 * DG_ENONFINITE for points that are not finite or too large to square.
 */
int dg_metric_top_two(const double *x, const double *centre, size_t K, size_t dim,
                      dg_metric_workspace *w, double *pc, size_t *rank, dg_error *err);

/*
 * Relative error of the projection of each trajectory onto its top two
 * principal components: with μ the mean of the K points of a sample and
 * p_1, p_2 the top two eigenvectors of Σ_k (x_k − μ)(x_k − μ)ᵀ,
 *
 *   x̃_k = μ + Σ_j ((x_k − μ)·p_j) p_j,   out = ‖x_k − x̃_k‖ / ‖x_k‖
 *
 * (NaN where x_k = 0).  The eigenvectors come from GSL's symmetric eigensolver
 * on the K × K Gram matrix of the centred points when K ≤ dim, else on the
 * dim × dim scatter matrix; the residual is formed explicitly.  Returns
 * DG_EINVAL unless the workspace was made for (K, dim), DG_ENONFINITE when
 * the points are too large to square.
 */
int dg_metric_pca2_error(const double *traj, size_t K, size_t n, size_t dim, dg_metric_workspace *w,
                         double *out, dg_error *err);

/*
 * The 3-D view of each trajectory, out K × n × 3: with u = (x_end − x_0)/
 * ‖x_end − x_0‖ (0 if start and end coincide), the off-chord part
 * y_k = (x_k − x_0) − ((x_k − x_0)·u) u and p_1, p_2 the top two principal
 * directions of the y_k about the chord (the line is the origin of the
 * complement, so no centring: start and end sit at (·, 0, 0)),
 *
 *   out[k] = ((x_k − x_0)·u, y_k·p_1, y_k·p_2).
 *
 * Each p_j is signed so that the coordinate of largest magnitude is positive.
 * sqrt(b² + c²) ≤ dg_metric_deviation, with equality where the off-chord
 * parts span at most two dimensions.  Returns as dg_metric_pca2_error.
 */
int dg_metric_coords3d(const double *traj, size_t K, size_t n, size_t dim, dg_metric_workspace *w,
                       double *out, dg_error *err);

/* The fewest points a cubic fit needs, rounded up to an odd window. */
#define DG_CURVATURE_WINDOW_MIN 5
/*
 * A window whose monomial columns 1, t, t², t³ become dependent to this
 * relative size (fewer than four distinct arc lengths) gives no fit.
 */
#define DG_CURVATURE_RANK_TOL 1e-10
/*
 * A window whose fitted κ times its half-length is below this is straight to
 * rounding (its sagitta is below 1e−9 of its length): torsion is undefined
 * there, and rounding would make any value up.
 */
#define DG_CURVATURE_STRAIGHT_TOL 1e-9

/*
 * Curvature κ and torsion τ of 3-D curves (curve K × n × 3, e.g. from
 * dg_metric_coords3d) from a local cubic least-squares fit in arc length:
 * s = the cumulative length of the polygon; at each point k the window of
 * `window` points centred on k gives r(s) ≈ a₀ + a₁t + a₂t² + a₃t³,
 * t = s − s_k, so r′ = a₁, r″ = 2a₂, r‴ = 6a₃ there, and
 *
 *   κ = ‖r′ × r″‖ / ‖r′‖³,   τ = (r′ × r″)·r‴ / ‖r′ × r″‖²
 *
 * (both invariant under reparametrisation, units 1/length; the sign of τ
 * follows the orientation of the coordinate frame).  NaN where the window
 * does not fit (the first and last (window − 1)/2 points, all points when
 * window > K), where the window's points are fewer than four distinct ones,
 * and τ where the window is straight (κ · half-length below
 * DG_CURVATURE_STRAIGHT_TOL).  window must be odd and at least
 * DG_CURVATURE_WINDOW_MIN, and K at most the workspace's K; else DG_EINVAL.
 */
int dg_metric_curvature_torsion(const double *curve, size_t K, size_t n, size_t window,
                                dg_metric_workspace *w, double *kappa, double *tau, dg_error *err);

/* --- The table of /metrics: what `diffgeo analyze` writes ------------------ */

/*
 * One array /metrics/NAME of a run file of T steps and n samples.  The axes
 * are words: grid (T + 1 grid points), eval (T evaluations), sample (n),
 * coord (3 coordinates); the array's shape follows from them.  The texts are
 * the array's HDF5 attributes, byte for byte.
 */
typedef struct dg_metric_info {
    const char *name;  /* NAME of /metrics/NAME */
    const char *axes;  /* attribute 'axes', e.g. "grid sample" */
    const char *units; /* attribute 'units' */
    /* Attribute 'description', ASCII; {s_min}, {data} and {limit} stand for
     * the run's values (dg_metric_describe). */
    const char *description;
    const char *note;    /* a fixed attribute 'note', or NULL (analyze may add one) */
    const char *summary; /* for --help and documentation: the description in words */
    bool reference;      /* written only against reference data (analyze --reference) */
} dg_metric_info;

/* The values a description may name. */
typedef struct dg_metric_values {
    double sigma_min; /* {s_min}: the smallest positive σ of the grid, printed %.17g */
    const char *data; /* {data}: the run's /config/data */
    size_t limit;     /* {limit}: the run's /config/limit */
} dg_metric_values;

/* The table, ended by an entry whose name is NULL; in the order of --help. */
extern const dg_metric_info dg_metric_infos[];

/* The entry of /metrics/name, or NULL. */
const dg_metric_info *dg_metric_info_find(const char *name);

/*
 * The shape of the array for a run of T steps and n samples: writes up to
 * DG_METRIC_RANK_MAX extents to shape and returns the rank.
 */
#define DG_METRIC_RANK_MAX 3
size_t dg_metric_shape(const dg_metric_info *m, size_t T, size_t n,
                       size_t shape[DG_METRIC_RANK_MAX]);

/*
 * The shape in words, "[T+1][n]", in out (size bytes, always terminated);
 * returns the length it needs, as snprintf.
 */
size_t dg_metric_shape_text(const dg_metric_info *m, char *out, size_t size);

/*
 * The description with its {name} fields filled from v (NULL: left as they
 * are), in out (size bytes, always terminated); returns the length it needs,
 * as snprintf.
 */
size_t dg_metric_describe(const dg_metric_info *m, const dg_metric_values *v, char *out,
                          size_t size);

#endif /* DG_METRICS_H */
