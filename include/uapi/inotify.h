/*
 * inotify(7) and memfd_create(2): flags, event bits and the event record,
 * Linux x86-64 values. The seals (F_ADD_SEALS...) are in uapi/fcntl.h.
 */
#ifndef AXL_UAPI_INOTIFY_H
#define AXL_UAPI_INOTIFY_H

#include <lib/types.h>

#define IN_ACCESS	 0x00000001u
#define IN_MODIFY	 0x00000002u
#define IN_ATTRIB	 0x00000004u
#define IN_CLOSE_WRITE	 0x00000008u
#define IN_CLOSE_NOWRITE 0x00000010u
#define IN_OPEN		 0x00000020u
#define IN_MOVED_FROM	 0x00000040u
#define IN_MOVED_TO	 0x00000080u
#define IN_CREATE	 0x00000100u
#define IN_DELETE	 0x00000200u
#define IN_DELETE_SELF	 0x00000400u
#define IN_MOVE_SELF	 0x00000800u
#define IN_ALL_EVENTS	 0x00000fffu

/* Only in events read. */
#define IN_UNMOUNT    0x00002000u
#define IN_Q_OVERFLOW 0x00004000u
#define IN_IGNORED    0x00008000u
#define IN_ISDIR      0x40000000u

/* Only in inotify_add_watch's mask. */
#define IN_ONLYDIR     0x01000000u
#define IN_DONT_FOLLOW 0x02000000u
#define IN_EXCL_UNLINK 0x04000000u
#define IN_MASK_CREATE 0x10000000u
#define IN_MASK_ADD    0x20000000u
#define IN_ONESHOT     0x80000000u

#define IN_WATCH_FLAGS \
	(IN_ONLYDIR | IN_DONT_FOLLOW | IN_EXCL_UNLINK | IN_MASK_CREATE | IN_MASK_ADD | IN_ONESHOT)

#define IN_NONBLOCK 00004000
#define IN_CLOEXEC  02000000

/* What a read gives per event; len bytes of NUL-padded name follow. */
struct inotify_event {
	int32_t wd;
	uint32_t mask;
	uint32_t cookie;
	uint32_t len;
};

/* Linux's defaults, fixed here (/proc/sys/fs/inotify/ is not writable). */
#define INOTIFY_MAX_QUEUED_EVENTS  16384
#define INOTIFY_MAX_USER_INSTANCES 128
#define INOTIFY_MAX_USER_WATCHES   8192

#define MFD_CLOEXEC	  0x0001u
#define MFD_ALLOW_SEALING 0x0002u
#define MFD_HUGETLB	  0x0004u
#define MFD_NOEXEC_SEAL	  0x0008u
#define MFD_EXEC	  0x0010u
#define MFD_NAME_MAX	  249 /* NAME_MAX - strlen("memfd:") */

#endif /* AXL_UAPI_INOTIFY_H */
