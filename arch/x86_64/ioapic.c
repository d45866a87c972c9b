/*
 * The IOAPICs (include/arch/x86_64/lapic.h): every redirection entry
 * starts masked; drivers route their ISA interrupt to a vector on the boot
 * CPU, through the IOAPIC whose GSI range holds it, honouring the polarity
 * and trigger mode of ACPI interrupt overrides.
 */
#include <arch/x86_64/lapic.h>
#include <kernel/spinlock.h>
#include <kernel/printk.h>
#include <mm/kmap.h>

#define IOAPIC_REGSEL	 0x00
#define IOAPIC_WINDOW	 0x10
#define IOAPIC_VER	 0x01
#define IOAPIC_REDIR(n)	 (0x10 + 2 * (n))
#define REDIR_MASKED	 (1 << 16)
#define REDIR_LEVEL	 (1 << 15)
#define REDIR_ACTIVE_LOW (1 << 13)

struct ioapic {
	volatile uint32_t *regs;
	uint32_t gsi_base;
	unsigned nr_pins;
};

static struct ioapic ioapics[MAX_IOAPICS]; /* [I] found at boot */
static unsigned nr_ioapics;		   /* [I] */
static spinlock_t ioapic_lock = SPINLOCK_INIT("ioapic");

static uint32_t ioapic_read(struct ioapic *io, unsigned reg)
{
	io->regs[IOAPIC_REGSEL / 4] = reg;
	return io->regs[IOAPIC_WINDOW / 4];
}

static void ioapic_write(struct ioapic *io, unsigned reg, uint32_t v)
{
	io->regs[IOAPIC_REGSEL / 4] = reg;
	io->regs[IOAPIC_WINDOW / 4] = v;
}

void ioapic_init(void)
{
	for (unsigned i = 0; i < madt.nr_ioapics; i++) {
		struct ioapic *io = &ioapics[nr_ioapics++];

		io->regs = ioremap(madt.ioapics[i].phys, PAGE_SIZE);
		io->gsi_base = madt.ioapics[i].gsi_base;
		io->nr_pins = ((ioapic_read(io, IOAPIC_VER) >> 16) & 0xff) + 1;
		for (unsigned pin = 0; pin < io->nr_pins; pin++) {
			ioapic_write(io, IOAPIC_REDIR(pin), REDIR_MASKED);
			ioapic_write(io, IOAPIC_REDIR(pin) + 1, 0);
		}
		pr_info("ioapic: GSI %u-%u\n", io->gsi_base, io->gsi_base + io->nr_pins - 1);
	}
}

static struct ioapic *ioapic_for(uint32_t gsi)
{
	for (unsigned i = 0; i < nr_ioapics; i++)
		if (gsi >= ioapics[i].gsi_base && gsi < ioapics[i].gsi_base + ioapics[i].nr_pins)
			return &ioapics[i];
	return NULL;
}

void ioapic_route_isa(unsigned irq, unsigned vector)
{
	uint32_t gsi = irq < 16 ? madt.isa_gsi[irq] : irq;
	uint16_t f = irq < 16 ? madt.isa_flags[irq] : 0;
	struct ioapic *io = ioapic_for(gsi);
	uint32_t low = vector;
	unsigned long flags;

	if (!io) {
		pr_warn("ioapic: no IOAPIC serves IRQ %u (GSI %u); it stays off\n", irq, gsi);
		return;
	}
	/* MPS flags: polarity bits 0-1 (3 = active low), trigger bits 2-3 (3 = level). */
	if ((f & 3) == 3)
		low |= REDIR_ACTIVE_LOW;
	if (((f >> 2) & 3) == 3)
		low |= REDIR_LEVEL;
	flags = spin_lock_irqsave(&ioapic_lock);
	ioapic_write(io, IOAPIC_REDIR(gsi - io->gsi_base) + 1, (uint32_t)lapic_id() << 24);
	ioapic_write(io, IOAPIC_REDIR(gsi - io->gsi_base), low);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}
