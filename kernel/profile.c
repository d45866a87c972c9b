/*
 * The sampling profiler (include/kernel/profile.h). Off unless the kernel
 * command line says "profile"; then profile_init allocates one counter per
 * function of the kernel's symbol table (kernel/ksyms.c) and a table of
 * (function, caller) pairs, and the timer interrupt (arch/x86_64/lapic.c)
 * calls profile_tick on every tick of every CPU.
 *
 * A tick that interrupted user mode counts as "user"; one that interrupted
 * a halted CPU (the byte before the return address is hlt) as "idle";
 * otherwise the interrupted instruction's function gets a hit, and the
 * pair (function, its caller) one too. The caller is the return address
 * one frame up the frame-pointer chain ([rbp + 8]): exact once the
 * function has built its frame, its caller's caller in the few
 * instructions of a prologue. Code that runs with interrupts masked is
 * seen only where it unmasks them: its time lands on the spin_unlock or
 * the iretq that follows. Counters are atomic, so CPUs share them.
 *
 * /proc/axolotl/profile (fs/procfs_show.c) reads them through profile_top.
 */
#include <kernel/profile.h>
#include <kernel/cmdline.h>
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <arch/x86_64/trap.h>
#include <mm/kmap.h>
#include <mm/slab.h>
#include <lib/string.h>
#include <uapi/errno.h>

#define PAIR_SLOTS 4096 /* a power of two */
#define OP_HLT	   0xf4

/* A caller pair: key = (function + 1) << 32 | (caller + 1), ksyms indexes; 0: free slot. */
struct pair {
	uint64_t key;
	uint64_t hits;
};

static bool enabled;		     /* (a) */
static uint64_t *fn_hits;	     /* (atomic) per ksyms index */
static struct pair *pairs;	     /* (atomic) open addressing on fn and caller */
static struct profile_totals totals; /* (atomic) */

void profile_init(void)
{
	if (!cmdline_has(&kernel_cmdline, "profile") || !ksym_count())
		return;
	fn_hits = kzalloc(ksym_count() * sizeof(*fn_hits));
	pairs = kzalloc(PAIR_SLOTS * sizeof(*pairs));
	if (!fn_hits || !pairs) {
		pr_warn("profile: no memory for the tables; profiler off\n");
		return;
	}
	__atomic_store_n(&enabled, true, __ATOMIC_RELEASE);
	pr_info("profile: sampling kernel functions on every timer tick\n");
}

static void count(uint64_t *c)
{
	__atomic_fetch_add(c, 1, __ATOMIC_RELAXED);
}

/* The function that called the interrupted one, from its frame; -1 if unknown. */
static long caller_of(const struct trap_frame *f)
{
	uintptr_t fp = f->rbp;

	if (!fp || (fp & 7) || !kmap_lookup(fp) || !kmap_lookup(fp + 8))
		return -1;
	return ksym_index(((uintptr_t *)fp)[1] - 1);
}

static uint64_t pair_key(long fn, long caller)
{
	return (uint64_t)(fn + 1) << 32 | (uint64_t)(caller + 1);
}

/* Claims or finds the slot of key; a crowded table drops the pair. */
static void count_pair(uint64_t key)
{
	uint64_t h = key * 0x9e3779b97f4a7c15ull;

	for (unsigned probe = 0; probe < 16; probe++) {
		struct pair *p = &pairs[((h >> 40) + probe) & (PAIR_SLOTS - 1)];
		uint64_t cur = __atomic_load_n(&p->key, __ATOMIC_ACQUIRE);

		if (!cur && __atomic_compare_exchange_n(&p->key, &cur, key, false, __ATOMIC_ACQ_REL,
							__ATOMIC_ACQUIRE))
			cur = key;
		if (cur == key) {
			count(&p->hits);
			return;
		}
	}
	count(&totals.pairs_dropped);
}

void profile_tick(const struct trap_frame *f)
{
	long fn, caller;

	if (!__atomic_load_n(&enabled, __ATOMIC_ACQUIRE))
		return;
	if (trap_from_user(f)) {
		count(&totals.user);
		return;
	}
	if (kmap_lookup(f->rip - 1) && *(const uint8_t *)(f->rip - 1) == OP_HLT) {
		count(&totals.idle);
		return;
	}
	fn = ksym_index(f->rip);
	if (fn < 0) {
		count(&totals.unknown);
		return;
	}
	count(&totals.kernel);
	count(&fn_hits[fn]);
	caller = caller_of(f);
	count_pair(pair_key(fn, caller));
}

/* Puts (name, hits) into the sorted top list out[0..*n) of at most max entries. */
static void insert_top(struct profile_entry *out, size_t *n, size_t max, long sym, uint64_t hits)
{
	size_t at = *n;

	while (at > 0 && out[at - 1].hits < hits)
		at--;
	if (at >= max)
		return;
	if (*n < max)
		(*n)++;
	memmove(&out[at + 1], &out[at], (*n - 1 - at) * sizeof(*out));
	memset(&out[at], 0, sizeof(*out));
	out[at].sym = sym;
	out[at].name = ksym_name(sym);
	out[at].hits = hits;
}

/* Fills e's callers from the pair table: the PROFILE_CALLERS most frequent. */
static void fill_callers(struct profile_entry *e)
{
	for (size_t i = 0; i < PAIR_SLOTS; i++) {
		uint64_t key = __atomic_load_n(&pairs[i].key, __ATOMIC_ACQUIRE);
		uint64_t hits = __atomic_load_n(&pairs[i].hits, __ATOMIC_RELAXED);
		long caller = (long)(key & 0xffffffff) - 1;
		int at = PROFILE_CALLERS;

		if ((long)(key >> 32) - 1 != e->sym || !hits)
			continue;
		while (at > 0 && (!e->callers[at - 1] || e->caller_hits[at - 1] < hits))
			at--;
		if (at >= PROFILE_CALLERS)
			continue;
		for (int j = PROFILE_CALLERS - 1; j > at; j--) {
			e->callers[j] = e->callers[j - 1];
			e->caller_hits[j] = e->caller_hits[j - 1];
		}
		e->callers[at] = caller < 0 ? "?" : ksym_name(caller);
		e->caller_hits[at] = hits;
	}
}

long profile_top(struct profile_totals *tot, struct profile_entry *out, size_t max)
{
	size_t n = 0;

	if (!__atomic_load_n(&enabled, __ATOMIC_ACQUIRE))
		return -ENODEV;
	memcpy(tot, &totals, sizeof(*tot)); /* each counter is read whole */
	tot->samples = tot->user + tot->idle + tot->kernel + tot->unknown;
	for (uint64_t i = 0; i < ksym_count(); i++) {
		uint64_t hits = __atomic_load_n(&fn_hits[i], __ATOMIC_RELAXED);

		if (hits)
			insert_top(out, &n, max, (long)i, hits);
	}
	for (size_t i = 0; i < n; i++)
		fill_callers(&out[i]);
	return (long)n;
}
