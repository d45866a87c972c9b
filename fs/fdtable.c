/*
 * File-descriptor tables (include/fs/fdtable.h), used by the system calls
 * and by process creation, exec and exit. A table is an array of
 * {file, close-on-exec} that starts small and doubles up to FD_MAX.
 * Files are put (closed) only after the table lock is dropped, since a
 * file's release may do real work.
 */
#include <fs/fdtable.h>
#include <fs/vfs.h>
#include <kernel/panic.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>

#define FD_INITIAL 16

static struct fd_table *table_alloc(unsigned size)
{
	struct fd_table *t = kzalloc(sizeof(*t));

	if (!t)
		return NULL;
	t->fds = kzalloc(size * sizeof(*t->fds));
	if (!t->fds) {
		kfree(t);
		return NULL;
	}
	spin_init(&t->lock, "fd-table");
	t->refcount = 1;
	t->size = size;
	return t;
}

struct fd_table *fdtable_create(void)
{
	return table_alloc(FD_INITIAL);
}

struct fd_table *fdtable_clone(struct fd_table *t)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct fd_table *n = table_alloc(t->size);

	if (n) {
		for (unsigned fd = 0; fd < t->size; fd++) {
			n->fds[fd] = t->fds[fd];
			if (n->fds[fd].file)
				file_get(n->fds[fd].file);
		}
		n->lowest_free = t->lowest_free;
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return n;
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
		if (t->fds[fd].file)
			file_put(t->fds[fd].file);
	}
	kfree(t->fds);
	kfree(t);
}

/* Makes the table hold fd (< FD_MAX). Caller holds the lock. */
static int grow_locked(struct fd_table *t, unsigned fd)
{
	unsigned size = t->size;
	struct fd_entry *fds;

	assert_held(&t->lock);
	if (fd < size)
		return 0;
	while (size <= fd)
		size *= 2;
	size = MIN(size, (unsigned)FD_MAX);
	fds = kzalloc(size * sizeof(*fds));
	if (!fds)
		return -ENOMEM;
	memcpy(fds, t->fds, t->size * sizeof(*fds));
	kfree(t->fds);
	t->fds = fds;
	t->size = size;
	return 0;
}

/* The lowest free fd at or above min, maybe beyond the array; -EMFILE. Caller holds the lock. */
static int find_free_locked(struct fd_table *t, unsigned min)
{
	unsigned fd = MAX(min, t->lowest_free);

	assert_held(&t->lock);
	while (fd < t->size && t->fds[fd].file)
		fd++;
	return fd < FD_MAX ? (int)fd : -EMFILE;
}

int fd_install_from(struct fd_table *t, int min, struct file *file, bool cloexec)
{
	unsigned long flags;
	int fd;

	if (min < 0 || min >= FD_MAX)
		return -EINVAL;
	flags = spin_lock_irqsave(&t->lock);
	fd = find_free_locked(t, (unsigned)min);
	if (fd >= 0 && grow_locked(t, (unsigned)fd))
		fd = -ENOMEM;
	if (fd >= 0) {
		t->fds[fd] = (struct fd_entry){ file, cloexec };
		if ((unsigned)fd == t->lowest_free)
			t->lowest_free = (unsigned)fd + 1;
	}
	spin_unlock_irqrestore(&t->lock, flags);
	return fd;
}

int fd_install(struct fd_table *t, struct file *file, bool cloexec)
{
	return fd_install_from(t, 0, file, cloexec);
}

int fd_install_at(struct fd_table *t, int fd, struct file *file, bool cloexec)
{
	struct file *old = NULL;
	unsigned long flags;
	int r;

	if (fd < 0 || fd >= FD_MAX)
		return -EBADF;
	flags = spin_lock_irqsave(&t->lock);
	r = grow_locked(t, (unsigned)fd);
	if (!r) {
		old = t->fds[fd].file;
		t->fds[fd] = (struct fd_entry){ file, cloexec };
	}
	spin_unlock_irqrestore(&t->lock, flags);
	if (old)
		file_put(old);
	return r ? r : fd;
}

static bool fd_valid_locked(struct fd_table *t, int fd)
{
	assert_held(&t->lock);
	return fd >= 0 && (unsigned)fd < t->size && t->fds[fd].file;
}

struct file *fd_get_file(struct fd_table *t, int fd)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	struct file *f = fd_valid_locked(t, fd) ? file_get(t->fds[fd].file) : NULL;

	spin_unlock_irqrestore(&t->lock, flags);
	return f;
}

struct file *fd_peek_file(struct fd_table *t, int fd, bool *held)
{
	if (__atomic_load_n(&t->refcount, __ATOMIC_ACQUIRE) != 1) {
		*held = true;
		return fd_get_file(t, fd);
	}
	/* The calling thread is the table's only user: nothing can close fd under it. */
	*held = false;
	return fd >= 0 && (unsigned)fd < t->size ? t->fds[fd].file : NULL;
}

/* Empties fd and returns its file. Caller holds the lock; fd is valid. */
static struct file *take_locked(struct fd_table *t, unsigned fd)
{
	struct file *f = t->fds[fd].file;

	assert_held(&t->lock);
	t->fds[fd] = (struct fd_entry){ NULL, false };
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

void fd_close_on_exec(struct fd_table *t)
{
	for (unsigned fd = 0;; fd++) {
		unsigned long flags = spin_lock_irqsave(&t->lock);
		struct file *f = NULL;
		bool end = fd >= t->size;

		if (!end && t->fds[fd].file && t->fds[fd].cloexec)
			f = take_locked(t, fd);
		spin_unlock_irqrestore(&t->lock, flags);
		if (end)
			return;
		if (f)
			file_put(f);
	}
}

/* Closes fd if it is open, or only marks it close-on-exec; false past the table's end. */
static bool close_one(struct fd_table *t, unsigned fd, bool cloexec_only)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	bool in_table = fd < t->size;
	struct file *f = NULL;

	if (in_table && t->fds[fd].file) {
		if (cloexec_only)
			t->fds[fd].cloexec = true;
		else
			f = take_locked(t, fd);
	}
	spin_unlock_irqrestore(&t->lock, flags);
	if (f)
		file_put(f);
	return in_table;
}

void fd_close_range(struct fd_table *t, unsigned first, unsigned last, bool cloexec_only)
{
	for (unsigned fd = first; fd <= last && close_one(t, fd, cloexec_only); fd++)
		;
}

int fd_get_cloexec(struct fd_table *t, int fd)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	int r = fd_valid_locked(t, fd) ? t->fds[fd].cloexec : -EBADF;

	spin_unlock_irqrestore(&t->lock, flags);
	return r;
}

int fd_set_cloexec(struct fd_table *t, int fd, bool cloexec)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	int r = fd_valid_locked(t, fd) ? 0 : -EBADF;

	if (!r)
		t->fds[fd].cloexec = cloexec;
	spin_unlock_irqrestore(&t->lock, flags);
	return r;
}

unsigned fd_count(struct fd_table *t)
{
	unsigned long flags = spin_lock_irqsave(&t->lock);
	unsigned n = 0;

	for (unsigned fd = 0; fd < t->size; fd++)
		n += t->fds[fd].file != NULL;
	spin_unlock_irqrestore(&t->lock, flags);
	return n;
}
