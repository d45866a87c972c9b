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
/*
 * Deadlines are clock_ns() values. DEADLINE_MAX is "practically never" and
 * still a real deadline: adding to one saturates there instead of wrapping
 * to the past (a wrapped periodic deadline would fire at every tick).
 */
#define DEADLINE_MAX (~0ULL / 2)

/* base + ns, saturating at DEADLINE_MAX. */
static inline uint64_t deadline_add(uint64_t base, uint64_t ns)
{
	return base >= DEADLINE_MAX || ns >= DEADLINE_MAX - base ? DEADLINE_MAX : base + ns;
}

/* The deadline ns from now. */
static inline uint64_t deadline_after(uint64_t ns)
{
	return deadline_add(clock_ns(), ns);
}

/* Nanoseconds between two TSC readings. */
uint64_t tsc_to_ns(uint64_t tsc_delta);

#endif
