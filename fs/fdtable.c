/*
 * File-descriptor tables (include/fs/fdtable.h), used by the system calls
 * and by process creation, exec and exit. A table is a directory of
 * chunks of {file, close-on-exec}: chunk 0 starts with 16 entries and
 * doubles up to FD_CHUNK, then whole chunks are added, up to the caller's
 * RLIMIT_NOFILE (at most /proc/sys/fs/nr_open, Linux's 1048576 by
 * default). Growing is a series of small steps, each one allocation made
 * without the table's lock and put in place under it (if the table did
 * not change meanwhile), so other threads of the process keep using the
 * table while it grows to a million entries. Tables never shrink.
 * Files are put (closed) only after the table lock is dropped, since a
 * file's release may do real work.
 */
#include <fs/fdtable.h>
#include <fs/vfs.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <lib/bitmap.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/resource.h>

#define FD_INITIAL 16
#define PUT_BATCH  32	/* files a range close takes per lock hold */
#define SCAN_BATCH 4096 /* entries it looks at per lock hold */

static unsigned nr_open = NR_OPEN_DEFAULT; /* (a) /proc/sys/fs/nr_open */

unsigned fd_nr_open(void)
{
	return __atomic_load_n(&nr_open, __ATOMIC_RELAXED);
}

int fd_set_nr_open(uint64_t n)
{
	if (n < NR_OPEN_MIN || n > NR_OPEN_MAX)
		return -EINVAL;
	__atomic_store_n(&nr_open, (unsigned)n, __ATOMIC_RELAXED);
	return 0;
}

/* The caller's RLIMIT_NOFILE soft limit; kernel threads have the default. */
static uint64_t nofile_rlimit(void)
{
	if (!current_thread()->user)
		return FD_LIMIT_DEFAULT;
	return READ_ONCE(current_proc()->rlimits[RLIMIT_NOFILE].cur);
}

unsigned fd_limit(void)
{
	return (unsigned)MIN(nofile_rlimit(), (uint64_t)fd_nr_open());
}

/* fd's entry; fd < t->size, and the caller holds the lock or is the table's only user. */
static inline struct fd_entry *entry(struct fd_table *t, unsigned fd)
{
	return &t->dir[fd >> FD_CHUNK_SHIFT][fd & (FD_CHUNK - 1)];
}

static unsigned nr_chunks(unsigned size)
{
	return (size + FD_CHUNK - 1) >> FD_CHUNK_SHIFT;
}

/* The size a table gets to hold n entries: a power of two below FD_CHUNK, whole chunks above. */
static unsigned capacity_for(unsigned n)
{
	unsigned size = FD_INITIAL;

	while (size < n && size < FD_CHUNK)
		size *= 2;
	return n <= size ? size : nr_chunks(n) << FD_CHUNK_SHIFT;
}

/* Frees the chunks, the directory and t (its files were put or never taken). */
static void table_free(struct fd_table *t)
{
	for (unsigned i = 0; i < nr_chunks(t->size); i++)
		kfree(t->dir[i]);
	if (t->dir != t->inline_dir)
		kfree(t->dir);
	kfree(t);
}

/* An empty table of size entries (a capacity_for value). */
static struct fd_table *table_alloc(unsigned size)
{
	struct fd_table *t = kzalloc(sizeof(*t));
	unsigned chunks = nr_chunks(size), dir_size = FD_DIR_INLINE;

	if (!t)
		return NULL;
	spin_init(&t->lock, "fd-table");
	t->refcount = 1;
	t->dir = t->inline_dir;
	while (dir_size < chunks)
		dir_size *= 2;
	if (dir_size > FD_DIR_INLINE && !(t->dir = kzalloc(dir_size * sizeof(*t->dir)))) {
		kfree(t);
		return NULL;
	}
	t->dir_size = dir_size;
	for (unsigned i = 0; i < chunks; i++) {
		t->dir[i] = kzalloc(MIN(size, FD_CHUNK) * sizeof(struct fd_entry));
		if (!t->dir[i]) {
			table_free(t); /* t->size counts the chunks made so far */
			return NULL;
		}
		t->size += MIN(size, FD_CHUNK);
	}
	ASSERT(t->size == size);
	return t;
}

struct fd_table *fdtable_create(void)
{
	return table_alloc(FD_INITIAL);
}

/* The highest open fd + 1 (0 when none). Caller holds the lock. */
static unsigned used_end_locked(struct fd_table *t)
{
	unsigned end = t->size;

	assert_held(&t->lock);
	while (end && !entry(t, end - 1)->file)
		end--;
	return end;
}

/*
 * Copies t's first n entries into the new table c (n <= c->size), each
 * file referenced again; a reserved entry (another thread's accept) is
 * free in the copy, as Linux's dup_fd clears it.
 */
static void copy_entries_locked(struct fd_table *t, struct fd_table *c, unsigned n)
{
	assert_held(&t->lock);
	ASSERT(n <= c->size && n <= t->size);
	c->lowest_free = MIN(t->lowest_free, n);
	for (unsigned fd = 0; fd < n; fd++) {
		*entry(c, fd) = *entry(t, fd);
		if (entry(c, fd)->file)
			file_get(entry(c, fd)->file);
		if (entry(c, fd)->reserved) {
			entry(c, fd)->reserved = false;
			c->lowest_free = MIN(c->lowest_free, fd);
		}
	}
}

/* The copy holds up to t's highest open fd (allocated without t's lock, made again if t grew). */
struct fd_table *fdtable_clone(struct fd_table *t)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&t->lock);
		unsigned n = used_end_locked(t);
		struct fd_table *c;

		spin_unlock_irqrestore(&t->lock, flags);
		c = table_alloc(capacity_for(n));
		if (!c)
			return NULL;
		flags = spin_lock_irqsave(&t->lock);
		n = used_end_locked(t);
		if (n <= c->size) {
			copy_entries_locked(t, c, n);
			spin_unlock_irqrestore(&t->lock, flags);
			return c;
		}
		spin_unlock_irqrestore(&t->lock, flags);
		table_free(c);
	}
}

struct fd_table *fdtable_get(struct fd_table *t)
{
	if (__atomic_fetch_add(&t->refcount, 1, __ATOMIC_RELAXED) <= 0)
		panic("fdtable_get: table %p is free", (void *)t);
	return t;
}

void fdtable_put(struct fd_table *t)
{
	int32_t old = __atomic_fetch_sub(&t->refcount, 1, __ATOMIC_ACQ_REL);

	if (old <= 0)
		panic("fdtable_put: table %p is already free", (void *)t);
	if (old > 1)
		return;
	for (unsigned fd = 0; fd < t->size; fd++) {
		if (entry(t, fd)->file)
			file_put(entry(t, fd)->file);
	}
	table_free(t);
}

/* ---- growing ---- */

/* One step of growth: a bigger chunk 0, a bigger directory, or one more chunk. */
enum grow_kind {
	GROW_FIRST,
	GROW_DIR,
	GROW_CHUNK
};

struct grow {
	enum grow_kind kind;
	unsigned size, dir_size; /* the table's when planned: the step is stale if they moved */
	unsigned new_size;	 /* GROW_FIRST: chunk 0's entries; GROW_DIR: the slots */
	size_t bytes;
};

/* The next step towards holding fd (>= t->size). Caller holds the lock. */
static struct grow grow_plan_locked(struct fd_table *t, unsigned fd)
{
	struct grow g = { .size = t->size, .dir_size = t->dir_size };

	assert_held(&t->lock);
	ASSERT(fd >= t->size);
	if (t->size < FD_CHUNK) {
		g.kind = GROW_FIRST;
		g.new_size = capacity_for(MIN(fd + 1, FD_CHUNK));
		g.bytes = g.new_size * sizeof(struct fd_entry);
	} else if (nr_chunks(t->size) == t->dir_size) {
		g.kind = GROW_DIR;
		g.new_size = t->dir_size * 2;
		g.bytes = g.new_size * sizeof(*t->dir);
	} else {
		g.kind = GROW_CHUNK;
		g.bytes = FD_CHUNK * sizeof(struct fd_entry);
	}
	return g;
}

/* Puts the step's zeroed block mem in place; returns what the caller frees (unlocked). */
static void *grow_apply_locked(struct fd_table *t, const struct grow *g, void *mem)
{
	void *old;

	assert_held(&t->lock);
	if (t->size != g->size || t->dir_size != g->dir_size)
		return mem; /* another thread grew it meanwhile */
	switch (g->kind) {
	case GROW_FIRST:
		old = t->dir[0];
		memcpy(mem, old, t->size * sizeof(struct fd_entry));
		t->dir[0] = mem;
		t->size = g->new_size;
		return old;
	case GROW_DIR:
		old = t->dir == t->inline_dir ? NULL : t->dir;
		memcpy(mem, t->dir, t->dir_size * sizeof(*t->dir));
		t->dir = mem;
		t->dir_size = g->new_size;
		return old;
	case GROW_CHUNK:
		t->dir[nr_chunks(t->size)] = mem;
		t->size += FD_CHUNK;
		return NULL;
	}
	return mem;
}

/* Makes the table hold fd (below nr_open): 0 or -ENOMEM. Caller holds no lock. */
static int reserve(struct fd_table *t, unsigned fd)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&t->lock);
		struct grow g;
		void *mem;

		if (fd < t->size) {
			spin_unlock_irqrestore(&t->lock, flags);
			return 0;
		}
		g = grow_plan_locked(t, fd);
		spin_unlock_irqrestore(&t->lock, flags);
		mem = kzalloc(g.bytes);
		if (!mem)
			return -ENOMEM;
		flags = spin_lock_irqsave(&t->lock);
		mem = grow_apply_locked(t, &g, mem);
		spin_unlock_irqrestore(&t->lock, flags);
		kfree(mem);
	}
}

/* ---- installing ---- */

/* The lowest free fd at or above min, maybe at or beyond t->size. Caller holds the lock. */
static unsigned find_free_locked(struct fd_table *t, unsigned min)
{
	unsigned fd = MAX(min, t->lowest_free);

	assert_held(&t->lock);
	while (fd < t->size && (entry(t, fd)->file || entry(t, fd)->reserved))
		fd++;
	return fd;
}

/* Fills the free fd with file, or only reserves it (file NULL). Caller holds the lock. */
static void set_locked(struct fd_table *t, unsigned fd, struct file *file, bool cloexec)
{
	assert_held(&t->lock);
	ASSERT(fd < t->size && !entry(t, fd)->file && !entry(t, fd)->reserved);
	*entry(t, fd) = (struct fd_entry){ file, cloexec, file == NULL };
	if (fd == t->lowest_free)
		t->lowest_free = fd + 1;
}

int fd_install_from(struct fd_table *t, int min, struct file *file, bool cloexec)
{
	unsigned limit = fd_limit();

	if (min < 0)
		return -EINVAL;
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&t->lock);
		unsigned fd = find_free_locked(t, (unsigned)min);
		int r;

		if (fd >= limit) {
			spin_unlock_irqrestore(&t->lock, flags);
			return -EMFILE;
		}
		if (fd < t->size) {
			set_locked(t, fd, file, cloexec);
			spin_unlock_irqrestore(&t->lock, flags);
			return (int)fd;
		}
		spin_unlock_irqrestore(&t->lock, flags);
		r = reserve(t, fd); /* then look again: another thread may take fd meanwhile */
		if (r)
			return r;
	}
}

int fd_install(struct fd_table *t, struct file *file, bool cloexec)
{
	ASSERT(file);
	return fd_install_from(t, 0, file, cloexec);
}

int fd_reserve(struct fd_table *t)
{
	return fd_install_from(t, 0, NULL, false);
}

void fd_install_reserved(struct fd_table *t, int fd, struct file *file, bool cloexec)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);

	ASSERT(fd >= 0 && (unsigned)fd < t->size && entry(t, (unsigned)fd)->reserved);
	*entry(t, (unsigned)fd) = (struct fd_entry){ file, cloexec, false };
	spin_unlock_irqrestore(&t->lock, flags);
}

void fd_unreserve(struct fd_table *t, int fd)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);

	ASSERT(fd >= 0 && (unsigned)fd < t->size && entry(t, (unsigned)fd)->reserved);
	*entry(t, (unsigned)fd) = (struct fd_entry){ NULL, false, false };
	if ((unsigned)fd < t->lowest_free)
		t->lowest_free = (unsigned)fd;
	spin_unlock_irqrestore(&t->lock, flags);
}

int fd_install_at(struct fd_table *t, int fd, struct file *file, bool cloexec)
{
	struct file *old;
	unsigned long flags;
	int r;

	/* Past nr_open too: Linux's dup2 turns expand_files' EMFILE into EBADF. */
	if (fd < 0 || (uint64_t)fd >= nofile_rlimit() || (unsigned)fd >= fd_nr_open())
		return -EBADF;
	r = reserve(t, (unsigned)fd);
	if (r)
		return r;
	flags = spin_lock_irqsave(&t->lock);
	if (entry(t, (unsigned)fd)->reserved) {
		spin_unlock_irqrestore(&t->lock, flags);
		return -EBUSY; /* as Linux's dup2 onto an fd being installed */
	}
	old = entry(t, (unsigned)fd)->file;
	*entry(t, (unsigned)fd) = (struct fd_entry){ file, cloexec, false };
	spin_unlock_irqrestore(&t->lock, flags);
	if (old)
		file_put(old);
	return fd;
}

/* ---- looking up and closing ---- */

static bool fd_valid_locked(struct fd_table *t, int fd)
{
	assert_held(&t->lock);
	return fd >= 0 && (unsigned)fd < t->size && entry(t, (unsigned)fd)->file;
}

struct file *fd_get_file(struct fd_table *t, int fd)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct file *f = fd_valid_locked(t, fd) ? file_get(entry(t, (unsigned)fd)->file) : NULL;

	spin_unlock_irqrestore(&t->lock, flags);
	return f;
}

struct file *fd_peek_file(struct fd_table *t, int fd, bool *held)
{
	if (__atomic_load_n(&t->refcount, __ATOMIC_ACQUIRE) != 1) {
		*held = true;
		return fd_get_file(t, fd);
	}
	/* The calling thread is the table's only user: nothing can close fd or grow t under it. */
	*held = false;
	return fd >= 0 && (unsigned)fd < t->size ? entry(t, (unsigned)fd)->file : NULL;
}

/* Empties fd and returns its file. Caller holds the lock; fd is valid. */
static struct file *take_locked(struct fd_table *t, unsigned fd)
{
	struct file *f = entry(t, fd)->file;

	assert_held(&t->lock);
	*entry(t, fd) = (struct fd_entry){ NULL, false, false };
	if (fd < t->lowest_free)
		t->lowest_free = fd;
	return f;
}

int fd_close(struct fd_table *t, int fd)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct file *f = fd_valid_locked(t, fd) ? take_locked(t, (unsigned)fd) : NULL;

	spin_unlock_irqrestore(&t->lock, flags);
	if (!f)
		return -EBADF;
	file_put(f);
	return 0;
}

/* What a range close does to each open fd in the range. */
enum range_op {
	RANGE_CLOSE,
	RANGE_MARK_CLOEXEC,
	RANGE_EXEC
};

/*
 * One lock hold's share of a range close: from *next up to last, at most
 * PUT_BATCH files taken into out and SCAN_BATCH entries looked at. Returns
 * the files taken; *next moves on, past the table's end when done.
 */
static unsigned range_step_locked(struct fd_table *t, unsigned *next, unsigned last,
				  enum range_op op, struct file **out)
{
	unsigned n = 0, end = MIN(last, t->size - 1), fd = *next;

	assert_held(&t->lock);
	for (unsigned seen = 0; fd <= end && n < PUT_BATCH && seen < SCAN_BATCH; fd++, seen++) {
		struct fd_entry *e = entry(t, fd);

		if (!e->file)
			continue;
		if (op == RANGE_MARK_CLOEXEC)
			e->cloexec = true;
		else if (op == RANGE_CLOSE || e->cloexec)
			out[n++] = take_locked(t, fd);
	}
	*next = fd > end ? UINT32_MAX : fd;
	return n;
}

static void range_apply(struct fd_table *t, unsigned first, unsigned last, enum range_op op)
{
	struct file *batch[PUT_BATCH];
	unsigned next = first;

	while (next <= last && next != UINT32_MAX) {
		unsigned long flags = spin_lock_irqsave(&t->lock);
		unsigned n = next < t->size ? range_step_locked(t, &next, last, op, batch) : 0;

		if (next >= t->size)
			next = UINT32_MAX;
		spin_unlock_irqrestore(&t->lock, flags);
		for (unsigned i = 0; i < n; i++)
			file_put(batch[i]);
	}
}

void fd_close_on_exec(struct fd_table *t)
{
	range_apply(t, 0, UINT32_MAX - 1, RANGE_EXEC);
}

void fd_close_range(struct fd_table *t, unsigned first, unsigned last, bool cloexec_only)
{
	range_apply(t, first, MIN(last, UINT32_MAX - 1),
		    cloexec_only ? RANGE_MARK_CLOEXEC : RANGE_CLOSE);
}

int fd_get_cloexec(struct fd_table *t, int fd)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	int r = fd_valid_locked(t, fd) ? entry(t, (unsigned)fd)->cloexec : -EBADF;

	spin_unlock_irqrestore(&t->lock, flags);
	return r;
}

int fd_set_cloexec(struct fd_table *t, int fd, bool cloexec)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	int r = fd_valid_locked(t, fd) ? 0 : -EBADF;

	if (!r)
		entry(t, (unsigned)fd)->cloexec = cloexec;
	spin_unlock_irqrestore(&t->lock, flags);
	return r;
}

unsigned fd_count(struct fd_table *t)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	unsigned n = 0;

	for (unsigned fd = 0; fd < t->size; fd++)
		n += entry(t, fd)->file != NULL;
	spin_unlock_irqrestore(&t->lock, flags);
	return n;
}

void fd_open_map(struct fd_table *t, unsigned long *map, unsigned nbits)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);

	for (unsigned fd = 0; fd < t->size && fd < nbits; fd++)
		if (entry(t, fd)->file)
			bitmap_set_bit(map, fd);
	spin_unlock_irqrestore(&t->lock, flags);
}

unsigned fd_table_size(struct fd_table *t)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	unsigned n = t->size;

	spin_unlock_irqrestore(&t->lock, flags);
	return n;
}
