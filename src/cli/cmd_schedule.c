/* diffgeo schedule: print a σ grid. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

#include "cli.h"

static const char *const COMMAND = "schedule";

/* parse's result after --help: not an exit code, so that the grid is freed before EXIT_OK. */
enum { HELP_SHOWN = -1 };

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

/* Parses the options into grid; EXIT_OK, or an exit code after help or a message. */
static int parse(int argc, char **argv, cli_grid *grid)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'}, CLI_GRID_OPTIONS, {NULL, 0, NULL, 0}};
    const cli_parser p = {
        .command = COMMAND, .shortopts = ":h", .longopts = longopts, .help = help, .grid = grid};
    int first;
    const int rc = cli_parse_options(&p, argc, argv, &first);
    return rc == EXIT_OK && first < 0 ? HELP_SHOWN : rc;
}

int cmd_schedule(int argc, char **argv, const char *command_line)
{
    (void)command_line;
    cli_grid grid = CLI_GRID_DEFAULTS;
    double *sigmas = NULL;
    int rc = parse(argc, argv, &grid);
    if (rc != EXIT_OK)
        goto free_grid;
    const size_t n = cli_grid_size(&grid);
    sigmas = malloc((n ? n : 1) * sizeof *sigmas);
    if (!sigmas) {
        cli_error("out of memory");
        rc = EXIT_FAILED;
        goto free_grid;
    }
    rc = cli_grid_make(COMMAND, &grid, sigmas);
    if (rc == EXIT_OK) {
        printf("# index sigma\n");
        for (size_t i = 0; i < n; i++)
            printf("%zu %.17g\n", i, sigmas[i]);
    }
free_grid:
    free(sigmas);
    cli_grid_free(&grid);
    return rc == HELP_SHOWN ? EXIT_OK : rc;
}
