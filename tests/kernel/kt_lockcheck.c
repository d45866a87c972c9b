/*
 * Self-tests of the lock checker (kernel/lockcheck.c): each provokes one
 * report on purpose with locks of its own classes ("kt-lockcheck-..."),
 * checks that it was made and printed, and takes it back
 * (lockcheck_take_report), so that the run's zero-report rule holds.
 */
#include <kernel/ktest.h>
#include <kernel/lockcheck.h>
#include <kernel/printk.h>
#include <kernel/uaccess.h>
#include <uapi/errno.h>

static unsigned reports(void)
{
	struct lockcheck_stats st;

	lockcheck_get_stats(&st);
	return st.reports;
}

static __attribute__((noinline)) void lock_pair(spinlock_t *first, spinlock_t *second)
{
	unsigned long f1 = spin_lock_irqsave(first);
	unsigned long f2 = spin_lock_irqsave(second);

	spin_unlock_irqrestore(second, f2);
	spin_unlock_irqrestore(first, f1);
}

KTEST(lockcheck_reports_an_inversion)
{
	spinlock_t a = SPINLOCK_INIT("kt-lockcheck-a"), b = SPINLOCK_INIT("kt-lockcheck-b");
	unsigned before = reports();
	uint64_t pos;

	if (!CONFIG_LOCKCHECK)
		return;
	lock_pair(&a, &b); /* learns a -> b */
	KT_ASSERT(reports() == before);
	pos = log_position();
	lock_pair(&b, &a); /* b -> a: the inversion */
	KT_ASSERT(reports() == before + 1);
	KT_ASSERT(log_contains_since(pos, "lockcheck: lock order inversion: 'kt-lockcheck-a' "
					  "taken at lock_pair"));
	KT_ASSERT(log_contains_since(pos, "while holding 'kt-lockcheck-b'"));
	KT_ASSERT(log_contains_since(pos, "but the order 'kt-lockcheck-a' (taken at lock_pair"));
	KT_ASSERT(lockcheck_take_report(LC_INVERSION, "kt-lockcheck-b", "kt-lockcheck-a"));
	KT_ASSERT(reports() == before);
	lock_pair(&b, &a); /* once per pair: not again */
	KT_ASSERT(reports() == before);
	KT_ASSERT(!lockcheck_take_report(LC_INVERSION, "kt-lockcheck-b", "kt-lockcheck-a"));
}

KTEST(lockcheck_reports_an_inversion_through_a_path)
{
	spinlock_t x = SPINLOCK_INIT("kt-lockcheck-x"), y = SPINLOCK_INIT("kt-lockcheck-y"),
		   z = SPINLOCK_INIT("kt-lockcheck-z");
	unsigned before = reports();
	uint64_t pos;

	if (!CONFIG_LOCKCHECK)
		return;
	lock_pair(&x, &y);
	lock_pair(&y, &z);
	KT_ASSERT(reports() == before);
	pos = log_position();
	lock_pair(&z, &x); /* x -> y -> z was seen: z -> x closes the cycle */
	KT_ASSERT(reports() == before + 1);
	KT_ASSERT(log_contains_since(pos, "but the order 'kt-lockcheck-x' (taken at"));
	KT_ASSERT(log_contains_since(pos, "then 'kt-lockcheck-y'"));
	KT_ASSERT(log_contains_since(pos, "but the order 'kt-lockcheck-y' (taken at"));
	KT_ASSERT(log_contains_since(pos, "then 'kt-lockcheck-z'"));
	KT_ASSERT(lockcheck_take_report(LC_INVERSION, "kt-lockcheck-z", "kt-lockcheck-x"));
	KT_ASSERT(reports() == before);
}

KTEST(lockcheck_nested_locks_of_one_class_need_a_subclass)
{
	spinlock_t p = SPINLOCK_INIT("kt-lockcheck-pair"), q = SPINLOCK_INIT("kt-lockcheck-pair");
	unsigned before = reports();
	unsigned long fp, fq;

	if (!CONFIG_LOCKCHECK)
		return;
	fp = spin_lock_irqsave(&p);
	fq = spin_lock_irqsave_nested(&q, 1); /* annotated: checked as a class of its own */
	spin_unlock_irqrestore(&q, fq);
	spin_unlock_irqrestore(&p, fp);
	KT_ASSERT(reports() == before);
	lock_pair(&p, &q);
	KT_ASSERT(reports() == before + 1);
	KT_ASSERT(lockcheck_take_report(LC_RECURSION, "kt-lockcheck-pair", "kt-lockcheck-pair"));
	KT_ASSERT(reports() == before);
}

KTEST(lockcheck_reports_user_memory_under_a_spinlock)
{
	spinlock_t l = SPINLOCK_INIT("kt-lockcheck-user");
	unsigned before = reports();
	unsigned long f;
	uint64_t pos = log_position();
	uint32_t word;
	int err;

	if (!CONFIG_LOCKCHECK)
		return;
	KT_ASSERT(copy_from_user(&word, 0x10, sizeof(word)) == -EFAULT); /* no lock: silent */
	KT_ASSERT(reports() == before);
	f = spin_lock_irqsave(&l);
	err = copy_from_user(&word, 0x10, sizeof(word)); /* page 0 is never mapped */
	spin_unlock_irqrestore(&l, f);
	KT_ASSERT(err == -EFAULT);
	KT_ASSERT(reports() == before + 1);
	KT_ASSERT(log_contains_since(pos, "lockcheck: user memory touched at "));
	KT_ASSERT(log_contains_since(pos, "under the spinlock 'kt-lockcheck-user'"));
	KT_ASSERT(lockcheck_take_report(LC_USER_ACCESS, "kt-lockcheck-user", NULL));
	KT_ASSERT(reports() == before);
}

KTEST(lockcheck_reports_switching_with_a_spinlock_held)
{
	spinlock_t l = SPINLOCK_INIT("kt-lockcheck-switch");
	unsigned before = reports();
	unsigned long f;

	if (!CONFIG_LOCKCHECK)
		return;
	lockcheck_may_switch(NULL, (uintptr_t)__builtin_return_address(0));
	KT_ASSERT(reports() == before);
	f = spin_lock_irqsave(&l);
	lockcheck_may_switch(&l, (uintptr_t)__builtin_return_address(0)); /* the lock it names */
	lockcheck_may_switch(NULL, (uintptr_t)__builtin_return_address(0));
	spin_unlock_irqrestore(&l, f);
	KT_ASSERT(reports() == before + 1);
	KT_ASSERT(lockcheck_take_report(LC_SWITCH, "kt-lockcheck-switch", NULL));
}

KTEST(lockcheck_learned_the_kernel_s_order)
{
	struct lockcheck_stats st;

	lockcheck_get_stats(&st);
	if (!CONFIG_LOCKCHECK)
		return;
	/* Boot took the run queue, slab, buddy and log locks, some inside others. */
	KT_ASSERT(st.classes >= 10);
	KT_ASSERT(st.edges >= 5);
	KT_ASSERT(!st.full);
}
