/*
 * Spinlocks. Taking one disables interrupts on this CPU (so an interrupt
 * handler never spins on a lock its own CPU holds) and preemption; the lock
 * records which CPU holds it so that code can assert ownership.
 *
 * Lock order, outermost first: a wait queue's lock (reap, uart-rx...),
 * then the run queue lock; independently, kstack, then kmap, then a slab
 * cache's lock, then buddy; threads; ioapic; the log lock is innermost.
 * A thread switches away holding the run queue lock and nothing else.
 */
#ifndef KERNEL_SPINLOCK_H
#define KERNEL_SPINLOCK_H

#include <lib/types.h>

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

/* Panics unless this CPU holds l. */
#define assert_held(l) spin_assert_held((l), __FILE__, __LINE__)
void spin_assert_held(const spinlock_t *l, const char *file, int line);

#endif
