/*
 * File permissions (include/fs/vfs.h): the one check every path takes
 * (inode_permission, Linux's generic_permission order: the owner's class,
 * the group's, the others'; then CAP_DAC_READ_SEARCH and CAP_DAC_OVERRIDE),
 * and the rules built on it: who may create in and remove from a
 * directory (the sticky bit), who may change a file's attributes (chmod,
 * chown, utimes: setattr_check), what a new inode's owner, group and mode
 * are (a set-group-ID directory passes its group on), when writes clear
 * set-ID bits (file_remove_privs), and access(2) with the real ids.
 *
 * The checks read an inode's mode and ids without its lock, as Linux
 * does: a check racing with a chmod sees the old or the new mode. They
 * allocate nothing and take no lock, so the path walk pays a few
 * compares per directory. The caller's credentials are current_cred()'s
 * file-system ids and effective capabilities (kernel/cred.c).
 */
#include <fs/vfs.h>
#include <kernel/cred.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/mount.h>

#define S_IXUGO (S_IXUSR | S_IXGRP | S_IXOTH)

/* The rwx bits of the class c falls in: owner, group (fsgid or supplementary), others. */
static unsigned class_bits(const struct cred *c, unsigned mode, uint32_t uid, uint32_t gid)
{
	if (c->fsuid == uid)
		return (mode >> 6) & 7;
	if (cred_in_group(c, gid))
		return (mode >> 3) & 7;
	return mode & 7;
}

/* Linux's generic_permission for credentials c of a file owned by uid and gid. */
static int cred_permission_as(const struct cred *c, const struct inode *inode, int mask,
			      uint32_t uid, uint32_t gid)
{
	unsigned mode = READ_ONCE(inode->mode);

	mask &= MAY_READ | MAY_WRITE | MAY_EXEC;
	if (!(mask & ~class_bits(c, mode, uid, gid)))
		return 0;
	if (S_ISDIR(mode)) {
		if (!(mask & MAY_WRITE) && capable(CAP_DAC_READ_SEARCH))
			return 0;
		return capable(CAP_DAC_OVERRIDE) ? 0 : -EACCES;
	}
	if (mask == MAY_READ && capable(CAP_DAC_READ_SEARCH))
		return 0;
	/* Execution needs an x bit somewhere, even for root. */
	if ((!(mask & MAY_EXEC) || (mode & S_IXUGO)) && capable(CAP_DAC_OVERRIDE))
		return 0;
	return -EACCES;
}

int generic_permission_as(const struct inode *inode, int mask, uint32_t uid, uint32_t gid)
{
	return cred_permission_as(current_cred(), inode, mask, uid, gid);
}

/* Writing to a file system mounted read-only: its files, directories and links only. */
static int rdonly_check(const struct inode *inode, int mask)
{
	unsigned mode = READ_ONCE(inode->mode);

	if (!(mask & MAY_WRITE) || !(S_ISREG(mode) || S_ISDIR(mode) || S_ISLNK(mode)))
		return 0;
	return (__atomic_load_n(&inode->sb->flags, __ATOMIC_RELAXED) & MS_RDONLY) ? -EROFS : 0;
}

int inode_permission(const struct inode *inode, int mask)
{
	unsigned mode = READ_ONCE(inode->mode);
	int r = (mask & MAY_WRITE) ? rdonly_check(inode, mask) : 0;

	if (r)
		return r;
	/*
	 * Linux's cheap case: the owner, the group and the others all have
	 * what is asked (a 0755 directory searched), whoever the caller is.
	 */
	if (!((unsigned)(mask & 7) * 0111 & ~mode))
		return 0;
	if (inode->iops && inode->iops->permission)
		return inode->iops->permission(inode, mask);
	return generic_permission_as(inode, mask, READ_ONCE(inode->uid), READ_ONCE(inode->gid));
}

bool inode_owner_or_capable(const struct inode *inode)
{
	return current_cred()->fsuid == READ_ONCE(inode->uid) || capable(CAP_FOWNER);
}

/* Whether the caller is in group gid or may act as if (CAP_FSETID): set-group-ID bits stay. */
static bool in_group_or_capable(uint32_t gid)
{
	return cred_in_group(current_cred(), gid) || capable(CAP_FSETID);
}

int may_create_in(const struct inode *dir)
{
	return inode_permission(dir, MAY_WRITE | MAY_EXEC);
}

/* The sticky bit: only the file's owner, the directory's owner or CAP_FOWNER remove an entry. */
static bool sticky_forbids(const struct inode *dir, const struct inode *victim)
{
	uint32_t fsuid = current_cred()->fsuid;

	if (!(READ_ONCE(dir->mode) & S_ISVTX))
		return false;
	if (fsuid == READ_ONCE(victim->uid) || fsuid == READ_ONCE(dir->uid))
		return false;
	return !capable(CAP_FOWNER);
}

int may_delete_from(const struct inode *dir, const struct inode *victim)
{
	int r = inode_permission(dir, MAY_WRITE | MAY_EXEC);

	if (r)
		return r;
	return sticky_forbids(dir, victim) ? -EPERM : 0;
}

void inode_new_owner(const struct inode *dir, unsigned *mode, uint32_t *uid, uint32_t *gid)
{
	const struct cred *c = current_cred();

	*uid = c->fsuid;
	*gid = c->fsgid;
	if (!dir || !(READ_ONCE(dir->mode) & S_ISGID))
		return;
	*gid = READ_ONCE(dir->gid);
	if (S_ISDIR(*mode))
		*mode |= S_ISGID;
	else if ((*mode & (S_ISGID | S_IXGRP)) == (S_ISGID | S_IXGRP) && !in_group_or_capable(*gid))
		*mode &= ~S_ISGID;
}

void inode_init_owner(struct inode *inode, const struct inode *dir)
{
	unsigned mode = inode->mode;

	inode_new_owner(dir, &mode, &inode->uid, &inode->gid);
	inode->mode = mode;
}

/* chown's new owner: the owner giving the file to itself, or CAP_CHOWN. */
static bool chown_ok(const struct inode *inode, uint32_t uid)
{
	uint32_t owner = READ_ONCE(inode->uid);

	return (current_cred()->fsuid == owner && uid == owner) || capable(CAP_CHOWN);
}

/* chown's new group: the owner to its own group (or the same one), or CAP_CHOWN. */
static bool chgrp_ok(const struct inode *inode, uint32_t gid)
{
	const struct cred *c = current_cred();

	if (c->fsuid == READ_ONCE(inode->uid) &&
	    (gid == READ_ONCE(inode->gid) || cred_in_group(c, gid)))
		return true;
	return capable(CAP_CHOWN);
}

/*
 * Linux's may_setattr and setattr_prepare: times set to now need ownership
 * or write permission (EACCES), explicit times ownership or CAP_FOWNER
 * (EPERM); chown and chmod as chown(2) and chmod(2) say. chmod of a file
 * whose group the caller is not in clears S_ISGID instead of failing.
 */
int setattr_check(const struct inode *inode, struct vfs_attr *attr)
{
	unsigned v = attr->valid;
	uint32_t gid;

	if (v & ATTR_FORCE)
		return 0;
	if (v & ATTR_KILL_SGID) /* chown's: only when Linux's setattr_should_drop_sgid says */
		attr->valid = v = (v & ~ATTR_KILL_SGID) | should_drop_sgid(inode);
	if ((v & ATTR_TOUCH) && !inode_owner_or_capable(inode)) {
		int r = inode_permission(inode, MAY_WRITE);

		if (r)
			return r;
	}
	if ((v & ATTR_UID) && !chown_ok(inode, attr->uid))
		return -EPERM;
	if ((v & ATTR_GID) && !chgrp_ok(inode, attr->gid))
		return -EPERM;
	if (v & ATTR_MODE) {
		if (!inode_owner_or_capable(inode))
			return -EPERM;
		gid = (v & ATTR_GID) ? attr->gid : READ_ONCE(inode->gid);
		if (!in_group_or_capable(gid))
			attr->mode &= ~S_ISGID;
	}
	if ((v & ATTR_TIMES_SET) && !inode_owner_or_capable(inode))
		return -EPERM;
	return 0;
}

/* Linux's setattr_should_drop_sgid: an executable set-group-ID bit, or one of a group not ours. */
unsigned should_drop_sgid(const struct inode *inode)
{
	unsigned mode = READ_ONCE(inode->mode);

	if (!(mode & S_ISGID))
		return 0;
	if (mode & S_IXGRP)
		return ATTR_KILL_SGID;
	return in_group_or_capable(READ_ONCE(inode->gid)) ? 0 : ATTR_KILL_SGID;
}

/* What a write or truncation by the caller clears: ATTR_KILL_* bits, 0 for most files. */
static unsigned should_remove_privs(const struct inode *inode)
{
	unsigned mode = READ_ONCE(inode->mode), kill;

	if (!S_ISREG(mode) || !(mode & (S_ISUID | S_ISGID)))
		return 0; /* the common case: two compares */
	kill = (mode & S_ISUID) ? ATTR_KILL_SUID : 0;
	kill |= should_drop_sgid(inode);
	return kill && !capable(CAP_FSETID) ? kill : 0;
}

unsigned remove_privs_attr(const struct inode *inode)
{
	unsigned kill = should_remove_privs(inode);

	return kill ? kill | ATTR_FORCE : 0;
}

int file_remove_privs(struct file *f)
{
	struct vfs_attr attr = { .valid = remove_privs_attr(f->inode) };

	return attr.valid ? vfs_setattr(f->dentry, &attr) : 0;
}

void access_creds_init(struct cred *tmp)
{
	const struct cred *c = current_cred();

	*tmp = *c;
	tmp->refcount = 1; /* never put to 0: it is never published */
	tmp->fsuid = c->uid;
	tmp->fsgid = c->gid;
	if (!(c->securebits & SECBIT_NO_SETUID_FIXUP))
		tmp->cap_effective = c->uid ? 0 : c->cap_permitted;
}

int vfs_access(struct dentry *d, int mask)
{
	struct inode *inode = d->inode;
	int r = inode_permission(inode, mask);

	if (!r && (mask & MAY_EXEC) && S_ISREG(READ_ONCE(inode->mode)) && vfs_noexec(d))
		r = -EACCES;
	return r;
}
