/*
 * In-kernel self-tests of the restart model's rules (kernel/wait.c): a
 * call that returns -EWAIT after its point of no return is caught (the
 * dispatcher's check panics; here it runs in a small service, whose crash
 * path catches the panic), one that kept its progress after committing
 * may wait again, and two kinds of progress in one call are caught. And
 * the one way to wait (wait_event_*) as a kernel thread: it sleeps until
 * woken, or until its deadline, and comes back with 0 to look again.
 */
#include <kernel/ktest.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/clock.h>
#include <kernel/wait.h>
#include <svc/service.h>
#include <lib/compiler.h>
#include <uapi/errno.h>

enum {
	OP_COMMIT_THEN_WAIT = 1, /* call_commit, then -EWAIT: caught */
	OP_COMMIT_KEPT_WAIT,	 /* call_commit, call_progress_kept, then -EWAIT: allowed */
	OP_COMMIT_THEN_DONE,	 /* call_commit, then a result: allowed */
	OP_TWO_KINDS,		 /* readv's progress, then poll's, in one call: caught */
	VERSION = 3
};

/* The service thread plays a user call's part: in a call, with a fresh record. */
static void call_begins(struct thread *t)
{
	t->in_call = true;
	progress_reset(&t->wait);
}

static void call_ends(struct thread *t)
{
	t->in_call = false;
	progress_reset(&t->wait);
}

static int rules_handle(struct service *s, struct svc_request *req)
{
	struct thread *t = current_thread();
	uint16_t op = req->hdr.opcode;

	(void)s;
	call_begins(t);
	if (op == OP_COMMIT_THEN_WAIT || op == OP_COMMIT_KEPT_WAIT || op == OP_COMMIT_THEN_DONE)
		call_commit();
	if (op == OP_COMMIT_KEPT_WAIT)
		call_progress_kept();
	if (op == OP_TWO_KINDS) {
		progress_rw(&t->wait)->done = 1;
		progress_poll(&t->wait)->state = 1; /* panics: the record is readv's */
	}
	call_check_ewait(op == OP_COMMIT_THEN_DONE ? 0 : -EWAIT, "kt_restart");
	call_ends(t);
	svc_put_u64(svc_reply(req), op);
	return 0;
}

static int rules_init(struct service *s)
{
	(void)s;
	return 0;
}

static const struct service_ops rules_ops = { .init = rules_init, .handle = rules_handle };

static struct service *rules_service(void)
{
	static struct service *s;

	if (!s)
		s = svc_start("kt_restart", &rules_ops, NULL, 200);
	return s;
}

/* One request of op: its status. */
static int rules_call(uint16_t op)
{
	struct svc_request *req = svc_request_new(op, 16, 16), *done;
	int status;

	if (!req)
		return -ENOMEM;
	svc_msg_begin(svc_payload(req), VERSION);
	status = svc_call(rules_service(), req, &done);
	svc_request_put(done);
	return status;
}

KTEST(restart_ewait_after_point_of_no_return_is_caught)
{
	uint64_t crashes;

	KT_ASSERT(rules_service());
	crashes = rules_service()->stats.crashes;
	KT_ASSERT(rules_call(OP_COMMIT_THEN_DONE) == 0);
	KT_ASSERT(rules_call(OP_COMMIT_KEPT_WAIT) == 0);
	KT_ASSERT(rules_service()->stats.crashes == crashes);
	/* Caught on the run and on its retry: the request fails. */
	KT_ASSERT(rules_call(OP_COMMIT_THEN_WAIT) == -EIO);
	KT_ASSERT(rules_service()->stats.crashes == crashes + 2);
	KT_ASSERT(rules_call(OP_COMMIT_THEN_DONE) == 0); /* the rebuilt service goes on */
}

KTEST(restart_two_kinds_of_progress_in_one_call_are_caught)
{
	uint64_t crashes;

	KT_ASSERT(rules_service());
	crashes = rules_service()->stats.crashes;
	KT_ASSERT(rules_call(OP_TWO_KINDS) == -EIO);
	KT_ASSERT(rules_service()->stats.crashes == crashes + 2);
}

static struct wait_source ev_src;
static volatile int ev_flag;
static volatile int ev_looks;
static volatile long ev_result;

/* Waits the one way until ev_flag is set, counting its looks. */
static void event_waiter(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&ev_src.lock);
		long r;

		ev_looks++;
		if (ev_flag) {
			spin_unlock_irqrestore(&ev_src.lock, flags);
			break;
		}
		wait_event_locked(&ev_src, 0, 0);
		spin_unlock_irqrestore(&ev_src.lock, flags);
		r = wait_event_sleep();
		if (r) {
			ev_result = r;
			return;
		}
	}
	ev_result = 1;
}

KTEST(wait_event_kernel_thread_sleeps_until_woken)
{
	struct thread *t;
	unsigned long flags;

	wait_source_init(&ev_src, "kt-event");
	ev_flag = 0;
	ev_looks = 0;
	ev_result = 0;
	t = kthread_create("kt-event", event_waiter, NULL);
	KT_ASSERT(t);
	while (!ev_looks)
		thread_sleep_ns(NSEC_PER_MSEC);
	thread_sleep_ns(20 * NSEC_PER_MSEC);
	KT_ASSERT(ev_result == 0); /* still waiting: nothing woke it */
	flags = spin_lock_irqsave(&ev_src.lock);
	ev_flag = 1;
	spin_unlock_irqrestore(&ev_src.lock, flags);
	wait_wake_all(&ev_src);
	kthread_join(t);
	KT_ASSERT(ev_result == 1);
	KT_ASSERT(ev_looks >= 2);
	flags = spin_lock_irqsave(&ev_src.lock);
	KT_ASSERT(list_empty(&ev_src.waiters));
	spin_unlock_irqrestore(&ev_src.lock, flags);
}

KTEST(wait_event_kernel_thread_deadline_ends_sleep)
{
	unsigned long flags;
	uint64_t start = clock_ns();

	wait_source_init(&ev_src, "kt-event");
	flags = spin_lock_irqsave(&ev_src.lock);
	wait_event_locked(&ev_src, deadline_after(5 * NSEC_PER_MSEC), 0);
	spin_unlock_irqrestore(&ev_src.lock, flags);
	KT_ASSERT(wait_event_sleep() == 0);
	KT_ASSERT(clock_ns() >= start + 5 * NSEC_PER_MSEC);
	flags = spin_lock_irqsave(&ev_src.lock);
	KT_ASSERT(list_empty(&ev_src.waiters)); /* unregistered on the way out */
	spin_unlock_irqrestore(&ev_src.lock, flags);
}
