/*
 * Ending the machine (arch/x86_64/power.c). Under QEMU the exit status
 * reaches the host twice: as a line on the debug console (port 0xe9,
 * "axl-exit N" or "axl-panic"), which ./axl reads for the exact value,
 * and through the isa-debug-exit device, which stops QEMU.
 */
#ifndef KERNEL_POWER_H
#define KERNEL_POWER_H

__attribute__((noreturn)) void machine_poweroff(int status);
/* A line for the host on the debug console ("axl-..."; the lock checker's reports). */
void machine_debug_line(const char *line);
/* After a panic: record it for the host, then stop (or halt on hardware). */
__attribute__((noreturn)) void machine_panic_stop(void);

#endif
