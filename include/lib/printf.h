/*
 * Bounded string formatting for the kernel (console, logs, panic messages).
 * Integer, character, string and pointer conversions only: kernel code is
 * built without SSE, so there is no floating point. Host unit tests build the
 * same code under axl_* names (tests/unit/host_rename.h).
 */
#ifndef AXL_LIB_PRINTF_H
#define AXL_LIB_PRINTF_H

#include <stdarg.h>
#include <lib/types.h>

/*
 * Format into @buf, writing at most @size bytes including the terminating
 * NUL (always written when @size > 0). Returns the length the full output
 * would have had, as C99 does, so a result >= @size means truncation.
 *
 * Supported: %d %i %u %x %X %o %c %s %p %%, flags - 0 + space #, width and
 * precision (digits or *), length modifiers hh h l ll z t j. %s of NULL
 * prints "(null)"; %p prints 0x and exactly 16 lowercase hex digits.
 */
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
	__attribute__((format(__printf__, 3, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...)
	__attribute__((format(__printf__, 3, 4)));

#endif /* AXL_LIB_PRINTF_H */
