/*
 * ptrace (kernel/ptrace.c): one process (the tracer) controls threads of
 * others (the tracees). A tracee's ptrace-stops are waits like any other:
 * the thread parks on its ptrace state's wait source with no kernel stack,
 * and its way back to user mode (user_exit_path) goes on from where the
 * stop was (ptrace_exit_work): a system call whose entry stop is over runs,
 * a finished call makes its exit stop, an event stop is made. The tracer's
 * wait4/waitid see the stops and the tracees' exits (kernel/proc.c).
 *
 * Lock key: (t) proc_tree_lock, (o) the tracee thread itself (the tracer
 * writes these only while the tracee is stopped and holds a use on it).
 */
#ifndef KERNEL_PTRACE_H
#define KERNEL_PTRACE_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/wait.h>
#include <kernel/signal.h>

struct thread;
struct process;
struct wait_result;

/* Where a tracee goes on after its stop. */
enum ptrace_phase {
	PT_NONE,
	PT_SYS_ENTER, /* stopped at a system call's entry: run it when resumed */
	PT_SYS_CALL,  /* the call runs (or is parked): make the exit stop when it ends */
	PT_SYS_EXIT,  /* stopped at the call's exit */
	PT_SIGNAL,    /* signal-delivery-stop: deliver the tracer's choice when resumed */
	PT_EXIT,      /* PTRACE_EVENT_EXIT: exit when resumed */
};

struct ptrace_state {
	struct thread *thread;	   /* (c) */
	struct process *tracer;	   /* (t) NULL: not traced (any more) */
	struct list_head node;	   /* (t) in tracer->tracees while traced */
	unsigned options;	   /* (t) PTRACE_O_* */
	bool seized;		   /* (t) attached by PTRACE_SEIZE */
	bool stopped;		   /* (t) in a ptrace-stop */
	bool report;		   /* (t) the stop is not yet reported to wait */
	bool interrupt;		   /* (t) PTRACE_INTERRUPT (or a seized child) asks for a stop */
	bool listening;		   /* (t) PTRACE_LISTEN: stopped, but SIGCONT ends it */
	int users;		   /* (t) tracer requests using the thread now: its exit waits */
	int status;		   /* (t) the stop's wait status */
	int resume;		   /* (t) the request that resumed it: CONT, SYSCALL, SINGLESTEP */
	int resume_sig;		   /* (t) the signal that request gave */
	unsigned resume_gen;	   /* (t) counts resuming requests */
	unsigned applied_gen;	   /* (o) the last one whose TF setting the thread applied */
	enum ptrace_phase phase;   /* (o) */
	unsigned events;	   /* (o) event stops to make on the way out: bit PTRACE_EVENT_* */
	bool stepping;		   /* (o) TF is set for PTRACE_SINGLESTEP */
	bool group_exit;	   /* (o) PT_EXIT: exit_group, not exit */
	int exit_status;	   /* (o) PT_EXIT: the wait status to exit with */
	uint64_t orig_rax;	   /* (o) the system call number at the entry stop */
	uint64_t event_msg;	   /* (o) PTRACE_GETEVENTMSG */
	struct ksiginfo siginfo;   /* (o) the stop's (PTRACE_GETSIGINFO) */
	uint64_t dr[8];		   /* (o) DR0-DR3, DR6 at [6], DR7 at [7] */
	unsigned group_gen;	   /* (o) the process's stop_gen of the group stop it reported */
	struct wait_source source; /* the tracee parks here while stopped */
};

/* Whether t is traced now (the fast check of every path: one load when never traced). */
static inline bool ptrace_traced(const struct thread *t);

/* The way back to user mode of a thread that was ever traced (kernel/uthread.c). */
void ptrace_exit_work(struct thread *t);
/* syscall_entry_c: true when t stops at the entry (the call then runs from ptrace_exit_work). */
bool ptrace_syscall_entry(struct thread *t);
/*
 * Signal delivery (kernel/signal.c): a dequeued signal becomes a
 * signal-delivery-stop (returns true: the caller loops); the tracer's
 * choice comes back from ptrace_resumed_signal (-1: none waiting, 0: the
 * tracer suppressed it, else the signal with *info).
 */
bool ptrace_signal_stop(struct thread *t, const struct ksiginfo *info);
int ptrace_resumed_signal(struct thread *t, struct ksiginfo *info);
/*
 * A traced thread in a group stop: reports it (once per stop) and waits for
 * its tracer; false if not traced. SIGCONT ends a PTRACE_LISTEN with a new
 * PTRACE_EVENT_STOP (ptrace_group_continued).
 */
bool ptrace_group_stop(struct thread *t);
void ptrace_group_continued(struct process *p);
/* Whether a request (PTRACE_INTERRUPT) ends t's interruptible wait. */
bool ptrace_interrupt_pending(struct thread *t);
/* Events: a clone by t made nt; an exec by t (old_tid: its id before); exit_group/exit. */
void ptrace_clone_event(struct thread *t, struct thread *nt, uint64_t clone_flags, int exit_signal);
void ptrace_exec_event(struct thread *t, int old_tid);
/* A vfork parent's wait ended with child (its result, passed through): PTRACE_EVENT_VFORK_DONE. */
long ptrace_vfork_done(struct thread *t, long child);
bool ptrace_exit_event(struct thread *t, int status, bool group);
/* A #DB in user mode: the si_code of its SIGTRAP (TRAP_TRACE or TRAP_HWBKPT); DR6 kept. */
int ptrace_debug_trap(struct thread *t, uint64_t dr6);
/* Loads (or clears) the debug registers for t as it enters user mode (kernel/uthread.c). */
void ptrace_load_debugregs(struct thread *t);
/* Thread and process ends: a tracee's exit is reported; a tracer's exit detaches (or kills). */
void ptrace_tracee_exit(struct thread *t, int status, bool last);
void ptrace_tracer_exit(struct process *p);
void ptrace_release(struct thread *t);
/*
 * The tracer's wait (proc_wait, with child_event.lock and proc_tree_lock
 * held): a tracee's stop or exit matching pid; tid > 0, 0 when none is
 * ready; *any is set when some tracee matches.
 */
long ptrace_wait_locked(struct process *p, int pid, int options, struct wait_result *r, bool *any);

/* t's user registers as Linux's struct user_regs_struct (ptrace, core files). */
struct user_regs;
void thread_user_regs(const struct thread *t, uint64_t orig_rax, struct user_regs *u);

/*
 * Linux's ptrace_may_access: the caller's real (or, fscreds, file-system)
 * uid and gid are each of the target's real, effective and saved ones, or
 * the caller has CAP_SYS_PTRACE; 0 or -EPERM. Caller holds a hold on target.
 */
int ptrace_may_access(struct process *target, bool fscreds);
/*
 * Whether t's tracer lacks CAP_SYS_PTRACE (Linux's LSM_UNSAFE_PTRACE): an
 * exec of t then raises no ids or capabilities (kernel/exec.c).
 */
bool ptrace_unsafe_exec(struct thread *t);
/* /proc/PID/mem (fs/procfs.c): the process, held, if the caller may access it (-EACCES, -ENOENT). */
struct process *ptrace_mem_open(int pid);
struct iobuf;
/* Reads or writes at address pos of target's memory; bytes moved, -EIO at an unmapped address. */
long ptrace_mem_rw(struct process *target, int64_t pos, const struct iobuf *ib, bool write);
/* Reads or writes another process's memory as ptrace does (FOLL_FORCE for writes). */
long ptrace_access_vm(struct process *target, uintptr_t addr, void *buf, size_t n, bool write);

#include <kernel/thread.h>

static inline bool ptrace_traced(const struct thread *t)
{
	return t->ptrace && READ_ONCE(t->ptrace->tracer);
}

#endif
