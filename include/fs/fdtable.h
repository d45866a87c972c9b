/*
 * File-descriptor tables (fs/fdtable.c): what a process's fds refer to.
 * Threads that share a table (CLONE_FILES) share one reference-counted
 * struct fd_table; fork clones it. The system calls (sys/) install,
 * look up and close descriptors here; exec closes the O_CLOEXEC ones.
 * A table grows as descriptors are installed, up to the caller's
 * RLIMIT_NOFILE and /proc/sys/fs/nr_open.
 */
#ifndef FS_FDTABLE_H
#define FS_FDTABLE_H

#include <lib/types.h>
#include <kernel/spinlock.h>

struct file;

#define FD_LIMIT_DEFAULT 1024	 /* RLIMIT_NOFILE's default (and kernel threads' limit) */
#define NR_OPEN_DEFAULT	 1048576 /* /proc/sys/fs/nr_open's default */
#define NR_OPEN_MIN	 64	 /* ... and the range it may be set to, as Linux's */
#define NR_OPEN_MAX	 2147483584u
#define FD_CHUNK_SHIFT	 8
#define FD_CHUNK	 (1u << FD_CHUNK_SHIFT) /* entries per chunk: 4 KiB */
#define FD_DIR_INLINE	 4			/* chunk pointers kept in the table itself */

struct fd_entry {
	struct file *file; /* NULL when free; holds a reference */
	bool cloexec;
	bool reserved; /* no file yet, but taken (fd_reserve): lookups see it closed */
};

/*
 * The entries live in chunks of FD_CHUNK (chunk 0 starts smaller and
 * doubles until it is full size), found through a directory; growing adds
 * chunks (or replaces chunk 0 and the directory), so an entry is never
 * more than two loads away and a big table is never one big block.
 *
 * Lock key: (l) lock, (a) atomic. Tables never shrink: an fd below size
 * stays below it for the table's life.
 */
struct fd_table {
	spinlock_t lock;
	int32_t refcount;      /* (a) threads using it */
	unsigned size;	       /* (l) entries the chunks hold */
	unsigned dir_size;     /* (l) slots in dir */
	struct fd_entry **dir; /* (l) chunk i holds fds [i * FD_CHUNK, (i + 1) * FD_CHUNK) */
	unsigned lowest_free;  /* (l) no free fd below it */
	struct fd_entry *inline_dir[FD_DIR_INLINE]; /* (l) dir while it fits */
};

/* An empty table with one reference; NULL when out of memory. */
struct fd_table *fdtable_create(void);
/* A copy for fork: same files (each referenced again), same close-on-exec flags. */
struct fd_table *fdtable_clone(struct fd_table *t);
struct fd_table *fdtable_get(struct fd_table *t);
/* The last put closes every descriptor. */
void fdtable_put(struct fd_table *t);

/*
 * The calling thread's descriptor limit: its process's RLIMIT_NOFILE soft
 * limit, at most nr_open (FD_LIMIT_DEFAULT for kernel threads).
 */
unsigned fd_limit(void);
/* /proc/sys/fs/nr_open: read, and set (-EINVAL outside NR_OPEN_MIN..NR_OPEN_MAX). */
unsigned fd_nr_open(void);
int fd_set_nr_open(uint64_t n);

/*
 * Installs file at the lowest free descriptor (at least min for
 * fd_install_from, F_DUPFD), below fd_limit(). On success the table owns
 * the caller's reference and the fd is returned; otherwise -EMFILE,
 * -EINVAL (min out of range) or -ENOMEM, and the caller keeps its
 * reference.
 */
int fd_install(struct fd_table *t, struct file *file, bool cloexec);
int fd_install_from(struct fd_table *t, int min, struct file *file, bool cloexec);
/*
 * Installs file at fd (dup2), closing what was there. Takes the caller's
 * reference on success; returns fd, -EBADF (fd negative or at fd_limit()
 * or above: RLIMIT_NOFILE or nr_open), -EBUSY (fd is reserved) or -ENOMEM.
 */
int fd_install_at(struct fd_table *t, int fd, struct file *file, bool cloexec);
/*
 * A descriptor taken before its file exists (accept: the connection is
 * taken only once the fd is sure): fd_reserve returns the lowest free fd
 * (or -EMFILE, -ENOMEM), which then gets its file by fd_install_reserved
 * (taking the caller's reference) or is given back by fd_unreserve.
 * Meanwhile it is closed for lookups and close, and dup2 onto it is -EBUSY.
 */
int fd_reserve(struct fd_table *t);
void fd_install_reserved(struct fd_table *t, int fd, struct file *file, bool cloexec);
void fd_unreserve(struct fd_table *t, int fd);
/* The file at fd with a new reference, or NULL. */
struct file *fd_get_file(struct fd_table *t, int fd);
/*
 * The same for the hot paths of a system call on the calling thread's own
 * table: when no other thread shares the table (refcount 1), nothing can
 * close fd or grow the table during the call, so no lock and no reference
 * are taken (*held false); else it is fd_get_file (*held true: file_put
 * after).
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
/* Sets the bit of each open descriptor below nbits in map (for /proc/PID/fd); takes the lock. */
void fd_open_map(struct fd_table *t, unsigned long *map, unsigned nbits);
/* Entries the table holds now (for tests). */
unsigned fd_table_size(struct fd_table *t);

#endif /* FS_FDTABLE_H */
