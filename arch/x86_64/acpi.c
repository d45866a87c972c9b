/*
 * Just enough ACPI to find the interrupt controllers: locate the RSDP in
 * the BIOS areas, walk the XSDT (or RSDT) to the MADT, and read the local
 * APICs, IOAPICs and ISA interrupt overrides into `madt`. Firmware tables
 * are input like any other: every table is checksummed, every length and
 * address checked, and anything unusable is skipped with a warning; without
 * a usable MADT the PC defaults stay in force.
 */
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/cpu.h>
#include <kernel/boot.h>
#include <kernel/printk.h>
#include <mm/kmap.h>
#include <lib/compiler.h>
#include <lib/string.h>

#define MAX_TABLE_SIZE	 (64 * 1024)
#define MAX_ROOT_ENTRIES 64

struct rsdp {
	char signature[8];
	uint8_t checksum;
	char oem[6];
	uint8_t revision;
	uint32_t rsdt;
	uint32_t length;
	uint64_t xsdt;
	uint8_t ext_checksum;
	uint8_t reserved[3];
} __attribute__((packed));

struct sdt_header {
	char signature[4];
	uint32_t length;
	uint8_t revision, checksum;
	char oem[6], oem_table[8];
	uint32_t oem_revision, creator, creator_revision;
} __attribute__((packed));

struct madt_header {
	struct sdt_header h;
	uint32_t lapic_addr;
	uint32_t flags;
} __attribute__((packed));

struct madt_info madt = {
	.lapic_phys = 0xfee00000,
	.ioapics = { { 0xfec00000, 0 } },
	.nr_ioapics = 1,
	.nr_cpus = 1,
	.isa_gsi = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 },
};

static bool checksum_ok(const void *p, size_t len)
{
	const uint8_t *b = p;
	uint8_t sum = 0;

	while (len--)
		sum += *b++;
	return sum == 0;
}

/* Whether pa..pa+len is an address the CPU can have and not RAM we manage. */
static bool firmware_address_ok(uint64_t pa, uint64_t len)
{
	uint32_t r[4];
	uint64_t limit;

	cpuid(0x80000008, 0, r);
	limit = 1ULL << (r[0] & 0xff);
	if (!pa || pa + len < pa || pa + len > limit)
		return false;
	for (unsigned i = 0; i < boot_info.nr_ranges; i++) {
		const struct mem_range *m = &boot_info.ranges[i];

		if (m->type == MEM_USABLE && pa < m->base + m->length && pa + len > m->base)
			return false;
	}
	return true;
}

static const struct rsdp *scan_for_rsdp(uint64_t start, uint64_t len)
{
	const uint8_t *area = memremap(start, len);

	for (uint64_t off = 0; off + sizeof(struct rsdp) <= len; off += 16) {
		const struct rsdp *r = (const struct rsdp *)(area + off);

		if (!memcmp(r->signature, "RSD PTR ", 8) && checksum_ok(r, 20))
			return r;
	}
	return NULL;
}

/* The RSDP is in the EBDA's first KiB or the BIOS ROM area, 16-byte aligned. */
static const struct rsdp *find_rsdp(void)
{
	const uint16_t *ebda_segment = memremap(0x40e, 2);
	uint64_t ebda = (uint64_t)*ebda_segment << 4;
	const struct rsdp *r = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = scan_for_rsdp(ebda, 1024);
	return r ? r : scan_for_rsdp(0xe0000, 0x20000);
}

/* Maps a table after checking its address, length and checksum; NULL if bad. */
static const struct sdt_header *map_table(uint64_t pa)
{
	const struct sdt_header *h;

	if (!firmware_address_ok(pa, sizeof(*h)))
		return NULL;
	h = memremap(pa, sizeof(*h));
	if (h->length < sizeof(*h) || h->length > MAX_TABLE_SIZE ||
	    !firmware_address_ok(pa, h->length))
		return NULL;
	h = memremap(pa, h->length);
	return checksum_ok(h, h->length) ? h : NULL;
}

static uint32_t read_u32(const uint8_t *p)
{
	uint32_t v;

	memcpy(&v, p, 4);
	return v;
}

/* One MADT entry (type, length, data); entries too short for their type are skipped. */
static void madt_entry(uint8_t type, uint8_t len, const uint8_t *d)
{
	if (type == 0 && len >= 8) { /* local APIC: acpi id, apic id, flags */
		if ((d[2] & 1) && madt.nr_cpus < sizeof(madt.cpu_apic_ids))
			madt.cpu_apic_ids[madt.nr_cpus++] = d[1];
	} else if (type == 1 && len >= 12 && madt.nr_ioapics < MAX_IOAPICS) {
		struct ioapic_desc *io = &madt.ioapics[madt.nr_ioapics];

		io->phys = read_u32(d + 2);
		io->gsi_base = read_u32(d + 6);
		if (firmware_address_ok(io->phys, PAGE_SIZE))
			madt.nr_ioapics++;
		else
			pr_warn("acpi: IOAPIC at bad address %#lx ignored\n",
				(unsigned long)io->phys);
	} else if (type == 2 && len >= 10 && d[1] < 16) { /* ISA interrupt override */
		madt.isa_gsi[d[1]] = read_u32(d + 2);
		memcpy(&madt.isa_flags[d[1]], d + 6, 2);
	}
}

static void parse_madt(const struct madt_header *m)
{
	const uint8_t *p = (const uint8_t *)(m + 1);
	const uint8_t *end = (const uint8_t *)m + m->h.length;

	if (m->h.length < sizeof(*m))
		return;
	madt.found = true;
	if (firmware_address_ok(m->lapic_addr, PAGE_SIZE))
		madt.lapic_phys = m->lapic_addr;
	madt.nr_cpus = 0;
	madt.nr_ioapics = 0;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		madt_entry(p[0], p[1], p + 2);
		p += p[1];
	}
	if (!madt.nr_cpus)
		madt.nr_cpus = 1;
	if (!madt.nr_ioapics) {
		pr_warn("acpi: the MADT lists no usable IOAPIC; assuming the PC default\n");
		madt.nr_ioapics = 1;
	}
}

/* The root table (XSDT if the RSDP offers one, else RSDT) and its entry size. */
static const struct sdt_header *map_root(const struct rsdp *r, unsigned *entry_size)
{
	const struct sdt_header *root = NULL;

	if (r->revision >= 2 && r->xsdt && checksum_ok(r, MIN(r->length, sizeof(*r))))
		root = map_table(r->xsdt);
	*entry_size = root ? 8 : 4;
	return root ? root : map_table(r->rsdt);
}

void acpi_init(void)
{
	const struct rsdp *r = find_rsdp();
	const struct sdt_header *root = NULL;
	unsigned esize;
	size_t n;

	if (r)
		root = map_root(r, &esize);
	if (!root) {
		pr_warn("acpi: no usable RSDP/RSDT; using PC defaults\n");
		return;
	}
	n = MIN((root->length - sizeof(*root)) / esize, (size_t)MAX_ROOT_ENTRIES);
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		const struct sdt_header *h;

		memcpy(&pa, (const uint8_t *)(root + 1) + i * esize, esize);
		h = map_table(pa);
		if (h && !memcmp(h->signature, "APIC", 4)) {
			parse_madt((const struct madt_header *)h);
			break;
		}
	}
	pr_info("acpi: %u CPU(s), %u IOAPIC(s), LAPIC at %#lx%s\n", madt.nr_cpus, madt.nr_ioapics,
		(unsigned long)madt.lapic_phys, madt.found ? "" : " (defaults: no MADT)");
}
