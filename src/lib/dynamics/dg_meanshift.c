/* dg_meanshift: Gaussian mean shift (fixed, annealed) and scikit-learn's flat MeanShift. */
#include "config.h"

#include "dg_meanshift.h"

#include <gsl/gsl_sort.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dg_schedule.h"
#include "dg_tensor.h"

static const dg_meanshift_options defaults = DG_MEANSHIFT_OPTIONS_DEFAULT;

/* ------------------------------------------------------------------------ */
/* Private helpers                                                          */
/* ------------------------------------------------------------------------ */

static int check_bandwidth(double h, dg_error *err)
{
    if (!(h > 0) || !isfinite(h))
        return dg_error_set(err, DG_EINVAL, "bandwidth h = %g: must be positive and finite", h);
    return DG_OK;
}

static int check_tol(double tol, dg_error *err)
{
    if (!(tol >= 0) || !isfinite(tol))
        return dg_error_set(err, DG_EINVAL, "tolerance %g: must be non-negative and finite", tol);
    return DG_OK;
}

/* Start points for a denoiser: at least one, of its dimension, finite. */
static int check_starts(const dg_denoiser *den, size_t n, size_t dim, const double *x0,
                        dg_error *err)
{
    if (dim != dg_denoiser_dim(den))
        return dg_error_set(err, DG_EINVAL, "start points have dimension %zu, the data %zu", dim,
                            dg_denoiser_dim(den));
    if (n == 0)
        return dg_error_set(err, DG_EINVAL, "no start points");
    return dg_check_finite(x0, n, dim, "start points", err);
}

/* Progress and cancellation after step `done` of `total`. */
static int after_step(const dg_meanshift_options *opt, size_t done, size_t total, dg_error *err)
{
    if (opt->progress)
        opt->progress(opt->progress_ctx, done, total);
    if (opt->cancel && *opt->cancel)
        return dg_error_set(err, DG_ECANCELLED, "interrupted after step %zu of %zu", done, total);
    return DG_OK;
}

/*
 * Σ_j (a_j − b_j)² added in coordinate order, as scikit-learn's KD and ball
 * trees compute it (dg_sqdist's four partial sums would round differently at
 * the boundary of a ball); stops early once above `stop`, since the partial
 * sums never decrease.
 */
static double sqdist_ordered(const double *a, const double *b, size_t dim, double stop)
{
    double s = 0;
    for (size_t j = 0; j < dim && s <= stop; j++) {
        const double e = a[j] - b[j];
        s += e * e;
    }
    return s;
}

/* ------------------------------------------------------------------------ */
/* Gaussian kernel                                                          */
/* ------------------------------------------------------------------------ */

int dg_meanshift_gaussian(dg_denoiser *den, double h, size_t n, size_t dim, const double *x0,
                          const dg_meanshift_options *opt, double *path, size_t *iterations,
                          dg_error *err)
{
    if (!opt)
        opt = &defaults;
    *iterations = 0;
    int status = check_bandwidth(h, err);
    if (status == DG_OK)
        status = check_tol(opt->tol, err);
    if (status == DG_OK)
        status = check_starts(den, n, dim, x0, err);
    if (status != DG_OK)
        return status;

    const size_t len = n * dim;
    memcpy(path, x0, len * sizeof *path);
    for (size_t k = 0; k < opt->max_iter; k++) {
        const double *x = path + k * len;
        double *next = path + (k + 1) * len;
        status = dg_denoiser_eval(den, x, n, h, next, err);
        if (status != DG_OK)
            return status;
        *iterations = k + 1;
        double shift = 0;
        for (size_t i = 0; i < n; i++)
            shift = fmax(shift, sqrt(dg_sqdist(next + i * dim, x + i * dim, dim)));
        status = after_step(opt, k + 1, opt->max_iter, err);
        if (status != DG_OK || (opt->tol > 0 && shift <= opt->tol * h))
            return status;
    }
    return DG_OK;
}

int dg_meanshift_annealed(dg_denoiser *den, const double *sigmas, size_t nsigmas, size_t n,
                          size_t dim, const double *x0, const dg_meanshift_options *opt,
                          double *path, double *targets, dg_error *err)
{
    if (!opt)
        opt = &defaults;
    int status = dg_schedule_check(sigmas, nsigmas, err);
    if (status == DG_OK)
        status = check_starts(den, n, dim, x0, err);
    if (status != DG_OK)
        return status;

    const size_t len = n * dim, steps = nsigmas - 1;
    memcpy(path, x0, len * sizeof *path);
    for (size_t i = 0; i < steps; i++) {
        const double *x = path + i * len;
        double *next = path + (i + 1) * len, *m = targets + i * len;
        status = dg_denoiser_eval(den, x, n, sigmas[i], m, err);
        if (status != DG_OK)
            return status;
        /* The convex blend toward the mean-shift target; r = 0 gives m itself. */
        const double r = sigmas[i + 1] / sigmas[i];
        for (size_t k = 0; k < len; k++)
            next[k] = r * x[k] + (1 - r) * m[k];
        status = after_step(opt, i + 1, steps, err);
        if (status != DG_OK)
            return status;
    }
    return DG_OK;
}

/* ------------------------------------------------------------------------ */
/* Flat kernel: bandwidth and seeds                                         */
/* ------------------------------------------------------------------------ */

int dg_meanshift_estimate_bandwidth(const double *y, size_t n, size_t dim, double quantile,
                                    double *h, dg_error *err)
{
    if (n == 0 || dim == 0)
        return dg_error_set(err, DG_EINVAL, "no data to estimate a bandwidth from");
    if (!(quantile > 0 && quantile <= 1))
        return dg_error_set(err, DG_EINVAL, "quantile %g: must be in (0, 1]", quantile);
    int status = dg_check_finite(y, n, dim, "data", err);
    if (status != DG_OK)
        return status;
    /* int(n * quantile) in Python: the product in double, truncated. */
    size_t k = (size_t)((double)n * quantile);
    if (k < 1)
        k = 1;
    if (k > n)
        k = n;
#ifdef _OPENMP
    const size_t threads = (size_t)omp_get_max_threads();
#else
    const size_t threads = 1;
#endif
    double *kth = dg_doubles_alloc(n, 1), *d2 = dg_doubles_alloc(threads, n);
    if (!kth || !d2) {
        status = dg_error_set(err, DG_ENOMEM, "cannot allocate %zu × %zu distances", threads, n);
        goto free_distances;
    }
    /* Each point is one thread's; the mean below adds them in point order. */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 16) num_threads(threads)
#endif
    for (size_t i = 0; i < n; i++) {
#ifdef _OPENMP
        double *row = d2 + (size_t)omp_get_thread_num() * n;
#else
        double *row = d2;
#endif
        for (size_t l = 0; l < n; l++)
            row[l] = sqdist_ordered(y + i * dim, y + l * dim, dim, INFINITY);
        gsl_sort(row, 1, n);
        kth[i] = sqrt(row[k - 1]);
    }
    double total = 0;
    for (size_t i = 0; i < n; i++)
        total += kth[i];
    *h = total / (double)n;
free_distances:
    dg_doubles_free(d2);
    dg_doubles_free(kth);
    return status;
}

/* A point of the data and its bin; sorted to group equal bins. */
typedef struct bin_entry {
    const double *bin; /* round(y/h), dim entries */
    size_t dim;
    size_t first; /* the index of the point */
} bin_entry;

/* Lexicographic order of doubles as Python compares tuples (−0 == 0); 0 if equal. */
static int compare_tuples(const double *a, const double *b, size_t dim)
{
    for (size_t j = 0; j < dim; j++) {
        if (a[j] < b[j])
            return -1;
        if (a[j] > b[j])
            return 1;
    }
    return 0;
}

static int compare_bins(const void *pa, const void *pb)
{
    const bin_entry *a = pa, *b = pb;
    const int c = compare_tuples(a->bin, b->bin, a->dim);
    return c ? c : (a->first > b->first) - (a->first < b->first);
}

static int compare_sizes(const void *pa, const void *pb)
{
    const size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    return (a > b) - (a < b);
}

int dg_meanshift_bin_seeds(const double *y, size_t n, size_t dim, double h, size_t min_freq,
                           double *seeds, size_t *nseeds, dg_error *err)
{
    *nseeds = 0;
    int status = check_bandwidth(h, err);
    if (status != DG_OK)
        return status;
    if (n == 0 || min_freq == 0)
        return dg_error_set(err, DG_EINVAL, "%s",
                            n == 0 ? "no data to bin" : "minimum bin frequency 0: must be ≥ 1");
    status = dg_check_finite(y, n, dim, "data", err);
    if (status != DG_OK)
        return status;
    double *bins = dg_doubles_alloc(n, dim);
    bin_entry *entries = malloc(n * sizeof *entries);
    size_t *firsts = malloc(n * sizeof *firsts);
    if (!bins || !entries || !firsts) {
        status = dg_error_set(err, DG_ENOMEM, "cannot allocate the bins of %zu points", n);
        goto release;
    }
    for (size_t i = 0; i < n; i++) {
        /* numpy's round is half to even: nearbyint in the default rounding mode. */
        for (size_t j = 0; j < dim; j++)
            bins[i * dim + j] = nearbyint(y[i * dim + j] / h);
        entries[i] = (bin_entry){bins + i * dim, dim, i};
    }
    qsort(entries, n, sizeof *entries, compare_bins);
    /* Runs of equal bins; each is known by its first point, as Python's dict orders it. */
    size_t count = 0;
    for (size_t a = 0, b; a < n; a = b) {
        for (b = a + 1; b < n && compare_tuples(entries[a].bin, entries[b].bin, dim) == 0; b++)
            ;
        if (b - a >= min_freq)
            firsts[count++] = entries[a].first;
    }
    qsort(firsts, count, sizeof *firsts, compare_sizes);
    if (count == n) {
        memcpy(seeds, y, n * dim * sizeof *seeds); /* binning did not reduce anything */
    } else {
        const float hf = (float)h;
        for (size_t s = 0; s < count; s++)
            for (size_t j = 0; j < dim; j++)
                seeds[s * dim + j] = (float)((float)bins[firsts[s] * dim + j] * hf);
    }
    *nseeds = count;

release:
    dg_doubles_free(bins);
    free(entries);
    free(firsts);
    return status;
}

/* ------------------------------------------------------------------------ */
/* Flat kernel: hill climbing, selection, labels                            */
/* ------------------------------------------------------------------------ */

/*
 * out ← the mean of the y_i within distance h of x (Σ(y_i − x)² ≤ h2), added
 * in index order and divided by their number, which is returned (out is
 * untouched when it is 0).
 */
static size_t ball_mean(const double *y, size_t n, size_t dim, const double *x, double h2,
                        double *out)
{
    size_t count = 0;
    for (size_t i = 0; i < n; i++) {
        const double *yi = y + i * dim;
        if (sqdist_ordered(yi, x, dim, h2) > h2)
            continue;
        if (count++ == 0)
            memcpy(out, yi, dim * sizeof *out);
        else
            for (size_t j = 0; j < dim; j++)
                out[j] += yi[j];
    }
    for (size_t j = 0; j < dim && count > 0; j++)
        out[j] /= (double)count;
    return count;
}

/* Where a seed stands in the climb. */
enum { CLIMBING, CONVERGED, EMPTY };

/* A flat climb: the data, the bandwidth's limits and every seed's progress. */
typedef struct flat_climb {
    const double *y;
    size_t n, dim, nseeds;
    double h2, limit;         /* h², and the step below which a seed has converged */
    size_t max_updates;       /* max_iter + 1: scikit-learn tests after the update */
    size_t *updates, *counts; /* per seed */
    unsigned char *state;     /* per seed: CLIMBING, CONVERGED or EMPTY */
} flat_climb;

/* Takes every climbing seed from cur to next (nseeds × dim each); returns how many still climb. */
static size_t flat_pass(const flat_climb *c, const double *cur, double *next)
{
    const size_t dim = c->dim;
    /* Each seed is one thread's: it climbs alone and writes only its own row. */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 4)
#endif
    for (size_t s = 0; s < c->nseeds; s++) {
        const double *x = cur + s * dim;
        double *to = next + s * dim;
        if (c->state[s] != CLIMBING) {
            memcpy(to, x, dim * sizeof *to);
            continue;
        }
        const size_t count = ball_mean(c->y, c->n, dim, x, c->h2, to);
        c->counts[s] = count;
        if (count == 0) {
            memcpy(to, x, dim * sizeof *to);
            c->state[s] = EMPTY;
            continue;
        }
        c->updates[s]++;
        if (sqrt(sqdist_ordered(to, x, dim, INFINITY)) < c->limit ||
            c->updates[s] == c->max_updates)
            c->state[s] = CONVERGED;
    }
    size_t climbing = 0;
    for (size_t s = 0; s < c->nseeds; s++)
        climbing += c->state[s] == CLIMBING;
    return climbing;
}

/* The most updates of a seed, and scikit-learn's n_iter_: the updates before the final test. */
static void flat_iterations(const flat_climb *c, size_t *iterations, size_t *n_iter)
{
    for (size_t s = 0; s < c->nseeds; s++) {
        *iterations = c->updates[s] > *iterations ? c->updates[s] : *iterations;
        const size_t completed = c->state[s] == EMPTY ? c->updates[s] : c->updates[s] - 1;
        if (n_iter && completed > *n_iter)
            *n_iter = completed;
    }
}

int dg_meanshift_flat(const double *y, size_t n, size_t dim, double h, const double *seeds,
                      size_t nseeds, const dg_meanshift_options *opt, double *path, size_t *counts,
                      size_t *iterations, size_t *n_iter, dg_error *err)
{
    if (!opt)
        opt = &defaults;
    *iterations = 0;
    if (n_iter)
        *n_iter = 0;
    int status = check_bandwidth(h, err);
    if (status == DG_OK)
        status = check_tol(opt->tol, err);
    if (status == DG_OK)
        status = dg_check_finite(y, n, dim, "data", err);
    if (status == DG_OK)
        status = dg_check_finite(seeds, nseeds, dim, "seeds", err);
    if (status != DG_OK)
        return status;
    flat_climb c = {.y = y,
                    .n = n,
                    .dim = dim,
                    .nseeds = nseeds,
                    .h2 = h * h,
                    .limit = opt->tol * h,
                    .max_updates = opt->max_iter + 1,
                    .updates = calloc(nseeds ? nseeds : 1, sizeof *c.updates),
                    .counts = counts,
                    .state = calloc(nseeds ? nseeds : 1, 1)};
    if (!c.updates || !c.state) {
        status = dg_error_set(err, DG_ENOMEM, "cannot allocate the state of %zu seeds", nseeds);
        goto free_state;
    }
    const size_t len = nseeds * dim;
    memcpy(path, seeds, len * sizeof *path);
    for (size_t s = 0; s < nseeds; s++)
        counts[s] = 0;
    /*
     * Pass k takes every climbing seed from block k to k + 1; a climbing seed
     * has made k updates, so k ≤ max_iter here and block k + 1 fits.
     */
    size_t climbing = nseeds;
    for (size_t k = 0; climbing > 0 && status == DG_OK; k++) {
        climbing = flat_pass(&c, path + k * len, path + (k + 1) * len);
        status = after_step(opt, k + 1, opt->max_iter + 1, err);
    }
    flat_iterations(&c, iterations, n_iter);
free_state:
    free(c.updates);
    free(c.state);
    return status;
}

/* A distinct centre and its count, for sorting. */
typedef struct centre {
    const double *x;
    size_t dim;
    size_t count;
    size_t seed;
} centre;

/* By coordinates, then by seed, both descending: the last seed of equal centres first. */
static int compare_centres_dedup(const void *pa, const void *pb)
{
    const centre *a = pa, *b = pb;
    const int c = compare_tuples(b->x, a->x, a->dim);
    return c ? c : (a->seed < b->seed) - (a->seed > b->seed);
}

/* scikit-learn's key (count, tuple(centre)), descending. */
static int compare_centres_intensity(const void *pa, const void *pb)
{
    const centre *a = pa, *b = pb;
    if (a->count != b->count)
        return a->count < b->count ? 1 : -1;
    return compare_tuples(b->x, a->x, a->dim);
}

int dg_meanshift_select(const double *centres, const size_t *counts, size_t nseeds, size_t dim,
                        double h, double *modes, size_t *nmodes, dg_error *err)
{
    *nmodes = 0;
    int status = check_bandwidth(h, err);
    if (status != DG_OK)
        return status;
    centre *c = malloc((nseeds ? nseeds : 1) * sizeof *c);
    unsigned char *unique = malloc(nseeds ? nseeds : 1);
    if (!c || !unique) {
        status = dg_error_set(err, DG_ENOMEM, "cannot allocate %zu centres", nseeds);
        goto release;
    }
    size_t m = 0;
    for (size_t s = 0; s < nseeds; s++)
        if (counts[s] > 0)
            c[m++] = (centre){centres + s * dim, dim, counts[s], s};
    if (m == 0) {
        status = dg_error_set(err, DG_EINVAL,
                              "no data point lies within the bandwidth "
                              "h = %g of any seed",
                              h);
        goto release;
    }
    /* A dict keyed by tuple(centre): equal centres are one, with the last seed's count. */
    qsort(c, m, sizeof *c, compare_centres_dedup);
    size_t distinct = 0;
    for (size_t a = 0; a < m; a++)
        if (a == 0 || compare_tuples(c[a].x, c[distinct - 1].x, dim) != 0)
            c[distinct++] = c[a];
    qsort(c, distinct, sizeof *c, compare_centres_intensity);

    const double h2 = h * h;
    memset(unique, 1, distinct);
    for (size_t a = 0; a < distinct; a++) {
        if (!unique[a])
            continue;
        for (size_t b = 0; b < distinct; b++)
            if (sqdist_ordered(c[a].x, c[b].x, dim, h2) <= h2)
                unique[b] = 0;
        unique[a] = 1;
    }
    for (size_t a = 0; a < distinct; a++)
        if (unique[a])
            memcpy(modes + (*nmodes)++ * dim, c[a].x, dim * sizeof *modes);

release:
    free(c);
    free(unique);
    return status;
}

int dg_meanshift_label(const double *y, size_t n, size_t dim, const double *modes, size_t nmodes,
                       size_t *labels, dg_error *err)
{
    if (nmodes == 0)
        return dg_error_set(err, DG_EINVAL, "no modes to label the data with");
        /* Each point is one thread's and gets its own label. */
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        double best_d2 = INFINITY;
        for (size_t m = 0; m < nmodes; m++) {
            const double d2 = sqdist_ordered(y + i * dim, modes + m * dim, dim, best_d2);
            if (d2 < best_d2) {
                best_d2 = d2;
                best = m;
            }
        }
        labels[i] = best;
    }
    return DG_OK;
}
