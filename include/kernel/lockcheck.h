/*
 * The lock-order checker (kernel/lockcheck.c), on when CONFIG_LOCKCHECK is
 * (the default with CONFIG_DEBUG: every test tier; the benchmark build has
 * it off). The spinlock code calls it on every acquisition and release; it
 * keeps a stack of the locks each CPU holds, with the place each was taken,
 * and learns the order graph between lock *classes* (a class per lock name
 * and subclass: every "vm" lock is one class). It reports, once each and
 * with a fixed "lockcheck:" prefix:
 *   - an order inversion: taking B while holding A when B -> ... -> A was
 *     learned before (both classes, both acquisition sites, the path);
 *   - a lock of a class taken while one of the same class is held, unless
 *     the second is taken with spin_lock_irqsave_nested(l, subclass > 0);
 *   - switching away, sleeping or parking with a spinlock held (a switch
 *     holds exactly the run queue lock it names);
 *   - user memory touched (copy_from_user and the rest) under a spinlock.
 * Each report also goes to the host as a line "axl-lockcheck report" on the
 * debug console (kernel/power.h): ./axl then fails the run. The lock order
 * itself is stated once, in include/kernel/spinlock.h.
 */
#ifndef KERNEL_LOCKCHECK_H
#define KERNEL_LOCKCHECK_H

#include <kernel/config.h>
#include <kernel/spinlock.h>

enum lockcheck_kind {
	LC_INVERSION,  /* A -> B taken, B -> ... -> A known */
	LC_RECURSION,  /* two locks of one class nested, no subclass */
	LC_SWITCH,     /* switching, sleeping or parking with a spinlock held */
	LC_USER_ACCESS /* user memory touched under a spinlock */
};

struct lockcheck_stats {
	unsigned classes;  /* lock classes seen */
	unsigned edges;	   /* order edges learned */
	unsigned reports;  /* reports made and not taken back by a self-test */
	unsigned expected; /* reports a self-test provoked and took back */
	bool full;	   /* a table filled up: some locks or edges are not tracked */
};

#if CONFIG_LOCKCHECK
/* From spinlock.c: l is about to be taken at site (a return address). */
void lockcheck_acquire(spinlock_t *l, unsigned subclass, uintptr_t site);
/* From spinlock.c: l was released. */
void lockcheck_release(const spinlock_t *l);
/* From the user-memory accessors: no spinlock may be held. */
void lockcheck_user_access(uintptr_t site);
/*
 * From the scheduler: this CPU leaves the running thread (a switch, a
 * sleep, a park). It may hold `allowed` (the run queue lock a switch holds;
 * NULL: nothing) and nothing else.
 */
void lockcheck_may_switch(const spinlock_t *allowed, uintptr_t site);
#else
static inline void lockcheck_acquire(spinlock_t *l, unsigned subclass, uintptr_t site)
{
	(void)l, (void)subclass, (void)site;
}
static inline void lockcheck_release(const spinlock_t *l)
{
	(void)l;
}
static inline void lockcheck_user_access(uintptr_t site)
{
	(void)site;
}
static inline void lockcheck_may_switch(const spinlock_t *allowed, uintptr_t site)
{
	(void)allowed, (void)site;
}
#endif

void lockcheck_get_stats(struct lockcheck_stats *st);
/*
 * For self-tests that provoke a report on purpose: takes back the latest
 * report of this kind whose first class is named a (and second b, if not
 * NULL); returns whether there was one. The host is told ("axl-lockcheck
 * expected"), so that the run still counts as clean.
 */
bool lockcheck_take_report(enum lockcheck_kind kind, const char *a, const char *b);
/* At power-off: one log line and one host line with the counts. */
void lockcheck_shutdown_report(void);

#endif
