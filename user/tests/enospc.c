/*
 * enospc: a full disk and file size limits, as Linux has them on ext2.
 * Data written is space reserved (DESIGN.md section 6): write(2) says
 * ENOSPC (after a short count when part fits), never only fsync; the
 * file keeps what write accepted; statfs counts data not written back
 * yet; unlink gives the space back in the same boot; RLIMIT_FSIZE sends
 * SIGXFSZ and fails with EFBIG (write, truncate); the largest ext2 file
 * depends on the block size.
 *
 * It runs as root in ENOSPC_DIR (default /mnt), which must be the top of
 * a small ext2 file system of its own (tests/system/test_enospc.py makes
 * one with mke2fs); each case removes what it made. Checked on Linux
 * first (on a loop-mounted ext2 image, as root).
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/wait.h>
#include <unistd.h>

#define MIB   (1 << 20)
#define SLACK 16 /* blocks a directory may have grown by */

static char buf[MIB];
static char path[256];
static const char *dir;

static const char *at(const char *name)
{
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return path;
}

static struct statfs fs_now(void)
{
	struct statfs st;

	UT_NOERR(statfs(dir, &st));
	return st;
}

/*
 * Writes up to calls times n bytes from buf to fd in write(2) calls,
 * until one fails (*err): the bytes written.
 */
static long long write_until_error(int fd, size_t n, int calls, int *err, int *short_counts)
{
	long long total = 0;

	for (int i = 0; i < calls; i++) {
		ssize_t w = write(fd, buf, n);

		if (w < 0) {
			*err = errno;
			break;
		}
		if ((size_t)w < n)
			++*short_counts;
		total += w;
	}
	return total;
}

/*
 * Fills the file system with files PREFIX0, PREFIX1... of 2 MiB (removing
 * a bigger file takes the ext2 service long under TCG) written in 1 MiB
 * calls, until a write fails with ENOSPC: each file has what write
 * accepted, and fsync then succeeds. Returns the bytes written; more than
 * the whole disk fails the case.
 */
static long long fill_files(const char *prefix, int *short_counts)
{
	struct statfs st = fs_now();
	long long total = 0, disk = (long long)st.f_blocks * (long long)st.f_bsize;
	int err = 0;

	for (int i = 0; !err; i++) {
		char name[64];
		struct stat fst;
		long long n;
		int fd;

		snprintf(name, sizeof(name), "%s%d", prefix, i);
		fd = UT_NOERR(open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0644));
		n = write_until_error(fd, MIB, 2, &err, short_counts);
		UT_NOERR(fstat(fd, &fst));
		UT_EQ(fst.st_size, n); /* the file has what write accepted */
		UT_EQ(fsync(fd), 0);   /* and all of it reaches the disk */
		UT_NOERR(close(fd));
		total += n;
		if (total > disk)
			ut_fail(__FILE__, __LINE__, "wrote %lld bytes on a disk of %lld", total,
				disk);
	}
	UT_EQ(err, ENOSPC);
	return total;
}

static void remove_files(const char *prefix)
{
	for (int i = 0; i < 10000; i++) {
		char name[64];

		snprintf(name, sizeof(name), "%s%d", prefix, i);
		if (unlink(at(name)) < 0)
			break;
	}
}

/*
 * Fills the file system: files of 2 MiB, then files of one page each,
 * until write fails with ENOSPC; returns the bytes written.
 */
static long long fill_up(int *short_counts)
{
	long long total = fill_files("big", short_counts);

	for (int i = 0;; i++) {
		char name[32];
		ssize_t w;
		int fd, err;

		snprintf(name, sizeof(name), "pad%d", i);
		fd = UT_NOERR(open(at(name), O_WRONLY | O_CREAT | O_TRUNC, 0644));
		w = write(fd, buf, 4096);
		err = errno;
		UT_NOERR(close(fd));
		if (w < 0) {
			UT_EQ(err, ENOSPC);
			break;
		}
		UT_EQ(w, 4096);
		total += w;
	}
	return total;
}

static void remove_all(void)
{
	remove_files("big");
	remove_files("pad");
}

/* Waits (syncing) until the free count is back to at least want; whether it came. */
static int space_back(long long want)
{
	return UT_POLL_WITH((sync(), (long long)fs_now().f_bfree >= want), 60, ut_sleep_ms(100));
}

UT_CASE(statfs_counts_data_not_written_back)
{
	struct statfs before = fs_now(), after;
	int fd = UT_NOERR(open(at("f"), O_WRONLY | O_CREAT | O_TRUNC, 0644));
	long long blocks = 4 * MIB / before.f_bsize;

	for (int i = 0; i < 4; i++)
		UT_EQ(write(fd, buf, MIB), MIB);
	after = fs_now(); /* before any write-back (the flusher runs every 2 s; sync was not asked) */
	UT_CHECK((long long)before.f_bfree - (long long)after.f_bfree >= blocks);
	UT_CHECK(after.f_bavail <= after.f_bfree);
	UT_EQ(fsync(fd), 0);
	after = fs_now(); /* written back: the blocks are allocated, the reservation gone */
	UT_CHECK((long long)before.f_bfree - (long long)after.f_bfree >= blocks);
	UT_CHECK((long long)before.f_bfree - (long long)after.f_bfree <
		 blocks + blocks / 8 + SLACK);
	UT_NOERR(close(fd));
	UT_NOERR(unlink(at("f")));
	UT_CHECK(space_back((long long)before.f_bfree - SLACK));
}

UT_CASE(write_until_full_gets_enospc_then_unlink_frees)
{
	struct statfs before = fs_now(), full;
	int shorts = 0, fd;
	long long total = fill_up(&shorts);

	full = fs_now();
	UT_CHECK(total > 0);
	UT_CHECK((long long)full.f_bfree < (long long)before.f_bfree / 16);
	UT_EQ(full.f_bavail, 0); /* the blocks kept for root are taken too: none for others */
	remove_all();
	UT_CHECK(space_back((long long)before.f_bfree - SLACK)); /* in the same boot */
	fd = UT_NOERR(open(at("again"), O_WRONLY | O_CREAT | O_TRUNC, 0644));
	UT_EQ(write(fd, buf, MIB), MIB);
	UT_EQ(fsync(fd), 0);
	UT_NOERR(close(fd));
	UT_NOERR(unlink(at("again")));
	UT_CHECK(space_back((long long)before.f_bfree - SLACK));
}

UT_CASE(short_count_when_part_fits)
{
	struct statfs before = fs_now();
	int shorts = 0, fd;
	long long want;
	ssize_t w;

	fd = UT_NOERR(open(at("ballast"), O_WRONLY | O_CREAT | O_TRUNC, 0644));
	UT_EQ(write(fd, buf, 256 << 10), 256 << 10);
	UT_EQ(fsync(fd), 0);
	UT_NOERR(close(fd));
	fill_up(&shorts);
	want = (long long)fs_now().f_bfree + (128 << 10) / before.f_bsize;
	UT_NOERR(unlink(at("ballast")));
	UT_CHECK(space_back(want));
	fd = UT_NOERR(open(at("last"), O_WRONLY | O_CREAT | O_TRUNC, 0644));
	w = UT_NOERR(write(fd, buf, MIB)); /* about 256 KiB fit: a short count */
	UT_CHECK(w >= 128 << 10 && w < MIB);
	for (;;) { /* the rest: ENOSPC, perhaps after a little more */
		ssize_t more = write(fd, buf, MIB);

		if (more < 0) {
			UT_EQ(errno, ENOSPC);
			break;
		}
		w += more;
		UT_CHECK(more > 0 && w < 512 << 10);
	}
	UT_EQ(lseek(fd, 0, SEEK_END), w);
	UT_EQ(fsync(fd), 0);
	UT_NOERR(close(fd));
	UT_NOERR(unlink(at("last")));
	remove_all();
	UT_CHECK(space_back((long long)before.f_bfree - SLACK));
}

UT_CASE(overwriting_on_a_full_disk_needs_no_space)
{
	struct statfs before = fs_now();
	int shorts = 0, fd = UT_NOERR(open(at("old"), O_RDWR | O_CREAT | O_TRUNC, 0644));

	memset(buf, 'a', MIB);
	UT_EQ(write(fd, buf, MIB), MIB);
	UT_EQ(fsync(fd), 0);
	fill_up(&shorts);
	memset(buf, 'b', MIB);
	UT_EQ(pwrite(fd, buf, MIB, 0), MIB); /* its blocks are there: no ENOSPC */
	UT_EQ(fsync(fd), 0);
	memset(buf, 0, MIB);
	UT_EQ(pread(fd, buf, MIB, 0), MIB);
	UT_EQ(buf[0], 'b');
	UT_EQ(buf[MIB - 1], 'b');
	memset(buf, 0, MIB);
	UT_NOERR(close(fd));
	UT_NOERR(unlink(at("old")));
	remove_all();
	UT_CHECK(space_back((long long)before.f_bfree - SLACK));
}

UT_CASE(only_root_takes_the_blocks_kept_for_root)
{
	struct statfs before = fs_now(), full;
	pid_t pid;
	int fd;

	UT_CHECK(before.f_bavail < before.f_bfree); /* mke2fs keeps 5% for root */
	UT_NOERR(mkdir(at("users"), 0777));
	UT_NOERR(chmod(at("users"), 0777));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		int shorts = 0;

		UT_NOERR(setuid(1000));
		fill_files("users/big", &shorts);
		full = fs_now(); /* less than a page's worst case is left to others */
		UT_CHECK((long long)full.f_bavail * full.f_bsize < 4096 + 3 * full.f_bsize);
		exit(0);
	}
	UT_CHILD_OK(pid);
	full = fs_now();
	UT_CHECK((long long)full.f_bfree * full.f_bsize >= 256 << 10); /* root's are left */
	fd = UT_NOERR(open(at("rootfile"), O_WRONLY | O_CREAT | O_TRUNC, 0644));
	UT_EQ(write(fd, buf, 128 << 10), 128 << 10); /* and root may take them */
	UT_EQ(fsync(fd), 0);
	UT_NOERR(close(fd));
	UT_NOERR(unlink(at("rootfile")));
	remove_files("users/big");
	UT_NOERR(rmdir(at("users")));
	UT_CHECK(space_back((long long)before.f_bfree - SLACK));
}

static int map_fd;

static void write_mapped_hole(void)
{
	char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, map_fd, 0);

	if (p == MAP_FAILED)
		exit(2);
	p[0] = 1; /* no room for the page's blocks: SIGBUS */
}

UT_CASE(shared_mapping_write_on_a_full_disk_is_sigbus)
{
	struct statfs before = fs_now();
	int shorts = 0;

	fill_up(&shorts);
	map_fd = UT_NOERR(open(at("hole"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	UT_NOERR(ftruncate(map_fd, 65536)); /* a hole needs no space */
	ut_expect_signal(write_mapped_hole, SIGBUS);
	UT_NOERR(close(map_fd));
	UT_NOERR(unlink(at("hole")));
	remove_all();
	UT_CHECK(space_back((long long)before.f_bfree - SLACK));
}

static void write_past_rlimit(void)
{
	struct rlimit rl = { 10000, 10000 };
	int fd = open(at("limited"), O_WRONLY | O_CREAT | O_TRUNC, 0644);

	if (fd < 0 || setrlimit(RLIMIT_FSIZE, &rl) < 0)
		exit(2);
	if (write(fd, buf, 16384) != 10000) /* the part under the limit */
		exit(3);
	write(fd, buf, 1); /* at the limit: SIGXFSZ */
	exit(4);
}

UT_CASE(rlimit_fsize_sends_sigxfsz)
{
	struct stat st;

	ut_expect_signal(write_past_rlimit, SIGXFSZ);
	UT_NOERR(stat(at("limited"), &st));
	UT_EQ(st.st_size, 10000);
	UT_NOERR(unlink(at("limited")));
}

UT_CASE(rlimit_fsize_efbig_when_sigxfsz_is_ignored)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		struct rlimit rl = { 10000, RLIM_INFINITY };
		int fd = UT_NOERR(open(at("limited"), O_RDWR | O_CREAT | O_TRUNC, 0644));

		signal(SIGXFSZ, SIG_IGN);
		UT_NOERR(setrlimit(RLIMIT_FSIZE, &rl));
		UT_EQ(write(fd, buf, 16384), 10000);
		UT_ERRNO(write(fd, buf, 1), EFBIG);
		UT_ERRNO(pwrite(fd, buf, 1, 20000), EFBIG);
		UT_EQ(pwrite(fd, buf, 100, 9950), 50);
		UT_ERRNO(ftruncate(fd, 10001), EFBIG); /* truncate past the limit */
		UT_ERRNO(truncate(at("limited"), 20000), EFBIG);
		UT_NOERR(ftruncate(fd, 10000));
		UT_NOERR(ftruncate(fd, 5000)); /* making it smaller is always allowed */
		rl.rlim_cur = 1000;
		UT_NOERR(setrlimit(RLIMIT_FSIZE, &rl));
		UT_NOERR(ftruncate(fd, 4000));
		UT_NOERR(close(fd));
		fd = UT_NOERR(open(at("limited"), O_WRONLY | O_APPEND));
		UT_ERRNO(write(fd, buf, 1), EFBIG); /* appending starts at 4000 */
		UT_NOERR(close(fd));
		exit(0);
	}
	UT_CHILD_OK(pid);
	UT_NOERR(unlink(at("limited")));
}

/* The largest file ext2 allows (its block maps and its 32-bit i_blocks), by block size. */
static long long ext2_max(long bsize)
{
	switch (bsize) {
	case 1024:
		return 17247252480ll; /* 16843020 blocks: what the maps reach */
	case 4096:
		return 2196875763712ll; /* 536346622 blocks: their i_blocks, indirect ones included */
	default:
		return -1;
	}
}

UT_CASE(ext2_largest_file_depends_on_block_size)
{
	long long max = ext2_max(fs_now().f_bsize);
	int fd = UT_NOERR(open(at("huge"), O_RDWR | O_CREAT | O_TRUNC, 0644));
	struct stat st;

	UT_CHECK(max > 0);
	UT_ERRNO(ftruncate(fd, max + 1), EFBIG);
	UT_NOERR(ftruncate(fd, max)); /* a hole needs no space */
	UT_ERRNO(pwrite(fd, buf, 1, max), EFBIG);
	UT_EQ(pwrite(fd, "x", 1, max - 1), 1);
	UT_EQ(pwrite(fd, buf, 4096, max - 10), 10); /* up to the largest size */
	UT_EQ(fsync(fd), 0);
	UT_NOERR(fstat(fd, &st));
	UT_EQ(st.st_size, max);
	UT_NOERR(ftruncate(fd, 0));
	UT_NOERR(close(fd));
	UT_NOERR(unlink(at("huge")));
}

__attribute__((constructor)) static void pick_dir(void)
{
	dir = getenv("ENOSPC_DIR") ? getenv("ENOSPC_DIR") : "/mnt";
}
