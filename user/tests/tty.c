/*
 * tty: the terminal, from user space. Run with a terminal as stdin (fd 0):
 * in Axolotl, `./axl run -- /tests/tty` gives it the console, the
 * controlling terminal of init's session, with the program's process
 * group in the foreground. Cases: termios get/set (TCGETS, TCSETS*,
 * TCGETS2), the window size and SIGWINCH, isatty and ioctl errors
 * (ENOTTY on files that are no terminal, EINVAL, EFAULT, ESRCH, EPERM),
 * the line discipline fed through TIOCSTI (canonical editing, ^D, ^C and
 * ^Z to the foreground group with the input flushed, FIONREAD, VMIN and
 * VTIME, poll), foreground groups (TIOCGPGRP, TIOCSPGRP, TIOCGSID), job
 * control (SIGTTIN for background reads, EIO when it is ignored, SIGTTOU
 * with TOSTOP and for tcsetattr, a stopped read that continues in the
 * foreground), /dev/tty, and, last because they take the terminal away
 * from the program's session: TIOCSCTTY and TIOCNOTTY in a new session,
 * and the hangup (SIGHUP) when a session leader exits.
 *
 * Echo is turned off while the cases run (the console's output is the
 * test's), and the settings are restored at exit. On Linux it passes run
 * under a pseudo-terminal as root (TIOCSTI and stealing a terminal need
 * CAP_SYS_ADMIN), e.g. `script -qc build/user/tests/tty /dev/null`;
 * user/run-on-linux gives it no terminal, so it cannot run there.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#define TCGETS2_NR 0x802C542A

static struct termios original, quiet;
static int have_original;

static void restore_terminal(void)
{
	if (have_original)
		tcsetattr(0, TCSANOW, &original);
}

/* Before the cases: remember the settings, run them without echo. */
__attribute__((constructor)) static void setup_terminal(void)
{
	if (tcgetattr(0, &original) != 0)
		return;
	have_original = 1;
	quiet = original;
	quiet.c_lflag &= ~(ECHO | ECHONL | TOSTOP);
	atexit(restore_terminal);
}

/* Each case starts from the quiet settings with nothing typed. */
static void reset(void)
{
	UT_CHECK(have_original);
	UT_EQ(tcsetattr(0, TCSAFLUSH, &quiet), 0);
}

static void type(const char *s)
{
	for (; *s; s++)
		UT_EQ(ioctl(0, TIOCSTI, s), 0);
}

static void block_signal(int sig, int how)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, sig);
	sigprocmask(how, &set, NULL);
}

/* Makes pgrp the foreground group, from the background too (SIGTTOU blocked). */
static void set_foreground(pid_t pgrp)
{
	block_signal(SIGTTOU, SIG_BLOCK);
	UT_EQ(tcsetpgrp(0, pgrp), 0);
	block_signal(SIGTTOU, SIG_UNBLOCK);
}

/* A child in a process group of its own (both sides set it: no race). */
static pid_t fork_in_group(void)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		setpgid(0, 0);
		return 0;
	}
	setpgid(pid, pid);
	return pid;
}

/* Waits for pid to stop (WUNTRACED); returns the stop signal, or -1. */
static int wait_stopped(pid_t pid)
{
	int status;

	if (waitpid(pid, &status, WUNTRACED) != pid || !WIFSTOPPED(status))
		return -1;
	return WSTOPSIG(status);
}

static void kill_and_reap(pid_t pid)
{
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
}

static void wait_forever(void)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core); /* some cases end it with SIGQUIT */
	for (;;)
		pause();
}

static ssize_t read_line(char *buf, size_t n)
{
	ssize_t r = read(0, buf, n - 1);

	if (r >= 0)
		buf[r] = '\0';
	return r;
}

UT_CASE(isatty_and_not)
{
	int fds[2];
	int null = UT_NOERR(open("/dev/null", O_RDWR));

	UT_CHECK(isatty(0));
	UT_CHECK(!isatty(null));
	UT_EQ(errno, ENOTTY);
	UT_NOERR(pipe(fds));
	UT_CHECK(!isatty(fds[0]));
	close(fds[0]);
	close(fds[1]);
	close(null);
}

UT_CASE(termios_round_trip)
{
	struct termios t, back;
	unsigned char t2[44];

	reset();
	UT_EQ(tcgetattr(0, &t), 0);
	UT_CHECK(t.c_lflag & ICANON);
	UT_CHECK((t.c_lflag & ISIG) && t.c_cc[VINTR] == 3 && t.c_cc[VEOF] == 4);
	t.c_lflag &= ~(ICANON | ISIG);
	t.c_iflag |= IGNCR;
	t.c_cc[VMIN] = 7;
	t.c_cc[VTIME] = 3;
	t.c_cc[VERASE] = 8;
	UT_EQ(tcsetattr(0, TCSADRAIN, &t), 0);
	UT_EQ(tcgetattr(0, &back), 0);
	UT_CHECK(!(back.c_lflag & (ICANON | ISIG)) && (back.c_iflag & IGNCR));
	UT_CHECK(back.c_cc[VMIN] == 7 && back.c_cc[VTIME] == 3 && back.c_cc[VERASE] == 8);
	UT_EQ(cfgetospeed(&back), cfgetospeed(&quiet));
	/* TCGETS2: the same settings and the speeds. */
	UT_EQ(ioctl(0, TCGETS2_NR, t2), 0);
	UT_CHECK(memcmp(t2, &back, 36) == 0);
	UT_EQ(tcsetattr(0, TCSAFLUSH, &quiet), 0);
	UT_EQ(tcgetattr(0, &back), 0);
	UT_CHECK(back.c_lflag == quiet.c_lflag && back.c_iflag == quiet.c_iflag);
}

static volatile sig_atomic_t winches;

static void on_winch(int sig)
{
	(void)sig;
	winches++;
}

UT_CASE(window_size_and_sigwinch)
{
	struct winsize old, ws = { .ws_row = 40, .ws_col = 100 }, back;

	signal(SIGWINCH, on_winch);
	winches = 0;
	UT_EQ(ioctl(0, TIOCGWINSZ, &old), 0);
	if (old.ws_row == 40 && old.ws_col == 100)
		ws.ws_col = 101;
	UT_EQ(ioctl(0, TIOCSWINSZ, &ws), 0);
	UT_CHECK(UT_POLL(winches == 1, 5)); /* we are the foreground group */
	UT_EQ(ioctl(0, TIOCGWINSZ, &back), 0);
	UT_CHECK(back.ws_row == 40 && back.ws_col == ws.ws_col);
	UT_EQ(ioctl(0, TIOCSWINSZ, &ws), 0); /* no change: no signal */
	UT_EQ(ioctl(0, TIOCSWINSZ, &old), 0);
	UT_CHECK(UT_POLL(winches == 2, 5));
	signal(SIGWINCH, SIG_DFL);
}

UT_CASE(ioctl_errors)
{
	int null = UT_NOERR(open("/dev/null", O_RDWR)), fds[2], v;
	struct termios t;
	struct winsize ws;

	UT_ERRNO(ioctl(null, TCGETS, &t), ENOTTY);
	UT_ERRNO(ioctl(null, TIOCGWINSZ, &ws), ENOTTY);
	UT_ERRNO(tcgetpgrp(null), ENOTTY);
	UT_NOERR(pipe(fds));
	UT_ERRNO(ioctl(fds[0], TCGETS, &t), ENOTTY);
	UT_ERRNO(ioctl(0, 0x54ff, 0), ENOTTY);
	UT_ERRNO(ioctl(0, TCGETS, NULL), EFAULT);
	UT_ERRNO(ioctl(0, TIOCGWINSZ, (void *)1), EFAULT);
	UT_ERRNO(ioctl(0, TCSETS, NULL), EFAULT);
	UT_ERRNO(ioctl(99, TCGETS, &t), EBADF);
	UT_ERRNO(tcflush(0, 7), EINVAL);
	UT_ERRNO(tcflow(0, 9), EINVAL);
	v = -1;
	UT_ERRNO(ioctl(0, TIOCSPGRP, &v), EINVAL);
	v = UT_NOERR(fork()); /* a pid that is free once reaped */
	if (v == 0)
		_exit(0);
	UT_CHILD_OK(v);
	UT_ERRNO(ioctl(0, TIOCSPGRP, &v), ESRCH);
	v = UT_NOERR(fork()); /* a group in another session */
	if (v == 0) {
		setsid();
		wait_forever();
	}
	UT_CHECK(UT_POLL(getsid(v) == v, 5));
	UT_ERRNO(ioctl(0, TIOCSPGRP, &v), EPERM);
	kill_and_reap(v);
	v = 99;
	UT_ERRNO(ioctl(0, TIOCSETD, &v), EINVAL);
	UT_EQ(ioctl(0, TIOCGETD, &v), 0);
	UT_EQ(v, 0);
	close(fds[0]);
	close(fds[1]);
	close(null);
}

UT_CASE(flow_and_drain_ioctls)
{
	int n = -1;

	UT_EQ(tcdrain(0), 0);
	UT_EQ(ioctl(0, TIOCOUTQ, &n), 0);
	UT_EQ(n, 0);
	UT_EQ(tcflow(0, TCOOFF), 0);
	UT_EQ(tcflow(0, TCOON), 0);
	UT_EQ(tcsendbreak(0, 0), 0);
	UT_EQ(tcflush(0, TCIOFLUSH), 0);
	UT_EQ(write(1, "", 0), 0);
}

UT_CASE(foreground_group_and_session)
{
	pid_t sid;

	UT_EQ(tcgetpgrp(0), getpgrp());
	sid = UT_NOERR(tcgetsid(0));
	UT_EQ(sid, getsid(0));
}

UT_CASE(canonical_editing)
{
	char buf[64];

	reset();
	type("abx\177c\n");
	UT_EQ(read_line(buf, sizeof(buf)), 4);
	UT_CHECK(!strcmp(buf, "abc\n"));
	type("foo bar\025baz\n");
	UT_EQ(read_line(buf, sizeof(buf)), 4);
	UT_CHECK(!strcmp(buf, "baz\n"));
	type("one two\x17three\r"); /* ^W, and ICRNL */
	UT_EQ(read_line(buf, sizeof(buf)), 10);
	UT_CHECK(!strcmp(buf, "one three\n"));
	type("two\nlines\n");
	UT_EQ(read_line(buf, sizeof(buf)), 4);
	UT_EQ(read_line(buf, sizeof(buf)), 6);
	type("a\x04");
	UT_EQ(read_line(buf, sizeof(buf)), 1);
	UT_CHECK(buf[0] == 'a');
	type("\x04");
	UT_EQ(read_line(buf, sizeof(buf)), 0); /* ^D at the start of a line: end of file */
}

UT_CASE(fionread_and_flush)
{
	int n = -1;

	reset();
	type("ab\ncd");
	UT_EQ(ioctl(0, FIONREAD, &n), 0);
	UT_EQ(n, 3); /* complete lines only */
	UT_EQ(tcflush(0, TCIFLUSH), 0);
	UT_EQ(ioctl(0, FIONREAD, &n), 0);
	UT_EQ(n, 0);
	type("xy\n");
	UT_EQ(tcsetattr(0, TCSAFLUSH, &quiet), 0); /* TCSETSF flushes */
	UT_EQ(ioctl(0, FIONREAD, &n), 0);
	UT_EQ(n, 0);
}

UT_CASE(poll_waits_for_a_line)
{
	struct pollfd p = { .fd = 0, .events = POLLIN | POLLOUT };
	char buf[16];

	reset();
	UT_EQ(poll(&p, 1, 0), 1);
	UT_EQ(p.revents, POLLOUT);
	type("part");
	UT_EQ(poll(&p, 1, 0), 1);
	UT_EQ(p.revents, POLLOUT);
	type("\n");
	UT_EQ(poll(&p, 1, 0), 1);
	UT_EQ(p.revents, POLLIN | POLLOUT);
	UT_EQ(read_line(buf, sizeof(buf)), 5);
}

static void set_raw(cc_t vmin, cc_t vtime)
{
	struct termios t = quiet;

	t.c_lflag &= ~ICANON;
	t.c_cc[VMIN] = vmin;
	t.c_cc[VTIME] = vtime;
	UT_EQ(tcsetattr(0, TCSAFLUSH, &t), 0);
}

static void on_alarm(int sig)
{
	(void)sig;
}

UT_CASE(noncanonical_vmin_vtime)
{
	struct sigaction sa = { .sa_handler = on_alarm }; /* no SA_RESTART: a hung read ends */
	char buf[16];
	uint64_t t0;
	pid_t pid;

	reset();
	sigaction(SIGALRM, &sa, NULL);
	set_raw(0, 0);
	UT_EQ(read(0, buf, sizeof(buf)), 0); /* nothing: at once */
	type("q\x7f\x04");
	UT_EQ(read(0, buf, sizeof(buf)), 3);
	set_raw(0, 2);
	t0 = ut_now_ns();
	UT_EQ(read(0, buf, sizeof(buf)), 0); /* VTIME: 0.2 s, then nothing */
	UT_CHECK(ut_now_ns() - t0 >= 150000000u);
	set_raw(2, 0);
	type("a");
	pid = UT_NOERR(fork());
	if (pid == 0) {
		ut_sleep_ms(100);
		type("b");
		_exit(0);
	}
	alarm(10);
	UT_EQ(read(0, buf, sizeof(buf)), 2); /* VMIN: waits for the second byte */
	alarm(0);
	UT_CHECK(buf[0] == 'a' && buf[1] == 'b');
	UT_CHILD_OK(pid);
	reset();
}

UT_CASE(blocked_read_wakes_on_a_line)
{
	char buf[32];
	pid_t pid;

	reset();
	pid = UT_NOERR(fork());
	if (pid == 0) {
		ut_sleep_ms(100);
		type("wake up\n");
		_exit(0);
	}
	UT_EQ(read_line(buf, sizeof(buf)), 8);
	UT_CHECK(!strcmp(buf, "wake up\n"));
	UT_CHILD_OK(pid);
}

UT_CASE(ctrl_c_interrupts_the_foreground_group)
{
	int n = -1;
	pid_t pid;

	reset();
	pid = fork_in_group();
	if (pid == 0)
		wait_forever();
	set_foreground(pid);
	type("partial");
	type("\x03");
	UT_EQ(ut_wait(pid), 128 + SIGINT);
	set_foreground(getpgrp());
	UT_EQ(ioctl(0, FIONREAD, &n), 0);
	UT_EQ(n, 0); /* ^C flushed what was typed */
}

UT_CASE(ctrl_z_and_ctrl_backslash)
{
	pid_t pid;

	reset();
	pid = fork_in_group();
	if (pid == 0)
		wait_forever();
	set_foreground(pid);
	type("\x1a");
	UT_EQ(wait_stopped(pid), SIGTSTP);
	type("\x1c");
	kill(pid, SIGCONT);
	UT_EQ(ut_wait(pid), 128 + SIGQUIT);
	set_foreground(getpgrp());
}

UT_CASE(background_read_stops_with_sigttin)
{
	char buf[16];
	pid_t pid;

	reset();
	pid = fork_in_group();
	if (pid == 0) {
		/* Stopped here, then continued in the foreground: the read starts again. */
		UT_EQ(read_line(buf, sizeof(buf)), 3);
		UT_CHECK(!strcmp(buf, "hi\n"));
		_exit(0);
	}
	UT_EQ(wait_stopped(pid), SIGTTIN);
	set_foreground(pid);
	type("hi\n");
	kill(pid, SIGCONT);
	UT_CHILD_OK(pid);
	set_foreground(getpgrp());
}

UT_CASE(background_read_with_sigttin_ignored_is_eio)
{
	char buf[4];
	pid_t pid;

	reset();
	pid = fork_in_group();
	if (pid == 0) {
		signal(SIGTTIN, SIG_IGN);
		UT_ERRNO(read(0, buf, sizeof(buf)), EIO);
		signal(SIGTTIN, SIG_DFL);
		block_signal(SIGTTIN, SIG_BLOCK);
		UT_ERRNO(read(0, buf, sizeof(buf)), EIO);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(background_write_and_tostop)
{
	struct termios t = quiet;
	pid_t pid;

	reset();
	pid = fork_in_group();
	if (pid == 0) {
		/* Without TOSTOP a background write goes out. */
		UT_EQ(write(1, "tty: a background write\n", 24), 24);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	t.c_lflag |= TOSTOP;
	UT_EQ(tcsetattr(0, TCSANOW, &t), 0);
	pid = fork_in_group();
	if (pid == 0) {
		write(1, "tty: TOSTOP did not stop this\n", 30);
		_exit(0);
	}
	UT_EQ(wait_stopped(pid), SIGTTOU);
	kill_and_reap(pid);
	pid = fork_in_group();
	if (pid == 0) {
		signal(SIGTTOU, SIG_IGN);
		UT_EQ(write(1, "", 0), 0);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	reset();
}

UT_CASE(background_tcsetattr_stops_with_sigttou)
{
	pid_t pid;

	reset();
	pid = fork_in_group();
	if (pid == 0) {
		tcsetattr(0, TCSANOW, &quiet);
		_exit(0);
	}
	UT_EQ(wait_stopped(pid), SIGTTOU);
	kill_and_reap(pid);
	pid = fork_in_group();
	if (pid == 0) {
		tcsetpgrp(0, getpgrp());
		_exit(0);
	}
	UT_EQ(wait_stopped(pid), SIGTTOU);
	kill_and_reap(pid);
	UT_EQ(tcgetpgrp(0), getpgrp());
}

UT_CASE(dev_tty_is_the_controlling_terminal)
{
	struct termios a, b;
	int fd = UT_NOERR(open("/dev/tty", O_RDWR));
	pid_t pid;

	UT_CHECK(isatty(fd));
	memset(&a, 0, sizeof(a)); /* musl's c_cc is longer than the kernel's */
	memset(&b, 0, sizeof(b));
	UT_EQ(tcgetattr(fd, &a), 0);
	UT_EQ(tcgetattr(0, &b), 0);
	UT_CHECK(a.c_lflag == b.c_lflag && !memcmp(a.c_cc, b.c_cc, sizeof(a.c_cc)));
	UT_EQ(tcgetpgrp(fd), getpgrp());
	close(fd);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		/* A new session has no controlling terminal: no /dev/tty, no TIOCGPGRP. */
		UT_NOERR(setsid());
		UT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
		UT_ERRNO(tcgetpgrp(0), ENOTTY);
		UT_ERRNO(tcgetsid(0), ENOTTY);
		UT_ERRNO(tcsetpgrp(0, getpid()), ENOTTY);
		UT_ERRNO(ioctl(0, TIOCNOTTY), ENOTTY);
		UT_ERRNO(ioctl(0, TIOCSCTTY, 0), EPERM); /* it is another session's */
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

/* ---- these take the terminal from this program's session: keep them last ---- */

UT_CASE(new_session_takes_the_terminal)
{
	pid_t pid;

	reset();
	pid = UT_NOERR(fork());
	if (pid == 0) {
		int fd;

		signal(SIGHUP, SIG_IGN); /* TIOCNOTTY hangs up our own foreground group */
		UT_NOERR(setsid());
		UT_ERRNO(ioctl(0, TIOCSCTTY, 0), EPERM);
		UT_EQ(ioctl(0, TIOCSCTTY, 1), 0); /* root may take it */
		UT_EQ(ioctl(0, TIOCSCTTY, 1), 0); /* already ours */
		UT_EQ(tcgetpgrp(0), getpid());
		UT_EQ(tcgetsid(0), getpid());
		fd = UT_NOERR(open("/dev/tty", O_RDWR));
		close(fd);
		UT_EQ(ioctl(0, TIOCNOTTY), 0);
		UT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
		UT_ERRNO(tcgetpgrp(0), ENOTTY);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	/* The terminal left this program's session with the first steal. */
	UT_ERRNO(tcgetpgrp(0), ENOTTY);
	UT_ERRNO(open("/dev/tty", O_RDWR), ENXIO);
}

UT_CASE(session_leader_exit_hangs_up)
{
	int fds[2];
	char c = 0;
	pid_t pid;

	UT_NOERR(pipe(fds));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_NOERR(setsid());
		UT_EQ(ioctl(0, TIOCSCTTY, 1), 0);
		if (UT_NOERR(fork()) == 0) {
			/* In the leader's group, the foreground: SIGHUP when the leader goes. */
			struct timespec ts = { 10, 0 };

			close(fds[0]);
			signal(SIGHUP, SIG_DFL);
			nanosleep(&ts, NULL);
			write(fds[1], "t", 1); /* timed out: no hangup */
			_exit(0);
		}
		_exit(0);
	}
	close(fds[1]);
	UT_CHILD_OK(pid);
	/* The grandchild's end of the pipe closes when SIGHUP kills it. */
	UT_EQ(read(fds[0], &c, 1), 0);
	close(fds[0]);
}
