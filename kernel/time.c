/*
 * The clock since boot (include/kernel/time.h): TSC ticks scaled to
 * nanoseconds by a 32.32 fixed-point multiplier, so reading it is one
 * rdtsc and one multiplication.
 */
#include <kernel/time.h>
#include <kernel/boot.h>
#include <arch/x86_64/cpu.h>

static uint64_t tsc_hz;	 /* [I] calibrated at boot */
static uint64_t ns_mult; /* ns per tick << 32 */

void clock_init(uint64_t hz)
{
	tsc_hz = hz;
	ns_mult = (NSEC_PER_SEC << 32) / hz;
}

uint64_t clock_tsc_hz(void)
{
	return tsc_hz;
}

uint64_t tsc_to_ns(uint64_t delta)
{
	return (uint64_t)(((unsigned __int128)delta * ns_mult) >> 32);
}

uint64_t clock_ns(void)
{
	if (!ns_mult)
		return 0;
	return tsc_to_ns(rdtsc() - boot_info.tsc_at_entry);
}
