/* dg_runtime: library-wide settings, the version and the BLAS library. */
#include "config.h"

#include <stdlib.h>

#include "dg_runtime.h"

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int n);
#endif

const char *dg_version(void)
{
    return PACKAGE_VERSION;
}

/* What OpenBLAS 0.3.21 (Debian 12, x86-64) mallocs per concurrent caller:
 * BUFFER_SIZE (32 << 22 bytes) and one page. */
#define OPENBLAS_BUFFER_BYTES (((size_t)32 << 22) + 4096)

int dg_blas_reserve(int callers, dg_error *err)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    /* The buffers, once made, stay in OpenBLAS's pool for the life of the
     * process: checking again would count them twice.  Process-wide state,
     * like that pool itself. */
    static int reserved = 0;
    if (callers <= reserved)
        return DG_OK;
    const size_t bytes = (size_t)callers * OPENBLAS_BUFFER_BYTES;
    void *probe = malloc(bytes);
    if (!probe)
        return dg_error_set(err, DG_ENOMEM,
                            "no memory left for the BLAS library's work buffers (%zu MiB)",
                            bytes >> 20);
    free(probe);
    reserved = callers;
#else
    (void)callers;
    (void)err;
#endif
    return DG_OK;
}

void dg_blas_set_threads(int n)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}
