/*
 * tlb_shootdown: a thread pinned on another CPU keeps using a page while
 * the main thread unmaps it, makes it read-only or inaccessible, or maps a
 * different page in its place. Once the main thread's call has returned,
 * the other CPU must not reach the old page through a stale TLB entry:
 * its next access faults (munmap, mprotect) or sees the new page (a
 * MAP_FIXED remap), never the old data.
 *
 * Each round the main thread publishes "the change of round r has
 * returned" (an atomic store after the call); the other thread reads that
 * flag before each access, so an access made after the flag was seen that
 * still succeeds, or still reads round r's data, is a stale translation.
 * Before each change the main thread waits until the other thread has
 * used the page (so its CPU holds the translation). A SIGSEGV handler
 * records the fault and jumps back into the loop.
 *
 * The access thread is pinned to a CPU other than the main thread's
 * (sched_setaffinity: both pinned; the highest and the lowest CPU the
 * process may use); with one CPU both share it, and the test checks the
 * local invalidation only.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <pthread.h>
#include <setjmp.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define ROUNDS	    200
#define REMAPPED(r) ((long)(r) + 1000000) /* what the new page of round r holds */

enum change {
	CHANGE_UNMAP,
	CHANGE_READONLY,
	CHANGE_NONE,
	CHANGE_REMAP
};

static long page_size;
static volatile uint64_t *page; /* the same address every round */
static enum change change;

static atomic_int round_mapped;	 /* the page holds this round's data (main) */
static atomic_int round_used;	 /* the accessor has used this round's page */
static atomic_int round_changed; /* the change of this round has returned (main) */
static atomic_int round_done;	 /* the accessor saw the change take effect */
static atomic_int stop;
static atomic_long stale;      /* accesses after the change that reached the old page */
static atomic_long faults;     /* faults taken, one per round that faults */
static atomic_long unexpected; /* faults where none may happen, or a wrong value */

static __thread sigjmp_buf fault_jmp;
static __thread volatile int in_access;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	if (!in_access || (uintptr_t)si->si_addr - (uintptr_t)page >= (uintptr_t)page_size) {
		signal(SIGSEGV, SIG_DFL); /* a fault elsewhere is a real crash */
		return;
	}
	in_access = 0;
	siglongjmp(fault_jmp, 1);
}

/* How many CPUs this process may use; the lowest in *first, another (or the same) in *other. */
static int cpu_count(int *first, int *other)
{
	cpu_set_t set;
	int n = 0;

	*first = *other = 0;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return 1;
	for (int c = CPU_SETSIZE - 1; c >= 0; c--)
		if (CPU_ISSET(c, &set)) {
			n++;
			*other = n == 1 ? c : *other;
			*first = c;
		}
	return n;
}

static void pin(int cpu)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	UT_NOERR(sched_setaffinity(0, sizeof(set), &set));
	UT_EQ(sched_getcpu(), cpu);
}

/* Whether a fault is the expected effect of this round's change on an access. */
static bool change_faults(bool write)
{
	return change == CHANGE_UNMAP || change == CHANGE_NONE ||
	       (change == CHANGE_READONLY && write);
}

/*
 * One access of the page: a read, or for CHANGE_READONLY a write. Returns
 * the value read, or -1 after a fault.
 */
static long access_page(int r)
{
	bool write = change == CHANGE_READONLY;
	long v;

	if (sigsetjmp(fault_jmp, 1))
		return -1;
	in_access = 1;
	if (write) {
		page[1] = (uint64_t)r; /* the accessor's own word */
		v = (long)page[0];
	} else {
		v = (long)page[0];
	}
	in_access = 0;
	return v;
}

/* Waits for the main thread; yields only when both share one CPU (a syscall could hide a stale entry). */
static bool single_cpu;

static void pause_if_shared(void)
{
	if (single_cpu)
		sched_yield();
}

static void *accessor(void *arg)
{
	int cpu = (int)(long)arg;
	cpu_set_t set;

	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	if (sched_setaffinity(0, sizeof(set), &set) != 0 || sched_getcpu() != cpu)
		atomic_fetch_add(&unexpected, 1);
	for (int r = 1; r <= ROUNDS && !atomic_load(&stop); r++) {
		while (atomic_load(&round_mapped) < r && !atomic_load(&stop))
			pause_if_shared();
		/* Use the page until the change of this round has returned. */
		while (!atomic_load(&stop)) {
			int changed = atomic_load(&round_changed) >= r;
			long v = access_page(r);
			bool write = change == CHANGE_READONLY;

			if (!changed) {
				/*
				 * Before the change returned: round r's data, or (once
				 * the main thread may have started the change) its effect.
				 */
				if (v == r)
					atomic_store(&round_used, r);
				else if (atomic_load(&round_used) < r ||
					 (v != -1 && v != REMAPPED(r)))
					atomic_fetch_add(&unexpected, 1);
				pause_if_shared();
				continue;
			}
			/* The change had returned before this access began. */
			if (change == CHANGE_REMAP) {
				if (v == r)
					atomic_fetch_add(&stale, 1);
				else if (v != REMAPPED(r))
					atomic_fetch_add(&unexpected, 1);
			} else if (v >= 0 && change_faults(write)) {
				atomic_fetch_add(&stale, 1);
			} else if (v < 0) {
				atomic_fetch_add(&faults, 1);
			}
			break;
		}
		atomic_store(&round_done, r);
	}
	return NULL;
}

/* The new state of the page for round r, made while the accessor uses it. */
static void apply_change(int r)
{
	void *p = (void *)page;

	switch (change) {
	case CHANGE_UNMAP:
		UT_NOERR(munmap(p, page_size));
		break;
	case CHANGE_READONLY:
		UT_NOERR(mprotect(p, page_size, PROT_READ));
		break;
	case CHANGE_NONE:
		UT_NOERR(mprotect(p, page_size, PROT_NONE));
		break;
	case CHANGE_REMAP: {
		/* A new page in the same place, filled before it replaces the old one. */
		uint64_t *fresh = UT_NOERR(mmap(NULL, page_size, PROT_READ | PROT_WRITE,
						MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));

		fresh[0] = (uint64_t)REMAPPED(r);
		UT_CHECK(mremap(fresh, page_size, page_size, MREMAP_MAYMOVE | MREMAP_FIXED, p) ==
			 p);
		break;
	}
	}
}

static void run_rounds(enum change c)
{
	struct sigaction sa = { .sa_sigaction = on_segv, .sa_flags = SA_SIGINFO | SA_NODEFER };
	int first, other, n = cpu_count(&first, &other);
	pthread_t t;

	page_size = sysconf(_SC_PAGESIZE);
	single_cpu = n < 2;
	change = c;
	atomic_store(&round_mapped, 0);
	atomic_store(&round_used, 0);
	atomic_store(&round_changed, 0);
	atomic_store(&round_done, 0);
	atomic_store(&stop, 0);
	atomic_store(&stale, 0);
	atomic_store(&faults, 0);
	atomic_store(&unexpected, 0);
	page = UT_NOERR(
		mmap(NULL, page_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	UT_NOERR(sigaction(SIGSEGV, &sa, NULL));
	pin(first);
	UT_EQ(pthread_create(&t, NULL, accessor, (void *)(long)other), 0);
	for (int r = 1; r <= ROUNDS; r++) {
		/* The same address every round: a stale entry would point at last round's frame. */
		void *p = mmap((void *)page, page_size, PROT_READ | PROT_WRITE,
			       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);

		if (p != (void *)page) {
			atomic_store(&stop, 1);
			UT_CHECK(p == (void *)page);
		}
		page[0] = (uint64_t)r;
		atomic_store(&round_mapped, r);
		if (!UT_SPIN(atomic_load(&round_used) >= r, 60)) {
			atomic_store(&stop, 1);
			ut_fail(__FILE__, __LINE__, "round %d: the accessor never used the page",
				r);
		}
		apply_change(r);
		atomic_store(&round_changed, r);
		if (!UT_SPIN(atomic_load(&round_done) >= r, 60)) {
			atomic_store(&stop, 1);
			ut_fail(__FILE__, __LINE__, "round %d: the accessor never saw the change",
				r);
		}
	}
	UT_EQ(pthread_join(t, NULL), 0);
	sa.sa_handler = SIG_DFL;
	sa.sa_flags = 0;
	UT_NOERR(sigaction(SIGSEGV, &sa, NULL));
	munmap((void *)page, page_size);
	UT_EQ(atomic_load(&unexpected), 0);
	UT_EQ(atomic_load(&stale), 0);
	UT_EQ(atomic_load(&faults), c == CHANGE_REMAP ? 0 : ROUNDS);
}

/*
 * Each case in a process of its own: a fresh address space, so that what
 * an earlier case left in a CPU's TLB (or flushed there) cannot decide
 * this one (seen on a kernel without shootdown: after a first case found
 * stale entries, the next ones did not).
 */
static void in_child(enum change c)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		run_rounds(c);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

UT_CASE(reader_faults_after_munmap)
{
	in_child(CHANGE_UNMAP);
}

UT_CASE(writer_faults_after_mprotect_readonly)
{
	in_child(CHANGE_READONLY);
}

UT_CASE(reader_faults_after_mprotect_none)
{
	in_child(CHANGE_NONE);
}

UT_CASE(reader_sees_new_page_after_remap)
{
	in_child(CHANGE_REMAP);
}
