/*
 * PCI enumeration and MSI-X (include/drivers/pci.h). kmain calls
 * pci_init after the interrupt controllers are up; it walks every bus,
 * device and function through configuration mechanism #1 (ports 0xCF8
 * and 0xCFC), decodes the BARs the firmware assigned and keeps one
 * struct pci_dev per function. Drivers (drivers/virtio_pci.c) find their
 * devices with pci_find and route MSI-X entries to interrupt vectors
 * that this file hands out.
 *
 * Locks: cfg_lock serialises the two-port configuration access (and the
 * vector allocator); the device list is built before any driver runs and
 * is read-only afterwards.
 */
#include <drivers/pci.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/lapic.h>
#include <kernel/printk.h>
#include <kernel/spinlock.h>
#include <lib/compiler.h>
#include <mm/kmap.h>
#include <mm/slab.h>
#include <uapi/errno.h>

#define CFG_ADDRESS	 0xcf8
#define CFG_DATA	 0xcfc
#define MSI_ADDR_BASE	 0xfee00000u
/* IOAPIC lines use VEC_IRQ_BASE + GSI; MSI vectors come from above them. */
#define VEC_MSI_FIRST	 0x60
#define VEC_MSI_LAST	 0xdf
#define CAP_WALK_MAX	 48 /* a 256-byte space holds at most this many */
#define PCI_CLASS_BRIDGE 0x06

/* MSI-X capability registers and table entries. */
#define MSIX_CTRL	   2
#define MSIX_TABLE	   4
#define MSIX_CTRL_ENABLE   (1u << 15)
#define MSIX_CTRL_MASK_ALL (1u << 14)
#define MSIX_ENTRY_WORDS   4 /* address low, high, data, vector control */
#define MSIX_VEC_MASKED	   1u

static spinlock_t cfg_lock = SPINLOCK_INIT("pci-cfg");
static LIST_HEAD(pci_devices); /* (c) after pci_init */
static unsigned nr_devices;    /* [I] counted by the boot scan */
static bool vector_used[256];  /* (cfg_lock) */

static uint32_t cfg_address(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	return 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 | (uint32_t)fn << 8 |
	       (off & 0xfc);
}

static uint32_t cfg_read(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off)
{
	unsigned long flags = spin_lock_irqsave(&cfg_lock);
	uint32_t v;

	outl(CFG_ADDRESS, cfg_address(bus, dev, fn, off));
	v = inl(CFG_DATA);
	spin_unlock_irqrestore(&cfg_lock, flags);
	return v;
}

static void cfg_write(uint8_t bus, uint8_t dev, uint8_t fn, unsigned off, uint32_t v)
{
	unsigned long flags = spin_lock_irqsave(&cfg_lock);

	outl(CFG_ADDRESS, cfg_address(bus, dev, fn, off));
	outl(CFG_DATA, v);
	spin_unlock_irqrestore(&cfg_lock, flags);
}

uint32_t pci_read32(const struct pci_dev *d, unsigned off)
{
	return cfg_read(d->bus, d->dev, d->fn, off);
}

uint16_t pci_read16(const struct pci_dev *d, unsigned off)
{
	return (uint16_t)(pci_read32(d, off) >> ((off & 2) * 8));
}

uint8_t pci_read8(const struct pci_dev *d, unsigned off)
{
	return (uint8_t)(pci_read32(d, off) >> ((off & 3) * 8));
}

void pci_write32(const struct pci_dev *d, unsigned off, uint32_t v)
{
	cfg_write(d->bus, d->dev, d->fn, off, v);
}

/* A read-modify-write of the dword: fine for the registers drivers write this way. */
void pci_write16(const struct pci_dev *d, unsigned off, uint16_t v)
{
	unsigned shift = (off & 2) * 8;
	uint32_t old = pci_read32(d, off);

	if ((off & ~3u) == PCI_COMMAND)
		old &= 0x0000ffffu; /* the status half is write-one-to-clear: write zeros */
	pci_write32(d, off, (old & ~(0xffffu << shift)) | (uint32_t)v << shift);
}

void pci_enable(struct pci_dev *d, uint16_t bits)
{
	pci_write16(d, PCI_COMMAND, pci_read16(d, PCI_COMMAND) | bits);
}

/*
 * Sizes BAR i by writing all ones (decoding is off meanwhile); returns
 * how many BAR slots it used (2 for a 64-bit memory BAR).
 */
static unsigned decode_bar(struct pci_dev *d, unsigned i)
{
	unsigned off = PCI_BAR0 + 4 * i;
	uint32_t lo = pci_read32(d, off), mask, hi = 0, hmask = 0xffffffffu;
	struct pci_bar *b = &d->bars[i];

	pci_write32(d, off, 0xffffffffu);
	mask = pci_read32(d, off);
	pci_write32(d, off, lo);
	b->io = lo & 1;
	b->is64 = !b->io && ((lo >> 1) & 3) == 2 && i + 1 < PCI_NUM_BARS;
	b->prefetch = !b->io && (lo & 8);
	if (b->is64) {
		hi = pci_read32(d, off + 4);
		pci_write32(d, off + 4, 0xffffffffu);
		hmask = pci_read32(d, off + 4);
		pci_write32(d, off + 4, hi);
	}
	mask &= b->io ? ~3u : ~15u;
	if (!mask)
		return b->is64 ? 2 : 1;
	b->base = ((uint64_t)hi << 32 | lo) & ((uint64_t)0xffffffffu << 32 | (b->io ? ~3u : ~15u));
	b->size = ~((uint64_t)hmask << 32 | mask) + 1;
	if (b->io)
		b->size &= 0xffff;
	return b->is64 ? 2 : 1;
}

static void decode_bars(struct pci_dev *d)
{
	uint16_t cmd = pci_read16(d, PCI_COMMAND);
	/* Decoding is off while sizing, but bridges (the host's too) keep it, as on Linux. */
	bool quiet = d->class_code != PCI_CLASS_BRIDGE;

	if (d->header_type != 0)
		return; /* PCI-to-PCI bridges: their windows are the firmware's business */
	if (quiet)
		pci_write16(d, PCI_COMMAND, cmd & ~(PCI_CMD_IO | PCI_CMD_MEMORY));
	for (unsigned i = 0; i < PCI_NUM_BARS;)
		i += decode_bar(d, i);
	if (quiet)
		pci_write16(d, PCI_COMMAND, cmd);
}

static void log_device(const struct pci_dev *d)
{
	pr_info("pci %02x:%02x.%u %04x:%04x class %02x%02x%02x\n", d->bus, d->dev, d->fn, d->vendor,
		d->device, d->class_code, d->subclass, d->prog_if);
	for (unsigned i = 0; i < PCI_NUM_BARS; i++) {
		const struct pci_bar *b = &d->bars[i];

		if (b->base)
			pr_info("  bar%u %s %#lx size %#lx%s\n", i, b->io ? "io " : "mem",
				(unsigned long)b->base, (unsigned long)b->size,
				b->is64 ? " 64-bit" : "");
	}
}

static void add_function(uint8_t bus, uint8_t dev, uint8_t fn, uint32_t id)
{
	struct pci_dev *d = kzalloc(sizeof(*d));
	uint32_t class_rev;

	if (!d) {
		pr_err("pci: out of memory at %02x:%02x.%u\n", bus, dev, fn);
		return;
	}
	d->bus = bus;
	d->dev = dev;
	d->fn = fn;
	d->vendor = id & 0xffff;
	d->device = id >> 16;
	class_rev = pci_read32(d, PCI_CLASS_REV);
	d->class_code = class_rev >> 24;
	d->subclass = class_rev >> 16;
	d->prog_if = class_rev >> 8;
	d->header_type = pci_read8(d, PCI_HEADER_TYPE) & 0x7f;
	decode_bars(d);
	list_add_tail(&d->node, &pci_devices);
	nr_devices++;
	log_device(d);
}

static void scan_slot(uint8_t bus, uint8_t dev)
{
	uint32_t id = cfg_read(bus, dev, 0, PCI_VENDOR_ID);
	unsigned nfn;

	if ((id & 0xffff) == 0xffff)
		return;
	nfn = (cfg_read(bus, dev, 0, PCI_HEADER_TYPE & ~3u) >> 16) & 0x80 ? 8 : 1;
	add_function(bus, dev, 0, id);
	for (uint8_t fn = 1; fn < nfn; fn++) {
		id = cfg_read(bus, dev, fn, PCI_VENDOR_ID);
		if ((id & 0xffff) != 0xffff)
			add_function(bus, dev, fn, id);
	}
}

void pci_init(void)
{
	for (unsigned bus = 0; bus < 256; bus++)
		for (uint8_t dev = 0; dev < 32; dev++)
			scan_slot((uint8_t)bus, dev);
	pr_info("pci: %u functions\n", nr_devices);
}

unsigned pci_count(void)
{
	return nr_devices;
}

struct pci_dev *pci_find(uint16_t vendor, uint16_t device, struct pci_dev *from)
{
	struct list_head *pos = from ? from->node.next : pci_devices.next;

	for (; pos != &pci_devices; pos = pos->next) {
		struct pci_dev *d = list_entry(pos, struct pci_dev, node);

		if ((vendor == 0xffff || d->vendor == vendor) &&
		    (device == 0xffff || d->device == device))
			return d;
	}
	return NULL;
}

unsigned pci_find_cap(const struct pci_dev *d, uint8_t id, unsigned start)
{
	unsigned off;

	if (!(pci_read16(d, PCI_STATUS) & PCI_STATUS_CAPS))
		return 0;
	off = start ? pci_read8(d, start + 1) : pci_read8(d, PCI_CAP_PTR);
	for (unsigned n = 0; n < CAP_WALK_MAX; n++) {
		off &= 0xfc;
		if (off < 0x40)
			return 0; /* the end, or a pointer into the header: broken */
		if (pci_read8(d, off) == id)
			return off;
		off = pci_read8(d, off + 1);
	}
	return 0;
}

void *pci_map_bar(struct pci_dev *d, unsigned i)
{
	struct pci_bar *b;

	if (i >= PCI_NUM_BARS)
		return NULL;
	b = &d->bars[i];
	if (!b->base || b->io || !b->size)
		return NULL;
	if (!b->virt)
		b->virt = ioremap(b->base, b->size);
	return b->virt;
}

int irq_alloc_vector(void)
{
	unsigned long flags = spin_lock_irqsave(&cfg_lock);
	int v = -ENOSPC;

	for (unsigned i = VEC_MSI_FIRST; i <= VEC_MSI_LAST; i++) {
		if (!vector_used[i]) {
			vector_used[i] = true;
			v = (int)i;
			break;
		}
	}
	spin_unlock_irqrestore(&cfg_lock, flags);
	return v;
}

int pci_msix_enable(struct pci_dev *d)
{
	unsigned cap = pci_find_cap(d, PCI_CAP_ID_MSIX, 0);
	uint32_t table, size;
	uint8_t *bar;

	if (!cap)
		return -ENODEV;
	if (d->msix_table)
		return (int)d->msix_size;
	size = (pci_read16(d, cap + MSIX_CTRL) & 0x7ff) + 1;
	table = pci_read32(d, cap + MSIX_TABLE);
	bar = pci_map_bar(d, table & 7);
	if (!bar || (uint64_t)(table & ~7u) + size * 16 > d->bars[table & 7].size)
		return -EINVAL;
	d->msix_table = (volatile uint32_t *)(bar + (table & ~7u));
	d->msix_size = size;
	for (unsigned i = 0; i < size; i++)
		d->msix_table[i * MSIX_ENTRY_WORDS + 3] = MSIX_VEC_MASKED;
	pci_enable(d, PCI_CMD_MEMORY | PCI_CMD_MASTER | PCI_CMD_INTX_OFF);
	pci_write16(d, cap + MSIX_CTRL, MSIX_CTRL_ENABLE);
	return (int)size;
}

int pci_msix_route(struct pci_dev *d, unsigned entry, irq_handler_t fn, void *ctx)
{
	volatile uint32_t *e;
	int vec;

	if (!d->msix_table || entry >= d->msix_size)
		return -EINVAL;
	vec = irq_alloc_vector();
	if (vec < 0)
		return vec;
	irq_register((unsigned)vec, fn, ctx);
	e = d->msix_table + entry * MSIX_ENTRY_WORDS;
	e[0] = MSI_ADDR_BASE | (lapic_id() << 12);
	e[1] = 0;
	e[2] = (uint32_t)vec;
	e[3] = 0; /* unmasked */
	return vec;
}
