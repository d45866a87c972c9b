/*
 * Waits: how a thread blocks without a kernel stack (DESIGN.md section 4,
 * kernel/wait.c), and the record a waiting system call keeps between its
 * runs (docs/processes.md, "The restart model").
 *
 * An event source (a pipe, the console, a futex bucket, a child's exit)
 * embeds a struct wait_source. A system call that cannot complete now does,
 * with the source's lock held and after re-checking its condition:
 *
 *	return wait_block_locked(&src, deadline_ns);
 *
 * which records the current thread as a waiter and returns -EWAIT; the
 * syscall dispatcher then parks the thread and the CPU's stack unwinds
 * completely. When the event happens, the code that made it happen calls
 * wait_wake_all(&src) (or wait_wake_one). The woken thread re-runs the
 * same system call from its saved registers (the "restart" idea), with
 * any progress kept in its struct wait; the second run normally completes.
 * A deadline (clock_ns() value, 0 for none) wakes the thread too; the
 * re-run call sees the time has passed.
 *
 * Code that both user threads (in a system call) and kernel threads run
 * waits the one way, wait_event (below): a user thread's call returns
 * -EWAIT and runs again, a kernel thread sleeps on its stack and looks
 * again. Nothing else chooses by the kind of thread. Waits only kernel
 * threads make (a service's queue, a join) keep struct waitq.
 */
#ifndef KERNEL_WAIT_H
#define KERNEL_WAIT_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>
#include <kernel/config.h>

/* Internal: "the current thread must wait"; never reaches user space. */
#define EWAIT 1024

struct wait_source {
	spinlock_t lock;
	struct list_head waiters; /* (lock) struct wait_link.node */
	uint32_t callbacks;	  /* (lock) struct wait_callback waiters among them (epoll) */
};

/*
 * The progress a system call keeps between its runs: one typed record per
 * kind of call, in a union, instead of numbered words. Two layers, each
 * with its own union and tag: the system call itself (call: readv's count,
 * poll's deadline, a futex waiter's key) and the file or file-system
 * operation under it (op: a pipe write's count, a VTIME read's deadline,
 * the call's time stamp). A tag is set by the first access of the call and
 * every later access asserts it (progress_*() below), so two kinds of call
 * can never share a record by accident. A layer is zeroed by the first
 * claim of a call (syscall_entry_c only clears the tags: most calls never
 * claim one).
 */
enum progress_call_kind {
	PROGRESS_CALL_NONE,
	PROGRESS_RW,	/* readv, writev and their p*v forms */
	PROGRESS_POLL,	/* poll, ppoll, select, pselect6 */
	PROGRESS_FUTEX, /* a futex waiter */
	PROGRESS_VFORK, /* a vfork parent waiting for its child */
	PROGRESS_EPOLL, /* epoll_wait, epoll_pwait, epoll_pwait2 */
	PROGRESS_MMSG,	/* sendmmsg, recvmmsg (net/socket.c) */
	PROGRESS_SLEEP, /* an absolute CLOCK_REALTIME clock_nanosleep (sys/time.c) */
};

enum progress_op_kind {
	PROGRESS_OP_NONE,
	PROGRESS_FS,	     /* file-system changes and syncs (fs/ext2_vfs.c, fs/writeback.c) */
	PROGRESS_PIPE_WRITE, /* a pipe write longer than PIPE_BUF */
	PROGRESS_FIFO_OPEN,  /* a FIFO open waiting for the other side */
	PROGRESS_TTY_READ,   /* a VMIN = 0, VTIME > 0 terminal read */
	PROGRESS_SOCK,	     /* a socket send, receive, connect or accept (net/) */
	PROGRESS_TTY_WRITE,  /* a terminal write that waits for room (a pty, drivers/pty.c) */
};

struct rw_progress {
	uint64_t done; /* bytes of the segments moved in earlier runs */
};

struct poll_progress {
	uint64_t deadline_ns; /* clock_ns() deadline; 0: none */
	uint32_t state;	      /* POLL_ST_* (sys/poll.c) */
};

struct futex_progress {
	uint64_t key_a, key_b;	/* the key waited on (a requeue changes it) */
	uint64_t real_deadline; /* an absolute FUTEX_CLOCK_REALTIME timeout (ns), or 0 */
	uint32_t bitset;
	uint16_t state;	   /* FUTEX_ST_* (kernel/futex.c) */
	uint16_t requeued; /* moved to another futex: its word is not the caller's */
};

struct vfork_progress {
	int child_tid; /* the child made by the first run; 0: none yet */
};

struct epoll_progress {
	uint64_t deadline_ns; /* clock_ns() deadline; 0: none */
	uint32_t state;	      /* EP_ST_* (sys/event.c) */
};

struct mmsg_progress {
	uint32_t done;	      /* messages moved in earlier runs */
	uint64_t deadline_ns; /* recvmmsg's timeout, fixed at the first run; 0: none */
};

struct sleep_progress {
	uint64_t real_ns; /* the wall-clock time it sleeps until (its deadline follows the clock) */
};

struct fs_progress {
	int64_t time;	   /* the call's time stamp (seconds), 0 before its first use */
	uint64_t sync_gen; /* the write-back generation it waits for, 0: none */
};

struct pipe_write_progress {
	uint64_t done; /* bytes already in the pipe */
};

struct fifo_open_progress {
	const void *pipe; /* the FIFO's pipe the opener waits on */
	bool granted;	  /* the other side counted this opener in */
};

struct tty_read_progress {
	uint64_t deadline_ns; /* fixed at the read's first run */
};

struct tty_write_progress {
	uint64_t done; /* bytes already written */
};

struct sock_progress {
	uint64_t done;	      /* bytes a stream send or receive moved in earlier runs */
	uint64_t deadline_ns; /* SO_*TIMEO's, fixed at the first run; 0: not yet, ~0: none */
};

/* The unions' tags are in struct wait (call_kind, op_kind), where they fill a hole. */
struct call_progress {
	union {
		struct rw_progress rw;
		struct poll_progress poll;
		struct futex_progress futex;
		struct vfork_progress vfork;
		struct epoll_progress epoll;
		struct mmsg_progress mmsg;
		struct sleep_progress sleep;
	} call;
	union {
		struct fs_progress fs;
		struct pipe_write_progress pipe_write;
		struct fifo_open_progress fifo_open;
		struct tty_read_progress tty_read;
		struct sock_progress sock;
		struct tty_write_progress tty_write;
	} op;
};

struct wait;
struct wait_hook;

/*
 * One registration of a wait on a source. A wait has one embedded link
 * (most calls wait on one source) and, for poll and select, extra links
 * allocated per source. Lock key: (s) the source's lock, (c) constant.
 */
struct wait_link {
	struct list_head node;	    /* (s) on the source's waiters */
	struct wait_source *source; /* (s) where node is linked, or NULL */
	struct wait *wait;	    /* (c) NULL: a struct wait_callback */
	struct list_head
		extra; /* (o) in wait.extra (extra links only); a callback's owner's list */
};

/*
 * A waiter that is a function, not a thread (epoll's interest items,
 * fs/eventpoll.c). It is linked on a source like a thread's link (with
 * link.wait NULL) but stays linked when the source wakes: every wake-up
 * of the source calls fn with the source's lock held (interrupts off), and
 * fn returns whether it woke a thread. depth counts the callbacks the
 * wake-up already went through (0 from an ordinary wake): a callback that
 * wakes a source of its own takes that source's lock with
 * spin_lock_irqsave_nested(lock, depth + 1) and wakes it with
 * wait_wake_all_locked(src, depth + 1), so that the lock checker sees one
 * class per level of nesting (epoll in epoll). Of the callbacks marked
 * exclusive, a wake-up calls them in order until one returns true
 * (EPOLLEXCLUSIVE); the others are all called.
 */
struct wait_callback;
typedef bool (*wait_callback_fn)(struct wait_callback *cb, unsigned depth);
struct wait_callback {
	struct wait_link link;
	wait_callback_fn fn; /* (c) */
	bool exclusive;	     /* (c) */
};

/*
 * poll's registrations redirected: while a thread's wait has a hook,
 * wait_add_source (which a file's poll method calls) calls hook->add
 * instead of registering the thread (epoll_ctl adding a file: each source
 * gets a callback of the interest item).
 */
struct wait_hook {
	int (*add)(struct wait_hook *h, struct wait_source *src);
};

/*
 * Lock key: (r) run queue lock, (o) the owning thread while it runs, (a)
 * atomic: the owner and a waker on another CPU both change flags.
 */
struct wait {
	struct wait_link link;	       /* the source of a single-source wait */
	struct list_head extra;	       /* (o) more links (poll, select) */
	uint64_t deadline_ns;	       /* (r) 0: none */
	uint32_t flags;		       /* (a) WAIT_*: changed only by wait_flags_set/clear */
	uint16_t polls;		       /* (o) runs of the call for this wait (saturates) */
	uint8_t call_kind;	       /* (o) progress.call's tag: enum progress_call_kind */
	uint8_t op_kind;	       /* (o) progress.op's tag: enum progress_op_kind */
	struct call_progress progress; /* (o) the call's own state */
	int64_t partial; /* (o) bytes a waiting call already moved: what a signal makes it return */
	const char *committed_at; /* (o) where the call passed its point of no return, or NULL */
	struct wait_hook *hook;	  /* (o) where wait_add_source registers instead, or NULL */
};

#define WAIT_WOKEN	     (1u << 1) /* woken before the thread had parked */
/* Signals do not end this wait (a service call, like Linux's disk waits); SIGKILL does. */
#define WAIT_UNINTERRUPTIBLE (1u << 2)

/*
 * The flags change from two sides at once (the owner marks its wait
 * uninterruptible while a waker on another CPU marks it woken): each
 * change is one atomic read-modify-write, so neither loses the other's.
 */
static inline void wait_flags_set(struct wait *w, uint32_t f)
{
	__atomic_fetch_or(&w->flags, f, __ATOMIC_RELAXED);
}

/* Skips the locked instruction when no bit of f is set (every system call clears them). */
static inline void wait_flags_clear(struct wait *w, uint32_t f)
{
	if (__atomic_load_n(&w->flags, __ATOMIC_RELAXED) & f)
		__atomic_fetch_and(&w->flags, ~f, __ATOMIC_RELAXED);
}

/* Prepares a thread's embedded wait (once, when the thread is made). */
void wait_init(struct wait *w);

void wait_source_init(struct wait_source *src, const char *name);
/* Caller holds src->lock; returns -EWAIT. */
long wait_block_locked(struct wait_source *src, uint64_t deadline_ns);
/*
 * The same for a wait signals do not end (WAIT_UNINTERRUPTIBLE: a disk, a
 * service, a vfork child), for this run of the call; returns -EWAIT.
 */
long wait_block_locked_uninterruptible(struct wait_source *src);
/* Waits for the deadline alone (a sleep); returns -EWAIT. */
long wait_sleep_until(uint64_t deadline_ns);
/* Wakes every waiter (or the first); returns how many were woken. */
unsigned wait_wake_all(struct wait_source *src);
unsigned wait_wake_one(struct wait_source *src);
/* The same with src->lock held, depth as for struct wait_callback (0: an ordinary wake). */
unsigned wait_wake_all_locked(struct wait_source *src, unsigned depth);
/* Links a callback waiter on src (the caller holds no source lock). */
void wait_callback_add(struct wait_source *src, struct wait_callback *cb);
/* Unlinks it; when this returns, fn neither runs nor will run for cb. */
void wait_callback_del(struct wait_callback *cb);
/*
 * Whether callbacks wait on src (read without its lock): a source that
 * wakes only on some changes (a pipe: when it was empty) wakes on every
 * change then, for edge-triggered epoll (as Linux's pipe poll_usage).
 */
static inline bool wait_has_callbacks(struct wait_source *src)
{
	return __atomic_load_n(&src->callbacks, __ATOMIC_RELAXED) != 0;
}
/* The current thread's wait (progress survives between runs of one call). */
struct wait *current_wait(void);
/* Wakes the thread of one registration; the caller holds l->source->lock. */
void wait_wake_locked(struct wait_link *l);
/*
 * poll/select: registers the current wait on one more source (the caller
 * holds no source lock). 0 or -ENOMEM. After registering everywhere and
 * finding nothing ready, the call returns wait_registered(deadline).
 */
int wait_add_source(struct wait_source *src);
long wait_registered(uint64_t deadline_ns);
/*
 * Unlinks every registration of w that is still linked (the call runs
 * again). Inline: every system call detaches, and most never registered.
 * A link a waker unlinks meanwhile reads NULL here as it does in the slow
 * path, which follows a link a futex requeue moves. The waker clears the
 * source last, with release order (wait_wake_locked): a NULL read with
 * acquire order means the waker is done with the link and the thread, so
 * both may be freed.
 */
void wait_detach_linked(struct wait *w);
static inline void wait_detach(struct wait *w)
{
	if (__atomic_load_n(&w->link.source, __ATOMIC_ACQUIRE) || !list_empty(&w->extra))
		wait_detach_linked(w);
}

/*
 * Typed access to a call's progress (w: the current wait, or a waiter's
 * that a waker updates). The first access of a call sets the layer's tag;
 * an access of another kind in the same call panics.
 */
struct call_progress *progress_first_call(struct wait *w, enum progress_call_kind kind);
struct call_progress *progress_first_op(struct wait *w, enum progress_op_kind kind);
/* Inline: a waker's and every later run's access is the record's own kind (the first is not). */
static inline struct call_progress *progress_claim_call(struct wait *w,
							enum progress_call_kind kind)
{
	return w->call_kind == kind ? &w->progress : progress_first_call(w, kind);
}
static inline struct call_progress *progress_claim_op(struct wait *w, enum progress_op_kind kind)
{
	return w->op_kind == kind ? &w->progress : progress_first_op(w, kind);
}
/*
 * A call starts: no kind, nothing kept, no point of no return passed. The
 * records are zeroed when first claimed, not here: most calls never claim
 * one (inline: it runs at every system call).
 */
static inline void progress_reset(struct wait *w)
{
	w->call_kind = PROGRESS_CALL_NONE;
	w->op_kind = PROGRESS_OP_NONE;
	w->committed_at = NULL;
}
/* The operation layer is free again (a pipe write ended: writev's next one starts afresh). */
void progress_release_op(struct wait *w);

#define PROGRESS_CALL_ACCESSOR(type, member, kind)                   \
	static inline struct type *progress_##member(struct wait *w) \
	{                                                            \
		return &progress_claim_call(w, kind)->call.member;   \
	}
#define PROGRESS_OP_ACCESSOR(type, member, kind)                     \
	static inline struct type *progress_##member(struct wait *w) \
	{                                                            \
		return &progress_claim_op(w, kind)->op.member;       \
	}
PROGRESS_CALL_ACCESSOR(rw_progress, rw, PROGRESS_RW)
PROGRESS_CALL_ACCESSOR(poll_progress, poll, PROGRESS_POLL)
PROGRESS_CALL_ACCESSOR(futex_progress, futex, PROGRESS_FUTEX)
PROGRESS_CALL_ACCESSOR(vfork_progress, vfork, PROGRESS_VFORK)
PROGRESS_CALL_ACCESSOR(epoll_progress, epoll, PROGRESS_EPOLL)
PROGRESS_CALL_ACCESSOR(mmsg_progress, mmsg, PROGRESS_MMSG)
PROGRESS_CALL_ACCESSOR(sleep_progress, sleep, PROGRESS_SLEEP)
PROGRESS_OP_ACCESSOR(fs_progress, fs, PROGRESS_FS)
PROGRESS_OP_ACCESSOR(pipe_write_progress, pipe_write, PROGRESS_PIPE_WRITE)
PROGRESS_OP_ACCESSOR(fifo_open_progress, fifo_open, PROGRESS_FIFO_OPEN)
PROGRESS_OP_ACCESSOR(tty_read_progress, tty_read, PROGRESS_TTY_READ)
PROGRESS_OP_ACCESSOR(sock_progress, sock, PROGRESS_SOCK)
PROGRESS_OP_ACCESSOR(tty_write_progress, tty_write, PROGRESS_TTY_WRITE)

/*
 * The point of no return (docs/processes.md). A call that has done what a
 * run from the start would do again (woke futex waiters, changed the name
 * space, moved bytes it keeps no count of) calls call_commit(); from then
 * on it may not return -EWAIT: the dispatcher panics in debug builds,
 * naming the call and this place. A call that then records what it did in
 * its progress record, so that a new run skips it (a long pipe write,
 * writev's segments, a vfork's child), says so with call_progress_kept()
 * and may wait again. Both do nothing outside a system call (kernel
 * threads, page faults from user mode).
 *
 * It is a debug check: the release build (CONFIG_DEBUG=0, the benchmarks)
 * neither records the point nor checks it, and its calls cost nothing.
 */
#define CALL_STR2(x)  #x
#define CALL_STR(x)   CALL_STR2(x)
#define call_commit() call_commit_where(__FILE__ ":" CALL_STR(__LINE__))
void call_commit_at(const char *where);
void call_progress_kept_at(void);
static inline void call_commit_where(const char *where)
{
	if (CONFIG_DEBUG)
		call_commit_at(where);
}
static inline void call_progress_kept(void)
{
	if (CONFIG_DEBUG)
		call_progress_kept_at();
}
/* Where the current call passed its point of no return, or NULL (always NULL in release). */
const char *call_committed(void);
/* The dispatcher, after each run of call: -EWAIT after its point of no return panics (debug). */
void call_check_ewait(long ret, const char *call);

/*
 * The one way to wait, for code both kinds of thread run. With src->lock
 * held, after the last look at the condition:
 *
 *	wait_event_locked(src, deadline_ns, flags);
 *	... drop every lock ...
 *	r = wait_event_sleep();
 *
 * A user thread's wait_event_sleep returns -EWAIT (its call returns it and
 * runs again when woken); a kernel thread sleeps on its stack until woken
 * (or its deadline), unregisters and returns 0: the caller looks again.
 * flags: WAIT_UNINTERRUPTIBLE or 0. wait_block_locked is the form for
 * system calls alone (user threads).
 */
/* Whether the current thread's waits end its call with -EWAIT (to run again). */
bool wait_restarts(void);
void wait_event_locked(struct wait_source *src, uint64_t deadline_ns, uint32_t flags);
long wait_event_sleep(void);

/* How many runs calls that waited needed: polls[2] is the ideal "register, complete". */
#define WAIT_POLL_BUCKETS 6
struct wait_stats {
	uint64_t completed;
	uint64_t polls[WAIT_POLL_BUCKETS]; /* by number of runs, the last is "or more" */
};
extern struct wait_stats wait_stats;
void wait_record_polls(struct wait *w);
/* Counts a completed call that waited; one that completed on its first run never waited. */
static inline void wait_record_completion(struct wait *w)
{
	if (w->polls >= 2)
		wait_record_polls(w);
}

#endif
