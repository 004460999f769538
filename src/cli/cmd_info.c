/* diffgeo info: summarise an HDF5 file (run files first of all). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "info";

static void help(void)
{
    printf("Usage: diffgeo info FILE.h5\n"
           "Print the attributes of the file and of its /config group (run files\n"
           "of sample and interpolate), and every group and dataset with its type\n"
           "and shape.  Control characters in names and values are shown as \\xNN\n"
           "(and a backslash as \\\\), so a file cannot send escape sequences to the\n"
           "terminal.\n"
           "\n"
           "  -h, --help   show this help\n");
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

int cmd_info(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    int first;
    int rc = cli_parse_no_options(COMMAND, argc, argv, help, &first);
    if (rc != EXIT_OK || first < 0)
        return rc;
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
