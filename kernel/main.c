/*
 * kmain: the boot CPU's path from the 64-bit entry (arch/x86_64/boot.S)
 * to a running system. It brings up, in order: per-CPU data and traps, the
 * console, the boot information, memory (boot allocator, final page
 * tables, page allocator, kmalloc), interrupt controllers and the timer,
 * the scheduler; then prints the banner and starts the first kernel
 * thread: the self-tests when the command line asks for them, otherwise
 * the kernel monitor on the console. The boot context becomes CPU 0's
 * idle thread.
 */
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/layout.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/trap.h>
#include <drivers/uart.h>
#include <kernel/boot.h>
#include <kernel/cmdline.h>
#include <kernel/ktest.h>
#include <kernel/monitor.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <mm/kmap.h>
#include <mm/memblock.h>
#include <mm/page.h>
#include <mm/slab.h>

#define AXOLOTL_VERSION "0.1"

extern char _load_start[], _kernel_end_phys[];

static void apply_log_parameters(void)
{
	if (cmdline_has(&kernel_cmdline, "quiet"))
		printk_set_console_level(LOG_ERR);
	if (cmdline_has(&kernel_cmdline, "loglevel"))
		printk_set_console_level(cmdline_get_u64(&kernel_cmdline, "loglevel", LOG_INFO));
}

static void memory_init(void)
{
	memblock_init();
	kmap_init();
	memblock_handover();
	kmalloc_init();
}

static void interrupts_init(void)
{
	acpi_init();
	pic_disable();
	lapic_init();
	ioapic_init();
	timer_init();
	uart_enable_rx();
}

void print_memory_map(void)
{
	kprintf("memory map:\n");
	for (unsigned i = 0; i < boot_info.nr_ranges; i++) {
		const struct mem_range *r = &boot_info.ranges[i];

		kprintf("  %016lx-%016lx %-10s %8lu KiB\n", (unsigned long)r->base,
			(unsigned long)(r->base + r->length - 1), mem_type_name(r->type),
			(unsigned long)(r->length >> 10));
	}
	kprintf("memory: %lu KiB free of %lu KiB managed; kernel image %lu KiB\n",
		(unsigned long)(free_page_count() * PAGE_SIZE >> 10),
		(unsigned long)(total_page_count() * PAGE_SIZE >> 10),
		(unsigned long)(((uintptr_t)_kernel_end_phys - (uintptr_t)_load_start) >> 10));
}

static void banner(void)
{
	uint64_t kernel_ns = clock_ns();

	kprintf("\nAxolotl %s (x86-64): %u CPU(s) found, 1 running\n", AXOLOTL_VERSION,
		madt.nr_cpus);
	print_memory_map();
	/* Under QEMU the TSC starts at reset, so it also times firmware and loader. */
	kprintf("boot: %lu.%03lu ms in the kernel, %lu.%03lu ms since power-on\n",
		(unsigned long)(kernel_ns / NSEC_PER_MSEC),
		(unsigned long)(kernel_ns / NSEC_PER_USEC % 1000),
		(unsigned long)(tsc_to_ns(rdtsc()) / NSEC_PER_MSEC),
		(unsigned long)(tsc_to_ns(rdtsc()) / NSEC_PER_USEC % 1000));
}

static void start_first_thread(void)
{
	const char *sel = cmdline_get(&kernel_cmdline, "ktest");
	struct thread *t;

	if (sel && *sel)
		t = kthread_create("ktest", ktest_main, (void *)sel);
	else
		t = kthread_create("monitor", monitor_main, NULL);
	if (!t)
		panic("cannot create the first kernel thread");
	kthread_detach(t);
}

__attribute__((noreturn)) void kmain(uint32_t magic, uint32_t info)
{
	boot_info.tsc_at_entry = rdtsc();
	direct_map_base = DIRECT_MAP_BASE;
	percpu_init_boot();
	sched_init_boot();
	idt_init();
	uart_init();
	if (multiboot_parse(magic, info))
		panic("not started by a Multiboot loader, or no memory map (magic %#x)", magic);
	cmdline_parse(&kernel_cmdline, boot_info.cmdline);
	apply_log_parameters();
	pr_info("Axolotl %s booting, command line '%s'\n", AXOLOTL_VERSION, boot_info.cmdline);
	memory_init();
	interrupts_init();
	banner();
	start_first_thread();
	irq_enable();
	sched_idle_loop();
}
