/*
 * Tests of the low-dimensional structure measurements of dg_metrics
 * (doc/theory.md §6): principal-component errors of curves built with a known
 * spectrum, the 3-D view of planar and spatial curves, and curvature and
 * torsion of circles and helices against their closed forms.
 */
#include "config.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "diffgeo.h"
#include "reference.h"
#include "tap.h"

/* count orthonormal vectors of R^dim into e (count × dim; Gram–Schmidt of random vectors). */
static void random_vectors(gsl_rng *rng, size_t dim, size_t count, double *e)
{
    for (size_t j = 0; j < count; j++) {
        double *v = e + j * dim;
        for (size_t i = 0; i < dim; i++)
            v[i] = gsl_ran_gaussian(rng, 1.0);
        for (size_t l = 0; l < j; l++) {
            const double dot = dg_dot(v, e + l * dim, dim);
            for (size_t i = 0; i < dim; i++)
                v[i] -= dot * e[l * dim + i];
        }
        const double len = sqrt(dg_sqnorm(v, dim));
        for (size_t i = 0; i < dim; i++)
            v[i] /= len;
    }
}

/* Three orthonormal vectors of R^dim into e (3 × dim). */
static void random_frame(gsl_rng *rng, size_t dim, double *e)
{
    random_vectors(rng, dim, 3, e);
}

/* traj[k] = c + Σ_j w[k][j] e_j for K points of one sample (n = 1). */
static void embed(const double *c, const double *e, const double (*w)[3], size_t K, size_t dim,
                  double *traj)
{
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < dim; i++)
            traj[k * dim + i] =
                c[i] + w[k][0] * e[i] + w[k][1] * e[dim + i] + w[k][2] * e[2 * dim + i];
}

/* x[k] = c + Σ_j w[k][j] e_j with a random frame e (3 × dim) and c_i = 2.385 − 0.37 i. */
static void known_points(gsl_rng *rng, const double (*w)[3], size_t K, size_t dim, double *e,
                         double *c, double *x)
{
    random_frame(rng, dim, e);
    for (size_t i = 0; i < dim; i++)
        c[i] = 2.385 - 0.37 * (double)i;
    embed(c, e, w, K, dim, x);
}

/*
 * A curve whose centred coordinates along three orthonormal directions are
 * the mutually orthogonal, zero-mean sequences a (linear), b (symmetric) and
 * h (antisymmetric, orthogonal to a), with ‖a‖ > ‖b‖ > ‖h‖: its top two
 * principal directions are e_1 and e_2 exactly, so x − x̃ = h_k e_3.
 */
static void test_pca_known(gsl_rng *rng, double sa, double sb, double sh, double tol)
{
    enum { K = 6 };
    static const double a[K] = {-5, -3, -1, 1, 3, 5}, b[K] = {5, -1, -4, -4, -1, 5},
                        h[K] = {1, -2, 1, -1, 2, -1};
    double w[K][3];
    for (size_t k = 0; k < K; k++) {
        w[k][0] = sa * a[k];
        w[k][1] = sb * b[k];
        w[k][2] = sh * h[k];
    }
    /* dim 3 < K uses the scatter matrix, dim 11 ≥ K the Gram matrix. */
    const size_t dims[2] = {3, 11};
    for (size_t t = 0; t < 2; t++) {
        const size_t dim = dims[t];
        double *e = malloc(3 * dim * sizeof *e), *c = malloc(dim * sizeof *c);
        double *traj = malloc(K * dim * sizeof *traj), err[K];
        known_points(rng, (const double(*)[3])w, K, dim, e, c, traj);
        dg_metric_workspace *ws = dg_metric_workspace_alloc(K, dim);
        dg_error status;
        const int rc = dg_metric_pca2_error(traj, K, 1, dim, ws, err, &status);
        double worst = 0;
        for (size_t k = 0; k < K; k++) {
            long double nn = 0;
            for (size_t i = 0; i < dim; i++)
                nn += (long double)traj[k * dim + i] * traj[k * dim + i];
            const double want = fabs(sh * h[k]) / (double)sqrtl(nn);
            worst = fmax(worst, fabs(err[k] - want) / want);
        }
        ok(rc == DG_OK && worst < tol,
           "pca2_error = |h_k| / ‖x_k‖ for spread %g, %g, %g, dim %zu (relative error %.2e)", sa,
           sb, sh, dim, worst);
        /* Without the third component the curve lies in a plane: no error at all. */
        for (size_t k = 0; k < K; k++)
            w[k][2] = 0;
        embed(c, e, (const double(*)[3])w, K, dim, traj);
        dg_metric_pca2_error(traj, K, 1, dim, ws, err, &status);
        double planar = 0;
        for (size_t k = 0; k < K; k++)
            planar = fmax(planar, err[k]);
        ok(planar < 1e-14, "pca2_error vanishes for a curve in a plane, dim %zu (max %.2e)", dim,
           planar);
        for (size_t k = 0; k < K; k++)
            w[k][2] = sh * h[k];
        dg_metric_workspace_free(ws);
        free(e);
        free(c);
        free(traj);
    }
}

/* 1 − |p·q| for unit p and q: 0 when p = ±q. */
static double unsigned_gap(const double *p, const double *q, size_t dim)
{
    const double c = fabs(dg_dot(p, q, dim));
    return fabs(1 - c);
}

/* Whether the largest |(x_k − c)·p| over the K rows of x is positive. */
static bool signed_by_largest(const double *x, const double *c, size_t K, size_t dim,
                              const double *p)
{
    double big = 0;
    for (size_t k = 0; k < K; k++) {
        long double t = 0;
        for (size_t i = 0; i < dim; i++)
            t += (long double)(x[k * dim + i] - (c ? c[i] : 0)) * p[i];
        if (fabsl(t) > fabs(big))
            big = (double)t;
    }
    return big > 0;
}

/*
 * ok() if dg_metric_top_two of the K points x about c (NULL: 0) finds rank 2
 * and the directions ±e_1, ±e_2 (the rows of e), left in pc (2 × dim).
 */
static void expect_top_two(const double *x, const double *c, size_t K, size_t dim, const double *e,
                           double *pc, const char *what)
{
    dg_metric_workspace *ws = dg_metric_workspace_alloc(K, dim);
    dg_error status;
    size_t rank = 9;
    const int rc = dg_metric_top_two(x, c, K, dim, ws, pc, &rank, &status);
    const double g0 = unsigned_gap(pc, e, dim), g1 = unsigned_gap(pc + dim, e + dim, dim);
    ok(rc == DG_OK && rank == 2 && g0 < 1e-14 && g1 < 1e-14,
       "top_two of %s, dim %zu: rank 2, ±e_1, ±e_2 (1 − |p·e|: %.2e, %.2e)", what, dim, g0, g1);
    dg_metric_workspace_free(ws);
}

/*
 * dg_metric_top_two against closed forms: the points of test_pca_known about
 * their centre (top directions e_1, e_2 exactly), the rows of a symmetric
 * matrix Q diag(λ) Qᵀ (its eigenvectors q_1, q_2: the use of `diffgeo field`
 * on a mixture's covariance), points on a line (rank 1) and equal points
 * (rank 0), and bad input.
 */
static void test_top_two(gsl_rng *rng)
{
    enum { K = 6, S = 5 };
    static const double a[K] = {-5, -3, -1, 1, 3, 5}, b[K] = {5, -1, -4, -4, -1, 5},
                        h[K] = {1, -2, 1, -1, 2, -1};
    double w[K][3];
    for (size_t k = 0; k < K; k++) {
        w[k][0] = 1.3 * a[k];
        w[k][1] = -0.7 * b[k];
        w[k][2] = 0.05 * h[k];
    }
    const size_t dims[2] = {3, 11}; /* the scatter matrix, the Gram matrix */
    for (size_t t = 0; t < 2; t++) {
        const size_t dim = dims[t];
        double *e = malloc(3 * dim * sizeof *e), *c = malloc(dim * sizeof *c);
        double *x = malloc(K * dim * sizeof *x), *pc = malloc(2 * dim * sizeof *pc);
        known_points(rng, (const double(*)[3])w, K, dim, e, c, x);
        expect_top_two(x, c, K, dim, e, pc, "points about their centre");
        dg_metric_workspace *ws = dg_metric_workspace_alloc(K, dim);
        dg_error status;
        size_t rank = 9;
        /* On a line through c: one direction, the other 0. */
        for (size_t k = 0; k < K; k++)
            for (size_t i = 0; i < dim; i++)
                x[k * dim + i] = c[i] + 1.3 * a[k] * e[i];
        dg_metric_top_two(x, c, K, dim, ws, pc, &rank, &status);
        ok(rank == 1 && unsigned_gap(pc, e, dim) < 1e-14 && dg_norm(pc + dim, dim) == 0,
           "top_two of points on a line: rank 1, ±e_1 and 0, dim %zu", dim);
        for (size_t k = 0; k < K; k++)
            memcpy(x + k * dim, c, dim * sizeof *x);
        ok(dg_metric_top_two(x, c, K, dim, ws, pc, &rank, &status) == DG_OK && rank == 0,
           "top_two of equal points: rank 0, dim %zu", dim);
        x[3] = NAN;
        ok(dg_metric_top_two(x, NULL, K, dim, ws, pc, &rank, &status) == DG_ENONFINITE,
           "top_two of a NaN: DG_ENONFINITE, dim %zu", dim);
        ok(dg_metric_top_two(x, NULL, K - 1, dim, ws, pc, &rank, &status) == DG_EINVAL,
           "top_two with a workspace of another size: DG_EINVAL");
        dg_metric_workspace_free(ws);
        free(e);
        free(c);
        free(x);
        free(pc);
    }
    /* The rows of Σ = Q diag(λ) Qᵀ as points: Σ's eigenvectors. */
    static const double lambda[S] = {4.2, 2.385, 0.7, 0.3, 0.05};
    double q[S * S], sigma[S * S], pc[2 * S];
    random_vectors(rng, S, S, q); /* q_j = q + j·S */
    for (size_t r = 0; r < S; r++)
        for (size_t col = 0; col < S; col++) {
            long double v = 0;
            for (size_t j = 0; j < S; j++)
                v += (long double)lambda[j] * q[j * S + r] * q[j * S + col];
            sigma[r * S + col] = (double)v;
        }
    expect_top_two(sigma, NULL, S, S, q, pc, "the rows of Q diag(λ) Qᵀ (e_j = q_j)");
    /* (The points above tie: ±5 along e_1.  These do not.) */
    ok(signed_by_largest(sigma, NULL, S, S, pc) && signed_by_largest(sigma, NULL, S, S, pc + S),
       "top_two: each direction signed so that the largest coordinate is positive");
}

/* Planar random walks in several samples at once ([K][n] layout), dim 9. */
static void test_pca_planar_samples(gsl_rng *rng)
{
    enum { K = 15, N = 3, DIM = 9 };
    double *traj = malloc(K * N * DIM * sizeof *traj), err[K * N];
    for (size_t s = 0; s < N; s++) {
        double e[3 * DIM], c[DIM], w[K][3], p = 0, q = 0;
        random_frame(rng, DIM, e);
        for (size_t i = 0; i < DIM; i++)
            c[i] = gsl_ran_gaussian(rng, 40.0);
        for (size_t k = 0; k < K; k++) {
            p += gsl_ran_gaussian(rng, 3.0);
            q += gsl_ran_gaussian(rng, 1.0);
            w[k][0] = p;
            w[k][1] = q;
            w[k][2] = 0;
        }
        double one[K * DIM];
        embed(c, e, (const double(*)[3])w, K, DIM, one);
        for (size_t k = 0; k < K; k++)
            memcpy(traj + (k * N + s) * DIM, one + k * DIM, DIM * sizeof(double));
    }
    dg_metric_workspace *ws = dg_metric_workspace_alloc(K, DIM);
    dg_error status;
    dg_metric_pca2_error(traj, K, N, DIM, ws, err, &status);
    double worst = 0;
    for (size_t k = 0; k < K * N; k++)
        worst = fmax(worst, err[k]);
    ok(worst < 1e-13, "pca2_error vanishes for planar walks of 3 samples (max %.2e)", worst);
    dg_metric_workspace *wrong = dg_metric_workspace_alloc(K + 1, DIM);
    ok(dg_metric_pca2_error(traj, K, N, DIM, wrong, err, &status) == DG_EINVAL,
       "a workspace of another size is refused");
    dg_metric_workspace_free(wrong);
    dg_metric_workspace_free(ws);
    free(traj);
}

/*
 * coords3d: the first coordinate against a long-double projection on the
 * chord, the off-chord radius against the deviation, and a third coordinate
 * of 0 for a curve in a plane.
 */
static void test_coords3d(gsl_rng *rng)
{
    enum { K = 12, DIM = 8 };
    double e[3 * DIM], c[DIM], w[K][3], traj[K * DIM], out[K * 3], dev[K];
    random_frame(rng, DIM, e);
    for (size_t i = 0; i < DIM; i++)
        c[i] = gsl_ran_gaussian(rng, 5.0);
    for (size_t k = 0; k < K; k++) {
        const double t = (double)k / (K - 1);
        w[k][0] = 30 * t;
        w[k][1] = 2.385 * sin(M_PI * t) + 0.4 * sin(3 * M_PI * t);
        w[k][2] = 0; /* planar */
    }
    embed(c, e, (const double(*)[3])w, K, DIM, traj);
    dg_metric_workspace *ws = dg_metric_workspace_alloc(K, DIM);
    dg_error status;
    dg_metric_coords3d(traj, K, 1, DIM, ws, out, &status);
    dg_metric_deviation(traj, K, 1, DIM, dev);
    double third = 0, radial = 0, along = 0;
    for (size_t k = 0; k < K; k++) {
        third = fmax(third, fabs(out[k * 3 + 2]));
        radial = fmax(radial, fabs(fabs(out[k * 3 + 1]) - dev[k]));
        long double chord = 0, dot = 0;
        for (size_t i = 0; i < DIM; i++) {
            const long double u = (long double)traj[(K - 1) * DIM + i] - traj[i];
            chord += u * u;
            dot += u * ((long double)traj[k * DIM + i] - traj[i]);
        }
        along = fmax(along, fabs(out[k * 3] - (double)(dot / sqrtl(chord))));
    }
    ok(third < 1e-13, "coords3d of a planar curve has third coordinate 0 (max %.2e)", third);
    ok(radial < 1e-13, "its second coordinate is ± the deviation (max error %.2e)", radial);
    ok(along < 1e-13, "its first coordinate is the projection on the chord (max error %.2e)",
       along);
    ok(out[0] == 0 && out[1] == 0 && out[2] == 0 && out[(K - 1) * 3 + 1] == 0 &&
           out[(K - 1) * 3 + 2] == 0,
       "start at the origin, end on the first axis");

    /* A spatial curve: the off-chord parts span 2 dimensions, radius = deviation. */
    for (size_t k = 0; k < K; k++)
        w[k][2] = 1.7 * sin(2 * M_PI * (double)k / (K - 1));
    embed(c, e, (const double(*)[3])w, K, DIM, traj);
    dg_metric_coords3d(traj, K, 1, DIM, ws, out, &status);
    dg_metric_deviation(traj, K, 1, DIM, dev);
    radial = 0;
    for (size_t k = 0; k < K; k++)
        radial = fmax(radial, fabs(hypot(out[k * 3 + 1], out[k * 3 + 2]) - dev[k]));
    ok(radial < 1e-13, "for a curve in 3-D the off-chord radius is the deviation (error %.2e)",
       radial);
    double big1 = 0, big2 = 0;
    for (size_t k = 0; k < K; k++) {
        if (fabs(out[k * 3 + 1]) > fabs(big1))
            big1 = out[k * 3 + 1];
        if (fabs(out[k * 3 + 2]) > fabs(big2))
            big2 = out[k * 3 + 2];
    }
    ok(big1 > 0 && big2 > 0, "each principal coordinate's largest value is positive");
    dg_metric_workspace_free(ws);
}

/*
 * Curvature and torsion of r(s) = (a cos(s/c), a sin(s/c), b s/c),
 * c = sqrt(a² + b²), sampled in arc length s: κ = a/c², τ = b/c².
 */
static void helix(double a, double b, double ds, size_t K, double *r)
{
    const double c = sqrt(a * a + b * b);
    for (size_t k = 0; k < K; k++) {
        const double s = 0.3 + ds * (double)k;
        r[k * 3] = a * cos(s / c);
        r[k * 3 + 1] = a * sin(s / c);
        r[k * 3 + 2] = b * s / c;
    }
}

static void test_helix(void)
{
    enum { K = 61 };
    const double a = 2.385, b = 1.1, c2 = a * a + b * b;
    double r[K * 3], kappa[K], tau[K];
    dg_metric_workspace *ws = dg_metric_workspace_alloc(K, 3);
    dg_error err;
    const size_t windows[2] = {11, 61};
    for (size_t t = 0; t < 2; t++) {
        const size_t win = windows[t], half = win / 2;
        helix(a, b, 1e-3 * 11 / (double)win, K, r);
        dg_metric_curvature_torsion(r, K, 1, win, ws, kappa, tau, &err);
        double ek = 0, et = 0;
        int nan_ends = 1, inside = 1;
        for (size_t k = 0; k < K; k++) {
            if (k < half || k + half >= K) {
                nan_ends &= isnan(kappa[k]) && isnan(tau[k]);
                continue;
            }
            inside &= !isnan(kappa[k]) && !isnan(tau[k]);
            ek = fmax(ek, fabs(kappa[k] - a / c2) / (a / c2));
            et = fmax(et, fabs(tau[k] - b / c2) / (b / c2));
        }
        ok(inside && ek < 1e-6, "helix curvature a/c² with a window of %zu (relative error %.2e)",
           win, ek);
        ok(inside && et < 1e-6, "helix torsion b/c² with a window of %zu (relative error %.2e)",
           win, et);
        ok(nan_ends, "NaN at the %zu points at each end where the window does not fit", half);
    }
    /* A circle of radius 2.385 in a tilted plane: κ = 1/R, τ = 0. */
    const double R = 2.385, n1[3] = {0.6, 0.8, 0}, n2[3] = {-0.48, 0.36, 0.8};
    for (size_t k = 0; k < K; k++) {
        const double phi = 2e-4 * (double)k;
        for (size_t i = 0; i < 3; i++)
            r[k * 3 + i] = 1.5 + R * (cos(phi) * n1[i] + sin(phi) * n2[i]);
    }
    dg_metric_curvature_torsion(r, K, 1, 21, ws, kappa, tau, &err);
    double ek = 0, et = 0;
    for (size_t k = 10; k + 10 < K; k++) {
        ek = fmax(ek, fabs(kappa[k] * R - 1));
        et = fmax(et, fabs(tau[k]));
    }
    ok(ek < 1e-6, "circle curvature 1/R (relative error %.2e)", ek);
    ok(et < 1e-6 * (1 / R), "circle torsion 0 (|τ| ≤ %.2e)", et);

    ok(dg_metric_curvature_torsion(r, K, 1, 4, ws, kappa, tau, &err) == DG_EINVAL &&
           dg_metric_curvature_torsion(r, K, 1, 3, ws, kappa, tau, &err) == DG_EINVAL,
       "even windows and windows below 5 points are refused");
    dg_metric_curvature_torsion(r, K, 1, K + 2, ws, kappa, tau, &err);
    int all_nan = 1;
    for (size_t k = 0; k < K; k++)
        all_nan &= isnan(kappa[k]) && isnan(tau[k]);
    ok(all_nan, "a window longer than the curve gives NaN everywhere");
    /* A straight line: curvature 0, torsion undefined. */
    for (size_t k = 0; k < K; k++)
        for (size_t i = 0; i < 3; i++)
            r[k * 3 + i] = (double)k * (0.5 + (double)i);
    dg_metric_curvature_torsion(r, K, 1, 11, ws, kappa, tau, &err);
    ok(fabs(kappa[30]) < 1e-12 && isnan(tau[30]), "a line: κ = 0 (%.2e), τ NaN", kappa[30]);
    dg_metric_workspace_free(ws);
}

/* A helix embedded in R^7 through coords3d keeps κ and |τ| (the view is a rigid motion). */
static void test_helix_view(gsl_rng *rng)
{
    enum { K = 41, DIM = 7 };
    const double a = 2.385, b = 1.1, c2 = a * a + b * b;
    double r[K * 3], e[3 * DIM], c[DIM], traj[K * DIM], view[K * 3], kappa[K], tau[K];
    helix(a, b, 1e-3, K, r);
    random_frame(rng, DIM, e);
    for (size_t i = 0; i < DIM; i++)
        c[i] = gsl_ran_gaussian(rng, 3.0);
    embed(c, e, (const double(*)[3])r, K, DIM, traj);
    dg_metric_workspace *ws = dg_metric_workspace_alloc(K, DIM);
    dg_error err;
    dg_metric_coords3d(traj, K, 1, DIM, ws, view, &err);
    dg_metric_curvature_torsion(view, K, 1, 11, ws, kappa, tau, &err);
    double ek = 0, et = 0;
    for (size_t k = 5; k + 5 < K; k++) {
        ek = fmax(ek, fabs(kappa[k] - a / c2) / (a / c2));
        et = fmax(et, fabs(fabs(tau[k]) - b / c2) / (b / c2));
    }
    ok(ek < 2e-6 && et < 2e-6,
       "a helix in R^7 seen through coords3d: κ (error %.2e) and |τ| (error %.2e)", ek, et);
    dg_metric_workspace_free(ws);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 2385);
    test_pca_known(rng, 1.3, 0.7, 0.05, 1e-12);
    /*
     * Spreads 1e3 : 1 : 1e-3, as between the chord and the off-chord parts of a
     * trajectory: the Gram matrix's eigenvectors alone err by about ε λ₁/λ₂ in
     * direction, 3e-8 relative in the error (measured); the refinement step
     * brings it to the 2e-10 that building the points in double allows.
     */
    test_pca_known(rng, 1e3, 1, 1e-3, 1e-8);
    test_pca_planar_samples(rng);
    test_top_two(rng);
    test_coords3d(rng);
    test_helix();
    test_helix_view(rng);
    gsl_rng_free(rng);
    return done_testing();
}
