/*
 * The directory entries of getdents64 and getdents as Linux writes them
 * (linux/dirent.h, fs/readdir.c). The d_type values (DT_*) are in
 * uapi/stat.h. sys/file.c fills them from the VFS's readdir.
 */
#ifndef AXL_UAPI_DIRENT_H
#define AXL_UAPI_DIRENT_H

#include <lib/types.h>

/* Records are padded to 8 bytes; d_name is NUL-terminated. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off; /* the position of the next entry */
	uint16_t d_reclen;
	uint8_t d_type;
	char d_name[];
};

/* The old getdents: d_type sits in the record's last byte, after the name's NUL. */
struct linux_dirent {
	uint64_t d_ino;
	uint64_t d_off;
	uint16_t d_reclen;
	char d_name[];
};

#endif /* AXL_UAPI_DIRENT_H */
