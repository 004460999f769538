/*
 * dg_mpi: a dg_comm over MPI, for distributed runs (./configure --with-mpi).
 *
 * The only file of libdiffgeo that includes mpi.h; everything else sees the
 * transport through dg_comm (dg_comm.h).  A dg_mpi object wraps a
 * duplicate of MPI_COMM_WORLD, so that its messages never meet the caller's,
 * and counts the time spent in its operations and the bytes it sends, for
 * the scaling figures of README.md ("Cluster runs").
 *
 * Built and installed only with ./configure --with-mpi (the umbrella header
 * diffgeo.h does not include it); a program using it compiles with mpi.h on
 * its include path (diffgeo.pc's Cflags carry it).
 *
 * MPI is started with MPI_THREAD_FUNNELED: only the thread that called
 * dg_mpi_init communicates (OpenMP threads compute between messages).
 * MPI's default error handler stays in place: a failed message aborts the
 * whole job rather than leaving processes waiting.
 */
#ifndef DG_MPI_H
#define DG_MPI_H

#include <stddef.h>

#include "dg_comm.h"
#include "dg_status.h"

typedef struct dg_mpi dg_mpi;

/*
 * Starts MPI (MPI_Init_thread with argc, argv; either may be NULL) and
 * returns the transport over all processes of the job.  Call once per
 * process, before any other thread exists.  DG_EIO if MPI cannot start,
 * DG_ENOMEM.
 */
int dg_mpi_init(int *argc, char ***argv, dg_mpi **out, dg_error *err);

/* The transport, for dg_denoiser_empirical_shard; owned by m. */
const dg_comm *dg_mpi_comm(const dg_mpi *m);

int dg_mpi_rank(const dg_mpi *m);
int dg_mpi_size(const dg_mpi *m);

/*
 * Collective: agrees on whether every process succeeded.  Each passes its
 * own status (any int, 0 for success), whether its failure only echoes
 * another's (remote: e.g. DG_EREMOTE), and its error (err may be NULL when
 * status is 0).  Returns 0 if all passed 0; otherwise every process returns
 * the status of the lowest-numbered process that failed on its own (or, if
 * none did, of the lowest that failed), gets its message in err, and
 * *failed is that process's number.
 */
int dg_mpi_agree(dg_mpi *m, int status, int remote, dg_error *err, int *failed);

/* Collective: buf of process root (bytes long) is copied to every process. */
int dg_mpi_bcast(dg_mpi *m, void *buf, size_t bytes, int root);

/* Collective: values ← the elementwise maximum over all processes. */
int dg_mpi_max(dg_mpi *m, double *values, size_t count);

/* Collective: all[r] ← value of process r (all has dg_mpi_size entries). */
int dg_mpi_gather(dg_mpi *m, double value, double *all);

/*
 * What the transport's operations cost this process so far: seconds spent
 * inside them (waiting for other processes included), bytes it sent or
 * broadcast from itself, and the number of operations.
 */
typedef struct dg_mpi_stats {
    double seconds;
    double bytes;
    size_t operations;
} dg_mpi_stats;
dg_mpi_stats dg_mpi_get_stats(const dg_mpi *m);

/* Ends MPI (MPI_Finalize) and frees m; NULL is a no-op. */
void dg_mpi_finalize(dg_mpi *m);

#endif /* DG_MPI_H */
