/*
 * The user and group id calls: get/set of the real, effective, saved and
 * file-system ids, supplementary groups. Each change builds a new cred
 * (include/kernel/cred.h) for the calling thread; CAP_SETUID and
 * CAP_SETGID lift the rule that an unprivileged caller may only pick ids
 * it already has. Linux's rules throughout: a change of effective uid
 * moves the file-system uid with it, and uid changes adjust capabilities.
 * Also capget/capset and prctl's credential options (cred_prctl, called
 * by sys/misc.c's prctl).
 */
#include <kernel/syscall.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/prctl.h>

#define ID_KEEP	    ((uint32_t)-1) /* "leave this id as it is" */
#define NGROUPS_MAX 65536

/* One of a cred's uid or gid families, so the two share their rules. */
struct id_set {
	uint32_t *real, *eff, *saved, *fs;
};

static struct id_set uids_of(struct cred *c)
{
	return (struct id_set){ &c->uid, &c->euid, &c->suid, &c->fsuid };
}

static struct id_set gids_of(struct cred *c)
{
	return (struct id_set){ &c->gid, &c->egid, &c->sgid, &c->fsgid };
}

/* Whether an unprivileged caller may take id: it is already its real, effective or saved one. */
static bool id_held(struct id_set s, uint32_t id)
{
	return id == *s.real || id == *s.eff || id == *s.saved;
}

/* The uid family's check and capability fix-up, or the gid family's. */
struct id_family {
	struct id_set (*of)(struct cred *c);
	int cap;
	bool fix_caps;
};

static const struct id_family uid_family = { uids_of, CAP_SETUID, true };
static const struct id_family gid_family = { gids_of, CAP_SETGID, false };

/*
 * setres[ug]id's core, which the other setters reduce to: ID_KEEP keeps a
 * value; without the family's capability each new id must be one held.
 */
static long set_ids(const struct id_family *f, uint32_t r, uint32_t e, uint32_t s)
{
	struct cred *new = cred_prepare();
	struct id_set ids;
	uint32_t want[3] = { r, e, s };

	if (!new)
		return -ENOMEM;
	ids = f->of(new);
	for (int i = 0; i < 3 && !capable(f->cap); i++)
		if (want[i] != ID_KEEP && !id_held(ids, want[i])) {
			cred_abort(new);
			return -EPERM;
		}
	if (r != ID_KEEP)
		*ids.real = r;
	if (e != ID_KEEP)
		*ids.eff = e;
	if (s != ID_KEEP)
		*ids.saved = s;
	*ids.fs = *ids.eff;
	if (f->fix_caps)
		cred_fixup_caps(current_cred(), new);
	cred_commit(new);
	return 0;
}

SYSCALL_DEFINE0(getuid)
{
	return current_cred()->uid;
}

SYSCALL_DEFINE0(geteuid)
{
	return current_cred()->euid;
}

SYSCALL_DEFINE0(getgid)
{
	return current_cred()->gid;
}

SYSCALL_DEFINE0(getegid)
{
	return current_cred()->egid;
}

SYSCALL_DEFINE3(setresuid, uint32_t, r, uint32_t, e, uint32_t, s)
{
	return set_ids(&uid_family, r, e, s);
}

SYSCALL_DEFINE3(setresgid, uint32_t, r, uint32_t, e, uint32_t, s)
{
	return set_ids(&gid_family, r, e, s);
}

/*
 * setre[ug]id: the real id may become the real or effective one; the saved
 * id follows the new effective id when the real id is set or the effective
 * one moves away from the real one.
 */
static long set_re_ids(const struct id_family *f, uint32_t r, uint32_t e)
{
	struct id_set cur = f->of((struct cred *)current_cred());
	uint32_t s = ID_KEEP;

	if (!capable(f->cap) && r != ID_KEEP && r != *cur.real && r != *cur.eff)
		return -EPERM;
	if (r != ID_KEEP || (e != ID_KEEP && e != *cur.real))
		s = e != ID_KEEP ? e : *cur.eff; /* held when e passes set_ids's check */
	return set_ids(f, r, e, s);
}

SYSCALL_DEFINE2(setreuid, uint32_t, r, uint32_t, e)
{
	return set_re_ids(&uid_family, r, e);
}

SYSCALL_DEFINE2(setregid, uint32_t, r, uint32_t, e)
{
	return set_re_ids(&gid_family, r, e);
}

/* set[ug]id: with the capability all three ids; without, only the effective one, to the real or saved id. */
static long set_one_id(const struct id_family *f, uint32_t id)
{
	struct id_set cur = f->of((struct cred *)current_cred());

	if (id == ID_KEEP)
		return -EINVAL;
	if (capable(f->cap))
		return set_ids(f, id, id, id);
	if (id != *cur.real && id != *cur.saved)
		return -EPERM;
	return set_ids(f, ID_KEEP, id, ID_KEEP);
}

SYSCALL_DEFINE1(setuid, uint32_t, uid)
{
	return set_one_id(&uid_family, uid);
}

SYSCALL_DEFINE1(setgid, uint32_t, gid)
{
	return set_one_id(&gid_family, gid);
}

/*
 * set_fs[ug]id: returns the old file-system id whatever happens; changes it
 * only to a held id (the file-system one counts) or with the capability.
 */
static long set_fs_id(const struct id_family *f, uint32_t id)
{
	const struct cred *old = current_cred();
	struct id_set cur = f->of((struct cred *)old);
	uint32_t was = *cur.fs;
	struct cred *new;

	if (id == ID_KEEP || id == was || (!capable(f->cap) && !id_held(cur, id)))
		return was;
	new = cred_prepare();
	if (!new)
		return was;
	*f->of(new).fs = id;
	if (f->fix_caps)
		cred_fixup_caps(old, new);
	cred_commit(new);
	return was;
}

SYSCALL_DEFINE1(setfsuid, uint32_t, uid)
{
	return set_fs_id(&uid_family, uid);
}

SYSCALL_DEFINE1(setfsgid, uint32_t, gid)
{
	return set_fs_id(&gid_family, gid);
}

static long put_ids(uintptr_t a, uintptr_t b, uintptr_t c, uint32_t x, uint32_t y, uint32_t z)
{
	if (copy_to_user(a, &x, 4) || copy_to_user(b, &y, 4) || copy_to_user(c, &z, 4))
		return -EFAULT;
	return 0;
}

SYSCALL_DEFINE3(getresuid, uintptr_t, r, uintptr_t, e, uintptr_t, s)
{
	const struct cred *c = current_cred();

	return put_ids(r, e, s, c->uid, c->euid, c->suid);
}

SYSCALL_DEFINE3(getresgid, uintptr_t, r, uintptr_t, e, uintptr_t, s)
{
	const struct cred *c = current_cred();

	return put_ids(r, e, s, c->gid, c->egid, c->sgid);
}

/* getgroups(0, _) counts; a list too small for them is -EINVAL. */
SYSCALL_DEFINE2(getgroups, int, size, uintptr_t, ulist)
{
	const struct group_info *g = current_cred()->groups;
	unsigned count = g ? g->count : 0;

	if (size < 0)
		return -EINVAL;
	if (size == 0)
		return count;
	if ((unsigned)size < count)
		return -EINVAL;
	if (count && copy_to_user(ulist, g->gid, count * sizeof(uint32_t)))
		return -EFAULT;
	return count;
}

SYSCALL_DEFINE2(setgroups, int, size, uintptr_t, ulist)
{
	struct group_info *g = NULL;
	uint32_t *gids;
	struct cred *new;

	if (!capable(CAP_SETGID))
		return -EPERM;
	if (size < 0 || size > NGROUPS_MAX)
		return -EINVAL;
	gids = kmalloc(size * sizeof(uint32_t) + 1);
	if (!gids)
		return -ENOMEM;
	if (size && copy_from_user(gids, ulist, size * sizeof(uint32_t))) {
		kfree(gids);
		return -EFAULT;
	}
	if (size)
		g = groups_alloc(gids, size);
	kfree(gids);
	new = size && !g ? NULL : cred_prepare();
	if (!new) {
		groups_put(g);
		return -ENOMEM;
	}
	groups_put(new->groups);
	new->groups = g;
	cred_commit(new);
	return 0;
}

/* ---- capget, capset ---- */

/*
 * The number of 32-bit data structs the header's version takes (1 or 2);
 * an unknown version is answered with the preferred one, written back,
 * and -EINVAL.
 */
static int cap_version(uintptr_t uhdr, struct user_cap_header *h)
{
	uint32_t preferred = _LINUX_CAPABILITY_VERSION_3;

	if (copy_from_user(h, uhdr, sizeof(*h)))
		return -EFAULT;
	if (h->version == _LINUX_CAPABILITY_VERSION_1)
		return 1;
	if (h->version == _LINUX_CAPABILITY_VERSION_2 || h->version == _LINUX_CAPABILITY_VERSION_3)
		return 2;
	if (copy_to_user(uhdr, &preferred, sizeof(preferred)))
		return -EFAULT;
	return -EINVAL;
}

/* The credentials of pid (0: the caller's), referenced; NULL if there is no such process. */
static const struct cred *cred_of_pid(int pid)
{
	const struct cred *c = NULL;
	struct process *p;
	unsigned long flags;

	if (!pid || pid == current_proc()->pid)
		return cred_get(current_cred());
	flags = spin_lock_irqsave(&proc_tree_lock);
	p = proc_find(pid);
	if (!p)
		p = proc_find_thread_owner(pid);
	if (p)
		c = proc_cred_get(p);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return c;
}

SYSCALL_DEFINE2(capget, uintptr_t, uhdr, uintptr_t, udata)
{
	struct user_cap_header h;
	struct user_cap_data d[2];
	const struct cred *c;
	int n = cap_version(uhdr, &h);

	if (!udata) /* the version probe */
		return n == -EINVAL || n > 0 ? 0 : n;
	if (n < 0)
		return n;
	if (h.pid < 0)
		return -EINVAL;
	c = cred_of_pid(h.pid);
	if (!c)
		return -ESRCH;
	for (int i = 0; i < 2; i++)
		d[i] = (struct user_cap_data){ (uint32_t)(c->cap_effective >> (32 * i)),
					       (uint32_t)(c->cap_permitted >> (32 * i)),
					       (uint32_t)(c->cap_inheritable >> (32 * i)) };
	cred_put(c);
	return copy_to_user(udata, d, n * sizeof(d[0]));
}

/*
 * Linux's capset rules: the new permitted set within the old, the new
 * effective within the new permitted, the new inheritable within the old
 * inheritable and permitted (unless CAP_SETPCAP) and within the old
 * inheritable and bounding sets; ambient bits no longer both permitted and
 * inheritable are dropped.
 */
static int cap_set_checked(struct cred *new, uint64_t eff, uint64_t perm, uint64_t inh)
{
	const struct cred *old = current_cred();

	if (!capable(CAP_SETPCAP) && (inh & ~(old->cap_inheritable | old->cap_permitted)))
		return -EPERM;
	if (inh & ~(old->cap_inheritable | old->cap_bset))
		return -EPERM;
	if ((perm & ~old->cap_permitted) || (eff & ~perm))
		return -EPERM;
	new->cap_effective = eff;
	new->cap_permitted = perm;
	new->cap_inheritable = inh;
	new->cap_ambient &= perm &inh;
	return 0;
}

SYSCALL_DEFINE2(capset, uintptr_t, uhdr, uintptr_t, udata)
{
	struct user_cap_header h;
	struct user_cap_data d[2] = { 0 };
	struct cred *new;
	int n = cap_version(uhdr, &h), err;

	if (n < 0)
		return n;
	if (h.pid && h.pid != current_proc()->pid)
		return -EPERM; /* only one's own, as Linux since 2.6.25 */
	if (copy_from_user(d, udata, n * sizeof(d[0])))
		return -EFAULT;
	new = cred_prepare();
	if (!new)
		return -ENOMEM;
#define CAP64(f) ((((uint64_t)d[1].f << 32) | d[0].f) & CAP_FULL_SET)
	err = cap_set_checked(new, CAP64(effective), CAP64(permitted), CAP64(inheritable));
#undef CAP64
	if (err) {
		cred_abort(new);
		return err;
	}
	cred_commit(new);
	return 0;
}

/* ---- prctl's credential options ---- */

#define SECURE_ALL_BITS \
	(SECBIT_NOROOT | SECBIT_NO_SETUID_FIXUP | SECBIT_KEEP_CAPS | SECBIT_NO_CAP_AMBIENT_RAISE)
#define SECURE_ALL_LOCKS (SECURE_ALL_BITS << 1)

static bool cap_valid(uint64_t cap)
{
	return cap <= CAP_LAST_CAP;
}

/* A new cred with edit applied to it, committed; -ENOMEM, or edit's error. */
static long cred_edit(int (*edit)(struct cred *new, uint64_t arg), uint64_t arg)
{
	struct cred *new = cred_prepare();
	int err;

	if (!new)
		return -ENOMEM;
	err = edit(new, arg);
	if (err) {
		cred_abort(new);
		return err;
	}
	cred_commit(new);
	return 0;
}

static int edit_keepcaps(struct cred *new, uint64_t on)
{
	if (on)
		new->securebits |= SECBIT_KEEP_CAPS;
	else
		new->securebits &= ~SECBIT_KEEP_CAPS;
	return 0;
}

static int edit_bset_drop(struct cred *new, uint64_t cap)
{
	new->cap_bset &= ~(1ULL << cap);
	return 0;
}

static int edit_securebits(struct cred *new, uint64_t bits)
{
	new->securebits = (unsigned)bits;
	return 0;
}

static int edit_ambient_raise(struct cred *new, uint64_t cap)
{
	new->cap_ambient |= 1ULL << cap;
	return 0;
}

static int edit_ambient_lower(struct cred *new, uint64_t cap)
{
	new->cap_ambient &= ~(1ULL << cap);
	return 0;
}

static int edit_ambient_clear(struct cred *new, uint64_t unused)
{
	(void)unused;
	new->cap_ambient = 0;
	return 0;
}

/* PR_SET_SECUREBITS: no locked bit changed, no lock undone, only known bits, CAP_SETPCAP. */
static long set_securebits(uint64_t bits)
{
	unsigned old = current_cred()->securebits;

	if ((((old & SECURE_ALL_LOCKS) >> 1) & (old ^ bits)) || (old & SECURE_ALL_LOCKS & ~bits) ||
	    (bits & ~(uint64_t)(SECURE_ALL_LOCKS | SECURE_ALL_BITS)) || !capable(CAP_SETPCAP))
		return -EPERM;
	return cred_edit(edit_securebits, bits);
}

/* PR_CAP_AMBIENT: raising needs the capability permitted and inheritable, and no NO_CAP_AMBIENT_RAISE. */
static long cap_ambient(uint64_t op, uint64_t cap, uint64_t a4, uint64_t a5)
{
	const struct cred *c = current_cred();

	if (op == PR_CAP_AMBIENT_CLEAR_ALL)
		return cap || a4 || a5 ? -EINVAL : cred_edit(edit_ambient_clear, 0);
	if (!cap_valid(cap) || a4 || a5)
		return -EINVAL;
	if (op == PR_CAP_AMBIENT_IS_SET)
		return (c->cap_ambient >> cap) & 1;
	if (op == PR_CAP_AMBIENT_LOWER)
		return cred_edit(edit_ambient_lower, cap);
	if (op != PR_CAP_AMBIENT_RAISE)
		return -EINVAL;
	if (!((c->cap_permitted & c->cap_inheritable) >> cap & 1) ||
	    (c->securebits & SECBIT_NO_CAP_AMBIENT_RAISE))
		return -EPERM;
	return cred_edit(edit_ambient_raise, cap);
}

/* The options that need nothing but the caller's cred and flags. */
static long cred_prctl_query(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5)
{
	const struct cred *c = current_cred();

	switch (option) {
	case PR_GET_KEEPCAPS:
		return !!(c->securebits & SECBIT_KEEP_CAPS);
	case PR_GET_SECUREBITS:
		return c->securebits;
	case PR_CAPBSET_READ:
		return cap_valid(a2) ? (long)((c->cap_bset >> a2) & 1) : -EINVAL;
	case PR_GET_NO_NEW_PRIVS:
		return a2 || a3 || a4 || a5 ? -EINVAL : current_thread()->no_new_privs;
	case PR_GET_DUMPABLE:
		return proc_dump_mode(current_proc());
	default:
		return -ENOSYS;
	}
}

long cred_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, bool *handled)
{
	const struct cred *c = current_cred();
	long r = cred_prctl_query(option, a2, a3, a4, a5);

	*handled = true;
	if (r != -ENOSYS)
		return r;
	switch (option) {
	case PR_SET_KEEPCAPS:
		if (a2 > 1)
			return -EINVAL;
		if (c->securebits & SECBIT_KEEP_CAPS_LOCKED)
			return -EPERM;
		return cred_edit(edit_keepcaps, a2);
	case PR_CAPBSET_DROP:
		if (!capable(CAP_SETPCAP))
			return -EPERM;
		return cap_valid(a2) ? cred_edit(edit_bset_drop, a2) : -EINVAL;
	case PR_SET_SECUREBITS:
		return set_securebits(a2);
	case PR_CAP_AMBIENT:
		return cap_ambient(a2, a3, a4, a5);
	case PR_SET_NO_NEW_PRIVS:
		if (a2 != 1 || a3 || a4 || a5)
			return -EINVAL;
		current_thread()->no_new_privs = true;
		return 0;
	case PR_SET_DUMPABLE:
		if (a2 != SUID_DUMP_DISABLE && a2 != SUID_DUMP_USER)
			return -EINVAL;
		proc_set_dump_mode(current_proc(), (int)a2);
		return 0;
	default:
		*handled = false;
		return -EINVAL;
	}
}
