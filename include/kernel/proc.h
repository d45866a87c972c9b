/*
 * Processes (kernel/proc.c): what the threads of one program share: the
 * address space, the file descriptors, the working directory, credentials
 * and limits; and the parent/child tree with exit statuses for wait4.
 *
 * Lock key: (t) proc_tree_lock (the tree, states and statuses), (p) the
 * process's own lock, (c) constant after creation, (o) only its threads.
 */
#ifndef KERNEL_PROC_H
#define KERNEL_PROC_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>
#include <kernel/wait.h>
#include <kernel/timer.h>

struct thread;
struct vm_space;
struct fd_table;
struct dentry;
struct cred;

#define PID_MAX	     32768
#define COMM_LEN     16
#define EXE_PATH_LEN 256
#define RLIMIT_MAX   16

#define CMDLINE_LEN 256 /* bytes of argv kept for /proc/PID/cmdline */

enum proc_state {
	PROC_ALIVE,
	PROC_EXITING, /* exit_group called: threads are leaving */
	PROC_ZOMBIE,  /* all threads gone, status kept for the parent */
};

struct rlimit64 {
	uint64_t cur, max;
};

/* Signals waiting for delivery: a set, and the information of each instance. */
struct sigpending {
	uint64_t set;		/* signals with at least one instance queued */
	struct list_head queue; /* struct sigqueue_entry, oldest first */
};

/* Linux's struct sigaction as the rt_sigaction system call passes it. */
struct k_sigaction {
	uint64_t handler;
	uint64_t flags;
	uint64_t restorer;
	uint64_t mask;
};

/* A CPU-time itimer, in ns of its clock (user or user + system time). */
struct cpu_itimer {
	uint64_t next;	   /* the clock's value at which it expires; 0: disarmed */
	uint64_t interval; /* 0: one-shot */
};

struct core_dump;

struct process {
	spinlock_t lock;
	int pid;			     /* (c) the first thread's tid */
	struct process *parent;		     /* (t) */
	struct list_head children;	     /* (t) */
	struct list_head sibling;	     /* (t) in parent->children */
	struct list_head all_node;	     /* (t) every process */
	enum proc_state state;		     /* (t) */
	int exit_status;		     /* (t) wait status: code << 8, or signal */
	struct wait_source child_event;	     /* a child changed state */
	bool vfork_pending;		     /* (t) our vfork parent waits for exec or exit */
	struct list_head threads;	     /* (p) struct thread.proc_node */
	unsigned nr_threads;		     /* (p) */
	struct vm_space *vm;		     /* (p) */
	struct fd_table *fds;		     /* (p) */
	struct dentry *cwd;		     /* (p) */
	struct dentry *root;		     /* (p) chroot; NULL: the real root */
	char comm[COMM_LEN];		     /* (p) */
	char exe[EXE_PATH_LEN];		     /* (t) the program's path (/proc/PID/exe) */
	char cmdline[CMDLINE_LEN];	     /* (p) argv, NUL-separated, truncated (/proc) */
	size_t cmdline_len;		     /* (p) bytes used in cmdline */
	const struct cred *cred;	     /* (p) its leader's (include/kernel/cred.h) */
	uint32_t umask;			     /* (p) */
	struct rlimit64 rlimits[RLIMIT_MAX]; /* (p) */
	struct k_sigaction sigactions[64];   /* (p) dispositions */
	struct sigpending sigpending;	     /* (p) signals sent to the process */
	int pgid, sid;			     /* (t) process group and session */
	void *ctty;			     /* (t) controlling terminal (the tty layer's) */
	int exit_signal;		     /* (c) sent to the parent at exit (SIGCHLD) */
	bool stopped;			     /* (t) by a stop signal, until SIGCONT */
	int stop_sig;			     /* (t) which one */
	bool report_stop, report_cont;	     /* (t) for wait4 WUNTRACED / WCONTINUED */
	struct wait_source stop_source;	     /* its threads wait here while stopped */
	struct ktimer itimer;		     /* ITIMER_REAL (alarm, setitimer) */
	uint64_t itimer_interval;	     /* (p) ns, 0: one-shot */
	struct cpu_itimer cpu_itimers[2];    /* (p) ITIMER_VIRTUAL, ITIMER_PROF */
	struct list_head timers;	     /* (p) struct posix_timer.node */
	unsigned nr_timers;		     /* (p) */
	int next_timer_id;		     /* (p) where the next id search starts */
	bool cpu_timers_armed;		     /* (p) a CPU-time timer or itimer is armed */
	uint64_t cpu_ticks, cpu_user_ticks;  /* (atomic) all its threads', gone ones too */
	int refcount;			     /* (atomic) the tree's + proc_hold's */
	uint64_t user_ticks, system_ticks;   /* (t) of exited threads */
	uint64_t child_user_ticks, child_system_ticks; /* (t) of reaped children */
	uint64_t start_ns;			       /* (c) */
	int oom_score_adj;	/* (p) -1000..1000 (/proc/PID/oom_score_adj), inherited */
	uint32_t personality;	/* (a) personality(2): inherited by fork, kept by exec */
	int dump_mode;		/* (a) proc_dump_mode (include/kernel/cred.h), inherited */
	bool group_killed;	/* (t) SIGKILLed with its group: a child forked now is killed too */
	struct thread *exec_by; /* (p) the thread whose exec is replacing the image, or NULL */
	struct list_head tracees;      /* (t) struct ptrace_state.node: threads it traces */
	struct list_head ptrace_exits; /* (t) tracees' exits not yet collected by wait */
	unsigned stop_gen;	       /* (t) counts group stops (a tracee reports each once) */
	struct core_dump *core; /* (t) the dump its fatal signal asked for (kernel/coredump.c) */
};

extern spinlock_t proc_tree_lock;

struct process *current_proc(void);

/* Boot-time set-up of the process and thread caches. */
void proc_init(void);

/* The first user process (pid 1) running path with the console as stdio. */
int proc_start_init(const char *path);

/*
 * For listings (/proc): fn is called for every process, zombies included,
 * in creation order, with proc_tree_lock held, so p cannot be reaped
 * meanwhile. fn must not block or take proc_tree_lock; it may take p->lock
 * (proc_tree_lock, then a process's lock: include/kernel/spinlock.h).
 */
void proc_for_each(void (*fn)(struct process *p, void *ctx), void *ctx);
/* The thread of p with this tid, or NULL. Caller holds p->lock. */
struct thread *proc_thread_locked(struct process *p, int tid);
/* The same without the lock, only for the NMI state dump (kernel/state_dump.c). */
void proc_for_each_in_nmi(void (*fn)(struct process *p, void *ctx), void *ctx);
/*
 * The process with this pid (a zombie too), or NULL. The caller holds
 * proc_tree_lock: the process stays valid (not reaped, not freed) only
 * until the caller releases it, so it copies what it needs first, taking
 * p->lock for (p) fields. p->vm and p->fds stay alive while the caller
 * holds p->lock and sees nr_threads > 0 (the last thread's exit releases
 * them only after decrementing nr_threads under p->lock).
 */
struct process *proc_find(int pid);

/* Creation: a process for fork/clone (not yet runnable), and user threads. */
struct process *proc_alloc(struct process *parent);
void proc_publish(struct process *p, struct process *parent);
void proc_discard(struct process *p);
void pid_free(int pid);
struct thread *uthread_alloc(struct process *p, int tid);
void uthread_free(struct thread *t);
void proc_add_thread(struct process *p, struct thread *t);
int pid_alloc(void);

/* Ending: a thread (status counts if it is the last one), or the whole process. */
__attribute__((noreturn)) void uthread_exit(struct thread *t, int status);
__attribute__((noreturn)) void proc_exit_group(int wait_status);
/* Makes every thread of p but self leave (exec, exit_group). */
void proc_kill_other_threads(struct process *p, struct thread *self);
/*
 * exec's claim on p before its point of no return: kills the other threads
 * and returns 0, or -EAGAIN when another thread's exec has already claimed
 * it (that one killed the caller: as Linux's de_thread, one exec wins) or
 * p is already exiting (a fatal signal or exit_group came first).
 * proc_exec_done ends the claim once the other threads are off their CPUs.
 */
int proc_claim_exec(struct process *p, struct thread *self);
void proc_exec_done(struct process *p);
/* Kills p (another process or ours) with a signal's default action: terminate. */
void proc_kill(struct process *p, int sig);
/*
 * The same for a signal that dumps core: cd (or NULL) goes with the exit
 * when this kill is the one that ends p, and is discarded otherwise.
 */
void proc_kill_dumping(struct process *p, int sig, struct core_dump *cd);
/*
 * The dump's kernel thread is done with p's core (dumped: the file was
 * made): the exit finishes (include/kernel/coredump.h), with the core bit
 * in the status when dumped.
 */
void proc_finish_dumped(struct process *p, bool dumped);

/*
 * Threads that count against p's real user's RLIMIT_NPROC (every thread of
 * every process of that uid, zombies included until reaped). Takes
 * proc_tree_lock.
 */
unsigned proc_count_user_threads(uint32_t uid);
/* /proc/PID/oom_score_adj: 0 or -ESRCH; setting below the current value needs root (-EACCES). */
int proc_get_oom_score_adj(int pid, int *adj);
int proc_set_oom_score_adj(int pid, int adj);
/* RLIMIT_NPROC's default, as Linux's: half of threads-max (a thread per 8 pages). */
uint64_t proc_default_nproc(void);

/* References that keep a struct process (not the process) alive. */
void proc_hold(struct process *p);
void proc_unhold(struct process *p);
void proc_for_each_locked(void (*fn)(struct process *p, void *ctx), void *ctx);
/* Signal queues (kernel/signal.c). */
void sigpending_init(struct sigpending *q);
void sigpending_release(struct sigpending *q);

/*
 * wait4/waitid core: with WEXITED reaps (or with WNOWAIT only reports) a
 * zombie child matching pid, with WUNTRACED/WCONTINUED reports a stop or a
 * continue; 0 with WNOHANG when none is ready, -ECHILD when none matches.
 */
struct wait_result {
	int status;			   /* wait status */
	uint64_t user_ticks, system_ticks; /* the child's, with its reaped children's */
};
long proc_wait(int pid, int options, struct wait_result *r);

/*
 * A wait status as waitid's siginfo and SIGCHLD's carry it: CLD_EXITED
 * with the exit code, CLD_KILLED or CLD_DUMPED with the signal,
 * CLD_STOPPED with the stop signal, CLD_CONTINUED with SIGCONT.
 */
void wait_status_siginfo(int status, int *code, int *si_status);

/* Linux wait status encodings. */
#define W_EXITCODE(code) (((code)&0xff) << 8)
#define W_SIGNALED(sig)	 ((sig)&0x7f)
#define W_COREDUMP_FLAG	 0x80 /* with W_SIGNALED: a core file was written */

#endif
