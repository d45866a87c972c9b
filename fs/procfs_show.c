/*
 * What the files of /proc say (include/fs/procfs.h): one generator per
 * file, called by fs/procfs.c when the file is opened, and the questions
 * procfs asks about processes (does a pid exist, which descriptors are
 * open, where does one lead). Formats are Linux's (proc(5)), so that its
 * tools (busybox ps, top, free) read them.
 *
 * A process is read under proc_tree_lock, which keeps it from being
 * reaped, and its own lock, into a struct proc_snap. Its address space
 * and descriptor table are not copied but referenced, and walked after
 * those locks are dropped; they exist only while the process has threads
 * (include/kernel/proc.h), so a zombie has neither.
 */
#include <svc/service.h>
#include <fs/pagecache.h>
#include <fs/bcache.h>
#include <svc/fault_inject.h>
#include <kernel/lockcheck.h>
#include <kernel/aslr.h>
#include <kernel/coredump.h>
#include <fs/procfs.h>
#include <drivers/tty.h>
#include <fs/fdtable.h>
#include <fs/tmpfs.h>
#include <kernel/clock.h>
#include <kernel/config.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/rlimit.h>
#include <kernel/profile.h>
#include <kernel/smp.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/percpu.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/kstack.h>
#include <mm/oom.h>
#include <mm/overcommit.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <mm/tlb.h>
#include <mm/vm.h>
#include <uapi/errno.h>
#include <uapi/inotify.h>
#include <uapi/resource.h>

#define USER_HZ	      100 /* the clock ticks of /proc and times(2) */
#define KB_PER_PAGE   (PAGE_SIZE / 1024)
#define MAPS_NAME_COL 72 /* a maps line's name starts after this column, as on Linux */

/* The same as uname(2) says (sys/misc.c). */
#define LINUX_RELEASE "6.1.0-axolotl"
#define LINUX_VERSION "#1 Axolotl 0.1"

/* What the files of /proc/PID need of a process, copied under its locks. */
struct proc_snap {
	int pid, ppid, pgid, sid;
	uint32_t tty_nr; /* device of the controlling terminal, 0 if none */
	int tpgid;	 /* its foreground group, -1 if none */
	char state;	 /* R (a thread is runnable), S, or Z */
	int exit_code;	 /* the wait status of a zombie */
	unsigned nr_threads;
	uint64_t utime, stime, cutime, cstime; /* timer ticks (HZ) */
	uint64_t start_ns;
	uint64_t sig_pending, sig_ignored, sig_caught, sig_blocked;
	/*
	 * The first thread's system call while it waits, as /proc/PID/syscall
	 * shows it: number, six arguments, stack and instruction pointers.
	 * call_state: 'R' running, 'W' waiting in call[0], 'U' waiting outside
	 * a call (a fault, a stop: only sp and pc), 'Z' none.
	 */
	char call_state;
	uint64_t call[9];
	const struct cred *cred; /* referenced */
	uint32_t umask;
	int nice, rt_priority, policy; /* the first thread's (sys/sched.c) */
	bool no_new_privs;	       /* the first thread's */
	uint64_t rss_limit;
	char comm[COMM_LEN];
	size_t cmdline_len;
	char cmdline[CMDLINE_LEN];
	struct vm_space *vm;  /* referenced; NULL once the threads are gone */
	struct fd_table *fds; /* likewise */
};

/* What the tree lock guards. Caller holds proc_tree_lock. */
static void snap_tree_locked(struct process *p, struct proc_snap *s)
{
	bool zombie = p->state == PROC_ZOMBIE;

	assert_held(&proc_tree_lock);
	s->pid = p->pid;
	s->ppid = p->parent ? p->parent->pid : 0;
	s->pgid = p->pgid;
	s->sid = p->sid;
	tty_proc_stat(p, &s->tty_nr, &s->tpgid);
	s->state = zombie ? 'Z' : 'S';
	s->exit_code = zombie ? p->exit_status : 0;
	s->utime = p->user_ticks;
	s->stime = p->system_ticks;
	s->cutime = p->child_user_ticks;
	s->cstime = p->child_system_ticks;
	s->start_ns = p->start_ns;
	s->sig_pending = READ_ONCE(p->sigpending.set);
}

static void snap_signals_locked(struct process *p, struct proc_snap *s)
{
	assert_held(&p->lock);
	for (int i = 0; i < 64; i++) {
		uint64_t handler = p->sigactions[i].handler;

		if (handler == 1)
			s->sig_ignored |= 1ULL << i;
		else if (handler)
			s->sig_caught |= 1ULL << i;
	}
}

/*
 * A parked thread's saved registers do not change until it runs again
 * (and a thread reading its own file is in the call that made it);
 * one that is woken meanwhile shows the call it just left, as a racing
 * read of Linux's file may.
 */
static void snap_call(struct thread *t, struct proc_snap *s)
{
	const struct trap_frame *f = &t->uregs;

	s->sig_blocked = READ_ONCE(t->sigmask);
	s->no_new_privs = READ_ONCE(t->no_new_privs);
	if (READ_ONCE(t->state) == THREAD_RUNNABLE && t != current_thread()) {
		s->call_state = 'R';
		return;
	}
	/* Parked in a call (run again when woken), or elsewhere: a fault, a stop. */
	s->call_state = READ_ONCE(t->restart_syscall) || t == current_thread() ? 'W' : 'U';
	s->call[0] = f->rax;
	s->call[1] = f->rdi, s->call[2] = f->rsi, s->call[3] = f->rdx;
	s->call[4] = f->r10, s->call[5] = f->r8, s->call[6] = f->r9;
	s->call[7] = f->rsp, s->call[8] = f->rip;
}

/* What the process's lock guards, and references on its vm and fds. Caller holds p->lock. */
static void snap_proc_locked(struct process *p, struct proc_snap *s)
{
	struct thread *t;

	assert_held(&p->lock);
	memcpy(s->comm, p->comm, COMM_LEN);
	s->comm[COMM_LEN - 1] = '\0';
	s->cmdline_len = MIN(p->cmdline_len, sizeof(s->cmdline));
	memcpy(s->cmdline, p->cmdline, s->cmdline_len);
	s->cred = cred_get(p->cred);
	s->umask = p->umask;
	s->rss_limit = p->rlimits[RLIMIT_RSS].cur;
	snap_signals_locked(p, s);
	s->nr_threads = p->nr_threads;
	s->call_state = 'Z';
	if (!list_empty(&p->threads)) {
		t = list_first_entry(&p->threads, struct thread, proc_node);
		snap_call(t, s);
		s->nice = READ_ONCE(t->nice);
		s->rt_priority = READ_ONCE(t->rt_priority);
		s->policy = READ_ONCE(t->policy);
	}
	list_for_each_entry (t, &p->threads, proc_node) {
		s->utime += t->user_ticks;
		s->stime += t->system_ticks;
		if (READ_ONCE(t->state) == THREAD_RUNNABLE)
			s->state = 'R';
	}
	if (!p->nr_threads)
		return; /* the last thread's exit is releasing them */
	if (p->vm) {
		vm_get(p->vm);
		s->vm = p->vm;
	}
	if (p->fds)
		s->fds = fdtable_get(p->fds);
}

/* 0 with *s filled, or -ENOENT; snap_release undoes it. */
static int snap_take(int pid, struct proc_snap *s)
{
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock), pflags;
	struct process *p = proc_find(pid);

	memset(s, 0, sizeof(*s));
	if (p) {
		snap_tree_locked(p, s);
		pflags = spin_lock_irqsave(&p->lock);
		snap_proc_locked(p, s);
		spin_unlock_irqrestore(&p->lock, pflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	return p ? 0 : -ENOENT;
}

static void snap_release(struct proc_snap *s)
{
	cred_put(s->cred);
	if (s->vm)
		vm_put(s->vm);
	if (s->fds)
		fdtable_put(s->fds);
}

struct vm_summary {
	uint64_t size;	    /* bytes in all areas */
	uint64_t resident;  /* pages mapped */
	uint64_t locked;    /* pages of locked areas (mlock) */
	uint64_t start_brk; /* where the heap starts */
};

static void vm_summarize(struct vm_space *vm, struct vm_summary *out)
{
	unsigned long flags;
	struct vm_area *a;

	memset(out, 0, sizeof(*out));
	if (!vm)
		return;
	flags = spin_lock_irqsave(&vm->lock);
	list_for_each_entry (a, &vm->areas, node)
		out->size += a->end - a->start;
	out->resident = vm->resident_pages;
	out->locked = vm->locked_pages;
	out->start_brk = vm->brk_start;
	spin_unlock_irqrestore(&vm->lock, flags);
}

static unsigned long to_user_hz(uint64_t ticks)
{
	return (unsigned long)(ticks * USER_HZ / HZ);
}

/* ---- questions from fs/procfs.c ---- */

bool proc_pid_exists(int pid)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	bool found = proc_find(pid) != NULL;

	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return found;
}

void proc_pid_owner(int pid, bool pid_dir, uint32_t *uid, uint32_t *gid)
{
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock), pflags;
	struct process *p = proc_find(pid);

	*uid = *gid = 0;
	if (p && (pid_dir || proc_dumpable(p))) {
		pflags = spin_lock_irqsave(&p->lock);
		*uid = p->cred->euid;
		*gid = p->cred->egid;
		spin_unlock_irqrestore(&p->lock, pflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
}

static void mark_pid(struct process *p, void *map)
{
	bitmap_set_bit(map, (size_t)p->pid);
}

void proc_pid_map(unsigned long *map)
{
	proc_for_each(mark_pid, map);
}

/*
 * Reads the table in place, under the locks, rather than taking
 * references: procfs asks with a directory's inode lock held, where
 * dropping the last reference of a file (closing it) must not happen.
 */
static void mark_open_fds(struct fd_table *t, unsigned long *map)
{
	fd_open_map(t, map, PROC_FD_MAX);
}

int proc_fd_map(int pid, unsigned long *map)
{
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock), pflags;
	struct process *p = proc_find(pid);

	if (p) {
		pflags = spin_lock_irqsave(&p->lock);
		if (p->nr_threads && p->fds)
			mark_open_fds(p->fds, map);
		spin_unlock_irqrestore(&p->lock, pflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	return p ? 0 : -ENOENT;
}

/* The file at pid's fd, referenced, or NULL. */
static struct file *proc_fd_file(int pid, int fd)
{
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock), pflags;
	struct process *p = proc_find(pid);
	struct fd_table *t = NULL;
	struct file *f;

	if (p) {
		pflags = spin_lock_irqsave(&p->lock);
		if (p->nr_threads && p->fds)
			t = fdtable_get(p->fds);
		spin_unlock_irqrestore(&p->lock, pflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	if (!t)
		return NULL;
	f = fd_get_file(t, fd);
	fdtable_put(t);
	return f;
}

/* What /proc shows as a file's name (fd links, maps): its path, or what is left of it. */
static int file_name(struct dentry *d, char *buf, size_t size)
{
	int n;

	if (!d->parent && !d->mount) /* an anonymous file (a memfd's starts with /) */
		return MIN(snprintf(buf, size, "%s", d->name), (int)size - 1);
	n = dentry_path(d, buf, size);
	if (n == -ENOENT) /* unlinked: its name is all that is left */
		n = MIN(snprintf(buf, size, "/%s (deleted)", d->name), (int)size - 1);
	return n;
}

int proc_fd_path(int pid, int fd, char *buf, size_t size)
{
	struct file *f = proc_fd_file(pid, fd);
	int n;

	if (!f)
		return -ENOENT;
	n = file_name(f->dentry, buf, size);
	file_put(f);
	return n;
}

int proc_exe_path(int pid, char *buf, size_t size)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	struct process *p = proc_find(pid);
	int n = -ENOENT;

	if (p && p->state != PROC_ZOMBIE && p->exe[0])
		n = (int)strlcpy(buf, p->exe, size);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return n < 0 ? n : MIN(n, (int)size - 1);
}

/* ---- /proc/PID ---- */

int proc_show_pid_stat(struct seqbuf *s, int pid)
{
	struct proc_snap p;
	struct vm_summary vm;
	int r = snap_take(pid, &p);

	if (r)
		return r;
	vm_summarize(p.vm, &vm);
	/* Fields 1-9: pid (comm) state ppid pgrp session tty_nr tpgid flags */
	seq_printf(s, "%d (%s) %c %d %d %d %u %d 0 ", p.pid, p.comm, p.state, p.ppid, p.pgid, p.sid,
		   p.tty_nr, p.tpgid);
	/* 10-17: minflt cminflt majflt cmajflt utime stime cutime cstime */
	seq_printf(s, "0 0 0 0 %lu %lu %lu %lu ", to_user_hz(p.utime), to_user_hz(p.stime),
		   to_user_hz(p.cutime), to_user_hz(p.cstime));
	/* 18-24: priority nice num_threads itrealvalue starttime vsize rss; the priority as
	 * Linux's task_prio: 20 + nice, or -1 - rt_priority for a real-time thread */
	seq_printf(s, "%d %d %u 0 %lu %lu %lu ", p.rt_priority ? -1 - p.rt_priority : 20 + p.nice,
		   p.nice, p.nr_threads, (unsigned long)(p.start_ns / (NSEC_PER_SEC / USER_HZ)),
		   vm.size, vm.resident);
	/* 25-30: rsslim startcode endcode startstack kstkesp kstkeip */
	seq_printf(s, "%lu 0 0 0 0 0 ", p.rss_limit);
	/* 31-44: signal blocked sigignore sigcatch wchan nswap cnswap exit_signal processor
	 * rt_priority policy delayacct_blkio_ticks guest_time cguest_time */
	seq_printf(s, "%lu 0 %lu %lu 0 0 0 17 0 %d %d 0 0 0 ", p.sig_pending, p.sig_ignored,
		   p.sig_caught, p.rt_priority, p.policy);
	/* 45-52: start_data end_data start_brk arg_start arg_end env_start env_end exit_code */
	seq_printf(s, "0 0 %lu 0 0 0 0 %d\n", vm.start_brk, p.exit_code);
	snap_release(&p);
	return 0;
}

static const char *state_name(char state)
{
	switch (state) {
	case 'R':
		return "R (running)";
	case 'Z':
		return "Z (zombie)";
	default:
		return "S (sleeping)";
	}
}

/* /proc/PID/status's Uid, Gid and Groups lines. */
static void show_ids(struct seqbuf *s, const struct cred *c)
{
	const struct group_info *g = c->groups;

	seq_printf(s, "Uid:\t%u\t%u\t%u\t%u\n", c->uid, c->euid, c->suid, c->fsuid);
	seq_printf(s, "Gid:\t%u\t%u\t%u\t%u\n", c->gid, c->egid, c->sgid, c->fsgid);
	seq_printf(s, "Groups:\t");
	for (unsigned i = 0; g && i < g->count; i++)
		seq_printf(s, "%u ", g->gid[i]);
	seq_printf(s, "\n");
}

/* The capability sets, as Linux prints them (libcap's getpcaps and setpriv read them). */
static void show_caps(struct seqbuf *s, const struct cred *c)
{
	seq_printf(s, "CapInh:\t%016llx\nCapPrm:\t%016llx\nCapEff:\t%016llx\n",
		   (unsigned long long)c->cap_inheritable, (unsigned long long)c->cap_permitted,
		   (unsigned long long)c->cap_effective);
	seq_printf(s, "CapBnd:\t%016llx\nCapAmb:\t%016llx\n", (unsigned long long)c->cap_bset,
		   (unsigned long long)c->cap_ambient);
}

int proc_show_pid_status(struct seqbuf *s, int pid)
{
	struct proc_snap p;
	struct vm_summary vm;
	int r = snap_take(pid, &p);

	if (r)
		return r;
	vm_summarize(p.vm, &vm);
	seq_printf(s, "Name:\t%s\nUmask:\t%04o\nState:\t%s\n", p.comm, p.umask,
		   state_name(p.state));
	seq_printf(s, "Tgid:\t%d\nNgid:\t0\nPid:\t%d\nPPid:\t%d\nTracerPid:\t0\n", p.pid, p.pid,
		   p.ppid);
	show_ids(s, p.cred);
	if (p.vm)
		seq_printf(s, "VmSize:\t%8lu kB\nVmLck:\t%8lu kB\nVmRSS:\t%8lu kB\n",
			   vm.size / 1024, vm.locked * KB_PER_PAGE, vm.resident * KB_PER_PAGE);
	seq_printf(s, "Threads:\t%u\n", p.nr_threads);
	seq_printf(s, "SigPnd:\t%016lx\nShdPnd:\t%016lx\n", 0UL, p.sig_pending);
	seq_printf(s, "SigBlk:\t%016lx\n", p.sig_blocked);
	seq_printf(s, "SigIgn:\t%016lx\nSigCgt:\t%016lx\n", p.sig_ignored, p.sig_caught);
	show_caps(s, p.cred);
	seq_printf(s, "NoNewPrivs:\t%d\n", p.no_new_privs);
	snap_release(&p);
	return 0;
}

/* What the first thread waits in: "NR ARGS... SP PC" (hex but NR), "running", as Linux. */
int proc_show_pid_syscall(struct seqbuf *s, int pid)
{
	struct proc_snap p;
	int r = snap_take(pid, &p);

	if (r)
		return r;
	if (p.call_state == 'R')
		seq_printf(s, "running\n");
	else if (p.call_state == 'Z')
		seq_printf(s, "-1 0x0 0x0\n");
	else if (p.call_state == 'U')
		seq_printf(s, "-1 0x%lx 0x%lx\n", p.call[7], p.call[8]);
	else
		seq_printf(s, "%ld 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx 0x%lx\n",
			   (long)p.call[0], p.call[1], p.call[2], p.call[3], p.call[4], p.call[5],
			   p.call[6], p.call[7], p.call[8]);
	snap_release(&p);
	return 0;
}

/* argv as exec received it, NUL after each string; empty for a zombie, as on Linux. */
int proc_show_pid_cmdline(struct seqbuf *s, int pid)
{
	struct proc_snap p;
	int r = snap_take(pid, &p);

	if (r)
		return r;
	if (p.nr_threads)
		seq_write(s, p.cmdline, p.cmdline_len);
	snap_release(&p);
	return 0;
}

int proc_show_pid_comm(struct seqbuf *s, int pid)
{
	struct proc_snap p;
	int r = snap_take(pid, &p);

	if (r)
		return r;
	seq_printf(s, "%s\n", p.comm);
	snap_release(&p);
	return 0;
}

/* /proc/PID/limits, in Linux's layout (fs/proc/base.c's proc_pid_limits). */
static const struct {
	const char *name, *unit;
} limit_names[RLIM_NLIMITS] = {
	[RLIMIT_CPU] = { "Max cpu time", "seconds" },
	[RLIMIT_FSIZE] = { "Max file size", "bytes" },
	[RLIMIT_DATA] = { "Max data size", "bytes" },
	[RLIMIT_STACK] = { "Max stack size", "bytes" },
	[RLIMIT_CORE] = { "Max core file size", "bytes" },
	[RLIMIT_RSS] = { "Max resident set", "bytes" },
	[RLIMIT_NPROC] = { "Max processes", "processes" },
	[RLIMIT_NOFILE] = { "Max open files", "files" },
	[RLIMIT_MEMLOCK] = { "Max locked memory", "bytes" },
	[RLIMIT_AS] = { "Max address space", "bytes" },
	[RLIMIT_LOCKS] = { "Max file locks", "locks" },
	[RLIMIT_SIGPENDING] = { "Max pending signals", "signals" },
	[RLIMIT_MSGQUEUE] = { "Max msgqueue size", "bytes" },
	[RLIMIT_NICE] = { "Max nice priority", NULL },
	[RLIMIT_RTPRIO] = { "Max realtime priority", NULL },
	[RLIMIT_RTTIME] = { "Max realtime timeout", "us" },
};

static void show_limit_value(struct seqbuf *s, uint64_t v)
{
	if (v == RLIM_INFINITY)
		seq_printf(s, "%-20s ", "unlimited");
	else
		seq_printf(s, "%-20lu ", (unsigned long)v);
}

int proc_show_pid_limits(struct seqbuf *s, int pid)
{
	struct rlimit64 lim[RLIM_NLIMITS];

	if (rlimit_get_all(pid, lim))
		return -ENOENT;
	seq_printf(s, "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit", "Hard Limit", "Units");
	for (unsigned i = 0; i < RLIM_NLIMITS; i++) {
		seq_printf(s, "%-25s ", limit_names[i].name);
		show_limit_value(s, lim[i].cur);
		show_limit_value(s, lim[i].max);
		if (limit_names[i].unit)
			seq_printf(s, "%-10s\n", limit_names[i].unit);
		else
			seq_printf(s, "\n");
	}
	return 0;
}

int proc_show_pid_oom_score(struct seqbuf *s, int pid)
{
	long score = oom_score_of(pid);

	if (score < 0)
		return -ENOENT;
	seq_printf(s, "%ld\n", score);
	return 0;
}

int proc_show_pid_oom_score_adj(struct seqbuf *s, int pid)
{
	int adj;

	if (proc_get_oom_score_adj(pid, &adj))
		return -ENOENT;
	seq_printf(s, "%d\n", adj);
	return 0;
}

/* A decimal integer, optionally signed, then only blanks; false if it is none or too long. */
static bool parse_long(const char *t, long *out)
{
	bool neg = *t == '-';
	long v = 0;
	int digits = 0;

	if (*t == '-' || *t == '+')
		t++;
	for (; *t >= '0' && *t <= '9'; t++, digits++) {
		if (digits >= 12)
			return false;
		v = v * 10 + (*t - '0');
	}
	while (*t == ' ' || *t == '\t')
		t++;
	*out = neg ? -v : v;
	return digits > 0 && *t == '\0';
}

int proc_write_pid_oom_score_adj(int pid, const char *line)
{
	long adj;

	if (!parse_long(line, &adj) || adj < OOM_SCORE_ADJ_MIN || adj > OOM_SCORE_ADJ_MAX)
		return -EINVAL;
	return proc_set_oom_score_adj(pid, (int)adj);
}

int proc_show_overcommit_memory(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%d\n", overcommit_mode());
	return 0;
}

int proc_show_overcommit_ratio(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%d\n", overcommit_ratio());
	return 0;
}

/* /proc/sys is for CAP_SYS_ADMIN to change. */
static int sysctl_write(const char *line, int (*set)(long))
{
	long v;

	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	return parse_long(line, &v) ? set(v) : -EINVAL;
}

int proc_write_overcommit_memory(const char *line)
{
	return sysctl_write(line, overcommit_set_mode);
}

int proc_write_overcommit_ratio(const char *line)
{
	return sysctl_write(line, overcommit_set_ratio);
}

int proc_show_nr_open(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%u\n", fd_nr_open());
	return 0;
}

static int set_nr_open(long v)
{
	return v < 0 ? -EINVAL : fd_set_nr_open((uint64_t)v);
}

int proc_write_nr_open(const char *line)
{
	return sysctl_write(line, set_nr_open);
}

int proc_show_max_map_count(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%u\n", vm_max_map_count());
	return 0;
}

int proc_write_max_map_count(const char *line)
{
	return sysctl_write(line, vm_set_max_map_count);
}

int proc_show_randomize_va_space(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%d\n", aslr_level());
	return 0;
}

int proc_write_randomize_va_space(const char *line)
{
	return sysctl_write(line, aslr_set_level);
}

int proc_show_core_pattern(struct seqbuf *s, int pid)
{
	char pattern[CORE_PATTERN_MAX];

	(void)pid;
	coredump_pattern(pattern);
	seq_printf(s, "%s\n", pattern);
	return 0;
}

int proc_write_core_pattern(const char *line)
{
	return capable(CAP_SYS_ADMIN) ? coredump_set_pattern(line) : -EPERM;
}

int proc_show_core_uses_pid(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%d\n", coredump_uses_pid());
	return 0;
}

int proc_write_core_uses_pid(const char *line)
{
	return sysctl_write(line, coredump_set_uses_pid);
}

int proc_show_suid_dumpable(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%d\n", coredump_suid_dumpable());
	return 0;
}

int proc_write_suid_dumpable(const char *line)
{
	return sysctl_write(line, coredump_set_suid_dumpable);
}

int proc_show_inotify_max_queued_events(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%d\n", INOTIFY_MAX_QUEUED_EVENTS);
	return 0;
}

int proc_show_inotify_max_user_instances(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%d\n", INOTIFY_MAX_USER_INSTANCES);
	return 0;
}

int proc_show_inotify_max_user_watches(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "%d\n", INOTIFY_MAX_USER_WATCHES);
	return 0;
}

int proc_show_drop_caches(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "0\n");
	return 0;
}

/*
 * 1, 2 or 3, as Linux: here every shrinker runs (clean cached pages, unused
 * dentries, the slabs), then the slabs once more: the objects the others
 * freed went to this CPU's magazines and may have emptied slabs. Afterwards
 * every magazine is empty and only slabs that hold objects in use are
 * left, whatever CPUs the frees came from and in what order: the quiescent
 * point the leaked-pages check (user/tests/leakcheck.c) counts free memory
 * at. /proc/meminfo itself does not drain (an IPI to every CPU per read).
 */
static int drop_caches(long what)
{
	if (what < 1 || what > 3)
		return -EINVAL;
	reclaim_now(SIZE_MAX);
	slab_reclaim();
	return 0;
}

int proc_write_drop_caches(const char *line)
{
	return sysctl_write(line, drop_caches);
}

static const char *area_name(const struct vm_area *a)
{
	if (a->flags & VM_HEAP)
		return "[heap]";
	if (a->flags & VM_GROWSDOWN)
		return "[stack]";
	return NULL;
}

/*
 * One line: "start-end perms offset dev inode", then the name in its
 * column; a file mapping shows its file (path: PATH_MAX bytes for its
 * name, or NULL).
 */
static void show_area(struct seqbuf *s, const struct vm_area *a, char *path)
{
	struct dentry *d = a->shared ? a->shared->dentry : NULL;
	uint64_t offset = (a->flags & VM_SHARED) || d ? a->pgoff << PAGE_SHIFT : 0;
	const char *name = area_name(a);
	uint32_t dev = d ? d->inode->sb->dev : 0;
	size_t start = s->len;

	if (d && path && file_name(d, path, PATH_MAX) > 0)
		name = path;
	seq_printf(s, "%08lx-%08lx %c%c%c%c %08lx %02x:%02x %lu ", a->start, a->end,
		   (a->prot & PROT_READ) ? 'r' : '-', (a->prot & PROT_WRITE) ? 'w' : '-',
		   (a->prot & PROT_EXEC) ? 'x' : '-', (a->flags & VM_SHARED) ? 's' : 'p', offset,
		   MAJOR(dev), MINOR(dev), d ? (unsigned long)d->inode->ino : 0UL);
	if (name) {
		int pad = MAPS_NAME_COL - (int)(s->len - start);

		seq_printf(s, "%*s %s", pad > 0 ? pad : 0, "", name);
	}
	seq_write(s, "\n", 1);
}

int proc_show_pid_maps(struct seqbuf *s, int pid)
{
	char *path = kmalloc(PATH_MAX); /* NULL: file mappings show no name */
	struct proc_snap p;
	unsigned long flags;
	struct vm_area *a;
	int r = snap_take(pid, &p);

	if (r) {
		kfree(path);
		return r;
	}
	if (p.vm) {
		flags = spin_lock_irqsave(&p.vm->lock);
		list_for_each_entry (a, &p.vm->areas, node)
			show_area(s, a, path);
		spin_unlock_irqrestore(&p.vm->lock, flags);
	}
	snap_release(&p);
	kfree(path);
	return 0;
}

/* ---- the system ---- */

static void meminfo_line(struct seqbuf *s, const char *name, uint64_t pages)
{
	int pad = 15 - (int)strlen(name);

	seq_printf(s, "%s:%*s%8lu kB\n", name, pad > 0 ? pad : 0, "", pages * KB_PER_PAGE);
}

int proc_show_meminfo(struct seqbuf *s, int pid)
{
	uint64_t free = free_page_count(), tmpfs = tmpfs_pages_in_use(), slab = slab_pages();

	(void)pid;
	meminfo_line(s, "MemTotal", total_page_count());
	meminfo_line(s, "MemFree", free);
	meminfo_line(s, "MemAvailable", free); /* nothing is reclaimable yet */
	meminfo_line(s, "Buffers", 0);
	meminfo_line(s, "Cached", tmpfs);
	meminfo_line(s, "SwapCached", 0);
	meminfo_line(s, "SwapTotal", 0);
	meminfo_line(s, "SwapFree", 0);
	meminfo_line(s, "Shmem", tmpfs); /* tmpfs pages are shared memory, as on Linux */
	meminfo_line(s, "KReclaimable", 0);
	meminfo_line(s, "Slab", slab);
	meminfo_line(s, "SReclaimable", 0);
	meminfo_line(s, "SUnreclaim", slab);
	meminfo_line(s, "KernelStack", kstack_pages());
	meminfo_line(s, "PageTables", 0); /* not counted yet */
	meminfo_line(s, "CommitLimit", vm_commit_limit());
	meminfo_line(s, "Committed_AS", vm_committed_pages());
	return 0;
}

/*
 * /proc/slabinfo, in Linux's format (version 2.1): one line per slab
 * cache. objsize is the slot an object takes; the tunables are the
 * magazines' (limit: the objects a CPU's magazine holds, batchcount: the
 * objects moved to or from the slabs at once; no shared arrays, so
 * sharedfactor and sharedavail are 0). active_objs counts the objects in
 * the CPUs' magazines too, as Linux counts its per-CPU arrays'. Large
 * kmalloc blocks are no cache's: whole pages from the page allocator, only
 * counted in meminfo's Slab (as in Linux, they are not here).
 */
int proc_show_slabinfo(struct seqbuf *s, int pid)
{
	size_t max = 32, n;
	struct slab_info *info;

	(void)pid;
	for (;;) {
		info = kmalloc(max * sizeof(*info));
		if (!info)
			return -ENOMEM;
		n = slab_info_read(info, max);
		if (n <= max)
			break;
		kfree(info);
		max = n + 8; /* and caches made meanwhile */
	}
	seq_printf(s, "slabinfo - version: 2.1\n"
		      "# name            <active_objs> <num_objs> <objsize> <objperslab> "
		      "<pagesperslab> : tunables <limit> <batchcount> <sharedfactor> : slabdata "
		      "<active_slabs> <num_slabs> <sharedavail>\n");
	for (size_t i = 0; i < n; i++)
		seq_printf(s,
			   "%-17s %6lu %6lu %6lu %4u %4u : tunables %4u %4u %4u : slabdata %6lu "
			   "%6lu %6u\n",
			   info[i].name, info[i].active_objects, info[i].objects, info[i].slot_size,
			   info[i].objects_per_slab, info[i].pages_per_slab, info[i].mag_size,
			   info[i].mag_batch, 0u, info[i].active_slabs, info[i].slabs, 0u);
	kfree(info);
	return 0;
}

/* Seconds with two decimals. */
static void show_seconds(struct seqbuf *s, uint64_t ns, const char *end)
{
	seq_printf(s, "%lu.%02lu%s", (unsigned long)(ns / NSEC_PER_SEC),
		   (unsigned long)(ns / (NSEC_PER_SEC / 100) % 100), end);
}

/* Timer ticks spent idle, summed over the online CPUs. */
static uint64_t idle_ticks_all(void)
{
	uint64_t idle = 0;

	for_each_online_cpu(id) idle += READ_ONCE(smp_cpu(id)->idle_ticks);
	return idle;
}

/* Time since boot, and time the CPUs spent idle (summed over CPUs, as Linux). */
int proc_show_uptime(struct seqbuf *s, int pid)
{
	(void)pid;
	show_seconds(s, clock_ns(), " ");
	show_seconds(s, idle_ticks_all() * (NSEC_PER_SEC / HZ), "\n");
	return 0;
}

/* The flags cpuinfo lists: what every x86-64 CPU has, then what was detected. */
static void show_cpu_flags(struct seqbuf *s)
{
	const struct {
		bool has;
		const char *name;
	} detected[] = {
		{ cpu_features.pge, "pge" },	       { cpu_features.nx, "nx" },
		{ cpu_features.fsgsbase, "fsgsbase" }, { cpu_features.smep, "smep" },
		{ cpu_features.smap, "smap" },
	};

	seq_printf(s, "flags\t\t: fpu tsc cx8 cmov mmx fxsr sse sse2 syscall lm");
	for (size_t i = 0; i < ARRAY_SIZE(detected); i++)
		if (detected[i].has)
			seq_printf(s, " %s", detected[i].name);
	seq_write(s, "\n", 1);
}

/*
 * One block per online CPU, as Linux (one package, one thread per core):
 * what lscpu, nproc-like scripts and glibc's older sysconf read.
 */
int proc_show_cpuinfo(struct seqbuf *s, int pid)
{
	const char *model = cpu_features.brand;
	uint64_t khz = clock_tsc_hz() / 1000;
	unsigned n = smp_cpus_online();

	(void)pid;
	while (*model == ' ')
		model++;
	for_each_online_cpu(id)
	{
		unsigned apic = smp_cpu(id)->apic_id;

		seq_printf(s, "processor\t: %u\nvendor_id\t: %s\nmodel name\t: %s\n", id,
			   cpu_features.vendor, *model ? model : "unknown");
		seq_printf(s, "cpu MHz\t\t: %lu.%03lu\n", (unsigned long)(khz / 1000),
			   (unsigned long)(khz % 1000));
		seq_printf(s,
			   "physical id\t: 0\nsiblings\t: %u\ncore id\t\t: %u\ncpu cores\t: %u\n",
			   n, id, n);
		seq_printf(s, "apicid\t\t: %u\ninitial apicid\t: %u\n", apic, apic);
		show_cpu_flags(s);
		seq_printf(s, "address sizes\t: 48 bits virtual\n\n");
	}
	return 0;
}

/* A field of /proc/mounts, with space, tab, newline and backslash as octal escapes. */
static void show_mount_field(struct seqbuf *s, const char *str)
{
	for (; *str; str++) {
		if (*str == ' ' || *str == '\t' || *str == '\n' || *str == '\\')
			seq_printf(s, "\\%03o", (unsigned char)*str);
		else
			seq_write(s, str, 1);
	}
}

/* One line per mount: "source target fstype options 0 0". */
int proc_show_mounts(struct seqbuf *s, int pid)
{
	char *path = kmalloc(PATH_MAX);
	struct mount_info m;

	(void)pid;
	if (!path)
		return -ENOMEM;
	for (size_t i = 0; !vfs_mount_info(i, &m); i++) {
		int n = 1;

		if (m.mountpoint) {
			n = dentry_path(m.mountpoint, path, PATH_MAX);
			dentry_put(m.mountpoint);
		} else {
			strlcpy(path, "/", PATH_MAX);
		}
		if (n < 0)
			continue; /* unmounted meanwhile */
		show_mount_field(s, m.source);
		seq_write(s, " ", 1);
		show_mount_field(s, path);
		seq_printf(s, " %s rw 0 0\n", m.fstype);
	}
	kfree(path);
	return 0;
}

int proc_show_version(struct seqbuf *s, int pid)
{
	(void)pid;
	seq_printf(s, "Linux version " LINUX_RELEASE " (Axolotl 0.1) (gcc " __VERSION__
		      ") " LINUX_VERSION "\n");
	return 0;
}

/* Totals over all processes, for stat, loadavg and axolotl/stats. */
struct sys_counts {
	unsigned processes;
	unsigned user_threads;
	unsigned runnable; /* user threads */
	int last_pid;	   /* of the newest process */
};

static void count_process(struct process *p, void *ctx)
{
	struct sys_counts *c = ctx;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct thread *t;

	c->processes++;
	c->user_threads += p->nr_threads;
	list_for_each_entry (t, &p->threads, proc_node)
		c->runnable += READ_ONCE(t->state) == THREAD_RUNNABLE;
	spin_unlock_irqrestore(&p->lock, flags);
	c->last_pid = p->pid;
}

static void count_system(struct sys_counts *c)
{
	memset(c, 0, sizeof(*c));
	proc_for_each(count_process, c);
}

/* One "cpu" line of /proc/stat: user, nice, system, idle, then the kinds not counted. */
static void show_cpu_times(struct seqbuf *s, const char *name, uint64_t user, uint64_t system,
			   uint64_t idle)
{
	seq_printf(s, "%s %lu 0 %lu %lu 0 0 0 0 0 0\n", name, to_user_hz(user), to_user_hz(system),
		   to_user_hz(idle));
}

/* CPU time by kind, all CPUs ("cpu") then each ("cpuN"), from their ticks; process counts. */
int proc_show_stat(struct seqbuf *s, int pid)
{
	uint64_t user[MAX_CPUS], system[MAX_CPUS], idle[MAX_CPUS],
		boot = realtime_ns() - clock_ns();
	uint64_t all[3] = { 0, 0, 0 };
	unsigned n = smp_cpus_online();
	struct sys_counts c;
	char name[16];

	(void)pid;
	count_system(&c);
	/* One reading of each counter, so that the cpu line is the sum of the cpuN lines. */
	for (unsigned id = 0; id < n; id++) {
		struct percpu *cpu = smp_cpu(id);

		all[0] += user[id] = READ_ONCE(cpu->user_ticks);
		all[1] += system[id] = READ_ONCE(cpu->system_ticks);
		all[2] += idle[id] = READ_ONCE(cpu->idle_ticks);
	}
	show_cpu_times(s, "cpu ", all[0], all[1], all[2]);
	for (unsigned id = 0; id < n; id++) {
		snprintf(name, sizeof(name), "cpu%u", id);
		show_cpu_times(s, name, user[id], system[id], idle[id]);
	}
	seq_printf(s, "btime %lu\nprocs_running %u\nprocs_blocked 0\n",
		   (unsigned long)(boot / NSEC_PER_SEC), c.runnable);
	return 0;
}

/* "0" or "0-N": CPU ids are dense from 0. */
static void show_cpu_range(struct seqbuf *s, unsigned n)
{
	if (n > 1)
		seq_printf(s, "0-%u\n", n - 1);
	else
		seq_printf(s, "0\n");
}

/* /sys/devices/system/cpu/online: what glibc's sysconf(_SC_NPROCESSORS_ONLN) reads. */
int sys_show_cpus_online(struct seqbuf *s, int pid)
{
	(void)pid;
	show_cpu_range(s, smp_cpus_online());
	return 0;
}

/* .../present and .../possible: the CPUs of the MADT (_SC_NPROCESSORS_CONF). */
int sys_show_cpus_present(struct seqbuf *s, int pid)
{
	(void)pid;
	show_cpu_range(s, MAX(MIN(madt.nr_cpus, MAX_CPUS), smp_cpus_online()));
	return 0;
}

/* Load averages are not computed yet: zeros, then runnable/all threads and the newest pid. */
int proc_show_loadavg(struct seqbuf *s, int pid)
{
	struct sys_counts c;

	(void)pid;
	count_system(&c);
	seq_printf(s, "0.00 0.00 0.00 %u/%u %d\n", c.runnable, c.user_threads + thread_count(),
		   c.last_pid);
	return 0;
}

/* The kernel's own numbers, "name value" per line. */
/* The page cache's and the block cache's counters. */
static void show_cache_stats(struct seqbuf *s)
{
	struct pagecache_stats pc;
	struct bcache_stats bc;

	pagecache_get_stats(&pc);
	bcache_get_stats(&bc);
	seq_printf(s, "pagecache_pages %lu\npagecache_dirty %lu\npagecache_hits %lu\n",
		   (unsigned long)pc.pages, (unsigned long)pc.dirty, (unsigned long)pc.hits);
	seq_printf(s, "pagecache_misses %lu\npagecache_written %lu\npagecache_evicted %lu\n",
		   (unsigned long)pc.misses, (unsigned long)pc.written, (unsigned long)pc.evicted);
	seq_printf(s, "bcache_buffers %lu\nbcache_hits %lu\nbcache_misses %lu\nbcache_writes %lu\n",
		   (unsigned long)bc.buffers, (unsigned long)bc.hits, (unsigned long)bc.misses,
		   (unsigned long)bc.writes);
	seq_printf(s, "bcache_passes %lu\n", (unsigned long)bc.passes);
}

int proc_show_axolotl_stats(struct seqbuf *s, int pid)
{
	struct sys_counts c;
	uint64_t longest, diverged;

	(void)pid;
	count_system(&c);
	seq_printf(s, "threads %u\nuser_threads %u\nprocesses %u\n", thread_count(), c.user_threads,
		   c.processes);
	seq_printf(s, "wait_completed %lu\n",
		   __atomic_load_n(&wait_stats.completed, __ATOMIC_RELAXED));
	for (int i = 1; i < WAIT_POLL_BUCKETS; i++)
		seq_printf(s, "wait_polls_%d%s %lu\n", i, i == WAIT_POLL_BUCKETS - 1 ? "plus" : "",
			   __atomic_load_n(&wait_stats.polls[i], __ATOMIC_RELAXED));
	svc_call_stats(&longest, &diverged);
	seq_printf(s, "svc_call_longest %lu\nsvc_call_diverged %lu\n", (unsigned long)longest,
		   (unsigned long)diverged);
	seq_printf(s, "slab_pages %lu\nkmalloc_large_pages %lu\n", slab_pages(),
		   kmalloc_large_pages());
	seq_printf(s, "kstack_pages %lu\nfree_pages %lu\ntotal_pages %lu\n", kstack_pages(),
		   free_page_count(), total_page_count());
	seq_printf(s, "tmpfs_pages %lu\n", tmpfs_pages_in_use());
	show_cache_stats(s);
	seq_printf(s, "vfs_inodes %ld\nvfs_dentries %ld\nvfs_files %ld\n",
		   __atomic_load_n(&vfs_live.inodes, __ATOMIC_RELAXED),
		   __atomic_load_n(&vfs_live.dentries, __ATOMIC_RELAXED),
		   __atomic_load_n(&vfs_live.files, __ATOMIC_RELAXED));
	seq_printf(s, "oom_kills %lu\noom_stalls %lu\noom_reclaimed %lu\n",
		   (unsigned long)__atomic_load_n(&oom_stats.kills, __ATOMIC_RELAXED),
		   (unsigned long)__atomic_load_n(&oom_stats.stalls, __ATOMIC_RELAXED),
		   (unsigned long)__atomic_load_n(&oom_stats.reclaimed, __ATOMIC_RELAXED));
	seq_printf(s, "tlb_flushes %lu\ntlb_rounds %lu\ntlb_early_flushes %lu\n",
		   (unsigned long)__atomic_load_n(&tlb_stats.flushes, __ATOMIC_RELAXED),
		   (unsigned long)__atomic_load_n(&tlb_stats.rounds, __ATOMIC_RELAXED),
		   (unsigned long)__atomic_load_n(&tlb_stats.early_flushes, __ATOMIC_RELAXED));
	return 0;
}

/* Text from a function that fills a buffer (the service framework's listings). */
static int show_text(struct seqbuf *s, size_t (*fill)(char *buf, size_t size))
{
	char *buf = kmalloc(PAGE_SIZE);
	size_t n;

	if (!buf)
		return -ENOMEM;
	n = fill(buf, PAGE_SIZE);
	seq_write(s, buf, n);
	kfree(buf);
	return 0;
}

int proc_show_services(struct seqbuf *s, int pid)
{
	(void)pid;
	return show_text(s, svc_show_all);
}

int proc_show_fault_inject(struct seqbuf *s, int pid)
{
	(void)pid;
	return show_text(s, svc_fault_show);
}

int proc_show_lockcheck(struct seqbuf *s, int pid)
{
	struct lockcheck_stats st;

	(void)pid;
	lockcheck_get_stats(&st);
	seq_printf(s, "enabled %d\nclasses %u\nedges %u\nreports %u\nexpected %u\nfull %d\n",
		   CONFIG_LOCKCHECK, st.classes, st.edges, st.reports, st.expected, st.full);
	return 0;
}

#define PROFILE_TOP 40

static void show_share(struct seqbuf *s, const char *what, uint64_t n, uint64_t total)
{
	uint64_t tenths = total ? n * 1000 / total : 0;

	seq_printf(s, "%-8s %8lu %3lu.%lu%%\n", what, (unsigned long)n,
		   (unsigned long)(tenths / 10), (unsigned long)(tenths % 10));
}

/* The sampling profiler's counts (kernel/profile.c): totals, then the busiest functions. */
int proc_show_axolotl_profile(struct seqbuf *s, int pid)
{
	struct profile_entry *top = kmalloc(PROFILE_TOP * sizeof(*top));
	struct profile_totals t;
	long n;

	(void)pid;
	if (!top)
		return -ENOMEM;
	n = profile_top(&t, top, PROFILE_TOP);
	if (n < 0) {
		seq_printf(s, "profiler off: boot with \"profile\" on the kernel command line\n");
		kfree(top);
		return 0;
	}
	seq_printf(s, "samples  %8lu (%d Hz per CPU)\n", (unsigned long)t.samples, HZ);
	show_share(s, "user", t.user, t.samples);
	show_share(s, "idle", t.idle, t.samples);
	show_share(s, "kernel", t.kernel, t.samples);
	show_share(s, "unknown", t.unknown, t.samples);
	seq_printf(s, "kernel functions by samples (%% of kernel samples), with their callers:\n");
	for (long i = 0; i < n; i++) {
		uint64_t tenths = t.kernel ? top[i].hits * 1000 / t.kernel : 0;

		seq_printf(s, "%8lu %3lu.%lu%% %-28s <-", (unsigned long)top[i].hits,
			   (unsigned long)(tenths / 10), (unsigned long)(tenths % 10), top[i].name);
		for (int c = 0; c < PROFILE_CALLERS && top[i].callers[c]; c++)
			seq_printf(s, " %s %lu", top[i].callers[c],
				   (unsigned long)top[i].caller_hits[c]);
		seq_printf(s, "\n");
	}
	if (t.pairs_dropped)
		seq_printf(s, "caller pairs dropped (table full): %lu\n",
			   (unsigned long)t.pairs_dropped);
	kfree(top);
	return 0;
}
