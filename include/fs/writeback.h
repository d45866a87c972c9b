/*
 * Write-back (fs/writeback.c): the flusher kernel thread that writes
 * dirty page-cache pages and file-system metadata to the disks, every
 * WRITEBACK_PERIOD_MS and whenever sync(2), fsync(2), unmount or
 * shutdown ask.
 *
 * A sync is a generation: asking takes the next number, the flusher
 * completes numbers in order, a caller waits until its number is done.
 * User threads wait without a stack (-EWAIT; the number is kept in their
 * wait's progress), kernel threads block.
 */
#ifndef FS_WRITEBACK_H
#define FS_WRITEBACK_H

#include <lib/types.h>

struct pagecache;

#define WRITEBACK_PERIOD_MS 2000
#define WRITEBACK_SOON_MS   20 /* writeback_soon: what comes meanwhile goes in the same run */

/* Starts the flusher. */
void writeback_init(void);
/* pc has dirty pages or attributes: the flusher holds its inode until they are written. */
void writeback_add(struct pagecache *pc);
/*
 * A file system's part of a sync, called by the flusher after the data:
 * write metadata and flush the devices (0 or -EIO); and what it does at
 * shutdown, after the last sync (mark itself clean).
 */
void writeback_register_fs(int (*sync_fs)(void), void (*shutdown)(void));
/*
 * The machine is going down (init exited): a last sync and every file
 * system's shutdown, in a kernel thread, then power off with status.
 */
void writeback_shutdown_then_poweroff(int status);
/*
 * Everything written so far reaches the disks, metadata and the devices'
 * caches included: 0, -EIO if metadata could not be written or a device
 * not flushed, or -EWAIT (user threads). Errors writing a file's data
 * are in its inode's wb_err (fsync reports them, vfs_fsync).
 */
int writeback_sync_all(void);
/* A pass over everything dirty starts soon; nobody waits for it (sync_file_range WRITE). */
void writeback_start(void);
/*
 * The file systems' part of a run (their metadata, not the files' data)
 * within WRITEBACK_SOON_MS, not at once: callers in a burst share it
 * (ext2's deletes waiting for a pass).
 */
void writeback_soon(void);

#endif
