/*
 * dg_schedule: decreasing grids of noise levels σ_0 = σ_max > … > σ_{N−1} = σ_min
 * (doc/theory.md §4).  N counts timestamps, so a grid of N has N − 1 steps.
 *
 * Schedules are const type descriptors found by name in a table.  The first
 * and last entries are set to exactly σ_max and σ_min.
 */
#ifndef DG_SCHEDULE_H
#define DG_SCHEDULE_H

#include <stddef.h>

#include "dg_status.h"

typedef struct dg_schedule_type {
    const char *name;    /* "edm", "logsnr", "time-uniform" */
    const char *summary; /* one line for --help */
    double default_rho;  /* ρ used when the caller gives none; 0 if ρ is unused */
    /* Fills sigmas[0..n−1]; arguments already validated. */
    void (*fill)(double sigma_min, double sigma_max, double rho, size_t n, double *sigmas);
} dg_schedule_type;

/* polynomial ρ (EDM): σ_i = (σ_max^{1/ρ} + i/(N−1) (σ_min^{1/ρ} − σ_max^{1/ρ}))^ρ */
extern const dg_schedule_type dg_schedule_edm;
/* logSNR-uniform: ln σ linear between ln σ_max and ln σ_min */
extern const dg_schedule_type dg_schedule_logsnr;
/* time-uniform VP schedule with ε_s = 1e−3 and t_i = (1 + i/(N−1)(ε_s^{1/ρ} − 1))^ρ */
extern const dg_schedule_type dg_schedule_time_uniform;

/* ε_s of the time-uniform schedule: the smallest VP time. */
#define DG_TIME_UNIFORM_EPS 1e-3

/* The NULL-terminated table of all schedules, and lookup by name (NULL if unknown). */
extern const dg_schedule_type *const dg_schedule_types[];
const dg_schedule_type *dg_schedule_find(const char *name);

/*
 * Fills sigmas[0..n−1] with the grid of type from sigma_max down to
 * sigma_min.  rho = 0 or NaN selects the type's default.  Returns DG_EINVAL
 * (with a message) unless n ≥ 2, 0 < σ_min < σ_max < ∞ and ρ > 0 (for
 * schedules that use ρ).
 */
int dg_schedule_make(const dg_schedule_type *type, double sigma_min, double sigma_max, double rho,
                     size_t n, double *sigmas, dg_error *err);

/*
 * Checks that sigmas[0..n−1] is a valid grid for the solvers: n ≥ 2, finite,
 * strictly decreasing, positive except that the last entry may be 0.
 */
int dg_schedule_check(const double *sigmas, size_t n, dg_error *err);

/*
 * Parses an explicit grid "80,10.98,3.88,…" (comma-separated decimal numbers)
 * into *sigmas (allocated with malloc; the caller frees) and *n, and checks it
 * with dg_schedule_check.  Returns DG_EINVAL with a message naming the bad
 * entry, or DG_ENOMEM.
 */
int dg_schedule_parse_list(const char *text, double **sigmas, size_t *n, dg_error *err);

#endif /* DG_SCHEDULE_H */
