/*
 * Builds and loads a CPU's GDT and TSS (include/arch/x86_64/gdt.h).
 * Called once per CPU from percpu_init_*.
 */
#include <arch/x86_64/gdt.h>
#include <lib/string.h>

#define SEG_CODE64_KERNEL 0x00af9a000000ffffULL
#define SEG_DATA_KERNEL	  0x00cf92000000ffffULL
#define SEG_DATA_USER	  0x00cff2000000ffffULL
#define SEG_CODE64_USER	  0x00affa000000ffffULL

struct descriptor_ptr {
	uint16_t limit;
	uint64_t base;
} __attribute__((packed));

static void gdt_set_tss(struct gdt_set *g)
{
	uint64_t base = (uint64_t)&g->tss;
	uint64_t limit = sizeof(g->tss) - 1;

	g->entries[5] = (limit & 0xffff) | ((base & 0xffffff) << 16) | (0x89ULL << 40) |
			(((limit >> 16) & 0xf) << 48) | (((base >> 24) & 0xff) << 56);
	g->entries[6] = base >> 32;
}

void gdt_init(struct gdt_set *g, uint64_t df_stack_top, uint64_t nmi_stack_top)
{
	struct descriptor_ptr ptr = { sizeof(g->entries) - 1, (uint64_t)g->entries };

	memset(g, 0, sizeof(*g));
	g->entries[1] = SEG_CODE64_KERNEL;
	g->entries[2] = SEG_DATA_KERNEL;
	g->entries[3] = SEG_DATA_USER;
	g->entries[4] = SEG_CODE64_USER;
	g->tss.ist[IST_DOUBLE_FAULT - 1] = df_stack_top;
	g->tss.ist[IST_NMI - 1] = nmi_stack_top;
	g->tss.iomap_base = sizeof(g->tss);
	gdt_set_tss(g);

	__asm__ volatile("lgdt %0\n\t"
			 "pushq %1\n\t"
			 "leaq 1f(%%rip), %%rax\n\t"
			 "pushq %%rax\n\t"
			 "lretq\n"
			 "1:\n\t"
			 "mov %k2, %%ds\n\t"
			 "mov %k2, %%es\n\t"
			 "mov %k2, %%ss\n\t"
			 "ltr %w3"
			 :
			 : "m"(ptr), "i"(SEL_KERNEL_CODE), "r"((uint64_t)SEL_KERNEL_DATA),
			   "r"((uint64_t)SEL_TSS)
			 : "rax", "memory");
}
