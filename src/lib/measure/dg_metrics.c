/* dg_metrics: trajectory measurements (doc/theory.md §3, §6). */
#include "config.h"

#include "dg_metrics.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "dg_tensor.h"
#include "dg_tree.h"

#ifndef M_PI
#define M_PI 3.14159265358979323846
#endif

void dg_metric_deviation(const double *traj, size_t K, size_t n, size_t dim, double *out)
{
    const size_t stride = n * dim;
    for (size_t s = 0; s < n; s++) {
        const double *x0 = traj + s * dim, *xe = traj + (K - 1) * stride + s * dim;
        const double chord = sqrt(dg_sqdist(xe, x0, dim));
        for (size_t k = 0; k < K; k++) {
            const double *x = traj + k * stride + s * dim;
            /* |v|² − (v·u)² loses digits near the line; project explicitly instead. */
            double vu = 0;
            for (size_t j = 0; j < dim; j++)
                vu += (xe[j] - x[j]) * (chord > 0 ? (xe[j] - x0[j]) / chord : 0);
            double dev2 = 0;
            for (size_t j = 0; j < dim; j++) {
                const double u = chord > 0 ? (xe[j] - x0[j]) / chord : 0;
                const double r = (xe[j] - x[j]) - vu * u;
                dev2 += r * r;
            }
            out[k * n + s] = (k == 0 || k == K - 1) ? 0.0 : sqrt(dev2);
        }
    }
}

void dg_metric_distance_to_end(const double *traj, size_t K, size_t n, size_t dim, double *out)
{
    const size_t stride = n * dim;
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; s < n; s++)
            out[k * n + s] = sqrt(
                dg_sqdist(traj + k * stride + s * dim, traj + (K - 1) * stride + s * dim, dim));
}

void dg_metric_norm(const double *traj, size_t K, size_t n, size_t dim, double *out)
{
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; s < n; s++)
            out[k * n + s] = sqrt(dg_sqnorm(traj + (k * n + s) * dim, dim));
}

void dg_metric_cosine(const double *traj, const double *denoised, size_t K, size_t n, size_t dim,
                      double *out)
{
    const size_t stride = n * dim;
    for (size_t k = 0; k < K; k++) {
        for (size_t s = 0; s < n; s++) {
            const double *x = traj + k * stride + s * dim;
            const double *d = denoised + k * stride + s * dim;
            const double *xe = traj + K * stride + s * dim;
            double dot = 0, dd = 0, ee = 0;
            for (size_t j = 0; j < dim; j++) {
                const double a = x[j] - d[j], b = x[j] - xe[j];
                dot += a * b;
                dd += a * a;
                ee += b * b;
            }
            out[k * n + s] = dd > 0 && ee > 0 ? dot / sqrt(dd * ee) : 0.0;
        }
    }
}

void dg_metric_distance(const double *a, const double *b, size_t K, size_t n, size_t dim,
                        double *out)
{
    for (size_t k = 0; k < K * n; k++)
        out[k] = sqrt(dg_sqdist(a + k * dim, b + k * dim, dim));
}

void dg_metric_norm_d(const double *traj, const double *denoised, const double *sigmas, size_t K,
                      size_t n, size_t dim, double *out)
{
    dg_metric_distance(traj, denoised, K, n, dim, out);
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; s < n; s++)
            out[k * n + s] /= sigmas[k];
}

/* ------------------------------------------------------------------------ */
/* Nearest neighbours and the kernel density estimate                       */
/* ------------------------------------------------------------------------ */

static int bandwidth_ok(double h)
{
    return isfinite(h) && h > 0;
}

/*
 * The KDE's record of a subtree of chunks for a batch of nb queries, (2 + nh)
 * doubles per query:
 *   [0]       best: min ‖x − y_i‖² over the subtree's rows
 *   [1]       the first row (index in the whole dataset) at that distance
 *   [2 + j]   Σ exp(−(‖x − y_i‖² − best)·inv_j), inv_j = 1/(2h_j²), or 0
 *             for a skipped bandwidth (inv_j = 0)
 * Sums are taken about the subtree's own minimum, so nothing overflows or
 * underflows needlessly; a merge rescales both to the smaller one.
 */
typedef struct kde_ctx {
    size_t nb, nh;
    const double *inv; /* nb × nh: 1/(2h²) of each query's bandwidths, 0 to skip */
} kde_ctx;

static void kde_merge(const void *ctx, void *pa, const void *pb)
{
    const kde_ctx *c = ctx;
    const size_t w = 2 + c->nh;
    double *a = pa;
    const double *b = pb;
    for (size_t q = 0; q < c->nb; q++, a += w, b += w) {
        const double best = b[0] < a[0] ? b[0] : a[0]; /* ties: a's row comes first */
        for (size_t j = 0; j < c->nh; j++) {
            const double inv = c->inv[q * c->nh + j];
            if (inv > 0)
                a[2 + j] =
                    a[2 + j] * exp(-(a[0] - best) * inv) + b[2 + j] * exp(-(b[0] - best) * inv);
        }
        if (b[0] < a[0]) {
            a[0] = b[0];
            a[1] = b[1];
        }
    }
}

static size_t kde_bytes(const void *ctx)
{
    const kde_ctx *c = ctx;
    return c->nb * (2 + c->nh) * sizeof(double);
}

static const dg_tree_ops kde_ops = {kde_merge, kde_bytes, NULL};

/*
 * The records of rows [r0, r0 + nc) of y (r0 + offset in the whole dataset)
 * for nb ≤ KDE_SUB queries x into leaf (the layout of kde_ctx, query rows of
 * the batch from q0).  Each row of data is read once for all nb queries
 * while it is in cache.
 */
#define KDE_SUB 8
static void kde_leaf(const kde_ctx *c, const double *y, size_t r0, size_t nc, size_t offset,
                     size_t dim, const double *x, size_t q0, size_t nb, double *leaf)
{
    double d2[KDE_SUB][DG_CHUNK_ROWS];
    for (size_t i = 0; i < nc; i++)
        for (size_t q = 0; q < nb; q++)
            d2[q][i] = dg_sqdist(x + q * dim, y + (r0 + i) * dim, dim);
    const size_t w = 2 + c->nh;
    for (size_t q = 0; q < nb; q++) {
        double *rec = leaf + (q0 + q) * w;
        size_t at = 0;
        for (size_t i = 1; i < nc; i++)
            if (d2[q][i] < d2[q][at])
                at = i;
        rec[0] = d2[q][at];
        rec[1] = (double)(offset + r0 + at);
        for (size_t j = 0; j < c->nh; j++) {
            const double inv = c->inv[(q0 + q) * c->nh + j];
            double s = 0;
            for (size_t i = 0; inv > 0 && i < nc; i++)
                s += exp(-(d2[q][i] - rec[0]) * inv);
            rec[2 + j] = s;
        }
    }
}

/* Queries whose records go through the tree together (one pass over the data). */
#define KDE_BATCH 256

/* Outputs of a batch of queries from the root's records. */
static void kde_results(const kde_ctx *c, const double *root, size_t N, size_t dim, const double *h,
                        double *logp, double *nn_sqdist, size_t *nn_index)
{
    const double log_2pi = log(2 * M_PI);
    const size_t w = 2 + c->nh;
    for (size_t q = 0; q < c->nb; q++) {
        const double *rec = root + q * w;
        for (size_t j = 0; j < c->nh; j++) {
            const double inv = c->inv[q * c->nh + j];
            logp[q * c->nh + j] =
                inv == 0 ? NAN
                         : -rec[0] * inv + log(rec[2 + j]) - log((double)N) -
                               0.5 * (double)dim * (log_2pi + 2 * log(h[q * c->nh + j]));
        }
        if (nn_sqdist)
            nn_sqdist[q] = rec[0];
        if (nn_index)
            nn_index[q] = (size_t)rec[1];
    }
}

/* The arguments of dg_metric_kde_shard; *first is this process's first row. */
static int kde_check(const double *y, size_t n, size_t dim, size_t n_total, const dg_comm *comm,
                     const double *h, size_t nh, const double *logp, size_t *first, dg_error *err)
{
    if (n_total == 0 || dim == 0)
        return dg_error_set(err, DG_EINVAL, "a density estimate needs data (%zu × %zu)", n_total,
                            dim);
    if (nh > DG_KDE_BANDWIDTHS_MAX)
        return dg_error_set(err, DG_EINVAL, "%zu bandwidths per query: at most %d", nh,
                            DG_KDE_BANDWIDTHS_MAX);
    if (nh > 0 && (!h || !logp))
        return dg_error_set(err, DG_EINVAL, "bandwidths without room for the results");
    return dg_shard_check(n_total, comm, y, n, first, err);
}

/* A pass of dg_metric_kde_shard over this process's rows: the tree and its buffers. */
typedef struct kde_pass {
    const double *y;
    size_t n, first, dim;
    size_t words; /* of one leaf record */
    dg_tree tree;
    double *leaves; /* DG_CHUNK_GROUP leaf records */
    double *root;   /* the root's record */
} kde_pass;

/* The root record of the nb queries xb of ctx: every chunk's leaves, combined over the tree
 * (and the processes), then broadcast from process 0. */
static int kde_batch(kde_pass *p, const kde_ctx *ctx, const double *xb, const dg_comm *comm,
                     dg_error *err)
{
    const size_t nb = ctx->nb, nsub = (nb + KDE_SUB - 1) / KDE_SUB, dim = p->dim;
    const size_t nchunks = (p->n + DG_CHUNK_ROWS - 1) / DG_CHUNK_ROWS;
    for (size_t g0 = 0; g0 < nchunks; g0 += DG_CHUNK_GROUP) {
        const size_t ng = nchunks - g0 < DG_CHUNK_GROUP ? nchunks - g0 : DG_CHUNK_GROUP;
        /* Each (chunk, queries) leaf by one thread alone: bits independent of threads. */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic)
#endif
        for (size_t k = 0; k < ng * nsub; k++) {
            const size_t t = k / nsub, q0 = k % nsub * KDE_SUB;
            const size_t r0 = (g0 + t) * DG_CHUNK_ROWS;
            const size_t nc = p->n - r0 < DG_CHUNK_ROWS ? p->n - r0 : DG_CHUNK_ROWS;
            kde_leaf(ctx, p->y, r0, nc, p->first, dim, xb + q0 * dim, q0,
                     nb - q0 < KDE_SUB ? nb - q0 : KDE_SUB, p->leaves + t * p->words);
        }
        for (size_t t = 0; t < ng; t++)
            dg_tree_push(&p->tree, &kde_ops, ctx, p->first / DG_CHUNK_ROWS + g0 + t,
                         p->leaves + t * p->words);
    }
    void *top;
    int status = dg_tree_finish(&p->tree, &kde_ops, ctx, &top, err);
    if (status == DG_OK && top)
        memcpy(p->root, top, kde_bytes(ctx));
    if (status == DG_OK && p->tree.comm)
        status = comm->bcast(comm->state, p->root, kde_bytes(ctx), 0);
    return status;
}

int dg_metric_kde_shard(const double *y, size_t n, size_t dim, size_t n_total, const dg_comm *comm,
                        const double *x, size_t nq, const double *h, size_t nh, double *logp,
                        double *nn_sqdist, size_t *nn_index, dg_error *err)
{
    kde_pass p = {.y = y, .n = n, .dim = dim};
    int status = kde_check(y, n, dim, n_total, comm, h, nh, logp, &p.first, err);
    const size_t batch = nq < KDE_BATCH ? (nq > 0 ? nq : 1) : KDE_BATCH;
    p.words = batch * (2 + nh);
    double *inv = NULL;
    if (status == DG_OK) {
        inv = dg_doubles_alloc(nq > 0 ? nq : 1, nh > 0 ? nh : 1);
        p.leaves = dg_doubles_alloc(DG_CHUNK_GROUP, p.words);
        p.root = dg_doubles_alloc(1, p.words);
        if (!inv || !p.leaves || !p.root ||
            dg_tree_init(&p.tree, n_total, comm, p.words * sizeof(double), err) != DG_OK)
            status = dg_error_set(err, DG_ENOMEM,
                                  "cannot allocate a density estimate's records (%zu queries)", nq);
    }
    const int local = status;
    status = dg_comm_all_ok(comm, status, err);
    if (status != DG_OK && local == DG_OK)
        dg_error_set(err, status, "another process could not take part in a density estimate");
    if (status != DG_OK)
        goto free_records;

    for (size_t k = 0; k < nq * nh; k++)
        inv[k] = bandwidth_ok(h[k]) ? 0.5 / (h[k] * h[k]) : 0;
    for (size_t b0 = 0; b0 < nq; b0 += batch) {
        const kde_ctx ctx = {nq - b0 < batch ? nq - b0 : batch, nh, inv + b0 * nh};
        status = kde_batch(&p, &ctx, x + b0 * dim, comm, err);
        if (status != DG_OK) {
            dg_error_set(err, status, "communication between processes failed");
            goto free_records;
        }
        kde_results(&ctx, p.root, n_total, dim, nh ? h + b0 * nh : NULL, nh ? logp + b0 * nh : NULL,
                    nn_sqdist ? nn_sqdist + b0 : NULL, nn_index ? nn_index + b0 : NULL);
    }
free_records:
    dg_tree_release(&p.tree);
    dg_doubles_free(inv);
    dg_doubles_free(p.leaves);
    dg_doubles_free(p.root);
    return status;
}

int dg_metric_kde(const double *y, size_t N, size_t dim, const double *x, size_t nq,
                  const double *h, size_t nh, double *logp, double *nn_sqdist, size_t *nn_index,
                  dg_error *err)
{
    return dg_metric_kde_shard(y, N, dim, N, NULL, x, nq, h, nh, logp, nn_sqdist, nn_index, err);
}

int dg_metric_nn_distance(const double *y, size_t N, size_t dim, const double *x, size_t nq,
                          double *out, size_t *index, dg_error *err)
{
    const int status = dg_metric_kde(y, N, dim, x, nq, NULL, 0, NULL, out, index, err);
    if (status == DG_OK)
        for (size_t q = 0; q < nq; q++)
            out[q] = sqrt(out[q]);
    return status;
}

void dg_metric_kde_gain_bound(const double *traj, const double *mshift, const double *sigmas,
                              size_t K, size_t n, size_t dim, double *out)
{
    dg_metric_distance(traj, mshift, K, n, dim, out);
    for (size_t k = 0; k < K; k++) {
        const double lambda = 1 - sigmas[k + 1] / sigmas[k];
        const double scale = lambda * (2 - lambda) / (2 * sigmas[k] * sigmas[k]);
        for (size_t s = 0; s < n; s++)
            out[k * n + s] *= out[k * n + s] * scale;
    }
}

/* ------------------------------------------------------------------------ */
/* Low-dimensional structure                                                */
/* ------------------------------------------------------------------------ */

struct dg_metric_workspace {
    size_t K, dim;
    size_t m;                         /* min(K, dim): order of the eigenproblem */
    double *a;                        /* K × dim: the points a principal analysis sees */
    double *vec;                      /* dim: a mean or a direction */
    double *pc;                       /* 2 × dim: the principal directions */
    double *coord;                    /* 2 × K: the points' coordinates on them */
    double *arc;                      /* K: arc length of a curve */
    double *basis;                    /* K × 4: orthonormalised monomials of a fit */
    gsl_matrix *gram;                 /* m × m: Gram or scatter matrix */
    gsl_matrix *evec;                 /* m × m: its eigenvectors */
    gsl_vector *eval;                 /* m: its eigenvalues */
    gsl_eigen_symmv_workspace *eigen; /* GSL's scratch for order m */
};

dg_metric_workspace *dg_metric_workspace_alloc(size_t K, size_t dim)
{
    if (K == 0 || dim == 0 || !dg_size_fits(K, dim) || !dg_size_fits(K, 4))
        return NULL;
    dg_metric_workspace *w = calloc(1, sizeof *w);
    if (!w)
        return NULL;
    w->K = K;
    w->dim = dim;
    w->m = K < dim ? K : dim;
    w->a = dg_doubles_alloc(K, dim);
    w->vec = dg_doubles_alloc(1, dim);
    w->pc = dg_doubles_alloc(2, dim);
    w->coord = dg_doubles_alloc(2, K);
    w->arc = dg_doubles_alloc(1, K);
    w->basis = dg_doubles_alloc(K, 4);
    w->gram = gsl_matrix_alloc(w->m, w->m);
    w->evec = gsl_matrix_alloc(w->m, w->m);
    w->eval = gsl_vector_alloc(w->m);
    w->eigen = gsl_eigen_symmv_alloc(w->m);
    if (!w->a || !w->vec || !w->pc || !w->coord || !w->arc || !w->basis || !w->gram || !w->evec ||
        !w->eval || !w->eigen) {
        dg_metric_workspace_free(w);
        return NULL;
    }
    return w;
}

void dg_metric_workspace_free(dg_metric_workspace *w)
{
    if (!w)
        return;
    dg_doubles_free(w->a);
    dg_doubles_free(w->vec);
    dg_doubles_free(w->pc);
    dg_doubles_free(w->coord);
    dg_doubles_free(w->arc);
    dg_doubles_free(w->basis);
    if (w->gram)
        gsl_matrix_free(w->gram);
    if (w->evec)
        gsl_matrix_free(w->evec);
    if (w->eval)
        gsl_vector_free(w->eval);
    if (w->eigen)
        gsl_eigen_symmv_free(w->eigen);
    free(w);
}

static int check_workspace(const dg_metric_workspace *w, size_t K, size_t dim, dg_error *err)
{
    if (!w || w->K != K || w->dim != dim)
        return dg_error_set(err, DG_EINVAL,
                            "the workspace is made for %zu points in R^%zu, not %zu in R^%zu",
                            w ? w->K : 0, w ? w->dim : 0, K, dim);
    return DG_OK;
}

/* Normalises v (length dim) to unit length; returns 0 (and zeroes v) if it is 0. */
static int normalise(double *v, size_t dim)
{
    const double len = dg_norm(v, dim);
    for (size_t i = 0; i < dim; i++)
        v[i] = len > 0 ? v[i] / len : 0;
    return len > 0;
}

/*
 * First estimates of the top two principal directions of the K rows a_k of
 * w->a (about the origin) into w->pc, from GSL's symmetric eigensolver on
 * the smaller of A Aᵀ (K ≤ dim: directions Aᵀv) and AᵀA.  *found gets how
 * many are not negligible (DG_PCA_RANK_TOL), the others being 0.
 */
static int estimate_top_two(dg_metric_workspace *w, size_t *found, dg_error *err)
{
    const size_t K = w->K, dim = w->dim, m = w->m;
    const int gram = K <= dim;
    gsl_matrix_const_view A = gsl_matrix_const_view_array(w->a, K, dim);
    gsl_blas_dgemm(gram ? CblasNoTrans : CblasTrans, gram ? CblasTrans : CblasNoTrans, 1.0,
                   &A.matrix, &A.matrix, 0.0, w->gram);
    /* GSL's QL iteration would not end on an infinite matrix. */
    if (!dg_all_finite(w->gram->data, m * m, NULL))
        return dg_error_set(err, DG_ENONFINITE, "principal components: points too large to square");
    gsl_eigen_symmv(w->gram, w->eval, w->evec, w->eigen);
    gsl_eigen_symmv_sort(w->eval, w->evec, GSL_EIGEN_SORT_VAL_DESC);
    const double top = gsl_vector_get(w->eval, 0);
    size_t rank = 0;
    memset(w->pc, 0, 2 * dim * sizeof *w->pc);
    for (size_t j = 0; j < 2 && j < m; j++) {
        if (!(top > 0 && gsl_vector_get(w->eval, j) > DG_PCA_RANK_TOL * top))
            break;
        double *p = w->pc + j * dim;
        if (gram)
            for (size_t k = 0; k < K; k++)
                for (size_t i = 0; i < dim; i++)
                    p[i] += gsl_matrix_get(w->evec, k, j) * w->a[k * dim + i];
        else
            for (size_t i = 0; i < dim; i++)
                p[i] = gsl_matrix_get(w->evec, i, j);
        rank += (size_t)normalise(p, dim);
    }
    *found = rank;
    return DG_OK;
}

/* B ← A Pᵀ for the first `rank` rows of P: w->coord[j·K + k] = a_k·p_j. */
static void project(dg_metric_workspace *w, size_t rank)
{
    for (size_t j = 0; j < rank; j++)
        for (size_t k = 0; k < w->K; k++)
            w->coord[j * w->K + k] = dg_dot(w->a + k * w->dim, w->pc + j * w->dim, w->dim);
}

/*
 * One step of subspace iteration, P ← orth(Aᵀ(A P)), with explicit
 * products, then the Rayleigh–Ritz rotation within the plane.  The Gram
 * matrix's rounding is unstructured, so its second direction errs by about
 * ε λ₁/(λ₂ − λ₃); in the products the rounding lies mostly along the first
 * direction, which the orthogonalisation removes, and the step also damps
 * the remaining error by λ₃/λ₂.
 */
static void refine_top_two(dg_metric_workspace *w, size_t rank)
{
    const size_t K = w->K, dim = w->dim;
    project(w, rank);
    for (size_t j = 0; j < rank; j++) {
        double *p = w->pc + j * dim;
        memset(p, 0, dim * sizeof *p);
        for (size_t k = 0; k < K; k++)
            for (size_t i = 0; i < dim; i++)
                p[i] += w->coord[j * K + k] * w->a[k * dim + i];
        for (size_t pass = 0; pass < 2 && j == 1; pass++) { /* twice is enough */
            const double along = dg_dot(p, w->pc, dim);
            for (size_t i = 0; i < dim; i++)
                p[i] -= along * w->pc[i];
        }
        normalise(p, dim);
    }
    if (rank < 2)
        return;
    project(w, 2);
    const double m00 = dg_sqnorm(w->coord, K), m11 = dg_sqnorm(w->coord + K, K);
    const double m01 = dg_dot(w->coord, w->coord + K, K);
    const double theta = 0.5 * atan2(2 * m01, m00 - m11), c = cos(theta), s = sin(theta);
    for (size_t i = 0; i < dim; i++) {
        const double p0 = w->pc[i], p1 = w->pc[dim + i];
        w->pc[i] = c * p0 + s * p1;
        w->pc[dim + i] = -s * p0 + c * p1;
    }
}

/*
 * The power of two s that brings the largest |x_i| into [1/2, 1) (1 for a
 * zero vector): x s squares without overflow or underflow, and scaling by
 * it is exact, so results in ordinary ranges do not change by a bit.
 */
static double unit_scale(const double *x, size_t count)
{
    double big = 0;
    for (size_t i = 0; i < count; i++)
        big = fmax(big, fabs(x[i]));
    int e = 0;
    frexp(big, &e);
    return big > 0 ? ldexp(1.0, -e) : 1.0;
}

/* ‖x‖ from the squares of x s (s = unit_scale), through w->vec. */
static double scaled_norm(dg_metric_workspace *w, const double *x)
{
    const double s = unit_scale(x, w->dim);
    for (size_t i = 0; i < w->dim; i++)
        w->vec[i] = x[i] * s;
    return sqrt(dg_sqnorm(w->vec, w->dim)) / s;
}

/* ‖x − y‖ from x s and y s (s = unit_scale of both), through the first two
 * rows of w->a (a workspace of one row: unscaled). */
static double scaled_distance(dg_metric_workspace *w, const double *x, const double *y)
{
    const size_t dim = w->dim;
    if (w->K < 2)
        return sqrt(dg_sqdist(x, y, dim));
    const double s = fmin(unit_scale(x, dim), unit_scale(y, dim));
    for (size_t i = 0; i < dim; i++) {
        w->a[i] = x[i] * s;
        w->a[dim + i] = y[i] * s;
    }
    return sqrt(dg_sqdist(w->a, w->a + dim, dim)) / s;
}

/*
 * The top two principal directions of the K rows a_k of w->a about the
 * origin (the caller centres or projects first) into w->pc, and the
 * coordinates a_k·p_j into w->coord; a negligible direction is 0.  The rows
 * are first scaled by *scale (unit_scale): w->a and w->coord are left in
 * those units (points of 1e-200 or 1e200 are measured as those of 1).
 */
static int top_two(dg_metric_workspace *w, double *scale, dg_error *err)
{
    const size_t K = w->K, dim = w->dim;
    size_t rank = 0;
    if (!dg_all_finite(w->a, K * dim, NULL))
        return dg_error_set(err, DG_ENONFINITE, "principal components of non-finite points");
    *scale = unit_scale(w->a, K * dim);
    for (size_t i = 0; i < K * dim; i++)
        w->a[i] *= *scale;
    const int status = estimate_top_two(w, &rank, err);
    if (status != DG_OK)
        return status;
    refine_top_two(w, rank);
    project(w, 2);
    for (size_t j = 0; j < 2; j++) {
        /* The sign of an eigenvector is arbitrary: the largest coordinate is made positive. */
        double *p = w->pc + j * dim, *c = w->coord + j * K;
        size_t big = 0;
        for (size_t k = 0; k < K; k++)
            if (fabs(c[k]) > fabs(c[big]))
                big = k;
        if (c[big] < 0) {
            for (size_t i = 0; i < dim; i++)
                p[i] = -p[i];
            for (size_t k = 0; k < K; k++)
                c[k] = -c[k];
        }
    }
    return DG_OK;
}

/* w->a ← the K points x + k·stride (dim values each) minus centre (NULL: 0). */
static void load_points(dg_metric_workspace *w, const double *x, size_t stride,
                        const double *centre)
{
    for (size_t k = 0; k < w->K; k++)
        for (size_t i = 0; i < w->dim; i++)
            w->a[k * w->dim + i] = x[k * stride + i] - (centre ? centre[i] : 0.0);
}

int dg_metric_top_two(const double *x, const double *centre, size_t K, size_t dim,
                      dg_metric_workspace *w, double *pc, size_t *rank, dg_error *err)
{
    int status = check_workspace(w, K, dim, err);
    if (status != DG_OK)
        return status;
    load_points(w, x, dim, centre);
    double scale;
    status = top_two(w, &scale, err);
    if (status != DG_OK)
        return status;
    memcpy(pc, w->pc, 2 * dim * sizeof *pc);
    *rank = (size_t)(dg_norm(pc, dim) > 0) + (size_t)(dg_norm(pc + dim, dim) > 0);
    return DG_OK;
}

int dg_metric_pca2_error(const double *traj, size_t K, size_t n, size_t dim, dg_metric_workspace *w,
                         double *out, dg_error *err)
{
    int status = check_workspace(w, K, dim, err);
    const size_t stride = n * dim;
    for (size_t s = 0; s < n && status == DG_OK; s++) {
        double *mean = w->vec;
        memset(mean, 0, dim * sizeof *mean);
        for (size_t k = 0; k < K; k++)
            for (size_t i = 0; i < dim; i++)
                mean[i] += traj[k * stride + s * dim + i];
        for (size_t i = 0; i < dim; i++)
            mean[i] /= (double)K;
        load_points(w, traj + s * dim, stride, mean);
        double scale;
        status = top_two(w, &scale, err);
        for (size_t k = 0; k < K && status == DG_OK; k++) {
            const double *a = w->a + k * dim, c0 = w->coord[k], c1 = w->coord[K + k];
            double r2 = 0; /* in the units of the scaled rows */
            for (size_t i = 0; i < dim; i++) {
                const double r = a[i] - c0 * w->pc[i] - c1 * w->pc[dim + i];
                r2 += r * r;
            }
            const double norm = scaled_norm(w, traj + k * stride + s * dim);
            out[k * n + s] = norm > 0 ? sqrt(r2) / scale / norm : NAN;
        }
    }
    return status;
}

int dg_metric_coords3d(const double *traj, size_t K, size_t n, size_t dim, dg_metric_workspace *w,
                       double *out, dg_error *err)
{
    int status = check_workspace(w, K, dim, err);
    const size_t stride = n * dim;
    for (size_t s = 0; s < n && status == DG_OK; s++) {
        const double *x0 = traj + s * dim, *xe = traj + (K - 1) * stride + s * dim;
        const double chord = scaled_distance(w, xe, x0);
        double *u = w->vec;
        for (size_t i = 0; i < dim; i++)
            u[i] = chord > 0 ? (xe[i] - x0[i]) / chord : 0;
        for (size_t k = 0; k < K; k++) {
            const double *x = traj + k * stride + s * dim;
            double *y = w->a + k * dim, along = 0;
            for (size_t i = 0; i < dim; i++) {
                y[i] = x[i] - x0[i];
                along += y[i] * u[i];
            }
            for (size_t i = 0; i < dim; i++)
                y[i] = k + 1 < K ? y[i] - along * u[i] : 0; /* the end is on the chord */
            out[(k * n + s) * 3] = k + 1 < K ? along : chord;
        }
        double scale;
        status = top_two(w, &scale, err);
        for (size_t k = 0; k < K && status == DG_OK; k++) {
            out[(k * n + s) * 3 + 1] = w->coord[k] / scale;
            out[(k * n + s) * 3 + 2] = w->coord[K + k] / scale;
        }
    }
    return status;
}

static void cross(const double a[3], const double b[3], double out[3])
{
    out[0] = a[1] * b[2] - a[2] * b[1];
    out[1] = a[2] * b[0] - a[0] * b[2];
    out[2] = a[0] * b[1] - a[1] * b[0];
}

/*
 * Modified Gram–Schmidt on the four columns of basis (win × 4, row-major):
 * basis ← Q, R upper triangular with basis = Q R.  Returns 0, or −1 when a
 * column keeps less than DG_CURVATURE_RANK_TOL of its norm (dependent columns).
 */
static int orthonormalise(double *basis, size_t win, double R[4][4])
{
    for (size_t j = 0; j < 4; j++) {
        double before = 0, after = 0;
        for (size_t i = 0; i < win; i++)
            before += basis[i * 4 + j] * basis[i * 4 + j];
        for (size_t l = 0; l < j; l++) {
            double dot = 0;
            for (size_t i = 0; i < win; i++)
                dot += basis[i * 4 + l] * basis[i * 4 + j];
            R[l][j] = dot;
            for (size_t i = 0; i < win; i++)
                basis[i * 4 + j] -= dot * basis[i * 4 + l];
        }
        for (size_t i = 0; i < win; i++)
            after += basis[i * 4 + j] * basis[i * 4 + j];
        if (!(after > DG_CURVATURE_RANK_TOL * DG_CURVATURE_RANK_TOL * before))
            return -1;
        R[j][j] = sqrt(after);
        for (size_t i = 0; i < win; i++)
            basis[i * 4 + j] /= R[j][j];
    }
    return 0;
}

/*
 * r′, r″, r‴ at the centre of the window of w points starting at r (rows
 * `stride` doubles apart, 3 coordinates each), from the least-squares cubic
 * in t = s − s_centre.  t is scaled to [−1, 1] and the monomial columns are
 * orthonormalised (modified Gram–Schmidt), so the fit is well conditioned.
 * Returns 0, or −1 when the window holds fewer than four distinct arc lengths.
 */
static int fit_cubic(const double *r, size_t stride, const double *arc, size_t win, double *basis,
                     double d[3][3], double *half_length)
{
    const size_t mid = win / 2;
    const double span = fmax(arc[mid] - arc[0], arc[win - 1] - arc[mid]);
    *half_length = span;
    if (!(span > 0))
        return -1;
    double R[4][4] = {{0}};
    for (size_t i = 0; i < win; i++) {
        const double t = (arc[i] - arc[mid]) / span;
        basis[i * 4] = 1;
        for (size_t j = 1; j < 4; j++)
            basis[i * 4 + j] = basis[i * 4 + j - 1] * t;
    }
    if (orthonormalise(basis, win, R) != 0)
        return -1;
    for (size_t c = 0; c < 3; c++) {
        double z[4], a[4];
        for (size_t j = 0; j < 4; j++) {
            z[j] = 0;
            for (size_t i = 0; i < win; i++)
                z[j] += basis[i * 4 + j] * (r[i * stride + c] - r[mid * stride + c]);
        }
        for (size_t j = 4; j-- > 0;) {
            a[j] = z[j];
            for (size_t l = j + 1; l < 4; l++)
                a[j] -= R[j][l] * a[l];
            a[j] /= R[j][j];
        }
        d[0][c] = a[1] / span;
        d[1][c] = 2 * a[2] / (span * span);
        d[2][c] = 6 * a[3] / (span * span * span);
    }
    return 0;
}

int dg_metric_curvature_torsion(const double *curve, size_t K, size_t n, size_t window,
                                dg_metric_workspace *w, double *kappa, double *tau, dg_error *err)
{
    if (!w || K > w->K)
        return dg_error_set(err, DG_EINVAL, "the workspace is made for %zu points, not %zu",
                            w ? w->K : 0, K);
    if (window % 2 == 0 || window < DG_CURVATURE_WINDOW_MIN)
        return dg_error_set(err, DG_EINVAL, "window of %zu points: must be odd and at least %d",
                            window, DG_CURVATURE_WINDOW_MIN);
    const size_t stride = n * 3;
    for (size_t k = 0; k < K * n; k++)
        kappa[k] = tau[k] = NAN;
    if (window > K)
        return DG_OK;
    const size_t half = window / 2;
    for (size_t s = 0; s < n; s++) {
        w->arc[0] = 0;
        for (size_t k = 1; k < K; k++)
            w->arc[k] = w->arc[k - 1] + sqrt(dg_sqdist(curve + k * stride + s * 3,
                                                       curve + (k - 1) * stride + s * 3, 3));
        for (size_t k = half; k + half < K; k++) {
            double d[3][3], rr[3], span;
            if (fit_cubic(curve + (k - half) * stride + s * 3, stride, w->arc + k - half, window,
                          w->basis, d, &span) != 0)
                continue;
            cross(d[0], d[1], rr);
            const double speed = sqrt(dg_sqnorm(d[0], 3)), area2 = dg_sqnorm(rr, 3);
            if (!(speed > 0))
                continue;
            kappa[k * n + s] = sqrt(area2) / (speed * speed * speed);
            if (kappa[k * n + s] * span >= DG_CURVATURE_STRAIGHT_TOL)
                tau[k * n + s] = dg_dot(rr, d[2], 3) / area2;
        }
    }
    return DG_OK;
}
