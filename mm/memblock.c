/*
 * Boot-time memory (include/mm/memblock.h). Called from kmain in this
 * order: memblock_init (after multiboot_parse), memblock_alloc for the
 * kernel page tables (mm/kmap.c), then memblock_handover once the final
 * page tables map all RAM. Once the initramfs is unpacked, kmain gives
 * its boot module's pages to the page allocator (memblock_release_module).
 */
#include <mm/memblock.h>
#include <kernel/boot.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <lib/compiler.h>
#include <lib/string.h>

extern char _load_start[], _kernel_end_phys[];

#define LOW_MEMORY_END 0x100000ULL

struct free_range {
	uint64_t base, end;
};

static struct free_range free_ranges[BOOT_MAX_RANGES * 2]; /* boot only, one CPU */
static unsigned nr_free;				   /* boot only */
static phys_addr_t ram_end;				   /* boot only */

/* Removes [base, end) from every free range, splitting where needed. */
static void reserve(uint64_t base, uint64_t end)
{
	if (end <= base)
		return;
	for (unsigned i = 0; i < nr_free; i++) {
		struct free_range *r = &free_ranges[i];

		if (end <= r->base || base >= r->end)
			continue;
		if (base > r->base && end < r->end) {
			if (nr_free == ARRAY_SIZE(free_ranges))
				panic("memblock: memory map too fragmented");
			free_ranges[nr_free++] = (struct free_range){ end, r->end };
			r->end = base;
		} else if (base > r->base) {
			r->end = base;
		} else {
			r->base = MIN(end, r->end);
		}
	}
}

/* Adds a usable range; a memory map that lists RAM twice must not free it twice. */
static void add_free(uint64_t base, uint64_t end)
{
	reserve(base, end);
	if (nr_free == ARRAY_SIZE(free_ranges))
		panic("memblock: memory map too fragmented");
	free_ranges[nr_free++] = (struct free_range){ base, end };
}

void memblock_init(void)
{
	for (unsigned i = 0; i < boot_info.nr_ranges; i++) {
		const struct mem_range *m = &boot_info.ranges[i];
		uint64_t base = ALIGN_UP(m->base, PAGE_SIZE);
		uint64_t end = ALIGN_DOWN(m->base + m->length, PAGE_SIZE);

		if (m->type != MEM_USABLE || end <= base || m->base + m->length < m->base)
			continue;
		add_free(base, end);
		ram_end = MAX(ram_end, end);
	}
	reserve(0, LOW_MEMORY_END);
	reserve((uintptr_t)_load_start, ALIGN_UP((uintptr_t)_kernel_end_phys, PAGE_SIZE));
	for (unsigned i = 0; i < boot_info.nr_modules; i++)
		reserve(ALIGN_DOWN(boot_info.modules[i].start, PAGE_SIZE),
			ALIGN_UP(boot_info.modules[i].end, PAGE_SIZE));
}

phys_addr_t memblock_alloc(uint64_t size, phys_addr_t limit)
{
	size = ALIGN_UP(size, PAGE_SIZE);
	for (unsigned i = 0; i < nr_free; i++) {
		struct free_range *r = &free_ranges[i];
		phys_addr_t pa = r->base;

		if (r->end - r->base < size || pa + size > limit)
			continue;
		r->base += size;
		memset(phys_to_virt(pa), 0, size);
		return pa;
	}
	panic("memblock: no %llu bytes of free memory below %#llx", (unsigned long long)size,
	      (unsigned long long)limit);
}

phys_addr_t memblock_ram_end(void)
{
	return ram_end;
}

void memblock_handover(void)
{
	uint64_t bytes;

	max_pfn = ram_end >> PAGE_SHIFT;
	bytes = max_pfn * sizeof(struct page);
	page_array = phys_to_virt(memblock_alloc(bytes, ~0ULL));
	for (pfn_t pfn = 0; pfn < max_pfn; pfn++) {
		list_init(&page_array[pfn].list);
		page_array[pfn].flags = PG_RESERVED;
	}
	page_allocator_init();
	for (unsigned i = 0; i < nr_free; i++)
		if (free_ranges[i].end > free_ranges[i].base)
			page_allocator_add_range(free_ranges[i].base >> PAGE_SHIFT,
						 free_ranges[i].end >> PAGE_SHIFT);
	nr_free = 0;
}

static bool overlaps(uint64_t base, uint64_t end, uint64_t b2, uint64_t e2)
{
	return base < e2 && b2 < end;
}

/* Whether [base, end) touches what boot keeps for good: low memory, the kernel, another module. */
static bool kept_at_boot(uint64_t base, uint64_t end, unsigned except)
{
	if (base < LOW_MEMORY_END ||
	    overlaps(base, end, (uintptr_t)_load_start, (uintptr_t)_kernel_end_phys))
		return true;
	for (unsigned i = 0; i < boot_info.nr_modules; i++)
		if (i != except &&
		    overlaps(base, end, boot_info.modules[i].start, boot_info.modules[i].end))
			return true;
	return false;
}

/* Gives the frames of [lo, hi) still reserved to the page allocator, in runs; how many. */
static uint64_t release_reserved(pfn_t lo, pfn_t hi)
{
	uint64_t pages = 0;

	while (lo < hi) {
		pfn_t end = lo;

		while (end < hi && (pfn_to_page(end)->flags & PG_RESERVED))
			end++;
		if (end > lo) /* a memory map listing RAM twice must not free it twice */
			page_allocator_add_range(lo, end);
		pages += end - lo;
		lo = end + 1;
	}
	return pages;
}

/* Hands the reserved frames of [base, end) that are usable RAM to the page allocator. */
static uint64_t release_ram(uint64_t base, uint64_t end)
{
	uint64_t pages = 0;

	for (unsigned i = 0; i < boot_info.nr_ranges; i++) {
		const struct mem_range *m = &boot_info.ranges[i];
		uint64_t lo = MAX(base, ALIGN_UP(m->base, PAGE_SIZE));
		uint64_t hi = MIN(end, ALIGN_DOWN(m->base + m->length, PAGE_SIZE));

		hi = MIN(hi, (uint64_t)max_pfn << PAGE_SHIFT);
		if (m->type == MEM_USABLE && lo < hi)
			pages += release_reserved(lo >> PAGE_SHIFT, hi >> PAGE_SHIFT);
	}
	return pages;
}

uint64_t memblock_release_module(unsigned idx)
{
	const struct boot_module *m = &boot_info.modules[idx];
	uint64_t base, end;

	if (idx >= boot_info.nr_modules)
		return 0;
	base = ALIGN_UP(m->start, PAGE_SIZE);
	end = ALIGN_DOWN(m->end, PAGE_SIZE);
	if (end <= base || kept_at_boot(base, end, idx))
		return 0;
	return release_ram(base, end);
}
