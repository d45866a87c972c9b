/*
 * In-kernel self-tests of TLB shootdown (mm/tlb.c, mm/tlb_batch.c): a
 * batch keeps its pages until the flush and frees them after; a kernel
 * page unmapped through a batch faults at once on this CPU and, with more
 * than one CPU online, costs one IPI round that every other CPU answers;
 * a user space's CPU mask follows the CPUs that load it, and its release
 * leaves no CPU on it.
 */
#include <kernel/ktest.h>
#include <kernel/smp.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/layout.h>
#include <arch/x86_64/probe.h>
#include <mm/kmap.h>
#include <mm/kstack.h>
#include <mm/page.h>
#include <mm/tlb.h>
#include <mm/vm.h>
#include <uapi/errno.h>

static uint64_t stat(const uint64_t *counter)
{
	return __atomic_load_n(counter, __ATOMIC_RELAXED);
}

KTEST(tlb_batch_frees_after_flush)
{
	struct page *p = alloc_page();
	struct tlb_batch b;

	KT_ASSERT(p);
	tlb_batch_init(&b, NULL);
	tlb_batch_add_range(&b, KSTACK_AREA_BASE, KSTACK_AREA_BASE + PAGE_SIZE);
	tlb_batch_put_page(&b, p);
	KT_ASSERT(__atomic_load_n(&p->refcount, __ATOMIC_RELAXED) == 1); /* held until the flush */
	tlb_batch_flush(&b);
	KT_ASSERT(__atomic_load_n(&p->refcount, __ATOMIC_RELAXED) == 0);
	KT_ASSERT(tlb_batch_empty(&b));
}

KTEST(tlb_kernel_unmap_faults_everywhere)
{
	uint64_t rounds = stat(&tlb_stats.rounds), remote = stat(&tlb_stats.remote_flushes);
	uint64_t free_before, v = 0;
	struct kstack s;

	KT_ASSERT(kstack_alloc(&s) == 0);
	*(volatile uint64_t *)s.base = 42; /* the translation is now cached here */
	KT_ASSERT(probe_read_u64(s.base, &v) == 0 && v == 42);
	free_before = free_page_count();
	kstack_free(&s);
	KT_ASSERT(probe_read_u64(s.base, &v) == -EFAULT);
	KT_ASSERT(free_page_count() >= free_before + KSTACK_PAGES - 1);
	if (smp_cpus_online() > 1) {
		/* One round for the whole stack, answered by every other CPU. */
		KT_ASSERT(stat(&tlb_stats.rounds) >= rounds + 1);
		KT_ASSERT(stat(&tlb_stats.remote_flushes) >= remote + smp_cpus_online() - 1);
	}
}

KTEST(tlb_cpu_mask_follows_loads)
{
	uint64_t me = 1ULL << smp_this_cpu_id();
	struct vm_space *vm = vm_create();

	KT_ASSERT(vm);
	vm_activate(vm);
	KT_ASSERT(read_cr3() == virt_to_phys(vm->pml4));
	KT_ASSERT(__atomic_load_n(&vm->cpu_mask, __ATOMIC_RELAXED) & me);
	vm_activate(NULL);
	KT_ASSERT(!(__atomic_load_n(&vm->cpu_mask, __ATOMIC_RELAXED) & me));
	vm_activate(vm);
	vm_put(vm); /* the last user: this CPU leaves it (tlb_release_vm panics otherwise) */
	KT_ASSERT(read_cr3() == kmap_root());
}

KTEST(tlb_unmap_frees_user_pages_after_flush)
{
	struct vm_space *vm = vm_create();
	uint64_t flushes = stat(&tlb_stats.flushes), before;
	long addr;
	char byte = 7;

	KT_ASSERT(vm);
	addr = vm_map(vm, 0, 16 * PAGE_SIZE, PROT_READ | PROT_WRITE, 0, false);
	KT_ASSERT(addr > 0);
	for (int i = 0; i < 16; i++)
		KT_ASSERT(vm_write_anyway(vm, addr + i * PAGE_SIZE, &byte, 1) == 0);
	KT_ASSERT(vm->resident_pages == 16);
	before = free_page_count();
	KT_ASSERT(vm_unmap(vm, addr, 16 * PAGE_SIZE) == 0);
	KT_ASSERT(vm->resident_pages == 0);
	KT_ASSERT(stat(&tlb_stats.flushes) == flushes + 1); /* one batch for the whole call */
	KT_ASSERT(free_page_count() >= before + 16);
	vm_put(vm);
}
