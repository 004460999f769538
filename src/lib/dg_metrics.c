/* dg_metrics: trajectory measurements (PAPER.md §6). */
#include "config.h"

#include "dg_metrics.h"

#include <math.h>

#include "dg_tensor.h"

void dg_metric_deviation(const double *traj, size_t K, size_t n, size_t dim,
                         double *out)
{
    const size_t stride = n * dim;
    for (size_t s = 0; s < n; s++) {
        const double *x0 = traj + s * dim, *xe = traj + (K - 1) * stride + s * dim;
        const double chord = sqrt(dg_sqdist(xe, x0, dim));
        for (size_t k = 0; k < K; k++) {
            const double *x = traj + k * stride + s * dim;
            /* |v|² − (v·u)² loses digits near the line; project explicitly instead. */
            double vu = 0;
            for (size_t j = 0; j < dim; j++)
                vu += (xe[j] - x[j]) * (chord > 0 ? (xe[j] - x0[j]) / chord : 0);
            double dev2 = 0;
            for (size_t j = 0; j < dim; j++) {
                const double u = chord > 0 ? (xe[j] - x0[j]) / chord : 0;
                const double r = (xe[j] - x[j]) - vu * u;
                dev2 += r * r;
            }
            out[k * n + s] = (k == 0 || k == K - 1) ? 0.0 : sqrt(dev2);
        }
    }
}

void dg_metric_distance_to_end(const double *traj, size_t K, size_t n,
                               size_t dim, double *out)
{
    const size_t stride = n * dim;
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; s < n; s++)
            out[k * n + s] = sqrt(dg_sqdist(traj + k * stride + s * dim,
                                            traj + (K - 1) * stride + s * dim, dim));
}

void dg_metric_norm(const double *traj, size_t K, size_t n, size_t dim,
                    double *out)
{
    for (size_t k = 0; k < K; k++)
        for (size_t s = 0; s < n; s++)
            out[k * n + s] = sqrt(dg_sqnorm(traj + (k * n + s) * dim, dim));
}

void dg_metric_cosine(const double *traj, const double *denoised, size_t K,
                      size_t n, size_t dim, double *out)
{
    const size_t stride = n * dim;
    for (size_t k = 0; k < K; k++) {
        for (size_t s = 0; s < n; s++) {
            const double *x = traj + k * stride + s * dim;
            const double *d = denoised + k * stride + s * dim;
            const double *xe = traj + K * stride + s * dim;
            double dot = 0, dd = 0, ee = 0;
            for (size_t j = 0; j < dim; j++) {
                const double a = x[j] - d[j], b = x[j] - xe[j];
                dot += a * b;
                dd += a * a;
                ee += b * b;
            }
            out[k * n + s] = dd > 0 && ee > 0 ? dot / sqrt(dd * ee) : 0.0;
        }
    }
}
