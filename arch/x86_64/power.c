/*
 * Power-off and the exit status for the host (include/kernel/power.h).
 */
#include <kernel/power.h>
#include <kernel/lockcheck.h>
#include <arch/x86_64/cpu.h>
#include <lib/printf.h>

#define DEBUGCON_PORT	0xe9
#define DEBUG_EXIT_PORT 0xf4

static void debugcon_write(const char *s)
{
	while (*s)
		outb(DEBUGCON_PORT, (uint8_t)*s++);
}

/*
 * The first CPU to power off writes its lines and stops the machine; any
 * other halts (two writing at once would interleave the status lines). A
 * panic does not ask: panic() has stopped the other CPUs already, and one
 * halted here must not keep the panic's line from the host.
 */
static void stop_once(void)
{
	static bool stopping; /* (a) */

	irq_disable();
	if (__atomic_exchange_n(&stopping, true, __ATOMIC_ACQ_REL))
		for (;;)
			cpu_halt();
}

static __attribute__((noreturn)) void stop(uint32_t code)
{
	outl(DEBUG_EXIT_PORT, code);
	/* No isa-debug-exit device (real hardware): halt for good. */
	for (;;)
		cpu_halt();
}

void machine_debug_line(const char *line)
{
	debugcon_write(line);
}

void machine_poweroff(int status)
{
	char line[32];

	stop_once();
	lockcheck_shutdown_report();
	snprintf(line, sizeof(line), "axl-exit %d\n", status);
	debugcon_write(line);
	stop(status & 0x7f);
}

void machine_panic_stop(void)
{
	irq_disable();
	debugcon_write("axl-panic\n");
	stop(0x7f);
}
