/*
 * dg_gits: time schedules found by dynamic programming on a teacher
 * trajectory (GITS, Chen et al. ICML 2024; doc/theory.md §4).
 *
 * A teacher run on a fine grid σ_0 > … > σ_{T−1} gives, for every pair i < j,
 * the cost of one Euler jump x̂ = x_i + (σ_j − σ_i) d_i, d_i = (x_i − D_i)/σ_i,
 * against the teacher's x_j, averaged over its trajectories.  A dynamic
 * programme then picks K steps through the grid, from index 0 to T − 1, that
 * minimise the accumulated cost with later steps weighted by a coefficient.
 */
#ifndef DG_GITS_H
#define DG_GITS_H

#include <stddef.h>

#include "dg_status.h"

typedef enum dg_gits_cost {
    DG_GITS_COST_DEV, /* dev(x̂) − dev(x_j): distance to the teacher's start–end line (signed) */
    DG_GITS_COST_L2, /* ‖x̂ − x_j‖₂ */
    DG_GITS_COST_L1  /* ‖x̂ − x_j‖₁ */
} dg_gits_cost;

/* The number of costs: dg_gits_cost runs from 0 to DG_GITS_COSTS − 1. */
#define DG_GITS_COSTS 3

/* The cost's name ("dev", "l2", "l1"; "unknown" out of range), and lookup by
 * name (−1 if unknown). */
const char *dg_gits_cost_name(dg_gits_cost cost);
int dg_gits_cost_find(const char *name);

/* The coefficient of the GITS paper: later steps weigh c times more per level. */
#define DG_GITS_DEFAULT_COEFF 1.15

/*
 * The T × T cost matrix (row-major) of a teacher run with T grid points and n
 * trajectories in R^dim: traj is T × n × dim, denoised (T − 1) × n × dim.
 * C[i][j] for i < j is the mean over trajectories; entries with i ≥ j are NaN
 * (undefined).  Rows are computed in parallel; the result does not depend on
 * the thread count.  Returns DG_EINVAL for T < 2 or n = 0.
 */
int dg_gits_cost_matrix(const double *sigmas, size_t T, const double *traj, const double *denoised,
                        size_t n, size_t dim, dg_gits_cost cost, double *C, dg_error *err);

/*
 * The dynamic programme for K student steps: V[i][1] = C[i][T−1],
 * V[j][k] = min_{j < i < T−1} C[j][i] + coeff · V[i][k−1], taking the first
 * minimiser.  Writes V (T × (K+1), row-major; +∞ where undefined) and the
 * chosen teacher indices (K + 1 of them, from 0 to T − 1).  Returns DG_EINVAL
 * unless 1 ≤ K ≤ T − 1 and coeff > 0, or when V[0][K] is not finite (the
 * weighted costs overflow).
 */
int dg_gits_dp(const double *C, size_t T, size_t K, double coeff, double *V, size_t *indices,
               dg_error *err);

#endif /* DG_GITS_H */
