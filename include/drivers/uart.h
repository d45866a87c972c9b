/*
 * The 16550 UART on COM1 (drivers/uart16550.c): the kernel console.
 * Output is polled (so it works in a panic); input arrives by interrupt
 * through the IOAPIC into a ring that kernel threads read from.
 */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H

#include <lib/types.h>

struct wait_source;

#define COM1_IRQ 4

void uart_init(void);
/* Enables the receive interrupt; needs the IOAPIC and the scheduler. */
void uart_enable_rx(void);
void uart_write(const char *s, size_t n);
/* Blocks the calling kernel thread until a byte arrives. */
int uart_getc(void);
/* Takes up to n bytes that have arrived, without waiting; returns the count. */
size_t uart_read_nonblock(char *buf, size_t n);
/* Woken (wait_wake_all) from the receive interrupt whenever bytes arrive. */
extern struct wait_source uart_input;
uint64_t uart_rx_interrupts(void);

#endif
