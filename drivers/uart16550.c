/*
 * 16550 UART driver for COM1 (include/drivers/uart.h), 115200 8N1.
 * Transmit polls the line status register; receive is interrupt driven
 * and fills a ring buffer guarded by the reader wait queue's lock. Kernel
 * threads read with uart_getc (blocking on the wait queue); the console
 * device (fs/console.c) reads with uart_read_nonblock and blocks user
 * threads on uart_input, a stackless wait source. Lock order: uart_input's
 * lock, then rx_wq's.
 */
#include <lib/compiler.h>
#include <drivers/uart.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/trap.h>
#include <kernel/thread.h>
#include <kernel/wait.h>

#define COM1	       0x3f8
#define REG_DATA       0
#define REG_IER	       1
#define REG_FCR	       2
#define REG_LCR	       3
#define REG_MCR	       4
#define REG_LSR	       5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define RX_RING_SIZE   256
#define SERIAL_VECTOR  (VEC_IRQ_BASE + COM1_IRQ)

static struct waitq rx_wq;	      /* its lock guards the ring */
static uint8_t rx_ring[RX_RING_SIZE]; /* (rx_wq.lock) */
static unsigned rx_head, rx_tail;     /* (rx_wq.lock) */
static uint64_t rx_irqs;

struct wait_source uart_input; /* woken when bytes arrive */

/* Moves received bytes from the UART into the ring. Caller holds rx_wq.lock. */
static void drain_receiver(void)
{
	while (inb(COM1 + REG_LSR) & LSR_DATA_READY) {
		uint8_t c = inb(COM1 + REG_DATA);

		if (rx_head - rx_tail < RX_RING_SIZE)
			rx_ring[rx_head++ % RX_RING_SIZE] = c;
	}
}

void uart_init(void)
{
	waitq_init(&rx_wq, "uart-rx");
	wait_source_init(&uart_input, "uart-input");
	/* Bytes typed before boot wait in the receiver: keep them. */
	drain_receiver();
	outb(COM1 + REG_IER, 0);
	outb(COM1 + REG_LCR, 0x80); /* divisor latch */
	outb(COM1 + REG_DATA, 1);   /* 115200 baud */
	outb(COM1 + 1, 0);
	outb(COM1 + REG_LCR, 0x03); /* 8N1 */
	/*
	 * FIFOs stay off: enabling them discards what the receiver holds, and
	 * input piped in at boot (./axl run < file) must arrive whole. One
	 * interrupt per byte is cheap at console rates.
	 */
	outb(COM1 + REG_FCR, 0);
	outb(COM1 + REG_MCR, 0x0b); /* DTR, RTS, OUT2 (interrupt line) */
}

void uart_write(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		while (!(inb(COM1 + REG_LSR) & LSR_THR_EMPTY))
			cpu_relax();
		outb(COM1 + REG_DATA, (uint8_t)s[i]);
	}
}

static void uart_interrupt(struct trap_frame *f, void *ctx)
{
	unsigned long flags = spin_lock_irqsave(&rx_wq.lock);

	(void)f;
	(void)ctx;
	rx_irqs++;
	drain_receiver();
	spin_unlock_irqrestore(&rx_wq.lock, flags);
	waitq_wake_all(&rx_wq);
	wait_wake_all(&uart_input);
}

void uart_enable_rx(void)
{
	irq_register(SERIAL_VECTOR, uart_interrupt, NULL);
	ioapic_route_isa(COM1_IRQ, SERIAL_VECTOR);
	outb(COM1 + REG_IER, 0x01); /* received data available */
}

int uart_getc(void)
{
	unsigned long flags = spin_lock_irqsave(&rx_wq.lock);
	int c;

	while (rx_head == rx_tail) {
		waitq_block_locked(&rx_wq, flags);
		flags = spin_lock_irqsave(&rx_wq.lock);
	}
	c = rx_ring[rx_tail++ % RX_RING_SIZE];
	spin_unlock_irqrestore(&rx_wq.lock, flags);
	return c;
}

size_t uart_read_nonblock(char *buf, size_t n)
{
	unsigned long flags = spin_lock_irqsave(&rx_wq.lock);
	size_t got = 0;

	while (got < n && rx_tail != rx_head)
		buf[got++] = (char)rx_ring[rx_tail++ % RX_RING_SIZE];
	spin_unlock_irqrestore(&rx_wq.lock, flags);
	return got;
}

uint64_t uart_rx_interrupts(void)
{
	return READ_ONCE(rx_irqs);
}
