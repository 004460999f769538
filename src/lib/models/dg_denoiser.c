/* dg_denoiser: the denoiser interface and the exact empirical denoiser. */
#include "config.h"

#include "dg_denoiser.h"

#include <float.h>
#include <math.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dg_exp.h"
#include "dg_order.h"
#include "dg_runtime.h"
#include "dg_tensor.h"
#include "dg_tree.h"

struct dg_denoiser {
    const dg_denoiser_type *type;
    size_t dim;
    void *state;
};

/* ------------------------------------------------------------------------ */
/* Generic interface                                                        */
/* ------------------------------------------------------------------------ */

dg_denoiser *dg_denoiser_wrap(const dg_denoiser_type *type, size_t dim, void *state)
{
    dg_denoiser *den = malloc(sizeof *den);
    if (den) {
        den->type = type;
        den->dim = dim;
        den->state = state;
    }
    return den;
}

/* Threads that may call the BLAS library at the same time. */
static int blas_callers(void)
{
#ifdef _OPENMP
    return omp_get_max_threads();
#else
    return 1;
#endif
}

int dg_denoiser_eval(dg_denoiser *den, const double *x, size_t n, double sigma, double *out,
                     dg_error *err)
{
    if (!(sigma > 0) || !isfinite(sigma))
        return dg_error_set(err, DG_EINVAL, "noise level σ = %g: must be positive and finite",
                            sigma);
    int status = dg_check_finite(x, n, den->dim, "denoiser input", err);
    if (status == DG_OK)
        status = dg_blas_reserve(blas_callers(), err);
    if (status != DG_OK)
        return status;
    status = den->type->eval(den->state, x, n, sigma, out, err);
    /* Points far from the data for this σ (‖x − y‖² beyond the largest
     * double) make NaN weights: refused here, so no caller writes them. */
    size_t at;
    if (status == DG_OK && !dg_all_finite(out, n * den->dim, &at))
        status = dg_error_set(err, DG_ENONFINITE,
                              "denoiser output at σ = %g: row %zu holds %s (squared distances "
                              "overflow: values too large for this σ)",
                              sigma, at / den->dim, isnan(out[at]) ? "NaN" : "Inf");
    return status;
}

size_t dg_denoiser_dim(const dg_denoiser *den)
{
    return den->dim;
}

const char *dg_denoiser_name(const dg_denoiser *den)
{
    return den->type->name;
}

void dg_denoiser_free(dg_denoiser *den)
{
    if (!den)
        return;
    den->type->free(den->state);
    free(den);
}

/* ------------------------------------------------------------------------ */
/* Empirical denoiser: chunk records                                        */
/* ------------------------------------------------------------------------ */

#define QB DG_EMPIRICAL_QUERY_BLOCK

/*
 * The partial result of one subtree of chunks for a block of queries, with
 * logits in raw units (σ² times the logit):
 *   max[q]    the largest raw logit, −INFINITY for an empty subtree
 *   sum_w[q]  Σ exp((ℓ − max)/σ²)
 *   sum_wy    Σ exp((ℓ − max)/σ²) (y − μ), one row of dim per query
 * A record is stored as one payload of QB (dim + 2) doubles: max, sum_w,
 * then the rows of sum_wy, so that its used part is contiguous.
 */
typedef struct record {
    double *max;
    double *sum_w;
    double *sum_wy;
} record;

static record record_at(void *payload)
{
    double *p = payload;
    return (record){p, p + QB, p + 2 * QB};
}

/* What a merge of records needs to know. */
typedef struct record_ctx {
    size_t nq, dim;
    double sigma2;
} record_ctx;

/* exp((ℓ − max)/σ²) without 0/0 when σ² underflows to zero. */
static inline double scaled_weight(double delta, double sigma2)
{
    return delta == 0 ? 1.0 : dg_exp(delta / sigma2);
}

/*
 * a ← a ⊕ b.  The operation is bitwise commutative (max, products and one
 * sum of two terms), and an empty record (max = −∞) is its identity, so the
 * result depends only on the shape of the tree.
 */
static void record_merge(const void *ctx, void *pa, const void *pb)
{
    const record_ctx *c = ctx;
    const record a = record_at(pa), b = record_at((void *)pb);
    const size_t dim = c->dim;
    for (size_t q = 0; q < c->nq; q++) {
        const double ma = a.max[q], mb = b.max[q];
        if (mb == -INFINITY)
            continue;
        double *ya = a.sum_wy + q * dim;
        const double *yb = b.sum_wy + q * dim;
        if (ma == -INFINITY) {
            a.max[q] = mb;
            a.sum_w[q] = b.sum_w[q];
            memcpy(ya, yb, dim * sizeof *ya);
            continue;
        }
        const double m = fmax(ma, mb);
        const double ca = scaled_weight(ma - m, c->sigma2);
        const double cb = scaled_weight(mb - m, c->sigma2);
        a.max[q] = m;
        a.sum_w[q] = ca * a.sum_w[q] + cb * b.sum_w[q];
        for (size_t k = 0; k < dim; k++)
            ya[k] = ca * ya[k] + cb * yb[k];
    }
}

static size_t record_bytes(const void *ctx)
{
    const record_ctx *c = ctx;
    return (2 * QB + c->nq * c->dim) * sizeof(double);
}

/*
 * dst ← src for a merge: max and sum_w whole, and the rows of sum_wy of the
 * queries whose record is not empty (record_merge reads no other; at small
 * σ a chunk has few).
 */
static void record_copy(const void *ctx, void *pdst, const void *psrc)
{
    const record_ctx *c = ctx;
    const record dst = record_at(pdst), src = record_at((void *)psrc);
    memcpy(dst.max, src.max, 2 * QB * sizeof *dst.max);
    for (size_t q = 0; q < c->nq; q++)
        if (src.max[q] != -INFINITY)
            memcpy(dst.sum_wy + q * c->dim, src.sum_wy + q * c->dim, c->dim * sizeof *dst.sum_wy);
}

static const dg_tree_ops record_ops = {record_merge, record_bytes, record_copy};

typedef struct empirical {
    size_t n, dim;        /* rows held here, dimension */
    size_t n_total;       /* rows of the whole dataset */
    size_t nchunks;       /* chunks held here */
    size_t first_chunk;   /* the index of the first in the whole dataset */
    double *y;            /* n × dim, centred: y_i − μ */
    double *mean;         /* μ, dim */
    double *half_sqnorm;  /* ½‖y_i − μ‖², n */
    double *chunk_radius; /* max_i ‖y_i − μ‖ over each chunk, nchunks */
    double radius;        /* max over all rows of the whole dataset */
    const dg_comm *comm;  /* NULL: one process */

    /* Scratch for one block of queries; sized once at allocation. */
    double *xc;            /* queries − μ, QB × dim */
    double *xc_sqnorm;     /* ‖x − μ‖², QB */
    double *group_max;     /* largest GEMM logit per query in the current group */
    double *chunk_max;     /* the same per chunk of the group, nslots × QB */
    bool *exact;           /* per query: recompute logits from differences */
    double *exact_cut;     /* per query: GEMM logits recomputed only above it, in the group */
    size_t nslots;         /* chunks computed concurrently: one group */
    double *step;          /* per query: ‖x − x_last‖ (centred), rounded up */
    double *near_here;     /* per query: the nearest distance's bound from the rows held here */
    unsigned char *skip;   /* per chunk of the group and query: first product skipped */
    double *xpack;         /* the queries a chunk computes, packed, nslots × QB × dim */
    size_t *slot_skipped;  /* first products skipped per chunk of the group */
    unsigned char *leaves; /* one record payload per concurrent chunk */
    double *logits;        /* nslots × QB × CHUNK */
    dg_tree records;       /* the reduction of the chunks' records */
    double *block_storage; /* xc … logits, in one allocation */

    /* History of the last evaluation, for bounds that carry over (track_*). */
    size_t track_n;     /* queries of the last evaluation; 0: no history */
    size_t track_cap;   /* queries the arrays below hold */
    double *track_xc;   /* the last centred queries, track_cap × dim */
    double *track_near; /* upper bound on each one's distance to the nearest row */
    double *track_low;  /* lower bound on its distance to each local chunk, × nchunks */
    size_t *track_ref;  /* per query and local chunk: its row nearest when last computed */
    bool tracking;      /* this evaluation keeps a history */
    size_t skipped;     /* first products (query × local chunk) skipped by the last evaluation */
    size_t products;    /* all of them */
} empirical;

static record leaf_record(const empirical *e, size_t t)
{
    return record_at(e->leaves + t * e->records.payload);
}

/* ------------------------------------------------------------------------ */
/* Empirical denoiser: one group of chunks                                  */
/* ------------------------------------------------------------------------ */

/*
 * Worst-case rounding error of a raw GEMM logit x·y − ½‖y‖² − ½‖x‖² for
 * ‖x‖² = xx and ‖y‖ ≤ r in dimension dim (Higham's γ_d bound, doubled).
 */
static double raw_logit_error_bound(double xx, double r, size_t dim)
{
    const double gamma = 2.0 * (double)dim * (DBL_EPSILON / 2);
    return gamma * (sqrt(xx) * r + r * r + xx);
}

/* ------------------------------------------------------------------------ */
/* Empirical denoiser: bounds carried from one evaluation to the next       */
/* ------------------------------------------------------------------------ */

/*
 * All distances here are between the centred queries and rows as stored
 * (e->xc, e->y), the vectors every logit is computed from.  For query q and
 * local chunk j the history keeps
 *   low(q, j)  ≤ min_i ‖x_q − y_i‖ over the chunk's rows,
 *   near(q)    ≥ min_i ‖x_q − y_i‖ over all rows of the dataset,
 * valid at the queries of the last evaluation.  When the queries move by s_q
 * (the triangle inequality) low − s_q and near + s_q hold at the new ones;
 * near is then lowered to the exact distance from the new query to the
 * nearest row of each chunk at its last computation (one row per chunk: a
 * small cost), which keeps it tight however far the query moved.
 * Every weight of chunk j is then at most exp(−(low² − near²)/(2σ²)) times
 * the largest, and the chunk is skipped for q, first product included, when
 * that is below e^−WINDOW.  Rounding moves each bound outwards by a few ulps.
 * The bounds depend only on the chunk's own computations and on near (the
 * same on every process), so which products are skipped depends neither on
 * the thread count nor on the number of processes.  Unrelated queries only
 * make s large and the bounds useless: the result stays exact.
 */
/*
 * Queries of a chunk up to which its products are plain loops: a BLAS call
 * copies (packs) the chunk's rows whatever the number of queries, which for
 * a few costs more than the products themselves.
 */
#define FEW_QUERIES 4
#define TRACK_MAX_DOUBLES ((size_t)1 << 22) /* history kept up to 32 MiB */
#define ROUND_UP(v) ((v) * (1 + 4 * DBL_EPSILON))
#define ROUND_DOWN(v) ((v) * (1 - 4 * DBL_EPSILON))

/* Makes room for the history of n queries; false (no history) when too large or out of memory. */
static bool track_reserve(empirical *e, size_t n)
{
    if (n <= e->track_cap)
        return true;
    e->track_n = 0;
    /* The same limit on every process (whole dataset's chunks). */
    const size_t per_query =
        e->dim + 1 + 2 * ((e->n_total + DG_EMPIRICAL_CHUNK - 1) / DG_EMPIRICAL_CHUNK);
    if (n > TRACK_MAX_DOUBLES / per_query)
        return false;
    dg_doubles_free(e->track_xc);
    free(e->track_near);
    free(e->track_low);
    free(e->track_ref);
    const size_t nc = e->nchunks > 0 ? e->nchunks : 1;
    e->track_xc = dg_doubles_alloc(n, e->dim);
    e->track_near = malloc(n * sizeof *e->track_near);
    e->track_low = malloc(n * nc * sizeof *e->track_low);
    e->track_ref = malloc(n * nc * sizeof *e->track_ref);
    e->track_cap = e->track_xc && e->track_near && e->track_low && e->track_ref ? n : 0;
    return e->track_cap > 0;
}

/*
 * Query q (row q of the block starting at query q0) has moved to e->xc:
 * e->step[q] ← an upper bound on how far, and the history ← the new query.
 * Without history the step is infinite.
 */
static void track_step(empirical *e, size_t q0, size_t q, bool history)
{
    const size_t dim = e->dim;
    const double *x = e->xc + q * dim;
    double *last = e->track_xc + (q0 + q) * dim;
    if (history) {
        double ss = 0;
        for (size_t k = 0; k < dim; k++) {
            const double d = x[k] - last[k];
            ss += d * d;
        }
        /* A sum of dim rounded squares of rounded differences. */
        e->step[q] = ROUND_UP(sqrt(ss * (1 + (double)(dim + 4) * DBL_EPSILON)));
    } else {
        e->step[q] = INFINITY;
    }
    memcpy(last, x, dim * sizeof *x);
}

/*
 * Whether query q skips local chunk j (its weights there all below e^−WINDOW
 * of the largest), from the bounds carried to the new query: low(q, j) is
 * lowered by the step here, near(q) was raised before the block.
 */
static bool track_skips(const empirical *e, size_t q0, size_t q, size_t j, double window)
{
    double *low = e->track_low + (q0 + q) * e->nchunks + j;
    *low = ROUND_DOWN(fmax(0.0, *low - e->step[q]));
    const double near = e->track_near[q0 + q];
    const double gap = ROUND_DOWN(*low * *low) - ROUND_UP(near * near);
    return ROUND_DOWN(gap) > ROUND_UP(window);
}

/*
 * After the GEMM logits of local chunk j for query q (largest cmax at row
 * `at`, raw error at most err): low(q, j) ← the distance bound they give,
 * and the chunk's reference row ← `at`.
 */
static void track_refresh(const empirical *e, size_t q0, size_t q, size_t j, double cmax,
                          double err, size_t at)
{
    const double xx = e->xc_sqnorm[q];
    /* min ‖x − y‖² = xx − 2 max(x·y − ½‖y‖²) lies within 2 err of the GEMM's
     * value, whose own rounding is below 4u of the magnitudes involved. */
    const double mid = xx - 2 * cmax;
    const double slack = 2 * err + 4 * DBL_EPSILON * (xx + 2 * fabs(cmax) + 2 * err);
    e->track_low[(q0 + q) * e->nchunks + j] = ROUND_DOWN(sqrt(fmax(0.0, mid - slack)));
    e->track_ref[(q0 + q) * e->nchunks + j] = at;
}

/*
 * e->near_here[q] ← an upper bound on the distance from query q to the
 * rows held here: the exact distance to each local chunk's reference row,
 * for the chunks that may hold a row nearer than the carried bound near(q)
 * (the others, whose lower bound lowered by the step exceeds it, cannot
 * lower the minimum of the two, so they are left out: at small σ, nearly
 * all).
 */
static void track_near_here(empirical *e, size_t q0, size_t q)
{
    const size_t dim = e->dim;
    const double *x = e->xc + q * dim;
    const double near = e->track_near[q0 + q];
    const double *low = e->track_low + (q0 + q) * e->nchunks;
    double best = INFINITY;
    for (size_t j = 0; j < e->nchunks; j++) {
        if (ROUND_DOWN(low[j] - e->step[q]) > near)
            continue;
        const double *y = e->y + e->track_ref[(q0 + q) * e->nchunks + j] * dim;
        best = fmin(best, dg_sqdist(x, y, dim));
    }
    /* dim rounded squares of rounded differences, summed. */
    e->near_here[q] = ROUND_UP(sqrt(best * (1 + (double)(dim + 4) * DBL_EPSILON)));
}

/* ------------------------------------------------------------------------ */
/* Empirical denoiser: the logits of one chunk                              */
/* ------------------------------------------------------------------------ */

/*
 * The GEMM logits x·y − ½‖y‖² of local chunk j (slot t of its group) for
 * the queries of the block that do not skip it, and their maximum per query
 * (−∞ for a query that skips it).  The computing queries are packed into
 * one product; their rows of logits are then moved to their own places.
 */
static void chunk_logits(empirical *e, size_t t, size_t j, size_t q0, size_t nq, double sigma2,
                         bool history, double *logits, double *cmax)
{
    const size_t dim = e->dim, r0 = j * DG_EMPIRICAL_CHUNK;
    const size_t rc = e->n - r0 < DG_EMPIRICAL_CHUNK ? e->n - r0 : DG_EMPIRICAL_CHUNK;
    const double *half_sqnorm = e->half_sqnorm + r0;
    unsigned char *skip = e->skip + t * QB;
    double *xpack = e->xpack + t * QB * dim;
    const double window = 2 * DG_EMPIRICAL_LOGIT_WINDOW * sigma2;
    size_t active = 0;
    for (size_t q = 0; q < nq; q++) {
        skip[q] = history && track_skips(e, q0, q, j, window);
        if (!skip[q])
            active++;
    }
    e->slot_skipped[t] = nq - active;
    if (active == 0) {
        for (size_t q = 0; q < nq; q++)
            cmax[q] = -INFINITY;
        return;
    }
    if (active <= FEW_QUERIES) {
        for (size_t q = 0; q < nq; q++)
            for (size_t i = 0; !skip[q] && i < rc; i++)
                logits[q * DG_EMPIRICAL_CHUNK + i] =
                    dg_dot(e->xc + q * dim, e->y + (r0 + i) * dim, dim);
    } else {
        double *xs = e->xc;
        if (active < nq) {
            for (size_t q = 0, a = 0; q < nq; q++)
                if (!skip[q])
                    memcpy(xpack + a++ * dim, e->xc + q * dim, dim * sizeof *xpack);
            xs = xpack;
        }
        dg_block g = {logits, active, rc, DG_EMPIRICAL_CHUNK};
        dg_gemm_abt(1.0, dg_block_view(xs, active, dim), dg_block_view(e->y + r0 * dim, rc, dim),
                    0.0, g);
        /* Unpack the rows of logits to their queries' rows, last first. */
        for (size_t q = nq; q-- > 0;)
            if (!skip[q] && --active != q)
                memcpy(logits + q * DG_EMPIRICAL_CHUNK, logits + active * DG_EMPIRICAL_CHUNK,
                       rc * sizeof *logits);
    }
    for (size_t q = 0; q < nq; q++) {
        if (skip[q]) {
            cmax[q] = -INFINITY;
            continue;
        }
        double *l = logits + q * DG_EMPIRICAL_CHUNK;
        double m = -INFINITY;
        size_t at = 0;
        for (size_t i = 0; i < rc; i++) {
            l[i] -= half_sqnorm[i];
            if (l[i] > m) {
                m = l[i];
                at = i;
            }
        }
        cmax[q] = m;
        if (e->tracking)
            track_refresh(e, q0, q, j, m,
                          raw_logit_error_bound(e->xc_sqnorm[q], e->chunk_radius[j], dim), r0 + at);
    }
}

/*
 * The record of local chunk j, from its GEMM logits and their maxima cmax,
 * given the largest GEMM logit of its group per query (group_max) and the
 * largest data norm of the group (group_radius).  Logits are in raw units;
 * for queries flagged exact, the candidates' logits are −½‖x − y‖² from
 * exact differences, and the others' are their GEMM values shifted by
 * −½‖x‖², whose errors cannot matter: their weights are below e^−WINDOW of
 * the maximum.
 *
 * A query whose largest logit in this chunk lies more than the window (plus
 * the worst-case rounding of both GEMM logits) below the group's largest
 * gets an empty record: all its weights here are below e^−WINDOW of the
 * final maximum.  The rule looks at this chunk's group alone, so the same
 * products are skipped whichever process holds the group.  Only the other
 * queries' rows enter the second product, packed together.
 */
/*
 * The logit below which query q's weights in local chunk j cannot matter:
 * the window below the group's largest logit, plus the worst-case rounding
 * of both GEMM logits.
 */
static double skip_cut(const empirical *e, size_t j, size_t q, double sigma2, double group_radius)
{
    const double xx = e->xc_sqnorm[q];
    const double margin = DG_EMPIRICAL_LOGIT_WINDOW * sigma2 +
                          raw_logit_error_bound(xx, e->chunk_radius[j], e->dim) +
                          raw_logit_error_bound(xx, group_radius, e->dim);
    return e->group_max[q] - margin;
}

/*
 * The GEMM logit below which query q (flagged exact) keeps its GEMM values
 * in the current group.  With ε the worst-case rounding of one GEMM logit,
 * a row whose GEMM logit is below group_max − s − 2ε has a weight below
 * e^(−s/σ²) of the group's largest weight, which the whole sum exceeds; the
 * at most n_total such rows, each off by a factor within e^(±ε/σ²), move the
 * sum of weights and the weighted sum of rows by at most
 * n_total e^(−s/σ²) (e^(ε/σ²) − 1) relative, which
 * s = σ² ln(n_total (e^(ε/σ²) − 1) / TOL) keeps at TOL, the error accepted
 * for a query that is not flagged exact.
 * Only the rows above the cut (few but for large σ) are recomputed.
 */
static double exact_cut(const empirical *e, size_t q, double sigma2, double group_radius)
{
    const double eps = raw_logit_error_bound(e->xc_sqnorm[q], group_radius, e->dim);
    const double ratio = (double)e->n_total * expm1(eps / sigma2) / DG_EMPIRICAL_LOGIT_TOL;
    if (!isfinite(ratio))
        return -INFINITY;
    /* log and expm1 are not exactly rounded: 1e-6 relative slack, on the safe side. */
    const double s = ratio > 1 ? sigma2 * log(ratio) * (1 + 1e-6) : 0.0;
    return e->group_max[q] - s - 2 * eps;
}

/*
 * Whether query q's GEMM logits against rows of norm at most r (from μ) may
 * be off by more than DG_EMPIRICAL_LOGIT_TOL: their typical rounding error
 * is u√d (‖x‖r + r²)/σ² (both norms measured from μ).  Where that cannot be
 * told (‖x‖² or σ² overflow), exact differences, whose overflow the caller
 * refuses.
 */
static bool needs_exact(const empirical *e, size_t q, double r, double sigma2)
{
    const double typical = (DBL_EPSILON / 2) * sqrt((double)e->dim) *
                           (sqrt(e->xc_sqnorm[q]) / sigma2 * r + r * r / sigma2);
    return !(typical <= DG_EMPIRICAL_LOGIT_TOL);
}

/*
 * Query q's rc logits of local chunk j (row q of logits, maximum m) as
 * weights, packed into row `row` ≤ q.  A row whose GEMM logit is below cut
 * (skip_cut: its weight below e^−WINDOW of the group's largest, as for a
 * whole chunk) gets weight 0, so that the second product can leave it out.
 * For a query flagged exact (against the whole data's radius), the logits
 * take the scale −½‖x − y‖²: where the chunk's own radius calls for it,
 * the candidates' logits (≥ the query's exact_cut) are recomputed from
 * exact differences, and the others are shifted by −½‖x‖².  Returns the
 * maximum logit, and the weights' sum in *sum.
 */
static double query_weights(const empirical *e, size_t j, size_t rc, size_t q, double m, double cut,
                            double sigma2, double *logits, size_t row, double *sum)
{
    const size_t dim = e->dim, r0 = j * DG_EMPIRICAL_CHUNK;
    double *l = logits + q * DG_EMPIRICAL_CHUNK;
    if (e->exact[q]) {
        const double *x = e->xc + q * dim;
        const double xx = e->xc_sqnorm[q];
        const bool chunk_exact = needs_exact(e, q, e->chunk_radius[j], sigma2);
        m = -INFINITY;
        for (size_t i = 0; i < rc; i++) {
            if (l[i] < cut)
                l[i] = -INFINITY;
            else if (chunk_exact && l[i] >= e->exact_cut[q])
                l[i] = -0.5 * dg_sqdist(x, e->y + (r0 + i) * dim, dim);
            else
                l[i] -= 0.5 * xx;
            m = fmax(m, l[i]);
        }
    } else {
        for (size_t i = 0; i < rc; i++)
            if (l[i] < cut)
                l[i] = -INFINITY;
    }
    /* scaled_weight's values, the exponentials in one vectorised call
     * (exp(−∞) = +0 for the rows left out). */
    double *w = logits + row * DG_EMPIRICAL_CHUNK, s = 0;
    for (size_t i = 0; i < rc; i++) {
        const double delta = l[i] - m, arg = delta / sigma2;
        w[i] = delta == 0 ? 0.0 : arg;
    }
    dg_exp_array(w, rc);
    for (size_t i = 0; i < rc; i++)
        s += w[i];
    *sum = s;
    return m;
}

/* Whether row i carries a weight for one of the `active` packed queries. */
static bool row_weighted(const double *weights, size_t active, size_t i)
{
    for (size_t a = 0; a < active; a++)
        if (weights[a * DG_EMPIRICAL_CHUNK + i] != 0)
            return true;
    return false;
}

/*
 * The rows of chunk j (rc of them) that carry a weight for one of the
 * `active` packed queries, when there are at most QB of them: copied into
 * `rows` (a slot's xpack, free once the logits are computed), with the
 * weights' columns moved left to match.  Returns how many; rc when there
 * are more, and nothing is moved.
 */
static size_t gather_weighted_rows(const empirical *e, size_t j, size_t rc, size_t active,
                                   double *weights, double *rows)
{
    const size_t dim = e->dim, r0 = j * DG_EMPIRICAL_CHUNK;
    size_t kept = 0;
    for (size_t i = 0; i < rc; i++)
        if (row_weighted(weights, active, i) && ++kept > QB)
            return rc;
    for (size_t i = 0, k = 0; k < kept; i++) {
        if (!row_weighted(weights, active, i))
            continue;
        memcpy(rows + k * dim, e->y + (r0 + i) * dim, dim * sizeof *rows);
        for (size_t a = 0; a < active; a++)
            weights[a * DG_EMPIRICAL_CHUNK + k] = weights[a * DG_EMPIRICAL_CHUNK + i];
        k++;
    }
    return kept;
}

static void chunk_record(const empirical *e, size_t j, size_t nq, double sigma2,
                         double group_radius, const double *cmax, record rec, double *logits,
                         double *rows)
{
    const size_t dim = e->dim, r0 = j * DG_EMPIRICAL_CHUNK;
    const size_t rc = e->n - r0 < DG_EMPIRICAL_CHUNK ? e->n - r0 : DG_EMPIRICAL_CHUNK;
    dg_block y = dg_block_view(e->y + r0 * dim, rc, dim);
    dg_block g = {logits, nq, rc, DG_EMPIRICAL_CHUNK};
    size_t active = 0;

    for (size_t q = 0; q < nq; q++) {
        const double cut = skip_cut(e, j, q, sigma2, group_radius);
        if (cmax[q] == -INFINITY || cmax[q] < cut) {
            rec.max[q] = -INFINITY;
            continue;
        }
        rec.max[q] =
            query_weights(e, j, rc, q, cmax[q], cut, sigma2, logits, active, &rec.sum_w[q]);
        active++;
    }
    if (active == 0)
        return;
    if (active <= FEW_QUERIES) {
        /* Row by row, the rows of weight zero (most, at small σ) left out. */
        for (size_t a = 0; a < active; a++) {
            const double *w = logits + a * DG_EMPIRICAL_CHUNK;
            double *s = rec.sum_wy + a * dim;
            memset(s, 0, dim * sizeof *s);
            for (size_t i = 0; i < rc; i++) {
                if (w[i] == 0)
                    continue;
                const double *row = e->y + (r0 + i) * dim;
                for (size_t k = 0; k < dim; k++)
                    s[k] += w[i] * row[k];
            }
        }
    } else {
        /* Only the rows that carry a weight, where they are few. */
        const size_t kept = gather_weighted_rows(e, j, rc, active, logits, rows);
        if (kept < rc) {
            y = dg_block_view(rows, kept, dim);
            g.cols = kept;
        }
        g.rows = active;
        dg_gemm_ab(1.0, g, y, 0.0, dg_block_view(rec.sum_wy, active, dim));
    }
    /* Unpack the weighted sums to their queries' rows, last first. */
    for (size_t q = nq; q-- > 0 && active > 0;) {
        if (rec.max[q] == -INFINITY)
            continue;
        if (--active != q)
            memcpy(rec.sum_wy + q * dim, rec.sum_wy + active * dim, dim * sizeof *rec.sum_wy);
    }
}

/* ------------------------------------------------------------------------ */
/* Empirical denoiser: evaluation                                           */
/* ------------------------------------------------------------------------ */

/*
 * Centres a block of queries and flags those whose GEMM logits may not be
 * accurate enough against the whole data's radius R (needs_exact); each
 * chunk then decides from its own radius.
 */
static void prepare_queries(empirical *e, const double *x, size_t q0, size_t nq, double sigma,
                            bool history)
{
    const size_t dim = e->dim;
    for (size_t q = 0; q < nq; q++) {
        double *xc = e->xc + q * dim;
        for (size_t k = 0; k < dim; k++)
            xc[k] = x[q * dim + k] - e->mean[k];
        e->xc_sqnorm[q] = dg_sqnorm(xc, dim);
        e->exact[q] = needs_exact(e, q, e->radius, sigma * sigma);
        e->near_here[q] = INFINITY;
        if (e->tracking) {
            track_step(e, q0, q, history);
            double *near = &e->track_near[q0 + q];
            *near = history ? ROUND_UP(*near + e->step[q]) : INFINITY;
            if (history)
                track_near_here(e, q0, q);
        }
    }
}

/* Computes the records of local chunks g0 … g0 + ng − 1 (one group). */
static void group_records(empirical *e, size_t g0, size_t ng, size_t q0, size_t nq, double sigma2,
                          bool history)
{
    const size_t stride = QB * DG_EMPIRICAL_CHUNK;
    /* Parallel over the chunks of one fixed group, twice: each chunk's
     * logits, then (once the group's maxima are known) each chunk's record,
     * each computed by one thread alone; records enter the reduction tree in
     * chunk order afterwards, so the thread count cannot change a bit. */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) if (ng > 1)
#endif
    for (size_t t = 0; t < ng; t++)
        chunk_logits(e, t, g0 + t, q0, nq, sigma2, history, e->logits + t * stride,
                     e->chunk_max + t * QB);
    double group_radius = 0;
    for (size_t t = 0; t < ng; t++) {
        group_radius = fmax(group_radius, e->chunk_radius[g0 + t]);
        e->skipped += e->slot_skipped[t];
    }
    e->products += ng * nq;
    for (size_t q = 0; q < nq; q++) {
        double m = -INFINITY;
        for (size_t t = 0; t < ng; t++)
            m = fmax(m, e->chunk_max[t * QB + q]);
        e->group_max[q] = m;
        e->exact_cut[q] = exact_cut(e, q, sigma2, group_radius);
    }
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic, 1) if (ng > 1)
#endif
    for (size_t t = 0; t < ng; t++)
        chunk_record(e, g0 + t, nq, sigma2, group_radius, e->chunk_max + t * QB, leaf_record(e, t),
                     e->logits + t * stride, e->xpack + t * QB * e->dim);
}

/*
 * near(q) ← the smaller of its carried value and the best upper bound from
 * the reference rows, over every process (the same value on all).
 */
static int track_nearest(empirical *e, size_t q0, size_t nq)
{
    /* Every process takes part in the message, even one that (out of
     * memory) keeps no history. */
    for (size_t q = 0; q < nq; q++)
        e->near_here[q] = -e->near_here[q];
    if (e->comm) {
        const int status = e->comm->max(e->comm->state, e->near_here, nq);
        if (status != DG_OK)
            return status;
    }
    for (size_t q = 0; e->tracking && q < nq; q++)
        e->track_near[q0 + q] = fmin(e->track_near[q0 + q], -e->near_here[q]);
    return DG_OK;
}

static int empirical_eval(void *state, const double *x, size_t n, double sigma, double *out,
                          dg_error *err)
{
    empirical *e = state;
    const size_t dim = e->dim;
    const double sigma2 = sigma * sigma;
    /* Only the same number of queries continues a history; all of it is
     * kept only once the whole evaluation succeeded. */
    const bool history = e->track_n == n && n > 0;
    e->tracking = track_reserve(e, n);
    e->track_n = 0;
    e->skipped = e->products = 0;

    for (size_t q0 = 0; q0 < n; q0 += QB) {
        const size_t nq = n - q0 < QB ? n - q0 : QB;
        const record_ctx ctx = {nq, dim, sigma2};
        prepare_queries(e, x + q0 * dim, q0, nq, sigma, history && e->tracking);
        int status = track_nearest(e, q0, nq);
        if (status != DG_OK)
            return dg_error_set(err, status, "communication between processes failed");
        for (size_t g0 = 0; g0 < e->nchunks; g0 += e->nslots) {
            const size_t ng = e->nchunks - g0 < e->nslots ? e->nchunks - g0 : e->nslots;
            group_records(e, g0, ng, q0, nq, sigma2, history && e->tracking);
            for (size_t t = 0; t < ng; t++)
                dg_tree_push(&e->records, &record_ops, &ctx, e->first_chunk + g0 + t,
                             e->leaves + t * e->records.payload);
        }
        void *root;
        status = dg_tree_finish(&e->records, &record_ops, &ctx, &root, err);
        double *d = out + q0 * dim;
        if (status == DG_OK && root) {
            const record total = record_at(root);
            for (size_t q = 0; q < nq; q++) {
                const double *sy = total.sum_wy + q * dim;
                for (size_t k = 0; k < dim; k++)
                    d[q * dim + k] = e->mean[k] + sy[k] / total.sum_w[q];
            }
        }
        if (status == DG_OK && e->records.comm)
            status = e->comm->bcast(e->comm->state, d, nq * dim * sizeof *d, 0);
        if (status != DG_OK)
            return dg_error_set(err, status, "communication between processes failed");
    }
    if (e->tracking)
        e->track_n = n;
    return DG_OK;
}

static void empirical_free(void *state)
{
    empirical *e = state;
    if (!e)
        return;
    dg_doubles_free(e->y);
    dg_doubles_free(e->block_storage);
    free(e->mean);
    dg_doubles_free(e->half_sqnorm);
    free(e->chunk_radius);
    free(e->exact);
    free(e->skip);
    free(e->slot_skipped);
    dg_doubles_free(e->track_xc);
    free(e->track_near);
    free(e->track_low);
    free(e->track_ref);
    dg_tree_release(&e->records);
    free(e);
}

static const dg_denoiser_type empirical_type = {
    .name = "empirical",
    .eval = empirical_eval,
    .free = empirical_free,
};

/* Carves the scratch of one block of queries out of one allocation; false when out of memory. */
static bool empirical_alloc_scratch(empirical *e)
{
    const size_t dim = e->dim, words = e->records.payload / sizeof(double);
    const size_t total = QB * dim + 5 * QB + e->nslots * QB + e->nslots * QB * DG_EMPIRICAL_CHUNK +
                         e->nslots * QB * dim + e->nslots * words;
    e->block_storage = dg_doubles_alloc(total, 1);
    e->exact = malloc(QB * sizeof *e->exact);
    e->skip = malloc(e->nslots * QB * sizeof *e->skip);
    e->slot_skipped = malloc(e->nslots * sizeof *e->slot_skipped);
    if (!e->block_storage || !e->exact || !e->skip || !e->slot_skipped)
        return false;
    double *p = e->block_storage;
    e->xc = p;
    p += QB * dim;
    e->xc_sqnorm = p;
    p += QB;
    e->group_max = p;
    p += QB;
    e->step = p;
    p += QB;
    e->exact_cut = p;
    p += QB;
    e->near_here = p;
    p += QB;
    e->chunk_max = p;
    p += e->nslots * QB;
    e->logits = p;
    p += e->nslots * QB * DG_EMPIRICAL_CHUNK;
    e->xpack = p;
    p += e->nslots * QB * dim;
    e->leaves = (unsigned char *)p;
    /* A partial block's records leave entries unused that are sent all the
     * same (record_bytes covers max and sum_w whole): defined bytes. */
    memset(e->leaves, 0, e->nslots * words * sizeof(double));
    return true;
}

/* ------------------------------------------------------------------------ */
/* Empirical denoiser: construction                                         */
/* ------------------------------------------------------------------------ */

/*
 * The order of the rows held here: within each group of chunks (the unit
 * of distribution over processes, so the order is the same for any number
 * of processes), the leaves of a PCA tree of chunk size (dg_order), so
 * that a chunk holds similar rows.  Rows are only ever used through the
 * denoiser's sums, so no caller sees the order.
 */
typedef struct row_order {
    size_t *order; /* row i of the denoiser is row order[i] of the caller's */
    bool *placed;  /* scratch for moving adopted rows in place, n */
    double *spare; /* one row, the same */
} row_order;

static void row_order_release(row_order *o)
{
    free(o->order);
    free(o->placed);
    free(o->spare);
}

static int row_order_make(row_order *o, const double *y, size_t n, size_t dim, dg_error *err)
{
    const size_t group = DG_EMPIRICAL_CHUNK * DG_EMPIRICAL_GROUP;
    const size_t ngroups = (n + group - 1) / group;
    o->order = malloc((n > 0 ? n : 1) * sizeof *o->order);
    o->placed = calloc(n > 0 ? n : 1, sizeof *o->placed);
    o->spare = malloc(dim * sizeof *o->spare);
    if (!o->order || !o->placed || !o->spare)
        return dg_error_set(err, DG_ENOMEM, "out of memory to order %zu × %zu data", n, dim);
    /* Groups are independent and each is ordered by one thread alone (a
     * thread whose scratch could not be allocated skips the rest of its own). */
    bool failed = false;
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic) reduction(|| : failed) if (ngroups > 1)
#endif
    for (size_t g = 0; g < ngroups; g++) {
        if (failed)
            continue;
        const size_t r0 = g * group, rc = n - r0 < group ? n - r0 : group;
        size_t *order = o->order + r0;
        failed = dg_order_pca_tree(y + r0 * dim, rc, dim, DG_EMPIRICAL_CHUNK, order, NULL) != DG_OK;
        for (size_t i = 0; i < rc; i++)
            order[i] += r0;
    }
    if (failed)
        return dg_error_set(err, DG_ENOMEM, "out of memory to order %zu × %zu data", n, dim);
    return DG_OK;
}

/* The merge of partial sums of rows (long double): a ← a + b. */
static void sum_merge(const void *ctx, void *pa, const void *pb)
{
    const size_t dim = *(const size_t *)ctx;
    long double *a = pa;
    const long double *b = pb;
    for (size_t k = 0; k < dim; k++)
        a[k] += b[k];
}

static size_t sum_bytes(const void *ctx)
{
    return *(const size_t *)ctx * sizeof(long double);
}

static const dg_tree_ops sum_ops = {sum_merge, sum_bytes, NULL};

/*
 * μ = (Σ over the chunk tree of Σ_chunk y_i) / N, in long double: each
 * chunk's rows (rows order[i] of y) are summed in order, and the chunks'
 * sums are merged over the same tree as the records, so the mean (and
 * everything centred on it) is the same for any number of processes.
 */
static int empirical_mean(empirical *e, const double *y, const size_t *order, dg_error *err)
{
    const size_t dim = e->dim;
    dg_tree sums = {0};
    long double *leaf = calloc(dim, sizeof *leaf);
    int status = dg_tree_init(&sums, e->n_total, e->comm, dim * sizeof(long double), err);
    if (status == DG_OK && !leaf)
        status =
            dg_error_set(err, DG_ENOMEM, "out of memory for the mean of %zu-dimensional data", dim);
    if (status != DG_OK)
        goto release_sums;
    for (size_t j = 0; j < e->nchunks; j++) {
        const size_t r0 = j * DG_EMPIRICAL_CHUNK;
        const size_t rc = e->n - r0 < DG_EMPIRICAL_CHUNK ? e->n - r0 : DG_EMPIRICAL_CHUNK;
        for (size_t k = 0; k < dim; k++)
            leaf[k] = 0;
        for (size_t i = r0; i < r0 + rc; i++)
            for (size_t k = 0; k < dim; k++)
                leaf[k] += y[order[i] * dim + k];
        dg_tree_push(&sums, &sum_ops, &dim, e->first_chunk + j, leaf);
    }
    void *root;
    status = dg_tree_finish(&sums, &sum_ops, &dim, &root, err);
    if (status == DG_OK && root) {
        const long double *total = root;
        for (size_t k = 0; k < dim; k++)
            e->mean[k] = (double)(total[k] / e->n_total);
    }
    if (status == DG_OK && sums.comm &&
        (status = e->comm->bcast(e->comm->state, e->mean, dim * sizeof *e->mean, 0)) != DG_OK)
        dg_error_set(err, status, "communication between processes failed");

release_sums:
    free(leaf);
    dg_tree_release(&sums);
    return status;
}

/* The checks of a build, alike on every process; *first ← the index of this shard's first row. */
static int empirical_check(const double *y, size_t n, size_t dim, size_t n_total,
                           const dg_comm *comm, size_t *first, dg_error *err)
{
    if (n_total == 0 || dim == 0)
        return dg_error_set(err, DG_EINVAL, "empirical denoiser needs data (got %zu × %zu)",
                            n_total, dim);
    int status = dg_shard_check(n_total, comm, y, n, first, err);
    if (status == DG_OK && n > 0)
        status = dg_check_finite(y, n, dim, "denoiser data", err);
    /* An evaluation must not fail on one process alone while the others wait
     * for its messages: the BLAS library's buffers, which dg_denoiser_eval
     * makes sure of, are made sure of here, where the processes agree. */
    if (status == DG_OK && comm && comm->size > 1)
        status = dg_blas_reserve(blas_callers(), err);
    return status;
}

/*
 * The denoiser object for a shard of n rows starting at row `first`, its
 * rows not attached yet; NULL when out of memory (or without rows for n > 0).
 */
static dg_denoiser *empirical_new(size_t n, size_t dim, size_t n_total, size_t first,
                                  const dg_comm *comm, bool have_rows)
{
    empirical *e = calloc(1, sizeof *e);
    if (!e)
        return NULL;
    e->n = n;
    e->dim = dim;
    e->n_total = n_total;
    e->comm = comm && comm->size > 1 ? comm : NULL;
    e->nchunks = (n + DG_EMPIRICAL_CHUNK - 1) / DG_EMPIRICAL_CHUNK;
    e->first_chunk = first / DG_EMPIRICAL_CHUNK;
    e->nslots = DG_EMPIRICAL_GROUP;
    if (e->nslots > e->nchunks)
        e->nslots = e->nchunks > 0 ? e->nchunks : 1;
    e->mean = calloc(dim, sizeof *e->mean);
    e->half_sqnorm = dg_doubles_alloc(n > 0 ? n : 1, 1);
    e->chunk_radius = calloc(e->nchunks > 0 ? e->nchunks : 1, sizeof *e->chunk_radius);
    dg_denoiser *den = NULL;
    if ((have_rows || n == 0) && e->mean && e->half_sqnorm && e->chunk_radius &&
        dg_tree_init(&e->records, n_total, e->comm, (2 * QB + QB * dim) * sizeof(double), NULL) ==
            DG_OK &&
        empirical_alloc_scratch(e))
        den = dg_denoiser_wrap(&empirical_type, dim, e);
    if (!den)
        empirical_free(e);
    return den;
}

/*
 * Rows in their tree order: e->y (= y itself when adopted) ← rows order[i]
 * of y, moved along the permutation's cycles through one spare row.
 */
static void empirical_permute(empirical *e, const double *y, row_order *o)
{
    const size_t dim = e->dim, row = dim * sizeof *e->y;
    if (e->y != y) {
        for (size_t i = 0; i < e->n; i++)
            memcpy(e->y + i * dim, y + o->order[i] * dim, row);
        return;
    }
    for (size_t s = 0; s < e->n; s++) {
        if (o->placed[s])
            continue;
        memcpy(o->spare, e->y + s * dim, row);
        for (size_t i = s;; i = o->order[i]) {
            o->placed[i] = true;
            if (o->order[i] == s) {
                memcpy(e->y + i * dim, o->spare, row);
                break;
            }
            memcpy(e->y + i * dim, e->y + o->order[i] * dim, row);
        }
    }
}

/*
 * e->y ← the rows y in their tree order, centred on their mean, with their
 * half squared norms and radii.
 */
static int empirical_centre(empirical *e, const double *y, row_order *o, dg_error *err)
{
    const size_t dim = e->dim;
    int status = empirical_mean(e, y, o->order, err);
    if (status == DG_OK)
        empirical_permute(e, y, o);
    for (size_t i = 0; status == DG_OK && i < e->n; i++) {
        double *yc = e->y + i * dim;
        for (size_t k = 0; k < dim; k++)
            yc[k] -= e->mean[k];
        const double yy = dg_sqnorm(yc, dim);
        e->half_sqnorm[i] = 0.5 * yy;
        double *r = &e->chunk_radius[i / DG_EMPIRICAL_CHUNK];
        *r = fmax(*r, sqrt(yy));
        e->radius = fmax(e->radius, sqrt(yy));
    }
    if (status == DG_OK && e->comm &&
        (status = e->comm->max(e->comm->state, &e->radius, 1)) != DG_OK)
        dg_error_set(err, status, "communication between processes failed");
    return status;
}

/*
 * Builds the denoiser with its centred rows in `rows`: a fresh buffer (a copy
 * of y) or y itself (adopted).  Everything that can fail is done before y is
 * touched, so that a failed adoption leaves y as it was.  With comm, every
 * process calls this with its shard (n rows of n_total).
 */
static int empirical_build(const double *y, double *rows, size_t n, size_t dim, size_t n_total,
                           const dg_comm *comm, dg_denoiser **out, dg_error *err)
{
    size_t first = 0;
    row_order order = {0};
    int status = empirical_check(y, n, dim, n_total, comm, &first, err);
    *out = status == DG_OK ? empirical_new(n, dim, n_total, first, comm, rows != NULL) : NULL;
    if (status == DG_OK && !*out)
        status = dg_error_set(err, DG_ENOMEM,
                              "cannot allocate the empirical denoiser for %zu × %zu data", n, dim);
    if (status == DG_OK)
        status = row_order_make(&order, y, n, dim, err);
    const int local = status;
    status = dg_comm_all_ok(comm, status, err);
    if (status != DG_OK) {
        if (local == DG_OK)
            dg_error_set(err, DG_EREMOTE, "another process failed to build its denoiser");
        goto release_denoiser;
    }
    empirical *e = (*out)->state;
    e->y = rows;
    status = empirical_centre(e, y, &order, err);
    if (status != DG_OK)
        goto release_denoiser;
    row_order_release(&order);
    return DG_OK;

release_denoiser:
    /* The rows stay the caller's (reordered and centred, if adopted and the
     * mean was made). */
    if (*out)
        ((empirical *)(*out)->state)->y = NULL;
    dg_denoiser_free(*out);
    *out = NULL;
    row_order_release(&order);
    return status;
}

void dg_denoiser_pruned(const dg_denoiser *den, size_t *skipped, size_t *products)
{
    const empirical *e = den->type == &empirical_type ? den->state : NULL;
    *skipped = e ? e->skipped : 0;
    *products = e ? e->products : 0;
}

int dg_denoiser_agree(dg_denoiser *den, int status, dg_error *err)
{
    if (den->type != &empirical_type)
        return status;
    const empirical *e = den->state;
    return dg_comm_all_ok(e->comm, status, err);
}

int dg_denoiser_empirical_alloc(const double *y, size_t n, size_t dim, dg_denoiser **out,
                                dg_error *err)
{
    double *rows = dg_size_fits(n, dim) && n && dim ? dg_doubles_alloc(n, dim) : NULL;
    if (n > 0 && dim > 0 && !rows) {
        *out = NULL;
        return dg_error_set(err, DG_ENOMEM,
                            "cannot allocate the empirical denoiser for %zu × %zu data", n, dim);
    }
    const int status = empirical_build(y, rows, n, dim, n, NULL, out, err);
    if (status != DG_OK && rows && !*out)
        dg_doubles_free(rows);
    return status;
}

int dg_denoiser_empirical_adopt(double *y, size_t n, size_t dim, dg_denoiser **out, dg_error *err)
{
    return empirical_build(y, y, n, dim, n, NULL, out, err);
}

int dg_denoiser_empirical_shard(double *y, size_t n, size_t dim, size_t n_total,
                                const dg_comm *comm, dg_denoiser **out, dg_error *err)
{
    return empirical_build(y, y, n, dim, n_total, comm, out, err);
}
