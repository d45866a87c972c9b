/*
 * Scheduling priorities: getpriority/setpriority on threads, process
 * groups and users with Linux's errors (EINVAL, ESRCH, EPERM for another
 * user's, EACCES for a raise without the right), the sched_* calls with
 * every policy and their errors, SCHED_RESET_ON_FORK, ioprio_get/set,
 * inheritance by fork, /proc/PID/stat's priority, nice, rt_priority and
 * policy; and that they act: a nice-19 process pinned with a nice-0 one
 * gets less than half of its CPU time, and a SCHED_FIFO thread keeps its
 * CPU from a SCHED_OTHER one while it spins. Runs as root; cases that
 * need an ordinary user fork a child that becomes uid 1000.
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define IOPRIO_VALUE(class, data) (((class) << 13) | (data))
#define IOPRIO_WHO_PROCESS	  1
#define IOPRIO_WHO_PGRP		  2
#define IOPRIO_WHO_USER		  3
#define USER			  1000

static long sys_ioprio_set(int which, int who, int ioprio)
{
	return syscall(SYS_ioprio_set, which, who, ioprio);
}

static long sys_ioprio_get(int which, int who)
{
	return syscall(SYS_ioprio_get, which, who);
}

static long sys_setscheduler(int pid, int policy, const struct sched_param *p)
{
	return syscall(SYS_sched_setscheduler, pid, policy, p);
}

/* musl's sched_getscheduler says ENOSYS (its policies are per process): the raw call. */
static long getsched(int pid)
{
	return syscall(SYS_sched_getscheduler, pid);
}

/* getpriority's raw value: 20 - nice (musl's wrapper converts). */
static long raw_getpriority(int which, int who)
{
	return syscall(SYS_getpriority, which, who);
}

static void become_user(void)
{
	UT_NOERR(setresgid(USER, USER, USER));
	UT_NOERR(setresuid(USER, USER, USER));
}

/* Field n (1-based, as proc(5) numbers them) of /proc/PID/stat. */
static long stat_field(pid_t pid, int n)
{
	char path[64], buf[1024], *p;
	FILE *f;
	long v = 0;

	snprintf(path, sizeof(path), "/proc/%d/stat", pid);
	f = fopen(path, "r");
	UT_CHECK(f != NULL);
	UT_CHECK(fgets(buf, sizeof(buf), f) != NULL);
	fclose(f);
	p = strrchr(buf, ')');
	UT_CHECK(p != NULL);
	p += 2; /* field 3 */
	for (int i = 3; i < n; i++) {
		p = strchr(p, ' ');
		UT_CHECK(p != NULL);
		p++;
	}
	sscanf(p, "%ld", &v);
	return v;
}

static void reset_self(void)
{
	struct sched_param sp = { .sched_priority = 0 };

	UT_NOERR(sys_setscheduler(0, SCHED_OTHER, &sp));
	UT_NOERR(setpriority(PRIO_PROCESS, 0, 0));
	UT_NOERR(sys_ioprio_set(IOPRIO_WHO_PROCESS, 0, 0));
}

UT_CASE(nice_defaults_and_errors)
{
	UT_EQ(raw_getpriority(PRIO_PROCESS, 0), 20);
	UT_EQ(getpriority(PRIO_PROCESS, getpid()), 0);
	UT_ERRNO(raw_getpriority(3, 0), EINVAL);
	UT_ERRNO(raw_getpriority(-1, 0), EINVAL);
	UT_ERRNO(raw_getpriority(PRIO_PROCESS, 0x7ffffff0), ESRCH);
	UT_ERRNO(raw_getpriority(PRIO_PGRP, 0x7ffffff0), ESRCH);
	UT_ERRNO(raw_getpriority(PRIO_USER, 4242), ESRCH);
	UT_ERRNO(setpriority(3, 0, 1), EINVAL);
	UT_ERRNO(setpriority(PRIO_PROCESS, 0x7ffffff0, 1), ESRCH);
	/* Out of range is clamped, as Linux does. */
	UT_NOERR(setpriority(PRIO_PROCESS, 0, 100));
	UT_EQ(getpriority(PRIO_PROCESS, 0), 19);
	UT_NOERR(setpriority(PRIO_PROCESS, 0, -100)); /* root may raise */
	UT_EQ(getpriority(PRIO_PROCESS, 0), -20);
	UT_EQ(stat_field(getpid(), 18), 0); /* priority: 20 + nice */
	UT_EQ(stat_field(getpid(), 19), -20);
	UT_NOERR(setpriority(PRIO_PROCESS, 0, 5));
	UT_EQ(stat_field(getpid(), 18), 25);
	UT_EQ(stat_field(getpid(), 19), 5);
	reset_self();
}

UT_CASE(nice_rules_for_an_ordinary_user)
{
	pid_t parent = getpid(), pid = UT_NOERR(fork());

	if (pid == 0) {
		become_user();
		UT_NOERR(setpriority(PRIO_PROCESS, 0, 5)); /* lowering one's own: allowed */
		UT_EQ(getpriority(PRIO_PROCESS, 0), 5);
		UT_ERRNO(setpriority(PRIO_PROCESS, 0, 4), EACCES); /* raising: RLIMIT_NICE is 0 */
		UT_ERRNO(setpriority(PRIO_PROCESS, 0, -1), EACCES);
		UT_NOERR(setpriority(PRIO_PROCESS, 0, 5));		/* the same: fine */
		UT_ERRNO(setpriority(PRIO_PROCESS, parent, 10), EPERM); /* root's */
		UT_EQ(getpriority(PRIO_PROCESS, parent), 0);		/* reading is allowed */
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(nice_rlimit_allows_a_raise)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		struct rlimit rl = { 25, 25 }; /* down to nice -5 */

		UT_NOERR(setrlimit(RLIMIT_NICE, &rl));
		become_user();
		UT_NOERR(setpriority(PRIO_PROCESS, 0, -5));
		UT_ERRNO(setpriority(PRIO_PROCESS, 0, -6), EACCES);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

static pid_t spawn_sleeper(void)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		for (;;)
			pause();
	}
	return pid;
}

static void end_child(pid_t pid)
{
	kill(pid, SIGKILL);
	UT_EQ(waitpid(pid, NULL, 0), pid);
}

UT_CASE(nice_of_a_process_group_and_a_user)
{
	pid_t a = spawn_sleeper(), b = spawn_sleeper(), pid;

	UT_NOERR(setpgid(a, a));
	UT_NOERR(setpgid(b, a));
	UT_NOERR(setpriority(PRIO_PGRP, a, 7));
	UT_EQ(getpriority(PRIO_PROCESS, a), 7);
	UT_EQ(getpriority(PRIO_PROCESS, b), 7);
	UT_NOERR(setpriority(PRIO_PROCESS, b, 3));
	UT_EQ(getpriority(PRIO_PGRP, a), 3); /* the group's best */
	UT_EQ(getpriority(PRIO_PROCESS, 0), 0);
	end_child(a);
	end_child(b);
	/* A user's processes: a child as uid 1000 with a child of its own. */
	pid = UT_NOERR(fork());
	if (pid == 0) {
		pid_t c;

		become_user();
		c = spawn_sleeper();
		UT_NOERR(setpriority(PRIO_USER, 0, 9)); /* 0: the caller's uid */
		UT_EQ(getpriority(PRIO_PROCESS, c), 9);
		UT_EQ(getpriority(PRIO_PROCESS, 0), 9);
		UT_NOERR(setpriority(PRIO_PROCESS, c, 12));
		UT_EQ(getpriority(PRIO_USER, USER), 9);
		end_child(c);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(nice_policy_and_ioprio_inherited_by_fork)
{
	struct sched_param sp = { .sched_priority = 0 };
	pid_t pid;

	UT_NOERR(setpriority(PRIO_PROCESS, 0, 6));
	UT_NOERR(sys_setscheduler(0, SCHED_BATCH, &sp));
	UT_NOERR(sys_ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(2, 3)));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_EQ(getpriority(PRIO_PROCESS, 0), 6);
		UT_EQ(getsched(0), SCHED_BATCH);
		UT_EQ(sys_ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO_VALUE(2, 3));
		_exit(0);
	}
	UT_CHILD_OK(pid);
	reset_self();
}

UT_CASE(sched_policies_and_errors)
{
	struct sched_param sp = { .sched_priority = 0 }, got = { .sched_priority = -1 };
	struct timespec ts;

	UT_EQ(getsched(0), SCHED_OTHER);
	UT_EQ(syscall(SYS_sched_get_priority_max, SCHED_FIFO), 99);
	UT_EQ(syscall(SYS_sched_get_priority_min, SCHED_RR), 1);
	UT_EQ(syscall(SYS_sched_get_priority_max, SCHED_OTHER), 0);
	UT_EQ(syscall(SYS_sched_get_priority_min, SCHED_IDLE), 0);
	UT_ERRNO(syscall(SYS_sched_get_priority_max, 4), EINVAL);
	UT_ERRNO(syscall(SYS_sched_get_priority_min, -1), EINVAL);
	UT_ERRNO(sys_setscheduler(0, 4, &sp), EINVAL);
	UT_ERRNO(sys_setscheduler(0, -1, &sp), EINVAL);
	UT_ERRNO(sys_setscheduler(-1, SCHED_OTHER, &sp), EINVAL);
	UT_ERRNO(sys_setscheduler(0, SCHED_OTHER, NULL), EINVAL);
	UT_ERRNO(sys_setscheduler(0x7ffffff0, SCHED_OTHER, &sp), ESRCH);
	UT_ERRNO(syscall(SYS_sched_getscheduler, -1), EINVAL);
	UT_ERRNO(syscall(SYS_sched_getscheduler, 0x7ffffff0), ESRCH);
	UT_ERRNO(syscall(SYS_sched_getparam, 0, NULL), EINVAL);
	UT_ERRNO(syscall(SYS_sched_getparam, 0x7ffffff0, &got), ESRCH);
	UT_ERRNO(syscall(SYS_sched_setparam, -1, &sp), EINVAL);
	sp.sched_priority = 1;
	UT_ERRNO(sys_setscheduler(0, SCHED_OTHER, &sp), EINVAL); /* fair: priority 0 only */
	sp.sched_priority = 0;
	UT_ERRNO(sys_setscheduler(0, SCHED_FIFO, &sp), EINVAL); /* real-time: 1..99 */
	sp.sched_priority = 100;
	UT_ERRNO(sys_setscheduler(0, SCHED_RR, &sp), EINVAL);
	sp.sched_priority = 42;
	UT_NOERR(sys_setscheduler(0, SCHED_RR, &sp));
	UT_EQ(getsched(0), SCHED_RR);
	UT_NOERR(syscall(SYS_sched_getparam, 0, &got));
	UT_EQ(got.sched_priority, 42);
	UT_EQ(stat_field(getpid(), 18), -43); /* -1 - rt_priority */
	UT_EQ(stat_field(getpid(), 40), 42);
	UT_EQ(stat_field(getpid(), 41), SCHED_RR);
	UT_NOERR(syscall(SYS_sched_rr_get_interval, 0, &ts));
	UT_EQ(ts.tv_sec * 1000000000L + ts.tv_nsec, 100000000L); /* Linux's RR slice */
	sp.sched_priority = 7;
	UT_NOERR(syscall(SYS_sched_setparam, 0, &sp)); /* keeps the policy */
	UT_EQ(getsched(0), SCHED_RR);
	sp.sched_priority = 0;
	UT_ERRNO(syscall(SYS_sched_setparam, 0, &sp), EINVAL);
	sp.sched_priority = 7;
	UT_NOERR(sys_setscheduler(0, SCHED_FIFO, &sp));
	UT_NOERR(syscall(SYS_sched_rr_get_interval, 0, &ts));
	UT_EQ(ts.tv_sec + ts.tv_nsec, 0L);
	sp.sched_priority = 0;
	UT_NOERR(sys_setscheduler(0, SCHED_IDLE, &sp));
	UT_EQ(getsched(0), SCHED_IDLE);
	UT_EQ(stat_field(getpid(), 40), 0);
	UT_EQ(stat_field(getpid(), 41), SCHED_IDLE);
	UT_NOERR(syscall(SYS_sched_rr_get_interval, 0, &ts));
	UT_CHECK(ts.tv_sec * 1000000000L + ts.tv_nsec > 0);
	UT_ERRNO(syscall(SYS_sched_rr_get_interval, -1, &ts), EINVAL);
	UT_ERRNO(syscall(SYS_sched_rr_get_interval, 0x7ffffff0, &ts), ESRCH);
	reset_self();
	UT_EQ(getsched(0), SCHED_OTHER);
}

UT_CASE(sched_rules_for_an_ordinary_user)
{
	pid_t parent = getpid(), pid = UT_NOERR(fork());

	if (pid == 0) {
		struct sched_param sp = { .sched_priority = 5 };

		become_user();
		UT_ERRNO(sys_setscheduler(0, SCHED_FIFO, &sp), EPERM); /* RLIMIT_RTPRIO is 0 */
		UT_ERRNO(sys_setscheduler(0, SCHED_RR, &sp), EPERM);
		sp.sched_priority = 0;
		UT_ERRNO(sys_setscheduler(parent, SCHED_BATCH, &sp), EPERM); /* root's */
		UT_NOERR(sys_setscheduler(0, SCHED_BATCH, &sp));
		UT_NOERR(sys_setscheduler(0, SCHED_IDLE, &sp));
		/* Leaving SCHED_IDLE is a raise: RLIMIT_NICE must allow nice 0. */
		UT_ERRNO(sys_setscheduler(0, SCHED_OTHER, &sp), EPERM);
		UT_EQ(getsched(0), SCHED_IDLE);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(reset_on_fork)
{
	struct sched_param sp = { .sched_priority = 10 };
	pid_t pid;

	UT_NOERR(sys_setscheduler(0, SCHED_FIFO | SCHED_RESET_ON_FORK, &sp));
	UT_EQ(getsched(0), SCHED_FIFO | SCHED_RESET_ON_FORK);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		struct sched_param got = { .sched_priority = -1 };

		UT_EQ(getsched(0), SCHED_OTHER); /* reset, and the flag not passed on */
		UT_NOERR(syscall(SYS_sched_getparam, 0, &got));
		UT_EQ(got.sched_priority, 0);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	sp.sched_priority = 0;
	UT_NOERR(sys_setscheduler(0, SCHED_OTHER | SCHED_RESET_ON_FORK, &sp));
	UT_NOERR(setpriority(PRIO_PROCESS, 0, -3));
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(getpriority(PRIO_PROCESS, 0) == 0 ? 0 : 1); /* a negative nice resets to 0 */
	UT_CHILD_OK(pid);
	UT_NOERR(setpriority(PRIO_PROCESS, 0, 4));
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(getpriority(PRIO_PROCESS, 0) == 4 ? 0 : 1); /* a positive one stays */
	UT_CHILD_OK(pid);
	reset_self();
	UT_EQ(getsched(0), SCHED_OTHER);
}

UT_CASE(ioprio_values_and_errors)
{
	pid_t pid;

	UT_EQ(sys_ioprio_get(IOPRIO_WHO_PROCESS, 0), 0);
	UT_NOERR(sys_ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(1, 0))); /* RT, as root */
	UT_EQ(sys_ioprio_get(IOPRIO_WHO_PROCESS, getpid()), IOPRIO_VALUE(1, 0));
	UT_NOERR(sys_ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(3, 0))); /* IDLE */
	UT_EQ(sys_ioprio_get(IOPRIO_WHO_PROCESS, 0), IOPRIO_VALUE(3, 0));
	UT_ERRNO(sys_ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(2, 8)), EINVAL);
	UT_ERRNO(sys_ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(0, 1)), EINVAL);
	UT_ERRNO(sys_ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(4, 0)), EINVAL);
	UT_ERRNO(sys_ioprio_set(4, 0, IOPRIO_VALUE(2, 0)), EINVAL);
	UT_ERRNO(sys_ioprio_get(0, 0), EINVAL);
	UT_ERRNO(sys_ioprio_get(IOPRIO_WHO_PROCESS, 0x7ffffff0), ESRCH);
	UT_ERRNO(sys_ioprio_set(IOPRIO_WHO_PGRP, 0x7ffffff0, IOPRIO_VALUE(2, 0)), ESRCH);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		become_user();
		UT_ERRNO(sys_ioprio_set(IOPRIO_WHO_PROCESS, 0, IOPRIO_VALUE(1, 0)), EPERM);
		UT_ERRNO(sys_ioprio_set(IOPRIO_WHO_PROCESS, getppid(), IOPRIO_VALUE(2, 1)), EPERM);
		UT_NOERR(sys_ioprio_set(IOPRIO_WHO_USER, 0, IOPRIO_VALUE(2, 5)));
		UT_EQ(sys_ioprio_get(IOPRIO_WHO_USER, USER), IOPRIO_VALUE(2, 5));
		_exit(0);
	}
	UT_CHILD_OK(pid);
	reset_self();
}

static void pin_to_cpu0(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(0, &set);
	UT_NOERR(sched_setaffinity(0, sizeof(set), &set));
	UT_CHECK(UT_SPIN(sched_getcpu() == 0, 60));
}

static void unpin(void)
{
	cpu_set_t set;

	memset(&set, 0xff, sizeof(set));
	UT_NOERR(sched_setaffinity(0, sizeof(set), &set));
}

static long cpu_ns(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return ts.tv_sec * 1000000000L + ts.tv_nsec;
}

struct share {
	volatile int stop;
	volatile long cpu_ns[2];
	volatile long counter;
};

static struct share *shared(void)
{
	struct share *s = mmap(NULL, sizeof(*s), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			       -1, 0);

	UT_CHECK(s != MAP_FAILED);
	memset((void *)s, 0, sizeof(*s));
	return s;
}

static pid_t spin_child(struct share *s, int i, int nice)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		pin_to_cpu0();
		UT_NOERR(setpriority(PRIO_PROCESS, 0, nice));
		while (!s->stop) {
			for (volatile int k = 0; k < 10000; k++)
				;
			s->cpu_ns[i] = cpu_ns(CLOCK_PROCESS_CPUTIME_ID);
		}
		_exit(0);
	}
	return pid;
}

static long child_cpu_ns(pid_t pid)
{
	struct rusage ru;
	int status;

	UT_EQ(wait4(pid, &status, 0, &ru), pid);
	UT_EQ(status, 0);
	return (ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000000L +
	       (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) * 1000L;
}

/*
 * Two CPU-bound processes on CPU 0, nice 0 and nice 19: by the weights
 * (1024 and 15) the second gets about 1/68 of the first's time. The check
 * is on CPU time, not wall time, and only asks for less than half, so a
 * busy host cannot make it fail; without nice the two would be even.
 */
UT_CASE(nice_19_gets_a_small_share)
{
	struct share *s = shared();
	pid_t a = spin_child(s, 0, 0), b = spin_child(s, 1, 19);
	long ta, tb;

	UT_CHECK(UT_POLL(s->cpu_ns[0] >= 400000000L, 300));
	s->stop = 1;
	ta = child_cpu_ns(a);
	tb = child_cpu_ns(b);
	ut_printf("sched_prio: CPU time at nice 0: %ld ms, at nice 19: %ld ms", ta / 1000000,
		  tb / 1000000);
	UT_CHECK(tb * 2 < ta);
	munmap((void *)s, sizeof(*s));
}

/*
 * A SCHED_FIFO thread and a SCHED_OTHER one on CPU 0: while the FIFO one
 * spins (for 200 ms of its own CPU time: bounded, it is the one running)
 * and yields now and then, the other does not run at all; once it is
 * SCHED_OTHER again the other runs.
 */
UT_CASE(fifo_runs_before_other)
{
	struct share *s = shared();
	struct sched_param fifo = { .sched_priority = 10 }, other = { .sched_priority = 0 };
	long before, after, start;
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		pin_to_cpu0();
		for (;;)
			s->counter++;
	}
	pin_to_cpu0();
	UT_CHECK(UT_SPIN(s->counter > 0, 60)); /* it runs next to us */
	UT_NOERR(sys_setscheduler(0, SCHED_FIFO, &fifo));
	before = s->counter;
	start = cpu_ns(CLOCK_THREAD_CPUTIME_ID);
	for (long n = 0; n < (1L << 36) && cpu_ns(CLOCK_THREAD_CPUTIME_ID) - start < 200000000L;
	     n++)
		if (n % 64 == 0)
			sched_yield(); /* to a real-time thread of its priority only: there is none */
	after = s->counter;
	UT_NOERR(sys_setscheduler(0, SCHED_OTHER, &other));
	UT_EQ(after, before);
	UT_CHECK(UT_SPIN(s->counter > after, 60));
	end_child(pid);
	unpin();
	munmap((void *)s, sizeof(*s));
}
