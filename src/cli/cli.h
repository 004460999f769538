/*
 * The diffgeo tool: shared helpers of the subcommands.  The tool parses
 * options, calls libdiffgeo's public API, reports progress and errors, and
 * maps statuses to exit codes: 0 success, 1 failed computation or unreadable
 * input, 2 usage error.
 *
 * Its modules, bottom first (none calls a module above it):
 *   cli_signal    SIGINT, SIGTERM, SIGHUP, SIGQUIT as a flag the computations poll
 *   cli_report    error lines, usage errors, the progress line
 *   cli_util      option values, the σ grid, isolated HDF5 reads, the command line
 *   cli_options   the option-parsing loop and the common options
 *   cli_mpi       the processes of an MPI job
 *   cli_model     the data, the denoiser, start points
 *   cmd_*, main   the commands (cmd_interpolate extends cmd_sample)
 */
#ifndef DG_CLI_H
#define DG_CLI_H

#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>

#include "cli_tables.h"
#include "diffgeo.h"

enum { EXIT_OK = 0, EXIT_FAILED = 1, EXIT_USAGE = 2 };

/*
 * Reporting (cli_report.c, below every other module but cli_signal.c):
 * error lines, usage errors, progress.
 */

/*
 * The longest error line: a file path (PATH_MAX, 4096 bytes) and the words
 * around it.  Between the processes of an MPI job a line travels as a
 * library message, cut to DG_ERROR_MESSAGE_SIZE.
 */
#define CLI_LINE_SIZE 5000

/* Prints "diffgeo: LINE" on stderr, or holds it back on a job of several processes. */
void cli_report(const char *line);

/* Called by cli_mpi: this process is rank of size; on size > 1 lines are held back. */
void cli_report_job(int rank, int size);

/* The failure held back only echoes another process's (DG_EREMOTE). */
void cli_report_note_remote(void);

/* The first line held back ("" if none) and whether it only echoes another's. */
const char *cli_report_held(bool *remote);

/* Forgets the line held back (once the processes agreed). */
void cli_report_clear(void);

/* Prints "diffgeo: MESSAGE" on stderr. */
void cli_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/*
 * Prints a library error and returns the exit code for it: 1, or for
 * DG_ECANCELLED 128 + the signal that interrupted (130 for SIGINT, 143 for
 * SIGTERM; main then ends the process by that signal).
 */
int cli_fail(const dg_error *err);

/*
 * For errors of dg_data_load: an unknown or malformed spec string is a usage
 * error (2), anything else (unreadable, malformed file) a failure (1).
 */
int cli_fail_spec(const dg_error *err);

/*
 * EXIT_OK if every element of the count arrays is finite; else prints
 * "diffgeo: NAME holds NaN ..." and returns EXIT_FAILED, so that nothing
 * non-finite is ever written.
 */
int cli_check_arrays(const dg_h5_array *arrays, size_t count);

/* Prints "diffgeo: MESSAGE" and a hint to --help; returns EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/*
 * dg_h5_read_array through dg_h5_isolated: every HDF5 file the tool reads
 * (but the run file `analyze` extends) is read in a child process first, so
 * that a crash inside libhdf5 is a one-line error (README.md, "Trust
 * boundary").  *data is NULL on failure.
 */
int cli_read_array(const char *path, const char *name, size_t *rank, size_t shape[DG_H5_RANK_MAX],
                   double **data, dg_error *err);

/* Number parsing for option values; on failure print a usage error and return -1. */
int cli_parse_double(const char *command, const char *option, const char *text, double *out);
int cli_parse_size(const char *command, const char *option, const char *text, size_t *out);
int cli_parse_ulong(const char *command, const char *option, const char *text, unsigned long *out);
/* A count of at least one WHAT ("--limit 0: need at least one row" otherwise). */
int cli_parse_count(const char *command, const char *option, const char *text, const char *what,
                    size_t *out);

/* The σ grid options shared by `sample`, `schedule` and `gits`. */
typedef struct cli_grid {
    const dg_schedule_type *schedule; /* NULL for an explicit list */
    size_t steps;                     /* timestamps from σ_max to σ_min */
    double sigma_min, sigma_max;
    double rho;      /* 0: the schedule's default */
    bool final_zero; /* append σ = 0 */
    /* An explicit grid (--schedule list:… or h5:…): its σ values, owned. */
    const char *name; /* the --schedule argument, for /config */
    double *list;
    size_t nlist;
    bool set_steps, set_sigma_min, set_sigma_max; /* given on the command line */
} cli_grid;

/* Releases an explicit grid's list. */
void cli_grid_free(cli_grid *grid);

/*
 * The options of commands that read data: --data, -o, --quiet, --limit,
 * --seed, and for the commands with a denoiser --denoiser and --samples.
 */
/*
 * Whether a run file stores the data rows (/data, or /samples_data for rows
 * drawn from a mixture by --samples): by default when rows × d is at most
 * CLI_SAVE_DATA_MAX, always with --save-data, never with --no-save-data.
 * Not on an MPI job of several processes (no process holds all the rows).
 */
typedef enum cli_save_data {
    CLI_SAVE_DATA_AUTO,
    CLI_SAVE_DATA_ON,
    CLI_SAVE_DATA_OFF
} cli_save_data;
#define CLI_SAVE_DATA_MAX 1000000

typedef struct cli_common {
    const char *data;        /* --data SPEC */
    const char *output;      /* -o FILE */
    const char *denoiser;    /* --denoiser KIND, NULL for the default */
    size_t limit;            /* --limit N (0 = all rows) */
    size_t samples;          /* --samples N (0 = none) */
    unsigned long seed;      /* --seed K */
    bool quiet;              /* --quiet */
    bool set_seed;           /* --seed was given */
    cli_save_data save_data; /* --save-data, --no-save-data */
} cli_common;

/* getopt_long codes of the common options, apart from the grid's. */
enum { OPT_LIMIT = 1100, OPT_SEED, OPT_DENOISER, OPT_SAMPLES, OPT_SAVE_DATA, OPT_NO_SAVE_DATA };

/* clang-format off */
#define CLI_COMMON_OPTIONS                                            \
    {"data", required_argument, NULL, 'd'},                           \
    {"output", required_argument, NULL, 'o'},                         \
    {"quiet", no_argument, NULL, 'q'},                                \
    {"limit", required_argument, NULL, OPT_LIMIT},                    \
    {"seed", required_argument, NULL, OPT_SEED}
/* clang-format on */
/* clang-format off */
#define CLI_DENOISER_OPTIONS                                          \
    {"denoiser", required_argument, NULL, OPT_DENOISER},              \
    {"samples", required_argument, NULL, OPT_SAMPLES}
/* clang-format on */

/* clang-format off */
#define CLI_SAVE_DATA_OPTIONS                                         \
    {"save-data", no_argument, NULL, OPT_SAVE_DATA},                  \
    {"no-save-data", no_argument, NULL, OPT_NO_SAVE_DATA}
/* clang-format on */

/* The help lines of --save-data and --no-save-data. */
#define CLI_SAVE_DATA_HELP                                                                         \
    "      --save-data        store the data rows in the output (/data; rows drawn\n"              \
    "                         by --samples: /samples_data), the default when rows\n"               \
    "                         × d ≤ 10^6 (not on an MPI job)\n"                                 \
    "      --no-save-data     never store them\n"

/* More timestamps than any study needs: a typo, not a request for terabytes. */
#define CLI_STEPS_MAX 1000000

/* clang-format off */
#define CLI_GRID_DEFAULTS {.schedule = &dg_schedule_edm, .steps = 18, .sigma_min = 0.002, \
                           .sigma_max = 80.0, .name = "edm"}
/* clang-format on */

/* getopt_long codes of the grid options, above any character code. */
enum { OPT_SCHEDULE = 1000, OPT_STEPS, OPT_SIGMA_MIN, OPT_SIGMA_MAX, OPT_RHO, OPT_FINAL_ZERO };

/* clang-format off */
#define CLI_GRID_OPTIONS                                              \
    {"schedule", required_argument, NULL, OPT_SCHEDULE},              \
    {"steps", required_argument, NULL, OPT_STEPS},                    \
    {"sigma-min", required_argument, NULL, OPT_SIGMA_MIN},            \
    {"sigma-max", required_argument, NULL, OPT_SIGMA_MAX},            \
    {"rho", required_argument, NULL, OPT_RHO},                        \
    {"final-zero", no_argument, NULL, OPT_FINAL_ZERO}
/* clang-format on */

/* The grid options' help is cli_grid_help (cli_tables.h). */

/*
 * Handles one grid option (returns 1), or returns 0 if opt is not one;
 * after printing an error returns CLI_OPTION_USAGE (a bad value) or
 * CLI_OPTION_FAILED (an unreadable grid file).  cli_option_exit maps them.
 */
enum { CLI_OPTION_USAGE = -1, CLI_OPTION_FAILED = -2 };
#define cli_option_exit(rc) ((rc) == CLI_OPTION_FAILED ? EXIT_FAILED : EXIT_USAGE)
int cli_grid_option(const char *command, cli_grid *grid, int opt, const char *arg);

/*
 * Option parsing (cli_options.c): one getopt_long loop for every command.
 * For each option:
 *   -h, --help     prints help; the parse ends with EXIT_OK and *first = −1;
 *   the command's  option(ctx, opt, arg) first: EXIT_OK when handled, an
 *                  exit code after printing an error, or CLI_OPTION_SHARED;
 *   the shared     grid options (grid set), then the common ones (common
 *                  set), else "unknown option" / "needs a value" (2).
 * Then *first is the first operand, and without operands any operand is a
 * usage error.  Returns an exit code.
 */
enum { CLI_OPTION_SHARED = -3 };
typedef struct cli_parser {
    const char *command;           /* for messages ("see 'diffgeo COMMAND --help'") */
    const char *shortopts;         /* getopt's; a leading ':' tells a missing value */
    const struct option *longopts; /* with {"help", no_argument, NULL, 'h'} */
    void (*help)(void);
    int (*option)(void *ctx, int opt, const char *arg); /* NULL: none of its own */
    void *ctx;
    cli_grid *grid;     /* NULL: no grid options */
    cli_common *common; /* NULL: no common options */
    bool operands;      /* operands allowed (the command checks them) */
} cli_parser;
int cli_parse_options(const cli_parser *p, int argc, char **argv, int *first);

/* A command that takes only --help: cli_parse_options with operands. */
int cli_parse_no_options(const char *command, int argc, char **argv, void (*help)(void),
                         int *first);

/* "unexpected argument" (EXIT_USAGE) when argv[first] is an operand, else EXIT_OK. */
int cli_no_operands(const char *command, int argc, char **argv, int first);

/*
 * Handles one common option (returns 1), or returns 0 if opt is not one;
 * returns −1 after printing a usage error for a bad value.
 */
int cli_common_option(const char *command, cli_common *c, int opt, const char *arg);

/*
 * Usage errors for a missing --data or -o (what names the output, e.g.
 * "RUN.h5"); then an output path that cannot be written (a FIFO, device,
 * directory, socket, or a file the user may not write) is an error (1).
 */
int cli_common_check(const char *command, const cli_common *c, const char *what);

/* Validates the grid and fills sigmas (steps + final_zero entries); prints errors. */
int cli_grid_make(const char *command, const cli_grid *grid, double *sigmas);

/* Number of entries of the grid: steps, plus 1 with --final-zero. */
size_t cli_grid_size(const cli_grid *grid);

/*
 * Signals (cli_signal.c): after cli_catch_signals, SIGINT, SIGTERM, SIGHUP
 * and SIGQUIT only set
 * cli_interrupted to the signal's number; long computations (dg_solve, EM)
 * and the writers poll it and stop with DG_ECANCELLED, the temporary file
 * removed.  A command calls it once its options are parsed.  A second
 * signal ends the process at once (by that signal).  A signal ignored when
 * diffgeo started (SIGINT in a shell's background job) stays ignored.
 */
extern volatile sig_atomic_t cli_interrupted;
void cli_catch_signals(void);

/* The exit status of an interrupted command: 128 + the signal. */
int cli_interrupted_status(void);

/* A progress line on stderr, only when stderr is a terminal, from process 0. */
typedef struct cli_progress {
    const char *label;
    bool enabled;
} cli_progress;
void cli_progress_init(cli_progress *p, const char *label);
void cli_progress_update(void *ctx, size_t done, size_t total);
void cli_progress_done(cli_progress *p);

/* The command line as one string, arguments with spaces quoted; caller frees. */
char *cli_command_line(int argc, char **argv);

/* The data (or distribution) and the denoiser built on them. */
typedef struct cli_model {
    dg_dataset *data;     /* the rows (and image shape); NULL for a mixture */
    dg_gmm *population;   /* a mixture given by --data gmm:… or synthetic:NAME */
    dg_gmm *fit;          /* the mixture fitted by --denoiser gaussian|gmm-fit:K */
    dg_denoiser *den;     /* the denoiser of --denoiser */
    const char *denoiser; /* its kind, for /config */
    size_t dim;
    bool keep_rows;  /* data->x outlives the denoiser, for the output (--save-data) */
    bool rows_drawn; /* the rows were drawn from the mixture (--samples) */
} cli_model;

typedef struct cli_model_options {
    const char *spec;        /* --data */
    size_t limit;            /* --limit: first rows of a dataset (0 = all) */
    const char *denoiser;    /* --denoiser; NULL = empirical for data, gmm for mixtures */
    size_t samples;          /* --samples: draw this many rows from a mixture */
    unsigned long seed;      /* --seed: samples and EM use streams derived from it */
    bool announce;           /* a "loading" line on stderr while reading */
    bool adopt_rows;         /* the empirical denoiser takes the rows over (data->x
                                becomes NULL): for commands that need them no more */
    bool data_only;          /* load the rows and build no denoiser */
    cli_save_data save_data; /* keep the rows for the output (cli_model_data_array) */
    size_t want_dim;         /* non-zero: data of another row dimension is refused
                                before its rows are allocated */
    /* Non-NULL: the option (e.g. "--threshold") that needs data rows in
     * [−bound, bound]; a distribution or a row beyond is an error (exit 1). */
    const char *bound_option;
    double bound;
} cli_model_options;

/*
 * Loads the data or mixture of o->spec and builds the denoiser on it:
 * empirical (exact D* of data rows), gmm (exact, of a mixture), gaussian
 * (the fitted Gaussian, i.e. the linear Wiener denoiser) or gmm-fit:K (a
 * mixture fitted by EM).  Returns an exit code after printing any error.
 */
int cli_model_load_ex(const cli_model_options *o, cli_model *m);

/*
 * The number of components of a fitted denoiser KIND: 1 for "gaussian", K
 * for "gmm-fit:K" (K written in decimal digits alone); 0 for any other kind
 * or a K that is not a positive integer.
 */
size_t cli_model_fit_components(const char *kind);

/*
 * cli_model_load_ex with the common options (--data, --limit, --denoiser,
 * --samples, --seed), the rows adopted by the denoiser.
 */
int cli_model_load_common(const cli_common *c, bool announce, cli_model *m);

/*
 * cli_model_load_common for a method that assumes data rows in [−bound,
 * bound] (named by `option` in the errors): a distribution without rows, or
 * a row beyond the bound, is an error (exit 1).
 */
int cli_model_load_bounded(const cli_common *c, bool announce, double bound, const char *option,
                           cli_model *m);

/*
 * How data rows are read: the first `limit` rows (0: all), HDF5 isolated,
 * and on an MPI job only this process's shard (whole groups of the
 * empirical denoiser's chunks, DG_EMPIRICAL_SHARD_ROWS).
 */
dg_data_options cli_shard_options(size_t limit);

/*
 * The second half of cli_model_load_ex for rows loaded with o->data_only:
 * builds the denoiser of o on m->data (for a command that used the rows
 * first).  An exit code, the same on every process; m is freed on failure.
 */
int cli_model_build_denoiser(const cli_model_options *o, cli_model *m);

/* Frees the denoiser (and with it the adopted rows) once a command has no
 * more use for it, before it writes its output; m->fit stays. */
void cli_model_release_denoiser(cli_model *m);

/* The same for a dataset spec with default denoiser options, and the rows
 * drawn from a mixture (c->samples, seeded from c->seed) and kept for the
 * output as c->save_data says. */
int cli_model_load(const cli_common *c, const char *denoiser, bool announce, cli_model *m);
void cli_model_free(cli_model *m);

/*
 * The fitted mixture, if any, as /fit/weights, /fit/means, /fit/covs for a
 * run file (reusable with --data gmm:RUN.h5:/fit): fills arrays[0..2] and
 * returns their number (0 without a fit, −1 when short of memory); *storage
 * holds the values until the caller frees it.
 */
int cli_model_fit_arrays(const cli_model *m, dg_h5_array *arrays, double **storage);

/*
 * The data rows for the output, as the array /data (or /samples_data for
 * rows drawn by --samples) of rows × dim, when m keeps them (its options'
 * save_data, see cli_save_data): fills *array and returns 1, else 0.  The
 * values stay m's.
 */
int cli_model_data_array(const cli_model *m, dg_h5_array *array);

/*
 * Rows of any spec of rows (dg_source_load: synthetic:NAME,n=N too), for
 * --init; a distribution is refused (DG_EINVAL, "SPEC is a distribution,
 * not data rows").  *out is NULL on failure.
 */
int cli_load_rows(const char *spec, const dg_data_options *opt, dg_dataset **out, dg_error *err);

/* n start points x_0 = σ_max z from GSL's mt19937 with seed; an exit code. */
int cli_draw_starts(unsigned long seed, size_t n, size_t dim, double sigma_max, dg_dataset **out);

/*
 * Start points as `sample` takes them: the rows of the data spec init (of
 * dimension dim, and exactly n of them when n_given), or, when init is NULL,
 * n points drawn by cli_draw_starts.  An exit code; *out is NULL after a
 * failure.
 */
int cli_make_starts(const char *init, size_t n, bool n_given, unsigned long seed, size_t dim,
                    double sigma_max, dg_dataset **out);

/*
 * MPI (cli_mpi.c).  cli_mpi_start starts MPI when an MPI launcher started
 * the process (and the tool was built --with-mpi; built without, a job of
 * several processes is refused); cli_mpi_end stops it.  On a job of several
 * processes error lines are held back (cli_report_job) until cli_mpi_agree,
 * collective, makes every process return the exit code of the first that
 * failed on its own, whose line process 0 prints.  Without MPI these are
 * trivial: rank 0 of 1, a NULL comm.
 */
int cli_mpi_start(int *argc, char ***argv);
void cli_mpi_end(void);
int cli_mpi_rank(void);
int cli_mpi_size(void);
const dg_comm *cli_mpi_comm(void);
int cli_mpi_agree(int rc);
/*
 * Collective: the library status of the first process whose status is not
 * DG_OK (DG_EREMOTE only if all are), its message in err ("process K: …"
 * for K > 0) on every process; DG_OK if all succeeded.  Without MPI or on
 * one process, status.
 */
int cli_mpi_agree_error(int status, dg_error *err);
/* Collective: process 0's bytes to every process; an exit code. */
int cli_mpi_bcast(void *buf, size_t bytes);
/*
 * Collective: the signal (SIGINT or SIGTERM, the larger number if both) that
 * reached any process so far, 0 if none; a process it did not reach takes it
 * as its own (cli_interrupted), so that every process ends by it.
 */
int cli_mpi_interrupted(void);
/* Seconds this process spent communicating so far, and bytes it sent. */
double cli_mpi_comm_seconds(double *bytes);
/* Collective: all[r] ← value of process r; an exit code. */
int cli_mpi_gather(double value, double *all);
/* The peak resident memory of this process so far, MiB. */
double cli_peak_rss_mib(void);
/*
 * Collective on an MPI job (else returns rc): after process 0 made the
 * start points in *starts with exit code rc, every process gets them (the
 * others allocate *starts).  An exit code, the same everywhere.
 */
int cli_mpi_share_starts(int rc, size_t dim, dg_dataset **starts);
/*
 * dg_solve's progress callback on an MPI job: shows progress, and sets
 * cancel (dg_solve's cancel flag) on every process after the step in which
 * a signal reached any of them, so all stop together.
 */
typedef struct cli_watch {
    cli_progress *progress;
    volatile sig_atomic_t cancel;
} cli_watch;
void cli_watch_step(void *ctx, size_t done, size_t total);

/*
 * `sample` with start points of another command's making (cmd_sample.c),
 * for `interpolate`: sample's options, solver and run file, and what the
 * command adds to them.  The option codes of sample's table that belong to
 * interpolate (sample refuses --method and --points, interpolate --jump-at):
 */
enum { CLI_OPT_JUMP_AT = 2100, CLI_OPT_METHOD, CLI_OPT_POINTS };

/* What the command adds to the run file: /config attributes and arrays. */
#define CLI_SAMPLE_EXTRA_MAX 2
typedef struct cli_sample_extra {
    dg_h5_attr config[CLI_SAMPLE_EXTRA_MAX];
    size_t nconfig;
    dg_h5_array arrays[CLI_SAMPLE_EXTRA_MAX]; /* values owned by the command */
    size_t narrays;
} cli_sample_extra;

typedef struct cli_sample_extension {
    void (*help)(void); /* instead of sample's */
    /* Sees each option before sample does: as cli_parser's option. */
    int (*option)(void *ctx, int opt, const char *arg);
    /* Process 0's start points for data of dimension dim: from the data spec
     * init, or drawn with seed at σ_max; an exit code after any message. */
    int (*starts)(void *ctx, const char *init, unsigned long seed, size_t dim, double sigma_max,
                  dg_dataset **starts);
    /* Fills extra (zeroed) for the start points integrated; an exit code. */
    int (*outputs)(void *ctx, const dg_dataset *starts, double sigma_max, cli_sample_extra *extra);
    void *ctx;
} cli_sample_extension;

/* Runs `sample` with the extension (NULL: sample itself); an exit code. */
int cli_sample_run(const cli_sample_extension *ext, int argc, char **argv,
                   const char *command_line);

/* Subcommands: each returns an exit code. */
int cmd_sample(int argc, char **argv, const char *command_line);
int cmd_analyze(int argc, char **argv, const char *command_line);
int cmd_info(int argc, char **argv, const char *command_line);
int cmd_table(int argc, char **argv, const char *command_line);
int cmd_schedule(int argc, char **argv, const char *command_line);
int cmd_gits(int argc, char **argv, const char *command_line);
int cmd_interpolate(int argc, char **argv, const char *command_line);
int cmd_meanshift(int argc, char **argv, const char *command_line);
int cmd_field(int argc, char **argv, const char *command_line);

#endif /* DG_CLI_H */
