/*
 * dg_meanshift: mean shift with a Gaussian kernel (fixed and annealed
 * bandwidth) and scikit-learn's flat-kernel MeanShift (doc/theory.md §3).
 *
 * Gaussian kernel.  m_h(x) = Σ_i K_h(x − y_i) y_i / Σ_i K_h(x − y_i) with
 * K_h(v) = exp(−‖v‖²/(2h²)) is the exact empirical denoiser D*(x; σ = h), so
 * these functions take the denoiser built by dg_denoiser_empirical_alloc and
 * evaluate it with dg_denoiser_eval: there is one kernel sum in the library.
 * (Any other denoiser kind gives the analogous "posterior-mean shift".)
 *
 * Flat kernel.  The mean of the data points within distance h, with the
 * seeding, stopping rule, ordering, merging and labelling of
 * sklearn.cluster.MeanShift (scikit-learn 1.2, cluster/_mean_shift.py),
 * reproduced step for step; see each function for the detail it copies.
 *
 * All functions are reentrant; the ones with a parallel loop say so, and
 * their results do not depend on the number of threads.
 */
#ifndef DG_MEANSHIFT_H
#define DG_MEANSHIFT_H

#include <signal.h>
#include <stddef.h>

#include "dg_denoiser.h"
#include "dg_status.h"

/* scikit-learn's defaults: max_iter, the stopping threshold 1e-3·h, and the
 * quantile of estimate_bandwidth. */
#define DG_MEANSHIFT_MAX_ITER 300
#define DG_MEANSHIFT_TOL 1e-3
#define DG_MEANSHIFT_QUANTILE 0.3

/* Iteration control; functions taking it accept NULL for the defaults. */
typedef struct dg_meanshift_options {
    /* Convergence when a point moves by at most tol·h (Gaussian; tol = 0
     * turns the test off) or by less than tol·h (flat, as scikit-learn). */
    double tol;
    /* The largest number of iterations (Gaussian), or scikit-learn's
     * max_iter (flat: a seed makes at most max_iter + 1 updates). */
    size_t max_iter;
    /* Called after each iteration or step with (done, most possible); may be NULL. */
    void (*progress)(void *ctx, size_t done, size_t total);
    void *progress_ctx;
    /* When non-NULL and set non-zero (e.g. by a signal handler), the run
     * stops after the current iteration with DG_ECANCELLED. */
    const volatile sig_atomic_t *cancel;
} dg_meanshift_options;

/* clang-format off */
#define DG_MEANSHIFT_OPTIONS_DEFAULT {.tol = DG_MEANSHIFT_TOL, .max_iter = DG_MEANSHIFT_MAX_ITER}
/* clang-format on */

/* --- Gaussian kernel -------------------------------------------------------- */

/*
 * Fixed bandwidth h: x_{k+1} = m_h(x_k) = D*(x_k; h) for all n points at
 * once, until max_i ‖x_{k+1,i} − x_{k,i}‖ ≤ tol·h or k + 1 = max_iter.
 *
 * path (caller-owned) has room for (max_iter + 1) × n × dim doubles; block 0
 * is x0, block k the k-th iterate; *iterations gets K, the number of
 * iterations made (blocks 0..K are set, the rest untouched).  With tol = 0
 * exactly max_iter iterations are made.  Returns DG_EINVAL for h ≤ 0 or not
 * finite, tol < 0, n = 0 or a dimension other than the denoiser's;
 * DG_ENONFINITE for NaN/Inf in x0; DG_ECANCELLED; the denoiser's status.
 */
int dg_meanshift_gaussian(dg_denoiser *den, double h, size_t n, size_t dim, const double *x0,
                          const dg_meanshift_options *opt, double *path, size_t *iterations,
                          dg_error *err);

/*
 * Annealed bandwidth on a decreasing grid σ_0 > … > σ_T (nsigmas = T + 1
 * entries, checked by dg_schedule_check; the last may be 0): the blend
 *   x_{i+1} = (σ_{i+1}/σ_i) x_i + (1 − σ_{i+1}/σ_i) m_{σ_i}(x_i),
 * which is one Euler step of the probability-flow ODE with the optimal
 * denoiser (doc/theory.md §3); a step to σ = 0 is one classic mean-shift
 * iteration, x_{i+1} = m_{σ_i}(x_i).
 *
 * path (caller-owned, nsigmas × n × dim) gets x_0..x_T, block 0 = x0;
 * targets (caller-owned, T × n × dim) gets m_{σ_i}(x_i).  opt's tol and
 * max_iter are not used (opt may be NULL).  Returns DG_EINVAL for a bad grid,
 * n = 0 or a dimension mismatch; DG_ENONFINITE; DG_ECANCELLED; the
 * denoiser's status.
 */
int dg_meanshift_annealed(dg_denoiser *den, const double *sigmas, size_t nsigmas, size_t n,
                          size_t dim, const double *x0, const dg_meanshift_options *opt,
                          double *path, double *targets, dg_error *err);

/* --- Flat kernel: scikit-learn's MeanShift ------------------------------------ */

/*
 * sklearn.cluster.estimate_bandwidth(y, quantile) with all samples: the mean
 * over the n points of the distance to their k-th nearest neighbour, k =
 * int(n · quantile) (at least 1), the point itself counting as the first
 * (distance 0).  Distances are sqrt(Σ_j (y_ij − y_lj)²) summed in coordinate
 * order, as scikit-learn's trees do.  O(n² dim); parallel over the points,
 * summed in point order.  Returns DG_EINVAL for n = 0, dim = 0 or a quantile
 * outside (0, 1]; DG_ENONFINITE for NaN/Inf in y; DG_ENOMEM.
 */
int dg_meanshift_estimate_bandwidth(const double *y, size_t n, size_t dim, double quantile,
                                    double *h, dg_error *err);

/*
 * sklearn.cluster.get_bin_seeds(y, h, min_freq): each point falls in the bin
 * round(y/h) (round half to even, as numpy); the bins holding at least
 * min_freq points, in the order of their first point, give the seeds
 * float32(bin) · float32(h) computed in float32 (numpy's arithmetic for its
 * float32 bin array).  When there are as many seeds as points, the seeds are
 * the points themselves (scikit-learn's fallback).
 *
 * seeds (caller-owned) has room for n × dim doubles; *nseeds gets the count
 * (0 when no bin is full enough).  Returns DG_EINVAL for n = 0, h ≤ 0 or
 * min_freq = 0; DG_ENONFINITE; DG_ENOMEM.
 */
int dg_meanshift_bin_seeds(const double *y, size_t n, size_t dim, double h, size_t min_freq,
                           double *seeds, size_t *nseeds, dg_error *err);

/*
 * The hill climb of each seed (scikit-learn's _mean_shift_single_seed): the
 * new position is the mean of the data points y_i with Σ_j (y_ij − x_j)² ≤ h²
 * (summed in coordinate order, points in index order), until the shift is
 * below tol·h or max_iter + 1 updates have been made; a seed whose
 * neighbourhood is empty stops where it is.
 *
 * path (caller-owned) has room for (max_iter + 2) × nseeds × dim doubles:
 * block 0 is the seeds, block k every seed after min(k, its updates)
 * updates, so a seed that has stopped keeps its position; *iterations gets
 * the last block written (the most updates of any seed), and block
 * *iterations holds the centres.  counts (nseeds) gets the size of each
 * seed's last neighbourhood, the one whose mean is its centre: 0 marks a
 * seed that found no data.  *n_iter (may be NULL) gets scikit-learn's
 * n_iter_.  Parallel over the seeds.  Returns DG_EINVAL for h ≤ 0 or
 * tol < 0; DG_ENONFINITE for NaN/Inf in y or the seeds; DG_ECANCELLED;
 * DG_ENOMEM.
 */
int dg_meanshift_flat(const double *y, size_t n, size_t dim, double h, const double *seeds,
                      size_t nseeds, const dg_meanshift_options *opt, double *path, size_t *counts,
                      size_t *iterations, size_t *n_iter, dg_error *err);

/*
 * scikit-learn's post-processing of the centres (nseeds × dim) and their
 * counts from dg_meanshift_flat: centres with count 0 are dropped, centres
 * equal to the last bit are one (the count of the last seed stays, as in
 * its dict); the rest are sorted by count, then by their coordinates as a
 * tuple, both descending; in that order each centre not yet suppressed
 * suppresses every other within distance h (≤ h).  The kept centres, in
 * order, are written to modes (caller-owned, room for nseeds × dim) and
 * their count to *nmodes.  Returns DG_EINVAL when every count is 0 (no seed
 * had a data point within h); DG_ENOMEM.
 */
int dg_meanshift_select(const double *centres, const size_t *counts, size_t nseeds, size_t dim,
                        double h, double *modes, size_t *nmodes, dg_error *err);

/*
 * labels[i] ← the index of the mode nearest to y_i (the first on ties), as
 * scikit-learn assigns labels with cluster_all = True.  Parallel over the
 * points.  Returns DG_EINVAL for nmodes = 0.
 */
int dg_meanshift_label(const double *y, size_t n, size_t dim, const double *modes, size_t nmodes,
                       size_t *labels, dg_error *err);

#endif /* DG_MEANSHIFT_H */
