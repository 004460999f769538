/* dg_gmm_fit: Gaussian mixtures fitted to data, one Gaussian or EM. */
#include "config.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_rng.h>
#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dg_gmm.h"
#include "dg_gmm_internal.h"
#include "dg_tensor.h"

/* Rows per symmetric rank-k update when a scatter matrix is accumulated. */
#define SCATTER_BLOCK 256

/* Scratch of the fitters: SCATTER_BLOCK × d rows and d long sums. */
typedef struct fit_scratch {
    double *rows;
    long double *sum;
    double *mean;    /* d */
    double *scatter; /* d × d (full) or d (diagonal) */
} fit_scratch;

/* Releases f's buffers and leaves it empty, so that a second call is harmless. */
static void fit_scratch_free(fit_scratch *f)
{
    dg_doubles_free(f->rows);
    free(f->sum);
    dg_doubles_free(f->mean);
    dg_doubles_free(f->scatter);
    memset(f, 0, sizeof *f);
}

static int fit_scratch_alloc(fit_scratch *f, size_t d, dg_error *err)
{
    f->rows = dg_doubles_alloc(SCATTER_BLOCK, d);
    f->sum = calloc(d, sizeof *f->sum);
    f->mean = dg_doubles_alloc(d, 1);
    f->scatter = dg_doubles_alloc(d, d);
    if (!f->rows || !f->sum || !f->mean || !f->scatter)
        goto release_scratch;
    return DG_OK;

release_scratch:
    fit_scratch_free(f);
    return dg_error_set(err, DG_ENOMEM, "out of memory for fitting in dimension %zu", d);
}

/*
 * f->mean ← Σ_i w_i y_i / W and f->scatter ← Σ_i w_i (y_i − mean)(y_i −
 * mean)ᵀ / W, full (both triangles) or only its diagonal, with w_i =
 * w[i · stride] (all 1 when w is NULL) and W = Σ w_i.  Every sum runs in
 * row order; the full scatter by rank-k updates of SCATTER_BLOCK rows.
 */
static void weighted_scatter(const double *y, size_t n, size_t d, const double *w, size_t stride,
                             double W, bool full, fit_scratch *f)
{
    for (size_t j = 0; j < d; j++)
        f->sum[j] = 0;
    for (size_t i = 0; i < n; i++) {
        const double wi = w ? w[i * stride] : 1.0;
        for (size_t j = 0; j < d; j++)
            f->sum[j] += (long double)wi * y[i * d + j];
    }
    for (size_t j = 0; j < d; j++)
        f->mean[j] = (double)(f->sum[j] / W);

    if (!full) {
        for (size_t j = 0; j < d; j++)
            f->sum[j] = 0;
        for (size_t i = 0; i < n; i++) {
            const double wi = w ? w[i * stride] : 1.0;
            for (size_t j = 0; j < d; j++) {
                const double e = y[i * d + j] - f->mean[j];
                f->sum[j] += (long double)wi * e * e;
            }
        }
        for (size_t j = 0; j < d; j++)
            f->scatter[j] = (double)(f->sum[j] / W);
        return;
    }
    memset(f->scatter, 0, d * d * sizeof *f->scatter);
    gsl_matrix_view sv = gsl_matrix_view_array(f->scatter, d, d);
    for (size_t i0 = 0; i0 < n; i0 += SCATTER_BLOCK) {
        const size_t nb = n - i0 < SCATTER_BLOCK ? n - i0 : SCATTER_BLOCK;
        for (size_t i = 0; i < nb; i++) {
            const double sw = sqrt(w ? w[(i0 + i) * stride] : 1.0);
            for (size_t j = 0; j < d; j++)
                f->rows[i * d + j] = sw * (y[(i0 + i) * d + j] - f->mean[j]);
        }
        gsl_matrix_view av = gsl_matrix_view_array(f->rows, nb, d);
        gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, &av.matrix, 1.0, &sv.matrix);
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j <= i; j++)
            f->scatter[j * d + i] = f->scatter[i * d + j] /= W;
}

int dg_gmm_fit_gaussian(const double *y, size_t n, size_t d, dg_gmm **out, dg_error *err)
{
    *out = NULL;
    if (n == 0 || d == 0)
        return dg_error_set(err, DG_EINVAL, "cannot fit a Gaussian to %zu × %zu data", n, d);
    int status = dg_check_finite(y, n, d, "fit data", err);
    if (status != DG_OK)
        return status;
    fit_scratch f;
    status = fit_scratch_alloc(&f, d, err);
    if (status != DG_OK)
        return status;
    dg_gmm *g = NULL;
    weighted_scatter(y, n, d, NULL, 0, (double)n, true, &f);
    status = dg_gmm_alloc(1, d, &g, err);
    if (status == DG_OK)
        status = dg_gmm_set_full(g, 0, 1.0, f.mean, f.scatter, err);
    fit_scratch_free(&f);
    if (status != DG_OK)
        goto free_mixture;
    *out = g;
    return DG_OK;

free_mixture:
    dg_gmm_free(g);
    return status;
}

/*
 * k-means++ seeding: the first centre uniform, each next one with
 * probability ∝ its squared distance d2 to the nearest centre so far; then
 * resp (n × K) ← the hard assignment to the nearest centre.
 */
static int kmeanspp(const double *y, size_t n, size_t d, size_t K, gsl_rng *rng, double *d2,
                    size_t *centre, double *resp, dg_error *err)
{
    centre[0] = gsl_rng_uniform_int(rng, n);
    for (size_t i = 0; i < n; i++)
        d2[i] = dg_sqdist(y + i * d, y + centre[0] * d, d);
    for (size_t c = 1; c < K; c++) {
        double total = 0;
        for (size_t i = 0; i < n; i++)
            total += d2[i];
        if (!(total > 0))
            return dg_error_set(err, DG_EINVAL,
                                "EM: the data hold fewer than K = %zu distinct "
                                "points",
                                K);
        const double u = gsl_rng_uniform(rng) * total;
        double below = 0;
        size_t pick = n;
        for (size_t i = 0; i < n && pick == n; i++) {
            below += d2[i];
            if (d2[i] > 0 && u < below)
                pick = i;
        }
        for (size_t i = n; pick == n && i-- > 0;)
            if (d2[i] > 0)
                pick = i; /* u rounded up to the total: the last candidate */
        centre[c] = pick;
        for (size_t i = 0; i < n; i++)
            d2[i] = fmin(d2[i], dg_sqdist(y + i * d, y + pick * d, d));
    }
    for (size_t i = 0; i < n; i++) {
        size_t best = 0;
        double best_d = INFINITY;
        for (size_t c = 0; c < K; c++) {
            const double e = dg_sqdist(y + i * d, y + centre[c] * d, d);
            if (e < best_d) {
                best_d = e;
                best = c;
            }
        }
        for (size_t c = 0; c < K; c++)
            resp[i * K + c] = c == best;
    }
    return DG_OK;
}

/* Mixture g ← the M-step for responsibilities resp (n × K). */
static int m_step(dg_gmm *g, const double *y, size_t n, const double *resp, double reg,
                  dg_cov_kind kind, size_t iteration, fit_scratch *f, dg_error *err)
{
    const size_t K = g->K, d = g->dim;
    for (size_t k = 0; k < K; k++) {
        double nk = 0;
        for (size_t i = 0; i < n; i++)
            nk += resp[i * K + k];
        if (!(nk > 0))
            return dg_error_set(err, DG_EINVAL,
                                "EM: component %zu lost all its points at iteration %zu", k,
                                iteration);
        weighted_scatter(y, n, d, resp + k, K, nk, kind == DG_COV_FULL, f);
        int status;
        if (kind == DG_COV_FULL) {
            status = dg_gmm_set_full_floor(g, k, nk / (double)n, f->mean, f->scatter, reg, err);
        } else {
            for (size_t j = 0; j < d; j++)
                f->scatter[j] = fmax(f->scatter[j], reg);
            status = dg_gmm_set_diag(g, k, nk / (double)n, f->mean, f->scatter, err);
        }
        if (status != DG_OK)
            return status;
    }
    return DG_OK;
}

typedef struct estep_ctx {
    const dg_gmm *g;
    const double *y;
    double *resp; /* n × K: logits, then responsibilities */
    double *ll;   /* n: log p_0(y_i) */
} estep_ctx;

/* Responsibilities and log-likelihoods of one block, at σ = 0 (EM's
 * variances are all ≥ reg > 0). */
static void estep_block(void *vctx, size_t first, size_t nb, workspace *ws)
{
    const estep_ctx *ctx = vctx;
    const dg_gmm *g = ctx->g;
    const size_t K = g->K, d = g->dim;
    const noise exact = {0, 0, -INFINITY};
    double *L = ctx->resp + first * K;
    for (size_t k = 0; k < K; k++) {
        dg_gmm_component_block(&g->comp[k], d, ctx->y + first * d, nb, &exact, 0, WANT_DENSITY, ws);
        for (size_t i = 0; i < nb; i++)
            L[i * K + k] = ws->a[i];
    }
    for (size_t i = 0; i < nb; i++) {
        double *l = L + i * K;
        const double lse = dg_logsumexp(l, K);
        ctx->ll[first + i] = lse - 0.5 * (double)d * LOG_2PI;
        for (size_t k = 0; k < K; k++)
            l[k] = exp(l[k] - lse);
    }
}

/* Resolves opt (NULL, zeros and negatives mean defaults) into *o. */
static int em_options(const dg_gmm_fit_options *opt, dg_gmm_fit_options *o, dg_error *err)
{
    const dg_gmm_fit_options none = {0};
    *o = opt ? *opt : none;
    if (o->max_iter == 0)
        o->max_iter = DG_GMM_EM_MAX_ITER;
    if (!(o->tol > 0))
        o->tol = DG_GMM_EM_TOL;
    if (!isfinite(o->reg))
        return dg_error_set(err, DG_EINVAL, "EM: the variance floor reg must be finite");
    if (o->kind != DG_COV_FULL && o->kind != DG_COV_DIAG)
        return dg_error_set(err, DG_EINVAL, "EM fits full or diagonal covariances, not %s",
                            dg_cov_kind_name(o->kind));
    return DG_OK;
}

/* What one EM fit holds while it runs. */
typedef struct em_fit {
    const double *y; /* n × d data */
    size_t n, d, K;
    dg_gmm_fit_options o; /* resolved: no zeros left */
    dg_gmm *g;            /* the mixture of the last E-step */
    fit_scratch f;
    gsl_rng *rng;
    double *resp;   /* n × K */
    double *ll;     /* n: log p_0(y_i); the k-means++ distances before */
    size_t *centre; /* K */
    workspace *ws;  /* nslots */
    size_t nslots;
} em_fit;

/* Releases what em_alloc and em_start acquired (not the mixture). */
static void em_release(em_fit *em)
{
    dg_gmm_workspaces_free(em->ws);
    free(em->centre);
    dg_doubles_free(em->ll);
    dg_doubles_free(em->resp);
    gsl_rng_free(em->rng);
    fit_scratch_free(&em->f);
}

static int em_alloc(em_fit *em, dg_error *err)
{
    em->rng = gsl_rng_alloc(gsl_rng_mt19937);
    em->resp = dg_doubles_alloc(em->n, em->K);
    em->ll = dg_doubles_alloc(em->n, 1);
    em->centre = malloc(em->K * sizeof *em->centre);
    em->nslots = dg_gmm_thread_slots(em->n);
    if (!em->rng || !em->resp || !em->ll || !em->centre)
        return dg_error_set(err, DG_ENOMEM, "EM: out of memory for %zu × %zu responsibilities",
                            em->n, em->K);
    int status = fit_scratch_alloc(&em->f, em->d, err);
    if (status == DG_OK)
        status = dg_gmm_alloc(em->K, em->d, &em->g, err);
    return status;
}

/* reg ≤ 0: DG_GMM_EM_REG_SCALE × the mean coordinate variance of the data. */
static int em_default_reg(em_fit *em, dg_error *err)
{
    if (em->o.reg > 0)
        return DG_OK;
    const size_t d = em->d;
    weighted_scatter(em->y, em->n, d, NULL, 0, (double)em->n, false, &em->f);
    double mean_var = 0;
    for (size_t j = 0; j < d; j++)
        mean_var += em->f.scatter[j] / (double)d;
    em->o.reg = DG_GMM_EM_REG_SCALE * mean_var;
    if (!(em->o.reg > 0))
        return dg_error_set(err, DG_EINVAL,
                            "EM: the data are constant; give a variance floor reg > 0");
    return DG_OK;
}

/* The initial mixture: k-means++ from seed, one M-step on its hard assignment. */
static int em_start(em_fit *em, unsigned long seed, dg_error *err)
{
    gsl_rng_set(em->rng, seed);
    /* ll doubles as the k-means++ distances before the first E-step. */
    int status = kmeanspp(em->y, em->n, em->d, em->K, em->rng, em->ll, em->centre, em->resp, err);
    if (status == DG_OK)
        status = m_step(em->g, em->y, em->n, em->resp, em->o.reg, em->o.kind, 0, &em->f, err);
    if (status != DG_OK)
        return status;
    em->ws = dg_gmm_workspaces_alloc(em->g, em->nslots);
    if (!em->ws)
        return dg_error_set(err, DG_ENOMEM, "EM: out of memory for scratch space");
    return DG_OK;
}

/* E-steps and M-steps until the gain falls below tol or max_iter M-steps. */
static int em_iterate(em_fit *em, dg_error *err)
{
    const dg_gmm_fit_options *o = &em->o;
    double previous = -INFINITY;
    for (size_t it = 0;; it++) {
        estep_ctx ctx = {em->g, em->y, em->resp, em->ll};
        dg_gmm_for_blocks(em->n, em->ws, em->nslots, estep_block, &ctx);
        double loglik = 0;
        for (size_t i = 0; i < em->n; i++)
            loglik += em->ll[i];
        loglik /= (double)em->n;
        if (o->on_iteration && o->on_iteration(o->ctx, it, loglik) != 0)
            return dg_error_set(err, DG_ECANCELLED, "EM: stopped at iteration %zu", it);
        if (it == o->max_iter || (it > 0 && loglik - previous < o->tol))
            return DG_OK;
        previous = loglik;
        const int status =
            m_step(em->g, em->y, em->n, em->resp, o->reg, o->kind, it + 1, &em->f, err);
        if (status != DG_OK)
            return status;
    }
}

int dg_gmm_fit_em(const double *y, size_t n, size_t d, size_t K, unsigned long seed,
                  const dg_gmm_fit_options *opt, dg_gmm **out, dg_error *err)
{
    *out = NULL;
    em_fit em = {.y = y, .n = n, .d = d, .K = K};
    int status = em_options(opt, &em.o, err);
    if (status != DG_OK)
        return status;
    if (K == 0 || d == 0 || n < K)
        return dg_error_set(err, DG_EINVAL, "EM: cannot fit K = %zu components to %zu × %zu data",
                            K, n, d);
    status = dg_check_finite(y, n, d, "fit data", err);
    if (status != DG_OK)
        return status;
    status = em_alloc(&em, err);
    if (status == DG_OK)
        status = em_default_reg(&em, err);
    if (status == DG_OK)
        status = em_start(&em, seed, err);
    if (status == DG_OK)
        status = em_iterate(&em, err);
    em_release(&em);
    if (status != DG_OK)
        dg_gmm_free(em.g);
    else
        *out = em.g;
    return status;
}
