/* dg_schedule: σ grids (doc/theory.md §4). */
#include "config.h"

#include "dg_schedule.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

static void fill_edm(double sigma_min, double sigma_max, double rho, size_t n, double *sigmas)
{
    const double a = pow(sigma_max, 1 / rho), b = pow(sigma_min, 1 / rho);
    for (size_t i = 0; i < n; i++)
        sigmas[i] = pow(a + (double)i / (double)(n - 1) * (b - a), rho);
}

static void fill_logsnr(double sigma_min, double sigma_max, double rho, size_t n, double *sigmas)
{
    (void)rho;
    const double a = log(sigma_max), b = log(sigma_min);
    for (size_t i = 0; i < n; i++)
        sigmas[i] = exp(a + (double)i / (double)(n - 1) * (b - a));
}

/*
 * The VP schedule of DPM-Solver and diff-sampler: σ(t) = sqrt(exp(½β_d t² +
 * β_min t) − 1) with β_d and β_min chosen so that σ(1) = σ_max and
 * σ(ε_s) = σ_min.  expm1 keeps the small-t end accurate.
 */
static void fill_time_uniform(double sigma_min, double sigma_max, double rho, size_t n,
                              double *sigmas)
{
    const double eps = DG_TIME_UNIFORM_EPS;
    const double lmax = log1p(sigma_max * sigma_max);
    const double lmin = log1p(sigma_min * sigma_min);
    const double beta_d = 2 * (lmin / eps - lmax) / (eps - 1);
    const double beta_min = lmax - beta_d / 2;
    const double a = pow(eps, 1 / rho);
    for (size_t i = 0; i < n; i++) {
        const double t = pow(1 + (double)i / (double)(n - 1) * (a - 1), rho);
        sigmas[i] = sqrt(expm1(0.5 * beta_d * t * t + beta_min * t));
    }
}

const dg_schedule_type dg_schedule_edm = {
    "edm", "polynomial in σ^{1/ρ} (Karras et al., EDM), ρ = 7 by default", 7.0, fill_edm};
const dg_schedule_type dg_schedule_logsnr = {
    "logsnr", "uniform in log σ (logSNR-uniform); ρ unused", 0.0, fill_logsnr};
const dg_schedule_type dg_schedule_time_uniform = {
    "time-uniform", "uniform in VP time t^{1/ρ} with ε_s = 1e-3 (DPM-Solver), ρ = 1 by default",
    1.0, fill_time_uniform};

const dg_schedule_type *const dg_schedule_types[] = {&dg_schedule_edm, &dg_schedule_logsnr,
                                                     &dg_schedule_time_uniform, NULL};

const dg_schedule_type *dg_schedule_find(const char *name)
{
    for (size_t k = 0; dg_schedule_types[k]; k++)
        if (strcmp(dg_schedule_types[k]->name, name) == 0)
            return dg_schedule_types[k];
    return NULL;
}

int dg_schedule_make(const dg_schedule_type *type, double sigma_min, double sigma_max, double rho,
                     size_t n, double *sigmas, dg_error *err)
{
    if (n < 2)
        return dg_error_set(err, DG_EINVAL, "a grid needs at least 2 timestamps, not %zu", n);
    if (!(sigma_min > 0) || !isfinite(sigma_max) || !(sigma_min < sigma_max))
        return dg_error_set(err, DG_EINVAL, "σ_min = %g and σ_max = %g: need 0 < σ_min < σ_max < ∞",
                            sigma_min, sigma_max);
    if (rho == 0 || isnan(rho))
        rho = type->default_rho;
    else if (type->default_rho > 0 && (!(rho > 0) || !isfinite(rho)))
        return dg_error_set(err, DG_EINVAL, "ρ = %g: must be positive and finite", rho);
    type->fill(sigma_min, sigma_max, rho, n, sigmas);
    sigmas[0] = sigma_max;
    sigmas[n - 1] = sigma_min;
    return dg_schedule_check(sigmas, n, err);
}

int dg_schedule_check(const double *sigmas, size_t n, dg_error *err)
{
    if (n < 2)
        return dg_error_set(err, DG_EINVAL, "a grid needs at least 2 timestamps, not %zu", n);
    for (size_t i = 0; i < n; i++) {
        const int last = i + 1 == n;
        if (!isfinite(sigmas[i]) || sigmas[i] < 0 || (sigmas[i] == 0 && !last))
            return dg_error_set(err, DG_EINVAL,
                                "σ grid entry %zu is %g: must be positive (only the last may be 0)",
                                i, sigmas[i]);
        if (i > 0 && !(sigmas[i] < sigmas[i - 1]))
            return dg_error_set(err, DG_EINVAL,
                                "σ grid is not strictly decreasing at entry %zu (%g after %g)", i,
                                sigmas[i], sigmas[i - 1]);
    }
    return DG_OK;
}

int dg_schedule_parse_list(const char *text, double **sigmas, size_t *n, dg_error *err)
{
    size_t count = 1;
    for (const char *p = text; *p; p++)
        count += *p == ',';
    double *v = malloc(count * sizeof *v);
    if (!v)
        return dg_error_set(err, DG_ENOMEM, "out of memory");
    int status = DG_OK;
    const char *p = text;
    for (size_t k = 0; k < count; k++) {
        char *end;
        errno = 0;
        v[k] = strtod(p, &end);
        if (end == p || errno == ERANGE || (*end != ',' && *end != '\0')) {
            status = dg_error_set(err, DG_EINVAL, "σ list entry %zu ('%.*s') is not a number", k,
                                  (int)strcspn(p, ","), p);
            goto free_list;
        }
        p = end + (*end == ',');
    }
    status = dg_schedule_check(v, count, err);
    if (status != DG_OK)
        goto free_list;
    *sigmas = v;
    *n = count;
    v = NULL; /* the caller's */
free_list:
    free(v);
    return status;
}
