/*
 * Signals (kernel/signal.c): generation, queueing and delivery with the
 * frame layout musl and glibc expect, default actions (terminate, ignore,
 * stop, continue), process groups and sessions.
 *
 * Waits and signals: a signal that a parked thread does not block wakes
 * it; instead of running its system call again, the call ends as
 * "interrupted": it restarts transparently when no handler runs or the
 * handler has SA_RESTART (unless the call is never restarted, like poll
 * or pause), and returns -EINTR otherwise. A call that must itself stop on
 * a signal (a terminal read in the background: SIGTTIN) sends it and
 * returns -ERESTARTSYS.
 */
#ifndef KERNEL_SIGNAL_H
#define KERNEL_SIGNAL_H

#include <lib/types.h>
#include <lib/list.h>
#include <uapi/signal.h>

struct thread;
struct process;

/* Internal return codes of interrupted calls (never seen by user space). */
#define ERESTARTSYS    512 /* restart after the signal if SA_RESTART or no handler */
#define ERESTARTNOHAND 514 /* restart only if no handler ran, else -EINTR */

/* What a signal carries (the kernel's form of siginfo_t). */
struct ksiginfo {
	int signo, code, err;
	int pid; /* sender, or the child for SIGCHLD */
	uint32_t uid;
	int status;	/* SIGCHLD: exit code or signal */
	uintptr_t addr; /* faults */
	uint64_t value; /* sigqueue / timers */
	int timerid;	/* SI_TIMER: the POSIX timer's id */
	int overrun;	/* SI_TIMER: expirations while it was pending */
};

struct posix_timer;

/*
 * One queued instance. A POSIX timer preallocates its own (so that its
 * signal is never lost for want of memory): timer names it while the timer
 * exists, and taking it from the queue gives it back to the timer instead
 * of freeing it. Lock key: (p) the process's lock.
 */
struct sigpending;
struct sigqueue_entry {
	struct list_head node;	   /* (p) on a pending queue while queued */
	struct ksiginfo info;	   /* (p) */
	struct posix_timer *timer; /* (p) a preallocated entry's timer; NULL: freed when taken */
	bool queued;		   /* (p) preallocated: on a queue, or being sent */
	struct sigpending *queue;  /* (p) preallocated and on a queue: which; NULL: being sent */
};

static inline uint64_t sigbit(int sig)
{
	return 1ULL << (sig - 1);
}

/*
 * Whether the caller may send sig to p (Linux's kill rules): its own
 * process; its real or effective uid is p's real or saved one; CAP_KILL;
 * SIGCONT within its session. 0 or -EPERM. The _locked form: caller
 * holds proc_tree_lock.
 */
int signal_may_send(struct process *p, int sig);
bool signal_may_send_locked(struct process *p, int sig);
/* Sends sig to a whole process (any thread not blocking it takes it). 0 or -errno. */
int signal_send(struct process *p, const struct ksiginfo *info);
/*
 * A POSIX timer's signal in its preallocated entry, which the timer marked
 * queued (under p->lock): to thread tid of p, or to p when tid is 0. An
 * entry that is not queued after all (ignored, the thread or process gone)
 * is marked so again, or freed if its timer was deleted meanwhile.
 */
void signal_send_timer(struct process *p, int tid, struct sigqueue_entry *e);
/*
 * timer_delete: the timer's signal, queued or being sent, is dropped (as on
 * Linux 6.13 and later). Frees e unless it is being sent (signal_send_timer
 * frees it). Caller holds p->lock.
 */
void signal_cancel_timer_locked(struct process *p, struct sigqueue_entry *e);
/* timer_settime: the timer's queued signal is dropped (Linux 6.13 on). Caller holds p->lock. */
void signal_unqueue_timer_locked(struct process *p, struct sigqueue_entry *e);
/*
 * Sends sig to p's thread tid, looked up under p's lock; -ESRCH if there is
 * none. Signal 0 only checks that the thread is there.
 */
int signal_send_tid(struct process *p, int tid, const struct ksiginfo *info);
/* Sends sig to one thread (tgkill, faults, SIGPIPE). */
int signal_send_thread(struct thread *t, const struct ksiginfo *info);
/*
 * The kernel's signal to every process of a group (the terminal's job
 * control), or with pgid -1 to every process but init and self; -ESRCH if
 * there is none.
 */
int signal_send_pgrp(int pgid, const struct ksiginfo *info);
/*
 * The same from user space (kill, pidfd_send_signal): only to those the
 * caller may signal; -EPERM if none of a group (to -1: 0 even then, as
 * Linux).
 */
int signal_kill_pgrp(int pgid, const struct ksiginfo *info);
/* A fault's signal to t: blocked or ignored, it is reset to its default action. */
void signal_force(struct thread *t, const struct ksiginfo *info);
/* The usual kernel-generated signal to the current thread (SIGPIPE, SIGTTOU...). */
void signal_self(int sig);
/* Whether t has a signal it does not block pending (waits are interrupted by it). */
bool signal_pending(struct thread *t);
/* Whether a signal ends t's wait now: pending, and the wait is not WAIT_UNINTERRUPTIBLE. */
bool signal_ends_wait(struct thread *t);

/* On every return to user mode: stop, terminate, or run a handler. */
void signal_deliver(struct thread *t);
/* A parked call is ending because of a signal: sets its result (ERESTART*, -EINTR). */
void signal_interrupt_call(struct thread *t);

/* Linux's 128-byte siginfo_t for info (out: struct k_siginfo, 128 bytes). */
struct k_siginfo;
void fill_siginfo(struct k_siginfo *out, const struct ksiginfo *info);
#define SIGINFO_SIZE 128
/* rt_sigaction set sig to be ignored: its pending instances go. Caller holds p->lock. */
void signal_discard_ignored(struct process *p, int sig);
/* rt_sigtimedwait: takes a pending signal of set (blocked or not); 0 if none. */
int signal_take(struct thread *t, uint64_t set, struct ksiginfo *info);
/* Whether a signal of set is pending for t (its own or its process's): signalfd's poll. */
bool signal_pending_in(struct thread *t, uint64_t set);
/* rt_sigreturn: restores the registers, FPU state and mask a handler's frame saved. */
long signal_return(struct thread *t);
struct ktimer;
void itimer_fire(struct ktimer *k);
/* ITIMER_REAL (kernel/signal.c): set it (returns the time that was left), read it. */
uint64_t itimer_real_set(struct process *p, uint64_t value, uint64_t interval,
			 uint64_t *old_interval);
uint64_t itimer_real_get(struct process *p, uint64_t *interval);

/* Process groups and sessions (kernel/proc.c; tty job control). Caller holds proc_tree_lock. */
bool pgrp_exists_in_session(int pgid, int sid);
long proc_setpgid(int pid, int pgid);
long proc_setsid(void);
/* The pgid ('g') or sid ('s') of pid (0: the caller); -ESRCH. */
long proc_getid(int pid, char which);
/* The process owning thread tid; caller holds proc_tree_lock. */
struct process *proc_find_thread_owner(int tid);

#endif
