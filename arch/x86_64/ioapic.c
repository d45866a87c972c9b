/*
 * The IOAPIC (include/arch/x86_64/lapic.h): every redirection entry starts
 * masked; drivers route their ISA interrupt to a vector on the boot CPU,
 * honouring the polarity and trigger mode of ACPI interrupt overrides.
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

static volatile uint32_t *ioapic;
static unsigned nr_pins;
static spinlock_t ioapic_lock = SPINLOCK_INIT("ioapic");

static uint32_t ioapic_read(unsigned reg)
{
	ioapic[IOAPIC_REGSEL / 4] = reg;
	return ioapic[IOAPIC_WINDOW / 4];
}

static void ioapic_write(unsigned reg, uint32_t v)
{
	ioapic[IOAPIC_REGSEL / 4] = reg;
	ioapic[IOAPIC_WINDOW / 4] = v;
}

void ioapic_init(void)
{
	ioapic = ioremap(madt.ioapic_phys, PAGE_SIZE);
	nr_pins = ((ioapic_read(IOAPIC_VER) >> 16) & 0xff) + 1;
	for (unsigned i = 0; i < nr_pins; i++) {
		ioapic_write(IOAPIC_REDIR(i), REDIR_MASKED);
		ioapic_write(IOAPIC_REDIR(i) + 1, 0);
	}
	pr_info("ioapic: %u pins\n", nr_pins);
}

void ioapic_route_isa(unsigned irq, unsigned vector)
{
	unsigned pin = madt.isa_gsi[irq] - madt.ioapic_gsi_base;
	uint16_t f = madt.isa_flags[irq];
	uint32_t low = vector;
	unsigned long flags;

	/* MPS flags: polarity bits 0-1 (3 = active low), trigger bits 2-3 (3 = level). */
	if ((f & 3) == 3)
		low |= REDIR_ACTIVE_LOW;
	if (((f >> 2) & 3) == 3)
		low |= REDIR_LEVEL;
	if (pin >= nr_pins)
		return;
	flags = spin_lock_irqsave(&ioapic_lock);
	ioapic_write(IOAPIC_REDIR(pin) + 1, (uint32_t)lapic_id() << 24);
	ioapic_write(IOAPIC_REDIR(pin), low);
	spin_unlock_irqrestore(&ioapic_lock, flags);
}
