/*
 * Resource limits (include/kernel/rlimit.h): the core of prlimit64,
 * getrlimit and setrlimit (sys/misc.c) on the calling process or another
 * one, with Linux's permission rules, and the copy /proc/PID/limits shows.
 * The limits themselves live in struct process (rlimits, under p->lock)
 * and are enforced where each resource is taken: descriptors in
 * fs/fdtable.c, file size in fs/file.c, CPU time in kernel/posix_timer.c,
 * processes in kernel/clone.c, memory in mm/vm.c.
 */
#include <kernel/rlimit.h>
#include <kernel/cred.h>
#include <kernel/posix_timer.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <fs/fdtable.h>
#include <mm/vm.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/resource.h>

#define STACK_LIMIT_MAX (1ULL << 40) /* what the stack area may grow to at most */

/*
 * Linux's check_prlimit_permission: the caller's real ids are the
 * target's real, effective and saved ones, or it has CAP_SYS_RESOURCE.
 * Caller holds proc_tree_lock (t stays alive).
 */
static bool may_prlimit(struct process *self, struct process *t)
{
	const struct cred *me = current_cred(), *c;
	bool same;

	assert_held(&proc_tree_lock);
	if (t == self)
		return true;
	c = proc_cred_get(t);
	same = cred_ids_all(c, me->uid, me->gid);
	cred_put(c);
	return same || capable(CAP_SYS_RESOURCE);
}

/* What a change of res does beyond the table. Caller holds p->lock. */
static void limit_changed_locked(struct process *p, unsigned res)
{
	assert_held(&p->lock);
	if (res == RLIMIT_STACK && p->vm)
		p->vm->stack_limit = MIN(p->rlimits[res].cur, STACK_LIMIT_MAX);
	else if (res == RLIMIT_CPU)
		posix_cpu_rlimit_changed_locked(p);
}

/* The new limit's checks that need p's current one: raising the hard limit. */
static int apply_locked(struct process *p, unsigned res, const struct rlimit64 *new,
			struct rlimit64 *old)
{
	assert_held(&p->lock);
	if (new &&new->max > p->rlimits[res].max && !capable(CAP_SYS_RESOURCE))
		return -EPERM;
	if (old)
		*old = p->rlimits[res];
	if (new) {
		p->rlimits[res] = *new;
		limit_changed_locked(p, res);
	}
	return 0;
}

int rlimit_prlimit(int pid, unsigned res, const struct rlimit64 *new, struct rlimit64 *old)
{
	struct process *self = current_proc(), *p;
	unsigned long tflags, pflags;
	int r;

	tflags = spin_lock_irqsave(&proc_tree_lock);
	p = pid ? proc_find(pid) : self;
	r = !p ? -ESRCH : !may_prlimit(self, p) ? -EPERM : 0;
	if (!r && res >= RLIM_NLIMITS)
		r = -EINVAL;
	else if (!r && new &&new->cur > new->max)
		r = -EINVAL;
	else if (!r && new &&res == RLIMIT_NOFILE &&new->max > fd_nr_open())
		r = -EPERM;
	if (!r) {
		pflags = spin_lock_irqsave(&p->lock);
		r = apply_locked(p, res, new, old);
		spin_unlock_irqrestore(&p->lock, pflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	return r;
}

int rlimit_get_all(int pid, struct rlimit64 *out)
{
	unsigned long tflags = spin_lock_irqsave(&proc_tree_lock), pflags;
	struct process *p = proc_find(pid);

	if (p) {
		pflags = spin_lock_irqsave(&p->lock);
		memcpy(out, p->rlimits, RLIM_NLIMITS * sizeof(*out));
		spin_unlock_irqrestore(&p->lock, pflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, tflags);
	return p ? 0 : -ESRCH;
}
