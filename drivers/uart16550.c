/*
 * 16550 UART driver for COM1 (include/drivers/uart.h), 115200 8N1.
 * Transmit polls the line status register; receive is interrupt driven.
 * Received bytes go to the receiver (the console's tty, fs/console.c)
 * once one is set, else into a ring that kernel threads read with
 * uart_getc (the monitor). Nothing is dropped: with the ring full, or the
 * receiver out of room (it throttles us, uart_throttle), bytes stay in the
 * device, whose sender (QEMU's chardev) then waits. All of it is guarded
 * by the reader wait queue's lock, rx_wq.lock, which the receiver's
 * functions are called under.
 */
#include <lib/compiler.h>
#include <drivers/uart.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/trap.h>
#include <kernel/thread.h>

#define COM1	       0x3f8
#define REG_DATA       0
#define REG_IER	       1
#define REG_FCR	       2
#define REG_LCR	       3
#define REG_MCR	       4
#define REG_LSR	       5
#define LSR_DATA_READY 0x01
#define LSR_THR_EMPTY  0x20
#define IER_RX	       0x01 /* received data available */
#define RX_RING_SIZE   256
#define SERIAL_VECTOR  (VEC_IRQ_BASE + COM1_IRQ)

static struct waitq rx_wq;		     /* its lock guards the ring and the receiver */
static uint8_t rx_ring[RX_RING_SIZE];	     /* (rx_wq.lock) */
static unsigned rx_head, rx_tail;	     /* (rx_wq.lock) */
static const struct uart_receiver *receiver; /* (rx_wq.lock) */
static bool rx_enabled;			     /* the interrupt is routed */
static uint64_t rx_irqs; /* (rx_wq.lock) written by the interrupt handler; read racily */

void uart_throttle(bool stop)
{
	/* With the interrupt off, bytes wait in the device; turning it on raises it if one does. */
	if (READ_ONCE(rx_enabled))
		outb(COM1 + REG_IER, stop ? 0 : IER_RX);
}

/*
 * Moves received bytes from the UART into the ring while it has room; with
 * the ring full, the interrupt stays off until a reader makes room (it
 * could be level-triggered). Caller holds rx_wq.lock, or is uart_init
 * (the first lines of the boot, before the lock can be taken: not asserted).
 */
static void drain_receiver(void)
{
	while (rx_head - rx_tail < RX_RING_SIZE && (inb(COM1 + REG_LSR) & LSR_DATA_READY))
		rx_ring[rx_head++ % RX_RING_SIZE] = inb(COM1 + REG_DATA);
	uart_throttle(rx_head - rx_tail == RX_RING_SIZE);
}

/*
 * Gives the receiver what it has room for: the ring first, then the
 * device. False when it ran out of room (it has throttled us). Caller
 * holds rx_wq.lock.
 */
static bool deliver(const struct uart_receiver *r)
{
	uint8_t c;

	assert_held(&rx_wq.lock);
	while (rx_tail != rx_head) {
		if (!r->room(r->ctx))
			return false;
		c = rx_ring[rx_tail++ % RX_RING_SIZE];
		r->receive(r->ctx, &c, 1);
	}
	while (inb(COM1 + REG_LSR) & LSR_DATA_READY) {
		if (!r->room(r->ctx))
			return false;
		c = inb(COM1 + REG_DATA);
		r->receive(r->ctx, &c, 1);
	}
	return true;
}

void uart_init(void)
{
	waitq_init(&rx_wq, "uart-rx");
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
	if (receiver)
		deliver(receiver);
	else
		drain_receiver();
	spin_unlock_irqrestore(&rx_wq.lock, flags);
	waitq_wake_all(&rx_wq);
}

void uart_enable_rx(void)
{
	irq_register(SERIAL_VECTOR, uart_interrupt, NULL);
	ioapic_route_isa(COM1_IRQ, SERIAL_VECTOR);
	WRITE_ONCE(rx_enabled, true);
	outb(COM1 + REG_IER, IER_RX);
}

void uart_set_receiver(const struct uart_receiver *r)
{
	unsigned long flags = spin_lock_irqsave(&rx_wq.lock);

	receiver = r;
	if (r && deliver(r))
		uart_throttle(false); /* the ring may have stopped the interrupt */
	spin_unlock_irqrestore(&rx_wq.lock, flags);
}

int uart_getc(void)
{
	unsigned long flags = spin_lock_irqsave(&rx_wq.lock);
	int c;

	receiver = NULL; /* a kernel reader (the monitor) takes the input back */
	drain_receiver();
	while (rx_head == rx_tail) {
		waitq_block_locked(&rx_wq, flags);
		flags = spin_lock_irqsave(&rx_wq.lock);
	}
	c = rx_ring[rx_tail++ % RX_RING_SIZE];
	drain_receiver(); /* what waited in the device for room */
	spin_unlock_irqrestore(&rx_wq.lock, flags);
	return c;
}

uint64_t uart_rx_interrupts(void)
{
	return READ_ONCE(rx_irqs);
}
