/*
 * The local APIC and the timer tick (include/arch/x86_64/lapic.h).
 *
 * At boot the legacy 8259 PICs are remapped out of the exception range and
 * masked. The TSC and the LAPIC timer are calibrated together against PIT
 * channel 2 (gated through port 0x61, polled, no interrupt needed): the
 * median of several 10 ms windows. The LAPIC timer then fires HZ times a
 * second into sched_tick(), on every CPU at the rate measured once on the
 * boot CPU.
 *
 * The LAPIC is used in x2APIC mode (registers are MSRs, 32-bit ids) when
 * the CPU has it, else in xAPIC mode (memory-mapped registers). Both reach
 * a register through lapic_read/lapic_write by its xAPIC offset. IPIs go
 * through the interrupt command register (lapic_send_ipi).
 */
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/trap.h>
#include <kernel/cmdline.h>
#include <kernel/config.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/profile.h>
#include <kernel/smp.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <mm/kmap.h>

#define LAPIC_ID	  0x020
#define LAPIC_TPR	  0x080
#define LAPIC_EOI	  0x0b0
#define LAPIC_SVR	  0x0f0
#define LAPIC_ISR	  0x100 /* 8 registers, 0x10 apart */
#define LAPIC_ICR_LOW	  0x300
#define LAPIC_ICR_HIGH	  0x310
#define LAPIC_LVT_TIMER	  0x320
#define LAPIC_LVT_LINT1	  0x360
#define LVT_DELIVER_NMI	  (4u << 8)
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_COUNT 0x390
#define LAPIC_TIMER_DIV	  0x3e0
#define LAPIC_SVR_ENABLE  0x100
#define LVT_PERIODIC	  (1 << 17)
#define LVT_MASKED	  (1 << 16)
#define ICR_PENDING	  (1 << 12)
#define MSR_X2APIC_BASE	  0x800
#define MSR_X2APIC_ICR	  0x830
#define APIC_BASE_ENABLE  (1 << 11)
#define APIC_BASE_X2APIC  (1 << 10)
#define CPUID1_X2APIC	  (1 << 21)

#define PIT_HZ		   1193182
#define CALIBRATION_MS	   10
#define CALIBRATION_ROUNDS 5
#define PIT_MAX_SPINS	   100000000UL

static volatile uint32_t *lapic; /* [I] xAPIC registers (unused in x2APIC mode) */
static bool x2apic;		 /* [I] set by the boot CPU before the others start */
static uint64_t lapic_hz;	 /* [I] */

static uint32_t lapic_read(unsigned reg)
{
	if (x2apic)
		return rdmsr(MSR_X2APIC_BASE + reg / 16);
	return lapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
	if (x2apic)
		wrmsr(MSR_X2APIC_BASE + reg / 16, v);
	else
		lapic[reg / 4] = v;
}

void pic_disable(void)
{
	/* ICW1..ICW4: remap to VEC_PIC_BASE, then mask every line. */
	outb(0x20, 0x11);
	outb(0xa0, 0x11);
	outb(0x21, VEC_PIC_BASE);
	outb(0xa1, VEC_PIC_BASE + 8);
	outb(0x21, 4);
	outb(0xa1, 2);
	outb(0x21, 1);
	outb(0xa1, 1);
	outb(0x21, 0xff);
	outb(0xa1, 0xff);
}

/* This CPU's LAPIC on, in the mode the boot CPU chose. */
void lapic_cpu_init(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE) | APIC_BASE_ENABLE;

	wrmsr(MSR_APIC_BASE, base);
	if (x2apic)
		wrmsr(MSR_APIC_BASE, base | APIC_BASE_X2APIC);
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
}

void lapic_init(void)
{
	uint32_t r[4];

	cpuid(1, 0, r);
	x2apic = (r[2] & CPUID1_X2APIC) && !cmdline_has(&kernel_cmdline, "nox2apic");
	if (!x2apic)
		lapic = ioremap(madt.lapic_phys, PAGE_SIZE);
	lapic_cpu_init();
	/* The board's NMI line (QEMU's `nmi`: a state dump) reaches the boot CPU only. */
	lapic_write(LAPIC_LVT_LINT1, LVT_DELIVER_NMI);
	pr_info("lapic: %s mode\n", x2apic ? "x2APIC" : "xAPIC");
}

bool lapic_x2apic(void)
{
	return x2apic;
}

void lapic_send_ipi(unsigned apic_id, uint32_t icr)
{
	unsigned long flags = irq_save();

	if (x2apic) {
		wrmsr(MSR_X2APIC_ICR, ((uint64_t)apic_id << 32) | icr);
	} else {
		while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
			cpu_relax();
		lapic_write(LAPIC_ICR_HIGH, apic_id << 24);
		lapic_write(LAPIC_ICR_LOW, icr);
		while (lapic_read(LAPIC_ICR_LOW) & ICR_PENDING)
			cpu_relax();
	}
	irq_restore(flags);
}

void lapic_eoi(void)
{
	lapic_write(LAPIC_EOI, 0);
}

/* Acknowledges every interrupt the LAPIC still has in service on this CPU. */
void lapic_eoi_all_in_service(void)
{
	int budget = 256; /* at most one EOI per vector */

	for (int reg = 7; reg >= 0; reg--)
		while (lapic_read(LAPIC_ISR + reg * 0x10) && budget-- > 0)
			lapic_eoi();
}

unsigned lapic_id(void)
{
	return x2apic ? lapic_read(LAPIC_ID) : lapic_read(LAPIC_ID) >> 24;
}

uint64_t lapic_timer_hz(void)
{
	return lapic_hz;
}

/* One PIT window: returns TSC ticks and LAPIC timer ticks elapsed. */
static void pit_window(uint64_t *tsc, uint64_t *apic)
{
	uint16_t count = PIT_HZ * CALIBRATION_MS / 1000;
	uint64_t t0;
	uint32_t a0;

	outb(0x61, inb(0x61) & ~0x03); /* gate off, speaker off */
	outb(0x43, 0xb0);	       /* channel 2, lo/hi, mode 0 */
	outb(0x42, count & 0xff);
	outb(0x42, count >> 8);
	outb(0x61, inb(0x61) | 0x01); /* gate on: counting starts */
	a0 = lapic_read(LAPIC_TIMER_COUNT);
	t0 = rdtsc();
	for (unsigned long spins = 0; !(inb(0x61) & 0x20); spins++)
		if (spins > PIT_MAX_SPINS)
			panic("timer: the PIT never counted down; cannot calibrate the clock");
	*tsc = rdtsc() - t0;
	*apic = a0 - lapic_read(LAPIC_TIMER_COUNT);
}

static uint64_t median(uint64_t *v, int n)
{
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && v[j - 1] > v[j]; j--) {
			uint64_t t = v[j];
			v[j] = v[j - 1];
			v[j - 1] = t;
		}
	return v[n / 2];
}

static void timer_interrupt(struct trap_frame *f, void *ctx)
{
	(void)ctx;
	profile_tick(f);
	sched_tick(trap_from_user(f));
	smp_watchdog_tick();
}

void timer_init(void)
{
	uint64_t tsc[CALIBRATION_ROUNDS], apic[CALIBRATION_ROUNDS];
	uint64_t tsc_hz;

	lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16 */
	lapic_write(LAPIC_LVT_TIMER, LVT_MASKED | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, 0xffffffff);
	for (int i = 0; i < CALIBRATION_ROUNDS; i++)
		pit_window(&tsc[i], &apic[i]);
	tsc_hz = median(tsc, CALIBRATION_ROUNDS) * 1000 / CALIBRATION_MS;
	lapic_hz = median(apic, CALIBRATION_ROUNDS) * 1000 / CALIBRATION_MS;
	if (tsc_hz < 1000000 || lapic_hz < 1000 * HZ)
		panic("timer: implausible calibration (TSC %lu Hz, LAPIC timer %lu Hz)",
		      (unsigned long)tsc_hz, (unsigned long)lapic_hz);
	clock_init(tsc_hz);
	pr_info("timer: TSC %lu.%03lu MHz, LAPIC timer %lu kHz, tick %d Hz\n",
		(unsigned long)(clock_tsc_hz() / 1000000),
		(unsigned long)(clock_tsc_hz() / 1000 % 1000), (unsigned long)(lapic_hz / 1000),
		HZ);
	irq_register(VEC_TIMER, timer_interrupt, NULL);
	lapic_timer_start();
}

/* This CPU's tick, at the rate timer_init measured. */
void lapic_timer_start(void)
{
	lapic_write(LAPIC_TIMER_DIV, 0x3); /* divide by 16, as calibrated */
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, lapic_hz / HZ);
}
