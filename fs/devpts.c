/*
 * devpts (include/drivers/pty.h): the file system of /dev/pts. Each mount
 * is a tmpfs whose nodes this file makes: "ptmx" (5,2, mode 0, as Linux)
 * and N (136,N) for each pty slave whose master is open, mode 0620, owned
 * by the opener of /dev/ptmx and group tty (5), what distributions get
 * with "gid=5,mode=620". All mounts show the same ptys (one numbering, as
 * Linux before per-mount instances); mount options are accepted and not
 * used.
 *
 * The live slaves are kept here (owners), so that a new mount shows the
 * ones that exist. A mount leaves the list at umount, before its tree is
 * pruned (super_ops.umount), so no node is added to a dying tree.
 *
 * Lock order: devpts_lock, then what vfs_mknod, vfs_setattrat and
 * vfs_unlink take on a tmpfs (inode locks, dcache_lock).
 *
 * The nodes are the kernel's doing, whoever opens or closes the master:
 * the VFS calls run with the kernel's credentials (override_creds), as
 * the opener may neither write /dev/pts nor make devices nor chown.
 */
#include <drivers/pty.h>
#include <fs/tmpfs.h>
#include <kernel/cred.h>
#include <fs/vfs.h>
#include <kernel/printk.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

/* Lock key: (d) devpts_lock, (c) constant. */
struct devpts_mount {
	struct super_block *sb; /* (c) */
	struct list_head node;	/* (d) on mounts */
};

static spinlock_t devpts_lock = SPINLOCK_INIT("devpts");
static LIST_HEAD(mounts);	     /* (d) mounted instances, oldest first */
static bool live[PTY_MAX];	     /* (d) slave N has a node */
static uint32_t owner[PTY_MAX];	     /* (d) its uid */
static struct super_ops devpts_sops; /* (c) tmpfs's, with umount */

static void node_name(int index, char *buf, size_t size)
{
	snprintf(buf, size, "%d", index);
}

static void make_node_locked(struct super_block *sb, int index)
{
	struct vfs_attr attr = { .valid = ATTR_UID | ATTR_GID | ATTR_MODE,
				 .mode = 0620,
				 .uid = owner[index],
				 .gid = PTS_GID };
	const struct cred *old = override_creds(&init_cred);
	char name[16];
	int r;

	assert_held(&devpts_lock);
	node_name(index, name, sizeof(name));
	r = vfs_mknod(sb->root, name, S_IFCHR | 0620, MKDEV(PTY_SLAVE_MAJOR, index));
	if (!r)
		r = vfs_setattrat(sb->root, name, 0, &attr);
	revert_creds(old);
	if (r && r != -EEXIST)
		pr_warn("devpts: cannot make pts/%d: error %d\n", index, r);
}

void devpts_add(int index, uint32_t uid)
{
	unsigned long flags = spin_lock_irqsave(&devpts_lock);
	struct devpts_mount *m;

	live[index] = true;
	owner[index] = uid;
	list_for_each_entry (m, &mounts, node)
		make_node_locked(m->sb, index);
	spin_unlock_irqrestore(&devpts_lock, flags);
}

void devpts_remove(int index)
{
	unsigned long flags = spin_lock_irqsave(&devpts_lock);
	const struct cred *old = override_creds(&init_cred);
	struct devpts_mount *m;
	char name[16];

	live[index] = false;
	node_name(index, name, sizeof(name));
	list_for_each_entry (m, &mounts, node)
		vfs_unlink(m->sb->root, name); /* -ENOENT: root removed it */
	revert_creds(old);
	spin_unlock_irqrestore(&devpts_lock, flags);
}

int devpts_lookup(int index, struct dentry **out)
{
	unsigned long flags = spin_lock_irqsave(&devpts_lock);
	struct devpts_mount *m = list_empty(&mounts)
					 ? NULL
					 : list_first_entry(&mounts, struct devpts_mount, node);
	char name[16];
	int r = -ENOENT;

	node_name(index, name, sizeof(name));
	if (m && live[index])
		r = vfs_lookup(m->sb->root, name, 0, out);
	spin_unlock_irqrestore(&devpts_lock, flags);
	return r;
}

static void devpts_umount(struct super_block *sb)
{
	unsigned long flags = spin_lock_irqsave(&devpts_lock);
	struct devpts_mount *m, *next;

	list_for_each_entry_safe (m, next, &mounts, node) {
		if (m->sb == sb) {
			list_del(&m->node);
			kfree(m);
		}
	}
	spin_unlock_irqrestore(&devpts_lock, flags);
}

static int devpts_mount(const struct fs_type *type, const char *source, unsigned long flags,
			const void *data, struct super_block **out)
{
	struct devpts_mount *m = kzalloc(sizeof(*m));
	const struct cred *old;
	unsigned long irq;
	int r;

	(void)data;
	if (!m)
		return -ENOMEM;
	r = tmpfs_mount(type, source, flags, "mode=755", out);
	if (r) {
		kfree(m);
		return r;
	}
	irq = spin_lock_irqsave(&devpts_lock);
	if (!devpts_sops.umount) {
		devpts_sops = *(*out)->ops;
		devpts_sops.umount = devpts_umount;
	}
	(*out)->ops = &devpts_sops;
	m->sb = *out;
	list_add_tail(&m->node, &mounts);
	old = override_creds(&init_cred);
	if (vfs_mknod((*out)->root, "ptmx", S_IFCHR, MKDEV(5, 2)))
		pr_warn("devpts: cannot make ptmx\n");
	revert_creds(old);
	for (int i = 0; i < PTY_MAX; i++)
		if (live[i])
			make_node_locked(*out, i);
	spin_unlock_irqrestore(&devpts_lock, irq);
	return 0;
}

static struct fs_type devpts_type = {
	.name = "devpts",
	.mount = devpts_mount,
};

void devpts_init(void)
{
	register_filesystem(&devpts_type);
}
