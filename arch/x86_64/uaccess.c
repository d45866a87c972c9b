/*
 * User memory access (include/kernel/uaccess.h). Each copy is a
 * `rep movsq` and a `rep movsb` for the last bytes (a clear one `rep
 * stosb`) inside a stac/clac bracket; the instructions are listed in the
 * exception table, so a fault (unmapped page, protection, or SMAP if the
 * bracket were missing) resumes at the fixup with what was not copied
 * still in rcx. Callers see 0 or -EFAULT. A fault may page the memory in
 * (arch/x86_64/trap.c), which takes locks and may wait: no spinlock may be
 * held here, which the lock checker checks (include/kernel/lockcheck.h).
 */
#include <kernel/uaccess.h>
#include <kernel/extable.h>
#include <kernel/lockcheck.h>
#include <arch/x86_64/smap.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <mm/page.h>
#include <uapi/errno.h>

/*
 * Returns 0, or non-zero when a fault stopped the copy. Eight bytes at a
 * time, then the rest: under QEMU's TCG each iteration of a rep prefix is
 * a separate step, so rep movsq copies eight times as fast as rep movsb.
 */
static size_t raw_copy(void *dst, const void *src, size_t n)
{
	size_t tail = n & 7;

	n >>= 3;
	__asm__ volatile(SMAP_SITE_ASM("stac") "1: rep movsq\n"
					       "   mov %[tail], %%rcx\n"
					       "2: rep movsb\n"
					       "3:\n" SMAP_SITE_ASM("clac") EXTABLE_ENTRY(1b, 3b)
						       EXTABLE_ENTRY(2b, 3b)
			 : "+D"(dst), "+S"(src), "+c"(n)
			 : [tail] "r"(tail)
			 : "memory");
	return n;
}

static size_t raw_clear(void *dst, size_t n)
{
	__asm__ volatile(SMAP_SITE_ASM("stac") "1: rep stosb\n"
					       "2:\n" SMAP_SITE_ASM("clac") EXTABLE_ENTRY(1b, 2b)
			 : "+D"(dst), "+c"(n)
			 : "a"(0)
			 : "memory");
	return n;
}

int copy_from_user(void *dst, uintptr_t src, size_t n)
{
	lockcheck_user_access((uintptr_t)__builtin_return_address(0));
	if (!user_range_ok(src, n))
		return -EFAULT;
	return raw_copy(dst, (const void *)src, n) ? -EFAULT : 0;
}

int copy_from_user_nofault(void *dst, uintptr_t src, size_t n)
{
	if (!user_range_ok(src, n))
		return -EFAULT;
	return raw_copy(dst, (const void *)src, n) ? -EFAULT : 0;
}

int copy_to_user(uintptr_t dst, const void *src, size_t n)
{
	lockcheck_user_access((uintptr_t)__builtin_return_address(0));
	if (!user_range_ok(dst, n))
		return -EFAULT;
	return raw_copy((void *)dst, src, n) ? -EFAULT : 0;
}

/*
 * A write access to the byte at p that changes nothing (an atomic OR of
 * 0: a thread writing it at the same time loses nothing); whether it faulted.
 */
static bool raw_touch_write(void *p)
{
	bool faulted;

	__asm__ volatile(SMAP_SITE_ASM("stac") "   movb $1, %[f]\n"
					       "1: lock orb $0, (%[p])\n"
					       "   movb $0, %[f]\n"
					       "2:\n" SMAP_SITE_ASM("clac") EXTABLE_ENTRY(1b, 2b)
			 : [f] "=&q"(faulted)
			 : [p] "r"(p)
			 : "memory");
	return faulted;
}

int fault_in_writable(uintptr_t addr, size_t len)
{
	uintptr_t end = addr + len;

	lockcheck_user_access((uintptr_t)__builtin_return_address(0));
	if (!user_range_ok(addr, len))
		return -EFAULT;
	for (uintptr_t at = addr; at < end; at = ALIGN_DOWN(at, PAGE_SIZE) + PAGE_SIZE)
		if (raw_touch_write((void *)at))
			return -EFAULT;
	return 0;
}

int clear_user(uintptr_t dst, size_t n)
{
	lockcheck_user_access((uintptr_t)__builtin_return_address(0));
	if (!user_range_ok(dst, n))
		return -EFAULT;
	return raw_clear((void *)dst, n) ? -EFAULT : 0;
}

long strncpy_from_user(char *dst, uintptr_t src, size_t max)
{
	/* Copy in chunks that never cross a page, so a string ending just before an unmapped page works. */
	size_t done = 0;

	while (done < max) {
		size_t chunk = MIN(max - done, 4096 - ((src + done) & 4095));
		char *nul;

		if (copy_from_user(dst + done, src + done, chunk))
			return -EFAULT;
		nul = memchr(dst + done, '\0', chunk);
		if (nul)
			return nul - dst;
		done += chunk;
	}
	return -ENAMETOOLONG;
}

int iobuf_write(const struct iobuf *b, size_t off, const void *src, size_t n)
{
	if (off > b->len || n > b->len - off)
		return -EFAULT;
	if (b->user)
		return copy_to_user(b->addr + off, src, n);
	memcpy((char *)b->addr + off, src, n);
	return 0;
}

int iobuf_read(void *dst, const struct iobuf *b, size_t off, size_t n)
{
	if (off > b->len || n > b->len - off)
		return -EFAULT;
	if (b->user)
		return copy_from_user(dst, b->addr + off, n);
	memcpy(dst, (const char *)b->addr + off, n);
	return 0;
}
