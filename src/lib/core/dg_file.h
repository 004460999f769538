/*
 * dg_file: what a path names, checked before a file is opened, so that a
 * FIFO, device, socket or directory is refused with a message instead of
 * blocking a reader or being replaced by a writer.
 */
#ifndef DG_FILE_H
#define DG_FILE_H

#include <limits.h>
#include <signal.h>
#include <stdbool.h>

#include "dg_status.h"

/*
 * An input path: DG_OK when it names a regular file (symbolic links
 * followed), else DG_EIO with "cannot open PATH: REASON" (no such file,
 * "Is a directory", "not a regular file (a FIFO)", ...).
 * - Why: opening a FIFO for reading blocks until a writer comes, possibly
 *   forever; a device can be read without end.
 */
int dg_file_check_input(const char *path, dg_error *err);

/* Where an output file goes and what it must keep. */
typedef struct dg_output_path {
    char path[PATH_MAX]; /* the name to replace: the path, or its link's target */
    bool exists;         /* a regular file is there now */
    unsigned mode;       /* its permission bits (when exists) */
    unsigned gid;        /* its group (when exists) */
} dg_output_path;

/*
 * An output path: DG_OK when it does not exist or names a regular file the
 * user may write; else DG_EIO with "cannot write PATH: REASON".
 * - A symbolic link is followed: its target is the file replaced (the link
 *   stays); a link to a missing file is refused.
 * - A directory, FIFO, device or socket is refused.
 * - A hard link is not followed: the name is replaced, other names keep
 *   the old contents.
 * - DG_EINVAL: a path too long.
 */
int dg_file_resolve_output(const char *path, dg_output_path *out, dg_error *err);

/*
 * Which version of a file a path names: its identity (device and inode),
 * size and modification time to the nanosecond.  A file replaced by
 * another (a rename over it) or rewritten in place gets another version.
 */
typedef struct dg_file_version {
    unsigned long long device, inode, size;
    long long mtime_sec, mtime_nsec;
} dg_file_version;

/*
 * The version of the file path names now (symbolic links followed): DG_OK,
 * else DG_EIO with "cannot open PATH: REASON".
 */
int dg_file_version_of(const char *path, dg_file_version *v, dg_error *err);

/* The same for an open descriptor. */
int dg_file_version_of_fd(int fd, const char *path, dg_file_version *v, dg_error *err);

/* True when a and b are the same version of the same file. */
bool dg_file_version_same(const dg_file_version *a, const dg_file_version *b);

/* --- The writers' lock ---------------------------------------------------- */

/* Attempts to lock the file a path names before it is found to be the file
 * locked (another writer renamed over it each time). */
#define DG_FILE_LOCK_TRIES 1000

/*
 * Takes the writers' lock on the regular file path names now (symbolic links
 * followed): an exclusive fcntl lock on the whole file (an open file
 * description lock where the system has them, else a process's POSIX lock),
 * waiting while another process holds it.  Every diffgeo writer holds it on
 * the file it replaces from its last check of that file to its rename, so
 * that no other diffgeo writer renames over the file between the two
 * (dg_h5_write_options.expect).  It is advisory: a program that takes no
 * fcntl lock (mv, cp, h5py) is not held back, and on a file system that
 * keeps no locks (ENOLCK, EOPNOTSUPP) the call goes on without one.
 * - *fd: the locked descriptor, to give to dg_file_unlock after the rename;
 *   -1 when path names no file (nothing to lock).
 * - The file locked is the one path names once locked: a file renamed over
 *   path while this call waited is locked in turn.
 * - cancel (may be NULL): when set non-zero by a signal handler, a wait
 *   interrupted by that signal ends with DG_ECANCELLED.
 * - DG_EIO: path cannot be opened for writing, is not a regular file, or
 *   kept being replaced (DG_FILE_LOCK_TRIES times).  Messages name name,
 *   the user's name for the file.
 */
int dg_file_lock_writers(const char *path, const char *name, const volatile sig_atomic_t *cancel,
                         int *fd, dg_error *err);

/* Releases the lock dg_file_lock_writers took (closes fd); -1 is a no-op. */
void dg_file_unlock(int fd);

#endif /* DG_FILE_H */
