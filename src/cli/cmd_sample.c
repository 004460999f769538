/* diffgeo sample: integrate the probability-flow ODE and write a run file. */
#include "config.h"

#include <getopt.h>
#include <gsl/gsl_randist.h>
#include <gsl/gsl_rng.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "sample";

static void help(void)
{
    printf("Usage: diffgeo sample --data SPEC [OPTION]... -o RUN.h5\n"
           "Integrate the probability-flow ODE dx/dσ = (x − D(x; σ))/σ from σ_max down\n"
           "the σ grid with the exact optimal denoiser of the data, and write the\n"
           "sampling trajectory, the denoising trajectory D(x_i; σ_i) and the end points\n"
           "to an HDF5 run file.\n"
           "\n"
           "Data and denoiser:\n"
           "  -d, --data SPEC        h5:PATH[:/dataset], idx:PATH (gzip accepted),\n"
           "                         npy:PATH (NumPy float64, float32 or uint8),\n"
           "                         cifar10:DIR[:train|:test] (the binary batches),\n"
           "                         fashion-mnist[:train|:test], synthetic:gmm[,n=..,d=..,\n"
           "                         k=..,std=..,seed=..]; images are scaled to [−1, 1]\n"
           "      --limit N          use only the first N rows of the data\n"
           "      --denoiser KIND    empirical (default): the exact posterior mean of the\n"
           "                         data, D*(x; σ) = Σ softmax(−‖x − y_i‖²/2σ²) y_i\n"
           "\n"
           "Solver and grid:\n"
           "      --solver NAME      euler, heun (default; EDM Algorithm 2 without churn)\n"
           CLI_GRID_HELP
           "\n"
           "Start points:\n"
           "  -n, --n COUNT          number of trajectories [16]\n"
           "      --seed K           seed of GSL's mt19937 for x_0 = σ_max z [0]\n"
           "      --init SPEC        read the start points (COUNT × d, already at σ_max)\n"
           "                         from a data SPEC such as h5:starts.h5:/x or\n"
           "                         npy:starts.npy\n"
           "\n"
           "Output:\n"
           "  -o, --output RUN.h5    run file (/sigmas, /trajectory, /denoised, /samples,\n"
           "                         /config); written atomically\n"
           "  -q, --quiet            no progress line\n"
           "  -h, --help             show this help\n"
           "\n"
           "Example (the paper's analysis setting: Euler with 21 timestamps):\n"
           "  diffgeo sample --data fashion-mnist --solver euler --steps 21 -n 64 -o run.h5\n");
}

typedef struct sample_options {
    const char *data, *denoiser, *init, *output;
    const dg_solver_type *solver;
    cli_grid grid;
    size_t n, limit;
    int n_given, quiet;
    unsigned long seed;
} sample_options;

enum { OPT_SOLVER = 2000, OPT_DENOISER, OPT_SEED, OPT_INIT, OPT_LIMIT };

static int parse(int argc, char **argv, sample_options *o)
{
    static const struct option longopts[] = {
        {"data", required_argument, NULL, 'd'},
        {"output", required_argument, NULL, 'o'},
        {"n", required_argument, NULL, 'n'},
        {"quiet", no_argument, NULL, 'q'},
        {"help", no_argument, NULL, 'h'},
        {"solver", required_argument, NULL, OPT_SOLVER},
        {"denoiser", required_argument, NULL, OPT_DENOISER},
        {"seed", required_argument, NULL, OPT_SEED},
        {"init", required_argument, NULL, OPT_INIT},
        {"limit", required_argument, NULL, OPT_LIMIT},
        CLI_GRID_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":d:o:n:qh", longopts, NULL)) != -1) {
        int grid = cli_grid_option(COMMAND, &o->grid, opt, optarg);
        if (grid < 0)
            return EXIT_USAGE;
        if (grid > 0)
            continue;
        switch (opt) {
        case 'd':
            o->data = optarg;
            break;
        case 'o':
            o->output = optarg;
            break;
        case 'n':
            if (cli_parse_size(COMMAND, "n", optarg, &o->n) != 0)
                return EXIT_USAGE;
            if (o->n == 0)
                return cli_usage_error(COMMAND, "--n 0: need at least one start point");
            o->n_given = 1;
            break;
        case 'q':
            o->quiet = 1;
            break;
        case 'h':
            help();
            exit(EXIT_OK);
        case OPT_SOLVER:
            o->solver = dg_solver_find(optarg);
            if (!o->solver)
                return cli_usage_error(COMMAND, "unknown solver '%s' (euler, heun)", optarg);
            break;
        case OPT_DENOISER:
            if (strcmp(optarg, "empirical") != 0)
                return cli_usage_error(COMMAND, "unknown denoiser '%s' (empirical)", optarg);
            o->denoiser = optarg;
            break;
        case OPT_SEED:
            if (cli_parse_ulong(COMMAND, "seed", optarg, &o->seed) != 0)
                return EXIT_USAGE;
            break;
        case OPT_INIT:
            o->init = optarg;
            break;
        case OPT_LIMIT:
            if (cli_parse_size(COMMAND, "limit", optarg, &o->limit) != 0)
                return EXIT_USAGE;
            if (o->limit == 0)
                return cli_usage_error(COMMAND, "--limit 0: need at least one row");
            break;
        case ':':
            return cli_usage_error(COMMAND, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(COMMAND, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (optind < argc)
        return cli_usage_error(COMMAND, "unexpected argument '%s'", argv[optind]);
    if (!o->data)
        return cli_usage_error(COMMAND, "missing --data SPEC");
    if (!o->output)
        return cli_usage_error(COMMAND, "missing -o RUN.h5");
    return EXIT_OK;
}

/* Start points: read from --init, or x_0 = σ_max z with z drawn in row order. */
static int make_starts(const sample_options *o, size_t dim, dg_dataset **starts)
{
    dg_error err;
    if (o->init) {
        if (dg_data_load(o->init, NULL, starts, &err) != DG_OK)
            return cli_fail_spec(&err);
        if ((*starts)->dim != dim) {
            cli_error("--init %s: start points have dimension %zu, the data %zu", o->init,
                      (*starts)->dim, dim);
            return EXIT_FAILED;
        }
        if (o->n_given && (*starts)->n != o->n) {
            cli_error("--init %s holds %zu start points, --n asks for %zu", o->init,
                      (*starts)->n, o->n);
            return EXIT_FAILED;
        }
        return EXIT_OK;
    }
    *starts = dg_dataset_alloc(o->n, dim);
    gsl_rng *rng = gsl_rng_alloc(gsl_rng_mt19937);
    if (!*starts || !rng) {
        gsl_rng_free(rng);
        cli_error("cannot allocate %zu start points of dimension %zu", o->n, dim);
        return EXIT_FAILED;
    }
    gsl_rng_set(rng, o->seed);
    for (size_t k = 0; k < o->n * dim; k++)
        (*starts)->x[k] = o->grid.sigma_max * gsl_ran_gaussian_ziggurat(rng, 1.0);
    gsl_rng_free(rng);
    return EXIT_OK;
}

int cmd_sample(int argc, char **argv, const char *command_line)
{
    sample_options o = {.denoiser = "empirical", .solver = &dg_solver_heun,
                        .grid = CLI_GRID_DEFAULTS, .n = 16};
    int rc = parse(argc, argv, &o);
    if (rc != EXIT_OK)
        return rc;

    const size_t nsigmas = cli_grid_size(&o.grid);
    double *sigmas = malloc((nsigmas > 0 ? nsigmas : 1) * sizeof *sigmas);
    dg_dataset *data = NULL, *starts = NULL;
    dg_denoiser *den = NULL;
    double *traj = NULL, *denoised = NULL;
    dg_error err;
    if (!sigmas) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    rc = cli_grid_make(COMMAND, &o.grid, sigmas);
    if (rc != EXIT_OK)
        goto release;

    cli_progress progress;
    cli_progress_init(&progress, "sampling");
    progress.enabled &= !o.quiet;
    if (progress.enabled)
        fprintf(stderr, "loading %s ...", o.data);
    const dg_data_options dopt = {.limit = o.limit};
    rc = EXIT_FAILED;
    int loaded = dg_data_load(o.data, &dopt, &data, &err);
    if (progress.enabled)
        fprintf(stderr, "\r\033[K"); /* clear the line */
    if (loaded != DG_OK) {
        rc = cli_fail_spec(&err);
        goto release;
    }
    if (dg_denoiser_empirical_alloc(data->x, data->n, data->dim, &den, &err) != DG_OK) {
        rc = cli_fail(&err);
        goto release;
    }
    rc = make_starts(&o, data->dim, &starts);
    if (rc != EXIT_OK)
        goto release;

    const size_t n = starts->n, dim = data->dim, T = nsigmas - 1;
    traj = dg_doubles_alloc(nsigmas * n, dim);
    denoised = dg_doubles_alloc(T * n, dim);
    if (!traj || !denoised) {
        cli_error("cannot allocate trajectories of %zu × %zu × %zu doubles", nsigmas, n, dim);
        rc = EXIT_FAILED;
        goto release;
    }

    cli_catch_signals();
    const dg_solve_options sopt = {cli_progress_update, &progress, &cli_interrupted};
    size_t nfe = 0;
    int status = dg_solve(o.solver, den, sigmas, nsigmas, n, dim, starts->x, traj, denoised,
                          &sopt, &nfe, &err);
    cli_progress_done(&progress);
    if (status != DG_OK) {
        rc = cli_fail(&err);
        goto release;
    }

    const dg_run run = {
        .command_line = command_line,
        .seed = o.seed,
        .data = o.data,
        .denoiser = o.denoiser,
        .solver = o.solver->name,
        .schedule = o.grid.schedule->name,
        .steps = o.grid.steps,
        .sigma_min = o.grid.sigma_min,
        .sigma_max = o.grid.sigma_max,
        .rho = o.grid.rho > 0 ? o.grid.rho : o.grid.schedule->default_rho,
        .final_zero = o.grid.final_zero,
        .nfe = nfe,
        .n = n,
        .dim = dim,
        .image_rank = data->image_rank,
        .image_shape = data->image_shape,
        .sigmas = sigmas,
        .nsigmas = nsigmas,
        .trajectory = traj,
        .denoised = denoised,
    };
    if (cli_interrupted) {
        cli_error("interrupted; %s not written", o.output);
        rc = 130;
    } else if (dg_h5_write_run(o.output, &run, &err) != DG_OK) {
        rc = cli_fail(&err);
    } else {
        rc = EXIT_OK;
    }

release:
    dg_doubles_free(traj);
    dg_doubles_free(denoised);
    dg_denoiser_free(den);
    dg_dataset_free(starts);
    dg_dataset_free(data);
    free(sigmas);
    return rc;
}
