/*
 * Overcommit accounting (include/mm/overcommit.h). mm/vm.c calls
 * vm_commit when an accounted area appears or grows (mmap, brk, mremap,
 * stack growth, fork, mprotect making a private mapping writable) and
 * vm_uncommit when one goes; /proc/sys/vm/overcommit_* and /proc/meminfo
 * (Committed_AS, CommitLimit) read and set the state here.
 *
 * Lock key: [a] atomic. A commitment that races with another may both pass
 * the strict check by a few pages; Linux's percpu counter has the same slack.
 */
#include <mm/overcommit.h>
#include <mm/page.h>
#include <lib/compiler.h>
#include <uapi/errno.h>

static uint64_t committed; /* [a] pages of accounted areas, all address spaces */
static int mode;	   /* [a] OVERCOMMIT_* */
static int ratio = 50;	   /* [a] percent of RAM for OVERCOMMIT_NEVER */

uint64_t vm_commit_limit(void)
{
	return total_page_count() * (uint64_t)READ_ONCE(ratio) / 100;
}

int vm_commit(uint64_t pages)
{
	uint64_t now = __atomic_add_fetch(&committed, pages, __ATOMIC_RELAXED);
	int m = READ_ONCE(mode);
	bool ok = m == OVERCOMMIT_ALWAYS ||
		  (m == OVERCOMMIT_GUESS && pages <= total_page_count()) ||
		  (m == OVERCOMMIT_NEVER && now <= vm_commit_limit());

	if (ok)
		return 0;
	vm_uncommit(pages);
	return -ENOMEM;
}

void vm_uncommit(uint64_t pages)
{
	__atomic_sub_fetch(&committed, pages, __ATOMIC_RELAXED);
}

uint64_t vm_committed_pages(void)
{
	return __atomic_load_n(&committed, __ATOMIC_RELAXED);
}

int overcommit_mode(void)
{
	return READ_ONCE(mode);
}

int overcommit_ratio(void)
{
	return READ_ONCE(ratio);
}

int overcommit_set_mode(long m)
{
	if (m < OVERCOMMIT_GUESS || m > OVERCOMMIT_NEVER)
		return -EINVAL;
	__atomic_store_n(&mode, (int)m, __ATOMIC_RELAXED);
	return 0;
}

int overcommit_set_ratio(long r)
{
	if (r < 0 || r > 100000)
		return -EINVAL;
	__atomic_store_n(&ratio, (int)r, __ATOMIC_RELAXED);
	return 0;
}
