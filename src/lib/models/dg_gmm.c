/* dg_gmm: Gaussian mixtures, their evaluations, sampling and the mixture denoiser. */
#include "config.h"

#include "dg_gmm.h"

#include <gsl/gsl_blas.h>
#include <gsl/gsl_eigen.h>
#include <gsl/gsl_matrix.h>
#include <gsl/gsl_randist.h>
#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dg_gmm_internal.h"
#include "dg_tensor.h"

static noise make_noise(double sigma)
{
    noise s = {sigma, sigma * sigma, log(sigma)};
    return s;
}

/* ------------------------------------------------------------------------ */
/* Small numerical helpers                                                  */
/* ------------------------------------------------------------------------ */

/*
 * (t² − T²)/(2σ²) for t ≥ T ≥ 0 as a product of two ratios to σ: finite
 * whenever the result is, and exactly 0 for t = T (where (t + T)/σ may be
 * Inf).
 */
static double half_gap(double t, double T, double sigma)
{
    if (t == T)
        return 0;
    return 0.5 * ((t - T) / sigma) * ((t + T) / sigma);
}

void dg_gmm_orthonormalise(double *u, size_t r, size_t d)
{
    for (size_t i = 0; i < r; i++) {
        double *ui = u + i * d;
        for (int pass = 0; pass < 2; pass++)
            for (size_t j = 0; j < i; j++) {
                const double *uj = u + j * d;
                const double p = dg_dot(ui, uj, d);
                for (size_t c = 0; c < d; c++)
                    ui[c] -= p * uj[c];
            }
        const double norm = dg_norm(ui, d);
        for (size_t c = 0; c < d; c++)
            ui[c] /= norm;
    }
}

/* ------------------------------------------------------------------------ */
/* Building a mixture                                                       */
/* ------------------------------------------------------------------------ */

const char *dg_cov_kind_name(dg_cov_kind kind)
{
    static const char *const names[] = {
        [DG_COV_FULL] = "full",
        [DG_COV_DIAG] = "diag",
        [DG_COV_ISO] = "iso",
        [DG_COV_LOWRANK] = "lowrank",
    };
    if ((size_t)kind >= sizeof names / sizeof names[0])
        return "unknown";
    return names[kind];
}

int dg_gmm_alloc(size_t K, size_t dim, dg_gmm **out, dg_error *err)
{
    *out = NULL;
    if (K == 0)
        return dg_error_set(err, DG_EINVAL, "a mixture needs at least one component (K = 0)");
    if (dim == 0)
        return dg_error_set(err, DG_EINVAL, "a mixture needs dimension d ≥ 1 (d = 0)");
    if (!dg_size_fits(K, dim))
        return dg_error_set(err, DG_ENOMEM, "a mixture of %zu × %zu is too large", K, dim);
    dg_gmm *g = malloc(sizeof *g);
    component *comp = calloc(K, sizeof *comp);
    if (!g || !comp)
        goto release_parts;
    g->K = K;
    g->dim = dim;
    g->comp = comp;
    *out = g;
    return DG_OK;

release_parts:
    free(g);
    free(comp);
    return dg_error_set(err, DG_ENOMEM, "out of memory for a mixture of %zu components", K);
}

static void component_clear(component *c)
{
    dg_doubles_free(c->mean);
    dg_doubles_free(c->eigvecs);
    dg_doubles_free(c->eigvals);
    memset(c, 0, sizeof *c);
}

void dg_gmm_free(dg_gmm *g)
{
    if (!g)
        return;
    for (size_t k = 0; k < g->K; k++)
        component_clear(&g->comp[k]);
    free(g->comp);
    free(g);
}

/*
 * Validates k, weight and mean, and allocates a fresh component c of `rank`
 * directions (rank × dim vectors when `vectors`) with the mean copied in.
 */
static int component_begin(const dg_gmm *g, size_t k, double weight, const double *mean,
                           dg_cov_kind kind, size_t rank, bool vectors, component *c, dg_error *err)
{
    memset(c, 0, sizeof *c);
    if (k >= g->K)
        return dg_error_set(err, DG_EINVAL, "component %zu does not exist (K = %zu)", k, g->K);
    if (!isfinite(weight))
        return dg_error_set(err, DG_ENONFINITE, "component %zu: weight is %g", k, weight);
    if (!(weight > 0))
        return dg_error_set(err, DG_EINVAL, "component %zu: weight %g is not positive", k, weight);
    char what[DG_GMM_LABEL_SIZE];
    snprintf(what, sizeof what, "component %zu: mean", k);
    int status = dg_check_finite(mean, 1, g->dim, what, err);
    if (status != DG_OK)
        return status;
    c->kind = kind;
    c->weight = weight;
    c->rank = rank;
    c->mean = dg_doubles_alloc(g->dim, 1);
    c->eigvals = dg_doubles_alloc(rank, 1);
    c->eigvecs = vectors ? dg_doubles_alloc(rank, g->dim) : NULL;
    if (!c->mean || !c->eigvals || (vectors && !c->eigvecs)) {
        component_clear(c);
        return dg_error_set(err, DG_ENOMEM, "component %zu: out of memory", k);
    }
    memcpy(c->mean, mean, g->dim * sizeof *c->mean);
    return DG_OK;
}

/* Installs c as component k, releasing what k held. */
static void component_commit(dg_gmm *g, size_t k, component *c)
{
    component_clear(&g->comp[k]);
    c->set = true;
    g->comp[k] = *c;
}

/* DG_OK when the n variances are finite and non-negative. */
static int check_variances(const double *v, size_t n, size_t k, dg_error *err)
{
    for (size_t j = 0; j < n; j++) {
        if (!isfinite(v[j]))
            return dg_error_set(err, DG_ENONFINITE, "component %zu: variance %zu is %g", k, j,
                                v[j]);
        if (v[j] < 0)
            return dg_error_set(err, DG_EINVAL, "component %zu: variance %zu is negative (%g)", k,
                                j, v[j]);
    }
    return DG_OK;
}

/* DG_OK when |c_ij − c_ji| ≤ DG_GMM_SYMMETRY_TOL · max |c| for all i < j. */
static int check_symmetric(const double *cov, size_t d, size_t k, dg_error *err)
{
    double amax = 0;
    for (size_t i = 0; i < d * d; i++)
        amax = fmax(amax, fabs(cov[i]));
    for (size_t i = 0; i < d; i++)
        for (size_t j = i + 1; j < d; j++)
            if (fabs(cov[i * d + j] - cov[j * d + i]) > DG_GMM_SYMMETRY_TOL * amax)
                return dg_error_set(err, DG_EINVAL,
                                    "component %zu: covariance is not symmetric: (%zu, %zu) "
                                    "holds %g, (%zu, %zu) holds %g",
                                    k, i, j, cov[i * d + j], j, i, cov[j * d + i]);
    return DG_OK;
}

/*
 * c's eigen-decomposition of the symmetric d × d matrix cov (symmetrised
 * first): eigenvalues in decreasing order, rounding noise within
 * ±DG_GMM_PSD_TOL λ_max set to 0, then every eigenvalue below min_var raised
 * to min_var (0 for a caller's covariance, reg for EM).
 */
static int decompose(const double *cov, size_t d, size_t k, double min_var, component *c,
                     dg_error *err)
{
    double *a = dg_doubles_alloc(d, d), *vecs = dg_doubles_alloc(d, d);
    gsl_eigen_symmv_workspace *w = gsl_eigen_symmv_alloc(d);
    int status = DG_OK;
    if (!a || !vecs || !w) {
        status = dg_error_set(err, DG_ENOMEM,
                              "component %zu: out of memory for a %zu × %zu "
                              "eigen-decomposition",
                              k, d, d);
        goto release;
    }
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++)
            a[i * d + j] = 0.5 * (cov[i * d + j] + cov[j * d + i]);
    gsl_matrix_view av = gsl_matrix_view_array(a, d, d);
    gsl_matrix_view vv = gsl_matrix_view_array(vecs, d, d);
    gsl_vector_view lv = gsl_vector_view_array(c->eigvals, d);
    gsl_eigen_symmv(&av.matrix, &lv.vector, &vv.matrix, w);
    gsl_eigen_symmv_sort(&lv.vector, &vv.matrix, GSL_EIGEN_SORT_VAL_DESC);
    for (size_t j = 0; j < d; j++)
        for (size_t i = 0; i < d; i++)
            c->eigvecs[j * d + i] = vecs[i * d + j];
    double lmax = 0;
    for (size_t j = 0; j < d; j++)
        lmax = fmax(lmax, fabs(c->eigvals[j]));
    for (size_t j = 0; j < d; j++) {
        double *l = &c->eigvals[j];
        if (*l < -DG_GMM_PSD_TOL * lmax) {
            status = dg_error_set(err, DG_EINVAL,
                                  "component %zu: covariance is not positive semi-definite "
                                  "(eigenvalue %g, largest |λ| %g)",
                                  k, *l, lmax);
            goto release;
        }
        if (fabs(*l) <= DG_GMM_PSD_TOL * lmax)
            *l = 0;
        if (*l < min_var)
            *l = min_var;
    }
release:
    gsl_eigen_symmv_free(w);
    dg_doubles_free(a);
    dg_doubles_free(vecs);
    return status;
}

int dg_gmm_set_full_floor(dg_gmm *g, size_t k, double weight, const double *mean, const double *cov,
                          double min_var, dg_error *err)
{
    component c;
    int status = component_begin(g, k, weight, mean, DG_COV_FULL, g->dim, true, &c, err);
    if (status != DG_OK)
        return status;
    char what[DG_GMM_LABEL_SIZE];
    snprintf(what, sizeof what, "component %zu: covariance", k);
    status = dg_check_finite(cov, g->dim, g->dim, what, err);
    if (status == DG_OK)
        status = check_symmetric(cov, g->dim, k, err);
    if (status == DG_OK)
        status = decompose(cov, g->dim, k, min_var, &c, err);
    if (status != DG_OK)
        goto clear_component;
    component_commit(g, k, &c);
    return DG_OK;

clear_component:
    component_clear(&c);
    return status;
}

int dg_gmm_set_full(dg_gmm *g, size_t k, double weight, const double *mean, const double *cov,
                    dg_error *err)
{
    return dg_gmm_set_full_floor(g, k, weight, mean, cov, 0.0, err);
}

/* DIAG and ISO: variances along the coordinate axes, one per axis. */
static int set_axes(dg_gmm *g, size_t k, double weight, const double *mean, dg_cov_kind kind,
                    const double *variances, size_t nvar, dg_error *err)
{
    component c;
    int status = check_variances(variances, nvar, k, err);
    if (status == DG_OK)
        status = component_begin(g, k, weight, mean, kind, g->dim, false, &c, err);
    if (status != DG_OK)
        return status;
    for (size_t j = 0; j < g->dim; j++)
        c.eigvals[j] = variances[nvar == 1 ? 0 : j];
    component_commit(g, k, &c);
    return DG_OK;
}

int dg_gmm_set_diag(dg_gmm *g, size_t k, double weight, const double *mean, const double *variances,
                    dg_error *err)
{
    return set_axes(g, k, weight, mean, DG_COV_DIAG, variances, g->dim, err);
}

int dg_gmm_set_iso(dg_gmm *g, size_t k, double weight, const double *mean, double variance,
                   dg_error *err)
{
    return set_axes(g, k, weight, mean, DG_COV_ISO, &variance, 1, err);
}

int dg_gmm_set_lowrank(dg_gmm *g, size_t k, double weight, const double *mean, size_t r,
                       const double *eigvecs, const double *eigvals, dg_error *err)
{
    const size_t d = g->dim;
    if (r > d)
        return dg_error_set(err, DG_EINVAL, "component %zu: rank %zu exceeds the dimension %zu", k,
                            r, d);
    int status = r ? check_variances(eigvals, r, k, err) : DG_OK;
    if (status != DG_OK)
        return status;
    char what[DG_GMM_LABEL_SIZE];
    snprintf(what, sizeof what, "component %zu: directions", k);
    if (r && (status = dg_check_finite(eigvecs, r, d, what, err)) != DG_OK)
        return status;
    for (size_t i = 0; i < r; i++)
        for (size_t j = 0; j <= i; j++) {
            const double p = dg_dot(eigvecs + i * d, eigvecs + j * d, d);
            if (fabs(p - (i == j)) > DG_GMM_ORTHONORMAL_TOL)
                return dg_error_set(err, DG_EINVAL,
                                    "component %zu: directions %zu and %zu are not orthonormal "
                                    "(u%zu · u%zu = %.9g, tolerance %g)",
                                    k, j, i, j, i, p, DG_GMM_ORTHONORMAL_TOL);
        }
    component c;
    status = component_begin(g, k, weight, mean, DG_COV_LOWRANK, r, true, &c, err);
    if (status != DG_OK)
        return status;
    if (r) {
        memcpy(c.eigvecs, eigvecs, r * d * sizeof *c.eigvecs);
        memcpy(c.eigvals, eigvals, r * sizeof *c.eigvals);
        dg_gmm_orthonormalise(c.eigvecs, r, d);
    }
    component_commit(g, k, &c);
    return DG_OK;
}

int dg_gmm_check(const dg_gmm *g, dg_error *err)
{
    double sum = 0;
    for (size_t k = 0; k < g->K; k++) {
        if (!g->comp[k].set)
            return dg_error_set(err, DG_EINVAL, "component %zu is not set", k);
        sum += g->comp[k].weight;
    }
    if (!(fabs(sum - 1) <= DG_GMM_WEIGHT_TOL))
        return dg_error_set(err, DG_EINVAL, "weights sum to %.12g, not 1 (tolerance %g)", sum,
                            DG_GMM_WEIGHT_TOL);
    return DG_OK;
}

/* A deep copy of g. */
static int gmm_copy(const dg_gmm *g, dg_gmm **out, dg_error *err)
{
    dg_gmm *c = NULL;
    int status = dg_gmm_alloc(g->K, g->dim, &c, err);
    for (size_t k = 0; status == DG_OK && k < g->K; k++) {
        const component *from = &g->comp[k];
        component to;
        status = component_begin(c, k, from->weight, from->mean, from->kind, from->rank,
                                 has_basis(from), &to, err);
        if (status != DG_OK)
            break;
        memcpy(to.eigvals, from->eigvals, from->rank * sizeof *to.eigvals);
        if (has_basis(from))
            memcpy(to.eigvecs, from->eigvecs, from->rank * g->dim * sizeof *to.eigvecs);
        component_commit(c, k, &to);
    }
    if (status != DG_OK)
        goto free_copy;
    *out = c;
    return DG_OK;

free_copy:
    dg_gmm_free(c);
    return status;
}

/* ------------------------------------------------------------------------ */
/* Reading a mixture back                                                   */
/* ------------------------------------------------------------------------ */

size_t dg_gmm_components(const dg_gmm *g)
{
    return g->K;
}

size_t dg_gmm_dim(const dg_gmm *g)
{
    return g->dim;
}

static const component *set_component(const dg_gmm *g, size_t k)
{
    return k < g->K && g->comp[k].set ? &g->comp[k] : NULL;
}

double dg_gmm_weight(const dg_gmm *g, size_t k)
{
    const component *c = set_component(g, k);
    return c ? c->weight : NAN;
}

const double *dg_gmm_mean(const dg_gmm *g, size_t k)
{
    const component *c = set_component(g, k);
    return c ? c->mean : NULL;
}

int dg_gmm_eigen(const dg_gmm *g, size_t k, dg_cov_kind *kind, size_t *rank, const double **eigvecs,
                 const double **eigvals, dg_error *err)
{
    const component *c = set_component(g, k);
    if (!c)
        return dg_error_set(err, DG_EINVAL, "component %zu is not set (K = %zu)", k, g->K);
    if (kind)
        *kind = c->kind;
    if (rank)
        *rank = c->rank;
    if (eigvecs)
        *eigvecs = c->eigvecs;
    if (eigvals)
        *eigvals = c->eigvals;
    return DG_OK;
}

int dg_gmm_covariance(const dg_gmm *g, size_t k, double *cov, dg_error *err)
{
    const component *c = set_component(g, k);
    const size_t d = g->dim;
    if (!c)
        return dg_error_set(err, DG_EINVAL, "component %zu is not set (K = %zu)", k, g->K);
    memset(cov, 0, d * d * sizeof *cov);
    if (!has_basis(c)) {
        for (size_t j = 0; j < d; j++)
            cov[j * d + j] = c->eigvals[j];
        return DG_OK;
    }
    if (c->rank == 0)
        return DG_OK;
    /* Σ = AᵀA with A = diag(√λ) U. */
    double *a = dg_doubles_alloc(c->rank, d);
    if (!a)
        return dg_error_set(err, DG_ENOMEM, "out of memory for a %zu × %zu covariance", d, d);
    for (size_t j = 0; j < c->rank; j++)
        for (size_t i = 0; i < d; i++)
            a[j * d + i] = sqrt(c->eigvals[j]) * c->eigvecs[j * d + i];
    gsl_matrix_view av = gsl_matrix_view_array(a, c->rank, d);
    gsl_matrix_view cv = gsl_matrix_view_array(cov, d, d);
    gsl_blas_dsyrk(CblasLower, CblasTrans, 1.0, &av.matrix, 0.0, &cv.matrix);
    for (size_t i = 0; i < d; i++)
        for (size_t j = i + 1; j < d; j++)
            cov[i * d + j] = cov[j * d + i];
    dg_doubles_free(a);
    return DG_OK;
}

/* ------------------------------------------------------------------------ */
/* Workspaces and the parallel block driver                                 */
/* ------------------------------------------------------------------------ */

static size_t max_basis_rank(const dg_gmm *g)
{
    size_t r = 0;
    for (size_t k = 0; k < g->K; k++)
        if (has_basis(&g->comp[k]) && g->comp[k].rank > r)
            r = g->comp[k].rank;
    return r;
}

size_t dg_gmm_thread_slots(size_t n)
{
    size_t slots = 1;
#ifdef _OPENMP
    slots = (size_t)omp_get_max_threads();
#endif
    const size_t nblocks = (n + QB - 1) / QB;
    if (slots > nblocks)
        slots = nblocks;
    return slots ? slots : 1;
}

void dg_gmm_workspaces_free(workspace *ws)
{
    if (ws)
        dg_doubles_free(ws[0].storage);
    free(ws);
}

workspace *dg_gmm_workspaces_alloc(const dg_gmm *g, size_t nslots)
{
    const size_t d = g->dim, r = max_basis_rank(g);
    if (!dg_size_fits(QB, 3 * d + r + 5))
        return NULL;
    const size_t per = QB * (3 * d + r + 5) + 3 * d;
    workspace *ws = calloc(nslots, sizeof *ws);
    double *p = dg_doubles_alloc(nslots, per);
    if (!ws || !p)
        goto release_parts;
    ws[0].storage = p;
    for (size_t t = 0; t < nslots; t++) {
        workspace *w = &ws[t];
        w->xc = p, p += QB * d;
        w->z = p, p += QB * r;
        w->v = p, p += QB * d;
        w->acc = p, p += QB * d;
        w->a = p, p += QB;
        w->t = p, p += QB;
        w->ref = p, p += QB;
        w->m = p, p += QB;
        w->s = p, p += QB;
        w->inv_sd = p, p += d;
        w->coef = p, p += d;
        w->gather = p, p += d;
    }
    return ws;

release_parts:
    free(ws);
    dg_doubles_free(p);
    return NULL;
}

void dg_gmm_for_blocks(size_t n, workspace *ws, size_t nslots, block_fn fn, void *ctx)
{
    const size_t nblocks = (n + QB - 1) / QB;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) num_threads((int)nslots) if (nblocks > 1 && nslots > 1)
#else
    (void)nslots;
#endif
    for (size_t b = 0; b < nblocks; b++) {
#ifdef _OPENMP
        workspace *mine = &ws[omp_get_thread_num()];
#else
        workspace *mine = ws;
#endif
        const size_t first = b * QB;
        fn(ctx, first, n - first < QB ? n - first : QB, mine);
    }
}

/* ------------------------------------------------------------------------ */
/* One component on one block of queries                                    */
/* ------------------------------------------------------------------------ */

/*
 * Directions of c with λ_j ≤ σ² (compared as logarithms), those outside U
 * counted as λ = 0.  Their ln(λ + σ²) is 2 ln σ + ln(1 + λ/σ²): the large,
 * common part 2 ln σ is kept apart (see component_factors).
 */
static size_t small_directions(const component *c, size_t dim, const noise *s)
{
    size_t n = dim - c->rank;
    for (size_t j = 0; j < c->rank; j++)
        n += c->eigvals[j] == 0 || log(c->eigvals[j]) <= 2 * s->log_sigma;
    return n;
}

/* The smallest small_directions over the components of g. */
static size_t fewest_small_directions(const dg_gmm *g, const noise *s)
{
    size_t n = g->dim;
    for (size_t k = 0; k < g->K; k++) {
        const size_t m = small_directions(&g->comp[k], g->dim, s);
        n = m < n ? m : n;
    }
    return n;
}

/*
 * Per-direction factors of c at noise s: inv_sd[j] = 1/sqrt(λ_j + σ²) and
 * coef[j] = λ_j/(λ_j + σ²) for λ_j > 0, both 0 where λ_j = 0.  Returns
 *   ln π − ½ Σ_j g_j − (n_small − n_ref) ln σ,
 * with g_j = ln(λ_j + σ²) for λ_j > σ² and ln(1 + λ_j/σ²) for the n_small
 * others, i.e. the logit's constant part shifted by n_ref ln σ.  The shift
 * is common to all components (n_ref is their smallest n_small), so at
 * σ = 80, d = 3072 the ±13 000 of d ln σ does not cost 1e-12 of every logit.
 */
static double component_factors(const component *c, size_t dim, const noise *s, size_t n_ref,
                                double *inv_sd, double *coef)
{
    const double two_log_sigma = 2 * s->log_sigma;
    double sum_log = 0;
    size_t n_small = dim - c->rank;
    for (size_t j = 0; j < c->rank; j++) {
        const double l = c->eigvals[j];
        if (l == 0) {
            n_small++;
            inv_sd[j] = coef[j] = 0;
            continue;
        }
        const double log_l = log(l);
        if (log_l <= two_log_sigma) {
            n_small++;
            sum_log += log1p(exp(log_l - two_log_sigma));
        } else {
            sum_log += log_l + log1p(exp(two_log_sigma - log_l));
        }
        inv_sd[j] = 1 / hypot(sqrt(l), s->sigma);
        coef[j] = l / (l + s->sigma2);
    }
    double lead = log(c->weight) - 0.5 * sum_log;
    if (n_small > n_ref)
        lead -= (double)(n_small - n_ref) * s->log_sigma;
    return lead;
}

/*
 * The standardised squared distance Σ (e_j inv_sd_j)² over directions of
 * positive variance, and (into *t) the length of e along zero variances.
 */
static double split_distance(const double *e, const double *inv_sd, size_t n, double *gather,
                             double *t)
{
    double q = 0;
    size_t ng = 0;
    for (size_t j = 0; j < n; j++) {
        if (inv_sd[j] > 0) {
            const double u = e[j] * inv_sd[j];
            q += u * u;
        } else {
            gather[ng++] = e[j];
        }
    }
    *t = ng ? dg_norm(gather, ng) : 0;
    return q;
}

/* One entry of the component's score vector: −e/(λ + σ²). */
static double score_entry(double e, double inv_sd, double sigma)
{
    return inv_sd > 0 ? -(e * inv_sd) * inv_sd : -(e / sigma) / sigma;
}

/*
 * ws->xc ← x − μ for the nb rows of x; for a component with a basis also
 * ws->z ← U (x − μ) and, when rank < dim, ws->v ← ρ = (x − μ) − Uᵀ z, by
 * subtraction: its length is what matters at small σ, and ‖x − μ‖² − ‖z‖²
 * would cancel.
 */
static void project_block(const component *c, size_t dim, const double *x, size_t nb, workspace *ws)
{
    for (size_t i = 0; i < nb; i++)
        for (size_t j = 0; j < dim; j++)
            ws->xc[i * dim + j] = x[i * dim + j] - c->mean[j];
    if (!has_basis(c))
        return;
    const size_t r = c->rank;
    const dg_block u = dg_block_view(c->eigvecs, r, dim);
    const dg_block z = dg_block_view(ws->z, nb, r);
    if (r)
        dg_gemm_abt(1.0, dg_block_view(ws->xc, nb, dim), u, 0.0, z);
    if (r < dim) {
        memcpy(ws->v, ws->xc, nb * dim * sizeof *ws->v);
        if (r)
            dg_gemm_ab(-1.0, z, u, 1.0, dg_block_view(ws->v, nb, dim));
    }
}

/* ws->v ← ws->v + Uᵀ (rows of ws->z): coefficients back to R^dim. */
static void back_project(const component *c, size_t dim, size_t nb, workspace *ws)
{
    const size_t r = c->rank;
    if (r)
        dg_gemm_ab(1.0, dg_block_view(ws->z, nb, r), dg_block_view(c->eigvecs, r, dim), 1.0,
                   dg_block_view(ws->v, nb, dim));
}

void dg_gmm_component_block(const component *c, size_t dim, const double *x, size_t nb,
                            const noise *s, size_t n_ref, want w, workspace *ws)
{
    const double lead = component_factors(c, dim, s, n_ref, ws->inv_sd, ws->coef);
    project_block(c, dim, x, nb, ws);
    if (!has_basis(c)) {
        for (size_t i = 0; i < nb; i++) {
            const double *e = ws->xc + i * dim;
            const double q = split_distance(e, ws->inv_sd, dim, ws->gather, &ws->t[i]);
            ws->a[i] = lead - 0.5 * q;
            double *v = ws->v + i * dim;
            if (w == WANT_DENOISED)
                for (size_t j = 0; j < dim; j++)
                    v[j] = c->mean[j] + ws->coef[j] * e[j];
            else if (w == WANT_SCORE)
                for (size_t j = 0; j < dim; j++)
                    v[j] = score_entry(e[j], ws->inv_sd[j], s->sigma);
        }
        return;
    }

    const size_t r = c->rank;
    for (size_t i = 0; i < nb; i++) {
        const double q = split_distance(ws->z + i * r, ws->inv_sd, r, ws->gather, &ws->t[i]);
        ws->a[i] = lead - 0.5 * q;
        if (r < dim)
            ws->t[i] = hypot(ws->t[i], dg_norm(ws->v + i * dim, dim));
    }
    if (w == WANT_DENSITY)
        return;
    for (size_t i = 0; i < nb; i++) {
        double *zi = ws->z + i * r, *vi = ws->v + i * dim;
        if (w == WANT_DENOISED) {
            for (size_t j = 0; j < r; j++)
                zi[j] *= ws->coef[j];
            memcpy(vi, c->mean, dim * sizeof *vi);
        } else {
            for (size_t j = 0; j < r; j++)
                zi[j] = score_entry(zi[j], ws->inv_sd[j], s->sigma);
            for (size_t j = 0; j < dim; j++)
                vi[j] = r < dim ? score_entry(vi[j], 0, s->sigma) : 0;
        }
    }
    back_project(c, dim, nb, ws);
}

/* ------------------------------------------------------------------------ */
/* The mixture on one block: a streamed softmax over components             */
/* ------------------------------------------------------------------------ */

/*
 * Adds component logit ℓ = a − t²/(2σ²) (and its vector v, unless NULL) to
 * row i's record.  The record keeps ref = the smallest t so far and logits
 * relative to −ref²/(2σ²), so that no t²/σ² is ever formed; when a smaller t
 * arrives, the old logits shift by −(ref² − t²)/(2σ²), which may send them to
 * −Inf (weight 0) but never to NaN.
 */
static void record_add(workspace *ws, size_t i, size_t dim, double a, double t, const double *v,
                       double sigma, bool first)
{
    double *acc = ws->acc + i * dim;
    if (first) {
        ws->ref[i] = t;
        ws->m[i] = a;
        ws->s[i] = 1;
        if (v)
            memcpy(acc, v, dim * sizeof *acc);
        return;
    }
    double rel = a;
    if (t < ws->ref[i]) {
        ws->m[i] -= half_gap(ws->ref[i], t, sigma);
        ws->ref[i] = t;
    } else {
        rel -= half_gap(t, ws->ref[i], sigma);
    }
    const double top = fmax(ws->m[i], rel);
    const double c_old = exp(ws->m[i] - top), c_new = exp(rel - top);
    ws->s[i] = ws->s[i] * c_old + c_new;
    ws->m[i] = top;
    if (!v)
        return;
    /* Weights of exactly 0 never multiply: a vector may hold Inf (a score
     * at tiny σ) where its weight has underflowed. */
    if (c_old == 0)
        memset(acc, 0, dim * sizeof *acc);
    else if (c_old != 1)
        for (size_t j = 0; j < dim; j++)
            acc[j] *= c_old;
    if (c_new > 0)
        for (size_t j = 0; j < dim; j++)
            acc[j] += c_new * v[j];
}

typedef struct mixture_ctx {
    const dg_gmm *g;
    const double *x;
    noise s;
    size_t n_ref; /* fewest_small_directions: the logits are shifted by n_ref ln σ */
    want w;
    double *vec;  /* n × dim for WANT_DENOISED / WANT_SCORE */
    double *logp; /* n for WANT_DENSITY */
} mixture_ctx;

static void mixture_block(void *vctx, size_t first, size_t nb, workspace *ws)
{
    const mixture_ctx *ctx = vctx;
    const dg_gmm *g = ctx->g;
    const size_t dim = g->dim;
    const double *x = ctx->x + first * dim;
    for (size_t k = 0; k < g->K; k++) {
        dg_gmm_component_block(&g->comp[k], dim, x, nb, &ctx->s, ctx->n_ref, ctx->w, ws);
        for (size_t i = 0; i < nb; i++)
            record_add(ws, i, dim, ws->a[i], ws->t[i],
                       ctx->w == WANT_DENSITY ? NULL : ws->v + i * dim, ctx->s.sigma, k == 0);
    }
    for (size_t i = 0; i < nb; i++) {
        if (ctx->w == WANT_DENSITY) {
            const double r = ws->ref[i] / ctx->s.sigma;
            ctx->logp[first + i] = ws->m[i] + log(ws->s[i]) - 0.5 * r * r -
                                   (double)ctx->n_ref * ctx->s.log_sigma -
                                   0.5 * (double)dim * LOG_2PI;
        } else {
            double *out = ctx->vec + (first + i) * dim;
            for (size_t j = 0; j < dim; j++)
                out[j] = ws->acc[i * dim + j] / ws->s[i];
        }
    }
}

/* The checks every public evaluation shares: a valid mixture, σ, finite x. */
static int check_query(const dg_gmm *g, const double *x, size_t n, double sigma, dg_error *err)
{
    int status = dg_gmm_check(g, err);
    if (status != DG_OK)
        return status;
    if (!(sigma > 0) || !isfinite(sigma))
        return dg_error_set(err, DG_EINVAL, "noise level σ = %g: must be positive and finite",
                            sigma);
    return dg_check_finite(x, n, g->dim, "mixture query", err);
}

/* Runs fn over n rows with per-call workspaces. */
static int run_blocks(const dg_gmm *g, size_t n, block_fn fn, void *ctx, dg_error *err)
{
    if (n == 0)
        return DG_OK;
    const size_t nslots = dg_gmm_thread_slots(n);
    workspace *ws = dg_gmm_workspaces_alloc(g, nslots);
    if (!ws)
        return dg_error_set(err, DG_ENOMEM, "out of memory for mixture scratch space");
    dg_gmm_for_blocks(n, ws, nslots, fn, ctx);
    dg_gmm_workspaces_free(ws);
    return DG_OK;
}

static int evaluate(const dg_gmm *g, const double *x, size_t n, double sigma, want w, double *vec,
                    double *logp, dg_error *err)
{
    int status = check_query(g, x, n, sigma, err);
    if (status != DG_OK)
        return status;
    const noise s = make_noise(sigma);
    mixture_ctx ctx = {g, x, s, fewest_small_directions(g, &s), w, vec, logp};
    return run_blocks(g, n, mixture_block, &ctx, err);
}

int dg_gmm_denoise(const dg_gmm *g, const double *x, size_t n, double sigma, double *out,
                   dg_error *err)
{
    return evaluate(g, x, n, sigma, WANT_DENOISED, out, NULL, err);
}

int dg_gmm_log_density(const dg_gmm *g, const double *x, size_t n, double sigma, double *out,
                       dg_error *err)
{
    return evaluate(g, x, n, sigma, WANT_DENSITY, NULL, out, err);
}

int dg_gmm_score(const dg_gmm *g, const double *x, size_t n, double sigma, double *out,
                 dg_error *err)
{
    return evaluate(g, x, n, sigma, WANT_SCORE, out, NULL, err);
}

/* ------------------------------------------------------------------------ */
/* Sampling and the closed-form Gaussian flow                               */
/* ------------------------------------------------------------------------ */

int dg_gmm_sample(const dg_gmm *g, gsl_rng *rng, size_t n, double *out, dg_error *err)
{
    int status = dg_gmm_check(g, err);
    if (status != DG_OK)
        return status;
    const size_t d = g->dim;
    for (size_t i = 0; i < n; i++) {
        const double u = gsl_rng_uniform(rng);
        size_t k = 0;
        double below = g->comp[0].weight;
        while (k + 1 < g->K && u >= below)
            below += g->comp[++k].weight;
        const component *c = &g->comp[k];
        double *y = out + i * d;
        memcpy(y, c->mean, d * sizeof *y);
        for (size_t j = 0; j < c->rank; j++) {
            const double a = sqrt(c->eigvals[j]) * gsl_ran_gaussian_ziggurat(rng, 1.0);
            if (!has_basis(c)) {
                y[j] += a;
                continue;
            }
            const double *uj = c->eigvecs + j * d;
            for (size_t l = 0; l < d; l++)
                y[l] += a * uj[l];
        }
    }
    return DG_OK;
}

typedef struct flow_ctx {
    const component *c;
    size_t dim;
    const double *x0;
    double sigma0, sigma;
    double *out;
} flow_ctx;

/*
 * out = μ + U diag(ratio) z + (σ/σ0) ρ, ratio_j = sqrt((λ_j + σ²)/(λ_j + σ0²))
 * as a ratio of hypotenuses (no square formed).  Everything is computed in
 * the workspace first, so out may alias x0.
 */
static void flow_block(void *vctx, size_t first, size_t nb, workspace *ws)
{
    const flow_ctx *ctx = vctx;
    const component *c = ctx->c;
    const size_t dim = ctx->dim, r = c->rank;
    const double outside = ctx->sigma / ctx->sigma0;
    for (size_t j = 0; j < r; j++) {
        const double sd = sqrt(c->eigvals[j]);
        ws->coef[j] = hypot(sd, ctx->sigma) / hypot(sd, ctx->sigma0);
    }
    project_block(c, dim, ctx->x0 + first * dim, nb, ws);
    if (!has_basis(c)) {
        for (size_t i = 0; i < nb; i++)
            for (size_t j = 0; j < dim; j++)
                ws->v[i * dim + j] = c->mean[j] + ws->coef[j] * ws->xc[i * dim + j];
    } else {
        for (size_t i = 0; i < nb; i++) {
            double *vi = ws->v + i * dim, *zi = ws->z + i * r;
            for (size_t j = 0; j < dim; j++)
                vi[j] = c->mean[j] + (r < dim ? outside * vi[j] : 0);
            for (size_t j = 0; j < r; j++)
                zi[j] *= ws->coef[j];
        }
        back_project(c, dim, nb, ws);
    }
    memcpy(ctx->out + first * dim, ws->v, nb * dim * sizeof *ws->v);
}

int dg_gmm_gaussian_flow(const dg_gmm *g, const double *x0, size_t n, double sigma0, double sigma,
                         double *out, dg_error *err)
{
    int status = dg_gmm_check(g, err);
    if (status != DG_OK)
        return status;
    if (g->K != 1)
        return dg_error_set(err, DG_EINVAL,
                            "the closed-form flow needs a single Gaussian (K = %zu)", g->K);
    if (!(sigma0 > 0) || !isfinite(sigma0) || !(sigma >= 0) || !isfinite(sigma))
        return dg_error_set(err, DG_EINVAL,
                            "flow from σ0 = %g to σ = %g: need σ0 > 0 and σ ≥ 0, finite", sigma0,
                            sigma);
    status = dg_check_finite(x0, n, g->dim, "flow start", err);
    if (status != DG_OK)
        return status;
    flow_ctx ctx = {&g->comp[0], g->dim, x0, sigma0, sigma, out};
    return run_blocks(g, n, flow_block, &ctx, err);
}

/* ------------------------------------------------------------------------ */
/* The mixture as a dg_denoiser                                             */
/* ------------------------------------------------------------------------ */

typedef struct gmm_denoiser {
    dg_gmm *g;     /* the denoiser's own copy */
    size_t nslots; /* workspaces, one per thread at creation */
    workspace *ws;
} gmm_denoiser;

static int gmm_denoiser_eval(void *state, const double *x, size_t n, double sigma, double *out,
                             dg_error *err)
{
    (void)err;
    gmm_denoiser *st = state;
    const noise s = make_noise(sigma);
    mixture_ctx ctx = {st->g, x, s, fewest_small_directions(st->g, &s), WANT_DENOISED, out, NULL};
    dg_gmm_for_blocks(n, st->ws, st->nslots, mixture_block, &ctx);
    return DG_OK;
}

static void gmm_denoiser_free(void *state)
{
    gmm_denoiser *st = state;
    if (!st)
        return;
    dg_gmm_free(st->g);
    dg_gmm_workspaces_free(st->ws);
    free(st);
}

static const dg_denoiser_type gmm_denoiser_type = {
    .name = "gmm",
    .eval = gmm_denoiser_eval,
    .free = gmm_denoiser_free,
};

int dg_denoiser_gmm_alloc(const dg_gmm *g, dg_denoiser **out, dg_error *err)
{
    *out = NULL;
    int status = dg_gmm_check(g, err);
    if (status != DG_OK)
        return status;
    gmm_denoiser *st = calloc(1, sizeof *st);
    if (!st)
        return dg_error_set(err, DG_ENOMEM, "out of memory");
    status = gmm_copy(g, &st->g, err);
    if (status != DG_OK)
        goto free_state;
    st->nslots = 1;
#ifdef _OPENMP
    st->nslots = (size_t)omp_get_max_threads();
#endif
    st->ws = dg_gmm_workspaces_alloc(st->g, st->nslots);
    if (st->ws)
        *out = dg_denoiser_wrap(&gmm_denoiser_type, g->dim, st);
    if (!*out) {
        status = dg_error_set(err, DG_ENOMEM, "out of memory for the mixture denoiser");
        goto free_state;
    }
    return DG_OK;

free_state:
    gmm_denoiser_free(st);
    return status;
}
