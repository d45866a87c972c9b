/*
 * Interrupt controllers and timers: the local APIC (per CPU: timer,
 * end-of-interrupt, IPIs later), the IOAPIC (routes device interrupts to
 * vectors), the legacy PIC (masked), the PIT (used only to calibrate), and
 * the ACPI MADT that says where they are.
 */
#ifndef ARCH_X86_64_LAPIC_H
#define ARCH_X86_64_LAPIC_H

#include <lib/types.h>

#define MAX_IOAPICS 8

struct ioapic_desc {
	uint64_t phys;
	uint32_t gsi_base;
};

struct madt_info {
	uint64_t lapic_phys;
	struct ioapic_desc ioapics[MAX_IOAPICS];
	unsigned nr_ioapics;
	unsigned nr_cpus;
	uint8_t cpu_apic_ids[64];
	/* ISA IRQ -> GSI and flags (from interrupt source overrides). */
	uint32_t isa_gsi[16];
	uint16_t isa_flags[16];
	bool found; /* an ACPI MADT was found */
};

extern struct madt_info madt;

/* arch/x86_64/acpi.c */
void acpi_init(void);

/* arch/x86_64/lapic.c */
void pic_disable(void);
void lapic_init(void);
void lapic_eoi(void);
void lapic_eoi_all_in_service(void);
unsigned lapic_id(void);
/* Measures the TSC and LAPIC timer rates against the PIT, then starts the tick. */
void timer_init(void);
uint64_t lapic_timer_hz(void);

/* arch/x86_64/ioapic.c */
void ioapic_init(void);
/* Routes ISA IRQ irq to vector on the boot CPU, unmasked. */
void ioapic_route_isa(unsigned irq, unsigned vector);

#endif
