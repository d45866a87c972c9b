/*
 * The page cache (fs/pagecache.c): the data of files whose home is a
 * disk, kept in the core in page-sized pieces (DESIGN.md section 5: a
 * crash of the file-system service loses nothing a program wrote).
 *
 * A file system gives each regular file a struct pagecache and the two
 * methods that move pages between it and the disk; the cache does the
 * rest: reads and writes of file ranges, truncation, pages for mmap and
 * exec, dirty tracking and write-back. A read that misses starts the
 * disk read asynchronously for a run of pages (read-ahead) and waits: a
 * user thread parks (-EWAIT, it runs the call again once the pages are
 * in), a kernel thread blocks. Writes only dirty pages; the flusher
 * (fs/writeback.c) writes them out in the background, and at fsync, sync
 * and unmount; a writer waits for it when dirty pages pass half of the
 * cache's budget. Past that budget (a quarter of memory) clean pages that
 * nothing maps are given back, those used since the last look last.
 *
 * Space (DESIGN.md section 6): a write that creates data in a page whose
 * blocks are not known to be on the disk reserves the page's worst case
 * (ops->page_blocks) against the file system's struct pc_space at once,
 * so ENOSPC comes from write(2), never first from write-back. The
 * reservation goes when the page is written back (its blocks are then
 * allocated and counted), cut off, or forgotten with its file.
 */
#ifndef FS_PAGECACHE_H
#define FS_PAGECACHE_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>
#include <kernel/wait.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <fs/vfs.h>

struct inode;
struct page;
struct pagecache;

#define PC_READ_AHEAD 32	 /* pages one miss reads */
#define PC_READ_FULL  (2u << 20) /* bytes a read returns whole (pagecache_read) */
#define PC_WRITE_RUN  64	 /* consecutive dirty pages one write-back call takes */

struct pagecache_ops {
	/*
	 * Starts reading pages [index, index + n) of the file into pages[]
	 * (all present in the cache, marked reading); pagecache_read_done()
	 * must follow, from any context. Past the end of the file and in
	 * holes, pages are zeroed.
	 */
	void (*start_read)(struct pagecache *pc, uint64_t index, unsigned n, struct page **pages);
	/*
	 * Writes pages [index, index + n) to the disk, bytes up to size (the
	 * file's size when write-back began); kernel thread, blocks. 0 or -errno.
	 */
	int (*write_pages)(struct pagecache *pc, uint64_t index, unsigned n, struct page **pages,
			   int64_t size);
	/*
	 * Writes the inode's attributes (size, times) that changed in memory;
	 * trunc_to >= 0: the file was cut to that size since (the disk still
	 * has blocks past it): cut it there first. 0 or -errno.
	 */
	int (*write_inode)(struct pagecache *pc, int64_t trunc_to);
	/*
	 * The most disk blocks writing page index can allocate (its data
	 * blocks and the indirect blocks that may map them). Optional: with
	 * pc->space, required.
	 */
	unsigned (*page_blocks)(struct pagecache *pc, uint64_t index);
};

/*
 * The free space of one file system as the core counts it, for the
 * reservations of the page caches of its files. The file system sets
 * free from its own count (pc_space_set_free) and lowers it by what it
 * allocates for data (pc_space_allocated); frees raise it only when it is
 * learned again, so the count errs on the low side between. Lock key:
 * (s) lock.
 */
struct pc_space {
	spinlock_t lock;
	int64_t free;	   /* (s) free blocks on the disk, less the allocations since learned */
	int64_t root_only; /* (s) of those, the ones only root may take (s_r_blocks_count) */
	int64_t reserved;  /* (s) blocks reserved by pages whose blocks are not allocated yet */
	uint64_t changes;  /* (s) counts what changed the free count other than allocations */
	uint64_t learned;  /* (s) changes when free was last learned */
};

void pc_space_init(struct pc_space *s);
/*
 * The file system's free block count (and the part kept for root), asked
 * for when changes was as pc_space_changes said: not stale, unless
 * something changed it since.
 */
void pc_space_set_free(struct pc_space *s, int64_t free, int64_t root_only, uint64_t changes);
uint64_t pc_space_changes(struct pc_space *s);
/* The file system allocated n blocks (write-back). */
void pc_space_allocated(struct pc_space *s, int64_t n);
/* Something else changed the free count (a cut, a delete, a directory): learn it again. */
void pc_space_mark_stale(struct pc_space *s);
bool pc_space_stale(struct pc_space *s);
/* The blocks reserved now. */
int64_t pc_space_reserved(struct pc_space *s);

struct pc_entry;

/*
 * Lock key: (c) constant, (l) io_src.lock (the cache's lock, and the lock
 * of the source user threads wait on for I/O), (w) the flusher.
 */
struct pagecache {
	struct inode *inode;		 /* (c) */
	const struct pagecache_ops *ops; /* (c) */
	void *fs;			 /* (c) the file system's */
	struct wait_source io_src;	 /* (l) threads waiting for a page (wait_event) */
	struct list_head *buckets;	 /* (l) struct pc_entry.hash */
	size_t nr_buckets, nr_pages;	 /* (l) */
	size_t nr_dirty;		 /* (l) */
	bool attr_dirty;		 /* (l) size or times changed in memory */
	int64_t trunc_low;	     /* (l) smallest size cut to since the disk had it; -1: none */
	size_t nr_reading;	     /* (l) pages being read */
	struct list_head dirty_node; /* (writeback lock) on the dirty list */
	bool on_dirty_list;	     /* (writeback lock) */
	struct list_head cache_node; /* (the caches lock) on the shrinker's list */
	struct pc_space *space; /* (c) set by the file system after init; NULL: no reservations */
};

/* Sets up pc for inode; 0 or -ENOMEM. */
int pagecache_init(struct pagecache *pc, struct inode *inode, const struct pagecache_ops *ops,
		   void *fs);
/* Frees every page (the inode is going); nothing may be in flight. */
void pagecache_destroy(struct pagecache *pc);

/* read(2) and write(2) of the file: the count, 0 at the end, -EWAIT, -errno. */
ssize_t pagecache_read(struct pagecache *pc, const struct iobuf *buf, int64_t *pos);
ssize_t pagecache_write(struct pagecache *pc, const struct iobuf *buf, int64_t *pos, bool append,
			int64_t max_size);
/*
 * truncate(2): the file is now size bytes long, in the core at once (pages
 * past it dropped, the tail of the last zeroed, the times set); the disk
 * follows at the next write-back, and until then what it still holds past
 * the cut reads as zeros.
 */
void pagecache_set_size(struct pagecache *pc, int64_t size);
/* The page holding file page index, referenced, read in if needed: 0, -EWAIT, -EIO, -ENOMEM. */
int pagecache_get_page(struct pagecache *pc, uint64_t index, struct page **out);
/* Dirty pages of all caches (memory pressure asks the flusher when there are some). */
uint64_t pagecache_dirty_pages(void);
/* Reads the whole file into the cache (exec): 0 once every page is there, -EWAIT, -EIO. */
int pagecache_populate(struct pagecache *pc);
/* A shared mapping wrote to page index: it must be written back. */
void pagecache_mark_dirty(struct pagecache *pc, uint64_t index);
/*
 * A shared mapping is about to write to page index (present): reserves
 * its space unless its blocks are known to be allocated. 0 or -ENOSPC.
 */
int pagecache_page_mkwrite(struct pagecache *pc, uint64_t index);
/* The inode's attributes changed in memory (a write grew it, a utime). */
void pagecache_attr_dirty(struct pagecache *pc);

/*
 * For the file system, before pagecache_read_done: every block of page
 * index (being read) is allocated on the disk, so writing it needs no
 * space.
 */
void pagecache_set_mapped(struct pagecache *pc, uint64_t index);
/* For the file system: the pages of a read are in (err 0) or failed. */
void pagecache_read_done(struct pagecache *pc, uint64_t index, unsigned n, int err);
/*
 * For the flusher: writes every dirty page and the attributes; 0 or the
 * first error, which is also recorded in the inode's and the super
 * block's wb_err for fsync and syncfs.
 */
int pagecache_writeback(struct pagecache *pc);

struct pagecache_stats {
	uint64_t pages, dirty, hits, misses, written, evicted;
};
void pagecache_get_stats(struct pagecache_stats *out);

#endif
