/*
 * signals: POSIX and Linux signal semantics. Handlers and their arguments
 * (siginfo, ucontext), the state a handler must not disturb (registers,
 * SSE/x87, flags, errno), masks and pending sets, sigaction flags
 * (SA_RESETHAND, SA_NODEFER, sa_mask, SA_RESTART, SA_ONSTACK,
 * SA_NOCLDSTOP, SA_NOCLDWAIT), default actions, stop and continue,
 * interrupted calls (EINTR and restarts), sigsuspend, sigtimedwait and
 * sigqueue, real-time queueing and order, the alternate stack, faults
 * caught by handlers, signals to threads, process groups and sessions,
 * SIGCHLD, interval timers and alarm, and what exec keeps.
 *
 * Nearly every case runs in a forked child (CHILD_CASE) so that the
 * dispositions, masks, groups and timers it changes die with it; every
 * wait for another process is bounded (a kernel bug fails the case instead
 * of hanging the program). Durations are only checked as lower bounds.
 * The exec case re-executes this program ("--helper exec-signals"), found
 * through AT_EXECFN.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <limits.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <ucontext.h>
#include <unistd.h>

/* Bound of a case's child, and of the waits inside a case. */
#define CHILD_SECONDS 60
#define WAIT_SECONDS  20

#define NO_PID 0x3fffffff /* above any pid_max */

/* ---- state shared with children (MAP_SHARED, zeroed for each case) ---- */

struct shared {
	volatile int ready, go, done;
	volatile long counter;
};
static struct shared *sh;

/* ---- what the handlers saw (per process) ---- */

static volatile sig_atomic_t hits[65];
static volatile int order[32], norder;
static volatile int last_sig;
static siginfo_t last_info;
static volatile int last_info_null, last_uc_null;
static volatile uintptr_t last_rsp, last_rip, handler_local;
static sigset_t handler_mask, last_uc_mask;
static volatile pid_t handler_tid;
static pthread_t volatile handler_thread;

static void count_handler(int sig)
{
	hits[sig]++;
	if (norder < (int)(sizeof(order) / sizeof(order[0])))
		order[norder++] = sig;
}

static void info_handler(int sig, siginfo_t *si, void *ucv)
{
	volatile char local = 0;
	ucontext_t *uc = ucv;

	last_sig = sig;
	last_info_null = si == NULL;
	last_uc_null = uc == NULL;
	if (si)
		last_info = *si;
	if (uc) {
		last_rsp = uc->uc_mcontext.gregs[REG_RSP];
		last_rip = uc->uc_mcontext.gregs[REG_RIP];
		last_uc_mask = uc->uc_sigmask;
	}
	handler_local = (uintptr_t)&local;
	sigprocmask(SIG_BLOCK, NULL, &handler_mask);
	handler_tid = gettid();
	handler_thread = pthread_self();
	hits[sig]++;
}

/* ---- helpers ---- */

static void set_action(int sig, void (*fn)(int, siginfo_t *, void *), int flags,
		       const int *mask_sigs)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = fn;
	sa.sa_flags = flags | SA_SIGINFO;
	sigemptyset(&sa.sa_mask);
	for (; mask_sigs && *mask_sigs; mask_sigs++)
		sigaddset(&sa.sa_mask, *mask_sigs);
	UT_EQ(sigaction(sig, &sa, NULL), 0);
}

static void set_handler(int sig, void (*fn)(int), int flags)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = fn;
	sa.sa_flags = flags;
	sigemptyset(&sa.sa_mask);
	UT_EQ(sigaction(sig, &sa, NULL), 0);
}

static void mask_op(int how, int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	UT_EQ(sigprocmask(how, &s, NULL), 0);
}

static void block(int sig)
{
	mask_op(SIG_BLOCK, sig);
}

static void unblock(int sig)
{
	mask_op(SIG_UNBLOCK, sig);
}

static int is_blocked(int sig)
{
	sigset_t s;

	UT_EQ(sigprocmask(SIG_BLOCK, NULL, &s), 0);
	return sigismember(&s, sig);
}

static int is_pending(int sig)
{
	sigset_t s;

	UT_EQ(sigpending(&s), 0);
	return sigismember(&s, sig);
}

static sigset_t set_of(int sig)
{
	sigset_t s;

	sigemptyset(&s);
	sigaddset(&s, sig);
	return s;
}

static const char *describe(int status)
{
	static char buf[96];

	if (WIFEXITED(status))
		snprintf(buf, sizeof(buf), "exited with %d%s", WEXITSTATUS(status),
			 WEXITSTATUS(status) == UT_CHILD_FAILED ? " (a check failed, see above)"
								: "");
	else if (WIFSIGNALED(status))
		snprintf(buf, sizeof(buf), "killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else if (WIFSTOPPED(status))
		snprintf(buf, sizeof(buf), "stopped by signal %d", WSTOPSIG(status));
	else
		snprintf(buf, sizeof(buf), "status %#x", status);
	return buf;
}

/*
 * waitpid(pid, options) polled with WNOHANG for `seconds` at most; fails the
 * case (after killing pid) when nothing is reported in time.
 */
#define wait_status(pid, options) wait_status_at(__FILE__, __LINE__, pid, options, WAIT_SECONDS)
static int wait_status_at(const char *file, int line, pid_t pid, int options, int seconds)
{
	int status = 0;
	pid_t r = 0;

	if (!UT_POLL((r = waitpid(pid, &status, options | WNOHANG)) != 0, seconds)) {
		kill(pid, SIGKILL);
		UT_POLL(waitpid(pid, &status, WNOHANG) != 0, 5);
		ut_fail(file, line, "waitpid(%d, %#x): nothing reported in %d s (child killed)",
			(int)pid, options, seconds);
	}
	if (r != pid)
		ut_fail(file, line, "waitpid(%d, %#x) gave %d (%s)", (int)pid, options, (int)r,
			ut_errname(errno));
	return status;
}

static void fresh_shared(void)
{
	if (!sh) {
		void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
			       0);
		UT_CHECK(p != MAP_FAILED);
		sh = p;
	}
	memset(sh, 0, sizeof(*sh));
}

/* Forks; the child runs fn and exits 0; the case fails unless it did. */
#define run_in_child(fn) run_in_child_at(__FILE__, __LINE__, fn)
static void run_in_child_at(const char *file, int line, void (*fn)(void))
{
	pid_t pid;
	int status;

	fresh_shared();
	pid = fork();
	if (pid == -1)
		ut_fail(file, line, "fork: %s", ut_errname(errno));
	if (pid == 0) {
		fn();
		_exit(0);
	}
	status = wait_status_at(file, line, pid, 0, CHILD_SECONDS);
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0)
		ut_fail(file, line, "the case's child %s", describe(status));
}

/* A case whose body runs in a child of its own. */
#define CHILD_CASE(name)                       \
	static void name##_in_child(void);     \
	UT_CASE(name)                          \
	{                                      \
		run_in_child(name##_in_child); \
	}                                      \
	static void name##_in_child(void)

/* Forks; the child runs fn; the case fails unless signal sig kills it. */
#define expect_death(fn, sig) expect_death_at(__FILE__, __LINE__, #fn, fn, sig)
static void expect_death_at(const char *file, int line, const char *what, void (*fn)(void), int sig)
{
	pid_t pid;
	int status;

	fresh_shared();
	pid = fork();
	if (pid == -1)
		ut_fail(file, line, "fork: %s", ut_errname(errno));
	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		fn();
		_exit(0);
	}
	status = wait_status_at(file, line, pid, 0, CHILD_SECONDS);
	if (!WIFSIGNALED(status) || WTERMSIG(status) != sig)
		ut_fail(file, line, "%s: expected death by signal %d, the child %s", what, sig,
			describe(status));
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000u + (uint64_t)ts->tv_nsec;
}

static uint64_t tv_us(const struct timeval *tv)
{
	return (uint64_t)tv->tv_sec * 1000000u + (uint64_t)tv->tv_usec;
}

/* ======================= handlers and their arguments ======================= */

CHILD_CASE(handler_gets_siginfo_and_ucontext)
{
	volatile char here = 0;

	set_action(SIGUSR1, info_handler, 0, NULL);
	UT_EQ(kill(getpid(), SIGUSR1), 0);
	/* A signal a process sends itself is delivered before kill returns. */
	UT_EQ(hits[SIGUSR1], 1);
	UT_EQ(last_sig, SIGUSR1);
	UT_EQ(last_info_null, 0);
	UT_EQ(last_uc_null, 0);
	UT_EQ(last_info.si_signo, SIGUSR1);
	UT_EQ(last_info.si_code, SI_USER);
	UT_EQ(last_info.si_pid, getpid());
	UT_EQ(last_info.si_uid, getuid());
	UT_EQ(last_info.si_errno, 0);
	/* The context is the interrupted one: its stack is ours, its mask the old one. */
	UT_CHECK(last_rsp < (uintptr_t)&here + 65536 && last_rsp + 65536 > (uintptr_t)&here);
	UT_CHECK(last_rip != 0);
	UT_CHECK(!sigismember(&last_uc_mask, SIGUSR1));
	/* The handler's frame is below the red zone of the interrupted code. */
	UT_CHECK(handler_local < last_rsp - 128);
	/* While it runs, its own signal is blocked. */
	UT_CHECK(sigismember(&handler_mask, SIGUSR1));
	UT_CHECK(!is_blocked(SIGUSR1));
}

static volatile int plain_arg;

static void plain_handler(int sig)
{
	plain_arg = sig;
	hits[sig]++;
}

CHILD_CASE(plain_handler_gets_signal_number)
{
	UT_CHECK(signal(SIGUSR2, plain_handler) == SIG_DFL);
	UT_EQ(kill(getpid(), SIGUSR2), 0);
	UT_EQ(hits[SIGUSR2], 1);
	UT_EQ(plain_arg, SIGUSR2);
	UT_CHECK(signal(SIGUSR2, SIG_DFL) == plain_handler);
}

/* ---- the state a handler must not disturb ---- */

static volatile unsigned long h_rflags;
static volatile unsigned h_mxcsr;
static volatile unsigned short h_fcw;
static volatile double h_result;
static const unsigned odd_mxcsr = 0x3f80;     /* round down */
static const unsigned short odd_fcw = 0x0c7f; /* round toward zero */

__attribute__((noinline)) static double harmonic(double scale, int n)
{
	double s = 0;

	for (int i = 1; i <= n; i++)
		s += scale / i;
	return s;
}

/* Uses doubles, then clobbers every caller-saved register and the FPU controls. */
static void clobber_handler(int sig)
{
	unsigned long fl;
	unsigned mx;
	unsigned short cw;

	__asm__ volatile("sub $128, %%rsp\n\tpushfq\n\tpop %0\n\tadd $128, %%rsp" : "=r"(fl));
	__asm__ volatile("stmxcsr %0" : "=m"(mx));
	__asm__ volatile("fnstcw %0" : "=m"(cw));
	h_rflags = fl;
	h_mxcsr = mx;
	h_fcw = cw;
	h_result = harmonic(1.5, 100);
	__asm__ volatile(
		"pcmpeqb %%xmm0, %%xmm0\n\tpcmpeqb %%xmm1, %%xmm1\n\tpcmpeqb %%xmm2, %%xmm2\n\t"
		"pcmpeqb %%xmm3, %%xmm3\n\tpcmpeqb %%xmm4, %%xmm4\n\tpcmpeqb %%xmm5, %%xmm5\n\t"
		"pcmpeqb %%xmm6, %%xmm6\n\tpcmpeqb %%xmm7, %%xmm7\n\tpcmpeqb %%xmm8, %%xmm8\n\t"
		"pcmpeqb %%xmm9, %%xmm9\n\tpcmpeqb %%xmm10, %%xmm10\n\tpcmpeqb %%xmm11, %%xmm11\n\t"
		"pcmpeqb %%xmm12, %%xmm12\n\tpcmpeqb %%xmm13, %%xmm13\n\tpcmpeqb %%xmm14, %%xmm14\n\t"
		"pcmpeqb %%xmm15, %%xmm15\n\t"
		"mov $-1, %%rax\n\tmov %%rax, %%rcx\n\tmov %%rax, %%rdx\n\tmov %%rax, %%rsi\n\t"
		"mov %%rax, %%rdi\n\tmov %%rax, %%r8\n\tmov %%rax, %%r9\n\tmov %%rax, %%r10\n\t"
		"mov %%rax, %%r11\n\t"
		"fldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\t"
		"fstp %%st(0)\n\tfstp %%st(0)\n\tfstp %%st(0)\n\tfstp %%st(0)\n\t"
		"fstp %%st(0)\n\tfstp %%st(0)\n\tfstp %%st(0)\n\tfstp %%st(0)\n\t"
		"ldmxcsr %[mx]\n\tfldcw %[cw]\n\t"
		:
		: [mx] "m"(odd_mxcsr), [cw] "m"(odd_fcw)
		: "xmm0", "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9",
		  "xmm10", "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "rax", "rcx", "rdx", "rsi",
		  "rdi", "r8", "r9", "r10", "r11", "memory", "cc");
	hits[sig]++;
}

static unsigned char xmm_pattern[256] __attribute__((aligned(16)));

#define XLOAD(i) "movdqa " #i "*16+%[p], %%xmm" #i "\n\t"
#define XCHECK(i)                                                                \
	"pcmpeqb " #i "*16+%[p], %%xmm" #i "\n\tpmovmskb %%xmm" #i ", %%ecx\n\t" \
	"xor $0xffff, %%ecx\n\tor %%rcx, %%r11\n\t"
#define GCHECK(reg, k) "movabs $" k ", %%rcx\n\txor %%rcx, %%" reg "\n\tor %%" reg ", %%r11\n\t"

struct regs_result {
	unsigned long bad; /* OR of the differences: 0 when all registers came back */
	unsigned long rflags_after;
	double x87_one, x87_pi;
	long rdi, rsi;
};

/*
 * kill(getpid(), sig) as a raw syscall with known values in rbx, rdx, r8-r10,
 * r12-r15, xmm0-15 and the x87 stack, and the direction flag set; checks
 * them all after the call (the handler runs in between).
 */
__attribute__((noinline)) static void kill_self_checking_registers(int sig, struct regs_result *r)
{
	long pid = getpid(), s = sig;
	unsigned long bad, fl;
	double one, pi;

	for (int i = 0; i < 256; i++)
		xmm_pattern[i] = (unsigned char)(i * 7 + 3);
	__asm__ volatile(
		XLOAD(0) XLOAD(1) XLOAD(2) XLOAD(3) XLOAD(4) XLOAD(5) XLOAD(6) XLOAD(7) XLOAD(
			8) XLOAD(9) XLOAD(10) XLOAD(11) XLOAD(12) XLOAD(13) XLOAD(14)
			XLOAD(15) "fldpi\n\tfld1\n\t"
				  "movabs $0x1111111111111111, %%rbx\n\t"
				  "movabs $0x2222222222222222, %%rdx\n\t"
				  "movabs $0x8888888888888888, %%r8\n\t"
				  "movabs $0x9999999999999999, %%r9\n\t"
				  "movabs $0xaaaaaaaaaaaaaaaa, %%r10\n\t"
				  "movabs $0xcccccccccccccccc, %%r12\n\t"
				  "movabs $0xdddddddddddddddd, %%r13\n\t"
				  "movabs $0xeeeeeeeeeeeeeeee, %%r14\n\t"
				  "movabs $0x0f0f0f0f0f0f0f0f, %%r15\n\t"
				  "mov $62, %%eax\n\t" /* kill */
				  "std\n\t"
				  "syscall\n\t"
				  "sub $128, %%rsp\n\tpushfq\n\tpop %%rcx\n\tadd $128, %%rsp\n\tcld\n\t"
				  "mov %%rcx, %[fl]\n\t"
				  "mov %%rax, %%r11\n\t" /* kill's result: 0 */
		GCHECK("rbx", "0x1111111111111111") GCHECK("rdx", "0x2222222222222222") GCHECK(
			"r8", "0x8888888888888888") GCHECK("r9", "0x9999999999999999")
			GCHECK("r10", "0xaaaaaaaaaaaaaaaa") GCHECK("r12", "0xcccccccccccccccc")
				GCHECK("r13", "0xdddddddddddddddd") GCHECK("r14",
									   "0xeeeeeeeeeeeeeeee")
					GCHECK("r15", "0x0f0f0f0f0f0f0f0f") XCHECK(0) XCHECK(
						1) XCHECK(2) XCHECK(3) XCHECK(4) XCHECK(5) XCHECK(6)
						XCHECK(7) XCHECK(8) XCHECK(9) XCHECK(10) XCHECK(
							11) XCHECK(12) XCHECK(13) XCHECK(14)
							XCHECK(15) "fstpl %[one]\n\tfstpl %[pi]\n\t"
								   "mov %%r11, %%rax\n\t"
		: "=a"(bad), "+D"(pid), "+S"(s), [fl] "=m"(fl), [one] "=m"(one), [pi] "=m"(pi)
		: [p] "m"(xmm_pattern)
		: "rbx", "rcx", "rdx", "r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "xmm0",
		  "xmm1", "xmm2", "xmm3", "xmm4", "xmm5", "xmm6", "xmm7", "xmm8", "xmm9", "xmm10",
		  "xmm11", "xmm12", "xmm13", "xmm14", "xmm15", "memory", "cc");
	r->bad = bad;
	r->rflags_after = fl;
	r->x87_one = one;
	r->x87_pi = pi;
	r->rdi = pid;
	r->rsi = s;
}

CHILD_CASE(registers_survive_handler)
{
	struct regs_result r;

	set_handler(SIGUSR1, clobber_handler, 0);
	kill_self_checking_registers(SIGUSR1, &r);
	UT_EQ(hits[SIGUSR1], 1);
	UT_EQ(r.bad, 0);
	UT_EQ(r.rdi, getpid());
	UT_EQ(r.rsi, SIGUSR1);
	UT_CHECK(r.x87_one == 1.0);
	UT_CHECK(r.x87_pi == 3.14159265358979323846);
}

/*
 * The same many times while other processes keep the CPUs busy, so that
 * some handlers end with a reschedule on the way back to user mode.
 */
CHILD_CASE(registers_survive_handlers_while_the_cpus_are_busy)
{
	pid_t spinners[4];
	long n = sysconf(_SC_NPROCESSORS_ONLN), bad = 0;
	struct regs_result r;

	for (long i = 0; i < n && i < 4; i++) {
		spinners[i] = fork();
		if (spinners[i] == 0)
			for (;;)
				__asm__ volatile("" ::: "memory");
	}
	set_handler(SIGUSR1, clobber_handler, 0);
	for (int i = 0; i < 3000; i++) {
		kill_self_checking_registers(SIGUSR1, &r);
		bad += r.bad != 0 || r.x87_pi != 3.14159265358979323846;
	}
	for (long i = 0; i < n && i < 4; i++) {
		kill(spinners[i], SIGKILL);
		waitpid(spinners[i], NULL, 0);
	}
	UT_EQ(hits[SIGUSR1], 3000);
	UT_EQ(bad, 0);
}

/* clobber_handler, with a SIGTSTP left pending (blocked by sa_mask) for the sigreturn to unblock. */
static void clobber_then_stop_handler(int sig)
{
	kill(getpid(), SIGTSTP);
	clobber_handler(sig);
}

/*
 * A stop taken on the way out of rt_sigreturn (a signal its mask
 * unblocked): the interrupted code's registers come back, not the
 * handler's (the thread parks before it reaches user mode, with the
 * handler's FPU registers still loaded and the restored state saved).
 */
UT_CASE(registers_survive_a_stop_right_after_sigreturn)
{
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		struct sigaction sa = { .sa_handler = clobber_then_stop_handler };
		struct regs_result r;

		setpgid(0, 0); /* a process group that is not orphaned: the stop is taken */
		sigemptyset(&sa.sa_mask);
		sigaddset(&sa.sa_mask, SIGTSTP);
		sigaction(SIGUSR1, &sa, NULL);
		kill_self_checking_registers(SIGUSR1, &r);
		_exit(r.bad == 0 && r.x87_one == 1.0 && r.x87_pi == 3.14159265358979323846 ? 0 : 8);
	}
	UT_CHECK(pid > 0);
	status = wait_status(pid, WUNTRACED);
	UT_CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTSTP);
	UT_NOERR(kill(pid, SIGCONT));
	status = wait_status(pid, 0);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 0); /* 8: a register came back with the handler's value */
}

CHILD_CASE(direction_flag_clear_in_handler_and_restored)
{
	struct regs_result r;

	set_handler(SIGUSR1, clobber_handler, 0);
	kill_self_checking_registers(SIGUSR1, &r);
	UT_EQ(hits[SIGUSR1], 1);
	UT_EQ(h_rflags & 0x400, 0);	      /* the ABI: DF clear on function entry */
	UT_EQ(r.rflags_after & 0x400, 0x400); /* the interrupted code's DF is back */
}

CHILD_CASE(fpu_controls_fresh_in_handler_and_restored)
{
	const unsigned mx_main = 0x7f80, mx_default = 0x1f80;
	const unsigned short cw_main = 0x0f7f, cw_default = 0x037f;
	unsigned mx_after;
	unsigned short cw_after;

	set_handler(SIGUSR1, clobber_handler, 0);
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mx_main), "m"(cw_main));
	kill(getpid(), SIGUSR1);
	__asm__ volatile("stmxcsr %0\n\tfnstcw %1" : "=m"(mx_after), "=m"(cw_after));
	__asm__ volatile("ldmxcsr %0\n\tfldcw %1" : : "m"(mx_default), "m"(cw_default));
	UT_EQ(hits[SIGUSR1], 1);
	UT_EQ(mx_after, mx_main);
	UT_EQ(cw_after, cw_main);
	/* Linux starts a handler with the initial FPU state. */
	UT_EQ(h_mxcsr, mx_default);
	UT_EQ(h_fcw, cw_default);
}

CHILD_CASE(floating_point_values_survive_handler)
{
	volatile double seed = 0.1;
	double a = seed * 3.0, b = a * a + seed, c = b / 7.0, expect = harmonic(1.5, 100);

	set_handler(SIGUSR1, clobber_handler, 0);
	UT_EQ(kill(getpid(), SIGUSR1), 0);
	UT_EQ(hits[SIGUSR1], 1);
	UT_CHECK(a == seed * 3.0);
	UT_CHECK(b == (seed * 3.0) * (seed * 3.0) + seed);
	UT_CHECK(c == ((seed * 3.0) * (seed * 3.0) + seed) / 7.0);
	UT_CHECK(h_result == expect); /* the handler's own arithmetic worked */
	UT_CHECK(harmonic(1.5, 100) == expect);
}

static volatile int errno_in_handler;

static void errno_handler(int sig)
{
	int saved = errno;

	close(-1);
	errno_in_handler = errno;
	errno = saved;
	hits[sig]++;
}

CHILD_CASE(errno_preserved_by_well_behaved_handler)
{
	set_handler(SIGUSR1, errno_handler, 0);
	errno = ERANGE;
	kill(getpid(), SIGUSR1);
	UT_EQ(errno, ERANGE);
	UT_EQ(hits[SIGUSR1], 1);
	UT_EQ(errno_in_handler, EBADF);
}

/* ============================ masks and pending ============================ */

CHILD_CASE(blocked_signal_pending_until_unblocked)
{
	set_handler(SIGUSR1, count_handler, 0);
	block(SIGUSR1);
	UT_EQ(kill(getpid(), SIGUSR1), 0);
	UT_EQ(hits[SIGUSR1], 0);
	UT_CHECK(is_pending(SIGUSR1));
	UT_CHECK(!is_pending(SIGUSR2));
	unblock(SIGUSR1);
	/* Delivered before sigprocmask returned. */
	UT_EQ(hits[SIGUSR1], 1);
	UT_CHECK(!is_pending(SIGUSR1));
}

static uint64_t sigbit(int sig)
{
	return 1ull << (sig - 1);
}

CHILD_CASE(sigprocmask_ignores_sigkill_and_sigstop)
{
	uint64_t all = ~0ull, cur = 0;

	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_SETMASK, &all, NULL, 8), 0);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
	UT_EQ(cur, ~(sigbit(SIGKILL) | sigbit(SIGSTOP)));
	sigset_t s;
	sigfillset(&s);
	UT_EQ(sigprocmask(SIG_SETMASK, &s, NULL), 0);
	UT_CHECK(!is_blocked(SIGKILL));
	UT_CHECK(!is_blocked(SIGSTOP));
	UT_CHECK(is_blocked(SIGTERM));
}

struct k_sigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

CHILD_CASE(sigkill_and_sigstop_cannot_be_caught_or_ignored)
{
	static const int sigs[] = { SIGKILL, SIGSTOP };
	struct sigaction sa, old;

	for (int i = 0; i < 2; i++) {
		memset(&sa, 0, sizeof(sa));
		sa.sa_handler = count_handler;
		UT_ERRNO(sigaction(sigs[i], &sa, NULL), EINVAL);
		sa.sa_handler = SIG_IGN;
		UT_ERRNO(sigaction(sigs[i], &sa, NULL), EINVAL);
		sa.sa_handler = SIG_DFL;
		UT_ERRNO(sigaction(sigs[i], &sa, NULL), EINVAL);
		struct k_sigaction k = { (void *)count_handler, 0, NULL, 0 }, kold;
		UT_RAW_ERR(ut_raw4(SYS_rt_sigaction, sigs[i], &k, NULL, 8), EINVAL);
		/* Asking is allowed. */
		UT_EQ(sigaction(sigs[i], NULL, &old), 0);
		UT_CHECK(old.sa_handler == SIG_DFL);
		UT_EQ(ut_raw4(SYS_rt_sigaction, sigs[i], NULL, &kold, 8), 0);
		UT_CHECK(kold.handler == NULL);
	}
}

static void block_all_and_kill_self_sigkill(void)
{
	sigset_t s;

	sigfillset(&s);
	sigprocmask(SIG_SETMASK, &s, NULL);
	kill(getpid(), SIGKILL);
	ut_sleep_ms(WAIT_SECONDS * 1000);
}

UT_CASE(blocked_sigkill_still_kills)
{
	expect_death(block_all_and_kill_self_sigkill, SIGKILL);
}

UT_CASE(blocked_sigstop_and_sigcont_still_act)
{
	pid_t pid = UT_NOERR(fork());
	int status;

	if (pid == 0) {
		sigset_t s;
		sigfillset(&s);
		sigprocmask(SIG_SETMASK, &s, NULL);
		kill(getpid(), SIGSTOP);
		_exit(3);
	}
	status = wait_status(pid, WUNTRACED);
	UT_CHECK(WIFSTOPPED(status));
	UT_EQ(WSTOPSIG(status), SIGSTOP);
	/* SIGCONT continues it although it is blocked. */
	UT_EQ(kill(pid, SIGCONT), 0);
	status = wait_status(pid, 0);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 3);
}

CHILD_CASE(sigaction_returns_old_action)
{
	struct sigaction sa, old;

	memset(&sa, 0, sizeof(sa));
	sa.sa_sigaction = info_handler;
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_NODEFER;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	sigaddset(&sa.sa_mask, SIGRTMIN + 1);
	sigaddset(&sa.sa_mask, SIGKILL);
	UT_EQ(sigaction(SIGUSR1, &sa, &old), 0);
	UT_CHECK(old.sa_handler == SIG_DFL);
	memset(&old, 0, sizeof(old));
	UT_EQ(sigaction(SIGUSR1, NULL, &old), 0);
	UT_CHECK(old.sa_sigaction == info_handler);
	UT_EQ(old.sa_flags & (SA_SIGINFO | SA_RESTART | SA_NODEFER | SA_ONSTACK),
	      SA_SIGINFO | SA_RESTART | SA_NODEFER);
	UT_CHECK(sigismember(&old.sa_mask, SIGUSR2));
	UT_CHECK(sigismember(&old.sa_mask, SIGRTMIN + 1));
	UT_CHECK(!sigismember(&old.sa_mask, SIGTERM));
	UT_CHECK(!sigismember(&old.sa_mask, SIGKILL)); /* cannot be blocked, not kept */
	/* Replacing gives the previous one back. */
	UT_CHECK((void *)signal(SIGUSR1, SIG_IGN) == (void *)info_handler);
}

CHILD_CASE(rt_sigprocmask_how_and_errors)
{
	uint64_t set = sigbit(SIGUSR1) | sigbit(SIGUSR2), cur = 0, old = 0;

	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_SETMASK, &set, NULL, 8), 0);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
	UT_EQ(cur, set);
	set = sigbit(SIGUSR2) | sigbit(SIGTERM);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_UNBLOCK, &set, &old, 8), 0);
	UT_EQ(old, sigbit(SIGUSR1) | sigbit(SIGUSR2));
	set = sigbit(SIGHUP);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, &set, &old, 8), 0);
	UT_EQ(old, sigbit(SIGUSR1));
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
	UT_EQ(cur, sigbit(SIGUSR1) | sigbit(SIGHUP));
	UT_RAW_ERR(ut_raw4(SYS_rt_sigprocmask, 7, &set, NULL, 8), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 4), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, &set, NULL, 16), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, 1, NULL, 8), EFAULT);
	UT_RAW_ERR(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, 1, 8), EFAULT);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, NULL, &cur, 8), 0);
	UT_EQ(cur, sigbit(SIGUSR1) | sigbit(SIGHUP));
}

CHILD_CASE(rt_sigaction_errors)
{
	struct k_sigaction k;

	UT_RAW_ERR(ut_raw4(SYS_rt_sigaction, SIGUSR1, NULL, &k, 4), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_rt_sigaction, 0, NULL, &k, 8), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_rt_sigaction, 65, NULL, &k, 8), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_rt_sigaction, -1, NULL, &k, 8), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_rt_sigaction, SIGUSR1, 1, NULL, 8), EFAULT);
	UT_ERRNO(sigaction(0, NULL, NULL), EINVAL);
	UT_ERRNO(sigaction(65, NULL, NULL), EINVAL);
}

/* ============================== sigaction flags ============================== */

static void resethand_body(void)
{
	struct sigaction old;

	set_handler(SIGUSR1, count_handler, SA_RESETHAND);
	UT_EQ(kill(getpid(), SIGUSR1), 0);
	UT_EQ(hits[SIGUSR1], 1);
	UT_EQ(sigaction(SIGUSR1, NULL, &old), 0);
	UT_CHECK(old.sa_handler == SIG_DFL);
	kill(getpid(), SIGUSR1); /* the default action now: death */
}

UT_CASE(sa_resethand_second_delivery_kills)
{
	expect_death(resethand_body, SIGUSR1);
}

static volatile int depth, max_depth, hits_after_nested_kill;

static void nesting_handler(int sig)
{
	depth++;
	if (depth > max_depth)
		max_depth = depth;
	hits[sig]++;
	if (hits[sig] == 1) {
		kill(getpid(), sig);
		hits_after_nested_kill = hits[sig];
	}
	depth--;
}

CHILD_CASE(handler_blocks_its_own_signal)
{
	set_handler(SIGUSR1, nesting_handler, 0);
	kill(getpid(), SIGUSR1);
	UT_EQ(hits[SIGUSR1], 2);	  /* the second ran after the first returned */
	UT_EQ(hits_after_nested_kill, 1); /* not inside it */
	UT_EQ(max_depth, 1);
}

CHILD_CASE(sa_nodefer_allows_reentry)
{
	set_handler(SIGUSR1, nesting_handler, SA_NODEFER);
	kill(getpid(), SIGUSR1);
	UT_EQ(hits[SIGUSR1], 2);
	UT_EQ(hits_after_nested_kill, 2); /* ran inside the first */
	UT_EQ(max_depth, 2);
}

static volatile int usr2_hits_inside, usr1_blocked_inside, usr2_blocked_inside;

static void sa_mask_handler(int sig)
{
	sigset_t m;

	sigprocmask(SIG_BLOCK, NULL, &m);
	usr1_blocked_inside = sigismember(&m, SIGUSR1);
	usr2_blocked_inside = sigismember(&m, SIGUSR2);
	kill(getpid(), SIGUSR2);
	usr2_hits_inside = hits[SIGUSR2];
	hits[sig]++;
}

CHILD_CASE(sa_mask_applied_during_handler_and_restored)
{
	struct sigaction sa;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = sa_mask_handler;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	UT_EQ(sigaction(SIGUSR1, &sa, NULL), 0);
	set_handler(SIGUSR2, count_handler, 0);
	kill(getpid(), SIGUSR1);
	UT_EQ(hits[SIGUSR1], 1);
	UT_EQ(usr1_blocked_inside, 1);
	UT_EQ(usr2_blocked_inside, 1);
	UT_EQ(usr2_hits_inside, 0); /* held back while the handler ran */
	UT_EQ(hits[SIGUSR2], 1);    /* delivered when it returned */
	UT_CHECK(!is_blocked(SIGUSR1));
	UT_CHECK(!is_blocked(SIGUSR2));
}

static void mask_changing_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)si;
	sigaddset(&uc->uc_sigmask, SIGUSR2);
	hits[sig]++;
}

CHILD_CASE(handler_changes_mask_through_ucontext)
{
	set_action(SIGUSR1, mask_changing_handler, 0, NULL);
	kill(getpid(), SIGUSR1);
	UT_EQ(hits[SIGUSR1], 1);
	UT_CHECK(is_blocked(SIGUSR2)); /* sigreturn installed the context's mask */
	UT_CHECK(!is_blocked(SIGUSR1));
}

static void rip_changing_handler(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;

	(void)si;
	uc->uc_mcontext.gregs[REG_RIP] += 2; /* past the ud2 */
	uc->uc_mcontext.gregs[REG_RAX] = 42;
	hits[sig]++;
}

CHILD_CASE(handler_changes_registers_through_ucontext)
{
	long v;

	set_action(SIGILL, rip_changing_handler, 0, NULL);
	__asm__ volatile("mov $1, %%eax\n\tud2" : "=a"(v));
	UT_EQ(hits[SIGILL], 1);
	UT_EQ(v, 42);
}

/* ============================== default actions ============================== */

UT_CASE(sigterm_default_kills)
{
	pid_t pid = UT_NOERR(fork());
	int status;

	if (pid == 0) {
		ut_sleep_ms(WAIT_SECONDS * 1000);
		_exit(0);
	}
	UT_EQ(kill(pid, SIGTERM), 0);
	status = wait_status(pid, 0);
	UT_CHECK(WIFSIGNALED(status));
	UT_EQ(WTERMSIG(status), SIGTERM);
}

static void default_action_deaths(const int *sigs, int n)
{
	for (int i = 0; i < n; i++) {
		pid_t pid = UT_NOERR(fork());
		int status;
		if (pid == 0) {
			struct rlimit no_core = { 0, 0 };
			setrlimit(RLIMIT_CORE, &no_core);
			kill(getpid(), sigs[i]);
			_exit(0);
		}
		status = wait_status(pid, 0);
		if (!WIFSIGNALED(status) || WTERMSIG(status) != sigs[i])
			ut_fail(__FILE__, __LINE__, "signal %d: the child %s", sigs[i],
				describe(status));
	}
}

UT_CASE(default_action_terminates)
{
	const int sigs[] = { SIGHUP,	SIGINT,	 SIGUSR1,   SIGUSR2,	  SIGPIPE,
			     SIGALRM,	SIGTERM, SIGSTKFLT, SIGIO,	  SIGPROF,
			     SIGVTALRM, SIGPWR,	 SIGRTMIN,  SIGRTMIN + 5, SIGRTMAX };

	default_action_deaths(sigs, sizeof(sigs) / sizeof(sigs[0]));
}

UT_CASE(default_action_core_terminates)
{
	const int sigs[] = { SIGQUIT, SIGILL,  SIGTRAP, SIGABRT, SIGBUS,
			     SIGFPE,  SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS };

	default_action_deaths(sigs, sizeof(sigs) / sizeof(sigs[0]));
}

CHILD_CASE(sigchld_sigurg_sigwinch_ignored_by_default)
{
	const int sigs[] = { SIGCHLD, SIGURG, SIGWINCH, SIGCONT };

	for (int i = 0; i < 4; i++) {
		UT_EQ(kill(getpid(), sigs[i]), 0);
		UT_CHECK(!is_pending(sigs[i]));
	}
}

CHILD_CASE(sig_ign_discards)
{
	UT_CHECK(signal(SIGUSR1, SIG_IGN) == SIG_DFL);
	UT_CHECK(signal(SIGTERM, SIG_IGN) == SIG_DFL);
	UT_CHECK(signal(SIGRTMIN, SIG_IGN) == SIG_DFL);
	UT_EQ(kill(getpid(), SIGUSR1), 0);
	UT_EQ(kill(getpid(), SIGTERM), 0);
	UT_EQ(kill(getpid(), SIGRTMIN), 0);
	UT_CHECK(!is_pending(SIGUSR1));
	UT_CHECK(!is_pending(SIGTERM));
	UT_CHECK(!is_pending(SIGRTMIN));
}

CHILD_CASE(sig_ign_discards_pending_signal)
{
	set_handler(SIGUSR1, count_handler, 0);
	block(SIGUSR1);
	kill(getpid(), SIGUSR1);
	UT_CHECK(is_pending(SIGUSR1));
	signal(SIGUSR1, SIG_IGN);
	UT_CHECK(!is_pending(SIGUSR1)); /* POSIX: discarded, blocked or not */
	set_handler(SIGUSR1, count_handler, 0);
	unblock(SIGUSR1);
	UT_EQ(hits[SIGUSR1], 0);
}

CHILD_CASE(fork_inherits_handlers_and_mask_not_pending)
{
	set_handler(SIGUSR1, count_handler, 0);
	block(SIGUSR2);
	block(SIGUSR1);
	kill(getpid(), SIGUSR1);
	pid_t pid = UT_NOERR(fork());
	if (pid == 0) {
		struct sigaction old;
		UT_CHECK(!is_pending(SIGUSR1)); /* a child starts with nothing pending */
		UT_CHECK(is_blocked(SIGUSR1));
		UT_CHECK(is_blocked(SIGUSR2));
		UT_EQ(sigaction(SIGUSR1, NULL, &old), 0);
		UT_CHECK(old.sa_handler == count_handler);
		unblock(SIGUSR1);
		UT_EQ(hits[SIGUSR1], 0);
		kill(getpid(), SIGUSR1);
		UT_EQ(hits[SIGUSR1], 1);
		_exit(0);
	}
	UT_EQ(wait_status(pid, 0), 0);
	UT_CHECK(is_pending(SIGUSR1));
}

/* ============================== stop and continue ============================== */

CHILD_CASE(stop_and_continue_child)
{
	int status;
	long c1;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		uint64_t end = ut_now_ns() + WAIT_SECONDS * 1000000000ull;
		set_handler(SIGCONT, count_handler, 0);
		sh->ready = 1;
		while (!sh->go && ut_now_ns() < end) {
			sh->counter++;
			sched_yield();
		}
		_exit(hits[SIGCONT] == 1 ? 5 : 6);
	}
	UT_CHECK(UT_POLL(sh->ready, WAIT_SECONDS));
	UT_EQ(kill(pid, SIGSTOP), 0);
	status = wait_status(pid, WUNTRACED);
	UT_CHECK(WIFSTOPPED(status));
	UT_EQ(WSTOPSIG(status), SIGSTOP);
	UT_EQ(waitpid(pid, &status, WUNTRACED | WNOHANG), 0); /* reported once */
	c1 = sh->counter;
	ut_sleep_ms(50);
	UT_EQ(sh->counter, c1); /* a stopped process does not run */
	UT_EQ(kill(pid, SIGCONT), 0);
	status = wait_status(pid, WCONTINUED);
	UT_CHECK(WIFCONTINUED(status));
	UT_CHECK(UT_POLL(sh->counter != c1, WAIT_SECONDS)); /* it runs again */
	sh->go = 1;
	status = wait_status(pid, 0);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 5); /* and its SIGCONT handler ran once */
}

CHILD_CASE(sigkill_kills_stopped_child)
{
	int status;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		kill(getpid(), SIGSTOP);
		_exit(0);
	}
	status = wait_status(pid, WUNTRACED);
	UT_CHECK(WIFSTOPPED(status));
	UT_EQ(kill(pid, SIGKILL), 0);
	status = wait_status(pid, 0);
	UT_CHECK(WIFSIGNALED(status));
	UT_EQ(WTERMSIG(status), SIGKILL);
}

/* ============================== interrupted calls ============================== */

CHILD_CASE(pause_interrupted_by_alarm)
{
	uint64_t t0;

	set_handler(SIGALRM, count_handler, 0);
	t0 = ut_now_ns();
	UT_EQ(alarm(1), 0);
	UT_ERRNO(pause(), EINTR);
	UT_EQ(hits[SIGALRM], 1);
	UT_CHECK(ut_now_ns() - t0 >= 900000000ull);
}

static void nanosleep_interrupted(int flags)
{
	struct timespec req = { 10, 0 }, rem = { -1, -1 };
	uint64_t t0;

	set_handler(SIGALRM, count_handler, flags);
	t0 = ut_now_ns();
	alarm(1);
	UT_ERRNO(nanosleep(&req, &rem), EINTR);
	UT_EQ(hits[SIGALRM], 1);
	UT_CHECK(ut_now_ns() - t0 >= 900000000ull);
	UT_CHECK(rem.tv_sec >= 0 && rem.tv_nsec >= 0 && rem.tv_nsec < 1000000000);
	UT_CHECK(ts_ns(&rem) <= ts_ns(&req));
	UT_CHECK(ts_ns(&rem) > 0);
	/* At least 0.9 s went by: the remaining time says so too (with slack). */
	UT_CHECK(ts_ns(&rem) <= ts_ns(&req) - 500000000ull);
}

CHILD_CASE(nanosleep_interrupted_gives_remaining_time)
{
	nanosleep_interrupted(0);
}

CHILD_CASE(nanosleep_not_restarted_even_with_sa_restart)
{
	nanosleep_interrupted(SA_RESTART);
}

CHILD_CASE(wait4_interrupted_without_sa_restart)
{
	int status;
	pid_t pid;

	set_handler(SIGALRM, count_handler, 0);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_POLL(sh->go, WAIT_SECONDS);
		_exit(3);
	}
	alarm(1);
	UT_ERRNO(wait4(pid, &status, 0, NULL), EINTR);
	UT_EQ(hits[SIGALRM], 1);
	sh->go = 1;
	status = wait_status(pid, 0);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 3);
}

static void alarm_releases_child(int sig)
{
	hits[sig]++;
	sh->go = 1;
}

CHILD_CASE(wait4_restarted_with_sa_restart)
{
	int status = 0;
	pid_t pid;

	set_handler(SIGALRM, alarm_releases_child, SA_RESTART);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		/* Exits only after the handler ran in the parent. */
		_exit(UT_POLL(sh->go, WAIT_SECONDS) ? 3 : 4);
	}
	alarm(1);
	UT_EQ(wait4(pid, &status, 0, NULL), pid);
	UT_EQ(hits[SIGALRM], 1);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 3);
}

/* ================================ sigsuspend ================================ */

CHILD_CASE(sigsuspend_runs_handler_and_restores_mask)
{
	sigset_t empty;

	set_action(SIGUSR1, info_handler, 0, NULL);
	block(SIGUSR1);
	block(SIGUSR2);
	kill(getpid(), SIGUSR1);
	UT_EQ(hits[SIGUSR1], 0);
	sigemptyset(&empty);
	UT_ERRNO(sigsuspend(&empty), EINTR);
	UT_EQ(hits[SIGUSR1], 1);
	UT_CHECK(sigismember(&handler_mask, SIGUSR1));
	UT_CHECK(
		!sigismember(&handler_mask, SIGUSR2)); /* the handler ran under sigsuspend's mask */
	UT_CHECK(is_blocked(SIGUSR1));		       /* the old mask is back */
	UT_CHECK(is_blocked(SIGUSR2));
	UT_CHECK(!is_pending(SIGUSR1));
}

CHILD_CASE(sigsuspend_waits_for_signal_from_other_process)
{
	sigset_t empty;
	pid_t pid;

	set_action(SIGUSR1, info_handler, 0, NULL);
	block(SIGUSR1);
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
	sigemptyset(&empty);
	UT_ERRNO(sigsuspend(&empty), EINTR);
	UT_EQ(hits[SIGUSR1], 1);
	UT_EQ(last_info.si_pid, pid);
	UT_EQ(last_info.si_code, SI_USER);
	UT_EQ(wait_status(pid, 0), 0);
}

/* ========================= sigtimedwait and sigqueue ========================= */

CHILD_CASE(sigtimedwait_and_sigwaitinfo_take_pending_signal)
{
	struct timespec ts = { 5, 0 };
	sigset_t set;
	siginfo_t si;
	int sig = 0;

	set_handler(SIGUSR1, count_handler, 0);
	set_handler(SIGUSR2, count_handler, 0);
	block(SIGUSR1);
	block(SIGUSR2);
	kill(getpid(), SIGUSR1);
	set = set_of(SIGUSR1);
	memset(&si, 0, sizeof(si));
	UT_EQ(sigtimedwait(&set, &si, &ts), SIGUSR1);
	UT_EQ(si.si_signo, SIGUSR1);
	UT_EQ(si.si_code, SI_USER);
	UT_EQ(si.si_pid, getpid());
	UT_EQ(si.si_uid, getuid());
	UT_CHECK(!is_pending(SIGUSR1)); /* taken, */
	UT_EQ(hits[SIGUSR1], 0);	/* not handled */

	kill(getpid(), SIGUSR2);
	set = set_of(SIGUSR2);
	memset(&si, 0, sizeof(si));
	UT_EQ(sigwaitinfo(&set, &si), SIGUSR2);
	UT_EQ(si.si_signo, SIGUSR2);
	UT_EQ(si.si_pid, getpid());

	kill(getpid(), SIGUSR2);
	UT_EQ(sigwait(&set, &sig), 0);
	UT_EQ(sig, SIGUSR2);
	UT_EQ(hits[SIGUSR2], 0);
	UT_CHECK(!is_pending(SIGUSR2));
}

CHILD_CASE(sigtimedwait_timeout_gives_eagain)
{
	struct timespec ts = { 0, 10000000 }, zero = { 0, 0 };
	sigset_t set = set_of(SIGUSR1);
	siginfo_t si;
	uint64_t t0;

	block(SIGUSR1);
	t0 = ut_now_ns();
	UT_ERRNO(sigtimedwait(&set, &si, &ts), EAGAIN);
	UT_CHECK(ut_now_ns() - t0 >= 9000000);
	UT_ERRNO(sigtimedwait(&set, &si, &zero), EAGAIN);
	ts.tv_nsec = 1000000000;
	UT_ERRNO(sigtimedwait(&set, &si, &ts), EINVAL);
}

/*
 * trinity's main loop (it stalled after 46 calls): SIGCHLD blocked and left
 * at SIG_DFL, which ignores it, then sigtimedwait for it. A blocked signal
 * is never thrown away at generation, ignored or not (Linux's rule): the
 * children's SIGCHLDs were, and the parent waited for them forever.
 */
CHILD_CASE(blocked_ignored_sigchld_reaches_sigtimedwait)
{
	struct timespec ts = { WAIT_SECONDS, 0 };
	sigset_t set = set_of(SIGCHLD);
	siginfo_t si;

	block(SIGCHLD);
	for (int round = 0; round < 20; round++) {
		pid_t pid = UT_NOERR(fork());

		if (pid == 0) {
			if (round & 1)
				ut_sleep_ms(5); /* half exit while the parent already waits */
			_exit(round);
		}
		memset(&si, 0, sizeof(si));
		UT_EQ(sigtimedwait(&set, &si, &ts), SIGCHLD);
		UT_EQ(si.si_pid, pid);
		UT_EQ(si.si_code, CLD_EXITED);
		UT_EQ(si.si_status, round);
		UT_EQ(wait_status(pid, WNOHANG), round << 8);
	}
	signal(SIGCHLD, SIG_IGN); /* even explicitly ignored: blocked, so kept */
	kill(getpid(), SIGCHLD);
	UT_CHECK(is_pending(SIGCHLD));
	UT_EQ(sigtimedwait(&set, &si, &ts), SIGCHLD);
	signal(SIGCHLD, SIG_DFL);
	unblock(SIGCHLD);
	kill(getpid(), SIGCHLD); /* unblocked and ignored: gone at once */
	UT_CHECK(!is_pending(SIGCHLD));
}

/*
 * A signal sigtimedwait waits for, sent at any moment of the call (before
 * it looks, between its look and its park, while it is parked), is what
 * the call returns: never delivered to the handler, never lost to the
 * timeout. A lost one shows as EAGAIN after WAIT_SECONDS.
 */
CHILD_CASE(sigtimedwait_never_loses_a_racing_signal)
{
	struct timespec ts = { WAIT_SECONDS, 0 };
	sigset_t set = set_of(SIGUSR1);
	pid_t parent = getpid();

	set_handler(SIGUSR1, count_handler, 0);
	block(SIGUSR1);
	for (int round = 0; round < 200; round++) {
		pid_t pid = UT_NOERR(fork());

		if (pid == 0) {
			for (int spin = 0; spin < round * 50; spin++)
				__asm__ volatile("" ::: "memory");
			_exit(kill(parent, SIGUSR1) == 0 ? 0 : 1);
		}
		UT_EQ(sigtimedwait(&set, NULL, &ts), SIGUSR1);
		UT_EQ(wait_status(pid, 0), 0);
	}
	UT_EQ(hits[SIGUSR1], 0);
	/* After a timed-out wait the set no longer applies: a blocked signal stays pending. */
	ts.tv_sec = 0;
	ts.tv_nsec = 1000000;
	UT_ERRNO(sigtimedwait(&set, NULL, &ts), EAGAIN);
	kill(getpid(), SIGUSR1);
	UT_CHECK(is_pending(SIGUSR1));
	UT_EQ(hits[SIGUSR1], 0);
}

CHILD_CASE(siginfo_from_other_process)
{
	struct timespec ts = { WAIT_SECONDS, 0 };
	sigset_t set = set_of(SIGUSR1);
	siginfo_t si;
	pid_t pid;

	block(SIGUSR1);
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(kill(getppid(), SIGUSR1) == 0 ? 0 : 1);
	memset(&si, 0, sizeof(si));
	UT_EQ(sigtimedwait(&set, &si, &ts), SIGUSR1);
	UT_EQ(si.si_pid, pid);
	UT_EQ(si.si_uid, getuid());
	UT_EQ(si.si_code, SI_USER);
	UT_EQ(wait_status(pid, 0), 0);
}

CHILD_CASE(tgkill_gives_si_tkill)
{
	struct timespec ts = { 5, 0 };
	sigset_t set = set_of(SIGUSR1);
	siginfo_t si;

	block(SIGUSR1);
	UT_EQ(syscall(SYS_tgkill, getpid(), gettid(), SIGUSR1), 0);
	memset(&si, 0, sizeof(si));
	UT_EQ(sigtimedwait(&set, &si, &ts), SIGUSR1);
	UT_EQ(si.si_code, SI_TKILL);
	UT_EQ(si.si_pid, getpid());
}

CHILD_CASE(sigqueue_values_in_order)
{
	struct timespec zero = { 0, 0 };
	sigset_t set;
	siginfo_t si;
	union sigval v;

	block(SIGRTMIN);
	block(SIGRTMIN + 1);
	v.sival_int = 10;
	UT_NOERR(sigqueue(getpid(), SIGRTMIN + 1, v));
	for (int i = 1; i <= 3; i++) {
		v.sival_int = i;
		UT_NOERR(sigqueue(getpid(), SIGRTMIN, v));
	}
	sigemptyset(&set);
	sigaddset(&set, SIGRTMIN);
	sigaddset(&set, SIGRTMIN + 1);
	/* The lowest-numbered signal first, each in the order it was sent. */
	for (int i = 1; i <= 3; i++) {
		memset(&si, 0, sizeof(si));
		UT_EQ(sigwaitinfo(&set, &si), SIGRTMIN);
		UT_EQ(si.si_code, SI_QUEUE);
		UT_EQ(si.si_pid, getpid());
		UT_EQ(si.si_value.sival_int, i);
	}
	memset(&si, 0, sizeof(si));
	UT_EQ(sigwaitinfo(&set, &si), SIGRTMIN + 1);
	UT_EQ(si.si_value.sival_int, 10);
	UT_ERRNO(sigtimedwait(&set, &si, &zero), EAGAIN);
}

/* ============================ real-time queueing ============================ */

CHILD_CASE(rt_signal_queued_three_times)
{
	set_handler(SIGRTMIN, count_handler, 0);
	block(SIGRTMIN);
	for (int i = 0; i < 3; i++)
		UT_EQ(kill(getpid(), SIGRTMIN), 0);
	UT_CHECK(is_pending(SIGRTMIN));
	UT_EQ(hits[SIGRTMIN], 0);
	unblock(SIGRTMIN);
	UT_EQ(hits[SIGRTMIN], 3);
	UT_CHECK(!is_pending(SIGRTMIN));
}

CHILD_CASE(standard_signals_coalesce)
{
	set_handler(SIGUSR1, count_handler, 0);
	block(SIGUSR1);
	for (int i = 0; i < 3; i++)
		UT_EQ(kill(getpid(), SIGUSR1), 0);
	unblock(SIGUSR1);
	UT_EQ(hits[SIGUSR1], 1);
}

CHILD_CASE(pending_signals_delivered_lowest_first)
{
	const int sigs[] = { SIGUSR1, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2, 0 };
	const int sent[] = { SIGRTMIN + 2, SIGRTMIN + 1, SIGRTMIN, SIGRTMIN + 2, SIGUSR1 };
	const int want[] = { SIGUSR1, SIGRTMIN, SIGRTMIN + 1, SIGRTMIN + 2, SIGRTMIN + 2 };
	sigset_t all, old;
	struct sigaction sa;

	/* Each handler blocks the others: one runs at a time, in delivery order. */
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = count_handler;
	sigemptyset(&sa.sa_mask);
	for (int i = 0; sigs[i]; i++)
		sigaddset(&sa.sa_mask, sigs[i]);
	sigemptyset(&all);
	for (int i = 0; sigs[i]; i++) {
		UT_EQ(sigaction(sigs[i], &sa, NULL), 0);
		sigaddset(&all, sigs[i]);
	}
	UT_EQ(sigprocmask(SIG_BLOCK, &all, &old), 0);
	for (int i = 0; i < 5; i++)
		UT_EQ(kill(getpid(), sent[i]), 0);
	UT_EQ(norder, 0);
	UT_EQ(sigprocmask(SIG_SETMASK, &old, NULL), 0);
	UT_EQ(norder, 5);
	for (int i = 0; i < 5; i++)
		UT_EQ(order[i], want[i]);
}

/* ============================== alternate stack ============================== */

enum {
	ALT_SIZE = 65536
};

static volatile int alt_flags, alt_eperm, alt_eperm_disable;

static void alt_handler(int sig)
{
	volatile char local = 0;
	stack_t cur, other = { .ss_sp = (void *)4096, .ss_size = ALT_SIZE, .ss_flags = 0 };
	stack_t off = { .ss_flags = SS_DISABLE };

	handler_local = (uintptr_t)&local;
	alt_flags = sigaltstack(NULL, &cur) == 0 ? cur.ss_flags : -1;
	alt_eperm = ut_raw2(SYS_sigaltstack, &other, NULL);
	alt_eperm_disable = ut_raw2(SYS_sigaltstack, &off, NULL);
	hits[sig]++;
}

static char *new_alt_stack(void)
{
	char *alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			 0);
	stack_t ss = { .ss_sp = alt, .ss_size = ALT_SIZE, .ss_flags = 0 }, old;

	UT_CHECK(alt != MAP_FAILED);
	memset(&old, 0, sizeof(old));
	UT_EQ(sigaltstack(&ss, &old), 0);
	UT_EQ(old.ss_flags, SS_DISABLE); /* none at first */
	return alt;
}

CHILD_CASE(sigaltstack_handler_runs_on_it)
{
	char *alt = new_alt_stack();
	stack_t cur;

	set_handler(SIGUSR1, alt_handler, SA_ONSTACK);
	kill(getpid(), SIGUSR1);
	UT_EQ(hits[SIGUSR1], 1);
	UT_CHECK(handler_local >= (uintptr_t)alt && handler_local < (uintptr_t)alt + ALT_SIZE);
	UT_EQ(alt_flags & SS_ONSTACK, SS_ONSTACK);
	UT_EQ(sigaltstack(NULL, &cur), 0);
	UT_EQ(cur.ss_flags, 0); /* not on it any more */
	UT_CHECK(cur.ss_sp == alt);
	UT_EQ(cur.ss_size, ALT_SIZE);
}

CHILD_CASE(sigaltstack_eperm_while_on_it)
{
	char *alt = new_alt_stack();
	stack_t cur;

	set_handler(SIGUSR1, alt_handler, SA_ONSTACK);
	kill(getpid(), SIGUSR1);
	UT_EQ(hits[SIGUSR1], 1);
	UT_RAW_ERR(alt_eperm, EPERM);
	UT_RAW_ERR(alt_eperm_disable, EPERM);
	UT_EQ(sigaltstack(NULL, &cur), 0);
	UT_CHECK(cur.ss_sp == alt); /* unchanged */
}

CHILD_CASE(sigaltstack_not_used_without_sa_onstack)
{
	char *alt = new_alt_stack();

	set_handler(SIGUSR1, alt_handler, 0);
	kill(getpid(), SIGUSR1);
	UT_EQ(hits[SIGUSR1], 1);
	UT_CHECK(handler_local < (uintptr_t)alt || handler_local >= (uintptr_t)alt + ALT_SIZE);
	UT_EQ(alt_flags, 0);
}

CHILD_CASE(sigaltstack_errors)
{
	static char buf[ALT_SIZE];
	stack_t small = { .ss_sp = buf, .ss_size = 1024, .ss_flags = 0 };
	stack_t bad_flags = { .ss_sp = buf, .ss_size = sizeof(buf), .ss_flags = 0x1234 };
	stack_t off = { .ss_flags = SS_DISABLE }, cur;

	UT_RAW_ERR(ut_raw2(SYS_sigaltstack, &small, NULL), ENOMEM);
	small.ss_size = MINSIGSTKSZ - 1;
	UT_RAW_ERR(ut_raw2(SYS_sigaltstack, &small, NULL), ENOMEM);
	UT_RAW_ERR(ut_raw2(SYS_sigaltstack, &bad_flags, NULL), EINVAL);
	UT_RAW_ERR(ut_raw2(SYS_sigaltstack, 1, NULL), EFAULT);
	UT_EQ(ut_raw2(SYS_sigaltstack, NULL, &cur), 0);
	UT_EQ(cur.ss_flags, SS_DISABLE); /* nothing was installed */
	small.ss_size = sizeof(buf);
	UT_EQ(ut_raw2(SYS_sigaltstack, &small, NULL), 0);
	UT_EQ(ut_raw2(SYS_sigaltstack, &off, &cur), 0);
	UT_CHECK(cur.ss_sp == buf && cur.ss_flags == 0);
	UT_EQ(ut_raw2(SYS_sigaltstack, NULL, &cur), 0);
	UT_EQ(cur.ss_flags, SS_DISABLE);
}

struct overflow {
	char *alt;
	volatile int result;
};
static sigjmp_buf overflow_jb;

static void overflow_handler(int sig, siginfo_t *si, void *uc)
{
	volatile char local = 0;

	(void)si;
	(void)uc;
	handler_local = (uintptr_t)&local;
	hits[sig]++;
	siglongjmp(overflow_jb, 1);
}

__attribute__((noinline)) static int recurse(int n)
{
	volatile char buf[512];

	buf[0] = (char)n;
	if (n > 100000000)
		return 0;
	return recurse(n + 1) + buf[0];
}

static void *overflow_thread(void *arg)
{
	struct overflow *o = arg;
	stack_t ss = { .ss_sp = o->alt, .ss_size = ALT_SIZE, .ss_flags = 0 };

	if (sigaltstack(&ss, NULL) != 0) {
		o->result = -1;
		return NULL;
	}
	if (sigsetjmp(overflow_jb, 1) == 0) {
		recurse(0);
		o->result = -2;
		return NULL;
	}
	o->result = 1;
	return NULL;
}

CHILD_CASE(stack_overflow_caught_on_alternate_stack)
{
	struct overflow o = { .result = 0 };
	pthread_attr_t attr;
	pthread_t th;

	o.alt = mmap(NULL, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(o.alt != MAP_FAILED);
	set_action(SIGSEGV, overflow_handler, SA_ONSTACK, NULL);
	UT_EQ(pthread_attr_init(&attr), 0);
	UT_EQ(pthread_attr_setstacksize(&attr, 128 * 1024), 0);
	UT_EQ(pthread_create(&th, &attr, overflow_thread, &o), 0);
	UT_EQ(pthread_join(th, NULL), 0);
	UT_EQ(o.result, 1);
	UT_EQ(hits[SIGSEGV], 1);
	UT_CHECK(handler_local >= (uintptr_t)o.alt && handler_local < (uintptr_t)o.alt + ALT_SIZE);
}

/* ================================== faults ================================== */

static sigjmp_buf fault_jb;
static volatile uintptr_t fault_ip;

static void fault_handler(int sig, siginfo_t *si, void *uc)
{
	info_handler(sig, si, uc);
	siglongjmp(fault_jb, 1);
}

CHILD_CASE(sigsegv_handler_catches_write_and_siglongjmps)
{
	char *page = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *target = page + 100;

	UT_CHECK(page != MAP_FAILED);
	set_action(SIGSEGV, fault_handler, 0, NULL);
	if (sigsetjmp(fault_jb, 1) == 0) {
		*target = 1;
		UT_CHECK(!"the write did not fault");
	}
	UT_EQ(hits[SIGSEGV], 1);
	UT_EQ(last_info.si_signo, SIGSEGV);
	UT_EQ(last_info.si_code, SEGV_ACCERR);
	UT_CHECK(last_info.si_addr == (void *)target);
	UT_CHECK(!is_blocked(SIGSEGV)); /* siglongjmp restored the mask */
	/* Caught again: the handler is still installed. */
	if (sigsetjmp(fault_jb, 1) == 0)
		*target = 2;
	UT_EQ(hits[SIGSEGV], 2);
}

CHILD_CASE(sigsegv_unmapped_gives_maperr)
{
	char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	volatile char *target = page + 8;

	UT_CHECK(page != MAP_FAILED);
	UT_EQ(munmap(page, 4096), 0);
	set_action(SIGSEGV, fault_handler, 0, NULL);
	if (sigsetjmp(fault_jb, 1) == 0) {
		(void)*target;
		UT_CHECK(!"the read did not fault");
	}
	UT_EQ(hits[SIGSEGV], 1);
	UT_EQ(last_info.si_code, SEGV_MAPERR);
	UT_CHECK(last_info.si_addr == (void *)target);
}

static void segv_exit_handler(int sig)
{
	(void)sig;
	_exit(5);
}

static void fault_with_sigsegv_blocked(void)
{
	volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	set_handler(SIGSEGV, segv_exit_handler, 0);
	block(SIGSEGV);
	*p = 1;
}

static void fault_with_sigsegv_ignored(void)
{
	volatile char *p = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	signal(SIGSEGV, SIG_IGN);
	*p = 1;
}

UT_CASE(blocked_sigsegv_fault_still_kills)
{
	expect_death(fault_with_sigsegv_blocked, SIGSEGV);
}

UT_CASE(ignored_sigsegv_fault_still_kills)
{
	expect_death(fault_with_sigsegv_ignored, SIGSEGV);
}

CHILD_CASE(sigfpe_divide_by_zero)
{
	volatile int a = 7, b = 0;

	set_action(SIGFPE, fault_handler, 0, NULL);
	if (sigsetjmp(fault_jb, 1) == 0) {
		int x = a, y = b;
		__asm__ volatile("lea 1f(%%rip), %%rcx\n\tmov %%rcx, %[ip]\n\tcltd\n\t"
				 "1: idivl %[y]\n\t"
				 : "+a"(x), [ip] "=m"(fault_ip)
				 : [y] "r"(y)
				 : "rcx", "rdx", "memory", "cc");
		UT_CHECK(!"the division did not fault");
	}
	UT_EQ(hits[SIGFPE], 1);
	UT_EQ(last_info.si_signo, SIGFPE);
	UT_EQ(last_info.si_code, FPE_INTDIV);
	UT_CHECK(last_info.si_addr == (void *)fault_ip);
	UT_EQ(last_rip, fault_ip);
}

CHILD_CASE(sigill_ud2)
{
	set_action(SIGILL, fault_handler, 0, NULL);
	if (sigsetjmp(fault_jb, 1) == 0) {
		__asm__ volatile("lea 1f(%%rip), %%rcx\n\tmov %%rcx, %[ip]\n\t1: ud2"
				 : [ip] "=m"(fault_ip)
				 :
				 : "rcx", "memory");
		UT_CHECK(!"ud2 did not fault");
	}
	UT_EQ(hits[SIGILL], 1);
	UT_EQ(last_info.si_signo, SIGILL);
	UT_EQ(last_info.si_code, ILL_ILLOPN);
	UT_CHECK(last_info.si_addr == (void *)fault_ip);
	UT_EQ(last_rip, fault_ip);
}

/* ============================ signals and threads ============================ */

struct waiter {
	volatile pid_t tid;
	volatile int ready, stop, block_usr1, check;
	volatile int saw_pending, got, code, usr2_blocked, usr1_blocked;
};

static void *waiter_thread(void *arg)
{
	struct waiter *w = arg;
	sigset_t m;

	if (w->block_usr1) {
		m = set_of(SIGUSR1);
		pthread_sigmask(SIG_BLOCK, &m, NULL);
	}
	pthread_sigmask(SIG_BLOCK, NULL, &m);
	w->usr1_blocked = sigismember(&m, SIGUSR1);
	w->usr2_blocked = sigismember(&m, SIGUSR2);
	w->tid = gettid();
	w->ready = 1;
	if (w->block_usr1 && UT_POLL(w->check || w->stop, WAIT_SECONDS) && w->check) {
		struct timespec ts = { 5, 0 };
		siginfo_t si;
		w->saw_pending = is_pending(SIGUSR1);
		m = set_of(SIGUSR1);
		memset(&si, 0, sizeof(si));
		w->got = sigtimedwait(&m, &si, &ts);
		w->code = si.si_code;
	}
	UT_POLL(w->stop, WAIT_SECONDS);
	return NULL;
}

static pthread_t start_waiter(struct waiter *w)
{
	pthread_t th;

	UT_EQ(pthread_create(&th, NULL, waiter_thread, w), 0);
	UT_CHECK(UT_POLL(w->ready, WAIT_SECONDS));
	return th;
}

static void stop_waiter(struct waiter *w, pthread_t th)
{
	w->stop = 1;
	UT_EQ(pthread_join(th, NULL), 0);
}

static void thread_kill_case(int use_tgkill)
{
	struct waiter w = { .tid = 0 };
	pthread_t th;
	int sig = use_tgkill ? SIGUSR1 : SIGUSR2;

	set_action(sig, info_handler, 0, NULL);
	th = start_waiter(&w);
	if (use_tgkill)
		UT_EQ(syscall(SYS_tgkill, getpid(), w.tid, sig), 0);
	else
		UT_EQ(syscall(SYS_tkill, w.tid, sig), 0);
	UT_CHECK(UT_POLL(hits[sig] == 1, WAIT_SECONDS));
	UT_EQ(handler_tid, w.tid);
	UT_CHECK(pthread_equal(handler_thread, th));
	UT_EQ(last_info.si_code, SI_TKILL);
	UT_EQ(last_info.si_pid, getpid());
	stop_waiter(&w, th);
	UT_EQ(hits[sig], 1);
}

CHILD_CASE(tgkill_runs_handler_in_target_thread)
{
	thread_kill_case(1);
}

CHILD_CASE(tkill_runs_handler_in_target_thread)
{
	thread_kill_case(0);
}

CHILD_CASE(process_signal_goes_to_thread_not_blocking_it)
{
	struct waiter w = { .tid = 0 };
	pthread_t th;

	set_action(SIGUSR1, info_handler, 0, NULL);
	th = start_waiter(&w); /* before the block: the thread does not inherit it */
	block(SIGUSR1);
	UT_EQ(kill(getpid(), SIGUSR1), 0);
	UT_CHECK(UT_POLL(hits[SIGUSR1] == 1, WAIT_SECONDS));
	UT_EQ(handler_tid, w.tid);
	UT_CHECK(pthread_equal(handler_thread, th));
	stop_waiter(&w, th);
}

CHILD_CASE(thread_directed_signal_pending_in_that_thread_only)
{
	struct waiter w = { .block_usr1 = 1 };
	pthread_t th;

	set_handler(SIGUSR1, count_handler, 0);
	th = start_waiter(&w);
	UT_EQ(syscall(SYS_tgkill, getpid(), w.tid, SIGUSR1), 0);
	UT_CHECK(!is_pending(SIGUSR1)); /* not ours */
	w.check = 1;
	stop_waiter(&w, th);
	UT_EQ(w.saw_pending, 1);
	UT_EQ(w.got, SIGUSR1);
	UT_EQ(w.code, SI_TKILL);
	UT_EQ(hits[SIGUSR1], 0);
}

CHILD_CASE(thread_inherits_signal_mask)
{
	struct waiter w = { .tid = 0 };
	pthread_t th;

	block(SIGUSR2);
	th = start_waiter(&w);
	stop_waiter(&w, th);
	UT_EQ(w.usr2_blocked, 1);
	UT_EQ(w.usr1_blocked, 0);
}

UT_CASE(kill_errors)
{
	pid_t pid = UT_NOERR(fork());
	int status;

	if (pid == 0)
		_exit(0);
	status = wait_status(pid, 0);
	UT_EQ(status, 0);
	UT_ERRNO(kill(pid, SIGUSR1), ESRCH); /* reaped */
	UT_ERRNO(kill(pid, 0), ESRCH);
	UT_ERRNO(kill(NO_PID, SIGUSR1), ESRCH);
	UT_ERRNO(kill(-NO_PID, SIGUSR1), ESRCH); /* no such group */
	UT_ERRNO(kill(getpid(), 65), EINVAL);
	UT_ERRNO(kill(getpid(), -1), EINVAL);
	UT_ERRNO(kill(getpid(), 1000), EINVAL);
	UT_EQ(kill(getpid(), 0), 0);
}

UT_CASE(tgkill_and_tkill_errors)
{
	UT_ERRNO(syscall(SYS_tgkill, getpid(), NO_PID, SIGUSR1), ESRCH);
	UT_ERRNO(syscall(SYS_tgkill, NO_PID, gettid(), SIGUSR1), ESRCH); /* wrong group */
	UT_ERRNO(syscall(SYS_tgkill, 0, gettid(), SIGUSR1), EINVAL);
	UT_ERRNO(syscall(SYS_tgkill, getpid(), 0, SIGUSR1), EINVAL);
	UT_ERRNO(syscall(SYS_tgkill, getpid(), -1, SIGUSR1), EINVAL);
	UT_ERRNO(syscall(SYS_tgkill, getpid(), gettid(), 65), EINVAL);
	UT_ERRNO(syscall(SYS_tkill, NO_PID, SIGUSR1), ESRCH);
	UT_ERRNO(syscall(SYS_tkill, 0, SIGUSR1), EINVAL);
	UT_ERRNO(syscall(SYS_tkill, -1, SIGUSR1), EINVAL);
	UT_ERRNO(syscall(SYS_tkill, gettid(), 65), EINVAL);
	UT_EQ(syscall(SYS_tgkill, getpid(), gettid(), 0), 0);
	UT_EQ(syscall(SYS_tkill, gettid(), 0), 0);
}

static _Atomic int exiting_tid;

static void *exit_at_once(void *arg)
{
	(void)arg;
	exiting_tid = gettid();
	return NULL;
}

static void count_usr1(int sig)
{
	(void)sig;
}

/*
 * tgkill and tkill at a thread while it exits: each call either signals it
 * or answers ESRCH (the kernel once looked the thread up, let go of the
 * lock that kept it, and then queued on a thread freed meanwhile).
 */
UT_CASE(tgkill_races_thread_exit)
{
	signal(SIGUSR1, count_usr1);
	for (int i = 0; i < 300; i++) {
		pthread_t th;
		long r;
		int tid;

		exiting_tid = 0;
		UT_EQ(pthread_create(&th, NULL, exit_at_once, NULL), 0);
		while (!(tid = exiting_tid))
			;
		do {
			r = (i & 1) ? syscall(SYS_tkill, tid, SIGUSR1)
				    : syscall(SYS_tgkill, getpid(), tid, SIGUSR1);
		} while (r == 0);
		UT_EQ(errno, ESRCH);
		UT_EQ(pthread_join(th, NULL), 0);
	}
	signal(SIGUSR1, SIG_DFL);
}

UT_CASE(kill_sig0_finds_zombie)
{
	pid_t pid = UT_NOERR(fork());
	siginfo_t si;

	if (pid == 0)
		_exit(0);
	/* WNOWAIT: seen exited, left a zombie. */
	UT_CHECK(
		UT_POLL((si.si_pid = 0, waitid(P_PID, pid, &si, WEXITED | WNOWAIT | WNOHANG) == 0 &&
						si.si_pid == pid),
			WAIT_SECONDS));
	UT_EQ(kill(pid, 0), 0);
	UT_EQ(wait_status(pid, 0), 0);
	UT_ERRNO(kill(pid, 0), ESRCH);
}

/* ========================= process groups and sessions ========================= */

CHILD_CASE(setpgid_makes_new_group)
{
	pid_t me = getpid(), sid = getsid(0), pid;

	UT_NE(getpgrp(), me);
	UT_EQ(setpgid(0, 0), 0);
	UT_EQ(getpgrp(), me);
	UT_EQ(getpgid(0), me);
	UT_EQ(getpgid(me), me);
	UT_EQ(getsid(0), sid); /* same session */
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(getpgrp() == me ? 0 : 1); /* a child is in its parent's group */
	UT_EQ(getpgid(pid), me);
	UT_EQ(wait_status(pid, 0), 0);
}

CHILD_CASE(kill_zero_reaches_own_group)
{
	pid_t pid;

	UT_EQ(setpgid(0, 0), 0);
	set_handler(SIGUSR1, count_handler, 0);
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(UT_POLL(hits[SIGUSR1] == 1, WAIT_SECONDS) ? 0 : 1);
	UT_EQ(kill(0, SIGUSR1), 0);
	UT_EQ(hits[SIGUSR1], 1); /* the sender is in the group */
	UT_EQ(wait_status(pid, 0), 0);
}

CHILD_CASE(kill_negative_pgid_reaches_all_members)
{
	pid_t b, c;

	set_handler(SIGUSR1, count_handler, 0);
	b = UT_NOERR(fork());
	if (b == 0) {
		setpgid(0, 0);
		_exit(UT_POLL(hits[SIGUSR1] == 1, WAIT_SECONDS) ? 0 : 1);
	}
	UT_EQ(setpgid(b, b), 0); /* as a shell does: both sides, no race */
	c = UT_NOERR(fork());
	if (c == 0) {
		setpgid(0, b);
		_exit(UT_POLL(hits[SIGUSR1] == 1, WAIT_SECONDS) ? 0 : 1);
	}
	UT_EQ(setpgid(c, b), 0);
	UT_EQ(getpgid(b), b);
	UT_EQ(getpgid(c), b);
	UT_NE(getpgrp(), b);
	UT_EQ(kill(-b, SIGUSR1), 0);
	getppid();
	UT_EQ(hits[SIGUSR1], 0); /* the sender is not in that group */
	UT_EQ(wait_status(b, 0), 0);
	UT_EQ(wait_status(c, 0), 0);
	UT_ERRNO(kill(-b, SIGUSR1), ESRCH); /* the group is gone */
}

CHILD_CASE(setsid_makes_new_session)
{
	pid_t me = getpid(), old_sid = getsid(0);

	UT_NE(getpgrp(), me); /* not a group leader: allowed */
	UT_EQ(setsid(), me);
	UT_EQ(getsid(0), me);
	UT_EQ(getsid(me), me);
	UT_EQ(getpgrp(), me);
	UT_NE(old_sid, me);
	UT_EQ(getsid(getppid()), old_sid); /* the parent stays where it was */
	UT_ERRNO(setsid(), EPERM);	   /* now a group leader */
}

CHILD_CASE(setsid_eperm_for_group_leader)
{
	UT_EQ(setpgid(0, 0), 0);
	UT_ERRNO(setsid(), EPERM);
	UT_NE(getsid(0), getpid());
}

UT_CASE(getsid_and_getpgid)
{
	pid_t sid = getsid(0);

	UT_CHECK(sid > 0);
	UT_EQ(getsid(getpid()), sid);
	UT_EQ(getpgid(0), getpgrp());
	UT_EQ(getpgid(getpid()), getpgrp());
	UT_ERRNO(getsid(NO_PID), ESRCH);
	UT_ERRNO(getpgid(NO_PID), ESRCH);
}

CHILD_CASE(setpgid_errors)
{
	pid_t pid;

	UT_ERRNO(setpgid(0, -1), EINVAL);
	UT_ERRNO(setpgid(NO_PID, 0), ESRCH);
	UT_ERRNO(setpgid(getppid(), 0), ESRCH); /* not ours */
	UT_ERRNO(setpgid(0, NO_PID), EPERM);	/* no such group in our session */
	pid = UT_NOERR(fork());
	if (pid == 0) {
		setsid();
		sh->ready = 1;
		UT_POLL(sh->go, WAIT_SECONDS);
		_exit(0);
	}
	UT_CHECK(UT_POLL(sh->ready, WAIT_SECONDS));
	UT_ERRNO(setpgid(pid, pid), EPERM); /* a session leader */
	UT_ERRNO(setpgid(0, pid), EPERM);   /* a group of another session */
	sh->go = 1;
	UT_EQ(wait_status(pid, 0), 0);
}

/* A zombie keeps its group alive until it is reaped: a pipeline's later stage may still join it. */
CHILD_CASE(setpgid_joins_group_of_zombie)
{
	siginfo_t si;
	pid_t leader, member;

	leader = UT_NOERR(fork());
	if (leader == 0) {
		setpgid(0, 0);
		_exit(0);
	}
	UT_EQ(waitid(P_PID, leader, &si, WEXITED | WNOWAIT), 0); /* a zombie now, not reaped */
	member = UT_NOERR(fork());
	if (member == 0) {
		sh->ready = 1;
		UT_POLL(sh->go, WAIT_SECONDS);
		_exit(0);
	}
	UT_CHECK(UT_POLL(sh->ready, WAIT_SECONDS));
	UT_EQ(setpgid(member, leader), 0);
	UT_EQ(getpgid(member), leader);
	UT_EQ(wait_status(leader, 0), 0); /* reaped: the group lives on in member alone */
	sh->go = 1;
	UT_EQ(wait_status(member, 0), 0);
	UT_ERRNO(setpgid(0, leader), EPERM); /* now it is gone */
}

/* ================================== SIGCHLD ================================== */

static void sigsuspend_once(void)
{
	sigset_t empty;

	sigemptyset(&empty);
	UT_ERRNO(sigsuspend(&empty), EINTR);
}

CHILD_CASE(sigchld_handler_on_child_exit)
{
	pid_t pid;

	set_action(SIGCHLD, info_handler, 0, NULL);
	block(SIGCHLD);
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(7);
	sigsuspend_once();
	UT_EQ(hits[SIGCHLD], 1);
	UT_EQ(last_info.si_signo, SIGCHLD);
	UT_EQ(last_info.si_code, CLD_EXITED);
	UT_EQ(last_info.si_pid, pid);
	UT_EQ(last_info.si_uid, getuid());
	UT_EQ(last_info.si_status, 7);
	UT_EQ(ut_wait(pid), 7);
}

CHILD_CASE(sigchld_info_for_killed_child)
{
	pid_t pid;

	set_action(SIGCHLD, info_handler, 0, NULL);
	block(SIGCHLD);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		ut_sleep_ms(WAIT_SECONDS * 1000);
		_exit(0);
	}
	UT_EQ(kill(pid, SIGKILL), 0);
	sigsuspend_once();
	UT_EQ(hits[SIGCHLD], 1);
	UT_EQ(last_info.si_code, CLD_KILLED);
	UT_EQ(last_info.si_pid, pid);
	UT_EQ(last_info.si_status, SIGKILL);
	UT_EQ(ut_wait(pid), 128 + SIGKILL);
}

CHILD_CASE(sigchld_for_stop_continue_and_exit)
{
	pid_t pid;
	int status;

	set_action(SIGCHLD, info_handler, 0, NULL);
	block(SIGCHLD);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		kill(getpid(), SIGSTOP);
		UT_POLL(sh->go, WAIT_SECONDS);
		_exit(2);
	}
	sigsuspend_once();
	UT_EQ(hits[SIGCHLD], 1);
	UT_EQ(last_info.si_code, CLD_STOPPED);
	UT_EQ(last_info.si_pid, pid);
	UT_EQ(last_info.si_status, SIGSTOP);
	status = wait_status(pid, WUNTRACED);
	UT_CHECK(WIFSTOPPED(status));

	UT_EQ(kill(pid, SIGCONT), 0);
	sigsuspend_once();
	UT_EQ(hits[SIGCHLD], 2);
	UT_EQ(last_info.si_code, CLD_CONTINUED);
	UT_EQ(last_info.si_pid, pid);
	UT_EQ(last_info.si_status, SIGCONT);

	sh->go = 1;
	sigsuspend_once();
	UT_EQ(hits[SIGCHLD], 3);
	UT_EQ(last_info.si_code, CLD_EXITED);
	UT_EQ(last_info.si_status, 2);
	UT_EQ(ut_wait(pid), 2);
}

CHILD_CASE(sa_nocldstop)
{
	pid_t pid;
	int status;

	set_handler(SIGCHLD, count_handler, SA_NOCLDSTOP);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		kill(getpid(), SIGSTOP);
		UT_POLL(sh->go, WAIT_SECONDS);
		_exit(0);
	}
	status = wait_status(pid, WUNTRACED);
	UT_CHECK(WIFSTOPPED(status));
	getppid();
	UT_EQ(hits[SIGCHLD], 0); /* no SIGCHLD for the stop */
	UT_EQ(kill(pid, SIGCONT), 0);
	status = wait_status(pid, WCONTINUED);
	UT_CHECK(WIFCONTINUED(status));
	sh->go = 1;
	UT_EQ(wait_status(pid, 0), 0);
	UT_EQ(hits[SIGCHLD], 1); /* only the exit's */
}

static void children_reaped_automatically(void)
{
	pid_t a, b;

	a = UT_NOERR(fork());
	if (a == 0)
		_exit(0);
	b = UT_NOERR(fork());
	if (b == 0)
		_exit(1);
	/* Returns once both are gone, with no status left to collect. */
	UT_ERRNO(wait4(-1, NULL, 0, NULL), ECHILD);
	UT_ERRNO(kill(a, 0), ESRCH); /* no zombies */
	UT_ERRNO(kill(b, 0), ESRCH);
}

CHILD_CASE(sigchld_ignored_reaps_children)
{
	UT_CHECK(signal(SIGCHLD, SIG_IGN) == SIG_DFL);
	children_reaped_automatically();
}

CHILD_CASE(sa_nocldwait_reaps_children)
{
	set_handler(SIGCHLD, SIG_DFL, SA_NOCLDWAIT);
	children_reaped_automatically();
}

/* ================================== itimers ================================== */

CHILD_CASE(itimer_real_interval_repeats)
{
	struct itimerval it = { { 0, 20000 }, { 0, 20000 } }, old, cur;
	uint64_t t0;
	int h;

	set_handler(SIGALRM, count_handler, 0);
	t0 = ut_now_ns();
	UT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	UT_CHECK(UT_POLL(hits[SIGALRM] >= 3, WAIT_SECONDS));
	UT_CHECK(ut_now_ns() - t0 >= 50000000ull); /* three periods of 20 ms */
	memset(&it, 0, sizeof(it));
	UT_EQ(setitimer(ITIMER_REAL, &it, &old), 0);
	UT_EQ(old.it_interval.tv_sec, 0);
	UT_EQ(old.it_interval.tv_usec, 20000);
	UT_CHECK(tv_us(&old.it_value) <= 20000);
	UT_EQ(getitimer(ITIMER_REAL, &cur), 0);
	UT_EQ(tv_us(&cur.it_value), 0);
	UT_EQ(tv_us(&cur.it_interval), 0);
	h = hits[SIGALRM];
	ut_sleep_ms(60);
	UT_EQ(hits[SIGALRM], h); /* disarmed */
}

CHILD_CASE(getitimer_shows_decreasing_value)
{
	struct itimerval it = { { 3, 0 }, { 10, 0 } }, a, b, old;

	set_handler(SIGALRM, count_handler, 0);
	UT_EQ(getitimer(ITIMER_REAL, &a), 0);
	UT_EQ(tv_us(&a.it_value), 0);
	UT_EQ(setitimer(ITIMER_REAL, &it, NULL), 0);
	UT_EQ(getitimer(ITIMER_REAL, &a), 0);
	UT_CHECK(tv_us(&a.it_value) > 0 && tv_us(&a.it_value) <= 10000000);
	UT_EQ(a.it_interval.tv_sec, 3);
	UT_EQ(a.it_interval.tv_usec, 0);
	ut_sleep_ms(20);
	UT_EQ(getitimer(ITIMER_REAL, &b), 0);
	UT_CHECK(tv_us(&b.it_value) < tv_us(&a.it_value));
	UT_CHECK(tv_us(&b.it_value) <= 10000000 - 20000);
	memset(&it, 0, sizeof(it));
	UT_EQ(setitimer(ITIMER_REAL, &it, &old), 0);
	UT_CHECK(tv_us(&old.it_value) <= tv_us(&b.it_value) && tv_us(&old.it_value) > 0);
	UT_EQ(old.it_interval.tv_sec, 3);
	UT_EQ(hits[SIGALRM], 0);
	UT_ERRNO(setitimer(99, &it, NULL), EINVAL);
	it.it_value.tv_usec = 1000000;
	UT_ERRNO(setitimer(ITIMER_REAL, &it, NULL), EINVAL);
}

CHILD_CASE(alarm_returns_seconds_left)
{
	struct itimerval cur;
	long r;

	set_handler(SIGALRM, count_handler, 0);
	UT_EQ(ut_raw1(SYS_alarm, 10), 0); /* none before */
	r = ut_raw1(SYS_alarm, 20);
	UT_CHECK(r >= 9 && r <= 10);
	UT_EQ(getitimer(ITIMER_REAL, &cur), 0); /* alarm is ITIMER_REAL */
	UT_CHECK(tv_us(&cur.it_value) > 19000000 && tv_us(&cur.it_value) <= 20000000);
	UT_EQ(tv_us(&cur.it_interval), 0);
	r = ut_raw1(SYS_alarm, 0);
	UT_CHECK(r >= 19 && r <= 20);
	UT_EQ(ut_raw1(SYS_alarm, 0), 0);
	UT_EQ(getitimer(ITIMER_REAL, &cur), 0);
	UT_EQ(tv_us(&cur.it_value), 0);
	/* The C library's alarm (setitimer in musl) agrees. */
	UT_EQ(alarm(30), 0);
	r = alarm(0);
	UT_CHECK(r >= 29 && r <= 30);
	UT_EQ(hits[SIGALRM], 0);
}

/* =================================== exec =================================== */

static const char *self_path(void)
{
	static char path[PATH_MAX];
	const char *fn = (const char *)getauxval(AT_EXECFN);

	if (!path[0] && fn) {
		if (fn[0] == '/' || !getcwd(path, sizeof(path) - strlen(fn) - 2))
			snprintf(path, sizeof(path), "%s", fn);
		else
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", fn);
	}
	return path;
}

CHILD_CASE(exec_resets_handlers_keeps_ignored_mask_and_pending)
{
	char *argv[] = { (char *)self_path(), "--helper", "exec-signals", NULL };

	set_handler(SIGUSR1, count_handler, 0);
	set_action(SIGTERM, info_handler, SA_ONSTACK | SA_RESTART, NULL);
	signal(SIGUSR2, SIG_IGN);
	block(SIGHUP);
	block(SIGRTMIN + 2);
	kill(getpid(), SIGHUP);
	UT_CHECK(is_pending(SIGHUP));
	new_alt_stack();
	execv(argv[0], argv);
	ut_fail(__FILE__, __LINE__, "execv %s: %s", argv[0], ut_errname(errno));
}

#define HCHECK(cond)                                                                               \
	do {                                                                                       \
		if (!(cond)) {                                                                     \
			ut_printf("ut: exec helper failed: %s:%d: %s", __FILE__, __LINE__, #cond); \
			return 1;                                                                  \
		}                                                                                  \
	} while (0)

static int helper_exec_signals(void)
{
	struct sigaction sa;
	sigset_t s;
	stack_t ss;

	HCHECK(sigaction(SIGUSR1, NULL, &sa) == 0);
	HCHECK(sa.sa_handler == SIG_DFL); /* handlers go back to the default */
	HCHECK(sigaction(SIGTERM, NULL, &sa) == 0);
	HCHECK(sa.sa_handler == SIG_DFL);
	HCHECK((sa.sa_flags & (SA_SIGINFO | SA_ONSTACK | SA_RESTART)) == 0);
	HCHECK(sigaction(SIGUSR2, NULL, &sa) == 0);
	HCHECK(sa.sa_handler == SIG_IGN); /* ignored stays ignored */
	HCHECK(sigprocmask(SIG_BLOCK, NULL, &s) == 0);
	HCHECK(sigismember(&s, SIGHUP)); /* the mask is kept */
	HCHECK(sigismember(&s, SIGRTMIN + 2));
	HCHECK(!sigismember(&s, SIGUSR1));
	HCHECK(sigpending(&s) == 0);
	HCHECK(sigismember(&s, SIGHUP)); /* and what was pending */
	HCHECK(sigaltstack(NULL, &ss) == 0);
	HCHECK(ss.ss_flags == SS_DISABLE); /* the alternate stack is gone */
	return 0;
}

int ut_helper(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "exec-signals"))
		return helper_exec_signals();
	ut_printf("signals: unknown helper %s", argc > 1 ? argv[1] : "(none)");
	return 2;
}
