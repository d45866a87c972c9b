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

static __attribute__((noreturn)) void stop(uint32_t code)
{
	irq_disable();
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

	lockcheck_shutdown_report();

	snprintf(line, sizeof(line), "axl-exit %d\n", status);
	debugcon_write(line);
	stop(status & 0x7f);
}

void machine_panic_stop(void)
{
	debugcon_write("axl-panic\n");
	stop(0x7f);
}
