/*
 * ptys: pseudo-terminals. Cases: posix_openpt, grantpt, unlockpt and
 * ptsname (the slave node in /dev/pts: a character device 136,N owned by
 * the opener), the locked slave (EIO), TIOCGPTN, TIOCSPTLCK, TIOCGPTLCK,
 * TIOCGPTPEER and their errors (ENOTTY on files that are no pty master,
 * EFAULT, EINVAL, EIO), canonical mode with echo and erase and raw mode
 * through the pair, ^C giving SIGINT to the slave's foreground group,
 * the window size set on the master with SIGWINCH, the controlling
 * terminal (setsid and open, TIOCSCTTY, TIOCNOTTY, tcgetsid, tcgetpgrp on
 * the master, /proc/self/stat's tty_nr), SIGTTIN for a background group,
 * the hang-up when the master closes (SIGHUP, reads 0, writes EIO), the
 * master's EIO once the slave is closed, poll and epoll on both sides,
 * blocked reads and writes on both sides (64 KiB each way), packet mode,
 * a master passed over an AF_UNIX socket (SCM_RIGHTS), and a busybox sh
 * session driven through the master: a command, ^C to a sleep, exit.
 *
 * Every wait is bounded (UT_POLL, poll timeouts) and no verdict depends on
 * timing. On Linux it passes as root with devpts mounted gid=5,mode=620:
 * `user/run-on-linux ptys`.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <termios.h>
#include <unistd.h>

static void *volatile bad_ptr = (void *)1; /* hidden from the compiler's checks */

#ifndef TIOCGPTPEER
#define TIOCGPTPEER 0x5441
#endif

/* A new pair: the master (unlocked unless locked is set) and, with slave, the slave. */
static int open_pair(int *slave, int slave_flags)
{
	int m = UT_NOERR(posix_openpt(O_RDWR | O_NOCTTY));

	UT_NOERR(grantpt(m));
	UT_NOERR(unlockpt(m));
	if (slave)
		*slave = UT_NOERR(open(ptsname(m), O_RDWR | O_NOCTTY | slave_flags));
	return m;
}

/* Reads from fd (polling, bounded) until want appears in what was read; buf keeps it all. */
static int read_until(int fd, char *buf, size_t size, const char *want)
{
	size_t n = 0;

	buf[0] = 0;
	while (!strstr(buf, want)) {
		struct pollfd p = { fd, POLLIN, 0 };
		ssize_t r;

		if (poll(&p, 1, 30000) != 1)
			return 0;
		r = read(fd, buf + n, size - 1 - n);
		if (r <= 0)
			return 0;
		n += (size_t)r;
		buf[n] = 0;
		if (n == size - 1) { /* keep the tail */
			memmove(buf, buf + size / 2, n - size / 2 + 1);
			n -= size / 2;
		}
	}
	return 1;
}

static short poll_one(int fd, short events)
{
	struct pollfd p = { fd, events, 0 };

	UT_NOERR(poll(&p, 1, 0));
	return p.revents;
}

static void raw(int fd)
{
	struct termios t;

	UT_NOERR(tcgetattr(fd, &t));
	cfmakeraw(&t);
	UT_NOERR(tcsetattr(fd, TCSANOW, &t));
}

UT_CASE(open_unlock_ptsname)
{
	int m = UT_NOERR(posix_openpt(O_RDWR | O_NOCTTY)), n = -1, s;
	char want[32], *name;
	struct stat st;

	UT_NOERR(grantpt(m));
	UT_NOERR(unlockpt(m));
	UT_NOERR(ioctl(m, TIOCGPTN, &n));
	snprintf(want, sizeof(want), "/dev/pts/%d", n);
	name = ptsname(m);
	UT_CHECK(name && strcmp(name, want) == 0);
	UT_NOERR(stat(name, &st));
	UT_CHECK(S_ISCHR(st.st_mode));
	UT_EQ(major(st.st_rdev), 136);
	UT_EQ(minor(st.st_rdev), n);
	UT_EQ(st.st_uid, geteuid());
	/* 0620 group tty with gid=5,mode=620 (Axolotl's, distributions'), else 0600. */
	UT_CHECK((st.st_mode & 0777) == 0620 || (st.st_mode & 0777) == 0600);
	UT_CHECK(st.st_gid == 5 || st.st_gid == getegid());
	s = UT_NOERR(open(name, O_RDWR | O_NOCTTY));
	UT_CHECK(isatty(s) && isatty(m));
	UT_NOERR(fstat(s, &st));
	UT_EQ(st.st_rdev, makedev(136, n));
	UT_NOERR(close(s));
	UT_NOERR(close(m));
	UT_ERRNO(stat(want, &st), ENOENT); /* the node goes with the master */
}

UT_CASE(locked_slave_eio)
{
	int m = UT_NOERR(posix_openpt(O_RDWR | O_NOCTTY)), n, lock = -1, s;
	char name[32];

	UT_NOERR(ioctl(m, TIOCGPTN, &n));
	snprintf(name, sizeof(name), "/dev/pts/%d", n);
	UT_NOERR(ioctl(m, TIOCGPTLCK, &lock));
	UT_EQ(lock, 1);
	UT_ERRNO(open(name, O_RDWR | O_NOCTTY), EIO);
	lock = 0;
	UT_NOERR(ioctl(m, TIOCSPTLCK, &lock));
	UT_NOERR(ioctl(m, TIOCGPTLCK, &lock));
	UT_EQ(lock, 0);
	s = UT_NOERR(open(name, O_RDWR | O_NOCTTY));
	UT_EQ(write(s, "x", 1), 1);
	lock = 1; /* locking again stops new opens */
	UT_NOERR(ioctl(m, TIOCSPTLCK, &lock));
	UT_ERRNO(open(name, O_RDWR | O_NOCTTY), EIO);
	close(s);
	close(m);
}

UT_CASE(ioctl_errors)
{
	int s, m = open_pair(&s, 0), n, p[2];
	int null = UT_NOERR(open("/dev/null", O_RDWR));

	UT_NOERR(pipe(p));
	UT_ERRNO(ioctl(null, TIOCGPTN, &n), ENOTTY);
	UT_ERRNO(ioctl(p[0], TIOCGPTN, &n), ENOTTY);
	UT_ERRNO(ioctl(s, TIOCGPTN, &n), ENOTTY);
	UT_ERRNO(ioctl(s, TIOCSPTLCK, &n), ENOTTY);
	UT_ERRNO(ioctl(s, TIOCGPTPEER, O_RDWR), EIO);
	UT_ERRNO(ioctl(null, TIOCGPTPEER, O_RDWR), ENOTTY);
	UT_ERRNO(ioctl(m, TIOCGPTN, bad_ptr), EFAULT);
	UT_ERRNO(ioctl(m, TIOCSPTLCK, bad_ptr), EFAULT);
	UT_ERRNO(ioctl(m, TIOCGWINSZ, bad_ptr), EFAULT);
	UT_ERRNO(ioctl(m, TIOCSWINSZ, bad_ptr), EFAULT);
	UT_ERRNO(ioctl(m, TCFLSH, 7), EINVAL);
	UT_ERRNO(ioctl(s, TCFLSH, 7), EINVAL);
	UT_ERRNO(tcgetsid(s), ENOTTY); /* not our controlling terminal */
	UT_ERRNO(tcgetpgrp(s), ENOTTY);
	UT_ERRNO(ioctl(null, TIOCSCTTY, 0), ENOTTY);
	close(null);
	close(p[0]);
	close(p[1]);
	close(s);
	close(m);
}

UT_CASE(tiocgptpeer)
{
	int m = open_pair(NULL, 0), s, n;
	struct stat st;
	char b[8];

	s = UT_NOERR(ioctl(m, TIOCGPTPEER, O_RDWR | O_NOCTTY | O_CLOEXEC));
	UT_NOERR(ioctl(m, TIOCGPTN, &n));
	UT_NOERR(fstat(s, &st));
	UT_EQ(st.st_rdev, makedev(136, n));
	UT_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	raw(s);
	UT_EQ(write(m, "q", 1), 1);
	UT_EQ(read(s, b, sizeof(b)), 1);
	UT_EQ(b[0], 'q');
	close(s);
	close(m);
}

UT_CASE(canonical_echo_erase)
{
	int s, m = open_pair(&s, 0);
	char b[64];

	UT_EQ(write(m, "ab\177c\n", 5), 5);
	UT_EQ(read(s, b, sizeof(b)), 3);
	UT_CHECK(memcmp(b, "ac\n", 3) == 0);
	UT_CHECK(read_until(m, b, sizeof(b), "\r\n"));
	UT_CHECK(strcmp(b, "ab\b \bc\r\n") == 0);
	/* Output processing: ONLCR. */
	UT_EQ(write(s, "x\n", 2), 2);
	UT_CHECK(read_until(m, b, sizeof(b), "\r\n"));
	UT_CHECK(strcmp(b, "x\r\n") == 0);
	/* ^D at the start of a line: end of file. */
	UT_EQ(write(m, "\004", 1), 1);
	UT_EQ(read(s, b, sizeof(b)), 0);
	close(s);
	close(m);
}

UT_CASE(raw_mode)
{
	int s, m = open_pair(&s, 0);
	char b[64];

	raw(s);
	UT_EQ(write(m, "x\r\003", 3), 3); /* no ICRNL, no ISIG */
	UT_CHECK(UT_POLL(poll_one(s, POLLIN) & POLLIN, 10));
	UT_EQ(read(s, b, sizeof(b)), 3);
	UT_CHECK(memcmp(b, "x\r\003", 3) == 0);
	UT_EQ(poll_one(m, POLLIN), 0); /* no echo */
	UT_EQ(write(s, "\n", 1), 1);   /* no ONLCR */
	UT_EQ(read(m, b, sizeof(b)), 1);
	UT_EQ(b[0], '\n');
	close(s);
	close(m);
}

/* The child's side of a session on the slave: setsid, open (the controlling terminal). */
static int become_session(const char *name)
{
	int s;

	UT_NOERR(setsid());
	s = UT_NOERR(open(name, O_RDWR));
	UT_EQ(tcgetsid(s), getpid());
	UT_EQ(tcgetpgrp(s), getpid());
	return s;
}

static volatile sig_atomic_t got_sig;

static void note_signal(int sig)
{
	got_sig = sig;
}

UT_CASE(ctrl_c_sigint_to_foreground)
{
	int m = open_pair(NULL, 0), ready[2], sid;
	char name[64], b[64];
	pid_t pid;

	strcpy(name, ptsname(m));
	UT_NOERR(pipe(ready));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		signal(SIGINT, note_signal);
		int s = become_session(name);
		UT_EQ(write(ready[1], "r", 1), 1);
		UT_CHECK(UT_POLL(got_sig == SIGINT, 30));
		close(s);
		_exit(0);
	}
	UT_EQ(read(ready[0], b, 1), 1);
	UT_NOERR(ioctl(m, TIOCGSID, &sid));
	UT_EQ(sid, pid);
	UT_EQ(tcgetpgrp(m), pid); /* the master sees the slave's foreground group */
	UT_EQ(write(m, "abc\003", 4), 4);
	UT_CHECK(read_until(m, b, sizeof(b), "^C"));
	UT_CHILD_OK(pid);
	close(ready[0]);
	close(ready[1]);
	close(m);
}

UT_CASE(winsize_sigwinch)
{
	int m = open_pair(NULL, 0), ready[2];
	struct winsize ws = { .ws_row = 33, .ws_col = 101 }, got;
	char name[64], b;
	pid_t pid;

	strcpy(name, ptsname(m));
	UT_NOERR(pipe(ready));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		signal(SIGWINCH, note_signal);
		int s = become_session(name);
		UT_EQ(write(ready[1], "r", 1), 1);
		UT_CHECK(UT_POLL(got_sig == SIGWINCH, 30));
		UT_NOERR(ioctl(s, TIOCGWINSZ, &got));
		UT_EQ(got.ws_row, 33);
		UT_EQ(got.ws_col, 101);
		_exit(0);
	}
	UT_EQ(read(ready[0], &b, 1), 1);
	UT_NOERR(ioctl(m, TIOCGWINSZ, &got)); /* a new pty's window is 0x0, as Linux */
	UT_EQ(got.ws_row, 0);
	UT_EQ(got.ws_col, 0);
	UT_NOERR(ioctl(m, TIOCSWINSZ, &ws));
	UT_CHILD_OK(pid);
	close(ready[0]);
	close(ready[1]);
	close(m);
}

UT_CASE(controlling_terminal_calls)
{
	int m = open_pair(NULL, 0), n;
	char name[64];
	pid_t pid;

	strcpy(name, ptsname(m));
	UT_NOERR(ioctl(m, TIOCGPTN, &n));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		char stat[512], *p;
		unsigned long tty_nr;
		ssize_t got;
		int fd, s, t;

		UT_NOERR(setsid());
		s = UT_NOERR(open(name, O_RDWR | O_NOCTTY)); /* O_NOCTTY: not taken */
		UT_ERRNO(tcgetsid(s), ENOTTY);
		UT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
		UT_NOERR(ioctl(s, TIOCSCTTY, 0));
		UT_EQ(tcgetsid(s), getpid());
		/* /dev/tty is the pty now. */
		t = UT_NOERR(open("/dev/tty", O_RDWR));
		UT_EQ(tcgetsid(t), getpid());
		close(t);
		/* /proc/self/stat's tty_nr names it (field 7). */
		fd = UT_NOERR(open("/proc/self/stat", O_RDONLY));
		got = read(fd, stat, sizeof(stat) - 1);
		UT_CHECK(got > 0);
		stat[got] = 0; /* what lies after the line is old stack: it may hold a ')' */
		close(fd);
		p = strrchr(stat, ')');
		UT_CHECK(p && sscanf(p + 2, "%*c %*d %*d %*d %lu", &tty_nr) == 1);
		UT_EQ(tty_nr, (136u << 8) | (unsigned)n);
		/* A new group in the foreground, then give the terminal up. */
		UT_NOERR(tcsetpgrp(s, getpgrp()));
		signal(SIGHUP, SIG_IGN);
		UT_NOERR(ioctl(s, TIOCNOTTY));
		UT_ERRNO(tcgetsid(s), ENOTTY);
		UT_ERRNO(tcgetpgrp(s), ENOTTY);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	close(m);
}

UT_CASE(sigttin_for_background_group)
{
	int m = open_pair(NULL, 0);
	char name[64];
	pid_t pid;

	strcpy(name, ptsname(m));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		int s = become_session(name), status;
		pid_t bg = UT_NOERR(fork());

		if (bg == 0) {
			char b;

			UT_NOERR(setpgid(0, 0)); /* a background group of the session */
			(void)read(s, &b, 1);
			_exit(0);
		}
		setpgid(bg, bg);
		UT_EQ(waitpid(bg, &status, WUNTRACED), bg);
		UT_CHECK(WIFSTOPPED(status) && WSTOPSIG(status) == SIGTTIN);
		UT_NOERR(kill(bg, SIGKILL));
		UT_EQ(waitpid(bg, &status, 0), bg);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	close(m);
}

UT_CASE(hangup_when_master_closes)
{
	int m = open_pair(NULL, 0), ready[2], done[2];
	char name[64], b;
	pid_t pid;

	strcpy(name, ptsname(m));
	UT_NOERR(pipe(ready));
	UT_NOERR(pipe(done));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		struct winsize ws;

		signal(SIGHUP, note_signal);
		close(m); /* the parent's close is the master's last */
		int s = become_session(name);
		UT_EQ(write(ready[1], "r", 1), 1);
		UT_EQ(read(done[0], &b, 1), 1);
		UT_CHECK(UT_POLL(got_sig == SIGHUP, 30));
		UT_EQ(read(s, &b, 1), 0);
		UT_ERRNO(write(s, "x", 1), EIO);
		UT_ERRNO(ioctl(s, TIOCGWINSZ, &ws), EIO);
		UT_EQ(poll_one(s, POLLIN | POLLOUT) & (POLLIN | POLLOUT | POLLHUP),
		      POLLIN | POLLOUT | POLLHUP);
		UT_ERRNO(tcgetsid(s), EIO);
		UT_ERRNO(open(name, O_RDWR), ENOENT);
		_exit(0);
	}
	UT_EQ(read(ready[0], &b, 1), 1);
	close(m);
	UT_EQ(write(done[1], "d", 1), 1);
	UT_CHILD_OK(pid);
	close(ready[0]);
	close(ready[1]);
	close(done[0]);
	close(done[1]);
}

UT_CASE(master_eio_after_slave_closes)
{
	int m = open_pair(NULL, 0), s, queued = 0;
	char b[16];

	UT_EQ(write(m, "x\n", 2), 2); /* before the slave is open: taken */
	s = UT_NOERR(open(ptsname(m), O_RDWR | O_NOCTTY));
	UT_EQ(read(s, b, sizeof(b)), 2);
	UT_EQ(write(s, "hi", 2), 2);
	UT_CHECK(UT_POLL(ioctl(m, FIONREAD, &queued) == 0 && queued == 5, 10));
	UT_NOERR(close(s));
	UT_CHECK(UT_POLL(poll_one(m, POLLIN) == (POLLIN | POLLHUP), 10));
	/* The echo of x and what the slave wrote stay readable. */
	UT_CHECK(read_until(m, b, sizeof(b), "x\r\nhi"));
	UT_CHECK(strcmp(b, "x\r\nhi") == 0);
	UT_ERRNO(read(m, b, sizeof(b)), EIO);
	UT_EQ(poll_one(m, POLLIN) & (POLLIN | POLLHUP), POLLHUP);
	/* The slave opens again, and the master reads no more EIO. */
	s = UT_NOERR(open(ptsname(m), O_RDWR | O_NOCTTY));
	UT_NOERR(fcntl(m, F_SETFL, O_NONBLOCK));
	UT_ERRNO(read(m, b, sizeof(b)), EAGAIN);
	close(s);
	close(m);
}

UT_CASE(poll_and_epoll_both_sides)
{
	int s, m = open_pair(&s, 0), ep = UT_NOERR(epoll_create1(0));
	struct epoll_event ev = { .events = EPOLLIN }, out[4];
	char b[16];

	UT_EQ(poll_one(s, POLLIN | POLLOUT), POLLOUT);
	UT_EQ(poll_one(m, POLLIN | POLLOUT), POLLOUT);
	ev.data.fd = s;
	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_ADD, s, &ev));
	ev.data.fd = m;
	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_ADD, m, &ev));
	UT_EQ(epoll_wait(ep, out, 4, 0), 0);
	/* A partial line: the echo makes the master readable, the slave not yet. */
	UT_EQ(write(m, "ab", 2), 2);
	UT_EQ(epoll_wait(ep, out, 4, 10000), 1);
	UT_EQ(out[0].data.fd, m);
	UT_EQ(poll_one(s, POLLIN), 0);
	UT_EQ(read(m, b, sizeof(b)), 2);
	UT_EQ(write(m, "\n", 1), 1);
	UT_CHECK(UT_POLL(poll_one(s, POLLIN) == POLLIN, 10));
	UT_EQ(epoll_wait(ep, out, 4, 10000), 2);
	UT_EQ(read(s, b, sizeof(b)), 3);
	UT_CHECK(read_until(m, b, sizeof(b), "\r\n"));
	UT_EQ(epoll_wait(ep, out, 4, 0), 0);
	close(ep);
	close(s);
	close(m);
}

/* 64 KiB through the pair each way, with a reader that blocks on the other side. */
static void transfer(int from, int to, int blocked_side_reads)
{
	static char big[65536], got[65536];
	size_t n = 0;
	pid_t pid;

	for (size_t i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7 + i / 251);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_EQ(write(from, big, sizeof(big)), sizeof(big));
		_exit(0);
	}
	(void)blocked_side_reads;
	while (n < sizeof(got)) {
		ssize_t r = UT_NOERR(read(to, got + n, sizeof(got) - n));

		UT_CHECK(r > 0);
		n += (size_t)r;
	}
	UT_CHILD_OK(pid);
	UT_CHECK(memcmp(big, got, sizeof(big)) == 0);
}

UT_CASE(blocking_transfers_both_ways)
{
	static char big_chunk[1024];
	int s, m = open_pair(&s, 0);
	char b[8];
	pid_t pid;

	raw(s);
	transfer(s, m, 1); /* the slave's writes wait for the master's reads */
	transfer(m, s, 0); /* the master's writes wait for the slave's reads */
	/* A full input queue: the master's writes give EAGAIN, POLLOUT comes back with a read. */
	UT_NOERR(fcntl(m, F_SETFL, O_NONBLOCK));
	while (write(m, big_chunk, sizeof(big_chunk)) > 0)
		;
	UT_EQ(errno, EAGAIN);
	UT_EQ(poll_one(m, POLLOUT), 0);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		struct pollfd p = { m, POLLOUT, 0 };

		UT_EQ(poll(&p, 1, 30000), 1); /* woken by the parent's read, if it came first */
		UT_EQ(p.revents, POLLOUT);
		_exit(0);
	}
	UT_NOERR(fcntl(s, F_SETFL, O_NONBLOCK)); /* the slave reads it all */
	UT_CHECK(UT_POLL(read(s, big_chunk, sizeof(big_chunk)) < 0 && errno == EAGAIN &&
				 poll_one(s, POLLIN) == 0,
			 30));
	UT_CHILD_OK(pid);
	UT_NOERR(fcntl(s, F_SETFL, 0));
	UT_NOERR(fcntl(m, F_SETFL, 0));
	/* A read blocked on the slave wakes when the master writes. */
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_EQ(read(s, b, 1), 1);
		UT_EQ(b[0], 'w');
		_exit(0);
	}
	UT_EQ(write(m, "w", 1), 1);
	UT_CHILD_OK(pid);
	close(s);
	close(m);
}

UT_CASE(packet_mode)
{
	int s, m = open_pair(&s, 0), on = 1, v = 0;
	char b[16];

	UT_NOERR(ioctl(m, TIOCPKT, &on));
	UT_NOERR(ioctl(m, TIOCGPKT, &v));
	UT_EQ(v, 1);
	raw(s); /* no more ^S/^Q flow control: a status byte alone */
	UT_EQ(read(m, b, sizeof(b)), 1);
	UT_EQ(b[0], TIOCPKT_NOSTOP);
	UT_EQ(write(s, "ab", 2), 2);
	UT_EQ(read(m, b, sizeof(b)), 3);
	UT_EQ(b[0], TIOCPKT_DATA);
	UT_CHECK(memcmp(b + 1, "ab", 2) == 0);
	UT_NOERR(tcflush(s, TCIFLUSH));
	UT_EQ(read(m, b, sizeof(b)), 1);
	UT_EQ(b[0], TIOCPKT_FLUSHREAD);
	/* Output stopped and started again (TCOOFF, TCOON): the last event counts. */
	UT_NOERR(tcflow(s, TCOOFF));
	UT_EQ(read(m, b, sizeof(b)), 1);
	UT_EQ(b[0], TIOCPKT_STOP);
	UT_NOERR(tcflow(s, TCOON));
	UT_EQ(read(m, b, sizeof(b)), 1);
	UT_EQ(b[0], TIOCPKT_START);
	close(s);
	close(m);
}

UT_CASE(master_over_unix_socket)
{
	int s, m = open_pair(&s, 0), sv[2], n1, n2, got;
	char space[CMSG_SPACE(sizeof(int))], c = 'm', b[8];
	struct iovec iov = { &c, 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = space,
			     .msg_controllen = sizeof(space) };
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_NOERR(ioctl(m, TIOCGPTN, &n2));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &m, sizeof(int));
	UT_EQ(sendmsg(sv[0], &mh, 0), 1);
	UT_NOERR(close(m)); /* in flight: the pair stays */
	mh.msg_controllen = sizeof(space);
	UT_EQ(recvmsg(sv[1], &mh, 0), 1);
	cm = CMSG_FIRSTHDR(&mh);
	UT_CHECK(cm && cm->cmsg_type == SCM_RIGHTS);
	memcpy(&got, CMSG_DATA(cm), sizeof(int));
	UT_ERRNO(ioctl(s, TIOCGPTN, &n1), ENOTTY); /* only the master answers */
	UT_NOERR(ioctl(got, TIOCGPTN, &n1));
	raw(s);
	UT_EQ(write(got, "z", 1), 1);
	UT_EQ(read(s, b, sizeof(b)), 1);
	UT_EQ(b[0], 'z');
	UT_EQ(n1, n2);
	close(got);
	close(sv[0]);
	close(sv[1]);
	close(s);
}

static const char *shell_path(void)
{
	return access("/bin/busybox", X_OK) == 0 ? "/bin/busybox" : "/usr/bin/busybox";
}

UT_CASE(busybox_sh_session)
{
	int m = open_pair(NULL, 0), status;
	static char b[8192];
	char name[64];
	pid_t pid;

	strcpy(name, ptsname(m));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		int s;

		setsid();
		s = open(name, O_RDWR);
		if (s < 0)
			_exit(90);
		dup2(s, 0);
		dup2(s, 1);
		dup2(s, 2);
		if (s > 2)
			close(s);
		setenv("PS1", "$ ", 1);
		setenv("ENV", "/dev/null", 1);
		execl(shell_path(), "sh", "-i", (char *)NULL);
		_exit(91);
	}
	/* A command and its output ($((1+2)) is not in the echo). */
	UT_EQ(write(m, "echo hi$((1+2))\n", 16), 16);
	UT_CHECK(read_until(m, b, sizeof(b), "hi3"));
	/* A sleep in the foreground, then ^C. */
	UT_EQ(write(m, "sleep 100\n", 10), 10);
	UT_CHECK(UT_POLL(tcgetpgrp(m) != pid && tcgetpgrp(m) > 0, 30));
	UT_EQ(write(m, "\003", 1), 1);
	UT_CHECK(UT_POLL(tcgetpgrp(m) == pid, 30));
	UT_EQ(write(m, "echo st$?\n", 10), 10);
	UT_CHECK(read_until(m, b, sizeof(b), "st130"));
	UT_EQ(write(m, "exit 7\n", 7), 7);
	UT_EQ(waitpid(pid, &status, 0), pid);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 7);
	/* The shell, the slave's last user, is gone: the master reads what is left, then EIO. */
	UT_CHECK(UT_POLL(poll_one(m, POLLIN) & POLLHUP, 30));
	while (read(m, b, sizeof(b)) > 0)
		;
	UT_ERRNO(read(m, b, sizeof(b)), EIO);
	close(m);
}
