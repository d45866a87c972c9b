/*
 * hello: the first program a kernel runs. Writes to stdout and ends with
 * an exit status; needs only the startup code of musl, write, writev and
 * exit_group.
 *
 * Helpers for the system tests of init and ./axl:
 *   hello --helper exit N   prints "hello: exiting with N" and exits with N
 *   hello --helper segv     dies of SIGSEGV (a null pointer write)
 */
#include "ut.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/uio.h>
#include <unistd.h>

extern char **environ;

UT_CASE(write_stdout)
{
	static const char msg[] = "hello, world\n";

	UT_EQ(write(1, msg, sizeof(msg) - 1), sizeof(msg) - 1);
}

UT_CASE(writev_stdout)
{
	char a[] = "hello, ", b[] = "writev\n";
	struct iovec iov[3] = { { a, strlen(a) }, { NULL, 0 }, { b, strlen(b) } };

	UT_EQ(writev(1, iov, 3), strlen(a) + strlen(b));
}

UT_CASE(stdio_printf)
{
	UT_EQ(printf("hello, %s %d\n", "printf", 42), 17);
	UT_EQ(fflush(stdout), 0);
}

UT_CASE(write_zero_bytes)
{
	UT_EQ(write(1, "x", 0), 0);
}

UT_CASE(write_bad_fd)
{
	UT_ERRNO(write(-1, "x", 1), EBADF);
	UT_ERRNO(write(1000, "x", 1), EBADF);
}

UT_CASE(argv_and_environ)
{
	UT_CHECK(ut_argc >= 1);
	UT_CHECK(ut_argv != NULL && ut_argv[0] != NULL);
	UT_CHECK(ut_argv[ut_argc] == NULL);
	UT_CHECK(environ != NULL);
	/* envp follows argv's NULL on the initial stack. */
	UT_CHECK(environ == ut_argv + ut_argc + 1);
}

int ut_helper(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "exit")) {
		int n = atoi(argv[2]);
		char msg[64];
		int len = snprintf(msg, sizeof(msg), "hello: exiting with %d\n", n);
		write(1, msg, len);
		return n;
	}
	if (argc == 2 && !strcmp(argv[1], "segv")) {
		*(volatile int *)0 = 1;
		return 0;
	}
	ut_printf("hello: usage: hello --helper exit N | segv");
	return 2;
}
