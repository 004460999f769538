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
