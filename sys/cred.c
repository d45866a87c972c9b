/*
 * The user and group id calls: get/set of the real, effective, saved and
 * file-system ids, supplementary groups. Each change builds a new cred
 * (include/kernel/cred.h) for the calling thread; CAP_SETUID and
 * CAP_SETGID lift the rule that an unprivileged caller may only pick ids
 * it already has. Linux's rules throughout: a change of effective uid
 * moves the file-system uid with it, and uid changes adjust capabilities.
 */
#include <kernel/syscall.h>
#include <kernel/cred.h>
#include <kernel/uaccess.h>
#include <mm/slab.h>
#include <uapi/errno.h>

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
