/*
 * dg_comm: how the processes of a distributed run talk, and how rows are
 * dealt out to them.
 *
 * Every computation that must give the same bits for any number of threads
 * or processes (the empirical denoiser, its mean, the KDE) cuts its rows
 * into the same fixed chunks and deals them out in the same whole groups.
 * dg_mpi provides a dg_comm over MPI; the library itself never includes
 * mpi.h.
 */
#ifndef DG_COMM_H
#define DG_COMM_H

#include <stddef.h>

#define DG_CHUNK_ROWS 512 /* rows per chunk: fixes the reduction tree */
#define DG_CHUNK_GROUP 8  /* chunks computed together between decisions */
/* Rows per unit of distribution over processes: whole groups of chunks. */
#define DG_SHARD_ROWS (DG_CHUNK_ROWS * DG_CHUNK_GROUP)

/*
 * The transport of a distributed run.  Every operation is collective or
 * paired as stated and returns DG_OK or an error status; the caller owns
 * the object and keeps it alive as long as denoisers use it.
 */
typedef struct dg_comm {
    int rank;    /* this process, 0 ≤ rank < size */
    int size;    /* processes taking part */
    void *state; /* the transport's own */
    /* Sends bytes to process `to`, which receives them with recv. */
    int (*send)(void *state, const void *buf, size_t bytes, int to);
    int (*recv)(void *state, void *buf, size_t bytes, int from);
    /* Collective: buf of process root is copied to every process. */
    int (*bcast)(void *state, void *buf, size_t bytes, int root);
    /* Collective: values ← the elementwise maximum over all processes. */
    int (*max)(void *state, double *values, size_t count);
} dg_comm;

/*
 * The rows [*first, *first + *count) of n that part `part` of `parts` holds
 * when whole blocks of `align` rows are dealt out in order:
 * - the first (n/align mod parts) parts get one block more;
 * - part 0 always gets the first block;
 * - a part may get no rows (*count = 0) when blocks are fewer than parts.
 */
void dg_data_shard(size_t n, size_t align, size_t parts, size_t part, size_t *first, size_t *count);

#endif /* DG_COMM_H */
