/*
 * The initramfs (fs/initramfs.c): a cpio "newc" archive, passed by the
 * boot loader as a module, unpacked into the root tmpfs before init runs.
 */
#ifndef FS_INITRAMFS_H
#define FS_INITRAMFS_H

#include <lib/types.h>

/*
 * Unpacks the archive into the root file system: directories, regular
 * files, symlinks and device nodes with their modes, owners and mtimes,
 * creating missing parent directories. The archive is checked whole
 * first: a malformed one changes nothing and returns -EINVAL (logged).
 * Returns the number of entries, or a negative errno.
 */
int initramfs_unpack(const void *data, size_t len);

#endif /* FS_INITRAMFS_H */
