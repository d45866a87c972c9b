/*
 * Time since boot, from the TSC (kernel/time.c), calibrated at boot
 * against the PIT by timer_init in arch/x86_64/lapic.c.
 */
#ifndef KERNEL_TIME_H
#define KERNEL_TIME_H

#include <lib/types.h>

#define NSEC_PER_USEC 1000ULL
#define NSEC_PER_MSEC 1000000ULL
#define NSEC_PER_SEC  1000000000ULL

/* Nanoseconds since clock_init (0 before). */
uint64_t clock_ns(void);
void clock_init(uint64_t tsc_hz);
uint64_t clock_tsc_hz(void);
/* The clock_ns() deadline ns from now, saturating instead of wrapping. */
static inline uint64_t deadline_after(uint64_t ns)
{
	uint64_t now = clock_ns();

	return ns > ~0ULL - now ? ~0ULL : now + ns;
}

/* Nanoseconds between two TSC readings. */
uint64_t tsc_to_ns(uint64_t tsc_delta);

#endif
