/*
 * Devices as files (include/fs/devfs.h): the device registry (character
 * devices and the block devices of drivers/block.c), the open that
 * dispatches a device node to its driver by rdev, the memory devices
 * /dev/null, /dev/zero and /dev/full, and devtmpfs, the tmpfs that
 * vfs_init mounts on /dev with a node for every registered device.
 * Drivers call devfs_register_chrdev (or, for devices whose nodes live
 * elsewhere, devfs_register_chrdev_major: the pty slaves of /dev/pts), the block layer
 * devfs_register_blkdev; tmpfs calls devfs_node_fops when it makes a
 * device node.
 *
 * Lock order (its part of the one in include/kernel/spinlock.h):
 * chrdev_lock, then what vfs_mknod takes (it is held while
 * nodes are made, so that registration and mounting never miss a node).
 */
#include <fs/devfs.h>
#include <fs/tmpfs.h>
#include <kernel/printk.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

/* Lock key: (c) constant after registration, (l) chrdev_lock. */
struct chrdev {
	unsigned type;		     /* (c) S_IFCHR or S_IFBLK */
	uint32_t rdev;		     /* (c) */
	unsigned perm;		     /* (c) permission bits of its node */
	const struct file_ops *fops; /* (c) */
	bool whole_major;	     /* (c) every minor of rdev's major; no node */
	struct list_head node;	     /* (l) on chrdevs */
	char name[32];		     /* (c) node name in /dev */
};

static spinlock_t chrdev_lock = SPINLOCK_INIT("chrdevs");
static LIST_HEAD(chrdevs);	  /* (chrdev_lock) */
static struct dentry *devfs_root; /* (chrdev_lock) the first devtmpfs, referenced */

static struct chrdev *find_chrdev_locked(unsigned type, uint32_t rdev)
{
	struct chrdev *c;

	assert_held(&chrdev_lock);
	list_for_each_entry (c, &chrdevs, node) {
		if (c->type == type &&
		    (c->whole_major ? MAJOR(c->rdev) == MAJOR(rdev) : c->rdev == rdev))
			return c;
	}
	return NULL;
}

static void make_node_locked(struct dentry *root, const struct chrdev *c)
{
	int r;

	assert_held(&chrdev_lock);
	if (c->whole_major)
		return;
	r = vfs_mknod(root, c->name, c->type | c->perm, c->rdev);
	if (r && r != -EEXIST)
		pr_warn("devfs: cannot make /dev/%s: error %d\n", c->name, r);
}

static int register_dev(unsigned type, unsigned major, int minor, const char *name, unsigned perm,
			const struct file_ops *fops)
{
	struct chrdev *c = kzalloc(sizeof(*c));
	unsigned long flags;
	int r = 0;

	if (!c)
		return -ENOMEM;
	c->type = type;
	c->whole_major = minor < 0;
	c->rdev = MKDEV(major, c->whole_major ? 0 : (unsigned)minor);
	c->perm = perm & S_IALLUGO;
	c->fops = fops;
	strlcpy(c->name, name, sizeof(c->name));
	flags = spin_lock_irqsave(&chrdev_lock);
	if (find_chrdev_locked(type, c->rdev)) {
		r = -EEXIST;
	} else {
		list_add_tail(&c->node, &chrdevs);
		if (devfs_root)
			make_node_locked(devfs_root, c);
	}
	spin_unlock_irqrestore(&chrdev_lock, flags);
	if (r)
		kfree(c);
	return r;
}

int devfs_register_chrdev(unsigned major, unsigned minor, const char *name, unsigned perm,
			  const struct file_ops *fops)
{
	return register_dev(S_IFCHR, major, (int)minor, name, perm, fops);
}

int devfs_register_chrdev_major(unsigned major, const char *name, const struct file_ops *fops)
{
	return register_dev(S_IFCHR, major, -1, name, 0, fops);
}

static const struct file_ops blkdev_fops;

int devfs_register_blkdev(unsigned major, unsigned minor, const char *name, unsigned perm)
{
	return register_dev(S_IFBLK, major, (int)minor, name, perm, &blkdev_fops);
}

static int chrdev_open(struct inode *inode, struct file *f)
{
	unsigned long flags = spin_lock_irqsave(&chrdev_lock);
	struct chrdev *c = find_chrdev_locked(inode->mode & S_IFMT, inode->rdev);
	const struct file_ops *fops = c ? c->fops : NULL;

	spin_unlock_irqrestore(&chrdev_lock, flags);
	if (!fops)
		return -ENXIO;
	f->fops = fops;
	return fops->open ? fops->open(inode, f) : 0;
}

static int nodev_open(struct inode *inode, struct file *f)
{
	(void)inode;
	(void)f;
	return -ENXIO; /* sockets come later */
}

static const struct file_ops chrdev_fops = { .open = chrdev_open };
static const struct file_ops nodev_fops = { .open = nodev_open };
/*
 * A block device opens (for stat, ioctl-less tools, mount by name) when
 * its disk is registered; reading and writing the node itself would
 * need a wait for user threads and is not there yet: -EINVAL, as for
 * any file without read and write.
 */
static const struct file_ops blkdev_fops = { .open = NULL };

const struct file_ops *devfs_node_fops(unsigned mode)
{
	return S_ISCHR(mode) || S_ISBLK(mode) ? &chrdev_fops : &nodev_fops;
}

static ssize_t null_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	(void)f;
	(void)buf;
	(void)pos;
	return 0;
}

static ssize_t null_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	(void)f;
	(void)pos;
	return (ssize_t)buf->len;
}

/* The memory devices stay at position 0 whatever the seek, as on Linux. */
static int64_t null_lseek(struct file *f, int64_t off, int whence)
{
	unsigned long flags = spin_lock_irqsave(&f->pos_lock);

	(void)off;
	(void)whence;
	f->pos = 0;
	spin_unlock_irqrestore(&f->pos_lock, flags);
	return 0;
}

static ssize_t zero_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	int r = iobuf_zero(buf, 0, buf->len);

	(void)f;
	(void)pos;
	return r ? r : (ssize_t)buf->len;
}

static ssize_t full_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	(void)f;
	(void)buf;
	(void)pos;
	return -ENOSPC;
}

static const struct file_ops null_fops = {
	.read = null_read,
	.write = null_write,
	.lseek = null_lseek,
};

static const struct file_ops zero_fops = {
	.read = zero_read,
	.write = null_write,
	.lseek = null_lseek,
};

static const struct file_ops full_fops = {
	.read = zero_read,
	.write = full_write,
	.lseek = null_lseek,
};

/* A tmpfs with a node for each registered device; the first one gets new devices too. */
static int devtmpfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
			  const void *data, struct super_block **out)
{
	/* /dev is 0755, not tmpfs's 1777, unless the caller says otherwise. */
	int r = tmpfs_mount(type, source, flags, data ? data : "mode=755", out);
	unsigned long irq;
	struct chrdev *c;

	if (r)
		return r;
	irq = spin_lock_irqsave(&chrdev_lock);
	list_for_each_entry (c, &chrdevs, node)
		make_node_locked((*out)->root, c);
	if (!devfs_root)
		devfs_root = dentry_get((*out)->root);
	spin_unlock_irqrestore(&chrdev_lock, irq);
	return 0;
}

static struct fs_type devtmpfs_type = {
	.name = "devtmpfs",
	.mount = devtmpfs_mount,
};

void devfs_init(void)
{
	devfs_register_chrdev(1, 3, "null", 0666, &null_fops);
	devfs_register_chrdev(1, 5, "zero", 0666, &zero_fops);
	devfs_register_chrdev(1, 7, "full", 0666, &full_fops);
	console_init();
	pty_init();
	register_filesystem(&devtmpfs_type);
}
