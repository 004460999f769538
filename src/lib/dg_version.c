/* Library-wide settings: version and BLAS threads. */
#include "config.h"

#include "diffgeo.h"

#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
void openblas_set_num_threads(int n);
#endif

const char *dg_version(void)
{
    return PACKAGE_VERSION;
}

void dg_blas_set_threads(int n)
{
#ifdef HAVE_OPENBLAS_SET_NUM_THREADS
    openblas_set_num_threads(n);
#else
    (void)n;
#endif
}
