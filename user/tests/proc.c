/*
 * proc: process life cycle. getpid/gettid/getppid, fork and the statuses
 * wait4 and waitid report, exit codes, WNOHANG, ECHILD, a thousand
 * processes created and reaped, and orphans: reparented to init (pid 1),
 * which reaps them.
 *
 * The orphan cases assume init is pid 1 and reaps orphans, as in the guest;
 * on a Linux host run them in a pid namespace (user/run-on-linux does).
 */
#define _GNU_SOURCE
#include "ut.h"

#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

/* A page shared with children (MAP_SHARED survives fork). */
static volatile int *shared_page(void)
{
	void *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);

	UT_CHECK(p != MAP_FAILED);
	return p;
}

/* Polls *word until it is nonzero (for a minute at most). */
static int wait_flag(volatile int *word)
{
	return UT_POLL(*word, 60);
}

UT_CASE(getpid_positive_and_stable)
{
	pid_t pid = getpid();

	UT_CHECK(pid > 0);
	UT_EQ(getpid(), pid);
	UT_EQ(syscall(SYS_getpid), pid);
}

UT_CASE(gettid_is_pid_when_single_threaded)
{
	UT_EQ(gettid(), getpid());
}

UT_CASE(getppid_positive)
{
	UT_CHECK(getppid() > 0);
	UT_NE(getppid(), getpid());
}

UT_CASE(fork_returns_child_pid)
{
	pid_t parent = getpid(), pid = UT_NOERR(fork());
	int status;

	if (pid == 0)
		_exit(getppid() == parent && getpid() != parent ? 0 : 1);
	UT_CHECK(pid > 0 && pid != parent);
	UT_EQ(wait4(pid, &status, 0, NULL), pid);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 0);
}

UT_CASE(exit_codes)
{
	static const int codes[] = { 0, 1, 42, 127, 128, 255, 256, 257, -1 };

	for (unsigned i = 0; i < sizeof(codes) / sizeof(codes[0]); i++) {
		pid_t pid = UT_NOERR(fork());
		int status;
		if (pid == 0)
			_exit(codes[i]);
		UT_EQ(wait4(pid, &status, 0, NULL), pid);
		UT_CHECK(WIFEXITED(status));
		UT_EQ(WEXITSTATUS(status), codes[i] & 0xff);
	}
}

UT_CASE(exit_and_exit_group_syscalls)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		syscall(SYS_exit_group, 3);
	UT_EQ(ut_wait(pid), 3);
	pid = UT_NOERR(fork());
	if (pid == 0)
		syscall(SYS_exit, 4); /* the only thread: the process ends */
	UT_EQ(ut_wait(pid), 4);
}

UT_CASE(status_of_child_killed_by_fault)
{
	pid_t pid = UT_NOERR(fork());
	int status;

	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		*(volatile int *)0 = 1;
		_exit(0);
	}
	UT_EQ(wait4(pid, &status, 0, NULL), pid);
	UT_CHECK(WIFSIGNALED(status));
	UT_EQ(WTERMSIG(status), SIGSEGV);
}

UT_CASE(wnohang_with_running_child)
{
	volatile int *go = shared_page();
	pid_t pid = UT_NOERR(fork());
	int status = 12345;

	if (pid == 0) {
		wait_flag(go);
		_exit(7);
	}
	UT_EQ(wait4(pid, &status, WNOHANG, NULL), 0);
	UT_EQ(wait4(-1, &status, WNOHANG, NULL), 0);
	*go = 1;
	UT_EQ(ut_wait(pid), 7);
	munmap((void *)go, 4096);
}

UT_CASE(wnohang_reaps_exited_child)
{
	pid_t pid = UT_NOERR(fork()), r;
	int status;

	if (pid == 0)
		_exit(9);
	/* Poll: the child ends soon. */
	UT_POLL((r = wait4(pid, &status, WNOHANG, NULL)) != 0, 60);
	UT_EQ(r, pid);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 9);
}

UT_CASE(echild_without_children)
{
	int status;

	UT_ERRNO(wait4(-1, &status, 0, NULL), ECHILD);
	UT_ERRNO(wait4(-1, &status, WNOHANG, NULL), ECHILD);
	UT_ERRNO(wait4(getpid(), &status, 0, NULL), ECHILD);
	UT_ERRNO(wait4(1, &status, 0, NULL), ECHILD);
	UT_ERRNO(wait4(0x3fffffff, &status, 0, NULL), ECHILD);
}

UT_CASE(echild_after_reaping)
{
	pid_t pid = UT_NOERR(fork());
	int status;

	if (pid == 0)
		_exit(0);
	UT_EQ(ut_wait(pid), 0);
	UT_ERRNO(wait4(pid, &status, 0, NULL), ECHILD);
	UT_ERRNO(wait4(-1, &status, WNOHANG, NULL), ECHILD);
}

UT_CASE(wait4_bad_options)
{
	int status;

	UT_ERRNO(wait4(-1, &status, 0x12340000, NULL), EINVAL);
}

UT_CASE(wait_any_reaps_each_child_once)
{
	enum {
		N = 8
	};
	pid_t pids[N];
	int seen[N] = { 0 };

	for (int i = 0; i < N; i++) {
		pids[i] = UT_NOERR(fork());
		if (pids[i] == 0)
			_exit(10 + i);
	}
	for (int k = 0; k < N; k++) {
		int status, i;
		pid_t pid = UT_NOERR(wait4(-1, &status, 0, NULL));
		for (i = 0; i < N && pids[i] != pid; i++)
			;
		UT_CHECK(i < N);
		UT_EQ(seen[i]++, 0);
		UT_CHECK(WIFEXITED(status));
		UT_EQ(WEXITSTATUS(status), 10 + i);
	}
	UT_ERRNO(wait4(-1, NULL, 0, NULL), ECHILD);
}

UT_CASE(wait_by_pid_in_reverse_order)
{
	enum {
		N = 4
	};
	pid_t pids[N];

	for (int i = 0; i < N; i++) {
		pids[i] = UT_NOERR(fork());
		if (pids[i] == 0)
			_exit(20 + i);
	}
	for (int i = N - 1; i >= 0; i--)
		UT_EQ(ut_wait(pids[i]), 20 + i);
}

UT_CASE(pids_distinct)
{
	enum {
		N = 16
	};
	pid_t pids[N];

	for (int i = 0; i < N; i++) {
		pids[i] = UT_NOERR(fork());
		if (pids[i] == 0)
			_exit(0);
		UT_NE(pids[i], getpid());
		for (int k = 0; k < i; k++)
			UT_NE(pids[i], pids[k]);
	}
	for (int i = 0; i < N; i++)
		UT_EQ(ut_wait(pids[i]), 0);
}

UT_CASE(wait4_rusage)
{
	struct rusage ru;
	pid_t pid = UT_NOERR(fork());
	int status;

	if (pid == 0)
		_exit(0);
	memset(&ru, 0xff, sizeof(ru));
	UT_EQ(wait4(pid, &status, 0, &ru), pid);
	UT_CHECK(ru.ru_utime.tv_sec >= 0 && ru.ru_utime.tv_usec >= 0 &&
		 ru.ru_utime.tv_usec < 1000000);
	UT_CHECK(ru.ru_stime.tv_sec >= 0 && ru.ru_stime.tv_usec >= 0 &&
		 ru.ru_stime.tv_usec < 1000000);
}

UT_CASE(waitid_exited)
{
	siginfo_t si;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(33);
	memset(&si, 0, sizeof(si));
	UT_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
	UT_EQ(si.si_pid, pid);
	UT_EQ(si.si_signo, SIGCHLD);
	UT_EQ(si.si_code, CLD_EXITED);
	UT_EQ(si.si_status, 33);
	UT_ERRNO(waitid(P_PID, pid, &si, WEXITED), ECHILD);
}

UT_CASE(waitid_killed)
{
	siginfo_t si;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		__asm__ volatile("ud2");
	}
	memset(&si, 0, sizeof(si));
	UT_EQ(waitid(P_ALL, 0, &si, WEXITED), 0);
	UT_EQ(si.si_pid, pid);
	UT_CHECK(si.si_code == CLD_KILLED || si.si_code == CLD_DUMPED);
	UT_EQ(si.si_status, SIGILL);
}

UT_CASE(waitid_wnohang_nothing_ready)
{
	volatile int *go = shared_page();
	siginfo_t si;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		wait_flag(go);
		_exit(0);
	}
	memset(&si, 0xff, sizeof(si));
	UT_EQ(waitid(P_ALL, 0, &si, WEXITED | WNOHANG), 0);
	UT_EQ(si.si_pid, 0); /* nothing to report */
	*go = 1;
	UT_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
	UT_EQ(si.si_pid, pid);
	munmap((void *)go, 4096);
}

UT_CASE(waitid_wnowait_keeps_zombie)
{
	siginfo_t si;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(5);
	UT_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0);
	UT_EQ(si.si_pid, pid);
	UT_EQ(si.si_status, 5);
	UT_EQ(ut_wait(pid), 5); /* still there to reap */
	UT_ERRNO(waitid(P_PID, pid, &si, WEXITED), ECHILD);
}

/* Stopped and continued children as Linux reports them: CLD_STOPPED/SIGSTOP, CLD_CONTINUED/SIGCONT. */
UT_CASE(waitid_stopped_and_continued)
{
	siginfo_t si;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		for (;;)
			pause();
	}
	UT_EQ(kill(pid, SIGSTOP), 0);
	memset(&si, 0, sizeof(si));
	UT_EQ(waitid(P_PID, pid, &si, WSTOPPED), 0);
	UT_EQ(si.si_pid, pid);
	UT_EQ(si.si_signo, SIGCHLD);
	UT_EQ(si.si_code, CLD_STOPPED);
	UT_EQ(si.si_status, SIGSTOP);
	memset(&si, 0, sizeof(si));
	UT_EQ(waitid(P_PID, pid, &si, WSTOPPED | WNOHANG), 0);
	UT_EQ(si.si_pid, 0); /* reported once */
	UT_EQ(kill(pid, SIGCONT), 0);
	UT_EQ(waitid(P_PID, pid, &si, WCONTINUED), 0);
	UT_EQ(si.si_pid, pid);
	UT_EQ(si.si_code, CLD_CONTINUED);
	UT_EQ(si.si_status, SIGCONT);
	UT_EQ(kill(pid, SIGTSTP), 0);
	UT_EQ(waitid(P_ALL, 0, &si, WSTOPPED | WEXITED), 0);
	UT_EQ(si.si_code, CLD_STOPPED);
	UT_EQ(si.si_status, SIGTSTP);
	UT_EQ(kill(pid, SIGKILL), 0);
	UT_EQ(waitid(P_PID, pid, &si, WEXITED | WNOWAIT), 0); /* dead now */
	/* Without WEXITED the dead neither count nor are reaped. */
	UT_ERRNO(waitid(P_PID, pid, &si, WSTOPPED | WCONTINUED | WNOHANG), ECHILD);
	UT_EQ(waitid(P_PID, pid, &si, WEXITED), 0);
	UT_EQ(si.si_code, CLD_KILLED);
	UT_EQ(si.si_status, SIGKILL);
}

UT_CASE(waitid_errors)
{
	siginfo_t si;

	UT_ERRNO(waitid(P_ALL, 0, &si, 0), EINVAL); /* no WEXITED/WSTOPPED/WCONTINUED */
	UT_ERRNO(waitid((idtype_t)42, 0, &si, WEXITED), EINVAL);
	UT_ERRNO(waitid(P_ALL, 0, &si, WEXITED), ECHILD);
}

UT_CASE(fork_1000_sequential)
{
	for (int i = 0; i < 1000; i++) {
		pid_t pid = UT_NOERR(fork());
		if (pid == 0)
			_exit(i & 0xff);
		UT_EQ(ut_wait(pid), i & 0xff);
	}
	UT_ERRNO(wait4(-1, NULL, WNOHANG, NULL), ECHILD);
}

UT_CASE(fork_1000_in_batches_reaped_by_any)
{
	enum {
		BATCH = 50
	};
	int reaped = 0;

	for (int b = 0; b < 1000 / BATCH; b++) {
		for (int i = 0; i < BATCH; i++) {
			pid_t pid = UT_NOERR(fork());
			if (pid == 0)
				_exit(1);
		}
		for (int i = 0; i < BATCH; i++) {
			int status;
			UT_CHECK(wait4(-1, &status, 0, NULL) > 0);
			UT_CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 1);
			reaped++;
		}
	}
	UT_EQ(reaped, 1000);
	UT_ERRNO(wait4(-1, NULL, WNOHANG, NULL), ECHILD);
}

UT_CASE(child_of_child)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		pid_t grandchild = fork();
		if (grandchild == 0)
			_exit(6);
		int status;
		if (grandchild < 0 || wait4(grandchild, &status, 0, NULL) != grandchild)
			_exit(1);
		_exit(WIFEXITED(status) && WEXITSTATUS(status) == 6 ? 0 : 2);
	}
	UT_EQ(ut_wait(pid), 0);
	UT_ERRNO(wait4(-1, NULL, WNOHANG, NULL), ECHILD); /* the grandchild is not ours */
}

/*
 * The middle process exits; its child (the orphan) reports getppid() into
 * shared memory once the parent has reaped the middle one.
 * shm[0]: orphan's pid; shm[1]: go; shm[2]: orphan's getppid(); shm[3]: done.
 */
static pid_t make_orphan(volatile int *shm)
{
	pid_t middle = UT_NOERR(fork());

	if (middle == 0) {
		pid_t orphan = fork();
		if (orphan == 0) {
			wait_flag(&shm[1]);
			shm[2] = getppid();
			shm[3] = 1;
			_exit(0);
		}
		shm[0] = orphan;
		_exit(orphan > 0 ? 0 : 1);
	}
	UT_EQ(ut_wait(middle), 0);
	shm[1] = 1;
	UT_CHECK(wait_flag(&shm[3]));
	return shm[0];
}

UT_CASE(orphan_reparented_to_init)
{
	volatile int *shm = shared_page();

	make_orphan(shm);
	UT_EQ(shm[2], 1);
	UT_ERRNO(wait4(-1, NULL, WNOHANG, NULL), ECHILD); /* not given to us */
	munmap((void *)shm, 4096);
}

UT_CASE(orphan_reaped_by_init)
{
	volatile int *shm = shared_page();
	pid_t orphan = make_orphan(shm);

	/* Once init has reaped it, the pid no longer exists: kill(pid, 0)
	 * succeeds until then, and fails with ESRCH after. */
	UT_POLL(kill(orphan, 0) == -1, 60);
	UT_ERRNO(kill(orphan, 0), ESRCH);
	munmap((void *)shm, 4096);
}
