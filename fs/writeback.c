/*
 * The flusher (include/fs/writeback.h): one kernel thread that writes the
 * page caches on the dirty list, then asks each registered file system to
 * write its metadata and flush its devices. It runs every
 * WRITEBACK_PERIOD_MS, and at once when a sync is asked for; a run of the
 * file systems' part alone comes WRITEBACK_SOON_MS after writeback_soon.
 *
 * The dirty list holds a reference on each inode on it, so that a file
 * closed and forgotten keeps its data until it is on the disk.
 */
#include <fs/writeback.h>
#include <fs/pagecache.h>
#include <fs/vfs.h>
#include <kernel/power.h>
#include <kernel/printk.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/timer.h>
#include <kernel/wait.h>
#include <lib/compiler.h>
#include <mm/oom.h>
#include <uapi/errno.h>

#define MAX_FS 4

static struct waitq flusher_wq = { .lock = SPINLOCK_INIT("writeback"),
				   .waiters = LIST_HEAD_INIT(flusher_wq.waiters) };
#define wb_lock (flusher_wq.lock)
static LIST_HEAD(dirty_list);	    /* (wb_lock) struct pagecache.dirty_node */
static uint64_t sync_asked;	    /* (wb_lock) the last generation asked for */
static uint64_t sync_done;	    /* (wb_lock) every generation up to this one is done */
static int sync_error;		    /* (wb_lock) -EIO if the last completed sync failed */
static bool period_due;		    /* (wb_lock) */
static bool metadata_due;	    /* (wb_lock) writeback_soon: the file systems' part only */
static struct wait_source done_src; /* syncs waiting for sync_done */
static int (*fs_syncs[MAX_FS])(void);
static void (*fs_shutdowns[MAX_FS])(void);
static struct ktimer period_timer; /* the timer code's lock (kernel/timer.c) */
static struct ktimer soon_timer;   /* the same: writeback_soon's run */
static const struct reclaim_writeback pressure_writeback;

void writeback_add(struct pagecache *pc)
{
	unsigned long flags = spin_lock_irqsave(&wb_lock);

	if (!pc->on_dirty_list) {
		pc->on_dirty_list = true;
		inode_get(pc->inode);
		list_add_tail(&pc->dirty_node, &dirty_list);
	}
	spin_unlock_irqrestore(&wb_lock, flags);
}

void writeback_register_fs(int (*sync_fs)(void), void (*shutdown)(void))
{
	for (int i = 0; i < MAX_FS; i++) {
		if (!fs_syncs[i]) {
			fs_syncs[i] = sync_fs;
			fs_shutdowns[i] = shutdown;
			return;
		}
	}
}

/* Takes the first cache off the dirty list (its reference goes to the caller). */
static struct pagecache *next_dirty(struct list_head *round)
{
	unsigned long flags = spin_lock_irqsave(&wb_lock);
	struct pagecache *pc = NULL;

	if (!list_empty(round)) {
		pc = list_first_entry(round, struct pagecache, dirty_node);
		list_del(&pc->dirty_node);
		pc->on_dirty_list = false;
	}
	spin_unlock_irqrestore(&wb_lock, flags);
	return pc;
}

/* Every file system's part: its metadata and its devices' caches; the first error. */
static int flush_metadata(void)
{
	int err = 0;

	for (int i = 0; i < MAX_FS && fs_syncs[i]; i++) {
		int r = fs_syncs[i]();

		err = err ? err : r;
	}
	return err;
}

/*
 * One pass over everything dirty. Data errors go to the files' errseqs
 * (fsync and syncfs report them) and the log; the result is the first
 * metadata or device-flush error, which every sync of the pass reports.
 */
static int flush_everything(void)
{
	struct list_head round;
	unsigned long flags = spin_lock_irqsave(&wb_lock);
	struct pagecache *pc;

	list_init(&round);
	while (!list_empty(&dirty_list)) /* what gets dirty meanwhile waits for the next pass */
		list_move_tail(dirty_list.next, &round);
	spin_unlock_irqrestore(&wb_lock, flags);
	while ((pc = next_dirty(&round)) != NULL) {
		int r = pagecache_writeback(pc);

		if (r)
			pr_warn("writeback: inode %lu: writing its data failed (%d)\n",
				(unsigned long)pc->inode->ino, r);
		inode_put(pc->inode);
	}
	return flush_metadata();
}

static void period_tick(struct ktimer *t)
{
	unsigned long flags = spin_lock_irqsave(&wb_lock);

	period_due = true;
	spin_unlock_irqrestore(&wb_lock, flags);
	waitq_wake_all(&flusher_wq);
	ktimer_arm(t, deadline_after(WRITEBACK_PERIOD_MS * NSEC_PER_MSEC));
}

/* The file systems' part of a run, without waiting for the period (writeback_soon). */
static void soon_tick(struct ktimer *t)
{
	unsigned long flags = spin_lock_irqsave(&wb_lock);

	(void)t;
	metadata_due = true;
	spin_unlock_irqrestore(&wb_lock, flags);
	waitq_wake_all(&flusher_wq);
}

void writeback_soon(void)
{
	if (!ktimer_remaining(&soon_timer)) /* two callers at once arm it twice: harmless */
		ktimer_arm(&soon_timer, deadline_after(WRITEBACK_SOON_MS * NSEC_PER_MSEC));
}

static void flusher_main(void *arg)
{
	(void)arg;
	for (;;) {
		unsigned long flags;
		uint64_t gen;
		int err;

		bool data;

		waitq_wait_until(&flusher_wq,
				 period_due || metadata_due || sync_asked != sync_done);
		flags = spin_lock_irqsave(&wb_lock);
		data = period_due || sync_asked != sync_done;
		period_due = metadata_due = false;
		gen = sync_asked;
		spin_unlock_irqrestore(&wb_lock, flags);
		err = data ? flush_everything() : flush_metadata();
		if (err)
			pr_warn("writeback: writing metadata failed (%d)\n", err);
		if (!data)
			continue; /* no sync waits for a metadata run */
		flags = spin_lock_irqsave(&wb_lock);
		sync_done = gen;
		sync_error = err;
		spin_unlock_irqrestore(&wb_lock, flags);
		wait_wake_all(&done_src);
	}
}

void writeback_init(void)
{
	struct thread *t;

	wait_source_init(&done_src, "sync");
	t = kthread_create("flusher", flusher_main, NULL);
	if (t)
		kthread_detach(t);
	ktimer_init(&period_timer, period_tick);
	ktimer_init(&soon_timer, soon_tick);
	ktimer_arm(&period_timer, deadline_after(WRITEBACK_PERIOD_MS * NSEC_PER_MSEC));
	reclaim_register_writeback(&pressure_writeback);
}

/* A new generation to wait for. */
static uint64_t ask_sync(void)
{
	unsigned long flags = spin_lock_irqsave(&wb_lock);
	uint64_t gen = ++sync_asked;

	spin_unlock_irqrestore(&wb_lock, flags);
	waitq_wake_all(&flusher_wq);
	return gen;
}

static bool generation_done(uint64_t gen, int *err)
{
	unsigned long flags = spin_lock_irqsave(&wb_lock);
	bool done = sync_done >= gen;

	*err = sync_error;
	spin_unlock_irqrestore(&wb_lock, flags);
	return done;
}

/* Memory pressure (mm/oom.c): a write-back of everything dirty, and whether it is done. */
static bool pressure_done(uint64_t gen)
{
	int err;

	return generation_done(gen, &err);
}

static const struct reclaim_writeback pressure_writeback = {
	.dirty_pages = pagecache_dirty_pages,
	.start = ask_sync,
	.done = pressure_done,
};

void writeback_start(void)
{
	ask_sync();
}

/*
 * The generation this sync waits for: asked once per call (a user call
 * keeps it in its progress record between runs).
 */
static uint64_t sync_generation(void)
{
	struct fs_progress *fp;

	if (!wait_restarts())
		return ask_sync(); /* this run is the only one */
	fp = progress_fs(current_wait());
	if (!fp->sync_gen)
		fp->sync_gen = ask_sync();
	return fp->sync_gen;
}

int writeback_sync_all(void)
{
	uint64_t gen = sync_generation();

	for (;;) {
		unsigned long flags = spin_lock_irqsave(&done_src.lock);
		long r;
		int err;

		if (generation_done(gen, &err)) {
			spin_unlock_irqrestore(&done_src.lock, flags);
			return err;
		}
		wait_event_locked(&done_src, 0, WAIT_UNINTERRUPTIBLE);
		spin_unlock_irqrestore(&done_src.lock, flags);
		r = wait_event_sleep();
		if (r)
			return (int)r;
	}
}

static void shutdown_main(void *arg)
{
	int err = writeback_sync_all();

	if (err)
		pr_err("shutdown: the last sync failed (%d)\n", err);
	for (int i = 0; i < MAX_FS && fs_syncs[i]; i++)
		if (fs_shutdowns[i])
			fs_shutdowns[i]();
	machine_poweroff((int)(intptr_t)arg);
}

void writeback_shutdown_then_poweroff(int status)
{
	static bool started; /* (a) */
	struct thread *t;

	/* Once: reboot(POWER_OFF) and then init's exit must not race two syncs to the end. */
	if (__atomic_exchange_n(&started, true, __ATOMIC_ACQ_REL))
		return;
	t = kthread_create("shutdown", shutdown_main, (void *)(intptr_t)status);

	if (!t)
		machine_poweroff(status); /* no memory for the last sync: go anyway */
	kthread_detach(t);
}
