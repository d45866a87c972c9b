/*
 * panic() (include/kernel/panic.h): the kernel cannot go on. Prints the
 * message and a backtrace, then stops the machine; under QEMU the host
 * sees a panic status (kernel/power.h). The other CPUs are stopped by an
 * NMI, each printing its own backtrace first (smp_stop_others). A panic
 * in a service thread ends only that service, which is rebuilt
 * (svc/service.c); a panic nested in one (in its report) stops the CPU.
 */
#include <kernel/panic.h>
#include <svc/service.h>
#include <kernel/ksyms.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <kernel/smp.h>
#include <lib/printf.h>
#include <stdarg.h>

static int panicking; /* atomic: a CPU is in the fatal path */

void panic(const char *fmt, ...)
{
	struct percpu *cpu = this_cpu();
	char msg[256];
	va_list ap;

	irq_disable();
	if (cpu->panicking || __atomic_load_n(&panicking, __ATOMIC_ACQUIRE))
		for (;;)
			cpu_halt();
	cpu->panicking = true;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (svc_can_recover()) {
		/* A service's panic ends the service, not the kernel. */
		kprintf("\nservice panic: %s\n", msg);
		backtrace_here();
		cpu->panicking = false;
		svc_crash(msg);
	}
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_ACQ_REL))
		for (;;)
			cpu_halt(); /* another CPU panics: it stops this one */
	printk_break_lock();
	kprintf("\nKERNEL PANIC: %s (cpu %u)\n", msg, cpu->cpu_id);
	backtrace_here();
	smp_stop_others();
	machine_panic_stop();
}
