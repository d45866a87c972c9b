/*
 * In-kernel self-tests of kernel threads, the scheduler, timers, wait
 * queues, and fault containment in kernel threads.
 */
#include <kernel/ktest.h>
#include <lib/compiler.h>
#include <kernel/smp.h>
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/percpu.h>
#include <mm/page.h>
#include <lib/string.h>

void kmain(uint32_t magic, uint32_t info);

static void exit_with_arg(void *arg)
{
	kthread_exit((int)(uintptr_t)arg);
}

KTEST(thread_join_returns_exit_code)
{
	struct thread *t = kthread_create("exit42", exit_with_arg, (void *)42);

	KT_ASSERT(t != NULL);
	KT_ASSERT(kthread_join(t) == 42);
}

static void nothing(void *arg)
{
	(void)arg;
}

KTEST(threads_do_not_leak)
{
	uint64_t before_pages = free_page_count();
	unsigned before_threads = thread_count();

	for (int i = 0; i < 300; i++) {
		struct thread *t = kthread_create("short", nothing, NULL);

		KT_ASSERT(t != NULL);
		if (i % 2)
			kthread_detach(t);
		else
			KT_ASSERT(kthread_join(t) == 0);
	}
	/* Detached threads are reaped once they have run: let them. */
	for (int i = 0; i < 1000 && thread_count() != before_threads; i++)
		thread_sleep_ns(NSEC_PER_MSEC);
	KT_ASSERT(thread_count() == before_threads);
	KT_ASSERT((int64_t)(before_pages - free_page_count()) <= 16); /* slab caches only */
}

static volatile bool spinner_b_ran;

static void spinner_b(void *arg)
{
	(void)arg;
	spinner_b_ran = true;
}

KTEST(preemption_round_robin)
{
	/* This thread never yields; B runs only if the timer preempts us. */
	uint64_t start = this_cpu()->ticks;
	struct thread *b;

	spinner_b_ran = false;
	b = kthread_create("spinner-b", spinner_b, NULL);
	KT_ASSERT(b != NULL);
	while (!spinner_b_ran && this_cpu()->ticks - start < 100)
		cpu_relax();
	KT_ASSERT(spinner_b_ran);
	kthread_join(b);
}

/* Timer interrupts taken by all CPUs (the sleeper may wake on another CPU). */
static uint64_t all_cpu_ticks(void)
{
	uint64_t sum = 0;

	for_each_online_cpu(id) sum += READ_ONCE(smp_cpu(id)->ticks);
	return sum;
}

KTEST(sleep_lasts_at_least_its_duration)
{
	uint64_t t0 = clock_ns();
	uint64_t ticks0 = all_cpu_ticks();

	thread_sleep_ns(20 * NSEC_PER_MSEC);
	KT_ASSERT(clock_ns() - t0 >= 20 * NSEC_PER_MSEC);
	KT_ASSERT(all_cpu_ticks() > ticks0);
}

KTEST(timer_calibrated)
{
	KT_ASSERT(clock_tsc_hz() > 10000000); /* a TSC slower than 10 MHz is a bug */
	KT_ASSERT(lapic_timer_hz() > 1000);
	KT_ASSERT(clock_ns() > 0);
}

static struct waitq test_wq;
static volatile int wq_flag;

static void waiter(void *arg)
{
	(void)arg;
	waitq_wait_until(&test_wq, wq_flag == 1);
	wq_flag = 2;
}

KTEST(waitq_wakes_waiter)
{
	struct thread *t;

	waitq_init(&test_wq, "test");
	wq_flag = 0;
	t = kthread_create("waiter", waiter, NULL);
	KT_ASSERT(t != NULL);
	thread_sleep_ns(5 * NSEC_PER_MSEC); /* let it block */
	KT_ASSERT(wq_flag == 0);
	wq_flag = 1;
	waitq_wake_all(&test_wq);
	KT_ASSERT(kthread_join(t) == 0);
	KT_ASSERT(wq_flag == 2);
}

KTEST(percpu_through_gs)
{
	unsigned long flags = irq_save(); /* no move to another CPU while it looks */
	struct percpu *cpu = smp_cpu(smp_this_cpu_id());
	bool boot = smp_this_cpu_id() == 0;
	uint64_t gs = rdmsr(MSR_GS_BASE);

	irq_restore(flags);
	KT_ASSERT(cpu != NULL && this_cpu() != NULL);
	KT_ASSERT(!boot || cpu == &boot_cpu);
	KT_ASSERT(cpu->self == cpu);
	KT_ASSERT(gs == (uint64_t)cpu);
	KT_ASSERT(current_thread() != NULL && !current_thread()->idle);
}

KTEST(spinlock_ownership)
{
	spinlock_t l = SPINLOCK_INIT("test");
	unsigned long f;
	int depth = this_cpu()->preempt_count;

	KT_ASSERT(!spin_held(&l));
	f = spin_lock_irqsave(&l);
	KT_ASSERT(spin_held(&l));
	KT_ASSERT(!irqs_enabled());
	KT_ASSERT(this_cpu()->preempt_count == depth + 1);
	spin_unlock_irqrestore(&l, f);
	KT_ASSERT(!spin_held(&l));
	KT_ASSERT(irqs_enabled());
}

KTEST(ksyms_lookup)
{
	uintptr_t off = 1;
	const char *name = ksym_lookup((uintptr_t)kmain + 3, &off);

	KT_ASSERT(name != NULL && !strcmp(name, "kmain") && off == 3);
	KT_ASSERT(ksym_address("kmain") == (uintptr_t)kmain);
	KT_ASSERT(ksym_lookup(0x1234, &off) == NULL);
}

__attribute__((noinline)) void ktest_fault_victim(void *arg)
{
	(void)arg;
	*(volatile uint64_t *)0xdead000 = 1;
}

KTEST(fault_in_thread_is_reported_and_contained)
{
	uint64_t pos = log_position();
	struct thread *t = kthread_create("victim", ktest_fault_victim, NULL);

	KT_ASSERT(t != NULL);
	KT_ASSERT(kthread_join(t) == THREAD_EXIT_FAULT);
	KT_ASSERT(log_contains_since(pos, "KERNEL FAULT: page fault"));
	KT_ASSERT(log_contains_since(pos, "cr2=000000000dead000: write page not present"));
	KT_ASSERT(log_contains_since(pos, "<ktest_fault_victim+"));
	KT_ASSERT(log_contains_since(pos, "in thread 'victim'"));
	KT_ASSERT(log_contains_since(pos, "backtrace:"));
}

static volatile uint64_t recursion_limit = ~0ULL;

/* Recurses until the stack overflows (the limit is never reached). */
__attribute__((noinline)) static uint64_t recurse(uint64_t depth)
{
	volatile uint64_t pad[32];

	pad[0] = depth;
	if (depth >= recursion_limit)
		return pad[0];
	return recurse(depth + 1) + pad[0];
}

static void overflow_stack(void *arg)
{
	(void)arg;
	recurse(0);
}

KTEST(stack_overflow_hits_guard_page)
{
	uint64_t pos = log_position();
	uint64_t free_before = free_page_count();
	struct thread *t = kthread_create("overflow", overflow_stack, NULL);

	KT_ASSERT(t != NULL);
	KT_ASSERT(kthread_join(t) == THREAD_EXIT_FAULT);
	KT_ASSERT(log_contains_since(pos, "kernel stack overflow"));
	KT_ASSERT(log_contains_since(pos, "<recurse")); /* gcc may add .isra.0 */
	KT_ASSERT(log_contains_since(pos, "times)"));	/* repeated frames folded */
	/* Its stack was given back. */
	KT_ASSERT((int64_t)(free_before - free_page_count()) <= 16);
}

static void divide_by_zero(void *arg)
{
	volatile int zero = 0;

	*(volatile int *)arg = 10 / zero;
}

static void invalid_opcode(void *arg)
{
	(void)arg;
	__asm__ volatile("ud2");
}

static void general_protection(void *arg)
{
	(void)arg;
	*(volatile uint64_t *)0x8000000000000000ULL = 1; /* non-canonical */
}

KTEST(other_exceptions_are_contained)
{
	static const struct {
		thread_fn_t fn;
		const char *report;
	} cases[] = {
		{ divide_by_zero, "KERNEL FAULT: divide error" },
		{ invalid_opcode, "KERNEL FAULT: invalid opcode" },
		{ general_protection, "KERNEL FAULT: general protection" },
	};
	int sink;

	for (unsigned i = 0; i < 3; i++) {
		uint64_t pos = log_position();
		struct thread *t = kthread_create("exception", cases[i].fn, &sink);

		KT_ASSERT(t != NULL);
		KT_ASSERT(kthread_join(t) == THREAD_EXIT_FAULT);
		KT_ASSERT(log_contains_since(pos, cases[i].report));
	}
}

KTEST(idle_thread_halts_when_nothing_runs)
{
	unsigned long flags = irq_save(); /* pinned to the CPU it looks at */
	struct percpu *cpu = this_cpu();
	uint64_t idle0 = cpu->idle_ticks;

	KT_ASSERT(sched_set_affinity(current_thread(), 1ull << cpu->cpu_id) == 0);
	irq_restore(flags);
	/* Everything else is blocked: the CPU idles through the sleep. */
	thread_sleep_ns(50 * NSEC_PER_MSEC);
	KT_ASSERT(this_cpu() == cpu);
	KT_ASSERT(this_cpu()->idle_ticks > idle0);
}

/* Moves rsp to 24 bytes above the guard page and waits for an interrupt. */
static void overflow_during_interrupt(void *arg)
{
	uintptr_t sp = current_thread()->stack.base + 24;

	*(volatile unsigned *)arg = smp_this_cpu_id(); /* interrupts stay on this CPU */
	__asm__ volatile("mov %0, %%rsp\n"
			 "1: pause\n"
			 "jmp 1b" ::"r"(sp));
}

KTEST(overflow_during_interrupt_keeps_interrupts_working)
{
	static volatile unsigned cpu;
	uint64_t pos = log_position();
	struct thread *t = kthread_create("irq-overflow", overflow_during_interrupt, (void *)&cpu);
	uint64_t ticks;

	KT_ASSERT(t != NULL);
	KT_ASSERT(kthread_join(t) == THREAD_EXIT_FAULT);
	KT_ASSERT(log_contains_since(pos, "kernel stack overflow"));
	/* The interrupt whose delivery overflowed was acknowledged: that CPU's timer still ticks. */
	ticks = READ_ONCE(smp_cpu(cpu)->ticks);
	thread_sleep_ns(20 * NSEC_PER_MSEC);
	KT_ASSERT(READ_ONCE(smp_cpu(cpu)->ticks) > ticks);
}
