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
    int reduce, sigma, image;
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
static void print_rows(const double *x, size_t rows, size_t cols, int vector,
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

int cmd_table(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    enum { OPT_SIGMA = 3000 };
    static const struct option longopts[] = {
        {"slice", required_argument, NULL, 's'}, {"reduce", no_argument, NULL, 'r'},
        {"sigma", no_argument, NULL, OPT_SIGMA}, {"image", no_argument, NULL, 'i'},
        {"help", no_argument, NULL, 'h'},        {NULL, 0, NULL, 0}};
    table_options o = {.nslice = 0};
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":s:rih", longopts, NULL)) != -1) {
        switch (opt) {
        case 's':
            if (parse_slice(optarg, &o) != EXIT_OK)
                return EXIT_USAGE;
            break;
        case 'r':
            o.reduce = 1;
            break;
        case OPT_SIGMA:
            o.sigma = 1;
            break;
        case 'i':
            o.image = 1;
            break;
        case 'h':
            help();
            return EXIT_OK;
        case ':':
            return cli_usage_error(COMMAND, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(COMMAND, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (argc - optind != 2)
        return cli_usage_error(COMMAND, "expected FILE.h5 and a dataset PATH");
    const char *path = argv[optind], *name = argv[optind + 1];
    signal(SIGPIPE, SIG_IGN);

    size_t rank, shape[DG_H5_RANK_MAX], srank, sshape[DG_H5_RANK_MAX];
    double *x = NULL, *sigmas = NULL;
    dg_error err;
    int rc = EXIT_FAILED;
    if (cli_read_array(path, name, &rank, shape, &x, &err) != DG_OK)
        return cli_fail(&err);
    if (o.nslice > rank) {
        rc = cli_usage_error(COMMAND, "--slice gives %zu indices, %s has rank %zu", o.nslice, name,
                             rank);
        goto release;
    }
    /* Apply the slice: an offset into x and the remaining axes. */
    size_t offset = 0, stride = 1;
    for (size_t k = o.nslice; k < rank; k++)
        stride *= shape[k];
    for (size_t k = o.nslice; k-- > 0;) {
        const long i = o.slice[k] < 0 ? (long)shape[k] + o.slice[k] : o.slice[k];
        if (i < 0 || (size_t)i >= shape[k]) {
            rc = cli_usage_error(COMMAND, "--slice index %ld is outside axis %zu of length %zu",
                                 o.slice[k], k, shape[k]);
            goto release;
        }
        offset += (size_t)i * stride;
        stride *= shape[k];
    }
    const size_t left = rank - o.nslice;
    const size_t rows = left >= 1 ? shape[o.nslice] : 1;
    const size_t cols = left == 2 ? shape[o.nslice + 1] : 1;
    if (left > 2) {
        rc = cli_usage_error(COMMAND, "%s has rank %zu: fix leading axes with --slice", name, rank);
        goto release;
    }
    if (o.image) {
        rc = left == 1
                 ? print_image(path, x + offset, rows)
                 : cli_usage_error(COMMAND, "--image needs a single row: slice down to one axis");
        goto release;
    }
    if (o.reduce && left != 2) {
        rc = cli_usage_error(COMMAND, "--reduce needs two axes (rows to reduce), %zu remain", left);
        goto release;
    }
    if (o.sigma) {
        if (cli_read_array(path, "/sigmas", &srank, sshape, &sigmas, &err) != DG_OK) {
            rc = cli_fail(&err);
            goto release;
        }
        if (srank != 1 || sshape[0] < rows) {
            cli_error("%s: /sigmas has fewer entries than %s has rows", path, name);
            goto release;
        }
    }
    print_rows(x + offset, rows, cols, left < 2, &o, sigmas);
    rc = EXIT_OK;

release:
    dg_doubles_free(x);
    dg_doubles_free(sigmas);
    return rc == EXIT_OK ? finish_output() : rc;
}
