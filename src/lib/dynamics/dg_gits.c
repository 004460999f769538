/* dg_gits: cost matrix and dynamic programme of GITS (doc/theory.md §4). */
#include "config.h"

#include "dg_gits.h"

#include <math.h>
#include <string.h>
#ifdef _OPENMP
#include <omp.h>
#endif

#include "dg_tensor.h"

static const char *const cost_names[DG_GITS_COSTS] = {"dev", "l2", "l1"};

const char *dg_gits_cost_name(dg_gits_cost cost)
{
    return (unsigned)cost < DG_GITS_COSTS ? cost_names[cost] : "unknown";
}

int dg_gits_cost_find(const char *name)
{
    for (int k = 0; k < DG_GITS_COSTS; k++)
        if (strcmp(cost_names[k], name) == 0)
            return k;
    return -1;
}

/* Distance of x from the line through a and b (u the unit direction of b − a). */
static double line_distance(const double *x, const double *b, const double *u, size_t dim)
{
    double vu = 0;
    for (size_t k = 0; k < dim; k++)
        vu += (b[k] - x[k]) * u[k];
    double r2 = 0;
    for (size_t k = 0; k < dim; k++) {
        const double r = (b[k] - x[k]) - vu * u[k];
        r2 += r * r;
    }
    return sqrt(r2);
}

/*
 * The cost of jumping from teacher point i to every j > i, for one
 * trajectory s, accumulated into row (sums over trajectories).
 */
static void accumulate_row(const double *sigmas, size_t T, const double *traj,
                           const double *denoised, size_t n, size_t dim, dg_gits_cost cost,
                           size_t i, size_t s, const double *u, double *jump, double *row)
{
    const size_t stride = n * dim;
    const double *x = traj + i * stride + s * dim, *d = denoised + i * stride + s * dim;
    const double *end = traj + (T - 1) * stride + s * dim;
    for (size_t j = i + 1; j < T; j++) {
        const double *target = traj + j * stride + s * dim;
        const double h = sigmas[j] - sigmas[i];
        double value = 0;
        for (size_t k = 0; k < dim; k++)
            jump[k] = x[k] + h * ((x[k] - d[k]) / sigmas[i]);
        switch (cost) {
        case DG_GITS_COST_DEV:
            value = line_distance(jump, end, u, dim) - line_distance(target, end, u, dim);
            break;
        case DG_GITS_COST_L2:
            value = sqrt(dg_sqdist(jump, target, dim));
            break;
        case DG_GITS_COST_L1:
            for (size_t k = 0; k < dim; k++)
                value += fabs(jump[k] - target[k]);
            break;
        }
        row[j] += value;
    }
}

int dg_gits_cost_matrix(const double *sigmas, size_t T, const double *traj, const double *denoised,
                        size_t n, size_t dim, dg_gits_cost cost, double *C, dg_error *err)
{
    if (T < 2 || n == 0 || dim == 0)
        return dg_error_set(err, DG_EINVAL, "GITS needs a teacher run of at least 2 grid points");
#ifdef _OPENMP
    const size_t threads = (size_t)omp_get_max_threads();
#else
    const size_t threads = 1;
#endif
    double *units = dg_doubles_alloc(n, dim), *jumps = dg_doubles_alloc(threads, dim);
    int status = DG_OK;
    if (!units || !jumps) {
        status = dg_error_set(err, DG_ENOMEM, "out of memory");
        goto free_buffers;
    }
    const size_t stride = n * dim;
    /* Unit directions of each trajectory's start–end line, for the dev cost. */
    for (size_t s = 0; s < n; s++) {
        const double *a = traj + s * dim, *b = traj + (T - 1) * stride + s * dim;
        const double len = sqrt(dg_sqdist(a, b, dim));
        for (size_t k = 0; k < dim; k++)
            units[s * dim + k] = len > 0 ? (b[k] - a[k]) / len : 0;
    }
    for (size_t k = 0; k < T * T; k++)
        C[k] = NAN;

        /* Each row i is one thread's: its sums run over trajectories in order. */
#ifdef _OPENMP
#pragma omp parallel for schedule(dynamic) num_threads(threads)
#endif
    for (size_t i = 0; i < T - 1; i++) {
#ifdef _OPENMP
        double *jump = jumps + (size_t)omp_get_thread_num() * dim;
#else
        double *jump = jumps;
#endif
        double *row = C + i * T;
        for (size_t j = i + 1; j < T; j++)
            row[j] = 0;
        for (size_t s = 0; s < n; s++)
            accumulate_row(sigmas, T, traj, denoised, n, dim, cost, i, s, units + s * dim, jump,
                           row);
        for (size_t j = i + 1; j < T; j++)
            row[j] /= (double)n;
    }
free_buffers:
    dg_doubles_free(jumps);
    dg_doubles_free(units);
    return status;
}

int dg_gits_dp(const double *C, size_t T, size_t K, double coeff, double *V, size_t *indices,
               dg_error *err)
{
    if (K < 1 || K > T - 1 || T < 2)
        return dg_error_set(err, DG_EINVAL,
                            "%zu student steps cannot be chosen from a teacher grid of %zu points",
                            K, T);
    if (!(coeff > 0) || !isfinite(coeff))
        return dg_error_set(err, DG_EINVAL, "GITS coefficient %g: must be positive", coeff);
    const size_t cols = K + 1;
    for (size_t k = 0; k < T * cols; k++)
        V[k] = INFINITY;
    for (size_t i = 0; i + 1 < T; i++)
        V[i * cols + 1] = C[i * T + (T - 1)];
    for (size_t k = 2; k <= K; k++)
        for (size_t j = 0; j + 1 < T; j++)
            for (size_t i = j + 1; i + 1 < T; i++) {
                const double v = C[j * T + i] + coeff * V[i * cols + k - 1];
                if (v < V[j * cols + k])
                    V[j * cols + k] = v;
            }
    /* With finite costs V[0][K] is finite unless coeff^(K−1) times a cost
     * overflowed: every choice would then be as good (+∞) as any other. */
    if (!isfinite(V[K]))
        return dg_error_set(err, DG_EINVAL,
                            "GITS: the weighted cost of %zu steps overflows (coefficient %g "
                            "too large)",
                            K, coeff);
    /* Backtrack from index 0, taking the first minimiser at every level. */
    size_t w = 0;
    indices[0] = 0;
    for (size_t k = K; k >= 2; k--) {
        size_t next = T - 1;
        for (size_t i = w + 1; i + 1 < T; i++)
            if (C[w * T + i] + coeff * V[i * cols + k - 1] == V[w * cols + k]) {
                next = i;
                break;
            }
        if (next == T - 1)
            return dg_error_set(err, DG_EINVAL,
                                "GITS: no path of %zu steps (cost matrix holds NaN?)", K);
        indices[K - k + 1] = next;
        w = next;
    }
    indices[K] = T - 1;
    return DG_OK;
}
