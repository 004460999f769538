/* Tests of dg_metrics: geometric constructions with known answers and long-double loops. */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "diffgeo.h"
#include "reference.h"
#include "tap.h"

/* A trajectory bending off the chord: x_k = a + t_k (b − a) + h_k w, w ⟂ (b − a). */
static void test_deviation_construction(void)
{
    enum { K = 6, DIM = 3 };
    const double a[DIM] = {1.5, -2.0, 0.25}, b[DIM] = {-0.5, 4.0, 2.25};
    /* (b − a) = (−2, 6, 2); w = (3, 1, 0) is orthogonal to it, ‖w‖ = √10. */
    const double w[DIM] = {3, 1, 0};
    const double t[K] = {0, 0.1, 0.35, 0.6, 0.9, 1}, h[K] = {0, 0.7, -1.3, 2.2, 0.4, 0};
    double traj[K * DIM], dev[K], dist[K], norm[K];
    for (size_t k = 0; k < K; k++)
        for (size_t j = 0; j < DIM; j++)
            traj[k * DIM + j] = a[j] + t[k] * (b[j] - a[j]) + h[k] * w[j];
    dg_metric_deviation(traj, K, 1, DIM, dev);
    dg_metric_distance_to_end(traj, K, 1, DIM, dist);
    dg_metric_norm(traj, K, 1, DIM, norm);
    double worst_dev = 0, worst_dist = 0, worst_norm = 0;
    for (size_t k = 0; k < K; k++) {
        worst_dev = fmax(worst_dev, fabs(dev[k] - fabs(h[k]) * sqrt(10.0)));
        /* x_end − x_k = (1 − t)(b − a) − h w, orthogonal parts: Pythagoras. */
        const double want = sqrt((1 - t[k]) * (1 - t[k]) * 44 + h[k] * h[k] * 10);
        worst_dist = fmax(worst_dist, fabs(dist[k] - want));
        long double nn = 0;
        for (size_t j = 0; j < DIM; j++)
            nn += (long double)traj[k * DIM + j] * traj[k * DIM + j];
        worst_norm = fmax(worst_norm, fabs(norm[k] - (double)sqrtl(nn)));
    }
    ok(worst_dev < 1e-14, "deviation = |h| ‖w‖ for points h w off the chord (error %.2e)",
       worst_dev);
    ok(dev[0] == 0 && dev[K - 1] == 0, "deviation is zero at both ends");
    ok(worst_dist < 1e-14, "distance to the end by Pythagoras (error %.2e)", worst_dist);
    ok(worst_norm < 1e-14, "norms against long double (error %.2e)", worst_norm);
}

/* Several samples are laid out [K][n]; each uses its own start and end. */
static void test_layout(gsl_rng *rng)
{
    enum { K = 4, N = 3, DIM = 5 };
    double *traj = random_points(rng, K * N, DIM, 0.5, 2.0);
    double dev[K * N];
    dg_metric_deviation(traj, K, N, DIM, dev);
    double worst = 0;
    for (size_t s = 0; s < N; s++) {
        /* Independent: distance to the line by minimising over the line parameter. */
        const double *x0 = traj + s * DIM, *xe = traj + ((K - 1) * N + s) * DIM;
        for (size_t k = 1; k + 1 < K; k++) {
            const double *x = traj + (k * N + s) * DIM;
            long double uu = 0, ux = 0;
            for (size_t j = 0; j < DIM; j++) {
                uu += ((long double)xe[j] - x0[j]) * (xe[j] - x0[j]);
                ux += ((long double)xe[j] - x0[j]) * (x[j] - x0[j]);
            }
            const long double tt = ux / uu;
            long double d2 = 0;
            for (size_t j = 0; j < DIM; j++) {
                const long double r = x[j] - (x0[j] + tt * ((long double)xe[j] - x0[j]));
                d2 += r * r;
            }
            worst = fmax(worst, fabs(dev[k * N + s] - (double)sqrtl(d2)));
        }
    }
    ok(worst < 1e-13, "deviation per sample in the [K][n] layout (error %.2e)", worst);
    free(traj);
}

static void test_cosine(void)
{
    /* K = 1 evaluated point: x = (2, 0), end (0, 0); D = (2, −2) gives d ∝ (0, 2) ⟂ x − end. */
    const double traj[2 * 2] = {2, 0, 0, 0};
    const double den_perp[2] = {2, -2}, den_along[2] = {-1, 0}, den_opposite[2] = {3, 0};
    double c;
    dg_metric_cosine(traj, den_perp, 1, 1, 2, &c);
    ok(fabs(c) < 1e-16, "cosine of orthogonal directions is 0 (got %g)", c);
    dg_metric_cosine(traj, den_along, 1, 1, 2, &c);
    ok(fabs(c - 1) < 1e-16, "cosine of parallel directions is 1 (got %g)", c);
    dg_metric_cosine(traj, den_opposite, 1, 1, 2, &c);
    ok(fabs(c + 1) < 1e-16, "cosine of opposite directions is −1 (got %g)", c);
}

/* ‖x − D‖/σ, ‖a − b‖ and the KDE gain bound of doc/theory.md §3 against long-double loops. */
static void test_slopes(gsl_rng *rng)
{
    enum { K = 3, N = 4, DIM = 6 };
    const double sig[K + 1] = {80, 2.385, 0.02, 0};
    double *traj = random_points(rng, (K + 1) * N, DIM, 3.0, 40.0);
    double *den = random_points(rng, K * N, DIM, -1.0, 2.0);
    double nd[K * N], dist[K * N], bound[K * N];
    dg_metric_norm_d(traj, den, sig, K, N, DIM, nd);
    dg_metric_distance(traj, den, K, N, DIM, dist);
    dg_metric_kde_gain_bound(traj, den, sig, K, N, DIM, bound);
    double e_nd = 0, e_dist = 0, e_bound = 0;
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; s < N; s++) {
            long double d2 = 0, slope2 = 0;
            for (size_t j = 0; j < DIM; j++) {
                const long double e =
                    (long double)traj[(k * N + s) * DIM + j] - den[(k * N + s) * DIM + j];
                d2 += e * e;
                slope2 += (e / sig[k]) * (e / sig[k]);
            }
            const long double lambda = 1 - (long double)sig[k + 1] / sig[k];
            const long double want =
                lambda * (2 - lambda) * d2 / (2 * (long double)sig[k] * sig[k]);
            e_nd = fmax(e_nd, fabs(nd[k * N + s] - (double)sqrtl(slope2)) / (double)sqrtl(slope2));
            e_dist = fmax(e_dist, fabs(dist[k * N + s] - (double)sqrtl(d2)) / (double)sqrtl(d2));
            e_bound = fmax(e_bound, (double)(fabsl(bound[k * N + s] - want) / want));
        }
    ok(e_nd < 1e-15, "‖d‖ = ‖x − D‖/σ against long double (relative error %.2e)", e_nd);
    ok(e_dist < 1e-15, "distances against long double (relative error %.2e)", e_dist);
    ok(e_bound < 1e-14, "λ(2 − λ)‖m − x‖²/(2σ²) with λ = 1 − σ'/σ (relative error %.2e)", e_bound);
    free(traj);
    free(den);
}

/*
 * The table of /metrics against the 23 arrays analyze --help listed by hand
 * before the table: each found once, with its shape for T = 8, n = 5 (G =
 * grid rows T + 1, E = evaluations T, S = samples n, C = 3 coordinates).
 */
static void test_table(void)
{
    static const struct {
        const char *name, *shape; /* shape: one letter per axis */
        bool reference;
    } want[] = {
        {"deviation", "GS", false},
        {"deviation_denoised", "ES", false},
        {"distance_to_end", "GS", false},
        {"distance_to_end_denoised", "ES", false},
        {"chord", "S", false},
        {"norm_x", "GS", false},
        {"norm_denoised", "ES", false},
        {"norm_d", "ES", false},
        {"cosine", "ES", false},
        {"pca2_error", "GS", false},
        {"coords3d", "GSC", false},
        {"curvature", "GS", false},
        {"torsion", "GS", false},
        {"distance_to_optimal", "GS", true},
        {"denoised_vs_optimal", "ES", true},
        {"score_deviation", "ES", true},
        {"optimal_self", "ES", true},
        {"nn_distance", "S", true},
        {"nn_distance_ratio", "S", true},
        {"kde_loglik_before", "ES", true},
        {"kde_loglik_after", "ES", true},
        {"kde_gain_bound", "ES", true},
        {"kde_violations", "E", true},
    };
    const size_t count = sizeof want / sizeof *want, T = 8, n = 5;
    size_t entries = 0;
    while (dg_metric_infos[entries].name)
        entries++;
    ok(entries == count, "the metric table has the %zu documented arrays (%zu)", count, entries);
    for (size_t k = 0; k < count; k++) {
        const dg_metric_info *m = dg_metric_info_find(want[k].name);
        size_t shape[DG_METRIC_RANK_MAX] = {0}, rank = m ? dg_metric_shape(m, T, n, shape) : 0;
        bool same = m && rank == strlen(want[k].shape) && m->reference == want[k].reference;
        for (size_t a = 0; same && a < rank; a++) {
            const char c = want[k].shape[a];
            same = shape[a] == (c == 'G' ? T + 1 : c == 'E' ? T : c == 'S' ? n : 3);
        }
        ok(same && m->units && m->units[0] && m->summary && m->summary[0],
           "%s: found, shape %s, units '%s'", want[k].name, want[k].shape, m ? m->units : "?");
    }
    for (size_t a = 0; dg_metric_infos[a].name; a++)
        for (size_t b = a + 1; dg_metric_infos[b].name; b++)
            ok(strcmp(dg_metric_infos[a].name, dg_metric_infos[b].name) != 0,
               "metric names %zu and %zu differ", a, b);
    ok(dg_metric_info_find("nonsense") == NULL, "an unknown array is not found");

    char text[512];
    const dg_metric_info *coords = dg_metric_info_find("coords3d");
    ok(dg_metric_shape_text(coords, text, sizeof text) == 11 && strcmp(text, "[T+1][n][3]") == 0,
       "shape text of coords3d: %s", text);
    ok(dg_metric_shape_text(coords, text, 5) == 11 && strcmp(text, "[T+1") == 0,
       "a short buffer holds the start of the shape text, and the length needed is returned");
    const dg_metric_values v = {.sigma_min = 0.1, .data = "h5:x.h5:/x", .limit = 300};
    const char *ratio =
        "nn_distance/(s_min sqrt(d)), s_min = 0.10000000000000001 the smallest positive s of the "
        "grid";
    ok(dg_metric_describe(dg_metric_info_find("nn_distance_ratio"), &v, text, sizeof text) ==
               strlen(ratio) &&
           strcmp(text, ratio) == 0,
       "{s_min} is filled with %%.17g: %s", text);
    const char *self = "||D(x*_i; s_i) - D*(x*_i; s_i)||, D the run's own denoiser (re-created "
                       "from /config/data 'h5:x.h5:/x', limit 300)";
    ok(dg_metric_describe(dg_metric_info_find("optimal_self"), &v, text, sizeof text) ==
               strlen(self) &&
           strcmp(text, self) == 0,
       "{data} and {limit} are filled: %s", text);
    ok(dg_metric_describe(dg_metric_info_find("optimal_self"), NULL, text, sizeof text) > 0 &&
           strstr(text, "'{data}', limit {limit})"),
       "without values the fields stay as they are");
    ok(dg_metric_describe(dg_metric_info_find("optimal_self"), &v, text, 20) == strlen(self) &&
           strlen(text) == 19 && strncmp(text, self, 19) == 0,
       "a short buffer holds the start of the description, and the length needed is returned");
}

int main(void)
{
    test_table();
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 99);
    test_deviation_construction();
    test_layout(rng);
    test_cosine();
    test_slopes(rng);
    gsl_rng_free(rng);
    return done_testing();
}
