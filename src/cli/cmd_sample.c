/* diffgeo sample: integrate the probability-flow ODE and write a run file. */
#include "config.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "sample";

static void help(void)
{
    char solvers[2048];
    size_t used = 0;
    for (size_t k = 0; dg_solver_types[k] && used < sizeof solvers; k++)
        used += (size_t)snprintf(solvers + used, sizeof solvers - used, "  %-9s %s\n",
                                 dg_solver_types[k]->name, dg_solver_types[k]->summary);
    printf("Usage: diffgeo sample --data SPEC [OPTION]... -o RUN.h5\n"
           "Integrate the probability-flow ODE dx/dσ = (x − D(x; σ))/σ from σ_max down\n"
           "the σ grid with the exact optimal denoiser of the data, and write the\n"
           "sampling trajectory, the denoising trajectory D(x_i; σ_i) and the end points\n"
           "to an HDF5 run file.\n"
           "\n"
           "Data and denoiser:\n"
           "  -d, --data SPEC        h5:PATH[:/dataset], idx:PATH (gzip accepted),\n"
           "                         fashion-mnist[:train|:test], synthetic:gmm[,n=..,d=..,\n"
           "                         k=..,std=..,seed=..]; images are scaled to [−1, 1]\n"
           "      --limit N          use only the first N rows of the data\n"
           "      --denoiser KIND    empirical (default): the exact posterior mean of the\n"
           "                         data, D*(x; σ) = Σ softmax(−‖x − y_i‖²/2σ²) y_i\n"
           "\n"
           "Solver and grid:\n"
           "      --solver NAME      heun (default), euler, dpm2, dpmpp2m, dpmpp3m, ipndm,\n"
           "                         ipndm_v (see 'Solvers' below)\n"
           "      --max-order K      order cap of ipndm and ipndm_v, 1 to 4 [4]\n"
           "      --afs              analytical first step: d_0 = x_0/sqrt(1 + σ_max²)\n"
           "                         instead of the first evaluation (one NFE less)\n"
           "      --denoise-to-zero  after σ_min, one more evaluation: x ← D(x; σ_min)\n"
           "                         (diff-sampler's convention; the grid gains σ = 0)\n"
           "      --threshold        dynamic thresholding of every D (per sample, the\n"
           "                         0.995 quantile of |D| is scaled to 1); only for data\n"
           "                         in [−1, 1]\n"
           CLI_GRID_HELP
           "\n"
           "Start points:\n"
           "  -n, --n COUNT          number of trajectories [16]\n"
           "      --seed K           seed of GSL's mt19937 for x_0 = σ_max z [0]\n"
           "      --init SPEC        read the start points (COUNT × d, already at σ_max)\n"
           "                         from a data SPEC such as h5:starts.h5:/x\n"
           "\n"
           "Output:\n"
           "  -o, --output RUN.h5    run file (/sigmas, /trajectory, /denoised, /samples,\n"
           "                         /config); written atomically\n"
           "  -q, --quiet            no progress line\n"
           "  -h, --help             show this help\n"
           "\n"
           "Solvers (NFE = denoiser evaluations per trajectory):\n"
           "%s"
           "\n"
           "Example (the paper's analysis setting: Euler with 21 timestamps):\n"
           "  diffgeo sample --data fashion-mnist --solver euler --steps 21 -n 64 -o run.h5\n",
           solvers);
}

typedef struct sample_options {
    const char *data, *denoiser, *init, *output;
    const dg_solver_type *solver;
    cli_grid grid;
    size_t n, limit;
    int n_given, quiet;
    int afs, denoise_to_zero, threshold;
    unsigned max_order;
    unsigned long seed;
} sample_options;

enum {
    OPT_SOLVER = 2000, OPT_DENOISER, OPT_SEED, OPT_INIT, OPT_LIMIT,
    OPT_AFS, OPT_DENOISE_TO_ZERO, OPT_THRESHOLD, OPT_MAX_ORDER
};

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
        {"afs", no_argument, NULL, OPT_AFS},
        {"denoise-to-zero", no_argument, NULL, OPT_DENOISE_TO_ZERO},
        {"threshold", no_argument, NULL, OPT_THRESHOLD},
        {"max-order", required_argument, NULL, OPT_MAX_ORDER},
        CLI_GRID_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":d:o:n:qh", longopts, NULL)) != -1) {
        int grid = cli_grid_option(COMMAND, &o->grid, opt, optarg);
        if (grid < 0)
            return cli_option_exit(grid);
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
            if (cli_parse_count(COMMAND, "n", optarg, "start point", &o->n) != 0)
                return EXIT_USAGE;
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
                return cli_usage_error(COMMAND,
                                       "unknown solver '%s' (euler, heun, dpm2, dpmpp2m, "
                                       "dpmpp3m, ipndm, ipndm_v)", optarg);
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
            if (cli_parse_count(COMMAND, "limit", optarg, "row", &o->limit) != 0)
                return EXIT_USAGE;
            break;
        case OPT_AFS:
            o->afs = 1;
            break;
        case OPT_DENOISE_TO_ZERO:
            o->denoise_to_zero = 1;
            break;
        case OPT_THRESHOLD:
            o->threshold = 1;
            break;
        case OPT_MAX_ORDER: {
            size_t k;
            if (cli_parse_size(COMMAND, "max-order", optarg, &k) != 0)
                return EXIT_USAGE;
            if (k < 1 || k > DG_SOLVER_MAX_ORDER)
                return cli_usage_error(COMMAND, "--max-order %s: must be 1 to %d", optarg,
                                       DG_SOLVER_MAX_ORDER);
            o->max_order = (unsigned)k;
            break;
        }
        case ':':
            return cli_usage_error(COMMAND, "option '%s' needs a value", argv[optind - 1]);
        default:
            return cli_usage_error(COMMAND, "unknown option '%s'", argv[optind - 1]);
        }
    }
    if (o->denoise_to_zero && o->grid.final_zero)
        return cli_usage_error(COMMAND, "--final-zero and --denoise-to-zero both end the "
                                        "grid at σ = 0: choose one");
    /* The DS convention is the same grid with D itself as the last step. */
    o->grid.final_zero |= o->denoise_to_zero;
    if (optind < argc)
        return cli_usage_error(COMMAND, "unexpected argument '%s'", argv[optind]);
    if (!o->data)
        return cli_usage_error(COMMAND, "missing --data SPEC");
    if (!o->output)
        return cli_usage_error(COMMAND, "missing -o RUN.h5");
    return EXIT_OK;
}

/* Start points: read from --init, or drawn from the seed. */
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
    return cli_draw_starts(o->seed, o->n, dim, o->grid.sigma_max, starts);
}

int cmd_sample(int argc, char **argv, const char *command_line)
{
    sample_options o = {.denoiser = "empirical", .solver = &dg_solver_heun,
                        .grid = CLI_GRID_DEFAULTS, .n = 16};
    int rc = parse(argc, argv, &o);
    if (rc != EXIT_OK) {
        cli_grid_free(&o.grid);
        return rc;
    }

    const size_t nsigmas = cli_grid_size(&o.grid);
    double *sigmas = malloc((nsigmas > 0 ? nsigmas : 1) * sizeof *sigmas);
    dg_dataset *starts = NULL;
    cli_model model = {0};
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
    rc = cli_model_load(o.data, o.limit, o.denoiser, progress.enabled, &model);
    if (rc != EXIT_OK)
        goto release;
    const dg_dataset *data = model.data;
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
    const dg_solve_options sopt = {
        .afs = o.afs,
        .denoise_to_zero = o.denoise_to_zero,
        .threshold = o.threshold,
        .max_order = o.max_order,
        .progress = cli_progress_update,
        .progress_ctx = &progress,
        .cancel = &cli_interrupted,
    };
    size_t nfe = 0;
    int status = dg_solve(o.solver, model.den, sigmas, nsigmas, n, dim, starts->x, traj, denoised,
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
        .limit = o.limit,
        .denoiser = o.denoiser,
        .solver = o.solver->name,
        .schedule = o.grid.name,
        .steps = o.grid.steps,
        .sigma_min = o.grid.sigma_min,
        .sigma_max = o.grid.sigma_max,
        .rho = o.grid.rho > 0 ? o.grid.rho : o.grid.schedule ? o.grid.schedule->default_rho : 0,
        .final_zero = o.grid.final_zero,
        .denoise_to_zero = o.denoise_to_zero,
        .afs = o.afs,
        .threshold = o.threshold,
        .max_order = o.max_order ? o.max_order : DG_SOLVER_MAX_ORDER,
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
    dg_dataset_free(starts);
    cli_model_free(&model);
    free(sigmas);
    cli_grid_free(&o.grid);
    return rc;
}
