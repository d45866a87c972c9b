/*
 * ext2 in the core (DESIGN.md sections 5 and 6): the VFS side of the ext2
 * file system, whose disk format is handled by the ext2 service
 * (fs/ext2/, a restartable service thread). This file keeps what must
 * survive a crash of the service: the list of mounts, the inodes and the
 * names of directories read so far (in the dentry tree, as tmpfs keeps
 * its own), symlink targets, and file data in the page cache.
 *
 * Every change of the name space is one request to the service
 * (include/fs/ext2_proto.h) made with svc_call: a user thread parks until
 * the reply and runs its system call again, which then finds the reply
 * (svc_call matches it by its place in the call). Values that would differ
 * between runs (the time stamp) are taken once per call and kept in the
 * call's progress record (struct fs_progress). Once the core has applied a
 * change the service made (the dentry tree, an inode), the call has passed
 * its point of no return (call_commit).
 *
 * A directory's entries are read into the dentry tree the first time the
 * VFS needs them (fill_dir); from then on the tree is complete, lookups
 * never leave the core, and every change goes to the disk through the
 * service before the VFS changes the tree.
 *
 * File data never passes through the service: EXT2_BMAP says where a
 * file's blocks are, and this file moves the pages with bios itself
 * (reads asynchronously, for the page cache; writes from the flusher).
 *
 * Space: each mount keeps a struct pc_space, the free block count learned
 * from EXT2_STATFS at mount and again by the flusher after anything but
 * its own data allocations changed it (those it subtracts as BMAP tells
 * them); the page caches of its files reserve against it when data is
 * written (include/fs/pagecache.h), so a full disk says ENOSPC to write.
 */
#include <kernel/cred.h>
#include <fs/ext2_vfs.h>
#include <fs/ext2.h>
#include <fs/ext2_proto.h>
#include <fs/bcache.h>
#include <fs/dcache.h>
#include <fs/namei.h>
#include <fs/pagecache.h>
#include <fs/writeback.h>
#include <drivers/block.h>
#include <kernel/printk.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <lib/compiler.h>
#include <lib/err.h>
#include <lib/string.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <svc/service.h>
#include <uapi/errno.h>
#include <uapi/mount.h>
#include <kernel/panic.h>

/* No size an ext2 inode can have is larger, whatever the block size. */
#define EXT2_SIZE_BOUND ((int64_t)1 << 42)
#define EXT2_NDIR	12 /* direct block pointers */
#define REPLY_SMALL	256
#define REPLY_DIR	16384
#define IHASH_SIZE	256

/* A mounted ext2 file system. Lock key: (c) constant after mount, (m) mounts_lock. */
struct ext2v_mount {
	uint32_t fsid;		 /* (c) the device number */
	uint32_t flags;		 /* (c) EXT2_MOUNT_* */
	struct block_device *bd; /* (c) */
	uint32_t block_size;	 /* (c) */
	int64_t max_size;	 /* (c) the largest file the block maps and i_blocks allow */
	struct super_block *sb;	 /* (c) */
	struct pc_space space;	 /* free blocks, and those reserved by unwritten data */
	spinlock_t ihash_lock;
	struct list_head ihash[IHASH_SIZE]; /* (ihash_lock) struct ext2v_inode.hash */
	struct list_head node;		    /* (m) */
	int evicting;			    /* (m) chains of EXT2_EVICT steps running or waiting */
	int inodes;			    /* (m) core inodes alive (the flusher may hold one) */
	uint8_t recovery;	    /* (recovered_src.lock) RECOVERY_*: the orphans it found */
	struct list_head unsettled; /* (m) struct evict_job.node: waiting for a pass */
	bool dying;		    /* (m) put_super came: EXT2_UMOUNT once idle */
};

/* What the core keeps of an inode (inode->private). Lock key: (i) the inode's lock. */
struct ext2v_inode {
	struct list_head hash; /* (ihash_lock) */
	struct inode *inode;   /* (c) */
	bool filled;	       /* (i) directories: every entry is in the dentry tree */
	uint64_t fill_cursor;  /* (i) where reading the directory goes on */
	char *target;	       /* (i) symlinks: the target once read, NUL-terminated */
	struct pagecache pc;   /* regular files */
};

static struct service *ext2_svc; /* [I] registered at init */
static spinlock_t mounts_lock = SPINLOCK_INIT("ext2-mounts");
static LIST_HEAD(mounts); /* (mounts_lock) */
static int evictions;	  /* (a) EXT2_EVICT chains running, all mounts */
static struct waitq evict_wq = { .lock = SPINLOCK_INIT("ext2-evict"),
				 .waiters = LIST_HEAD_INIT(evict_wq.waiters) };

static const struct inode_ops ext2v_dir_iops, ext2v_file_iops, ext2v_link_iops, ext2v_node_iops;
static const struct file_ops ext2v_dir_fops, ext2v_file_fops;
static const struct super_ops ext2v_super_ops;
static const struct pagecache_ops ext2v_pc_ops;

static struct ext2v_mount *EM(struct super_block *sb)
{
	return sb->private;
}

static struct ext2v_inode *EI(struct inode *inode)
{
	return inode->private;
}

/* A change that may free or take blocks besides data written back: the flusher learns them. */
static void space_changed(struct super_block *sb)
{
	pc_space_mark_stale(&EM(sb)->space);
}

void ext2_core_for_each_mount(void (*fn)(uint32_t fsid, uint32_t rdev, uint32_t flags, void *ctx),
			      void *ctx)
{
	unsigned long f = spin_lock_irqsave(&mounts_lock);
	struct ext2v_mount *m;

	list_for_each_entry (m, &mounts, node)
		fn(m->fsid, m->bd->rdev, m->flags, ctx);
	spin_unlock_irqrestore(&mounts_lock, f);
}

/* ---- Requests ---------------------------------------------------------- */

/* A request to file system fsid with room for extra payload bytes. */
static struct svc_request *ext2v_req(enum ext2_op op, uint32_t fsid, size_t extra, size_t reply)
{
	struct svc_request *req = svc_request_new(op, 16 + extra, reply);

	if (req) {
		svc_msg_begin(svc_payload(req), EXT2_PROTO_VERSION);
		svc_put_u32(svc_payload(req), fsid);
	}
	return req;
}

/*
 * The orphans a mount found (evict_start(..., true)). A power cut in the
 * middle of a write-back pass can leave an orphan's pointer on the disk
 * to a block its bitmap already calls free (include/fs/bcache.h), and the
 * bitmaps read after the mount count such a block as settled: until the
 * chain has freed it again and a pass has written that, no request on the
 * mount may allocate, or the block could get a second owner. If the chain
 * fails, the mount allocates nothing more (-EROFS) until e2fsck has seen it.
 */
enum {
	RECOVERY_NONE,
	RECOVERY_RUNNING,
	RECOVERY_FAILED
};

static struct wait_source recovered_src;

static void set_recovery(struct ext2v_mount *m, uint8_t state)
{
	unsigned long f = spin_lock_irqsave(&recovered_src.lock);

	m->recovery = state;
	spin_unlock_irqrestore(&recovered_src.lock, f);
	wait_wake_all(&recovered_src);
}

/* The mount's orphan chain ended and (ok) its changes are on the disk: the gate opens. */
static void recovery_end(struct ext2v_mount *m, bool ok)
{
	if (!ok)
		pr_err("ext2: %s: the orphans of an unclean shutdown could not all be freed; "
		       "nothing more is allocated on it until e2fsck has checked it\n",
		       m->bd->name);
	set_recovery(m, ok ? RECOVERY_NONE : RECOVERY_FAILED);
}

static bool may_allocate(uint16_t op)
{
	return op == EXT2_CREATE || op == EXT2_SYMLINK || op == EXT2_LINK || op == EXT2_RENAME ||
	       op == EXT2_BMAP; /* reads map with svc_submit, never through here */
}

/* The mount a request is for (its payload begins with the fsid); NULL if gone. */
static struct ext2v_mount *mount_of(const struct svc_request *req)
{
	unsigned long f = spin_lock_irqsave(&mounts_lock);
	struct ext2v_mount *m, *found = NULL;
	struct svc_reader r;
	uint32_t fsid;

	svc_reader_init(&r, req->req.buf, req->req.len);
	svc_msg_check(&r, EXT2_PROTO_VERSION);
	fsid = svc_get_u32(&r);
	list_for_each_entry (m, &mounts, node)
		if (!r.error && m->fsid == fsid)
			found = m;
	spin_unlock_irqrestore(&mounts_lock, f);
	return found;
}

/* 0 once m's orphans are freed and on the disk; -EWAIT for a user thread meanwhile. */
static int wait_recovered(struct ext2v_mount *m)
{
	for (;;) {
		unsigned long f = spin_lock_irqsave(&recovered_src.lock);
		uint8_t state = m ? m->recovery : RECOVERY_NONE;
		long r;

		if (state != RECOVERY_RUNNING || call_committed()) {
			spin_unlock_irqrestore(&recovered_src.lock, f);
			return state == RECOVERY_FAILED ? -EROFS : 0;
		}
		wait_event_locked(&recovered_src, 0, WAIT_UNINTERRUPTIBLE);
		spin_unlock_irqrestore(&recovered_src.lock, f);
		r = wait_event_sleep();
		if (r)
			return (int)r;
	}
}

/*
 * EXT2_UNSETTLED from a request that allocates: blocks a delete freed
 * since the last write-back pass are not handed out before a pass settles them
 * (fs/ext2/alloc.c), so a call that can run again (and has changed
 * nothing yet) waits for one (a sync) and runs again, once, sending its
 * requests anew; its second -ENOSPC stands. The flusher's
 * allocations run their pass themselves (ext2v_write_pages).
 */
static int enospc_again(void)
{
	if (!wait_restarts() || call_committed() || progress_fs(current_wait())->sync_gen)
		return -ENOSPC;
	svc_forget_kept_calls(current_thread()); /* the next run asks again, not its kept reply */
	return writeback_sync_all() ?: -ENOSPC;	 /* -EWAIT: the call runs again after the sync */
}

/* Sends req; on success *reader reads the reply (put *done after). */
static int ext2v_call(struct svc_request *req, struct svc_request **done, struct svc_reader *reader)
{
	uint16_t op;
	int r;

	*done = NULL;
	if (!req)
		return -ENOMEM;
	op = req->hdr.opcode;
	r = may_allocate(op) ? wait_recovered(mount_of(req)) : 0;
	if (r) {
		svc_request_put(req);
		return r;
	}
	r = svc_call(ext2_svc, req, done);
	if (!r)
		svc_reply_reader(*done, reader);
	if (r == EXT2_UNSETTLED && op != EXT2_BMAP) /* BMAP: the flusher's, ext2v_write_pages */
		r = enospc_again();
	return r;
}

/* The time stamp of this system call: the same in every run of it. */
static int64_t call_time(void)
{
	struct fs_progress *fp;

	if (!wait_restarts())
		return vfs_now().sec; /* this run is the only one */
	fp = progress_fs(current_wait());
	if (!fp->time)
		fp->time = vfs_now().sec;
	return fp->time;
}

/* ---- Inodes ------------------------------------------------------------ */

/*
 * Reads an attr from a reply and checks what the core relies on: a
 * known file type, a size and block count in range (a corrupt disk gets
 * -EIO here, never a huge loop in the page cache).
 */
static int get_attr(struct svc_reader *r, struct ext2_attr *a)
{
	unsigned type;

	if (ext2_get_attr(r, a))
		return -EIO;
	type = a->mode & S_IFMT;
	if (!a->ino || (type != S_IFREG && type != S_IFDIR && type != S_IFLNK && type != S_IFCHR &&
			type != S_IFBLK && type != S_IFIFO && type != S_IFSOCK))
		return -EIO;
	if (a->size < 0 || a->size > EXT2_SIZE_BOUND || a->blocks < 0 ||
	    (type == S_IFLNK && a->size >= (int64_t)PAGE_SIZE))
		return -EIO;
	return 0;
}

/*
 * Takes what the service says of an inode. A regular file's size is the
 * core's once it knows the file (writes and truncate change it in memory
 * first and the flusher takes it to the disk), and so are its times while
 * such a change waits for the flusher. fresh: a new core inode.
 */
static void apply_attr_locked(struct inode *inode, const struct ext2_attr *a, bool fresh)
{
	bool core_newer = !fresh && S_ISREG(inode->mode);

	ASSERT(fresh || spin_held(&inode->lock)); /* fresh: nobody else sees it yet */
	inode->mode = a->mode;
	inode->nlink = a->nlink;
	inode->uid = a->uid;
	inode->gid = a->gid;
	inode->blocks = a->blocks;
	inode->ctime = (struct vfs_timespec){ a->ctime, 0 };
	if (!core_newer)
		inode->size = a->size;
	if (!core_newer || !READ_ONCE(EI(inode)->pc.attr_dirty)) {
		inode->atime = (struct vfs_timespec){ a->atime, 0 };
		inode->mtime = (struct vfs_timespec){ a->mtime, 0 };
	}
}

/* May run under the lock of the inode's directory (link): subclass 1 for the lock checker. */
static void apply_attr(struct inode *inode, const struct ext2_attr *a)
{
	unsigned long f = spin_lock_irqsave_nested(&inode->lock, 1);

	apply_attr_locked(inode, a, false);
	spin_unlock_irqrestore(&inode->lock, f);
}

static void set_ops(struct inode *inode)
{
	switch (inode->mode & S_IFMT) {
	case S_IFDIR:
		inode->iops = &ext2v_dir_iops;
		inode->fops = &ext2v_dir_fops;
		break;
	case S_IFREG:
		inode->iops = &ext2v_file_iops;
		inode->fops = &ext2v_file_fops;
		break;
	case S_IFLNK:
		inode->iops = &ext2v_link_iops;
		break;
	default:
		inode->iops = &ext2v_node_iops;
		inode_init_special(inode, inode->mode, inode->rdev);
		break;
	}
}

static struct inode *ihash_find_locked(struct ext2v_mount *m, uint64_t ino)
{
	struct ext2v_inode *ei;

	assert_held(&m->ihash_lock);
	list_for_each_entry (ei, &m->ihash[ino % IHASH_SIZE], hash)
		if (ei->inode->ino == ino)
			return ei->inode;
	return NULL;
}

/* A new core inode for a, in the hash; NULL when out of memory. */
static struct inode *new_inode(struct ext2v_mount *m, const struct ext2_attr *a)
{
	struct inode *inode = inode_alloc(m->sb, a->mode);
	struct ext2v_inode *ei = kzalloc(sizeof(*ei));

	if (!inode || !ei ||
	    (S_ISREG(a->mode) && pagecache_init(&ei->pc, inode, &ext2v_pc_ops, m))) {
		kfree(ei);
		if (inode)
			inode_put(inode);
		return NULL;
	}
	if (S_ISREG(a->mode) && !(m->flags & EXT2_MOUNT_RDONLY))
		ei->pc.space = &m->space;
	ei->inode = inode;
	inode->private = ei;
	inode->ino = a->ino;
	inode->rdev = a->rdev;
	apply_attr_locked(inode, a, true);
	inode->btime = inode->ctime;
	set_ops(inode);
	return inode;
}

/* The core inode of a, made if it is not known yet; referenced. NULL when out of memory. */
static struct inode *ext2v_iget(struct ext2v_mount *m, const struct ext2_attr *a)
{
	unsigned long f = spin_lock_irqsave(&m->ihash_lock);
	struct inode *inode = ihash_find_locked(m, a->ino);

	if (inode && __atomic_load_n(&inode->refcount, __ATOMIC_ACQUIRE) > 0)
		inode_get(inode);
	else
		inode = NULL;
	spin_unlock_irqrestore(&m->ihash_lock, f);
	if (inode)
		return inode;
	inode = new_inode(m, a);
	if (!inode)
		return NULL;
	f = spin_lock_irqsave(&mounts_lock);
	m->inodes++;
	spin_unlock_irqrestore(&mounts_lock, f);
	f = spin_lock_irqsave(&m->ihash_lock);
	list_add(&EI(inode)->hash, &m->ihash[a->ino % IHASH_SIZE]);
	spin_unlock_irqrestore(&m->ihash_lock, f);
	return inode;
}

static void send_umount(struct ext2v_mount *m);

/*
 * The mount may go once put_super came, no chain runs or waits and no
 * core inode is left: an inode the flusher still held at unmount (an
 * unlinked file's last pages) is let go of later, and its delete needs
 * the mount. Takes m off the list; the caller sends EXT2_UMOUNT.
 */
static bool mount_done_locked(struct ext2v_mount *m)
{
	assert_held(&mounts_lock);
	if (!m->dying || m->evicting || m->inodes)
		return false;
	list_del(&m->node);
	return true;
}

/*
 * Freeing an inode on the disk takes a chain of EXT2_EVICT requests, each
 * a bounded step (DESIGN.md section 5): the reply of one sends the next,
 * from the service's thread, until the inode is gone. A mount that finds
 * orphans (deletes a power cut or a failure interrupted) frees them the
 * same way, one after the other. A chain keeps its mount (not its super
 * block, which goes at umount): the mount's EXT2_UMOUNT waits for the
 * last chain and the last core inode (mount_done_locked), and shutdown
 * waits for the chains.
 */
struct evict_job {
	struct list_head node; /* (m) on m->unsettled; then on sync_metadata's own list */
	struct ext2v_mount *m;
	uint64_t ino;
	bool orphans; /* the chain a mount found: then the next orphan, when ino is freed */
};

static void evict_done(struct svc_request *req);

static void evict_finish(struct evict_job *j, bool ok);

/* The pass that ends a mount's recovery, in a thread of its own (it blocks on the disk). */
static void recovery_pass(void *arg)
{
	struct evict_job *j = arg;

	evict_finish(j, !bcache_sync(j->m->bd));
}

/*
 * A chain ends. The end of a mount's chain (ok) waits for a pass before
 * the gate opens; it runs in a kernel thread of its own, not in the
 * service's thread that called (a crash there would leave it half done),
 * and the mount stays held (evicting) until it is over.
 */
static void evict_end(struct evict_job *j, bool ok)
{
	struct thread *t = j->orphans && ok ? kthread_create("ext2-recovered", recovery_pass, j)
					    : NULL;

	if (t) {
		kthread_detach(t);
		return;
	}
	if (j->orphans && ok) /* no thread: here, then */
		ok = !bcache_sync(j->m->bd);
	evict_finish(j, ok);
}

static int evict_send(struct evict_job *j)
{
	struct svc_request *req = ext2v_req(EXT2_EVICT, j->m->fsid, 8, 16);

	if (!req)
		return -ENOMEM;
	svc_put_u64(svc_payload(req), j->ino);
	svc_submit(ext2_svc, req, evict_done, j);
	svc_request_put(req); /* the queue holds it */
	return 0;
}

/*
 * A chain is over (ok: the inode, or the mount's whole chain, freed): the
 * mount's EXT2_UMOUNT goes if it was waiting for it.
 */
static void evict_finish(struct evict_job *j, bool ok)
{
	struct ext2v_mount *m = j->m;
	unsigned long f = spin_lock_irqsave(&mounts_lock);
	bool umount;

	m->evicting--;
	umount = mount_done_locked(m);
	spin_unlock_irqrestore(&mounts_lock, f);
	if (j->orphans)
		recovery_end(m, ok);
	kfree(j);
	__atomic_sub_fetch(&evictions, 1, __ATOMIC_ACQ_REL);
	waitq_wake_all(&evict_wq);
	if (umount)
		send_umount(m);
}

/*
 * A chain starts. The unlink that made ino an orphan may not be on the
 * disk yet, and a step's frees must never reach the disk before the
 * orphan chain that names ino does (a power cut in between would leave a
 * live-looking inode naming free blocks): so the first step waits on
 * m->unsettled for the next write-back pass of m, which sync_metadata
 * starts it after (the flusher runs WRITEBACK_SOON_MS after the first
 * chain that waits). Orphans a mount found are on the disk already and
 * start at once.
 */
static void evict_start(struct ext2v_mount *m, uint64_t ino, bool orphans)
{
	struct evict_job *j = kzalloc(sizeof(*j));
	unsigned long f;
	bool kick;

	if (orphans)
		set_recovery(m, j ? RECOVERY_RUNNING : RECOVERY_FAILED);
	if (!j) {
		pr_warn("ext2: no memory to free inode %lu; the next mount frees it\n",
			(unsigned long)ino);
		return;
	}
	j->m = m;
	j->ino = ino;
	j->orphans = orphans;
	f = spin_lock_irqsave(&mounts_lock);
	m->evicting++;
	kick = !orphans && list_empty(&m->unsettled);
	if (!orphans)
		list_add_tail(&j->node, &m->unsettled);
	spin_unlock_irqrestore(&mounts_lock, f);
	__atomic_add_fetch(&evictions, 1, __ATOMIC_ACQ_REL);
	if (orphans && evict_send(j))
		evict_end(j, false);
	if (kick)
		writeback_soon(); /* one pass for every chain that comes meanwhile (rm -r) */
}

/* The chains waiting on m for a pass, taken off before it begins. */
static void take_unsettled(struct ext2v_mount *m, struct list_head *jobs)
{
	unsigned long f = spin_lock_irqsave(&mounts_lock);

	while (!list_empty(&m->unsettled))
		list_move_tail(m->unsettled.next, jobs);
	spin_unlock_irqrestore(&mounts_lock, f);
}

/*
 * The pass of their mount that began once they were queued ended (ok):
 * their first steps go; if it failed, the disk is failing and they end
 * (the inodes stay on the chain for the next mount).
 */
static void evict_settled(struct list_head *jobs, bool ok)
{
	struct evict_job *j, *next;

	list_for_each_entry_safe (j, next, jobs, node) {
		list_del(&j->node);
		if (!ok)
			pr_warn("ext2: inode %lu not freed: writing the metadata failed; the next "
				"mount frees it\n",
				(unsigned long)j->ino);
		if (!ok || evict_send(j))
			evict_end(j, false);
	}
}

static void evict_done(struct svc_request *req)
{
	struct evict_job *j = req->cookie;
	int err = req->status;
	uint32_t more = 0, next = 0;
	struct svc_reader r;

	if (!err) {
		svc_reply_reader(req, &r);
		more = svc_get_u32(&r);
		next = svc_get_u32(&r);
		if (r.error)
			err = -EIO;
	}
	if (err)
		pr_warn("ext2: freeing inode %lu failed (%d); it stays an orphan for the next "
			"mount\n",
			(unsigned long)j->ino, err);
	else
		pc_space_mark_stale(
			&j->m->space); /* freed blocks: counted again (m->sb may be gone) */
	if (!err && !more && j->orphans && next)
		j->ino = next;
	else if (!err && !more)
		err = 1; /* done */
	if (err || evict_send(j))
		evict_end(j, err == 1);
}

/* The last reference is gone: forget the inode; an unlinked one is freed on the disk. */
static void ext2v_evict(struct inode *inode)
{
	struct ext2v_mount *m = EM(inode->sb);
	struct ext2v_inode *ei = EI(inode);
	unsigned long f = spin_lock_irqsave(&m->ihash_lock);
	bool umount;

	list_del(&ei->hash);
	spin_unlock_irqrestore(&m->ihash_lock, f);
	if (S_ISREG(inode->mode))
		pagecache_destroy(&ei->pc);
	if (inode->nlink == 0 && !(m->flags & EXT2_MOUNT_RDONLY))
		evict_start(m, inode->ino, false);
	kfree(ei->target);
	kfree(ei);
	f = spin_lock_irqsave(&mounts_lock);
	m->inodes--;
	umount = mount_done_locked(m);
	spin_unlock_irqrestore(&mounts_lock, f);
	if (umount)
		send_umount(m);
}

/* ---- Directories: reading them into the tree ---------------------------- */

/* Adds one entry read from the disk, unless the tree has the name already. */
static int add_entry(struct dentry *dir, const char *name, size_t len, const struct ext2_attr *a)
{
	struct qstr q = { name, len };
	struct dentry *d, *old;
	struct inode *inode;
	unsigned long f;

	old = d_lookup(dir, &q);
	if (old) {
		dentry_put(old);
		return 0;
	}
	inode = ext2v_iget(EM(dir->inode->sb), a);
	d = inode ? d_alloc(dir, &q) : NULL;
	if (!d) {
		if (inode)
			inode_put(inode);
		return -ENOMEM;
	}
	d_instantiate(d, inode);
	f = spin_lock_irqsave(&dir->inode->lock);
	old = d_lookup(dir, &q);
	if (!old)
		d_link(d);
	spin_unlock_irqrestore(&dir->inode->lock, f);
	if (old)
		dentry_put(old);
	dentry_put(d);
	return 0;
}

/* Adds the entries of one EXT2_READDIR reply; returns the next cursor (0: the end) or -errno. */
static int64_t add_entries(struct dentry *dir, struct svc_reader *r)
{
	uint64_t next = svc_get_u64(r);
	uint32_t count = svc_get_u32(r);
	char name[EXT2_NAME_MAX + 1];

	for (uint32_t i = 0; i < count && !r->error; i++) {
		struct ext2_attr a;
		long len = svc_get_str(r, name, sizeof(name));
		int err;

		if (len <= 0 || get_attr(r, &a) || !strcmp(name, ".") || !strcmp(name, "..") ||
		    strchr(name, '/'))
			return -EIO;
		err = add_entry(dir, name, (size_t)len, &a);
		if (err)
			return err;
	}
	return r->error || next > INT64_MAX ? -EIO : (int64_t)next;
}

/*
 * A removed directory (no links) has no entries to read: it counts as filled,
 * with no request. Asking the service would get -ENOENT, and open(O_CREAT)
 * asks twice in one run (lookup, then create): the second request made anew
 * in every run of the call would never let it finish.
 */
static int ext2v_fill_dir(struct inode *inode, struct dentry *dir)
{
	struct ext2v_inode *ei = EI(inode);

	if (READ_ONCE(inode->nlink) == 0)
		WRITE_ONCE(ei->filled, true);
	while (!READ_ONCE(ei->filled)) {
		struct svc_request *req = ext2v_req(EXT2_READDIR, EM(inode->sb)->fsid, 16,
						    REPLY_DIR);
		struct svc_request *done;
		struct svc_reader r;
		int64_t next;
		int err;

		if (req) {
			svc_put_u64(svc_payload(req), inode->ino);
			svc_put_u64(svc_payload(req), READ_ONCE(ei->fill_cursor));
		}
		err = ext2v_call(req, &done, &r);
		next = err ? err : add_entries(dir, &r);
		svc_request_put(done);
		if (next < 0)
			return (int)next;
		if (next && (uint64_t)next <= READ_ONCE(ei->fill_cursor))
			return -EIO; /* a cursor that does not move on would read the directory forever */
		if (next == 0)
			WRITE_ONCE(ei->filled, true);
		else
			WRITE_ONCE(ei->fill_cursor, (uint64_t)next);
	}
	return 0;
}

static int ext2v_readdir(struct file *f, struct dir_context *ctx)
{
	int r = ext2v_fill_dir(f->inode, f->dentry);

	return r ? r : dcache_readdir(f, ctx);
}

/* ---- Directories: changes ------------------------------------------------ */

/* The core applies a change the service made: the call's point of no return. */
static void dir_changed(struct inode *dir, int nlink_delta)
{
	call_commit();
	dir->nlink = (uint32_t)((int32_t)dir->nlink + nlink_delta);
	dir->mtime = dir->ctime = (struct vfs_timespec){ call_time(), 0 };
}

/*
 * A create took the new inode's blocks (a directory's first, a long
 * symlink's) and perhaps one more for its directory: they come off the
 * free count at once (one too many if the directory had room), and the
 * flusher learns the exact count.
 */
static void created(struct super_block *sb, const struct ext2_attr *a)
{
	struct ext2v_mount *m = EM(sb);

	pc_space_allocated(&m->space, a->blocks / (m->block_size / 512) + 1);
	space_changed(sb);
}

/* Sends req and makes the inode its reply describes d's; dir's lock is held. */
static int make_from_reply(struct inode *dir, struct dentry *d, struct svc_request *req)
{
	struct svc_request *done;
	struct svc_reader r;
	struct ext2_attr a;
	struct inode *inode;
	int err = ext2v_call(req, &done, &r);

	if (!err && get_attr(&r, &a))
		err = -EIO;
	if (!err) {
		created(dir->sb, &a);
		inode = ext2v_iget(EM(dir->sb), &a);
		if (inode) {
			d_instantiate(d, inode);
			dir_changed(dir, S_ISDIR(a.mode) ? 1 : 0);
		} else {
			err = -ENOMEM;
		}
	}
	svc_request_put(done);
	return err;
}

static struct svc_request *named_req(enum ext2_op op, struct inode *dir, struct dentry *d,
				     size_t extra, size_t reply)
{
	struct svc_request *req = ext2v_req(op, EM(dir->sb)->fsid, 16 + d->name_len + extra, reply);

	if (req) {
		svc_put_u64(svc_payload(req), dir->ino);
		svc_put_str(svc_payload(req), d->name, d->name_len);
	}
	return req;
}

static int ext2v_mknod(struct inode *dir, struct dentry *d, unsigned mode, uint32_t rdev)
{
	struct svc_request *req = named_req(EXT2_CREATE, dir, d, 32, REPLY_SMALL);
	uint32_t uid, gid;

	inode_new_owner(dir, &mode, &uid,
			&gid); /* the caller's (init_cred's for a kernel thread) */
	if (req) {
		svc_put_u32(svc_payload(req), mode);
		svc_put_u32(svc_payload(req), rdev);
		svc_put_u32(svc_payload(req), uid);
		svc_put_u32(svc_payload(req), gid);
		svc_put_i64(svc_payload(req), call_time());
	}
	return make_from_reply(dir, d, req);
}

static int ext2v_create(struct inode *dir, struct dentry *d, unsigned mode)
{
	return ext2v_mknod(dir, d, mode, 0);
}

static int ext2v_symlink(struct inode *dir, struct dentry *d, const char *target)
{
	size_t len = strlen(target);
	struct svc_request *req = named_req(EXT2_SYMLINK, dir, d, len + 32, REPLY_SMALL);
	unsigned mode = S_IFLNK | 0777;
	uint32_t uid, gid;
	int err;

	inode_new_owner(dir, &mode, &uid, &gid);
	if (req) {
		svc_put_bytes(svc_payload(req), target, len);
		svc_put_u32(svc_payload(req), uid);
		svc_put_u32(svc_payload(req), gid);
		svc_put_i64(svc_payload(req), call_time());
	}
	err = make_from_reply(dir, d, req);
	if (!err && !EI(d->inode)->target) {
		EI(d->inode)->target = kmalloc(len + 1);
		if (EI(d->inode)->target)
			memcpy(EI(d->inode)->target, target, len + 1);
	}
	return err;
}

/* Sends req whose reply is the attributes of inode, and applies them (locked: caller holds its lock). */
static int call_for_attr(struct inode *inode, struct svc_request *req, bool locked)
{
	struct svc_request *done;
	struct svc_reader r;
	struct ext2_attr a;
	int err = ext2v_call(req, &done, &r);

	ASSERT(!locked || spin_held(&inode->lock));
	if (!err && get_attr(&r, &a))
		err = -EIO;
	if (!err && locked)
		apply_attr_locked(inode, &a, false);
	else if (!err)
		apply_attr(inode, &a);
	svc_request_put(done);
	return err;
}

static int ext2v_link(struct dentry *old, struct inode *dir, struct dentry *d)
{
	struct inode *inode = old->inode;
	struct svc_request *req = named_req(EXT2_LINK, dir, d, 16, REPLY_SMALL);
	int err;

	if (req) {
		svc_put_u64(svc_payload(req), inode->ino);
		svc_put_i64(svc_payload(req), call_time());
	}
	err = call_for_attr(inode, req, false);
	if (err)
		return err;
	space_changed(dir->sb);
	d_instantiate(d, inode_get(inode));
	dir_changed(dir, 0);
	return 0;
}

static int remove_name(struct inode *dir, struct dentry *victim, bool is_dir)
{
	struct svc_request *req = named_req(EXT2_UNLINK, dir, victim, 24, REPLY_SMALL);
	int err;

	if (req) {
		svc_put_u64(svc_payload(req), victim->inode->ino);
		svc_put_u32(svc_payload(req), is_dir);
		svc_put_i64(svc_payload(req), call_time());
	}
	err = call_for_attr(victim->inode, req, true); /* the VFS holds the victim's lock */
	if (!err)
		dir_changed(dir, is_dir ? -1 : 0);
	if (!err)
		space_changed(dir->sb);
	return err;
}

static int ext2v_unlink(struct inode *dir, struct dentry *victim)
{
	return remove_name(dir, victim, false);
}

static int ext2v_rmdir(struct inode *dir, struct dentry *victim)
{
	if (d_has_children(victim))
		return -ENOTEMPTY;
	return remove_name(dir, victim, true);
}

/* What a rename did to the link counts the core keeps (the disk did the same). */
static void renamed(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
		    struct dentry *new, unsigned flags)
{
	bool moved_dir = S_ISDIR(old->inode->mode);

	if (flags & RENAME_EXCHANGE) {
		bool other_dir = S_ISDIR(new->inode->mode);

		dir_changed(old_dir, (other_dir ? 1 : 0) - (moved_dir ? 1 : 0));
		dir_changed(new_dir, (moved_dir ? 1 : 0) - (other_dir ? 1 : 0));
		return;
	}
	if (new) {
		new->inode->nlink = S_ISDIR(new->inode->mode) ? 0 : new->inode->nlink - 1;
		if (S_ISDIR(new->inode->mode))
			dir_changed(new_dir, -1);
	}
	dir_changed(old_dir, moved_dir ? -1 : 0);
	dir_changed(new_dir, moved_dir ? 1 : 0);
	old->inode->ctime = (struct vfs_timespec){ call_time(), 0 };
}

static int ext2v_rename(struct inode *old_dir, struct dentry *old, struct inode *new_dir,
			const struct qstr *new_name, struct dentry *new, unsigned flags)
{
	struct svc_request *req, *done;
	struct svc_reader r;
	int err;

	if (new && !(flags & RENAME_EXCHANGE) && S_ISDIR(new->inode->mode) && d_has_children(new))
		return -ENOTEMPTY;
	req = ext2v_req(EXT2_RENAME, EM(old_dir->sb)->fsid, 48 + old->name_len + new_name->len,
			REPLY_SMALL);
	if (req) {
		svc_put_u64(svc_payload(req), old_dir->ino);
		svc_put_str(svc_payload(req), old->name, old->name_len);
		svc_put_u64(svc_payload(req), new_dir->ino);
		svc_put_str(svc_payload(req), new_name->name, new_name->len);
		svc_put_u32(svc_payload(req), flags);
		svc_put_i64(svc_payload(req), call_time());
	}
	err = ext2v_call(req, &done, &r);
	svc_request_put(done);
	if (!err)
		space_changed(old_dir->sb);
	if (!err)
		renamed(old_dir, old, new_dir, new, flags);
	return err;
}

/* ---- Attributes, symlinks ------------------------------------------------ */

static struct svc_request *setattr_req(struct inode *inode, unsigned valid, uint32_t mode,
				       uint32_t uid, uint32_t gid, int64_t size, int64_t atime,
				       int64_t mtime, int64_t ctime)
{
	struct svc_request *req = ext2v_req(EXT2_SETATTR, EM(inode->sb)->fsid, 64, REPLY_SMALL);
	struct svc_writer *w = req ? svc_payload(req) : NULL;

	if (w) {
		svc_put_u64(w, inode->ino);
		svc_put_u32(w, valid);
		svc_put_u32(w, mode);
		svc_put_u32(w, uid);
		svc_put_u32(w, gid);
		svc_put_i64(w, size);
		svc_put_i64(w, atime);
		svc_put_i64(w, mtime);
		svc_put_i64(w, ctime);
	}
	return req;
}

static int ext2v_setattr(struct inode *inode, const struct vfs_attr *attr)
{
	int64_t now = call_time();
	unsigned valid = attr->valid & (ATTR_MODE | ATTR_UID | ATTR_GID | ATTR_ATIME | ATTR_MTIME);
	uint32_t mode = vfs_attr_mode(inode, attr);
	int err;

	if ((attr->valid & ATTR_SIZE) && !S_ISREG(inode->mode))
		return S_ISDIR(inode->mode) ? -EISDIR : -EINVAL;
	if ((attr->valid & ATTR_SIZE) && attr->size > EM(inode->sb)->max_size)
		return -EFBIG;
	if ((attr->valid & (ATTR_KILL_SUID | ATTR_KILL_SGID)) && !S_ISDIR(inode->mode))
		valid |= ATTR_MODE; /* chown's clearing of set-id bits goes to the disk too */
	/*
	 * The size changes in the core (and the modification time with it, as
	 * on Linux); the flusher takes it to the disk, in order with the file's
	 * pages, so a cut never frees blocks a write-back is writing.
	 */
	err = valid ? call_for_attr(inode,
				    setattr_req(inode, valid, mode, attr->uid, attr->gid, 0,
						attr->atime.sec, attr->mtime.sec, now),
				    false)
		    : 0;
	if (!err && (valid || (attr->valid & ATTR_SIZE)))
		call_commit(); /* the disk or the core changed: a new run would do it again */
	if (!err && valid && S_ISREG(inode->mode)) {
		/* Times a reply may not give the core while a write waits for the flusher. */
		unsigned long f = spin_lock_irqsave(&inode->lock);

		inode_setattr_locked(inode, attr);
		spin_unlock_irqrestore(&inode->lock, f);
		/*
		 * A write-back that took the old times before this call may reach
		 * the disk after it: the flusher takes these times again, and no
		 * reply overwrites them in the core until it has.
		 */
		if (attr->valid & (ATTR_ATIME | ATTR_MTIME))
			pagecache_attr_dirty(&EI(inode)->pc);
	}
	if (!err && (attr->valid & ATTR_SIZE))
		space_changed(inode->sb); /* a cut frees blocks at the next write-back */
	if (!err && (attr->valid & ATTR_SIZE))
		pagecache_set_size(&EI(inode)->pc, attr->size);
	return err;
}

/* Keeps a copy of the target read from the disk, unless another run kept one first. */
static bool keep_target(struct inode *inode, const void *p, size_t len)
{
	char *copy = kmalloc(len + 1);
	unsigned long f;

	if (!copy)
		return false;
	memcpy(copy, p, len);
	copy[len] = 0;
	f = spin_lock_irqsave(&inode->lock);
	if (!EI(inode)->target) {
		EI(inode)->target = copy;
		copy = NULL;
	}
	spin_unlock_irqrestore(&inode->lock, f);
	kfree(copy);
	return true;
}

static ssize_t ext2v_readlink(struct inode *inode, char *buf, size_t size)
{
	struct ext2v_inode *ei = EI(inode);
	struct svc_request *req, *done;
	struct svc_reader r;
	const void *p;
	size_t len;
	int err;

	if (!READ_ONCE(ei->target)) {
		req = ext2v_req(EXT2_READLINK, EM(inode->sb)->fsid, 8, PAGE_SIZE + 16);
		if (req)
			svc_put_u64(svc_payload(req), inode->ino);
		err = ext2v_call(req, &done, &r);
		len = err ? 0 : svc_get_bytes(&r, &p, PAGE_SIZE - 1);
		if (!err && (r.error || !len || memchr(p, 0, len)))
			err = -EIO;
		if (!err && !keep_target(inode, p, len))
			err = -ENOMEM;
		svc_request_put(done);
		if (err)
			return err;
	}
	len = MIN(size, strlen(ei->target));
	memcpy(buf, ei->target, len);
	return (ssize_t)len;
}

/* ---- Regular files ------------------------------------------------------- */

static ssize_t ext2v_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	return pagecache_read(&EI(f->inode)->pc, buf, pos);
}

static ssize_t ext2v_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	if (EM(f->inode->sb)->flags & EXT2_MOUNT_RDONLY)
		return -EROFS;
	return pagecache_write(&EI(f->inode)->pc, buf, pos, READ_ONCE(f->flags) & O_APPEND,
			       EM(f->inode->sb)->max_size);
}

/*
 * Everything written reaches the disk (all files: the flusher writes in
 * one pass), the metadata and the device's cache too, so fdatasync is
 * fsync; vfs_fsync then reports the file's write-back errors.
 */
static int ext2v_fsync(struct file *f, bool datasync)
{
	(void)f;
	(void)datasync;
	return writeback_sync_all();
}

static int ext2v_populate(struct inode *inode)
{
	return pagecache_populate(&EI(inode)->pc);
}

static void ext2v_set_page_dirty(struct inode *inode, uint64_t index)
{
	pagecache_mark_dirty(&EI(inode)->pc, index);
}

static int ext2v_page_mkwrite(struct inode *inode, uint64_t index)
{
	return pagecache_page_mkwrite(&EI(inode)->pc, index);
}

static int ext2v_get_page(struct inode *inode, uint64_t index, struct page **out)
{
	if (!S_ISREG(inode->mode))
		return -EINVAL;
	return pagecache_get_page(&EI(inode)->pc, index, out);
}

/* ---- Moving pages: the page cache's methods ------------------------------ */

/* A transfer of pages in flight: bios to the disk, and what to do when the last ends. */
struct page_io {
	struct pagecache *pc;
	uint64_t index;
	unsigned n;
	int32_t pending; /* (a) bios not finished, plus one while they are being made */
	int err;
	struct page *pages[PC_WRITE_RUN];
	void (*done)(struct page_io *io);
	bool finished; /* synchronous transfers (write_wq) */
};

static void io_put(struct page_io *io)
{
	if (__atomic_sub_fetch(&io->pending, 1, __ATOMIC_ACQ_REL) == 0)
		io->done(io);
}

static void bio_done(struct bio *b)
{
	struct page_io *io = b->priv;

	if (b->status)
		io->err = b->status;
	kfree(b);
	io_put(io);
}

static void submit_bio(struct page_io *io, struct ext2v_mount *m, struct bio *b)
{
	__atomic_add_fetch(&io->pending, 1, __ATOMIC_ACQ_REL);
	b->done = bio_done;
	b->priv = io;
	block_submit(m->bd, b);
}

static uint64_t bio_sectors(const struct bio *b)
{
	uint64_t n = 0;

	for (uint32_t i = 0; i < b->nsegs; i++)
		n += b->segs[i].len / SECTOR_SIZE;
	return n;
}

/* Whether b can take bs bytes at phys for the sector right after its end. */
static bool bio_extend(struct bio *b, uint64_t sector, uint64_t phys, uint32_t bs)
{
	struct bio_seg *last = &b->segs[b->nsegs - 1];

	if (sector != b->sector + bio_sectors(b))
		return false;
	if (last->phys + last->len == phys && last->len <= (64u << 10)) {
		last->len += bs;
		return true;
	}
	if (b->nsegs == BIO_MAX_SEGS)
		return false;
	b->segs[b->nsegs++] = (struct bio_seg){ phys, bs };
	return true;
}

/*
 * Moves the blocks of io's pages: blk[i] is the disk block of the file's
 * i-th block from the start of the run (0: a hole, zeroed on reads).
 * Consecutive disk blocks go in one bio.
 */
static void transfer(struct page_io *io, struct ext2v_mount *m, enum bio_op op, const uint64_t *blk,
		     uint32_t count)
{
	uint32_t bs = m->block_size, per_page = PAGE_SIZE / bs;
	uint64_t sectors = bs / SECTOR_SIZE;
	struct bio *b = NULL;

	for (uint32_t i = 0; i < count; i++) {
		uint64_t phys = page_to_phys(io->pages[i / per_page]) + (i % per_page) * bs;

		if (!blk[i]) {
			memset(phys_to_virt(phys), 0, bs);
			continue;
		}
		if (b && bio_extend(b, blk[i] * sectors, phys, bs))
			continue;
		if (b)
			submit_bio(io, m, b);
		b = kzalloc(sizeof(*b));
		if (!b) {
			io->err = -ENOMEM;
			return;
		}
		b->op = op;
		b->sector = blk[i] * sectors;
		b->segs[0] = (struct bio_seg){ phys, bs };
		b->nsegs = 1;
	}
	if (b)
		submit_bio(io, m, b);
}

/*
 * Reads an EXT2_BMAP reply: count disk blocks into blk, each inside the
 * device (a hostile disk gets -EIO); with alloc none may be a hole.
 */
static int parse_map(struct ext2v_mount *m, struct svc_reader *r, uint64_t *blk, uint32_t count,
		     bool alloc)
{
	uint64_t dev_blocks = m->bd->sectors / (m->block_size / SECTOR_SIZE);
	uint32_t n = svc_get_u32(r);

	if (r->error || n > count)
		return -EIO;
	for (uint32_t i = 0; i < count; i++) {
		blk[i] = i < n ? svc_get_u64(r) : 0;
		if (blk[i] >= dev_blocks || (alloc && !blk[i]))
			return -EIO;
	}
	return r->error ? -EIO : 0;
}

static struct svc_request *bmap_req(struct pagecache *pc, uint64_t first, uint32_t count,
				    bool alloc)
{
	struct ext2v_mount *m = pc->fs;
	struct svc_request *req = ext2v_req(EXT2_BMAP, m->fsid, 32, 128 + (size_t)count * 8);

	if (req) {
		svc_put_u64(svc_payload(req), pc->inode->ino);
		svc_put_u64(svc_payload(req), first);
		svc_put_u32(svc_payload(req), count);
		svc_put_u32(svc_payload(req), alloc);
	}
	return req;
}

/* Tells the page cache which pages of a read have all their blocks on the disk. */
static void note_mapped(struct page_io *io, struct ext2v_mount *m, const uint64_t *blk)
{
	uint32_t per_page = PAGE_SIZE / m->block_size;

	for (unsigned p = 0; p < io->n; p++) {
		bool all = true;

		for (uint32_t i = 0; i < per_page; i++)
			all &= blk[p * per_page + i] != 0;
		if (all)
			pagecache_set_mapped(io->pc, io->index + p);
	}
}

static void read_finished(struct page_io *io)
{
	pagecache_read_done(io->pc, io->index, io->n, io->err);
	kfree(io);
}

/* The blocks of a read are known (in the ext2 service's thread): start the bios. */
static void read_mapped(struct svc_request *req)
{
	struct page_io *io = req->cookie;
	struct ext2v_mount *m = io->pc->fs;
	uint32_t count = io->n * (PAGE_SIZE / m->block_size);
	uint64_t *blk = kmalloc(count * sizeof(*blk));
	struct svc_reader r;
	int err = req->status;

	svc_reply_reader(req, &r);
	if (!err)
		err = blk ? parse_map(m, &r, blk, count, false) : -ENOMEM;
	if (!err)
		note_mapped(io, m, blk);
	if (!err)
		transfer(io, m, BIO_READ, blk, count);
	else
		io->err = err;
	kfree(blk);
	svc_request_put(req);
	io_put(io);
}

static void ext2v_start_read(struct pagecache *pc, uint64_t index, unsigned n, struct page **pages)
{
	struct ext2v_mount *m = pc->fs;
	uint32_t per_page = PAGE_SIZE / m->block_size;
	struct page_io *io = kzalloc(sizeof(*io));
	struct svc_request *req = io ? bmap_req(pc, index * per_page, n * per_page, false) : NULL;

	if (!req) {
		kfree(io);
		pagecache_read_done(pc, index, n, -ENOMEM);
		return;
	}
	io->pc = pc;
	io->index = index;
	io->n = n;
	io->pending = 1;
	io->done = read_finished;
	memcpy(io->pages, pages, n * sizeof(*pages));
	svc_submit(ext2_svc, req, read_mapped, io);
}

/*
 * The flusher waits for its page writes here. The queue is not in the
 * page_io (which is on the flusher's stack): once finished is set the
 * waiter may return, so finished is the completion's last touch of it.
 */
static struct waitq write_wq = { .lock = SPINLOCK_INIT("ext2-write"),
				 .waiters = LIST_HEAD_INIT(write_wq.waiters) };

static void sync_finished(struct page_io *io)
{
	unsigned long f = spin_lock_irqsave(&write_wq.lock);

	WRITE_ONCE(io->finished, true);
	spin_unlock_irqrestore(&write_wq.lock, f);
	waitq_wake_all(&write_wq);
}

/* The end of a BMAP reply with alloc: the blocks it took come off the free count. */
static int note_allocated(struct ext2v_mount *m, struct svc_reader *r)
{
	uint64_t n = svc_get_u64(r);

	if (r->error)
		return -EIO;
	pc_space_allocated(&m->space, (int64_t)MIN(n, (uint64_t)INT64_MAX));
	return 0;
}

/* The flusher: allocates the blocks of the pages (up to size) and writes them. */
static int ext2v_write_pages(struct pagecache *pc, uint64_t index, unsigned n, struct page **pages,
			     int64_t size)
{
	struct ext2v_mount *m = pc->fs;
	uint32_t bs = m->block_size, per_page = PAGE_SIZE / bs;
	int64_t start = (int64_t)(index << PAGE_SHIFT);
	int64_t end = MIN(size, (int64_t)((index + n) << PAGE_SHIFT));
	uint32_t count = (uint32_t)((end - start + bs - 1) / bs);
	struct page_io io = { .pc = pc, .index = index, .n = n, .pending = 1 };
	struct svc_request *done;
	struct svc_reader r;
	struct ext2_attr a;
	uint64_t *blk;
	int err;

	if (pc->inode->nlink == 0 || end <= start)
		return 0; /* unlinked: nobody will read it */
	blk = kmalloc(count * sizeof(*blk));
	err = blk ? ext2v_call(bmap_req(pc, index * per_page, count, true), &done, &r) : -ENOMEM;
	if (err == EXT2_UNSETTLED && !bcache_sync(m->bd)) {
		/* blocks freed since the last pass are handed out once one settles them (alloc.c) */
		svc_request_put(done);
		err = ext2v_call(bmap_req(pc, index * per_page, count, true), &done, &r);
	}
	if (err == EXT2_UNSETTLED)
		err = -ENOSPC;
	if (!err)
		err = parse_map(m, &r, blk, count, true);
	if (!err && !get_attr(&r, &a))
		WRITE_ONCE(pc->inode->blocks, a.blocks);
	if (!err)
		err = note_allocated(m, &r);
	if (blk)
		svc_request_put(done);
	if (!err) {
		io.done = sync_finished;
		memcpy(io.pages, pages, n * sizeof(*pages));
		transfer(&io, m, BIO_WRITE, blk, count);
		io_put(&io);
		waitq_wait_until(&write_wq, READ_ONCE(io.finished));
		err = io.err;
	}
	kfree(blk);
	return err;
}

/*
 * One SETATTR of the size and times, from the flusher; a cut takes one
 * request per bounded step of the service (the reply's size is where the
 * step got to), each of which must free something.
 */
static int send_size(struct inode *inode, int64_t size, int64_t atime, int64_t mtime, int64_t ctime)
{
	struct ext2_attr a = { .size = INT64_MAX, .blocks = INT64_MAX };
	int64_t last_size, last_blocks;
	struct svc_request *done;
	struct svc_reader r;
	int err;

	do {
		last_size = a.size;
		last_blocks = a.blocks;
		err = ext2v_call(setattr_req(inode, ATTR_SIZE | ATTR_ATIME | ATTR_MTIME,
					     inode->mode, 0, 0, size, atime, mtime, ctime),
				 &done, &r);
		if (!err && get_attr(&r, &a))
			err = -EIO;
		svc_request_put(done);
	} while (!err && a.size > size && (a.size < last_size || a.blocks < last_blocks));
	return !err && a.size > size ? -EIO : err;
}

/* The flusher: a cut (which frees the blocks past it), then the size and times the core has. */
static int ext2v_write_inode(struct pagecache *pc, int64_t trunc_to)
{
	struct inode *inode = pc->inode;
	unsigned long f = spin_lock_irqsave(&inode->lock);
	int64_t size = inode->size, atime = inode->atime.sec, mtime = inode->mtime.sec;
	int64_t ctime = inode->ctime.sec;
	int err = 0;

	spin_unlock_irqrestore(&inode->lock, f);
	if (inode->nlink == 0)
		return 0; /* unlinked: its blocks go at EXT2_EVICT */
	if (trunc_to >= 0 && trunc_to < size)
		err = send_size(inode, trunc_to, atime, mtime, ctime);
	return err ? err : send_size(inode, size, atime, mtime, ctime);
}

/* Indirect levels above logical block b (0: direct, 3: triple). */
static unsigned map_depth(uint64_t b, uint32_t bs)
{
	uint64_t per = bs / 4, reach = per;

	if (b < EXT2_NDIR)
		return 0;
	b -= EXT2_NDIR;
	for (unsigned level = 1; level < 3; level++, reach *= per) {
		if (b < reach)
			return level;
		b -= reach;
	}
	return 3;
}

/*
 * The most blocks writing page index can take: its data blocks, and one
 * indirect block per level above its last block (the page's blocks share
 * one path: the direct blocks and every indirect block's reach are whole
 * pages).
 */
static unsigned ext2v_page_blocks(struct pagecache *pc, uint64_t index)
{
	struct ext2v_mount *m = pc->fs;
	uint32_t per_page = PAGE_SIZE / m->block_size;

	return per_page + map_depth((index + 1) * per_page - 1, m->block_size);
}

static const struct pagecache_ops ext2v_pc_ops = {
	.start_read = ext2v_start_read,
	.write_pages = ext2v_write_pages,
	.write_inode = ext2v_write_inode,
	.page_blocks = ext2v_page_blocks,
};

/* ---- Mounts -------------------------------------------------------------- */

/* The counts of an EXT2_STATFS reply, as the service has them. */
struct ext2v_counts {
	uint64_t blocks, free, files, ffree, root_blocks;
	uint32_t bsize;
};

static int get_counts(uint32_t fsid, struct ext2v_counts *c)
{
	struct svc_request *req = ext2v_req(EXT2_STATFS, fsid, 0, REPLY_SMALL), *done;
	struct svc_reader r;
	int err = ext2v_call(req, &done, &r);

	if (!err) {
		c->blocks = svc_get_u64(&r);
		c->free = svc_get_u64(&r);
		c->files = svc_get_u64(&r);
		c->ffree = svc_get_u64(&r);
		c->bsize = svc_get_u32(&r);
		c->root_blocks = svc_get_u64(&r);
		if (r.error || c->free > c->blocks || c->root_blocks > c->free)
			err = -EIO;
	}
	svc_request_put(done);
	return err;
}

/* Free blocks less those reserved for data not written back, and less root's for f_bavail. */
static int ext2v_statfs(struct super_block *sb, struct statfs *st)
{
	struct ext2v_counts c;
	int64_t free;
	int err = get_counts(EM(sb)->fsid, &c);

	if (err)
		return err;
	free = (int64_t)c.free - pc_space_reserved(&EM(sb)->space);
	st->f_blocks = c.blocks;
	st->f_bfree = (uint64_t)MAX(free, 0);
	st->f_bavail = (uint64_t)MAX(free - (int64_t)c.root_blocks, 0);
	st->f_files = c.files;
	st->f_ffree = c.ffree;
	st->f_bsize = c.bsize;
	st->f_namelen = EXT2_NAME_MAX;
	return 0;
}

/* The flusher: the free count learned again when more than its own allocations changed it. */
static void learn_free(struct ext2v_mount *m)
{
	uint64_t changes = pc_space_changes(&m->space);
	struct ext2v_counts c;

	if (pc_space_stale(&m->space) && !get_counts(m->fsid, &c))
		pc_space_set_free(&m->space, (int64_t)c.free, (int64_t)c.root_blocks, changes);
}

/* syncfs and unmount: everything written (-EWAIT for user threads meanwhile). */
static int ext2v_sync_fs(struct super_block *sb)
{
	(void)sb;
	return writeback_sync_all();
}

static void umount_done(struct svc_request *req)
{
	struct ext2v_mount *m = req->cookie;

	if (bcache_sync(m->bd))
		pr_err("ext2: %s: writing the metadata failed at unmount\n", m->bd->name);
	bcache_drop(m->bd);
	svc_request_put(req);
	kfree(m);
}

static void send_umount(struct ext2v_mount *m)
{
	struct svc_request *req = ext2v_req(EXT2_UMOUNT, m->fsid, 0, 16);

	if (req)
		svc_submit(ext2_svc, req, umount_done, m);
	else
		kfree(m);
}

/*
 * The tree is gone and every inode evicted: the service forgets the file
 * system, once the inodes being freed on the disk are (evict_end).
 */
static void ext2v_put_super(struct super_block *sb)
{
	struct ext2v_mount *m = EM(sb);
	unsigned long f = spin_lock_irqsave(&mounts_lock);
	bool now;

	m->dying = true;
	now = mount_done_locked(m);
	spin_unlock_irqrestore(&mounts_lock, f);
	if (now)
		send_umount(m);
}

static const struct super_ops ext2v_super_ops = {
	.evict_inode = ext2v_evict,
	.put_super = ext2v_put_super,
	.statfs = ext2v_statfs,
	.sync_fs = ext2v_sync_fs,
};

/* A device named "vda" or "/dev/vda" among the registered ones, or NULL. */
static struct block_device *block_by_name(const char *name)
{
	struct block_device *bd;

	if (!strncmp(name, "/dev/", 5))
		name += 5;
	for (unsigned i = 0; (bd = block_nth(i)) != NULL; i++)
		if (!strcmp(bd->name, name))
			return bd;
	return NULL;
}

/* The block device a mount names (a path to a block special file). */
static int find_device(const char *source, struct block_device **out)
{
	struct dentry *d;
	int r;

	if (!source)
		return -ENOTBLK;
	*out = block_by_name(source);
	if (*out)
		return 0;
	r = vfs_lookup(NULL, source, LOOKUP_FOLLOW, &d);
	if (r)
		return r;
	if (!S_ISBLK(d->inode->mode))
		r = -ENOTBLK;
	else if (!(*out = block_by_rdev(d->inode->rdev)))
		r = -ENXIO;
	dentry_put(d);
	return r;
}

static bool mounted(uint32_t fsid)
{
	unsigned long f = spin_lock_irqsave(&mounts_lock);
	struct ext2v_mount *m;
	bool found = false;

	list_for_each_entry (m, &mounts, node)
		found |= m->fsid == fsid;
	spin_unlock_irqrestore(&mounts_lock, f);
	return found;
}

/* Asks the service to mount: the block size, the root's attributes, the first orphan. */
static int mount_request(struct block_device *bd, uint32_t flags, uint32_t *bs,
			 struct ext2_attr *root, uint32_t *orphan)
{
	struct svc_request *req = ext2v_req(EXT2_MOUNT, bd->rdev, 8, REPLY_SMALL), *done;
	struct svc_reader r;
	int err;

	if (req) {
		svc_put_u32(svc_payload(req), bd->rdev);
		svc_put_u32(svc_payload(req), flags);
	}
	err = ext2v_call(req, &done, &r);
	if (!err) {
		root->ino = svc_get_u64(&r);
		*bs = svc_get_u32(&r);
		if (get_attr(&r, root) || (*bs != 1024 && *bs != 2048 && *bs != 4096) ||
		    !S_ISDIR(root->mode))
			err = -EIO;
		*orphan = svc_get_u32(&r);
		if (r.error)
			err = -EIO;
	}
	svc_request_put(done);
	return err;
}

/* Blocks a file of n data blocks needs in all: the data and the indirect blocks mapping it. */
static uint64_t dense_blocks(uint64_t n, uint64_t per)
{
	uint64_t total = n, single, dbl;

	if (n <= EXT2_NDIR)
		return total;
	n -= EXT2_NDIR;
	total += 1; /* the single indirect block */
	if (n <= per)
		return total;
	n -= per;
	single = MIN(n, per * per);
	total += 1 + (single + per - 1) / per; /* the double indirect block and its children */
	if (n <= per * per)
		return total;
	n -= per * per;
	dbl = (n + per * per - 1) / (per * per);
	return total + 1 + dbl + (n + per - 1) / per; /* triple: itself, doubles, singles */
}

/*
 * The largest file size on a file system of block size bs: as many blocks
 * as the triple-indirect map reaches, and no more than an i_blocks of 32
 * bits (512-byte units, indirect blocks counted) can count.
 */
static int64_t max_file_size(uint32_t bs)
{
	uint64_t per = bs / 4, reach = EXT2_NDIR + per + per * per + per * per * per;
	uint64_t count_max = 0xffffffffull / (bs / 512), lo = 0, hi = reach;

	while (lo < hi) { /* the largest n <= reach whose dense file i_blocks can count */
		uint64_t mid = lo + (hi - lo + 1) / 2;

		if (dense_blocks(mid, per) <= count_max)
			lo = mid;
		else
			hi = mid - 1;
	}
	return (int64_t)(lo * bs);
}

static struct ext2v_mount *mount_alloc(struct block_device *bd, uint32_t flags, uint32_t bs)
{
	struct ext2v_mount *m = kzalloc(sizeof(*m));

	if (!m)
		return NULL;
	m->fsid = bd->rdev;
	m->flags = flags;
	m->bd = bd;
	m->block_size = bs;
	m->max_size = max_file_size(bs);
	pc_space_init(&m->space);
	list_init(&m->unsettled);
	spin_init(&m->ihash_lock, "ext2-inodes");
	for (int i = 0; i < IHASH_SIZE; i++)
		list_init(&m->ihash[i]);
	return m;
}

static int ext2v_mount(const struct fs_type *type, const char *source, unsigned long flags,
		       const void *data, struct super_block **out)
{
	uint32_t mflags = (flags & MS_RDONLY) ? EXT2_MOUNT_RDONLY : 0, bs = 0, orphan = 0;
	struct block_device *bd;
	struct ext2v_counts counts;
	struct ext2_attr root;
	struct ext2v_mount *m;
	struct inode *inode;
	struct super_block *sb;
	unsigned long f;
	int err = find_device(source, &bd);

	(void)data;
	if (!err && mounted(bd->rdev))
		err = -EBUSY;
	if (!err && bd->read_only)
		mflags |= EXT2_MOUNT_RDONLY;
	if (!err)
		err = mount_request(bd, mflags, &bs, &root, &orphan);
	if (!err)
		err = get_counts(bd->rdev,
				 &counts); /* before anything allocates: a run again repeats it */
	if (err)
		return err;
	m = mount_alloc(bd, mflags, bs);
	if (m)
		pc_space_set_free(&m->space, (int64_t)counts.free, (int64_t)counts.root_blocks, 0);
	sb = m ? super_alloc(type, &ext2v_super_ops) : NULL;
	if (!sb) {
		kfree(m);
		return -ENOMEM;
	}
	sb->dev = bd->rdev;
	sb->private = m;
	m->sb = sb;
	inode = ext2v_iget(m, &root);
	sb->root = inode ? d_alloc_root(inode) : NULL;
	if (!sb->root) {
		if (inode)
			inode_put(inode);
		kfree(sb);
		kfree(m);
		return -ENOMEM;
	}
	f = spin_lock_irqsave(&mounts_lock);
	list_add_tail(&m->node, &mounts);
	spin_unlock_irqrestore(&mounts_lock, f);
	if (orphan && !(mflags & EXT2_MOUNT_RDONLY))
		evict_start(m, orphan, true); /* deletes a power cut or a failure left */
	*out = sb;
	return 0;
}

/* ---- Ops tables, start-up, shutdown -------------------------------------- */

static const struct inode_ops ext2v_dir_iops = {
	.fill_dir = ext2v_fill_dir,
	.create = ext2v_create,
	.mkdir = ext2v_create,
	.mknod = ext2v_mknod,
	.symlink = ext2v_symlink,
	.link = ext2v_link,
	.unlink = ext2v_unlink,
	.rmdir = ext2v_rmdir,
	.rename = ext2v_rename,
	.setattr = ext2v_setattr,
};

static const struct inode_ops ext2v_file_iops = {
	.setattr = ext2v_setattr,
	.get_page = ext2v_get_page,
	.set_page_dirty = ext2v_set_page_dirty,
	.page_mkwrite = ext2v_page_mkwrite,
	.populate = ext2v_populate,
};

static const struct inode_ops ext2v_link_iops = {
	.readlink = ext2v_readlink,
	.setattr = ext2v_setattr,
};

static const struct inode_ops ext2v_node_iops = {
	.setattr = ext2v_setattr,
};

static const struct file_ops ext2v_dir_fops = {
	.readdir = ext2v_readdir,
	.fsync = ext2v_fsync,
};

static const struct file_ops ext2v_file_fops = {
	.read = ext2v_read,
	.write = ext2v_write,
	.fsync = ext2v_fsync,
};

static struct fs_type ext2v_type = {
	.name = "ext2",
	.mount = ext2v_mount,
};

/* The flusher's second half: the metadata of every mounted file system reaches its disk. */
/* The mounts now, copied out of the list (its lock is not held across I/O); returns how many. */
static int mounts_now(struct ext2v_mount *out[EXT2_MAX_MOUNTS])
{
	unsigned long f = spin_lock_irqsave(&mounts_lock);
	struct ext2v_mount *m;
	int n = 0;

	list_for_each_entry (m, &mounts, node)
		if (n < EXT2_MAX_MOUNTS)
			out[n++] = m;
	spin_unlock_irqrestore(&mounts_lock, f);
	return n;
}

/*
 * A metadata write of m failed: syncfs on it reports it. Once put_super
 * has marked m dying its super block goes, so it is not touched then.
 */
static void metadata_error(struct ext2v_mount *m)
{
	unsigned long f = spin_lock_irqsave(&mounts_lock);

	if (!m->dying)
		errseq_set(&m->sb->wb_err, -EIO);
	spin_unlock_irqrestore(&mounts_lock, f);
}

static int sync_metadata(void)
{
	struct ext2v_mount *list[EXT2_MAX_MOUNTS];
	int n = mounts_now(list), err = 0;

	for (int i = 0; i < n; i++) {
		if (list[i]->flags & EXT2_MOUNT_RDONLY)
			continue;
		LIST_HEAD(jobs);
		int r;

		learn_free(list[i]);
		take_unsettled(list[i], &jobs);
		r = bcache_sync(list[i]->bd);
		if (r) {
			metadata_error(list[i]);
			err = -EIO;
		}
		evict_settled(&jobs, !r);
	}
	return err;
}

void ext2_init(void)
{
	struct ext2_state *state = kzalloc(sizeof(*state));

	ext2_svc = state ? svc_start("ext2", &ext2_service_ops, state, 0) : NULL;
	if (!ext2_svc) {
		pr_err("ext2: cannot start the service\n");
		return;
	}
	wait_source_init(&recovered_src, "ext2-recovery");
	register_filesystem(&ext2v_type);
	writeback_register_fs(sync_metadata, ext2_shutdown);
}

void ext2_shutdown(void)
{
	struct ext2v_mount *list[EXT2_MAX_MOUNTS];
	int n;

	/* Inodes being freed: every step is bounded, so the chains end. */
	sync_metadata(); /* chains waiting for a pass start */
	waitq_wait_until(&evict_wq, __atomic_load_n(&evictions, __ATOMIC_ACQUIRE) == 0);
	n = mounts_now(list);

	for (int i = 0; i < n; i++) {
		struct svc_request *req = ext2v_req(EXT2_UMOUNT, list[i]->fsid, 0, 16), *done;
		struct svc_reader r;

		if (ext2v_call(req, &done, &r))
			pr_err("ext2: %s: unmounting at shutdown failed\n", list[i]->bd->name);
		svc_request_put(done);
		if (bcache_sync(list[i]->bd))
			pr_err("ext2: %s: writing the metadata at shutdown failed\n",
			       list[i]->bd->name);
	}
}
