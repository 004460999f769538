/* diffgeo interpolate: decode points on a path between two starts (doc/theory.md §7). */
#include "config.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "interpolate";

/* The messages of sample's options name sample, whose options these are. */
static const char *const SAMPLE = "sample";

static void help(void)
{
    printf("Usage: diffgeo interpolate --data SPEC [--method lerp|slerp|rescaled]\n"
           "                           [--points M] [SAMPLE OPTION]... -o RUN.h5\n"
           "Latent interpolation (doc/theory.md §7): M start points on a path between two\n"
           "starts a and b at σ_max, each decoded by the probability-flow ODE.  Independent\n"
           "starts have norm ≈ σ_max √d and are nearly orthogonal, so the straight line\n"
           "(lerp) cuts inside the noise shell: its midpoint has norm ≈ 0.707 σ_max √d.\n"
           "\n"
           "      --method NAME  lerp: (1 − λ) a + λ b;  slerp: the great circle from a to b\n"
           "                     (default);  rescaled: lerp scaled to norm σ_max √d\n"
           "      --points M     points on the path, λ = 0, 1/(M−1), …, 1 [11]\n"
           "      --init SPEC    the two starts a and b (2 × d); otherwise drawn with --seed\n"
           "All options of 'diffgeo sample' apply (solver, grid, data, denoiser).  The run\n"
           "file is a sample run file with one trajectory per point, plus\n"
           "/interpolation/lambda [M] and /interpolation/norm_ratio [M] = ‖x_0‖/(σ_max √d).\n"
           "\n"
           "Example:\n"
           "  diffgeo interpolate --data fashion-mnist --method lerp --points 9 -o lerp.h5\n");
}

/* The interpolation paths (doc/theory.md §7). */
static const char *const methods[] = {"lerp", "slerp", "rescaled", NULL};

/* The path's options, and the values of its arrays in the run file. */
typedef struct interpolation {
    const char *method;
    size_t points;
    double *lambda, *ratio; /* [points]: /interpolation/lambda and /norm_ratio */
} interpolation;

/* --method and --points; --jump-at does not apply.  A cli_parser option. */
static int interpolate_option(void *ctx, int opt, const char *arg)
{
    interpolation *p = ctx;
    size_t k = 0;
    switch (opt) {
    case CLI_OPT_JUMP_AT:
        return cli_usage_error(SAMPLE, "unknown option '--jump-at'");
    case CLI_OPT_METHOD:
        while (methods[k] && strcmp(methods[k], arg) != 0)
            k++;
        if (!methods[k])
            return cli_usage_error(COMMAND, "unknown method '%s' (lerp, slerp, rescaled)", arg);
        p->method = methods[k];
        return EXIT_OK;
    case CLI_OPT_POINTS:
        if (cli_parse_size(COMMAND, "points", arg, &p->points) != 0)
            return EXIT_USAGE;
        if (p->points < 2)
            return cli_usage_error(COMMAND, "--points %zu: need at least 2", p->points);
        return EXIT_OK;
    default:
        return CLI_OPTION_SHARED;
    }
}

/*
 * Points on the path between the starts a and b: lerp, slerp along the
 * great circle, or lerp rescaled to norm σ_max √d.
 */
static void interpolate_path(const char *method, const double *a, const double *b, size_t dim,
                             double sigma_max, size_t points, double *x)
{
    const double na = dg_norm(a, dim), nb = dg_norm(b, dim);
    const double cosine = fmax(-1.0, fmin(1.0, dg_dot(a, b, dim) / (na * nb)));
    const double theta = acos(cosine), shell = sigma_max * sqrt((double)dim);
    for (size_t m = 0; m < points; m++) {
        const double t = (double)m / (double)(points - 1);
        double wa = 1 - t, wb = t;
        if (strcmp(method, "slerp") == 0 && sin(theta) > 1e-12) {
            wa = sin((1 - t) * theta) / sin(theta);
            wb = sin(t * theta) / sin(theta);
        }
        double *row = x + m * dim;
        for (size_t k = 0; k < dim; k++)
            row[k] = wa * a[k] + wb * b[k];
        if (strcmp(method, "rescaled") == 0) {
            const double scale = shell / dg_norm(row, dim);
            for (size_t k = 0; k < dim; k++)
                row[k] *= scale;
        }
    }
}

/* The two ends a and b: read from init, or drawn from the seed. */
static int make_ends(const char *init, unsigned long seed, size_t dim, double sigma_max,
                     dg_dataset **ends)
{
    if (!init)
        return cli_draw_starts(seed, 2, dim, sigma_max, ends);
    dg_error err;
    /* Start points are untrusted input like the data: HDF5 is read isolated. */
    const dg_data_options init_options = {.isolate_hdf5 = true};
    if (cli_load_rows(init, &init_options, ends, &err) != DG_OK)
        return cli_fail_spec(&err);
    if ((*ends)->n == 2 && (*ends)->dim == dim)
        return EXIT_OK;
    cli_error("--init %s: interpolation needs 2 start points of dimension %zu, not %zu × %zu", init,
              dim, (*ends)->n, (*ends)->dim);
    return EXIT_FAILED;
}

/*
 * EXIT_OK if slerp's great circle from a to b is defined: neither is zero
 * and they are not opposite (every half circle between them would do).
 * Equal directions need none: the path is then the straight line.
 */
static int check_slerp(const double *a, const double *b, size_t dim)
{
    const double na = dg_norm(a, dim), nb = dg_norm(b, dim);
    if (!(na > 0 && nb > 0)) {
        cli_error("slerp from a zero start point: it has no direction (use --method lerp)");
        return EXIT_FAILED;
    }
    /* Near θ = π the rounding of the cosine (1e-16) moves θ by 1e-8 and
     * chooses the circle: 1e-6 leaves a margin. */
    const double theta = acos(fmax(-1.0, fmin(1.0, dg_dot(a, b, dim) / (na * nb))));
    if (M_PI - theta < 1e-6) {
        cli_error("slerp between opposite start points: no single great circle joins them "
                  "(use --method lerp or other starts)");
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* The start points: the path between the ends.  A sample extension's starts. */
static int interpolate_starts(void *ctx, const char *init, unsigned long seed, size_t dim,
                              double sigma_max, dg_dataset **starts)
{
    const interpolation *p = ctx;
    dg_dataset *ends = NULL;
    int rc = make_ends(init, seed, dim, sigma_max, &ends);
    if (rc == EXIT_OK && strcmp(p->method, "slerp") == 0)
        rc = check_slerp(ends->x, ends->x + dim, dim);
    if (rc != EXIT_OK)
        goto free_ends;
    *starts = dg_dataset_alloc(p->points, dim);
    if (!*starts) {
        cli_error("cannot allocate %zu start points of dimension %zu", p->points, dim);
        rc = EXIT_FAILED;
        goto free_ends;
    }
    interpolate_path(p->method, ends->x, ends->x + dim, dim, sigma_max, p->points, (*starts)->x);
free_ends:
    dg_dataset_free(ends);
    return rc;
}

/* /config's interpolation, λ and the norm ratio of each start.  A sample extension's outputs. */
static int interpolate_outputs(void *ctx, const dg_dataset *starts, double sigma_max,
                               cli_sample_extra *extra)
{
    interpolation *p = ctx;
    const size_t n = starts->n, dim = starts->dim;
    extra->config[extra->nconfig++] = (dg_h5_attr){"interpolation", p->method, 0, 0};
    p->lambda = malloc(n * sizeof *p->lambda);
    p->ratio = malloc(n * sizeof *p->ratio);
    if (!p->lambda || !p->ratio) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    for (size_t m = 0; m < n; m++) {
        p->lambda[m] = (double)m / (double)(n - 1);
        p->ratio[m] = dg_norm(starts->x + m * dim, dim) / (sigma_max * sqrt((double)dim));
    }
    extra->arrays[extra->narrays++] =
        (dg_h5_array){"/interpolation/lambda",
                      p->lambda,
                      1,
                      {n},
                      "position on the path from start a (0) to b (1)",
                      "1",
                      "sample",
                      NULL};
    extra->arrays[extra->narrays++] =
        (dg_h5_array){"/interpolation/norm_ratio",
                      p->ratio,
                      1,
                      {n},
                      "||x_0|| / (sigma_max sqrt(d)): 1 on the noise shell",
                      "1",
                      "sample",
                      NULL};
    return EXIT_OK;
}

int cmd_interpolate(int argc, char **argv, const char *command_line)
{
    interpolation p = {.method = "slerp", .points = 11};
    const cli_sample_extension ext = {.help = help,
                                      .option = interpolate_option,
                                      .starts = interpolate_starts,
                                      .outputs = interpolate_outputs,
                                      .ctx = &p};
    const int rc = cli_sample_run(&ext, argc, argv, command_line);
    free(p.lambda);
    free(p.ratio);
    return rc;
}
