/*
 * In-kernel self-tests of the CPUs (arch/x86_64/smp.c, kernel/sched.c):
 * every CPU of the MADT is online, a function runs on every other CPU
 * (smp_call_others), a thread pinned to a CPU runs there and moves when its
 * affinity changes, threads spread over idle CPUs, and a service thread
 * stuck with interrupts off is ended by the NMI watchdog and its request
 * retried. With one CPU they check only what one CPU can show.
 */
#include <kernel/ktest.h>
#include <kernel/smp.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/cmdline.h>
#include <svc/service.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/percpu.h>
#include <lib/compiler.h>
#include <uapi/errno.h>

#define SPREAD_SPIN_NS (200 * NSEC_PER_MSEC)

KTEST(smp_every_cpu_online)
{
	unsigned max = cmdline_get_u64(&kernel_cmdline, "maxcpus", MAX_CPUS);

	if (cmdline_has(&kernel_cmdline, "nosmp"))
		max = 1;
	KT_ASSERT(smp_cpus_online() == (madt.nr_cpus < max ? madt.nr_cpus : max));
	for_each_online_cpu(id)
	{
		KT_ASSERT(smp_cpu(id) && smp_cpu(id)->cpu_id == id);
		KT_ASSERT(smp_cpu(id)->idle && smp_cpu(id)->idle->idle);
	}
	KT_ASSERT(smp_cpu(smp_cpus_online()) == NULL);
}

static unsigned call_hits[MAX_CPUS];

static void count_call(void *arg)
{
	__atomic_fetch_add(&call_hits[smp_this_cpu_id()], (uintptr_t)arg, __ATOMIC_RELAXED);
}

KTEST(smp_call_others_runs_on_each_other_cpu)
{
	unsigned self;
	unsigned long flags;

	for (unsigned i = 0; i < MAX_CPUS; i++)
		call_hits[i] = 0;
	flags = irq_save(); /* callers may have interrupts off */
	self = smp_this_cpu_id();
	for (int round = 0; round < 10; round++)
		smp_call_others(count_call, (void *)1);
	irq_restore(flags);
	for_each_online_cpu(id) KT_ASSERT(call_hits[id] == (id == self ? 0u : 10u));
}

struct pinned {
	volatile bool start, go_on;
	volatile unsigned seen[2];
};

/* Sleeps until told; each CPU it notes is one it woke on after its affinity was set. */
static void pinned_fn(void *arg)
{
	struct pinned *p = arg;

	while (!READ_ONCE(p->start))
		thread_sleep_ns(NSEC_PER_MSEC);
	thread_sleep_ns(NSEC_PER_MSEC);
	p->seen[0] = smp_this_cpu_id();
	while (!READ_ONCE(p->go_on))
		thread_sleep_ns(NSEC_PER_MSEC);
	thread_sleep_ns(NSEC_PER_MSEC);
	p->seen[1] = smp_this_cpu_id();
}

KTEST(smp_affinity_pins_and_moves_a_thread)
{
	unsigned n = smp_cpus_online();

	for (unsigned cpu = 0; cpu < n; cpu++) {
		struct pinned p = { .seen = { ~0u, ~0u } };
		unsigned other = (cpu + 1) % n;
		struct thread *t = kthread_create("kt-pinned", pinned_fn, &p);

		KT_ASSERT(t != NULL);
		KT_ASSERT(sched_set_affinity(t, 1ull << cpu) == 0);
		WRITE_ONCE(p.start, true);
		while (READ_ONCE(p.seen[0]) == ~0u)
			thread_sleep_ns(NSEC_PER_MSEC);
		KT_ASSERT(p.seen[0] == cpu);
		KT_ASSERT(sched_set_affinity(t, 1ull << other) == 0);
		WRITE_ONCE(p.go_on, true);
		KT_ASSERT(kthread_join(t) == 0);
		KT_ASSERT(p.seen[1] == other);
	}
	KT_ASSERT(sched_set_affinity(current_thread(), 0) == -EINVAL);
	KT_ASSERT(n == 64 || sched_set_affinity(current_thread(), 1ull << n) == -EINVAL);
}

static volatile unsigned spread_cpu_mask;

static void spin_and_note(void *arg)
{
	uint64_t end = clock_ns() + SPREAD_SPIN_NS;

	(void)arg;
	while (clock_ns() < end) {
		__atomic_fetch_or(&spread_cpu_mask, 1u << smp_this_cpu_id(), __ATOMIC_RELAXED);
		cpu_relax();
	}
}

KTEST(smp_threads_spread_over_cpus)
{
	unsigned n = smp_cpus_online() < 8 ? smp_cpus_online() : 8;
	struct thread *t[8];

	spread_cpu_mask = 0;
	for (unsigned i = 0; i < n; i++) {
		t[i] = kthread_create("kt-spread", spin_and_note, NULL);
		KT_ASSERT(t[i] != NULL);
	}
	for (unsigned i = 0; i < n; i++)
		KT_ASSERT(kthread_join(t[i]) == 0);
	/* n spinning threads and no pinning: more than one CPU ran them. */
	KT_ASSERT(n < 2 || (spread_cpu_mask & (spread_cpu_mask - 1)) != 0);
}

/* ---- The NMI watchdog and a service stuck with interrupts off ---------- */

enum {
	IRQOFF_OP = 1,
	IRQOFF_VERSION = 3
};

static volatile bool irqoff_armed;

static int irqoff_init(struct service *s)
{
	(void)s;
	return 0;
}

/* The first request after irqoff_armed spins for ever with interrupts off; the retry answers. */
static int irqoff_handle(struct service *s, struct svc_request *req)
{
	(void)s;
	if (__atomic_exchange_n(&irqoff_armed, false, __ATOMIC_ACQ_REL)) {
		irq_disable();
		for (;;)
			cpu_relax();
	}
	svc_put_u64(svc_reply(req), 7);
	return 0;
}

static const struct service_ops irqoff_ops = { .init = irqoff_init, .handle = irqoff_handle };

KTEST(smp_nmi_watchdog_ends_a_service_stuck_with_irqs_off)
{
	static struct service *s;
	struct svc_request *req, *done;
	uint64_t crashes;
	int status;

	if (smp_cpus_online() < 2)
		return; /* the watchdog needs another CPU's tick */
	if (!s)
		s = svc_start("kt_irqoff", &irqoff_ops, NULL, 200);
	KT_ASSERT(s != NULL);
	crashes = s->stats.crashes;
	req = svc_request_new(IRQOFF_OP, 16, 16);
	KT_ASSERT(req != NULL);
	svc_msg_begin(svc_payload(req), IRQOFF_VERSION);
	WRITE_ONCE(irqoff_armed, true);
	status = svc_call(s, req, &done);
	KT_ASSERT(status == 0);
	svc_request_put(done);
	KT_ASSERT(s->stats.crashes == crashes + 1);
	KT_ASSERT(s->stats.retried >= 1);
}
