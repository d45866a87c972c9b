/*
 * efault: a bad pointer in a pointer argument gives EFAULT, never a crash
 * of the kernel or of the caller. Each call is tried with small addresses
 * (1, 4095), a non-canonical address, kernel addresses, an unmapped page,
 * NULL where NULL is not allowed, and, for output buffers, a read-only page
 * and (for structures) a buffer that runs from a good page into an
 * unmapped one.
 *
 * Everything goes through raw system calls: musl's wrappers would touch
 * some pointers themselves.
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PAGE 4096UL

/* Bad addresses, filled in by setup(). */
static unsigned long bad[8];
static int nbad;
static char *readonly_page, *unmapped_page, *edge; /* edge: 2 bytes before unmapped */

/* What else to try besides bad[]. */
#define NUL  1 /* NULL */
#define RO   2 /* a read-only page */
#define EDGE 4 /* a structure running into an unmapped page */

static void setup(void)
{
	char *p;

	if (nbad)
		return;
	p = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(p != MAP_FAILED);
	UT_EQ(munmap(p + PAGE, PAGE), 0);
	UT_EQ(mprotect(p + 2 * PAGE, PAGE, PROT_READ), 0);
	unmapped_page = p + PAGE;
	readonly_page = p + 2 * PAGE;
	edge = p + PAGE - 2;
	bad[nbad++] = 1;
	bad[nbad++] = 4095;
	bad[nbad++] = 0x8000000000000000UL; /* non-canonical */
	bad[nbad++] = 0xffff800000000000UL; /* kernel half */
	bad[nbad++] = 0xffffffff80000000UL; /* where kernels keep their image */
	bad[nbad++] = (unsigned long)unmapped_page;
	bad[nbad++] = 0x00007ffffffff000UL; /* the last user page, not ours */
}

static void try_one(const char *what, long nr, int which, const long args[6], unsigned long ptr,
		    const char *kind)
{
	long a[6];

	memcpy(a, args, sizeof(a));
	a[which] = (long)ptr;
	long r = ut_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
	if (r != -EFAULT)
		ut_fail(__FILE__, __LINE__, "%s with %s %#lx: %ld, expected -EFAULT", what, kind,
			ptr, r);
}

/* Each bad address in turn as argument `which` (0-5) of nr: all EFAULT. */
static void all_bad(const char *what, long nr, int which, const long args[6], int also)
{
	setup();
	for (int i = 0; i < nbad; i++)
		try_one(what, nr, which, args, bad[i], "bad pointer");
	if (also & NUL)
		try_one(what, nr, which, args, 0, "NULL");
	if (also & RO)
		try_one(what, nr, which, args, (unsigned long)readonly_page, "read-only page");
	if (also & EDGE)
		try_one(what, nr, which, args, (unsigned long)edge, "unmapped page edge");
}

#define ARGS(...) ((const long[6]){ __VA_ARGS__ })

/* Writes to /dev/null never look at the buffer: use fd 1 only if it reads it. */
static int is_dev_null(int fd)
{
	struct stat st;

	return fstat(fd, &st) == 0 && S_ISCHR(st.st_mode) && st.st_rdev == makedev(1, 3);
}

static void bad_writes(int fd)
{
	struct iovec iov[2] = { { (void *)1, 10 }, { (void *)"ok", 2 } };

	all_bad("write", SYS_write, 1, ARGS(fd, 0, 10), NUL);
	all_bad("writev", SYS_writev, 1, ARGS(fd, 0, 1), NUL | EDGE);
	/* A bad base inside the vector: nothing written, EFAULT. */
	UT_RAW_ERR(ut_raw3(SYS_writev, fd, iov, 2), EFAULT);
}

UT_CASE(write_and_writev_console)
{
	if (!is_dev_null(1))
		bad_writes(1);
}

UT_CASE(write_and_writev_file)
{
	char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/axl-efault-%d", (int)getpid());
	fd = UT_NOERR(open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600));
	unlink(path);
	bad_writes(fd);
	UT_EQ(lseek(fd, 0, SEEK_END), 0); /* nothing was written */
	close(fd);
}

UT_CASE(read_into_bad_buffers)
{
	int fd = UT_NOERR(open("/dev/zero", O_RDONLY | O_CLOEXEC));

	all_bad("read", SYS_read, 1, ARGS(fd, 0, 64), NUL | RO);
	close(fd);
}

UT_CASE(open_and_fstat)
{
	struct stat st;

	all_bad("openat path", SYS_openat, 1, ARGS(AT_FDCWD, 0, O_RDONLY), NUL);
	all_bad("open path", SYS_open, 0, ARGS(0, O_RDONLY), NUL);
	all_bad("fstat", SYS_fstat, 1, ARGS(1, 0), NUL | RO | EDGE);
	UT_EQ(fstat(1, &st), 0); /* fd 1 still fine */
}

UT_CASE(ioctl_winsize)
{
	struct winsize ws;

	if (ioctl(1, TIOCGWINSZ, &ws) != 0)
		return; /* stdout is not a terminal here: nothing to check */
	all_bad("ioctl(TIOCGWINSZ)", SYS_ioctl, 2, ARGS(1, TIOCGWINSZ, 0), NUL | RO | EDGE);
}

UT_CASE(uname)
{
	all_bad("uname", SYS_uname, 0, ARGS(0), NUL | RO | EDGE);
}

UT_CASE(time_calls)
{
	all_bad("clock_gettime", SYS_clock_gettime, 1, ARGS(CLOCK_MONOTONIC, 0), NUL | RO | EDGE);
	all_bad("clock_gettime(REALTIME)", SYS_clock_gettime, 1, ARGS(CLOCK_REALTIME, 0),
		NUL | RO | EDGE);
	all_bad("clock_getres", SYS_clock_getres, 1, ARGS(CLOCK_MONOTONIC, 0), RO | EDGE);
	all_bad("gettimeofday", SYS_gettimeofday, 0, ARGS(0, 0), RO | EDGE);
	all_bad("times", SYS_times, 0, ARGS(0), RO | EDGE);
	all_bad("nanosleep request", SYS_nanosleep, 0, ARGS(0, 0), NUL | EDGE);
	all_bad("clock_nanosleep request", SYS_clock_nanosleep, 2, ARGS(CLOCK_MONOTONIC, 0, 0, 0),
		NUL | EDGE);
	/* time(NULL) is fine; time(bad) is not. */
	UT_RAW_ERR(ut_raw1(SYS_time, 1), EFAULT);
}

UT_CASE(wait4_status_and_rusage)
{
	/* Linux reaps the child before it writes the status: the second wait
	 * then finds nothing. Either way, no crash and EFAULT first. */
	for (int which = 1; which <= 3; which += 2) {
		pid_t pid = UT_NOERR(fork());
		if (pid == 0)
			_exit(0);
		long args[6] = { pid, 0, 0, 0 };
		args[which] = 1;
		UT_RAW_ERR(ut_syscall6(SYS_wait4, pid, args[1], 0, args[3], 0, 0), EFAULT);
		long r = ut_raw4(SYS_wait4, pid, NULL, 0, NULL);
		UT_CHECK(r == pid || r == -ECHILD);
	}
}

UT_CASE(waitid_infop)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(0);
	UT_RAW_ERR(ut_raw5(SYS_waitid, P_PID, pid, 1, WEXITED, NULL), EFAULT);
	long r = ut_raw4(SYS_wait4, pid, NULL, 0, NULL);
	UT_CHECK(r == pid || r == -ECHILD);
}

UT_CASE(execve_pointers)
{
	static char *argv[] = { "x", NULL };
	static char *bad_arg[] = { "x", (char *)1, NULL };
	static char *bad_env[] = { (char *)0xffff800000000000UL, NULL };

	/* An existing program (this one): Linux opens the file before it
	 * reads argv and envp. */
	const char *self = (const char *)getauxval(AT_EXECFN);

	setup();
	edge[0] = edge[1] = 'x'; /* a string running into the unmapped page */

	all_bad("execve path", SYS_execve, 0, ARGS(0, (long)argv, 0), NUL | EDGE);
	all_bad("execve argv", SYS_execve, 1, ARGS((long)self, 0, 0), EDGE);
	all_bad("execve envp", SYS_execve, 2, ARGS((long)self, (long)argv, 0), EDGE);
	UT_RAW_ERR(ut_raw3(SYS_execve, self, bad_arg, NULL), EFAULT);
	UT_RAW_ERR(ut_raw3(SYS_execve, self, argv, bad_env), EFAULT);
}

UT_CASE(futex_address_and_timeout)
{
	static int word;

	/* Aligned bad addresses only: an unaligned one is EINVAL first. */
	setup();
	UT_RAW_ERR(ut_raw4(SYS_futex, 8, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL), EFAULT);
	UT_RAW_ERR(ut_raw4(SYS_futex, 8, FUTEX_WAIT, 0, NULL), EFAULT);
	UT_RAW_ERR(ut_raw4(SYS_futex, unmapped_page, FUTEX_WAIT, 0, NULL), EFAULT);
	UT_RAW_ERR(ut_raw4(SYS_futex, 0xffff800000000000UL, FUTEX_WAIT, 0, NULL), EFAULT);
	UT_RAW_ERR(ut_raw4(SYS_futex, &word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, 1), EFAULT);
	UT_RAW_ERR(ut_raw4(SYS_futex, &word, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, unmapped_page),
		   EFAULT);
	UT_RAW_ERR(ut_syscall6(SYS_futex, (long)&word, FUTEX_CMP_REQUEUE, 1, 1, 8, 0), EFAULT);
}

UT_CASE(process_calls)
{
	struct clone_args args;
	static unsigned ids[3];

	all_bad("getrandom", SYS_getrandom, 0, ARGS(0, 16, 0), NUL | RO);
	all_bad("getrlimit", SYS_getrlimit, 1, ARGS(RLIMIT_NOFILE, 0), NUL | RO | EDGE);
	all_bad("setrlimit", SYS_setrlimit, 1, ARGS(RLIMIT_NOFILE, 0), NUL | EDGE);
	all_bad("prlimit64 old", SYS_prlimit64, 3, ARGS(0, RLIMIT_NOFILE, 0, 0), RO | EDGE);
	all_bad("prlimit64 new", SYS_prlimit64, 2, ARGS(0, RLIMIT_NOFILE, 0, 0), EDGE);
	all_bad("getrusage", SYS_getrusage, 1, ARGS(RUSAGE_SELF, 0), NUL | RO | EDGE);
	all_bad("arch_prctl(ARCH_GET_FS)", SYS_arch_prctl, 1, ARGS(ARCH_GET_FS, 0),
		NUL | RO | EDGE);
	all_bad("getresuid", SYS_getresuid, 0, ARGS(0, (long)&ids[1], (long)&ids[2]),
		NUL | RO | EDGE);
	all_bad("getresgid", SYS_getresgid, 2, ARGS((long)&ids[0], (long)&ids[1], 0),
		NUL | RO | EDGE);
	memset(&args, 0, sizeof(args));
	args.exit_signal = SIGCHLD;
	all_bad("clone3 args", SYS_clone3, 0, ARGS(0, sizeof(args)), NUL | EDGE);
}

UT_CASE(caller_survives_and_memory_is_intact)
{
	/* After all the above, the read-only page is still as it was and we
	 * can still write where we may. (A structure written across the edge
	 * may have been written in part: Linux does so.) */
	setup();
	for (unsigned i = 0; i < PAGE; i++)
		UT_EQ(readonly_page[i], 0);
	edge[1] = 1;
	UT_EQ(edge[1], 1);
}
