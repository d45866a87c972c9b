/*
 * Build-time configuration. The Makefile passes CONFIG_DEBUG=0 for the
 * release (benchmark) build; the default development build checks more.
 */
#ifndef KERNEL_CONFIG_H
#define KERNEL_CONFIG_H

#ifndef CONFIG_DEBUG
#define CONFIG_DEBUG 1
#endif

/* The lock checker (include/kernel/lockcheck.h); the Makefile's LOCKCHECK. */
#ifndef CONFIG_LOCKCHECK
#define CONFIG_LOCKCHECK CONFIG_DEBUG
#endif

#define HZ 250 /* timer interrupts per second */

#endif
