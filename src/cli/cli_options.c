/* The option parsing of every command: one getopt_long loop over its table. */
#include "config.h"

#include <getopt.h>

#include "cli.h"

int cli_common_option(const char *command, cli_common *c, int opt, const char *arg)
{
    switch (opt) {
    case 'd':
        c->data = arg;
        return 1;
    case 'o':
        c->output = arg;
        return 1;
    case 'q':
        c->quiet = true;
        return 1;
    case OPT_LIMIT:
        return cli_parse_count(command, "limit", arg, "row", &c->limit) == 0 ? 1 : -1;
    case OPT_SEED:
        c->set_seed = true;
        return cli_parse_ulong(command, "seed", arg, &c->seed) == 0 ? 1 : -1;
    case OPT_DENOISER:
        c->denoiser = arg;
        return 1;
    case OPT_SAMPLES:
        return cli_parse_count(command, "samples", arg, "row", &c->samples) == 0 ? 1 : -1;
    case OPT_SAVE_DATA:
        c->save_data = CLI_SAVE_DATA_ON;
        return 1;
    case OPT_NO_SAVE_DATA:
        c->save_data = CLI_SAVE_DATA_OFF;
        return 1;
    default:
        return 0;
    }
}

int cli_common_check(const char *command, const cli_common *c, const char *what)
{
    if (!c->data)
        return cli_usage_error(command, "missing --data SPEC");
    if (!c->output)
        return cli_usage_error(command, "missing -o %s", what);
    /* A FIFO, device, directory or a file the user may not write is refused
     * before the data are read (the writer checks again when it writes). */
    dg_output_path out;
    dg_error err;
    if (dg_file_resolve_output(c->output, &out, &err) != DG_OK)
        return cli_fail(&err);
    return EXIT_OK;
}

int cli_no_operands(const char *command, int argc, char **argv, int first)
{
    if (first < argc)
        return cli_usage_error(command, "unexpected argument '%s'", argv[first]);
    return EXIT_OK;
}

/* One option the command left to the shared handling: the grid's, the
 * common ones, or an error.  An exit code. */
static int shared_option(const cli_parser *p, int opt, char **argv)
{
    int handled = p->grid ? cli_grid_option(p->command, p->grid, opt, optarg) : 0;
    if (handled == 0 && p->common)
        handled = cli_common_option(p->command, p->common, opt, optarg);
    if (handled > 0)
        return EXIT_OK;
    if (handled < 0)
        return cli_option_exit(handled);
    if (opt == ':')
        return cli_usage_error(p->command, "option '%s' needs a value", argv[optind - 1]);
    return cli_usage_error(p->command, "unknown option '%s'", argv[optind - 1]);
}

int cli_parse_options(const cli_parser *p, int argc, char **argv, int *first)
{
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, p->shortopts, p->longopts, NULL)) != -1) {
        if (opt == 'h') {
            p->help();
            *first = -1;
            return EXIT_OK;
        }
        int rc = p->option ? p->option(p->ctx, opt, optarg) : CLI_OPTION_SHARED;
        if (rc == CLI_OPTION_SHARED)
            rc = shared_option(p, opt, argv);
        if (rc != EXIT_OK)
            return rc;
    }
    *first = optind;
    return p->operands ? EXIT_OK : cli_no_operands(p->command, argc, argv, optind);
}

int cli_parse_no_options(const char *command, int argc, char **argv, void (*help)(void), int *first)
{
    static const struct option longopts[] = {{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0}};
    const cli_parser p = {
        .command = command, .shortopts = "h", .longopts = longopts, .help = help, .operands = true};
    return cli_parse_options(&p, argc, argv, first);
}
