/*
 * dg_status: status codes and error reports of libdiffgeo.
 *
 * Every fallible function returns an int status (DG_OK on success) and, when
 * given a non-NULL dg_error, writes a one-line message into it that names the
 * problem ("row 17 of train.h5:/x holds NaN").  The library never prints: the
 * caller decides what to do with the message.  There is no global error state.
 */
#ifndef DG_STATUS_H
#define DG_STATUS_H

#include <stddef.h>

enum dg_status {
    DG_OK = 0,     /* success */
    DG_EINVAL,     /* an argument is out of its domain (σ ≤ 0, zero steps, ...) */
    DG_ENOMEM,     /* an allocation failed or a size would overflow */
    DG_EIO,        /* a file could not be opened, read or written */
    DG_EFORMAT,    /* a file or spec string is malformed or truncated */
    DG_ENONFINITE, /* input data hold NaN or Inf */
    DG_EUNKNOWN,   /* a name (solver, schedule, dataset kind) is not known */
    DG_ECANCELLED, /* the caller asked a long computation to stop */
    DG_EREMOTE     /* another process of a distributed run failed (it says why) */
};

/* Room for one message line, path names included. */
#define DG_ERROR_MESSAGE_SIZE 512

typedef struct dg_error {
    int status;                          /* the dg_status of the failure */
    char message[DG_ERROR_MESSAGE_SIZE]; /* one line, no trailing newline */
} dg_error;

/* A short, static description of a status code ("invalid argument"). */
const char *dg_strerror(int status);

/*
 * Records a failure in err (which may be NULL) and returns status, so that
 * callers can write `return dg_error_set(err, DG_EIO, "cannot open %s", p);`.
 * Control characters in the formatted text (a newline or an escape sequence
 * in a quoted spec or file name) become '?', so the message stays one line.
 * Lower-level messages can be wrapped: the format may include err->message
 * only through a copy, never directly.
 */
int dg_error_set(dg_error *err, int status, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Resets err (may be NULL) to DG_OK with an empty message. */
void dg_error_clear(dg_error *err);

#endif /* DG_STATUS_H */
