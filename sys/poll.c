/*
 * poll, ppoll, select, pselect6 (docs/files.md "Pipes and poll").
 *
 * Each run of the call looks at every file without registering (vfs_poll
 * with register_wait false). If something is ready, or the timeout is
 * zero, or the deadline has passed, the call completes. Otherwise it looks
 * again, now registering the thread on every wait source the answers
 * depend on (each file's poll calls wait_add_source before it looks, so an
 * event after the look still wakes the thread), and if still nothing is
 * ready it returns wait_registered(deadline): the thread parks and the
 * whole call runs again when a source or the deadline wakes it. A call
 * that completes after registering drops its registrations (wait_detach).
 *
 * What survives between runs is in the wait's progress words: the deadline
 * (a clock_ns() value, computed once on the first run) and the state bits
 * below. The arrays and sets are copied in again on every run.
 *
 * Timeouts are Linux's: poll's milliseconds (negative: none), ppoll's and
 * pselect6's timespec and select's timeval (NULL: none; negative: EINVAL).
 * select, pselect6 and ppoll write the time left back when the timeout
 * was not zero (as Linux does; a failed write-back is ignored). ppoll and
 * pselect6 run with the caller's temporary signal mask, kept in the
 * thread's saved_sigmask/restore_sigmask like rt_sigsuspend: restored when
 * the call completes, or after the handler when a signal ends it.
 */
#include <kernel/syscall.h>
#include <kernel/clock.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <lib/compiler.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/poll.h>
#include <uapi/resource.h>
#include <uapi/signal.h>

/* struct poll_progress.state */
#define ST_STARTED (1u << 0) /* arguments read, deadline set */
#define ST_NOWAIT  (1u << 1) /* a zero timeout: never wait */
#define ST_TIMED   (1u << 2) /* a non-zero timeout: write the time left back */
#define ST_MASK	   (1u << 3) /* a temporary signal mask is in force */

#define UNBLOCKABLE ((1ULL << (SIGKILL - 1)) | (1ULL << (SIGSTOP - 1)))

/* Linux's select() classes of poll bits. */
#define POLLIN_SET  (POLLRDNORM | POLLRDBAND | POLLIN | POLLHUP | POLLERR)
#define POLLOUT_SET (POLLWRBAND | POLLWRNORM | POLLOUT | POLLERR)
#define POLLEX_SET  POLLPRI

#define SELECT_MAX 1024 /* descriptors select() looks at: FD_SETSIZE */
#define SET_LONGS  (SELECT_MAX / 64)

typedef long (*scan_fn)(void *ctx, bool register_wait);

static uint64_t state(void)
{
	return progress_poll(current_wait())->state;
}

/* First run: records the timeout (ns; ~0: none) as the call's deadline. */
static void start_timeout(uint64_t ns, bool none)
{
	struct poll_progress *pp = progress_poll(current_wait());
	uint64_t now = clock_ns();

	pp->state |= ST_STARTED;
	pp->deadline_ns = 0;
	if (none)
		return;
	if (ns == 0) {
		pp->state |= ST_NOWAIT;
		return;
	}
	pp->state |= ST_TIMED;
	pp->deadline_ns = deadline_add(now, ns);
}

/* One run: the ready count (or -errno) now, or -EWAIT registered on every source. */
static long poll_run(scan_fn scan, void *ctx)
{
	struct wait *w = current_wait();
	struct poll_progress *pp = progress_poll(w);
	uint64_t deadline = pp->deadline_ns;
	long n = scan(ctx, false);

	if (n != 0)
		return n;
	if ((pp->state & ST_NOWAIT) || (deadline && clock_ns() >= deadline))
		return 0;
	n = scan(ctx, true);
	if (n != 0) {
		wait_detach(w);
		return n;
	}
	return wait_registered(deadline);
}

/* ppoll, pselect6: puts the caller's mask in force for the call (first run). */
static long set_temporary_mask(uintptr_t umask, size_t size)
{
	struct thread *t = current_thread();
	uint64_t mask;

	if (!umask)
		return 0;
	if (size != sizeof(mask))
		return -EINVAL;
	if (copy_from_user(&mask, umask, sizeof(mask)))
		return -EFAULT;
	if (!t->restore_sigmask) {
		t->saved_sigmask = t->sigmask;
		t->restore_sigmask = true;
	}
	t->sigmask = mask & ~UNBLOCKABLE;
	progress_poll(current_wait())->state |= ST_MASK;
	return 0;
}

enum time_kind {
	TIME_NONE,
	TIME_TIMEVAL,
	TIME_TIMESPEC
};

/* A completed call: the old signal mask back, the time left written back. */
static long poll_finish(long ret, uintptr_t utime, enum time_kind kind)
{
	struct poll_progress *pp = progress_poll(current_wait());
	struct thread *t = current_thread();
	uint64_t now, left;
	int64_t tv[2];

	if (ret == -EWAIT)
		return ret;
	if (pp->state & ST_MASK) {
		t->sigmask = t->saved_sigmask;
		t->restore_sigmask = false;
	}
	if (kind == TIME_NONE || !utime || !(pp->state & ST_TIMED))
		return ret;
	now = clock_ns();
	left = pp->deadline_ns > now ? pp->deadline_ns - now : 0;
	tv[0] = (int64_t)(left / NSEC_PER_SEC);
	tv[1] = (int64_t)(left % NSEC_PER_SEC);
	if (kind == TIME_TIMEVAL)
		tv[1] /= (int64_t)NSEC_PER_USEC;
	copy_to_user(utime, tv, sizeof(tv)); /* as Linux: a failure here is not an error */
	return ret;
}

/* A user timespec as a timeout (first run); NULL: none. */
static long read_timespec(uintptr_t uts)
{
	struct linux_timespec ts;
	uint64_t ns;

	if (!uts) {
		start_timeout(0, true);
		return 0;
	}
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (timespec_to_ns(&ts, &ns))
		return -EINVAL;
	start_timeout(ns, false);
	return 0;
}

/* poll */

struct poll_ctx {
	struct pollfd *fds;
	unsigned nfds;
};

static long poll_scan(void *arg, bool register_wait)
{
	struct poll_ctx *c = arg;
	long ready = 0;

	for (unsigned i = 0; i < c->nfds; i++) {
		struct pollfd *pf = &c->fds[i];
		struct file *f;
		int mask;

		pf->revents = 0;
		if (pf->fd < 0)
			continue;
		f = fget(pf->fd);
		if (!f) {
			pf->revents = POLLNVAL;
			ready++;
			continue;
		}
		mask = vfs_poll(f, register_wait);
		file_put(f);
		if (mask < 0)
			return mask;
		pf->revents = (int16_t)(mask &
					((uint16_t)pf->events | POLLERR | POLLHUP | POLLNVAL));
		if (pf->revents)
			ready++;
	}
	return ready;
}

static long do_poll(uintptr_t ufds, unsigned nfds)
{
	size_t size = (size_t)nfds * sizeof(struct pollfd);
	struct poll_ctx c = { NULL, nfds };
	long n;

	if (nfds > READ_ONCE(current_proc()->rlimits[RLIMIT_NOFILE].cur))
		return -EINVAL;
	if (nfds) {
		c.fds = kmalloc(size);
		if (!c.fds)
			return -ENOMEM;
		if (copy_from_user(c.fds, ufds, size)) {
			kfree(c.fds);
			return -EFAULT;
		}
	}
	n = poll_run(poll_scan, &c);
	if (n >= 0 && nfds && copy_to_user(ufds, c.fds, size))
		n = -EFAULT;
	kfree(c.fds);
	return n;
}

SYSCALL_DEFINE3(poll, uintptr_t, ufds, unsigned, nfds, int, timeout_ms)
{
	if (!(state() & ST_STARTED))
		start_timeout((uint64_t)timeout_ms * NSEC_PER_MSEC, timeout_ms < 0);
	return do_poll(ufds, nfds);
}

SYSCALL_DEFINE5(ppoll, uintptr_t, ufds, unsigned, nfds, uintptr_t, uts, uintptr_t, umask, size_t,
		masksize)
{
	long r;

	if (!(state() & ST_STARTED)) {
		if ((r = read_timespec(uts)) || (r = set_temporary_mask(umask, masksize)))
			return poll_finish(r, 0, TIME_NONE);
	}
	return poll_finish(do_poll(ufds, nfds), uts, TIME_TIMESPEC);
}

/* select */

struct select_ctx {
	int n;
	unsigned long in[SET_LONGS], out[SET_LONGS], ex[SET_LONGS];
	unsigned long res_in[SET_LONGS], res_out[SET_LONGS], res_ex[SET_LONGS];
};

static long select_scan(void *arg, bool register_wait)
{
	struct select_ctx *c = arg;
	long ready = 0;
	int longs = (c->n + 63) / 64;

	for (int i = 0; i < longs; i++) {
		unsigned long all = c->in[i] | c->out[i] | c->ex[i];

		c->res_in[i] = c->res_out[i] = c->res_ex[i] = 0;
		while (all) {
			int fd = i * 64 + __builtin_ctzl(all);
			unsigned long bit = all & -all;
			struct file *f;
			int mask;

			all &= all - 1;
			if (fd >= c->n)
				break;
			f = fget(fd);
			if (!f || (f->fmode & FMODE_PATH)) {
				if (f)
					file_put(f);
				return -EBADF;
			}
			mask = vfs_poll(f, register_wait);
			file_put(f);
			if (mask < 0)
				return mask;
			if ((c->in[i] & bit) && (mask & POLLIN_SET)) {
				c->res_in[i] |= bit;
				ready++;
			}
			if ((c->out[i] & bit) && (mask & POLLOUT_SET)) {
				c->res_out[i] |= bit;
				ready++;
			}
			if ((c->ex[i] & bit) && (mask & POLLEX_SET)) {
				c->res_ex[i] |= bit;
				ready++;
			}
		}
	}
	return ready;
}

/* Copies a set of n descriptors in (NULL: empty), in whole longs as Linux. */
static int get_set(unsigned long *set, uintptr_t uset, int n)
{
	size_t bytes = (size_t)(n + 63) / 64 * sizeof(long);

	for (int i = 0; i < SET_LONGS; i++)
		set[i] = 0;
	return uset && bytes ? copy_from_user(set, uset, bytes) : 0;
}

static int put_set(uintptr_t uset, const unsigned long *set, int n)
{
	size_t bytes = (size_t)(n + 63) / 64 * sizeof(long);

	return uset && bytes ? copy_to_user(uset, set, bytes) : 0;
}

/*
 * nfds past SELECT_MAX is cut down to it (Linux cuts it to the size of the
 * descriptor table); a set bit for a descriptor that is not open is EBADF.
 */
static long do_select(int n, uintptr_t uin, uintptr_t uout, uintptr_t uex)
{
	struct select_ctx *c;
	long r;

	if (n < 0)
		return -EINVAL;
	c = kmalloc(sizeof(*c));
	if (!c)
		return -ENOMEM;
	c->n = MIN(n, SELECT_MAX);
	if (get_set(c->in, uin, c->n) || get_set(c->out, uout, c->n) || get_set(c->ex, uex, c->n)) {
		kfree(c);
		return -EFAULT;
	}
	r = poll_run(select_scan, c);
	if (r >= 0 && (put_set(uin, c->res_in, c->n) || put_set(uout, c->res_out, c->n) ||
		       put_set(uex, c->res_ex, c->n)))
		r = -EFAULT;
	kfree(c);
	return r;
}

SYSCALL_DEFINE5(select, int, n, uintptr_t, uin, uintptr_t, uout, uintptr_t, uex, uintptr_t, utv)
{
	if (!(state() & ST_STARTED)) {
		int64_t tv[2];

		if (!utv) {
			start_timeout(0, true);
		} else {
			uint64_t sec;

			if (copy_from_user(tv, utv, sizeof(tv)))
				return -EFAULT;
			if (tv[0] < 0 || tv[1] < 0)
				return -EINVAL;
			/* Microseconds past a second carry over, as Linux. */
			sec = (uint64_t)tv[0] + (uint64_t)tv[1] / 1000000;
			start_timeout(sec > DEADLINE_MAX / NSEC_PER_SEC - 1
					      ? DEADLINE_MAX
					      : sec * NSEC_PER_SEC +
							(uint64_t)tv[1] % 1000000 * NSEC_PER_USEC,
				      false);
		}
	}
	return poll_finish(do_select(n, uin, uout, uex), utv, TIME_TIMEVAL);
}

SYSCALL_DEFINE6(pselect6, int, n, uintptr_t, uin, uintptr_t, uout, uintptr_t, uex, uintptr_t, uts,
		uintptr_t, usig)
{
	long r;

	if (!(state() & ST_STARTED)) {
		uint64_t pack[2] = { 0, 0 }; /* const sigset_t *ss; size_t ss_len */

		if (usig && copy_from_user(pack, usig, sizeof(pack)))
			return -EFAULT;
		if ((r = read_timespec(uts)) || (r = set_temporary_mask(pack[0], pack[1])))
			return poll_finish(r, 0, TIME_NONE);
	}
	return poll_finish(do_select(n, uin, uout, uex), uts, TIME_TIMESPEC);
}
