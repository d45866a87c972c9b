/*
 * Spinlocks. Taking one disables interrupts on this CPU (so an interrupt
 * handler never spins on a lock its own CPU holds) and preemption; the lock
 * records which CPU holds it so that code can assert ownership.
 *
 * The lock order, stated here once (the files that take several locks
 * point here). Outermost first: a lock is only ever taken while holding
 * locks of earlier lines, and two locks of one line are never held
 * together. A name is a lock class (the name given to spin_init or
 * SPINLOCK_INIT; "inode/1" is an inode lock taken with subclass 1). The
 * lock checker (include/kernel/lockcheck.h) learns the order at run time
 * and reports any acquisition against it; these lines are what `make
 * test` taught it (docs/locking.md):
 *   1. chrdevs; devpts (/dev/pts nodes made and removed under it,
 *      fs/devpts.c); vm (an address space: its faults reach files)
 *   2. rename; inode (a lone inode, or a directory)
 *   3. inode/1 (a child under its directory; the first after rename_lock)
 *   4. inode/2, 5. inode/3 (a rename's next locks; /proc pruning, one
 *      subclass per level of depth)
 *   6. oom; uart-rx; child-event; inode/4; epoll-ctl (epoll's interest
 *      lists: it polls the files it adds, fs/eventpoll.c)
 *   7. dcache; fifo; proc-tree
 *   8. pagecaches; pipe; process; services; sync; futex (a bucket); ptys
 *      (the pty table, drivers/pty.c); inotify-watches (fs/inotify.c: it
 *      queues under itself)
 *   9. the other wait sources and queues (pipe-read, pipe-write,
 *      fifo-open-*, svc-queue, svc-done, reap, stopped, bcache, block-sync,
 *      ext2-write, ext2-evict, writeback, mem-wait, futex/1: the second of
 *      two buckets; eventfd, timerfd, signalfd, pidfd, epoll: an epoll's
 *      own; inotify: an instance's queue);
 *      pagecache; fd-table; tty; threads; kmap; vm-object
 *  9a. tty-out (a tty's output, under its tty)
 *  9b. pty (a pty's master side, a wait source: the slave's output goes
 *      there under tty-out, drivers/pty.c)
 *  9c. epoll/1, then epoll/2 ...: an epoll's source taken by the callback
 *      of one of its items under the source that woke (kernel/wait.c's
 *      callback waiters), one subclass per level of nested epolls
 *  9d. slab-caches (mm/slab.c's walk of every cache: slab_drain of the
 *      CPUs' magazines, when a page allocation is about to fail, and
 *      slab_reclaim; under any lock above)
 *  10. innermost: runqueue; ktimers (a CPU's timer list: a timerfd arms
 *      under its source's lock); the slab caches (kmalloc-N, pc-entry...);
 *      pcp (a CPU's free pages, mm/page.c; the one exception: buddy
 *      nests in it); buddy; pids; pc-space; ext2-inodes; pipe-pool; log.
 * A lock not listed (kstack, ioapic, random...) was never seen held with
 * another. A thread switches away holding the run queue lock and nothing else.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <lib/types.h>
#include <kernel/config.h>
#ifndef AXL_HOST
#include <arch/x86_64/percpu.h>
#endif

typedef struct spinlock {
	volatile uint32_t locked;
	int16_t owner_cpu; /* -1 when free */
	uint16_t lc_class; /* the lock checker's class of subclass 0; 0: not looked up yet */
	const char *name;  /* also the lock's class for the checker (include/kernel/lockcheck.h) */
} spinlock_t;

#define SPINLOCK_INIT(n)                                  \
	{                                                 \
		.locked = 0, .owner_cpu = -1, .name = (n) \
	}

void spin_init(spinlock_t *l, const char *name);
/* Returns whether interrupts were enabled, for spin_unlock_irqrestore. */
unsigned long spin_lock_irqsave(spinlock_t *l);
/*
 * The same, for a second lock of a class already held (two buckets, two
 * inodes): subclass 1, 2... makes it a class of its own for the lock
 * checker, so that the order between them is checked like any other.
 */
unsigned long spin_lock_irqsave_nested(spinlock_t *l, unsigned subclass);
void spin_unlock_irqrestore(spinlock_t *l, unsigned long flags);
bool spin_held(const spinlock_t *l);

/*
 * Panics unless this CPU holds l. A debug check: the release build
 * (CONFIG_DEBUG=0, the benchmarks) leaves it out, and in the debug build
 * the test is inline (two loads: functions on every system call's path
 * assert their locks) and only a failure calls spin_assert_held. The host
 * unit tests call it.
 */
void spin_assert_held(const spinlock_t *l, const char *file, int line);
#if defined(AXL_HOST)
#define assert_held(l) spin_assert_held((l), __FILE__, __LINE__)
#elif CONFIG_DEBUG
static inline void spin_assert_held_here(const spinlock_t *l, const char *file, int line)
{
	if (__builtin_expect(!l->locked || l->owner_cpu != (int)this_cpu()->cpu_id, 0))
		spin_assert_held(l, file, line);
}
#define assert_held(l) spin_assert_held_here((l), __FILE__, __LINE__)
#else
#define assert_held(l) ((void)(l))
#endif

#endif
