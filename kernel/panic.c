/*
 * panic() (include/kernel/panic.h): the kernel cannot go on. Prints the
 * message and a backtrace, then stops the machine; under QEMU the host
 * sees a panic status (kernel/power.h). Other CPUs (once they run) are
 * left spinning with interrupts off.
 */
#include <kernel/panic.h>
#include <kernel/ksyms.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <arch/x86_64/cpu.h>
#include <lib/printf.h>
#include <stdarg.h>

static int panicking;

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	irq_disable();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
		for (;;)
			cpu_halt();
	printk_break_lock();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	kprintf("\nKERNEL PANIC: %s\n", msg);
	backtrace_here();
	machine_panic_stop();
}
