/*
 * pidfd (include/fs/event.h, docs/events.md): a file that refers to a
 * process. It holds the struct process (proc_hold), which also keeps the
 * pid from being reused, so the file names the same process for its whole
 * life. Readable (POLLIN) once the process has exited (a zombie), with
 * POLLHUP too once it has been reaped.
 *
 * Waiters (poll, epoll) wait on one global source that every process
 * exit wakes when any waits (pidfd_notify, from kernel/proc.c), as
 * signalfd's: exits are rare next to other events.
 */
#include <fs/event.h>
#include <fs/fdtable.h>
#include <kernel/proc.h>
#include <lib/compiler.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

static struct wait_source exits = { .lock = SPINLOCK_INIT("pidfd"),
				    .waiters = LIST_HEAD_INIT(exits.waiters) };
static const struct file_ops pidfd_fops;

void pidfd_notify(void)
{
	if (READ_ONCE(exits.waiters.next) != &exits.waiters)
		wait_wake_all(&exits);
}

/* Whether p was reaped: its pid no longer finds it (the pid is not reused while held). */
static bool reaped(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool gone = proc_find(p->pid) != p;

	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return gone;
}

static int pidfd_poll(struct file *f, bool register_wait)
{
	struct process *p = f->private;

	if (register_wait && wait_add_source(&exits))
		return -ENOMEM;
	if (READ_ONCE(p->state) != PROC_ZOMBIE)
		return 0;
	return reaped(p) ? POLLIN | POLLRDNORM | POLLHUP : POLLIN | POLLRDNORM;
}

static void pidfd_release(struct file *f)
{
	proc_unhold(f->private);
}

static const struct file_ops pidfd_fops = {
	.release = pidfd_release,
	.poll = pidfd_poll,
};

struct process *pidfd_process(struct file *f)
{
	return f->fops == &pidfd_fops ? f->private : NULL;
}

int pidfd_create_for(struct process *p, int flags, struct file **out)
{
	int r;

	proc_hold(p);
	r = anon_file_create("anon_inode:[pidfd]", &pidfd_fops, p, O_RDWR | (flags & O_NONBLOCK),
			     out);
	if (r)
		proc_unhold(p);
	return r;
}

int pidfd_create(int pid, int flags, struct file **out)
{
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock);
	struct process *p = proc_find(pid);
	int r;

	if (p)
		proc_hold(p);
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	if (!p)
		return -ESRCH;
	r = pidfd_create_for(p, flags, out);
	proc_unhold(p);
	return r;
}

struct file *pidfd_get_file(struct process *p, int fd)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct fd_table *t = p->nr_threads && p->fds ? fdtable_get(p->fds) : NULL;
	struct file *f;

	spin_unlock_irqrestore(&p->lock, flags);
	if (!t)
		return NULL;
	f = fd_get_file(t, fd);
	fdtable_put(t);
	return f;
}
