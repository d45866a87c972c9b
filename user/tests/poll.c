/*
 * poll: poll, ppoll, select and pselect6 on pipes, FIFOs and files that
 * are always ready. Readiness (POLLIN after a write, POLLHUP once the
 * writers are gone, POLLOUT while there is room, POLLERR once the readers
 * are gone), waits ended by another process, timeouts (zero returns at
 * once, a positive one lasts at least as long), many descriptors at once,
 * the error paths (EBADF, EINVAL, EFAULT, POLLNVAL), the time left written
 * back by select, pselect6 and ppoll, and the temporary signal mask of
 * ppoll and pselect6.
 *
 * The write-back and signal-mask cases use raw system calls: musl passes
 * select a copy of the timeout, and ppoll's and pselect6's signal mask
 * through its own structures.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/select.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MS 1000000ull

struct k_timeval {
	long tv_sec, tv_usec;
};

struct k_timespec {
	long tv_sec, tv_nsec;
};

static int poll1(int fd, short events, int timeout)
{
	struct pollfd p = { fd, events, 0 };
	int r = poll(&p, 1, timeout);

	return r == 1 ? p.revents : r;
}

static void fill_nonblocking(int fd)
{
	static char chunk[4096];
	int flags = fcntl(fd, F_GETFL);

	fcntl(fd, F_SETFL, flags | O_NONBLOCK);
	while (write(fd, chunk, sizeof(chunk)) > 0)
		;
	UT_EQ(errno, EAGAIN);
	fcntl(fd, F_SETFL, flags);
}

UT_CASE(poll_readable_after_write)
{
	int p[2];
	char c;

	UT_NOERR(pipe(p));
	UT_EQ(poll1(p[0], POLLIN, 0), 0);
	UT_EQ(write(p[1], "x", 1), 1);
	UT_EQ(poll1(p[0], POLLIN, 0), POLLIN);
	UT_EQ(poll1(p[0], POLLIN | POLLRDNORM, 0), POLLIN | POLLRDNORM);
	/* Asked for nothing: nothing reported. */
	UT_EQ(poll1(p[0], 0, 0), 0);
	UT_EQ(read(p[0], &c, 1), 1);
	UT_EQ(poll1(p[0], POLLIN, 0), 0);
	close(p[0]);
	close(p[1]);
}

UT_CASE(poll_hup_after_writer_closes)
{
	int p[2];
	char c;

	UT_NOERR(pipe(p));
	UT_EQ(write(p[1], "x", 1), 1);
	UT_NOERR(close(p[1]));
	/* POLLHUP is reported even when not asked for, with the data still there. */
	UT_EQ(poll1(p[0], POLLIN, 0), POLLIN | POLLHUP);
	UT_EQ(poll1(p[0], 0, 0), POLLHUP);
	UT_EQ(read(p[0], &c, 1), 1);
	UT_EQ(poll1(p[0], POLLIN, 0), POLLHUP);
	close(p[0]);
}

UT_CASE(poll_out_while_room_err_without_reader)
{
	int p[2];
	char buf[4096];

	UT_NOERR(pipe(p));
	UT_EQ(poll1(p[1], POLLOUT, 0), POLLOUT);
	UT_EQ(poll1(p[1], POLLIN, 0), 0); /* the write end is never readable */
	fill_nonblocking(p[1]);
	UT_EQ(poll1(p[1], POLLOUT, 0), 0);
	UT_EQ(read(p[0], buf, sizeof(buf)), (long)sizeof(buf));
	UT_EQ(poll1(p[1], POLLOUT, 0), POLLOUT);
	UT_NOERR(close(p[0]));
	UT_EQ(poll1(p[1], POLLOUT, 0), POLLOUT | POLLERR);
	UT_EQ(poll1(p[1], 0, 0), POLLERR);
	close(p[1]);
}

UT_CASE(poll_always_ready_files)
{
	int fd = UT_NOERR(open("/dev/null", O_RDWR));

	UT_EQ(poll1(fd, POLLIN | POLLOUT, 0), POLLIN | POLLOUT);
	UT_EQ(poll1(fd, POLLIN | POLLOUT, -1), POLLIN | POLLOUT);
	close(fd);
}

UT_CASE(poll_negative_fd_ignored_closed_fd_nval)
{
	int p[2];
	struct pollfd fds[3];

	UT_NOERR(pipe(p));
	close(p[1]);
	UT_NOERR(close(p[0]));
	fds[0] = (struct pollfd){ -1, POLLIN, 0x7777 };
	fds[1] = (struct pollfd){ p[0], POLLIN, 0x7777 };
	fds[2] = (struct pollfd){ -5, POLLOUT, 0 };
	UT_EQ(poll(fds, 3, 100), 1);
	UT_EQ(fds[0].revents, 0);
	UT_EQ(fds[1].revents, POLLNVAL);
	UT_EQ(fds[2].revents, 0);
	UT_EQ(fds[1].fd, p[0]);
	UT_EQ(fds[1].events, POLLIN);
}

UT_CASE(poll_same_fd_twice)
{
	int p[2];
	struct pollfd fds[2];

	UT_NOERR(pipe(p));
	UT_EQ(write(p[1], "x", 1), 1);
	fds[0] = (struct pollfd){ p[0], POLLIN, 0 };
	fds[1] = (struct pollfd){ p[0], POLLIN, 0 };
	UT_EQ(poll(fds, 2, 0), 2);
	UT_EQ(fds[0].revents, POLLIN);
	UT_EQ(fds[1].revents, POLLIN);
	close(p[0]);
	close(p[1]);
}

UT_CASE(poll_timeout_zero_returns_at_once)
{
	int p[2];
	uint64_t t0;

	UT_NOERR(pipe(p));
	t0 = ut_now_ns();
	UT_EQ(poll1(p[0], POLLIN, 0), 0);
	UT_CHECK(ut_now_ns() - t0 < 500 * MS);
	close(p[0]);
	close(p[1]);
}

UT_CASE(poll_timeout_lasts)
{
	int p[2];
	uint64_t t0;

	UT_NOERR(pipe(p));
	t0 = ut_now_ns();
	UT_EQ(poll1(p[0], POLLIN, 100), 0);
	UT_CHECK(ut_now_ns() - t0 >= 100 * MS);
	/* No descriptors at all: a sleep. */
	t0 = ut_now_ns();
	UT_EQ(poll(NULL, 0, 50), 0);
	UT_CHECK(ut_now_ns() - t0 >= 50 * MS);
	close(p[0]);
	close(p[1]);
}

UT_CASE(poll_woken_by_another_process)
{
	int p[2];
	pid_t pid;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		ut_sleep_ms(60);
		UT_EQ(write(p[1], "x", 1), 1);
		_exit(0);
	}
	UT_EQ(poll1(p[0], POLLIN, 10000), POLLIN);
	UT_CHILD_OK(pid);
	close(p[0]);
	close(p[1]);
}

UT_CASE(poll_woken_by_writer_exit)
{
	int p[2];
	pid_t pid;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(p[0]);
		ut_sleep_ms(60);
		_exit(0);
	}
	close(p[1]);
	UT_EQ(poll1(p[0], POLLIN, -1), POLLHUP);
	UT_CHILD_OK(pid);
	close(p[0]);
}

UT_CASE(poll_woken_by_room)
{
	int p[2];
	pid_t pid;

	UT_NOERR(pipe(p));
	fill_nonblocking(p[1]);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		static char buf[8192];

		ut_sleep_ms(60);
		UT_EQ(read(p[0], buf, sizeof(buf)), (long)sizeof(buf));
		_exit(0);
	}
	UT_EQ(poll1(p[1], POLLOUT, 10000), POLLOUT);
	UT_CHILD_OK(pid);
	close(p[0]);
	close(p[1]);
}

#define NPIPES 100

UT_CASE(poll_many_pipes_one_ready)
{
	static int fds[NPIPES][2];
	struct pollfd pfd[NPIPES];
	pid_t pid;

	for (int i = 0; i < NPIPES; i++) {
		UT_NOERR(pipe(fds[i]));
		pfd[i] = (struct pollfd){ fds[i][0], POLLIN, 0 };
	}
	pid = UT_NOERR(fork());
	if (pid == 0) {
		ut_sleep_ms(50);
		UT_EQ(write(fds[77][1], "y", 1), 1);
		_exit(0);
	}
	UT_EQ(poll(pfd, NPIPES, 10000), 1);
	for (int i = 0; i < NPIPES; i++)
		UT_EQ(pfd[i].revents, i == 77 ? POLLIN : 0);
	UT_CHILD_OK(pid);
	for (int i = 0; i < NPIPES; i++) {
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

UT_CASE(poll_errors)
{
	struct pollfd p = { 0, POLLIN, 0 };
	struct pollfd *ro;
	pid_t pid;

	UT_RAW_ERR(ut_raw3(SYS_poll, 1, 1, 0), EFAULT);
	UT_RAW_ERR(ut_raw3(SYS_poll, 0, 1, 0), EFAULT);
	UT_EQ(ut_raw3(SYS_poll, 0, 0, 0), 0);
	/* revents cannot be written back. */
	ro = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(ro != MAP_FAILED);
	*ro = p;
	UT_NOERR(mprotect(ro, 4096, PROT_READ));
	UT_RAW_ERR(ut_raw3(SYS_poll, ro, 1, 0), EFAULT);
	munmap(ro, 4096);
	/* More entries than RLIMIT_NOFILE allows. */
	pid = UT_NOERR(fork());
	if (pid == 0) {
		struct rlimit rl = { 64, 64 };
		static struct pollfd many[65];

		UT_NOERR(setrlimit(RLIMIT_NOFILE, &rl));
		for (int i = 0; i < 65; i++)
			many[i] = (struct pollfd){ -1, 0, 0 };
		UT_EQ(ut_raw3(SYS_poll, many, 64, 0), 0);
		UT_RAW_ERR(ut_raw3(SYS_poll, many, 65, 0), EINVAL);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(ppoll_timespec_and_write_back)
{
	int p[2];
	struct pollfd pfd;
	struct k_timespec ts = { 0, 100 * MS };
	uint64_t t0;

	UT_NOERR(pipe(p));
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	t0 = ut_now_ns();
	UT_EQ(ut_raw5(SYS_ppoll, &pfd, 1, &ts, 0, 8), 0);
	UT_CHECK(ut_now_ns() - t0 >= 100 * MS);
	UT_EQ(ts.tv_sec, 0);
	UT_EQ(ts.tv_nsec, 0);
	/* Ready at once: most of the time is left. */
	UT_EQ(write(p[1], "x", 1), 1);
	ts = (struct k_timespec){ 5, 0 };
	UT_EQ(ut_raw5(SYS_ppoll, &pfd, 1, &ts, 0, 8), 1);
	UT_EQ(pfd.revents, POLLIN);
	UT_CHECK(ts.tv_sec == 4 || ts.tv_sec == 5);
	UT_CHECK(ts.tv_nsec >= 0 && ts.tv_nsec < 1000000000);
	/* A zero timeout is not written back. */
	ts = (struct k_timespec){ 0, 0 };
	UT_EQ(ut_raw5(SYS_ppoll, &pfd, 1, &ts, 0, 8), 1);
	/* NULL: no timeout. */
	UT_EQ(ut_raw5(SYS_ppoll, &pfd, 1, 0, 0, 8), 1);
	/* Errors. */
	ts = (struct k_timespec){ -1, 0 };
	UT_RAW_ERR(ut_raw5(SYS_ppoll, &pfd, 1, &ts, 0, 8), EINVAL);
	ts = (struct k_timespec){ 0, 1000000000 };
	UT_RAW_ERR(ut_raw5(SYS_ppoll, &pfd, 1, &ts, 0, 8), EINVAL);
	UT_RAW_ERR(ut_raw5(SYS_ppoll, &pfd, 1, 1, 0, 8), EFAULT);
	close(p[0]);
	close(p[1]);
}

static volatile sig_atomic_t got_usr1;

static void on_usr1(int sig)
{
	(void)sig;
	got_usr1++;
}

static uint64_t current_mask(void)
{
	uint64_t m = 0;

	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_BLOCK, 0, &m, 8), 0);
	return m;
}

#define BIT(sig) (1ull << ((sig)-1))

UT_CASE(ppoll_signal_mask)
{
	int p[2];
	struct pollfd pfd;
	uint64_t blocked = BIT(SIGUSR1), empty = 0;
	struct k_timespec ts = { 0, 0 };
	pid_t pid;

	UT_NOERR(pipe(p));
	pfd = (struct pollfd){ p[0], POLLIN, 0 };
	signal(SIGUSR1, on_usr1);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_SETMASK, &blocked, 0, 8), 0);
	/* A bad mask size; a mask that cannot be read. */
	UT_RAW_ERR(ut_raw5(SYS_ppoll, &pfd, 1, &ts, &empty, 4), EINVAL);
	UT_RAW_ERR(ut_raw5(SYS_ppoll, &pfd, 1, &ts, 1, 8), EFAULT);
	/* A completed call leaves the old mask in force. */
	UT_EQ(ut_raw5(SYS_ppoll, &pfd, 1, &ts, &empty, 8), 0);
	UT_EQ(current_mask(), BIT(SIGUSR1));
	/* SIGUSR1, blocked outside, interrupts the call that unblocks it. */
	got_usr1 = 0;
	pid = UT_NOERR(fork());
	if (pid == 0) {
		ut_sleep_ms(60);
		kill(getppid(), SIGUSR1);
		_exit(0);
	}
	UT_RAW_ERR(ut_raw5(SYS_ppoll, &pfd, 1, 0, &empty, 8), EINTR);
	UT_EQ(got_usr1, 1);
	UT_EQ(current_mask(), BIT(SIGUSR1));
	UT_CHILD_OK(pid);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8), 0);
	signal(SIGUSR1, SIG_DFL);
	close(p[0]);
	close(p[1]);
}

/* select */

UT_CASE(select_pipe_readiness)
{
	int p[2], n;
	fd_set r, w;
	struct timeval tv = { 0, 0 };

	UT_NOERR(pipe(p));
	n = (p[0] > p[1] ? p[0] : p[1]) + 1;
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	UT_EQ(select(n, &r, NULL, NULL, &tv), 0);
	UT_CHECK(!FD_ISSET(p[0], &r));
	/* The write end is writable: one bit. */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	UT_EQ(select(n, &r, &w, NULL, &tv), 1);
	UT_CHECK(!FD_ISSET(p[0], &r));
	UT_CHECK(FD_ISSET(p[1], &w));
	/* After a write both: two bits. */
	UT_EQ(write(p[1], "x", 1), 1);
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[0], &r);
	FD_SET(p[1], &w);
	UT_EQ(select(n, &r, &w, NULL, &tv), 2);
	UT_CHECK(FD_ISSET(p[0], &r));
	UT_CHECK(FD_ISSET(p[1], &w));
	/* The same descriptor in two sets counts twice. */
	FD_ZERO(&r);
	FD_ZERO(&w);
	FD_SET(p[1], &r);
	FD_SET(p[1], &w);
	UT_EQ(select(n, &r, &w, NULL, &tv), 1);
	UT_CHECK(!FD_ISSET(p[1], &r));
	/* A closed writer makes the read end readable (end of file). */
	UT_NOERR(close(p[1]));
	char c;
	UT_EQ(read(p[0], &c, 1), 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	UT_EQ(select(p[0] + 1, &r, NULL, NULL, NULL), 1);
	UT_CHECK(FD_ISSET(p[0], &r));
	close(p[0]);
}

UT_CASE(select_woken_by_another_process)
{
	int p[2];
	fd_set r;
	pid_t pid;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		ut_sleep_ms(60);
		UT_EQ(write(p[1], "x", 1), 1);
		_exit(0);
	}
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	UT_EQ(select(p[0] + 1, &r, NULL, NULL, NULL), 1);
	UT_CHECK(FD_ISSET(p[0], &r));
	UT_CHILD_OK(pid);
	close(p[0]);
	close(p[1]);
}

UT_CASE(select_errors)
{
	int p[2];
	fd_set r;
	struct k_timeval tv = { 0, 0 };

	UT_NOERR(pipe(p));
	close(p[1]);
	FD_ZERO(&r);
	FD_SET(p[1], &r);
	UT_RAW_ERR(ut_raw5(SYS_select, p[1] + 1, &r, 0, 0, &tv), EBADF);
	/* Bits at or past nfds are not looked at. */
	UT_EQ(ut_raw5(SYS_select, p[1], &r, 0, 0, &tv), 0);
	UT_RAW_ERR(ut_raw5(SYS_select, -1, 0, 0, 0, &tv), EINVAL);
	tv = (struct k_timeval){ -1, 0 };
	UT_RAW_ERR(ut_raw5(SYS_select, 0, 0, 0, 0, &tv), EINVAL);
	tv = (struct k_timeval){ 0, -1 };
	UT_RAW_ERR(ut_raw5(SYS_select, 0, 0, 0, 0, &tv), EINVAL);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct k_timeval){ 0, 0 };
	UT_RAW_ERR(ut_raw5(SYS_select, p[0] + 1, 1, 0, 0, &tv), EFAULT);
	UT_RAW_ERR(ut_raw5(SYS_select, p[0] + 1, &r, 0, 0, 1), EFAULT);
	close(p[0]);
}

UT_CASE(select_writes_back_time_left)
{
	int p[2];
	fd_set r;
	struct k_timeval tv = { 0, 150000 };
	uint64_t t0 = ut_now_ns();

	/* Nothing to wait for: a sleep, all of it used. */
	UT_EQ(ut_raw5(SYS_select, 0, 0, 0, 0, &tv), 0);
	UT_CHECK(ut_now_ns() - t0 >= 150 * MS);
	UT_EQ(tv.tv_sec, 0);
	UT_EQ(tv.tv_usec, 0);
	/* Ready after a little: the rest is left. */
	UT_NOERR(pipe(p));
	UT_EQ(write(p[1], "x", 1), 1);
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	tv = (struct k_timeval){ 3, 0 };
	UT_EQ(ut_raw5(SYS_select, p[0] + 1, &r, 0, 0, &tv), 1);
	UT_CHECK(tv.tv_sec == 2 || tv.tv_sec == 3);
	UT_CHECK(tv.tv_usec >= 0 && tv.tv_usec < 1000000);
	/* Microseconds past a second carry over. */
	tv = (struct k_timeval){ 0, 2500000 };
	UT_EQ(ut_raw5(SYS_select, p[0] + 1, &r, 0, 0, &tv), 1);
	UT_CHECK(tv.tv_sec == 1 || tv.tv_sec == 2);
	close(p[0]);
	close(p[1]);
}

UT_CASE(select_timeout_lasts)
{
	int p[2];
	fd_set r;
	struct timeval tv = { 0, 100000 };
	uint64_t t0;

	UT_NOERR(pipe(p));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	t0 = ut_now_ns();
	UT_EQ(select(p[0] + 1, &r, NULL, NULL, &tv), 0);
	UT_CHECK(ut_now_ns() - t0 >= 100 * MS);
	UT_CHECK(!FD_ISSET(p[0], &r));
	close(p[0]);
	close(p[1]);
}

UT_CASE(pselect6_timespec_and_mask)
{
	int p[2];
	fd_set r;
	struct k_timespec ts = { 0, 80 * MS };
	uint64_t blocked = BIT(SIGUSR1), empty = 0, t0;
	struct {
		uint64_t *set;
		size_t size;
	} pack = { &empty, 8 }, badsize = { &empty, 4 }, badset = { (uint64_t *)1, 8 };

	UT_NOERR(pipe(p));
	FD_ZERO(&r);
	FD_SET(p[0], &r);
	t0 = ut_now_ns();
	UT_EQ(ut_syscall6(SYS_pselect6, p[0] + 1, (long)&r, 0, 0, (long)&ts, 0), 0);
	UT_CHECK(ut_now_ns() - t0 >= 80 * MS);
	UT_EQ(ts.tv_nsec, 0);
	UT_EQ(write(p[1], "x", 1), 1);
	FD_SET(p[0], &r);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_SETMASK, &blocked, 0, 8), 0);
	ts = (struct k_timespec){ 1, 0 };
	UT_EQ(ut_syscall6(SYS_pselect6, p[0] + 1, (long)&r, 0, 0, (long)&ts, (long)&pack), 1);
	UT_CHECK(FD_ISSET(p[0], &r));
	UT_EQ(current_mask(), BIT(SIGUSR1));
	/* Errors: the pack, the mask size, the mask, the timeout. */
	UT_RAW_ERR(ut_syscall6(SYS_pselect6, p[0] + 1, (long)&r, 0, 0, 0, 1), EFAULT);
	UT_RAW_ERR(ut_syscall6(SYS_pselect6, p[0] + 1, (long)&r, 0, 0, 0, (long)&badsize), EINVAL);
	UT_RAW_ERR(ut_syscall6(SYS_pselect6, p[0] + 1, (long)&r, 0, 0, 0, (long)&badset), EFAULT);
	ts = (struct k_timespec){ 0, -1 };
	UT_RAW_ERR(ut_syscall6(SYS_pselect6, p[0] + 1, (long)&r, 0, 0, (long)&ts, 0), EINVAL);
	UT_EQ(ut_raw4(SYS_rt_sigprocmask, SIG_SETMASK, &empty, 0, 8), 0);
	close(p[0]);
	close(p[1]);
}

/* FIFOs: no POLLHUP for a non-blocking reader until a writer has come and gone. */
UT_CASE(poll_fifo_hup_only_after_a_writer)
{
	char path[64];
	int rd, wr;

	snprintf(path, sizeof(path), "/tmp/poll-fifo-%d", (int)getpid());
	unlink(path);
	UT_NOERR(mkfifo(path, 0600));
	rd = UT_NOERR(open(path, O_RDONLY | O_NONBLOCK));
	UT_EQ(poll1(rd, POLLIN, 0), 0);
	wr = UT_NOERR(open(path, O_WRONLY));
	UT_EQ(poll1(rd, POLLIN, 0), 0);
	UT_EQ(poll1(wr, POLLOUT, 0), POLLOUT);
	UT_EQ(write(wr, "z", 1), 1);
	UT_EQ(poll1(rd, POLLIN, 0), POLLIN);
	close(wr);
	UT_EQ(poll1(rd, POLLIN, 0), POLLIN | POLLHUP);
	close(rd);
	unlink(path);
}
