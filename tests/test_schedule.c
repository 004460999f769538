/* Tests of dg_schedule against the test vectors of doc/theory.md §4. */
#include "config.h"

#include <math.h>
#include <string.h>

#include "diffgeo.h"
#include "tap.h"

/* The vectors are printed with 10 or 11 significant digits: half a unit of
 * the 10th digit is at most 5e-10 relative. */
#define VECTOR_TOL 5e-10

static void check_grid(const dg_schedule_type *type, double rho, size_t n, const double *want,
                       const size_t *index, size_t count, const char *what)
{
    double sigmas[64];
    dg_error err;
    int status = dg_schedule_make(type, 0.002, 80, rho, n, sigmas, &err);
    ok(status == DG_OK, "%s: grid made", what);
    for (size_t k = 0; k < count; k++) {
        char label[128];
        snprintf(label, sizeof label, "%s: σ_%zu", what, index[k]);
        check_rel(sigmas[index[k]], want[k], VECTOR_TOL, label);
    }
}

/* The table holds the three schedules of doc/theory.md §4, each found by its
 * name, with the default ρ of dg_schedule.h (the help prints them). */
static void test_table(void)
{
    static const struct {
        const char *name;
        double rho;
    } documented[] = {{"edm", 7}, {"logsnr", 0}, {"time-uniform", 1}};
    const size_t count = sizeof documented / sizeof *documented;
    size_t entries = 0;
    while (dg_schedule_types[entries])
        entries++;
    ok(entries == count, "the schedule table has the %zu documented schedules (%zu)", count,
       entries);
    for (size_t k = 0; k < count; k++) {
        const dg_schedule_type *s = dg_schedule_find(documented[k].name);
        ok(s && strcmp(s->name, documented[k].name) == 0 && s->default_rho == documented[k].rho &&
               s->summary && s->summary[0] && !strchr(s->summary, '\n'),
           "%s is found by name, default ρ %g, a one-line summary", documented[k].name,
           documented[k].rho);
    }
    for (size_t a = 0; dg_schedule_types[a]; a++)
        for (size_t b = a + 1; dg_schedule_types[b]; b++)
            ok(strcmp(dg_schedule_types[a]->name, dg_schedule_types[b]->name) != 0,
               "schedule names %zu and %zu differ", a, b);
}

int main(void)
{
    test_table();
    static const size_t i7[] = {0, 1, 2, 3, 4, 5, 6};
    static const double edm7[] = {80,          30.183258055,   9.7232013553, 2.5152189761,
                                  0.469979058, 0.051532394323, 0.002};
    check_grid(&dg_schedule_edm, 7, 7, edm7, i7, 7, "edm N=7 ρ=7");
    static const size_t i18[] = {0, 1, 2, 16, 17};
    static const double edm18[] = {80, 57.585984721, 40.785573797, 0.0075280199628, 0.002};
    check_grid(&dg_schedule_edm, 0, 18, edm18, i18, 5, "edm N=18 (default ρ)");
    static const double log7[] = {
        80, 13.679807573, 2.3392141906, 0.4, 0.068399037867, 0.011696070953, 0.002};
    check_grid(&dg_schedule_logsnr, 0, 7, log7, i7, 7, "logsnr N=7");
    static const double tu1[] = {80,          20.96550632,  6.950235412, 2.823688824,
                                 1.286668915, 0.5271715978, 0.002};
    check_grid(&dg_schedule_time_uniform, 1, 7, tu1, i7, 7, "time-uniform N=7 ρ=1");
    static const double tu2[] = {80,           8.672468611,  2.30433993, 0.9262575943,
                                 0.3843132756, 0.1098461671, 0.002};
    check_grid(&dg_schedule_time_uniform, 2, 7, tu2, i7, 7, "time-uniform N=7 ρ=2");

    /* Lookup and validation. */
    ok(dg_schedule_find("edm") == &dg_schedule_edm && dg_schedule_find("logsnr") &&
           dg_schedule_find("time-uniform") && !dg_schedule_find("cosine"),
       "schedules are found by name");
    double s[8];
    dg_error err;
    ok(dg_schedule_make(&dg_schedule_edm, 0.002, 80, 7, 1, s, &err) == DG_EINVAL,
       "one timestamp is refused: %s", err.message);
    ok(dg_schedule_make(&dg_schedule_edm, 0, 80, 7, 5, s, &err) == DG_EINVAL,
       "σ_min = 0 is refused: %s", err.message);
    ok(dg_schedule_make(&dg_schedule_edm, 80, 80, 7, 5, s, &err) == DG_EINVAL,
       "σ_min = σ_max is refused");
    ok(dg_schedule_make(&dg_schedule_edm, 0.002, 80, -2, 5, s, &err) == DG_EINVAL,
       "ρ < 0 is refused: %s", err.message);
    const double bad[] = {80, 10, 10, 1};
    ok(dg_schedule_check(bad, 4, &err) == DG_EINVAL, "a grid that repeats a σ is refused: %s",
       err.message);
    const double zero_inside[] = {80, 0, 1};
    ok(dg_schedule_check(zero_inside, 3, &err) == DG_EINVAL, "σ = 0 before the end is refused");
    const double final_zero[] = {80, 1, 0};
    ok(dg_schedule_check(final_zero, 3, &err) == DG_OK, "σ = 0 at the end is accepted");

    /* Every schedule is strictly decreasing, with exact endpoints, for many N. */
    int all = 1;
    for (size_t t = 0; dg_schedule_types[t]; t++)
        for (size_t n = 2; n <= 64; n++) {
            double g[64];
            all &= dg_schedule_make(dg_schedule_types[t], 0.0173, 61.5, 0, n, g, &err) == DG_OK &&
                   g[0] == 61.5 && g[n - 1] == 0.0173;
        }
    ok(all, "all schedules, N = 2..64: valid grids with exact endpoints");
    return done_testing();
}
