/*
 * In-kernel self-tests of memory management: the page allocator over real
 * RAM, kmalloc, the W^X kernel mappings, guard pages and kernel stacks;
 * the OOM killer's order and reclaim.
 */
#include <kernel/ktest.h>
#include <kernel/smp.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/layout.h>
#include <arch/x86_64/probe.h>
#include <mm/kmap.h>
#include <mm/kstack.h>
#include <mm/oom.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <lib/string.h>
#include <uapi/errno.h>

extern char _text_start[], _rodata_start[], _data_start[], boot_stack_guard[];
void kmain(uint32_t magic, uint32_t info);

static const char rodata_probe[] = "read-only";
static int data_probe = 1;

KTEST(page_alloc_orders)
{
	uint64_t before = free_page_count();
	struct page *p[6];

	for (unsigned o = 0; o < 6; o++) {
		p[o] = alloc_pages(o);
		KT_ASSERT(p[o] != NULL);
		KT_ASSERT((page_to_pfn(p[o]) & ((1u << o) - 1)) == 0);
		memset(page_address(p[o]), 0xab, PAGE_SIZE << o);
	}
	for (unsigned o = 0; o < 6; o++)
		free_pages(p[o], o);
	KT_ASSERT(free_page_count() == before);
	KT_ASSERT(page_allocator_check() == 0);
}

KTEST(kmalloc_sizes)
{
	uint64_t before = free_page_count();
	void *blocks[64];

	for (int round = 0; round < 3; round++) {
		for (int i = 0; i < 64; i++) {
			size_t size = 1 + (size_t)i * 97;

			blocks[i] = kmalloc(size);
			KT_ASSERT(blocks[i] != NULL);
			KT_ASSERT(ksize(blocks[i]) >= size);
			memset(blocks[i], i, size);
		}
		for (int i = 0; i < 64; i++)
			kfree(blocks[i]);
	}
	/* Caches may keep one empty slab each; nothing more. */
	KT_ASSERT((int64_t)(before - free_page_count()) <= 16);
}

KTEST(wx_kernel_image)
{
	pte_t text = kmap_lookup((uintptr_t)kmain);
	pte_t ro = kmap_lookup((uintptr_t)rodata_probe);
	pte_t data = kmap_lookup((uintptr_t)&data_probe);

	KT_ASSERT((text & PTE_P) && !(text & PTE_W) && !(text & PTE_NX));
	KT_ASSERT((ro & PTE_P) && !(ro & PTE_W) && (ro & PTE_NX));
	KT_ASSERT((data & PTE_P) && (data & PTE_W) && (data & PTE_NX));
	KT_ASSERT(!(text & PTE_U) && !(data & PTE_U));
}

KTEST(wx_direct_map)
{
	void *page = page_alloc_zeroed();
	pte_t e, alias;

	KT_ASSERT(page != NULL);
	e = kmap_lookup((uintptr_t)page);
	/* The direct-map alias of kernel text must not be writable either. */
	alias = kmap_lookup((uintptr_t)phys_to_virt((uintptr_t)_text_start - KERNEL_VMA));
	page_free_addr(page);
	KT_ASSERT((e & PTE_P) && (e & PTE_W) && (e & PTE_NX));
	KT_ASSERT((alias & PTE_P) && !(alias & PTE_W) && (alias & PTE_NX));
}

KTEST(guard_pages_unmapped)
{
	struct kstack s;

	KT_ASSERT(kmap_lookup((uintptr_t)boot_stack_guard) == 0);
	KT_ASSERT(kstack_alloc(&s) == 0);
	KT_ASSERT(kmap_lookup(s.base - PAGE_SIZE) == 0);
	KT_ASSERT(kstack_is_guard(s.base - 1));
	KT_ASSERT(kmap_lookup(s.base) & PTE_P);
	KT_ASSERT(kmap_lookup(s.top - 1) & PTE_P);
	KT_ASSERT(!kstack_is_guard(s.base));
	kstack_free(&s);
	KT_ASSERT(kmap_lookup(s.base) == 0);
}

KTEST(low_memory_not_mapped)
{
	/* The boot identity map is gone: a NULL-page access must fault. */
	uint64_t v;

	KT_ASSERT(kmap_lookup(0) == 0);
	KT_ASSERT(kmap_lookup(0x100000) == 0);
	KT_ASSERT(probe_read_u64(0x1000, &v) == -EFAULT);
}

KTEST(probe_read_fixup)
{
	uint64_t v = 0, word = 0x1122334455667788ULL;

	KT_ASSERT(probe_read_u64((uintptr_t)&word, &v) == 0 && v == word);
	/* Non-canonical (general protection) and unmapped (page fault) addresses. */
	KT_ASSERT(probe_read_u64(0x8000000000000000ULL, &v) == -EFAULT);
	KT_ASSERT(probe_read_u64(KSTACK_AREA_BASE, &v) == -EFAULT);
}

KTEST(cpu_protection_features)
{
	uint32_t r[4];
	uint64_t cr4 = read_cr4();

	cpuid(7, 0, r);
	KT_ASSERT(read_cr0() & CR0_WP);
	KT_ASSERT(rdmsr(MSR_EFER) & (1 << 11)); /* NXE */
	KT_ASSERT(cr4 & CR4_PGE);
	KT_ASSERT(!(r[1] & (1 << 7)) || (cr4 & CR4_SMEP));
	KT_ASSERT(!(r[1] & (1 << 20)) || (cr4 & CR4_SMAP));
}

/* The OOM killer's order (mm/oom.c): rss, moved by oom_score_adj; -1000 never. */
KTEST(oom_badness_order)
{
	uint64_t total = 32768; /* 128 MiB */

	KT_ASSERT(oom_badness(10000, OOM_SCORE_ADJ_MIN, total) == 0);
	KT_ASSERT(oom_badness(20000, 0, total) > oom_badness(10000, 0, total));
	/* +1000: a small process goes before any other. */
	KT_ASSERT(oom_badness(10, 1000, total) > oom_badness(30000, 0, total));
	/* -500: half of memory less; never below 1 (still killable). */
	KT_ASSERT(oom_badness(20000, -500, total) < oom_badness(10000, 0, total));
	KT_ASSERT(oom_badness(10, -999, total) == 1);
	KT_ASSERT(oom_badness(0, 0, total) == 1);
}

/* Only user processes are ever chosen: in a self-test boot there is none (kernel threads only). */
KTEST(oom_never_kernel_threads)
{
	KT_ASSERT(oom_pick_victim_pid() == 0);
	KT_ASSERT(oom_score_of(1) == -ESRCH || oom_score_of(1) == 0); /* init: never */
}

/* Reclaim runs from a kernel thread too; fork's reserve check is stable. */
KTEST(reclaim_now_runs)
{
	size_t freed = reclaim_now(64);

	KT_ASSERT(freed <= free_page_count());
	KT_ASSERT(page_user_reserve() >= 128 && page_user_reserve() <= 2048);
	KT_ASSERT(page_allocator_check() == 0);
}

/* ---- the per-CPU slab magazines ---- */

static struct kmem_cache mag_test_cache; /* its own lock; initialised once */

struct mag_worker {
	volatile bool start;
	volatile unsigned seen;
};

/* On its CPU: takes objects and gives them back, so that the CPU's magazine keeps some. */
static void mag_worker_fn(void *arg)
{
	struct mag_worker *w = arg;
	void *objs[40];

	while (!READ_ONCE(w->start))
		thread_sleep_ns(NSEC_PER_MSEC);
	thread_sleep_ns(NSEC_PER_MSEC);
	for (unsigned i = 0; i < ARRAY_SIZE(objs); i++)
		objs[i] = kmem_cache_alloc(&mag_test_cache);
	for (unsigned i = 0; i < ARRAY_SIZE(objs); i++)
		if (objs[i])
			kmem_cache_free(&mag_test_cache, objs[i]);
	w->seen = smp_this_cpu_id();
}

KTEST(slab_drain_empties_every_cpus_magazines)
{
	static bool ready;
	struct kmem_cache *c = &mag_test_cache;
	unsigned n = smp_cpus_online();

	if (!ready) {
		kmem_cache_init(c, "kt-mag", 96, 16);
		ready = true;
	}
	for (unsigned cpu = 0; cpu < n; cpu++) {
		struct mag_worker w = { .seen = ~0u };
		struct thread *t = kthread_create("kt-mag", mag_worker_fn, &w);

		KT_ASSERT(t != NULL);
		KT_ASSERT(sched_set_affinity(t, 1ull << cpu) == 0);
		WRITE_ONCE(w.start, true);
		KT_ASSERT(kthread_join(t) == 0);
		KT_ASSERT(w.seen == cpu);
		KT_ASSERT(READ_ONCE(c->mag[cpu].count) > 0);
	}
	KT_ASSERT(kmem_cache_in_use(c) == 0);
	slab_drain();
	for_each_online_cpu(cpu) KT_ASSERT(READ_ONCE(c->mag[cpu].count) == 0);
	KT_ASSERT(c->active_objects == 0);
	KT_ASSERT(c->slabs <= 1);
	slab_reclaim(); /* and the empty slab kept goes too */
	KT_ASSERT(c->slabs == 0);
}
