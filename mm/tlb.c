/*
 * TLB shootdown on the CPUs (include/mm/tlb.h). Each user space keeps in
 * cpu_mask the CPUs that may hold its translations: a CPU sets its bit
 * before it loads the space's tables (tlb_switch_to) and clears it once it
 * has loaded another root, which flushed them; a CPU that runs kernel
 * threads keeps the last user space loaded and stays in its mask.
 *
 * A flush serves its batch here, then posts it in this CPU's request slot,
 * marks the slot in each target's inbox and sends one TLB IPI to each; the
 * targets flush and clear their bit in the slot's pending mask; the
 * initiator spins, serving requests addressed to it meanwhile, until none
 * is pending, and only then drops the batch's pages. Interrupts stay off
 * from the post to the last acknowledgement, so a CPU has one request in
 * flight at most. Spinlock loops call tlb_poll too: an initiator holds the
 * space's lock while it waits, and a target may be spinning on that lock
 * with interrupts off.
 *
 * Lock key: cpu_vm[i] is written by CPU i only, with interrupts off, and
 * read by CPU i; requests[i] by CPU i while its pending mask is 0, then
 * read by the targets; inbox and pending are atomic.
 */
#include <mm/tlb.h>
#include <lib/compiler.h>
#include <mm/vm.h>
#include <mm/kmap.h>
#include <kernel/smp.h>
#include <kernel/panic.h>
#include <kernel/config.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/trap.h>

struct tlb_request {
	const struct tlb_batch *batch;
	uint64_t pending; /* (a) CPUs that have not flushed it yet */
};

static struct vm_space *cpu_vm[MAX_CPUS]; /* the user space each CPU has loaded */
static struct tlb_request requests[MAX_CPUS];
static uint64_t inbox[MAX_CPUS]; /* (a) bit i: CPU i's request waits here */

static uint64_t cpu_bit(unsigned cpu)
{
	return 1ULL << cpu;
}

void tlb_switch_to(struct vm_space *vm)
{
	unsigned me = this_cpu()->cpu_id; /* the caller stays on this CPU (it runs on its stack) */
	phys_addr_t root = vm ? virt_to_phys(vm->pml4) : kmap_root();
	struct vm_space *old;
	unsigned long irq;

	/* Every entry to user mode: vm is mostly loaded already. Only a flush IPI changes cpu_vm[me]. */
	if (READ_ONCE(cpu_vm[me]) == vm && read_cr3() == root)
		return;
	irq = irq_save();
	old = cpu_vm[me];
	if (old == vm) {
		/* Loaded here means marked here; a freed space's address reused would break it. */
		if (CONFIG_DEBUG && vm &&
		    !(__atomic_load_n(&vm->cpu_mask, __ATOMIC_RELAXED) & cpu_bit(me)))
			panic("tlb: CPU %u has space %p loaded but not in its mask", me,
			      (void *)vm);
		if (read_cr3() != root)
			write_cr3(root);
		irq_restore(irq);
		return;
	}
	/* Set before the load: a flush that changes vm's tables after this sees this CPU. */
	if (vm)
		__atomic_fetch_or(&vm->cpu_mask, cpu_bit(me), __ATOMIC_SEQ_CST);
	write_cr3(root);
	cpu_vm[me] = vm;
	/* Cleared after the load, which dropped old's translations. */
	if (old)
		__atomic_fetch_and(&old->cpu_mask, ~cpu_bit(me), __ATOMIC_SEQ_CST);
	irq_restore(irq);
}

/* Drops this CPU's entries for each page of the batch's ranges. */
static void invalidate_ranges(const struct tlb_batch *b)
{
	for (unsigned i = 0; i < b->nranges; i++)
		for (uintptr_t va = b->start[i]; va < b->end[i]; va += PAGE_SIZE)
			invlpg(va);
}

/* The kernel's translations of the batch (global pages: invlpg, or CR4.PGE toggled). */
static void flush_kernel_here(const struct tlb_batch *b)
{
	if (b->full) {
		uint64_t cr4 = read_cr4();

		write_cr4(cr4 & ~CR4_PGE);
		write_cr4(cr4);
		__atomic_add_fetch(&tlb_stats.full_flushes, 1, __ATOMIC_RELAXED);
		return;
	}
	invalidate_ranges(b);
}

/* The user space's translations of the batch, if this CPU has the space loaded. */
static void flush_user_here(const struct tlb_batch *b, unsigned me)
{
	if (cpu_vm[me] != b->vm)
		return; /* loaded another root since: nothing of b->vm is cached here */
	if (b->drop) {
		write_cr3(kmap_root());
		cpu_vm[me] = NULL;
		__atomic_fetch_and(&b->vm->cpu_mask, ~cpu_bit(me), __ATOMIC_SEQ_CST);
		return;
	}
	if (b->full) {
		write_cr3(read_cr3());
		__atomic_add_fetch(&tlb_stats.full_flushes, 1, __ATOMIC_RELAXED);
		return;
	}
	invalidate_ranges(b);
}

/* Serves b on this CPU; interrupts are off. */
static void flush_here(const struct tlb_batch *b, unsigned me)
{
	if (b->vm)
		flush_user_here(b, me);
	else
		flush_kernel_here(b);
}

/* Debug builds: a deferred page must still be held while any CPU flushes it. */
static void check_pages_held(const struct tlb_batch *b)
{
	if (!CONFIG_DEBUG)
		return;
	for (unsigned i = 0; i < b->npages; i++)
		if (__atomic_load_n(&b->pages[i]->refcount, __ATOMIC_ACQUIRE) <= 0)
			panic("tlb: page %p freed before CPU %u flushed it", (void *)b->pages[i],
			      smp_this_cpu_id());
}

void tlb_poll(void)
{
	unsigned me = smp_this_cpu_id();
	uint64_t from;

	if (!__atomic_load_n(&inbox[me], __ATOMIC_RELAXED))
		return;
	from = __atomic_exchange_n(&inbox[me], 0, __ATOMIC_ACQ_REL);
	while (from) {
		struct tlb_request *r = &requests[__builtin_ctzll(from)];

		from &= from - 1;
		check_pages_held(r->batch);
		flush_here(r->batch, me);
		__atomic_add_fetch(&tlb_stats.remote_flushes, 1, __ATOMIC_RELAXED);
		__atomic_fetch_and(&r->pending, ~cpu_bit(me), __ATOMIC_RELEASE);
	}
}

/* The CPUs besides this one that may hold the batch's translations. */
static uint64_t targets_of(const struct tlb_batch *b, unsigned me)
{
	uint64_t mask = 0;

	__atomic_thread_fence(__ATOMIC_SEQ_CST); /* the table changes before the mask read */
	if (b->vm)
		mask = __atomic_load_n(&b->vm->cpu_mask, __ATOMIC_SEQ_CST);
	else
		for_each_online_cpu(cpu) mask |= cpu_bit(cpu);
	return mask & ~cpu_bit(me);
}

/* One IPI round: posts b to the targets and waits until each has flushed. Interrupts off. */
static void shoot(const struct tlb_batch *b, unsigned me, uint64_t targets)
{
	struct tlb_request *r = &requests[me];

	r->batch = b;
	__atomic_store_n(&r->pending, targets, __ATOMIC_SEQ_CST);
	for (uint64_t t = targets; t; t &= t - 1) {
		unsigned cpu = __builtin_ctzll(t);

		__atomic_fetch_or(&inbox[cpu], cpu_bit(me), __ATOMIC_SEQ_CST);
		smp_send_ipi(cpu, VEC_IPI_TLB);
		__atomic_add_fetch(&tlb_stats.ipis, 1, __ATOMIC_RELAXED);
	}
	while (__atomic_load_n(&r->pending, __ATOMIC_ACQUIRE)) {
		tlb_poll();
		smp_poll_calls(); /* a target may be in smp_call_others, waiting for this CPU */
		cpu_relax();
	}
	__atomic_add_fetch(&tlb_stats.rounds, 1, __ATOMIC_RELAXED);
}

/* tlb_batch_flush's body (include/mm/tlb.h), for a batch with something in it. */
void tlb_batch_flush_now(struct tlb_batch *b)
{
	unsigned long irq;
	unsigned me;
	uint64_t targets;

	irq = irq_save();
	me = this_cpu()->cpu_id;
	flush_here(b, me);
	/* Only this CPU is up: no other can hold a translation. */
	targets = percpu_cpus_online() > 1 ? targets_of(b, me) : 0;
	if (targets)
		shoot(b, me, targets);
	irq_restore(irq);
	__atomic_add_fetch(&tlb_stats.flushes, 1, __ATOMIC_RELAXED);
	tlb_batch_release(b);
}

/* VEC_IPI_TLB, in an interrupt on a target CPU. */
static void tlb_ipi(struct trap_frame *f, void *ctx)
{
	(void)f;
	(void)ctx;
	tlb_poll();
}

void tlb_init(void)
{
	irq_register(VEC_IPI_TLB, tlb_ipi, NULL);
}

void tlb_release_vm(struct vm_space *vm)
{
	struct tlb_batch b;

	tlb_batch_init(&b, vm);
	b.drop = true;
	tlb_batch_flush(&b);
	if (__atomic_load_n(&vm->cpu_mask, __ATOMIC_SEQ_CST))
		panic("tlb: a destroyed space is still loaded (mask %#llx)",
		      (unsigned long long)vm->cpu_mask);
	/* Debug builds: no CPU has it loaded outside the mask either (it is about to be freed). */
	for_each_online_cpu(cpu) if (CONFIG_DEBUG && READ_ONCE(cpu_vm[cpu]) == vm)
		panic("tlb: CPU %u still has a destroyed space %p loaded", cpu, (void *)vm);
}
