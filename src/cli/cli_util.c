/* Shared helpers of the diffgeo subcommands: option values, the σ grid, the command line. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

int cli_parse_double(const char *command, const char *option, const char *text, double *out)
{
    char *end;
    errno = 0;
    double v = strtod(text, &end);
    if (end == text || *end || !isfinite(v)) {
        cli_usage_error(command, "--%s: '%s' is not a finite number", option, text);
        return -1;
    }
    if (errno == ERANGE) {
        cli_usage_error(command, "--%s: '%s' is out of the range of doubles", option, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_ulong(const char *command, const char *option, const char *text, unsigned long *out)
{
    char *end;
    errno = 0;
    unsigned long v = strtoul(text, &end, 10);
    if (end == text || *end || errno == ERANGE || text[0] == '-') {
        cli_usage_error(command, "--%s: '%s' is not a non-negative integer", option, text);
        return -1;
    }
    *out = v;
    return 0;
}

int cli_parse_size(const char *command, const char *option, const char *text, size_t *out)
{
    unsigned long v;
    if (cli_parse_ulong(command, option, text, &v) != 0)
        return -1;
    *out = (size_t)v;
    return 0;
}

int cli_parse_count(const char *command, const char *option, const char *text, const char *what,
                    size_t *out)
{
    if (cli_parse_size(command, option, text, out) != 0)
        return -1;
    if (*out == 0) {
        cli_usage_error(command, "--%s %s: need at least one %s", option, text, what);
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------------ */
/* Grid options                                                             */
/* ------------------------------------------------------------------------ */

void cli_grid_free(cli_grid *grid)
{
    free(grid->list);
    grid->list = NULL;
    grid->nlist = 0;
}

/* dg_h5_read_array as a dg_h5_reader. */
typedef struct h5_array_read {
    const char *path, *name;
    size_t *rank, *shape;
    double **data;
} h5_array_read;

static int read_h5_array(void *ctx, dg_error *err)
{
    const h5_array_read *a = ctx;
    return dg_h5_read_array(a->path, a->name, a->rank, a->shape, a->data, err);
}

int cli_read_array(const char *path, const char *name, size_t *rank, size_t shape[DG_H5_RANK_MAX],
                   double **data, dg_error *err)
{
    h5_array_read a = {path, name, rank, shape, data};
    *data = NULL;
    return dg_h5_isolated(path, read_h5_array, &a, err);
}

/* Reads an explicit grid from list:… or h5:FILE[:/dataset]; 1 on success, −1 after a message. */
static int grid_from_spec(const char *command, cli_grid *grid, const char *arg)
{
    dg_error err;
    int status;
    cli_grid_free(grid);
    if (strncmp(arg, "list:", 5) == 0) {
        status = dg_schedule_parse_list(arg + 5, &grid->list, &grid->nlist, &err);
        if (status != DG_OK) {
            cli_usage_error(command, "--schedule %s: %s", arg, err.message);
            return CLI_OPTION_USAGE;
        }
    } else {
        char path[PATH_MAX];
        const char *name;
        if (dg_spec_split(arg + strlen("h5:"), ":/", path, sizeof path, &name) != DG_OK) {
            cli_usage_error(command, "--schedule %s: expected h5:FILE[:/dataset]", arg);
            return -1;
        }
        size_t rank, shape[DG_H5_RANK_MAX];
        double *v = NULL;
        status = cli_read_array(path, name ? name : "/sigmas", &rank, shape, &v, &err);
        if (status == DG_OK && rank != 1)
            status = dg_error_set(&err, DG_EFORMAT, "%s: the σ grid must be a vector", path);
        if (status == DG_OK)
            status = dg_schedule_check(v, shape[0], &err);
        if (status != DG_OK) {
            dg_doubles_free(v);
            cli_error("--schedule %s: %s", arg, err.message);
            return CLI_OPTION_FAILED;
        }
        grid->list = malloc(shape[0] * sizeof *grid->list);
        if (grid->list)
            memcpy(grid->list, v, shape[0] * sizeof *v);
        grid->nlist = grid->list ? shape[0] : 0;
        dg_doubles_free(v);
    }
    /* The grid's own ends: a final 0 is the --final-zero convention. */
    const size_t n = grid->nlist;
    const int ends_in_zero = grid->list[n - 1] == 0;
    grid->final_zero |= ends_in_zero;
    grid->steps = n - (size_t)ends_in_zero;
    grid->sigma_max = grid->list[0];
    grid->sigma_min = grid->list[grid->steps - 1];
    grid->schedule = NULL;
    grid->name = arg;
    return 1;
}

int cli_grid_option(const char *command, cli_grid *grid, int opt, const char *arg)
{
    switch (opt) {
    case OPT_SCHEDULE:
        if (strncmp(arg, "list:", 5) == 0 || strncmp(arg, "h5:", 3) == 0)
            return grid_from_spec(command, grid, arg);
        cli_grid_free(grid);
        grid->schedule = dg_schedule_find(arg);
        grid->name = arg;
        if (!grid->schedule) {
            char names[CLI_NAMES_MAX];
            cli_usage_error(command, "unknown schedule '%s' (%s, list:…, h5:…)", arg,
                            cli_schedule_names(names, sizeof names, NULL));
            return -1;
        }
        return 1;
    case OPT_STEPS:
        grid->set_steps = true;
        return cli_parse_size(command, "steps", arg, &grid->steps) == 0 ? 1 : -1;
    case OPT_SIGMA_MIN:
        grid->set_sigma_min = true;
        return cli_parse_double(command, "sigma-min", arg, &grid->sigma_min) == 0 ? 1 : -1;
    case OPT_SIGMA_MAX:
        grid->set_sigma_max = true;
        return cli_parse_double(command, "sigma-max", arg, &grid->sigma_max) == 0 ? 1 : -1;
    case OPT_RHO:
        if (cli_parse_double(command, "rho", arg, &grid->rho) != 0)
            return -1;
        if (!(grid->rho > 0)) {
            cli_usage_error(command, "--rho %s: must be positive", arg);
            return -1;
        }
        return 1;
    case OPT_FINAL_ZERO:
        grid->final_zero = true;
        return 1;
    default:
        return 0;
    }
}

size_t cli_grid_size(const cli_grid *grid)
{
    return grid->steps + (grid->final_zero ? 1 : 0);
}

int cli_grid_make(const char *command, const cli_grid *grid, double *sigmas)
{
    if (grid->list) {
        if (grid->set_steps || grid->set_sigma_min || grid->set_sigma_max)
            return cli_usage_error(command,
                                   "--schedule %s gives the grid: drop --steps, "
                                   "--sigma-min and --sigma-max",
                                   grid->name);
        memcpy(sigmas, grid->list, grid->steps * sizeof *sigmas);
        if (grid->final_zero)
            sigmas[grid->steps] = 0.0;
        return EXIT_OK;
    }
    if (grid->steps < 2)
        return cli_usage_error(command, "--steps %zu: a grid needs at least 2 timestamps",
                               grid->steps);
    if (grid->steps > CLI_STEPS_MAX)
        return cli_usage_error(command, "--steps %zu: at most %d timestamps", grid->steps,
                               CLI_STEPS_MAX);
    if (!(grid->sigma_min > 0))
        return cli_usage_error(command, "--sigma-min %g: must be positive", grid->sigma_min);
    if (!(grid->sigma_min < grid->sigma_max))
        return cli_usage_error(command, "--sigma-min %g must be below --sigma-max %g",
                               grid->sigma_min, grid->sigma_max);
    dg_error err;
    if (dg_schedule_make(grid->schedule, grid->sigma_min, grid->sigma_max, grid->rho, grid->steps,
                         sigmas, &err) != DG_OK)
        return cli_usage_error(command, "%s", err.message);
    if (grid->final_zero)
        sigmas[grid->steps] = 0.0;
    return EXIT_OK;
}

/* ------------------------------------------------------------------------ */
/* Command line                                                             */
/* ------------------------------------------------------------------------ */

char *cli_command_line(int argc, char **argv)
{
    size_t len = 1;
    for (int k = 0; k < argc; k++)
        len += strlen(argv[k]) + 3;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    for (int k = 0; k < argc; k++) {
        const bool quote = argv[k][0] == '\0' || strpbrk(argv[k], " \t'\"$") != NULL;
        const char *arg = k == 0 ? "diffgeo" : argv[k]; /* not the libtool wrapper path */
        p +=
            sprintf(p, "%s%s%s%s", k ? " " : "", quote && k ? "'" : "", arg, quote && k ? "'" : "");
    }
    *p = '\0';
    return s;
}

int cli_check_arrays(const dg_h5_array *arrays, size_t count)
{
    for (size_t a = 0; a < count; a++) {
        size_t len = 1, at;
        for (size_t k = 0; k < arrays[a].rank; k++)
            len *= arrays[a].shape[k];
        if (arrays[a].data && !dg_all_finite(arrays[a].data, len, &at)) {
            cli_error("%s holds %s at element %zu (the computation overflowed): nothing written",
                      arrays[a].name, isnan(arrays[a].data[at]) ? "NaN" : "Inf", at);
            return EXIT_FAILED;
        }
    }
    return EXIT_OK;
}
