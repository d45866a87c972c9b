/*
 * tmpfs (fs/tmpfs.c): a file system in memory. Directories are the dentry
 * tree itself, regular files keep their data in pages from the page
 * allocator. It is the root file system (filled from the initramfs) and,
 * as devtmpfs, the file system of /dev (fs/devfs.c).
 */
#ifndef FS_TMPFS_H
#define FS_TMPFS_H

#include <fs/vfs.h>
#include <mm/page.h>

/* Largest regular file: its page array stays within one kmalloc block. */
#define TMPFS_MAX_PAGES (512u * 1024u)
#define TMPFS_MAX_SIZE	((int64_t)TMPFS_MAX_PAGES << PAGE_SHIFT)

/* Registers the "tmpfs" file system type (vfs_init). */
void tmpfs_init(void);
/* The fs_type mount method, for file systems built on tmpfs (devtmpfs). */
int tmpfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
		const void *data, struct super_block **out);
/*
 * memfd_create (fs/memfd.c): a regular file of an internal instance, in no
 * directory (no links), with seals (F_SEAL_*); NULL when out of memory.
 */
struct inode *tmpfs_unnamed_file(unsigned mode, unsigned seals);
/* F_ADD_SEALS, F_GET_SEALS on any tmpfs file (others: -EINVAL; the file is checked writable). */
int tmpfs_add_seals(struct inode *inode, unsigned seals);
int tmpfs_get_seals(struct inode *inode);
/* Pages all tmpfs instances hold for file data. */
uint64_t tmpfs_pages_in_use(void);

#endif /* FS_TMPFS_H */
