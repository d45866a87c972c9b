/*
 * rlimits: resource limits as Linux enforces them. RLIMIT_NOFILE with a
 * descriptor table that grows to /proc/sys/fs/nr_open (EMFILE from every
 * call that makes a descriptor, EBADF from dup2 past the limit, EPERM for
 * a limit above nr_open, a big table used by two threads at once);
 * RLIMIT_FSIZE (SIGXFSZ and EFBIG from writev, sendfile, fallocate);
 * RLIMIT_CPU (SIGXCPU each second from the soft limit, SIGKILL at the hard
 * one); RLIMIT_NPROC as a non-root user; RLIMIT_AS, RLIMIT_DATA and
 * RLIMIT_STACK on mappings, brk and the stack; vm.max_map_count (the
 * boundary on a small value, then 65530 areas); prlimit64 on other
 * processes with its permission rules; /proc/PID/limits.
 *
 * It runs as root; the cases that change a limit or a /proc/sys value do
 * it in a child, or put the value back. Each case was checked on Linux
 * first (user/run-on-linux).
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL

#ifndef SYS_close_range
#define SYS_close_range 436
#endif

static void close_from(unsigned fd)
{
	UT_NOERR(syscall(SYS_close_range, fd, ~0u, 0));
}

static char text[1 << 16];

/* A /proc file's text into the static buffer (NUL-terminated), with no allocation. */
static const char *slurp(const char *path)
{
	ut_read_text(path, text, sizeof(text));
	return text;
}

static long read_number(const char *path)
{
	return atol(slurp(path));
}

static int write_number(const char *path, long v)
{
	char buf[32];
	int fd = open(path, O_WRONLY);
	int n = snprintf(buf, sizeof(buf), "%ld\n", v);
	int r;

	if (fd < 0)
		return -1;
	r = write(fd, buf, (size_t)n) == n ? 0 : -1;
	close(fd);
	return r;
}

static void set_limit(int res, rlim_t cur, rlim_t max)
{
	struct rlimit rl = { cur, max };

	UT_NOERR(setrlimit(res, &rl));
}

/* ---- RLIMIT_NOFILE ---- */

#define NR_OPEN "/proc/sys/fs/nr_open"

UT_CASE(nr_open_default_and_nofile_above_it_is_eperm)
{
	long nr_open = read_number(NR_OPEN);
	struct rlimit old, rl;

	UT_EQ(nr_open, 1048576);
	UT_NOERR(getrlimit(RLIMIT_NOFILE, &old));
	rl.rlim_cur = rl.rlim_max = (rlim_t)nr_open + 1;
	UT_ERRNO(setrlimit(RLIMIT_NOFILE, &rl), EPERM);
	rl.rlim_cur = 1024; /* the hard limit alone above it is enough */
	UT_ERRNO(setrlimit(RLIMIT_NOFILE, &rl), EPERM);
	rl.rlim_cur = rl.rlim_max = (rlim_t)nr_open;
	UT_NOERR(setrlimit(RLIMIT_NOFILE, &rl));
	UT_NOERR(setrlimit(RLIMIT_NOFILE, &old));
}

/* Fills every descriptor below the limit with dups of fd 0; returns how many dup made. */
static int fill_fds(void)
{
	int n = 0;

	while (dup(0) >= 0)
		n++;
	return n;
}

UT_CASE(nofile_boundary_for_each_call_that_makes_a_descriptor)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		const int limit = 3000;
		int listener, sv[2], p[2], open_before;
		struct sockaddr_un addr = { .sun_family = AF_UNIX };

		close_from(3);
		set_limit(RLIMIT_NOFILE, limit, limit);
		/* dup2 and F_DUPFD: the last descriptor works, one past it does not. */
		UT_EQ(dup2(0, limit - 1), limit - 1);
		UT_ERRNO(dup2(0, limit), EBADF);
		UT_ERRNO(dup3(0, limit, O_CLOEXEC), EBADF);
		UT_ERRNO(fcntl(0, F_DUPFD, limit), EINVAL);
		UT_ERRNO(fcntl(0, F_DUPFD_CLOEXEC, limit - 1), EMFILE); /* taken: none above */
		UT_NOERR(close(limit - 1));
		UT_EQ(fcntl(0, F_DUPFD_CLOEXEC, limit - 1), limit - 1);
		UT_EQ(fcntl(limit - 1, F_GETFD), FD_CLOEXEC);
		/* A listening socket with a connection waiting, for accept below. */
		listener = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));
		snprintf(addr.sun_path, sizeof(addr.sun_path), "/tmp/rlimits-%d", getpid());
		unlink(addr.sun_path);
		UT_NOERR(bind(listener, (struct sockaddr *)&addr, sizeof(addr)));
		UT_NOERR(listen(listener, 1));
		sv[0] = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));
		UT_NOERR(connect(sv[0], (struct sockaddr *)&addr, sizeof(addr)));
		open_before = 6; /* 0-2, limit - 1, the listener and the client */
		UT_EQ(fill_fds(), limit - open_before);
		UT_EQ(errno, EMFILE);
		UT_ERRNO(open("/dev/null", O_RDONLY), EMFILE);
		UT_ERRNO(open("/tmp/rlimits-not-made", O_RDWR | O_CREAT, 0600), EMFILE);
		UT_ERRNO(access("/tmp/rlimits-not-made", F_OK), ENOENT); /* the fd comes first */
		UT_ERRNO(pipe(p), EMFILE);
		UT_ERRNO(socket(AF_UNIX, SOCK_STREAM, 0), EMFILE);
		UT_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), EMFILE);
		UT_ERRNO(accept(listener, NULL, NULL), EMFILE);
		UT_ERRNO(epoll_create1(0), EMFILE);
		UT_ERRNO(eventfd(0, 0), EMFILE);
		UT_ERRNO(fcntl(0, F_DUPFD, 0), EMFILE);
		/* One free slot: a pipe needs two and takes none; the slot is the lowest free one. */
		UT_NOERR(close(1234));
		UT_ERRNO(pipe(p), EMFILE);
		UT_EQ(accept(listener, NULL, NULL), 1234);
		UT_ERRNO(dup(0), EMFILE);
		/* A lower limit leaves the open descriptors working. */
		set_limit(RLIMIT_NOFILE, 100, limit);
		UT_EQ(fcntl(2000, F_GETFD), 0);
		UT_NOERR(close(2000));
		UT_ERRNO(dup(0), EMFILE);
		UT_ERRNO(dup2(0, 2000), EBADF);
		unlink(addr.sun_path);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

static volatile int stop_reader;
static volatile long reader_rounds;
static int reader_fds[2];

/* The other thread: pipe traffic and descriptor calls while the table grows. */
static void *pipe_user(void *arg)
{
	long rounds = 0;
	char c = 'x', got;

	(void)arg;
	while (!stop_reader) {
		if (write(reader_fds[1], &c, 1) != 1 || read(reader_fds[0], &got, 1) != 1 ||
		    got != c || fcntl(reader_fds[0], F_GETFD) != 0)
			return (void *)-1L;
		int d = dup(reader_fds[0]);

		if (d < 0 || close(d))
			return (void *)-2L;
		c = (char)('a' + rounds++ % 26);
		reader_rounds = rounds;
	}
	return (void *)rounds;
}

UT_CASE(grown_table_used_by_two_threads_at_once)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		long nr_open = read_number(NR_OPEN), rounds;
		pthread_t t;
		void *res;
		int fd;

		set_limit(RLIMIT_NOFILE, (rlim_t)nr_open, (rlim_t)nr_open);
		UT_NOERR(pipe(reader_fds));
		UT_EQ(pthread_create(&t, NULL, pipe_user, NULL), 0);
		/*
		 * Grow in many steps while the other thread works (it makes a
		 * round between any two steps, even on one CPU), then to the end.
		 */
		for (fd = 64; fd < nr_open; fd = fd * 3 / 2) {
			long seen = reader_rounds;

			UT_CHECK(UT_SPIN(reader_rounds != seen, 60));
			UT_EQ(dup2(reader_fds[1], fd), fd);
		}
		UT_EQ(dup2(reader_fds[1], (int)nr_open - 1), nr_open - 1);
		UT_ERRNO(dup2(reader_fds[1], (int)nr_open), EBADF);
		stop_reader = 1;
		UT_EQ(pthread_join(t, &res), 0);
		rounds = (long)res;
		UT_CHECK(rounds > 0);
		/* The last entry is the pipe's writer. */
		char got = 0;

		UT_EQ(write((int)nr_open - 1, "!", 1), 1);
		UT_EQ(read(reader_fds[0], &got, 1), 1);
		UT_EQ(got, '!');
		/* A fork copies the grown table; the child sees the last descriptor. */
		pid_t c = UT_NOERR(fork());

		if (c == 0)
			_exit(fcntl((int)nr_open - 1, F_GETFD) == 0 ? 0 : 1);
		UT_CHILD_OK(c);
		close_from(3);
		UT_ERRNO(fcntl((int)nr_open - 1, F_GETFD), EBADF);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(nr_open_is_root_writable_and_bounds_nofile)
{
	long nr_open = read_number(NR_OPEN);
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		struct rlimit rl = { 4096, 4096 };

		set_limit(RLIMIT_NOFILE, 4096, 4096);
		UT_NOERR(write_number(NR_OPEN, 2048));
		UT_EQ(read_number(NR_OPEN), 2048);
		UT_ERRNO(dup2(0, 3000), EBADF); /* under RLIMIT_NOFILE, over nr_open */
		UT_EQ(dup2(0, 2047), 2047);
		UT_ERRNO(setrlimit(RLIMIT_NOFILE, &rl), EPERM); /* the same limit, now too high */
		set_limit(RLIMIT_NOFILE, 1024, 2048);
		UT_CHECK(write_number(NR_OPEN, 1) < 0); /* below Linux's minimum, 64 */
		UT_EQ(read_number(NR_OPEN), 2048);
		/* Not root: the value stays. */
		UT_NOERR(setuid(1000));
		UT_CHECK(write_number(NR_OPEN, 4096) < 0);
		UT_EQ(read_number(NR_OPEN), 2048);
		_exit(0);
	}
	int st = ut_wait(pid); /* the value goes back whatever the child found */

	UT_NOERR(write_number(NR_OPEN, nr_open));
	UT_EQ(st, 0);
}

/* ---- RLIMIT_FSIZE ---- */

static void writev_past_fsize(void)
{
	char buf[100] = { 0 };
	struct iovec iov[2] = { { buf, 60 }, { buf, 60 } };
	int fd = open("/tmp/rlimits-fsize", O_WRONLY | O_CREAT | O_TRUNC, 0600);

	set_limit(RLIMIT_FSIZE, 100, RLIM_INFINITY);
	if (fd < 0 || writev(fd, iov, 2) != 100) /* the part that fits */
		_exit(2);
	writev(fd, iov, 2); /* at the limit: SIGXFSZ, default action */
	_exit(3);
}

UT_CASE(fsize_sigxfsz_default_action_kills)
{
	struct stat st;

	ut_expect_signal(writev_past_fsize, SIGXFSZ);
	UT_NOERR(stat("/tmp/rlimits-fsize", &st));
	UT_EQ(st.st_size, 100);
	UT_NOERR(unlink("/tmp/rlimits-fsize"));
}

static volatile int xfsz_seen;

static void on_xfsz(int sig)
{
	(void)sig;
	xfsz_seen++;
}

UT_CASE(fsize_efbig_with_sig_ign_and_with_a_handler)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		char buf[4096] = { 0 };
		int fd = UT_NOERR(open("/tmp/rlimits-fsize", O_RDWR | O_CREAT | O_TRUNC, 0600));
		int src = UT_NOERR(open("/tmp/rlimits-src", O_RDWR | O_CREAT | O_TRUNC, 0600));
		off_t off = 0;

		UT_EQ(write(src, buf, sizeof(buf)), (ssize_t)sizeof(buf));
		signal(SIGXFSZ, SIG_IGN);
		set_limit(RLIMIT_FSIZE, 1000, RLIM_INFINITY);
		UT_EQ(pwrite(fd, buf, 1, 999), 1); /* the last byte allowed */
		UT_ERRNO(pwrite(fd, buf, 1, 1000), EFBIG);
		UT_NOERR(ftruncate(fd, 1000));
		UT_ERRNO(ftruncate(fd, 1001), EFBIG);
		UT_ERRNO(fallocate(fd, 0, 0, 1001), EFBIG);
		UT_NOERR(ftruncate(fd, 0));
		UT_EQ(sendfile(fd, src, &off, sizeof(buf)), 1000); /* a short copy */
		UT_ERRNO(sendfile(fd, src, &off, sizeof(buf)), EFBIG);
		UT_EQ(lseek(fd, 0, SEEK_END), 1000);
		/* With a handler: it runs, and the call still says EFBIG. */
		signal(SIGXFSZ, on_xfsz);
		UT_ERRNO(write(fd, buf, 1), EFBIG);
		UT_EQ(xfsz_seen, 1);
		UT_NOERR(unlink("/tmp/rlimits-src"));
		_exit(0);
	}
	UT_CHILD_OK(pid);
	UT_NOERR(unlink("/tmp/rlimits-fsize"));
}

/* ---- RLIMIT_CPU ---- */

static int xcpu_pipe[2];

/* Each SIGXCPU reports the soft limit it left (Linux moves it on by a second). */
static void on_xcpu(int sig)
{
	struct rlimit rl;
	char c;

	(void)sig;
	getrlimit(RLIMIT_CPU, &rl);
	c = (char)('0' + rl.rlim_cur);
	write(xcpu_pipe[1], &c, 1);
}

static void spin_forever(void)
{
	for (volatile unsigned long i = 0;; i++)
		;
}

UT_CASE(cpu_sigxcpu_every_second_then_sigkill_at_hard)
{
	char got[8] = { 0 };
	pid_t pid;
	int st;

	UT_NOERR(pipe(xcpu_pipe));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		signal(SIGXCPU, on_xcpu);
		set_limit(RLIMIT_CPU, 1, 3);
		spin_forever();
	}
	close(xcpu_pipe[1]);
	UT_EQ(waitpid(pid, &st, 0), pid);
	UT_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
	UT_EQ(read(xcpu_pipe[0], got, sizeof(got)), 2);
	UT_EQ(strcmp(got, "23"), 0); /* at 1 s (soft now 2), at 2 s (now 3), SIGKILL at 3 s */
	close(xcpu_pipe[0]);
}

static void cpu_limit_default_action(void)
{
	struct rlimit no_core = { 0, 0 };

	setrlimit(RLIMIT_CORE, &no_core);
	set_limit(RLIMIT_CPU, 1, 2);
	spin_forever();
}

UT_CASE(cpu_sigxcpu_default_action_kills)
{
	ut_expect_signal(cpu_limit_default_action, SIGXCPU);
}

static void cpu_limit_counts_the_childs_own_time(void)
{
	pid_t pid;
	int st;

	set_limit(RLIMIT_CPU, 1, 1);
	/* Spend most of a second, then fork: the child starts from 0 and gets the limit. */
	struct rusage ru;

	do {
		for (volatile int i = 0; i < 100000; i++)
			;
		getrusage(RUSAGE_SELF, &ru);
	} while (ru.ru_utime.tv_sec == 0 && ru.ru_utime.tv_usec < 600000);
	pid = fork();
	if (pid == 0) {
		struct rlimit rl;

		getrlimit(RLIMIT_CPU, &rl);
		if (rl.rlim_cur != 1)
			_exit(3);
		do {
			for (volatile int i = 0; i < 100000; i++)
				;
			getrusage(RUSAGE_SELF, &ru);
		} while (ru.ru_utime.tv_sec == 0 && ru.ru_utime.tv_usec < 600000);
		_exit(0); /* 0.6 s of its own: not killed although parent + child > 1 s */
	}
	if (pid < 0 || waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st))
		_exit(2);
	spin_forever(); /* the parent itself gets SIGKILL (soft = hard) */
}

UT_CASE(cpu_limit_is_per_process_and_inherited)
{
	ut_expect_signal(cpu_limit_counts_the_childs_own_time, SIGKILL);
}

/* ---- RLIMIT_NPROC ---- */

UT_CASE(nproc_boundary_as_a_non_root_user_and_root_exempt)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		pid_t kids[8];
		int n = 0;

		/* Root: not limited (in a child: its limit cannot be raised again without CAP_SYS_RESOURCE). */
		kids[0] = UT_NOERR(fork());
		if (kids[0] == 0) {
			set_limit(RLIMIT_NPROC, 1, 1);
			kids[1] = UT_NOERR(fork());
			if (kids[1] == 0)
				_exit(0);
			UT_CHILD_OK(kids[1]);
			_exit(0);
		}
		UT_CHILD_OK(kids[0]);
		set_limit(RLIMIT_NPROC, 4, 4);
		UT_NOERR(setresuid(1000, 1000, 1000));
		/* Exactly 4 processes of uid 1000: this one and 3 children; the 4th fork fails. */
		for (n = 0; n < 3; n++) {
			kids[n] = UT_NOERR(fork());
			if (kids[n] == 0) {
				pause();
				_exit(0);
			}
		}
		UT_ERRNO(fork(), EAGAIN);
		kill(kids[2], SIGKILL);
		UT_EQ(waitpid(kids[2], NULL, 0), kids[2]);
		kids[2] = UT_NOERR(fork()); /* room again once it is reaped */
		if (kids[2] == 0)
			_exit(0);
		UT_CHILD_OK(kids[2]);
		for (n = 0; n < 2; n++) {
			kill(kids[n], SIGKILL);
			waitpid(kids[n], NULL, 0);
		}
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

/* capset's version 3 header and data (linux/capability.h), for one capability below 32. */
struct cap_header {
	uint32_t version;
	int pid;
};
struct cap_data {
	uint32_t effective, permitted, inheritable;
};
#define CAP_VERSION_3	 0x20080522
#define CAP_SYS_ADMIN_NR 21

UT_CASE(nproc_exempts_a_non_root_cap_sys_admin_holder)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		struct cap_header h = { CAP_VERSION_3, 0 };
		struct cap_data d[2] = { { 0, 0, 0 }, { 0, 0, 0 } };
		pid_t kid;

		set_limit(RLIMIT_NPROC, 1, 1);
		UT_NOERR(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
		UT_NOERR(setresuid(1000, 1000, 1000)); /* permitted kept, effective emptied */
		UT_ERRNO(fork(), EAGAIN);
		d[0].effective = d[0].permitted = 1u << CAP_SYS_ADMIN_NR;
		UT_NOERR(syscall(SYS_capset, &h, d));
		kid = UT_NOERR(fork());
		if (kid == 0)
			_exit(0);
		UT_CHILD_OK(kid);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

/* ---- memory: RLIMIT_AS, RLIMIT_DATA, RLIMIT_STACK, vm.max_map_count ---- */

/*
 * The pages of the mappings in /proc/self/maps: all of them, or only the
 * private writable non-stack ones (RLIMIT_DATA's). [vsyscall] is no
 * mapping of the process on Linux.
 */
static unsigned long mapped_pages(int data_only)
{
	unsigned long total = 0, start, end;
	const char *line = slurp("/proc/self/maps");
	char perms[5];

	for (; *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : "") {
		if (sscanf(line, "%lx-%lx %4s", &start, &end, perms) != 3)
			continue;
		const char *eol = strchr(line, '\n');
		size_t len = eol ? (size_t)(eol - line) : strlen(line);

		if (memmem(line, len, "[vsyscall]", 10))
			continue;
		if (data_only &&
		    (perms[1] != 'w' || perms[3] != 'p' || memmem(line, len, "[stack]", 7)))
			continue;
		total += (end - start) / PAGE;
	}
	return total;
}

#define RWX  (PROT_READ | PROT_WRITE | PROT_EXEC)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

UT_CASE(as_boundary_on_mmap_brk_and_mremap)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		unsigned long total = mapped_pages(0);
		char *a, *b, *brk0;

		set_limit(RLIMIT_AS, (total + 16) * PAGE, RLIM_INFINITY);
		a = mmap(NULL, 16 * PAGE, PROT_READ, ANON, -1, 0);
		UT_CHECK(a != MAP_FAILED);
		UT_ERRNO(mmap(NULL, PAGE, PROT_NONE, ANON, -1, 0), ENOMEM);
		UT_ERRNO(mremap(a, 16 * PAGE, 17 * PAGE, MREMAP_MAYMOVE), ENOMEM);
		/* MAP_FIXED over our own pages replaces them: no growth. */
		UT_CHECK(mmap(a, 16 * PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0) == a);
		UT_NOERR(munmap(a + 15 * PAGE, PAGE));
		brk0 = (char *)syscall(SYS_brk, 0);
		UT_EQ((char *)syscall(SYS_brk, brk0 + PAGE), brk0 + PAGE);
		UT_EQ((char *)syscall(SYS_brk, brk0 + 2 * PAGE), brk0 + PAGE); /* refused */
		b = mmap(NULL, PAGE, PROT_READ, ANON, -1, 0);
		UT_CHECK(b == MAP_FAILED);
		UT_NOERR(munmap(a, 15 * PAGE));
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(data_boundary_counts_private_writable_mappings)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		unsigned long data = mapped_pages(1);
		char *a, *ro;

		set_limit(RLIMIT_DATA, (data + 8) * PAGE, RLIM_INFINITY);
		a = mmap(NULL, 8 * PAGE, PROT_READ | PROT_WRITE, ANON, -1, 0);
		UT_CHECK(a != MAP_FAILED);
		UT_ERRNO(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, ANON, -1, 0), ENOMEM);
		/* Not data: read-only or shared. */
		ro = mmap(NULL, 4 * PAGE, PROT_READ, ANON, -1, 0);
		UT_CHECK(ro != MAP_FAILED);
		UT_CHECK(mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS,
			      -1, 0) != MAP_FAILED);
		/* Becoming writable makes it data. */
		UT_ERRNO(mprotect(ro, PAGE, PROT_READ | PROT_WRITE), ENOMEM);
		UT_NOERR(munmap(a, PAGE));
		UT_NOERR(mprotect(ro, PAGE, PROT_READ | PROT_WRITE));
		ro[0] = 1;
		char *brk0 = (char *)syscall(SYS_brk, 0);

		UT_EQ((char *)syscall(SYS_brk, brk0 + PAGE), brk0); /* the heap is data too */
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

static void deep(int n)
{
	volatile char frame[4096];

	frame[0] = (char)n;
	if (n)
		deep(n - 1);
	frame[1] = frame[0];
}

static void stack_past_rlimit(void)
{
	deep(64); /* 256 KiB: fine under the default 8 MiB */
	set_limit(RLIMIT_STACK, 512 << 10, RLIM_INFINITY);
	deep(64);
	deep(1024); /* 4 MiB: past the new limit */
	_exit(3);
}

UT_CASE(stack_growth_stops_at_rlimit_stack)
{
	ut_expect_signal(stack_past_rlimit, SIGSEGV);
}

#define MAX_MAP_COUNT "/proc/sys/vm/max_map_count"

static unsigned count_maps(void)
{
	unsigned n = 0;

	for (const char *p = slurp("/proc/self/maps"); (p = strchr(p, '\n')); p++)
		n++;
	return n - (strstr(text, "[vsyscall]") != NULL);
}

/*
 * Makes areas by turning every other page of a PROT_NONE region readable,
 * from its top down (two more areas a call, none to merge with); returns
 * the calls that worked before one failed with ENOMEM (-1: other error).
 */
static long split_until_enomem(char *region, unsigned long pages)
{
	long done = 0;

	for (unsigned long i = pages - 2; i > 0 && i < pages; i -= 2, done++) {
		if (mprotect(region + i * PAGE, PAGE, PROT_READ) == 0)
			continue;
		return errno == ENOMEM ? done : -1;
	}
	return -1;
}

/* At the limit: an mmap works while the count is not above it, splits do not. */
static void check_at_map_limit(char *region, unsigned long pages, long calls)
{
	char *x = mmap(NULL, PAGE, RWX, ANON, -1, 0), *y;

	UT_CHECK(x != MAP_FAILED); /* Linux's mmap refuses only above the limit */
	y = mmap(NULL, PAGE, RWX, ANON, -1, 0);
	UT_CHECK(y == MAP_FAILED && errno == ENOMEM);
	UT_NOERR(munmap(x, PAGE));
	/* Punching a hole in one area needs a split too much; a whole area goes. */
	UT_ERRNO(munmap(region + PAGE, PAGE), ENOMEM);
	UT_NOERR(munmap(region + (pages - 2) * PAGE, PAGE));
	UT_NOERR(munmap(region, pages * PAGE));
	(void)calls;
}

UT_CASE(max_map_count_boundary)
{
	long old = read_number(MAX_MAP_COUNT);
	pid_t pid = UT_NOERR(fork());
	int st;

	if (pid == 0) {
		long calls;
		unsigned long pages = 400;
		char *region = mmap(NULL, pages * PAGE, PROT_NONE, ANON, -1, 0);
		unsigned before = count_maps(), limit = before + 51;

		UT_CHECK(region != MAP_FAILED);
		UT_NOERR(write_number(MAX_MAP_COUNT, limit));
		calls = split_until_enomem(region, pages);
		/* 51 more areas allowed: 25 calls make 50, the 26th's first split makes 51. */
		UT_EQ(calls, 25);
		UT_EQ(count_maps(), limit);
		check_at_map_limit(region, pages, calls);
		_exit(0);
	}
	st = ut_wait(pid);
	UT_NOERR(write_number(MAX_MAP_COUNT, old));
	UT_EQ(st, 0);
}

UT_CASE(max_map_count_default_65530)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		unsigned long pages = 140000;
		char *region = mmap(NULL, pages * PAGE, PROT_NONE, ANON | MAP_NORESERVE, -1, 0);
		unsigned before = count_maps();
		long calls;

		UT_EQ(read_number(MAX_MAP_COUNT), 65530);
		UT_CHECK(region != MAP_FAILED);
		calls = split_until_enomem(region, pages);
		UT_EQ(calls, (65530 - (long)before) / 2);
		check_at_map_limit(region, pages, calls);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

/* ---- prlimit64 on other processes, /proc/PID/limits ---- */

/* A child with these real, effective and saved uids (root's when 0), once it has them. */
static pid_t sleeper(uid_t uid, uid_t suid)
{
	int ready[2];
	pid_t pid;
	char c;

	UT_NOERR(pipe(ready));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(ready[0]);
		if ((uid || suid) && setresuid(uid, uid, suid))
			_exit(2);
		write(ready[1], "r", 1);
		for (;;)
			pause();
	}
	close(ready[1]);
	UT_EQ(read(ready[0], &c, 1), 1);
	close(ready[0]);
	return pid;
}

static void end_sleeper(pid_t pid)
{
	int st;

	UT_NOERR(kill(pid, SIGKILL));
	UT_EQ(waitpid(pid, &st, 0), pid);
	UT_CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGKILL);
}

UT_CASE(prlimit_on_another_process)
{
	pid_t pid = sleeper(0, 0);
	struct rlimit rl = { 77, 88 }, old;

	UT_NOERR(prlimit(pid, RLIMIT_NOFILE, &rl, &old));
	UT_NOERR(prlimit(pid, RLIMIT_NOFILE, NULL, &old));
	UT_EQ(old.rlim_cur, 77);
	UT_EQ(old.rlim_max, 88);
	rl.rlim_max = 1000; /* root may raise it again */
	UT_NOERR(prlimit(pid, RLIMIT_NOFILE, &rl, NULL));
	UT_ERRNO(prlimit(pid, 100, NULL, &old), EINVAL);
	rl.rlim_cur = 2000;
	UT_ERRNO(prlimit(pid, RLIMIT_NOFILE, &rl, NULL), EINVAL);
	end_sleeper(pid);
	UT_ERRNO(prlimit(pid, RLIMIT_NOFILE, NULL, &old), ESRCH);
}

UT_CASE(prlimit_permission_rules_for_a_non_root_caller)
{
	/* v: uid 1000 whose saved uid is still 0 is not the caller's. */
	pid_t s = sleeper(1000, 1000), r = sleeper(0, 0), v = sleeper(1000, 0);
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		struct rlimit rl, cur;

		UT_NOERR(setresuid(1000, 1000, 1000));
		UT_NOERR(prlimit(s, RLIMIT_CORE, NULL, &cur));
		rl.rlim_cur = 0;
		rl.rlim_max = cur.rlim_max == RLIM_INFINITY ? 1 << 20 : cur.rlim_max;
		UT_NOERR(prlimit(s, RLIMIT_CORE, &rl, NULL)); /* lowering: allowed */
		rl.rlim_max++;
		UT_ERRNO(prlimit(s, RLIMIT_CORE, &rl, NULL), EPERM); /* raising the hard limit */
		UT_ERRNO(prlimit(r, RLIMIT_CORE, NULL, &cur), EPERM);
		UT_ERRNO(prlimit(v, RLIMIT_CORE, NULL, &cur), EPERM);
		UT_ERRNO(prlimit(1, RLIMIT_NOFILE, NULL, &cur), EPERM);
		UT_ERRNO(prlimit(0x3ffffff0, RLIMIT_NOFILE, NULL, &cur), ESRCH);
		/* Its own hard limit: lowering works, raising it back does not. */
		UT_NOERR(getrlimit(RLIMIT_NOFILE, &cur));
		rl = cur;
		rl.rlim_max = rl.rlim_cur;
		UT_NOERR(setrlimit(RLIMIT_NOFILE, &rl));
		rl.rlim_max++;
		UT_ERRNO(setrlimit(RLIMIT_NOFILE, &rl), EPERM);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	end_sleeper(s);
	end_sleeper(r);
	end_sleeper(v);
}

/* The soft and hard values of a /proc/PID/limits line ("unlimited": RLIM_INFINITY). */
static int limits_line(const char *all, const char *name, rlim_t *cur, rlim_t *max)
{
	const char *l = strstr(all, name);
	char a[32], b[32];

	if (!l || sscanf(l + 25, "%31s %31s", a, b) != 2)
		return -1;
	*cur = strcmp(a, "unlimited") ? strtoull(a, NULL, 10) : RLIM_INFINITY;
	*max = strcmp(b, "unlimited") ? strtoull(b, NULL, 10) : RLIM_INFINITY;
	return 0;
}

UT_CASE(proc_pid_limits_in_linux_format)
{
	static const char *const names[] = {
		"Max cpu time",		"Max file size",      "Max data size",
		"Max stack size",	"Max core file size", "Max resident set",
		"Max processes",	"Max open files",     "Max locked memory",
		"Max address space",	"Max file locks",     "Max pending signals",
		"Max msgqueue size",	"Max nice priority",  "Max realtime priority",
		"Max realtime timeout",
	};
	pid_t pid = sleeper(0, 0);
	struct rlimit rl = { 123, 456 };
	char path[64], line[128];
	rlim_t cur = 0, max = 0;
	const char *all;

	UT_NOERR(prlimit(pid, RLIMIT_NOFILE, &rl, NULL));
	snprintf(path, sizeof(path), "/proc/%d/limits", pid);
	all = slurp(path);
	/* Linux's fs/proc/base.c prints "%-25s %-20s %-20s %-10s\n" per line. */
	snprintf(line, sizeof(line), "%-25s %-20s %-20s %-10s\n", "Limit", "Soft Limit",
		 "Hard Limit", "Units");
	UT_EQ(strncmp(all, line, strlen(line)), 0);
	for (int i = 0; i < RLIM_NLIMITS; i++) {
		struct rlimit want;

		UT_NOERR(prlimit(pid, i, NULL, &want));
		UT_NOERR(limits_line(all, names[i], &cur, &max));
		UT_EQ(cur, want.rlim_cur);
		UT_EQ(max, want.rlim_max);
	}
	snprintf(line, sizeof(line), "%-25s %-20s %-20s %-10s\n", "Max open files", "123", "456",
		 "files");
	UT_CHECK(strstr(all, line));
	UT_NOERR(prlimit(pid, RLIMIT_NICE, NULL, (struct rlimit *)&rl));
	snprintf(line, sizeof(line), "%-25s %-20lu %-20lu \n", "Max nice priority",
		 (unsigned long)rl.rlim_cur, (unsigned long)rl.rlim_max);
	UT_CHECK(strstr(all, line)); /* no unit */
	end_sleeper(pid);
	UT_CHECK(strstr(slurp("/proc/self/limits"), "Max processes"));
}
