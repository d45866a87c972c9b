/*
 * The other CPUs (include/kernel/smp.h): start-up, inter-processor
 * interrupts, running a function on the other CPUs, stopping them at a
 * panic, the NMI watchdog, and passing on the host's state-dump NMI.
 *
 * Start-up: for each CPU of the ACPI MADT in turn, the boot CPU allocates
 * its struct percpu and stacks, fills in the trampoline's parameters and
 * sends INIT, then two STARTUP IPIs (trampoline.S). The AP sets itself up
 * (ap_main: GS base, GDT/TSS with its IST stacks, IDT, FPU, SMEP/SMAP,
 * syscall MSRs, LAPIC and tick, idle thread), publishes itself in the CPU
 * table and enters the CPU loop. The boot CPU waits for it before starting
 * the next one, so CPU ids are dense and the trampoline is used by one AP
 * at a time.
 *
 * smp_call_others: one call at a time (call_busy); the target CPUs run it
 * from the VEC_IPI_CALL interrupt, or from smp_poll_calls() while they spin
 * with interrupts off (spinlocks spin there), so that a caller holding a
 * lock another CPU spins on still gets its answer.
 *
 * Watchdog: CPU (i + 1) mod N watches CPU i on each of its own ticks. When
 * the watched CPU's tick count stays still for WATCHDOG_SECONDS of the
 * watcher's ticks, the watcher sends it an NMI; the NMI handler reports it
 * if it was running with interrupts off (else the vCPU was only not
 * scheduled by the host: nothing is wrong), and a service thread stuck
 * that way is made to crash through svc_crash, like a fault.
 */
#include <kernel/smp.h>
#include <kernel/state_dump.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/smp_boot.h>
#include <arch/x86_64/trap.h>
#include <kernel/cmdline.h>
#include <kernel/config.h>
#include <kernel/ksyms.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <lib/string.h>
#include <mm/kmap.h>
#include <mm/kstack.h>
#include <mm/slab.h>
#include <mm/tlb.h>
#include <svc/service.h>

#define AP_START_TIMEOUT_NS (5 * NSEC_PER_SEC) /* TCG on a busy host is slow */
#define STOP_TIMEOUT_NS	    (2 * NSEC_PER_SEC)
#define WATCHDOG_SECONDS    5

extern char trampoline_start[], trampoline_end[];
extern char boot_pml4[];
void ap_start64(void);

/* The call being run on other CPUs; one at a time (call_busy). */
static struct {
	void (*fn)(void *arg);
	void *arg;
	unsigned left; /* CPUs that have not finished it (atomic) */
} call;
static int call_busy; /* atomic: a caller owns `call` */

static int panic_cpu = -1; /* atomic: the CPU stopping the others */

static void delay_ns(uint64_t ns)
{
	uint64_t end = clock_ns() + ns;

	while (clock_ns() < end)
		cpu_relax();
}

/* ---- IPIs -------------------------------------------------------------- */

void smp_send_ipi(unsigned cpu, unsigned vector)
{
	struct percpu *c = smp_cpu(cpu);

	if (c)
		lapic_send_ipi(c->apic_id, ICR_FIXED | vector);
}

void smp_send_ipi_others(unsigned vector)
{
	unsigned self = smp_this_cpu_id();

	for_each_online_cpu(id) if (id != self) smp_send_ipi(id, vector);
}

void smp_send_nmi(unsigned cpu, int reason)
{
	struct percpu *c = smp_cpu(cpu);

	if (!c)
		return;
	__atomic_store_n(&c->nmi_reason, reason, __ATOMIC_RELEASE);
	lapic_send_ipi(c->apic_id, ICR_NMI);
}

void smp_poll_calls(void)
{
	struct percpu *cpu = this_cpu();

	if (!__atomic_load_n(&cpu->call_pending, __ATOMIC_RELAXED))
		return;
	if (!__atomic_exchange_n(&cpu->call_pending, false, __ATOMIC_ACQUIRE))
		return;
	call.fn(call.arg);
	__atomic_fetch_sub(&call.left, 1, __ATOMIC_RELEASE);
}

void smp_call_others(void (*fn)(void *arg), void *arg)
{
	unsigned self, others = smp_cpus_online() - 1;
	unsigned long flags;

	if (!others)
		return;
	flags = irq_save();
	while (__atomic_exchange_n(&call_busy, 1, __ATOMIC_ACQUIRE)) {
		smp_poll_calls(); /* another CPU's call may wait for this one */
		tlb_poll();	  /* ... or its TLB shootdown (mm/tlb.c) */
		cpu_relax();
	}
	self = smp_this_cpu_id();
	call.fn = fn;
	call.arg = arg;
	__atomic_store_n(&call.left, others, __ATOMIC_RELEASE);
	for (unsigned id = 0; id <= others; id++) {
		if (id == self)
			continue;
		__atomic_store_n(&smp_cpu(id)->call_pending, true, __ATOMIC_RELEASE);
		smp_send_ipi(id, VEC_IPI_CALL);
	}
	while (__atomic_load_n(&call.left, __ATOMIC_ACQUIRE)) {
		tlb_poll(); /* a target may be waiting for this CPU's TLB flush */
		cpu_relax();
	}
	__atomic_store_n(&call_busy, 0, __ATOMIC_RELEASE);
	irq_restore(flags);
}

static void ipi_call(struct trap_frame *f, void *ctx)
{
	(void)f;
	(void)ctx;
	smp_poll_calls();
}

static void ipi_resched(struct trap_frame *f, void *ctx)
{
	(void)f;
	(void)ctx;
	this_cpu()->need_resched = true;
}

/* ---- Panic: stop the others -------------------------------------------- */

static __attribute__((noreturn)) void stop_this_cpu(const struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();
	struct thread *t = cpu->current;

	kprintf("cpu %u stopped in thread '%s' (tid %d):\n", cpu->cpu_id, t ? t->name : "?",
		t ? t->tid : 0);
	if (f)
		backtrace_print(f->rip, f->rbp, f->rsp);
	__atomic_store_n(&cpu->stopped, true, __ATOMIC_RELEASE);
	for (;;)
		cpu_halt(); /* NMIs stay blocked: no iret follows */
}

void smp_stop_others(void)
{
	unsigned self = smp_this_cpu_id();
	int none = -1;

	if (!__atomic_compare_exchange_n(&panic_cpu, &none, (int)self, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE))
		return;
	for_each_online_cpu(id)
	{
		struct percpu *c = smp_cpu(id);
		uint64_t end;

		if (id == self)
			continue;
		printk_break_lock(); /* the last one may have stopped while printing */
		smp_send_nmi(id, SMP_NMI_STOP);
		end = clock_ns() + STOP_TIMEOUT_NS;
		while (!__atomic_load_n(&c->stopped, __ATOMIC_ACQUIRE) && clock_ns() < end)
			cpu_relax();
		if (!c->stopped)
			kprintf("cpu %u did not answer the stop NMI\n", id);
	}
	printk_break_lock();
}

/* ---- The NMI watchdog ---------------------------------------------------- */

static __attribute__((noreturn)) void watchdog_service_crash(void)
{
	svc_crash("NMI watchdog: stuck with interrupts off");
}

void smp_watchdog_tick(void)
{
	struct percpu *cpu = this_cpu();
	unsigned n = smp_cpus_online(), watched;
	struct percpu *w;
	uint64_t ticks;

	if (n < 2)
		return;
	watched = (cpu->cpu_id + n - 1) % n;
	w = smp_cpu(watched);
	ticks = __atomic_load_n(&w->ticks, __ATOMIC_RELAXED);
	if (ticks != cpu->wd_seen_ticks) {
		cpu->wd_seen_ticks = ticks;
		cpu->wd_still_ticks = 0;
		return;
	}
	if (++cpu->wd_still_ticks == WATCHDOG_SECONDS * HZ)
		smp_send_nmi(watched, SMP_NMI_WATCHDOG);
	else if (cpu->wd_still_ticks > WATCHDOG_SECONDS * HZ * 2)
		cpu->wd_still_ticks = 0; /* still stuck: NMI again */
}

/* The NMI handler on a CPU the watchdog found still. */
static void watchdog_nmi(struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();
	struct thread *t = cpu->current;

	if (f->rflags & RFLAGS_IF)
		return; /* interrupts on: its vCPU was only not run by the host */
	printk_break_lock();
	kprintf("\nNMI watchdog: cpu %u stuck with interrupts off in thread '%s' (tid %d)\n",
		cpu->cpu_id, t ? t->name : "?", t ? t->tid : 0);
	backtrace_print(f->rip, f->rbp, f->rsp);
	if (!trap_from_user(f) && svc_can_recover()) {
		/* Return from the NMI into svc_crash, on the service thread's stack. */
		f->rsp = (f->rsp & ~15ull) - 8;
		f->rip = (uint64_t)watchdog_service_crash;
	}
}

/* VEC_NMI: a stop, a watchdog check, or the host's request for a state dump. */
void smp_nmi(struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();
	int reason = __atomic_exchange_n(&cpu->nmi_reason, SMP_NMI_NONE, __ATOMIC_ACQ_REL);

	if (__atomic_load_n(&panic_cpu, __ATOMIC_ACQUIRE) >= 0 && panic_cpu != (int)cpu->cpu_id)
		stop_this_cpu(f);
	if (reason == SMP_NMI_WATCHDOG) {
		watchdog_nmi(f);
		return;
	}
	if (reason == SMP_NMI_NONE) {
		/* The board's NMI line (boot CPU only): the host asks for a state dump. */
		for (unsigned id = 0; id < smp_cpus_online(); id++)
			if (id != cpu->cpu_id)
				smp_send_nmi(id, SMP_NMI_STATE_DUMP);
	}
	state_dump_nmi(f);
}

/* ---- Start-up ---------------------------------------------------------- */

static uint64_t stack_top(void)
{
	struct kstack s;

	if (kstack_alloc(&s))
		return 0;
	return s.top;
}

/* The AP's first C code, on its own CPU stack, with the kernel's page tables. */
__attribute__((noreturn)) void ap_main(struct percpu *cpu, uint64_t df_top, uint64_t nmi_top)
{
	percpu_load(cpu, df_top, nmi_top);
	idt_load();
	fpu_init();
	syscall_init();
	cpu_enable_protection();
	lapic_cpu_init();
	cpu->apic_id = lapic_id();
	sched_init_ap(cpu);
	lapic_timer_start();
	percpu_publish(cpu);
	cpu_loop_restart();
}

/* The per-CPU area and stacks for CPU id; its parameters in the trampoline. */
static struct percpu *ap_prepare(unsigned id, unsigned apic_id, struct ap_boot_params *p)
{
	struct percpu *cpu = kzalloc(sizeof(*cpu));
	uint64_t stack = stack_top(), df = stack_top(), nmi = stack_top();

	if (!cpu || !stack || !df || !nmi) {
		pr_err("smp: no memory for cpu %u\n", id); /* the stacks stay: boot is failing */
		kfree(cpu);
		return NULL;
	}
	cpu->cpu_id = id;
	cpu->apic_id = apic_id;
	cpu->cpu_stack_top = stack;
	p->boot_cr3 = (uint64_t)(uintptr_t)boot_pml4;
	p->cr3 = kmap_root();
	p->stack = stack - 16; /* df and nmi follow on the stack as ap_main's arguments */
	p->percpu = (uint64_t)cpu;
	p->entry = (uint64_t)ap_start64;
	((uint64_t *)p->stack)[0] = df;
	((uint64_t *)p->stack)[1] = nmi;
	return cpu;
}

static bool ap_start(unsigned id, unsigned apic_id)
{
	uint8_t *tramp = phys_to_virt(TRAMPOLINE_PHYS);
	size_t size = trampoline_end - trampoline_start;
	struct ap_boot_params *p = (void *)(tramp + size - sizeof(*p));
	uint64_t end;

	memcpy(tramp, trampoline_start, size);
	if (!ap_prepare(id, apic_id, p))
		return false;
	lapic_send_ipi(apic_id, ICR_INIT | ICR_ASSERT | ICR_LEVEL);
	delay_ns(10 * NSEC_PER_MSEC);
	for (int i = 0; i < 2 && smp_cpus_online() <= id; i++) {
		lapic_send_ipi(apic_id, ICR_STARTUP | (TRAMPOLINE_PHYS >> PAGE_SHIFT));
		delay_ns(200 * NSEC_PER_USEC);
	}
	end = clock_ns() + AP_START_TIMEOUT_NS;
	while (smp_cpus_online() <= id && clock_ns() < end)
		cpu_relax();
	if (smp_cpus_online() > id)
		return true;
	pr_err("smp: cpu %u (APIC id %u) did not start\n", id, apic_id);
	return false;
}

void smp_boot_aps(void)
{
	unsigned max = cmdline_get_u64(&kernel_cmdline, "maxcpus", MAX_CPUS);

	this_cpu()->apic_id = lapic_id();
	irq_register(VEC_IPI_RESCHED, ipi_resched, NULL);
	irq_register(VEC_IPI_CALL, ipi_call, NULL);
	tlb_init();
	if (cmdline_has(&kernel_cmdline, "nosmp"))
		max = 1;
	for (unsigned i = 0; i < madt.nr_cpus && smp_cpus_online() < max; i++) {
		if (madt.cpu_apic_ids[i] == this_cpu()->apic_id)
			continue;
		if (smp_cpus_online() >= MAX_CPUS ||
		    !ap_start(smp_cpus_online(), madt.cpu_apic_ids[i]))
			break; /* a CPU that may still start must keep the trampoline */
	}
	pr_info("smp: %u CPUs online (%s)\n", smp_cpus_online(),
		lapic_x2apic() ? "x2APIC" : "xAPIC");
}
