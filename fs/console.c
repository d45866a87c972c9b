/*
 * The console as a character device (include/fs/devfs.h): /dev/console
 * (5,1) and /dev/tty (5,0), both on the serial port
 * (drivers/uart16550.c). Registered by devfs_init; the system calls reach
 * it through the VFS. Bytes pass through unchanged: the tty line
 * discipline (echo, line editing, signals) will sit on top of this.
 *
 * A read returns what has arrived, without waiting for more. When
 * nothing has arrived it blocks the calling thread without a kernel stack
 * (include/kernel/wait.h): it looks at the input with the input source's
 * lock held, so no byte can arrive unseen, and returns the -EWAIT of
 * wait_block_locked(), which the system call dispatcher turns into a
 * parked thread; the receive interrupt wakes it and the read runs again.
 * O_NONBLOCK gets -EAGAIN instead.
 */
#include <fs/devfs.h>
#include <drivers/uart.h>
#include <kernel/wait.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/ioctl.h>
#include <uapi/termios.h>

#define CONSOLE_CHUNK 128 /* bytes moved per step, on the stack */

static spinlock_t console_lock = SPINLOCK_INIT("console");
static spinlock_t console_out_lock = SPINLOCK_INIT("console-out"); /* whole chunks on the wire */

static struct winsize console_winsize = { .ws_row = 24, .ws_col = 80 }; /* (console_lock) */

/* Linux's default settings; stored for TCGETS/TCSETS. (console_lock) */
static struct termios console_termios = {
	.c_iflag = ICRNL | IXON,
	.c_oflag = OPOST | ONLCR,
	.c_cflag = B38400 | CS8 | CREAD | HUPCL,
	.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	.c_cc = { [VINTR] = 3,
		  [VQUIT] = 28,
		  [VERASE] = 127,
		  [VKILL] = 21,
		  [VEOF] = 4,
		  [VMIN] = 1,
		  [VSTART] = 17,
		  [VSTOP] = 19,
		  [VSUSP] = 26,
		  [VREPRINT] = 18,
		  [VDISCARD] = 15,
		  [VWERASE] = 23,
		  [VLNEXT] = 22 },
};

static int console_open(struct inode *inode, struct file *f)
{
	(void)inode;
	f->fmode |= FMODE_STREAM;
	return 0;
}

static ssize_t console_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	size_t want = MIN(buf->len, (size_t)CONSOLE_CHUNK), n;
	char tmp[CONSOLE_CHUNK];
	unsigned long flags;
	ssize_t r = -EAGAIN;

	(void)pos;
	/* Bytes taken from the ring cannot be put back: check the buffer first. */
	if (buf->user && !user_range_ok(buf->addr, want))
		return -EFAULT;
	flags = spin_lock_irqsave(&uart_input.lock);
	n = uart_read_nonblock(tmp, want);
	if (n == 0 && !(READ_ONCE(f->flags) & O_NONBLOCK))
		r = wait_block_locked(&uart_input, 0);
	spin_unlock_irqrestore(&uart_input.lock, flags);
	if (n == 0)
		return r;
	return iobuf_write(buf, 0, tmp, n) ? -EFAULT : (ssize_t)n;
}

static ssize_t console_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	char tmp[CONSOLE_CHUNK];
	size_t done = 0;

	(void)f;
	(void)pos;
	while (done < buf->len) {
		size_t n = MIN(sizeof(tmp), buf->len - done);
		unsigned long flags;

		if (iobuf_read(tmp, buf, done, n))
			return done ? (ssize_t)done : -EFAULT;
		flags = spin_lock_irqsave(&console_out_lock);
		uart_write(tmp, n);
		spin_unlock_irqrestore(&console_out_lock, flags);
		done += n;
	}
	return (ssize_t)done;
}

/* Copies a console setting to user memory at arg. */
static int get_setting(uintptr_t arg, const void *setting, size_t size)
{
	char snapshot[sizeof(struct termios)];
	unsigned long flags = spin_lock_irqsave(&console_lock);

	memcpy(snapshot, setting, size);
	spin_unlock_irqrestore(&console_lock, flags);
	return copy_to_user(arg, snapshot, size);
}

static int set_setting(void *setting, uintptr_t arg, size_t size)
{
	char value[sizeof(struct termios)];
	unsigned long flags;

	if (copy_from_user(value, arg, size))
		return -EFAULT;
	flags = spin_lock_irqsave(&console_lock);
	memcpy(setting, value, size);
	spin_unlock_irqrestore(&console_lock, flags);
	return 0;
}

static int console_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	(void)f;
	switch (cmd) {
	case TIOCGWINSZ:
		return get_setting(arg, &console_winsize, sizeof(console_winsize));
	case TIOCSWINSZ:
		return set_setting(&console_winsize, arg, sizeof(console_winsize));
	case TCGETS:
		return get_setting(arg, &console_termios, sizeof(console_termios));
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
		return set_setting(&console_termios, arg, sizeof(console_termios));
	default:
		return -ENOTTY;
	}
}

static const struct file_ops console_fops = {
	.open = console_open,
	.read = console_read,
	.write = console_write,
	.lseek = no_lseek,
	.ioctl = console_ioctl,
};

void console_init(void)
{
	devfs_register_chrdev(5, 1, "console", 0600, &console_fops);
	devfs_register_chrdev(5, 0, "tty", 0666, &console_fops);
}
