/*
 * The kernel log (include/kernel/printk.h). Each message is formatted
 * into a line with a "[seconds.micros]" stamp, appended to a ring buffer
 * (so tests and, later, dmesg can read it back) and written to the serial
 * console if its level passes the console log level. One lock orders
 * whole lines from all CPUs; a panic breaks it.
 */
#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include <kernel/time.h>
#include <drivers/uart.h>
#include <lib/compiler.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <stdarg.h>

#define LOG_BUF_SIZE (64 * 1024)
#define LINE_MAX     512

static spinlock_t log_lock = SPINLOCK_INIT("log");
static char log_buf[LOG_BUF_SIZE];   /* (log_lock) */
static uint64_t log_end;	     /* (log_lock) bytes ever logged */
static int console_level = LOG_INFO; /* [I] set from the command line at boot */

void printk_set_console_level(int level)
{
	console_level = level;
}

bool printk_console_shows(int level)
{
	return level <= console_level;
}

void printk_break_lock(void)
{
	log_lock.locked = 0;
	log_lock.owner_cpu = -1;
}

static void log_append(const char *s, size_t n)
{
	for (size_t i = 0; i < n; i++)
		log_buf[(log_end + i) % LOG_BUF_SIZE] = s[i];
	log_end += n;
}

void printk(int level, const char *fmt, ...)
{
	char line[LINE_MAX];
	uint64_t ns = clock_ns();
	unsigned long flags;
	va_list ap;
	int n;

	n = snprintf(line, sizeof(line), "[%5lu.%06lu] ", (unsigned long)(ns / NSEC_PER_SEC),
		     (unsigned long)(ns % NSEC_PER_SEC / NSEC_PER_USEC));
	va_start(ap, fmt);
	vsnprintf(line + n, sizeof(line) - n, fmt, ap);
	va_end(ap);
	n = strnlen(line, sizeof(line) - 1);
	flags = spin_lock_irqsave(&log_lock);
	log_append(line, n);
	if (level <= console_level)
		uart_write(line, n);
	spin_unlock_irqrestore(&log_lock, flags);
}

void kprintf(const char *fmt, ...)
{
	char line[LINE_MAX];
	unsigned long flags;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n >= (int)sizeof(line))
		n = sizeof(line) - 1;
	flags = spin_lock_irqsave(&log_lock);
	log_append(line, n);
	uart_write(line, n);
	spin_unlock_irqrestore(&log_lock, flags);
}

/* Bytes per hold of the log lock: long writes let interrupts in between. */
#define CONSOLE_CHUNK 256

void printk_console_write(const char *s, size_t n)
{
	while (n) {
		size_t k = n < CONSOLE_CHUNK ? n : CONSOLE_CHUNK;
		unsigned long flags = spin_lock_irqsave(&log_lock);

		uart_write(s, k);
		spin_unlock_irqrestore(&log_lock, flags);
		s += k;
		n -= k;
	}
}

uint64_t log_position(void)
{
	return READ_ONCE(log_end);
}

bool log_contains_since(uint64_t pos, const char *needle)
{
	static char copy[LOG_BUF_SIZE + 1];
	unsigned long flags = spin_lock_irqsave(&log_lock);
	uint64_t start = pos, n;
	bool found;

	if (log_end - start > LOG_BUF_SIZE - 1)
		start = log_end - (LOG_BUF_SIZE - 1);
	n = log_end - start;
	for (uint64_t i = 0; i < n; i++)
		copy[i] = log_buf[(start + i) % LOG_BUF_SIZE];
	copy[n] = '\0';
	found = strstr(copy, needle) != NULL;
	spin_unlock_irqrestore(&log_lock, flags);
	return found;
}
