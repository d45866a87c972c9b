/*
 * ptrace: a tracer's view of its tracees, as strace and gdb use it.
 * TRACEME and exec's SIGTRAP, ATTACH and SEIZE (also of each thread of a
 * multi-threaded process), the errors Linux gives (EPERM, ESRCH, EIO),
 * memory (PEEKDATA/POKEDATA, a breakpoint written into read-only text by
 * POKETEXT without touching the parent's shared copy), registers
 * (GETREGS/SETREGS, PEEKUSER/POKEUSER, regsets, FP registers),
 * syscall-stops with TRACESYSGOOD and PTRACE_GET_SYSCALL_INFO (getpid's
 * number and result, a write's fd changed, a call skipped), the events of
 * fork, clone, exec and exit with GETEVENTMSG, int3 and single-step,
 * a hardware watchpoint, signal suppression and injection, PTRACE_KILL,
 * DETACH with a signal, PTRACE_O_EXITKILL, INTERRUPT, group-stop and
 * LISTEN.
 *
 * Each tracee is a forked child; a case's tracer is the test process
 * itself (or a forked one). Checked on Linux first (user/run-on-linux).
 */
#define _GNU_SOURCE
#include "ut.h"

#include <elf.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/ptrace.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/user.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#ifndef PTRACE_EVENT_STOP
#define PTRACE_EVENT_STOP 128
#endif

/* Linux's struct ptrace_syscall_info (the part used here). */
struct syscall_info {
	uint8_t op, pad[3];
	uint32_t arch;
	uint64_t ip, sp;
	union {
		struct {
			uint64_t nr, args[6];
		} entry;
		struct {
			int64_t rval;
			uint8_t is_error;
		} exit;
	};
};

static volatile long watched;
static volatile int counter;
static volatile int usr1_hits, usr2_hits;

/* A function to break in (its text is the program's, read-only and shared with the parent). */
__attribute__((noinline, noipa, used)) static int target_fn(int x)
{
	counter++;
	__asm__ volatile("" ::: "memory");
	return x + 1;
}

static void on_usr1(int sig)
{
	(void)sig;
	usr1_hits++;
}

static void on_usr2(int sig)
{
	(void)sig;
	usr2_hits++;
}

/* Forks a tracee that stops itself (TRACEME, then SIGSTOP) before running fn; returns at its stop. */
static pid_t spawn_traced(int (*fn)(void))
{
	int st;
	pid_t pid = fork();

	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(90);
		raise(SIGSTOP);
		_exit(fn());
	}
	UT_CHECK(pid > 0);
	UT_EQ(waitpid(pid, &st, 0), pid);
	UT_CHECK(WIFSTOPPED(st));
	UT_EQ(WSTOPSIG(st), SIGSTOP);
	return pid;
}

/* Waits for pid (__WALL) and returns its status. */
static int wait_status(pid_t pid)
{
	int st = -1;

	UT_EQ(waitpid(pid, &st, __WALL), pid);
	return st;
}

static void expect_exit(pid_t pid, int code)
{
	int st = wait_status(pid);

	UT_CHECK(WIFEXITED(st));
	UT_EQ(WEXITSTATUS(st), code);
}

static void expect_stop(pid_t pid, int status_hi)
{
	int st = wait_status(pid);

	UT_CHECK(WIFSTOPPED(st));
	UT_EQ(st >> 8, status_hi);
}

/* ---- TRACEME, exec's SIGTRAP, errors ---- */

static char self_path[256];

UT_CASE(traceme_then_exec_stops_with_sigtrap)
{
	pid_t pid = fork();

	if (pid == 0) {
		char *argv[] = { self_path, "--helper", "exit7", NULL };

		ptrace(PTRACE_TRACEME, 0, 0, 0);
		execv(self_path, argv);
		_exit(91);
	}
	expect_stop(pid, SIGTRAP); /* the exec's SIGTRAP (not seized, no TRACEEXEC) */
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	expect_exit(pid, 7);
}

__attribute__((noreturn)) static int sleep_forever(void)
{
	for (;;)
		pause();
}

UT_CASE(errors_as_linux)
{
	pid_t pid = spawn_traced(sleep_forever);
	long r;

	UT_ERRNO(ptrace(PTRACE_ATTACH, getpid(), 0, 0), EPERM); /* itself */
	UT_ERRNO(ptrace(PTRACE_ATTACH, pid, 0, 0), EPERM);	/* already traced */
	UT_ERRNO(ptrace(PTRACE_ATTACH, 0x3fffffff, 0, 0), ESRCH);
	UT_ERRNO(ptrace(PTRACE_CONT, getppid(), 0, 0), ESRCH); /* not our tracee */
	errno = 0;
	r = ptrace(PTRACE_PEEKDATA, pid, (void *)8, 0); /* unmapped */
	UT_EQ(r, -1);
	UT_EQ(errno, EIO);
	UT_ERRNO(ptrace(PTRACE_POKEDATA, pid, (void *)8, 0), EIO);
	UT_ERRNO(ptrace(PTRACE_PEEKUSER, pid, (void *)3, 0), EIO);    /* unaligned */
	UT_ERRNO(ptrace(PTRACE_PEEKUSER, pid, (void *)4096, 0), EIO); /* past struct user */
	UT_ERRNO(ptrace(PTRACE_CONT, pid, 0, (void *)1000), EIO);     /* no such signal */
	UT_ERRNO(ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)0x80000000L), EINVAL);
	UT_ERRNO(ptrace(PTRACE_INTERRUPT, pid, 0, 0), EIO); /* only for SEIZE */
	UT_ERRNO(ptrace(0x7777, pid, 0, 0), EIO);
	/* Running: a request that needs a stop says ESRCH. */
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	UT_ERRNO(ptrace(PTRACE_GETREGS, pid, 0, &(struct user_regs_struct){ 0 }), ESRCH);
	UT_EQ(kill(pid, SIGKILL), 0);
	UT_CHECK(WIFSIGNALED(wait_status(pid)));
}

UT_CASE(traceme_twice_is_eperm)
{
	pid_t pid = fork();

	if (pid == 0) {
		if (ptrace(PTRACE_TRACEME, 0, 0, 0))
			_exit(1);
		_exit(ptrace(PTRACE_TRACEME, 0, 0, 0) == -1 && errno == EPERM ? 0 : 2);
	}
	expect_exit(pid, 0);
}

/* ---- memory and registers ---- */

static int check_poked(void)
{
	return watched == 0x1122334455667788L ? 0 : 1;
}

UT_CASE(peek_poke_data_and_registers)
{
	struct user_regs_struct regs, again;
	pid_t pid;
	long v;

	watched = 42;
	pid = spawn_traced(check_poked);
	errno = 0;
	v = ptrace(PTRACE_PEEKDATA, pid, &watched, 0);
	UT_EQ(errno, 0);
	UT_EQ(v, 42);
	UT_EQ(ptrace(PTRACE_POKEDATA, pid, &watched, (void *)0x1122334455667788L), 0);
	UT_EQ(ptrace(PTRACE_PEEKDATA, pid, &watched, 0), 0x1122334455667788L);
	UT_EQ(watched, 42); /* ours is not theirs */

	UT_EQ(ptrace(PTRACE_GETREGS, pid, 0, &regs), 0);
	UT_CHECK(regs.rip != 0 && regs.rsp != 0);
	UT_EQ(ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user_regs_struct, rip), 0),
	      (long)regs.rip);
	UT_EQ(ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user_regs_struct, rsp), 0),
	      (long)regs.rsp);
	/* SETREGS of a changed register reads back; then the old values go back. */
	again = regs;
	again.r12 = 0xabcdef;
	UT_EQ(ptrace(PTRACE_SETREGS, pid, 0, &again), 0);
	UT_EQ(ptrace(PTRACE_PEEKUSER, pid, (void *)offsetof(struct user_regs_struct, r12), 0),
	      0xabcdef);
	UT_EQ(ptrace(PTRACE_POKEUSER, pid, (void *)offsetof(struct user_regs_struct, r12),
		     (void *)regs.r12),
	      0);
	UT_EQ(ptrace(PTRACE_GETREGS, pid, 0, &again), 0);
	UT_EQ(memcmp(&again, &regs, sizeof(regs)), 0);

	/* Regsets: NT_PRSTATUS is GETREGS; NT_PRFPREG the FXSAVE area (MXCSR at 24). */
	{
		struct user_regs_struct rs;
		struct user_fpregs_struct fp, fp2;
		struct iovec iov = { &rs, sizeof(rs) };

		UT_EQ(ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRSTATUS, &iov), 0);
		UT_EQ(iov.iov_len, sizeof(rs));
		UT_EQ(memcmp(&rs, &regs, sizeof(rs)), 0);
		iov = (struct iovec){ &fp, sizeof(fp) };
		UT_EQ(ptrace(PTRACE_GETREGSET, pid, (void *)NT_PRFPREG, &iov), 0);
		UT_EQ(iov.iov_len, 512);
		UT_EQ(ptrace(PTRACE_GETFPREGS, pid, 0, &fp2), 0);
		UT_EQ(memcmp(&fp, &fp2, sizeof(fp)), 0);
		UT_EQ(fp.mxcsr & 0xffff, 0x1f80);
		fp.mxcsr = 0x1f80 | 0x6000; /* round toward zero */
		UT_EQ(ptrace(PTRACE_SETFPREGS, pid, 0, &fp), 0);
		UT_EQ(ptrace(PTRACE_GETFPREGS, pid, 0, &fp2), 0);
		UT_EQ(fp2.mxcsr, 0x7f80);
		fp.mxcsr = 0x1f80;
		UT_EQ(ptrace(PTRACE_SETFPREGS, pid, 0, &fp), 0);
		UT_ERRNO(ptrace(PTRACE_GETREGSET, pid, (void *)0x999, &iov), EINVAL);
	}
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	expect_exit(pid, 0);
}

/* ---- syscall stops ---- */

static int pipe_fds[2];

static int syscall_child(void)
{
	long r;

	if (syscall(SYS_getpid) != getpid())
		return 1;
	/* The tracer turns fd 1000 into pipe_fds[1]. */
	if (write(1000, "x", 1) != 1)
		return 2;
	/* The tracer skips this one and makes it return 4242. */
	r = syscall(SYS_getpgid, 0);
	if (r != 4242)
		return 3;
	return 0;
}

/* Runs pid to its next syscall-stop; returns the registers there. */
static void next_syscall_stop(pid_t pid, struct user_regs_struct *regs)
{
	UT_EQ(ptrace(PTRACE_SYSCALL, pid, 0, 0), 0);
	expect_stop(pid, SIGTRAP | 0x80);
	UT_EQ(ptrace(PTRACE_GETREGS, pid, 0, regs), 0);
}

UT_CASE(syscall_stops_show_and_change_calls)
{
	struct user_regs_struct regs;
	struct syscall_info si;
	bool seen_getpid = false, seen_write = false, seen_skip = false;
	char c = 0;
	pid_t pid;

	UT_EQ(pipe(pipe_fds), 0);
	pid = spawn_traced(syscall_child);
	UT_EQ(ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)PTRACE_O_TRACESYSGOOD), 0);
	for (int i = 0; i < 200 && !seen_skip; i++) {
		next_syscall_stop(pid, &regs); /* entry */
		UT_EQ((long)regs.rax, -ENOSYS);
		memset(&si, 0, sizeof(si));
		UT_EQ(ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si),
		      offsetof(struct syscall_info, entry.args) + 48);
		UT_EQ(si.op, 1);
		UT_EQ(si.arch, 0xc000003e);
		UT_EQ(si.entry.nr, regs.orig_rax);
		UT_EQ(si.entry.args[0], regs.rdi);
		if (regs.orig_rax == SYS_write && regs.rdi == 1000) {
			regs.rdi = pipe_fds[1];
			UT_EQ(ptrace(PTRACE_SETREGS, pid, 0, &regs), 0);
			seen_write = true;
		}
		if (regs.orig_rax == SYS_getpgid) {
			regs.orig_rax = -1; /* skip it */
			UT_EQ(ptrace(PTRACE_SETREGS, pid, 0, &regs), 0);
		}
		long nr = regs.orig_rax;

		next_syscall_stop(pid, &regs); /* exit */
		memset(&si, 0, sizeof(si));
		UT_EQ(ptrace(PTRACE_GET_SYSCALL_INFO, pid, (void *)sizeof(si), &si),
		      offsetof(struct syscall_info, exit.is_error) + 1);
		UT_EQ(si.op, 2);
		UT_EQ(si.exit.rval, (long)regs.rax);
		if (nr == SYS_getpid) {
			UT_EQ(regs.rax, pid);
			UT_EQ(si.exit.is_error, 0);
			seen_getpid = true;
		}
		if (nr == -1) {
			UT_EQ((long)regs.rax, -ENOSYS); /* skipped: nothing ran */
			regs.rax = 4242;
			UT_EQ(ptrace(PTRACE_SETREGS, pid, 0, &regs), 0);
			seen_skip = true;
		}
	}
	UT_CHECK(seen_getpid && seen_write && seen_skip);
	UT_EQ(read(pipe_fds[0], &c, 1), 1);
	UT_EQ(c, 'x');
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	expect_exit(pid, 0);
	close(pipe_fds[0]);
	close(pipe_fds[1]);
}

/*
 * A fork run from a syscall-entry stop: the child's FPU state is its
 * parent's (SSE registers and MXCSR as they were at the call), not that of
 * whatever ran on the CPU while the parent was stopped (the tracer, which
 * loads other values at each stop).
 */
#define FPU_PATTERN 0x0123456789abcdefULL
#define FPU_MXCSR   0x7f80 /* every exception masked, rounding toward zero */

/* fork with xmm5 loaded with pattern; *after is xmm5 once it returns (in either process). */
static long fork_with_xmm5(uint64_t pattern, uint64_t *after)
{
	long ret;
	uint64_t out;

	__asm__ volatile("movq %2, %%xmm5\n\tsyscall\n\tmovq %%xmm5, %1"
			 : "=a"(ret), "=&r"(out)
			 : "r"(pattern), "a"((long)SYS_fork)
			 : "rcx", "r11", "xmm5", "memory");
	*after = out;
	return ret;
}

static int fpu_fork_child(void)
{
	uint64_t xmm5 = 0;
	long pid;
	int st;

	ut_set_mxcsr(FPU_MXCSR);
	pid = fork_with_xmm5(FPU_PATTERN, &xmm5);
	if (pid == 0)
		_exit(xmm5 == FPU_PATTERN && ut_get_mxcsr() == FPU_MXCSR ? 0 : 7);
	if (pid < 0 || xmm5 != FPU_PATTERN || ut_get_mxcsr() != FPU_MXCSR)
		return 5;
	if (waitpid((pid_t)pid, &st, 0) != pid || !WIFEXITED(st))
		return 6;
	return WEXITSTATUS(st);
}

/*
 * Runs pid to its end under syscall tracing, loading the tracer's own FPU
 * state at every stop and passing signals on; returns its exit code.
 */
static int trace_syscalls_with_other_fpu_state(pid_t pid)
{
	int st, sig = 0;

	UT_EQ(ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)PTRACE_O_TRACESYSGOOD), 0);
	for (;;) {
		__asm__ volatile("movq %0, %%xmm5" : : "r"(0xdeadbeefULL) : "xmm5");
		ut_set_mxcsr(0x1f80);
		UT_EQ(ptrace(PTRACE_SYSCALL, pid, 0, (void *)(long)sig), 0);
		st = wait_status(pid);
		if (!WIFSTOPPED(st))
			break;
		/* A syscall stop, or a signal (the child's SIGCHLD, SIGUSR2) passed on. */
		sig = WSTOPSIG(st) == (SIGTRAP | 0x80) ? 0 : WSTOPSIG(st);
	}
	UT_CHECK(WIFEXITED(st));
	return WEXITSTATUS(st);
}

UT_CASE(fork_from_a_syscall_stop_keeps_the_fpu_state)
{
	/* 7: the child's state was not its parent's */
	UT_EQ(trace_syscalls_with_other_fpu_state(spawn_traced(fpu_fork_child)), 0);
}

/* ---- events ---- */

static void *thread_fn(void *arg)
{
	(void)arg;
	return (void *)7;
}

static int events_child(void)
{
	pthread_t th;
	void *ret;
	pid_t pid = fork();
	int st;

	if (pid == 0)
		_exit(3);
	if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st) != 3)
		return 1;
	if (pthread_create(&th, NULL, thread_fn, NULL) || pthread_join(th, &ret) ||
	    ret != (void *)7)
		return 2;
	{
		char *argv[] = { self_path, "--helper", "exit7", NULL };

		execv(self_path, argv);
	}
	return 4;
}

UT_CASE(fork_clone_exec_exit_events)
{
	long opts = PTRACE_O_TRACEFORK | PTRACE_O_TRACECLONE | PTRACE_O_TRACEEXEC |
		    PTRACE_O_TRACEEXIT;
	pid_t pid = spawn_traced(events_child), grandchild = 0, thread = 0, w;
	int st, fork_ev = 0, clone_ev = 0, exec_ev = 0, exit_ev = 0, new_stops = 0;
	unsigned long msg;

	UT_EQ(ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)opts), 0);
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	for (;;) {
		int sig = 0;

		w = waitpid(-1, &st, __WALL);
		UT_CHECK(w > 0);
		if (w == pid && WIFEXITED(st)) {
			UT_EQ(WEXITSTATUS(st), 7);
			break;
		}
		if (!WIFSTOPPED(st))
			continue; /* the grandchild's and the thread's ends */
		switch (st >> 8) {
		case SIGTRAP | (PTRACE_EVENT_FORK << 8):
			UT_EQ(w, pid);
			UT_EQ(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg), 0);
			grandchild = msg;
			fork_ev++;
			break;
		case SIGTRAP | (PTRACE_EVENT_CLONE << 8):
			UT_EQ(w, pid);
			UT_EQ(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg), 0);
			thread = msg;
			clone_ev++;
			break;
		case SIGTRAP | (PTRACE_EVENT_EXEC << 8):
			UT_EQ(w, pid);
			UT_EQ(ptrace(PTRACE_GETEVENTMSG, pid, 0, &msg), 0);
			UT_EQ(msg, pid);
			exec_ev++;
			break;
		case SIGTRAP | (PTRACE_EVENT_EXIT << 8):
			UT_EQ(ptrace(PTRACE_GETEVENTMSG, w, 0, &msg), 0);
			if (w == pid) {
				UT_EQ(msg, 7 << 8);
				exit_ev++;
			}
			break;
		case SIGSTOP:
			/* A new tracee's first stop (auto-attached), suppressed. */
			UT_CHECK(w == grandchild || w == thread || !grandchild || !thread);
			new_stops++;
			break;
		default:
			sig = WSTOPSIG(st); /* another signal: delivered (SIGCHLD) */
		}
		UT_EQ(ptrace(PTRACE_CONT, w, 0, (void *)(long)sig), 0);
	}
	UT_EQ(fork_ev, 1);
	UT_EQ(clone_ev, 1);
	UT_EQ(exec_ev, 1);
	UT_EQ(exit_ev, 1);
	UT_EQ(new_stops, 2);
	UT_CHECK(grandchild > 0 && thread > 0);
}

static int vfork_child(void)
{
	int st;
	pid_t pid = vfork();

	if (pid == 0)
		_exit(4);
	return waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 4 ? 0 : 1;
}

UT_CASE(vfork_and_vfork_done_events)
{
	long opts = PTRACE_O_TRACEVFORK | PTRACE_O_TRACEVFORKDONE;
	pid_t pid = spawn_traced(vfork_child), w, grandchild = 0;
	int st, vfork_ev = 0, done_ev = 0;
	unsigned long msg;

	UT_EQ(ptrace(PTRACE_SETOPTIONS, pid, 0, (void *)opts), 0);
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	for (;;) {
		int sig = 0;

		w = waitpid(-1, &st, __WALL);
		UT_CHECK(w > 0);
		if (w == pid && WIFEXITED(st)) {
			UT_EQ(WEXITSTATUS(st), 0);
			break;
		}
		if (!WIFSTOPPED(st))
			continue;
		if ((st >> 8) == (SIGTRAP | (PTRACE_EVENT_VFORK << 8))) {
			UT_EQ(ptrace(PTRACE_GETEVENTMSG, w, 0, &msg), 0);
			grandchild = msg;
			vfork_ev++;
		} else if ((st >> 8) == (SIGTRAP | (PTRACE_EVENT_VFORK_DONE << 8))) {
			UT_EQ(ptrace(PTRACE_GETEVENTMSG, w, 0, &msg), 0);
			UT_EQ(msg, grandchild);
			UT_EQ(vfork_ev, 1); /* after the VFORK event */
			done_ev++;
		} else if (WSTOPSIG(st) != SIGSTOP) {
			sig = WSTOPSIG(st);
		}
		UT_EQ(ptrace(PTRACE_CONT, w, 0, (void *)(long)sig), 0);
	}
	UT_EQ(vfork_ev, 1);
	UT_EQ(done_ev, 1);
}

/* ---- breakpoints ---- */

static int breakpoint_child(void)
{
	return target_fn(1) == 2 && counter == 1 ? 0 : 1;
}

UT_CASE(int3_breakpoint_then_single_step)
{
	uintptr_t at = (uintptr_t)target_fn;
	struct user_regs_struct regs;
	siginfo_t si;
	pid_t pid = spawn_traced(breakpoint_child);
	long orig, word;
	unsigned char first = *(volatile unsigned char *)at;

	orig = ptrace(PTRACE_PEEKTEXT, pid, (void *)at, 0);
	UT_EQ((unsigned char)orig, first);
	UT_EQ(ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)((orig & ~0xffL) | 0xcc)), 0);
	UT_EQ(*(volatile unsigned char *)at, first); /* our copy of the text is untouched */
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	expect_stop(pid, SIGTRAP);
	UT_EQ(ptrace(PTRACE_GETSIGINFO, pid, 0, &si), 0);
	UT_EQ(si.si_signo, SIGTRAP);
	UT_EQ(si.si_code, SI_KERNEL);
	UT_EQ(ptrace(PTRACE_GETREGS, pid, 0, &regs), 0);
	UT_EQ(regs.rip, at + 1);
	/* Put the instruction back, step back over it. */
	UT_EQ(ptrace(PTRACE_POKETEXT, pid, (void *)at, (void *)orig), 0);
	word = ptrace(PTRACE_PEEKTEXT, pid, (void *)at, 0);
	UT_EQ(word, orig);
	regs.rip = at;
	UT_EQ(ptrace(PTRACE_SETREGS, pid, 0, &regs), 0);
	UT_EQ(ptrace(PTRACE_SINGLESTEP, pid, 0, 0), 0);
	expect_stop(pid, SIGTRAP);
	UT_EQ(ptrace(PTRACE_GETSIGINFO, pid, 0, &si), 0);
	UT_EQ(si.si_code, TRAP_TRACE);
	UT_EQ(ptrace(PTRACE_GETREGS, pid, 0, &regs), 0);
	UT_CHECK(regs.rip > at && regs.rip < at + 16); /* one instruction on */
	UT_EQ(regs.eflags & 0x100, 0);		       /* TF is not shown set after the step */
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	expect_exit(pid, 0);
}

static int watch_child(void)
{
	watched = 5; /* the watchpoint fires here */
	return watched == 5 ? 0 : 1;
}

UT_CASE(hardware_watchpoint_fires_on_write)
{
	size_t dr = offsetof(struct user, u_debugreg);
	pid_t pid = spawn_traced(watch_child);
	unsigned long dr7 = 1 | (1UL << 16) | (3UL << 18); /* L0, write, 8 bytes */
	siginfo_t si;
	long dr6;

	UT_EQ(dr, 848);
	UT_EQ(ptrace(PTRACE_POKEUSER, pid, (void *)dr, (void *)&watched), 0);
	UT_EQ(ptrace(PTRACE_POKEUSER, pid, (void *)(dr + 7 * 8), (void *)dr7), 0);
	UT_EQ(ptrace(PTRACE_PEEKUSER, pid, (void *)dr, 0), (long)&watched);
	UT_ERRNO(ptrace(PTRACE_POKEUSER, pid, (void *)(dr + 7 * 8), (void *)(1 | (2UL << 16))),
		 EINVAL); /* I/O breakpoints: no */
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	expect_stop(pid, SIGTRAP);
	UT_EQ(ptrace(PTRACE_GETSIGINFO, pid, 0, &si), 0);
	UT_EQ(si.si_code, TRAP_HWBKPT);
	dr6 = ptrace(PTRACE_PEEKUSER, pid, (void *)(dr + 6 * 8), 0);
	UT_EQ(dr6 & 0xf, 1);
	UT_EQ(ptrace(PTRACE_PEEKDATA, pid, &watched, 0), 5); /* after the write: a trap */
	UT_EQ(ptrace(PTRACE_POKEUSER, pid, (void *)(dr + 7 * 8), 0), 0);
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	expect_exit(pid, 0);
}

/* ---- signals ---- */

static int signal_child(void)
{
	signal(SIGUSR1, on_usr1);
	signal(SIGUSR2, on_usr2);
	raise(SIGUSR1); /* suppressed by the tracer */
	raise(SIGUSR2); /* turned into SIGUSR1 */
	return usr1_hits == 1 && usr2_hits == 0 ? 0 : 10 + usr1_hits * 2 + usr2_hits;
}

UT_CASE(signals_suppressed_and_changed)
{
	pid_t pid = spawn_traced(signal_child);
	siginfo_t si;

	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	expect_stop(pid, SIGUSR1);
	UT_EQ(ptrace(PTRACE_GETSIGINFO, pid, 0, &si), 0);
	UT_EQ(si.si_signo, SIGUSR1);
	UT_EQ(si.si_code, SI_TKILL);
	UT_EQ(si.si_pid, pid);
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0); /* suppressed */
	expect_stop(pid, SIGUSR2);
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, (void *)SIGUSR1), 0); /* changed */
	expect_exit(pid, 0);
}

UT_CASE(attach_stops_with_sigstop_detach_resumes)
{
	pid_t pid = fork();
	struct user_regs_struct regs;

	if (pid == 0)
		sleep_forever();
	UT_EQ(ptrace(PTRACE_ATTACH, pid, 0, 0), 0);
	expect_stop(pid, SIGSTOP);
	UT_EQ(ptrace(PTRACE_GETREGS, pid, 0, &regs), 0);
	UT_EQ(ptrace(PTRACE_DETACH, pid, 0, 0), 0);
	UT_ERRNO(ptrace(PTRACE_GETREGS, pid, 0, &regs), ESRCH);
	UT_EQ(kill(pid, SIGTERM), 0);
	UT_CHECK(WIFSIGNALED(wait_status(pid)));
}

UT_CASE(ptrace_kill_kills)
{
	pid_t pid = spawn_traced(sleep_forever);
	int st;

	UT_EQ(ptrace(PTRACE_KILL, pid, 0, 0), 0);
	st = wait_status(pid);
	UT_CHECK(WIFSIGNALED(st));
	UT_EQ(WTERMSIG(st), SIGKILL);
}

UT_CASE(sigkill_while_stopped)
{
	pid_t pid = spawn_traced(sleep_forever);
	int st;

	UT_EQ(kill(pid, SIGKILL), 0);
	st = wait_status(pid);
	UT_CHECK(WIFSIGNALED(st));
	UT_EQ(WTERMSIG(st), SIGKILL);
}

static int detach_child(void)
{
	signal(SIGUSR1, on_usr1);
	while (!usr1_hits)
		pause();
	return 5;
}

UT_CASE(detach_with_a_signal)
{
	pid_t pid = spawn_traced(detach_child);

	/* The handler is set after the stop: let it run to its pause. */
	UT_EQ(ptrace(PTRACE_SYSCALL, pid, 0, 0), 0);
	for (int i = 0; i < 20; i++) { /* to pause's entry */
		struct user_regs_struct regs;

		expect_stop(pid, SIGTRAP);
		UT_EQ(ptrace(PTRACE_GETREGS, pid, 0, &regs), 0);
		if (regs.orig_rax == SYS_pause || regs.orig_rax == SYS_rt_sigsuspend ||
		    regs.orig_rax == SYS_ppoll)
			break;
		UT_EQ(ptrace(PTRACE_SYSCALL, pid, 0, 0), 0);
	}
	UT_EQ(ptrace(PTRACE_DETACH, pid, 0, (void *)SIGUSR1), 0);
	UT_ERRNO(ptrace(PTRACE_CONT, pid, 0, 0), ESRCH); /* no longer ours */
	UT_EQ(kill(pid, SIGUSR1), 0);			 /* the detach's one may be dropped */
	expect_exit(pid, 5);
}

/*
 * Twenty times: the victim, killed by its tracer's exit, may be reaped (and
 * its trace state freed) on another CPU while the exiting tracer still
 * wakes it.
 */
UT_CASE(exitkill_kills_tracees_when_the_tracer_exits)
{
	for (int i = 0; i < 20; i++) {
		pid_t victim = fork(), tracer;
		int st;

		if (victim == 0)
			sleep_forever();
		tracer = fork();
		if (tracer == 0)
			_exit(ptrace(PTRACE_SEIZE, victim, 0, (void *)PTRACE_O_EXITKILL) ? 1 : 0);
		expect_exit(tracer, 0);
		UT_EQ(waitpid(victim, &st, 0), victim);
		UT_CHECK(WIFSIGNALED(st));
		UT_EQ(WTERMSIG(st), SIGKILL);
	}
}

UT_CASE(seize_interrupt_group_stop_listen)
{
	pid_t pid = fork();
	siginfo_t si;
	int st;

	if (pid == 0)
		sleep_forever();
	UT_EQ(ptrace(PTRACE_SEIZE, pid, 0, 0), 0);
	UT_EQ(ptrace(PTRACE_INTERRUPT, pid, 0, 0), 0);
	expect_stop(pid, SIGTRAP | (PTRACE_EVENT_STOP << 8));
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, 0), 0);
	/* A stop signal: first a signal-delivery-stop, then (delivered) the group stop. */
	UT_EQ(kill(pid, SIGSTOP), 0);
	expect_stop(pid, SIGSTOP);
	UT_EQ(ptrace(PTRACE_CONT, pid, 0, (void *)SIGSTOP), 0);
	expect_stop(pid, SIGSTOP | (PTRACE_EVENT_STOP << 8));
	UT_EQ(ptrace(PTRACE_GETSIGINFO, pid, 0, &si), 0);
	UT_EQ(si.si_signo, SIGSTOP);
	UT_EQ(ptrace(PTRACE_LISTEN, pid, 0, 0), 0);
	UT_EQ(waitpid(pid, &st, __WALL | WNOHANG), 0); /* still stopped */
	UT_EQ(kill(pid, SIGCONT), 0);
	expect_stop(pid, SIGTRAP | (PTRACE_EVENT_STOP << 8));
	UT_EQ(kill(pid, SIGKILL), 0);
	st = wait_status(pid);
	UT_CHECK(WIFSIGNALED(st));
}

/* ---- a multi-threaded tracee ---- */

struct mt_shared {
	volatile int tids[3];
	volatile int go;
};

static struct mt_shared *mt;

static void *mt_thread(void *arg)
{
	mt->tids[(long)arg] = gettid();
	while (!mt->go)
		usleep(1000);
	return NULL;
}

UT_CASE(attach_each_thread_of_a_process)
{
	pid_t pid, w;
	int st, seen = 0;

	mt = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(mt != MAP_FAILED);
	pid = fork();
	if (pid == 0) {
		pthread_t th[2];

		mt->tids[0] = gettid();
		for (long i = 1; i < 3; i++)
			pthread_create(&th[i - 1], NULL, mt_thread, (void *)i);
		for (int i = 0; i < 2; i++)
			pthread_join(th[i], NULL);
		_exit(0);
	}
	UT_CHECK(UT_POLL(mt->tids[1] && mt->tids[2], 30));
	/* Each thread separately, as strace -p does: SEIZE, then INTERRUPT. */
	for (int i = 0; i < 3; i++) {
		UT_EQ(ptrace(PTRACE_SEIZE, mt->tids[i], 0, 0), 0);
		UT_EQ(ptrace(PTRACE_INTERRUPT, mt->tids[i], 0, 0), 0);
	}
	for (int i = 0; i < 3; i++) {
		struct user_regs_struct regs;

		w = waitpid(-1, &st, __WALL);
		UT_CHECK(w == mt->tids[0] || w == mt->tids[1] || w == mt->tids[2]);
		UT_CHECK(WIFSTOPPED(st));
		UT_EQ(st >> 8, SIGTRAP | (PTRACE_EVENT_STOP << 8));
		UT_EQ(ptrace(PTRACE_GETREGS, w, 0, &regs), 0);
		UT_CHECK(regs.rsp != 0);
		seen++;
	}
	UT_EQ(seen, 3);
	/* A traced thread is waited for without __WALL too (Linux): running, nothing to report. */
	UT_EQ(waitpid(mt->tids[1], &st, WNOHANG), 0);
	mt->go = 1;
	for (int i = 0; i < 3; i++)
		UT_EQ(ptrace(PTRACE_DETACH, mt->tids[i], 0, 0), 0);
	expect_exit(pid, 0);
	munmap((void *)mt, 4096);
}

/* ---- other processes' memory: process_vm_readv/writev, /proc/PID/mem ---- */

static char remote_buf[64] = "parent's";
static int sync_pipe[2], back_pipe[2];

/* A child that changes remote_buf, says so, and exits 0 if the tracer's write arrived. */
static pid_t spawn_memory_child(void)
{
	pid_t pid;
	char c;

	UT_EQ(pipe(sync_pipe), 0);
	UT_EQ(pipe(back_pipe), 0);
	pid = fork();
	if (pid == 0) {
		strcpy(remote_buf, "child's data");
		if (write(sync_pipe[1], "r", 1) != 1 || read(back_pipe[0], &c, 1) != 1)
			_exit(1);
		_exit(!strcmp(remote_buf, "WRITTEN data") ? 0 : 2);
	}
	UT_EQ(read(sync_pipe[0], &c, 1), 1);
	return pid;
}

static void end_memory_child(pid_t pid)
{
	UT_EQ(write(back_pipe[1], "g", 1), 1);
	expect_exit(pid, 0);
	close(sync_pipe[0]), close(sync_pipe[1]), close(back_pipe[0]), close(back_pipe[1]);
}

UT_CASE(process_vm_readv_and_writev)
{
	pid_t pid = spawn_memory_child();
	char a[5] = { 0 }, b[16] = { 0 };
	struct iovec local[2] = { { a, 4 }, { b, 9 } };
	struct iovec remote[2] = { { remote_buf, 8 }, { remote_buf + 8, 5 } };
	struct iovec bad[2] = { { remote_buf, 4 }, { (void *)8, 4 } };
	struct iovec w = { "WRITTEN", 7 }, wr = { remote_buf, 7 };

	UT_EQ(process_vm_readv(pid, local, 2, remote, 2, 0), 13);
	UT_EQ(strcmp(a, "chil"), 0);
	UT_EQ(strcmp(b, "d's data"), 0);
	UT_EQ(strcmp(remote_buf, "parent's"), 0);
	/* Short at the first remote address that is not mapped; EFAULT if that is the first. */
	UT_EQ(process_vm_readv(pid, local, 2, bad, 2, 0), 4);
	UT_ERRNO(process_vm_readv(pid, local, 1, &bad[1], 1, 0), EFAULT);
	UT_ERRNO(process_vm_readv(pid, local, 1, remote, 1, 1), EINVAL);
	UT_ERRNO(process_vm_readv(0x3fffffff, local, 1, remote, 1, 0), ESRCH);
	UT_EQ(process_vm_writev(pid, &w, 1, &wr, 1, 0), 7);
	end_memory_child(pid);
}

UT_CASE(proc_pid_mem_pread_pwrite)
{
	pid_t pid = spawn_memory_child();
	char path[64], got[16] = { 0 };
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/mem", pid);
	fd = UT_NOERR(open(path, O_RDWR));
	UT_EQ(pread(fd, got, 12, (off_t)(uintptr_t)remote_buf), 12);
	UT_EQ(strcmp(got, "child's data"), 0);
	UT_ERRNO(pread(fd, got, 4, 8), EIO);
	UT_EQ(pwrite(fd, "WRITTEN", 7, (off_t)(uintptr_t)remote_buf), 7);
	close(fd);
	end_memory_child(pid);
}

UT_CASE(another_user_gets_eperm)
{
	pid_t victim = fork(), pid;

	if (victim == 0)
		sleep_forever();
	pid = fork();
	if (pid == 0) {
		char path[64], c[4];
		struct iovec l = { c, 4 }, r = { remote_buf, 4 };

		if (setresgid(1000, 1000, 1000) || setresuid(1000, 1000, 1000))
			_exit(1);
		if (ptrace(PTRACE_ATTACH, victim, 0, 0) != -1 || errno != EPERM)
			_exit(2);
		if (ptrace(PTRACE_SEIZE, victim, 0, 0) != -1 || errno != EPERM)
			_exit(3);
		if (process_vm_readv(victim, &l, 1, &r, 1, 0) != -1 || errno != EPERM)
			_exit(4);
		snprintf(path, sizeof(path), "/proc/%d/mem", victim);
		if (open(path, O_RDONLY) != -1 || errno != EACCES)
			_exit(5);
		/* Its own child (same ids): allowed, once dumpable again (setresuid cleared it). */
		prctl(PR_SET_DUMPABLE, 1);
		pid_t own = fork();

		if (own == 0)
			sleep_forever();
		if (ptrace(PTRACE_SEIZE, own, 0, 0))
			_exit(6);
		kill(own, SIGKILL);
		_exit(waitpid(own, NULL, __WALL) == own ? 0 : 7);
	}
	expect_exit(pid, 0);
	kill(victim, SIGKILL);
	UT_EQ(waitpid(victim, NULL, 0), victim);
}

int ut_helper(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "exit7"))
		return 7;
	return 99;
}

__attribute__((constructor)) static void find_self(void)
{
	ssize_t n = readlink("/proc/self/exe", self_path, sizeof(self_path) - 1);

	self_path[n > 0 ? n : 0] = '\0';
}
