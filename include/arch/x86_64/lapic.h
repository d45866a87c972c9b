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
/* The boot CPU's: chooses x2APIC or xAPIC mode, then lapic_cpu_init. */
void lapic_init(void);
/* Any CPU's own LAPIC, in that mode. */
void lapic_cpu_init(void);
bool lapic_x2apic(void);
/* Interrupt command register values for lapic_send_ipi. */
#define ICR_FIXED	 0x000
#define ICR_NMI		 0x400
#define ICR_INIT	 0x500
#define ICR_STARTUP	 0x600
#define ICR_ASSERT	 (1 << 14)
#define ICR_LEVEL	 (1 << 15)
#define ICR_ALL_BUT_SELF (3 << 18)
/* Sends an IPI (icr: mode | vector | flags) to the CPU with that APIC id. */
void lapic_send_ipi(unsigned apic_id, uint32_t icr);
void lapic_eoi(void);
void lapic_eoi_all_in_service(void);
unsigned lapic_id(void);
/* Measures the TSC and LAPIC timer rates against the PIT, then starts the tick. */
void timer_init(void);
uint64_t lapic_timer_hz(void);
/* Starts this CPU's periodic tick (after timer_init on the boot CPU). */
void lapic_timer_start(void);

/* arch/x86_64/ioapic.c */
void ioapic_init(void);
/* Routes ISA IRQ irq to vector on the boot CPU, unmasked. */
void ioapic_route_isa(unsigned irq, unsigned vector);

#endif
