/*
 * procfs, the file system (include/fs/procfs.h): the names under /proc,
 * lookups of process and descriptor numbers, directory listings, the
 * links /proc/self and /proc/PID/fd/N, and open files whose text the
 * generators of fs/procfs_show.c write once, at open, into a buffer kept
 * with the open file. The VFS calls the ops; vfs_init mounts it on /proc.
 *
 * Names that always exist (meminfo, self, axolotl/stats...) go into the
 * dentry tree at mount. The others are made on demand by ->lookup:
 * /proc/PID for a process that exists, its fixed entries, and
 * /proc/PID/fd/N for an open descriptor. The dentry cache keeps what it
 * has seen, so such names can outlive what they stand for: every use
 * checks again (open and readlink give -ENOENT once the process or the
 * descriptor is gone), and the next lookup miss or listing of their
 * directory prunes the entries of what is gone from the tree, which so
 * stays about as large as what exists.
 *
 * Inode numbers follow from what an inode names, so that a listing gives
 * the numbers stat will: fixed entries carry theirs in their table, the
 * others are (pid << 16) | what.
 *
 * Lock order (its part of the one in include/kernel/spinlock.h): a
 * directory's inode lock (lookups hold it; pruning takes
 * parent before child), then proc_tree_lock, a process's lock and what
 * the generators take under it; separately, inode lock then dcache_lock.
 */
#include <fs/procfs.h>
#include <svc/fault_inject.h>
#include <fs/dcache.h>
#include <fs/fdtable.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/ptrace.h>
#include <lib/err.h>
#include <kernel/thread.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

enum proc_kind {
	PROC_ROOT,     /* /proc */
	PROC_DIR,      /* a directory of fixed entries (/proc/axolotl) */
	PROC_FILE,     /* generated text */
	PROC_SELF,     /* /proc/self */
	PROC_PID_DIR,  /* /proc/PID */
	PROC_FD_DIR,   /* /proc/PID/fd */
	PROC_FD_LINK,  /* /proc/PID/fd/N */
	PROC_EXE_LINK, /* /proc/PID/exe */
	PROC_MEM,      /* /proc/PID/mem: the process's memory, as ptrace sees it */
	PROC_KINDS,
};

/* What a procfs inode stands for (inode->private); all are constant tables. */
struct proc_entry {
	const char *name;
	enum proc_kind kind;
	unsigned mode;
	uint64_t ino;		     /* fixed entries; those under /proc/PID compute theirs */
	proc_show_fn show;	     /* PROC_FILE */
	proc_write_fn write;	     /* PROC_FILE that root may write, line by line */
	proc_pid_write_fn write_pid; /* the same under /proc/PID */
	const struct proc_entry *children;
	size_t nr_children;
};

#define FILE_MODE (S_IFREG | 0444)
#define DIR_MODE  (S_IFDIR | 0555)

#define INO_ROOT	   1
#define INO_PID(pid, what) (((uint64_t)(pid) << 16) | (what))
#define INO_PID_OF(ino)	   ((int)((ino) >> 16)) /* 0 outside /proc/PID */
#define INO_WHAT(ino)	   ((unsigned)((ino)&0xffff))
#define WHAT_DIR	   0u			/* /proc/PID itself */
#define WHAT_ENTRY(i)	   (1u + (unsigned)(i)) /* pid_entries[i] */
#define WHAT_FD_BASE	   0x1000u		/* /proc/PID/fd/N: WHAT_FD_BASE + N */
#define FD_OF(ino)	   ((int)(INO_WHAT(ino) - WHAT_FD_BASE))

#define SEQ_FIRST 1024u	     /* bytes a generated file starts with */
#define SEQ_MAX	  (4u << 20) /* and may grow to: the largest kmalloc block */

#define FILE_ENTRY(n, i, fn)                                                                \
	{                                                                                   \
		.name = (n), .kind = PROC_FILE, .mode = FILE_MODE, .ino = (i), .show = (fn) \
	}

static const struct proc_entry axolotl_entries[] = {
	FILE_ENTRY("stats", 32, proc_show_axolotl_stats),
	FILE_ENTRY("profile", 33, proc_show_axolotl_profile),
};

#define WRITABLE_ENTRY(n, i, fn, wfn)                                                             \
	{                                                                                         \
		.name = (n), .kind = PROC_FILE, .mode = S_IFREG | 0644, .ino = (i), .show = (fn), \
		.write = (wfn)                                                                    \
	}

static const struct proc_entry sys_vm_entries[] = {
	WRITABLE_ENTRY("overcommit_memory", 40, proc_show_overcommit_memory,
		       proc_write_overcommit_memory),
	WRITABLE_ENTRY("overcommit_ratio", 41, proc_show_overcommit_ratio,
		       proc_write_overcommit_ratio),
	WRITABLE_ENTRY("drop_caches", 42, proc_show_drop_caches, proc_write_drop_caches),
	WRITABLE_ENTRY("max_map_count", 141, proc_show_max_map_count, proc_write_max_map_count),
};

/* Fixed values (read-only, where Linux lets root change them). */
static const struct proc_entry sys_fs_inotify_entries[] = {
	FILE_ENTRY("max_queued_events", 65, proc_show_inotify_max_queued_events),
	FILE_ENTRY("max_user_instances", 66, proc_show_inotify_max_user_instances),
	FILE_ENTRY("max_user_watches", 67, proc_show_inotify_max_user_watches),
};

static const struct proc_entry sys_fs_entries[] = {
	{ .name = "inotify",
	  .kind = PROC_DIR,
	  .mode = DIR_MODE,
	  .ino = 64,
	  .children = sys_fs_inotify_entries,
	  .nr_children = ARRAY_SIZE(sys_fs_inotify_entries) },
	WRITABLE_ENTRY("nr_open", 140, proc_show_nr_open, proc_write_nr_open),
	WRITABLE_ENTRY("suid_dumpable", 146, proc_show_suid_dumpable, proc_write_suid_dumpable),
};

static const struct proc_entry sys_kernel_entries[] = {
	WRITABLE_ENTRY("core_pattern", 144, proc_show_core_pattern, proc_write_core_pattern),
	WRITABLE_ENTRY("core_uses_pid", 145, proc_show_core_uses_pid, proc_write_core_uses_pid),
	WRITABLE_ENTRY("randomize_va_space", 143, proc_show_randomize_va_space,
		       proc_write_randomize_va_space),
};

static const struct proc_entry sys_entries[] = {
	{ .name = "fs",
	  .kind = PROC_DIR,
	  .mode = DIR_MODE,
	  .ino = 63,
	  .children = sys_fs_entries,
	  .nr_children = ARRAY_SIZE(sys_fs_entries) },
	{ .name = "vm",
	  .kind = PROC_DIR,
	  .mode = DIR_MODE,
	  .ino = 39,
	  .children = sys_vm_entries,
	  .nr_children = ARRAY_SIZE(sys_vm_entries) },
	{ .name = "kernel",
	  .kind = PROC_DIR,
	  .mode = DIR_MODE,
	  .ino = 142,
	  .children = sys_kernel_entries,
	  .nr_children = ARRAY_SIZE(sys_kernel_entries) },
};

static const struct proc_entry net_entries[] = {
	FILE_ENTRY("unix", 62, proc_show_net_unix),
};

static const struct proc_entry root_entries[] = {
	FILE_ENTRY("meminfo", 2, proc_show_meminfo),
	FILE_ENTRY("uptime", 3, proc_show_uptime),
	FILE_ENTRY("cpuinfo", 4, proc_show_cpuinfo),
	FILE_ENTRY("mounts", 5, proc_show_mounts),
	FILE_ENTRY("version", 6, proc_show_version),
	FILE_ENTRY("stat", 7, proc_show_stat),
	FILE_ENTRY("loadavg", 8, proc_show_loadavg),
	{ .name = "self", .kind = PROC_SELF, .mode = S_IFLNK | 0777, .ino = 9 },
	{ .name = "axolotl",
	  .kind = PROC_DIR,
	  .mode = DIR_MODE,
	  .ino = 10,
	  .children = axolotl_entries,
	  .nr_children = ARRAY_SIZE(axolotl_entries) },
	FILE_ENTRY("services", 11, proc_show_services),
	WRITABLE_ENTRY("fault_inject", 12, proc_show_fault_inject, svc_fault_configure),
	FILE_ENTRY("lockcheck", 60, proc_show_lockcheck),
	{ .name = "net",
	  .kind = PROC_DIR,
	  .mode = DIR_MODE,
	  .ino = 61,
	  .children = net_entries,
	  .nr_children = ARRAY_SIZE(net_entries) },
	{ .name = "sys",
	  .kind = PROC_DIR,
	  .mode = DIR_MODE,
	  .ino = 38,
	  .children = sys_entries,
	  .nr_children = ARRAY_SIZE(sys_entries) },
	FILE_ENTRY("slabinfo", 68, proc_show_slabinfo),
};

/* sysfs: a tree of fixed entries only; its inode numbers are its own. */
static const struct proc_entry sys_cpu_entries[] = {
	FILE_ENTRY("online", 5, sys_show_cpus_online),
	FILE_ENTRY("possible", 6, sys_show_cpus_present), /* no CPU hot-plug: the present ones */
	FILE_ENTRY("present", 7, sys_show_cpus_present),
};

#define SYS_DIR(n, i, c)                                                                      \
	{                                                                                     \
		.name = (n), .kind = PROC_DIR, .mode = DIR_MODE, .ino = (i), .children = (c), \
		.nr_children = ARRAY_SIZE(c)                                                  \
	}

static const struct proc_entry sys_system_entries[] = { SYS_DIR("cpu", 4, sys_cpu_entries) };
static const struct proc_entry sys_devices_entries[] = { SYS_DIR("system", 3, sys_system_entries) };
static const struct proc_entry sysfs_root_entries[] = { SYS_DIR("devices", 2,
								sys_devices_entries) };
static const struct proc_entry sysfs_root_entry = {
	.name = "/",
	.kind = PROC_DIR,
	.mode = DIR_MODE,
	.ino = INO_ROOT,
	.children = sysfs_root_entries,
	.nr_children = ARRAY_SIZE(sysfs_root_entries),
};

static const struct proc_entry root_entry = {
	.name = "/",
	.kind = PROC_ROOT,
	.mode = DIR_MODE,
	.ino = INO_ROOT,
	.children = root_entries,
	.nr_children = ARRAY_SIZE(root_entries),
};

/* The entries of every /proc/PID directory. */
static const struct proc_entry pid_entries[] = {
	FILE_ENTRY("cmdline", 0, proc_show_pid_cmdline),
	FILE_ENTRY("comm", 0, proc_show_pid_comm),
	{ .name = "exe", .kind = PROC_EXE_LINK, .mode = S_IFLNK | 0777 },
	{ .name = "fd", .kind = PROC_FD_DIR, .mode = S_IFDIR | 0500 },
	FILE_ENTRY("limits", 0, proc_show_pid_limits),
	FILE_ENTRY("maps", 0, proc_show_pid_maps),
	{ .name = "mem", .kind = PROC_MEM, .mode = S_IFREG | 0600 },
	FILE_ENTRY("oom_score", 0, proc_show_pid_oom_score),
	{ .name = "oom_score_adj",
	  .kind = PROC_FILE,
	  .mode = S_IFREG | 0644,
	  .show = proc_show_pid_oom_score_adj,
	  .write_pid = proc_write_pid_oom_score_adj },
	FILE_ENTRY("stat", 0, proc_show_pid_stat),
	FILE_ENTRY("status", 0, proc_show_pid_status),
	/* Registers and arguments: the owner's only, as Linux (0400). */
	{ .name = "syscall",
	  .kind = PROC_FILE,
	  .mode = S_IFREG | 0400,
	  .show = proc_show_pid_syscall },
};

static const struct proc_entry pid_dir_entry = { .kind = PROC_PID_DIR, .mode = DIR_MODE };
static const struct proc_entry fd_link_entry = { .kind = PROC_FD_LINK, .mode = S_IFLNK | 0700 };

/* Where /proc/PID comes in a listing of /proc: after the dots and the fixed entries. */
#define ROOT_PID_POS(pid) (2 + (int64_t)ARRAY_SIZE(root_entries) + (int64_t)(pid))

static const struct inode_ops proc_iops[PROC_KINDS];
static const struct file_ops proc_fops[PROC_KINDS];
static const struct super_ops procfs_super_ops; /* nothing to free: inodes point at tables */

static struct inode *proc_inode(struct super_block *sb, const struct proc_entry *e, uint64_t ino)
{
	struct inode *inode = inode_alloc(sb, e->mode);

	if (!inode)
		return NULL;
	inode->ino = ino;
	inode->iops = &proc_iops[e->kind];
	inode->fops = &proc_fops[e->kind];
	inode->private = (void *)e;
	if (S_ISDIR(e->mode))
		inode->nlink = 2;
	return inode;
}

/* ---- the generated text ---- */

/* Makes room for need bytes in all; 0 or the error, which s keeps. */
static int seq_grow(struct seqbuf *s, size_t need)
{
	size_t cap = s->cap ? s->cap : SEQ_FIRST;
	char *n;

	while (cap < need)
		cap *= 2;
	if (cap > SEQ_MAX)
		return s->err = -EFBIG;
	n = kmalloc(cap);
	if (!n)
		return s->err = -ENOMEM;
	if (s->len)
		memcpy(n, s->buf, s->len);
	kfree(s->buf);
	s->buf = n;
	s->cap = cap;
	return 0;
}

void seq_write(struct seqbuf *s, const void *data, size_t n)
{
	if (s->err || (s->len + n > s->cap && seq_grow(s, s->len + n)))
		return;
	memcpy(s->buf + s->len, data, n);
	s->len += n;
}

void seq_printf(struct seqbuf *s, const char *fmt, ...)
{
	va_list ap;
	int n;

	while (!s->err) {
		va_start(ap, fmt);
		n = vsnprintf(s->buf + s->len, s->cap - s->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			s->err = -EINVAL;
		} else if ((size_t)n < s->cap - s->len) {
			s->len += (size_t)n;
			return;
		} else {
			seq_grow(s, s->len + (size_t)n + 1); /* then format again */
		}
	}
}

static void seq_free(struct seqbuf *s)
{
	kfree(s->buf);
	kfree(s);
}

/* Generates the file's text; writing only where the entry takes it. */
static int file_open(struct inode *inode, struct file *f)
{
	const struct proc_entry *e = inode->private;
	struct seqbuf *s;
	int r;

	if ((f->fmode & FMODE_WRITE) && !e->write && !e->write_pid)
		return -EACCES;
	s = kzalloc(sizeof(*s));
	if (!s)
		return -ENOMEM;
	r = seq_grow(s, SEQ_FIRST);
	if (!r)
		r = e->show(s, INO_PID_OF(inode->ino));
	if (!r)
		r = s->err;
	if (r) {
		seq_free(s);
		return r;
	}
	f->private = s;
	return 0;
}

static ssize_t file_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	const struct seqbuf *s = f->private;
	size_t n;
	int r;

	if (*pos >= (int64_t)s->len)
		return 0;
	n = MIN(buf->len, s->len - (size_t)*pos);
	r = iobuf_write(buf, 0, s->buf + *pos, n);
	if (r)
		return r;
	*pos += (int64_t)n;
	return (ssize_t)n;
}

#define WRITE_MAX 256 /* bytes one write to a writable file may carry */

/* Hands each line of what was written to the entry; the first error fails the write. */
static ssize_t file_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	const struct proc_entry *e = f->inode->private;
	char text[WRITE_MAX + 1], *line = text;
	int r;

	if (e->write && !capable(CAP_SYS_ADMIN)) /* the kernel's controls: fault_inject, sysctls */
		return -EPERM;
	if (buf->len > WRITE_MAX)
		return -EINVAL;
	r = iobuf_read(text, buf, 0, buf->len);
	if (r)
		return r;
	text[buf->len] = 0;
	while (*line) {
		char *end = strchr(line, '\n');

		if (end)
			*end = 0;
		if (*line && (r = e->write ? e->write(line)
					   : e->write_pid(INO_PID_OF(f->inode->ino), line)) < 0)
			return r;
		line = end ? end + 1 : line + strlen(line);
	}
	*pos += (int64_t)buf->len;
	return (ssize_t)buf->len;
}

/* SEEK_SET, SEEK_CUR and SEEK_END (over the generated text); others are -EINVAL. */
static int64_t file_lseek(struct file *f, int64_t off, int whence)
{
	const struct seqbuf *s = f->private;
	unsigned long flags = spin_lock_irqsave(&f->pos_lock);
	int64_t base = whence == SEEK_END ? (int64_t)s->len : (whence == SEEK_CUR ? f->pos : 0);
	int64_t pos, r;

	if (whence > SEEK_END || __builtin_add_overflow(base, off, &pos) || pos < 0)
		r = -EINVAL;
	else
		r = f->pos = pos;
	spin_unlock_irqrestore(&f->pos_lock, flags);
	return r;
}

static void file_release(struct file *f)
{
	seq_free(f->private);
}

/*
 * chmod, chown and utimes work (the initramfs sets /proc's mode).
 * Truncation does not, except that of a writable file, ignored as on
 * Linux: the shell's "echo ... > /proc/fault_inject" opens with O_TRUNC.
 */
static int proc_setattr(struct inode *inode, const struct vfs_attr *attr)
{
	const struct proc_entry *e = inode->private;
	struct vfs_attr a = *attr;
	unsigned long flags;

	if (a.valid & ATTR_SIZE) {
		if (!S_ISREG(inode->mode) || !e || (!e->write && !e->write_pid))
			return -EACCES;
		a.valid &= ~ATTR_SIZE;
	}
	flags = spin_lock_irqsave(&inode->lock);
	inode_setattr_locked(inode, &a);
	spin_unlock_irqrestore(&inode->lock, flags);
	return 0;
}

/* ---- the tree: fixed entries, pruning what is gone ---- */

static int add_entries(struct dentry *dir, const struct proc_entry *entries, size_t n);

/* Puts one fixed entry (and its own, for a directory) under dir, at mount. */
static int add_entry(struct dentry *dir, const struct proc_entry *e)
{
	struct qstr name = { e->name, strlen(e->name) };
	struct dentry *d = d_alloc(dir, &name);
	struct inode *inode = d ? proc_inode(dir->inode->sb, e, e->ino) : NULL;
	unsigned long flags;
	int r = 0;

	if (!inode) {
		if (d)
			dentry_put(d);
		return -ENOMEM;
	}
	d_instantiate(d, inode);
	flags = spin_lock_irqsave(&dir->inode->lock);
	d_link(d);
	spin_unlock_irqrestore(&dir->inode->lock, flags);
	if (e->kind == PROC_DIR)
		r = add_entries(d, e->children, e->nr_children);
	dentry_put(d);
	return r;
}

static int add_entries(struct dentry *dir, const struct proc_entry *entries, size_t n)
{
	int r = 0;

	for (size_t i = 0; i < n && !r; i++)
		r = add_entry(dir, &entries[i]);
	return r;
}

/* Whether d is still in the tree (pruning takes out what is gone). */
static bool d_linked(struct dentry *d)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	bool linked = d->flags & DENTRY_LINKED;

	spin_unlock_irqrestore(&dcache_lock, flags);
	return linked;
}

typedef bool (*child_match_fn)(const struct dentry *c, const void *ctx);

/* The first child of dir that match accepts (referenced), or NULL. Mount points never match. */
static struct dentry *find_child(struct dentry *dir, child_match_fn match, const void *ctx)
{
	unsigned long flags = spin_lock_irqsave(&dcache_lock);
	struct dentry *c, *found = NULL;

	list_for_each_entry (c, &dir->children, sibling) {
		if (!c->mounted && match(c, ctx)) {
			found = dentry_get(c);
			break;
		}
	}
	spin_unlock_irqrestore(&dcache_lock, flags);
	return found;
}

static bool any_child(const struct dentry *c, const void *ctx)
{
	(void)c;
	(void)ctx;
	return true;
}

/* A /proc/PID directory whose process is gone; ctx is the map of live pids. */
static bool dead_pid_dir(const struct dentry *c, const void *ctx)
{
	uint64_t ino = c->inode->ino;

	return INO_PID_OF(ino) > 0 && INO_WHAT(ino) == WHAT_DIR &&
	       !bitmap_test_bit(ctx, (size_t)INO_PID_OF(ino));
}

/* A /proc/PID/fd/N link whose descriptor is closed; ctx is the map of open ones. */
static bool closed_fd_link(const struct dentry *c, const void *ctx)
{
	return !bitmap_test_bit(ctx, (size_t)FD_OF(c->inode->ino));
}

/*
 * Unlinks d and everything below it, deepest first, each directory under
 * its own inode lock so that a lookup in it either ran before (and its
 * entry is pruned here) or sees it unlinked. Caller holds the lock of d's
 * parent and a reference on d. Recursion is bounded by the tree's depth
 * under /proc/PID (fd, then its links).
 */
static void prune(struct dentry *d, unsigned depth)
{
	/* Under its parent's lock: its depth below the held one is its lock-checker subclass. */
	unsigned long flags = spin_lock_irqsave_nested(&d->inode->lock, depth);
	struct dentry *c;

	assert_held(&d->parent->inode->lock);
	while ((c = find_child(d, any_child, NULL))) {
		prune(c, depth + 1);
		dentry_put(c);
	}
	d_unlink(d);
	spin_unlock_irqrestore(&d->inode->lock, flags);
}

/* Prunes the children of dir that match. Caller holds dir's inode lock. */
static void prune_children_locked(struct dentry *dir, child_match_fn match, const void *ctx)
{
	struct dentry *c;

	assert_held(&dir->inode->lock);
	while ((c = find_child(dir, match, ctx))) {
		prune(c, 1);
		dentry_put(c);
	}
}

static void prune_children(struct dentry *dir, child_match_fn match, const void *ctx)
{
	unsigned long flags = spin_lock_irqsave(&dir->inode->lock);

	prune_children_locked(dir, match, ctx);
	spin_unlock_irqrestore(&dir->inode->lock, flags);
}

/* A map of live pids (PID_MAX bits), or NULL when out of memory. */
static unsigned long *live_pids(void)
{
	unsigned long *map = kzalloc(BITS_TO_LONGS(PID_MAX) * sizeof(long));

	if (map)
		proc_pid_map(map);
	return map;
}

/* ---- lookups ---- */

/* The number name spells (decimal, no sign, no leading zero) if below limit; -1 otherwise. */
static int name_to_number(const char *name, size_t len, int limit)
{
	int v = 0;

	if (len == 0 || (len > 1 && name[0] == '0'))
		return -1;
	for (size_t i = 0; i < len; i++) {
		if (name[i] < '0' || name[i] > '9')
			return -1;
		v = v * 10 + (name[i] - '0');
		if (v >= limit)
			return -1;
	}
	return v;
}

/* The owner of a /proc/PID inode as it is when the entry is looked up; it is not published yet. */
static void set_pid_owner(struct inode *inode, int pid)
{
	proc_pid_owner(pid, inode->mode == DIR_MODE, &inode->uid, &inode->gid);
}

static int instantiate(struct inode *dir, struct dentry *d, const struct proc_entry *e,
		       uint64_t ino)
{
	struct inode *inode = proc_inode(dir->sb, e, ino);

	if (!inode)
		return -ENOMEM;
	if (INO_PID_OF(ino))
		set_pid_owner(inode, INO_PID_OF(ino));
	d_instantiate(d, inode);
	return 0;
}

/* /proc/PID. Called with the root's inode lock held, which pruning needs too. */
static int root_lookup(struct inode *dir, struct dentry *d)
{
	int pid = name_to_number(d->name, d->name_len, PID_MAX);
	unsigned long *live;

	assert_held(&dir->lock);
	if (pid <= 0 || !proc_pid_exists(pid))
		return -ENOENT;
	live = live_pids();
	if (live) /* without memory the dead stay until the next miss */
		prune_children_locked(d->parent, dead_pid_dir, live);
	kfree(live);
	return instantiate(dir, d, &pid_dir_entry, INO_PID(pid, WHAT_DIR));
}

/* The fixed entries of /proc/PID; a pruned directory gets none. */
static int pid_dir_lookup(struct inode *dir, struct dentry *d)
{
	int pid = INO_PID_OF(dir->ino);

	for (size_t i = 0; i < ARRAY_SIZE(pid_entries); i++) {
		if (strcmp(d->name, pid_entries[i].name))
			continue;
		if (!d_linked(d->parent) || !proc_pid_exists(pid))
			return -ENOENT;
		return instantiate(dir, d, &pid_entries[i], INO_PID(pid, WHAT_ENTRY(i)));
	}
	return -ENOENT;
}

/* /proc/PID/fd/N for an open descriptor N; prunes the links of closed ones. */
static int fd_dir_lookup(struct inode *dir, struct dentry *d)
{
	int fd = name_to_number(d->name, d->name_len, PROC_FD_MAX);
	int pid = INO_PID_OF(dir->ino);
	unsigned long open[BITS_TO_LONGS(PROC_FD_MAX)] = { 0 };

	if (fd < 0 || !d_linked(d->parent) || proc_fd_map(pid, open) ||
	    !bitmap_test_bit(open, (size_t)fd))
		return -ENOENT;
	prune_children_locked(d->parent, closed_fd_link, open);
	return instantiate(dir, d, &fd_link_entry, INO_PID(pid, WHAT_FD_BASE + (unsigned)fd));
}

static int pid_dir_open(struct inode *inode, struct file *f)
{
	(void)f;
	return proc_pid_exists(INO_PID_OF(inode->ino)) ? 0 : -ENOENT;
}

/* ---- listings: position 0 is ".", 1 "..", then each directory's own order ---- */

static bool emit(struct dir_context *ctx, int64_t pos, const char *name, uint64_t ino,
		 unsigned mode)
{
	if (!ctx->emit(ctx, name, strlen(name), ino, IFTODT(mode)))
		return false;
	ctx->pos = pos + 1;
	return true;
}

/* "." and ".."; false when the caller's buffer is full. */
static bool emit_dots(struct dentry *dir, struct dir_context *ctx)
{
	struct dentry *root, *up;
	bool taken;

	if (ctx->pos == 0 && !emit(ctx, 0, ".", dir->inode->ino, S_IFDIR))
		return false;
	if (ctx->pos != 1)
		return true;
	root = vfs_root();
	up = d_parent_of(dir, root);
	taken = emit(ctx, 1, "..", up->inode->ino, S_IFDIR);
	dentry_put(up);
	dentry_put(root);
	return taken;
}

/* The entries of a table at positions 2...; pid > 0 for those of /proc/PID. */
static bool emit_table(struct dir_context *ctx, const struct proc_entry *t, size_t n, int pid)
{
	while (ctx->pos >= 2 && ctx->pos < 2 + (int64_t)n) {
		size_t i = (size_t)ctx->pos - 2;
		uint64_t ino = pid ? INO_PID(pid, WHAT_ENTRY(i)) : t[i].ino;

		if (!emit(ctx, ctx->pos, t[i].name, ino, t[i].mode))
			return false;
	}
	return true;
}

/* Numbered entries (pids, descriptors) set in map, at position first + number. */
static void emit_numbers(struct dir_context *ctx, const unsigned long *map, size_t nbits,
			 int64_t first, const struct proc_entry *e, int pid)
{
	size_t k = ctx->pos > first ? (size_t)(ctx->pos - first) : 0;
	char name[12];

	for (; (k = bitmap_find_next_set(map, nbits, k)) < nbits; k++) {
		uint64_t ino = pid ? INO_PID(pid, WHAT_FD_BASE + k) : INO_PID(k, WHAT_DIR);

		snprintf(name, sizeof(name), "%zu", k);
		if (!emit(ctx, first + (int64_t)k, name, ino, e->mode))
			return;
	}
}

static int root_readdir(struct file *f, struct dir_context *ctx)
{
	unsigned long *live;

	if (!emit_dots(f->dentry, ctx) ||
	    !emit_table(ctx, root_entries, ARRAY_SIZE(root_entries), 0))
		return 0;
	live = live_pids();
	if (!live)
		return -ENOMEM;
	prune_children(f->dentry, dead_pid_dir, live);
	emit_numbers(ctx, live, PID_MAX, ROOT_PID_POS(0), &pid_dir_entry, 0);
	kfree(live);
	return 0;
}

static int pid_dir_readdir(struct file *f, struct dir_context *ctx)
{
	if (emit_dots(f->dentry, ctx))
		emit_table(ctx, pid_entries, ARRAY_SIZE(pid_entries), INO_PID_OF(f->inode->ino));
	return 0;
}

static int fd_dir_readdir(struct file *f, struct dir_context *ctx)
{
	int pid = INO_PID_OF(f->inode->ino);
	unsigned long open[BITS_TO_LONGS(PROC_FD_MAX)] = { 0 };

	if (!emit_dots(f->dentry, ctx))
		return 0;
	if (proc_fd_map(pid, open))
		return -ENOENT;
	prune_children(f->dentry, closed_fd_link, open);
	emit_numbers(ctx, open, PROC_FD_MAX, 2, &fd_link_entry, pid);
	return 0;
}

/* ---- links ---- */

static ssize_t copy_target(const char *target, size_t len, char *buf, size_t size)
{
	size_t n = MIN(len, size);

	memcpy(buf, target, n);
	return (ssize_t)n;
}

/* The caller's own pid; kernel threads have none. */
static ssize_t self_readlink(struct inode *inode, char *buf, size_t size)
{
	struct process *p = current_thread()->proc;
	char target[12];
	int n;

	(void)inode;
	if (!p)
		return -ENOENT;
	n = snprintf(target, sizeof(target), "%d", p->pid);
	return copy_target(target, (size_t)n, buf, size);
}

/* The path of what the descriptor refers to, found when asked. */
static ssize_t fd_readlink(struct inode *inode, char *buf, size_t size)
{
	char *path = kmalloc(PATH_MAX);
	ssize_t r;

	if (!path)
		return -ENOMEM;
	r = proc_fd_path(INO_PID_OF(inode->ino), FD_OF(inode->ino), path, PATH_MAX);
	if (r >= 0)
		r = copy_target(path, (size_t)r, buf, size);
	kfree(path);
	return r;
}

/* The program the process runs (busybox re-executes itself through it). */
static ssize_t exe_readlink(struct inode *inode, char *buf, size_t size)
{
	char path[EXE_PATH_LEN];
	int n = proc_exe_path(INO_PID_OF(inode->ino), path, sizeof(path));

	return n < 0 ? n : copy_target(path, (size_t)n, buf, size);
}

/*
 * What is under /proc/PID belongs to its owner now (proc_pid_owner)
 * whatever its inode says (the process may have changed its ids or
 * dumpability since the dentry was made); /proc/PID/fd is open to
 * the process itself too (Linux's proc_fd_permission). The rest of
 * /proc is root's, as made.
 */
static int proc_permission(const struct inode *inode, int mask)
{
	int pid = INO_PID_OF(inode->ino), r;
	uint32_t uid, gid;

	if (!pid)
		return generic_permission_as(inode, mask, READ_ONCE(inode->uid),
					     READ_ONCE(inode->gid));
	proc_pid_owner(pid, inode->mode == DIR_MODE, &uid, &gid);
	r = generic_permission_as(inode, mask, uid, gid);
	if (r && inode->iops == &proc_iops[PROC_FD_DIR] && pid == current_proc()->pid)
		r = 0;
	return r;
}

/* ---- /proc/PID/mem: pread and pwrite at the process's addresses (kernel/ptrace.c) ---- */

static int mem_open(struct inode *inode, struct file *f)
{
	struct process *p = ptrace_mem_open(INO_PID_OF(inode->ino));

	if (IS_ERR(p))
		return (int)PTR_ERR(p);
	f->private = p;
	return 0;
}

static ssize_t mem_rw(struct file *f, const struct iobuf *buf, int64_t *pos, bool write)
{
	long r = ptrace_mem_rw(f->private, *pos, buf, write);

	if (r > 0)
		*pos += r;
	return r;
}

static ssize_t mem_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	return mem_rw(f, buf, pos, false);
}

static ssize_t mem_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	return mem_rw(f, buf, pos, true);
}

/* Any position is an address: SEEK_SET and SEEK_CUR only. */
static int64_t mem_lseek(struct file *f, int64_t off, int whence)
{
	unsigned long flags = spin_lock_irqsave(&f->pos_lock);
	int64_t r = -EINVAL, pos;

	if (whence == SEEK_SET && off >= 0)
		r = f->pos = off;
	else if (whence == SEEK_CUR && !__builtin_add_overflow(f->pos, off, &pos) && pos >= 0)
		r = f->pos = pos;
	spin_unlock_irqrestore(&f->pos_lock, flags);
	return r;
}

static void mem_release(struct file *f)
{
	proc_unhold(f->private);
}

/* ---- the ops and the file system type ---- */

static const struct inode_ops proc_iops[PROC_KINDS] = {
	[PROC_ROOT] = { .lookup = root_lookup, .setattr = proc_setattr },
	[PROC_DIR] = { .setattr = proc_setattr },
	[PROC_FILE] = { .setattr = proc_setattr, .permission = proc_permission },
	[PROC_SELF] = { .readlink = self_readlink, .setattr = proc_setattr },
	[PROC_PID_DIR] = { .lookup = pid_dir_lookup,
			   .setattr = proc_setattr,
			   .permission = proc_permission },
	[PROC_FD_DIR] = { .lookup = fd_dir_lookup,
			  .setattr = proc_setattr,
			  .permission = proc_permission },
	[PROC_FD_LINK] = { .readlink = fd_readlink,
			   .setattr = proc_setattr,
			   .permission = proc_permission },
	[PROC_EXE_LINK] = { .readlink = exe_readlink,
			    .setattr = proc_setattr,
			    .permission = proc_permission },
	[PROC_MEM] = { .setattr = proc_setattr, .permission = proc_permission },
};

static const struct file_ops proc_fops[PROC_KINDS] = {
	[PROC_ROOT] = { .readdir = root_readdir },
	[PROC_DIR] = { .readdir = dcache_readdir },
	[PROC_FILE] = { .open = file_open,
			.read = file_read,
			.write = file_write,
			.lseek = file_lseek,
			.release = file_release },
	[PROC_PID_DIR] = { .open = pid_dir_open, .readdir = pid_dir_readdir },
	[PROC_FD_DIR] = { .open = pid_dir_open, .readdir = fd_dir_readdir },
	[PROC_MEM] = { .open = mem_open,
		       .read = mem_read,
		       .write = mem_write,
		       .lseek = mem_lseek,
		       .release = mem_release },
};

/* A super block whose root is top, with top's fixed entries under it. */
static int table_mount(const struct fs_type *type, const struct proc_entry *top,
		       struct super_block **out)
{
	struct super_block *sb = super_alloc(type, &procfs_super_ops);
	struct inode *root;
	int r;

	if (!sb)
		return -ENOMEM;
	root = proc_inode(sb, top, INO_ROOT);
	sb->root = root ? d_alloc_root(root) : NULL;
	if (!sb->root) {
		if (root)
			inode_put(root);
		kfree(sb);
		return -ENOMEM;
	}
	r = add_entries(sb->root, top->children, top->nr_children);
	if (r) {
		prune_children(sb->root, any_child, NULL);
		dentry_put(sb->root);
		kfree(sb);
		return r;
	}
	*out = sb;
	return 0;
}

static int procfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
			const void *data, struct super_block **out)
{
	(void)source;
	(void)flags;
	(void)data;
	return table_mount(type, &root_entry, out);
}

static int sysfs_mount(const struct fs_type *type, const char *source, unsigned long flags,
		       const void *data, struct super_block **out)
{
	(void)source;
	(void)flags;
	(void)data;
	return table_mount(type, &sysfs_root_entry, out);
}

static struct fs_type procfs_type = {
	.name = "proc",
	.mount = procfs_mount,
};

static struct fs_type sysfs_type = {
	.name = "sysfs",
	.mount = sysfs_mount,
};

void procfs_init(void)
{
	register_filesystem(&procfs_type);
	register_filesystem(&sysfs_type);
}
