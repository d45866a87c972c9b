/*
 * Reads the Multiboot v1 information structure into boot_info
 * (include/kernel/boot.h). Runs first in kmain, on the boot page tables,
 * which map the low 4 GiB at DIRECT_MAP_BASE; everything is copied so the
 * loader's memory can be reused afterwards.
 */
#include <kernel/boot.h>
#include <arch/x86_64/layout.h>
#include <lib/string.h>
#include <uapi/errno.h>

#define MB_BOOT_MAGIC	0x2badb002
#define MB_INFO_MEMORY	(1 << 0)
#define MB_INFO_CMDLINE (1 << 2)
#define MB_INFO_MODS	(1 << 3)
#define MB_INFO_MMAP	(1 << 6)

struct mb_info {
	uint32_t flags;
	uint32_t mem_lower, mem_upper;
	uint32_t boot_device;
	uint32_t cmdline;
	uint32_t mods_count, mods_addr;
	uint32_t syms[4];
	uint32_t mmap_length, mmap_addr;
} __attribute__((packed));

struct mb_mmap_entry {
	uint32_t size;
	uint64_t base, length;
	uint32_t type;
} __attribute__((packed));

struct mb_module {
	uint32_t start, end, string, reserved;
} __attribute__((packed));

struct boot_info boot_info; /* [I] parsed at boot */

static const void *low_phys(uint32_t pa)
{
	return (const void *)(DIRECT_MAP_BASE + (uint64_t)pa);
}

static void parse_mmap(const struct mb_info *mb)
{
	uint32_t off = 0;

	while (off + sizeof(struct mb_mmap_entry) <= mb->mmap_length &&
	       boot_info.nr_ranges < BOOT_MAX_RANGES) {
		const struct mb_mmap_entry *e = low_phys(mb->mmap_addr + off);
		struct mem_range *r = &boot_info.ranges[boot_info.nr_ranges++];

		r->base = e->base;
		r->length = e->length;
		r->type = e->type;
		off += e->size + sizeof(e->size);
	}
}

static void parse_modules(const struct mb_info *mb)
{
	const struct mb_module *m = low_phys(mb->mods_addr);

	for (uint32_t i = 0; i < mb->mods_count && i < BOOT_MAX_MODULES; i++) {
		struct boot_module *b = &boot_info.modules[boot_info.nr_modules++];

		b->start = m[i].start;
		b->end = m[i].end;
		if (m[i].string)
			strlcpy(b->name, low_phys(m[i].string), sizeof(b->name));
	}
}

/* Multiboot loaders put the kernel image's path first; the parameters follow. */
static void copy_cmdline(const char *line)
{
	const char *params = strchr(line, ' ');

	strlcpy(boot_info.cmdline, params ? params + 1 : "", sizeof(boot_info.cmdline));
}

int multiboot_parse(uint32_t magic, uint32_t info_phys)
{
	const struct mb_info *mb = low_phys(info_phys);

	if (magic != MB_BOOT_MAGIC)
		return -EINVAL;
	if (mb->flags & MB_INFO_CMDLINE)
		copy_cmdline(low_phys(mb->cmdline));
	if (mb->flags & MB_INFO_MODS)
		parse_modules(mb);
	if (!(mb->flags & MB_INFO_MMAP))
		return -EINVAL;
	parse_mmap(mb);
	return 0;
}

const char *mem_type_name(uint32_t type)
{
	static const char *const names[] = { "?",	  "usable",   "reserved",
					     "ACPI data", "ACPI NVS", "bad" };

	return type < 6 ? names[type] : "?";
}
