/*
 * What the boot loader told us, in a loader-neutral form. Filled by
 * arch/x86_64/multiboot.c before memory management starts; read by the
 * memory set-up, the command line parser and (later) the initramfs.
 */
#ifndef KERNEL_BOOT_H
#define KERNEL_BOOT_H

#include <lib/types.h>

#define BOOT_MAX_RANGES	 64
#define BOOT_MAX_MODULES 8
#define BOOT_CMDLINE_MAX 1024

enum mem_type {
	MEM_USABLE = 1,
	MEM_RESERVED = 2,
	MEM_ACPI_RECLAIM = 3,
	MEM_ACPI_NVS = 4,
	MEM_BAD = 5,
};

struct mem_range {
	uint64_t base, length;
	uint32_t type; /* enum mem_type */
};

struct boot_module {
	uint64_t start, end; /* physical */
	char name[64];
};

struct boot_info {
	struct mem_range ranges[BOOT_MAX_RANGES];
	unsigned nr_ranges;
	struct boot_module modules[BOOT_MAX_MODULES];
	unsigned nr_modules;
	char cmdline[BOOT_CMDLINE_MAX];
	uint64_t tsc_at_entry; /* rdtsc at kmain, for the boot time */
};

extern struct boot_info boot_info;

/* Returns 0, or -EINVAL when the loader's information is unusable. */
int multiboot_parse(uint32_t magic, uint32_t info_phys);
const char *mem_type_name(uint32_t type);

#endif
