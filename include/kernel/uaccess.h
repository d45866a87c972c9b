/*
 * Access to user memory (arch/x86_64/uaccess.c). Every access goes
 * through these functions: they check that the range lies in the user
 * half, open the SMAP window for the copy only, and turn a fault into
 * -EFAULT through the exception table, never a kernel fault.
 *
 * struct iobuf describes a buffer that is either in user memory or in the
 * kernel, so that file operations serve read()/write() and in-kernel
 * callers (initramfs unpacking, self-tests) with one implementation.
 */
#ifndef KERNEL_UACCESS_H
#define KERNEL_UACCESS_H

#include <lib/types.h>

#define USER_SPACE_END 0x0000800000000000ULL /* first non-canonical address */

/* Whether [addr, addr + len) lies entirely in the user half. */
static inline bool user_range_ok(uintptr_t addr, size_t len)
{
	return addr + len >= addr && addr + len <= USER_SPACE_END;
}

/* Return 0, or -EFAULT when any byte cannot be accessed. */
int copy_from_user(void *dst, uintptr_t src, size_t n);
int copy_to_user(uintptr_t dst, const void *src, size_t n);
int clear_user(uintptr_t dst, size_t n);
/*
 * The one access allowed under a spinlock: it never pages anything in (a
 * page that is not there makes it fail with -EFAULT), so it neither takes
 * locks nor waits. The caller then unlocks, pages in with copy_from_user
 * and tries again (kernel/futex.c).
 */
int copy_from_user_nofault(void *dst, uintptr_t src, size_t n);
/*
 * Makes every page of [addr, addr + len) present and writable, by a write
 * access to each that changes nothing (an atomic OR of 0): before a call
 * takes something it cannot give back (an edge-triggered event), so that
 * copying it out cannot fault and make the call run again without it. 0,
 * or -EFAULT (which a file page still being read turns into a wait, and
 * the call runs again).
 */
int fault_in_writable(uintptr_t addr, size_t len);
/*
 * Copies a NUL-terminated string of at most max-1 characters; returns its
 * length, -EFAULT, or -ENAMETOOLONG when no NUL came within max bytes.
 */
long strncpy_from_user(char *dst, uintptr_t src, size_t max);

struct iobuf {
	uintptr_t addr; /* user address, or kernel pointer when !user */
	size_t len;
	bool user;
};

static inline struct iobuf iobuf_user(uintptr_t addr, size_t len)
{
	return (struct iobuf){ addr, len, true };
}

static inline struct iobuf iobuf_kernel(void *p, size_t len)
{
	return (struct iobuf){ (uintptr_t)p, len, false };
}

/* Copy between an iobuf at offset off and kernel memory; 0 or -EFAULT. */
int iobuf_write(const struct iobuf *b, size_t off, const void *src, size_t n);
int iobuf_read(void *dst, const struct iobuf *b, size_t off, size_t n);

#endif
