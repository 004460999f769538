/* diffgeo gits: a time schedule by dynamic programming on a teacher run (doc/theory.md §4). */
#include "config.h"

#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli.h"

static const char *const COMMAND = "gits";

static void help(void)
{
    char names[CLI_NAMES_MAX], text[2 * CLI_NAMES_MAX];
    printf("Usage: diffgeo gits --data SPEC [OPTION]... -o SCHED.h5\n"
           "Find a σ schedule of K steps with GITS (Chen et al., ICML 2024): run a teacher\n"
           "solver on a fine grid from --warmup random starts, price every Euler jump\n"
           "between two teacher grid points by its error against the teacher, and choose\n"
           "the K jumps from σ_max to σ_min of least weighted total cost by dynamic\n"
           "programming.  Use the result with 'diffgeo sample --schedule h5:SCHED.h5'.\n"
           "\n"
           "  -d, --data SPEC        data, as for 'diffgeo sample' (see its --help)\n"
           "      --limit N          use the first N rows of the data\n"
           "      --samples N        draw N rows from a distribution given as --data\n"
           "      --denoiser KIND    as for 'diffgeo sample': empirical (default for data),\n"
           "                         gmm (mixtures), gaussian, gmm-fit:K\n");
    cli_solver_names(names, sizeof names, NULL);
    snprintf(text, sizeof text, "teacher solver: %s [%s]", names, dg_solver_ipndm.name);
    cli_help_item("      --teacher NAME", CLI_OPTION_COLUMN, text);
    printf("      --teacher-steps N  timestamps of the teacher's grid [61]\n"
           "      --warmup N         teacher trajectories averaged in the costs [256]\n"
           "      --steps N          timestamps of the schedule found, K + 1 [7]\n"
           "      --cost KIND        dev (default): dev(x̂) − dev(x_j), the change of the\n"
           "                         distance to the teacher's start–end line; l2 or l1:\n"
           "                         the norm of x̂ − x_j\n"
           "      --coeff C          weight growth of later steps in the programme [1.15]\n"
           "      --seed K           seed of the warm-up starts [0]\n");
    cli_schedule_names(names, sizeof names, dg_schedule_types[0]);
    snprintf(text, sizeof text, "the teacher's grid: %s", names);
    cli_help_item("      --schedule NAME", CLI_OPTION_COLUMN, text);
    printf("      --sigma-max S      [80]    --sigma-min S [0.002]    --rho R\n"
           "  -o, --output FILE      where to write /sigmas [K+1], /indices [K+1],\n"
           "                         /teacher_sigmas [T], /cost [T][T] (NaN below the\n"
           "                         diagonal), /dp [T][K+1] and /data\n" CLI_SAVE_DATA_HELP
           "  -q, --quiet            no progress line\n"
           "  -h, --help             show this help\n"
           "\n"
           "Example (a 6-step schedule for Fashion-MNIST):\n"
           "  diffgeo gits --data fashion-mnist --limit 5000 --steps 7 -o gits.h5\n"
           "  diffgeo sample --data fashion-mnist --limit 5000 --solver ipndm \\\n"
           "      --schedule h5:gits.h5 -o run.h5\n");
}

typedef struct gits_options {
    cli_common c; /* --data, -o, --quiet, --limit, --seed, --denoiser, --samples */
    const dg_solver_type *teacher;
    cli_grid grid; /* the teacher's grid; grid.steps = --teacher-steps */
    size_t warmup, student_steps;
    int cost;
    double coeff;
} gits_options;

enum { OPT_TEACHER = 2000, OPT_TEACHER_STEPS, OPT_WARMUP, OPT_COST, OPT_COEFF };

/* gits' own options, and its meaning of --steps; a cli_parser option. */
static int gits_option(void *ctx, int opt, const char *arg)
{
    gits_options *o = ctx;
    switch (opt) {
    case OPT_STEPS: /* here: the schedule to find */
        return cli_parse_size(COMMAND, "steps", arg, &o->student_steps) == 0 ? EXIT_OK : EXIT_USAGE;
    case OPT_FINAL_ZERO:
        return cli_usage_error(COMMAND, "--final-zero does not apply: the schedule ends at "
                                        "σ_min");
    case OPT_SCHEDULE:
        if (strncmp(arg, "list:", 5) == 0 || strncmp(arg, "h5:", 3) == 0)
            return cli_usage_error(COMMAND, "the teacher needs a named grid, not '%s'", arg);
        return CLI_OPTION_SHARED;
    case OPT_TEACHER:
        o->teacher = dg_solver_find(arg);
        if (!o->teacher)
            return cli_usage_error(COMMAND, "unknown teacher solver '%s'", arg);
        return EXIT_OK;
    case OPT_TEACHER_STEPS:
        return cli_parse_size(COMMAND, "teacher-steps", arg, &o->grid.steps) == 0 ? EXIT_OK
                                                                                  : EXIT_USAGE;
    case OPT_WARMUP:
        return cli_parse_count(COMMAND, "warmup", arg, "trajectory", &o->warmup) == 0 ? EXIT_OK
                                                                                      : EXIT_USAGE;
    case OPT_COST:
        o->cost = dg_gits_cost_find(arg);
        if (o->cost < 0) {
            char costs[CLI_NAMES_MAX];
            return cli_usage_error(COMMAND, "unknown cost '%s' (%s)", arg,
                                   cli_cost_names(costs, sizeof costs));
        }
        return EXIT_OK;
    case OPT_COEFF:
        if (cli_parse_double(COMMAND, "coeff", arg, &o->coeff) != 0)
            return EXIT_USAGE;
        if (!(o->coeff > 0))
            return cli_usage_error(COMMAND, "--coeff %s: must be positive", arg);
        return EXIT_OK;
    default:
        return CLI_OPTION_SHARED;
    }
}

/* The options of o; *helped after --help.  An exit code. */
static int parse(int argc, char **argv, gits_options *o, bool *helped)
{
    static const struct option longopts[] = {
        {"help", no_argument, NULL, 'h'},
        {"teacher", required_argument, NULL, OPT_TEACHER},
        {"teacher-steps", required_argument, NULL, OPT_TEACHER_STEPS},
        {"warmup", required_argument, NULL, OPT_WARMUP},
        {"cost", required_argument, NULL, OPT_COST},
        {"coeff", required_argument, NULL, OPT_COEFF},
        CLI_COMMON_OPTIONS,
        CLI_DENOISER_OPTIONS,
        CLI_SAVE_DATA_OPTIONS,
        CLI_GRID_OPTIONS,
        {NULL, 0, NULL, 0},
    };
    const cli_parser p = {.command = COMMAND,
                          .shortopts = ":d:o:qh",
                          .longopts = longopts,
                          .help = help,
                          .option = gits_option,
                          .ctx = o,
                          .grid = &o->grid,
                          .common = &o->c};
    int first;
    int rc = cli_parse_options(&p, argc, argv, &first);
    *helped = rc == EXIT_OK && first < 0;
    if (rc != EXIT_OK || *helped)
        return rc;
    rc = cli_common_check(COMMAND, &o->c, "SCHED.h5");
    if (rc != EXIT_OK)
        return rc;
    if (o->student_steps < 2 || o->student_steps > o->grid.steps)
        return cli_usage_error(COMMAND, "--steps %zu: need 2 to --teacher-steps (%zu) timestamps",
                               o->student_steps, o->grid.steps);
    return EXIT_OK;
}

/* A run from the command line to the schedule file: prepare makes the grid,
 * the model, the warm-up starts and the buffers, teach runs the teacher and
 * the programme, write_schedule writes. */
typedef struct gits_run {
    gits_options o;
    size_t T, n, K;  /* the teacher's timestamps, trajectories; the steps to find */
    double *tsig;    /* [T] the teacher's grid */
    size_t *indices; /* [K + 1] the schedule found, as indices of tsig */
    cli_progress progress;
    cli_model model;
    dg_dataset *starts; /* [n] warm-up starts */
    double *traj, *den; /* the teacher's [T][n][dim] and [T − 1][n][dim] */
    double *C, *V;      /* [T][T] the costs, [T][K + 1] the programme's table */
    size_t nfe;
} gits_run;

/* The teacher's grid, the model, the warm-up starts and the buffers. */
static int prepare(gits_run *r)
{
    const gits_options *o = &r->o;
    r->tsig = malloc(r->T * sizeof *r->tsig);
    r->indices = malloc((r->K + 1) * sizeof *r->indices);
    if (!r->tsig || !r->indices) {
        cli_error("out of memory");
        return EXIT_FAILED;
    }
    int rc = cli_grid_make(COMMAND, &o->grid, r->tsig);
    if (rc != EXIT_OK)
        return rc;
    cli_progress_init(&r->progress, "teacher");
    r->progress.enabled &= !o->c.quiet;
    rc = cli_model_load_common(&o->c, r->progress.enabled, &r->model);
    if (rc != EXIT_OK)
        return rc;
    const size_t dim = r->model.dim;
    /* On an MPI job process 0 draws the warm-up starts and sends them. */
    rc = cli_mpi_rank() == 0 ? cli_draw_starts(o->c.seed, r->n, dim, o->grid.sigma_max, &r->starts)
                             : EXIT_OK;
    rc = cli_mpi_share_starts(rc, dim, &r->starts);
    if (rc != EXIT_OK)
        return rc;
    r->traj = dg_doubles_alloc(r->T * r->n, dim);
    r->den = dg_doubles_alloc((r->T - 1) * r->n, dim);
    r->C = dg_doubles_alloc(r->T, r->T);
    r->V = dg_doubles_alloc(r->T, r->K + 1);
    rc = EXIT_OK;
    if (!r->traj || !r->den || !r->C || !r->V) {
        cli_error("cannot allocate the teacher's %zu × %zu × %zu trajectories", r->T, r->n, dim);
        rc = EXIT_FAILED;
    }
    /* On an MPI job the processes go on to evaluate together, or all stop. */
    return cli_mpi_agree(rc);
}

/* The teacher's trajectories, the costs of the jumps and the programme.
 * On an MPI job every process runs the teacher in lockstep (the denoiser
 * spans them) and computes the same costs and table. */
static int teach(gits_run *r)
{
    const gits_options *o = &r->o;
    const size_t T = r->T, n = r->n, dim = r->model.dim;
    const bool cluster = cli_mpi_size() > 1;
    cli_watch watch = {&r->progress, 0};
    const dg_solve_options sopt = {.progress = cluster ? cli_watch_step : cli_progress_update,
                                   .progress_ctx = cluster ? (void *)&watch : (void *)&r->progress,
                                   .cancel = cluster ? &watch.cancel : &cli_interrupted};
    dg_error err;
    int status = dg_solve(o->teacher, r->model.den, r->tsig, T, n, dim, r->starts->x, r->traj,
                          r->den, &sopt, &r->nfe, &err);
    cli_progress_done(&r->progress);
    if (status == DG_OK)
        status = dg_gits_cost_matrix(r->tsig, T, r->traj, r->den, n, dim, (dg_gits_cost)o->cost,
                                     r->C, &err);
    if (status == DG_OK)
        status = dg_gits_dp(r->C, T, r->K, o->coeff, r->V, r->indices, &err);
    return status == DG_OK ? EXIT_OK : cli_fail(&err);
}

/* The schedule file's root attributes. */
enum { GITS_ATTRS = 14, GITS_ARRAYS = 5 };
static void schedule_attrs(const gits_run *r, const char *command_line, dg_h5_attr *attrs)
{
    const gits_options *o = &r->o;
    const dg_h5_attr a[GITS_ATTRS] = {
        {"command_line", command_line, 0, 0},
        {"data", o->c.data, 0, 0},
        {"denoiser", r->model.denoiser, 0, 0},
        {"teacher", o->teacher->name, 0, 0},
        {"teacher_schedule", o->grid.name, 0, 0},
        {"cost", dg_gits_cost_name((dg_gits_cost)o->cost), 0, 0},
        {"teacher_steps", NULL, (double)r->T, 1},
        {"teacher_nfe", NULL, (double)r->nfe, 1},
        {"warmup", NULL, (double)o->warmup, 1},
        {"steps", NULL, (double)(r->K + 1), 1},
        {"seed", NULL, (double)o->c.seed, 1},
        {"coeff", NULL, o->coeff, 0},
        {"sigma_min", NULL, o->grid.sigma_min, 0},
        {"sigma_max", NULL, o->grid.sigma_max, 0},
    };
    memcpy(attrs, a, sizeof a);
}

/* The schedule file's arrays: the student grid and its indices, the costs and the table. */
static void schedule_arrays(const gits_run *r, const double *student, const double *index,
                            dg_h5_array *arrays)
{
    const size_t T = r->T, K = r->K;
    const dg_h5_array a[GITS_ARRAYS] = {
        {"/sigmas",
         student,
         1,
         {K + 1},
         "the GITS schedule, decreasing (use as --schedule h5:FILE)",
         "data units",
         "step",
         NULL},
        {"/indices",
         index,
         1,
         {K + 1},
         "indices of /sigmas in /teacher_sigmas (integers)",
         "1",
         "step",
         NULL},
        {"/teacher_sigmas", r->tsig, 1, {T}, "the teacher's grid", "data units", "grid", NULL},
        {"/cost",
         r->C,
         2,
         {T, T},
         "mean cost of an Euler jump from teacher point i to j (i < j)",
         r->o.cost == DG_GITS_COST_DEV ? "data units (signed)" : "data units",
         "from to",
         NULL},
        {"/dp",
         r->V,
         2,
         {T, K + 1},
         "V[i][k]: least weighted cost of k steps from point i",
         "data units",
         "from steps",
         NULL},
    };
    memcpy(arrays, a, sizeof a);
}

/* Writes the schedule file: the student grid, the indices, costs and DP table. */
static int write_schedule(const gits_run *r, const char *command_line)
{
    const size_t K = r->K;
    double *student = malloc((K + 1) * sizeof *student), *index = malloc((K + 1) * sizeof *index);
    int rc = EXIT_FAILED;
    if (!student || !index) {
        cli_error("out of memory");
        goto free_columns;
    }
    for (size_t k = 0; k <= K; k++) {
        student[k] = r->tsig[r->indices[k]];
        index[k] = (double)r->indices[k];
    }
    dg_h5_attr attrs[GITS_ATTRS];
    dg_h5_array arrays[GITS_ARRAYS + 1];
    schedule_attrs(r, command_line, attrs);
    schedule_arrays(r, student, index, arrays);
    const size_t narrays =
        GITS_ARRAYS + (size_t)cli_model_data_array(&r->model, &arrays[GITS_ARRAYS]);
    dg_error err;
    const dg_h5_write_options wopt = {.cancel = &cli_interrupted};
    /* The schedule (/cost and /dp hold NaN and +∞ where undefined, by design). */
    if (cli_check_arrays(arrays, 1) != EXIT_OK)
        goto free_columns;
    rc = dg_h5_write_file_ex(r->o.c.output, attrs, GITS_ATTRS, arrays, narrays, NULL, 0, &wopt,
                             &err) == DG_OK
             ? EXIT_OK
             : cli_fail(&err);
free_columns:
    free(student);
    free(index);
    return rc;
}

int cmd_gits(int argc, char **argv, const char *command_line)
{
    gits_run r = {.o = {.teacher = &dg_solver_ipndm,
                        .grid = CLI_GRID_DEFAULTS,
                        .warmup = 256,
                        .student_steps = 7,
                        .cost = DG_GITS_COST_DEV,
                        .coeff = DG_GITS_DEFAULT_COEFF}};
    r.o.grid.steps = 61;
    bool helped;
    int rc = parse(argc, argv, &r.o, &helped);
    if (rc != EXIT_OK || helped)
        return rc;
    /* From here on SIGINT and SIGTERM stop the run cleanly (no output file,
     * an older one intact), however far it got. */
    cli_catch_signals();
    r.T = r.o.grid.steps, r.n = r.o.warmup, r.K = r.o.student_steps - 1;
    rc = prepare(&r);
    if (rc == EXIT_OK)
        rc = teach(&r);
    if (rc == EXIT_OK) {
        /* The teacher's trajectories and the denoiser (all the data) go
         * before libhdf5 needs memory: it crashes on some failed allocations. */
        dg_doubles_free(r.traj);
        dg_doubles_free(r.den);
        r.traj = r.den = NULL;
        cli_model_release_denoiser(&r.model);
        /* Process 0 writes (main makes every process fail with it). */
        rc = cli_mpi_rank() == 0 ? write_schedule(&r, command_line) : EXIT_OK;
    }
    dg_doubles_free(r.traj);
    dg_doubles_free(r.den);
    dg_doubles_free(r.C);
    dg_doubles_free(r.V);
    dg_dataset_free(r.starts);
    cli_model_free(&r.model);
    free(r.tsig);
    free(r.indices);
    return rc;
}
