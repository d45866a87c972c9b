/*
 * Just enough ACPI to find the interrupt controllers: locate the RSDP in
 * the BIOS areas, walk the RSDT or XSDT to the MADT, and read the local
 * APICs, IOAPIC and ISA interrupt overrides into `madt`. Tables are
 * checksummed; without a usable MADT the PC defaults stay in force.
 */
#include <arch/x86_64/lapic.h>
#include <kernel/printk.h>
#include <mm/kmap.h>
#include <lib/string.h>

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

struct madt_entry {
	uint8_t type, length;
	uint8_t data[];
} __attribute__((packed));

struct madt_info madt = {
	.lapic_phys = 0xfee00000,
	.ioapic_phys = 0xfec00000,
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
	uint64_t ebda = (uint64_t) * (const uint16_t *)phys_to_virt(0x40e) << 4;
	const struct rsdp *r = NULL;

	if (ebda >= 0x80000 && ebda < 0xa0000)
		r = scan_for_rsdp(ebda, 1024);
	return r ? r : scan_for_rsdp(0xe0000, 0x20000);
}

static const struct sdt_header *map_table(uint64_t pa)
{
	const struct sdt_header *h = memremap(pa, sizeof(*h));

	if (h->length < sizeof(*h) || h->length > (1u << 20))
		return NULL;
	h = memremap(pa, h->length);
	return checksum_ok(h, h->length) ? h : NULL;
}

static void madt_entry(const struct madt_entry *e)
{
	const uint8_t *d = e->data;

	switch (e->type) {
	case 0: /* processor local APIC: acpi id, apic id, flags */
		if ((d[2] & 1) && madt.nr_cpus < sizeof(madt.cpu_apic_ids))
			madt.cpu_apic_ids[madt.nr_cpus++] = d[1];
		break;
	case 1: /* IOAPIC: id, reserved, address, gsi base */
		memcpy(&madt.ioapic_phys, d + 2, 4);
		memcpy(&madt.ioapic_gsi_base, d + 6, 4);
		break;
	case 2: /* interrupt source override: bus, source, gsi, flags */
		if (d[1] < 16) {
			memcpy(&madt.isa_gsi[d[1]], d + 2, 4);
			memcpy(&madt.isa_flags[d[1]], d + 6, 2);
		}
		break;
	}
}

static void parse_madt(const struct madt_header *m)
{
	const uint8_t *p = (const uint8_t *)(m + 1);
	const uint8_t *end = (const uint8_t *)m + m->h.length;

	madt.found = true;
	madt.lapic_phys = m->lapic_addr;
	madt.nr_cpus = 0;
	while (p + 2 <= end && p[1] >= 2 && p + p[1] <= end) {
		madt_entry((const struct madt_entry *)p);
		p += p[1];
	}
	if (!madt.nr_cpus)
		madt.nr_cpus = 1;
}

void acpi_init(void)
{
	const struct rsdp *r = find_rsdp();
	const struct sdt_header *root;
	bool x;
	size_t n;

	if (!r || !(root = map_table((x = r->revision >= 2 && r->xsdt) ? r->xsdt : r->rsdt))) {
		pr_warn("acpi: no usable RSDP/RSDT; using PC defaults\n");
		return;
	}
	n = (root->length - sizeof(*root)) / (x ? 8 : 4);
	for (size_t i = 0; i < n; i++) {
		uint64_t pa = 0;
		const struct sdt_header *h;

		memcpy(&pa, (const uint8_t *)(root + 1) + i * (x ? 8 : 4), x ? 8 : 4);
		h = map_table(pa);
		if (h && !memcmp(h->signature, "APIC", 4)) {
			parse_madt((const struct madt_header *)h);
			break;
		}
	}
	pr_info("acpi: %u CPU(s), IOAPIC at %#lx, LAPIC at %#lx%s\n", madt.nr_cpus,
		(unsigned long)madt.ioapic_phys, (unsigned long)madt.lapic_phys,
		madt.found ? "" : " (defaults: no MADT)");
}
