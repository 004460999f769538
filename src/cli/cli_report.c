/*
 * What the tool tells the user on stderr: error lines, usage errors and the
 * progress line.  Below cli_mpi.c: on a job of several processes cli_mpi
 * says so (cli_report_job) and collects the lines held back here.
 */
#include "config.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"

/* This process's place in the job, as cli_mpi_start found it. */
static struct {
    bool hold_back; /* several processes: lines wait for cli_mpi_agree */
    bool talks;     /* process 0, the one that shows progress */
} job = {false, true};

/* On a job of several processes, error lines wait here until the processes
 * agree (cli_mpi_agree), so that one line, from process 0, tells the user. */
static char held[CLI_LINE_SIZE];
static bool held_remote; /* the held failure only echoes another process's */

void cli_report_job(int rank, int size)
{
    job.hold_back = size > 1;
    job.talks = rank == 0;
}

void cli_report(const char *line)
{
    if (job.hold_back) {
        if (!held[0])
            snprintf(held, sizeof held, "%s", line);
        return;
    }
    fprintf(stderr, "diffgeo: %s\n", line);
}

void cli_report_note_remote(void)
{
    if (!held[0])
        held_remote = true;
}

const char *cli_report_held(bool *remote)
{
    *remote = held_remote;
    return held;
}

void cli_report_clear(void)
{
    held[0] = '\0';
    held_remote = false;
}

void cli_error(const char *fmt, ...)
{
    char line[CLI_LINE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    cli_report(line);
}

int cli_fail_spec(const dg_error *err)
{
    if (err->status != DG_EUNKNOWN && err->status != DG_EINVAL)
        return cli_fail(err);
    cli_error("%s", err->message[0] ? err->message : dg_strerror(err->status));
    return EXIT_USAGE;
}

int cli_fail(const dg_error *err)
{
    if (err->status == DG_EREMOTE)
        cli_report_note_remote();
    cli_error("%s", err->message[0] ? err->message : dg_strerror(err->status));
    return err->status == DG_ECANCELLED ? cli_interrupted_status() : EXIT_FAILED;
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
    char line[CLI_LINE_SIZE];
    va_list ap;
    va_start(ap, fmt);
    const int len = vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (len >= 0 && (size_t)len < sizeof line)
        snprintf(line + len, sizeof line - (size_t)len, " (see 'diffgeo %s --help')", command);
    cli_report(line);
    return EXIT_USAGE;
}

void cli_progress_init(cli_progress *p, const char *label)
{
    p->label = label;
    p->enabled = isatty(STDERR_FILENO) && job.talks;
}

void cli_progress_update(void *ctx, size_t done, size_t total)
{
    cli_progress *p = ctx;
    if (!p->enabled)
        return;
    const int width = 30, filled = total ? (int)(width * done / total) : width;
    fprintf(stderr, "\r%s [%.*s%*s] step %zu/%zu", p->label, filled,
            "##############################", width - filled, "", done, total);
    fflush(stderr);
}

void cli_progress_done(cli_progress *p)
{
    if (p->enabled)
        fputc('\n', stderr);
}
