/*
 * The kernel monitor (kernel/monitor.c): a small command line on the
 * serial console, what `make run` shows until user space arrives.
 */
#ifndef KERNEL_MONITOR_H
#define KERNEL_MONITOR_H

__attribute__((noreturn)) void monitor_main(void *unused);
void print_memory_map(void);

#endif
