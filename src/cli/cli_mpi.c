/*
 * The tool under MPI: which process this is, one error line for the whole
 * job, and the collective steps of a distributed `sample`.  Without
 * ./configure --with-mpi every process is alone (rank 0 of 1).
 */
#include "config.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "cli.h"
#ifdef DG_HAVE_MPI
#include "dg_mpi.h"
static dg_mpi *mpi; /* NULL when not started by an MPI launcher */
#endif

/* The number of processes a launcher (mpirun, mpiexec, srun) started, 0 if none. */
static long launched_size(void)
{
    static const char *const vars[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_SIZE"};
    for (size_t k = 0; k < sizeof vars / sizeof vars[0]; k++) {
        const char *v = getenv(vars[k]);
        if (v && *v)
            return strtol(v, NULL, 10);
    }
    return getenv("PMIX_RANK") ? 1 : 0;
}

int cli_mpi_start(int *argc, char ***argv)
{
    const long size = launched_size();
#ifdef DG_HAVE_MPI
    if (size > 0) {
        dg_error err;
        if (dg_mpi_init(argc, argv, &mpi, &err) != DG_OK) {
            cli_error("%s", err.message);
            return EXIT_FAILED;
        }
        cli_report_job(dg_mpi_rank(mpi), dg_mpi_size(mpi));
        /* Only process 0 talks to the user. */
        if (dg_mpi_rank(mpi) > 0 && !freopen("/dev/null", "w", stdout))
            return EXIT_FAILED;
    }
#else
    (void)argc, (void)argv;
    if (size > 1) {
        cli_error("started as %ld MPI processes, but built without MPI "
                  "(./configure --with-mpi)",
                  size);
        return EXIT_FAILED;
    }
#endif
    return EXIT_OK;
}

void cli_mpi_end(void)
{
#ifdef DG_HAVE_MPI
    dg_mpi_finalize(mpi);
    mpi = NULL;
    cli_report_job(0, 1);
#endif
}

int cli_mpi_rank(void)
{
#ifdef DG_HAVE_MPI
    return mpi ? dg_mpi_rank(mpi) : 0;
#else
    return 0;
#endif
}

int cli_mpi_size(void)
{
#ifdef DG_HAVE_MPI
    return mpi ? dg_mpi_size(mpi) : 1;
#else
    return 1;
#endif
}

const dg_comm *cli_mpi_comm(void)
{
#ifdef DG_HAVE_MPI
    return mpi ? dg_mpi_comm(mpi) : NULL;
#else
    return NULL;
#endif
}

int cli_mpi_agree(int rc)
{
#ifdef DG_HAVE_MPI
    if (cli_mpi_size() <= 1)
        return rc;
    bool remote;
    const char *held = cli_report_held(&remote);
    dg_error err = {rc, ""};
    /* The held line, cut to a library message: what travels to process 0. */
    size_t len = strlen(held);
    if (len >= sizeof err.message)
        len = sizeof err.message - 1;
    memcpy(err.message, held, len);
    err.message[len] = '\0';
    int failed;
    const int agreed = dg_mpi_agree(mpi, rc, rc != EXIT_OK && remote, &err, &failed);
    if (agreed != EXIT_OK && cli_mpi_rank() == 0 && err.message[0]) {
        if (failed > 0)
            fprintf(stderr, "diffgeo: process %d: %s\n", failed, err.message);
        else
            fprintf(stderr, "diffgeo: %s\n", err.message);
    }
    cli_report_clear();
    return agreed;
#else
    return rc;
#endif
}

int cli_mpi_agree_error(int status, dg_error *err)
{
#ifdef DG_HAVE_MPI
    if (cli_mpi_size() <= 1)
        return status;
    int failed;
    const int agreed = dg_mpi_agree(mpi, status, status == DG_EREMOTE, err, &failed);
    if (agreed != DG_OK && failed > 0) {
        char message[DG_ERROR_MESSAGE_SIZE];
        memcpy(message, err->message, sizeof message);
        dg_error_set(err, agreed, "process %d: %s", failed, message);
    }
    return agreed;
#else
    (void)err;
    return status;
#endif
}

int cli_mpi_bcast(void *buf, size_t bytes)
{
#ifdef DG_HAVE_MPI
    if (cli_mpi_size() > 1 && dg_mpi_bcast(mpi, buf, bytes, 0) != DG_OK) {
        cli_error("MPI broadcast failed");
        return EXIT_FAILED;
    }
#else
    (void)buf, (void)bytes;
#endif
    return EXIT_OK;
}

int cli_mpi_interrupted(void)
{
    int sig = cli_interrupted;
#ifdef DG_HAVE_MPI
    if (cli_mpi_size() > 1) {
        double v = sig;
        if (dg_mpi_max(mpi, &v, 1) == DG_OK)
            sig = (int)v;
    }
#endif
    /* As if the signal had come here too: every process ends alike. */
    if (sig && !cli_interrupted)
        cli_interrupted = sig;
    return sig;
}

double cli_mpi_comm_seconds(double *bytes)
{
#ifdef DG_HAVE_MPI
    if (mpi) {
        const dg_mpi_stats s = dg_mpi_get_stats(mpi);
        *bytes = s.bytes;
        return s.seconds;
    }
#endif
    *bytes = 0;
    return 0;
}

double cli_peak_rss_mib(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_SELF, &ru) != 0)
        return 0;
    return (double)ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

int cli_mpi_gather(double value, double *all)
{
#ifdef DG_HAVE_MPI
    if (cli_mpi_size() > 1)
        return dg_mpi_gather(mpi, value, all) == DG_OK ? EXIT_OK : EXIT_FAILED;
#endif
    all[0] = value;
    return EXIT_OK;
}

/*
 * On an MPI job: process 0 makes the start points, the others receive them
 * (count, then rows), so every process integrates the same points.
 */
int cli_mpi_share_starts(int rc, size_t dim, dg_dataset **starts)
{
    if (cli_mpi_size() <= 1)
        return rc;
    rc = cli_mpi_agree(rc);
    if (rc != EXIT_OK)
        return rc;
    unsigned long long n = cli_mpi_rank() == 0 ? (*starts)->n : 0;
    rc = cli_mpi_bcast(&n, sizeof n);
    if (rc == EXIT_OK && cli_mpi_rank() > 0) {
        *starts = dg_dataset_alloc((size_t)n, dim);
        if (!*starts) {
            cli_error("cannot allocate %llu start points of dimension %zu", n, dim);
            rc = EXIT_FAILED;
        }
    }
    rc = cli_mpi_agree(rc);
    if (rc == EXIT_OK)
        rc = cli_mpi_bcast((*starts)->x, (size_t)n * dim * sizeof *(*starts)->x);
    return rc;
}

/* The solver's progress callback on an MPI job: all processes heed a signal
 * that reached any of them, after the same step. */
void cli_watch_step(void *ctx, size_t done, size_t total)
{
    cli_watch *w = ctx;
    cli_progress_update(w->progress, done, total);
    const int sig = cli_mpi_interrupted();
    if (sig)
        w->cancel = sig;
}
