/*
 * Signals: SIGINT and SIGTERM ask a command to stop cleanly.  The bottom of
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
    /* Reads and writes in progress go on: the signal is heeded between steps. */
    sa.sa_flags = SA_RESTART;
    sigemptyset(&sa.sa_mask);
    /* A signal ignored from the start stays ignored: a shell runs background
     * commands with SIGINT ignored, so that ^C does not reach them. */
    const int sigs[2] = {SIGINT, SIGTERM};
    for (int k = 0; k < 2; k++)
        if (sigaction(sigs[k], NULL, &old) == 0 && old.sa_handler != SIG_IGN)
            sigaction(sigs[k], &sa, NULL);
}
