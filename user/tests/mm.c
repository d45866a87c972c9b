/*
 * mm: address spaces. brk, anonymous mmap (private, shared, fixed,
 * hinted, over an existing mapping), munmap of part of a mapping,
 * mprotect and the faults it causes, mremap, madvise(MADV_DONTNEED),
 * copy-on-write after fork in both directions, shared memory across fork,
 * system calls writing into untouched and copy-on-write pages, stack growth,
 * and the EINVAL/ENOMEM paths; a program's written data pages (mapped from
 * its file at exec, copy-on-write) stay private to each run of it.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE 4096UL
#define RW   (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static char *map(size_t len, int prot, int flags)
{
	char *p = mmap(NULL, len, prot, flags, -1, 0);

	if (p == MAP_FAILED)
		ut_fail(__FILE__, __LINE__, "mmap(%zu) failed with %s", len, ut_errname(errno));
	return p;
}

static int all_bytes(const char *p, size_t len, int value)
{
	for (size_t i = 0; i < len; i++)
		if (p[i] != (char)value)
			return 0;
	return 1;
}

/* The target of the fault cases (run in a child by ut_expect_signal). */
static volatile char *fault_addr;

static void write_fault_addr(void)
{
	*fault_addr = 1;
}

static void read_fault_addr(void)
{
	(void)*fault_addr;
}

static void call_fault_addr(void)
{
	((void (*)(void))fault_addr)();
}

static long raw_brk(void *addr)
{
	return syscall(SYS_brk, addr);
}

UT_CASE(brk_grow_and_shrink)
{
	char *cur = (char *)raw_brk(0);

	UT_CHECK(cur != NULL);
	UT_EQ(raw_brk(cur + 1024 * 1024), (long)(cur + 1024 * 1024));
	UT_CHECK(all_bytes(cur, 1024 * 1024, 0));
	memset(cur, 0x5a, 1024 * 1024);
	UT_EQ(raw_brk(cur), (long)cur);
	/* Grown again, the area is new and zero. */
	UT_EQ(raw_brk(cur + 2 * PAGE), (long)(cur + 2 * PAGE));
	UT_CHECK(all_bytes(cur, 2 * PAGE, 0));
	UT_EQ(raw_brk(cur), (long)cur);
}

UT_CASE(brk_unaligned_end)
{
	char *cur = (char *)raw_brk(0);

	UT_EQ(raw_brk(cur + 1), (long)(cur + 1));
	cur[0] = 1;
	UT_EQ(raw_brk(0), (long)(cur + 1));
	UT_EQ(raw_brk(cur), (long)cur);
}

UT_CASE(brk_refusals_return_the_old_break)
{
	char *cur = (char *)raw_brk(0);

	/* brk reports failure by returning the unchanged break. */
	UT_EQ(raw_brk((void *)PAGE), (long)cur);		 /* below the start */
	UT_EQ(raw_brk(cur + (1UL << 46)), (long)cur);		 /* far too big */
	UT_EQ(raw_brk((void *)0xffff800000000000UL), (long)cur); /* kernel half */
}

UT_CASE(brk_shrunk_memory_faults)
{
	char *cur = (char *)raw_brk(0);
	char *page = (char *)(((uintptr_t)cur + 2 * PAGE - 1) & ~(PAGE - 1));

	UT_EQ(raw_brk(page + PAGE), (long)(page + PAGE));
	page[0] = 1;
	UT_EQ(raw_brk(cur), (long)cur);
	fault_addr = page;
	ut_expect_signal(read_fault_addr, SIGSEGV);
}

UT_CASE(mmap_anonymous_private_is_zero)
{
	size_t len = 64 * PAGE;
	char *p = map(len, RW, ANON);

	UT_EQ((uintptr_t)p % PAGE, 0);
	UT_CHECK(all_bytes(p, len, 0));
	memset(p, 0xa5, len);
	UT_CHECK(all_bytes(p, len, 0xa5));
	UT_EQ(munmap(p, len), 0);
}

UT_CASE(mmap_length_rounded_up)
{
	char *p = map(100, RW, ANON);

	p[PAGE - 1] = 1; /* the whole page is there */
	UT_EQ(munmap(p, 100), 0);
}

UT_CASE(mmap_fixed_replaces_part_of_a_mapping)
{
	char *p = map(3 * PAGE, RW, ANON);

	memset(p, 7, 3 * PAGE);
	UT_EQ((long)mmap(p + PAGE, PAGE, RW, ANON | MAP_FIXED, -1, 0), (long)(p + PAGE));
	UT_CHECK(all_bytes(p, PAGE, 7));
	UT_CHECK(all_bytes(p + PAGE, PAGE, 0));
	UT_CHECK(all_bytes(p + 2 * PAGE, PAGE, 7));
	UT_EQ(munmap(p, 3 * PAGE), 0);
}

UT_CASE(mmap_fixed_in_reserved_range)
{
	char *p = map(8 * PAGE, PROT_NONE, ANON);

	UT_EQ((long)mmap(p + 2 * PAGE, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0),
	      (long)(p + 2 * PAGE));
	p[2 * PAGE] = 1;
	p[4 * PAGE - 1] = 1;
	fault_addr = p + 4 * PAGE; /* still PROT_NONE */
	ut_expect_signal(write_fault_addr, SIGSEGV);
	UT_EQ(munmap(p, 8 * PAGE), 0);
}

UT_CASE(mmap_fixed_noreplace)
{
	char *p = map(2 * PAGE, RW, ANON);

	UT_ERRNO(mmap(p, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), EEXIST);
	UT_EQ(munmap(p + PAGE, PAGE), 0);
	UT_EQ((long)mmap(p + PAGE, PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0), (long)(p + PAGE));
	UT_EQ(munmap(p, 2 * PAGE), 0);
}

UT_CASE(mmap_hint_is_used_when_free)
{
	char *p = map(4 * PAGE, RW, ANON), *q;

	UT_EQ(munmap(p, 4 * PAGE), 0);
	q = mmap(p + PAGE, PAGE, RW, ANON, -1, 0);
	UT_EQ((long)q, (long)(p + PAGE));
	q[0] = 1;
	UT_EQ(munmap(q, PAGE), 0);
}

UT_CASE(mmap_hint_over_a_mapping_goes_elsewhere)
{
	char *p = map(PAGE, RW, ANON), *q;

	p[0] = 42;
	q = mmap(p, PAGE, RW, ANON, -1, 0);
	UT_CHECK(q != MAP_FAILED);
	UT_CHECK(q != p);
	UT_EQ(p[0], 42);
	UT_EQ(q[0], 0);
	munmap(p, PAGE);
	munmap(q, PAGE);
}

UT_CASE(mmap_einval)
{
	char *p = map(PAGE, RW, ANON);

	UT_ERRNO(mmap(NULL, 0, RW, ANON, -1, 0), EINVAL);
	UT_ERRNO(mmap(p + 1, PAGE, RW, ANON | MAP_FIXED, -1, 0), EINVAL);
	UT_ERRNO(mmap(NULL, PAGE, RW, MAP_ANONYMOUS, -1, 0),
		 EINVAL); /* neither private nor shared */
	UT_ERRNO(mmap(NULL, PAGE, RW, MAP_PRIVATE | MAP_SHARED | MAP_ANONYMOUS, -1, 0), EINVAL);
	UT_ERRNO(syscall(SYS_mmap, NULL, PAGE, RW, ANON, -1, 1), EINVAL); /* offset not aligned */
	UT_ERRNO(mmap(NULL, PAGE, RW, MAP_PRIVATE, -1, 0), EBADF);	  /* a file mapping */
	munmap(p, PAGE);
}

UT_CASE(mmap_enomem)
{
	UT_ERRNO(mmap(NULL, 1UL << 60, RW, ANON, -1, 0), ENOMEM);
	UT_ERRNO(syscall(SYS_mmap, NULL, -PAGE, RW, ANON, -1, 0), ENOMEM);
	UT_ERRNO(mmap((void *)0xffff800000000000UL, PAGE, RW, ANON | MAP_FIXED, -1, 0), ENOMEM);
}

UT_CASE(mmap_many_small_mappings)
{
	enum {
		N = 1000
	};
	static char *maps[N];

	for (int i = 0; i < N; i++) {
		maps[i] = map(PAGE, RW, ANON);
		maps[i][0] = (char)i;
	}
	for (int i = 0; i < N; i += 2)
		UT_EQ(munmap(maps[i], PAGE), 0);
	for (int i = 1; i < N; i += 2)
		UT_EQ(maps[i][0], (char)i);
	for (int i = 1; i < N; i += 2)
		UT_EQ(munmap(maps[i], PAGE), 0);
}

UT_CASE(munmap_middle_of_a_mapping)
{
	char *p = map(4 * PAGE, RW, ANON);

	memset(p, 3, 4 * PAGE);
	UT_EQ(munmap(p + PAGE, 2 * PAGE), 0);
	UT_CHECK(all_bytes(p, PAGE, 3));
	UT_CHECK(all_bytes(p + 3 * PAGE, PAGE, 3));
	fault_addr = p + PAGE;
	ut_expect_signal(read_fault_addr, SIGSEGV);
	fault_addr = p + 3 * PAGE - 1;
	ut_expect_signal(write_fault_addr, SIGSEGV);
	UT_EQ(munmap(p, 4 * PAGE), 0); /* holes inside are fine */
}

UT_CASE(munmap_errors_and_unmapped_range)
{
	char *p = map(PAGE, RW, ANON);

	UT_EQ(munmap(p, PAGE), 0);
	UT_EQ(munmap(p, PAGE), 0); /* nothing there: still success */
	UT_ERRNO(munmap(p + 1, PAGE), EINVAL);
	UT_ERRNO(munmap(p, 0), EINVAL);
	UT_ERRNO(munmap((void *)0xffff800000000000UL, PAGE), EINVAL);
}

UT_CASE(mprotect_read_only_then_write_faults)
{
	char *p = map(2 * PAGE, RW, ANON);

	p[0] = 9;
	UT_EQ(mprotect(p, PAGE, PROT_READ), 0);
	UT_EQ(p[0], 9);
	fault_addr = p;
	ut_expect_signal(write_fault_addr, SIGSEGV);
	p[PAGE] = 1; /* the second page is still writable */
	UT_EQ(mprotect(p, PAGE, RW), 0);
	p[0] = 10;
	UT_EQ(p[0], 10);
	munmap(p, 2 * PAGE);
}

UT_CASE(mprotect_none_read_faults)
{
	char *p = map(PAGE, RW, ANON);

	UT_EQ(mprotect(p, PAGE, PROT_NONE), 0);
	fault_addr = p;
	ut_expect_signal(read_fault_addr, SIGSEGV);
	munmap(p, PAGE);
}

UT_CASE(mprotect_exec_runs_code_and_nx_faults)
{
	static const unsigned char ret_42[] = { 0xb8, 42, 0, 0, 0, 0xc3 }; /* mov $42,%eax; ret */
	char *p = map(PAGE, RW, ANON);

	memcpy(p, ret_42, sizeof(ret_42));
	fault_addr = p;
	ut_expect_signal(call_fault_addr, SIGSEGV); /* not executable */
	UT_EQ(mprotect(p, PAGE, PROT_READ | PROT_EXEC), 0);
	UT_EQ(((int (*)(void))p)(), 42);
	munmap(p, PAGE);
}

UT_CASE(mprotect_errors)
{
	char *p = map(PAGE, RW, ANON);

	/* musl's mprotect() rounds the address down: call the kernel directly. */
	UT_ERRNO(syscall(SYS_mprotect, p + 1, PAGE, PROT_READ), EINVAL);
	UT_ERRNO(syscall(SYS_mprotect, p, PAGE, 0x1000), EINVAL); /* unknown protection bit */
	munmap(p, PAGE);
	UT_ERRNO(syscall(SYS_mprotect, p, PAGE, PROT_READ), ENOMEM); /* nothing mapped */
}

UT_CASE(mremap_grow_in_place)
{
	char *p = map(4 * PAGE, RW, ANON), *q;

	UT_EQ(munmap(p + PAGE, 3 * PAGE), 0);
	p[0] = 5;
	q = mremap(p, PAGE, 4 * PAGE, 0);
	UT_EQ((long)q, (long)p);
	UT_EQ(q[0], 5);
	UT_CHECK(all_bytes(q + PAGE, 3 * PAGE, 0));
	q[4 * PAGE - 1] = 1;
	munmap(q, 4 * PAGE);
}

UT_CASE(mremap_grow_blocked_without_maymove)
{
	char *p = map(2 * PAGE, RW, ANON);

	UT_ERRNO(mremap(p, PAGE, 2 * PAGE, 0), ENOMEM); /* the next page is in use */
	munmap(p, 2 * PAGE);
}

UT_CASE(mremap_maymove_moves_contents)
{
	char *p = map(2 * PAGE, RW, ANON), *q;

	memset(p, 0x11, PAGE);
	q = mremap(p, PAGE, 16 * PAGE, MREMAP_MAYMOVE);
	UT_CHECK(q != MAP_FAILED);
	UT_CHECK(q != p);
	UT_CHECK(all_bytes(q, PAGE, 0x11));
	UT_CHECK(all_bytes(q + PAGE, 15 * PAGE, 0));
	fault_addr = p; /* the old place is gone */
	ut_expect_signal(read_fault_addr, SIGSEGV);
	p[PAGE] = 1; /* its neighbour is not */
	munmap(p + PAGE, PAGE);
	munmap(q, 16 * PAGE);
}

UT_CASE(mremap_fixed_and_shrink)
{
	char *p = map(4 * PAGE, RW, ANON), *target = map(8 * PAGE, PROT_NONE, ANON), *q;

	memset(p, 0x22, 4 * PAGE);
	q = mremap(p, 4 * PAGE, 4 * PAGE, MREMAP_MAYMOVE | MREMAP_FIXED, target + 2 * PAGE);
	UT_EQ((long)q, (long)(target + 2 * PAGE));
	UT_CHECK(all_bytes(q, 4 * PAGE, 0x22));
	UT_EQ((long)mremap(q, 4 * PAGE, PAGE, 0), (long)q); /* shrink in place */
	UT_EQ(q[0], 0x22);
	fault_addr = q + PAGE;
	ut_expect_signal(read_fault_addr, SIGSEGV);
	munmap(target, 8 * PAGE);
}

UT_CASE(mremap_errors)
{
	char *p = map(PAGE, RW, ANON);

	UT_ERRNO(mremap(p + 1, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EINVAL);
	UT_ERRNO(mremap(p, PAGE, 0, MREMAP_MAYMOVE), EINVAL);
	UT_ERRNO(mremap(p, PAGE, PAGE, MREMAP_FIXED, p + 4 * PAGE),
		 EINVAL);				   /* FIXED needs MAYMOVE */
	UT_ERRNO(mremap(p, PAGE, 2 * PAGE, 0x80), EINVAL); /* unknown flag */
	munmap(p, PAGE);
	UT_ERRNO(mremap(p, PAGE, 2 * PAGE, MREMAP_MAYMOVE), EFAULT); /* nothing mapped */
}

UT_CASE(madvise_dontneed_zeroes_private)
{
	char *p = map(4 * PAGE, RW, ANON);

	memset(p, 0x33, 4 * PAGE);
	UT_EQ(madvise(p + PAGE, 2 * PAGE, MADV_DONTNEED), 0);
	UT_CHECK(all_bytes(p, PAGE, 0x33));
	UT_CHECK(all_bytes(p + PAGE, 2 * PAGE, 0));
	UT_CHECK(all_bytes(p + 3 * PAGE, PAGE, 0x33));
	munmap(p, 4 * PAGE);
}

UT_CASE(madvise_dontneed_keeps_shared)
{
	char *p = map(PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);

	memset(p, 0x44, PAGE);
	UT_EQ(madvise(p, PAGE, MADV_DONTNEED), 0);
	UT_CHECK(all_bytes(p, PAGE, 0x44)); /* the shared object keeps the data */
	munmap(p, PAGE);
}

UT_CASE(madvise_errors)
{
	char *p = map(PAGE, RW, ANON);

	UT_ERRNO(madvise(p + 1, PAGE, MADV_DONTNEED), EINVAL);
	UT_ERRNO(madvise(p, PAGE, 12345), EINVAL);
	munmap(p, PAGE);
	UT_ERRNO(madvise(p, PAGE, MADV_DONTNEED), ENOMEM);
}

/* Data in every kind of memory a program has, to check fork's copies. */
static int data_var = 1;
static int bss_var;

UT_CASE(fork_copies_all_memory)
{
	int stack_var = 3;
	char *heap = malloc(1 << 20), *anon = map(16 * PAGE, RW, ANON);

	UT_CHECK(heap != NULL);
	memset(heap, 0x61, 1 << 20);
	memset(anon, 0x62, 16 * PAGE);
	data_var = 11;
	bss_var = 12;
	pid_t pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(data_var == 11 && bss_var == 12 && stack_var == 3 &&
				      all_bytes(heap, 1 << 20, 0x61) &&
				      all_bytes(anon, 16 * PAGE, 0x62)
			      ? 0
			      : 1);
	UT_CHILD_OK(pid);
	free(heap);
	munmap(anon, 16 * PAGE);
}

UT_CASE(cow_child_writes_are_private)
{
	char *anon = map(8 * PAGE, RW, ANON), *heap = malloc(100000);
	int stack_var = 1;

	memset(anon, 1, 8 * PAGE);
	memset(heap, 1, 100000);
	data_var = 1;
	bss_var = 1;
	pid_t pid = UT_NOERR(fork());
	if (pid == 0) {
		memset(anon, 2, 8 * PAGE);
		memset(heap, 2, 100000);
		data_var = bss_var = stack_var = 2;
		_exit(all_bytes(anon, 8 * PAGE, 2) && data_var == 2 ? 0 : 1);
	}
	UT_CHILD_OK(pid);
	UT_CHECK(all_bytes(anon, 8 * PAGE, 1));
	UT_CHECK(all_bytes(heap, 100000, 1));
	UT_EQ(data_var, 1);
	UT_EQ(bss_var, 1);
	UT_EQ(stack_var, 1);
	free(heap);
	munmap(anon, 8 * PAGE);
}

UT_CASE(cow_parent_writes_are_private)
{
	char *anon = map(8 * PAGE, RW, ANON);
	volatile int *sync = (volatile int *)map(PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);

	memset(anon, 1, 8 * PAGE);
	data_var = 1;
	pid_t pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_POLL(sync[0], 60);
		_exit(sync[0] && all_bytes(anon, 8 * PAGE, 1) && data_var == 1 ? 0 : 1);
	}
	memset(anon, 2, 8 * PAGE); /* after fork, before the child looks */
	data_var = 2;
	sync[0] = 1;
	UT_CHILD_OK(pid);
	UT_CHECK(all_bytes(anon, 8 * PAGE, 2));
	data_var = 1;
	munmap(anon, 8 * PAGE);
	munmap((void *)sync, PAGE);
}

UT_CASE(cow_after_nested_forks)
{
	char *anon = map(PAGE, RW, ANON);

	anon[0] = 1;
	pid_t pid = UT_NOERR(fork());
	if (pid == 0) {
		anon[0] = 2;
		pid_t grandchild = fork();
		if (grandchild == 0) {
			anon[0] = 3;
			_exit(anon[0] == 3 ? 0 : 1);
		}
		int status;
		if (grandchild < 0 || wait4(grandchild, &status, 0, NULL) != grandchild ||
		    !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			_exit(2);
		_exit(anon[0] == 2 ? 0 : 3);
	}
	UT_CHILD_OK(pid);
	UT_EQ(anon[0], 1);
	munmap(anon, PAGE);
}

UT_CASE(shared_anonymous_visible_across_fork)
{
	volatile char *p = (volatile char *)map(4 * PAGE, RW, MAP_SHARED | MAP_ANONYMOUS);

	p[0] = 1;
	pid_t pid = UT_NOERR(fork());
	if (pid == 0) {
		p[PAGE] = 7; /* written by the child, seen by the parent */
		UT_POLL(p[2 * PAGE] == 8, 60);
		_exit(p[0] == 1 && p[2 * PAGE] == 8 ? 0 : 1);
	}
	UT_POLL(p[PAGE] == 7, 60);
	UT_EQ(p[PAGE], 7);
	p[2 * PAGE] = 8; /* and the other way */
	UT_CHILD_OK(pid);
	munmap((void *)p, 4 * PAGE);
}

UT_CASE(syscall_writes_untouched_page)
{
	char *p = map(2 * PAGE, RW, ANON);
	struct utsname *u = (struct utsname *)(p + PAGE - 100); /* spans two fresh pages */

	UT_EQ(uname(u), 0);
	UT_CHECK(u->sysname[0] != 0);
	munmap(p, 2 * PAGE);
}

UT_CASE(syscall_writes_copy_on_write_page)
{
	static struct utsname u; /* .bss: shared copy-on-write after fork */
	char *p = map(PAGE, RW, ANON);

	memset(&u, 0, sizeof(u));
	p[0] = 1;
	pid_t pid = UT_NOERR(fork());
	if (pid == 0) {
		if (uname(&u) != 0 || u.sysname[0] == 0)
			_exit(1);
		/* The kernel writes into a page this child has not written yet. */
		_exit(syscall(SYS_getrandom, p, 64, 0) == 64 ? 0 : 2);
	}
	UT_CHILD_OK(pid);
	UT_EQ(u.sysname[0], 0); /* the parent's copy is untouched */
	UT_EQ(p[0], 1);
	munmap(p, PAGE);
}

UT_CASE(syscall_into_read_only_page_is_efault)
{
	char *p = map(PAGE, PROT_READ, ANON);

	UT_ERRNO(uname((struct utsname *)p), EFAULT);
	UT_ERRNO(syscall(SYS_getrandom, p, 16, 0), EFAULT);
	munmap(p, PAGE);
}

static int recurse(int depth, volatile char *prev)
{
	volatile char frame[4096];

	frame[0] = (char)depth;
	frame[sizeof(frame) - 1] = (char)depth;
	if (depth == 0)
		return prev != NULL;
	return recurse(depth - 1, frame) + frame[0] - (char)depth;
}

UT_CASE(stack_grows_a_few_mib)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(recurse(1024, NULL) == 1 ? 0 : 1); /* about 4 MiB of stack */
	UT_CHILD_OK(pid);
}

/* Initialized data: whole pages of the program file, mapped copy-on-write at exec. */
static char data_pages[2 * PAGE] __attribute__((aligned(PAGE))) = { 'd', 'a', 't', 'a' };

/* "--helper data": exits 0 if this run of the program sees its data as built. */
int ut_helper(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	return data_pages[0] == 'd' && data_pages[PAGE] == 0 ? 0 : 1;
}

UT_CASE(data_pages_written_stay_private_to_the_run)
{
	char *argv[] = { ut_argv[0], "--helper", "data", NULL };
	pid_t pid;

	data_pages[0] = 'D';
	data_pages[PAGE] = 1;
	pid = UT_NOERR(fork());
	if (pid == 0) {
		execv("/proc/self/exe", argv);
		_exit(127);
	}
	UT_CHILD_OK(pid); /* a new run of the program sees the file, not our writes */
	UT_EQ(data_pages[0], 'D');
	data_pages[0] = 'd';
	data_pages[PAGE] = 0;
}
