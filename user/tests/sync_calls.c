/*
 * sync_calls: the calls that make written data durable (sync, syncfs,
 * fsync, fdatasync, sync_file_range, msync) and how write-back errors
 * reach programs. Runs in the directory named by SYNC_DIR (default
 * /tmp); tests/system/test_sync.py runs it on an ext2 disk at /mnt.
 *
 * The cases check the arguments and the error reporting: a write-back
 * that fails (the blk service made to crash on every request through
 * /proc/fault_inject) is reported once to every open file description
 * that existed, by its next fsync, and to syncfs; a later opener is not
 * told of an error already reported, but is of one nobody saw.
 *
 * "sync_calls --helper write KIND FILE MIB" writes MIB MiB of a pattern
 * to FILE, makes it durable with KIND (sync, syncfs, fsync, fdatasync,
 * sync_file_range, msync), prints "power-cut-now KIND" and waits for the
 * host to cut the power; the host then checks FILE in the image. KIND
 * none only writes, and exits: the shell's sync follows. KIND
 * fsync_under_syncs writes in small uneven pieces while a child process
 * calls sync() in a loop, so that write-backs take pages that a write is
 * filling at the end of the file, then fsyncs.
 * Each 32-byte record of the pattern is its own offset in 30 decimal
 * digits, a newline and a NUL.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define CHUNK (1 << 20)

static char path[256];

static const char *in_dir(const char *name)
{
	const char *dir = getenv("SYNC_DIR");

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/tmp", name);
	return path;
}

/* Chunk n of the pattern: each line names its own offset, so a diff shows where. */
static void pattern(char *p, long n)
{
	for (long i = 0; i < CHUNK; i += 32)
		snprintf(p + i, 33, "%030ld\n", n * CHUNK + i);
}

static void fault_inject(const char *rule)
{
	int fd = UT_NOERR(open("/proc/fault_inject", O_WRONLY | O_TRUNC));

	UT_EQ(write(fd, rule, strlen(rule)), (ssize_t)strlen(rule));
	UT_NOERR(close(fd));
}

static long sys_sync_file_range(int fd, long off, long len, unsigned flags)
{
	return syscall(SYS_sync_file_range, fd, off, len, flags);
}

UT_CASE(sync_file_range_checks_its_arguments)
{
	int fd = UT_NOERR(open(in_dir("sfr"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	int p[2];

	UT_EQ(write(fd, "abc", 3), 3);
	UT_ERRNO(sys_sync_file_range(fd, 0, 0, 8), EINVAL);
	UT_ERRNO(sys_sync_file_range(-1, 0, 0, 8), EBADF); /* the descriptor first, as Linux */
	UT_ERRNO(sys_sync_file_range(fd, -1, 0, SYNC_FILE_RANGE_WRITE), EINVAL);
	UT_ERRNO(sys_sync_file_range(fd, 0, -1, SYNC_FILE_RANGE_WRITE), EINVAL);
	UT_ERRNO(sys_sync_file_range(fd, 0x7fffffffffffff00L, 0x1000, SYNC_FILE_RANGE_WRITE),
		 EINVAL);
	UT_ERRNO(sys_sync_file_range(-1, 0, 0, SYNC_FILE_RANGE_WRITE), EBADF);
	UT_NOERR(pipe(p));
	UT_ERRNO(sys_sync_file_range(p[0], 0, 0, SYNC_FILE_RANGE_WRITE), ESPIPE);
	UT_EQ(sys_sync_file_range(fd, 0, 0, 0), 0);
	UT_EQ(sys_sync_file_range(fd, 0, 3,
				  SYNC_FILE_RANGE_WAIT_BEFORE | SYNC_FILE_RANGE_WRITE |
					  SYNC_FILE_RANGE_WAIT_AFTER),
	      0);
	close(p[0]);
	close(p[1]);
	close(fd);
	unlink(in_dir("sfr"));
}

UT_CASE(sync_calls_check_the_descriptor)
{
	int fd = UT_NOERR(open("/", O_PATH));

	UT_ERRNO(syncfs(-1), EBADF);
	UT_ERRNO(syncfs(1000), EBADF);
	UT_ERRNO(syncfs(fd), EBADF); /* O_PATH */
	UT_ERRNO(fsync(-1), EBADF);
	UT_ERRNO(fdatasync(1000), EBADF);
	UT_ERRNO(fsync(fd), EBADF);
	close(fd);
	sync(); /* no result, and it must come back */
}

/* A file with dirty data, and a write-back that cannot reach the disk. */
static void fail_writeback(int fd)
{
	static char buf[64 << 10];

	memset(buf, 'x', sizeof(buf));
	UT_EQ(write(fd, buf, sizeof(buf)), (ssize_t)sizeof(buf));
	fault_inject("blk panic every 1");
	sync(); /* fails inside; sync(2) itself has no result */
	fault_inject("blk off");
}

UT_CASE(writeback_error_reaches_every_open_file_once)
{
	int a = UT_NOERR(open(in_dir("wberr"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	int b = UT_NOERR(open(in_dir("wberr"), O_RDONLY));
	int c;

	UT_NOERR(fsync(a));
	fail_writeback(a);
	UT_ERRNO(fsync(a), EIO);
	UT_EQ(fsync(a), 0); /* once */
	UT_ERRNO(fdatasync(b), EIO);
	UT_EQ(fdatasync(b), 0);
	UT_ERRNO(syncfs(b), EIO); /* the file system's errors: b had not seen them either */
	UT_EQ(syncfs(b), 0);
	fail_writeback(a);
	UT_EQ(sys_sync_file_range(a, 0, 0, SYNC_FILE_RANGE_WRITE), 0); /* starts, reports nothing */
	UT_ERRNO(sys_sync_file_range(a, 0, 0, SYNC_FILE_RANGE_WAIT_AFTER), EIO);
	UT_EQ(fsync(a), 0);
	UT_ERRNO(fsync(b), EIO);
	c = UT_NOERR(open(in_dir("wberr"), O_RDONLY));
	UT_EQ(fsync(c), 0);		/* reported already before c was opened */
	UT_EQ(write(a, "after", 5), 5); /* and the file works again */
	UT_EQ(fsync(a), 0);
	close(a);
	close(b);
	close(c);
	unlink(in_dir("wberr"));
}

UT_CASE(an_error_nobody_saw_reaches_a_later_opener)
{
	int a = UT_NOERR(open(in_dir("wberr2"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	int b;

	UT_NOERR(fsync(a));
	fail_writeback(a);
	close(a); /* the writer is gone without looking */
	b = UT_NOERR(open(in_dir("wberr2"), O_RDONLY));
	UT_ERRNO(fsync(b), EIO);
	UT_EQ(fsync(b), 0);
	close(b);
	unlink(in_dir("wberr2"));
}

UT_CASE(msync_reports_a_lost_write_of_its_mapping_once)
{
	int fd = UT_NOERR(open(in_dir("msyncerr"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	char *m;

	UT_NOERR(ftruncate(fd, 8192));
	UT_NOERR(fsync(fd));
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_CHECK(m != MAP_FAILED);
	memset(m, 'e', 8192);
	UT_EQ(msync(m, 8192, MS_ASYNC), 0); /* the pages are dirty in the file */
	fault_inject("blk panic every 1");
	sync(); /* their write-back fails */
	fault_inject("blk off");
	UT_ERRNO(msync(m, 8192, MS_SYNC), EIO);
	UT_EQ(msync(m, 8192, MS_SYNC), 0);
	UT_ERRNO(fsync(fd), EIO); /* the descriptor has its own view */
	munmap(m, 8192);
	close(fd);
	unlink(in_dir("msyncerr"));
}

UT_CASE(msync_sync_of_a_shared_mapping_returns)
{
	int fd = UT_NOERR(open(in_dir("msync"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	char *m;

	UT_NOERR(ftruncate(fd, 8192));
	m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_CHECK(m != MAP_FAILED);
	memset(m, 'm', 8192);
	UT_EQ(msync(m, 8192, MS_SYNC), 0);
	UT_ERRNO(msync(m, 8192, MS_SYNC | MS_ASYNC), EINVAL);
	munmap(m, 8192);
	close(fd);
	unlink(in_dir("msync"));
}

static int make_durable(const char *kind, int fd, char *map, size_t len)
{
	if (!strcmp(kind, "sync")) {
		sync();
		return 0;
	}
	if (!strcmp(kind, "syncfs"))
		return syncfs(fd);
	if (!strcmp(kind, "fsync"))
		return fsync(fd);
	if (!strcmp(kind, "fdatasync"))
		return fdatasync(fd);
	if (!strcmp(kind, "sync_file_range"))
		return (int)sys_sync_file_range(fd, 0, 0,
						SYNC_FILE_RANGE_WAIT_BEFORE |
							SYNC_FILE_RANGE_WRITE |
							SYNC_FILE_RANGE_WAIT_AFTER);
	if (!strcmp(kind, "msync"))
		return msync(map, len, MS_SYNC);
	errno = EINVAL;
	return -1;
}

/* Writes chunk in pieces of uneven sizes, most of them ending inside a page. */
static int write_in_pieces(int fd, const char *chunk)
{
	static const size_t pieces[] = { 700, 1900, 3100, 4600, 333, 2048 };
	size_t done = 0;

	for (int i = 0; done < CHUNK; i++) {
		size_t n = pieces[i % 6] < CHUNK - done ? pieces[i % 6] : CHUNK - done;

		if (write(fd, chunk + done, n) != (ssize_t)n)
			return -1;
		done += n;
	}
	return 0;
}

/* A child that calls sync() until it is killed; its pid. */
static pid_t start_syncing(void)
{
	pid_t pid = fork();

	if (pid == 0)
		for (;;)
			sync();
	return pid;
}

/* Writes the file (through a shared mapping for msync), makes it durable, waits for the cut. */
static int write_then_wait(const char *kind, const char *file, long mib)
{
	static char chunk[CHUNK];
	size_t len = (size_t)mib * CHUNK;
	int fd = open(file, O_RDWR | O_CREAT | O_TRUNC, 0644);
	bool racing = !strcmp(kind, "fsync_under_syncs");
	pid_t syncer = racing ? start_syncing() : 0;
	char *map = NULL;

	if (fd < 0 || (!strcmp(kind, "msync") && ftruncate(fd, (off_t)len)))
		return perror(file), 1;
	if (!strcmp(kind, "msync")) {
		map = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
		if (map == MAP_FAILED)
			return perror("mmap"), 1;
	}
	for (long n = 0; n < mib; n++) {
		pattern(chunk, n);
		if (map)
			memcpy(map + n * CHUNK, chunk, CHUNK);
		else if (racing ? write_in_pieces(fd, chunk) : write(fd, chunk, CHUNK) != CHUNK)
			return perror("write"), 1;
	}
	if (syncer < 0 || (racing && (kill(syncer, SIGKILL) || waitpid(syncer, NULL, 0) != syncer)))
		return perror("the syncing child"), 1;
	if (!strcmp(kind, "none"))
		return close(fd) ? 1 : 0; /* written only: the caller syncs */
	if (make_durable(racing ? "fsync" : kind, fd, map, len))
		return perror(kind), 1;
	printf("power-cut-now %s\n", kind);
	fflush(stdout);
	for (;;)
		pause();
}

int ut_helper(int argc, char **argv)
{
	if (argc == 5 && !strcmp(argv[1], "write"))
		return write_then_wait(argv[2], argv[3], atol(argv[4]));
	fprintf(stderr, "usage: sync_calls --helper write KIND FILE MIB\n");
	return 2;
}
