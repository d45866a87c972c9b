/*
 * In-kernel self-tests of the real-time clock's arithmetic (kernel/clock.c):
 * wall-clock instants turned into clock_ns() deadlines at a positive and a
 * negative offset, with saturation; deadlines moved by a change of offset
 * (forward: earlier, floored at 1; back: later, saturating; 0 and
 * DEADLINE_MAX stay); and a set before boot giving a negative offset with
 * the clock read back right, the clock restored after.
 */
#include <kernel/ktest.h>
#include <kernel/clock.h>
#include <kernel/time.h>

KTEST(realtime_to_monotonic_at_both_signs)
{
	KT_ASSERT(realtime_to_monotonic_at(5000, 1000) == 4000);
	KT_ASSERT(realtime_to_monotonic_at(1000, 1000) == 1); /* past: 1, never 0 */
	KT_ASSERT(realtime_to_monotonic_at(10, 1000) == 1);
	KT_ASSERT(realtime_to_monotonic_at(0, -1000) == 1000); /* a clock set before boot */
	KT_ASSERT(realtime_to_monotonic_at(5000, -1000) == 6000);
	KT_ASSERT(realtime_to_monotonic_at(~0ULL, -1000) == DEADLINE_MAX);
	KT_ASSERT(realtime_to_monotonic_at(~0ULL, 1000) == DEADLINE_MAX);
	KT_ASSERT(realtime_to_monotonic_at(DEADLINE_MAX - 10, -1000) == DEADLINE_MAX);
}

KTEST(realtime_rebase_moves_by_the_change)
{
	/* Set forward by 300: a deadline 500 comes 300 sooner; past it: 1. */
	KT_ASSERT(realtime_rebase(500, 1000, 1300) == 200);
	KT_ASSERT(realtime_rebase(500, 1000, 2000) == 1);
	/* Set back by 300, across zero: later. */
	KT_ASSERT(realtime_rebase(500, 100, -200) == 800);
	KT_ASSERT(realtime_rebase(500, -200, 100) == 200);
	KT_ASSERT(realtime_rebase(500, 7, 7) == 500);
	KT_ASSERT(realtime_rebase(DEADLINE_MAX - 100, 1000, 0) == DEADLINE_MAX);
	KT_ASSERT(realtime_rebase(0, 1000, 0) == 0); /* disarmed stays */
	KT_ASSERT(realtime_rebase(DEADLINE_MAX, 0, 1000) == DEADLINE_MAX);
	/* Offsets far apart (a time near the settable maximum, a set before boot). */
	KT_ASSERT(realtime_rebase(1000, -1000, (int64_t)REALTIME_SET_MAX_NS) == 1);
	KT_ASSERT(realtime_rebase(1000, (int64_t)REALTIME_SET_MAX_NS, -1000) ==
		  REALTIME_SET_MAX_NS + 2000);
}

KTEST(realtime_set_before_boot)
{
	uint64_t real0 = realtime_ns(), mono0 = clock_ns(), set = 5 * NSEC_PER_SEC, r, m;

	KT_ASSERT(clock_realtime_set(REALTIME_SET_MAX_NS) < 0);
	KT_ASSERT(clock_realtime_set(set) == 0);
	r = realtime_ns();
	m = clock_ns();
	KT_ASSERT(r >= set && r - set <= m - mono0);
	KT_ASSERT(set < m ? realtime_offset() < 0 : true);
	KT_ASSERT(realtime_to_monotonic(set + NSEC_PER_SEC) > clock_ns());
	/* The clock read `set` at the moment of the set. */
	KT_ASSERT(realtime_to_monotonic(set) >= mono0 && realtime_to_monotonic(set) <= m);
	KT_ASSERT(clock_realtime_set(real0 + (clock_ns() - mono0)) == 0);
	KT_ASSERT(realtime_offset() > 0);
}
