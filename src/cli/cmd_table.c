/* diffgeo table: print a dataset as whitespace columns for gnuplot. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "table";

static void help(void)
{
    printf("Usage: diffgeo table FILE.h5 PATH [OPTION]...\n"
           "Print the dataset PATH of FILE.h5 as whitespace-separated columns with a\n"
           "'# name ...' header line, ready for gnuplot.  Values are printed with 17\n"
           "significant digits, so nothing is lost.\n"
           "\n"
           "  -s, --slice I[,J...]  fix the leading indices (negative counts from the\n"
           "                        end: -1 is the last), e.g. --slice 3,0 is\n"
           "                        /trajectory[3][0]; at most 2 axes may remain\n"
           "  -r, --reduce          one line per row: index, mean, std, min, max over\n"
           "                        the row (e.g. over the samples of a metric)\n"
           "      --sigma           add a sigma column, /sigmas[index] of the same file\n"
           "  -i, --image           print a 1-D row as an image matrix (height rows of\n"
           "                        width values) using /config's image_shape, for\n"
           "                        gnuplot's 'matrix with image'\n"
           "  -h, --help            show this help\n"
           "\n"
           "Examples:\n"
           "  diffgeo table run.h5 /sigmas\n"
           "  diffgeo table run.h5 /metrics/deviation --reduce --sigma\n"
           "  diffgeo table run.h5 /trajectory --slice 0,3 --image\n");
}

typedef struct table_options {
    long slice[DG_H5_RANK_MAX];
    size_t nslice;
    bool reduce, sigma, image;
} table_options;

static int parse_slice(const char *text, table_options *o)
{
    const char *p = text;
    o->nslice = 0;
    while (*p) {
        char *end;
        errno = 0;
        long v = strtol(p, &end, 10);
        if (end == p || errno || (*end && *end != ',') || o->nslice == DG_H5_RANK_MAX)
            return cli_usage_error(COMMAND, "--slice '%s': expected integers separated by commas",
                                   text);
        o->slice[o->nslice++] = v;
        p = *end ? end + 1 : end;
    }
    return o->nslice ? EXIT_OK : cli_usage_error(COMMAND, "--slice needs at least one index");
}

/* stdout went to a reader that stopped early (gnuplot, head): not an error. */
static int finish_output(void)
{
    if (fflush(stdout) != 0 || ferror(stdout)) {
        if (errno == EPIPE)
            return EXIT_OK;
        cli_error("cannot write output: %s", strerror(errno));
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

static void print_row_stats(const double *row, size_t m)
{
    double mean = 0, lo = INFINITY, hi = -INFINITY, ss = 0;
    for (size_t j = 0; j < m; j++) {
        mean += row[j];
        lo = fmin(lo, row[j]);
        hi = fmax(hi, row[j]);
    }
    mean /= (double)m;
    for (size_t j = 0; j < m; j++)
        ss += (row[j] - mean) * (row[j] - mean);
    printf(" %.17g %.17g %.17g %.17g\n", mean, sqrt(ss / (double)m), lo, hi);
}

/* Prints rows × cols values (cols = 1 for a vector). */
static void print_rows(const double *x, size_t rows, size_t cols, bool vector,
                       const table_options *o, const double *sigmas)
{
    printf("# index%s", o->sigma ? " sigma" : "");
    if (o->reduce)
        printf(" mean std min max\n");
    else if (vector)
        printf(" value\n");
    else {
        for (size_t j = 0; j < cols; j++)
            printf(" c%zu", j);
        printf("\n");
    }
    for (size_t i = 0; i < rows; i++) {
        printf("%zu", i);
        if (o->sigma)
            printf(" %.17g", sigmas[i]);
        if (o->reduce) {
            print_row_stats(x + i * cols, cols);
            continue;
        }
        for (size_t j = 0; j < cols; j++)
            printf(" %.17g", x[i * cols + j]);
        printf("\n");
    }
}

/* The image shape attribute of a run file, as a dg_h5_reader. */
typedef struct image_shape {
    const char *path;
    long shape[DG_H5_RANK_MAX];
    size_t count;
} image_shape;

static int read_image_shape(void *ctx, dg_error *err)
{
    image_shape *s = ctx;
    return dg_h5_read_attr_ints(s->path, "/config", "image_shape", s->shape, DG_H5_RANK_MAX,
                                &s->count, err);
}

static int print_image(const char *path, const double *x, size_t len)
{
    image_shape s = {.path = path};
    dg_error err;
    if (dg_h5_isolated(path, read_image_shape, &s, &err) != DG_OK)
        return cli_fail(&err);
    const long *shape = s.shape;
    const size_t count = s.count;
    if (count < 2 || shape[0] <= 0 || shape[1] <= 0 || (size_t)(shape[0] * shape[1]) != len) {
        cli_error("%s: image_shape does not match a row of %zu values (grey images only)", path,
                  len);
        return EXIT_FAILED;
    }
    printf("# image %ld × %ld\n", shape[0], shape[1]);
    for (long r = 0; r < shape[0]; r++)
        for (long c = 0; c < shape[1]; c++)
            printf("%.17g%c", x[r * shape[1] + c], c + 1 == shape[1] ? '\n' : ' ');
    return EXIT_OK;
}

enum { OPT_SIGMA = 3000 };

/* table's options; a cli_parser option. */
static int table_option(void *ctx, int opt, const char *arg)
{
    table_options *o = ctx;
    switch (opt) {
    case 's':
        return parse_slice(arg, o) == EXIT_OK ? EXIT_OK : EXIT_USAGE;
    case 'r':
        o->reduce = true;
        return EXIT_OK;
    case OPT_SIGMA:
        o->sigma = true;
        return EXIT_OK;
    case 'i':
        o->image = true;
        return EXIT_OK;
    default:
        return CLI_OPTION_SHARED;
    }
}

/* The options of o; *first is the first operand, −1 after --help.  An exit code. */
static int parse(int argc, char **argv, table_options *o, int *first)
{
    static const struct option longopts[] = {
        {"slice", required_argument, NULL, 's'}, {"reduce", no_argument, NULL, 'r'},
        {"sigma", no_argument, NULL, OPT_SIGMA}, {"image", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    const cli_parser p = {.command = COMMAND,
                          .shortopts = ":s:rih",
                          .longopts = longopts,
                          .help = help,
                          .option = table_option,
                          .ctx = o,
                          .operands = true};
    const int rc = cli_parse_options(&p, argc, argv, first);
    if (rc != EXIT_OK || *first < 0)
        return rc;
    if (argc - *first != 2)
        return cli_usage_error(COMMAND, "expected FILE.h5 and a dataset PATH");
    return EXIT_OK;
}

/* The part of an array that --slice leaves: an offset and at most 2 axes. */
typedef struct table_view {
    size_t offset;     /* into the array's values */
    size_t left;       /* axes left after the slice */
    size_t rows, cols; /* their lengths (1 for an axis not there) */
} table_view;

/* Applies the slice of o to an array of rank and shape; an exit code. */
static int slice_view(const table_options *o, const char *name, size_t rank, const size_t *shape,
                      table_view *v)
{
    if (o->nslice > rank)
        return cli_usage_error(COMMAND, "--slice gives %zu indices, %s has rank %zu", o->nslice,
                               name, rank);
    size_t offset = 0, stride = 1;
    for (size_t k = o->nslice; k < rank; k++)
        stride *= shape[k];
    for (size_t k = o->nslice; k-- > 0;) {
        const long i = o->slice[k] < 0 ? (long)shape[k] + o->slice[k] : o->slice[k];
        if (i < 0 || (size_t)i >= shape[k])
            return cli_usage_error(COMMAND, "--slice index %ld is outside axis %zu of length %zu",
                                   o->slice[k], k, shape[k]);
        offset += (size_t)i * stride;
        stride *= shape[k];
    }
    v->offset = offset;
    v->left = rank - o->nslice;
    v->rows = v->left >= 1 ? shape[o->nslice] : 1;
    v->cols = v->left == 2 ? shape[o->nslice + 1] : 1;
    if (v->left > 2)
        return cli_usage_error(COMMAND, "%s has rank %zu: fix leading axes with --slice", name,
                               rank);
    return EXIT_OK;
}

/* Prints the view of x (from path's dataset name) as o asks; an exit code. */
static int print_view(const table_options *o, const char *path, const char *name, const double *x,
                      const table_view *v)
{
    if (o->image)
        return v->left == 1
                   ? print_image(path, x + v->offset, v->rows)
                   : cli_usage_error(COMMAND, "--image needs a single row: slice down to one axis");
    if (o->reduce && v->left != 2)
        return cli_usage_error(COMMAND, "--reduce needs two axes (rows to reduce), %zu remain",
                               v->left);
    double *sigmas = NULL;
    if (o->sigma) {
        size_t srank, sshape[DG_H5_RANK_MAX];
        dg_error err;
        if (cli_read_array(path, "/sigmas", &srank, sshape, &sigmas, &err) != DG_OK)
            return cli_fail(&err);
        if (srank != 1 || sshape[0] < v->rows) {
            cli_error("%s: /sigmas has fewer entries than %s has rows", path, name);
            dg_doubles_free(sigmas);
            return EXIT_FAILED;
        }
    }
    print_rows(x + v->offset, v->rows, v->cols, v->left < 2, o, sigmas);
    dg_doubles_free(sigmas);
    return EXIT_OK;
}

int cmd_table(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    table_options o = {.nslice = 0};
    int first;
    int rc = parse(argc, argv, &o, &first);
    if (rc != EXIT_OK || first < 0)
        return rc;
    const char *path = argv[first], *name = argv[first + 1];
    signal(SIGPIPE, SIG_IGN);
    size_t rank, shape[DG_H5_RANK_MAX];
    double *x = NULL;
    dg_error err;
    if (cli_read_array(path, name, &rank, shape, &x, &err) != DG_OK)
        return cli_fail(&err);
    table_view v = {0};
    rc = slice_view(&o, name, rank, shape, &v);
    if (rc == EXIT_OK)
        rc = print_view(&o, path, name, x, &v);
    dg_doubles_free(x);
    return rc == EXIT_OK ? finish_output() : rc;
}
