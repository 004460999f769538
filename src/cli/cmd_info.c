/* diffgeo info: summarise an HDF5 file (run files first of all). */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "info";

static void help(void)
{
    printf("Usage: diffgeo info FILE.h5\n"
           "       diffgeo info --data SPEC\n"
           "Print the attributes of the file and of its /config group (run files\n"
           "of sample and interpolate), and every group and dataset with its type\n"
           "and shape.  With --data, what a data spec gives: its rows, dimension and\n"
           "image shape with the range and mean of the first columns, or a mixture's\n"
           "components and dimension.  Control characters in names and values are\n"
           "shown as \\xNN (and a backslash as \\\\), so a file cannot send escape\n"
           "sequences to the terminal.\n"
           "\n"
           "  -d, --data SPEC   a data spec, as for 'diffgeo sample' (see its --help)\n"
           "  -h, --help        show this help\n"
           "\n"
           "Example:\n"
           "  diffgeo info --data synthetic:swissroll,d=3,n=500\n");
}

/*
 * Text from the file as it can go to a terminal: control characters
 * (escape sequences, carriage returns, newlines) and DEL as \xNN, a
 * backslash as \\; other bytes, UTF-8 among them, as they are.  At least
 * width columns (padded with blanks).
 */
static void print_escaped(const char *text, int width)
{
    int used = 0;
    for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            used += printf("\\x%02x", *p);
        else if (*p == '\\')
            used += printf("\\\\");
        else
            used += putchar(*p) != EOF;
    }
    printf("%*s", width > used ? width - used : 0, "");
}

static void print_attr(void *ctx, const char *name, const char *value)
{
    (void)ctx;
    printf("  ");
    print_escaped(name, 16);
    printf(" ");
    print_escaped(value, 0);
    printf("\n");
}

static void ignore_attr(void *ctx, const char *name, const char *value)
{
    (void)ctx;
    (void)name;
    (void)value;
}

/* A dataset's shape as text, "2 × 3 × 4": DG_H5_RANK_MAX numbers of up to 20
 * digits with their separators fit. */
enum { SHAPE_TEXT_SIZE = 256 };

static void print_entry(void *ctx, const dg_h5_entry *e)
{
    (void)ctx;
    printf("  ");
    print_escaped(e->path, 34);
    if (e->is_group) {
        printf(" group\n");
        return;
    }
    char shape[SHAPE_TEXT_SIZE] = "";
    size_t used = 0;
    for (size_t k = 0; k < e->rank && used < sizeof shape; k++)
        used += (size_t)snprintf(shape + used, sizeof shape - used, "%s%zu", k ? " × " : "",
                                 e->shape[k]);
    printf(" %-8s [%s]\n", e->type, e->rank ? shape : "scalar");
}

/* Prints the summary of the file at path (ctx); a dg_h5_reader. */
static int show(void *ctx, dg_error *err)
{
    const char *path = ctx;
    print_escaped(path, 0);
    printf("\n");
    int status = dg_h5_walk_attrs(path, "/", print_attr, NULL, err);
    if (status != DG_OK)
        return status;
    /* Run files keep their settings in /config; the outputs of gits and
     * meanshift keep theirs with the root's attributes above. */
    if (dg_h5_walk_attrs(path, "/config", ignore_attr, NULL, NULL) == DG_OK) {
        printf("/config\n");
        dg_h5_walk_attrs(path, "/config", print_attr, NULL, NULL);
    }
    printf("contents\n");
    return dg_h5_walk(path, print_entry, NULL, err);
}

/* The columns of a dataset whose range and mean --data prints. */
#define INFO_COLUMNS 8

/* The summary of the rows of a spec: sizes, then per column min, mean, max. */
static void show_rows(const dg_dataset *d)
{
    printf("  kind             rows\n"
           "  rows             %zu\n"
           "  dim              %zu\n",
           d->n, d->dim);
    if (d->image_rank == 2)
        printf("  image_shape      [%zu, %zu]\n", d->image_shape[0], d->image_shape[1]);
    else if (d->image_rank == 3)
        printf("  image_shape      [%zu, %zu, %zu]\n", d->image_shape[0], d->image_shape[1],
               d->image_shape[2]);
    const size_t columns = d->dim < INFO_COLUMNS ? d->dim : INFO_COLUMNS;
    if (columns < d->dim)
        printf("columns (the first %d)\n", INFO_COLUMNS);
    else
        printf("columns\n");
    printf("  # column  min  mean  max\n");
    for (size_t j = 0; j < columns; j++) {
        double lo = INFINITY, hi = -INFINITY;
        long double sum = 0;
        for (size_t i = 0; i < d->n; i++) {
            const double v = d->x[i * d->dim + j];
            lo = v < lo ? v : lo;
            hi = v > hi ? v : hi;
            sum += v;
        }
        printf("  %zu  %.6g  %.6g  %.6g\n", j, lo, (double)(sum / (long double)d->n), hi);
    }
}

/* diffgeo info --data SPEC: what the spec gives, rows or a mixture.  An exit code. */
static int show_spec(const char *spec)
{
    const dg_data_options opt = {.isolate_hdf5 = true};
    dg_dataset *rows = NULL;
    dg_gmm *mixture = NULL;
    dg_error err;
    if (dg_source_load(spec, &opt, &rows, &mixture, &err) != DG_OK)
        return cli_fail_spec(&err);
    printf("%s\n", spec);
    if (rows)
        show_rows(rows);
    else
        printf("  kind             mixture\n"
               "  components       %zu\n"
               "  dim              %zu\n",
               dg_gmm_components(mixture), dg_gmm_dim(mixture));
    dg_dataset_free(rows);
    dg_gmm_free(mixture);
    return EXIT_OK;
}

/* --data: a cli_parser option. */
static int info_option(void *ctx, int opt, const char *arg)
{
    if (opt != 'd')
        return CLI_OPTION_SHARED;
    *(const char **)ctx = arg;
    return EXIT_OK;
}

int cmd_info(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'},
                                             {"data", required_argument, NULL, 'd'},
                                             {NULL, 0, NULL, 0}};
    const char *spec = NULL;
    const cli_parser p = {.command = COMMAND,
                          .shortopts = ":d:h",
                          .longopts = longopts,
                          .help = help,
                          .option = info_option,
                          .ctx = &spec,
                          .operands = true};
    int first;
    int rc = cli_parse_options(&p, argc, argv, &first);
    if (rc != EXIT_OK || first < 0)
        return rc;
    if (spec)
        return first < argc ? cli_usage_error(COMMAND, "a file or --data SPEC, not both")
                            : show_spec(spec);
    if (argc - first != 1)
        return cli_usage_error(COMMAND, "expected one file");
    dg_error err;
    /* info is how one looks into an unknown file: a child process goes
     * through it first (its output discarded), so that a malformed file
     * gives an error before anything is printed, and a crash inside libhdf5
     * is an error too. */
    fflush(stdout);
    if (dg_h5_isolated_metadata(argv[first], show, argv[first], &err) != DG_OK)
        return cli_fail(&err);
    return EXIT_OK;
}
