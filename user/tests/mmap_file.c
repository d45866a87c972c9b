/*
 * File mappings: mmap of regular files, private (copy on write) and
 * shared (writes reach the file), msync, fork, and the errors. Works in
 * the directory named by MMAP_DIR (default /tmp): the tests run it on
 * tmpfs and on ext2 (/mnt), where the pages come from the page cache.
 * Checked on Linux first (user/run-on-linux).
 */
#include "ut.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE  4096
#define PAGES 5

static char path[256];

/* A new file of PAGES pages plus 100 bytes; byte i is (i * 7 + seed) & 0xff. */
static int make_file(const char *name, int seed)
{
	static char buf[PAGE];
	const char *dir = getenv("MMAP_DIR");
	int fd;

	snprintf(path, sizeof(path), "%s/%s", dir ? dir : "/tmp", name);
	unlink(path);
	fd = UT_NOERR(open(path, O_RDWR | O_CREAT | O_TRUNC, 0644));
	for (int p = 0; p <= PAGES; p++) {
		for (int i = 0; i < PAGE; i++)
			buf[i] = (char)(((p * PAGE + i) * 7 + seed) & 0xff);
		UT_EQ(write(fd, buf, p < PAGES ? PAGE : 100), p < PAGES ? PAGE : 100);
	}
	return fd;
}

static char expected(long i, int seed)
{
	return (char)((i * 7 + seed) & 0xff);
}

UT_CASE(private_mapping_reads_the_file)
{
	int fd = make_file("mf_private", 3);
	char *m = mmap(NULL, (PAGES + 1) * PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	UT_CHECK(m != MAP_FAILED);
	for (long i = 0; i < PAGES * PAGE + 100; i += 97)
		UT_EQ(m[i], expected(i, 3));
	for (long i = PAGES * PAGE + 100; i < (PAGES + 1) * PAGE; i++)
		UT_EQ(m[i], 0); /* past the end, inside the last page: zeros */
	UT_NOERR(munmap(m, (PAGES + 1) * PAGE));
	close(fd);
	unlink(path);
}

UT_CASE(private_writes_stay_private)
{
	int fd = make_file("mf_cow", 5);
	char *m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, PAGE);
	char c;

	UT_CHECK(m != MAP_FAILED);
	UT_EQ(m[10], expected(PAGE + 10, 5));
	m[10] = 'X';
	UT_EQ(m[10], 'X');
	UT_EQ(pread(fd, &c, 1, PAGE + 10), 1);
	UT_EQ(c, expected(PAGE + 10, 5)); /* the file did not change */
	UT_NOERR(munmap(m, 2 * PAGE));
	close(fd);
	unlink(path);
}

UT_CASE(shared_writes_reach_the_file)
{
	int fd = make_file("mf_shared", 9);
	char *m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	char buf[8];

	UT_CHECK(m != MAP_FAILED);
	memcpy(m + 2 * PAGE + 5, "mapped!", 7);
	UT_EQ(pread(fd, buf, 7, 2 * PAGE + 5), 7);
	UT_CHECK(memcmp(buf, "mapped!", 7) == 0);
	UT_NOERR(msync(m, PAGES * PAGE, MS_SYNC));
	UT_EQ(pwrite(fd, "W", 1, 3 * PAGE), 1); /* and write(2) shows in the mapping */
	UT_EQ(m[3 * PAGE], 'W');
	UT_NOERR(munmap(m, PAGES * PAGE));
	UT_EQ(pread(fd, buf, 7, 2 * PAGE + 5), 7);
	UT_CHECK(memcmp(buf, "mapped!", 7) == 0);
	UT_NOERR(fsync(fd));
	close(fd);
	unlink(path);
}

UT_CASE(shared_mapping_is_shared_with_children)
{
	int fd = make_file("mf_fork", 11);
	volatile char *m = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	pid_t pid;

	UT_CHECK(m != MAP_FAILED);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		m[1] = 'c';
		_exit(0);
	}
	UT_EQ(ut_wait(pid), 0);
	UT_EQ(m[1], 'c');
	UT_NOERR(munmap((void *)m, PAGE));
	close(fd);
	unlink(path);
}

UT_CASE(mapping_survives_close_and_unlink)
{
	int fd = make_file("mf_unlinked", 13);
	char *m = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 0);

	UT_CHECK(m != MAP_FAILED);
	close(fd);
	unlink(path);
	UT_EQ(m[100], expected(100, 13));
	UT_NOERR(munmap(m, PAGE));
}

UT_CASE(mapping_errors)
{
	int fd = make_file("mf_errors", 1);
	int ro = UT_NOERR(open(path, O_RDONLY));
	int wo = UT_NOERR(open(path, O_WRONLY));

	UT_ERRNO(mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, ro, 0), EACCES);
	UT_ERRNO(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, wo, 0), EACCES);
	UT_ERRNO(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, 999, 0), EBADF);
	UT_ERRNO(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, fd, 1), EINVAL);
	UT_ERRNO(msync((void *)1, PAGE, MS_SYNC), EINVAL);
	UT_ERRNO(msync(NULL, PAGE, MS_SYNC | MS_ASYNC), EINVAL);
	char *m = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, ro, 0); /* read-only shared: fine */
	UT_CHECK(m != MAP_FAILED);
	UT_EQ(m[0], expected(0, 1));
	UT_NOERR(munmap(m, PAGE));
	close(ro);
	close(wo);
	close(fd);
	unlink(path);
}

/*
 * A file made by an earlier run (an earlier boot: its pages are not in
 * memory yet) is read through a mapping, every page faulting in from the
 * disk; the first run makes it.
 */
UT_CASE(file_of_an_earlier_boot_faults_in)
{
	const char *dir = getenv("MMAP_DIR");
	char name[256];
	int fd;

	snprintf(name, sizeof(name), "%s/mf_keep", dir ? dir : "/tmp");
	fd = open(name, O_RDONLY);
	if (fd < 0) {
		fd = make_file("mf_keep", 17);
		UT_NOERR(fsync(fd));
		close(fd);
		ut_printf("mmap_file: made %s for the next run\n", name);
		return;
	}
	char *m = mmap(NULL, PAGES * PAGE + 100, PROT_READ, MAP_SHARED, fd, 0);

	UT_CHECK(m != MAP_FAILED);
	for (long i = PAGES * PAGE + 99; i >= 0; i -= 61) /* backwards: no read-ahead helps */
		UT_EQ(m[i], expected(i, 17));
	UT_EQ(write(1, m, 0), 0);
	UT_EQ(write(open("/dev/null", O_WRONLY), m + PAGE, PAGE), PAGE); /* the kernel reads it */
	UT_NOERR(munmap(m, PAGES * PAGE + 100));
	close(fd);
	ut_printf("mmap_file: read %s of an earlier run through a mapping\n", name);
}

/* A file made by an earlier boot (whose pages are not in memory), or NULL after making it. */
static int earlier_file(const char *name, int seed, int *fd)
{
	const char *dir = getenv("MMAP_DIR");
	char full[256];

	snprintf(full, sizeof(full), "%s/%s", dir ? dir : "/tmp", name);
	*fd = open(full, O_RDWR);
	if (*fd >= 0)
		return 1;
	*fd = make_file(name, seed);
	UT_NOERR(fsync(*fd));
	close(*fd);
	ut_printf("mmap_file: made %s for the next run\n", full);
	return 0;
}

static int sigbus_fd;

static void touch_past_the_end(void)
{
	volatile char *m = mmap(NULL, (PAGES + 3) * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED,
				sigbus_fd, 0);

	m[(PAGES + 2) * PAGE] = 1; /* wholly past the end of the file */
}

UT_CASE(mapping_past_the_end_is_sigbus)
{
	sigbus_fd = make_file("mf_sigbus", 2);
	ut_expect_signal(touch_past_the_end, SIGBUS);
	close(sigbus_fd);
	unlink(path);
}

/* A page-sized write from a bad buffer fails and leaves the file as it was. */
UT_CASE(failed_write_keeps_the_file)
{
	int fd = make_file("mf_efault", 4);
	char c;

	UT_ERRNO(pwrite(fd, (void *)0x1000, PAGE, 2 * PAGE), EFAULT);
	UT_EQ(pread(fd, &c, 1, 2 * PAGE + 7), 1);
	UT_EQ(c, expected(2 * PAGE + 7, 4));
	close(fd);
	unlink(path);
}

/*
 * Threads whose clear/set-tid word is in a file page still on the disk:
 * the kernel writes it outside any call that could wait for the page.
 * It must not leave the thread waiting on the page (it crashed the kernel).
 */
UT_CASE(tid_words_in_unread_file_pages)
{
	int fd;
	char *m;

	if (!earlier_file("mf_tid", 21, &fd))
		return;
	m = mmap(NULL, PAGES * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	UT_CHECK(m != MAP_FAILED);
	for (int i = PAGES - 1; i >= 2; i--) {
		pid_t pid = UT_NOERR(fork());

		if (pid == 0) {
			syscall(SYS_set_tid_address, m + i * PAGE + 64);
			_exit(0);
		}
		UT_EQ(ut_wait(pid), 0);
	}
	UT_NOERR(munmap(m, PAGES * PAGE));
	close(fd);
	ut_printf("mmap_file: tid words in unread pages of an earlier run's file\n");
}

/*
 * Writes through a shared mapping after the flusher wrote the page once
 * reach the disk even when mprotect or MADV_DONTNEED rebuilds the page
 * table entry: checked by the next run (the next boot).
 */
UT_CASE(shared_writes_after_write_back_reach_the_disk)
{
	int fd;
	char *m;

	if (earlier_file("mf_again", 0, &fd)) {
		char c[2];

		UT_EQ(pread(fd, &c[0], 1, 0), 1);
		UT_EQ(pread(fd, &c[1], 1, PAGE), 1);
		UT_CHECK(c[0] == 'B' && c[1] == 'B');
		close(fd);
		ut_printf("mmap_file: writes after write-back were on the disk\n");
		return;
	}
	fd = UT_NOERR(open(path, O_RDWR));
	m = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_CHECK(m != MAP_FAILED);
	m[0] = m[PAGE] = 'A';
	UT_NOERR(msync(m, 2 * PAGE, MS_SYNC));
	m[0] = m[PAGE] = 'B'; /* no fault: only the dirty bits say it */
	UT_NOERR(mprotect(m, PAGE, PROT_READ));
	UT_NOERR(madvise(m + PAGE, PAGE, MADV_DONTNEED));
	UT_NOERR(munmap(m, 2 * PAGE));
	UT_NOERR(fsync(fd));
	close(fd);
}
