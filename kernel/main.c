/*
 * kmain: the boot CPU's path from the 64-bit entry (arch/x86_64/boot.S)
 * to a running system. It brings up, in order: per-CPU data and traps, the
 * console, the boot information, CPU features, memory (boot allocator,
 * final page tables, page allocator, kmalloc), interrupt controllers and
 * the timer, clocks and randomness, the file system with the initramfs;
 * then prints the banner and starts the first program: the self-tests when
 * the command line asks for them (ktest=), the kernel monitor when asked
 * (monitor) or when there is no init, else /sbin/init (or init=PATH) as
 * pid 1. The boot context becomes CPU 0's idle thread: the CPU loop.
 */
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/layout.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/trap.h>
#include <drivers/uart.h>
#include <drivers/pci.h>
#include <drivers/virtio_blk.h>
#include <kernel/boot.h>
#include <kernel/clock.h>
#include <kernel/futex.h>
#include <kernel/proc.h>
#include <kernel/random.h>
#include <fs/vfs.h>
#include <net/socket.h>
#include <fs/initramfs.h>
#include <arch/x86_64/cpu_setup.h>
#include <kernel/cmdline.h>
#include <kernel/ktest.h>
#include <svc/fault_inject.h>
#include <fs/ext2_vfs.h>
#include <fs/writeback.h>
#include <kernel/monitor.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/profile.h>
#include <kernel/smp.h>
#include <kernel/thread.h>
#include <kernel/aslr.h>
#include <kernel/timer.h>
#include <kernel/time.h>
#include <mm/kmap.h>
#include <mm/memblock.h>
#include <mm/oom.h>
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

static void cpu_init(void)
{
	cpu_detect();
	fpu_init();
	syscall_init();
}

static void memory_init(void)
{
	memblock_init();
	kmap_init();
	memblock_handover();
	kmalloc_init();
	shrinker_register(&slab_shrinker);
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

	if (!printk_console_shows(LOG_NOTICE))
		return; /* quiet: the console is for the programs' output */
	kprintf("\nAxolotl %s (x86-64): %u CPU(s) found, %u running\n", AXOLOTL_VERSION,
		madt.nr_cpus, smp_cpus_online());
	print_memory_map();
	/* Under QEMU the TSC starts at reset, so it also times firmware and loader. */
	kprintf("boot: %lu.%03lu ms in the kernel, %lu.%03lu ms since power-on\n",
		(unsigned long)(kernel_ns / NSEC_PER_MSEC),
		(unsigned long)(kernel_ns / NSEC_PER_USEC % 1000),
		(unsigned long)(tsc_to_ns(rdtsc()) / NSEC_PER_MSEC),
		(unsigned long)(tsc_to_ns(rdtsc()) / NSEC_PER_USEC % 1000));
}

static void files_init(void)
{
	vfs_init();
	unix_init();
	for (unsigned i = 0; i < boot_info.nr_modules; i++) {
		const struct boot_module *m = &boot_info.modules[i];
		int err = initramfs_unpack(phys_to_virt(m->start), m->end - m->start);

		if (err < 0)
			pr_err("initramfs: module %u is not a valid cpio archive (%d)\n", i, err);
		pr_info("initramfs: %lu KiB of module %u freed\n",
			(unsigned long)(memblock_release_module(i) * (PAGE_SIZE / 1024)), i);
	}
}

/* Rules for the service framework from the command line. */
static void services_init(void)
{
	const char *rule = cmdline_get(&kernel_cmdline, "fault_inject");

	if (rule && svc_fault_configure(rule))
		pr_err("fault_inject=%s: not a rule (SERVICE:KIND:WHEN)\n", rule);
}

static void start_kernel_thread(const char *name, thread_fn_t fn, void *arg)
{
	struct thread *t = kthread_create(name, fn, arg);

	if (!t)
		panic("cannot create the first kernel thread");
	kthread_detach(t);
}

/* init as pid 1, or the kernel monitor when asked or when init cannot start. */
static void start_init_or_monitor(void)
{
	const char *init = cmdline_get(&kernel_cmdline, "init");
	int err;

	if (!cmdline_has(&kernel_cmdline, "monitor")) {
		err = proc_start_init(init && *init ? init : "/sbin/init");
		if (!err)
			return;
		pr_err("cannot start init (%d); starting the kernel monitor\n", err);
	}
	start_kernel_thread("monitor", monitor_main, NULL);
}

/* Reads a program into the page cache (the first exec runs where it cannot wait). */
static void prefetch(const char *path)
{
	struct file *f;

	if (vfs_openat(NULL, path, O_RDONLY, 0, &f))
		return;
	if (f->inode->iops->populate)
		f->inode->iops->populate(f->inode);
	file_put(f);
}

/* root=DEVICE: mounts it as / (waiting for the disk, so in a kernel thread), then init. */
static void mount_root_then_init(void *device)
{
	const char *init = cmdline_get(&kernel_cmdline, "init");
	int err = vfs_set_root(device, "ext2");

	if (err)
		pr_err("root=%s: cannot mount it (%d); the root stays the initramfs\n",
		       (const char *)device, err);
	else
		pr_info("vfs: %s (ext2) on /\n", (const char *)device);
	prefetch(init && *init ? init : "/sbin/init");
	start_init_or_monitor();
	kthread_exit(0);
}

static void start_first_program(void)
{
	const char *sel = cmdline_get(&kernel_cmdline, "ktest");
	const char *root = cmdline_get(&kernel_cmdline, "root");

	if (sel && *sel)
		start_kernel_thread("ktest", ktest_main, (void *)sel);
	else if (root && *root)
		start_kernel_thread("rootfs", mount_root_then_init, (void *)root);
	else
		start_init_or_monitor();
}

/* The storage stack: the block cache's users and the flusher (the devices came from PCI). */
static void storage_init(void)
{
	ext2_init();
	writeback_init();
}

__attribute__((noreturn)) void kmain(uint32_t magic, uint32_t info)
{
	boot_info.tsc_at_entry = rdtsc();
	direct_map_base = DIRECT_MAP_BASE;
	percpu_init_boot();
	sched_init_boot();
	ktimers_init();
	idt_init();
	uart_init();
	if (multiboot_parse(magic, info))
		panic("not started by a Multiboot loader, or no memory map (magic %#x)", magic);
	cmdline_parse(&kernel_cmdline, boot_info.cmdline);
	apply_log_parameters();
	pr_info("Axolotl %s booting, command line '%s'\n", AXOLOTL_VERSION, boot_info.cmdline);
	cpu_init();
	memory_init();
	profile_init();
	interrupts_init();
	clock_realtime_init();
	random_init();
	aslr_init(); /* norandmaps */
	futex_init();
	proc_init();
	files_init();
	services_init();
	pci_init();
	virtio_blk_probe();
	storage_init();
	smp_boot_aps();
	banner();
	start_first_program();
	cpu_loop_restart();
}
