/*
 * Pipes and FIFOs (fs/pipe.c, docs/files.md "Pipes and poll").
 *
 * A pipe is a 64 KiB ring with a lock, counts of readers and writers and
 * two wait sources: readers wait for data (or for the last writer to go),
 * writers for room (or for the last reader to go). Reads return what is
 * there; writes of up to PIPE_BUF bytes are atomic; a write with no reader
 * raises SIGPIPE and fails with -EPIPE. Blocking is the stackless wait of
 * include/kernel/wait.h: the call returns -EWAIT and runs again when woken.
 *
 * An anonymous pipe (pipe, pipe2) is an inode of an internal file system,
 * "pipefs", opened twice. A FIFO is a tmpfs node of type S_IFIFO whose
 * inode's fops are fifo_fops: its open finds (or makes) the FIFO's pipe
 * and waits for the other side as Linux does.
 */
#ifndef FS_PIPE_H
#define FS_PIPE_H

#include <lib/types.h>

struct file;
struct inode;
struct file_ops;

#define PIPE_BUF  4096	/* writes up to this size are atomic (POSIX, Linux) */
#define PIPE_SIZE 65536 /* bytes a pipe holds (Linux's default capacity) */

/* Opens of S_IFIFO inodes start here (tmpfs sets it on FIFO nodes). */
extern const struct file_ops fifo_fops;

/*
 * A new anonymous pipe: *rd is its read end, *wr its write end, both with
 * the status flags of flags (O_NONBLOCK). 0 or -ENOMEM.
 */
int pipe_create(unsigned flags, struct file **rd, struct file **wr);

/* Pipes alive now (anonymous and FIFO), for leak checks. */
int64_t pipe_count(void);

#endif /* FS_PIPE_H */
