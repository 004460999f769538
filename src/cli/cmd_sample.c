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
           "                         /config); written atomically\n"
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

static void help_interpolate(void)
{
    printf("Usage: diffgeo interpolate --data SPEC [--method lerp|slerp|rescaled]\n"
           "                           [--points M] [SAMPLE OPTION]... -o RUN.h5\n"
           "Latent interpolation (PAPER.md §7): M start points on a path between two\n"
           "starts a and b at σ_max, each decoded by the probability-flow ODE.  Independent\n"
           "starts have norm ≈ σ_max √d and are nearly orthogonal, so the straight line\n"
           "(lerp) leaves the noise shell: its midpoint has norm ≈ 0.707 σ_max √d.\n"
           "\n"
           "      --method NAME  lerp: (1 − λ) a + λ b;  slerp: the great circle from a to b\n"
           "                     (default);  rescaled: lerp scaled to norm σ_max √d\n"
           "      --points M     points on the path, λ = 0, 1/(M−1), …, 1 [11]\n"
           "      --init SPEC    the two starts a and b (2 × d); otherwise drawn with --seed\n"
           "All options of 'diffgeo sample' apply (solver, grid, data, denoiser).  The run\n"
           "file is a sample run file with one trajectory per point, plus\n"
           "/interpolation/lambda [M] and /interpolation/norm_ratio [M] = ‖x_0‖/(σ_max √d).\n"
           "\n"
           "Example:\n"
           "  diffgeo interpolate --data fashion-mnist --method lerp --points 9 -o lerp.h5\n");
}

typedef struct sample_options {
    cli_common c; /* --data, -o, --quiet, --limit, --seed, --denoiser, --samples */
    const char *init;
    const dg_solver_type *solver;
    cli_grid grid;
    size_t n;
    int n_given;
    int afs, denoise_to_zero, threshold;
    unsigned max_order;
    size_t jump_at; /* ODE-Jump: the grid index after which D(x; σ) is returned */
    int jump_given;
    /* diffgeo interpolate: the path between two starts, and its points. */
    int interpolate;
    const char *method;
    size_t points;
} sample_options;

enum {
    OPT_SOLVER = 2000,
    OPT_INIT,
    OPT_AFS,
    OPT_DENOISE_TO_ZERO,
    OPT_THRESHOLD,
    OPT_MAX_ORDER,
    OPT_JUMP_AT,
    OPT_METHOD,
    OPT_POINTS
};

/* The interpolation paths of `diffgeo interpolate` (PAPER.md §7). */
static const char *const methods[] = {"lerp", "slerp", "rescaled", NULL};

static int parse(int argc, char **argv, sample_options *o)
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
        {"jump-at", required_argument, NULL, OPT_JUMP_AT},
        {"method", required_argument, NULL, OPT_METHOD},
        {"points", required_argument, NULL, OPT_POINTS},
        CLI_COMMON_OPTIONS,
        CLI_DENOISER_OPTIONS,
        CLI_GRID_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    int opt;
    opterr = 0;
    optind = 1;
    while ((opt = getopt_long(argc, argv, ":d:o:n:qh", longopts, NULL)) != -1) {
        const int handled = cli_shared_option(COMMAND, &o->grid, &o->c, opt, optarg);
        if (handled < 0)
            return cli_option_exit(handled);
        if (handled > 0)
            continue;
        switch (opt) {
        case 'n':
            if (cli_parse_count(COMMAND, "n", optarg, "start point", &o->n) != 0)
                return EXIT_USAGE;
            o->n_given = 1;
            break;
        case 'h':
            if (o->interpolate)
                help_interpolate();
            else
                help();
            exit(EXIT_OK);
        case OPT_JUMP_AT:
            if (o->interpolate || cli_parse_size(COMMAND, "jump-at", optarg, &o->jump_at) != 0)
                return o->interpolate ? cli_usage_error(COMMAND, "unknown option '--jump-at'")
                                      : EXIT_USAGE;
            o->jump_given = 1;
            break;
        case OPT_METHOD: {
            size_t k = 0;
            while (methods[k] && strcmp(methods[k], optarg) != 0)
                k++;
            if (!o->interpolate || !methods[k])
                return cli_usage_error(o->interpolate ? "interpolate" : COMMAND,
                                       o->interpolate
                                           ? "unknown method '%s' (lerp, slerp, rescaled)"
                                           : "unknown option '--method' ('%s')",
                                       optarg);
            o->method = methods[k];
            break;
        }
        case OPT_POINTS:
            if (!o->interpolate)
                return cli_usage_error(COMMAND, "unknown option '--points'");
            if (cli_parse_size("interpolate", "points", optarg, &o->points) != 0)
                return EXIT_USAGE;
            if (o->points < 2)
                return cli_usage_error("interpolate", "--points %zu: need at least 2", o->points);
            break;
        case OPT_SOLVER:
            o->solver = dg_solver_find(optarg);
            if (!o->solver) {
                char names[CLI_NAMES_MAX];
                return cli_usage_error(COMMAND, "unknown solver '%s' (%s)", optarg,
                                       cli_solver_names(names, sizeof names, NULL));
            }
            break;
        case OPT_INIT:
            o->init = optarg;
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
    if (o->jump_given && (o->denoise_to_zero || o->grid.final_zero))
        return cli_usage_error(COMMAND, "--jump-at ends the run with D(x; σ): drop --final-zero "
                                        "and --denoise-to-zero");
    /* The DS convention is the same grid with D itself as the last step. */
    o->grid.final_zero |= o->denoise_to_zero;
    if (optind < argc)
        return cli_usage_error(COMMAND, "unexpected argument '%s'", argv[optind]);
    return cli_common_check(COMMAND, &o->c, "RUN.h5");
}

/*
 * Points on the path between the starts a and b (rows 0 and 1 of ends):
 * lerp, slerp along the great circle, or lerp rescaled to norm σ_max √d.
 */
static void interpolate_path(const char *method, const double *a, const double *b, size_t dim,
                             double sigma_max, size_t points, double *x)
{
    const double na = dg_norm(a, dim), nb = dg_norm(b, dim);
    const double cosine = fmax(-1.0, fmin(1.0, dg_dot(a, b, dim) / (na * nb)));
    const double theta = acos(cosine), shell = sigma_max * sqrt((double)dim);
    for (size_t m = 0; m < points; m++) {
        const double t = (double)m / (double)(points - 1);
        double wa = 1 - t, wb = t;
        if (strcmp(method, "slerp") == 0 && sin(theta) > 1e-12) {
            wa = sin((1 - t) * theta) / sin(theta);
            wb = sin(t * theta) / sin(theta);
        }
        double *row = x + m * dim;
        for (size_t k = 0; k < dim; k++)
            row[k] = wa * a[k] + wb * b[k];
        if (strcmp(method, "rescaled") == 0) {
            const double scale = shell / dg_norm(row, dim);
            for (size_t k = 0; k < dim; k++)
                row[k] *= scale;
        }
    }
}

/* Start points: read from --init, or drawn from the seed. */
static int make_starts(const sample_options *o, size_t dim, dg_dataset **starts)
{
    dg_error err;
    /* Start points are untrusted input like the data: HDF5 is read isolated. */
    const dg_data_options init_options = {.isolate_hdf5 = 1};
    if (o->interpolate) {
        dg_dataset *ends = NULL;
        int rc = EXIT_OK;
        if (o->init) {
            if (dg_data_load(o->init, &init_options, &ends, &err) != DG_OK)
                return cli_fail_spec(&err);
            if (ends->n != 2 || ends->dim != dim) {
                cli_error("--init %s: interpolation needs 2 start points of dimension %zu, "
                          "not %zu × %zu",
                          o->init, dim, ends->n, ends->dim);
                rc = EXIT_FAILED;
            }
        } else {
            rc = cli_draw_starts(o->c.seed, 2, dim, o->grid.sigma_max, &ends);
        }
        if (rc == EXIT_OK) {
            *starts = dg_dataset_alloc(o->points, dim);
            if (*starts)
                interpolate_path(o->method, ends->x, ends->x + dim, dim, o->grid.sigma_max,
                                 o->points, (*starts)->x);
            else
                rc = EXIT_FAILED;
        }
        dg_dataset_free(ends);
        return rc;
    }
    return cli_make_starts(o->init, o->n, o->n_given, o->c.seed, dim, o->grid.sigma_max, starts);
}

static double seconds_now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

/* What a distributed run measured, for /config and stderr. */
typedef struct cluster_report {
    double compute, communication; /* seconds per step, the slowest process */
    double bytes;                  /* bytes sent per step, the busiest process */
    double peak_mib;               /* largest peak resident memory of a process */
    char peaks[512];               /* every process's peak, MiB */
} cluster_report;

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

static int run_sample(int argc, char **argv, const char *command_line, int interpolate)
{
    sample_options o = {.solver = &dg_solver_heun,
                        .grid = CLI_GRID_DEFAULTS,
                        .n = 16,
                        .interpolate = interpolate,
                        .method = "slerp",
                        .points = 11};
    int rc = parse(argc, argv, &o);
    if (rc != EXIT_OK) {
        cli_grid_free(&o.grid);
        return rc;
    }
    /* From here on SIGINT and SIGTERM stop the run cleanly (no output file,
     * an older one intact), however far it got. */
    cli_catch_signals();

    size_t nsigmas = cli_grid_size(&o.grid);
    double *sigmas = malloc((nsigmas > 0 ? nsigmas : 1) * sizeof *sigmas);
    dg_dataset *starts = NULL;
    cli_model model = {0};
    double *traj = NULL, *denoised = NULL, *lambda = NULL, *ratio = NULL, *fit_storage = NULL;
    dg_error err;
    if (!sigmas) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    rc = cli_grid_make(COMMAND, &o.grid, sigmas);
    if (rc != EXIT_OK)
        goto release;
    if (o.jump_given) {
        /* ODE-Jump (PAPER.md §7): σ_0 … σ_K, then x ← D(x_K; σ_K) at σ = 0. */
        if (o.jump_at + 1 >= o.grid.steps) {
            rc = cli_usage_error(COMMAND, "--jump-at %zu: must be below the last grid index %zu",
                                 o.jump_at, o.grid.steps - 1);
            goto release;
        }
        nsigmas = o.jump_at + 2;
        sigmas[nsigmas - 1] = 0;
        o.denoise_to_zero = 1;
        o.grid.final_zero = 1;
    }

    cli_progress progress;
    cli_progress_init(&progress, "sampling");
    progress.enabled &= !o.c.quiet;
    const cli_model_options mopt = {.spec = o.c.data,
                                    .limit = o.c.limit,
                                    .denoiser = o.c.denoiser,
                                    .samples = o.c.samples,
                                    .seed = o.c.seed,
                                    .announce = progress.enabled,
                                    .adopt_rows = 1};
    rc = cli_model_load_ex(&mopt, &model);
    if (rc != EXIT_OK)
        goto release;
    const dg_dataset *data = model.data;
    /* On an MPI job process 0 alone reads or draws the start points. */
    rc = cli_mpi_rank() == 0 ? make_starts(&o, model.dim, &starts) : EXIT_OK;
    rc = cli_mpi_share_starts(rc, model.dim, &starts);
    if (rc != EXIT_OK)
        goto release;

    const size_t n = starts->n, dim = model.dim, T = nsigmas - 1;
    traj = dg_doubles_alloc(nsigmas * n, dim);
    denoised = dg_doubles_alloc(T * n, dim);
    if (!traj || !denoised) {
        cli_error("cannot allocate trajectories of %zu × %zu × %zu doubles", nsigmas, n, dim);
        rc = EXIT_FAILED;
    }
    /* On an MPI job the processes go on to evaluate together, or all stop. */
    if ((rc = cli_mpi_agree(rc)) != EXIT_OK)
        goto release;

    const int cluster = cli_mpi_size() > 1;
    cli_watch watch = {&progress, 0};
    const dg_solve_options sopt = {
        .afs = o.afs,
        .denoise_to_zero = o.denoise_to_zero,
        .threshold = o.threshold,
        .max_order = o.max_order,
        .progress = cluster ? cli_watch_step : cli_progress_update,
        .progress_ctx = cluster ? (void *)&watch : (void *)&progress,
        .cancel = cluster ? &watch.cancel : &cli_interrupted,
    };
    size_t nfe = 0;
    double comm_bytes0, comm_bytes;
    const double comm0 = cli_mpi_comm_seconds(&comm_bytes0), start = seconds_now();
    int status = dg_solve(o.solver, model.den, sigmas, nsigmas, n, dim, starts->x, traj, denoised,
                          &sopt, &nfe, &err);
    const double seconds = seconds_now() - start;
    const double comm = cli_mpi_comm_seconds(&comm_bytes) - comm0;
    cli_progress_done(&progress);
    if (status != DG_OK) {
        rc = cli_fail(&err);
        goto release;
    }

    /* What interpolate, --jump-at and a distributed run add to the run file. */
    dg_h5_attr extra_config[9];
    size_t nconfig = 0;
    cluster_report cr;
    if (cluster) {
        const size_t steps = T > 0 ? T : 1;
        rc = report_cluster(seconds, comm, comm_bytes - comm_bytes0, steps, &cr);
        if (rc != EXIT_OK)
            goto release;
        extra_config[nconfig++] = (dg_h5_attr){"mpi_processes", NULL, cli_mpi_size(), 1};
        extra_config[nconfig++] = (dg_h5_attr){"mpi_seconds_compute_per_step", NULL, cr.compute, 0};
        extra_config[nconfig++] =
            (dg_h5_attr){"mpi_seconds_communication_per_step", NULL, cr.communication, 0};
        extra_config[nconfig++] = (dg_h5_attr){"mpi_bytes_sent_per_step", NULL, cr.bytes, 0};
        extra_config[nconfig++] = (dg_h5_attr){"mpi_peak_memory_mib", cr.peaks, 0, 0};
        if (!o.c.quiet && cli_mpi_rank() == 0)
            fprintf(stderr,
                    "%d processes: per step %.3g s computing, %.3g s communicating, "
                    "%.3g bytes sent (most by one process); peak memory per process "
                    "%s MiB\n",
                    cli_mpi_size(), cr.compute, cr.communication, cr.bytes, cr.peaks);
    }
    if (o.jump_given)
        extra_config[nconfig++] = (dg_h5_attr){"jump_at", NULL, (double)o.jump_at, 1};
    if (o.interpolate)
        extra_config[nconfig++] = (dg_h5_attr){"interpolation", o.method, 0, 0};
    if (o.c.samples)
        extra_config[nconfig++] = (dg_h5_attr){"samples", NULL, (double)o.c.samples, 1};
    dg_h5_array extra[5] = {{0}};
    size_t nextra = 0;
    const int nfit = cli_model_fit_arrays(&model, extra, &fit_storage);
    if (nfit < 0) {
        cli_error("out of memory");
        rc = EXIT_FAILED;
        goto release;
    }
    nextra = (size_t)nfit;
    if (o.interpolate) {
        lambda = malloc(n * sizeof *lambda);
        ratio = malloc(n * sizeof *ratio);
        if (!lambda || !ratio) {
            cli_error("out of memory");
            rc = EXIT_FAILED;
            goto release;
        }
        for (size_t m = 0; m < n; m++) {
            lambda[m] = (double)m / (double)(n - 1);
            ratio[m] = dg_norm(starts->x + m * dim, dim) / (o.grid.sigma_max * sqrt((double)dim));
        }
        const dg_h5_array l = {"/interpolation/lambda",
                               lambda,
                               1,
                               {n},
                               "position on the path from start a (0) to b (1)",
                               "1",
                               "sample",
                               NULL};
        const dg_h5_array r = {"/interpolation/norm_ratio",
                               ratio,
                               1,
                               {n},
                               "||x_0|| / (sigma_max sqrt(d)): 1 on the noise shell",
                               "1",
                               "sample",
                               NULL};
        extra[nextra++] = l;
        extra[nextra++] = r;
    }

    const dg_run run = {
        .command_line = command_line,
        .seed = o.c.seed,
        .data = o.c.data,
        .limit = o.c.limit,
        .denoiser = model.denoiser,
        .solver = o.solver->name,
        .schedule = o.grid.name,
        .steps = o.grid.steps,
        .sigma_min = o.grid.sigma_min,
        .sigma_max = o.grid.sigma_max,
        .rho = o.grid.rho > 0    ? o.grid.rho
               : o.grid.schedule ? o.grid.schedule->default_rho
                                 : 0,
        .final_zero = o.grid.final_zero,
        .denoise_to_zero = o.denoise_to_zero,
        .afs = o.afs,
        .threshold = o.threshold,
        .max_order = o.max_order ? o.max_order : DG_SOLVER_MAX_ORDER,
        .nfe = nfe,
        .n = n,
        .dim = dim,
        .image_rank = data ? data->image_rank : 0,
        .image_shape = data ? data->image_shape : NULL,
        .sigmas = sigmas,
        .nsigmas = nsigmas,
        .trajectory = traj,
        .denoised = denoised,
        .extra = extra,
        .nextra = nextra,
        .extra_config = extra_config,
        .nextra_config = nconfig,
    };
    /* The denoiser (all the data, for D*) goes before libhdf5 needs memory:
     * it crashes on some failed allocations. */
    cli_model_release_denoiser(&model);
    /* On an MPI job process 0 writes the run file (main makes every process
     * fail with it). */
    const dg_h5_write_options wopt = {.cancel = &cli_interrupted};
    if (cli_mpi_rank() == 0)
        rc = dg_h5_write_run_ex(o.c.output, &run, &wopt, &err) == DG_OK ? EXIT_OK : cli_fail(&err);

release:
    free(fit_storage);
    free(lambda);
    free(ratio);
    dg_doubles_free(traj);
    dg_doubles_free(denoised);
    dg_dataset_free(starts);
    cli_model_free(&model);
    free(sigmas);
    cli_grid_free(&o.grid);
    return rc;
}

int cmd_sample(int argc, char **argv, const char *command_line)
{
    return run_sample(argc, argv, command_line, 0);
}

int cmd_interpolate(int argc, char **argv, const char *command_line)
{
    return run_sample(argc, argv, command_line, 1);
}
