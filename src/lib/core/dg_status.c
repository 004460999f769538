/* dg_status: status codes and error reports. */
#include "config.h"

#include "dg_status.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

const char *dg_strerror(int status)
{
    static const char *const text[] = {
        [DG_OK] = "success",
        [DG_EINVAL] = "invalid argument",
        [DG_ENOMEM] = "out of memory",
        [DG_EIO] = "input/output error",
        [DG_EFORMAT] = "malformed input",
        [DG_ENONFINITE] = "input holds NaN or Inf",
        [DG_EUNKNOWN] = "unknown name",
        [DG_ECANCELLED] = "cancelled",
        [DG_EREMOTE] = "another process failed",
    };
    if (status < 0 || (size_t)status >= sizeof text / sizeof text[0])
        return "unknown status";
    return text[status];
}

int dg_error_set(dg_error *err, int status, const char *fmt, ...)
{
    if (err) {
        char line[DG_ERROR_MESSAGE_SIZE];
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(line, sizeof line, fmt, ap);
        va_end(ap);
        /* One line of text, whatever it quotes: a spec or file name holding a
         * newline or a terminal escape sequence is shown with '?' instead. */
        for (char *c = line; *c; c++)
            if ((unsigned char)*c < 0x20 || *c == 0x7f)
                *c = '?';
        err->status = status;
        memcpy(err->message, line, sizeof line);
    }
    return status;
}

void dg_error_clear(dg_error *err)
{
    if (err) {
        err->status = DG_OK;
        err->message[0] = '\0';
    }
}
