/*
 * Symbol lookup and backtraces (include/kernel/ksyms.h). The table, made
 * by tools/gen-ksyms.sh from the first link of the kernel, lists function
 * addresses in ascending order with offsets into a string pool; the second
 * link embeds it in .ksyms without moving any function.
 */
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <mm/kmap.h>
#include <lib/printf.h>
#include <lib/string.h>

extern const uint64_t ksyms_count;
extern const uint64_t ksyms_addresses[];
extern const uint32_t ksyms_name_offsets[];
extern const char ksyms_names[];
extern char _text_start[], _text_end[];

#define BACKTRACE_MAX_FRAMES 512

long ksym_index(uintptr_t addr)
{
	uint64_t lo = 0, hi = ksyms_count;

	if (addr < (uintptr_t)_text_start || addr >= (uintptr_t)_text_end || !hi)
		return -1;
	/* The last symbol at or below addr. */
	while (hi - lo > 1) {
		uint64_t mid = lo + (hi - lo) / 2;

		if (ksyms_addresses[mid] <= addr)
			lo = mid;
		else
			hi = mid;
	}
	return ksyms_addresses[lo] > addr ? -1 : (long)lo;
}

uint64_t ksym_count(void)
{
	return ksyms_count;
}

const char *ksym_name(uint64_t index)
{
	return index < ksyms_count ? ksyms_names + ksyms_name_offsets[index] : NULL;
}

const char *ksym_lookup(uintptr_t addr, uintptr_t *offset)
{
	long i = ksym_index(addr);

	if (i < 0)
		return NULL;
	*offset = addr - ksyms_addresses[i];
	return ksyms_names + ksyms_name_offsets[i];
}

uintptr_t ksym_address(const char *name)
{
	for (uint64_t i = 0; i < ksyms_count; i++)
		if (!strcmp(ksyms_names + ksyms_name_offsets[i], name))
			return ksyms_addresses[i];
	return 0;
}

void ksym_format(uintptr_t addr, char *buf, size_t size)
{
	uintptr_t off;
	const char *name = ksym_lookup(addr, &off);

	if (name)
		snprintf(buf, size, "%s+%#lx", name, (unsigned long)off);
	else
		snprintf(buf, size, "%#lx", (unsigned long)addr);
}

static bool frame_readable(uintptr_t fp)
{
	return fp && !(fp & 7) && kmap_lookup(fp) && kmap_lookup(fp + 8);
}

static void print_frame(uintptr_t ret, unsigned repeats)
{
	char buf[96];

	/* A return address points after the call; name the call itself. */
	ksym_format(ret - 1, buf, sizeof(buf));
	if (repeats > 1)
		kprintf("    [<%016lx>] %s (%u times)\n", (unsigned long)ret, buf, repeats);
	else
		kprintf("    [<%016lx>] %s\n", (unsigned long)ret, buf);
}

void backtrace_print(uintptr_t rip, uintptr_t rbp, uintptr_t rsp)
{
	char buf[96];
	uintptr_t last = 0, off = 1;
	unsigned repeats = 0;

	kprintf("  backtrace:\n");
	ksym_format(rip, buf, sizeof(buf));
	kprintf("    [<%016lx>] %s\n", (unsigned long)rip, buf);
	/* At a function's first instruction its caller's return address is at rsp. */
	if (rsp && ksym_lookup(rip, &off) && off == 0 && frame_readable(rsp))
		print_frame(*(uintptr_t *)rsp, 1);
	/* Follow the frame chain; runs of one return address print once. */
	for (int i = 0; i < BACKTRACE_MAX_FRAMES && frame_readable(rbp); i++) {
		uintptr_t ret = ((uintptr_t *)rbp)[1];
		uintptr_t next = ((uintptr_t *)rbp)[0];

		if (!ret)
			break;
		if (ret != last && repeats)
			print_frame(last, repeats);
		repeats = ret == last ? repeats + 1 : 1;
		last = ret;
		if (next <= rbp)
			break;
		rbp = next;
	}
	if (repeats)
		print_frame(last, repeats);
}

__attribute__((noinline)) void backtrace_here(void)
{
	backtrace_print((uintptr_t)__builtin_return_address(0),
			*(uintptr_t *)__builtin_frame_address(0), 0);
}
