/* diffgeo sample: integrate the probability-flow ODE and write a run file. */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"

static const char *const COMMAND = "sample";

/* Room for the help of the data specs of a kind. */
#define CLI_SPEC_HELP_MAX 2048

/* The data specs of the given kinds (dg_source_list), each line indented under the options. */
static void spec_help(unsigned kinds, char *text, size_t size)
{
    char list[CLI_SPEC_HELP_MAX];
    dg_source_list(kinds, DG_SPEC_HELP, NULL, list, sizeof list);
    size_t used = 0;
    text[0] = '\0';
    for (const char *line = list; *line && used < size;) {
        const size_t len = strcspn(line, "\n");
        used += (size_t)snprintf(text + used, size - used, "%25s%.*s\n", "", (int)len, line);
        line += len + (line[len] == '\n');
    }
}

static void help(void)
{
    char rows[CLI_SPEC_HELP_MAX], mixtures[CLI_SPEC_HELP_MAX];
    spec_help(DG_SOURCE_ROWS, rows, sizeof rows);
    spec_help(DG_SOURCE_MIXTURE, mixtures, sizeof mixtures);
    char solvers[CLI_NAMES_MAX], text[2 * CLI_NAMES_MAX];
    cli_solver_names(solvers, sizeof solvers, &dg_solver_heun);
    snprintf(text, sizeof text, "%s (see 'Solvers' below)", solvers);
    printf("Usage: diffgeo sample --data SPEC [OPTION]... -o RUN.h5\n"
           "Integrate the probability-flow ODE dx/dσ = (x − D(x; σ))/σ from σ_max down\n"
           "the σ grid with the exact optimal denoiser of the data, and write the\n"
           "sampling trajectory, the denoising trajectory D(x_i; σ_i) and the end points\n"
           "to an HDF5 run file.\n"
           "\n"
           "Data and denoiser:\n"
           "  -d, --data SPEC        data rows, images scaled to [−1, 1]:\n"
           "%s"
           "                         or a distribution with an exact denoiser:\n"
           "%s"
           "      --limit N          use only the first N rows of the data\n"
           "      --samples N        draw N rows from a mixture and use them as data\n"
           "      --denoiser KIND    empirical: the exact posterior mean of the data rows,\n"
           "                         D*(x; σ) = Σ softmax(−‖x − y_i‖²/2σ²) y_i (default\n"
           "                         for data); gmm: the exact denoiser of a mixture\n"
           "                         (default for mixtures); gaussian: the Gaussian\n"
           "                         fitted to the data (the linear Wiener denoiser);\n"
           "                         gmm-fit:K: a K-component mixture fitted by EM\n"
           "                         (fitted mixtures are stored under /fit)\n"
           "\n"
           "Solver and grid:\n",
           rows, mixtures);
    cli_help_item("      --solver NAME", CLI_OPTION_COLUMN, text);
    printf("      --max-order K      order cap of ipndm and ipndm_v, 1 to 4 [4]\n"
           "      --afs              analytical first step: d_0 = x_0/sqrt(1 + σ_max²)\n"
           "                         instead of the first evaluation (one NFE less)\n"
           "      --denoise-to-zero  after σ_min, one more evaluation: x ← D(x; σ_min)\n"
           "                         (diff-sampler's convention; the grid gains σ = 0)\n"
           "      --jump-at K        ODE-Jump: stop at grid index K and return D(x_K; σ_K)\n"
           "                         (one evaluation more; the grid ends σ_K, 0)\n"
           "      --threshold        dynamic thresholding of every D (per sample, the\n"
           "                         0.995 quantile of |D| is scaled to 1); only for data\n"
           "                         in [−1, 1]\n");
    cli_grid_help();
    printf("\n"
           "Start points:\n"
           "  -n, --n COUNT          number of trajectories [16]\n"
           "      --seed K           seed of GSL's mt19937 for x_0 = σ_max z [0]\n"
           "      --init SPEC        read the start points (COUNT × d, already at σ_max)\n"
           "                         from a data SPEC such as h5:starts.h5:/x or\n"
           "                         npy:starts.npy\n"
           "\n"
           "Output:\n"
           "  -o, --output RUN.h5    run file (/sigmas, /trajectory, /denoised, /samples,\n"
           "                         /config, /data); written atomically\n" CLI_SAVE_DATA_HELP
           "  -q, --quiet            no progress line\n"
           "  -h, --help             show this help\n"
           "\n"
           "Solvers (NFE = denoiser evaluations per step):\n");
    cli_help_solvers();
    printf("\n"
           "Example (the paper's analysis setting: Euler with 21 timestamps):\n"
           "  diffgeo sample --data fashion-mnist --solver euler --steps 21 -n 64 -o run.h5\n"
           "\n"
           "Under mpirun or srun (a build with ./configure --with-mpi), each process reads\n"
           "only its share of the data and the run file is bit-identical to one\n"
           "process's; /config adds time per step and peak memory per process:\n"
           "  mpirun -np 4 diffgeo sample --data synthetic:blobs,n=1000000,d=192 -o run.h5\n");
}

typedef struct sample_options {
    cli_common c; /* --data, -o, --quiet, --limit, --seed, --denoiser, --samples */
    const char *init;
    const dg_solver_type *solver;
    cli_grid grid;
    size_t n;
    bool n_given;
    bool afs, denoise_to_zero, threshold;
    unsigned max_order;
    size_t jump_at; /* ODE-Jump: the grid index after which D(x; σ) is returned */
    bool jump_given;
} sample_options;

/* /config attributes a run may add: 5 of a distributed run, --jump-at,
 * --samples and the extension's; arrays: the fit's 3, the data rows and
 * the extension's. */
enum { CONFIG_MAX = 7 + CLI_SAMPLE_EXTRA_MAX, ARRAYS_MAX = 4 + CLI_SAMPLE_EXTRA_MAX };

/* A run from the command line to the run file: prepare makes the grid, the
 * model, the start points and the buffers, solve integrates, write writes. */
typedef struct sample_run {
    const cli_sample_extension *ext; /* interpolate's, or NULL */
    sample_options o;
    double *sigmas; /* [nsigmas], ODE-Jump's cut applied */
    size_t nsigmas;
    cli_progress progress;
    cli_model model;
    dg_dataset *starts;
    double *traj, *denoised; /* [nsigmas][n][dim], [nsigmas − 1][n][dim] */
    size_t nfe;
    double seconds, comm_seconds, comm_bytes; /* of dg_solve, this process */
    double *fit_storage;                      /* the values of the /fit arrays */
    cli_sample_extra extra;                   /* the extension's outputs */
} sample_run;

enum { OPT_SOLVER = 2000, OPT_INIT, OPT_AFS, OPT_DENOISE_TO_ZERO, OPT_THRESHOLD, OPT_MAX_ORDER };

static int parse_max_order(const char *arg, unsigned *out)
{
    size_t k;
    if (cli_parse_size(COMMAND, "max-order", arg, &k) != 0)
        return EXIT_USAGE;
    if (k < 1 || k > DG_SOLVER_MAX_ORDER)
        return cli_usage_error(COMMAND, "--max-order %s: must be 1 to %d", arg,
                               DG_SOLVER_MAX_ORDER);
    *out = (unsigned)k;
    return EXIT_OK;
}

/* sample's own options, after the extension's; a cli_parser option. */
static int sample_option(void *ctx, int opt, const char *arg)
{
    sample_run *r = ctx;
    sample_options *o = &r->o;
    const int rc = r->ext ? r->ext->option(r->ext->ctx, opt, arg) : CLI_OPTION_SHARED;
    if (rc != CLI_OPTION_SHARED)
        return rc;
    switch (opt) {
    case 'n':
        o->n_given = true;
        return cli_parse_count(COMMAND, "n", arg, "start point", &o->n) == 0 ? EXIT_OK : EXIT_USAGE;
    case CLI_OPT_JUMP_AT:
        o->jump_given = true;
        return cli_parse_size(COMMAND, "jump-at", arg, &o->jump_at) == 0 ? EXIT_OK : EXIT_USAGE;
    case CLI_OPT_METHOD:
        return cli_usage_error(COMMAND, "unknown option '--method' ('%s')", arg);
    case CLI_OPT_POINTS:
        return cli_usage_error(COMMAND, "unknown option '--points'");
    case OPT_SOLVER:
        o->solver = dg_solver_find(arg);
        if (!o->solver) {
            char names[CLI_NAMES_MAX];
            return cli_usage_error(COMMAND, "unknown solver '%s' (%s)", arg,
                                   cli_solver_names(names, sizeof names, NULL));
        }
        return EXIT_OK;
    case OPT_INIT:
        o->init = arg;
        return EXIT_OK;
    case OPT_AFS:
        o->afs = true;
        return EXIT_OK;
    case OPT_DENOISE_TO_ZERO:
        o->denoise_to_zero = true;
        return EXIT_OK;
    case OPT_THRESHOLD:
        o->threshold = true;
        return EXIT_OK;
    case OPT_MAX_ORDER:
        return parse_max_order(arg, &o->max_order);
    default:
        return CLI_OPTION_SHARED;
    }
}

/* Checks of the options together; the DS convention becomes --final-zero. */
static int check_options(sample_options *o)
{
    if (o->denoise_to_zero && o->grid.final_zero)
        return cli_usage_error(COMMAND, "--final-zero and --denoise-to-zero both end the "
                                        "grid at σ = 0: choose one");
    if (o->jump_given && (o->denoise_to_zero || o->grid.final_zero))
        return cli_usage_error(COMMAND, "--jump-at ends the run with D(x; σ): drop --final-zero "
                                        "and --denoise-to-zero");
    /* The DS convention is the same grid with D itself as the last step. */
    o->grid.final_zero |= o->denoise_to_zero;
    return EXIT_OK;
}

/* The options of r; *helped after --help.  An exit code. */
static int parse(int argc, char **argv, sample_run *r, bool *helped)
{
    static const struct option longopts[] = {
        {"n", required_argument, NULL, 'n'},
        {"help", no_argument, NULL, 'h'},
        {"solver", required_argument, NULL, OPT_SOLVER},
        {"init", required_argument, NULL, OPT_INIT},
        {"afs", no_argument, NULL, OPT_AFS},
        {"denoise-to-zero", no_argument, NULL, OPT_DENOISE_TO_ZERO},
        {"threshold", no_argument, NULL, OPT_THRESHOLD},
        {"max-order", required_argument, NULL, OPT_MAX_ORDER},
        {"jump-at", required_argument, NULL, CLI_OPT_JUMP_AT},
        {"method", required_argument, NULL, CLI_OPT_METHOD},
        {"points", required_argument, NULL, CLI_OPT_POINTS},
        CLI_COMMON_OPTIONS,
        CLI_DENOISER_OPTIONS,
        CLI_SAVE_DATA_OPTIONS,
        CLI_GRID_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const cli_parser p = {.command = COMMAND,
                          .shortopts = ":d:o:n:qh",
                          .longopts = longopts,
                          .help = r->ext ? r->ext->help : help,
                          .option = sample_option,
                          .ctx = r,
                          .grid = &r->o.grid,
                          .common = &r->o.c,
                          .operands = true};
    int first;
    int rc = cli_parse_options(&p, argc, argv, &first);
    *helped = rc == EXIT_OK && first < 0;
    if (rc != EXIT_OK || *helped)
        return rc;
    rc = check_options(&r->o);
    if (rc == EXIT_OK)
        rc = cli_no_operands(COMMAND, argc, argv, first);
    return rc == EXIT_OK ? cli_common_check(COMMAND, &r->o.c, "RUN.h5") : rc;
}

/* The σ grid, cut by ODE-Jump (doc/theory.md §7): σ_0 … σ_K, then x ← D(x_K; σ_K) at σ = 0. */
static int make_grid(sample_run *r)
{
    sample_options *o = &r->o;
    r->nsigmas = cli_grid_size(&o->grid);
    r->sigmas = malloc((r->nsigmas > 0 ? r->nsigmas : 1) * sizeof *r->sigmas);
    if (!r->sigmas) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    const int rc = cli_grid_make(COMMAND, &o->grid, r->sigmas);
    if (rc != EXIT_OK || !o->jump_given)
        return rc;
    if (o->jump_at + 1 >= o->grid.steps)
        return cli_usage_error(COMMAND, "--jump-at %zu: must be below the last grid index %zu",
                               o->jump_at, o->grid.steps - 1);
    r->nsigmas = o->jump_at + 2;
    r->sigmas[r->nsigmas - 1] = 0;
    o->denoise_to_zero = true;
    o->grid.final_zero = true;
    return EXIT_OK;
}

/* Process 0's start points: the extension's, or read from --init, or drawn from the seed. */
static int make_starts(sample_run *r)
{
    const sample_options *o = &r->o;
    const size_t dim = r->model.dim;
    if (r->ext)
        return r->ext->starts(r->ext->ctx, o->init, o->c.seed, dim, o->grid.sigma_max, &r->starts);
    return cli_make_starts(o->init, o->n, o->n_given, o->c.seed, dim, o->grid.sigma_max,
                           &r->starts);
}

/* The grid, the model, the start points and the trajectories' memory. */
static int prepare(sample_run *r)
{
    const sample_options *o = &r->o;
    int rc = make_grid(r);
    if (rc != EXIT_OK)
        return rc;
    cli_progress_init(&r->progress, "sampling");
    r->progress.enabled &= !o->c.quiet;
    rc = o->threshold
             ? cli_model_load_bounded(&o->c, r->progress.enabled, 1, "--threshold", &r->model)
             : cli_model_load_common(&o->c, r->progress.enabled, &r->model);
    if (rc != EXIT_OK)
        return rc;
    /* On an MPI job process 0 alone reads or draws the start points. */
    rc = cli_mpi_rank() == 0 ? make_starts(r) : EXIT_OK;
    rc = cli_mpi_share_starts(rc, r->model.dim, &r->starts);
    if (rc != EXIT_OK)
        return rc;
    const size_t n = r->starts->n, dim = r->model.dim;
    r->traj = dg_doubles_alloc(r->nsigmas * n, dim);
    r->denoised = dg_doubles_alloc((r->nsigmas - 1) * n, dim);
    if (!r->traj || !r->denoised) {
        cli_error("cannot allocate trajectories of %zu × %zu × %zu doubles", r->nsigmas, n, dim);
        rc = EXIT_FAILED;
    }
    /* On an MPI job the processes go on to evaluate together, or all stop. */
    return cli_mpi_agree(rc);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* Integrates the trajectories, timing the solver and its communication. */
static int solve(sample_run *r)
{
    const sample_options *o = &r->o;
    const bool cluster = cli_mpi_size() > 1;
    cli_watch watch = {&r->progress, 0};
    const dg_solve_options sopt = {
        .afs = o->afs,
        .denoise_to_zero = o->denoise_to_zero,
        .threshold = o->threshold,
        .max_order = o->max_order,
        .progress = cluster ? cli_watch_step : cli_progress_update,
        .progress_ctx = cluster ? (void *)&watch : (void *)&r->progress,
        .cancel = cluster ? &watch.cancel : &cli_interrupted,
    };
    dg_error err;
    double bytes0;
    const double comm0 = cli_mpi_comm_seconds(&bytes0), start = seconds_now();
    const int status =
        dg_solve(o->solver, r->model.den, r->sigmas, r->nsigmas, r->starts->n, r->model.dim,
                 r->starts->x, r->traj, r->denoised, &sopt, &r->nfe, &err);
    r->seconds = seconds_now() - start;
    r->comm_seconds = cli_mpi_comm_seconds(&r->comm_bytes) - comm0;
    r->comm_bytes -= bytes0;
    cli_progress_done(&r->progress);
    return status == DG_OK ? EXIT_OK : cli_fail(&err);
}

/* The text of every process's peak memory: about a hundred processes'
 * numbers; more are cut off (snprintf), the attribute stays one line. */
enum { PEAKS_TEXT_SIZE = 512 };

/* What a distributed run measured, for /config and stderr. */
typedef struct cluster_report {
    double compute, communication; /* seconds per step, the slowest process */
    double bytes;                  /* bytes sent per step, the busiest process */
    double peak_mib;               /* largest peak resident memory of a process */
    char peaks[PEAKS_TEXT_SIZE];   /* every process's peak, MiB */
} cluster_report;

/* Collective: every process's measurements, summarised in r. */
static int report_cluster(double seconds, double comm_seconds, double comm_bytes, size_t steps,
                          cluster_report *r)
{
    const size_t size = (size_t)cli_mpi_size();
    double *all = malloc(3 * size * sizeof *all);
    if (!all) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    int rc = cli_mpi_gather(cli_peak_rss_mib(), all);
    if (rc == EXIT_OK)
        rc = cli_mpi_gather(comm_seconds, all + size);
    if (rc == EXIT_OK)
        rc = cli_mpi_gather(comm_bytes, all + 2 * size);
    memset(r, 0, sizeof *r);
    size_t len = 0;
    for (size_t p = 0; rc == EXIT_OK && p < size; p++) {
        r->peak_mib = fmax(r->peak_mib, all[p]);
        r->communication = fmax(r->communication, all[size + p] / (double)steps);
        r->bytes = fmax(r->bytes, all[2 * size + p] / (double)steps);
        if (len < sizeof r->peaks)
            len += (size_t)snprintf(r->peaks + len, sizeof r->peaks - len, "%s%.0f", p ? " " : "",
                                    all[p]);
    }
    r->compute = seconds / (double)steps - r->communication;
    free(all);
    return rc;
}

/* What sample adds to the run file beyond dg_run's own fields. */
typedef struct sample_extras {
    cluster_report cluster; /* holds the text of mpi_peak_memory_mib */
    dg_h5_attr config[CONFIG_MAX];
    size_t nconfig;
    dg_h5_array arrays[ARRAYS_MAX];
    size_t narrays;
} sample_extras;

/* A distributed run's measurements: to /config, and a line on stderr. */
static int add_cluster_config(const sample_run *r, sample_extras *x)
{
    const size_t T = r->nsigmas - 1;
    cluster_report *cr = &x->cluster;
    const int rc = report_cluster(r->seconds, r->comm_seconds, r->comm_bytes, T > 0 ? T : 1, cr);
    if (rc != EXIT_OK)
        return rc;
    x->config[x->nconfig++] = (dg_h5_attr){"mpi_processes", NULL, cli_mpi_size(), 1};
    x->config[x->nconfig++] = (dg_h5_attr){"mpi_seconds_compute_per_step", NULL, cr->compute, 0};
    x->config[x->nconfig++] =
        (dg_h5_attr){"mpi_seconds_communication_per_step", NULL, cr->communication, 0};
    x->config[x->nconfig++] = (dg_h5_attr){"mpi_bytes_sent_per_step", NULL, cr->bytes, 0};
    x->config[x->nconfig++] = (dg_h5_attr){"mpi_peak_memory_mib", cr->peaks, 0, 0};
    if (!r->o.c.quiet && cli_mpi_rank() == 0)
        fprintf(stderr,
                "%d processes: per step %.3g s computing, %.3g s communicating, "
                "%.3g bytes sent (most by one process); peak memory per process "
                "%s MiB\n",
                cli_mpi_size(), cr->compute, cr->communication, cr->bytes, cr->peaks);
    return EXIT_OK;
}

/* The /config attributes and arrays of a distributed run, --jump-at, the
 * extension, --samples, a fitted mixture and the data rows. */
static int collect_extras(sample_run *r, sample_extras *x)
{
    const sample_options *o = &r->o;
    int rc = cli_mpi_size() > 1 ? add_cluster_config(r, x) : EXIT_OK;
    if (rc == EXIT_OK && o->jump_given)
        x->config[x->nconfig++] = (dg_h5_attr){"jump_at", NULL, (double)o->jump_at, 1};
    if (rc == EXIT_OK && r->ext)
        rc = r->ext->outputs(r->ext->ctx, r->starts, o->grid.sigma_max, &r->extra);
    if (rc != EXIT_OK)
        return rc;
    for (size_t k = 0; k < r->extra.nconfig; k++)
        x->config[x->nconfig++] = r->extra.config[k];
    if (o->c.samples)
        x->config[x->nconfig++] = (dg_h5_attr){"samples", NULL, (double)o->c.samples, 1};
    const int nfit = cli_model_fit_arrays(&r->model, x->arrays, &r->fit_storage);
    if (nfit < 0) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    x->narrays = (size_t)nfit;
    x->narrays += (size_t)cli_model_data_array(&r->model, &x->arrays[x->narrays]);
    for (size_t k = 0; k < r->extra.narrays; k++)
        x->arrays[x->narrays++] = r->extra.arrays[k];
    return EXIT_OK;
}

/* The run file's description of r, with x's additions. */
static dg_run describe_run(const sample_run *r, const char *command_line, const sample_extras *x)
{
    const sample_options *o = &r->o;
    const cli_grid *g = &o->grid;
    const dg_dataset *data = r->model.data;
    return (dg_run){
        .command_line = command_line,
        .seed = o->c.seed,
        .data = o->c.data,
        .limit = o->c.limit,
        .denoiser = r->model.denoiser,
        .solver = o->solver->name,
        .schedule = g->name,
        .steps = g->steps,
        .sigma_min = g->sigma_min,
        .sigma_max = g->sigma_max,
        .rho = g->rho > 0    ? g->rho
               : g->schedule ? g->schedule->default_rho
                             : 0,
        .final_zero = g->final_zero,
        .denoise_to_zero = o->denoise_to_zero,
        .afs = o->afs,
        .threshold = o->threshold,
        .max_order = o->max_order ? o->max_order : DG_SOLVER_MAX_ORDER,
        .nfe = r->nfe,
        .n = r->starts->n,
        .dim = r->model.dim,
        .image_rank = data ? data->image_rank : 0,
        .image_shape = data ? data->image_shape : NULL,
        .sigmas = r->sigmas,
        .nsigmas = r->nsigmas,
        .trajectory = r->traj,
        .denoised = r->denoised,
        .extra = x->arrays,
        .nextra = x->narrays,
        .extra_config = x->config,
        .nextra_config = x->nconfig,
    };
}

/* Writes the run file (process 0; main makes every process fail with it). */
static int write_run(sample_run *r, const char *command_line)
{
    sample_extras x = {.nconfig = 0};
    const int rc = collect_extras(r, &x);
    if (rc != EXIT_OK)
        return rc;
    const dg_run run = describe_run(r, command_line, &x);
    /* The denoiser (all the data, for D*) goes before libhdf5 needs memory:
     * it crashes on some failed allocations. */
    cli_model_release_denoiser(&r->model);
    if (cli_mpi_rank() > 0)
        return EXIT_OK;
    dg_error err;
    const dg_h5_write_options wopt = {.cancel = &cli_interrupted};
    return dg_h5_write_run_ex(r->o.c.output, &run, &wopt, &err) == DG_OK ? EXIT_OK : cli_fail(&err);
}

int cli_sample_run(const cli_sample_extension *ext, int argc, char **argv, const char *command_line)
{
    sample_run r = {.ext = ext,
                    .o = {.solver = &dg_solver_heun, .grid = CLI_GRID_DEFAULTS, .n = 16}};
    bool helped;
    int rc = parse(argc, argv, &r, &helped);
    if (rc != EXIT_OK || helped)
        goto free_run;
    /* From here on SIGINT and SIGTERM stop the run cleanly (no output file,
     * an older one intact), however far it got. */
    cli_catch_signals();
    rc = prepare(&r);
    if (rc == EXIT_OK)
        rc = solve(&r);
    if (rc == EXIT_OK)
        rc = write_run(&r, command_line);
free_run:
    free(r.fit_storage);
    dg_doubles_free(r.traj);
    dg_doubles_free(r.denoised);
    dg_dataset_free(r.starts);
    cli_model_free(&r.model);
    free(r.sigmas);
    cli_grid_free(&r.o.grid);
    return rc;
}

int cmd_sample(int argc, char **argv, const char *command_line)
{
    return cli_sample_run(NULL, argc, argv, command_line);
}
