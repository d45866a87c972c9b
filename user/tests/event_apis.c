/*
 * event_apis: eventfd, timerfd, signalfd and epoll (docs/events.md). Each
 * call with its error paths in Linux's order (EBADF, EINVAL on bad flags
 * and clocks, EFAULT, EAGAIN, EEXIST/ENOENT/ELOOP/EPERM on epoll_ctl,
 * EINVAL for an epoll on itself and for EPOLLEXCLUSIVE misuse), blocking
 * reads and waits ended by another process, level- against edge-triggered
 * reports, EPOLLONESHOT, nested epolls, files leaving interest lists at
 * their last close, 10,000 registered descriptors with one active,
 * timerfd's periodic overruns, signalfd taking a blocked signal, and
 * pidfds (pidfd_open, its poll at exit, pidfd_send_signal, pidfd_getfd,
 * CLONE_PIDFD in clone and clone3 with its EINVAL/EFAULT cases). The
 * event files also work with poll and show as anon_inode:[...] in
 * /proc/self/fd. No case measures time; timeouts only bound from below.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/eventfd.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/timerfd.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000L

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * MS };

	while (nanosleep(&ts, &ts))
		;
}

static int poll1(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	return poll(&p, 1, 0) == 1 ? p.revents : 0;
}

static uint64_t read64(int fd)
{
	uint64_t v = 0;

	UT_EQ(read(fd, &v, sizeof(v)), sizeof(v));
	return v;
}

static void write64(int fd, uint64_t v)
{
	UT_EQ(write(fd, &v, sizeof(v)), sizeof(v));
}

static void check_link(int fd, const char *want)
{
	char path[64], buf[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = UT_NOERR(readlink(path, buf, sizeof(buf) - 1));
	buf[n] = 0;
	UT_EQ(strcmp(buf, want), 0);
}

/* ---- eventfd ---- */

UT_CASE(eventfd_counts_and_errors)
{
	int fd = UT_NOERR(eventfd(3, EFD_NONBLOCK | EFD_CLOEXEC));
	uint64_t v = ~0ULL;
	uint32_t small;

	UT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	UT_EQ(poll1(fd, POLLIN | POLLOUT), POLLIN | POLLOUT);
	UT_EQ(read64(fd), 3);
	UT_ERRNO(read(fd, &v, sizeof(v)), EAGAIN);
	UT_EQ(poll1(fd, POLLIN | POLLOUT), POLLOUT);
	write64(fd, 5);
	write64(fd, 2);
	UT_EQ(read64(fd), 7);
	UT_ERRNO(read(fd, &small, sizeof(small)), EINVAL);
	UT_ERRNO(write(fd, &small, sizeof(small)), EINVAL);
	v = ~0ULL;
	UT_ERRNO(write(fd, &v, sizeof(v)), EINVAL);
	UT_EQ(ut_raw3(SYS_write, fd, 8, sizeof(v)), -EFAULT);
	write64(fd, ~0ULL - 1); /* the largest count */
	UT_EQ(poll1(fd, POLLIN | POLLOUT), POLLIN);
	v = 1;
	UT_ERRNO(write(fd, &v, sizeof(v)), EAGAIN);
	UT_EQ(read64(fd), ~0ULL - 1);
	check_link(fd, "anon_inode:[eventfd]");
	{
		struct stat st;

		UT_NOERR(fstat(fd, &st));
		UT_EQ(st.st_mode, 0600); /* an anonymous inode: no file type */
		UT_CHECK(mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0) == MAP_FAILED);
	}
	UT_ERRNO(eventfd(0, 0x100), EINVAL);
	close(fd);
}

UT_CASE(eventfd_semaphore)
{
	int fd = UT_NOERR(eventfd(2, EFD_SEMAPHORE | EFD_NONBLOCK));
	uint64_t v;

	UT_EQ(read64(fd), 1);
	UT_EQ(read64(fd), 1);
	UT_ERRNO(read(fd, &v, sizeof(v)), EAGAIN);
	close(fd);
}

UT_CASE(eventfd_blocking_read_and_write)
{
	int fd = UT_NOERR(eventfd(0, 0));
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		sleep_ms(30);
		write64(fd, 42);
		sleep_ms(30);
		UT_EQ(read64(fd), ~0ULL - 1); /* lets the parent's blocked write in */
		_exit(0);
	}
	UT_EQ(read64(fd), 42); /* blocks until the child writes */
	write64(fd, ~0ULL - 1);
	write64(fd, 1); /* blocks until the child reads */
	UT_CHILD_OK(pid);
	UT_EQ(read64(fd), 1);
	close(fd);
}

/* ---- timerfd ---- */

static struct itimerspec its(long value_ns, long interval_ns)
{
	struct itimerspec t = { { interval_ns / 1000000000L, interval_ns % 1000000000L },
				{ value_ns / 1000000000L, value_ns % 1000000000L } };

	return t;
}

UT_CASE(timerfd_errors)
{
	int fd = UT_NOERR(timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK));
	int efd = UT_NOERR(eventfd(0, 0));
	struct itimerspec t = its(0, 0), bad = its(0, 0);

	UT_ERRNO(timerfd_create(CLOCK_PROCESS_CPUTIME_ID, 0), EINVAL);
	UT_ERRNO(timerfd_create(123, 0), EINVAL);
	UT_ERRNO(timerfd_create(CLOCK_MONOTONIC, 0x4), EINVAL);
	UT_ERRNO(timerfd_settime(fd, 0x10, &t, NULL), EINVAL);
	bad.it_value.tv_nsec = 1000000000L;
	UT_ERRNO(timerfd_settime(fd, 0, &bad, NULL), EINVAL);
	bad = its(0, 0);
	bad.it_interval.tv_nsec = -1;
	UT_ERRNO(timerfd_settime(fd, 0, &bad, NULL), EINVAL);
	UT_ERRNO(timerfd_settime(-1, 0, &t, NULL), EBADF);
	UT_ERRNO(timerfd_settime(efd, 0, &t, NULL), EINVAL);
	UT_ERRNO(timerfd_settime(fd, 0, (void *)8, NULL), EFAULT);
	UT_ERRNO(timerfd_gettime(fd, (void *)8), EFAULT);
	UT_ERRNO(timerfd_gettime(efd, &t), EINVAL);
	UT_ERRNO(timerfd_gettime(-1, &t), EBADF);
	UT_ERRNO(read(fd, &t, 4), EINVAL);
	UT_ERRNO(read(fd, &t, 8), EAGAIN); /* disarmed */
	check_link(fd, "anon_inode:[timerfd]");
	close(fd);
	close(efd);
}

UT_CASE(timerfd_one_shot)
{
	int fd = UT_NOERR(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec t = its(20 * MS, 0), old;
	uint64_t v;

	UT_NOERR(timerfd_settime(fd, 0, &t, NULL));
	UT_NOERR(timerfd_gettime(fd, &old));
	UT_CHECK(old.it_value.tv_sec == 0 && old.it_value.tv_nsec > 0);
	UT_EQ(old.it_interval.tv_nsec, 0);
	UT_EQ(read64(fd), 1); /* blocks until it expires */
	UT_NOERR(timerfd_gettime(fd, &old));
	UT_EQ(old.it_value.tv_sec + old.it_value.tv_nsec, 0);
	UT_EQ(poll1(fd, POLLIN), 0);
	/* Set again: the old setting comes back, 0 disarms. */
	t = its(10 * 1000000000L, 0);
	UT_NOERR(timerfd_settime(fd, 0, &t, NULL));
	t = its(0, 0);
	UT_NOERR(timerfd_settime(fd, 0, &t, &old));
	UT_CHECK(old.it_value.tv_sec >= 9);
	fcntl(fd, F_SETFL, O_NONBLOCK);
	UT_ERRNO(read(fd, &v, sizeof(v)), EAGAIN);
	close(fd);
}

UT_CASE(timerfd_periodic_overruns)
{
	int fd = UT_NOERR(timerfd_create(CLOCK_BOOTTIME, TFD_NONBLOCK));
	struct itimerspec t = its(10 * MS, 10 * MS), cur;
	uint64_t n;

	UT_NOERR(timerfd_settime(fd, 0, &t, NULL));
	sleep_ms(100); /* at least 100 ms: at least 10 expirations */
	n = read64(fd);
	UT_CHECK(n >= 10);
	UT_NOERR(timerfd_gettime(fd, &cur));
	UT_EQ(cur.it_interval.tv_nsec, 10 * MS);
	UT_CHECK(cur.it_value.tv_nsec > 0 && cur.it_value.tv_nsec <= 10 * MS);
	close(fd);
}

/*
 * Periods too long to add to a deadline (the largest a timespec holds):
 * one expiration, then nothing. They once wrapped the next deadline into
 * the past, and the timer fired in a loop inside the tick.
 */
UT_CASE(timerfd_and_itimer_huge_periods)
{
	int fd = UT_NOERR(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec t = its(1, 0), cur;
	struct itimerval iv = { { LONG_MAX, 999999 }, { 0, 1 } }, left;
	sigset_t alrm;

	t.it_interval.tv_sec = LONG_MAX;
	t.it_interval.tv_nsec = 999999999L;
	UT_NOERR(timerfd_settime(fd, 0, &t, NULL));
	UT_EQ(read64(fd), 1);
	UT_NOERR(timerfd_gettime(fd, &cur));
	UT_CHECK(cur.it_value.tv_sec > 1000000000L); /* the next one is far away */
	fcntl(fd, F_SETFL, O_NONBLOCK);
	UT_ERRNO(read(fd, &cur, 8), EAGAIN);
	close(fd);
	/* The same with ITIMER_REAL: one SIGALRM, then a far deadline. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	UT_NOERR(sigprocmask(SIG_BLOCK, &alrm, NULL));
	UT_NOERR(setitimer(ITIMER_REAL, &iv, NULL));
	{
		int sig;

		UT_EQ(sigwait(&alrm, &sig), 0);
		UT_EQ(sig, SIGALRM);
	}
	UT_NOERR(getitimer(ITIMER_REAL, &left));
	UT_CHECK(left.it_value.tv_sec > 1000000000L);
	memset(&iv, 0, sizeof(iv));
	UT_NOERR(setitimer(ITIMER_REAL, &iv, NULL));
	UT_NOERR(sigprocmask(SIG_UNBLOCK, &alrm, NULL));
}

/*
 * setitimer with a value shorter than a tick and a long interval, again
 * and again: the first SIGALRM must leave the timer armed for the
 * interval. The kernel once armed the value before it stored the
 * interval, and a tick between the two fired a one-shot timer.
 */
UT_CASE(itimer_real_first_expiry_rearms)
{
	struct itimerval iv = { { 3600, 0 }, { 0, 1 } }, left, off = { { 0, 0 }, { 0, 0 } };
	sigset_t alrm;

	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	UT_NOERR(sigprocmask(SIG_BLOCK, &alrm, NULL));
	for (int i = 0; i < 50; i++) {
		int sig;

		UT_NOERR(setitimer(ITIMER_REAL, &iv, NULL));
		UT_EQ(sigwait(&alrm, &sig), 0);
		UT_NOERR(getitimer(ITIMER_REAL, &left));
		UT_EQ(left.it_interval.tv_sec, 3600);
		UT_CHECK(left.it_value.tv_sec > 3500);
	}
	UT_NOERR(setitimer(ITIMER_REAL, &off, NULL));
	UT_NOERR(sigprocmask(SIG_UNBLOCK, &alrm, NULL));
}

UT_CASE(timerfd_absolute_times)
{
	int fd = UT_NOERR(timerfd_create(CLOCK_MONOTONIC, 0));
	int rfd = UT_NOERR(timerfd_create(CLOCK_REALTIME, TFD_NONBLOCK));
	struct itimerspec t = its(0, 0);
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	t.it_value = now;
	t.it_value.tv_nsec += 20 * MS;
	if (t.it_value.tv_nsec >= 1000000000L) {
		t.it_value.tv_sec++;
		t.it_value.tv_nsec -= 1000000000L;
	}
	UT_NOERR(timerfd_settime(fd, TFD_TIMER_ABSTIME, &t, NULL));
	UT_EQ(read64(fd), 1);
	/* A real time in the past expires at once. */
	clock_gettime(CLOCK_REALTIME, &now);
	t.it_value = now;
	t.it_value.tv_sec -= 5;
	UT_NOERR(timerfd_settime(rfd, TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET, &t, NULL));
	{
		struct pollfd p = { rfd, POLLIN, 0 };

		UT_EQ(poll(&p, 1, 1000), 1);
	}
	UT_EQ(read64(rfd), 1);
	close(fd);
	close(rfd);
}

/* ---- signalfd ---- */

UT_CASE(signalfd_reads_a_blocked_signal)
{
	sigset_t set, old;
	struct signalfd_siginfo si;
	int fd, efd = UT_NOERR(eventfd(0, 0));
	pid_t pid;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	UT_NOERR(sigprocmask(SIG_BLOCK, &set, &old));
	fd = UT_NOERR(signalfd(-1, &set, SFD_NONBLOCK | SFD_CLOEXEC));
	UT_ERRNO(read(fd, &si, sizeof(si)), EAGAIN);
	UT_ERRNO(read(fd, &si, sizeof(si) - 1), EINVAL);
	UT_EQ(poll1(fd, POLLIN), 0);
	UT_NOERR(kill(getpid(), SIGUSR1));
	UT_EQ(poll1(fd, POLLIN), POLLIN);
	UT_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	UT_EQ(si.ssi_signo, SIGUSR1);
	UT_EQ(si.ssi_pid, getpid());
	UT_EQ(si.ssi_code, SI_USER);
	/* Two at once. */
	UT_NOERR(kill(getpid(), SIGUSR1));
	UT_NOERR(kill(getpid(), SIGUSR2));
	{
		struct signalfd_siginfo two[3];

		UT_EQ(read(fd, two, sizeof(two)), 2 * sizeof(si));
		UT_EQ(two[0].ssi_signo + two[1].ssi_signo, SIGUSR1 + SIGUSR2);
	}
	check_link(fd, "anon_inode:[signalfd]");
	/* A new mask for the same descriptor. */
	sigdelset(&set, SIGUSR2);
	UT_EQ(signalfd(fd, &set, 0), fd);
	/* Errors. */
	UT_RAW_ERR(ut_raw4(SYS_signalfd4, -1, &set, 4, 0), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_signalfd4, -1, &set, 8, 0x1), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_signalfd4, -1, 8, 8, 0), EFAULT);
	UT_RAW_ERR(ut_raw4(SYS_signalfd4, 999, &set, 8, 0), EBADF);
	UT_RAW_ERR(ut_raw4(SYS_signalfd4, efd, &set, 8, 0), EINVAL);
	/* A blocking read, ended by another process's signal. */
	fcntl(fd, F_SETFL, 0);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		sleep_ms(30);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	UT_EQ(read(fd, &si, sizeof(si)), sizeof(si));
	UT_EQ(si.ssi_signo, SIGUSR1);
	UT_EQ(si.ssi_pid, pid);
	UT_CHILD_OK(pid);
	close(fd);
	close(efd);
	UT_NOERR(sigprocmask(SIG_SETMASK, &old, NULL));
}

/* ---- epoll ---- */

static int ep_add(int ep, int fd, uint32_t events, uint64_t data)
{
	struct epoll_event ev = { .events = events, .data.u64 = data };

	return epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev);
}

static int ep_wait1(int ep, struct epoll_event *ev, int timeout)
{
	return epoll_wait(ep, ev, 1, timeout);
}

UT_CASE(epoll_errors)
{
	int ep = UT_NOERR(epoll_create1(EPOLL_CLOEXEC)), ep2 = UT_NOERR(epoll_create(1));
	int efd = UT_NOERR(eventfd(0, 0)), file;
	struct epoll_event ev = { .events = EPOLLIN }, out[2];
	sigset_t set;

	UT_EQ(fcntl(ep, F_GETFD), FD_CLOEXEC);
	UT_RAW_ERR(ut_raw1(SYS_epoll_create, 0),
		   EINVAL); /* musl's epoll_create does not pass size */
	UT_RAW_ERR(ut_raw1(SYS_epoll_create, -1), EINVAL);
	UT_ERRNO(epoll_create1(0x1), EINVAL);
	UT_ERRNO(epoll_ctl(-1, EPOLL_CTL_ADD, efd, &ev), EBADF);
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, 999, &ev), EBADF);
	UT_ERRNO(epoll_ctl(efd, EPOLL_CTL_ADD, ep, &ev), EINVAL); /* not an epoll */
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, ep, &ev), EINVAL);  /* itself */
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, efd, (void *)8), EFAULT);
	file = UT_NOERR(open("/tmp/event-apis-file", O_RDWR | O_CREAT | O_TRUNC, 0600));
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, file, &ev), EPERM); /* a regular file */
	close(file);
	unlink("/tmp/event-apis-file");
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev), ENOENT);
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_DEL, efd, NULL), ENOENT);
	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev), EEXIST);
	UT_ERRNO(epoll_ctl(ep, 0, efd, &ev), EINVAL);
	UT_ERRNO(epoll_ctl(ep, 7, efd, &ev), EINVAL);
	/* EPOLLEXCLUSIVE: ADD only, not for epolls, not with EPOLLONESHOT. */
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev), EINVAL);
	UT_ERRNO(epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE | EPOLLONESHOT;
	UT_ERRNO(epoll_ctl(ep2, EPOLL_CTL_ADD, efd, &ev), EINVAL);
	ev.events = EPOLLIN | EPOLLEXCLUSIVE;
	UT_NOERR(epoll_ctl(ep2, EPOLL_CTL_ADD, efd, &ev));
	ev.events = EPOLLIN;
	UT_ERRNO(epoll_ctl(ep2, EPOLL_CTL_MOD, efd, &ev), EINVAL);
	UT_NOERR(epoll_ctl(ep2, EPOLL_CTL_DEL, efd, NULL));
	/* Loops. */
	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_ADD, ep2, &ev));
	UT_ERRNO(epoll_ctl(ep2, EPOLL_CTL_ADD, ep, &ev), ELOOP);
	/* epoll_wait's arguments. */
	UT_ERRNO(epoll_wait(ep, out, 0, 0), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_epoll_wait, ep, out, -1, 0), EINVAL);
	UT_RAW_ERR(ut_raw4(SYS_epoll_wait, ep, 0xffff800000000000UL, 1, 0),
		   EFAULT); /* not user memory */
	UT_ERRNO(epoll_wait(efd, out, 1, 0), EINVAL);
	UT_ERRNO(epoll_wait(-1, out, 1, 0), EBADF);
	sigemptyset(&set);
	UT_RAW_ERR(ut_syscall6(SYS_epoll_pwait, ep, (long)out, 1, 0, (long)&set, 4), EINVAL);
	{
		struct timespec ts = { 0, 1000000000L };

		UT_RAW_ERR(ut_syscall6(SYS_epoll_pwait2, ep, (long)out, 1, (long)&ts, 0, 8),
			   EINVAL);
		UT_RAW_ERR(ut_syscall6(SYS_epoll_pwait2, ep, (long)out, 1, 8, 0, 8), EFAULT);
		ts.tv_nsec = 0;
		UT_EQ(ut_syscall6(SYS_epoll_pwait2, ep, (long)out, 1, (long)&ts, 0, 8), 0);
	}
	check_link(ep, "anon_inode:[eventpoll]");
	close(ep);
	close(ep2);
	close(efd);
}

UT_CASE(epoll_level_and_edge)
{
	int lt = UT_NOERR(epoll_create1(0)), et = UT_NOERR(epoll_create1(0));
	int p[2];
	struct epoll_event ev;
	char c;

	UT_NOERR(pipe(p));
	UT_NOERR(ep_add(lt, p[0], EPOLLIN, 1));
	UT_NOERR(ep_add(et, p[0], EPOLLIN | EPOLLET, 2));
	UT_EQ(ep_wait1(lt, &ev, 0), 0);
	UT_EQ(ep_wait1(et, &ev, 0), 0);
	UT_EQ(write(p[1], "ab", 2), 2);
	UT_EQ(ep_wait1(lt, &ev, 0), 1);
	UT_EQ(ev.events, EPOLLIN);
	UT_EQ(ev.data.u64, 1);
	UT_EQ(ep_wait1(lt, &ev, 0), 1); /* level: still readable, reported again */
	UT_EQ(ep_wait1(et, &ev, 0), 1);
	UT_EQ(ev.data.u64, 2);
	UT_EQ(ep_wait1(et, &ev, 0), 0); /* edge: once per change */
	UT_EQ(read(p[0], &c, 1), 1);
	UT_EQ(ep_wait1(lt, &ev, 0), 1);
	UT_EQ(ep_wait1(et, &ev, 0), 0);
	UT_EQ(write(p[1], "c", 1), 1);
	UT_EQ(ep_wait1(et, &ev, 0), 1); /* a new edge */
	UT_EQ(read(p[0], &c, 1), 1);
	UT_EQ(read(p[0], &c, 1), 1);
	UT_EQ(ep_wait1(lt, &ev, 0), 0); /* drained */
	/* The write end: EPOLLOUT; the read end's EPOLLHUP once the writer goes. */
	UT_NOERR(ep_add(lt, p[1], EPOLLOUT, 3));
	UT_EQ(ep_wait1(lt, &ev, 0), 1);
	UT_EQ(ev.events, EPOLLOUT);
	UT_NOERR(epoll_ctl(lt, EPOLL_CTL_DEL, p[1], NULL));
	close(p[1]);
	UT_EQ(ep_wait1(lt, &ev, 0), 1);
	UT_EQ(ev.events, EPOLLHUP);
	close(p[0]);
	close(lt);
	close(et);
}

UT_CASE(epoll_oneshot_and_mod)
{
	int ep = UT_NOERR(epoll_create1(0)), efd = UT_NOERR(eventfd(1, 0));
	struct epoll_event ev = { .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 7 };

	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	UT_EQ(ep_wait1(ep, &ev, 0), 1);
	UT_EQ(ev.data.u64, 7);
	UT_EQ(ep_wait1(ep, &ev, 0), 0); /* disabled */
	write64(efd, 1);
	UT_EQ(ep_wait1(ep, &ev, 0), 0);
	ev = (struct epoll_event){ .events = EPOLLIN | EPOLLONESHOT, .data.u64 = 8 };
	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev)); /* re-armed */
	UT_EQ(ep_wait1(ep, &ev, 0), 1);
	UT_EQ(ev.data.u64, 8);
	ev = (struct epoll_event){ .events = EPOLLOUT, .data.u64 = 9 };
	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_MOD, efd, &ev));
	UT_EQ(ep_wait1(ep, &ev, 0), 1);
	UT_EQ(ev.events, EPOLLOUT);
	UT_EQ(ev.data.u64, 9);
	close(ep);
	close(efd);
}

/*
 * The events buffer in a private mapping of a file page not yet read (on
 * an ext2 disk, after drop_caches: EPOLL_FILE_DIR names a directory there;
 * elsewhere the page is at hand and the case passes trivially). The copy
 * of an edge-triggered event must not fault after the collect took it:
 * the call would wait for the page and run again without the event.
 */
UT_CASE(epoll_edge_event_kept_when_the_buffer_is_a_file_page_being_read)
{
	const char *dir = getenv("EPOLL_FILE_DIR");
	char path[256], page[4096];
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 77 }, *out;
	int fd, efd, ep, dc;

	snprintf(path, sizeof(path), "%s/epoll-buffer", dir ? dir : "/tmp");
	memset(page, 'x', sizeof(page));
	fd = UT_NOERR(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	UT_EQ(write(fd, page, sizeof(page)), (ssize_t)sizeof(page));
	UT_NOERR(fsync(fd));
	dc = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (dc >= 0) {
		UT_EQ(write(dc, "3\n", 2), 2);
		close(dc);
	}
	out = mmap(NULL, sizeof(page), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	UT_CHECK(out != MAP_FAILED);
	efd = UT_NOERR(eventfd(1, 0));
	ep = UT_NOERR(epoll_create1(0));
	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev));
	UT_EQ(epoll_wait(ep, out, 4, 5000), 1);
	UT_EQ(out[0].data.u64, 77);
	UT_EQ(out[0].events, EPOLLIN);
	UT_EQ(((char *)out)[sizeof(page) - 1], 'x'); /* the rest of the page is the file's */
	UT_NOERR(munmap(out, sizeof(page)));
	close(ep);
	close(efd);
	close(fd);
	UT_NOERR(unlink(path));
}

UT_CASE(epoll_nested)
{
	int inner = UT_NOERR(epoll_create1(0)), outer = UT_NOERR(epoll_create1(0));
	int efd = UT_NOERR(eventfd(0, 0));
	struct epoll_event ev;
	pid_t pid;

	UT_NOERR(ep_add(inner, efd, EPOLLIN, 1));
	UT_NOERR(ep_add(outer, inner, EPOLLIN, 2));
	UT_EQ(ep_wait1(outer, &ev, 0), 0);
	UT_EQ(poll1(inner, POLLIN), 0);
	write64(efd, 1);
	UT_EQ(poll1(inner, POLLIN), POLLIN);
	UT_EQ(ep_wait1(outer, &ev, 0), 1);
	UT_EQ(ev.data.u64, 2);
	UT_EQ(ep_wait1(inner, &ev, 0), 1);
	UT_EQ(ev.data.u64, 1);
	UT_EQ(read64(efd), 1);
	UT_EQ(ep_wait1(outer, &ev, 0), 0);
	/* A wait on the outer one, ended by a write to the inner one's file. */
	pid = UT_NOERR(fork());
	if (pid == 0) {
		sleep_ms(30);
		write64(efd, 5);
		_exit(0);
	}
	UT_EQ(ep_wait1(outer, &ev, 5000), 1);
	UT_EQ(ev.data.u64, 2);
	UT_CHILD_OK(pid);
	close(outer);
	close(inner);
	close(efd);
}

/* Linux's limit: a chain of 5 epolls is refused (EP_MAX_NESTS). */
UT_CASE(epoll_nesting_depth)
{
	int e[7], i;
	struct epoll_event ev = { .events = EPOLLIN };

	for (i = 0; i < 7; i++)
		e[i] = UT_NOERR(epoll_create1(0));
	for (i = 1; i < 5; i++)
		UT_NOERR(epoll_ctl(e[i], EPOLL_CTL_ADD, e[i - 1], &ev));
	UT_ERRNO(epoll_ctl(e[5], EPOLL_CTL_ADD, e[4], &ev), ELOOP);
	UT_ERRNO(epoll_ctl(e[0], EPOLL_CTL_ADD, e[4], &ev), ELOOP);
	for (i = 0; i < 7; i++)
		close(e[i]);
}

UT_CASE(epoll_closed_file_leaves)
{
	int ep = UT_NOERR(epoll_create1(0)), efd = UT_NOERR(eventfd(1, 0)), dupfd;
	struct epoll_event ev;

	UT_NOERR(ep_add(ep, efd, EPOLLIN, 1));
	dupfd = UT_NOERR(dup(efd));
	close(efd);
	UT_EQ(ep_wait1(ep, &ev, 0), 1); /* the file is still open through the dup */
	UT_EQ(ev.data.u64, 1);
	close(dupfd);
	UT_EQ(ep_wait1(ep, &ev, 0), 0); /* its last close took it out */
	efd = UT_NOERR(eventfd(1, 0));	/* the same number, a new file: not in the set */
	UT_EQ(ep_wait1(ep, &ev, 0), 0);
	UT_NOERR(ep_add(ep, efd, EPOLLIN, 2));
	UT_EQ(ep_wait1(ep, &ev, 0), 1);
	UT_EQ(ev.data.u64, 2);
	close(efd);
	close(ep);
}

UT_CASE(epoll_wait_blocks_and_times_out)
{
	int ep = UT_NOERR(epoll_create1(0)), p[2];
	struct epoll_event ev;
	struct timespec a, b;
	pid_t pid;

	UT_NOERR(pipe(p));
	UT_NOERR(ep_add(ep, p[0], EPOLLIN, 5));
	clock_gettime(CLOCK_MONOTONIC, &a);
	UT_EQ(ep_wait1(ep, &ev, 30), 0);
	clock_gettime(CLOCK_MONOTONIC, &b);
	UT_CHECK((b.tv_sec - a.tv_sec) * 1000000000L + (b.tv_nsec - a.tv_nsec) >= 30 * MS);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		sleep_ms(30);
		UT_EQ(write(p[1], "x", 1), 1);
		_exit(0);
	}
	UT_EQ(ep_wait1(ep, &ev, -1), 1);
	UT_EQ(ev.data.u64, 5);
	UT_CHILD_OK(pid);
	close(p[0]);
	close(p[1]);
	close(ep);
}

static void on_usr1(int sig)
{
	(void)sig;
}

UT_CASE(epoll_pwait_signal_mask_and_eintr)
{
	int ep = UT_NOERR(epoll_create1(0)), efd = UT_NOERR(eventfd(0, 0));
	struct sigaction sa = { .sa_handler = on_usr1, .sa_flags = SA_RESTART };
	sigset_t block, none, cur;
	struct epoll_event ev;
	pid_t pid;

	UT_NOERR(ep_add(ep, efd, EPOLLIN, 1));
	sigaction(SIGUSR1, &sa, NULL);
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	sigemptyset(&none);
	UT_NOERR(sigprocmask(SIG_BLOCK, &block, NULL));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		sleep_ms(30);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	/* SIGUSR1 is blocked but not during the call: the handler runs, EINTR (even with SA_RESTART). */
	UT_ERRNO(epoll_pwait(ep, &ev, 1, 5000, &none), EINTR);
	sigprocmask(SIG_SETMASK, NULL, &cur);
	UT_CHECK(sigismember(&cur, SIGUSR1));
	UT_CHILD_OK(pid);
	UT_NOERR(sigprocmask(SIG_UNBLOCK, &block, NULL));
	signal(SIGUSR1, SIG_DFL);
	close(efd);
	close(ep);
}

/* Eventfds, timerfds and signalfds in epoll. */
UT_CASE(epoll_of_event_files)
{
	int ep = UT_NOERR(epoll_create1(0));
	int tfd = UT_NOERR(timerfd_create(CLOCK_MONOTONIC, 0));
	struct itimerspec t = its(20 * MS, 0);
	struct epoll_event ev;
	sigset_t set, old;
	int sfd;

	UT_NOERR(ep_add(ep, tfd, EPOLLIN, 1));
	UT_NOERR(timerfd_settime(tfd, 0, &t, NULL));
	UT_EQ(ep_wait1(ep, &ev, 5000), 1);
	UT_EQ(ev.data.u64, 1);
	UT_EQ(read64(tfd), 1);
	UT_EQ(ep_wait1(ep, &ev, 0), 0);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	UT_NOERR(sigprocmask(SIG_BLOCK, &set, &old));
	sfd = UT_NOERR(signalfd(-1, &set, 0));
	UT_NOERR(ep_add(ep, sfd, EPOLLIN, 2));
	UT_EQ(ep_wait1(ep, &ev, 0), 0);
	kill(getpid(), SIGUSR2);
	UT_EQ(ep_wait1(ep, &ev, 5000), 1);
	UT_EQ(ev.data.u64, 2);
	{
		struct signalfd_siginfo si;

		UT_EQ(read(sfd, &si, sizeof(si)), sizeof(si));
		UT_EQ(si.ssi_signo, SIGUSR2);
	}
	UT_NOERR(sigprocmask(SIG_SETMASK, &old, NULL));
	close(sfd);
	close(tfd);
	close(ep);
}

/*
 * 10,000 registered eventfds of which one is active: ten children open
 * 1,000 each (a process has 1,024 descriptors) and add them to the shared
 * epoll; one writes to one of its own. Then every child exits: its files
 * leave the set.
 */
#define KIDS	 10
#define PER_KID	 1000
#define HOT_KID	 7
#define HOT_FILE 500

static void kid(int ep, int id, int ready_w, int go_r)
{
	static int fds[PER_KID];
	char c;

	for (int i = 0; i < PER_KID; i++) {
		fds[i] = UT_NOERR(eventfd(0, 0));
		UT_NOERR(ep_add(ep, fds[i], EPOLLIN, (uint64_t)id * PER_KID + i));
	}
	if (id == HOT_KID)
		write64(fds[HOT_FILE], 1);
	UT_EQ(write(ready_w, "r", 1), 1);
	UT_EQ(read(go_r, &c, 1), 0); /* until the parent closes the pipe */
	_exit(0);
}

UT_CASE(epoll_ten_thousand_descriptors_one_active)
{
	int ep = UT_NOERR(epoll_create1(0)), ready[2], go[2];
	struct epoll_event ev[4];
	pid_t pids[KIDS];
	char c;

	UT_NOERR(pipe(ready));
	UT_NOERR(pipe(go));
	for (int i = 0; i < KIDS; i++) {
		pids[i] = UT_NOERR(fork());
		if (pids[i] == 0) {
			close(ready[0]);
			close(go[1]);
			kid(ep, i, ready[1], go[0]);
		}
	}
	close(go[0]);
	for (int i = 0; i < KIDS; i++)
		UT_EQ(read(ready[0], &c, 1), 1);
	UT_EQ(epoll_wait(ep, ev, 4, 5000), 1);
	UT_EQ(ev[0].data.u64, HOT_KID * PER_KID + HOT_FILE);
	UT_EQ(epoll_wait(ep, ev, 4, 0), 1); /* level-triggered: again */
	close(go[1]);
	for (int i = 0; i < KIDS; i++)
		UT_CHILD_OK(pids[i]);
	UT_EQ(epoll_wait(ep, ev, 4, 0), 0); /* every file left with its process */
	close(ready[0]);
	close(ready[1]);
	close(ep);
}

/* Two epolls with EPOLLEXCLUSIVE on one eventfd: both still see it when polled. */
UT_CASE(epoll_exclusive_items_report)
{
	int a = UT_NOERR(epoll_create1(0)), b = UT_NOERR(epoll_create1(0));
	int efd = UT_NOERR(eventfd(0, 0));
	struct epoll_event ev;

	UT_NOERR(ep_add(a, efd, EPOLLIN | EPOLLEXCLUSIVE, 1));
	UT_NOERR(ep_add(b, efd, EPOLLIN | EPOLLEXCLUSIVE, 2));
	write64(efd, 1);
	UT_EQ(ep_wait1(a, &ev, 5000), 1);
	UT_EQ(ev.data.u64, 1);
	close(a);
	close(b);
	close(efd);
}

/*
 * Threads at once (at --smp 4, on several CPUs): writers add to eventfds
 * registered with EPOLLONESHOT, consumers in epoll_wait take the counts
 * and re-arm, and a churner adds, fires and closes eventfds of its own
 * meanwhile (files leaving while queued or being looked at). Every count
 * written is read exactly once, and no wake-up is lost: the consumers end
 * by seeing the stop eventfd (a lost wake-up hangs the case).
 */
#define STRESS_FDS     8
#define STRESS_WRITES  3000
#define STRESS_WRITERS 2
#define STRESS_READERS 2
#define STRESS_CHURN   1500

static struct {
	int ep, stop, fds[STRESS_FDS];
	atomic_long taken;
} st;

static void *stress_writer(void *arg)
{
	unsigned seed = (unsigned)(uintptr_t)arg;

	for (int i = 0; i < STRESS_WRITES; i++) {
		uint64_t one = 1;

		seed = seed * 1103515245 + 12345;
		if (write(st.fds[(seed >> 16) % STRESS_FDS], &one, 8) != 8)
			ut_fail(__FILE__, __LINE__, "write failed");
	}
	return NULL;
}

static void *stress_reader(void *arg)
{
	(void)arg;
	for (;;) {
		struct epoll_event ev;
		uint64_t v;
		int n = epoll_wait(st.ep, &ev, 1, -1);

		if (n < 0 && errno == EINTR)
			continue;
		if (n != 1)
			ut_fail(__FILE__, __LINE__, "epoll_wait gave %d", n);
		if (ev.data.u64 == STRESS_FDS)
			return NULL; /* the stop eventfd: level-triggered, everyone sees it */
		if (ev.data.u64 > STRESS_FDS)
			continue; /* a churner's file */
		if (read(st.fds[ev.data.u64], &v, 8) == 8)
			atomic_fetch_add(&st.taken, (long)v);
		ev.events = EPOLLIN | EPOLLONESHOT;
		if (epoll_ctl(st.ep, EPOLL_CTL_MOD, st.fds[ev.data.u64], &ev))
			ut_fail(__FILE__, __LINE__, "rearm failed");
	}
}

static void *stress_churner(void *arg)
{
	(void)arg;
	for (int i = 0; i < STRESS_CHURN; i++) {
		int fd = eventfd(1, EFD_NONBLOCK);
		struct epoll_event ev = { .events = EPOLLIN | (i & 1 ? EPOLLET : 0),
					  .data.u64 = STRESS_FDS + 1 + (uint64_t)i };

		if (fd < 0 || epoll_ctl(st.ep, EPOLL_CTL_ADD, fd, &ev))
			ut_fail(__FILE__, __LINE__, "churn add failed");
		if (i % 3 == 0 && epoll_ctl(st.ep, EPOLL_CTL_DEL, fd, NULL))
			ut_fail(__FILE__, __LINE__, "churn del failed");
		close(fd);
	}
	return NULL;
}

UT_CASE(epoll_threads_stress)
{
	pthread_t w[STRESS_WRITERS], r[STRESS_READERS], churn;
	uint64_t v;

	st.ep = UT_NOERR(epoll_create1(0));
	for (int i = 0; i < STRESS_FDS; i++) {
		st.fds[i] = UT_NOERR(eventfd(0, EFD_NONBLOCK));
		UT_NOERR(ep_add(st.ep, st.fds[i], EPOLLIN | EPOLLONESHOT, (uint64_t)i));
	}
	st.stop = UT_NOERR(eventfd(0, 0));
	UT_NOERR(ep_add(st.ep, st.stop, EPOLLIN, STRESS_FDS));
	atomic_store(&st.taken, 0);
	for (int i = 0; i < STRESS_READERS; i++)
		UT_EQ(pthread_create(&r[i], NULL, stress_reader, NULL), 0);
	for (int i = 0; i < STRESS_WRITERS; i++)
		UT_EQ(pthread_create(&w[i], NULL, stress_writer, (void *)(uintptr_t)(i + 1)), 0);
	UT_EQ(pthread_create(&churn, NULL, stress_churner, NULL), 0);
	for (int i = 0; i < STRESS_WRITERS; i++)
		UT_EQ(pthread_join(w[i], NULL), 0);
	UT_EQ(pthread_join(churn, NULL), 0);
	write64(st.stop, 1);
	for (int i = 0; i < STRESS_READERS; i++)
		UT_EQ(pthread_join(r[i], NULL), 0);
	/* What the readers did not take is still in the counters. */
	for (int i = 0; i < STRESS_FDS; i++)
		if (read(st.fds[i], &v, 8) == 8)
			atomic_fetch_add(&st.taken, (long)v);
	UT_EQ(atomic_load(&st.taken), STRESS_WRITERS * STRESS_WRITES);
	for (int i = 0; i < STRESS_FDS; i++)
		close(st.fds[i]);
	close(st.stop);
	close(st.ep);
}

/*
 * EPOLL_CTL_DEL and close while other threads collect (at --smp 4, on
 * other CPUs): collectors spin in epoll_wait on an epoll whose items are
 * ready (an eventfd with a count: level-triggered ones stay on the ready
 * list while they are looked at), so an item is often being polled when
 * it goes. A collector that took it before it went may report it, but once
 * DEL or the last close has returned the item is gone: the thread's own
 * next epoll_wait never reports it (each item's data is its own).
 */
#define GONE_ROUNDS	2000
#define GONE_COLLECTORS 3

static struct {
	int ep;
	atomic_int stop;
} gone;

static void *gone_collector(void *arg)
{
	struct epoll_event ev[8];

	(void)arg;
	while (!atomic_load(&gone.stop))
		if (epoll_wait(gone.ep, ev, 8, 0) < 0 && errno != EINTR)
			ut_fail(__FILE__, __LINE__, "epoll_wait: errno %d", errno);
	return NULL;
}

UT_CASE(epoll_del_close_while_collected)
{
	pthread_t c[GONE_COLLECTORS];
	struct epoll_event ev[64];
	int always = UT_NOERR(eventfd(1, 0));

	gone.ep = UT_NOERR(epoll_create1(0));
	atomic_store(&gone.stop, 0);
	UT_NOERR(ep_add(gone.ep, always, EPOLLIN, 0)); /* the collectors never wait */
	for (int i = 0; i < GONE_COLLECTORS; i++)
		UT_EQ(pthread_create(&c[i], NULL, gone_collector, NULL), 0);
	for (int i = 1; i <= GONE_ROUNDS; i++) {
		int fd = UT_NOERR(eventfd(1, EFD_NONBLOCK));
		int n;

		UT_NOERR(ep_add(gone.ep, fd, EPOLLIN | (i & 2 ? EPOLLET : 0), (uint64_t)i));
		if (i & 1)
			UT_NOERR(epoll_ctl(gone.ep, EPOLL_CTL_DEL, fd, NULL));
		close(fd);
		n = UT_NOERR(epoll_wait(gone.ep, ev, 64, 0));
		for (int j = 0; j < n; j++)
			if (ev[j].data.u64 == (uint64_t)i)
				ut_fail(__FILE__, __LINE__, "item %d reported after it went", i);
	}
	atomic_store(&gone.stop, 1);
	for (int i = 0; i < GONE_COLLECTORS; i++)
		UT_EQ(pthread_join(c[i], NULL), 0);
	/* Only the always-ready item is left. */
	UT_EQ(epoll_wait(gone.ep, ev, 64, 0), 1);
	UT_EQ(ev[0].data.u64, 0);
	close(always);
	close(gone.ep);
}

/* ---- pidfd ---- */

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_send_signal
#define SYS_pidfd_send_signal 424
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* A child that waits until its pipe's writer closes, then exits with 3. */
static pid_t waiting_child(int *release)
{
	int p[2];
	pid_t pid;
	char c;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(p[1]);
		if (read(p[0], &c, 1) < 0)
			_exit(1);
		_exit(3);
	}
	close(p[0]);
	*release = p[1];
	return pid;
}

static int tid_pipe[2];
static pid_t other_tid;

/* A second thread: publishes its tid, waits until its pipe's writer closes. */
static void *waiting_thread(void *arg)
{
	char c;

	(void)arg;
	__atomic_store_n(&other_tid, (pid_t)syscall(SYS_gettid), __ATOMIC_RELEASE);
	if (read(tid_pipe[0], &c, 1) < 0)
		return NULL;
	return NULL;
}

UT_CASE(pidfd_open_poll_and_errors)
{
	int release, status, pfd, ep = UT_NOERR(epoll_create1(0));
	pid_t pid = waiting_child(&release), tid;
	struct epoll_event ev;
	pthread_t th;

	pfd = (int)UT_NOERR(syscall(SYS_pidfd_open, pid, 0));
	UT_EQ(fcntl(pfd, F_GETFD), FD_CLOEXEC);
	check_link(pfd, "anon_inode:[pidfd]");
	UT_EQ(poll1(pfd, POLLIN), 0);
	UT_NOERR(ep_add(ep, pfd, EPOLLIN, 11));
	UT_EQ(ep_wait1(ep, &ev, 0), 0);
	close(release); /* the child exits */
	UT_EQ(ep_wait1(ep, &ev, 5000), 1);
	UT_EQ(ev.data.u64, 11);
	UT_EQ(poll1(pfd, POLLIN), POLLIN); /* a zombie */
	UT_EQ(waitpid(pid, &status, 0), pid);
	UT_EQ(WEXITSTATUS(status), 3);
	UT_EQ(poll1(pfd, POLLIN), POLLIN | POLLHUP); /* reaped */
	/* Errors: flags, pids, a gone process, a thread that is not a leader. */
	UT_RAW_ERR(ut_raw2(SYS_pidfd_open, getpid(), 1), EINVAL);
	UT_RAW_ERR(ut_raw2(SYS_pidfd_open, 0, 0), EINVAL);
	UT_RAW_ERR(ut_raw2(SYS_pidfd_open, -1, 0), EINVAL);
	UT_RAW_ERR(ut_raw2(SYS_pidfd_open, pid, 0), ESRCH);
	UT_NOERR(pipe(tid_pipe));
	other_tid = 0;
	UT_EQ(pthread_create(&th, NULL, waiting_thread, NULL), 0);
	while (!(tid = __atomic_load_n(&other_tid, __ATOMIC_ACQUIRE)))
		sched_yield();
	UT_RAW_ERR(ut_raw2(SYS_pidfd_open, tid, 0), ENOENT); /* Linux 6.9 and later */
	close(tid_pipe[1]);
	UT_EQ(pthread_join(th, NULL), 0);
	close(tid_pipe[0]);
	close(pfd);
	close(ep);
}

UT_CASE(pidfd_send_signal_and_getfd)
{
	int release, status, pfd, efd = UT_NOERR(eventfd(0, EFD_NONBLOCK)), got;
	pid_t pid;
	siginfo_t si;

	pid = UT_NOERR(fork());
	if (pid == 0) {
		/* The parent's eventfd at 50, then wait to be killed. */
		if (dup2(efd, 50) != 50)
			_exit(1);
		close(efd);
		for (;;)
			pause();
	}
	pfd = (int)UT_NOERR(syscall(SYS_pidfd_open, pid, 0));
	/* pidfd_getfd: the child's descriptor 50 (it may not be there yet). */
	while ((got = (int)syscall(SYS_pidfd_getfd, pfd, 50, 0)) < 0 && errno == EBADF)
		sched_yield();
	UT_CHECK(got >= 0);
	UT_EQ(fcntl(got, F_GETFD), FD_CLOEXEC);
	write64(got, 9);
	UT_EQ(read64(efd), 9); /* the same file */
	close(got);
	UT_RAW_ERR(ut_raw3(SYS_pidfd_getfd, pfd, 51, 0), EBADF);
	UT_RAW_ERR(ut_raw3(SYS_pidfd_getfd, pfd, 50, 1), EINVAL);
	UT_RAW_ERR(ut_raw3(SYS_pidfd_getfd, efd, 50, 0), EBADF);
	/* pidfd_send_signal's errors, then a real one. */
	UT_RAW_ERR(ut_raw4(SYS_pidfd_send_signal, pfd, SIGTERM, 0, 8), EINVAL); /* unknown */
	UT_RAW_ERR(ut_raw4(SYS_pidfd_send_signal, pfd, SIGTERM, 0, 6), EINVAL); /* two */
	UT_RAW_ERR(ut_raw4(SYS_pidfd_send_signal, -1, SIGTERM, 0, 0), EBADF);
	UT_RAW_ERR(ut_raw4(SYS_pidfd_send_signal, efd, SIGTERM, 0, 0), EBADF);
	UT_RAW_ERR(ut_raw4(SYS_pidfd_send_signal, pfd, SIGTERM, 8, 0), EFAULT);
	memset(&si, 0, sizeof(si));
	si.si_signo = SIGUSR1;
	si.si_code = SI_QUEUE;
	UT_RAW_ERR(ut_raw4(SYS_pidfd_send_signal, pfd, SIGTERM, &si, 0),
		   EINVAL); /* signo differs */
	si.si_signo = SIGTERM;
	si.si_code = SI_USER;
	UT_RAW_ERR(ut_raw4(SYS_pidfd_send_signal, pfd, SIGTERM, &si, 0),
		   EPERM);					/* not a user code */
	UT_EQ(ut_raw4(SYS_pidfd_send_signal, pfd, 0, 0, 0), 0); /* it exists */
	UT_EQ(ut_raw4(SYS_pidfd_send_signal, pfd, SIGTERM, 0, 0), 0);
	UT_EQ(waitpid(pid, &status, 0), pid);
	UT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	UT_RAW_ERR(ut_raw4(SYS_pidfd_send_signal, pfd, SIGTERM, 0, 0), ESRCH);
	UT_RAW_ERR(ut_raw3(SYS_pidfd_getfd, pfd, 50, 0), ESRCH);
	(void)release;
	close(pfd);
	close(efd);
}

/* ---- CLONE_PIDFD ---- */

#ifndef CLONE_PIDFD
#define CLONE_PIDFD 0x1000
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif
#define PIDFD_THREAD_FLAG   0200 /* O_EXCL: pidfd_open of a thread (Linux 6.9 on) */
#define PIDFD_SIGNAL_THREAD 1

/* clone3's struct clone_args (the 64-byte first version). */
struct clone3_args {
	uint64_t flags, pidfd, child_tid, parent_tid, exit_signal, stack, stack_size, tls;
};

/* A fork by clone3 with flags: the child's pid (0 in the child), or -errno. */
static long clone3_fork(uint64_t flags, void *pidfd, void *parent_tid)
{
	struct clone3_args a = { .flags = flags,
				 .pidfd = (uintptr_t)pidfd,
				 .parent_tid = (uintptr_t)parent_tid,
				 .exit_signal = SIGCHLD };

	return ut_raw2(SYS_clone3, &a, sizeof(a));
}

UT_CASE(clone_pidfd)
{
	int pfd = -1, pfd2 = -1, ptid = 0, status;
	long pid;

	/* clone3: the pidfd (close-on-exec) names the child; PIDFD_SIGNAL_THREAD reaches its leader. */
	pid = clone3_fork(CLONE_PIDFD, &pfd, NULL);
	if (pid == 0) {
		for (;;)
			pause();
	}
	UT_CHECK(pid > 0 && pfd >= 0);
	UT_EQ(fcntl(pfd, F_GETFD), FD_CLOEXEC);
	check_link(pfd, "anon_inode:[pidfd]");
	UT_EQ(poll1(pfd, POLLIN), 0);
	UT_EQ(ut_raw4(SYS_pidfd_send_signal, pfd, SIGTERM, 0, PIDFD_SIGNAL_THREAD), 0);
	UT_EQ(waitpid((pid_t)pid, &status, 0), pid);
	UT_CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM);
	UT_EQ(poll1(pfd, POLLIN), POLLIN | POLLHUP);
	close(pfd);

	/* clone: the pidfd goes where parent_tid points; with CLONE_PARENT_SETTID: EINVAL. */
	pid = ut_raw5(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, &pfd2, 0, 0);
	if (pid == 0)
		_exit(5);
	UT_CHECK(pid > 0 && pfd2 >= 0);
	UT_EQ(waitpid((pid_t)pid, &status, 0), pid);
	UT_EQ(WEXITSTATUS(status), 5);
	UT_EQ(poll1(pfd2, POLLIN), POLLIN | POLLHUP);
	close(pfd2);
	UT_RAW_ERR(ut_raw5(SYS_clone, CLONE_PIDFD | CLONE_PARENT_SETTID | SIGCHLD, 0, &pfd2, 0, 0),
		   EINVAL);
	UT_RAW_ERR(ut_raw5(SYS_clone, CLONE_PIDFD | CLONE_DETACHED | SIGCHLD, 0, &pfd2, 0, 0),
		   EINVAL);
	UT_RAW_ERR(ut_raw5(SYS_clone, CLONE_PIDFD | SIGCHLD, 0, 8, 0, 0), EFAULT);

	/* clone3: both pointers when they differ, EINVAL when they are the same. */
	UT_RAW_ERR(clone3_fork(CLONE_PIDFD | CLONE_PARENT_SETTID, &pfd, &pfd), EINVAL);
	UT_RAW_ERR(clone3_fork(CLONE_PIDFD, (void *)8, NULL), EFAULT);
	pfd = -1;
	pid = clone3_fork(CLONE_PIDFD | CLONE_PARENT_SETTID, &pfd, &ptid);
	if (pid == 0)
		_exit(6);
	UT_CHECK(pid > 0 && pfd >= 0);
	UT_EQ(ptid, pid);
	UT_EQ(waitpid((pid_t)pid, &status, 0), pid);
	UT_EQ(WEXITSTATUS(status), 6);
	close(pfd);

	/* A thread's pidfd only where pidfd_open knows PIDFD_THREAD (Linux 6.9 on). */
	pid = ut_raw2(SYS_pidfd_open, getpid(), PIDFD_THREAD_FLAG);
	if (pid >= 0)
		close((int)pid);
	else if (pid == -EINVAL)
		UT_RAW_ERR(clone3_fork(CLONE_PIDFD | CLONE_THREAD | CLONE_SIGHAND | CLONE_VM, &pfd,
				       NULL),
			   EINVAL);
}
