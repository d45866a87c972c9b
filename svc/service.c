/*
 * The service framework (include/svc/service.h, DESIGN.md section 5).
 *
 * Each service has one thread that loops: take the first request of the
 * queue, ask fault injection whether to fail on purpose, run the
 * handler, complete the request (or leave it in flight when the handler
 * handed it to hardware). Callers in system calls park on the request's
 * wait source; kernel threads block on its wait queue.
 *
 * A crash comes here through svc_crash(), from the fault handler
 * (arch/x86_64/trap.c), from panic() or from the watchdog, on the
 * crashed thread's own stack: the locks the service took are released,
 * the request's arena is freed, the request is put back at the head of
 * the queue (or failed with -EIO if it already crashed once), the
 * requests in flight in the device are put back too, a new thread is
 * started (it runs ops->crashed and ops->init), and the old thread exits;
 * its stack goes with it.
 */
#include <svc/service.h>
#include <kernel/ksyms.h>
#include <svc/fault_inject.h>
#include <kernel/panic.h>
#include <kernel/printk.h>
#include <kernel/time.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/percpu.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

static spinlock_t services_lock = SPINLOCK_INIT("services");
static LIST_HEAD(services);	     /* (services_lock) */
static uint64_t next_request_id = 1; /* (a) */

/* One svc_alloc block; data is 16-byte aligned. */
struct arena_block {
	struct list_head node;
	uint64_t pad;
	char data[];
};

static void svc_thread_main(void *arg);

/* Requests of a run that matched none of the kept ones still ahead of it. */
static uint64_t svc_diverged;
/* The most requests one call (or fault) kept. */
static uint64_t svc_longest;

struct svc_request *svc_request_new(uint16_t opcode, size_t payload_cap, size_t reply_cap)
{
	struct svc_request *req = kzalloc(sizeof(*req) + payload_cap + reply_cap);

	if (!req)
		return NULL;
	req->refcount = 1;
	req->hdr.opcode = opcode;
	req->hdr.id = __atomic_fetch_add(&next_request_id, 1, __ATOMIC_RELAXED);
	svc_writer_init(&req->req, (uint8_t *)(req + 1), payload_cap);
	svc_writer_init(&req->reply, (uint8_t *)(req + 1) + payload_cap, reply_cap);
	list_init(&req->node);
	list_init(&req->arena);
	wait_source_init(&req->done_src, "svc-done");
	return req;
}

static void arena_free(struct svc_request *req)
{
	while (!list_empty(&req->arena)) {
		struct arena_block *b = list_first_entry(&req->arena, struct arena_block, node);

		list_del(&b->node);
		kfree(b);
	}
}

void svc_request_put(struct svc_request *req)
{
	if (req && __atomic_sub_fetch(&req->refcount, 1, __ATOMIC_ACQ_REL) == 0) {
		arena_free(req);
		kfree(req);
	}
}

static struct svc_request *request_hold(struct svc_request *req)
{
	__atomic_add_fetch(&req->refcount, 1, __ATOMIC_RELAXED);
	return req;
}

void svc_reply_reader(const struct svc_request *req, struct svc_reader *r)
{
	svc_reader_init(r, req->reply.buf, req->reply.len);
}

void svc_request_reader(const struct svc_request *req, struct svc_reader *r)
{
	svc_reader_init(r, req->req.buf, req->req.len);
}

/* Queues req (the queue takes a reference) at the tail, or the head for a retry. */
static void enqueue(struct service *s, struct svc_request *req)
{
	unsigned long flags = spin_lock_irqsave(&s->work.lock);

	req->svc = s;
	req->hdr.len = (uint32_t)req->req.len;
	req->hdr.caller = req->on_done ? 0 : (uint64_t)current_thread()->tid;
	req->start_ns = clock_ns();
	req->where = SVC_REQ_QUEUED;
	list_add_tail(&req->node, &s->queue);
	spin_unlock_irqrestore(&s->work.lock, flags);
	waitq_wake_all(&s->work);
}

void svc_submit(struct service *s, struct svc_request *req, svc_done_fn on_done, void *cookie)
{
	req->on_done = on_done;
	req->cookie = cookie;
	enqueue(s, request_hold(req));
}

/* Counts a completion; caller holds s->work.lock. */
static void account_locked(struct service *s, struct svc_request *req, int status, uint64_t now)
{
	uint64_t lat = now - req->start_ns;

	assert_held(&s->work.lock);
	s->stats.served++;
	s->stats.total_ns += lat;
	if (lat > s->stats.worst_ns)
		s->stats.worst_ns = lat;
	if (s->stats.crash_ns && status != -EIO) {
		s->stats.recovery_ns_last = now - s->stats.crash_ns;
		s->stats.crash_ns = 0;
	}
}

/* Ends req: the reply is final, waiters wake, on_done runs, the queue's reference goes. */
static void finish(struct service *s, struct svc_request *req, int status)
{
	unsigned long flags = spin_lock_irqsave(&s->work.lock);

	account_locked(s, req, status, clock_ns());
	if (req->where == SVC_REQ_INFLIGHT)
		list_del(&req->node);
	req->where = SVC_REQ_DONE;
	spin_unlock_irqrestore(&s->work.lock, flags);

	flags = spin_lock_irqsave(&req->done_src.lock);
	req->status = status;
	req->done = true;
	spin_unlock_irqrestore(&req->done_src.lock, flags);
	wait_wake_all(&req->done_src);
	if (req->on_done)
		req->on_done(req);
	svc_request_put(req);
}

void svc_complete(struct svc_request *req, int status)
{
	struct service *s = req->svc;
	unsigned long flags = spin_lock_irqsave(&s->work.lock);
	bool ours = req->where == SVC_REQ_INFLIGHT;

	if (ours) { /* taken off in the same hold: a crash's requeue cannot take it too */
		list_del(&req->node);
		req->where = SVC_REQ_RUNNING;
	}
	spin_unlock_irqrestore(&s->work.lock, flags);
	if (ours) /* else a crash put it back in the queue: it runs again */
		finish(s, req, status);
}

void svc_kick(struct service *s)
{
	unsigned long flags = spin_lock_irqsave(&s->work.lock);

	s->kicked = true;
	spin_unlock_irqrestore(&s->work.lock, flags);
	waitq_wake_all(&s->work);
}

/* ---- Callers ---------------------------------------------------------- */

static bool same_request(const struct svc_request *a, const struct svc_request *b)
{
	return a->hdr.opcode == b->hdr.opcode && a->req.len == b->req.len &&
	       memcmp(a->req.buf, b->req.buf, a->req.len) == 0;
}

/* Waits for p's reply (the one way: a user call returns -EWAIT); a reference in *done. */
static int await_reply(struct svc_request *p, struct svc_request **done)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&p->done_src.lock);
		long r;

		if (p->done) {
			spin_unlock_irqrestore(&p->done_src.lock, flags);
			break;
		}
		wait_event_locked(&p->done_src, 0, WAIT_UNINTERRUPTIBLE);
		spin_unlock_irqrestore(&p->done_src.lock, flags);
		r = wait_event_sleep();
		if (r)
			return (int)r;
	}
	*done = request_hold(p);
	return p->status;
}

/* Drops every kept request. */
static void forget_all(struct svc_call_log *log)
{
	while (log->count)
		svc_request_put(log->reqs[--log->count]);
}

/*
 * The request this run of the call made before: the first kept one from
 * the run's place in the sequence on with the same service and bytes (a
 * request is never matched twice in a run, so a call may make the same
 * request twice). Kept requests it passes over were made by an earlier run
 * whose result this run no longer needs: the earlier run applied it (a
 * directory it read is in the dentry tree now), or another thread changed
 * what the call looked at. None found: the run took another way (counted).
 */
static struct svc_request *made_before(struct svc_call_log *log, struct service *s,
				       const struct svc_request *req)
{
	for (uint16_t i = log->next; i < log->count; i++) {
		struct svc_request *p = log->reqs[i];

		if (p->svc == s && same_request(p, req)) {
			log->next = (uint16_t)(i + 1);
			return p;
		}
	}
	if (log->next < log->count)
		__atomic_add_fetch(&svc_diverged, 1, __ATOMIC_RELAXED);
	return NULL;
}

/* Keeps req (the thread's reference) as the run's next request; -ENOMEM. */
static int keep_call(struct svc_call_log *log, struct svc_request *req)
{
	if (log->count == log->cap) {
		uint16_t cap = log->cap ? (uint16_t)(log->cap * 2) : 4;
		struct svc_request **reqs = cap > log->cap ? kmalloc(cap * sizeof(*reqs)) : NULL;

		if (!reqs)
			return -ENOMEM;
		if (log->count)
			memcpy(reqs, log->reqs, log->count * sizeof(*reqs));
		kfree(log->reqs);
		log->reqs = reqs;
		log->cap = cap;
	}
	log->reqs[log->count++] = req;
	if (log->count > __atomic_load_n(&svc_longest, __ATOMIC_RELAXED))
		__atomic_store_n(&svc_longest, log->count, __ATOMIC_RELAXED); /* a statistic */
	return 0;
}

int svc_call(struct service *s, struct svc_request *req, struct svc_request **done)
{
	struct thread *t = current_thread();
	struct svc_call_log *log = &t->svc_log;
	struct svc_request *p;

	*done = NULL;
	if (req->req.overflow) {
		svc_request_put(req);
		return -EOVERFLOW;
	}
	if (!wait_restarts() && this_cpu()->preempt_count) {
		/* A kernel thread holding a spinlock cannot sleep: a caller's bug, not a hang. */
		pr_err("svc_call to %s from '%s' holding a lock: refused\n", s->name, t->name);
		backtrace_here();
		svc_request_put(req);
		return -EDEADLK;
	}
	if (!wait_restarts()) { /* no run again: nothing to keep */
		int r;

		enqueue(s, request_hold(req));
		r = await_reply(req, done);
		svc_request_put(req);
		return r;
	}
	p = made_before(log, s, req);
	if (p) {
		svc_request_put(req); /* a run before sent the same: its reply counts */
		return await_reply(p, done);
	}
	if (keep_call(log, req)) {
		svc_request_put(req);
		return -ENOMEM;
	}
	log->next = log->count;
	enqueue(s, request_hold(req));
	return await_reply(req, done);
}

void svc_call_stats(uint64_t *longest, uint64_t *diverged)
{
	*longest = __atomic_load_n(&svc_longest, __ATOMIC_RELAXED);
	*diverged = __atomic_load_n(&svc_diverged, __ATOMIC_RELAXED);
}

/* svc_forget_calls' slow path: the call made requests (include/svc/service.h). */
void svc_forget_kept_calls(struct thread *t)
{
	struct svc_call_log *log = &t->svc_log;

	forget_all(log);
	kfree(log->reqs);
	*log = (struct svc_call_log){ 0 };
}

/* ---- The service thread ------------------------------------------------ */

struct service *svc_current(void)
{
	struct thread *t = current_thread();

	return t ? t->service : NULL;
}

void *svc_alloc(size_t n)
{
	struct service *s = svc_current();
	struct svc_request *req = s ? s->current : NULL;
	struct arena_block *b;

	if (!req || n > ((size_t)1 << 30))
		return NULL;
	b = kzalloc(sizeof(*b) + n);
	if (!b)
		return NULL;
	list_add(&b->node, &req->arena);
	return b->data;
}

void svc_lock(spinlock_t *l)
{
	struct service *s = svc_current();
	unsigned long flags;

	if (!s || s->nr_held >= SVC_MAX_LOCKS)
		panic("svc_lock: not a service thread, or too many locks");
	flags = spin_lock_irqsave(l);
	s->held_flags[s->nr_held] = flags;
	s->held[s->nr_held++] = l;
}

void svc_unlock(spinlock_t *l)
{
	struct service *s = svc_current();

	if (!s || !s->nr_held || s->held[s->nr_held - 1] != l)
		panic("svc_unlock: not the last lock this service took");
	s->nr_held--;
	spin_unlock_irqrestore(l, s->held_flags[s->nr_held]);
}

/* The next request to run (marked running), after poll() if an interrupt asked for it. */
static struct svc_request *next_request(struct service *s)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&s->work.lock);
		struct svc_request *req = NULL;
		bool kicked;

		while (!s->kicked && list_empty(&s->queue)) {
			waitq_block_locked(&s->work, flags);
			flags = spin_lock_irqsave(&s->work.lock);
		}
		kicked = s->kicked;
		s->kicked = false;
		if (!kicked) {
			req = list_first_entry(&s->queue, struct svc_request, node);
			list_del(&req->node);
			req->where = SVC_REQ_RUNNING;
			s->current = req;
			s->current_run_ns = 0;
			s->current_total_ns = 0;
			WRITE_ONCE(s->overdue, false);
		}
		spin_unlock_irqrestore(&s->work.lock, flags);
		if (!kicked)
			return req;
		if (s->ops->poll)
			s->ops->poll(s);
	}
}

/* Where an injected page fault writes (a variable, so the compiler cannot see through it). */
static volatile uintptr_t fault_address; /* written only to fault on purpose */

/* Commits the fault that injection asks for, if any. */
static void inject_fault(struct service *s)
{
	switch (svc_fault_due(s->name)) {
	case SVC_FAULT_PANIC:
		panic("fault injected into service %s", s->name);
	case SVC_FAULT_PAGEFAULT:
		fault_address = (uintptr_t)0x10; /* nothing is mapped there */
		*(volatile uint64_t *)fault_address = 0;
		break;
	case SVC_FAULT_HANG:
		pr_warn("service %s: injected hang\n", s->name);
		for (;;)
			cpu_relax();
	case SVC_FAULT_NONE:
		break;
	}
}

static void run_request(struct service *s, struct svc_request *req)
{
	unsigned long flags;
	int status;

	inject_fault(s);
	status = READ_ONCE(s->broken) ? -EIO : s->ops->handle(s, req);
	arena_free(req);
	flags = spin_lock_irqsave(&s->work.lock);
	s->current = NULL;
	WRITE_ONCE(s->overdue,
		   false); /* the watchdog ends requests, not the code that completes them */
	if (status == SVC_ASYNC) {
		req->where = SVC_REQ_INFLIGHT;
		list_add_tail(&req->node, &s->inflight);
	}
	spin_unlock_irqrestore(&s->work.lock, flags);
	if (status != SVC_ASYNC)
		finish(s, req, status);
}

static void start_service(struct service *s)
{
	unsigned long flags = spin_lock_irqsave(&s->work.lock);
	bool restarting = s->restarting;
	int err;

	s->restarting = false;
	spin_unlock_irqrestore(&s->work.lock, flags);
	if (restarting && s->ops->crashed)
		s->ops->crashed(s);
	err = s->ops->init ? s->ops->init(s) : 0;
	if (err) {
		pr_err("service %s: init failed (%d): its requests fail with EIO\n", s->name, err);
		WRITE_ONCE(s->broken, true);
	} else if (restarting) {
		pr_info("service %s restarted\n", s->name);
	}
}

static void svc_thread_main(void *arg)
{
	struct service *s = arg;

	current_thread()->service = s;
	start_service(s);
	for (;;)
		run_request(s, next_request(s));
}

static struct thread *spawn_thread(struct service *s)
{
	struct thread *t = kthread_create(s->name, svc_thread_main, s);

	if (t)
		kthread_detach(t);
	return t;
}

struct service *svc_start(const char *name, const struct service_ops *ops, void *state,
			  uint64_t deadline_ms)
{
	struct service *s = kzalloc(sizeof(*s));
	unsigned long flags;

	if (!s)
		return NULL;
	strlcpy(s->name, name, sizeof(s->name));
	s->ops = ops;
	s->state = state;
	s->deadline_ns = (deadline_ms ? deadline_ms : SVC_DEADLINE_MS) * 1000000ull;
	list_init(&s->queue);
	list_init(&s->inflight);
	waitq_init(&s->work, "svc-queue");
	flags = spin_lock_irqsave(&services_lock);
	list_add_tail(&s->node, &services);
	spin_unlock_irqrestore(&services_lock, flags);
	s->thread = spawn_thread(s);
	if (!s->thread)
		s->broken = true;
	return s;
}

struct service *svc_find(const char *name)
{
	unsigned long flags = spin_lock_irqsave(&services_lock);
	struct service *s, *found = NULL;

	list_for_each_entry (s, &services, node)
		if (!strcmp(s->name, name))
			found = s;
	spin_unlock_irqrestore(&services_lock, flags);
	return found;
}

/* ---- Crashes ----------------------------------------------------------- */

bool svc_can_recover(void)
{
	struct percpu *cpu = this_cpu();
	struct thread *t = cpu->current;

	return t && t->service && !t->user && cpu->irq_depth == 0 &&
	       cpu->preempt_count == (int)t->service->nr_held;
}

static void release_locks(struct service *s)
{
	while (s->nr_held) {
		s->nr_held--;
		pr_warn("service %s: releasing lock %s it held\n", s->name,
			s->held[s->nr_held]->name);
		spin_unlock_irqrestore(s->held[s->nr_held], false);
	}
}

/*
 * Takes the crashed request and those in flight back: the first goes to
 * the head of the queue for its retry, or is returned to be failed.
 */
static struct svc_request *requeue_after_crash(struct service *s)
{
	unsigned long flags = spin_lock_irqsave(&s->work.lock);
	struct svc_request *req = s->current, *failed = NULL;

	s->current = NULL;
	s->stats.crashes++;
	s->stats.crash_ns = clock_ns();
	s->restarting = true;
	while (!list_empty(&s->inflight)) {
		struct svc_request *r = list_entry(s->inflight.prev, struct svc_request, node);

		list_del(&r->node);
		r->where = SVC_REQ_QUEUED;
		list_add(&r->node, &s->queue);
	}
	if (req && req->hdr.attempt < SVC_RETRIES) {
		req->hdr.attempt++;
		s->stats.retried++;
		req->where = SVC_REQ_QUEUED;
		list_add(&req->node, &s->queue);
	} else if (req) {
		failed = req;
		s->stats.failed++;
	}
	spin_unlock_irqrestore(&s->work.lock, flags);
	return failed;
}

__attribute__((noreturn)) void svc_crash(const char *why)
{
	struct thread *self = current_thread();
	struct service *s = self->service;
	struct svc_request *req = s->current, *failed;
	unsigned long flags;

	release_locks(s);
	pr_err("service %s crashed (%s) in request %lu; restarting it\n", s->name, why,
	       req ? (unsigned long)req->hdr.id : 0ul);
	if (req)
		arena_free(req);
	failed = requeue_after_crash(s);
	if (failed) {
		pr_err("service %s: request %lu crashed twice: it fails with EIO\n", s->name,
		       (unsigned long)failed->hdr.id);
		finish(s, failed, -EIO);
	}
	self->service = NULL; /* what follows is the old thread's exit, not the service */
	flags = spin_lock_irqsave(&s->work.lock);
	s->stats.restarts++;
	spin_unlock_irqrestore(&s->work.lock, flags);
	s->thread = spawn_thread(s);
	if (!s->thread) {
		pr_err("service %s: no memory for a new thread; it stays down\n", s->name);
		WRITE_ONCE(s->broken, true);
	}
	irq_enable();
	kthread_exit(THREAD_EXIT_FAULT);
}

/*
 * The watchdog judges a request by its progress: it is overdue after
 * deadline_ns of running time with no svc_progress(), or after
 * SVC_DEADLINE_HARD deadlines in all. Running time is counted in timer
 * ticks that find the service's thread on the CPU: time it waits for the
 * disk or for the CPU (preempted, or QEMU's thread off the host's CPU,
 * whose ticks the virtual timer folds into one) does not count.
 */
void svc_tick(struct service *s, uint64_t tick_ns)
{
	if (!READ_ONCE(s->current))
		return;
	s->current_run_ns += tick_ns;
	s->current_total_ns += tick_ns;
	if (s->current_run_ns > s->deadline_ns ||
	    s->current_total_ns > s->deadline_ns * SVC_DEADLINE_HARD)
		WRITE_ONCE(s->overdue, true);
}

/* The tick runs on the same CPU as the thread (svc_tick): a plain store is enough. */
void svc_progress(void)
{
	struct service *s = svc_current();

	if (s)
		WRITE_ONCE(s->current_run_ns, 0);
}

void svc_watchdog_check(void)
{
	struct service *s = svc_current();

	if (s && READ_ONCE(s->overdue) && READ_ONCE(s->current) && svc_can_recover()) {
		WRITE_ONCE(s->overdue, false);
		svc_crash("watchdog: the request ran past its deadline");
	}
}

/* ---- Listings ---------------------------------------------------------- */

void svc_for_each(void (*fn)(struct service *s, void *ctx), void *ctx)
{
	unsigned long flags = spin_lock_irqsave(&services_lock);
	struct service *s;

	list_for_each_entry (s, &services, node)
		fn(s, ctx);
	spin_unlock_irqrestore(&services_lock, flags);
}

struct show_ctx {
	char *buf;
	size_t size, len;
};

static void show_one(struct service *s, void *arg)
{
	struct show_ctx *c = arg;
	unsigned long flags = spin_lock_irqsave(&s->work.lock);
	struct svc_stats st = s->stats;

	spin_unlock_irqrestore(&s->work.lock, flags);
	if (c->len >= c->size)
		return;
	c->len += snprintf(
		c->buf + c->len, c->size - c->len,
		"%s served=%lu crashes=%lu restarts=%lu retried=%lu failed=%lu "
		"mean_us=%lu worst_us=%lu recovery_us=%lu\n",
		s->name, (unsigned long)st.served, (unsigned long)st.crashes,
		(unsigned long)st.restarts, (unsigned long)st.retried, (unsigned long)st.failed,
		(unsigned long)(st.served ? st.total_ns / st.served / 1000 : 0),
		(unsigned long)(st.worst_ns / 1000), (unsigned long)(st.recovery_ns_last / 1000));
}

size_t svc_show_all(char *buf, size_t size)
{
	struct show_ctx c = { .buf = buf, .size = size, .len = 0 };

	svc_for_each(show_one, &c);
	return c.len < size ? c.len : size;
}
