/*
 * panic() (include/kernel/panic.h): the kernel cannot go on. Prints the
 * message and a backtrace, then stops the machine; under QEMU the host
 * sees a panic status (kernel/power.h). Other CPUs (once they run) are
 * left spinning with interrupts off. A panic in a service thread ends
 * only that service, which is rebuilt (svc/service.c).
 */
#include <kernel/panic.h>
#include <svc/service.h>
#include <kernel/ksyms.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <arch/x86_64/cpu.h>
#include <lib/printf.h>
#include <stdarg.h>

static int panicking; /* (a) */

void panic(const char *fmt, ...)
{
	char msg[256];
	va_list ap;

	irq_disable();
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST))
		for (;;)
			cpu_halt();
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (svc_can_recover()) {
		/* A service's panic ends the service, not the kernel. */
		kprintf("\nservice panic: %s\n", msg);
		backtrace_here();
		__atomic_store_n(&panicking, 0, __ATOMIC_SEQ_CST);
		svc_crash(msg);
	}
	printk_break_lock();
	kprintf("\nKERNEL PANIC: %s\n", msg);
	backtrace_here();
	machine_panic_stop();
}
