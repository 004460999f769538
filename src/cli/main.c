/* diffgeo: the command-line tool.  Dispatches to the subcommands. */
#include "config.h"

#include <gsl/gsl_errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

typedef struct command {
    const char *name;
    int (*run)(int argc, char **argv, const char *command_line);
    const char *summary;
    bool distributed; /* runs on several MPI processes, the data spread over them */
} command;

static const command commands[] = {
    {"sample", cmd_sample, "integrate the probability-flow ODE with an exact denoiser", true},
    {"analyze", cmd_analyze, "add geometric measurements (/metrics) to a run file", true},
    {"info", cmd_info, "summarise a run file or any HDF5 file", false},
    {"table", cmd_table, "print a dataset of a file as columns for gnuplot", false},
    {"schedule", cmd_schedule, "print a σ grid as a table", false},
    {"interpolate", cmd_interpolate, "decode points between two starts (lerp, slerp, rescaled)",
     true},
    {"gits", cmd_gits, "find a σ schedule by dynamic programming on a teacher (GITS)", true},
    {"field", cmd_field, "the denoiser, score, log density and ODE velocity on a 2-D grid", false},
    {"meanshift", cmd_meanshift, "mean shift: Gaussian (fixed or annealed) or flat (scikit-learn)",
     true},
};

/* The command on the processes of an MPI job (one, without MPI); an exit code. */
static int run_command(const command *c, int argc, char **argv)
{
    if (cli_mpi_size() > 1 && !c->distributed) {
        cli_error("'diffgeo %s' runs on one process: start it without mpirun "
                  "(sample, interpolate, gits, meanshift and analyze run on several)",
                  c->name);
        return EXIT_USAGE;
    }
    char *line = cli_command_line(argc, argv);
    int rc = c->run(argc - 1, argv + 1, line ? line : argv[1]);
    free(line);
    return rc;
}

static void usage(FILE *out)
{
    fprintf(out, "Usage: diffgeo COMMAND [OPTION]...\n"
                 "The geometry of diffusion-model sampling with exact optimal denoisers.\n"
                 "\n"
                 "Commands:\n");
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        fprintf(out, "  %-10s %s\n", commands[k].name, commands[k].summary);
    fprintf(out, "\n"
                 "Run 'diffgeo COMMAND --help' for a command's options.\n"
                 "\n"
                 "Example: sample 16 trajectories on Fashion-MNIST with EDM's Heun sampler,\n"
                 "then measure their geometry and summarise the file:\n"
                 "  diffgeo sample --data fashion-mnist --solver heun --steps 18 -o run.h5\n"
                 "  diffgeo analyze run.h5\n"
                 "  diffgeo info run.h5\n"
                 "\n"
                 "Exit status: 0 on success, 1 when a computation fails or input cannot be\n"
                 "read, 2 on a usage error; interrupted by SIGINT, SIGTERM, SIGHUP or SIGQUIT,\n"
                 "diffgeo removes its temporary file and ends with status 128 + the signal\n"
                 "(130, 143, 129, 131).\n"
                 "\n"
                 "Report bugs with the command line and 'diffgeo --version'.\n");
}

static int dispatch(int argc, char **argv);

int main(int argc, char **argv)
{
    /* Before any thread exists: MPI starts only under an MPI launcher. */
    int rc = cli_mpi_start(&argc, &argv);
    if (rc == EXIT_OK)
        rc = dispatch(argc, argv);
    /* Every process of a job ends with the same status; process 0 prints
     * the first failure's line. */
    rc = cli_mpi_agree(rc);
    /* Interrupted, and cleaned up: end by the signal itself (status 130 or
     * 143 in a shell), so that a calling shell script stops too rather than
     * taking it for an ordinary failure. */
    const int sig = cli_interrupted;
    /* SIGQUIT's default action would dump core: its status is returned. */
    if (sig && sig != SIGQUIT && rc == 128 + sig) {
        fflush(NULL);
        signal(sig, SIG_DFL);
        raise(sig);
    }
    cli_mpi_end();
    return rc;
}

static int dispatch(int argc, char **argv)
{
    /* GSL's default handler aborts; the library reports statuses instead. */
    gsl_set_error_handler_off();
    /* The library parallelises with OpenMP around single-threaded BLAS calls. */
    dg_blas_set_threads(1);
    /* Past `ulimit -f`, a write fails with EFBIG (reported, the temporary file
     * removed) instead of SIGXFSZ killing the process midway; and libhdf5's
     * exit handler, which crashes after such a failure, is not installed. */
    signal(SIGXFSZ, SIG_IGN);
    dg_h5_disable_exit_cleanup();

    if (argc < 2) {
        usage(stderr);
        return EXIT_USAGE;
    }
    if (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0) {
        usage(stdout);
        return EXIT_OK;
    }
    if (strcmp(argv[1], "--version") == 0) {
        printf("diffgeo %s\n"
               "Copyright (C) 2026 the diffgeo developers.\n"
               "This is free software; there is NO warranty.\n",
               dg_version());
        return EXIT_OK;
    }
    for (size_t k = 0; k < sizeof commands / sizeof commands[0]; k++)
        if (strcmp(argv[1], commands[k].name) == 0)
            return run_command(&commands[k], argc, argv);
    cli_error("unknown command '%s' (see 'diffgeo --help')", argv[1]);
    return EXIT_USAGE;
}
