/*
 * File-descriptor tables (fs/fdtable.c): what a process's fds refer to.
 * Threads that share a table (CLONE_FILES) share one reference-counted
 * struct fd_table; fork clones it. The system calls (sys/) install,
 * look up and close descriptors here; exec closes the O_CLOEXEC ones.
 */
#ifndef FS_FDTABLE_H
#define FS_FDTABLE_H

#include <lib/types.h>
#include <kernel/spinlock.h>

struct file;

#define FD_MAX 1024 /* descriptors per table: RLIMIT_NOFILE's default */

struct fd_entry {
	struct file *file; /* NULL when free; holds a reference */
	bool cloexec;
};

/* Lock key: (l) lock, (a) atomic. */
struct fd_table {
	spinlock_t lock;
	int32_t refcount;     /* (a) threads using it */
	unsigned size;	      /* (l) entries in fds */
	struct fd_entry *fds; /* (l) grows by doubling up to FD_MAX */
	unsigned lowest_free; /* (l) no free fd below it */
};

/* An empty table with one reference; NULL when out of memory. */
struct fd_table *fdtable_create(void);
/* A copy for fork: same files (each referenced again), same close-on-exec flags. */
struct fd_table *fdtable_clone(struct fd_table *t);
struct fd_table *fdtable_get(struct fd_table *t);
/* The last put closes every descriptor. */
void fdtable_put(struct fd_table *t);

/*
 * Installs file at the lowest free descriptor (at least min for
 * fd_install_from, F_DUPFD). On success the table owns the caller's
 * reference and the fd is returned; otherwise -EMFILE, -EINVAL (min out
 * of range) or -ENOMEM, and the caller keeps its reference.
 */
int fd_install(struct fd_table *t, struct file *file, bool cloexec);
int fd_install_from(struct fd_table *t, int min, struct file *file, bool cloexec);
/*
 * Installs file at fd (dup2), closing what was there. Takes the caller's
 * reference on success; returns fd, -EBADF (fd out of range) or -ENOMEM.
 */
int fd_install_at(struct fd_table *t, int fd, struct file *file, bool cloexec);
/* The file at fd with a new reference, or NULL. */
struct file *fd_get_file(struct fd_table *t, int fd);
/*
 * The same for the hot paths of a system call on the calling thread's own
 * table: when no other thread shares the table (refcount 1), nothing can
 * close fd during the call, so no lock and no reference are taken (*held
 * false); else it is fd_get_file (*held true: file_put after).
 */
struct file *fd_peek_file(struct fd_table *t, int fd, bool *held);
/* 0 or -EBADF. */
int fd_close(struct fd_table *t, int fd);
void fd_close_on_exec(struct fd_table *t);
/* close_range: closes (or with cloexec_only marks FD_CLOEXEC) the open fds in [first, last]. */
void fd_close_range(struct fd_table *t, unsigned first, unsigned last, bool cloexec_only);
/* FD_CLOEXEC of fd: 0/1, or -EBADF; set returns 0 or -EBADF. */
int fd_get_cloexec(struct fd_table *t, int fd);
int fd_set_cloexec(struct fd_table *t, int fd, bool cloexec);
/* Descriptors in use (for tests and /proc). */
unsigned fd_count(struct fd_table *t);

#endif /* FS_FDTABLE_H */
