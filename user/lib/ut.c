/*
 * The runner of the ut test library (see ut.h): collects the cases that
 * UT_CASE placed in the "ut_cases" section, runs the selected ones in
 * source order, prints one line per case and a summary, and gives the exit
 * status. Output goes to fd 1 with one write(2) per line, so lines from
 * several processes or threads never mix and nothing sits in a buffer when a
 * process dies.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>

#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/* Weak: a program without cases (and with its own main) links too. */
extern const struct ut_case __start_ut_cases[] __attribute__((weak));
extern const struct ut_case __stop_ut_cases[] __attribute__((weak));

const char *ut_current;
int ut_argc;
char **ut_argv;
static jmp_buf ut_jump;
static pid_t ut_pid, ut_tid;
static volatile int ut_thread_failed;

__attribute__((weak)) int ut_helper(int argc, char **argv)
{
	(void)argc;
	ut_printf("ut: this program has no helper (%s)", argv[0]);
	return 2;
}

static void ut_vwrite(const char *fmt, va_list ap)
{
	char buf[1024];
	int n = vsnprintf(buf, sizeof(buf) - 1, fmt, ap);

	if (n < 0)
		return;
	if (n > (int)sizeof(buf) - 2)
		n = sizeof(buf) - 2;
	buf[n++] = '\n';
	for (int off = 0; off < n;) {
		ssize_t w = write(1, buf + off, n - off);
		if (w <= 0 && errno != EINTR)
			return;
		if (w > 0)
			off += w;
	}
}

void ut_printf(const char *fmt, ...)
{
	va_list ap;
	int saved = errno;

	va_start(ap, fmt);
	ut_vwrite(fmt, ap);
	va_end(ap);
	errno = saved;
}

void ut_fail(const char *file, int line, const char *fmt, ...)
{
	char what[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(what, sizeof(what), fmt, ap);
	va_end(ap);
	if (getpid() != ut_pid) {
		ut_printf("ut: child of %s failed: %s:%d: %s", ut_current ? ut_current : "?", file,
			  line, what);
		_exit(UT_CHILD_FAILED);
	}
	if (gettid() != ut_tid) {
		ut_printf("ut: thread in %s failed: %s:%d: %s", ut_current ? ut_current : "?", file,
			  line, what);
		ut_thread_failed = 1;
		return;
	}
	ut_printf("ut: FAIL %s: %s:%d: %s", ut_current, file, line, what);
	longjmp(ut_jump, 1);
}

int ut_wait_at(const char *file, int line, pid_t pid)
{
	int status;
	pid_t r;

	do
		r = wait4(pid, &status, 0, NULL);
	while (r == -1 && errno == EINTR);
	if (r != pid)
		ut_fail(file, line, "wait4(%d) gave %d (%s)", (int)pid, (int)r, ut_errname(errno));
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	ut_fail(file, line, "wait4(%d): odd status %#x", (int)pid, status);
	return -1;
}

void ut_expect_signal_at(const char *file, int line, const char *what, void (*fn)(void), int sig)
{
	pid_t pid = fork();
	int status;

	if (pid == -1)
		ut_fail(file, line, "fork for %s: %s", what, ut_errname(errno));
	if (pid == 0) {
		/* No core files for faults on purpose; failures are harmless. */
		struct rlimit no_core = { 0, 0 };
		setrlimit(RLIMIT_CORE, &no_core);
		fn();
		_exit(0);
	}
	if (wait4(pid, &status, 0, NULL) != pid)
		ut_fail(file, line, "wait4 for %s: %s", what, ut_errname(errno));
	if (WIFSIGNALED(status) && WTERMSIG(status) == sig)
		return;
	if (WIFSIGNALED(status))
		ut_fail(file, line, "%s: killed by signal %d, expected %d", what, WTERMSIG(status),
			sig);
	ut_fail(file, line, "%s: exited with %d, expected death by signal %d", what,
		WIFEXITED(status) ? WEXITSTATUS(status) : -1, sig);
}

uint64_t ut_now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void ut_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000 }, rem;

	while (nanosleep(&ts, &rem) == -1 && errno == EINTR)
		ts = rem;
}

ssize_t ut_read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t n = 0;
	ssize_t r = 0;

	buf[0] = '\0';
	if (fd < 0)
		return -1;
	while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += (size_t)r;
	close(fd);
	buf[n] = '\0';
	return r < 0 ? -1 : (ssize_t)n;
}

const char *ut_errname(int e)
{
	static const char *const names[] = {
		[0] = "0 (no error)",	   [EPERM] = "EPERM",
		[ENOENT] = "ENOENT",	   [ESRCH] = "ESRCH",
		[EINTR] = "EINTR",	   [EIO] = "EIO",
		[ENXIO] = "ENXIO",	   [E2BIG] = "E2BIG",
		[ENOEXEC] = "ENOEXEC",	   [EBADF] = "EBADF",
		[ECHILD] = "ECHILD",	   [EAGAIN] = "EAGAIN",
		[ENOMEM] = "ENOMEM",	   [EACCES] = "EACCES",
		[EFAULT] = "EFAULT",	   [EBUSY] = "EBUSY",
		[EEXIST] = "EEXIST",	   [ENOTDIR] = "ENOTDIR",
		[EISDIR] = "EISDIR",	   [EINVAL] = "EINVAL",
		[EMFILE] = "EMFILE",	   [ENOTTY] = "ENOTTY",
		[EFBIG] = "EFBIG",	   [ENOSPC] = "ENOSPC",
		[ESPIPE] = "ESPIPE",	   [EROFS] = "EROFS",
		[EPIPE] = "EPIPE",	   [ERANGE] = "ERANGE",
		[EDEADLK] = "EDEADLK",	   [ENAMETOOLONG] = "ENAMETOOLONG",
		[ENOSYS] = "ENOSYS",	   [ENOTEMPTY] = "ENOTEMPTY",
		[ELOOP] = "ELOOP",	   [EOVERFLOW] = "EOVERFLOW",
		[ETIMEDOUT] = "ETIMEDOUT", [EOPNOTSUPP] = "EOPNOTSUPP",
	};
	static char buf[16];

	if (e >= 0 && e < (int)(sizeof(names) / sizeof(names[0])) && names[e])
		return names[e];
	snprintf(buf, sizeof(buf), "errno %d", e);
	return buf;
}

static int by_line(const void *a, const void *b)
{
	return (*(const struct ut_case *const *)a)->line -
	       (*(const struct ut_case *const *)b)->line;
}

/* Whether the command line (argv[1..]) selects the case. */
static int selected(const char *name, int argc, char **argv)
{
	int any_positive = 0;

	for (int i = 1; i < argc; i++) {
		if (argv[i][0] == '-' && !strcmp(argv[i] + 1, name))
			return 0;
		if (argv[i][0] != '-') {
			any_positive = 1;
			if (!strcmp(argv[i], name))
				return 1;
		}
	}
	return !any_positive;
}

/* Names on the command line that match no case: each counts as a failure. */
static int unknown_names(const struct ut_case **cases, int n, int argc, char **argv)
{
	int bad = 0;

	for (int i = 1; i < argc; i++) {
		const char *want = argv[i][0] == '-' ? argv[i] + 1 : argv[i];
		int found = 0;
		for (int k = 0; k < n && !found; k++)
			found = !strcmp(cases[k]->name, want);
		if (!found) {
			ut_printf("ut: FAIL %s: no such case", want);
			bad++;
		}
	}
	return bad;
}

static int run_case(const struct ut_case *c)
{
	ut_current = c->name;
	ut_thread_failed = 0;
	if (setjmp(ut_jump)) {
		ut_current = NULL;
		return 0;
	}
	c->fn();
	if (ut_thread_failed) {
		ut_printf("ut: FAIL %s: a thread's check failed (see above)", c->name);
		ut_current = NULL;
		return 0;
	}
	ut_printf("ut: PASS %s", c->name);
	ut_current = NULL;
	return 1;
}

/* Weak: programs that are not case lists (threads_blocked...) have their own. */
__attribute__((weak)) int main(int argc, char **argv)
{
	int n = __stop_ut_cases - __start_ut_cases, passed = 0, failed;
	const struct ut_case *cases[n > 0 ? n : 1];

	ut_argc = argc;
	ut_argv = argv;
	ut_pid = getpid();
	ut_tid = gettid();
	if (argc > 1 && !strcmp(argv[1], "--helper"))
		return ut_helper(argc - 1, argv + 1);
	for (int i = 0; i < n; i++)
		cases[i] = &__start_ut_cases[i];
	qsort(cases, n, sizeof(cases[0]), by_line);
	if (argc > 1 && !strcmp(argv[1], "--list")) {
		for (int i = 0; i < n; i++)
			ut_printf("%s", cases[i]->name);
		return 0;
	}
	failed = unknown_names(cases, n, argc, argv);
	for (int i = 0; i < n; i++) {
		if (!selected(cases[i]->name, argc, argv))
			continue;
		if (run_case(cases[i]))
			passed++;
		else
			failed++;
	}
	ut_printf("ut: %d passed, %d failed", passed, failed);
	return failed == 0 && passed > 0 ? 0 : 1;
}
