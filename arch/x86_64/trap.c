/*
 * Trap dispatch: the IDT, exceptions and device interrupts. entry.S calls
 * trap_dispatch for every vector. A fault in kernel code either resumes at
 * its exception-table fixup, or is reported (exception, registers,
 * backtrace); a faulting kernel thread is then ended and the kernel goes
 * on, while a fault in the idle context, an interrupt handler or with a
 * lock held is a panic.
 */
#include <kernel/ptrace.h>
#include <svc/service.h>
#include <arch/x86_64/trap.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/gdt.h>
#include <arch/x86_64/layout.h>
#include <arch/x86_64/lapic.h>
#include <arch/x86_64/percpu.h>
#include <kernel/extable.h>
#include <kernel/ksyms.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <kernel/proc.h>
#include <kernel/smp.h>
#include <kernel/uaccess.h>
#include <kernel/uthread.h>
#include <mm/vm.h>
#include <mm/oom.h>
#include <uapi/signal.h>
#include <kernel/signal.h>
#include <uapi/errno.h>
#include <mm/kstack.h>
#include <lib/compiler.h>

struct idt_entry {
	uint16_t offset_low;
	uint16_t selector;
	uint8_t ist;
	uint8_t type;
	uint16_t offset_mid;
	uint32_t offset_high;
	uint32_t reserved;
} __attribute__((packed));

extern char trap_stubs[];
extern char boot_stack_guard[];
extern const struct extable_entry _extable_start[], _extable_end[];

static struct idt_entry idt[256]; /* [I] filled at boot */
static struct {
	irq_handler_t handler;
	void *ctx;
} irq_table[256];

static const char *const exception_names[32] = {
	"divide error",
	"debug",
	"NMI",
	"breakpoint",
	"overflow",
	"bound range",
	"invalid opcode",
	"device not available",
	"double fault",
	"coprocessor overrun",
	"invalid TSS",
	"segment not present",
	"stack-segment fault",
	"general protection",
	"page fault",
	"reserved",
	"x87 FP error",
	"alignment check",
	"machine check",
	"SIMD FP error",
	"virtualization",
	"control protection",
};

const char *exception_name(unsigned vector)
{
	if (vector < 32 && exception_names[vector])
		return exception_names[vector];
	return "reserved exception";
}

void idt_init(void)
{
	for (unsigned v = 0; v < 256; v++) {
		uint64_t addr = (uint64_t)trap_stubs + v * 16;
		struct idt_entry *e = &idt[v];

		e->offset_low = addr & 0xffff;
		e->offset_mid = (addr >> 16) & 0xffff;
		e->offset_high = addr >> 32;
		e->selector = SEL_KERNEL_CODE;
		/* present, interrupt gate; int3 may be used from user mode (DPL 3) */
		e->type = v == VEC_BREAKPOINT ? 0xee : 0x8e;
		e->ist = v == VEC_DOUBLE_FAULT ? IST_DOUBLE_FAULT : v == VEC_NMI ? IST_NMI : 0;
	}
	idt_load();
}

void idt_load(void)
{
	struct {
		uint16_t limit;
		uint64_t base;
	} __attribute__((packed)) ptr = { sizeof(idt) - 1, (uint64_t)idt };

	__asm__ volatile("lidt %0" : : "m"(ptr));
}

void irq_register(unsigned vector, irq_handler_t handler, void *ctx)
{
	irq_table[vector].ctx = ctx;
	irq_table[vector].handler = handler;
}

uintptr_t extable_find(uintptr_t rip)
{
	for (const struct extable_entry *e = _extable_start; e < _extable_end; e++)
		if (e->insn == rip)
			return e->fixup;
	return 0;
}

static void report_page_fault(const struct trap_frame *f)
{
	uint64_t cr2 = read_cr2();

	kprintf("  cr2=%016lx: %s %s, %s mode%s\n", (unsigned long)cr2,
		f->error & PF_FETCH   ? "instruction fetch"
		: f->error & PF_WRITE ? "write"
				      : "read",
		f->error & PF_PRESENT ? "protection violation" : "page not present",
		f->error & PF_USER ? "user" : "kernel",
		f->error & PF_RSVD ? ", reserved bit set" : "");
	if (kstack_is_guard(cr2) ||
	    (cr2 >= (uintptr_t)boot_stack_guard && cr2 < (uintptr_t)boot_stack_guard + PAGE_SIZE))
		kprintf("  kernel stack overflow: the address is a stack guard page\n");
}

/* The CPU pushes up to 7 words when it delivers a trap; look that far below rsp. */
#define TRAP_PUSH_BYTES 64

static void report_stack_overflow_df(const struct trap_frame *f)
{
	if (kstack_is_guard(f->rsp - 1) || kstack_is_guard(f->rsp - TRAP_PUSH_BYTES))
		kprintf("  kernel stack overflow: rsp is at a stack guard page\n");
}

void trap_report(const struct trap_frame *f)
{
	struct thread *t = current_thread();
	char where[96];

	ksym_format(f->rip, where, sizeof(where));
	kprintf("\nKERNEL FAULT: %s (vector %lu, error %#lx) on cpu %u in thread '%s' (tid %d)\n",
		exception_name(f->vector), (unsigned long)f->vector, (unsigned long)f->error,
		this_cpu()->cpu_id, t ? t->name : "?", t ? t->tid : 0);
	kprintf("  rip=%016lx <%s>\n", (unsigned long)f->rip, where);
	if (f->vector == VEC_PAGE_FAULT)
		report_page_fault(f);
	if (f->vector == VEC_DOUBLE_FAULT)
		report_stack_overflow_df(f);
	kprintf("  rax=%016lx rbx=%016lx rcx=%016lx rdx=%016lx\n", f->rax, f->rbx, f->rcx, f->rdx);
	kprintf("  rsi=%016lx rdi=%016lx rbp=%016lx rsp=%016lx\n", f->rsi, f->rdi, f->rbp, f->rsp);
	kprintf("  r8 =%016lx r9 =%016lx r10=%016lx r11=%016lx\n", f->r8, f->r9, f->r10, f->r11);
	kprintf("  r12=%016lx r13=%016lx r14=%016lx r15=%016lx\n", f->r12, f->r13, f->r14, f->r15);
	kprintf("  cs=%lx ss=%lx rflags=%016lx cr3=%016lx\n", f->cs, f->ss, f->rflags,
		(unsigned long)read_cr3());
	backtrace_print(f->rip, f->rbp, f->rsp);
}

/*
 * A fault in kernel code. Ends the current kernel thread when one can be
 * blamed and nothing it holds would stay locked; otherwise panics.
 */
/*
 * A listed user-memory access faulted: page the memory in if the address
 * space allows the access (demand paging, copy-on-write), else resume at
 * the fixup, which makes the access return -EFAULT. Under a spinlock
 * (copy_from_user_nofault) nothing is paged in: that takes locks and may
 * wait, so the access fails and its caller pages in after unlocking.
 */
static bool user_access_fault(struct trap_frame *f, struct thread *t, uintptr_t fixup)
{
	uintptr_t addr = read_cr2();

	int err = -EFAULT;

	if (f->vector == VEC_PAGE_FAULT && t && t->user && addr < USER_SPACE_END &&
	    this_cpu()->preempt_count == 0) {
		err = vm_fault(t->proc->vm, addr, f->error);
		/* No page: reclaim and try again, or wait for memory (the call runs again). */
		while (err == -ENOMEM && t->in_call && (err = mem_fault_nomem()) == 0)
			err = vm_fault(t->proc->vm, addr, f->error);
	}
	if (!err)
		return true;
	if (err == -EWAIT && t->in_call) /* a file page is being read: the call runs again */
		t->fault_wait = true;
	else if (err == -EWAIT) /* no call to run again (exit, a signal frame): the access fails */
		wait_detach(&t->wait);
	f->rip = fixup;
	return true;
}

static void kernel_fault(struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();
	struct thread *t = cpu->current;
	uintptr_t fixup = extable_find(f->rip);
	bool fatal = !t || t->idle || cpu->irq_depth > 0 || cpu->preempt_count > 0;

	if (fixup && f->vector != VEC_DOUBLE_FAULT && user_access_fault(f, t, fixup))
		return;
	if (svc_can_recover()) {
		/* A service crashed: report it, then rebuild the service (svc/service.c). */
		trap_report(f);
		lapic_eoi_all_in_service();
		svc_crash(exception_name(f->vector));
	}
	if (fatal)
		printk_break_lock(); /* the fault may have hit inside printk */
	trap_report(f);
	if (fatal)
		panic("fatal kernel fault (%s)", exception_name(f->vector));
	/* An overflow while an interrupt was being delivered leaves it in service. */
	lapic_eoi_all_in_service();
	if (t->user) {
		/* A kernel bug in a system call: end the process, keep the kernel. */
		pr_err("pid %d (%s) killed by the kernel fault above\n", t->proc->pid,
		       t->proc->comm);
		proc_kill(t->proc, SIGKILL);
		irq_enable();
		user_exit_path(t);
	}
	kthread_die_of_fault();
}

/* Exceptions that are not faults of the running code. */
static bool benign_exception(struct trap_frame *f)
{
	switch (f->vector) {
	case VEC_NMI:
		smp_nmi(f); /* a stop, the watchdog, or ignored */
		return true;
	case VEC_DEBUG:
		if (read_dr(6) & 0xf) {
			/* A tracee's watchpoint hit by a kernel access to its memory: ignored. */
			write_dr(6, 0xffff0ff0);
			return true;
		}
		pr_warn("%s at %#lx (ignored)\n", exception_name(f->vector), (unsigned long)f->rip);
		return true;
	case VEC_BREAKPOINT:
		pr_warn("%s at %#lx (ignored)\n", exception_name(f->vector), (unsigned long)f->rip);
		return true;
	case VEC_MACHINE_CHECK:
		printk_break_lock();
		trap_report(f);
		panic("machine check: the hardware reported an error");
	}
	return false;
}

static void device_interrupt(struct trap_frame *f)
{
	struct percpu *cpu = this_cpu();

	cpu->irq_depth++;
	if (irq_table[f->vector].handler)
		irq_table[f->vector].handler(f, irq_table[f->vector].ctx);
	cpu->irq_depth--;
	lapic_eoi();
}

/* The signal a user-mode exception raises (delivery arrives with signals; until then it kills). */
static int exception_signal(unsigned vector)
{
	switch (vector) {
	case VEC_DIVIDE:
	case 16: /* x87 FP error */
	case 19: /* SIMD FP error */
		return SIGFPE;
	case VEC_DEBUG:
	case VEC_BREAKPOINT:
		return SIGTRAP;
	case VEC_INVALID_OPCODE:
		return SIGILL;
	case 11: /* segment not present */
	case 12: /* stack-segment fault */
	case 17: /* alignment check */
		return SIGBUS;
	default:
		return SIGSEGV;
	}
}

static void user_exception(struct trap_frame *f, struct thread *t)
{
	uintptr_t addr = f->vector == VEC_PAGE_FAULT ? read_cr2() : 0;
	struct ksiginfo info = { .signo = exception_signal(f->vector), .addr = addr };
	int err = 0;

	if (f->vector == VEC_PAGE_FAULT) {
		wait_flags_clear(&t->wait, ~0u);
		t->wait.deadline_ns = 0;
		svc_call_run_starts(t); /* a fault run again matches its service requests anew */
		err = vm_fault(t->proc->vm, addr, f->error);
		if (err == -ENOMEM) /* never SIGSEGV: reclaim, wait, or the OOM killer */
			err = mem_fault_nomem();
		if (err != -EWAIT)
			svc_forget_calls(t); /* the fault is over: its requests with it */
	}
	if (f->vector == VEC_PAGE_FAULT && err == -ENOMEM) {
		pr_err("pid %d (%s): no memory for a page fault: killed\n", t->proc->pid,
		       t->proc->comm);
		proc_kill(t->proc, SIGKILL);
		return;
	}
	if (f->vector == VEC_PAGE_FAULT && err == -EWAIT) {
		/* A file page is being read, or memory is short: park; the access runs again. */
		sched_user_park(t, false);
		wait_detach(&t->wait);
		return;
	}
	if (f->vector == VEC_PAGE_FAULT && !err)
		return;
	if (f->vector == VEC_DEBUG) {
		uint64_t dr6 = read_dr(6);

		write_dr(6, 0xffff0ff0); /* the CPU never clears it */
		info.code = ptrace_debug_trap(t, dr6);
	} else if (f->vector == VEC_BREAKPOINT) {
		info.code = SI_KERNEL; /* as Linux's int3 */
	}
	if (f->vector == VEC_PAGE_FAULT && (err == -ENXIO || err == -EIO || err == -ENOSPC)) {
		info.signo = SIGBUS; /* past the end of a mapped file, its page could not be
					read, or it has no room on the disk */
		info.code = BUS_ADRERR;
	} else if (f->vector == VEC_PAGE_FAULT) {
		info.code = err == -EACCES ? SEGV_ACCERR : SEGV_MAPERR;
	} else if (info.signo == SIGFPE)
		info.code = FPE_INTDIV;
	else if (info.signo == SIGILL)
		info.code = ILL_ILLOPN;
	if (!info.addr)
		info.addr = f->rip;
	signal_force(t, &info); /* a handler may take it; blocked or ignored, it kills */
}

/* Entered from entry.S for every trap from user mode, on this CPU's stack. */
__attribute__((noreturn)) void user_trap(struct trap_frame *f)
{
	struct thread *t = current_thread();

	if (f->vector == VEC_NMI)
		benign_exception(f);
	else if (f->vector < 32)
		user_exception(f, t);
	else if (f->vector >= VEC_IRQ_BASE && f->vector != VEC_SPURIOUS)
		device_interrupt(f);
	irq_enable();
	user_exit_path(t);
}

void trap_dispatch(struct trap_frame *f)
{
	if (f->vector < 32) {
		if (benign_exception(f))
			return;
		kernel_fault(f);
	} else if (f->vector < VEC_IRQ_BASE || f->vector == VEC_SPURIOUS) {
		/* Spurious: masked 8259s or the LAPIC; no EOI. */
		return;
	} else {
		device_interrupt(f);
	}
	sched_preempt_point(f->rflags & RFLAGS_IF);
}
