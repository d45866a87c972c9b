/*
 * clone: threads and the clone family. pthreads (create, join, TLS, exit
 * of a thread, of the main thread, exit_group from a thread), a raw
 * clone(2) thread with CLONE_VM|CLONE_SETTLS|CLONE_PARENT_SETTID|
 * CLONE_CHILD_SETTID|CLONE_CHILD_CLEARTID, set_tid_address, fork-like
 * clone and clone3, vfork, and the flag combinations clone must refuse.
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define THREAD_FLAGS \
	(CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD | CLONE_SYSVSEM)

static long futex(volatile int *uaddr, int op, int val, const void *timeout)
{
	return syscall(SYS_futex, uaddr, op, val, timeout, NULL, 0);
}

/* Waits until *word is 0 (a CLONE_CHILD_CLEARTID word, cleared and woken). */
static int wait_cleared(volatile int *word)
{
	struct timespec ts = { 0, 100 * 1000000 };
	uint64_t end = ut_now_ns() + 60 * 1000000000ull;
	int v;

	while ((v = *word) != 0 && ut_now_ns() < end)
		futex(word, FUTEX_WAIT, v, &ts);
	return *word == 0;
}

/*
 * raw_clone(flags, stack, ptid, ctid, tls, fn, arg): clone(2) with the
 * child starting on a fresh stack in fn(arg); the child leaves with
 * exit(fn's value) and never returns here. Returns the child's tid or
 * -errno (raw system call convention).
 */
long raw_clone(unsigned long flags, void *stack, int *ptid, int *ctid, unsigned long tls,
	       long (*fn)(void *), void *arg);
__asm__(".text\n"
	".globl raw_clone\n"
	".type raw_clone,@function\n"
	"raw_clone:\n"
	"	mov 8(%rsp), %rax\n" /* arg (7th argument) */
	"	and $-16, %rsi\n"
	"	sub $16, %rsi\n"
	"	mov %rax, 8(%rsi)\n" /* arg and fn on the child's stack */
	"	mov %r9, (%rsi)\n"
	"	mov %rcx, %r10\n" /* ctid */
	"	mov $56, %eax\n"  /* SYS_clone */
	"	syscall\n"
	"	test %rax, %rax\n"
	"	jnz 1f\n"
	"	xor %ebp, %ebp\n" /* child */
	"	pop %rax\n"
	"	pop %rdi\n"
	"	call *%rax\n"
	"	mov %rax, %rdi\n"
	"	mov $60, %eax\n" /* SYS_exit */
	"	syscall\n"
	"	ud2\n"
	"1:	ret\n"
	".size raw_clone, .-raw_clone\n");

static void *ret_arg(void *arg)
{
	return arg;
}

UT_CASE(pthread_create_join_value)
{
	pthread_t t[4];

	for (long i = 0; i < 4; i++)
		UT_EQ(pthread_create(&t[i], NULL, ret_arg, (void *)(i * 1000 + 7)), 0);
	for (long i = 3; i >= 0; i--) {
		void *v;
		UT_EQ(pthread_join(t[i], &v), 0);
		UT_EQ((long)v, i * 1000 + 7);
	}
}

static atomic_int counter;

static void *count_up(void *arg)
{
	for (long i = 0; i < (long)arg; i++)
		atomic_fetch_add(&counter, 1);
	return NULL;
}

UT_CASE(many_threads_share_memory)
{
	enum {
		N = 64
	};
	pthread_t t[N];

	atomic_store(&counter, 0);
	for (int i = 0; i < N; i++)
		UT_EQ(pthread_create(&t[i], NULL, count_up, (void *)1000L), 0);
	for (int i = 0; i < N; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(atomic_load(&counter), N * 1000);
}

static __thread long tls_var = 5;

struct ids {
	pid_t pid, tid;
	long tls_before;
	void *tls_addr;
};

static void *report_ids(void *arg)
{
	struct ids *ids = arg;

	ids->pid = getpid();
	ids->tid = gettid();
	ids->tls_before = tls_var;
	tls_var = ids->tid;
	ids->tls_addr = (void *)&tls_var;
	return NULL;
}

UT_CASE(thread_ids_and_tls)
{
	enum {
		N = 8
	};
	pthread_t t[N];
	struct ids ids[N];

	tls_var = 99;
	for (int i = 0; i < N; i++)
		UT_EQ(pthread_create(&t[i], NULL, report_ids, &ids[i]), 0);
	for (int i = 0; i < N; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	for (int i = 0; i < N; i++) {
		UT_EQ(ids[i].pid, getpid());
		UT_NE(ids[i].tid, getpid());
		UT_EQ(ids[i].tls_before, 5); /* a fresh copy of the TLS image */
		UT_CHECK(ids[i].tls_addr != (void *)&tls_var);
		for (int k = 0; k < i; k++)
			UT_NE(ids[i].tid, ids[k].tid);
	}
	UT_EQ(tls_var, 99);
}

UT_CASE(small_stack_threads)
{
	pthread_attr_t attr;
	pthread_t t[16];

	UT_EQ(pthread_attr_init(&attr), 0);
	UT_EQ(pthread_attr_setstacksize(&attr, 16384), 0);
	for (long i = 0; i < 16; i++)
		UT_EQ(pthread_create(&t[i], &attr, ret_arg, (void *)i), 0);
	for (long i = 0; i < 16; i++) {
		void *v;
		UT_EQ(pthread_join(t[i], &v), 0);
		UT_EQ((long)v, i);
	}
	pthread_attr_destroy(&attr);
}

static void *exit_thread(void *arg)
{
	pthread_exit(arg);
	return NULL;
}

UT_CASE(pthread_exit_ends_only_the_thread)
{
	pthread_t t;
	void *v;

	UT_EQ(pthread_create(&t, NULL, exit_thread, (void *)77), 0);
	UT_EQ(pthread_join(t, &v), 0);
	UT_EQ((long)v, 77);
}

static void *detached(void *arg)
{
	atomic_fetch_add((atomic_int *)arg, 1);
	return NULL;
}

UT_CASE(detached_threads)
{
	static atomic_int done;
	pthread_attr_t attr;

	atomic_store(&done, 0);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	for (int i = 0; i < 8; i++) {
		pthread_t t;
		UT_EQ(pthread_create(&t, &attr, detached, &done), 0);
	}
	UT_POLL(atomic_load(&done) >= 8, 60);
	UT_EQ(atomic_load(&done), 8);
	pthread_attr_destroy(&attr);
}

static void *block_forever(void *arg)
{
	static volatile int never;

	(void)arg;
	for (;;)
		futex(&never, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL);
	return NULL;
}

static void *exit_process(void *arg)
{
	ut_sleep_ms(10);
	exit((int)(long)arg);
}

UT_CASE(exit_from_thread_ends_blocked_threads)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		pthread_t t;
		for (int i = 0; i < 4; i++)
			pthread_create(&t, NULL, block_forever, NULL);
		pthread_create(&t, NULL, exit_process, (void *)23);
		block_forever(NULL);
	}
	UT_EQ(ut_wait(pid), 23);
}

UT_CASE(main_thread_exits_first)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		pthread_t t;
		pthread_create(&t, NULL, exit_process, (void *)9);
		pthread_exit(NULL); /* the group leader ends before the group */
	}
	UT_EQ(ut_wait(pid), 9);
}

/* The raw clone thread's view, written by the child. */
static struct {
	volatile long tid, fs0, fsbase, done;
} seen;

static long raw_thread(void *arg)
{
	long fs0, fsbase = 0;

	/* Only raw system calls here: fs points at a fake TLS, not musl's. */
	__asm__ volatile("mov %%fs:0, %0" : "=r"(fs0));
	ut_syscall6(SYS_arch_prctl, ARCH_GET_FS, (long)&fsbase, 0, 0, 0, 0);
	seen.tid = ut_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0);
	seen.fs0 = fs0;
	seen.fsbase = fsbase;
	seen.done = 1;
	return (long)arg;
}

UT_CASE(raw_clone_thread_settls_settid_cleartid)
{
	size_t size = 64 * 1024;
	char *stack = UT_NOERR(
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	static long fake_tls[64];
	static int ptid, ctid;
	long tid;

	fake_tls[0] = (long)fake_tls; /* the x86-64 TCB points to itself */
	memset((void *)&seen, 0, sizeof(seen));
	ptid = 0;
	ctid = -1;
	tid = raw_clone(THREAD_FLAGS | CLONE_SETTLS | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID |
				CLONE_CHILD_CLEARTID,
			stack + size, &ptid, &ctid, (unsigned long)fake_tls, raw_thread, NULL);
	UT_CHECK(tid > 0);
	UT_EQ(ptid, tid);
	UT_CHECK(wait_cleared(&ctid)); /* cleared and woken at the thread's exit */
	UT_EQ(seen.done, 1);
	UT_EQ(seen.tid, tid);
	UT_EQ(seen.fs0, (long)fake_tls);
	UT_EQ(seen.fsbase, (long)fake_tls);
	UT_EQ(ctid, 0);
	munmap(stack, size);
}

static long set_tid_address_thread(void *arg)
{
	ut_syscall6(SYS_set_tid_address, (long)arg, 0, 0, 0, 0, 0);
	return 0;
}

UT_CASE(set_tid_address_cleared_at_thread_exit)
{
	size_t size = 64 * 1024;
	char *stack = UT_NOERR(
		mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	static int word = 12345;
	long tid = raw_clone(THREAD_FLAGS, stack + size, NULL, NULL, 0, set_tid_address_thread,
			     (void *)&word);

	UT_CHECK(tid > 0);
	UT_CHECK(wait_cleared(&word));
	munmap(stack, size);
}

UT_CASE(set_tid_address_returns_tid)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		static int word;
		_exit(syscall(SYS_set_tid_address, &word) == syscall(SYS_gettid) ? 0 : 1);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(clone_fork_like)
{
	int status;
	long pid = syscall(SYS_clone, SIGCHLD, 0, NULL, NULL, 0);

	if (pid == 0)
		_exit(31);
	UT_CHECK(pid > 0);
	UT_EQ(wait4(pid, &status, 0, NULL), pid);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 31);
}

UT_CASE(clone_fork_settid_flags)
{
	static int ptid, ctid;
	long pid;

	ptid = 0;
	ctid = 0;
	pid = syscall(SYS_clone, SIGCHLD | CLONE_PARENT_SETTID | CLONE_CHILD_SETTID, 0, &ptid,
		      &ctid, 0);
	if (pid == 0) /* musl's gettid() would give the parent's cached tid */
		_exit(ctid == syscall(SYS_gettid) ? 0 : 1);
	UT_CHECK(pid > 0);
	UT_EQ(ptid, pid);
	UT_EQ(ctid, 0); /* set in the child's copy only */
	UT_CHILD_OK(pid);
}

UT_CASE(clone_exit_signal_zero_still_waitable_with_wall)
{
	int status;
	long pid = syscall(SYS_clone, 0, 0, NULL, NULL, 0);

	if (pid == 0)
		_exit(3);
	UT_CHECK(pid > 0);
	UT_EQ(wait4(pid, &status, __WALL, NULL), pid);
	UT_EQ(WEXITSTATUS(status), 3);
}

UT_CASE(clone_refuses_bad_flag_combinations)
{
	char stack[256];

	/* CLONE_THREAD needs CLONE_SIGHAND, which needs CLONE_VM. */
	UT_ERRNO(syscall(SYS_clone, CLONE_VM | CLONE_THREAD, stack + sizeof(stack), NULL, NULL, 0),
		 EINVAL);
	UT_ERRNO(syscall(SYS_clone, CLONE_SIGHAND | SIGCHLD, 0, NULL, NULL, 0), EINVAL);
	/* CLONE_FS with CLONE_NEWNS is refused. */
	UT_ERRNO(syscall(SYS_clone, CLONE_FS | CLONE_NEWNS | SIGCHLD, 0, NULL, NULL, 0), EINVAL);
}

static long clone3(struct clone_args *args, size_t size)
{
	return syscall(SYS_clone3, args, size);
}

UT_CASE(clone3_fork_like)
{
	struct clone_args args;
	static int ptid;
	int status;
	long pid;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	args.flags = CLONE_PARENT_SETTID;
	args.parent_tid = (uint64_t)(uintptr_t)&ptid;
	pid = clone3(&args, sizeof(args));
	if (pid == 0)
		_exit(44); /* parent_tid is written in the parent's memory */
	UT_CHECK(pid > 0);
	UT_EQ(ptid, pid);
	UT_EQ(wait4(pid, &status, 0, NULL), pid);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 44);
}

UT_CASE(clone3_version0_size)
{
	struct clone_args args;
	long pid;

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	pid = clone3(&args, CLONE_ARGS_SIZE_VER0);
	if (pid == 0)
		_exit(0);
	UT_CHECK(pid > 0);
	UT_CHILD_OK(pid);
}

UT_CASE(clone3_errors)
{
	struct clone_args args;
	char big[4096 + 64];

	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	UT_ERRNO(clone3(&args, 32), EINVAL); /* smaller than version 0 */
	UT_ERRNO(clone3(NULL, sizeof(args)), EFAULT);
	UT_ERRNO(clone3((struct clone_args *)8, sizeof(args)), EFAULT);
	/* A larger structure must have zeros beyond what the kernel knows. */
	memset(big, 0, sizeof(big));
	memcpy(big, &args, sizeof(args));
	big[sizeof(args) + 8] = 1;
	UT_ERRNO(clone3((struct clone_args *)big, sizeof(args) + 16), E2BIG);
	/* Larger than a page: E2BIG. */
	UT_ERRNO(clone3((struct clone_args *)big, 4096 + 64), E2BIG);
	/* exit_signal beyond the signal range. */
	args.exit_signal = 200;
	UT_ERRNO(clone3(&args, sizeof(args)), EINVAL);
	/* A stack size without a stack. */
	args.exit_signal = SIGCHLD;
	args.stack_size = 4096;
	UT_ERRNO(clone3(&args, sizeof(args)), EINVAL);
}

UT_CASE(vfork_shares_memory_and_parent_waits)
{
	static volatile int shared_var;
	static volatile pid_t child_pid;
	pid_t pid;

	shared_var = 0;
	pid = vfork();
	if (pid == 0) {
		/* The parent is suspended until we exit: it must see both writes. */
		child_pid = getpid();
		for (int i = 0; i < 10; i++)
			sched_yield();
		shared_var = 1;
		_exit(12);
	}
	UT_CHECK(pid > 0);
	UT_EQ(shared_var, 1);
	UT_EQ(child_pid, pid);
	UT_EQ(ut_wait(pid), 12);
}

UT_CASE(vfork_then_exec)
{
	static char *const argv[] = { "/nonexistent/program", NULL };
	static volatile int exec_errno;
	pid_t pid;

	exec_errno = 0;
	pid = vfork();
	if (pid == 0) {
		execve(argv[0], argv, argv + 1);
		exec_errno = errno;
		_exit(127);
	}
	UT_CHECK(pid > 0);
	UT_EQ(exec_errno, ENOENT);
	UT_EQ(ut_wait(pid), 127);
}
