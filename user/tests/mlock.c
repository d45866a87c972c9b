/*
 * mlock: memory locking as Linux has it. mlock, mlock2 (MLOCK_ONFAULT),
 * munlock, mlockall (MCL_CURRENT, MCL_FUTURE, MCL_ONFAULT), munlockall,
 * mmap's MAP_LOCKED and MAP_POPULATE: locked ranges are faulted in and
 * counted in /proc/self/status's VmLck, areas split and merge again, and
 * RLIMIT_MEMLOCK bounds them without CAP_IPC_LOCK (ENOMEM, EAGAIN for
 * new mappings and mremap, EPERM at a limit of 0). Locks are not inherited
 * by fork and end at exec; locked pages refuse MADV_DONTNEED.
 *
 * Files go in the directory MMAP_DIR names (default /tmp):
 * tests/system/test_mmap_ext2.py runs the file cases on an ext2 disk, where
 * mlock waits for pages read from the disk.
 *
 * It runs as root; the cases that change a limit, drop the capability or
 * call mlockall do it in a child. Each case was checked on Linux first
 * (user/run-on-linux).
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define KB   1024UL

#ifndef MLOCK_ONFAULT
#define MLOCK_ONFAULT 1
#endif
#ifndef MCL_ONFAULT
#define MCL_ONFAULT 4
#endif

static char text[1 << 14];

/* A field of /proc/self/status in kB ("VmLck", "VmRSS", "VmSize"). */
static long status_kb(const char *field)
{
	char key[32];
	const char *l;

	ut_read_text("/proc/self/status", text, sizeof(text));
	snprintf(key, sizeof(key), "\n%s:", field);
	l = strstr(text, key);
	if (!l)
		ut_fail(__FILE__, __LINE__, "no %s line in /proc/self/status", field);
	return atol(l + strlen(key));
}

/* Lines of /proc/self/maps: its areas. */
static int map_count(void)
{
	int n = 0;

	ut_read_text("/proc/self/maps", text, sizeof(text));
	for (const char *c = text; *c; c++)
		n += *c == '\n';
	return n;
}

static char *map_anon(size_t len, int extra_flags)
{
	char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | extra_flags,
		       -1, 0);

	UT_CHECK(p != MAP_FAILED);
	return p;
}

static long sys_mlock2(const void *addr, size_t len, unsigned flags)
{
	return ut_raw3(SYS_mlock2, addr, len, flags);
}

static void set_memlock(rlim_t bytes)
{
	struct rlimit rl = { bytes, bytes };

	UT_NOERR(setrlimit(RLIMIT_MEMLOCK, &rl));
}

/* Runs fn in a child (which exits 0 when fn returns); the case fails unless it does. */
static void in_child(void (*fn)(void))
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		fn();
		exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(mlock_faults_in_counts_and_splits_the_area)
{
	size_t len = 64 * PAGE;
	char *p = map_anon(len, 0);
	long rss = status_kb("VmRSS");
	int areas = map_count();

	UT_EQ(status_kb("VmLck"), 0);
	p[5 * PAGE] = 'x';
	/* An unaligned start rounds down, the end up: pages 1..17 (17 pages). */
	UT_NOERR(mlock(p + PAGE + 100, 16 * PAGE));
	UT_EQ(status_kb("VmLck"), 17 * PAGE / KB);
	UT_CHECK(status_kb("VmRSS") - rss >= (long)(16 * PAGE / KB)); /* faulted in, not touched */
	UT_EQ(map_count(), areas + 2);				      /* below, locked, above */
	UT_EQ(p[5 * PAGE], 'x');
	/* Locking again counts nothing twice; a range over locked and unlocked pages adds the rest. */
	UT_NOERR(mlock(p + PAGE, 17 * PAGE));
	UT_EQ(status_kb("VmLck"), 17 * PAGE / KB);
	UT_NOERR(mlock(p, 20 * PAGE));
	UT_EQ(status_kb("VmLck"), 20 * PAGE / KB);
	UT_EQ(map_count(), areas + 1);
	/* munlock of everything: one area again. */
	UT_NOERR(munlock(p, len));
	UT_EQ(status_kb("VmLck"), 0);
	UT_EQ(map_count(), areas);
	UT_EQ(p[5 * PAGE], 'x');
	UT_NOERR(munmap(p, len));
}

UT_CASE(mlock2_onfault_counts_without_faulting_in)
{
	size_t len = 32 * PAGE;
	char *p = map_anon(len, 0);
	long rss = status_kb("VmRSS");

	UT_RAW_ERR(sys_mlock2(p, len, 2), EINVAL);
	UT_EQ(sys_mlock2(p, len, MLOCK_ONFAULT), 0);
	UT_EQ(status_kb("VmLck"), len / KB);
	UT_CHECK(status_kb("VmRSS") - rss < (long)(len / KB / 2));
	/* A plain mlock of the same range faults it in and counts it once. */
	UT_EQ(sys_mlock2(p, len, 0), 0);
	UT_EQ(status_kb("VmLck"), len / KB);
	UT_CHECK(status_kb("VmRSS") - rss >= (long)(len / KB));
	UT_NOERR(munmap(p, len)); /* unmapping ends the lock */
	UT_EQ(status_kb("VmLck"), 0);
}

UT_CASE(a_range_with_a_hole_is_enomem_and_an_empty_one_is_nothing)
{
	char *p = map_anon(3 * PAGE, 0);

	UT_NOERR(munmap(p + PAGE, PAGE));
	/* (Linux locks the pages before the hole; Axolotl refuses the whole range.) */
	UT_ERRNO(mlock(p, 3 * PAGE), ENOMEM);
	UT_ERRNO(munlock(p, 3 * PAGE), ENOMEM);
	UT_RAW_ERR(sys_mlock2(p, 3 * PAGE, 0), ENOMEM);
	UT_ERRNO(mlock(p + PAGE, PAGE), ENOMEM);
	UT_NOERR(mlock(p, PAGE));
	UT_NOERR(mlock(p + PAGE, 0));
	UT_NOERR(munlock(p + PAGE, 0));
	UT_EQ(status_kb("VmLck"), PAGE / KB);
	UT_NOERR(munmap(p, 3 * PAGE));
	UT_EQ(status_kb("VmLck"), 0);
}

UT_CASE(mlockall_flags_are_checked)
{
	UT_ERRNO(mlockall(0), EINVAL);
	UT_ERRNO(mlockall(MCL_ONFAULT), EINVAL);
	UT_ERRNO(mlockall(8), EINVAL);
	UT_ERRNO(mlockall(MCL_CURRENT | 8), EINVAL);
	UT_EQ(status_kb("VmLck"), 0);
}

/* The limit without CAP_IPC_LOCK: uid 1000 (setresuid empties the effective set). */
static void memlock_limit_binds_without_cap_ipc_lock_child(void)
{
	size_t len = 64 * PAGE;
	char *p = map_anon(len, 0), *q;

	set_memlock(16 * PAGE);
	UT_NOERR(setresuid(1000, 1000, 1000));
	UT_ERRNO(mlock(p, 17 * PAGE), ENOMEM);
	UT_NOERR(mlock(p, 16 * PAGE));
	UT_NOERR(mlock(p, 16 * PAGE)); /* the same pages again: still within */
	UT_NOERR(mlock(p + 8 * PAGE, 8 * PAGE));
	UT_ERRNO(mlock(p + 16 * PAGE, PAGE), ENOMEM);
	UT_EQ(status_kb("VmLck"), 16 * PAGE / KB);
	/* New locked memory: EAGAIN (mmap, mremap growth of a locked area). */
	UT_CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0) ==
		 MAP_FAILED);
	UT_EQ(errno, EAGAIN);
	UT_CHECK(mremap(p, 16 * PAGE, 17 * PAGE, MREMAP_MAYMOVE) == MAP_FAILED);
	UT_EQ(errno, EAGAIN);
	/* mlockall(MCL_CURRENT) compares the whole address space with the limit. */
	UT_ERRNO(mlockall(MCL_CURRENT), ENOMEM);
	UT_NOERR(mlockall(MCL_FUTURE));
	UT_CHECK(mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED);
	UT_EQ(errno, EAGAIN);
	UT_NOERR(munlockall());
	UT_EQ(status_kb("VmLck"), 0);
	q = map_anon(PAGE, MAP_LOCKED);
	UT_EQ(status_kb("VmLck"), PAGE / KB);
	/* A limit of 0 forbids locking at all; unlocking stays allowed. */
	set_memlock(0);
	UT_ERRNO(mlock(p, PAGE), EPERM);
	UT_RAW_ERR(sys_mlock2(p, PAGE, MLOCK_ONFAULT), EPERM);
	UT_ERRNO(mlockall(MCL_CURRENT), EPERM);
	/* (raw: musl's mmap turns an anonymous mapping's EPERM into ENOMEM) */
	UT_RAW_ERR(ut_syscall6(SYS_mmap, 0, PAGE, PROT_READ,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_LOCKED, -1, 0),
		   EPERM);
	UT_NOERR(munlock(q, PAGE));
	UT_NOERR(munlockall());
	UT_EQ(status_kb("VmLck"), 0);
}

UT_CASE(memlock_limit_binds_without_cap_ipc_lock)
{
	in_child(memlock_limit_binds_without_cap_ipc_lock_child);
}

static void cap_ipc_lock_passes_the_limit_child(void)
{
	size_t len = 64 * PAGE;
	char *p = map_anon(len, 0);

	set_memlock(PAGE);
	UT_NOERR(mlock(p, len));
	UT_EQ(status_kb("VmLck"), len / KB);
	UT_CHECK(map_anon(len, MAP_LOCKED) != MAP_FAILED);
	UT_EQ(status_kb("VmLck"), 2 * len / KB);
	UT_NOERR(mlockall(MCL_CURRENT));
}

UT_CASE(cap_ipc_lock_passes_the_limit)
{
	in_child(cap_ipc_lock_passes_the_limit_child);
}

static void mlockall_current_future_and_munlockall_child(void)
{
	size_t len = 32 * PAGE;
	long rss, lck;
	char *p;
	long brk0;

	UT_NOERR(mlockall(MCL_CURRENT));
	/* All but Linux's special mappings ([vvar], [vdso]) are locked. */
	UT_CHECK(status_kb("VmSize") - status_kb("VmLck") <= 64);
	UT_CHECK(status_kb("VmLck") > 0);
	/* MCL_CURRENT alone: new mappings are not locked. */
	lck = status_kb("VmLck");
	p = map_anon(len, 0);
	UT_EQ(status_kb("VmLck"), lck);
	UT_NOERR(munmap(p, len));
	/* MCL_FUTURE: a new mapping is locked and faulted in untouched; so is brk's growth. */
	UT_NOERR(mlockall(MCL_CURRENT | MCL_FUTURE));
	rss = status_kb("VmRSS");
	p = map_anon(len, 0);
	UT_EQ(status_kb("VmLck"), lck + (long)(len / KB));
	UT_CHECK(status_kb("VmRSS") - rss >= (long)(len / KB));
	brk0 = ut_raw1(SYS_brk, 0); /* (musl's sbrk refuses to grow) */
	UT_EQ(ut_raw1(SYS_brk, brk0 + 16 * PAGE), brk0 + 16 * PAGE);
	UT_CHECK(status_kb("VmLck") >= lck + (long)((len + 16 * PAGE) / KB));
	UT_EQ(ut_raw1(SYS_brk, brk0), brk0);
	/* munlockall: nothing locked, and nothing new either. */
	UT_NOERR(munlockall());
	UT_EQ(status_kb("VmLck"), 0);
	UT_NOERR(munmap(p, len));
	p = map_anon(len, 0);
	UT_EQ(status_kb("VmLck"), 0);
	UT_NOERR(munmap(p, len));
	/* MCL_FUTURE alone leaves what is there; MCL_FUTURE | MCL_ONFAULT locks without faulting. */
	UT_NOERR(mlockall(MCL_FUTURE | MCL_ONFAULT));
	UT_EQ(status_kb("VmLck"), 0);
	rss = status_kb("VmRSS");
	p = map_anon(len, 0);
	UT_EQ(status_kb("VmLck"), len / KB);
	UT_CHECK(status_kb("VmRSS") - rss < (long)(len / KB / 2));
}

UT_CASE(mlockall_current_future_and_munlockall)
{
	in_child(mlockall_current_future_and_munlockall_child);
}

UT_CASE(fork_does_not_inherit_locks_and_exec_ends_them)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		pid_t child;

		UT_NOERR(mlockall(MCL_CURRENT | MCL_FUTURE));
		UT_CHECK(status_kb("VmLck") > 0);
		child = UT_NOERR(fork());
		if (child == 0) {
			UT_EQ(status_kb("VmLck"), 0);
			map_anon(PAGE, 0); /* MCL_FUTURE is not inherited either */
			UT_EQ(status_kb("VmLck"), 0);
			exit(0);
		}
		UT_CHILD_OK(child);
		UT_CHECK(status_kb("VmLck") > 0);
		execl("/proc/self/exe", "mlock", "--helper", "vmlck-zero", (char *)NULL);
		ut_fail(__FILE__, __LINE__, "exec failed");
	}
	UT_CHILD_OK(pid);
}

UT_CASE(locked_pages_refuse_madv_dontneed_and_keep_their_lock_through_mprotect)
{
	char *p = map_anon(2 * PAGE, 0);

	memset(p, 'y', 2 * PAGE);
	UT_NOERR(mlock(p + PAGE, PAGE));
	/* (Linux drops the pages before the locked ones; Axolotl refuses the whole range.) */
	UT_ERRNO(madvise(p, 2 * PAGE, MADV_DONTNEED), EINVAL);
	UT_ERRNO(madvise(p + PAGE, PAGE, MADV_DONTNEED), EINVAL);
	UT_EQ(p[PAGE], 'y');
	UT_NOERR(mprotect(p + PAGE, PAGE, PROT_READ));
	UT_EQ(status_kb("VmLck"), PAGE / KB);
	UT_NOERR(munlock(p, 2 * PAGE));
	UT_NOERR(madvise(p, 2 * PAGE, MADV_DONTNEED));
	UT_EQ(p[0], 0);
	UT_NOERR(munmap(p, 2 * PAGE));
}

UT_CASE(map_populate_and_map_locked_fault_in)
{
	size_t len = 64 * PAGE;
	long rss = status_kb("VmRSS");
	char *p = map_anon(len, MAP_POPULATE), *q;
	char path[64];
	int fd;

	UT_CHECK(status_kb("VmRSS") - rss >= (long)(len / KB));
	UT_EQ(status_kb("VmLck"), 0);
	rss = status_kb("VmRSS");
	q = map_anon(len, MAP_LOCKED);
	UT_CHECK(status_kb("VmRSS") - rss >= (long)(len / KB));
	UT_EQ(status_kb("VmLck"), len / KB);
	UT_NOERR(munmap(q, len));
	UT_NOERR(munmap(p, len));
	/* A shared file mapping: its pages are mapped in, not copied. */
	snprintf(path, sizeof(path), "/tmp/mlock-%d", getpid());
	fd = UT_NOERR(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	UT_NOERR(ftruncate(fd, (off_t)len));
	rss = status_kb("VmRSS");
	p = mmap(NULL, len, PROT_READ, MAP_SHARED | MAP_POPULATE, fd, 0);
	UT_CHECK(p != MAP_FAILED);
	UT_CHECK(status_kb("VmRSS") - rss >= (long)(len / KB));
	UT_EQ(p[len - 1], 0);
	UT_NOERR(munmap(p, len));
	UT_NOERR(close(fd));
	UT_NOERR(unlink(path));
}

/*
 * A MAP_FIXED mapping over locked pages, with RLIMIT_AS finite (the check
 * that pretends the old pages gone must not unlock them), and refused
 * MAP_FIXED | MAP_LOCKED attempts over them that must change nothing.
 */
static void map_fixed_over_locked_pages_child(void)
{
	struct rlimit as = { 1UL << 40, 1UL << 40 };
	char *p = map_anon(64 * PAGE, 0);

	UT_NOERR(setrlimit(RLIMIT_AS, &as));
	set_memlock(16 * PAGE);
	UT_NOERR(setresuid(1000, 1000, 1000));
	UT_NOERR(mlock(p, 16 * PAGE));
	UT_CHECK(mmap(p, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED,
		      -1, 0) == p);
	UT_EQ(status_kb("VmLck"), 12 * PAGE / KB);
	for (int i = 0; i < 10; i++) {
		UT_CHECK(mmap(p, 32 * PAGE, PROT_READ | PROT_WRITE,
			      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED | MAP_LOCKED, -1,
			      0) == MAP_FAILED);
		UT_EQ(errno, EAGAIN);
	}
	UT_EQ(status_kb("VmLck"), 12 * PAGE / KB);
	UT_ERRNO(mlock(p + 16 * PAGE, 5 * PAGE), ENOMEM);
	UT_NOERR(mlock(p + 16 * PAGE, 4 * PAGE));
	UT_EQ(status_kb("VmLck"), 16 * PAGE / KB);
}

UT_CASE(map_fixed_over_locked_pages_with_a_finite_rlimit_as)
{
	in_child(map_fixed_over_locked_pages_child);
}

UT_CASE(mremap_and_munmap_of_locked_areas_keep_the_count)
{
	char *p = map_anon(8 * PAGE, 0), *q;
	long rss;

	UT_NOERR(mlock(p, 4 * PAGE));
	rss = status_kb("VmRSS");
	q = mremap(p, 4 * PAGE, 16 * PAGE, MREMAP_MAYMOVE); /* moves: p + 4 pages is taken */
	UT_CHECK(q != MAP_FAILED && q != p);
	UT_EQ(status_kb("VmLck"), 16 * PAGE / KB);
	UT_CHECK(status_kb("VmRSS") - rss >= (long)(12 * PAGE / KB)); /* the new pages faulted in */
	UT_NOERR(munmap(q + 4 * PAGE, 4 * PAGE));
	UT_EQ(status_kb("VmLck"), 12 * PAGE / KB);
	q = mremap(q, 4 * PAGE, 2 * PAGE, 0); /* shrinks in place */
	UT_EQ(status_kb("VmLck"), 10 * PAGE / KB);
	UT_NOERR(munmap(q, 16 * PAGE));
	UT_NOERR(munmap(p + 4 * PAGE, 4 * PAGE));
	UT_EQ(status_kb("VmLck"), 0);
}

UT_CASE(prot_none_wrapping_lengths_and_a_protection_round_trip)
{
	char *p = mmap(NULL, 4 * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	int areas;

	UT_CHECK(p != MAP_FAILED);
	/* As Linux: locked, but its pages cannot be faulted in. */
	UT_ERRNO(mlock(p, 4 * PAGE), ENOMEM);
	UT_EQ(status_kb("VmLck"), 4 * PAGE / KB);
	UT_NOERR(munlock(p, 4 * PAGE));
	UT_EQ(status_kb("VmLck"), 0);
	/* Lengths that wrap past the end of the page are empty ranges on Linux. */
	UT_NOERR(mlock(p, SIZE_MAX));
	UT_EQ(status_kb("VmLck"), 0);
	UT_ERRNO(mlock((void *)(~0UL - PAGE + 1), 2 * PAGE), EINVAL); /* the range wraps */
	UT_NOERR(mprotect(p, 4 * PAGE, PROT_READ | PROT_WRITE));
	areas = map_count();
	UT_NOERR(mprotect(p + PAGE, 2 * PAGE, PROT_READ));
	UT_EQ(map_count(), areas + 2);
	UT_NOERR(mprotect(p + PAGE, 2 * PAGE, PROT_READ | PROT_WRITE));
	UT_EQ(map_count(), areas); /* identical neighbours merge again */
	UT_NOERR(munmap(p, 4 * PAGE));
}

/* A file of len bytes, each page filled with its number, closed cache-cold (drop_caches). */
static void make_cold_file(const char *path, size_t len)
{
	static char page[PAGE];
	int fd = UT_NOERR(open(path, O_RDWR | O_CREAT | O_TRUNC, 0600));
	int drop;

	for (size_t off = 0; off < len; off += PAGE) {
		memset(page, (int)(off / PAGE) + 1, PAGE);
		UT_EQ(write(fd, page, PAGE), (long)PAGE);
	}
	UT_NOERR(fsync(fd));
	UT_NOERR(close(fd));
	drop = UT_NOERR(open("/proc/sys/vm/drop_caches", O_WRONLY));
	UT_EQ(write(drop, "3\n", 2), 2);
	UT_NOERR(close(drop));
}

UT_CASE(mlock_of_a_file_mapping_reads_every_page_in)
{
	const char *dir = getenv("MMAP_DIR");
	size_t len = 128 * PAGE;
	char path[128];
	long rss;
	char *shared, *private;
	int fd;

	snprintf(path, sizeof(path), "%s/mlock-%d", dir ? dir : "/tmp", getpid());
	make_cold_file(path, len);
	fd = UT_NOERR(open(path, O_RDONLY));
	shared = mmap(NULL, len, PROT_READ, MAP_SHARED, fd, 0);
	private = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	UT_CHECK(shared != MAP_FAILED && private != MAP_FAILED);
	rss = status_kb("VmRSS");
	UT_NOERR(mlock(shared, len));
	UT_NOERR(mlock(private, len)); /* private and writable: each page its own copy */
	UT_EQ(status_kb("VmLck"), 2 * len / KB);
	UT_CHECK(status_kb("VmRSS") - rss >= (long)(2 * len / KB));
	for (size_t off = 0; off < len; off += PAGE) {
		UT_EQ(shared[off], (char)(off / PAGE + 1));
		UT_EQ(private[off + PAGE - 1], (char)(off / PAGE + 1));
	}
	UT_NOERR(munmap(shared, len));
	UT_NOERR(munmap(private, len));
	UT_EQ(status_kb("VmLck"), 0);
	UT_NOERR(close(fd));
	UT_NOERR(unlink(path));
}

int ut_helper(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "vmlck-zero"))
		return status_kb("VmLck") == 0 && status_kb("VmSize") > 0 ? 0 : 1;
	return 2;
}
