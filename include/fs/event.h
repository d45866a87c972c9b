/*
 * Event files (docs/events.md): eventfd (fs/eventfd.c), timerfd
 * (fs/timerfd.c), signalfd (fs/signalfd.c), pidfd (fs/pidfd.c) and epoll
 * (fs/eventpoll.c),
 * files of no file system made by fs/anon_inode.c. Their system calls are
 * in sys/event.c.
 */
#ifndef FS_EVENT_H
#define FS_EVENT_H

#include <fs/vfs.h>
#include <kernel/wait.h>
#include <uapi/eventpoll.h>
#include <uapi/eventfd.h>

/*
 * A new file with fops and private data priv, of no file system (an
 * anonymous inode named "anon_inode:[name]" in /proc/PID/fd); flags:
 * O_RDWR, O_RDONLY... and O_NONBLOCK. 0 or -ENOMEM; on failure the
 * caller still owns priv.
 */
int anon_file_create(const char *name, const struct file_ops *fops, void *priv, int flags,
		     struct file **out);

/*
 * Wait sources of event files come from pools and never go back to
 * kmalloc: a thread that waited on one may still be unlinking its
 * registration on another CPU when the file goes (as pipes,
 * fs/pipe.c). A pool is named for its lock class.
 */
struct source_pool {
	spinlock_t lock;
	struct list_head free; /* (lock) struct pooled_source.node */
	const char *name;      /* the sources' lock class */
};
#define SOURCE_POOL_INIT(var, n)                                                          \
	{                                                                                 \
		.lock = SPINLOCK_INIT("source-pool"), .free = LIST_HEAD_INIT((var).free), \
		.name = (n)                                                               \
	}
struct wait_source *source_alloc(struct source_pool *pool);
/* Wakes whatever still waits on src (it finds its file gone), then pools it. */
void source_free(struct source_pool *pool, struct wait_source *src);

/* eventfd(2): a new eventfd file; flags EFD_*. */
int eventfd_create(uint64_t initval, int flags, struct file **out);

/* timerfd(2). */
int timerfd_create(int clockid, int flags, struct file **out);
bool is_timerfd(struct file *f);
int timerfd_settime(struct file *f, int flags, const struct linux_itimerspec *new,
		    struct linux_itimerspec *old);
void timerfd_gettime(struct file *f, struct linux_itimerspec *cur);

/* signalfd(2): a new signalfd for mask, or (f a signalfd) a new mask. */
int signalfd_create(uint64_t mask, int flags, struct file **out);
bool is_signalfd(struct file *f);
void signalfd_set_mask(struct file *f, uint64_t mask);
/* A signal was queued: readers and pollers of signalfds look again (kernel/signal.c). */
void signalfd_notify(void);

/* pidfd_open(2): a file for the process pid (a zombie too); -ESRCH. */
struct process;
int pidfd_create(int pid, int flags, struct file **out);
/* A pidfd of p itself (CLONE_PIDFD: a child not yet published). */
int pidfd_create_for(struct process *p, int flags, struct file **out);
/* f's process, or NULL when f is not a pidfd. */
struct process *pidfd_process(struct file *f);
/* A reference to p's file at fd (pidfd_getfd), or NULL (no such file, or p has exited). */
struct file *pidfd_get_file(struct process *p, int fd);
/* A process exited: pollers of pidfds look again (kernel/proc.c). */
void pidfd_notify(void);

/* epoll(7). */
int epoll_create(int flags, struct file **out);
bool is_epoll(struct file *f);
int epoll_ctl(struct file *ep, int op, struct file *f, int fd, const struct epoll_event *ev);
/* Up to max ready events into out (kernel memory): how many, 0 if none is ready. */
int epoll_collect(struct file *ep, struct epoll_event *out, int max);
/*
 * Nothing was ready: -EWAIT registered on ep (the deadline is the
 * caller's, 0: none), or 0 if an item is on the ready list again.
 */
long epoll_block(struct file *ep, uint64_t deadline_ns);
/* f's last reference went: it leaves every epoll's interest list (fs/file.c). */
void eventpoll_release(struct file *f);

#endif /* FS_EVENT_H */
