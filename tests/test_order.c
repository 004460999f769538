/*
 * The rows' tree order (dg_order) and its use by the empirical denoiser:
 * the order is a permutation with full leaves; eight tight clusters at the
 * corners of a box, shuffled, come out one cluster per leaf; and the
 * denoiser built on the shuffled clusters, which in the file's order has
 * every cluster in every chunk, skips seven chunks of eight for queries
 * near one cluster once the rows are in tree order, while every output
 * stays within 1e-12 of the naive long-double computation and the same
 * for any order of the input rows' clusters.
 */
#include "config.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dg_order.h"
#include "diffgeo.h"
#include "reference.h"
#include "tap.h"

#define LEAF 512
#define CLUSTERS 8
#define DIM 16
#define N_ROWS (CLUSTERS * LEAF) /* one group of chunks */
#define NQ 12

/* Whether order[0 … n) holds every index below n once. */
static bool is_permutation(const size_t *order, size_t n)
{
    bool *seen = calloc(n > 0 ? n : 1, sizeof *seen);
    bool perm = true;
    for (size_t i = 0; i < n && perm; i++) {
        perm = order[i] < n && !seen[order[i]];
        if (perm)
            seen[order[i]] = true;
    }
    free(seen);
    return perm;
}

static void test_permutations(gsl_rng *rng)
{
    const size_t sizes[] = {0, 1, 7, LEAF, LEAF + 1, 2 * LEAF, 5 * LEAF + 96, N_ROWS};
    for (size_t s = 0; s < sizeof sizes / sizeof *sizes; s++) {
        const size_t n = sizes[s];
        double *y = random_points(rng, n > 0 ? n : 1, 3, 0.0, 1.0);
        size_t *order = malloc((n > 0 ? n : 1) * sizeof *order);
        dg_error err = {0};
        const int status = dg_order_pca_tree(y, n, 3, LEAF, order, &err);
        ok(status == DG_OK && is_permutation(order, n), "%zu rows: the order is a permutation", n);
        free(order);
        free(y);
    }
    /* Equal rows: nothing to split by, still a permutation of whole leaves. */
    double *y = calloc(3 * LEAF * 2, sizeof *y);
    size_t order[3 * LEAF];
    dg_order_pca_tree(y, 3 * LEAF, 2, LEAF, order, NULL);
    ok(is_permutation(order, 3 * LEAF), "equal rows: the order is a permutation");
    free(y);
}

/*
 * N_ROWS rows, LEAF in each of CLUSTERS clusters of spread 0.01 around the
 * corners (±4, ±2, ±1, 0, …) of a box, in random order; label[i] is the
 * cluster of row i.
 */
static double *shuffled_clusters(gsl_rng *rng, size_t *label)
{
    double *y = malloc(N_ROWS * DIM * sizeof *y);
    for (size_t i = 0; i < N_ROWS; i++)
        label[i] = i / LEAF;
    gsl_ran_shuffle(rng, label, N_ROWS, sizeof *label);
    for (size_t i = 0; i < N_ROWS; i++)
        for (size_t k = 0; k < DIM; k++) {
            const double corner = k < 3 ? ((label[i] >> k) & 1 ? 1 : -1) * (4 >> k) : 0;
            y[i * DIM + k] = 10 + corner + 0.01 * gsl_ran_gaussian(rng, 1.0);
        }
    return y;
}

static void test_clusters_in_leaves(const double *y, const size_t *label)
{
    size_t order[N_ROWS];
    dg_order_pca_tree(y, N_ROWS, DIM, LEAF, order, NULL);
    size_t mixed = 0;
    for (size_t i = 0; i < N_ROWS; i++)
        mixed += label[order[i]] != label[order[i / LEAF * LEAF]];
    ok(mixed == 0, "eight shuffled clusters: each leaf holds one cluster (%zu rows elsewhere)",
       mixed);
}

/*
 * Queries near rows of the clusters at a small σ, evaluated twice: the
 * second evaluation skips, for each query, the seven chunks of the other
 * clusters (first products included), and both match the reference.
 */
static void test_denoiser_skips(gsl_rng *rng, const double *y)
{
    dg_error err = {0};
    dg_denoiser *den = NULL;
    if (dg_denoiser_empirical_alloc(y, N_ROWS, DIM, &den, &err) != DG_OK) {
        ok(0, "denoiser: %s", err.message);
        return;
    }
    double x[NQ * DIM], out[NQ * DIM], want[NQ * DIM];
    for (size_t q = 0; q < NQ; q++) {
        const size_t j = gsl_rng_uniform_int(rng, N_ROWS);
        for (size_t k = 0; k < DIM; k++)
            x[q * DIM + k] = y[j * DIM + k] + 0.05 * gsl_ran_gaussian(rng, 1.0);
    }
    const double sigma = 0.1;
    size_t skipped = 0, products = 0;
    for (int pass = 0; pass < 2; pass++) {
        dg_denoiser_eval(den, x, NQ, sigma, out, &err);
        ref_denoise(y, N_ROWS, DIM, x, NQ, sigma, want);
        check_abs(max_rel_error(out, want, NQ, DIM), 0, 1e-12,
                  pass ? "second evaluation against the long-double reference"
                       : "first evaluation against the long-double reference");
        dg_denoiser_pruned(den, &skipped, &products);
    }
    ok(products == NQ * CLUSTERS && skipped == NQ * (CLUSTERS - 1),
       "second evaluation skips the other clusters' chunks: %zu of %zu first products", skipped,
       products);
    dg_denoiser_free(den);
}

int main(void)
{
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    gsl_rng_set(rng, 20261206);
    test_permutations(rng);
    size_t label[N_ROWS];
    double *y = shuffled_clusters(rng, label);
    test_clusters_in_leaves(y, label);
    test_denoiser_skips(rng, y);
    free(y);
    gsl_rng_free(rng);
    return done_testing();
}
