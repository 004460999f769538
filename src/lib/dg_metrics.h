/*
 * dg_metrics: geometric measurements of trajectories (PAPER.md §6).
 *
 * A trajectory block holds K points per sample, K × n × dim, index 0 the
 * start and K − 1 the end.  Outputs are K × n (one value per point and
 * sample), matching the run file's /metrics layout.  All functions are
 * thread-safe and allocate nothing.
 */
#ifndef DG_METRICS_H
#define DG_METRICS_H

#include <stddef.h>

/*
 * Distance of each point from the straight line through its sample's start
 * and end: u = (x_end − x_0)/‖x_end − x_0‖, v = x_end − x_k,
 * dev = ‖v − (v·u) u‖.  Zero at both ends; if start and end coincide, the
 * distance to that point.
 */
void dg_metric_deviation(const double *traj, size_t K, size_t n, size_t dim,
                         double *out);

/* ‖x_k − x_end‖ for every point. */
void dg_metric_distance_to_end(const double *traj, size_t K, size_t n,
                               size_t dim, double *out);

/* ‖x_k‖ for every point. */
void dg_metric_norm(const double *traj, size_t K, size_t n, size_t dim,
                    double *out);

/*
 * cos(d_k, x_k − x_end) with d_k = (x_k − D_k)/σ_k, for the K evaluated
 * points: traj is (K + 1) × n × dim (the end is traj[K]), denoised K × n × dim.
 * The cosine does not depend on σ_k > 0; it is 0 where either vector is 0.
 */
void dg_metric_cosine(const double *traj, const double *denoised, size_t K,
                      size_t n, size_t dim, double *out);

#endif /* DG_METRICS_H */
