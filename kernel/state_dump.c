/*
 * The state dump (include/kernel/state_dump.h): when the host finds the
 * guest stuck, it sends an NMI to every CPU (QEMU's monitor command `nmi`;
 * ./axl does it before it kills a guest that timed out, and ./axl fuzz when
 * trinity stalls). Each CPU prints where it was interrupted; CPU 0, last,
 * prints every thread: its state, and for a parked user thread the call and
 * the wait source it is parked on, for a blocked kernel thread its stack.
 *
 * It runs in the NMI handler, so it must not wait for a lock that the
 * interrupted code may hold: the CPUs print in turn (cpu_id order, each
 * waiting a bounded time for the one before), the log lock is broken rather
 * than waited for, and the thread list is walked without the threads lock
 * (threads_for_each_in_nmi). A thread that starts or exits during the walk
 * may print a torn line; the machine is about to be killed, and a torn line
 * is worth more than none.
 */
#include <kernel/state_dump.h>
#include <kernel/ksyms.h>
#include <kernel/printk.h>
#include <kernel/proc.h>
#include <kernel/smp.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/wait.h>
#include <lib/compiler.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <arch/x86_64/trap.h>

#define TURN_WAIT_NS (2 * NSEC_PER_SEC) /* a CPU that does not answer is skipped */

static unsigned dump_turn; /* (atomic) the cpu_id whose turn it is to print */

/* Waits until CPU turn - 1 has printed, or a CPU that did not answer is given up. */
static void wait_for_turn(unsigned turn)
{
	uint64_t give_up = clock_ns() + TURN_WAIT_NS;

	while (__atomic_load_n(&dump_turn, __ATOMIC_ACQUIRE) < turn && clock_ns() < give_up)
		cpu_relax();
}

static void print_cpu(struct percpu *cpu, struct trap_frame *f)
{
	struct thread *t = cpu->current;

	kprintf("\nstate dump: cpu %u, thread '%s' (tid %d), interrupts %s, "
		"preempt %d, irq depth %d, ticks %lu (idle %lu), %s\n",
		cpu->cpu_id, t ? t->name : "?", t ? t->tid : 0,
		f->rflags & RFLAGS_IF ? "on" : "off", cpu->preempt_count, cpu->irq_depth,
		(unsigned long)cpu->ticks, (unsigned long)cpu->idle_ticks,
		cpu->halting ? "halting" : "busy");
	if (trap_from_user(f))
		kprintf("  in user mode at %016lx\n", (unsigned long)f->rip);
	else
		backtrace_print(f->rip, f->rbp, f->rsp);
}

/* A parked user thread: the call it re-runs when woken and what it waits on. */
static void print_parked_call(struct thread *t)
{
	struct wait *w = &t->wait;
	struct wait_source *src = READ_ONCE(w->link.source);
	int extra = 0;
	struct list_head *n;

	list_for_each (n, &w->extra)
		if (++extra > 1000)
			break;
	kprintf("        call %lu (%lx, %lx, %lx) at %016lx, source %s, %d more sources, "
		"deadline %lu ns, flags %x, runs %u%s\n",
		(unsigned long)t->uregs.rax, (unsigned long)t->uregs.rdi,
		(unsigned long)t->uregs.rsi, (unsigned long)t->uregs.rdx,
		(unsigned long)t->uregs.rip, src ? src->lock.name : "none", extra,
		(unsigned long)w->deadline_ns, w->flags, w->polls,
		t->in_call ? ", in the call" : "");
}

/* A kernel thread switched out: its stack from context_switch's saved registers. */
static void print_switched_out(struct thread *t)
{
	/* context_switch pushed rbp, rbx, r12-r15: the return address is above them. */
	uint64_t *saved = (uint64_t *)t->saved_rsp;

	if (!saved)
		return;
	backtrace_print(saved[6], saved[5], t->saved_rsp + 7 * sizeof(uint64_t));
}

static bool on_a_cpu(struct thread *t)
{
	for (unsigned i = 0; i < smp_cpus_online(); i++)
		if (smp_cpu(i)->current == t)
			return true;
	return false;
}

static void print_thread(struct thread *t, void *ctx)
{
	(void)ctx;
	kprintf("  %5d %-16s %-9s cpu %d %s ticks %lu\n", t->tid, t->name,
		thread_state_name(t->state), t->last_cpu, t->user ? "user" : "kernel",
		(unsigned long)t->run_ticks);
	if (t->user && (t->state == THREAD_BLOCKED || t->state == THREAD_SLEEPING))
		print_parked_call(t);
	else if (!t->user && !t->idle && t->state != THREAD_DEAD && !on_a_cpu(t))
		print_switched_out(t);
}

static void print_process(struct process *p, void *ctx)
{
	struct thread *t;
	int n = 0;

	(void)ctx;
	static const char *const states[] = {
		[PROC_ALIVE] = "", [PROC_EXITING] = " (exiting)", [PROC_ZOMBIE] = " (zombie)"
	};

	kprintf("  process %d '%s'%s\n", p->pid, p->comm,
		(unsigned)p->state < ARRAY_SIZE(states) ? states[p->state] : " (?)");
	list_for_each_entry (t, &p->threads, proc_node) {
		if (++n > 64) {
			kprintf("  ... more threads\n");
			break;
		}
		print_thread(t, NULL);
	}
}

void state_dump_nmi(struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();

	wait_for_turn(cpu->cpu_id);
	printk_break_lock();
	print_cpu(cpu, f);
	__atomic_store_n(&dump_turn, cpu->cpu_id + 1, __ATOMIC_RELEASE);
	if (cpu->cpu_id != 0)
		return;
	/* CPU 0 ends the dump once the others have printed. */
	wait_for_turn(smp_cpus_online());
	printk_break_lock();
	kprintf("state dump: kernel threads (cpu: the last it ran on)\n");
	threads_for_each_in_nmi(print_thread, NULL);
	kprintf("state dump: processes\n");
	proc_for_each_in_nmi(print_process, NULL);
	kprintf("state dump: end\n");
	__atomic_store_n(&dump_turn, 0, __ATOMIC_RELEASE); /* ready for the next one */
}
