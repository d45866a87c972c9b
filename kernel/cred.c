/*
 * Credentials (include/kernel/cred.h): the immutable, shared struct cred,
 * its copy-on-write replacement by the thread that changes its ids, the
 * process's view of it (its leader's), supplementary group lists, the
 * capability rules that follow a change of uids, those of exec (set-ID
 * programs, root's capabilities, the ambient set) and the dumpable flag.
 */
#include <kernel/cred.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/prctl.h>
#include <uapi/stat.h>

struct cred init_cred = {
	.refcount = 1, /* never dropped: it is never freed */
	.cap_permitted = CAP_FULL_SET,
	.cap_effective = CAP_FULL_SET,
	.cap_bset = CAP_FULL_SET,
};

static struct kmem_cache cred_cache;

void cred_init(void)
{
	kmem_cache_init(&cred_cache, "cred", sizeof(struct cred), 8);
}

const struct cred *current_cred(void)
{
	const struct cred *c = current_thread()->cred;

	return c ? c : &init_cred;
}

bool capable(int cap)
{
	return (current_cred()->cap_effective >> cap) & 1;
}

static bool groups_contain(const struct group_info *g, uint32_t gid)
{
	unsigned lo = 0, hi = g ? g->count : 0;

	while (lo < hi) { /* sorted: binary search */
		unsigned mid = lo + (hi - lo) / 2;

		if (g->gid[mid] == gid)
			return true;
		if (g->gid[mid] < gid)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool cred_in_group(const struct cred *c, uint32_t gid)
{
	return gid == c->fsgid || groups_contain(c->groups, gid);
}

bool cred_in_egroup(const struct cred *c, uint32_t gid)
{
	return gid == c->egid || groups_contain(c->groups, gid);
}

const struct cred *override_creds(const struct cred *c)
{
	struct thread *t = current_thread();
	const struct cred *old = t->cred;

	t->cred = c; /* a kernel thread's NULL comes back at revert */
	return old;
}

void revert_creds(const struct cred *old)
{
	current_thread()->cred = old;
}

bool cred_ids_all(const struct cred *c, uint32_t uid, uint32_t gid)
{
	return uid == c->uid && uid == c->euid && uid == c->suid && gid == c->gid &&
	       gid == c->egid && gid == c->sgid;
}

const struct cred *cred_get(const struct cred *c)
{
	__atomic_fetch_add(&((struct cred *)c)->refcount, 1, __ATOMIC_RELAXED);
	return c;
}

void cred_put(const struct cred *c)
{
	struct cred *m = (struct cred *)c;

	if (!c || __atomic_sub_fetch(&m->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	BUG_ON(c == &init_cred);
	groups_put(m->groups);
	kmem_cache_free(&cred_cache, m);
}

struct cred *cred_prepare(void)
{
	const struct cred *old = current_cred();
	struct cred *new = kmem_cache_alloc(&cred_cache);

	if (!new)
		return NULL;
	*new = *old;
	new->refcount = 1;
	if (new->groups)
		__atomic_fetch_add(&new->groups->refcount, 1, __ATOMIC_RELAXED);
	return new;
}

void cred_abort(struct cred *new)
{
	cred_put(new);
}

const struct cred *proc_cred_swap_locked(struct process *p, const struct cred *c)
{
	const struct cred *old = p->cred;

	assert_held(&p->lock);
	p->cred = c;
	return old;
}

int proc_dump_mode(struct process *p)
{
	return __atomic_load_n(&p->dump_mode, __ATOMIC_RELAXED);
}

bool proc_dumpable(struct process *p)
{
	return proc_dump_mode(p) == SUID_DUMP_USER;
}

void proc_set_dump_mode(struct process *p, int mode)
{
	__atomic_store_n(&p->dump_mode, mode, __ATOMIC_RELAXED);
}

/* Linux's commit_creds rule: new ids to act as, or capabilities gained, end dumpability. */
static bool cred_change_undumps(const struct cred *old, const struct cred *new)
{
	return old->euid != new->euid || old->egid != new->egid || old->fsuid != new->fsuid ||
	       old->fsgid != new->fsgid || (new->cap_permitted & ~old->cap_permitted);
}

void cred_commit(struct cred *new)
{
	struct thread *t = current_thread();
	struct process *p = t->proc;
	const struct cred *old, *old_proc = NULL;
	unsigned long flags;

	BUG_ON(!t->user || new->refcount != 1);
	if (cred_change_undumps(current_cred(), new))
		proc_set_dump_mode(p, coredump_suid_dumpable());
	flags = spin_lock_irqsave(&p->lock);
	old = t->cred;
	t->cred = new;
	if (t->tid == p->pid)
		old_proc = proc_cred_swap_locked(p, cred_get(new));
	spin_unlock_irqrestore(&p->lock, flags);
	cred_put(old);
	cred_put(old_proc);
}

const struct cred *proc_cred_get(struct process *p)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	const struct cred *c = cred_get(p->cred);

	spin_unlock_irqrestore(&p->lock, flags);
	return c;
}

/* The capabilities that let a file-system uid of 0 bypass file permissions (Linux's CAP_FS_MASK). */
#define CAP_FS_SET                                                                          \
	((1ULL << CAP_CHOWN) | (1ULL << CAP_DAC_OVERRIDE) | (1ULL << CAP_DAC_READ_SEARCH) | \
	 (1ULL << CAP_FOWNER) | (1ULL << CAP_FSETID) | (1ULL << CAP_LINUX_IMMUTABLE) |      \
	 (1ULL << CAP_MKNOD) | (1ULL << CAP_MAC_OVERRIDE))

void cred_fixup_caps(const struct cred *old, struct cred *new)
{
	bool had_root = !old->uid || !old->euid || !old->suid;
	bool has_root = !new->uid || !new->euid || !new->suid;

	if (new->securebits & SECBIT_NO_SETUID_FIXUP)
		return;
	if (had_root && !has_root) {
		if (!(new->securebits &SECBIT_KEEP_CAPS))
			new->cap_permitted = 0;
		new->cap_effective = 0;
		new->cap_ambient = 0;
	}
	if (!old->euid && new->euid)
		new->cap_effective = 0;
	if (old->euid && !new->euid)
		new->cap_effective = new->cap_permitted;
	if (!old->fsuid && new->fsuid)
		new->cap_effective &= ~CAP_FS_SET;
	if (old->fsuid && !new->fsuid)
		new->cap_effective |= new->cap_permitted &CAP_FS_SET;
}

/*
 * Root's capabilities at exec (Linux's handle_privileged_root, with no file
 * capabilities): a new real or effective uid of 0 makes the program count
 * as having every capability permitted, and effective with euid 0; unless
 * SECBIT_NOROOT. Returns whether the effective set follows the permitted one.
 */
static bool exec_root_caps(const struct cred *old, struct cred *new)
{
	if (new->securebits & SECBIT_NOROOT)
		return false;
	if (!new->euid || !new->uid)
		new->cap_permitted = old->cap_bset | old->cap_inheritable;
	return !new->euid;
}

int cred_exec_prepare(const struct exec_cred_in *in, struct exec_cred_out *out)
{
	const struct cred *old = current_cred();
	struct cred *new = cred_prepare();
	bool effective, setid;
	bool ignore_setid = in->nosuid || in->no_new_privs;

	if (!new)
		return -ENOMEM;
	if (!ignore_setid && (in->mode & S_ISUID))
		new->euid = in->uid;
	if (!ignore_setid && (in->mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP))
		new->egid = in->gid;
	new->cap_permitted = 0; /* no file capabilities: (pI & fI) | (fP & bset) is empty */
	effective = exec_root_caps(old, new);
	setid = new->euid != old->uid || new->egid != old->gid;
	if ((setid || (new->cap_permitted & ~old->cap_permitted)) &&
	    (in->no_new_privs || in->traced_unsafe)) {
		/* Nothing raised: no more than the caller had (Linux's LSM_UNSAFE_* downgrade). */
		if (!capable(CAP_SETUID) || in->no_new_privs) {
			new->euid = new->uid;
			new->egid = new->gid;
		}
		new->cap_permitted &= old->cap_permitted;
	}
	new->suid = new->fsuid = new->euid;
	new->sgid = new->fsgid = new->egid;
	if (setid)
		new->cap_ambient = 0;
	new->cap_permitted |= new->cap_ambient;
	new->cap_effective = effective ? new->cap_permitted : new->cap_ambient;
	new->securebits &= ~SECBIT_KEEP_CAPS;
	BUG_ON(new->cap_ambient & ~(new->cap_permitted &new->cap_inheritable));
	out->cred = new;
	out->secure = setid ||
		      (new->uid && (effective || (new->cap_permitted & ~new->cap_ambient)));
	out->dumpable = !in->unreadable && old->euid == old->uid && old->egid == old->gid &&
			!cred_change_undumps(old, new);
	return 0;
}

/* Shell sort: setgroups takes up to 65536 gids, and this is its only sort. */
static void sort_gids(uint32_t *g, unsigned n)
{
	static const unsigned gaps[] = { 4711, 1750, 701, 301, 132, 57, 23, 10, 4, 1 };

	for (unsigned k = 0; k < ARRAY_SIZE(gaps); k++)
		for (unsigned i = gaps[k]; i < n; i++) {
			uint32_t v = g[i];
			unsigned j = i;

			for (; j >= gaps[k] && g[j - gaps[k]] > v; j -= gaps[k])
				g[j] = g[j - gaps[k]];
			g[j] = v;
		}
}

struct group_info *groups_alloc(const uint32_t *gid, unsigned count)
{
	struct group_info *g = kmalloc(sizeof(*g) + count * sizeof(uint32_t));

	if (!g)
		return NULL;
	g->refcount = 1;
	g->count = count;
	memcpy(g->gid, gid, count * sizeof(uint32_t));
	sort_gids(g->gid, count);
	return g;
}

void groups_put(struct group_info *g)
{
	if (g && !__atomic_sub_fetch(&g->refcount, 1, __ATOMIC_ACQ_REL))
		kfree(g);
}
