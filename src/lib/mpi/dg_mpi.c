/* dg_mpi: a dg_comm over MPI; the only file that includes mpi.h. */
#include "config.h"

#include "dg_mpi.h"

#include <limits.h>
#include <mpi.h>
#include <stdlib.h>
#include <string.h>

struct dg_mpi {
    MPI_Comm comm;     /* a duplicate of MPI_COMM_WORLD */
    dg_comm transport; /* what the denoiser sees; state points back here */
    dg_mpi_stats stats;
};

/* MPI counts are ints: large buffers go in pieces of at most this many bytes. */
#define PIECE ((size_t)1 << 30)

static void account(dg_mpi *m, double start, size_t bytes)
{
    m->stats.seconds += MPI_Wtime() - start;
    m->stats.bytes += (double)bytes;
    m->stats.operations++;
}

static int mpi_send(void *state, const void *buf, size_t bytes, int to)
{
    dg_mpi *m = state;
    const double start = MPI_Wtime();
    int rc = MPI_SUCCESS;
    size_t done = 0;
    do { /* at least one message, so that sends and receives pair up */
        const size_t k = bytes - done < PIECE ? bytes - done : PIECE;
        rc = MPI_Send((const char *)buf + done, (int)k, MPI_BYTE, to, 0, m->comm);
        done += k;
    } while (rc == MPI_SUCCESS && done < bytes);
    account(m, start, bytes);
    return rc == MPI_SUCCESS ? DG_OK : DG_EIO;
}

static int mpi_recv(void *state, void *buf, size_t bytes, int from)
{
    dg_mpi *m = state;
    const double start = MPI_Wtime();
    int rc = MPI_SUCCESS;
    size_t done = 0;
    do { /* at least one message, so that sends and receives pair up */
        const size_t k = bytes - done < PIECE ? bytes - done : PIECE;
        rc = MPI_Recv((char *)buf + done, (int)k, MPI_BYTE, from, 0, m->comm, MPI_STATUS_IGNORE);
        done += k;
    } while (rc == MPI_SUCCESS && done < bytes);
    account(m, start, 0);
    return rc == MPI_SUCCESS ? DG_OK : DG_EIO;
}

static int mpi_bcast(void *state, void *buf, size_t bytes, int root)
{
    dg_mpi *m = state;
    const double start = MPI_Wtime();
    int rc = MPI_SUCCESS;
    for (size_t done = 0; rc == MPI_SUCCESS && done < bytes; done += PIECE) {
        const size_t k = bytes - done < PIECE ? bytes - done : PIECE;
        rc = MPI_Bcast((char *)buf + done, (int)k, MPI_BYTE, root, m->comm);
    }
    int rank;
    MPI_Comm_rank(m->comm, &rank);
    account(m, start, rank == root ? bytes : 0);
    return rc == MPI_SUCCESS ? DG_OK : DG_EIO;
}

static int mpi_max(void *state, double *values, size_t count)
{
    dg_mpi *m = state;
    const double start = MPI_Wtime();
    if (count > INT_MAX)
        return DG_EINVAL;
    const int rc = MPI_Allreduce(MPI_IN_PLACE, values, (int)count, MPI_DOUBLE, MPI_MAX, m->comm);
    account(m, start, count * sizeof *values);
    return rc == MPI_SUCCESS ? DG_OK : DG_EIO;
}

int dg_mpi_init(int *argc, char ***argv, dg_mpi **out, dg_error *err)
{
    *out = NULL;
    int provided;
    if (MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided) != MPI_SUCCESS)
        return dg_error_set(err, DG_EIO, "cannot start MPI");
    dg_mpi *m = calloc(1, sizeof *m);
    if (!m) {
        MPI_Finalize();
        return dg_error_set(err, DG_ENOMEM, "out of memory");
    }
    MPI_Comm_dup(MPI_COMM_WORLD, &m->comm);
    MPI_Comm_rank(m->comm, &m->transport.rank);
    MPI_Comm_size(m->comm, &m->transport.size);
    m->transport.state = m;
    m->transport.send = mpi_send;
    m->transport.recv = mpi_recv;
    m->transport.bcast = mpi_bcast;
    m->transport.max = mpi_max;
    *out = m;
    return DG_OK;
}

const dg_comm *dg_mpi_comm(const dg_mpi *m)
{
    return &m->transport;
}

int dg_mpi_rank(const dg_mpi *m)
{
    return m->transport.rank;
}

int dg_mpi_size(const dg_mpi *m)
{
    return m->transport.size;
}

int dg_mpi_agree(dg_mpi *m, int status, int remote, dg_error *err, int *failed)
{
    const int rank = m->transport.rank, size = m->transport.size;
    int mine[2] = {status != DG_OK && !remote ? rank : size, status != DG_OK ? rank : size};
    int lowest[2];
    *failed = -1;
    if (MPI_Allreduce(mine, lowest, 2, MPI_INT, MPI_MIN, m->comm) != MPI_SUCCESS)
        return DG_EIO;
    const int first = lowest[0] < size ? lowest[0] : lowest[1];
    if (first == size)
        return DG_OK;
    /* The first failed process tells the others its status and message. */
    struct {
        int status;
        char message[DG_ERROR_MESSAGE_SIZE];
    } what = {status, ""};
    if (m->transport.rank == first && err)
        memcpy(what.message, err->message, sizeof what.message);
    what.message[sizeof what.message - 1] = '\0';
    if (MPI_Bcast(&what, (int)sizeof what, MPI_BYTE, first, m->comm) != MPI_SUCCESS)
        return DG_EIO;
    if (err) {
        err->status = what.status;
        memcpy(err->message, what.message, sizeof what.message);
    }
    *failed = first;
    return what.status;
}

int dg_mpi_bcast(dg_mpi *m, void *buf, size_t bytes, int root)
{
    return mpi_bcast(m, buf, bytes, root);
}

int dg_mpi_max(dg_mpi *m, double *values, size_t count)
{
    return mpi_max(m, values, count);
}

int dg_mpi_gather(dg_mpi *m, double value, double *all)
{
    return MPI_Allgather(&value, 1, MPI_DOUBLE, all, 1, MPI_DOUBLE, m->comm) == MPI_SUCCESS
               ? DG_OK
               : DG_EIO;
}

dg_mpi_stats dg_mpi_get_stats(const dg_mpi *m)
{
    return m->stats;
}

void dg_mpi_finalize(dg_mpi *m)
{
    if (!m)
        return;
    MPI_Comm_free(&m->comm);
    free(m);
    MPI_Finalize();
}
