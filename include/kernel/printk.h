/*
 * The kernel log. printk formats a message (lib/printf.c), stamps it with
 * the time since boot, keeps it in a ring buffer and writes it to the
 * console when its level is at or below the console log level
 * (loglevel= / quiet on the command line).
 */
#ifndef KERNEL_PRINTK_H
#define KERNEL_PRINTK_H

#include <lib/types.h>

enum log_level {
	LOG_EMERG,
	LOG_ERR = 3,
	LOG_WARN,
	LOG_NOTICE,
	LOG_INFO,
	LOG_DEBUG,
};

__attribute__((format(printf, 2, 3))) void printk(int level, const char *fmt, ...);
/* Console output without timestamp or log record (banners, continuation lines). */
__attribute__((format(printf, 1, 2))) void kprintf(const char *fmt, ...);

#define pr_err(...)    printk(LOG_ERR, __VA_ARGS__)
#define pr_warn(...)   printk(LOG_WARN, __VA_ARGS__)
#define pr_notice(...) printk(LOG_NOTICE, __VA_ARGS__)
#define pr_info(...)   printk(LOG_INFO, __VA_ARGS__)
#define pr_debug(...)  printk(LOG_DEBUG, __VA_ARGS__)

void printk_set_console_level(int level);
bool printk_console_shows(int level);
/* Takes the log lock away from whoever holds it; used once a panic starts. */
void printk_break_lock(void);
/*
 * Programs' output to the serial console (fs/console.c): under the log
 * lock, so that a log line from another CPU never lands inside it.
 */
void printk_console_write(const char *s, size_t n);

/* Log positions, for code (self-tests) that looks at what was logged. */
uint64_t log_position(void);
bool log_contains_since(uint64_t pos, const char *needle);

#endif
