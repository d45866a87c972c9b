/*
 * The local APIC and the timer tick (include/arch/x86_64/lapic.h).
 *
 * At boot the legacy 8259 PICs are remapped out of the exception range and
 * masked. The TSC and the LAPIC timer are calibrated together against PIT
 * channel 2 (gated through port 0x61, polled, no interrupt needed): the
 * median of several 10 ms windows. The LAPIC timer then fires HZ times a
 * second into sched_tick().
 */
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/trap.h>
#include <kernel/config.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/profile.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <mm/kmap.h>

#define LAPIC_ID	  0x020
#define LAPIC_TPR	  0x080
#define LAPIC_EOI	  0x0b0
#define LAPIC_SVR	  0x0f0
#define LAPIC_ISR	  0x100 /* 8 registers, 0x10 apart */
#define LAPIC_LVT_TIMER	  0x320
#define LAPIC_TIMER_INIT  0x380
#define LAPIC_TIMER_COUNT 0x390
#define LAPIC_TIMER_DIV	  0x3e0
#define LAPIC_SVR_ENABLE  0x100
#define LVT_PERIODIC	  (1 << 17)
#define LVT_MASKED	  (1 << 16)

#define PIT_HZ		   1193182
#define CALIBRATION_MS	   10
#define CALIBRATION_ROUNDS 5
#define PIT_MAX_SPINS	   100000000UL

static volatile uint32_t *lapic; /* [I] mapped at boot */
static uint64_t lapic_hz;	 /* [I] calibrated at boot */

static uint32_t lapic_read(unsigned reg)
{
	return lapic[reg / 4];
}

static void lapic_write(unsigned reg, uint32_t v)
{
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

void lapic_init(void)
{
	lapic = ioremap(madt.lapic_phys, PAGE_SIZE);
	wrmsr(MSR_APIC_BASE, rdmsr(MSR_APIC_BASE) | (1 << 11));
	lapic_write(LAPIC_TPR, 0);
	lapic_write(LAPIC_SVR, LAPIC_SVR_ENABLE | VEC_SPURIOUS);
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
	return lapic_read(LAPIC_ID) >> 24;
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
	lapic_write(LAPIC_LVT_TIMER, LVT_PERIODIC | VEC_TIMER);
	lapic_write(LAPIC_TIMER_INIT, lapic_hz / HZ);
}
