/*
 * In-kernel self-tests of the service framework (svc/service.c): a small
 * echo service is called from the test's kernel thread; faults of every
 * kind are injected into it, and the tests check that the request is
 * retried once, fails with -EIO when it crashes twice, that the next one
 * succeeds, that a hang is ended by the watchdog, that a lock the service
 * held is released and that the counters say so. The watchdog judges by
 * progress: a request that calls svc_progress() runs past its deadline,
 * up to the hard limit of SVC_DEADLINE_HARD deadlines.
 */
#include <kernel/ktest.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <svc/service.h>
#include <arch/x86_64/cpu.h>
#include <svc/fault_inject.h>
#include <lib/string.h>
#include <uapi/errno.h>

enum {
	ECHO_OP = 1,
	LOCK_AND_FAULT_OP,
	ALLOC_OP,
	PROGRESS_OP, /* runs v deadlines of running time (0: forever), making progress */
	VERSION = 7
};

static int echo_inits;
static spinlock_t echo_lock = SPINLOCK_INIT("kt-echo");
static volatile bool fault_in_handler;

static int echo_init(struct service *s)
{
	(void)s;
	echo_inits++;
	return 0;
}

/* Spins for n deadlines of the request's running time (0: for ever), making progress. */
static void run_with_progress(struct service *s, uint64_t n)
{
	while (!n || READ_ONCE(s->current_total_ns) < n * s->deadline_ns) {
		svc_progress();
		cpu_relax();
	}
}

/* Echoes the u64 it gets plus one; LOCK_AND_FAULT_OP faults holding echo_lock. */
static int echo_handle(struct service *s, struct svc_request *req)
{
	struct svc_reader r;
	uint64_t v;

	(void)s;
	svc_request_reader(req, &r);
	if (svc_msg_check(&r, VERSION))
		return -EPROTO;
	v = svc_get_u64(&r);
	if (!svc_reader_done(&r))
		return -EPROTO;
	if (req->hdr.opcode == LOCK_AND_FAULT_OP && fault_in_handler) {
		svc_lock(&echo_lock);
		*(volatile int *)(uintptr_t)v = 1; /* v is an unmapped address */
	}
	if (req->hdr.opcode == ALLOC_OP && !svc_alloc(4096))
		return -ENOMEM;
	if (req->hdr.opcode == PROGRESS_OP)
		run_with_progress(s, v);
	svc_put_u64(svc_reply(req), v + 1);
	return 0;
}

static const struct service_ops echo_ops = { .init = echo_init, .handle = echo_handle };

static struct service *echo_service(void)
{
	static struct service *s;

	if (!s)
		s = svc_start("kt_echo", &echo_ops, NULL, 200);
	return s;
}

/* One call: the status, and the echoed value in *out. */
static int echo_call(uint16_t op, uint64_t v, uint64_t *out)
{
	struct svc_request *req = svc_request_new(op, 16, 16), *done;
	struct svc_reader r;
	int status;

	if (!req)
		return -ENOMEM;
	svc_msg_begin(svc_payload(req), VERSION);
	svc_put_u64(svc_payload(req), v);
	status = svc_call(echo_service(), req, &done);
	if (!status) {
		svc_reply_reader(done, &r);
		*out = svc_get_u64(&r);
		if (!svc_reader_done(&r))
			status = -EPROTO;
	}
	svc_request_put(done);
	return status;
}

static struct svc_stats echo_stats(void)
{
	return echo_service()->stats;
}

KTEST(svc_echo_replies)
{
	uint64_t crashes = echo_stats().crashes;
	uint64_t out = 0;

	for (uint64_t i = 0; i < 100; i++) {
		KT_ASSERT(echo_call(ECHO_OP, i, &out) == 0);
		KT_ASSERT(out == i + 1);
	}
	KT_ASSERT(echo_call(ALLOC_OP, 5, &out) == 0 && out == 6);
	KT_ASSERT(echo_stats().crashes == crashes);
}

KTEST(svc_rejects_bad_version)
{
	struct svc_request *req = svc_request_new(ECHO_OP, 16, 16), *done;

	KT_ASSERT(req != NULL);
	svc_msg_begin(svc_payload(req), VERSION + 1);
	svc_put_u64(svc_payload(req), 1);
	KT_ASSERT(svc_call(echo_service(), req, &done) == -EPROTO);
	svc_request_put(done);
}

KTEST(svc_payload_overflow_is_not_sent)
{
	struct svc_request *req = svc_request_new(ECHO_OP, 4, 16), *done;

	KT_ASSERT(req != NULL);
	svc_put_u64(svc_payload(req), 1);
	KT_ASSERT(svc_call(echo_service(), req, &done) == -EOVERFLOW);
}

/* A fault of kind in the next request: retried once on the new service, which answers. */
static int crash_once_then_answer(const char *rule)
{
	struct svc_stats before = echo_stats();
	int inits = echo_inits;
	uint64_t out = 0;

	if (svc_fault_configure(rule))
		return -1;
	if (echo_call(ECHO_OP, 41, &out) || out != 42)
		return -2;
	if (echo_stats().crashes != before.crashes + 1 ||
	    echo_stats().retried != before.retried + 1)
		return -3;
	if (echo_stats().restarts != before.restarts + 1 || echo_inits != inits + 1)
		return -4;
	return 0;
}

KTEST(svc_panic_is_retried)
{
	KT_ASSERT(crash_once_then_answer("kt_echo panic next") == 0);
}

KTEST(svc_pagefault_is_retried)
{
	KT_ASSERT(crash_once_then_answer("kt_echo pagefault next") == 0);
}

KTEST(svc_hang_is_ended_by_watchdog)
{
	KT_ASSERT(crash_once_then_answer("kt_echo hang next") == 0);
}

KTEST(svc_progress_keeps_a_long_request)
{
	struct svc_stats before = echo_stats();
	uint64_t out = 0;

	KT_ASSERT(echo_call(PROGRESS_OP, 3, &out) == 0 && out == 4);
	KT_ASSERT(echo_stats().crashes == before.crashes);
}

KTEST(svc_progress_forever_meets_the_hard_limit)
{
	struct svc_stats before = echo_stats();
	uint64_t out = 0;

	KT_ASSERT(echo_call(PROGRESS_OP, 0, &out) == -EIO); /* ended twice */
	KT_ASSERT(echo_stats().crashes == before.crashes + 2);
	KT_ASSERT(echo_call(ECHO_OP, 5, &out) == 0 && out == 6);
}

KTEST(svc_twice_crashed_request_fails_eio)
{
	struct svc_stats before = echo_stats();
	uint64_t out = 0;

	KT_ASSERT(svc_fault_configure("kt_echo panic every 1") == 0);
	KT_ASSERT(echo_call(ECHO_OP, 1, &out) == -EIO);
	KT_ASSERT(svc_fault_configure("kt_echo off") == 0);
	KT_ASSERT(echo_call(ECHO_OP, 2, &out) == 0 && out == 3);
	KT_ASSERT(echo_stats().failed == before.failed + 1);
	KT_ASSERT(echo_stats().crashes == before.crashes + 2);
}

KTEST(svc_crash_releases_locks)
{
	struct svc_stats before = echo_stats();
	uint64_t out = 0;

	fault_in_handler = true;
	KT_ASSERT(echo_call(LOCK_AND_FAULT_OP, 0x20, &out) == -EIO); /* crashes both times */
	fault_in_handler = false;
	KT_ASSERT(!spin_held(&echo_lock) && echo_lock.locked == 0);
	KT_ASSERT(echo_call(LOCK_AND_FAULT_OP, 0x20, &out) == 0 && out == 0x21);
	KT_ASSERT(echo_stats().crashes == before.crashes + 2);
}

KTEST(svc_fault_rules_parse)
{
	struct svc_fault_rule r;

	KT_ASSERT(svc_fault_parse("ext2 panic next", &r) == 0 && r.when == SVC_WHEN_NEXT);
	KT_ASSERT(svc_fault_parse("ext2:hang:every:5", &r) == 0 && r.every == 5);
	KT_ASSERT(svc_fault_parse("blk pagefault prob 0.25", &r) == 0 && r.ppm == 250000);
	KT_ASSERT(svc_fault_parse("blk pagefault prob 1", &r) == 0 && r.ppm == 1000000);
	KT_ASSERT(svc_fault_parse("blk off", &r) == 0 && r.when == SVC_WHEN_OFF);
	KT_ASSERT(svc_fault_parse("blk pagefault prob 0", &r) == -EINVAL);
	KT_ASSERT(svc_fault_parse("blk pagefault prob 1.5", &r) == -EINVAL);
	KT_ASSERT(svc_fault_parse("blk pagefault every 0", &r) == -EINVAL);
	KT_ASSERT(svc_fault_parse("blk explode next", &r) == -EINVAL);
	KT_ASSERT(svc_fault_parse("blk", &r) == -EINVAL);
	KT_ASSERT(svc_fault_parse("blk panic next extra words", &r) == -EINVAL);
}
