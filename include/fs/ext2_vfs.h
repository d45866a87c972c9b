/*
 * ext2 in the core (fs/ext2_vfs.c): the "ext2" file-system type, whose
 * disk format the ext2 service handles (fs/ext2/).
 */
#ifndef FS_EXT2_VFS_H
#define FS_EXT2_VFS_H

/* Starts the ext2 service and registers the file-system type. */
void ext2_init(void);
/* At shutdown, after the last sync: the service marks every file system clean. */
void ext2_shutdown(void);

#endif
