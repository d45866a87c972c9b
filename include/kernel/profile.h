/*
 * The sampling profiler (kernel/profile.c). Booted with "profile" on the
 * command line, every timer tick (HZ per CPU) records where the CPU was:
 * in user mode, idle (halted), or at a kernel instruction, counted per
 * kernel function (kernel/ksyms.c) together with the function that called
 * it. /proc/axolotl/profile shows the totals and the busiest functions.
 * See docs/performance.md.
 */
#ifndef KERNEL_PROFILE_H
#define KERNEL_PROFILE_H

#include <lib/types.h>

struct trap_frame;

/* Turns the profiler on when the command line says "profile" (kmain, after kmalloc). */
void profile_init(void);
/* One sample from the timer interrupt; cheap no-op when off. */
void profile_tick(const struct trap_frame *f);

struct profile_totals {
	uint64_t samples; /* the sum of the next four */
	uint64_t user, idle, kernel, unknown;
	uint64_t pairs_dropped; /* caller pairs that did not fit the table */
};

#define PROFILE_CALLERS 3

/* One kernel function, its samples, and its most frequent callers. */
struct profile_entry {
	long sym; /* index in the symbol table */
	const char *name;
	uint64_t hits;
	const char *callers[PROFILE_CALLERS]; /* NULL-terminated when fewer */
	uint64_t caller_hits[PROFILE_CALLERS];
};

/*
 * Fills tot, and out with up to max functions by hits, busiest first;
 * returns how many. -ENODEV when the profiler is off.
 */
long profile_top(struct profile_totals *tot, struct profile_entry *out, size_t max);

#endif
