/*
 * The 16550 UART on COM1 (drivers/uart16550.c): the kernel console.
 * Output is polled (so it works in a panic); input arrives by interrupt
 * through the IOAPIC, and goes to a receiver (the console's tty) once one
 * is set, else into a ring that kernel threads read from.
 */
#ifndef DRIVERS_UART_H
#define DRIVERS_UART_H

#include <lib/types.h>

#define COM1_IRQ 4

/*
 * Takes received bytes, from the interrupt handler (with the UART's lock
 * held: spinlocks only). room says whether one more byte fits; when it
 * says no, the receiver has called uart_throttle(true) and calls
 * uart_throttle(false) once it has room again.
 */
struct uart_receiver {
	bool (*room)(void *ctx);
	void (*receive)(void *ctx, const uint8_t *buf, size_t n);
	void *ctx;
};

void uart_init(void);
/* Enables the receive interrupt; needs the IOAPIC and the scheduler. */
void uart_enable_rx(void);
void uart_write(const char *s, size_t n);
/*
 * Input goes to r from now on (bytes already in the ring first); NULL:
 * back to the ring. uart_getc takes the input back for the ring.
 */
void uart_set_receiver(const struct uart_receiver *r);
/* Stops (true) or resumes receiving; meanwhile bytes wait in the device. */
void uart_throttle(bool stop);
/* Blocks the calling kernel thread until a byte arrives. */
int uart_getc(void);
uint64_t uart_rx_interrupts(void);

#endif
