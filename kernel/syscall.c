/*
 * System call dispatch (include/kernel/syscall.h). The table is generated
 * from include/sys/syscalls.def. syscall_run executes the call saved in a
 * user thread's registers; a call that returns -EWAIT parks the thread
 * (kernel/sched.c) and is run again, from the same saved registers, when
 * its wait is woken: the "restart" form of a continuation.
 */
#include <kernel/syscall.h>
#include <kernel/thread.h>
#include <kernel/proc.h>
#include <kernel/printk.h>
#include <kernel/panic.h>
#include <kernel/wait.h>
#include <kernel/uthread.h>
#include <kernel/signal.h>
#include <kernel/ptrace.h>
#include <lib/compiler.h>
#include <svc/service.h>
#include <lib/bitmap.h>
#include <uapi/errno.h>

typedef long (*syscall_fn)(const uint64_t *args);

struct syscall_desc {
	syscall_fn fn;
	const char *name;
};

#define SYSCALL(nr, name) [nr] = { sys_##name, #name },
static const struct syscall_desc syscall_table[SYSCALL_MAX] = {
#include <sys/syscalls.def>
};
#undef SYSCALL

static unsigned long enosys_reported[BITS_TO_LONGS(SYSCALL_MAX + 1)]; /* (a) */

const char *syscall_name(unsigned nr)
{
	return nr < SYSCALL_MAX ? syscall_table[nr].name : NULL;
}

/* Whether this is the first -ENOSYS for the number (each is logged once). */
static bool first_report(unsigned nr)
{
	unsigned long mask = 1UL << (nr % BITS_PER_LONG);
	unsigned long old = __atomic_fetch_or(&enosys_reported[nr / BITS_PER_LONG], mask,
					      __ATOMIC_RELAXED);

	return !(old & mask);
}

static long no_such_call(uint64_t nr)
{
	if (first_report(nr < SYSCALL_MAX ? nr : SYSCALL_MAX))
		pr_warn("%s (pid %d): system call %lu is not implemented (ENOSYS)\n",
			current_proc()->comm, current_proc()->pid, (unsigned long)nr);
	return -ENOSYS;
}

static long invoke(const struct trap_frame *f)
{
	uint64_t nr = f->rax;
	const uint64_t args[6] = { f->rdi, f->rsi, f->rdx, f->r10, f->r8, f->r9 };

	if (nr >= SYSCALL_MAX || !syscall_table[nr].fn)
		return no_such_call(nr);
	return syscall_table[nr].fn(args);
}

void syscall_run(struct thread *t)
{
	long ret;

	for (;;) {
		if (t->wait.polls < UINT16_MAX)
			t->wait.polls++;
		wait_flags_clear(&t->wait,
				 WAIT_UNINTERRUPTIBLE); /* each run says again how it waits */
		t->fault_wait = false;
		t->in_call = true;
		svc_call_run_starts(t);
		ret = invoke(&t->uregs);
		if (t->fault_wait && ret == -EFAULT)
			ret = -EWAIT; /* it touched a file page still being read: run it again */
		else if (t->fault_wait && ret != -EWAIT)
			wait_detach(&t->wait);
		/* Checked while in_call: outside a call, call_committed() answers NULL. */
		if (CONFIG_DEBUG && ret == -EWAIT)
			call_check_ewait(ret, syscall_name((unsigned)t->uregs.rax));
		t->in_call = false;
		if (ret != -EWAIT)
			break;
		if (signal_ends_wait(t)) {
			signal_interrupt_call(t); /* a signal ends the wait before it starts */
			return;
		}
		sched_user_park(t, true); /* returns only if woken before it parked, or killed */
		wait_detach(&t->wait);
		if (READ_ONCE(t->killed)) {
			ret = -EINTR; /* killed by another CPU's exec or exit_group: it exits on its way out */
			break;
		}
		if (signal_ends_wait(t)) {
			signal_interrupt_call(t);
			return;
		}
	}
	wait_detach(&t->wait); /* a call that registered and then completed anyway */
	t->sigwait_set = 0;    /* rt_sigtimedwait's set lasts as long as the call */
	wait_record_completion(&t->wait);
	svc_forget_calls(t);
	if (ret == -ERESTARTSYS || ret == -ERESTARTNOHAND) {
		/* The call itself asked to be restarted after a signal (a background tty read). */
		t->interrupted_call = true;
		t->syscall_nr = t->uregs.rax;
	}
	t->uregs.rax = ret;
}

/* Inline: every system call passes here (syscall_prepare is the same for ptrace). */
static inline void prepare_call(struct thread *t)
{
	svc_forget_calls(t); /* a call that ended interrupted left its requests */
	t->wait.polls = 0;
	wait_flags_clear(&t->wait, ~0u);
	t->wait.deadline_ns = 0;
	t->wait.partial = 0;
	progress_reset(&t->wait);
}

void syscall_prepare(struct thread *t)
{
	prepare_call(t);
}

long kthread_call(long (*fn)(void *arg), void *arg)
{
	struct thread *t = current_thread();
	long ret;

	BUG_ON(t->user || t->kcall);
	prepare_call(t);
	t->kcall = true;
	for (;;) {
		if (t->wait.polls < UINT16_MAX)
			t->wait.polls++;
		wait_flags_clear(&t->wait,
				 WAIT_UNINTERRUPTIBLE); /* each run says again how it waits */
		t->in_call = true;
		svc_call_run_starts(t);
		ret = fn(arg);
		t->in_call = false;
		if (ret != -EWAIT)
			break;
		sched_kthread_park(t); /* returns at once if woken before it parked */
		wait_detach(&t->wait);
	}
	t->kcall = false;
	wait_detach(&t->wait); /* a run that registered and then completed anyway */
	wait_record_completion(&t->wait);
	prepare_call(t); /* nothing of this call is left for the thread's next one */
	return ret;
}

/* Entered from syscall_entry (arch/x86_64/entry.S) on this CPU's stack. */
__attribute__((noreturn)) void syscall_entry_c(struct trap_frame *f)
{
	struct thread *t = current_thread();

	(void)f; /* f == &t->uregs */
	prepare_call(t);
	if (unlikely(t->ptrace) && ptrace_syscall_entry(t))
		user_exit_path(t); /* stopped at the entry: the call runs from ptrace_exit_work */
	syscall_run(t);
	user_exit_path(t);
}
