#include "config.h"

#include "dg_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* What a non-regular, non-directory file is, for a message. */
static const char *kind(mode_t mode)
{
    return S_ISFIFO(mode)   ? "a FIFO"
           : S_ISCHR(mode)  ? "a character device"
           : S_ISBLK(mode)  ? "a block device"
           : S_ISSOCK(mode) ? "a socket"
                            : "a special file";
}

/* DG_OK for a regular file; the reason in err otherwise. */
static int check_regular(const char *path, const struct stat *st, const char *verb, dg_error *err)
{
    if (S_ISDIR(st->st_mode))
        return dg_error_set(err, DG_EIO, "cannot %s %s: Is a directory", verb, path);
    if (!S_ISREG(st->st_mode))
        return dg_error_set(err, DG_EIO, "cannot %s %s: not a regular file (%s)", verb, path,
                            kind(st->st_mode));
    return DG_OK;
}

int dg_file_check_input(const char *path, dg_error *err)
{
    struct stat st;
    if (stat(path, &st) != 0)
        return dg_error_set(err, DG_EIO, "cannot open %s: %s", path, strerror(errno));
    return check_regular(path, &st, "open", err);
}

int dg_file_resolve_output(const char *path, dg_output_path *out, dg_error *err)
{
    struct stat st;
    memset(out, 0, sizeof *out);
    if (strlen(path) >= sizeof out->path)
        return dg_error_set(err, DG_EINVAL, "output path too long");
    strcpy(out->path, path);
    /* A missing name is created; a missing directory is reported when the
     * temporary file cannot be made beside it. */
    if (lstat(path, &st) != 0)
        return errno == ENOENT || errno == ENOTDIR
                   ? DG_OK
                   : dg_error_set(err, DG_EIO, "cannot write %s: %s", path, strerror(errno));
    if (S_ISLNK(st.st_mode) && (!realpath(path, out->path) || stat(out->path, &st) != 0))
        return dg_error_set(err, DG_EIO, "cannot write %s: %s", path,
                            errno == ENOENT ? "a symbolic link to a missing file"
                                            : strerror(errno));
    int status = check_regular(path, &st, "write", err);
    if (status != DG_OK)
        return status;
    /* The directory's permission would let a rename replace a file its
     * owner protected; the file's own permission decides. */
    if (access(out->path, W_OK) != 0)
        return dg_error_set(err, DG_EIO, "cannot write %s: %s", path, strerror(errno));
    out->exists = true;
    out->mode = (unsigned)(st.st_mode & 07777);
    out->gid = (unsigned)st.st_gid;
    return DG_OK;
}

/* The version of st, or DG_EIO naming path and errno when rc is not 0. */
static int version_from_stat(int rc, const struct stat *st, const char *verb, const char *path,
                             dg_file_version *v, dg_error *err)
{
    memset(v, 0, sizeof *v);
    if (rc != 0)
        return dg_error_set(err, DG_EIO, "cannot %s %s: %s", verb, path, strerror(errno));
    v->device = (unsigned long long)st->st_dev;
    v->inode = (unsigned long long)st->st_ino;
    v->size = (unsigned long long)st->st_size;
    v->mtime_sec = (long long)st->st_mtim.tv_sec;
    v->mtime_nsec = (long long)st->st_mtim.tv_nsec;
    return DG_OK;
}

int dg_file_version_of(const char *path, dg_file_version *v, dg_error *err)
{
    struct stat st;
    const int rc = stat(path, &st);
    return version_from_stat(rc, &st, "open", path, v, err);
}

int dg_file_version_of_fd(int fd, const char *path, dg_file_version *v, dg_error *err)
{
    struct stat st;
    const int rc = fstat(fd, &st);
    return version_from_stat(rc, &st, "read", path, v, err);
}

bool dg_file_version_same(const dg_file_version *a, const dg_file_version *b)
{
    return a->device == b->device && a->inode == b->inode && a->size == b->size &&
           a->mtime_sec == b->mtime_sec && a->mtime_nsec == b->mtime_nsec;
}

/*
 * Locks all of f for writing, waiting: an open file description's lock where
 * the kernel has them (it stays with the descriptor, whatever else the
 * process opens and closes), else a POSIX lock.  0, or -1 with errno.  A
 * file system that keeps no locks (ENOLCK, EOPNOTSUPP: some network file
 * systems) counts as locked: the writer is not stopped, the window stays.
 */
static int lock_whole(int f)
{
    struct flock whole = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
    int rc = -1;
#ifdef F_OFD_SETLKW
    rc = fcntl(f, F_OFD_SETLKW, &whole);
    if (rc == 0 || errno != EINVAL) /* EINVAL: a kernel before 3.15 */
        return rc != 0 && (errno == ENOLCK || errno == EOPNOTSUPP) ? 0 : rc;
#endif
    rc = fcntl(f, F_SETLKW, &whole);
    return rc != 0 && (errno == ENOLCK || errno == EOPNOTSUPP) ? 0 : rc;
}

/* True when the descriptor and the path are the same file. */
static bool same_file(int fd, const char *path)
{
    struct stat a, b;
    return fstat(fd, &a) == 0 && stat(path, &b) == 0 && a.st_dev == b.st_dev &&
           a.st_ino == b.st_ino;
}

int dg_file_lock_writers(const char *path, const char *name, const volatile sig_atomic_t *cancel,
                         int *fd, dg_error *err)
{
    *fd = -1;
    for (unsigned k = 0; k < DG_FILE_LOCK_TRIES; k++) {
        /* O_NONBLOCK: a FIFO put there meanwhile is not waited for. */
        const int f = open(path, O_WRONLY | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
        if (f < 0 && errno == ENOENT)
            return DG_OK;
        if (f < 0)
            return dg_error_set(err, DG_EIO, "cannot write %s: %s", name, strerror(errno));
        struct stat st;
        int status = fstat(f, &st) == 0
                         ? check_regular(name, &st, "write", err)
                         : dg_error_set(err, DG_EIO, "cannot write %s: %s", name, strerror(errno));
        while (status == DG_OK && lock_whole(f) != 0)
            if (errno != EINTR)
                status = dg_error_set(err, DG_EIO, "cannot lock %s: %s", name, strerror(errno));
            else if (cancel && *cancel)
                status = dg_error_set(err, DG_ECANCELLED, "interrupted; %s not written", name);
        if (status == DG_OK && same_file(f, path)) {
            *fd = f;
            return DG_OK;
        }
        close(f);
        if (status != DG_OK)
            return status;
    }
    return dg_error_set(err, DG_EIO, "cannot write %s: replaced %u times while locking it", name,
                        DG_FILE_LOCK_TRIES);
}

void dg_file_unlock(int fd)
{
    if (fd >= 0)
        close(fd);
}
