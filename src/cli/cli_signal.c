/*
 * Signals: SIGINT, SIGTERM, SIGHUP (a closed terminal or ssh session) and
 * SIGQUIT ask a command to stop cleanly.  The bottom of
 * the tool: every other module may read cli_interrupted.
 */
#include "config.h"

#include <signal.h>
#include <string.h>

#include "cli.h"

volatile sig_atomic_t cli_interrupted = 0;

/* The first signal asks for a clean stop; a second one, sent when the
 * first goes unheeded, ends the process at once. */
static void on_signal(int sig)
{
    if (cli_interrupted) {
        signal(sig, SIG_DFL);
        raise(sig);
    }
    cli_interrupted = sig;
}

int cli_interrupted_status(void)
{
    return 128 + (cli_interrupted ? (int)cli_interrupted : SIGINT);
}

void cli_catch_signals(void)
{
    struct sigaction sa, old;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_signal;
    /* No SA_RESTART: a call blocked in the kernel (an open or read that
     * waits) returns EINTR, so that the signal is heeded; a computation
     * heeds it between steps. */
    sa.sa_flags = 0;
    sigemptyset(&sa.sa_mask);
    /* A signal ignored from the start stays ignored: a shell runs background
     * commands with SIGINT ignored, so that ^C does not reach them. */
    const int sigs[] = {SIGINT, SIGTERM, SIGHUP, SIGQUIT};
    for (size_t k = 0; k < sizeof sigs / sizeof sigs[0]; k++)
        if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[k], &sa, NULL);
}
