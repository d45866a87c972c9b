/*
 * Kernel page tables (include/mm/kmap.h). kmap_init runs once on the boot
 * CPU, before the page allocator exists, so its table pages come from
 * memblock (below 4 GiB, where the boot tables' direct map reaches); later
 * mappings take zeroed pages from the page allocator.
 */
#include <mm/kmap.h>
#include <mm/memblock.h>
#include <mm/tlb.h>
#include <kernel/boot.h>
#include <kernel/panic.h>
#include <kernel/spinlock.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/layout.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>

#define LARGE_PAGE_SIZE (1ULL << 21)
#define KERNEL_FLAGS	(PTE_P | PTE_G)

extern char _text_start[], _text_end[], _rodata_start[], _rodata_end[];
extern char _data_start[], _kernel_end[], boot_stack_guard[];

static pte_t *kernel_pml4; /* [I] (the table itself: kmap_lock) */
static spinlock_t kmap_lock = SPINLOCK_INIT("kmap");
static bool booting = true;		     /* [I] true until kmap_init ends (one CPU) */
static uintptr_t mmio_next = MMIO_AREA_BASE; /* (kmap_lock) */

static void *table_page(void)
{
	if (booting)
		return phys_to_virt(memblock_alloc(PAGE_SIZE, 1ULL << 32));
	return page_alloc_zeroed();
}

static unsigned index_at(uintptr_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* The entry for va at `level` (0 = 4 KiB leaf, 1 = 2 MiB), making tables on the way. */
static pte_t *walk_create(uintptr_t va, int level)
{
	pte_t *table = kernel_pml4;

	for (int l = 3; l > level; l--) {
		pte_t *e = &table[index_at(va, l)];

		if (!(*e & PTE_P)) {
			void *next = table_page();

			if (!next)
				return NULL;
			*e = virt_to_phys(next) | PTE_P | PTE_W;
		}
		if (*e & PTE_PS)
			panic("kmap: %#lx is inside a large page", (unsigned long)va);
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[index_at(va, level)];
}

pte_t kmap_lookup(uintptr_t va)
{
	pte_t *table = kernel_pml4;

	for (int l = 3; l >= 0; l--) {
		pte_t e = table[index_at(va, l)];

		if (!(e & PTE_P))
			return 0;
		if (l == 0 || (e & PTE_PS))
			return e;
		table = phys_to_virt(e & PTE_ADDR);
	}
	return 0;
}

int kmap_map_page(uintptr_t va, phys_addr_t pa, pte_t flags)
{
	unsigned long irq = spin_lock_irqsave(&kmap_lock);
	pte_t *e = walk_create(va, 0);

	if (e)
		*e = pa | flags | PTE_P;
	spin_unlock_irqrestore(&kmap_lock, irq);
	return e ? 0 : -ENOMEM;
}

phys_addr_t kmap_unmap_page(uintptr_t va, struct tlb_batch *tlb)
{
	unsigned long irq = spin_lock_irqsave(&kmap_lock);
	pte_t e = kmap_lookup(va);
	phys_addr_t pa = 0;

	if (e && !(e & PTE_PS)) {
		*walk_create(va, 0) = 0;
		tlb_batch_add_range(tlb, ALIGN_DOWN(va, PAGE_SIZE),
				    ALIGN_DOWN(va, PAGE_SIZE) + PAGE_SIZE);
		pa = e & PTE_ADDR;
	}
	spin_unlock_irqrestore(&kmap_lock, irq);
	return pa;
}

/* Maps [va, va + size) to pa with 4 KiB pages. Caller holds kmap_lock (or is booting). */
static int map_range_small(uintptr_t va, phys_addr_t pa, uint64_t size, pte_t flags)
{
	ASSERT(booting || spin_held(&kmap_lock));
	for (uint64_t off = 0; off < size; off += PAGE_SIZE) {
		pte_t *e = walk_create(va + off, 0);

		if (!e)
			return -ENOMEM;
		*e = ((pa + off) & PTE_ADDR) | flags;
	}
	return 0;
}

/* Direct map of one RAM range; the kernel image's frames are mapped read-only. */
static void map_direct(phys_addr_t base, phys_addr_t end)
{
	phys_addr_t img_start = (uintptr_t)_text_start - KERNEL_VMA;
	phys_addr_t img_end = (uintptr_t)_kernel_end - KERNEL_VMA;

	for (phys_addr_t pa = base; pa < end;) {
		bool in_image = pa >= img_start && pa < img_end;
		bool large = !(pa & (LARGE_PAGE_SIZE - 1)) && pa + LARGE_PAGE_SIZE <= end &&
			     (pa + LARGE_PAGE_SIZE <= img_start || pa >= img_end);
		pte_t flags = KERNEL_FLAGS | PTE_NX | (in_image ? 0 : PTE_W);

		if (large) {
			*walk_create(DIRECT_MAP_BASE + pa, 1) = pa | flags | PTE_PS;
			pa += LARGE_PAGE_SIZE;
		} else {
			*walk_create(DIRECT_MAP_BASE + pa, 0) = pa | flags;
			pa += PAGE_SIZE;
		}
	}
}

/*
 * The RAM to direct-map: usable and ACPI-data ranges, page aligned, sorted
 * and merged, so that no 2 MiB chunk is claimed by two ranges.
 */
static unsigned direct_map_ranges(struct mem_range *out)
{
	unsigned n = 0;

	for (unsigned i = 0; i < boot_info.nr_ranges; i++) {
		const struct mem_range *m = &boot_info.ranges[i];
		uint64_t base = ALIGN_DOWN(m->base, PAGE_SIZE);
		uint64_t end = ALIGN_UP(m->base + m->length, PAGE_SIZE);
		unsigned j = n;

		if ((m->type != MEM_USABLE && m->type != MEM_ACPI_RECLAIM) || end <= base)
			continue;
		for (; j > 0 && out[j - 1].base > base; j--)
			out[j] = out[j - 1];
		out[j] = (struct mem_range){ base, end - base, MEM_USABLE };
		n++;
	}
	for (unsigned i = 1; i < n;) {
		struct mem_range *prev = &out[i - 1];

		if (out[i].base > prev->base + prev->length) {
			i++;
			continue;
		}
		prev->length = MAX(prev->base + prev->length, out[i].base + out[i].length) -
			       prev->base;
		memmove(&out[i], &out[i + 1], (n - i - 1) * sizeof(*out));
		n--;
	}
	return n;
}

static void map_image_section(char *start, char *end, pte_t flags)
{
	if (map_range_small((uintptr_t)start, (uintptr_t)start - KERNEL_VMA, end - start,
			    flags | KERNEL_FLAGS))
		panic("kmap: out of boot memory for the kernel image's page tables");
}

void kmap_init(void)
{
	static struct mem_range ram[BOOT_MAX_RANGES];
	unsigned n = direct_map_ranges(ram);

	kernel_pml4 = table_page();
	for (unsigned i = 0; i < n; i++)
		map_direct(ram[i].base, ram[i].base + ram[i].length);
	map_image_section(_text_start, _text_end, 0);
	map_image_section(_rodata_start, _rodata_end, PTE_NX);
	map_image_section(_data_start, boot_stack_guard, PTE_W | PTE_NX);
	map_image_section(boot_stack_guard + PAGE_SIZE, _kernel_end, PTE_W | PTE_NX);
	/* Pre-create the PML4 entries of the upper half so all address spaces share them. */
	for (unsigned i = 256; i < 512; i++)
		if (!(kernel_pml4[i] & PTE_P))
			kernel_pml4[i] = virt_to_phys(table_page()) | PTE_P | PTE_W;
	write_cr3(virt_to_phys(kernel_pml4));
	cpu_enable_protection();
	booting = false;
}

phys_addr_t kmap_root(void)
{
	return virt_to_phys(kernel_pml4);
}

static void *map_window(phys_addr_t pa, uint64_t size, pte_t cache)
{
	phys_addr_t base = ALIGN_DOWN(pa, PAGE_SIZE);
	uint64_t len = ALIGN_UP(pa + size, PAGE_SIZE) - base;
	unsigned long irq = spin_lock_irqsave(&kmap_lock);
	uintptr_t va = mmio_next;

	if (va + len > MMIO_AREA_BASE + MMIO_AREA_SIZE)
		panic("kmap: MMIO area exhausted");
	mmio_next += len + PAGE_SIZE; /* one unmapped page between windows */
	if (map_range_small(va, base, len, KERNEL_FLAGS | PTE_W | PTE_NX | cache))
		panic("kmap: out of memory for MMIO page tables");
	spin_unlock_irqrestore(&kmap_lock, irq);
	return (void *)(va + (pa - base));
}

void *ioremap(phys_addr_t pa, uint64_t size)
{
	return map_window(pa, size, PTE_PCD | PTE_PWT);
}

void *memremap(phys_addr_t pa, uint64_t size)
{
	return map_window(pa, size, 0);
}
