/*
 * Tests of dg_gmm: the mixture denoiser, log density and score against an
 * independent long-double computation with Cholesky factors of Σ + σ² I (no
 * eigen-decomposition), the score against finite differences of the log
 * density, the empirical denoiser as the mixture of point masses, limits,
 * extreme σ, the closed-form Gaussian flow against a fine RK4 integration,
 * HDF5 loading and its refusals, sampling, EM and the Gaussian fit, and the
 * teaching mixtures.
 */
#include "config.h"

#include <hdf5.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "diffgeo.h"
#include "reference.h"
#include "tap.h"

#define WORKDIR "tests/work/test_gmm"
#define DMAX 5
#define KMAX 4

/* ------------------------------------------------------------------------ */
/* Test mixtures, with their covariances as the test itself computes them   */
/* ------------------------------------------------------------------------ */

typedef struct test_comp {
    dg_cov_kind kind;
    double weight;
    double mean[DMAX];
    double cov[DMAX * DMAX]; /* FULL: the input */
    double var[DMAX];        /* DIAG: d variances; ISO: var[0] */
    size_t r;                /* LOWRANK */
    double u[DMAX * DMAX];   /* LOWRANK: r rows */
    double lam[DMAX];
} test_comp;

typedef struct test_mix {
    const char *name;
    size_t K, d;
    test_comp c[KMAX];
} test_mix;

/* Σ_k as the test computes it from its own inputs, in long double. */
static void test_cov(const test_comp *c, size_t d, long double *s)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            long double v = 0;
            switch (c->kind) {
            case DG_COV_FULL:
                v = c->cov[i * d + j];
                break;
            case DG_COV_DIAG:
                v = i == j ? c->var[i] : 0;
                break;
            case DG_COV_ISO:
                v = i == j ? c->var[0] : 0;
                break;
            case DG_COV_LOWRANK:
                for (size_t l = 0; l < c->r; l++)
                    v += (long double)c->lam[l] * c->u[l * d + i] * c->u[l * d + j];
                break;
            }
            s[i * d + j] = v;
        }
}

static dg_gmm *build(const test_mix *m)
{
    dg_gmm *g = NULL;
    dg_error err;
    int status = dg_gmm_alloc(m->K, m->d, &g, &err);
    for (size_t k = 0; status == DG_OK && k < m->K; k++) {
        const test_comp *c = &m->c[k];
        switch (c->kind) {
        case DG_COV_FULL:
            status = dg_gmm_set_full(g, k, c->weight, c->mean, c->cov, &err);
            break;
        case DG_COV_DIAG:
            status = dg_gmm_set_diag(g, k, c->weight, c->mean, c->var, &err);
            break;
        case DG_COV_ISO:
            status = dg_gmm_set_iso(g, k, c->weight, c->mean, c->var[0], &err);
            break;
        case DG_COV_LOWRANK:
            status = dg_gmm_set_lowrank(g, k, c->weight, c->mean, c->r, c->u, c->lam, &err);
            break;
        }
    }
    if (status != DG_OK) {
        diag("%s: %s", m->name, err.message);
        dg_gmm_free(g);
        return NULL;
    }
    return g;
}

/* cov = B Bᵀ + eps I (exactly symmetric: both triangles sum the same products). */
static void spd(const double *b, size_t d, double eps, double *cov)
{
    for (size_t i = 0; i < d; i++)
        for (size_t j = 0; j < d; j++) {
            double s = i == j ? eps : 0;
            for (size_t l = 0; l < d; l++)
                s += b[i * d + l] * b[j * d + l];
            cov[i * d + j] = s;
        }
}

/* r orthonormal rows from the rows of a, by Gram–Schmidt in long double. */
static void orthonormal_rows(const double *a, size_t r, size_t d, double *u)
{
    long double q[DMAX][DMAX];
    for (size_t i = 0; i < r; i++) {
        for (size_t c = 0; c < d; c++)
            q[i][c] = a[i * d + c];
        for (size_t j = 0; j < i; j++) {
            long double p = 0;
            for (size_t c = 0; c < d; c++)
                p += q[i][c] * q[j][c];
            for (size_t c = 0; c < d; c++)
                q[i][c] -= p * q[j][c];
        }
        long double nn = 0;
        for (size_t c = 0; c < d; c++)
            nn += q[i][c] * q[i][c];
        for (size_t c = 0; c < d; c++)
            u[i * d + c] = (double)(q[i][c] /= sqrtl(nn));
    }
}

static test_mix mix_full, mix_diag, mix_iso, mix_lowrank, mix_mixed;

static void make_mixtures(void)
{
    static const double b0[9] = {1.1, 0.3, -0.2, 0.4, 0.8, 0.1, -0.3, 0.2, 0.6};
    static const double b1[9] = {0.5, -0.45, 0.2, 0.1, 1.3, -0.35, 0.25, 0.15, 0.9};
    static const double a4[8] = {1.0, 2.385, -0.7, 0.3, -0.45, 0.2, 1.3, 0.65};
    static const double a3[3] = {0.48, -1.2, 0.71};

    mix_full = (test_mix){"full", 2, 3, {{0}}};
    mix_full.c[0] = (test_comp){.kind = DG_COV_FULL, .weight = 0.3815, .mean = {0.385, -1.25, 2.1}};
    mix_full.c[1] = (test_comp){.kind = DG_COV_FULL, .weight = 0.6185, .mean = {-1.7, 0.93, -0.44}};
    spd(b0, 3, 0.05, mix_full.c[0].cov);
    spd(b1, 3, 0.02, mix_full.c[1].cov);

    mix_diag = (test_mix){"diag", 2, 3, {{0}}};
    mix_diag.c[0] = (test_comp){
        .kind = DG_COV_DIAG, .weight = 0.455, .mean = {1.2, 0.3, -0.8}, .var = {0.41, 1.7, 0.09}};
    mix_diag.c[1] = (test_comp){
        .kind = DG_COV_DIAG, .weight = 0.545, .mean = {-0.6, -1.1, 0.95}, .var = {2.2, 0.35, 0.77}};

    mix_iso = (test_mix){"iso", 3, 3, {{0}}};
    mix_iso.c[0] =
        (test_comp){.kind = DG_COV_ISO, .weight = 0.25, .mean = {0.7, -0.2, 1.4}, .var = {0.25}};
    mix_iso.c[1] =
        (test_comp){.kind = DG_COV_ISO, .weight = 0.35, .mean = {-1.3, 0.8, 0.1}, .var = {1.44}};
    mix_iso.c[2] = (test_comp){.kind = DG_COV_ISO,
                               .weight = 0.4,
                               .mean = {0.2, 1.9, -0.9},
                               .var = {0.0}}; /* a point mass */

    mix_lowrank = (test_mix){"lowrank", 2, 4, {{0}}};
    mix_lowrank.c[0] = (test_comp){.kind = DG_COV_LOWRANK,
                                   .weight = 0.62,
                                   .mean = {0.3, -0.9, 1.1, 0.45},
                                   .r = 2,
                                   .lam = {1.9, 0.37}};
    orthonormal_rows(a4, 2, 4, mix_lowrank.c[0].u);
    mix_lowrank.c[1] = (test_comp){.kind = DG_COV_LOWRANK,
                                   .weight = 0.38,
                                   .mean = {-1.0, 0.6, -0.2, 1.3},
                                   .r = 1,
                                   .lam = {0.83}};
    orthonormal_rows(a4 + 4, 1, 4, mix_lowrank.c[1].u);

    mix_mixed = (test_mix){"mixed", 4, 3, {{0}}};
    mix_mixed.c[0] = mix_full.c[0];
    mix_mixed.c[0].weight = 0.21;
    mix_mixed.c[1] = (test_comp){
        .kind = DG_COV_DIAG, .weight = 0.27, .mean = {-0.5, 1.5, 0.2}, .var = {0.6, 0.0, 0.33}};
    mix_mixed.c[2] = mix_iso.c[1];
    mix_mixed.c[2].weight = 0.3;
    mix_mixed.c[3] = (test_comp){
        .kind = DG_COV_LOWRANK, .weight = 0.22, .mean = {1.6, -0.4, -1.2}, .r = 1, .lam = {0.95}};
    orthonormal_rows(a3, 1, 3, mix_mixed.c[3].u);
}

/* ------------------------------------------------------------------------ */
/* The long-double reference: Cholesky of Σ + σ² I                          */
/* ------------------------------------------------------------------------ */

/* log N(x; μ, Σ + s2 I) and w = (Σ + s2 I)⁻¹ (x − μ). */
static long double ref_component(const test_comp *c, size_t d, const long double *x, long double s2,
                                 long double *w)
{
    long double a[DMAX * DMAX], y[DMAX];
    test_cov(c, d, a);
    for (size_t i = 0; i < d; i++)
        a[i * d + i] += s2;
    for (size_t j = 0; j < d; j++) { /* lower Cholesky factor in place */
        for (size_t l = 0; l < j; l++)
            a[j * d + j] -= a[j * d + l] * a[j * d + l];
        a[j * d + j] = sqrtl(a[j * d + j]);
        for (size_t i = j + 1; i < d; i++) {
            for (size_t l = 0; l < j; l++)
                a[i * d + j] -= a[i * d + l] * a[j * d + l];
            a[i * d + j] /= a[j * d + j];
        }
    }
    long double quad = 0, logdet = 0;
    for (size_t i = 0; i < d; i++) {
        y[i] = x[i] - c->mean[i];
        for (size_t l = 0; l < i; l++)
            y[i] -= a[i * d + l] * y[l];
        y[i] /= a[i * d + i];
        quad += y[i] * y[i];
        logdet += 2 * logl(a[i * d + i]);
    }
    for (size_t i = d; i-- > 0;) {
        w[i] = y[i];
        for (size_t l = i + 1; l < d; l++)
            w[i] -= a[l * d + i] * w[l];
        w[i] /= a[i * d + i];
    }
    return -0.5L * ((long double)d * logl(2 * acosl(-1)) + logdet + quad);
}

/* log p_σ(x), D(x; σ) = Σ γ_k (μ_k + Σ_k w_k) and the score −Σ γ_k w_k. */
static long double ref_mixture(const test_mix *m, const double *x, double sigma, double *den,
                               double *score)
{
    const size_t d = m->d;
    const long double s2 = (long double)sigma * sigma;
    long double l[KMAX], w[KMAX][DMAX], xl[DMAX], top = -INFINITY, total = 0;
    for (size_t j = 0; j < d; j++)
        xl[j] = x[j];
    for (size_t k = 0; k < m->K; k++) {
        l[k] = logl(m->c[k].weight) + ref_component(&m->c[k], d, xl, s2, w[k]);
        top = fmaxl(top, l[k]);
    }
    long double dd[DMAX] = {0}, ss[DMAX] = {0};
    for (size_t k = 0; k < m->K; k++) {
        const long double gk = expl(l[k] - top);
        long double s[DMAX * DMAX];
        total += gk;
        test_cov(&m->c[k], d, s);
        for (size_t i = 0; i < d; i++) {
            long double sw = 0;
            for (size_t j = 0; j < d; j++)
                sw += s[i * d + j] * w[k][j];
            dd[i] += gk * (m->c[k].mean[i] + sw);
            ss[i] -= gk * w[k][i];
        }
    }
    for (size_t i = 0; i < d; i++) {
        if (den)
            den[i] = (double)(dd[i] / total);
        if (score)
            score[i] = (double)(ss[i] / total);
    }
    return top + logl(total);
}

/* Queries around the mixture: means plus spread·N(0, 1), at scale `scale`. */
static double *queries(gsl_rng *rng, const test_mix *m, size_t nq, double spread, double scale)
{
    double *x = malloc(nq * m->d * sizeof *x);
    for (size_t q = 0; q < nq; q++)
        for (size_t j = 0; j < m->d; j++)
            x[q * m->d + j] =
                scale * (m->c[q % m->K].mean[j] + spread * gsl_ran_gaussian(rng, 1.0));
    return x;
}

#define NQ 40

/* Largest relative errors of log p, D and the score against the reference. */
static void errors_against_reference(const test_mix *m, const dg_gmm *g, const double *x, size_t nq,
                                     double sigma, double e[3])
{
    const size_t d = m->d;
    double *logp = malloc(nq * sizeof *logp), *den = malloc(nq * d * sizeof *den);
    double *sc = malloc(nq * d * sizeof *sc), rd[DMAX], rs[DMAX];
    dg_error err;
    int status = dg_gmm_log_density(g, x, nq, sigma, logp, &err);
    status |= dg_gmm_denoise(g, x, nq, sigma, den, &err);
    status |= dg_gmm_score(g, x, nq, sigma, sc, &err);
    e[0] = e[1] = e[2] = status == DG_OK ? 0 : INFINITY;
    for (size_t q = 0; q < nq; q++) {
        const long double lp = ref_mixture(m, x + q * d, sigma, rd, rs);
        const double el = (double)(fabsl(logp[q] - lp) / fmaxl(1, fabsl(lp)));
        const double ed = rel_error(den + q * d, rd, d), es = rel_error(sc + q * d, rs, d);
        e[0] = !(el <= e[0]) ? el : e[0];
        e[1] = !(ed <= e[1]) ? ed : e[1];
        e[2] = !(es <= e[2]) ? es : e[2];
    }
    free(logp);
    free(den);
    free(sc);
}

static test_mix *all_mixtures[] = {&mix_full, &mix_diag, &mix_iso, &mix_lowrank, &mix_mixed};
#define NMIX (sizeof all_mixtures / sizeof all_mixtures[0])

static void test_against_reference(gsl_rng *rng)
{
    static const double sigmas[] = {0.05, 0.7, 4.3};
    for (size_t mi = 0; mi < NMIX; mi++) {
        const test_mix *m = all_mixtures[mi];
        dg_gmm *g = build(m);
        for (size_t s = 0; s < 3; s++) {
            double *x = queries(rng, m, NQ, 0.6 + sigmas[s], 1.0);
            double e[3];
            errors_against_reference(m, g, x, NQ, sigmas[s], e);
            ok(e[0] <= 1e-13 && e[1] <= 1e-12 && e[2] <= 1e-12,
               "%s, σ = %g: log p, D and score match the long-double Cholesky reference "
               "(max relative errors %.1e, %.1e, %.1e)",
               m->name, sigmas[s], e[0], e[1], e[2]);
            free(x);
        }
        dg_gmm_free(g);
    }
}

/* Score against central differences of the log density (an independent path). */
static void test_score_finite_differences(gsl_rng *rng)
{
    static const double sigmas[] = {0.05, 0.7, 4.3};
    for (size_t mi = 0; mi < NMIX; mi++) {
        const test_mix *m = all_mixtures[mi];
        const size_t d = m->d, nq = 12;
        dg_gmm *g = build(m);
        for (size_t s = 0; s < 3; s++) {
            const double h = 1e-4 * fmin(sigmas[s], 1.0);
            double *x = queries(rng, m, nq, 0.6 + sigmas[s], 1.0);
            double *xs = malloc(2 * d * nq * d * sizeof *xs), *lp = malloc(2 * d * nq * sizeof *lp);
            double *sc = malloc(nq * d * sizeof *sc), fd[DMAX];
            for (size_t q = 0; q < nq; q++)
                for (size_t j = 0; j < 2 * d; j++) {
                    double *row = xs + (q * 2 * d + j) * d;
                    memcpy(row, x + q * d, d * sizeof *row);
                    row[j / 2] += j % 2 ? -h : h;
                }
            dg_error err;
            int status = dg_gmm_log_density(g, xs, 2 * d * nq, sigmas[s], lp, &err);
            status |= dg_gmm_score(g, x, nq, sigmas[s], sc, &err);
            double worst = status == DG_OK ? 0 : INFINITY;
            for (size_t q = 0; q < nq; q++) {
                for (size_t j = 0; j < d; j++)
                    fd[j] = (lp[q * 2 * d + 2 * j] - lp[q * 2 * d + 2 * j + 1]) / (2 * h);
                const double e = rel_error(sc + q * d, fd, d);
                worst = !(e <= worst) ? e : worst;
            }
            ok(worst <= 1e-6,
               "%s, σ = %g: score = central differences of log p "
               "(h = %g, max relative difference %.1e)",
               m->name, sigmas[s], h, worst);
            free(x);
            free(xs);
            free(lp);
            free(sc);
        }
        dg_gmm_free(g);
    }
}

/* ------------------------------------------------------------------------ */
/* The empirical denoiser as a mixture of point masses                       */
/* ------------------------------------------------------------------------ */

static void test_empirical_equivalence(gsl_rng *rng)
{
    const size_t n = 300, d = 5, nq = 30;
    double *y = random_points(rng, n, d, 12.385, 1.7);
    dg_gmm *iso = NULL, *low = NULL;
    dg_denoiser *emp = NULL;
    dg_error err;
    int status = dg_gmm_alloc(n, d, &iso, &err) | dg_gmm_alloc(n, d, &low, &err);
    for (size_t i = 0; status == DG_OK && i < n; i++) {
        status |= dg_gmm_set_iso(iso, i, 1.0 / (double)n, y + i * d, 0.0, &err);
        status |= dg_gmm_set_lowrank(low, i, 1.0 / (double)n, y + i * d, 0, NULL, NULL, &err);
    }
    status |= dg_denoiser_empirical_alloc(y, n, d, &emp, &err);
    ok(status == DG_OK, "300 point masses of weight 1/300 (iso variance 0 and rank 0)");
    static const double sigmas[] = {0.01, 0.3, 2.7};
    double *a = malloc(nq * d * sizeof *a), *b = malloc(nq * d * sizeof *b);
    double *c = malloc(nq * d * sizeof *c);
    for (size_t s = 0; s < 3; s++) {
        double *x = malloc(nq * d * sizeof *x);
        for (size_t q = 0; q < nq; q++) {
            const size_t j = gsl_rng_uniform_int(rng, n);
            for (size_t k = 0; k < d; k++)
                x[q * d + k] = q % 2 ? y[j * d + k] + sigmas[s] * gsl_ran_gaussian(rng, 1.0)
                                     : 12.385 + 2.2 * gsl_ran_gaussian(rng, 1.0);
        }
        dg_gmm_denoise(iso, x, nq, sigmas[s], a, &err);
        dg_gmm_denoise(low, x, nq, sigmas[s], b, &err);
        dg_denoiser_eval(emp, x, nq, sigmas[s], c, &err);
        const double ea = max_rel_error(a, c, nq, d), eb = max_rel_error(b, c, nq, d);
        ok(ea <= 1e-12 && eb <= 1e-12,
           "σ = %g: point-mass mixtures equal the empirical denoiser (iso %.1e, rank 0 %.1e)",
           sigmas[s], ea, eb);
        free(x);
    }
    free(a);
    free(b);
    free(c);
    free(y);
    dg_gmm_free(iso);
    dg_gmm_free(low);
    dg_denoiser_free(emp);
}

/* ------------------------------------------------------------------------ */
/* Limits and extreme noise levels                                          */
/* ------------------------------------------------------------------------ */

static int all_finite(const double *x, size_t n)
{
    for (size_t k = 0; k < n; k++)
        if (!isfinite(x[k]))
            return 0;
    return 1;
}

/* Point masses only: at small σ, D(x) is exactly the nearest mean. */
static void test_point_masses(gsl_rng *rng, double sigma)
{
    const size_t nq = 20;
    test_mix pts = mix_iso;
    pts.c[0].var[0] = pts.c[1].var[0] = 0;
    dg_gmm *g = build(&pts);
    double *x = queries(rng, &pts, nq, 0.4, 1.0), *den = malloc(nq * 3 * sizeof *den);
    dg_error err;
    int nearest = dg_gmm_denoise(g, x, nq, sigma, den, &err) == DG_OK;
    for (size_t q = 0; q < nq; q++) {
        size_t best = 0;
        for (size_t k = 1; k < 3; k++)
            if (dg_sqdist(x + q * 3, pts.c[k].mean, 3) < dg_sqdist(x + q * 3, pts.c[best].mean, 3))
                best = k;
        nearest &= memcmp(den + q * 3, pts.c[best].mean, 3 * sizeof *den) == 0;
    }
    ok(nearest, "point masses, σ = %g: D(x) is exactly the nearest mean", sigma);
    free(x);
    free(den);
    dg_gmm_free(g);
}

static void test_limits(gsl_rng *rng)
{
    dg_error err;
    const size_t nq = 20;
    /* One full-rank Gaussian: D → x as σ → 0. */
    test_mix one = {"one", 1, 3, {mix_full.c[1]}};
    one.c[0].weight = 1;
    dg_gmm *g = build(&one);
    double *x = queries(rng, &one, nq, 1.3, 1.0);
    double *den = malloc(nq * DMAX * sizeof *den), *want = malloc(nq * DMAX * sizeof *want);
    dg_gmm_denoise(g, x, nq, 1e-8, den, &err);
    ok(max_rel_error(den, x, nq, 3) <= 1e-14,
       "full-rank Gaussian, σ = 1e-8: D(x) = x (relative error %.1e)",
       max_rel_error(den, x, nq, 3));
    dg_gmm_free(g);
    free(x);

    /* Zero-variance components: D → the nearest mean (iso 0) or the projection
     * on the nearest line (rank 1). */
    test_point_masses(rng, 1e-8);
    test_mix lines = mix_lowrank;
    lines.c[0].r = 1;
    g = build(&lines);
    x = queries(rng, &lines, nq, 0.5, 1.0);
    dg_gmm_denoise(g, x, nq, 1e-8, den, &err);
    for (size_t q = 0; q < nq; q++) {
        long double best = INFINITY;
        for (size_t k = 0; k < 2; k++) {
            const test_comp *c = &lines.c[k];
            long double e[DMAX], p = 0, r2 = 0;
            for (size_t j = 0; j < 4; j++) {
                e[j] = (long double)x[q * 4 + j] - c->mean[j];
                p += e[j] * c->u[j];
            }
            for (size_t j = 0; j < 4; j++)
                r2 += (e[j] - p * c->u[j]) * (e[j] - p * c->u[j]);
            if (r2 < best) {
                best = r2;
                for (size_t j = 0; j < 4; j++)
                    want[q * 4 + j] = (double)(c->mean[j] + p * c->u[j]);
            }
        }
    }
    ok(max_rel_error(den, want, nq, 4) <= 1e-14,
       "rank-1 components, σ = 1e-8: D(x) = projection on the nearest line (relative error %.1e)",
       max_rel_error(den, want, nq, 4));
    dg_gmm_free(g);
    free(x);

    /* σ → ∞: the mixture mean Σ π_k μ_k. */
    for (size_t mi = 0; mi < NMIX; mi++) {
        const test_mix *m = all_mixtures[mi];
        g = build(m);
        x = queries(rng, m, nq, 2.0, 1.0);
        dg_gmm_denoise(g, x, nq, 1e8, den, &err);
        for (size_t q = 0; q < nq; q++)
            for (size_t j = 0; j < m->d; j++) {
                long double s = 0;
                for (size_t k = 0; k < m->K; k++)
                    s += (long double)m->c[k].weight * m->c[k].mean[j];
                want[q * m->d + j] = (double)s;
            }
        const double e = max_rel_error(den, want, nq, m->d);
        ok(e <= 1e-12, "%s, σ = 1e8: D(x) = Σ π_k μ_k (relative error %.1e)", m->name, e);
        dg_gmm_free(g);
        free(x);
    }
    free(den);
    free(want);
}

static void test_extreme_sigma(gsl_rng *rng)
{
    const size_t nq = 16;
    dg_error err;
    for (size_t mi = 0; mi < NMIX; mi++) {
        const test_mix *m = all_mixtures[mi];
        if (!have_extended_precision()) { /* norms of 1e300 overflow there */
            skip(NO_EXTENDED_PRECISION, "%s: finite and exact at σ = 1e±300", m->name);
            skip(NO_EXTENDED_PRECISION, "%s: against the reference at σ = 1e300", m->name);
            continue;
        }
        dg_gmm *g = build(m);
        double *den = malloc(nq * m->d * sizeof *den), *lp = malloc(nq * sizeof *lp);
        double *sc = malloc(nq * m->d * sizeof *sc);
        double *x = queries(rng, m, nq, 0.8, 1.0), *xbig = queries(rng, m, nq, 1.0, 1e300);
        int fin =
            dg_gmm_denoise(g, x, nq, 1e-300, den, &err) == DG_OK && all_finite(den, nq * m->d);
        fin &= dg_gmm_denoise(g, x, nq, 1e300, den, &err) == DG_OK && all_finite(den, nq * m->d);
        fin &= dg_gmm_denoise(g, xbig, nq, 1e300, den, &err) == DG_OK && all_finite(den, nq * m->d);
        fin &= dg_gmm_log_density(g, xbig, nq, 1e300, lp, &err) == DG_OK && all_finite(lp, nq);
        fin &= dg_gmm_score(g, xbig, nq, 1e300, sc, &err) == DG_OK && all_finite(sc, nq * m->d);
        ok(fin,
           "%s: D finite at σ = 1e-300 and 1e300, log p and score finite at σ = 1e300 "
           "with ‖x‖ ≈ 1e300",
           m->name);
        /* Against the long-double reference, which handles σ² = 1e±600. */
        double e[3];
        errors_against_reference(m, g, xbig, nq, 1e300, e);
        ok(e[0] <= 1e-13 && e[1] <= 1e-13 && e[2] <= 1e-13,
           "%s, σ = 1e300, ‖x‖ ≈ 1e300: log p, D, score match the reference "
           "(%.1e, %.1e, %.1e)",
           m->name, e[0], e[1], e[2]);
        free(den);
        free(lp);
        free(sc);
        free(x);
        free(xbig);
        dg_gmm_free(g);
    }
    /* Every ‖x − μ_k‖²/σ² overflows, yet D is the nearest mean. */
    test_point_masses(rng, 1e-300);

    /* Full-rank mixtures at σ = 1e-300: all three are finite and accurate. */
    const test_mix *fr[] = {&mix_full, &mix_diag};
    for (size_t i = 0; i < 2; i++) {
        dg_gmm *g = build(fr[i]);
        double *x = queries(rng, fr[i], nq, 0.8, 1.0), e[3];
        errors_against_reference(fr[i], g, x, nq, 1e-300, e);
        ok(e[0] <= 1e-13 && e[1] <= 1e-12 && e[2] <= 1e-12,
           "%s, σ = 1e-300: log p, D and score (not (D − x)/σ²) match the reference "
           "(%.1e, %.1e, %.1e)",
           fr[i]->name, e[0], e[1], e[2]);
        free(x);
        dg_gmm_free(g);
    }
}

/* ------------------------------------------------------------------------ */
/* The closed-form Gaussian flow                                            */
/* ------------------------------------------------------------------------ */

/* dx/ds = x − D(x; e^s) with s = ln σ, D from the long-double reference. */
static void flow_rhs(const test_mix *m, const long double *x, long double s, long double *f)
{
    /* D in long double: μ + Σ (Σ + σ² I)⁻¹ (x − μ), using the reference's pieces. */
    long double w[DMAX], cov[DMAX * DMAX];
    const test_comp *c = &m->c[0];
    ref_component(c, m->d, x, expl(2 * s), w);
    test_cov(c, m->d, cov);
    for (size_t i = 0; i < m->d; i++) {
        long double sw = 0;
        for (size_t j = 0; j < m->d; j++)
            sw += cov[i * m->d + j] * w[j];
        f[i] = x[i] - (c->mean[i] + sw);
    }
}

/* RK4 in s = ln σ with `steps` steps from σ0 to σ1. */
static void rk4(const test_mix *m, const double *x0, double s0, double s1, size_t steps,
                double *out)
{
    const size_t d = m->d;
    long double x[DMAX], k1[DMAX], k2[DMAX], k3[DMAX], k4[DMAX], t[DMAX];
    const long double a = logl(s0), h = (logl(s1) - a) / steps;
    for (size_t j = 0; j < d; j++)
        x[j] = x0[j];
    for (size_t i = 0; i < steps; i++) {
        const long double s = a + h * i;
        flow_rhs(m, x, s, k1);
        for (size_t j = 0; j < d; j++)
            t[j] = x[j] + h / 2 * k1[j];
        flow_rhs(m, t, s + h / 2, k2);
        for (size_t j = 0; j < d; j++)
            t[j] = x[j] + h / 2 * k2[j];
        flow_rhs(m, t, s + h / 2, k3);
        for (size_t j = 0; j < d; j++)
            t[j] = x[j] + h * k3[j];
        flow_rhs(m, t, s + h, k4);
        for (size_t j = 0; j < d; j++)
            x[j] += h / 6 * (k1[j] + 2 * k2[j] + 2 * k3[j] + k4[j]);
    }
    for (size_t j = 0; j < d; j++)
        out[j] = (double)x[j];
}

static void test_gaussian_flow(gsl_rng *rng)
{
    test_mix single[3] = {{"full", 1, 3, {mix_full.c[0]}},
                          {"lowrank r = 2 of d = 4", 1, 4, {mix_lowrank.c[0]}},
                          {"diag with a zero variance", 1, 3, {mix_mixed.c[1]}}};
    const double s0 = 4.3, s1 = 0.05, s2 = 0.0137;
    const size_t nq = 6;
    dg_error err;
    for (size_t i = 0; i < 3; i++) {
        test_mix *m = &single[i];
        m->c[0].weight = 1;
        const size_t d = m->d;
        dg_gmm *g = build(m);
        double *x0 = queries(rng, m, nq, s0, 1.0);
        double *a = malloc(nq * d * sizeof *a), *b = malloc(nq * d * sizeof *b);
        double *c = malloc(nq * d * sizeof *c), *want = malloc(nq * d * sizeof *want);
        dg_gmm_gaussian_flow(g, x0, nq, s0, s1, a, &err);
        for (size_t q = 0; q < nq; q++)
            rk4(m, x0 + q * d, s0, s1, 3000, want + q * d);
        const double e = max_rel_error(a, want, nq, d);
        ok(e <= 1e-11,
           "%s: flow 4.3 → 0.05 matches RK4 on the ODE in long double "
           "(3000 steps in ln σ, relative error %.1e)",
           m->name, e);
        dg_gmm_gaussian_flow(g, a, nq, s1, s2, b, &err);
        dg_gmm_gaussian_flow(g, x0, nq, s0, s2, c, &err);
        const double es = max_rel_error(b, c, nq, d);
        ok(es <= 1e-14,
           "%s: flow(0.05 → 0.0137) ∘ flow(4.3 → 0.05) = flow(4.3 → 0.0137) "
           "(relative error %.1e)",
           m->name, es);
        memcpy(b, x0, nq * d * sizeof *b);
        dg_gmm_gaussian_flow(g, b, nq, s0, s1, b, &err);
        ok(memcmp(a, b, nq * d * sizeof *a) == 0, "%s: the flow may run in place", m->name);
        free(x0);
        free(a);
        free(b);
        free(c);
        free(want);
        dg_gmm_free(g);
    }
    dg_gmm *two = build(&mix_full);
    double x[3] = {0.1, 0.2, 0.3}, o[3];
    ok(dg_gmm_gaussian_flow(two, x, 1, 1.0, 0.5, o, &err) == DG_EINVAL &&
           strstr(err.message, "single Gaussian"),
       "the closed-form flow refuses K = 2: %s", err.message);
    dg_gmm_free(two);
}

/* Heun on the gmm denoiser converges to the closed form at second order. */
static void test_solver_order(gsl_rng *rng)
{
    test_mix m = {"full", 1, 3, {mix_full.c[1]}};
    m.c[0].weight = 1;
    dg_gmm *g = build(&m);
    dg_denoiser *den = NULL;
    dg_error err;
    int status = dg_denoiser_gmm_alloc(g, &den, &err);
    ok(status == DG_OK && strcmp(dg_denoiser_name(den), "gmm") == 0 && dg_denoiser_dim(den) == 3,
       "a mixture wraps as a denoiser of kind \"gmm\"");
    const size_t nq = 4;
    double *x0 = queries(rng, &m, nq, 20.0, 1.0), want[4 * 3], e[2];
    dg_gmm_gaussian_flow(g, x0, nq, 20.0, 0.1, want, &err);
    dg_gmm_free(g); /* the denoiser owns its copy */
    for (size_t level = 0; level < 2; level++) {
        const size_t steps = 40u << level, T = steps + 1;
        double *sig = malloc(T * sizeof *sig);
        for (size_t i = 0; i < T; i++)
            sig[i] = 20.0 * pow(0.1 / 20.0, (double)i / (double)steps);
        sig[steps] = 0.1;
        double *traj = malloc(T * nq * 3 * sizeof *traj), *dn = malloc(steps * nq * 3 * sizeof *dn);
        dg_solve(&dg_solver_heun, den, sig, T, nq, 3, x0, traj, dn, NULL, NULL, &err);
        e[level] = max_rel_error(traj + steps * nq * 3, want, nq, 3);
        free(sig);
        free(traj);
        free(dn);
    }
    const double order = log2(e[0] / e[1]);
    ok(fabs(order - 2) < 0.1, "Heun on the gmm denoiser: error %.2e → %.2e, measured order %.3f",
       e[0], e[1], order);
    free(x0);
    dg_denoiser_free(den);
}

/* ------------------------------------------------------------------------ */
/* Loading from HDF5                                                        */
/* ------------------------------------------------------------------------ */

typedef struct h5_array {
    const char *name;
    int rank;
    hsize_t dims[3];
    const double *values;
} h5_array;

static void write_file(const char *path, const h5_array *arrays, size_t count)
{
    hid_t file = H5Fcreate(path, H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT);
    for (size_t i = 0; i < count; i++) {
        hid_t space = H5Screate_simple(arrays[i].rank, arrays[i].dims, NULL);
        hid_t dset = H5Dcreate2(file, arrays[i].name, H5T_IEEE_F64LE, space, H5P_DEFAULT,
                                H5P_DEFAULT, H5P_DEFAULT);
        H5Dwrite(dset, H5T_NATIVE_DOUBLE, H5S_ALL, H5S_ALL, H5P_DEFAULT, arrays[i].values);
        H5Dclose(dset);
        H5Sclose(space);
    }
    H5Fclose(file);
}

/* The arrays of mixture m in one covariance form ("covs", "variances" or "eigvecs"). */
typedef struct mix_arrays {
    double w[KMAX], mu[KMAX * DMAX], cov[KMAX * DMAX * DMAX], var[KMAX * DMAX];
    double vec[KMAX * DMAX * DMAX], val[KMAX * DMAX];
} mix_arrays;

static size_t mixture_arrays(const test_mix *m, mix_arrays *a, h5_array *out)
{
    const size_t K = m->K, d = m->d, r = m->c[0].r;
    for (size_t k = 0; k < K; k++) {
        const test_comp *c = &m->c[k];
        a->w[k] = c->weight;
        memcpy(a->mu + k * d, c->mean, d * sizeof(double));
        memcpy(a->cov + k * d * d, c->cov, d * d * sizeof(double));
        memcpy(a->var + k * d, c->var, d * sizeof(double));
        memcpy(a->vec + k * r * d, c->u, r * d * sizeof(double));
        memcpy(a->val + k * r, c->lam, r * sizeof(double));
    }
    out[0] = (h5_array){"/weights", 1, {K}, a->w};
    out[1] = (h5_array){"/means", 2, {K, d}, a->mu};
    switch (m->c[0].kind) {
    case DG_COV_FULL:
        out[2] = (h5_array){"/covs", 3, {K, d, d}, a->cov};
        return 3;
    case DG_COV_DIAG:
        out[2] = (h5_array){"/variances", 2, {K, d}, a->var};
        return 3;
    default:
        out[2] = (h5_array){"/eigvecs", 3, {K, r, d}, a->vec};
        out[3] = (h5_array){"/eigvals", 2, {K, r}, a->val};
        return 4;
    }
}

static void test_load_round_trip(gsl_rng *rng)
{
    test_mix low = mix_lowrank; /* one rank for all components in a file */
    low.c[1].r = 2;
    low.c[1].lam[1] = 0.21;
    orthonormal_rows((const double[]){-0.45, 0.2, 1.3, 0.65, 0.3, 0.9, -0.1, 0.4}, 2, 4,
                     low.c[1].u);
    const test_mix *ms[] = {&mix_full, &mix_diag, &low};
    const char *forms[] = {"/covs", "/variances", "/eigvecs + /eigvals"};
    for (size_t i = 0; i < 3; i++) {
        const test_mix *m = ms[i];
        mix_arrays a;
        h5_array arr[4];
        write_file(WORKDIR "/round.h5", arr, mixture_arrays(m, &a, arr));
        dg_gmm *g = NULL, *h = build(m);
        dg_error err;
        int status = dg_gmm_load(WORKDIR "/round.h5", &g, &err);
        int same = status == DG_OK && dg_gmm_components(g) == m->K && dg_gmm_dim(g) == m->d;
        double cov[DMAX * DMAX];
        long double want[DMAX * DMAX];
        double worst = 0;
        for (size_t k = 0; same && k < m->K; k++) {
            same &= dg_gmm_weight(g, k) == m->c[k].weight &&
                    memcmp(dg_gmm_mean(g, k), m->c[k].mean, m->d * sizeof(double)) == 0;
            dg_gmm_covariance(g, k, cov, &err);
            test_cov(&m->c[k], m->d, want);
            for (size_t j = 0; j < m->d * m->d; j++)
                worst = fmax(worst, (double)fabsl(cov[j] - want[j]));
        }
        ok(same && worst <= 1e-14,
           "%s file (%s): weights and means exact, covariances "
           "within %.1e",
           m->name, forms[i], worst);
        double *x = queries(rng, m, 10, 1.0, 1.0), *da = malloc(10 * m->d * sizeof *da);
        double *db = malloc(10 * m->d * sizeof *db);
        dg_gmm_denoise(g, x, 10, 0.37, da, &err);
        dg_gmm_denoise(h, x, 10, 0.37, db, &err);
        ok(status == DG_OK && memcmp(da, db, 10 * m->d * sizeof *da) == 0,
           "%s file: the loaded mixture denoises bit-identically to the one set directly", m->name);
        free(x);
        free(da);
        free(db);
        dg_gmm_free(g);
        dg_gmm_free(h);
    }
}

static void test_load_refusals(void)
{
    const double w3[3] = {0.3, 0.3, 0.3}, wneg[3] = {0.5, -0.1, 0.6};
    const double w2[2] = {0.4, 0.6}, mu[3 * 2] = {0.1, 0.2, 1.3, -0.4, 2.2, 0.5};
    const double var3[3 * 2] = {0.5, 0.7, 0.2, 0.3, 0.9, 0.4};
    const double cov_ok[2 * 4] = {1.2, 0.3, 0.3, 0.8, 0.5, -0.1, -0.1, 0.7};
    const double cov_asym[2 * 4] = {1.2, 0.3, 0.3, 0.8, 0.5, -0.1, 0.1, 0.7};
    const double cov_indef[2 * 4] = {1.2, 0.3, 0.3, 0.8, 0.5, 0.9, 0.9, 0.7};
    const double var_neg[2 * 2] = {0.5, 0.7, 0.2, -0.3};
    const double vec3[2 * 3 * 2] = {1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0};
    const double val3[2 * 3] = {1, 1, 1, 1, 1, 1};
    const double vec_skew[2 * 1 * 2] = {1, 0, 0.6, 0.9};
    const double val1[2] = {0.5, 0.4};
    const double empty[1] = {0};
    struct {
        const char *what;
        h5_array a[4];
        size_t count;
        int status;
        const char *fragment;
    } bad[] = {
        {"weights summing to 0.9",
         {{"/weights", 1, {3}, w3}, {"/means", 2, {3, 2}, mu}, {"/variances", 2, {3, 2}, var3}},
         3,
         DG_EINVAL,
         "/weights: weights sum to 0.9"},
        {"a negative weight",
         {{"/weights", 1, {3}, wneg}, {"/means", 2, {3, 2}, mu}, {"/variances", 2, {3, 2}, var3}},
         3,
         DG_EINVAL,
         "/weights: weight 1 is not positive"},
        {"a negative variance",
         {{"/weights", 1, {2}, w2}, {"/means", 2, {2, 2}, mu}, {"/variances", 2, {2, 2}, var_neg}},
         3,
         DG_EINVAL,
         "/variances: component 1: variance 1 is negative"},
        {"a non-symmetric covariance",
         {{"/weights", 1, {2}, w2}, {"/means", 2, {2, 2}, mu}, {"/covs", 3, {2, 2, 2}, cov_asym}},
         3,
         DG_EINVAL,
         "/covs: component 1: covariance is not symmetric"},
        {"an indefinite covariance",
         {{"/weights", 1, {2}, w2}, {"/means", 2, {2, 2}, mu}, {"/covs", 3, {2, 2, 2}, cov_indef}},
         3,
         DG_EINVAL,
         "/covs: component 1: covariance is not positive semi-definite"},
        {"rank r = 3 > d = 2",
         {{"/weights", 1, {2}, w2},
          {"/means", 2, {2, 2}, mu},
          {"/eigvecs", 3, {2, 3, 2}, vec3},
          {"/eigvals", 2, {2, 3}, val3}},
         4,
         DG_EFORMAT,
         "/eigvecs: rank r = 3 exceeds d = 2"},
        {"directions that are not orthonormal",
         {{"/weights", 1, {2}, w2},
          {"/means", 2, {2, 2}, mu},
          {"/eigvecs", 3, {2, 1, 2}, vec_skew},
          {"/eigvals", 2, {2, 1}, val1}},
         4,
         DG_EINVAL,
         "/eigvecs: component 1: directions 0 and 0 are not orthonormal"},
        {"K = 0",
         {{"/weights", 1, {0}, empty},
          {"/means", 2, {0, 2}, empty},
          {"/variances", 2, {0, 2}, empty}},
         3,
         DG_EFORMAT,
         "/weights is empty (K = 0)"},
        {"/means for 3 components, /weights for 2",
         {{"/weights", 1, {2}, w2}, {"/means", 2, {3, 2}, mu}, {"/covs", 3, {2, 2, 2}, cov_ok}},
         3,
         DG_EFORMAT,
         "/means has shape [3][2], expected [K][d] = [2][2]"},
        {"/covs of the wrong shape",
         {{"/weights", 1, {2}, w2}, {"/means", 2, {2, 2}, mu}, {"/covs", 3, {2, 4, 1}, cov_ok}},
         3,
         DG_EFORMAT,
         "/covs has shape [2][4][1], expected [K][d][d] = [2][2][2]"},
        {"no /means",
         {{"/weights", 1, {2}, w2}, {"/covs", 3, {2, 2, 2}, cov_ok}},
         2,
         DG_EFORMAT,
         "no dataset /means"},
        {"no /weights",
         {{"/means", 2, {2, 2}, mu}, {"/covs", 3, {2, 2, 2}, cov_ok}},
         2,
         DG_EFORMAT,
         "no dataset /weights"},
        {"no covariances",
         {{"/weights", 1, {2}, w2}, {"/means", 2, {2, 2}, mu}},
         2,
         DG_EFORMAT,
         "no covariances"},
        {"/eigvecs without /eigvals",
         {{"/weights", 1, {2}, w2},
          {"/means", 2, {2, 2}, mu},
          {"/eigvecs", 3, {2, 1, 2}, vec_skew}},
         3,
         DG_EFORMAT,
         "no dataset /eigvals"},
        {"two covariance forms",
         {{"/weights", 1, {2}, w2},
          {"/means", 2, {2, 2}, mu},
          {"/covs", 3, {2, 2, 2}, cov_ok},
          {"/variances", 2, {2, 2}, mu}},
         4,
         DG_EFORMAT,
         "more than one of /covs"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        write_file(WORKDIR "/bad.h5", bad[i].a, bad[i].count);
        dg_gmm *g = (dg_gmm *)&g; /* must come back NULL */
        dg_error err = {0};
        const int status = dg_gmm_load(WORKDIR "/bad.h5", &g, &err);
        ok(status == bad[i].status && g == NULL && strstr(err.message, bad[i].fragment) &&
               strstr(err.message, WORKDIR "/bad.h5"),
           "%s is refused: %s", bad[i].what, err.message);
    }
    dg_gmm *g = NULL;
    dg_error err;
    ok(dg_gmm_load(WORKDIR "/missing.h5", &g, &err) == DG_EIO && strstr(err.message, "missing.h5"),
       "a missing file: %s", err.message);
}

/* ------------------------------------------------------------------------ */
/* Validation of the setters                                                */
/* ------------------------------------------------------------------------ */

static void test_setters(void)
{
    dg_gmm *g = NULL;
    dg_error err;
    const double mu[3] = {0.5, -0.25, 1.75}, var[3] = {0.3, -0.2, 0.1};
    ok(dg_gmm_alloc(0, 3, &g, &err) == DG_EINVAL && g == NULL && strstr(err.message, "K = 0"),
       "K = 0 is refused: %s", err.message);
    dg_gmm_alloc(2, 3, &g, &err);
    ok(dg_gmm_set_iso(g, 2, 0.5, mu, 0.1, &err) == DG_EINVAL && strstr(err.message, "component 2"),
       "index out of range: %s", err.message);
    ok(dg_gmm_set_iso(g, 0, 0.0, mu, 0.1, &err) == DG_EINVAL &&
           strstr(err.message, "weight 0 is not positive"),
       "zero weight: %s", err.message);
    ok(dg_gmm_set_diag(g, 0, 0.5, mu, var, &err) == DG_EINVAL &&
           strstr(err.message, "variance 1 is negative"),
       "negative variance: %s", err.message);
    ok(dg_gmm_set_iso(g, 0, 0.5, mu, -0.5, &err) == DG_EINVAL && strstr(err.message, "negative"),
       "negative isotropic variance: %s", err.message);
    const double nan_mu[3] = {0.5, NAN, 1.0};
    ok(dg_gmm_set_iso(g, 0, 0.5, nan_mu, 0.1, &err) == DG_ENONFINITE &&
           strstr(err.message, "component 0: mean"),
       "NaN in a mean: %s", err.message);
    const double u[4 * 3] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0};
    ok(dg_gmm_set_lowrank(g, 1, 0.5, mu, 4, u, var, &err) == DG_EINVAL &&
           strstr(err.message, "rank 4 exceeds the dimension 3"),
       "rank > d: %s", err.message);
    const double cov[9] = {1, 0.2, 0, 0.2 + 1e-6, 1, 0, 0, 0, 1};
    ok(dg_gmm_set_full(g, 0, 0.5, mu, cov, &err) == DG_EINVAL &&
           strstr(err.message, "not symmetric"),
       "asymmetry of 1e-6 (tolerance %g relative): %s", DG_GMM_SYMMETRY_TOL, err.message);
    /* Directions 1e-8 off orthonormal are accepted and re-orthonormalised. */
    double skew[2 * 3] = {1, 1e-8, 0, 0, 1, 3e-8};
    const double lam[2] = {0.7, 0.2};
    const double *uu = NULL;
    double off = 1;
    if (dg_gmm_set_lowrank(g, 1, 0.5, mu, 2, skew, lam, &err) == DG_OK &&
        dg_gmm_eigen(g, 1, NULL, NULL, &uu, NULL, &err) == DG_OK) {
        off = 0;
        for (size_t i = 0; i < 2; i++)
            for (size_t j = 0; j < 2; j++)
                off = fmax(off, fabs(dg_dot(uu + i * 3, uu + j * 3, 3) - (i == j)));
    }
    ok(off <= 4e-16,
       "directions 1e-8 off orthonormal are accepted and polished "
       "(|u_i · u_j − δ_ij| ≤ %.1e)",
       off);
    skew[1] = 2e-6;
    ok(dg_gmm_set_lowrank(g, 1, 0.5, mu, 2, skew, lam, &err) == DG_EINVAL &&
           strstr(err.message, "not orthonormal"),
       "directions 2e-6 off are refused: %s", err.message);
    /* Rounding-level negative eigenvalues clamp to 0: a rank-1 covariance v vᵀ. */
    const double v[3] = {0.6, -1.3, 0.45};
    double r1[9];
    for (size_t i = 0; i < 9; i++)
        r1[i] = v[i / 3] * v[i % 3];
    const double *vals = NULL;
    size_t rank = 0;
    int status = dg_gmm_set_full(g, 0, 0.5, mu, r1, &err);
    dg_gmm_eigen(g, 0, NULL, &rank, NULL, &vals, &err);
    ok(status == DG_OK && rank == 3 && vals[1] == 0 && vals[2] == 0 &&
           fabs(vals[0] - (0.36 + 1.69 + 0.2025)) <= 1e-15 * 2.2525,
       "a rank-1 covariance keeps exactly one non-zero eigenvalue (%.17g, %g, %g)",
       vals ? vals[0] : NAN, vals ? vals[1] : NAN, vals ? vals[2] : NAN);
    double x[3] = {0.1, 0.2, 0.3}, out[3];
    dg_gmm *g3 = NULL;
    dg_gmm_alloc(3, 3, &g3, &err);
    dg_gmm_set_iso(g3, 0, 0.5, mu, 0.3, &err);
    dg_gmm_set_iso(g3, 2, 0.5, mu, 0.3, &err);
    ok(dg_gmm_denoise(g3, x, 1, 1.0, out, &err) == DG_EINVAL &&
           strstr(err.message, "component 1 is not set"),
       "an incomplete mixture is refused: %s", err.message);
    dg_gmm_free(g3);
    dg_gmm_set_iso(g, 1, 0.4, mu, 0.3, &err);
    ok(dg_gmm_check(g, &err) == DG_EINVAL && strstr(err.message, "sum to 0.9"),
       "weights 0.5 + 0.4: %s", err.message);
    dg_gmm_set_iso(g, 1, 0.5, mu, 0.3, &err);
    ok(dg_gmm_denoise(g, x, 1, 0.0, out, &err) == DG_EINVAL && strstr(err.message, "σ"),
       "σ = 0 is refused: %s", err.message);
    x[1] = INFINITY;
    ok(dg_gmm_score(g, x, 1, 1.0, out, &err) == DG_ENONFINITE, "an infinite query is refused: %s",
       err.message);
    dg_gmm_free(g);
}

/* ------------------------------------------------------------------------ */
/* Sampling, EM and the Gaussian fit                                        */
/* ------------------------------------------------------------------------ */

static void test_sample(void)
{
    test_mix one = {"one", 1, 3, {mix_full.c[0]}};
    one.c[0].weight = 1;
    dg_gmm *g = build(&one);
    const size_t n = 20000;
    double *y = malloc(n * 3 * sizeof *y), *y2 = malloc(10 * 3 * sizeof *y2);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    dg_error err;
    gsl_rng_set(rng, 99);
    dg_gmm_sample(g, rng, n, y, &err);
    gsl_rng_set(rng, 99);
    dg_gmm_sample(g, rng, 10, y2, &err);
    ok(memcmp(y, y2, 10 * 3 * sizeof *y) == 0, "the first 10 samples do not depend on n");
    /* Sample moments within 4 standard errors of the truth. */
    long double m[3] = {0}, c[9] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 3; j++)
            m[j] += y[i * 3 + j] / (long double)n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < 9; j++)
            c[j] += (y[i * 3 + j / 3] - m[j / 3]) * (y[i * 3 + j % 3] - m[j % 3]) / (long double)n;
    const double *s = one.c[0].cov;
    double zmax = 0;
    for (size_t j = 0; j < 3; j++)
        zmax = fmax(zmax, (double)fabsl(m[j] - one.c[0].mean[j]) / sqrt(s[j * 4] / (double)n));
    for (size_t j = 0; j < 9; j++) {
        const size_t a = j / 3, b = j % 3;
        const double se = sqrt((s[a * 4] * s[b * 4] + s[j] * s[j]) / (double)n);
        zmax = fmax(zmax, (double)fabsl(c[j] - s[j]) / se);
    }
    ok(zmax <= 4,
       "20000 samples: mean and covariance within 4 standard errors "
       "(largest |z| = %.2f)",
       zmax);
    gsl_rng_free(rng);
    free(y);
    free(y2);
    dg_gmm_free(g);
}

typedef struct trace {
    double ll[DG_GMM_EM_MAX_ITER + 1];
    size_t count;
    size_t stop_at; /* cancel at this iteration (0: never) */
} trace;

static int record_ll(void *ctx, size_t it, double ll)
{
    trace *t = ctx;
    t->ll[t->count++] = ll;
    (void)it;
    return t->stop_at && it == t->stop_at;
}

static int non_decreasing(const trace *t, double *worst)
{
    *worst = 0;
    for (size_t i = 1; i < t->count; i++)
        *worst = fmin(*worst, t->ll[i] - t->ll[i - 1]);
    return *worst >= -1e-12 * fabs(t->ll[0]);
}

static int same_mixture(const dg_gmm *a, const dg_gmm *b)
{
    int same = dg_gmm_components(a) == dg_gmm_components(b);
    const size_t d = dg_gmm_dim(a);
    for (size_t k = 0; same && k < dg_gmm_components(a); k++) {
        size_t ra, rb;
        const double *va, *vb, *la, *lb;
        dg_gmm_eigen(a, k, NULL, &ra, &va, &la, NULL);
        dg_gmm_eigen(b, k, NULL, &rb, &vb, &lb, NULL);
        same = dg_gmm_weight(a, k) == dg_gmm_weight(b, k) && ra == rb &&
               memcmp(dg_gmm_mean(a, k), dg_gmm_mean(b, k), d * sizeof(double)) == 0 &&
               memcmp(la, lb, ra * sizeof(double)) == 0 &&
               (!va || memcmp(va, vb, ra * d * sizeof(double)) == 0);
    }
    return same;
}

static void test_em(void)
{
    test_mix truth = {"truth", 3, 2, {{0}}};
    truth.c[0] = (test_comp){.kind = DG_COV_FULL,
                             .weight = 0.2385,
                             .mean = {-4.2, 1.3},
                             .cov = {0.81, 0.23, 0.23, 0.49}};
    truth.c[1] = (test_comp){.kind = DG_COV_FULL,
                             .weight = 0.3215,
                             .mean = {3.385, 2.9},
                             .cov = {0.36, -0.12, -0.12, 0.64}};
    truth.c[2] = (test_comp){
        .kind = DG_COV_FULL, .weight = 0.44, .mean = {0.6, -4.7}, .cov = {1.1, 0.4, 0.4, 0.7}};
    dg_gmm *g = build(&truth), *fit = NULL;
    const size_t n = 3000;
    double *y = malloc(n * 2 * sizeof *y), *lp = malloc(n * sizeof *lp);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2024);
    dg_error err;
    dg_gmm_sample(g, rng, n, y, &err);
    trace t = {.count = 0};
    dg_gmm_fit_options opt = {.on_iteration = record_ll, .ctx = &t};
    int status = dg_gmm_fit_em(y, n, 2, 3, 7, &opt, &fit, &err);
    double worst = 0;
    ok(status == DG_OK && t.count >= 2 && t.count <= DG_GMM_EM_MAX_ITER &&
           non_decreasing(&t, &worst),
       "EM: %zu iterations, log-likelihood non-decreasing (largest step down %.1e), final %.6f",
       t.count, status == DG_OK ? worst : NAN, t.count ? t.ll[t.count - 1] : NAN);
    /* Match each true component to the nearest fitted mean, then compare. */
    double zw = 0, zm = 0, zc = 0;
    int matched = status == DG_OK;
    size_t used = 0;
    for (size_t k = 0; matched && k < 3; k++) {
        const test_comp *c = &truth.c[k];
        size_t best = 0;
        for (size_t j = 1; j < 3; j++)
            if (dg_sqdist(dg_gmm_mean(fit, j), c->mean, 2) <
                dg_sqdist(dg_gmm_mean(fit, best), c->mean, 2))
                best = j;
        matched &= !(used & (1u << best));
        used |= 1u << best;
        const double nk = (double)n * c->weight;
        zw = fmax(zw, fabs(dg_gmm_weight(fit, best) - c->weight) /
                          sqrt(c->weight * (1 - c->weight) / (double)n));
        double cov[4];
        dg_gmm_covariance(fit, best, cov, &err);
        for (size_t j = 0; j < 2; j++)
            zm = fmax(zm, fabs(dg_gmm_mean(fit, best)[j] - c->mean[j]) / sqrt(c->cov[j * 3] / nk));
        for (size_t j = 0; j < 4; j++) {
            const size_t a = j / 2, b = j % 2;
            const double se = sqrt((c->cov[a * 3] * c->cov[b * 3] + c->cov[j] * c->cov[j]) / nk);
            zc = fmax(zc, fabs(cov[j] - c->cov[j]) / se);
        }
    }
    ok(matched && zw <= 4 && zm <= 4 && zc <= 4,
       "EM recovers weights, means and covariances within 4 standard errors "
       "(largest |z|: %.2f, %.2f, %.2f)",
       zw, zm, zc);
    /* The MLE is at least as likely as the truth on its own data (σ = 1e-150
     * adds 1e-300 to the variances). */
    dg_gmm_log_density(g, y, n, 1e-150, lp, &err);
    double ll_truth = 0;
    for (size_t i = 0; i < n; i++)
        ll_truth += lp[i] / (double)n;
    ok(status == DG_OK && t.ll[t.count - 1] >= ll_truth,
       "the fit's mean log-likelihood %.6f ≥ the truth's %.6f", t.ll[t.count - 1], ll_truth);
    dg_gmm_log_density(fit, y, n, 1e-150, lp, &err);
    double ll_fit = 0;
    for (size_t i = 0; i < n; i++)
        ll_fit += lp[i] / (double)n;
    ok(fabs(ll_fit - t.ll[t.count - 1]) <= 1e-12 * fabs(ll_fit),
       "the reported log-likelihood is that of the returned mixture (%.15g, %.15g)",
       t.ll[t.count - 1], ll_fit);

#ifdef _OPENMP
    const int saved = omp_get_max_threads();
    dg_gmm *f1 = NULL, *f2 = NULL;
    omp_set_num_threads(1);
    dg_gmm_fit_em(y, n, 2, 3, 7, NULL, &f1, &err);
    omp_set_num_threads(2);
    dg_gmm_fit_em(y, n, 2, 3, 7, NULL, &f2, &err);
    omp_set_num_threads(saved);
    ok(f1 && f2 && same_mixture(f1, f2), "EM: 1 and 2 threads give bit-identical mixtures");
    dg_gmm_free(f1);
    dg_gmm_free(f2);
#else
    ok(1, "# SKIP built without OpenMP");
#endif

    /* Four components for three clusters: EM creeps, over many iterations. */
    dg_gmm *f4 = NULL;
    trace t4 = {.count = 0};
    dg_gmm_fit_options opt4 = {.tol = 1e-10, .on_iteration = record_ll, .ctx = &t4};
    status = dg_gmm_fit_em(y, n, 2, 4, 5, &opt4, &f4, &err);
    ok(status == DG_OK && t4.count >= 20 && non_decreasing(&t4, &worst),
       "EM with K = 4 on 3 clusters: %zu iterations, log-likelihood non-decreasing "
       "(largest step down %.1e, rise %.3g)",
       t4.count, worst, t4.count ? t4.ll[t4.count - 1] - t4.ll[0] : NAN);
    dg_gmm_free(f4);

    dg_gmm *fd = NULL;
    trace td = {.count = 0};
    dg_gmm_fit_options dopt = {.kind = DG_COV_DIAG, .on_iteration = record_ll, .ctx = &td};
    status = dg_gmm_fit_em(y, n, 2, 3, 7, &dopt, &fd, &err);
    dg_cov_kind kind = DG_COV_FULL;
    if (status == DG_OK)
        dg_gmm_eigen(fd, 0, &kind, NULL, NULL, NULL, &err);
    ok(status == DG_OK && kind == DG_COV_DIAG && non_decreasing(&td, &worst),
       "diagonal EM: %zu iterations, log-likelihood non-decreasing", td.count);
    dg_gmm_free(fd);

    trace tc = {.stop_at = 1};
    dg_gmm_fit_options copt = {.on_iteration = record_ll, .ctx = &tc};
    dg_gmm *fc = (dg_gmm *)&fc;
    ok(dg_gmm_fit_em(y, n, 2, 3, 7, &copt, &fc, &err) == DG_ECANCELLED && fc == NULL &&
           tc.count == 2,
       "a callback stops EM: %s", err.message);
    const double same[4 * 2] = {1.5, 2.5, 1.5, 2.5, 1.5, 2.5, 0.5, 0.5};
    ok(dg_gmm_fit_em(same, 4, 2, 3, 1, NULL, &fc, &err) == DG_EINVAL &&
           strstr(err.message, "fewer than K = 3 distinct"),
       "2 distinct points, K = 3: %s", err.message);
    ok(dg_gmm_fit_em(same, 2, 2, 3, 1, NULL, &fc, &err) == DG_EINVAL, "n < K: %s", err.message);
    gsl_rng_free(rng);
    free(y);
    free(lp);
    dg_gmm_free(g);
    dg_gmm_free(fit);
}

static void test_fit_gaussian(gsl_rng *rng)
{
    const size_t n = 500, d = 4;
    double *y = random_points(rng, n, d, 250.3, 1.9);
    for (size_t i = 0; i < n; i++) /* correlate the coordinates */
        y[i * d + 1] += 0.6 * y[i * d];
    dg_gmm *g = NULL;
    dg_error err;
    int status = dg_gmm_fit_gaussian(y, n, d, &g, &err);
    long double m[DMAX] = {0}, c[DMAX * DMAX] = {0};
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d; j++)
            m[j] += y[i * d + j];
    for (size_t j = 0; j < d; j++)
        m[j] /= n;
    for (size_t i = 0; i < n; i++)
        for (size_t j = 0; j < d * d; j++)
            c[j] += (y[i * d + j / d] - m[j / d]) * (y[i * d + j % d] - m[j % d]);
    double cov[DMAX * DMAX], em = 0, ec = 0, cmax = 0;
    if (status == DG_OK)
        dg_gmm_covariance(g, 0, cov, &err);
    for (size_t j = 0; status == DG_OK && j < d; j++)
        em = fmax(em, (double)(fabsl(dg_gmm_mean(g, 0)[j] - m[j]) / fabsl(m[j])));
    for (size_t j = 0; status == DG_OK && j < d * d; j++) {
        ec = fmax(ec, (double)fabsl(cov[j] - c[j] / n));
        cmax = fmax(cmax, (double)fabsl(c[j] / n));
    }
    ok(status == DG_OK && em <= 1e-15 && ec <= 1e-13 * cmax,
       "Gaussian fit: mean (relative error %.1e) and 1/n covariance (%.1e of its largest "
       "entry) match a naive long-double computation",
       em, ec / cmax);
    dg_gmm_free(g);

    /* n = 3 ≤ d = 5 and a constant coordinate: rank 2, three exact zeros. */
    double few[3 * 5] = {0.3, 1.2, -0.5, 2.0,  0.7,  -0.8, 0.4, 1.1,
                         2.0, 0.2, 1.5,  -0.6, 0.35, 2.0,  -1.1};
    status = dg_gmm_fit_gaussian(few, 3, 5, &g, &err);
    const double *vals = NULL;
    size_t rank = 0, zeros = 0;
    if (status == DG_OK)
        dg_gmm_eigen(g, 0, NULL, &rank, NULL, &vals, &err);
    for (size_t j = 0; j < rank; j++)
        zeros += vals[j] == 0;
    double x[5] = {0.1, 0.2, 0.3, 2.4, 0.5}, out[5] = {0};
    if (status == DG_OK)
        status = dg_gmm_denoise(g, x, 1, 1e-3, out, &err);
    ok(status == DG_OK && zeros == 3 && fabs(out[3] - 2.0) <= 1e-15,
       "3 points in R^5 with a constant coordinate: %zu zero eigenvalues, D keeps the "
       "constant (%.17g)",
       zeros, out[3]);
    dg_gmm_free(g);
    free(y);
}

/* ------------------------------------------------------------------------ */
/* Denoiser wrapper and threads                                             */
/* ------------------------------------------------------------------------ */

static void test_denoiser_and_threads(gsl_rng *rng)
{
    const size_t nq = 200; /* 4 blocks */
    for (size_t mi = 0; mi < NMIX; mi++) {
        const test_mix *m = all_mixtures[mi];
        dg_gmm *g = build(m);
        dg_denoiser *den = NULL;
        dg_error err;
        dg_denoiser_gmm_alloc(g, &den, &err);
        double *x = queries(rng, m, nq, 1.1, 1.0);
        double *a = malloc(nq * m->d * sizeof *a), *b = malloc(nq * m->d * sizeof *b);
        double *c = malloc(nq * m->d * sizeof *c);
#ifdef _OPENMP
        const int saved = omp_get_max_threads();
        omp_set_num_threads(1);
#endif
        dg_gmm_denoise(g, x, nq, 0.42, a, &err);
#ifdef _OPENMP
        omp_set_num_threads(2);
#endif
        dg_gmm_denoise(g, x, nq, 0.42, b, &err);
        dg_denoiser_eval(den, x, nq, 0.42, c, &err);
#ifdef _OPENMP
        omp_set_num_threads(saved);
#endif
        ok(memcmp(a, b, nq * m->d * sizeof *a) == 0 && memcmp(a, c, nq * m->d * sizeof *a) == 0,
           "%s: 1 and 2 threads and the wrapped denoiser give bit-identical D", m->name);
        free(x);
        free(a);
        free(b);
        free(c);
        dg_denoiser_free(den);
        dg_gmm_free(g);
    }
}

/* ------------------------------------------------------------------------ */
/* Teaching mixtures                                                        */
/* ------------------------------------------------------------------------ */

static void test_synthetic(void)
{
    dg_gmm *g = NULL, *h = NULL;
    dg_error err;
    int status = dg_gmm_synthetic("gauss2d", &g, &err);
    ok(status == DG_OK && dg_gmm_components(g) == 5 && dg_gmm_dim(g) == 2 &&
           dg_gmm_check(g, &err) == DG_OK,
       "gauss2d: 5 components in 2-D by default");
    dg_gmm_free(g);
    status = dg_gmm_synthetic("gauss2d,k=4,seed=3,spread=2.5,std=0.3", &g, &err) |
             dg_gmm_synthetic("gauss2d,seed=3,k=4,std=0.3,spread=2.5", &h, &err);
    ok(status == DG_OK && same_mixture(g, h), "gauss2d: the same keys in any order give the "
                                              "same mixture");
    int inside = status == DG_OK;
    for (size_t k = 0; inside && k < 4; k++)
        inside = hypot(dg_gmm_mean(g, k)[0], dg_gmm_mean(g, k)[1]) <= 2.5;
    ok(inside, "gauss2d: means inside the disc of radius spread");
    dg_gmm_free(g);
    dg_gmm_free(h);

    status = dg_gmm_synthetic("rings,rings=3,per_ring=4,radius=0.75,std=0.1", &g, &err);
    int on = status == DG_OK && dg_gmm_components(g) == 12;
    for (size_t k = 0; on && k < 12; k++) {
        const double rad = hypot(dg_gmm_mean(g, k)[0], dg_gmm_mean(g, k)[1]);
        dg_cov_kind kind;
        const double *vals;
        dg_gmm_eigen(g, k, &kind, NULL, NULL, &vals, &err);
        on = fabs(rad - 0.75 * (double)(k / 4 + 1)) <= 1e-15 && kind == DG_COV_ISO &&
             fabs(vals[0] - 0.01) <= 1e-17 && dg_gmm_weight(g, k) == 1.0 / 12;
    }
    ok(on, "rings: 3 × 4 isotropic components on circles of radii 0.75, 1.5, 2.25");
    dg_gmm_free(g);

    status = dg_gmm_synthetic("lowrank,d=6,k=2,r=3,seed=4,scale=0.5", &g, &err);
    int orth = status == DG_OK && dg_gmm_dim(g) == 6;
    for (size_t k = 0; orth && k < 2; k++) {
        size_t r;
        const double *u, *l;
        dg_gmm_eigen(g, k, NULL, &r, &u, &l, &err);
        orth = r == 3;
        for (size_t i = 0; orth && i < 3; i++) {
            orth = l[i] >= 0.0625 && l[i] <= 0.25;
            for (size_t j = 0; j < 3; j++)
                orth &= fabs(dg_dot(u + i * 6, u + j * 6, 6) - (i == j)) <= 1e-15;
        }
    }
    ok(orth, "lowrank: rank-3 orthonormal directions with variances in scale² [0.25, 1]");
    dg_gmm_free(g);

    static const struct {
        const char *spec;
        int status;
        const char *fragment;
    } bad[] = {
        {"swirl", DG_EUNKNOWN, "unknown synthetic distribution 'swirl'"},
        {"gauss2d,q=3", DG_EUNKNOWN, "unknown parameter 'q' (k, seed, spread, std)"},
        {"gauss2d,k=0", DG_EINVAL, "k must be ≥ 1"},
        {"rings,std=-0.5", DG_EINVAL, "std must be ≥ 0"},
        {"lowrank,d=3,r=5", DG_EINVAL, "r = 5 exceeds d = 3"},
        {"gauss2d,k=2.5", DG_EINVAL, "k must be a non-negative integer"},
        {"rings,radius=abc", DG_EINVAL, "radius must be a finite number"},
        {"gauss2d,k", DG_EINVAL, "'k' is not key=value"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        g = (dg_gmm *)&g;
        status = dg_gmm_synthetic(bad[i].spec, &g, &err);
        ok(status == bad[i].status && g == NULL && strstr(err.message, bad[i].fragment),
           "'%s' is refused: %s", bad[i].spec, err.message);
    }

    /* The list of names: each one builds with its defaults, and the list
     * ends (NULL) where the names of dg_gmm.h's table end. */
    static const char *const documented[] = {"gauss2d", "rings", "lowrank"};
    const size_t count = sizeof documented / sizeof documented[0];
    for (size_t i = 0; i < count; i++) {
        const char *name = dg_gmm_synthetic_name(i);
        status = name ? dg_gmm_synthetic(name, &g, &err) : DG_EUNKNOWN;
        ok(name && strcmp(name, documented[i]) == 0 && status == DG_OK,
           "built-in mixture %zu is '%s' and builds", i, name ? name : "(none)");
        dg_gmm_free(g);
    }
    ok(dg_gmm_synthetic_name(count) == NULL && dg_gmm_synthetic_name((size_t)-1) == NULL,
       "no built-in mixture past the last");

    /* The message for an unknown name lists the table's names, in order, and
     * says where the data sets synthetic:gmm and synthetic:blobs are. */
    status = dg_gmm_synthetic("swirl,k=2", &g, &err);
    ok(status == DG_EUNKNOWN &&
           strstr(err.message, "(gauss2d, rings, lowrank; synthetic:gmm and synthetic:blobs "
                               "are data sets)"),
       "an unknown name lists the built-in mixtures: %s", err.message);
    status = dg_gmm_synthetic("", &g, &err);
    ok(status == DG_EUNKNOWN && strstr(err.message, "unknown synthetic distribution ''") &&
           strstr(err.message, "gauss2d, rings, lowrank"),
       "an empty name lists them too: %s", err.message);
}

int main(void)
{
    H5Eset_auto2(H5E_DEFAULT, NULL, NULL);
    mkdir("tests/work", 0777);
    mkdir(WORKDIR, 0777);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 31);
    make_mixtures();
    test_against_reference(rng);
    test_score_finite_differences(rng);
    test_empirical_equivalence(rng);
    test_limits(rng);
    test_extreme_sigma(rng);
    test_gaussian_flow(rng);
    test_solver_order(rng);
    test_load_round_trip(rng);
    test_load_refusals();
    test_setters();
    test_sample();
    test_em();
    test_fit_gaussian(rng);
    test_denoiser_and_threads(rng);
    test_synthetic();
    gsl_rng_free(rng);
    return done_testing();
}
