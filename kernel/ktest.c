/*
 * The self-test runner (include/kernel/ktest.h). Runs in its own kernel
 * thread; each test runs in a fresh thread so that a test that faults (on
 * purpose or not) is killed and reported while the runner goes on. A test
 * during which the lock checker made a report fails.
 */
#include <kernel/ktest.h>
#include <kernel/lockcheck.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <lib/printf.h>
#include <lib/string.h>

extern const struct ktest _ktests_start[], _ktests_end[];

struct ktest_run {
	const struct ktest *test;
	struct ktest_ctx ctx;
};

void ktest_fail(struct ktest_ctx *kt, const char *file, int line, const char *what)
{
	kt->failed = true;
	snprintf(kt->message, sizeof(kt->message), "%s:%d: %s", file, line, what);
}

static bool selected(const char *sel, const char *name)
{
	size_t n = strlen(name);

	if (!strcmp(sel, "all"))
		return true;
	for (const char *p = sel; p; p = strchr(p, ',')) {
		if (*p == ',')
			p++;
		if (!strncmp(p, name, n) && (p[n] == ',' || p[n] == '\0'))
			return true;
	}
	return false;
}

static void ktest_body(void *arg)
{
	struct ktest_run *run = arg;

	run->test->fn(&run->ctx);
}

static unsigned lockcheck_reports(void)
{
	struct lockcheck_stats st;

	lockcheck_get_stats(&st);
	return st.reports;
}

/* Runs one test in its own thread; returns whether it passed (and the lock checker was quiet). */
static bool run_one(const struct ktest *t)
{
	struct ktest_run run = { .test = t };
	unsigned reports = lockcheck_reports();
	struct thread *th = kthread_create(t->name, ktest_body, &run);
	int code;

	if (!th) {
		kprintf("ktest: FAIL %s: cannot create its thread\n", t->name);
		return false;
	}
	code = kthread_join(th);
	if (code == THREAD_EXIT_FAULT)
		ktest_fail(&run.ctx, t->name, 0, "the test thread faulted");
	if (!run.ctx.failed && lockcheck_reports() != reports)
		ktest_fail(&run.ctx, t->name, 0,
			   "the lock checker made a report (lockcheck: above)");
	if (run.ctx.failed)
		kprintf("ktest: FAIL %s: %s\n", t->name, run.ctx.message);
	else
		kprintf("ktest: PASS %s\n", t->name);
	return !run.ctx.failed;
}

void ktest_main(void *arg)
{
	const char *sel = arg;
	unsigned passed = 0, failed = 0;

	kprintf("ktest: running '%s'\n", sel);
	for (const struct ktest *t = _ktests_start; t < _ktests_end; t++) {
		if (!selected(sel, t->name))
			continue;
		if (run_one(t))
			passed++;
		else
			failed++;
	}
	kprintf("ktest: %u passed, %u failed\n", passed, failed);
	machine_poweroff(failed || !passed ? 1 : 0);
}
