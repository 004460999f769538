/* dg_denoiser: the denoiser interface and the exact empirical denoiser. */
#include "config.h"

#include "dg_denoiser.h"

#include <float.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "diffgeo.h"
#include "dg_tensor.h"

struct dg_denoiser {
    const dg_denoiser_type *type;
    size_t dim;
    void *state;
};

/* ------------------------------------------------------------------------ */
/* Generic interface                                                        */
/* ------------------------------------------------------------------------ */

dg_denoiser *dg_denoiser_wrap(const dg_denoiser_type *type, size_t dim,
                              void *state)
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

int dg_denoiser_eval(dg_denoiser *den, const double *x, size_t n,
                     double sigma, double *out, dg_error *err)
{
    if (!(sigma > 0) || !isfinite(sigma))
        return dg_error_set(err, DG_EINVAL, "noise level σ = %g: must be positive and finite",
                            sigma);
    int status = dg_check_finite(x, n, den->dim, "denoiser input", err);
    if (status == DG_OK)
        status = dg_blas_reserve(blas_callers(), err);
    if (status != DG_OK)
        return status;
    return den->type->eval(den->state, x, n, sigma, out, err);
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
/* Empirical denoiser: chunk records and their reduction tree               */
/* ------------------------------------------------------------------------ */

/*
 * The partial result of one subtree of chunks for a block of queries, with
 * logits in raw units (σ² times the logit):
 *   max[q]    the largest raw logit, −INFINITY for an empty subtree
 *   sum_w[q]  Σ exp((ℓ − max)/σ²)
 *   sum_wy    Σ exp((ℓ − max)/σ²) (y − μ), one row of dim per query
 */
typedef struct record {
    double *max;
    double *sum_w;
    double *sum_wy;
} record;

/* The binary counter over chunk indices needs one level per bit of nchunks. */
#define STACK_LEVELS_MAX 64

typedef struct empirical {
    size_t n, dim;
    size_t nchunks;
    double *y;            /* n × dim, centred: y_i − μ */
    double *mean;         /* μ, dim */
    double *half_sqnorm;  /* ½‖y_i − μ‖², n */
    double *chunk_radius; /* max_i ‖y_i − μ‖ over each chunk, nchunks */
    double radius;        /* max over all rows */

    /* Scratch for one block of queries; sized once at allocation. */
    double *xc;             /* queries − μ, QUERY_BLOCK × dim */
    double *running_max;    /* largest logit per query over the groups reduced so far */
    double *xc_sqnorm;      /* ‖x − μ‖², QUERY_BLOCK */
    unsigned char *exact;   /* per query: recompute logits from differences */
    size_t nslots;          /* chunks computed concurrently */
    record *slot;           /* one leaf record per concurrent chunk */
    double *logits;         /* nslots × QUERY_BLOCK × CHUNK */
    size_t nlevels;
    record *stack;          /* binary-counter stack of subtree records */
    unsigned *stack_level;  /* subtree of 2^level chunks */
    double *block_storage;  /* everything above, in one allocation */
} empirical;

/* exp((ℓ − max)/σ²) without 0/0 when σ² underflows to zero. */
static inline double scaled_weight(double delta, double sigma2)
{
    return delta == 0 ? 1.0 : exp(delta / sigma2);
}

/*
 * a ← a ⊕ b for nq queries.  The operation is bitwise commutative (max,
 * products and one sum of two terms), and an empty record (max = −∞) is its
 * identity, so the result depends only on the shape of the tree.
 */
static void record_merge(record a, record b, size_t nq, size_t dim,
                         double sigma2)
{
    for (size_t q = 0; q < nq; q++) {
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
        const double ca = scaled_weight(ma - m, sigma2);
        const double cb = scaled_weight(mb - m, sigma2);
        a.max[q] = m;
        a.sum_w[q] = ca * a.sum_w[q] + cb * b.sum_w[q];
        for (size_t k = 0; k < dim; k++)
            ya[k] = ca * ya[k] + cb * yb[k];
    }
}

static void record_copy(record to, record from, size_t nq, size_t dim)
{
    memcpy(to.max, from.max, nq * sizeof *to.max);
    memcpy(to.sum_w, from.sum_w, nq * sizeof *to.sum_w);
    memcpy(to.sum_wy, from.sum_wy, nq * dim * sizeof *to.sum_wy);
}

/*
 * Pushes the record of the next chunk, in chunk order, onto the
 * binary-counter stack: two subtrees of 2^k chunks merge as soon as both
 * exist, exactly as the carries of a binary increment.
 */
static void stack_push(empirical *e, size_t *depth, record leaf, size_t nq,
                       double sigma2)
{
    record carry = leaf;
    unsigned level = 0;
    while (*depth > 0 && e->stack_level[*depth - 1] == level) {
        record below = e->stack[*depth - 1];
        record_merge(below, carry, nq, e->dim, sigma2);
        carry = below;
        --*depth;
        level++;
    }
    if (carry.max != e->stack[*depth].max)
        record_copy(e->stack[*depth], carry, nq, e->dim);
    e->stack_level[*depth] = level;
    ++*depth;
}

/* Merges what remains on the stack, smallest subtrees first. */
static record stack_collapse(empirical *e, size_t depth, size_t nq,
                             double sigma2)
{
    for (; depth > 1; depth--)
        record_merge(e->stack[depth - 2], e->stack[depth - 1], nq, e->dim,
                     sigma2);
    return e->stack[0];
}

/* ------------------------------------------------------------------------ */
/* Empirical denoiser: one chunk                                            */
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

/*
 * The record of chunk j for queries xc (nq rows).  Logits are in raw units;
 * for queries flagged exact, the candidates' logits are −½‖x − y‖² from exact
 * differences, and the others' are their GEMM values shifted by −½‖x‖², whose
 * errors cannot matter: their weights are below e^−WINDOW of the maximum.
 *
 * A query whose largest logit in this chunk lies more than the window (plus
 * twice the worst-case rounding) below running_max[q], the largest logit of
 * the groups already reduced, gets an empty record: all its weights here are
 * below e^−WINDOW of the final maximum.  Only the other queries' rows enter
 * the second product, packed together.
 */
static void chunk_record(const empirical *e, size_t j, size_t nq,
                         double sigma2, record rec, double *logits)
{
    const size_t dim = e->dim, r0 = j * DG_EMPIRICAL_CHUNK;
    const size_t rc = e->n - r0 < DG_EMPIRICAL_CHUNK ? e->n - r0 : DG_EMPIRICAL_CHUNK;
    const double *half_sqnorm = e->half_sqnorm + r0;
    dg_block xc = dg_block_view(e->xc, nq, dim);
    dg_block y = dg_block_view(e->y + r0 * dim, rc, dim);
    dg_block g = {logits, nq, rc, DG_EMPIRICAL_CHUNK};
    size_t active = 0;

    dg_gemm_abt(1.0, xc, y, 0.0, g);
    for (size_t q = 0; q < nq; q++) {
        double *l = logits + q * DG_EMPIRICAL_CHUNK;
        double m = -INFINITY;
        for (size_t i = 0; i < rc; i++) {
            l[i] -= half_sqnorm[i];
            m = fmax(m, l[i]);
        }
        const double xx = e->xc_sqnorm[q];
        const double margin = DG_EMPIRICAL_LOGIT_WINDOW * sigma2 +
                              2 * raw_logit_error_bound(xx, e->chunk_radius[j], dim);
        /* In exact mode the running maximum is in units of −½‖x − y‖². */
        if ((e->exact[q] ? m - 0.5 * xx : m) < e->running_max[q] - margin) {
            rec.max[q] = -INFINITY;
            continue;
        }
        if (e->exact[q]) {
            /* Candidates: near this chunk's maximum and the running one. */
            const double cut = fmax(m, e->running_max[q] + 0.5 * xx) - margin;
            const double *x = e->xc + q * dim;
            m = -INFINITY;
            for (size_t i = 0; i < rc; i++) {
                if (l[i] >= cut)
                    l[i] = -0.5 * dg_sqdist(x, e->y + (r0 + i) * dim, dim);
                else
                    l[i] -= 0.5 * xx;
                m = fmax(m, l[i]);
            }
        }
        /* Pack the row of weights: row q moves up to row `active` ≤ q. */
        double *w = logits + active * DG_EMPIRICAL_CHUNK, s = 0;
        for (size_t i = 0; i < rc; i++) {
            w[i] = scaled_weight(l[i] - m, sigma2);
            s += w[i];
        }
        rec.max[q] = m;
        rec.sum_w[q] = s;
        active++;
    }
    if (active == 0)
        return;
    g.rows = active;
    dg_gemm_ab(1.0, g, y, 0.0, dg_block_view(rec.sum_wy, active, dim));
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
 * Centres a block of queries and decides, per query, whether GEMM logits are
 * accurate enough: their typical rounding error is u√d (‖x‖R + R²)/σ², with R
 * the largest data norm (both measured from μ).
 */
static void prepare_queries(empirical *e, const double *x, size_t nq,
                            double sigma)
{
    const size_t dim = e->dim;
    const double r = e->radius / sigma;
    for (size_t q = 0; q < nq; q++) {
        double *xc = e->xc + q * dim;
        for (size_t k = 0; k < dim; k++)
            xc[k] = x[q * dim + k] - e->mean[k];
        e->xc_sqnorm[q] = dg_sqnorm(xc, dim);
        const double typical = (DBL_EPSILON / 2) * sqrt((double)dim) *
                               (sqrt(e->xc_sqnorm[q]) / sigma * r + r * r);
        e->exact[q] = typical > DG_EMPIRICAL_LOGIT_TOL;
    }
}

static int empirical_eval(void *state, const double *x, size_t n,
                          double sigma, double *out, dg_error *err)
{
    (void)err;
    empirical *e = state;
    const size_t dim = e->dim;
    const double sigma2 = sigma * sigma;

    for (size_t q0 = 0; q0 < n; q0 += DG_EMPIRICAL_QUERY_BLOCK) {
        const size_t nq = n - q0 < DG_EMPIRICAL_QUERY_BLOCK ? n - q0 : DG_EMPIRICAL_QUERY_BLOCK;
        prepare_queries(e, x + q0 * dim, nq, sigma);
        for (size_t q = 0; q < nq; q++)
            e->running_max[q] = -INFINITY;
        size_t depth = 0;
        for (size_t g0 = 0; g0 < e->nchunks; g0 += e->nslots) {
            const size_t ng = e->nchunks - g0 < e->nslots ? e->nchunks - g0 : e->nslots;
            /* Parallel over the chunks of a group of fixed size: each chunk's
             * record is computed by one thread alone from the running maxima
             * of the earlier groups, and records enter the reduction tree in
             * chunk order below, so the thread count cannot change a bit of
             * the result. */
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (ng > 1)
#endif
            for (size_t t = 0; t < ng; t++)
                chunk_record(e, g0 + t, nq, sigma2, e->slot[t],
                             e->logits + t * DG_EMPIRICAL_QUERY_BLOCK * DG_EMPIRICAL_CHUNK);
            for (size_t t = 0; t < ng; t++) {
                stack_push(e, &depth, e->slot[t], nq, sigma2);
                for (size_t q = 0; q < nq; q++)
                    e->running_max[q] = fmax(e->running_max[q], e->slot[t].max[q]);
            }
        }
        const record total = stack_collapse(e, depth, nq, sigma2);
        for (size_t q = 0; q < nq; q++) {
            const double *sy = total.sum_wy + q * dim;
            double *d = out + (q0 + q) * dim;
            for (size_t k = 0; k < dim; k++)
                d[k] = e->mean[k] + sy[k] / total.sum_w[q];
        }
    }
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
    free(e->half_sqnorm);
    free(e->chunk_radius);
    free(e->exact);
    free(e->slot);
    free(e->stack);
    free(e->stack_level);
    free(e);
}

static const dg_denoiser_type empirical_type = {
    .name = "empirical",
    .eval = empirical_eval,
    .free = empirical_free,
};

/* Carves the records of slots and stack out of one allocation. */
static int empirical_alloc_scratch(empirical *e)
{
    const size_t qb = DG_EMPIRICAL_QUERY_BLOCK, dim = e->dim;
    const size_t record_size = qb * (dim + 2);
    const size_t nrecords = e->nslots + e->nlevels;
    const size_t total = qb * dim + 2 * qb +
                         e->nslots * qb * DG_EMPIRICAL_CHUNK + nrecords * record_size;
    e->block_storage = dg_doubles_alloc(total, 1);
    e->exact = malloc(qb);
    e->slot = malloc(e->nslots * sizeof *e->slot);
    e->stack = malloc(e->nlevels * sizeof *e->stack);
    e->stack_level = malloc(e->nlevels * sizeof *e->stack_level);
    if (!e->block_storage || !e->exact || !e->slot || !e->stack || !e->stack_level)
        return DG_ENOMEM;
    double *p = e->block_storage;
    e->xc = p;
    p += qb * dim;
    e->xc_sqnorm = p;
    p += qb;
    e->running_max = p;
    p += qb;
    e->logits = p;
    p += e->nslots * qb * DG_EMPIRICAL_CHUNK;
    for (size_t r = 0; r < nrecords; r++) {
        record rec = {p, p + qb, p + 2 * qb};
        p += record_size;
        if (r < e->nslots)
            e->slot[r] = rec;
        else
            e->stack[r - e->nslots] = rec;
    }
    return DG_OK;
}

/*
 * Builds the denoiser with its centred rows in `rows`: a fresh buffer (a copy
 * of y) or y itself (adopted).  Everything that can fail is done before y is
 * touched, so that a failed adoption leaves y as it was.
 */
static int empirical_build(const double *y, double *rows, size_t n, size_t dim,
                           dg_denoiser **out, dg_error *err)
{
    *out = NULL;
    if (n == 0 || dim == 0)
        return dg_error_set(err, DG_EINVAL, "empirical denoiser needs data (got %zu × %zu)",
                            n, dim);
    int status = dg_check_finite(y, n, dim, "denoiser data", err);
    if (status != DG_OK)
        return status;

    empirical *e = calloc(1, sizeof *e);
    long double *sum = calloc(dim, sizeof *sum);
    if (!e || !sum) {
        free(e);
        free(sum);
        return dg_error_set(err, DG_ENOMEM, "out of memory");
    }
    e->n = n;
    e->dim = dim;
    e->nchunks = (n + DG_EMPIRICAL_CHUNK - 1) / DG_EMPIRICAL_CHUNK;
    e->nlevels = 1;
    for (size_t c = e->nchunks; c > 1; c >>= 1)
        e->nlevels++;
    e->nslots = DG_EMPIRICAL_GROUP;
    if (e->nslots > e->nchunks)
        e->nslots = e->nchunks;
    e->mean = calloc(dim, sizeof *e->mean);
    e->half_sqnorm = malloc(n * sizeof *e->half_sqnorm);
    e->chunk_radius = calloc(e->nchunks, sizeof *e->chunk_radius);
    if (rows && e->mean && e->half_sqnorm && e->chunk_radius &&
        empirical_alloc_scratch(e) == DG_OK)
        *out = dg_denoiser_wrap(&empirical_type, dim, e);
    if (!*out) {
        empirical_free(e);
        free(sum);
        return dg_error_set(err, DG_ENOMEM, "cannot allocate the empirical denoiser for %zu × %zu data",
                            n, dim);
    }
    e->y = rows;

    /* The mean in long double, row by row, so that centring depends on the row
     * order only in the last bit. */
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < dim; k++)
            sum[k] += y[i * dim + k];
    for (size_t k = 0; k < dim; k++)
        e->mean[k] = (double)(sum[k] / n);
    free(sum);
    for (size_t i = 0; i < n; i++) {
        double *yc = e->y + i * dim;
        for (size_t k = 0; k < dim; k++)
            yc[k] = y[i * dim + k] - e->mean[k];
        const double yy = dg_sqnorm(yc, dim);
        e->half_sqnorm[i] = 0.5 * yy;
        double *r = &e->chunk_radius[i / DG_EMPIRICAL_CHUNK];
        *r = fmax(*r, sqrt(yy));
        e->radius = fmax(e->radius, sqrt(yy));
    }
    return DG_OK;
}

int dg_denoiser_empirical_alloc(const double *y, size_t n, size_t dim,
                                dg_denoiser **out, dg_error *err)
{
    double *rows = dg_size_fits(n, dim) && n && dim ? dg_doubles_alloc(n, dim) : NULL;
    const int status = empirical_build(y, rows ? rows : NULL, n, dim, out, err);
    if (status != DG_OK && rows && !*out)
        dg_doubles_free(rows);
    return status;
}

int dg_denoiser_empirical_adopt(double *y, size_t n, size_t dim,
                                dg_denoiser **out, dg_error *err)
{
    return empirical_build(y, y, n, dim, out, err);
}
