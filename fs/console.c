/*
 * The console as a character device (include/fs/devfs.h): /dev/console
 * (5,1), the serial port (drivers/uart16550.c) as a terminal of the tty
 * layer (drivers/tty.c), and /dev/tty (5,0), the caller's controlling
 * terminal. Registered by devfs_init; the system calls reach it through
 * the VFS, and its file operations hand everything to the tty layer:
 * line discipline, echo, signals, termios, job control, blocking reads
 * as stackless waits (-EWAIT), poll.
 *
 * The tty takes the UART's input from the first open of the console on
 * (the kernel opens it for init's fds 0-2), so that the kernel monitor,
 * which runs when there is no init, keeps reading the UART itself. Bytes
 * received before that (typed ahead, or piped in at boot) wait in the
 * UART's ring, and then in the device, and reach the tty at that open.
 */
#include <fs/devfs.h>
#include <drivers/tty.h>
#include <drivers/uart.h>
#include <kernel/thread.h>
#include <kernel/printk.h>
#include <lib/compiler.h>
#include <uapi/errno.h>

static struct tty console_tty; /* its own locks (include/drivers/tty.h) */

static void console_tty_write(struct tty *tty, const char *buf, size_t n)
{
	(void)tty;
	printk_console_write(buf, n); /* between log lines, not through them */
}

static void console_tty_throttle(struct tty *tty, bool stop)
{
	(void)tty;
	uart_throttle(stop);
}

static const struct tty_ops console_tty_ops = {
	.write = console_tty_write,
	.throttle = console_tty_throttle,
};

static bool console_rx_room(void *ctx)
{
	return tty_receive_room(ctx);
}

static void console_rx(void *ctx, const uint8_t *buf, size_t n)
{
	tty_receive(ctx, buf, n);
}

static const struct uart_receiver console_receiver = {
	.room = console_rx_room,
	.receive = console_rx,
	.ctx = &console_tty,
};

static bool uart_claimed; /* (atomic) */

static int console_open(struct inode *inode, struct file *f)
{
	struct tty *tty = &console_tty;

	if (MINOR(inode->rdev) == 0) { /* /dev/tty */
		tty = tty_current_ctty();
		/* Kernel threads (self-tests) have no process: theirs is the console. */
		if (!tty && current_thread()->user)
			return -ENXIO;
		if (!tty)
			tty = &console_tty;
		if (tty->ops->reopen)
			return tty->ops->reopen(tty, f); /* a pty slave */
	}
	if (!__atomic_exchange_n(&uart_claimed, true, __ATOMIC_ACQ_REL))
		uart_set_receiver(&console_receiver);
	f->private = tty;
	f->fmode |= FMODE_STREAM;
	return 0;
}

static ssize_t console_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	(void)pos;
	return tty_read(f->private, buf, READ_ONCE(f->flags));
}

static ssize_t console_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	(void)pos;
	return tty_write(f->private, buf, READ_ONCE(f->flags));
}

static int console_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	return tty_ioctl(f->private, f->fmode, cmd, arg);
}

/* Readable when a line (canonical mode) or a byte (raw) waits; always writable. */
static int console_poll(struct file *f, bool register_wait)
{
	return tty_poll(f->private, register_wait);
}

static const struct file_ops console_fops = {
	.open = console_open,
	.read = console_read,
	.write = console_write,
	.lseek = no_lseek,
	.ioctl = console_ioctl,
	.poll = console_poll,
};

void console_init(void)
{
	tty_init(&console_tty, "console", &console_tty_ops, NULL);
	console_tty.dev = MKDEV(5, 1);
	tty_register(&console_tty);
	devfs_register_chrdev(5, 1, "console", 0600, &console_fops);
	devfs_register_chrdev(5, 0, "tty", 0666, &console_fops);
}
