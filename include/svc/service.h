/*
 * Kernel services (svc/service.c, DESIGN.md section 5): the parts of the
 * kernel most likely to fail (block drivers, file-system drivers) run as
 * services, each a kernel thread with its own guarded stack that takes
 * byte-serialized requests (include/svc/msg.h) from a queue.
 *
 * A service that crashes -- a CPU exception, panic() or a failed
 * assertion in its thread -- is rebuilt while everything else runs: the
 * locks it took through svc_lock are released, the memory of the request
 * in flight (svc_alloc) is freed, the thread and its stack are discarded,
 * and a new thread runs the service's init, then goes on with the queue.
 * The request that was running is retried once; if it crashes again it
 * fails with -EIO. A watchdog does the same to a request that runs past
 * its deadline without progress (a hang): the deadline counts only the
 * time the service's thread ran on a CPU, and restarts at each
 * svc_progress(). Faults can be injected on purpose
 * (svc/fault_inject.c, /proc/fault_inject).
 *
 * Callers: svc_call sends a request and returns its reply. From a system
 * call of a user thread it returns -EWAIT after sending (the thread parks
 * without a kernel stack, DESIGN.md section 4). The thread keeps every
 * request of the call, in order, with its reply, until the call ends
 * (struct svc_call_log, as long as it needs: no fixed limit). When the
 * call runs again, its requests are matched in order: each takes the
 * first kept request from its place on that has the same bytes, so nothing
 * is sent twice and a call may make the same request twice. A run makes
 * fewer requests than the one before when that one's results are already
 * applied (a directory read is in the dentry tree): the kept requests it
 * passes over are simply not needed again.
 * Kernel threads block in it instead. svc_submit is the asynchronous
 * form: a callback runs when the reply is there.
 */
#ifndef SVC_SERVICE_H
#define SVC_SERVICE_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>
#include <kernel/wait.h>
#include <kernel/thread.h>
#include <svc/msg.h>

/* A handler's status meaning "not done yet: svc_complete() will finish it". */
#define SVC_ASYNC 1

#define SVC_NAME_LEN	  16
#define SVC_MAX_LOCKS	  8 /* locks a service may hold at once */
#define SVC_RETRIES	  1 /* a request that crashed is run this many more times */
#define SVC_DEADLINE_MS	  3000
/*
 * A request that keeps making progress is still ended once it has run
 * this many deadlines in all: requests are bounded steps (DESIGN.md
 * section 5), so only a livelock comes near it.
 */
#define SVC_DEADLINE_HARD 20

struct service;
struct svc_request;

/* Called when a request is done (in the thread that completed it). */
typedef void (*svc_done_fn)(struct svc_request *req);

/*
 * The header every request carries in front of its payload.
 */
struct svc_header {
	uint16_t opcode;
	uint16_t attempt; /* 0 on the first run, 1 on the retry */
	uint32_t len;	  /* payload bytes */
	uint64_t id;	  /* unique per request */
	uint64_t caller;  /* the waiting thread's id (tid), 0 for asynchronous callers */
};

/*
 * A request and, once done, its reply. Lock key: (c) constant after
 * submission, (q) the service's queue lock (work.lock), (s) the service
 * thread, (d) done_src.lock, (a) atomic.
 */
struct svc_request {
	struct list_head node;	     /* (q) on the queue or the in-flight list */
	int32_t refcount;	     /* (a) */
	struct service *svc;	     /* (c) */
	struct svc_header hdr;	     /* (c) but attempt (q) */
	struct svc_writer req;	     /* (c) the payload */
	struct svc_writer reply;     /* (s) the reply payload */
	int status;		     /* (d) valid once done */
	bool done;		     /* (d) done_src.lock */
	uint8_t where;		     /* (q) SVC_REQ_* */
	uint64_t start_ns;	     /* (q) submission time */
	svc_done_fn on_done;	     /* (c) asynchronous callers */
	void *cookie;		     /* (c) for on_done */
	struct list_head arena;	     /* (s) svc_alloc blocks of the run in flight */
	struct wait_source done_src; /* callers wait here (wait_event) */
};

struct service_ops {
	/*
	 * (Re)builds the service's state from durable sources; runs in the
	 * service's new thread before it takes a request. 0, or -errno: the
	 * service is then broken and every request fails with -EIO.
	 */
	int (*init)(struct service *s);
	/*
	 * Does one request: reads svc_request_reader(), writes the reply with
	 * svc_reply(). Returns the status for the caller (0 or -errno), or
	 * SVC_ASYNC when the work was handed on (a device) and svc_complete
	 * will end it.
	 */
	int (*handle)(struct service *s, struct svc_request *req);
	/* Optional: svc_kick() was called (an interrupt); runs in the service thread. */
	void (*poll)(struct service *s);
	/*
	 * Optional: the service crashed; asynchronous requests it had handed
	 * on are requeued by the framework. Runs in the thread that restarts
	 * it, before init.
	 */
	void (*crashed)(struct service *s);
};

/* Per-service counters (/proc/services). Lock key: (q). */
struct svc_stats {
	uint64_t served;  /* requests completed (any status) */
	uint64_t crashes; /* faults, panics and hangs */
	uint64_t restarts;
	uint64_t retried;
	uint64_t failed; /* requests that failed with -EIO after crashing twice */
	uint64_t total_ns, worst_ns;
	uint64_t crash_ns;	   /* when the last crash happened */
	uint64_t recovery_ns_last; /* crash to the next served request */
};

/* Where a request is (svc_request.where). */
enum {
	SVC_REQ_NEW,
	SVC_REQ_QUEUED,
	SVC_REQ_RUNNING,
	SVC_REQ_INFLIGHT,
	SVC_REQ_DONE
};

/*
 * Lock key: (c) constant, (q) work.lock (the queue lock), (s) the
 * service thread.
 */
struct service {
	char name[SVC_NAME_LEN];	 /* (c) */
	const struct service_ops *ops;	 /* (c) */
	void *state;			 /* (s) the service's own, rebuilt by init */
	struct list_head queue;		 /* (q) requests waiting */
	struct list_head inflight;	 /* (q) SVC_ASYNC requests handed on */
	struct svc_request *current;	 /* (q) the request running */
	struct thread *thread;		 /* (q) */
	struct waitq work;		 /* the thread sleeps here; its lock is the queue lock */
	bool kicked;			 /* (q) poll() wanted */
	bool broken;			 /* (q) init failed */
	bool restarting;		 /* (q) the next thread follows a crash */
	uint64_t deadline_ns;		 /* (c) running time allowed without progress */
	uint64_t current_run_ns;	 /* (q) running time since the request's last progress */
	uint64_t current_total_ns;	 /* (q) running time of the request in flight */
	bool overdue;			 /* (a) it ran past deadline_ns: the watchdog ends it */
	spinlock_t *held[SVC_MAX_LOCKS]; /* (s) locks taken with svc_lock */
	unsigned long held_flags[SVC_MAX_LOCKS]; /* (s) */
	unsigned nr_held;			 /* (s) */
	struct svc_stats stats;			 /* (q) */
	struct list_head node;			 /* (services lock) */
};

/*
 * Starts a service (its thread runs init). state is the service's own;
 * deadline_ms 0 means SVC_DEADLINE_MS. Returns NULL when out of memory.
 */
struct service *svc_start(const char *name, const struct service_ops *ops, void *state,
			  uint64_t deadline_ms);
struct service *svc_find(const char *name);

/* Callers. */
/* A new request: opcode, room for the payload and the reply. NULL when out of memory. */
struct svc_request *svc_request_new(uint16_t opcode, size_t payload_cap, size_t reply_cap);
static inline struct svc_writer *svc_payload(struct svc_request *req)
{
	return &req->req;
}
void svc_request_put(struct svc_request *req);
/* The reply of a done request. */
void svc_reply_reader(const struct svc_request *req, struct svc_reader *r);
/*
 * Sends req (consumed) to s and gives back its reply in *done (put it
 * when read): returns the service's status. See the top of this file for
 * the -EWAIT protocol of user threads. -ENOMEM, -EOVERFLOW (the payload
 * did not fit) without sending.
 */
int svc_call(struct service *s, struct svc_request *req, struct svc_request **done);
/* Asynchronous: on_done(req) runs when it is done; the caller keeps its reference. */
void svc_submit(struct service *s, struct svc_request *req, svc_done_fn on_done, void *cookie);

/* Services (from their own thread). */
void svc_request_reader(const struct svc_request *req, struct svc_reader *r);
static inline struct svc_writer *svc_reply(struct svc_request *req)
{
	return &req->reply;
}
/* Ends an SVC_ASYNC request (any context, interrupts included). */
void svc_complete(struct svc_request *req, int status);
/* From an interrupt handler: run the service's poll() soon. */
void svc_kick(struct service *s);
/*
 * The request in flight moved on (the ext2 service: a block it had not
 * touched yet): the watchdog's deadline starts again. Any context of the
 * service's thread; nothing when called from elsewhere.
 */
void svc_progress(void);
/* Memory freed when the request in flight ends or crashes. NULL when out of memory. */
void *svc_alloc(size_t n);
/* A lock the service owns: released for it if it crashes while holding it. */
void svc_lock(spinlock_t *l);
void svc_unlock(spinlock_t *l);
/* The service whose thread is running, or NULL. */
struct service *svc_current(void);

/* The trap path (arch/x86_64/trap.c, kernel/panic.c). */
/* Whether the current thread is a service thread that can be rebuilt. */
bool svc_can_recover(void);
/* Ends the current service thread after a crash and starts its successor. */
__attribute__((noreturn)) void svc_crash(const char *why);
/*
 * The timer tick, on the CPU a service thread is running on (kernel/sched.c,
 * never while it waits or another thread has the CPU): counts its running time.
 */
void svc_tick(struct service *s, uint64_t tick_ns);
/* At a preemption point with interrupts on: ends a service thread that ran past its deadline. */
void svc_watchdog_check(void);
/*
 * A system call of t ended (or t exits): drops the requests it kept.
 * Inline: every system call runs it twice, and most made no request.
 */
void svc_forget_kept_calls(struct thread *t);
static inline void svc_forget_calls(struct thread *t)
{
	if (t->svc_log.reqs || t->svc_log.next)
		svc_forget_kept_calls(t);
}

/* A run of t's call (or fault) starts: its requests count from 0 again. */
static inline void svc_call_run_starts(struct thread *t)
{
	t->svc_log.next = 0;
}
/*
 * The most requests one call kept, and how many requests of a run matched
 * none of the kept requests still ahead of it (/proc/axolotl/stats).
 */
void svc_call_stats(uint64_t *longest, uint64_t *diverged);

/* For /proc/services: one line per service into buf; returns the length. */
size_t svc_show_all(char *buf, size_t size);
/* Calls fn for each service (under the services lock). */
void svc_for_each(void (*fn)(struct service *s, void *ctx), void *ctx);

#endif
