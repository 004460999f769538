/* diffgeo schedule: print a σ grid. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char *const COMMAND = "schedule";

static void help(void)
{
    printf("Usage: diffgeo schedule [OPTION]...\n"
           "Print the σ grid that 'diffgeo sample' would use, as a table for gnuplot.\n"
           "\n");
    cli_grid_help();
    printf("  -h, --help           show this help\n"
           "\n"
           "Schedules:\n");
    cli_help_schedules();
    printf("\nExample: diffgeo schedule --schedule logsnr --steps 7\n");
}

int cmd_schedule(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, CLI_GRID_OPTIONS, {NULL, 0, NULL, 0}};
    cli_grid grid = CLI_GRID_DEFAULTS;
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":h", longopts, NULL)) != -1) {
        int rc = cli_grid_option(COMMAND, &grid, opt, optarg);
        if (rc < 0) {
            cli_grid_free(&grid);
            return cli_option_exit(rc);
        }
        if (rc > 0)
            continue;
        cli_grid_free(&grid);
        if (opt == 'h') {
            help();
            return EXIT_OK;
        }
        if (opt == ':')
            return cli_usage_error(COMMAND, "option '%s' needs a value", argv[optind - 1]);
        return cli_usage_error(COMMAND, "unknown option '%s'", argv[optind - 1]);
    }
    if (optind < argc) {
        cli_grid_free(&grid);
        return cli_usage_error(COMMAND, "unexpected argument '%s'", argv[optind]);
    }

    const size_t n = cli_grid_size(&grid);
    double *sigmas = malloc((n ? n : 1) * sizeof *sigmas);
    if (!sigmas) {
        cli_grid_free(&grid);
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    int rc = cli_grid_make(COMMAND, &grid, sigmas);
    if (rc == EXIT_OK) {
        printf("# index sigma\n");
        for (size_t i = 0; i < n; i++)
            printf("%zu %.17g\n", i, sigmas[i]);
    }
    free(sigmas);
    cli_grid_free(&grid);
    return rc;
}
