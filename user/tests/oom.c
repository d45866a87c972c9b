/*
 * oom: memory pressure and limits. The cases check the overcommit policies
 * of /proc/sys/vm/overcommit_memory (a mapping larger than memory is
 * refused by the heuristic, counted against CommitLimit by the strict
 * policy, allowed by "always"), brk past RLIMIT_DATA and past the commit
 * limit, RLIMIT_NPROC (fork gives EAGAIN to a non-root user at its limit),
 * /proc/PID/oom_score_adj and oom_score, and that the memory of a killed
 * process group is waited for rather than its killer chosen by the OOM
 * killer.
 *
 * The helpers are what tests/system/test_oom.py runs from a shell in a
 * small machine, each ending with the OOM killer:
 *   --helper hog              touches new pages until it is killed
 *   --helper forkbomb [N]     every process forks until fork fails (with
 *                             RLIMIT_NPROC = N as user 65534 if N is
 *                             given), then touches pages until killed;
 *                             without N the leader's oom_score_adj is 1000
 *   --helper protected        takes 3/5 of memory with oom_score_adj -1000,
 *                             then runs a hog (the largest process is the
 *                             protected one: the smaller hog must be chosen)
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

/* A number from a /proc file (the first one after key, or the first of the file). */
static long proc_number(const char *path, const char *key)
{
	char buf[4096];
	int fd = open(path, O_RDONLY);
	ssize_t n = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	const char *at;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = '\0';
	at = key ? strstr(buf, key) : buf;
	return at ? strtol(at + (key ? strlen(key) : 0), NULL, 10) : -1;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_TRUNC);
	ssize_t n;

	if (fd < 0)
		return -errno;
	n = write(fd, text, strlen(text));
	n = n < 0 ? -errno : 0;
	close(fd);
	return (int)n;
}

static unsigned long mem_total(void)
{
	return (unsigned long)proc_number("/proc/meminfo", "MemTotal:") * 1024;
}

static void set_overcommit(const char *mode)
{
	UT_EQ(write_text("/proc/sys/vm/overcommit_memory", mode), 0);
	UT_EQ(proc_number("/proc/sys/vm/overcommit_memory", NULL), atol(mode));
}

UT_CASE(overcommit_guess_refuses_one_absurd_mapping)
{
	unsigned long big = 2 * mem_total();
	void *p, *q;

	set_overcommit("0");
	UT_ERRNO(mmap(NULL, big, RW, ANON, -1, 0), ENOMEM);
	/* Not accounted: a reservation without access is no commitment (as Linux). */
	p = mmap(NULL, big, PROT_NONE, ANON, -1, 0);
	UT_CHECK(p != MAP_FAILED);
	munmap(p, big);
	/* Many mappings that together pass memory are fine: only touching uses it. */
	p = mmap(NULL, mem_total() / 2, RW, ANON, -1, 0);
	UT_CHECK(p != MAP_FAILED);
	q = mmap(NULL, mem_total() / 2 + 16 * PAGE, RW, ANON, -1, 0);
	UT_CHECK(q != MAP_FAILED);
	UT_EQ(munmap(p, mem_total() / 2), 0);
	UT_EQ(munmap(q, mem_total() / 2 + 16 * PAGE), 0);
}

UT_CASE(overcommit_always_allows_it)
{
	unsigned long big = 2 * mem_total();
	void *p;

	set_overcommit("1");
	p = mmap(NULL, big, RW, ANON, -1, 0);
	set_overcommit("0");
	UT_CHECK(p != MAP_FAILED);
	((char *)p)[big / 2] = 1; /* one page of it is real */
	UT_EQ(munmap(p, big), 0);
}

UT_CASE(overcommit_strict_counts_against_commit_limit)
{
	long limit_kb, committed_kb;
	void *p, *q;

	UT_EQ(write_text("/proc/sys/vm/overcommit_ratio", "50"), 0);
	UT_EQ(proc_number("/proc/sys/vm/overcommit_ratio", NULL), 50);
	set_overcommit("2");
	limit_kb = proc_number("/proc/meminfo", "CommitLimit:");
	committed_kb = proc_number("/proc/meminfo", "Committed_AS:");
	p = mmap(NULL, mem_total(), RW, ANON, -1, 0); /* more than half of memory */
	q = mmap(NULL, 64 * PAGE, RW, ANON, -1, 0);   /* a little is fine */
	set_overcommit("0");
	UT_CHECK(limit_kb > 0 && limit_kb <= (long)(mem_total() / 1024 / 2) + 4);
	UT_CHECK(committed_kb > 0 && committed_kb < limit_kb);
	UT_CHECK(p == MAP_FAILED && errno == ENOMEM);
	UT_CHECK(q != MAP_FAILED);
	/* Read-only and shared file mappings are not commitments: PROT_NONE passes. */
	set_overcommit("2");
	p = mmap(NULL, mem_total(), PROT_NONE, ANON, -1, 0);
	/* mprotect making it writable commits it: refused. */
	errno = 0;
	UT_CHECK(p != MAP_FAILED && mprotect(p, mem_total(), RW) == -1);
	set_overcommit("0");
	UT_EQ(errno, ENOMEM);
	UT_EQ(mprotect(p, mem_total(), RW), 0);
	UT_EQ(munmap(p, mem_total()), 0);
	UT_EQ(munmap(q, 64 * PAGE), 0);
}

UT_CASE(overcommit_settings_need_root_and_valid_values)
{
	pid_t pid;

	set_overcommit("0");
	UT_EQ(write_text("/proc/sys/vm/overcommit_memory", "3"), -EINVAL);
	UT_EQ(write_text("/proc/sys/vm/overcommit_memory", "x"), -EINVAL);
	UT_EQ(proc_number("/proc/sys/vm/overcommit_memory", NULL), 0);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_NOERR(setuid(65534));
		UT_CHECK(write_text("/proc/sys/vm/overcommit_memory", "1") < 0);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	UT_EQ(proc_number("/proc/sys/vm/overcommit_memory", NULL), 0);
}

static uintptr_t brk_now(void)
{
	return (uintptr_t)syscall(SYS_brk, 0);
}

UT_CASE(brk_past_rlimit_data_fails)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		struct rlimit lim = { 1 << 20, 1 << 20 };
		uintptr_t start = brk_now();

		UT_NOERR(setrlimit(RLIMIT_DATA, &lim));
		/* The limit counts from the heap's start; what the program had before stays. */
		UT_EQ((uintptr_t)syscall(SYS_brk, start + 64 * PAGE), start + 64 * PAGE);
		UT_EQ((uintptr_t)syscall(SYS_brk, start + (4 << 20)), start + 64 * PAGE);
		UT_EQ((uintptr_t)syscall(SYS_brk, start), start); /* shrinking always works */
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(brk_past_commit_limit_fails)
{
	uintptr_t start = brk_now();
	uintptr_t got;

	set_overcommit("2");
	got = (uintptr_t)syscall(SYS_brk, start + mem_total());
	set_overcommit("0");
	UT_EQ(got, start); /* refused: the break stays (glibc's brk() says ENOMEM) */
	UT_EQ((uintptr_t)syscall(SYS_brk, start + mem_total()), start + mem_total());
	UT_EQ((uintptr_t)syscall(SYS_brk, start), start);
}

UT_CASE(rlimit_nproc_gives_eagain)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		struct rlimit lim = { 4, 4 };
		pid_t kids[10];
		int forked = 0, err = 0;

		UT_NOERR(setrlimit(RLIMIT_NPROC, &lim));
		UT_NOERR(setuid(65534)); /* root is not limited, as on Linux */
		for (int i = 0; i < 10; i++) {
			pid_t c = fork();

			if (c == 0) {
				pause();
				_exit(0);
			}
			if (c < 0) {
				err = errno;
				break;
			}
			kids[forked++] = c;
		}
		for (int i = 0; i < forked; i++) {
			kill(kids[i], SIGKILL);
			waitpid(kids[i], NULL, 0);
		}
		UT_EQ(err, EAGAIN);
		UT_EQ(forked, 3); /* this process and 3 children make 4 */
		/* Reaped children no longer count. */
		pid = fork();
		if (pid == 0)
			_exit(0);
		UT_CHECK(pid > 0);
		UT_CHILD_OK(pid);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(default_rlimit_nproc_is_sane)
{
	struct rlimit lim;

	UT_NOERR(getrlimit(RLIMIT_NPROC, &lim));
	UT_CHECK(lim.rlim_cur >= 10 && lim.rlim_cur != RLIM_INFINITY);
	UT_CHECK(lim.rlim_cur <= mem_total() / PAGE / 8); /* Linux: half of threads-max */
}

UT_CASE(oom_score_adj_reads_writes_and_is_inherited)
{
	long low, high;
	pid_t pid;

	UT_EQ(proc_number("/proc/self/oom_score_adj", NULL), 0);
	low = proc_number("/proc/self/oom_score", NULL);
	UT_EQ(write_text("/proc/self/oom_score_adj", "500\n"), 0);
	UT_EQ(proc_number("/proc/self/oom_score_adj", NULL), 500);
	high = proc_number("/proc/self/oom_score", NULL);
	UT_CHECK(low >= 0 && high >= low + 400); /* adj 500: half of memory more */
	UT_EQ(write_text("/proc/self/oom_score_adj", "1001"), -EINVAL);
	UT_EQ(write_text("/proc/self/oom_score_adj", "-1000"), 0);
	UT_EQ(proc_number("/proc/self/oom_score", NULL), 0); /* never chosen */
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_EQ(proc_number("/proc/self/oom_score_adj", NULL), -1000);
		UT_NOERR(setuid(65534));
		/* The uid change made it undumpable: /proc/self would be root's (Linux). */
		UT_NOERR(prctl(PR_SET_DUMPABLE, 1));
		UT_EQ(write_text("/proc/self/oom_score_adj", "10"), 0);	     /* raising: anyone */
		UT_EQ(write_text("/proc/self/oom_score_adj", "0"), -EACCES); /* lowering: root */
		_exit(0);
	}
	UT_CHILD_OK(pid);
	UT_EQ(write_text("/proc/self/oom_score_adj", "0"), 0);
}

/* Touches bytes of new memory, says so on fd (and closes it), and waits to be killed. */
static void fill_and_wait(unsigned long bytes, int fd)
{
	char *p = mmap(NULL, bytes, RW, ANON, -1, 0);

	for (unsigned long off = 0; p != MAP_FAILED && off < bytes; off += PAGE)
		p[off] = 1;
	if (write(fd, "x", 1) != 1 || p == MAP_FAILED)
		_exit(1);
	close(fd); /* once every member has written or died, the tester reads EOF */
	for (;;)
		pause();
}

/*
 * A process group that holds most of memory is killed with SIGKILL (as
 * the shell's kill -9 -PGID), and its killer at once needs more memory
 * than is free: the group is exiting, no longer a candidate, but its pages
 * are on their way back, so the killer's fault must wait for them rather
 * than make the killer the OOM victim (the only candidate left but the
 * shell). The killer is a child: if it is killed, its status says so.
 */
UT_CASE(a_killed_group_is_waited_for_not_its_killer)
{
	pid_t tester = UT_NOERR(fork());

	if (tester == 0) {
		long free_kb = proc_number("/proc/meminfo", "MemFree:");
		unsigned long share = (unsigned long)(free_kb - 4096) * 1024 / 4 & ~(PAGE - 1);
		pid_t leader = 0, pid;
		int fds[2];
		char c;
		char *p;

		UT_CHECK(free_kb > 16384);
		UT_NOERR(pipe(fds));
		for (int i = 0; i < 4; i++) {
			pid = UT_NOERR(fork());
			if (pid == 0) {
				setpgid(0, leader);
				fill_and_wait(share, fds[1]);
			}
			if (!leader)
				leader = pid;
			setpgid(pid, leader);
		}
		close(fds[1]);
		for (int i = 0; i < 4; i++)
			UT_EQ(read(fds[0], &c, 1), 1);
		UT_NOERR(kill(-leader, SIGKILL));
		/* Half of what the group held: far more than is free now. */
		p = mmap(NULL, 2 * share, RW, ANON, -1, 0);
		UT_CHECK(p != MAP_FAILED);
		for (unsigned long off = 0; off < 2 * share; off += PAGE)
			p[off] = 1;
		UT_EQ(munmap(p, 2 * share), 0);
		while (wait(NULL) > 0) {
		}
		_exit(0);
	}
	UT_CHILD_OK(tester);
}

/* Touches new memory for ever, 4 MiB at a time; returns only if mmap fails. */
static void hog(void)
{
	for (;;) {
		char *p = mmap(NULL, 4 << 20, RW, ANON, -1, 0);

		if (p == MAP_FAILED)
			return;
		for (unsigned long off = 0; off < (4 << 20); off += PAGE)
			p[off] = 1;
	}
}

static int helper_hog(void)
{
	ut_printf("hog: pid %d touching pages", getpid());
	hog();
	ut_printf("hog: mmap failed: %s", ut_errname(errno));
	return 1;
}

/* Each process touches this much of its own before it forks again (bounds the count). */
#define BOMB_TOUCH (512 << 10)

static int helper_forkbomb(int argc, char **argv)
{
	pid_t leader = getpid();

	if (argc > 1) {
		struct rlimit lim = { atol(argv[1]), atol(argv[1]) };

		if (setrlimit(RLIMIT_NPROC, &lim) || setuid(65534))
			return 2;
	}
	/*
	 * Without a limit thousands of equal processes come and go: the OOM
	 * killer would end them one by one for minutes before the leader. The
	 * leader asks to go first (its children set their own score back).
	 */
	if (argc <= 1)
		write_text("/proc/self/oom_score_adj", "1000");
	setpgid(0, 0);
	ut_printf("forkbomb: pid %d", leader);
	for (;;) {
		char *p = mmap(NULL, BOMB_TOUCH, RW, ANON, -1, 0);
		pid_t c;

		for (unsigned long off = 0; p != MAP_FAILED && off < BOMB_TOUCH; off += PAGE)
			p[off] = 1;
		c = fork();
		if (c == 0 && argc <= 1 && getppid() == leader)
			write_text("/proc/self/oom_score_adj", "0");
		if (c < 0) {
			if (getpid() == leader)
				ut_printf("forkbomb: fork failed with %s", ut_errname(errno));
			break;
		}
	}
	hog();
	return 1;
}

static int helper_protected(void)
{
	unsigned long size = mem_total() / 5 * 3;
	char *p = mmap(NULL, size, RW, ANON, -1, 0);
	int status;
	pid_t pid;

	if (p == MAP_FAILED || write_text("/proc/self/oom_score_adj", "-1000"))
		return 2;
	for (unsigned long off = 0; off < size; off += PAGE)
		p[off] = 1;
	ut_printf("protected: pid %d holds %lu KiB", getpid(), size >> 10);
	pid = fork();
	if (pid == 0) {
		/* A hog of its own memory (exec), smaller than this process when memory runs out. */
		char *argv[] = { ut_argv[0], "--helper", "hog", NULL };

		write_text("/proc/self/oom_score_adj", "0"); /* the child is fair game */
		execv("/proc/self/exe", argv);
		_exit(1);
	}
	waitpid(pid, &status, 0);
	ut_printf("protected: alive; the hog ended with %s %d",
		  WIFSIGNALED(status) ? "signal" : "status",
		  WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL ? 0 : 1;
}

int ut_helper(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "hog"))
		return helper_hog();
	if (argc > 1 && !strcmp(argv[1], "forkbomb"))
		return helper_forkbomb(argc - 1, argv + 1);
	if (argc > 1 && !strcmp(argv[1], "protected"))
		return helper_protected();
	return 2;
}
