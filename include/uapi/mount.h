/*
 * Flags of the mount and umount2 system calls with Linux values
 * (linux/mount.h, linux/fs.h). sys/fs.c checks them; the VFS (fs/vfs.c)
 * keeps the per-mount ones in the super block.
 */
#ifndef AXL_UAPI_MOUNT_H
#define AXL_UAPI_MOUNT_H

#define MS_RDONLY      (1ul << 0)
#define MS_NOSUID      (1ul << 1)
#define MS_NODEV       (1ul << 2)
#define MS_NOEXEC      (1ul << 3)
#define MS_SYNCHRONOUS (1ul << 4)
#define MS_REMOUNT     (1ul << 5)
#define MS_MANDLOCK    (1ul << 6)
#define MS_DIRSYNC     (1ul << 7)
#define MS_NOSYMFOLLOW (1ul << 8)
#define MS_NOATIME     (1ul << 10)
#define MS_NODIRATIME  (1ul << 11)
#define MS_BIND	       (1ul << 12)
#define MS_MOVE	       (1ul << 13)
#define MS_REC	       (1ul << 14)
#define MS_SILENT      (1ul << 15)
#define MS_POSIXACL    (1ul << 16)
#define MS_UNBINDABLE  (1ul << 17)
#define MS_PRIVATE     (1ul << 18)
#define MS_SLAVE       (1ul << 19)
#define MS_SHARED      (1ul << 20)
#define MS_RELATIME    (1ul << 21)
#define MS_KERNMOUNT   (1ul << 22)
#define MS_I_VERSION   (1ul << 23)
#define MS_STRICTATIME (1ul << 24)
#define MS_LAZYTIME    (1ul << 25)

/* Old programs put this magic in the upper 16 bits of the flags. */
#define MS_MGC_MSK 0xffff0000ul
#define MS_MGC_VAL 0xc0ed0000ul

/* Changing propagation: no file system type, only the target. */
#define MS_PROPAGATION (MS_SHARED | MS_SLAVE | MS_PRIVATE | MS_UNBINDABLE)

/* The flags a mount keeps (shown by statfs's f_flags and /proc/mounts). */
#define MS_PER_MOUNT                                                                               \
	(MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC | MS_SYNCHRONOUS | MS_MANDLOCK |             \
	 MS_DIRSYNC | MS_NOSYMFOLLOW | MS_NOATIME | MS_NODIRATIME | MS_RELATIME | MS_STRICTATIME | \
	 MS_LAZYTIME)

/* umount2 flags. */
#define MNT_FORCE	0x1
#define MNT_DETACH	0x2
#define MNT_EXPIRE	0x4
#define UMOUNT_NOFOLLOW 0x8

#endif /* AXL_UAPI_MOUNT_H */
