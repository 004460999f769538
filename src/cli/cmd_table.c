/* diffgeo table: print a dataset as whitespace columns for gnuplot. */
#include "config.h"

#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
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
           "'# name ...' header line, ready for gnuplot.  Floats are printed with 17\n"
           "significant digits (--digits), so nothing is lost; integer datasets are\n"
           "read and printed exactly (int64 and uint64 too).\n"
           "\n"
           "  -s, --slice I[,J...]  fix the leading indices (negative counts from the\n"
           "                        end: -1 is the last), e.g. --slice 3,0 is\n"
           "                        /trajectory[3][0]; at most 2 axes may remain (3\n"
           "                        with --long)\n"
           "  -l, --long            long format for lines: an array [step][trajectory]\n"
           "                        [coordinate] (e.g. /trajectory, /path) gives one line\n"
           "                        'step trajectory c0 c1 ...' per step, trajectory by\n"
           "                        trajectory, with a blank line between trajectories:\n"
           "                        one gnuplot 'plot ... with lines' draws them all\n"
           "  -r, --reduce          one line per row: index, mean, std, min, max over\n"
           "                        the row's values that are not NaN, and nan, the\n"
           "                        number of NaN (a row of only NaN: NaN statistics)\n"
           "      --sigma           add a sigma column, /sigmas[index] of the same file;\n"
           "                        only for arrays whose row axis is the σ grid (axis\n"
           "                        label grid or eval, as in /trajectory, /metrics/...)\n"
           "  -c, --coords          print coordinates in place of indices: the index\n"
           "                        column of an axis labelled L holds /grid/L[index]\n"
           "                        of the same file (a field's sigma, v and u, in\n"
           "                        data units); every index column printed needs\n"
           "                        such an axis.  E.g. /field/logp --slice 0 --long\n"
           "                        gives lines 'v u value': gnuplot 'splot ... using\n"
           "                        2:1:3 with pm3d' or 'plot ... using 2:1:3 with image'\n"
           "      --digits N        significant digits of floats, 1 to 17 [17]\n"
           "  -i, --image           print a 1-D row as an image matrix (height rows of\n"
           "                        width values) using /config's image_shape, for\n"
           "                        gnuplot's 'matrix with image'\n"
           "  -h, --help            show this help\n"
           "\n"
           "Examples:\n"
           "  diffgeo table run.h5 /sigmas\n"
           "  diffgeo table run.h5 /metrics/deviation --reduce --sigma\n"
           "  diffgeo table run.h5 /trajectory --slice 0,3 --image\n"
           "  diffgeo table run.h5 /trajectory --long --digits 6 > lines.txt\n"
           "    gnuplot: plot 'lines.txt' using 3:4 with lines   (every trajectory, 2-D)\n"
           "  diffgeo table field.h5 /field/score --slice 1 --long --coords\n"
           "    (lines 'v u score_u score_v' at the grid's coordinates)\n");
}

/* Significant digits of floats: 17 round-trip any double. */
#define DIGITS_MAX 17

typedef struct table_options {
    long slice[DG_H5_RANK_MAX];
    size_t nslice;
    bool reduce, sigma, image, longform;
    bool coords; /* --coords: /grid/LABEL in place of the index columns */
    int digits;
} table_options;

/* The values of the array: floats, or integers read exactly. */
typedef struct table_values {
    const double *x;   /* floats, or NULL */
    const int64_t *s;  /* signed integers, or NULL */
    const uint64_t *u; /* unsigned integers, or NULL */
    int digits;        /* of floats */
} table_values;

/* Value k as a double (for statistics). */
static double value_at(const table_values *v, size_t k)
{
    return v->x ? v->x[k] : v->s ? (double)v->s[k] : (double)v->u[k];
}

/* Prints value k: floats with v->digits significant digits, integers exactly. */
static void put_value(const table_values *v, size_t k)
{
    if (v->x)
        printf("%.*g", v->digits, v->x[k]);
    else if (v->s)
        printf("%" PRId64, v->s[k]);
    else
        printf("%" PRIu64, v->u[k]);
}

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

/* Mean, std, min, max over the m values of a row from `first` that are not
 * NaN, and their number of NaN. */
static void print_row_stats(const table_values *v, size_t first, size_t m)
{
    double mean = 0, lo = INFINITY, hi = -INFINITY, ss = 0;
    size_t nan = 0;
    for (size_t j = 0; j < m; j++) {
        const double x = value_at(v, first + j);
        if (isnan(x)) {
            nan++;
            continue;
        }
        mean += x;
        lo = fmin(lo, x);
        hi = fmax(hi, x);
    }
    const size_t count = m - nan;
    mean /= (double)count;
    for (size_t j = 0; j < m; j++) {
        const double x = value_at(v, first + j);
        if (!isnan(x))
            ss += (x - mean) * (x - mean);
    }
    if (count == 0)
        mean = ss = lo = hi = NAN; /* NAN, not 0/0: it prints as nan, not -nan */
    printf(" %.*g %.*g %.*g %.*g %zu\n", v->digits, mean, v->digits, sqrt(ss / (double)count),
           v->digits, lo, v->digits, hi, nan);
}

/* An index column: index i, or its coordinate coord[i] (--coords). */
static void put_index(size_t i, const double *coord, int digits)
{
    if (coord)
        printf("%.*g", digits, coord[i]);
    else
        printf("%zu", i);
}

/* Prints rows × cols values from offset (cols = 1 for a vector); the first
 * column is the row index, or its coordinate in coord (named name). */
static void print_rows(const table_values *v, size_t offset, size_t rows, size_t cols, bool vector,
                       const table_options *o, const double *sigmas, const double *coord,
                       const char *name)
{
    printf("# %s%s", coord ? name : "index", o->sigma ? " sigma" : "");
    if (o->reduce)
        printf(" mean std min max nan\n");
    else if (vector)
        printf(" value\n");
    else {
        for (size_t j = 0; j < cols; j++)
            printf(" c%zu", j);
        printf("\n");
    }
    for (size_t i = 0; i < rows; i++) {
        put_index(i, coord, o->digits);
        if (o->sigma)
            printf(" %.*g", o->digits, sigmas[i]);
        if (o->reduce) {
            print_row_stats(v, offset + i * cols, cols);
            continue;
        }
        for (size_t j = 0; j < cols; j++) {
            putchar(' ');
            put_value(v, offset + i * cols + j);
        }
        printf("\n");
    }
}

/*
 * The long format of rows × cols × inner values from offset: for each
 * column j (a trajectory) the lines "i [sigma] j values..." over the rows i
 * (its steps), a blank line between columns.  first and second name the two
 * index columns; coord[0] and coord[1], when not NULL, hold their coordinates
 * (--coords), printed in place of i and j.
 */
static void print_long(const table_values *v, size_t offset, size_t rows, size_t cols, size_t inner,
                       const table_options *o, const double *sigmas, const char *first,
                       const char *second, double *const coord[2])
{
    printf("# %s%s %s", first, o->sigma ? " sigma" : "", second);
    if (inner == 1)
        printf(" value");
    else
        for (size_t c = 0; c < inner; c++)
            printf(" c%zu", c);
    printf("\n");
    for (size_t j = 0; j < cols; j++) {
        if (j > 0)
            printf("\n");
        for (size_t i = 0; i < rows; i++) {
            put_index(i, coord[0], o->digits);
            if (o->sigma)
                printf(" %.*g", o->digits, sigmas[i]);
            putchar(' ');
            put_index(j, coord[1], o->digits);
            for (size_t c = 0; c < inner; c++) {
                putchar(' ');
                put_value(v, offset + (i * cols + j) * inner + c);
            }
            printf("\n");
        }
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

static int print_image(const char *path, const table_values *v, size_t offset, size_t len)
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
        for (long c = 0; c < shape[1]; c++) {
            put_value(v, offset + (size_t)(r * shape[1] + c));
            putchar(c + 1 == shape[1] ? '\n' : ' ');
        }
    return EXIT_OK;
}

enum { OPT_SIGMA = 3000, OPT_DIGITS };

/* table's options; a cli_parser option. */
static int table_option(void *ctx, int opt, const char *arg)
{
    table_options *o = ctx;
    size_t digits;
    switch (opt) {
    case 's':
        return parse_slice(arg, o) == EXIT_OK ? EXIT_OK : EXIT_USAGE;
    case 'r':
        o->reduce = true;
        return EXIT_OK;
    case 'l':
        o->longform = true;
        return EXIT_OK;
    case OPT_SIGMA:
        o->sigma = true;
        return EXIT_OK;
    case OPT_DIGITS:
        if (cli_parse_size(COMMAND, "digits", arg, &digits) != 0)
            return EXIT_USAGE;
        if (digits < 1 || digits > DIGITS_MAX)
            return cli_usage_error(COMMAND, "--digits %s: expected 1 to %d", arg, DIGITS_MAX);
        o->digits = (int)digits;
        return EXIT_OK;
    case 'i':
        o->image = true;
        return EXIT_OK;
    case 'c':
        o->coords = true;
        return EXIT_OK;
    default:
        return CLI_OPTION_SHARED;
    }
}

/* The options of o; *first is the first operand, −1 after --help.  An exit code. */
static int parse(int argc, char **argv, table_options *o, int *first)
{
    static const struct option longopts[] = {{"slice", required_argument, NULL, 's'},
                                             {"reduce", no_argument, NULL, 'r'},
                                             {"long", no_argument, NULL, 'l'},
                                             {"sigma", no_argument, NULL, OPT_SIGMA},
                                             {"digits", required_argument, NULL, OPT_DIGITS},
                                             {"image", no_argument, NULL, 'i'},
                                             {"coords", no_argument, NULL, 'c'},
                                             {"help", no_argument, NULL, 'h'},
                                             {NULL, 0, NULL, 0}};
    const cli_parser p = {.command = COMMAND,
                          .shortopts = ":s:rlich",
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
    if (o->longform + o->reduce + o->image > 1)
        return cli_usage_error(COMMAND, "--long, --reduce and --image exclude each other");
    if (o->coords && o->image)
        return cli_usage_error(COMMAND, "--coords and --image exclude each other (an image has "
                                        "no index columns)");
    return EXIT_OK;
}

/* The part of an array that --slice leaves: an offset and at most 3 axes. */
typedef struct table_view {
    size_t offset;            /* into the array's values */
    size_t left;              /* axes left after the slice */
    size_t rows, cols, inner; /* their lengths (1 for an axis not there) */
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
    v->cols = v->left >= 2 ? shape[o->nslice + 1] : 1;
    v->inner = v->left == 3 ? shape[o->nslice + 2] : 1;
    if (v->left > (o->longform ? 3u : 2u))
        return cli_usage_error(COMMAND, "%s has rank %zu: fix leading axes with --slice", name,
                               rank);
    if (o->longform && v->left < 2)
        return cli_usage_error(COMMAND,
                               "--long needs two or three axes (steps, trajectories[, "
                               "coordinates]), %zu remain",
                               v->left);
    return EXIT_OK;
}

/* The array PATH of a file as table reads it: its description and values. */
typedef struct table_array {
    const char *path, *name;
    dg_h5_array_info info;
    double *x;           /* floats */
    dg_h5_integers ints; /* integers */
} table_array;

/* Reads the array, integers exactly; a dg_h5_reader. */
static int read_table_array(void *ctx, dg_error *err)
{
    table_array *a = ctx;
    int status = dg_h5_describe_array(a->path, a->name, &a->info, err);
    if (status != DG_OK)
        return status;
    if (a->info.kind != DG_H5_FLOAT)
        return dg_h5_read_integers(a->path, a->name, &a->ints, err);
    size_t rank, shape[DG_H5_RANK_MAX];
    return dg_h5_read_array(a->path, a->name, &rank, shape, &a->x, err);
}

/*
 * /sigmas, for --sigma: only beside an array whose row axis (the first left
 * by --slice) is the σ grid, labelled grid (T + 1 points) or eval (T
 * evaluations, evaluation i at σ_i).  An exit code; *sigmas owned.
 */
static int read_sigmas(const table_options *o, const table_array *a, const table_view *v,
                       double **sigmas)
{
    const char *label = a->info.labels[o->nslice];
    if (!*label) {
        cli_error("--sigma: axis %zu of %s has no label: not known to be the σ grid (grid or eval)",
                  o->nslice, a->name);
        return EXIT_FAILED;
    }
    if (strcmp(label, "grid") != 0 && strcmp(label, "eval") != 0) {
        cli_error("--sigma: axis %zu of %s is '%s', not the σ grid (grid or eval)", o->nslice,
                  a->name, label);
        return EXIT_FAILED;
    }
    size_t srank, sshape[DG_H5_RANK_MAX];
    dg_error err;
    if (cli_read_array(a->path, "/sigmas", &srank, sshape, sigmas, &err) != DG_OK)
        return cli_fail(&err);
    if (srank != 1 || sshape[0] < v->rows) {
        cli_error("%s: /sigmas has fewer entries than %s has rows", a->path, a->name);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/*
 * --coords: the coordinates of axis `axis` of the array, /grid/LABEL of the
 * same file (1-D, as long as the axis).  An exit code; *coord owned.
 */
static int read_coords(const table_array *a, size_t axis, double **coord)
{
    const char *label = a->info.labels[axis];
    const size_t length = a->info.shape[axis];
    if (!*label || strchr(label, '/')) {
        cli_error("--coords: axis %zu of %s has no label, so no /grid/LABEL coordinates", axis,
                  a->name);
        return EXIT_FAILED;
    }
    char name[DG_H5_LABEL_MAX + 8];
    snprintf(name, sizeof name, "/grid/%s", label);
    size_t rank, shape[DG_H5_RANK_MAX];
    dg_error err;
    if (cli_read_array(a->path, name, &rank, shape, coord, &err) != DG_OK) {
        cli_error("--coords: no coordinates for axis %zu (%s) of %s: %s", axis, label, a->name,
                  err.message);
        return EXIT_FAILED;
    }
    if (rank != 1 || shape[0] != length) {
        cli_error("--coords: %s of %s is not a list of %zu coordinates for axis %zu of %s", name,
                  a->path, length, axis, a->name);
        return EXIT_FAILED;
    }
    return EXIT_OK;
}

/* A column name from an axis label, or def for an unlabelled axis. */
static const char *column_name(const char *label, const char *def)
{
    return *label ? label : def;
}

/* Prints the view of the array as o asks; an exit code. */
static int print_view(const table_options *o, const table_array *a, const table_view *v)
{
    const table_values values = {a->x, a->ints.s, a->ints.u, o->digits};
    if (o->image)
        return v->left == 1
                   ? print_image(a->path, &values, v->offset, v->rows)
                   : cli_usage_error(COMMAND, "--image needs a single row: slice down to one axis");
    if (o->reduce && v->left != 2)
        return cli_usage_error(COMMAND, "--reduce needs two axes (rows to reduce), %zu remain",
                               v->left);
    if (o->reduce && v->cols == 0) {
        cli_error("--reduce: the rows of %s are empty (axis %zu has length 0)", a->name,
                  o->nslice + 1);
        return EXIT_FAILED;
    }
    double *sigmas = NULL, *coord[2] = {NULL, NULL};
    int rc = o->sigma ? read_sigmas(o, a, v, &sigmas) : EXIT_OK;
    /* The index columns: the row axis, and with --long the trajectory axis. */
    for (size_t k = 0; o->coords && rc == EXIT_OK && k < (o->longform ? 2u : 1u); k++)
        if (v->left > k)
            rc = read_coords(a, o->nslice + k, &coord[k]);
    if (rc == EXIT_OK && o->longform)
        print_long(&values, v->offset, v->rows, v->cols, v->inner, o, sigmas,
                   column_name(a->info.labels[o->nslice], "step"),
                   column_name(a->info.labels[o->nslice + 1], "trajectory"), coord);
    else if (rc == EXIT_OK)
        print_rows(&values, v->offset, v->rows, v->cols, v->left < 2, o, sigmas, coord[0],
                   column_name(a->info.labels[o->nslice], "index"));
    dg_doubles_free(sigmas);
    dg_doubles_free(coord[0]);
    dg_doubles_free(coord[1]);
    return rc;
}

int cmd_table(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    table_options o = {.nslice = 0, .digits = DIGITS_MAX};
    int first;
    int rc = parse(argc, argv, &o, &first);
    if (rc != EXIT_OK || first < 0)
        return rc;
    table_array a = {.path = argv[first], .name = argv[first + 1]};
    signal(SIGPIPE, SIG_IGN);
    dg_error err;
    if (dg_h5_isolated(a.path, read_table_array, &a, &err) != DG_OK)
        return cli_fail(&err);
    table_view v = {0};
    rc = slice_view(&o, a.name, a.info.rank, a.info.shape, &v);
    if (rc == EXIT_OK)
        rc = print_view(&o, &a, &v);
    dg_doubles_free(a.x);
    dg_h5_integers_free(&a.ints);
    return rc == EXIT_OK ? finish_output() : rc;
}
