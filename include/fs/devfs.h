/*
 * Devices as files (fs/devfs.c, fs/console.c). Character device drivers
 * register a file_ops under a major/minor number; opening a character
 * device node on any file system dispatches to it by the node's rdev.
 * devtmpfs, mounted on /dev by vfs_init, is a tmpfs that gets a node for
 * every registered device.
 */
#ifndef FS_DEVFS_H
#define FS_DEVFS_H

#include <fs/vfs.h>

/* Registers the built-in devices and the "devtmpfs" type (vfs_init). */
void devfs_init(void);
/*
 * Registers a character device; when devtmpfs is mounted, /dev/name
 * appears. Returns 0, -EEXIST (number taken) or -ENOMEM.
 */
int devfs_register_chrdev(unsigned major, unsigned minor, const char *name, unsigned perm,
			  const struct file_ops *fops);
/*
 * Registers block device major:minor (drivers/block.c, block_register);
 * /dev/name appears as for a character device. The node opens while the
 * disk is registered. 0, -EEXIST or -ENOMEM.
 */
/*
 * Every minor of a character major (the pty slaves, 136): opens of such
 * nodes go to fops; devtmpfs makes no node for it.
 */
int devfs_register_chrdev_major(unsigned major, const char *name, const struct file_ops *fops);
int devfs_register_blkdev(unsigned major, unsigned minor, const char *name, unsigned perm);
/* The file_ops a new device node of this mode starts with (tmpfs mknod). */
const struct file_ops *devfs_node_fops(unsigned mode);

/* The console (fs/console.c): /dev/console (5,1) and /dev/tty (5,0). */
void console_init(void);
/* /dev/ptmx and the pty slaves' major (drivers/pty.c); devpts (fs/devpts.c). */
void pty_init(void);

#endif /* FS_DEVFS_H */
