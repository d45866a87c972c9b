/*
 * In-kernel self-tests of the file layer (fs/): the VFS API on the root
 * tmpfs through kernel iobufs (files, directories, symlinks, open flags,
 * path errors, sparse and large files), devfs and the console device,
 * mounts, the initramfs unpacker and fd tables, and that everything
 * freed gives its memory back. Each test works in a directory of its own
 * and removes it at the end.
 */
#include <kernel/ktest.h>
#include <kernel/thread.h>
#include <fs/vfs.h>
#include <fs/dcache.h>
#include <fs/fdtable.h>
#include <fs/initramfs.h>
#include <fs/tmpfs.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/ioctl.h>
#include <uapi/mount.h>

/* A kernel iobuf over n bytes at p, as an argument. */
#define KBUF(p, n) (&(struct iobuf){ (uintptr_t)(p), (n), false })

static int put_file(const char *path, const void *data, size_t n)
{
	struct iobuf b = iobuf_kernel((void *)data, n);
	struct file *f;
	ssize_t w;
	int r = vfs_openat(NULL, path, O_WRONLY | O_CREAT | O_TRUNC, 0644, &f);

	if (r)
		return r;
	w = vfs_write(f, &b);
	file_put(f);
	return w == (ssize_t)n ? 0 : (w < 0 ? (int)w : -EIO);
}

/* Reads up to n bytes of path; returns the count or an error. */
static ssize_t get_file(const char *path, void *buf, size_t n)
{
	struct iobuf b = iobuf_kernel(buf, n);
	struct file *f;
	ssize_t r = vfs_openat(NULL, path, O_RDONLY, 0, &f);

	if (r)
		return r;
	r = vfs_read(f, &b);
	file_put(f);
	return r;
}

static bool file_is(const char *path, const char *content)
{
	char buf[128];
	ssize_t n = get_file(path, buf, sizeof(buf) - 1);

	if (n < 0)
		return false;
	buf[n] = '\0';
	return !strcmp(buf, content);
}

static int lstat_mode(const char *path)
{
	struct kstat st;
	int r = vfs_statat(NULL, path, 0, &st);

	return r ? r : (int)st.mode;
}

static uint64_t ino_of(const char *path)
{
	struct kstat st;

	return vfs_statat(NULL, path, LOOKUP_FOLLOW, &st) ? 0 : st.ino;
}

static bool counts_equal(const struct vfs_counts *a)
{
	return a->inodes == READ_ONCE(vfs_live.inodes) &&
	       a->dentries == READ_ONCE(vfs_live.dentries) && a->files == READ_ONCE(vfs_live.files);
}

KTEST(fs_root_and_dev)
{
	struct kstat st;

	vfs_init();
	KT_ASSERT(S_ISDIR(lstat_mode("/")));
	KT_ASSERT(S_ISDIR(lstat_mode("/dev")));
	KT_ASSERT(vfs_statat(NULL, "/dev/null", 0, &st) == 0);
	KT_ASSERT(S_ISCHR(st.mode) && st.rdev == MKDEV(1, 3) && (st.mode & 0777) == 0666);
	KT_ASSERT(vfs_statat(NULL, "/dev/zero", 0, &st) == 0 && st.rdev == MKDEV(1, 5));
	KT_ASSERT(vfs_statat(NULL, "/dev/console", 0, &st) == 0 && st.rdev == MKDEV(5, 1));
	KT_ASSERT(vfs_statat(NULL, "/dev/tty", 0, &st) == 0 && st.rdev == MKDEV(5, 0));
	KT_ASSERT(MAJOR(MKDEV(259, 70000)) == 259 && MINOR(MKDEV(259, 70000)) == 70000);
	/* ".." stops at the root and crosses back over the /dev mount. */
	KT_ASSERT(ino_of("/..") == ino_of("/"));
	KT_ASSERT(ino_of("/../../..") == ino_of("/"));
	KT_ASSERT(ino_of("/dev/..") == ino_of("/"));
	KT_ASSERT(ino_of("/dev/../dev/./") == ino_of("/dev"));
	KT_ASSERT(vfs_statat(NULL, "/dev", 0, &st) == 0);
	KT_ASSERT(st.dev != 0 && ino_of("/dev") == st.ino);
}

KTEST(fs_read_write_seek_stat)
{
	char buf[32] = { 0 };
	struct iobuf b = iobuf_kernel(buf, 5);
	struct vfs_counts before;
	struct kstat st;
	struct file *f;

	vfs_init();
	before = vfs_live;
	KT_ASSERT(vfs_mkdir(NULL, "/kt_rw", 0755) == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_rw/f", O_RDWR | O_CREAT, 0640, &f) == 0);
	KT_ASSERT(vfs_write(f, KBUF("hello world", 11)) == 11);
	KT_ASSERT(vfs_lseek(f, 6, SEEK_SET) == 6);
	KT_ASSERT(vfs_read(f, &b) == 5 && !memcmp(buf, "world", 5));
	KT_ASSERT(vfs_read(f, &b) == 0); /* end of file */
	KT_ASSERT(vfs_lseek(f, 0, SEEK_END) == 11);
	KT_ASSERT(vfs_lseek(f, -5, SEEK_CUR) == 6);
	KT_ASSERT(vfs_lseek(f, -7, SEEK_CUR) == -EINVAL);
	KT_ASSERT(vfs_lseek(f, 0, 99) == -EINVAL);
	KT_ASSERT(vfs_lseek(f, 3, SEEK_DATA) == 3 && vfs_lseek(f, 3, SEEK_HOLE) == 11);
	KT_ASSERT(vfs_lseek(f, 11, SEEK_DATA) == -ENXIO);
	KT_ASSERT(vfs_pread(f, &b, 0) == 5 && !memcmp(buf, "hello", 5));
	KT_ASSERT(vfs_pread(f, &b, -1) == -EINVAL);
	KT_ASSERT(vfs_lseek(f, 0, SEEK_CUR) == 11); /* pread kept the position */
	KT_ASSERT(vfs_pwrite(f, KBUF("J", 1), 6) == 1);
	KT_ASSERT(kernel_read(f, buf, 32, 0) == 11 && !memcmp(buf, "hello Jorld", 11));
	KT_ASSERT(vfs_fstat(f, &st) == 0);
	KT_ASSERT(S_ISREG(st.mode) && (st.mode & 07777) == 0640 && st.nlink == 1);
	KT_ASSERT(st.size == 11 && st.blocks == 8 && st.blksize == 4096);
	KT_ASSERT(vfs_ioctl(f, TIOCGWINSZ, 0) == -ENOTTY);
	KT_ASSERT(vfs_readdir(f, NULL) == -ENOTDIR);
	file_put(f);
	KT_ASSERT(file_is("/kt_rw/f", "hello Jorld"));
	KT_ASSERT(vfs_unlink(NULL, "/kt_rw/f") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_rw") == 0);
	KT_ASSERT(counts_equal(&before));
}

KTEST(fs_open_flags)
{
	char buf[16];
	struct iobuf b = iobuf_kernel(buf, sizeof(buf));
	struct file *f;

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_flags", 0755) == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/none", O_RDONLY, 0, &f) == -ENOENT);
	KT_ASSERT(put_file("/kt_flags/f", "0123456789", 10) == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/f", O_RDWR | O_CREAT | O_EXCL, 0644, &f) == -EEXIST);
	/* O_APPEND writes at the end whatever the position. */
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/f", O_WRONLY | O_APPEND, 0, &f) == 0);
	KT_ASSERT(vfs_lseek(f, 2, SEEK_SET) == 2);
	KT_ASSERT(vfs_write(f, KBUF("ab", 2)) == 2);
	KT_ASSERT(vfs_lseek(f, 0, SEEK_CUR) == 12);
	KT_ASSERT(vfs_read(f, &b) == -EBADF);
	KT_ASSERT((vfs_getfl(f) & (O_APPEND | O_ACCMODE)) == (O_APPEND | O_WRONLY));
	vfs_setfl(f, O_NONBLOCK);
	KT_ASSERT((vfs_getfl(f) & (O_APPEND | O_NONBLOCK)) == O_NONBLOCK);
	file_put(f);
	KT_ASSERT(file_is("/kt_flags/f", "0123456789ab"));
	/* O_TRUNC empties; a read-only file refuses writes. */
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/f", O_RDONLY | O_TRUNC, 0, &f) == 0);
	KT_ASSERT(vfs_write(f, &b) == -EBADF);
	KT_ASSERT(vfs_ftruncate(f, 0) == -EINVAL);
	KT_ASSERT(vfs_read(f, &b) == 0);
	file_put(f);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/f", O_RDONLY | O_DIRECTORY, 0, &f) == -ENOTDIR);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/f/x", O_RDONLY, 0, &f) == -ENOTDIR);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/f/", O_RDONLY, 0, &f) == -ENOTDIR);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/new/", O_RDWR | O_CREAT, 0644, &f) == -EISDIR);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags/n", O_CREAT | O_DIRECTORY, 0644, &f) == -EINVAL);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags", O_WRONLY, 0, &f) == -EISDIR);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags", O_RDONLY | O_CREAT, 0644, &f) == -EISDIR);
	KT_ASSERT(vfs_openat(NULL, "", O_RDONLY, 0, &f) == -ENOENT);
	KT_ASSERT(vfs_openat(NULL, "/kt_flags", O_RDONLY | O_DIRECTORY, 0, &f) == 0);
	KT_ASSERT(vfs_read(f, &b) == -EISDIR);
	file_put(f);
	KT_ASSERT(vfs_unlink(NULL, "/kt_flags/f") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_flags") == 0);
}

KTEST(fs_relative_paths)
{
	struct dentry *base;
	struct file *f;

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_rel", 0755) == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_rel/a", 0755) == 0);
	KT_ASSERT(vfs_lookup(NULL, "/kt_rel/a", LOOKUP_FOLLOW, &base) == 0);
	KT_ASSERT(vfs_openat(base, "f", O_WRONLY | O_CREAT, 0600, &f) == 0);
	file_put(f);
	KT_ASSERT(S_ISREG(lstat_mode("/kt_rel/a/f")));
	KT_ASSERT(vfs_openat(base, "../a/./f", O_RDONLY, 0, &f) == 0);
	file_put(f);
	KT_ASSERT(vfs_openat(base, "/kt_rel/a/f", O_RDONLY, 0, &f) ==
		  0); /* absolute ignores base */
	file_put(f);
	KT_ASSERT(ino_of("/kt_rel/a/../../kt_rel") == ino_of("/kt_rel"));
	KT_ASSERT(vfs_unlink(base, "f") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_rel/a") == 0);
	/* The base was removed: nothing can be created in it any more. */
	KT_ASSERT(vfs_openat(base, "g", O_WRONLY | O_CREAT, 0600, &f) == -ENOENT);
	KT_ASSERT(vfs_mkdir(base, "d", 0755) == -ENOENT);
	dentry_put(base);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_rel") == 0);
}

struct listing {
	struct dir_context ctx;
	int n, max;
	char names[8][16];
};

static bool take_name(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
		      unsigned type)
{
	struct listing *l = container_of(ctx, struct listing, ctx);

	(void)ino;
	(void)type;
	if (l->n >= l->max)
		return false;
	strlcpy(l->names[l->n], name, MIN(len + 1, sizeof(l->names[0])));
	l->n++;
	return true;
}

KTEST(fs_directories)
{
	struct listing l = { .ctx.emit = take_name, .max = 8 };
	struct kstat st;
	struct file *d;

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_dir", 0750) == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_dir", 0750) == -EEXIST);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_dir/sub/", 0755) == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_dir/none/sub", 0755) == -ENOENT);
	KT_ASSERT(vfs_mkdir(NULL, "/", 0755) == -EEXIST);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_dir/.", 0755) == -EEXIST);
	KT_ASSERT(put_file("/kt_dir/file", "x", 1) == 0);
	KT_ASSERT(vfs_mknod(NULL, "/kt_dir/file/x", S_IFREG | 0644, 0) == -ENOTDIR);
	KT_ASSERT(vfs_statat(NULL, "/kt_dir", 0, &st) == 0);
	KT_ASSERT(st.nlink == 3 && (st.mode & 07777) == 0750);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_dir") == -ENOTEMPTY);
	KT_ASSERT(vfs_unlink(NULL, "/kt_dir/sub") == -EISDIR);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_dir/file") == -ENOTDIR);
	KT_ASSERT(vfs_unlink(NULL, "/kt_dir/file/") == -ENOTDIR);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_dir/sub/.") == -EINVAL);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_dir/sub/..") == -ENOTEMPTY);
	KT_ASSERT(vfs_rmdir(NULL, "/") == -EBUSY);
	KT_ASSERT(vfs_unlink(NULL, "/kt_dir/none") == -ENOENT);
	/* Listing: ".", "..", then the entries in creation order, resumable. */
	KT_ASSERT(vfs_openat(NULL, "/kt_dir", O_RDONLY | O_DIRECTORY, 0, &d) == 0);
	l.max = 3;
	KT_ASSERT(vfs_readdir(d, &l.ctx) == 0 && l.n == 3);
	l.max = 8;
	KT_ASSERT(vfs_readdir(d, &l.ctx) == 0 && l.n == 4);
	KT_ASSERT(!strcmp(l.names[0], ".") && !strcmp(l.names[1], ".."));
	KT_ASSERT(!strcmp(l.names[2], "sub") && !strcmp(l.names[3], "file"));
	KT_ASSERT(vfs_lseek(d, 0, SEEK_SET) == 0);
	l.n = 0;
	KT_ASSERT(vfs_readdir(d, &l.ctx) == 0 && l.n == 4);
	file_put(d);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_dir/sub/") == 0);
	KT_ASSERT(vfs_unlink(NULL, "/kt_dir/file") == 0);
	KT_ASSERT(vfs_statat(NULL, "/kt_dir", 0, &st) == 0 && st.nlink == 2);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_dir") == 0);
	KT_ASSERT(lstat_mode("/kt_dir") == -ENOENT);
}

static const char *const sym_names[] = { "rel",	   "abs",    "dangling", "made",
					 "loop_a", "loop_b", "self",	 "dir/file" };

KTEST(fs_symlinks)
{
	char buf[64];
	struct file *f;
	struct kstat st;

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_sym", 0755) == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_sym/dir", 0755) == 0);
	KT_ASSERT(put_file("/kt_sym/dir/file", "data", 4) == 0);
	KT_ASSERT(vfs_symlink("dir/file", NULL, "/kt_sym/rel") == 0);
	KT_ASSERT(vfs_symlink("/kt_sym/dir", NULL, "/kt_sym/abs") == 0);
	KT_ASSERT(vfs_symlink("x", NULL, "/kt_sym/rel") == -EEXIST);
	KT_ASSERT(vfs_symlink("", NULL, "/kt_sym/empty") == -ENOENT);
	KT_ASSERT(file_is("/kt_sym/rel", "data"));
	KT_ASSERT(file_is("/kt_sym/abs/file", "data"));
	KT_ASSERT(file_is("/kt_sym/abs/../rel", "data"));
	KT_ASSERT(vfs_statat(NULL, "/kt_sym/rel", 0, &st) == 0 && S_ISLNK(st.mode));
	KT_ASSERT(st.size == 8);
	KT_ASSERT(vfs_readlink(NULL, "/kt_sym/rel", buf, sizeof(buf)) == 8);
	KT_ASSERT(!memcmp(buf, "dir/file", 8));
	KT_ASSERT(vfs_readlink(NULL, "/kt_sym/rel", buf, 3) == 3);
	KT_ASSERT(vfs_readlink(NULL, "/kt_sym/dir", buf, 3) == -EINVAL);
	KT_ASSERT(S_ISDIR(lstat_mode("/kt_sym/abs/")));
	/* O_NOFOLLOW refuses a final symlink; O_PATH opens the link itself. */
	KT_ASSERT(vfs_openat(NULL, "/kt_sym/rel", O_RDONLY | O_NOFOLLOW, 0, &f) == -ELOOP);
	KT_ASSERT(vfs_openat(NULL, "/kt_sym/rel", O_PATH | O_NOFOLLOW, 0, &f) == 0);
	KT_ASSERT(vfs_fstat(f, &st) == 0 && S_ISLNK(st.mode));
	KT_ASSERT(vfs_read(f, KBUF(buf, 4)) == -EBADF);
	file_put(f);
	/* O_CREAT through a dangling link creates its target; O_EXCL does not follow. */
	KT_ASSERT(vfs_symlink("made", NULL, "/kt_sym/dangling") == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_sym/dangling", O_WRONLY | O_CREAT | O_EXCL, 0644, &f) ==
		  -EEXIST);
	KT_ASSERT(vfs_openat(NULL, "/kt_sym/dangling", O_WRONLY | O_CREAT, 0644, &f) == 0);
	file_put(f);
	KT_ASSERT(S_ISREG(lstat_mode("/kt_sym/made")));
	/* Loops. */
	KT_ASSERT(vfs_symlink("loop_b", NULL, "/kt_sym/loop_a") == 0);
	KT_ASSERT(vfs_symlink("loop_a", NULL, "/kt_sym/loop_b") == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_sym/loop_a", O_RDONLY, 0, &f) == -ELOOP);
	KT_ASSERT(vfs_openat(NULL, "/kt_sym/loop_a/x", O_RDONLY, 0, &f) == -ELOOP);
	KT_ASSERT(vfs_symlink("self", NULL, "/kt_sym/self") == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_sym/self/d", 0755) == -ELOOP);
	KT_ASSERT(vfs_statat(NULL, "/kt_sym/self", 0, &st) == 0); /* lstat does not follow */
	for (size_t i = 0; i < ARRAY_SIZE(sym_names); i++) {
		snprintf(buf, sizeof(buf), "/kt_sym/%s", sym_names[i]);
		KT_ASSERT(vfs_unlink(NULL, buf) == 0);
	}
	KT_ASSERT(vfs_rmdir(NULL, "/kt_sym/dir") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_sym") == 0);
}

KTEST(fs_symlink_limit)
{
	char path[32], target[16];

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_chain", 0755) == 0);
	KT_ASSERT(put_file("/kt_chain/end", "end", 3) == 0);
	/* l0 -> end, l(i) -> l(i-1): opening l(i) follows i + 1 links. */
	for (int i = 0; i <= MAX_SYMLINKS; i++) {
		snprintf(path, sizeof(path), "/kt_chain/l%d", i);
		if (i)
			snprintf(target, sizeof(target), "l%d", i - 1);
		KT_ASSERT(vfs_symlink(i ? target : "end", NULL, path) == 0);
	}
	KT_ASSERT(file_is("/kt_chain/l39", "end"));
	KT_ASSERT(!file_is("/kt_chain/l40", "end"));
	KT_ASSERT(get_file("/kt_chain/l40", path, sizeof(path)) == -ELOOP);
	for (int i = 0; i <= MAX_SYMLINKS; i++) {
		snprintf(path, sizeof(path), "/kt_chain/l%d", i);
		KT_ASSERT(vfs_unlink(NULL, path) == 0);
	}
	KT_ASSERT(vfs_unlink(NULL, "/kt_chain/end") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_chain") == 0);
}

KTEST(fs_name_limits)
{
	char *path = kmalloc(PATH_MAX + 16);
	struct file *f;

	vfs_init();
	KT_ASSERT(path != NULL);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_names", 0755) == 0);
	strlcpy(path, "/kt_names/", PATH_MAX);
	memset(path + 10, 'n', NAME_MAX);
	path[10 + NAME_MAX] = '\0';
	KT_ASSERT(vfs_openat(NULL, path, O_WRONLY | O_CREAT, 0644, &f) == 0);
	file_put(f);
	KT_ASSERT(vfs_unlink(NULL, path) == 0);
	strlcat(path, "n", PATH_MAX); /* 256 bytes */
	KT_ASSERT(vfs_openat(NULL, path, O_WRONLY | O_CREAT, 0644, &f) == -ENAMETOOLONG);
	KT_ASSERT(vfs_mkdir(NULL, path, 0755) == -ENAMETOOLONG);
	/* 4095 bytes of "/" and "./" are fine; 4096 are not. */
	memset(path, '/', PATH_MAX);
	for (int i = 1; i + 1 < PATH_MAX; i += 2)
		path[i] = '.';
	path[PATH_MAX - 1] = '\0';
	KT_ASSERT(ino_of(path) == ino_of("/"));
	path[PATH_MAX - 1] = '/';
	path[PATH_MAX] = '\0';
	KT_ASSERT(vfs_openat(NULL, path, O_RDONLY, 0, &f) == -ENAMETOOLONG);
	kfree(path);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_names") == 0);
}

KTEST(fs_sparse_file)
{
	uint64_t pages = tmpfs_pages_in_use();
	struct iobuf b;
	struct kstat st;
	struct file *f;
	char buf[64];

	vfs_init();
	KT_ASSERT(vfs_openat(NULL, "/kt_sparse", O_RDWR | O_CREAT, 0644, &f) == 0);
	KT_ASSERT(vfs_pwrite(f, KBUF("tail", 4), (1 << 20) + 3) == 4);
	KT_ASSERT(vfs_fstat(f, &st) == 0 && st.size == (1 << 20) + 7 && st.blocks == 8);
	KT_ASSERT(tmpfs_pages_in_use() == pages + 1);
	memset(buf, 0xff, sizeof(buf));
	b = iobuf_kernel(buf, sizeof(buf));
	KT_ASSERT(vfs_pread(f, &b, 4096 * 100) == (ssize_t)sizeof(buf));
	for (size_t i = 0; i < sizeof(buf); i++)
		KT_ASSERT(buf[i] == 0);
	KT_ASSERT(vfs_pread(f, &b, (1 << 20) - 8) == 15);
	KT_ASSERT(!memcmp(buf, "\0\0\0\0\0\0\0\0\0\0\0tail", 15));
	/* Shrinking frees pages and clears the cut-off bytes for good. */
	KT_ASSERT(vfs_ftruncate(f, (1 << 20) + 5) == 0);
	KT_ASSERT(vfs_ftruncate(f, (1 << 20) + 8) == 0);
	KT_ASSERT(vfs_pread(f, &b, (1 << 20)) == 8 && !memcmp(buf, "\0\0\0ta\0\0\0", 8));
	KT_ASSERT(vfs_ftruncate(f, 100) == 0);
	KT_ASSERT(tmpfs_pages_in_use() == pages);
	KT_ASSERT(vfs_lseek(f, 0, SEEK_END) == 100);
	KT_ASSERT(vfs_ftruncate(f, -1) == -EINVAL);
	KT_ASSERT(vfs_ftruncate(f, TMPFS_MAX_SIZE + 1) == -EFBIG);
	KT_ASSERT(vfs_pwrite(f, &b, TMPFS_MAX_SIZE) == -EFBIG);
	file_put(f);
	KT_ASSERT(vfs_unlink(NULL, "/kt_sparse") == 0);
}

#define BIG_SIZE (6u << 20)

static uint8_t pattern(size_t off)
{
	return (uint8_t)(off * 7 + off / 4093);
}

/* Writes BIG_SIZE bytes in chunks of 64 KiB. */
static bool write_big(struct file *f, uint8_t *chunk)
{
	for (size_t off = 0; off < BIG_SIZE; off += 65536) {
		struct iobuf b = iobuf_kernel(chunk, 65536);

		for (size_t i = 0; i < 65536; i++)
			chunk[i] = pattern(off + i);
		if (vfs_write(f, &b) != 65536)
			return false;
	}
	return true;
}

/* Reads it back in odd-sized pieces that straddle pages. */
static bool check_big(struct file *f, uint8_t *chunk)
{
	size_t off = 0;

	while (off < BIG_SIZE) {
		struct iobuf b = iobuf_kernel(chunk, 12345);
		ssize_t n = vfs_read(f, &b);

		if (n <= 0 || (size_t)n != MIN((size_t)12345, BIG_SIZE - off))
			return false;
		for (ssize_t i = 0; i < n; i++) {
			if (chunk[i] != pattern(off + (size_t)i))
				return false;
		}
		off += (size_t)n;
	}
	return true;
}

KTEST(fs_large_file)
{
	uint64_t pages = tmpfs_pages_in_use(), free_before = free_page_count();
	uint8_t *chunk = kmalloc(65536);
	struct kstat st;
	struct file *f;

	vfs_init();
	KT_ASSERT(chunk != NULL);
	KT_ASSERT(vfs_openat(NULL, "/kt_big", O_RDWR | O_CREAT | O_TRUNC, 0644, &f) == 0);
	KT_ASSERT(write_big(f, chunk));
	KT_ASSERT(vfs_fstat(f, &st) == 0 && st.size == BIG_SIZE);
	KT_ASSERT(tmpfs_pages_in_use() == pages + BIG_SIZE / PAGE_SIZE);
	KT_ASSERT(free_page_count() <= free_before - BIG_SIZE / PAGE_SIZE);
	KT_ASSERT(vfs_lseek(f, 0, SEEK_SET) == 0);
	KT_ASSERT(check_big(f, chunk));
	file_put(f);
	KT_ASSERT(vfs_unlink(NULL, "/kt_big") == 0);
	kfree(chunk);
	KT_ASSERT(tmpfs_pages_in_use() == pages);
	KT_ASSERT(free_page_count() + 16 >= free_before);
}

struct appender {
	struct file *f;
	char tag;
	bool ok;
};

#define RECORDS	    400
#define RECORD_SIZE 100

static void append_records(void *arg)
{
	struct appender *a = arg;
	char rec[RECORD_SIZE];

	memset(rec, a->tag, RECORD_SIZE - 1);
	rec[RECORD_SIZE - 1] = '\n';
	a->ok = true;
	for (int i = 0; i < RECORDS; i++) {
		if (vfs_write(a->f, KBUF(rec, RECORD_SIZE)) != RECORD_SIZE)
			a->ok = false;
		if (i % 7 == 0)
			schedule();
	}
}

/* Every record is whole: RECORD_SIZE - 1 equal letters and a newline. */
static bool records_whole(struct file *f)
{
	char rec[RECORD_SIZE];

	for (int i = 0; i < 2 * RECORDS; i++) {
		if (kernel_read(f, rec, RECORD_SIZE, (int64_t)i * RECORD_SIZE) != RECORD_SIZE)
			return false;
		char other = rec[0] == 'a' ? 'b' : 'a';

		if ((rec[0] != 'a' && rec[0] != 'b') || rec[RECORD_SIZE - 1] != '\n' ||
		    memchr(rec, other, RECORD_SIZE))
			return false;
	}
	return true;
}

KTEST(fs_concurrent_append)
{
	struct appender a = { .tag = 'a' }, b = { .tag = 'b' };
	struct thread *ta, *tb;
	struct file *r;

	vfs_init();
	KT_ASSERT(vfs_openat(NULL, "/kt_log", O_WRONLY | O_CREAT | O_APPEND, 0644, &a.f) == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_log", O_WRONLY | O_APPEND, 0, &b.f) == 0);
	ta = kthread_create("append-a", append_records, &a);
	tb = kthread_create("append-b", append_records, &b);
	KT_ASSERT(ta && tb);
	kthread_join(ta);
	kthread_join(tb);
	KT_ASSERT(a.ok && b.ok);
	KT_ASSERT(vfs_lseek(a.f, 0, SEEK_CUR) <= 2 * RECORDS * RECORD_SIZE);
	file_put(a.f);
	file_put(b.f);
	KT_ASSERT(vfs_openat(NULL, "/kt_log", O_RDONLY, 0, &r) == 0);
	KT_ASSERT(vfs_lseek(r, 0, SEEK_END) == 2 * RECORDS * RECORD_SIZE);
	KT_ASSERT(records_whole(r));
	file_put(r);
	KT_ASSERT(vfs_unlink(NULL, "/kt_log") == 0);
}

KTEST(fs_unlinked_open_file)
{
	uint64_t pages = tmpfs_pages_in_use();
	char buf[8];
	struct kstat st;
	struct file *f;

	vfs_init();
	KT_ASSERT(put_file("/kt_gone", "still", 5) == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_gone", O_RDONLY, 0, &f) == 0);
	KT_ASSERT(vfs_unlink(NULL, "/kt_gone") == 0);
	KT_ASSERT(lstat_mode("/kt_gone") == -ENOENT);
	KT_ASSERT(vfs_fstat(f, &st) == 0 && st.nlink == 0);
	KT_ASSERT(vfs_read(f, KBUF(buf, 8)) == 5);
	KT_ASSERT(!memcmp(buf, "still", 5));
	KT_ASSERT(dentry_path(f->dentry, buf, sizeof(buf)) == -ENOENT);
	KT_ASSERT(tmpfs_pages_in_use() == pages + 1);
	file_put(f);
	KT_ASSERT(tmpfs_pages_in_use() == pages);
}

KTEST(fs_dentry_path)
{
	struct dentry *d;
	char buf[64];

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_path", 0755) == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_path/sub", 0755) == 0);
	KT_ASSERT(vfs_lookup(NULL, "/kt_path//sub/", LOOKUP_FOLLOW, &d) == 0);
	KT_ASSERT(dentry_path(d, buf, sizeof(buf)) == 12 && !strcmp(buf, "/kt_path/sub"));
	KT_ASSERT(dentry_path(d, buf, 12) == -ERANGE);
	dentry_put(d);
	KT_ASSERT(vfs_lookup(NULL, "/dev/null", 0, &d) == 0);
	KT_ASSERT(dentry_path(d, buf, sizeof(buf)) == 9 && !strcmp(buf, "/dev/null"));
	dentry_put(d);
	d = vfs_root();
	KT_ASSERT(dentry_path(d, buf, sizeof(buf)) == 1 && !strcmp(buf, "/"));
	dentry_put(d);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_path/sub") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_path") == 0);
}

static uint32_t nlink_of(const char *path)
{
	struct kstat st;

	return vfs_statat(NULL, path, 0, &st) ? 0 : st.nlink;
}

KTEST(fs_hard_links)
{
	struct dentry *d;
	int64_t inodes;

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_ln", 0755) == 0);
	KT_ASSERT(put_file("/kt_ln/a", "data", 4) == 0);
	inodes = READ_ONCE(vfs_live.inodes);
	KT_ASSERT(vfs_lookup(NULL, "/kt_ln/a", 0, &d) == 0);
	KT_ASSERT(vfs_link(d, NULL, "/kt_ln/b") == 0);
	KT_ASSERT(vfs_link(d, NULL, "/kt_ln/b") == -EEXIST);
	KT_ASSERT(vfs_link(d, NULL, "/dev/kt_b") == -EXDEV);
	KT_ASSERT(vfs_link(d, NULL, "/kt_ln/none/b") == -ENOENT);
	KT_ASSERT(READ_ONCE(vfs_live.inodes) == inodes); /* one inode, two names */
	KT_ASSERT(nlink_of("/kt_ln/a") == 2 && ino_of("/kt_ln/a") == ino_of("/kt_ln/b"));
	KT_ASSERT(vfs_unlink(NULL, "/kt_ln/a") == 0);
	KT_ASSERT(file_is("/kt_ln/b", "data") && nlink_of("/kt_ln/b") == 1);
	KT_ASSERT(vfs_unlink(NULL, "/kt_ln/b") == 0);
	KT_ASSERT(vfs_link(d, NULL, "/kt_ln/c") == -ENOENT); /* no name left */
	dentry_put(d);
	KT_ASSERT(READ_ONCE(vfs_live.inodes) == inodes - 1);
	KT_ASSERT(vfs_lookup(NULL, "/kt_ln", 0, &d) == 0);
	KT_ASSERT(vfs_link(d, NULL, "/kt_ln2") == -EPERM);
	dentry_put(d);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_ln") == 0);
}

KTEST(fs_rename)
{
	char name[200];
	int64_t inodes;

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_mv", 0755) == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_mv/d", 0755) == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_mv/d/sub", 0755) == 0);
	KT_ASSERT(put_file("/kt_mv/a", "A", 1) == 0 && put_file("/kt_mv/b", "B", 1) == 0);
	inodes = READ_ONCE(vfs_live.inodes);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/a", NULL, "/kt_mv/b", 0) == 0);
	KT_ASSERT(READ_ONCE(vfs_live.inodes) == inodes - 1); /* the replaced file is freed */
	KT_ASSERT(file_is("/kt_mv/b", "A") && lstat_mode("/kt_mv/a") == -ENOENT);
	/* A long name does not fit in the dentry: it gets a block, then fits again. */
	memset(name, 'n', sizeof(name));
	memcpy(name, "/kt_mv/d/", 9);
	name[sizeof(name) - 1] = '\0';
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/b", NULL, name, 0) == 0);
	KT_ASSERT(file_is(name, "A"));
	KT_ASSERT(vfs_rename(NULL, name, NULL, "/kt_mv/b", 0) == 0);
	KT_ASSERT(file_is("/kt_mv/b", "A"));
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/d", NULL, "/kt_mv/d/sub/x", 0) == -EINVAL);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/d/sub", NULL, "/kt_mv", 0) == -ENOTEMPTY);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/d/sub", NULL, "/kt_mv/d/.", 0) == -EBUSY);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/d/sub", NULL, "/kt_mv/d", 0) == -ENOTEMPTY);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/b", NULL, "/kt_mv/d", 0) == -EISDIR);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/d", NULL, "/kt_mv/b", 0) == -ENOTDIR);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/b", NULL, "/dev/kt_b", 0) == -EXDEV);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/b", NULL, "/kt_mv/d", RENAME_NOREPLACE) == -EEXIST);
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/b", NULL, "/kt_mv/d", RENAME_EXCHANGE) == 0);
	KT_ASSERT(S_ISDIR(lstat_mode("/kt_mv/b/sub")) && file_is("/kt_mv/d", "A"));
	KT_ASSERT(vfs_rename(NULL, "/kt_mv/b/sub", NULL, "/kt_mv/sub", 0) == 0);
	KT_ASSERT(nlink_of("/kt_mv") == 4 && nlink_of("/kt_mv/b") == 2);
	KT_ASSERT(vfs_unlink(NULL, "/kt_mv/d") == 0 && vfs_rmdir(NULL, "/kt_mv/b") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_mv/sub") == 0 && vfs_rmdir(NULL, "/kt_mv") == 0);
}

struct counted_listing {
	struct dir_context ctx;
	int n;
};

static bool count_name(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
		       unsigned type)
{
	struct counted_listing *l = container_of(ctx, struct counted_listing, ctx);

	(void)name;
	(void)len;
	(void)ino;
	(void)type;
	if (l->n == 4) /* four entries per call */
		return false;
	l->n++;
	return true;
}

/* Removing entries while listing a directory (rm -r) neither skips nor repeats any. */
KTEST(fs_listing_while_removing)
{
	struct counted_listing l = { .ctx.emit = count_name };
	struct file *f;
	char path[32];
	int seen = 0;

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_rm", 0755) == 0);
	for (int i = 0; i < 30; i++) {
		snprintf(path, sizeof(path), "/kt_rm/f%d", i);
		KT_ASSERT(put_file(path, "", 0) == 0);
	}
	KT_ASSERT(vfs_openat(NULL, "/kt_rm", O_RDONLY, 0, &f) == 0);
	do {
		l.n = 0;
		KT_ASSERT(vfs_readdir(f, &l.ctx) == 0);
		seen += l.n;
		for (int i = 0; i < 30; i++) { /* remove everything listed so far */
			snprintf(path, sizeof(path), "/kt_rm/f%d", i);
			if (i < seen - 2)
				vfs_unlink(NULL, path);
		}
	} while (l.n);
	file_put(f);
	KT_ASSERT(seen == 32); /* ".", "..", 30 files */
	KT_ASSERT(vfs_rmdir(NULL, "/kt_rm") == 0);
}

KTEST(fs_statfs_and_mount_flags)
{
	char *page = kzalloc(4096);
	struct statfs st;
	struct dentry *d;
	struct file *f;

	vfs_init();
	KT_ASSERT(page != NULL);
	KT_ASSERT(vfs_lookup(NULL, "/proc", LOOKUP_FOLLOW, &d) == 0);
	KT_ASSERT(vfs_statfs(d, &st) == 0 && st.f_type == PROC_SUPER_MAGIC);
	dentry_put(d);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_sf", 0755) == 0);
	KT_ASSERT(vfs_mount("x", NULL, "/kt_sf", "tmpfs", 0, "bogus") == -EINVAL);
	KT_ASSERT(vfs_mount("x", NULL, "/kt_sf", "tmpfs", 0, "size=16k,nr_inodes=3") == 0);
	KT_ASSERT(vfs_lookup(NULL, "/kt_sf", LOOKUP_FOLLOW, &d) == 0);
	KT_ASSERT(vfs_statfs(d, &st) == 0 && st.f_type == TMPFS_MAGIC);
	KT_ASSERT(st.f_blocks == 4 && st.f_bfree == 4 && st.f_files == 3 && st.f_ffree == 2);
	KT_ASSERT(st.f_flags & ST_RELATIME);
	KT_ASSERT(vfs_openat(NULL, "/kt_sf/f", O_RDWR | O_CREAT, 0644, &f) == 0);
	for (int i = 0; i < 4; i++)
		KT_ASSERT(vfs_write(f, KBUF(page, 4096)) == 4096);
	KT_ASSERT(vfs_write(f, KBUF(page, 4096)) == -ENOSPC); /* size=16k */
	KT_ASSERT(vfs_statfs(d, &st) == 0 && st.f_bfree == 0 && st.f_ffree == 1);
	KT_ASSERT(put_file("/kt_sf/g", "", 0) == 0);
	KT_ASSERT(put_file("/kt_sf/h", "", 0) == -ENOSPC);		 /* nr_inodes=3 */
	KT_ASSERT(vfs_remount(NULL, "/kt_sf", 0, "size=8k") == -EINVAL); /* less than used */
	KT_ASSERT(vfs_remount(NULL, "/kt_sf", MS_RDONLY, NULL) == 0);
	KT_ASSERT(vfs_statfs(d, &st) == 0 && (st.f_flags & ST_RDONLY));
	KT_ASSERT(vfs_write(f, KBUF(page, 1)) == -ENOSPC); /* already open for writing */
	KT_ASSERT(vfs_mkdir(NULL, "/kt_sf/d", 0755) == -EROFS);
	KT_ASSERT(vfs_unlink(NULL, "/kt_sf/g") == -EROFS);
	KT_ASSERT(vfs_remount(NULL, "/kt_sf", 0, NULL) == 0);
	KT_ASSERT(vfs_unlink(NULL, "/kt_sf/g") == 0);
	file_put(f);
	dentry_put(d);
	kfree(page);
	KT_ASSERT(vfs_umount(NULL, "/kt_sf") == 0 && vfs_rmdir(NULL, "/kt_sf") == 0);
}

KTEST(fs_memory_devices)
{
	char buf[100];
	struct iobuf b = iobuf_kernel(buf, sizeof(buf));
	struct file *f;

	vfs_init();
	KT_ASSERT(vfs_openat(NULL, "/dev/null", O_RDWR, 0, &f) == 0);
	KT_ASSERT(vfs_write(f, &b) == 100 && vfs_read(f, &b) == 0);
	KT_ASSERT(vfs_lseek(f, 100, SEEK_SET) == 0);
	file_put(f);
	KT_ASSERT(vfs_openat(NULL, "/dev/zero", O_RDWR, 0, &f) == 0);
	memset(buf, 0x5a, sizeof(buf));
	KT_ASSERT(vfs_read(f, &b) == 100);
	for (size_t i = 0; i < sizeof(buf); i++)
		KT_ASSERT(buf[i] == 0);
	KT_ASSERT(vfs_write(f, &b) == 100);
	file_put(f);
	KT_ASSERT(vfs_openat(NULL, "/dev/full", O_WRONLY, 0, &f) == 0);
	KT_ASSERT(vfs_write(f, &b) == -ENOSPC);
	file_put(f);
	/* A node made anywhere reaches the driver by its number. */
	KT_ASSERT(vfs_mknod(NULL, "/kt_zero", S_IFCHR | 0600, MKDEV(1, 5)) == 0);
	KT_ASSERT(vfs_mknod(NULL, "/kt_nodev", S_IFCHR | 0600, MKDEV(250, 1)) == 0);
	KT_ASSERT(vfs_mknod(NULL, "/kt_fifo", S_IFIFO | 0600, 0) == 0);
	KT_ASSERT(vfs_mknod(NULL, "/kt_bad", S_IFDIR | 0600, 0) == -EPERM);
	memset(buf, 1, sizeof(buf));
	KT_ASSERT(get_file("/kt_zero", buf, 10) == 10 && buf[9] == 0 && buf[10] == 1);
	KT_ASSERT(get_file("/kt_nodev", buf, 10) == -ENXIO);
	/* A FIFO opens through the pipe code: a writer without a reader is -ENXIO. */
	KT_ASSERT(vfs_openat(NULL, "/kt_fifo", O_WRONLY | O_NONBLOCK, 0, &f) == -ENXIO);
	KT_ASSERT(vfs_unlink(NULL, "/kt_zero") == 0 && vfs_unlink(NULL, "/kt_nodev") == 0);
	KT_ASSERT(vfs_unlink(NULL, "/kt_fifo") == 0);
}

KTEST(fs_console_device)
{
	struct winsize ws;
	struct file *f;
	char buf[4];
	ssize_t n;

	vfs_init();
	KT_ASSERT(vfs_openat(NULL, "/dev/console", O_RDWR | O_NONBLOCK, 0, &f) == 0);
	KT_ASSERT(vfs_write(f, KBUF("kt_fs: console\n", 15)) == 15);
	/* Nothing is typed during the self-tests; a non-blocking read must not wait. */
	n = vfs_read(f, KBUF(buf, sizeof(buf)));
	KT_ASSERT(n == -EAGAIN || n > 0);
	KT_ASSERT(vfs_lseek(f, 0, SEEK_SET) == -ESPIPE);
	KT_ASSERT(vfs_pread(f, KBUF(buf, 1), 0) == -ESPIPE);
	/* ioctl arguments are user pointers: a kernel address is refused. */
	KT_ASSERT(vfs_ioctl(f, TIOCGWINSZ, (uintptr_t)&ws) == -EFAULT);
	KT_ASSERT(vfs_ioctl(f, 0x12345678, 0) == -ENOTTY);
	file_put(f);
	KT_ASSERT(vfs_openat(NULL, "/dev/tty", O_WRONLY, 0, &f) == 0);
	KT_ASSERT(vfs_read(f, KBUF(buf, 1)) == -EBADF);
	KT_ASSERT(vfs_ioctl(f, TCGETS, (uintptr_t)&ws) == -EFAULT);
	file_put(f);
}

KTEST(fs_mount_umount)
{
	struct kstat root, in;
	struct file *f;

	vfs_init();
	KT_ASSERT(vfs_mkdir(NULL, "/kt_mnt", 0755) == 0);
	KT_ASSERT(vfs_mount("x", NULL, "/kt_mnt", "nosuchfs", 0, NULL) == -ENODEV);
	KT_ASSERT(vfs_mount("x", NULL, "/kt_none", "tmpfs", 0, NULL) == -ENOENT);
	KT_ASSERT(vfs_mount("scratch", NULL, "/kt_mnt", "tmpfs", 0, NULL) == 0);
	KT_ASSERT(vfs_statat(NULL, "/", 0, &root) == 0);
	KT_ASSERT(vfs_statat(NULL, "/kt_mnt", LOOKUP_FOLLOW, &in) == 0);
	KT_ASSERT(in.dev != root.dev && in.ino == 1);
	KT_ASSERT(put_file("/kt_mnt/f", "in", 2) == 0);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_mnt/d", 0755) == 0);
	KT_ASSERT(ino_of("/kt_mnt/d/../..") == root.ino);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_mnt") == -EBUSY);
	KT_ASSERT(vfs_umount(NULL, "/kt_mnt/d") == -EINVAL);
	KT_ASSERT(vfs_openat(NULL, "/kt_mnt/f", O_RDONLY, 0, &f) == 0);
	KT_ASSERT(vfs_umount(NULL, "/kt_mnt") == -EBUSY);
	file_put(f);
	KT_ASSERT(vfs_umount(NULL, "/kt_mnt") == 0);
	KT_ASSERT(lstat_mode("/kt_mnt/f") == -ENOENT);
	KT_ASSERT(vfs_umount(NULL, "/kt_mnt") == -EINVAL);
	KT_ASSERT(vfs_umount(NULL, "/") == -EBUSY);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_mnt") == 0);
}

/* Appends one newc entry with inode number ino and link count nlink to buf at *off. */
static void cpio_add_ino(char *buf, size_t *off, const char *name, unsigned mode, const char *data,
			 unsigned ino, unsigned nlink)
{
	size_t size = data ? strlen(data) : 0, namesize = strlen(name) + 1;

	*off += (size_t)snprintf(
		buf + *off, 200, "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", ino,
		mode, 0u, 0u, nlink, 7u, (unsigned)size, 0u, 0u, 0u, 0u, (unsigned)namesize, 0u);
	memcpy(buf + *off, name, namesize);
	*off = ALIGN_UP(*off + namesize, (size_t)4);
	if (size)
		memcpy(buf + *off, data, size);
	*off = ALIGN_UP(*off + size, (size_t)4);
}

/* Appends one newc entry to buf at *off. */
static void cpio_add(char *buf, size_t *off, const char *name, unsigned mode, unsigned mtime,
		     const char *data, unsigned rmajor, unsigned rminor)
{
	size_t size = data ? strlen(data) : 0, namesize = strlen(name) + 1;

	*off += (size_t)snprintf(buf + *off, 200,
				 "070701%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X%08X", 1u,
				 mode, 0u, 0u, 1u, mtime, (unsigned)size, 0u, 0u, rmajor, rminor,
				 (unsigned)namesize, 0u);
	memcpy(buf + *off, name, namesize);
	*off = ALIGN_UP(*off + namesize, (size_t)4);
	if (size)
		memcpy(buf + *off, data, size);
	*off = ALIGN_UP(*off + size, (size_t)4);
}

static size_t sample_archive(char *buf)
{
	size_t off = 0;

	memset(buf, 0, 2048);
	cpio_add(buf, &off, ".", 040755, 0, NULL, 0, 0);
	cpio_add(buf, &off, "kt_ird", 040700, 1000000, NULL, 0, 0);
	cpio_add(buf, &off, "kt_ird/a/b/file", 0100751, 1234567, "contents\n", 0, 0);
	cpio_add(buf, &off, "./kt_ird/link", 0120777, 7, "a/b/file", 0, 0);
	cpio_add(buf, &off, "/kt_ird/null", 020666, 7, NULL, 1, 3);
	cpio_add(buf, &off, "kt_ird/empty", 0100600, 7, NULL, 0, 0);
	cpio_add(buf, &off, "TRAILER!!!", 0, 0, NULL, 0, 0);
	return off;
}

KTEST(fs_initramfs)
{
	char *buf = kzalloc(2048);
	size_t len;
	struct kstat st;

	vfs_init();
	KT_ASSERT(buf != NULL);
	len = sample_archive(buf);
	KT_ASSERT(initramfs_unpack(buf, len) == 6);
	KT_ASSERT(vfs_statat(NULL, "/kt_ird", 0, &st) == 0);
	KT_ASSERT(S_ISDIR(st.mode) && (st.mode & 07777) == 0700 && st.mtime.sec == 1000000);
	KT_ASSERT(vfs_statat(NULL, "/kt_ird/a/b/file", 0, &st) == 0);
	KT_ASSERT((st.mode & 07777) == 0751 && st.size == 9 && st.mtime.sec == 1234567);
	KT_ASSERT(file_is("/kt_ird/a/b/file", "contents\n"));
	KT_ASSERT(file_is("/kt_ird/link", "contents\n"));
	KT_ASSERT(S_ISDIR(lstat_mode("/kt_ird/a/b")));
	KT_ASSERT(vfs_statat(NULL, "/kt_ird/null", 0, &st) == 0 && st.rdev == MKDEV(1, 3));
	KT_ASSERT(file_is("/kt_ird/empty", ""));
	/* Unpacking again replaces what is there. */
	KT_ASSERT(initramfs_unpack(buf, len) == 6);
	KT_ASSERT(file_is("/kt_ird/a/b/file", "contents\n"));
	/* A corrupt archive changes nothing. */
	KT_ASSERT(put_file("/kt_ird/empty", "kept", 4) == 0);
	buf[len - 2 * 124 + 2] = 'Z'; /* the magic of "kt_ird/empty" */
	KT_ASSERT(initramfs_unpack(buf, len) == -EINVAL);
	KT_ASSERT(initramfs_unpack(buf, 60) == -EINVAL);
	KT_ASSERT(file_is("/kt_ird/empty", "kept"));
	kfree(buf);
	KT_ASSERT(vfs_unlink(NULL, "/kt_ird/a/b/file") == 0 && vfs_rmdir(NULL, "/kt_ird/a/b") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_ird/a") == 0 && vfs_unlink(NULL, "/kt_ird/link") == 0);
	KT_ASSERT(vfs_unlink(NULL, "/kt_ird/null") == 0 && vfs_unlink(NULL, "/kt_ird/empty") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_ird") == 0);
}

/* Names with one inode number and a link count of 3 are one file: GNU cpio puts the data last. */
KTEST(fs_initramfs_hard_links)
{
	char *buf = kzalloc(2048);
	struct kstat a, b, c;
	size_t off = 0;

	vfs_init();
	KT_ASSERT(buf != NULL);
	cpio_add_ino(buf, &off, "kt_hl", 040755, NULL, 1, 2);
	cpio_add_ino(buf, &off, "kt_hl/one", 0100644, NULL, 5, 3);
	cpio_add_ino(buf, &off, "kt_hl/two", 0100644, NULL, 5, 3);
	cpio_add_ino(buf, &off, "kt_hl/three", 0100644, "shared\n", 5, 3);
	cpio_add_ino(buf, &off, "kt_hl/other", 0100644, "other\n", 6, 1);
	cpio_add_ino(buf, &off, "TRAILER!!!", 0, NULL, 0, 1);
	KT_ASSERT(initramfs_unpack(buf, off) == 5);
	KT_ASSERT(vfs_statat(NULL, "/kt_hl/one", 0, &a) == 0);
	KT_ASSERT(vfs_statat(NULL, "/kt_hl/two", 0, &b) == 0);
	KT_ASSERT(vfs_statat(NULL, "/kt_hl/three", 0, &c) == 0);
	KT_ASSERT(a.ino == b.ino && b.ino == c.ino && a.nlink == 3 && a.size == 7);
	KT_ASSERT(file_is("/kt_hl/one", "shared\n") && file_is("/kt_hl/other", "other\n"));
	KT_ASSERT(ino_of("/kt_hl/other") != a.ino);
	/* Again over itself: the names are replaced and joined again. */
	KT_ASSERT(initramfs_unpack(buf, off) == 5);
	KT_ASSERT(vfs_statat(NULL, "/kt_hl/one", 0, &a) == 0 && a.nlink == 3);
	KT_ASSERT(file_is("/kt_hl/two", "shared\n"));
	kfree(buf);
	KT_ASSERT(vfs_unlink(NULL, "/kt_hl/one") == 0 && vfs_unlink(NULL, "/kt_hl/two") == 0);
	KT_ASSERT(vfs_unlink(NULL, "/kt_hl/three") == 0 && vfs_unlink(NULL, "/kt_hl/other") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_hl") == 0);
}

static struct file *open_null(void)
{
	struct file *f;

	return vfs_openat(NULL, "/dev/null", O_RDWR, 0, &f) ? NULL : f;
}

KTEST(fs_fd_table)
{
	struct fd_table *t, *c;
	struct file *a, *b, *g;

	vfs_init();
	t = fdtable_create();
	a = open_null();
	b = open_null();
	KT_ASSERT(t && a && b);
	KT_ASSERT(fd_install(t, file_get(a), false) == 0);
	KT_ASSERT(fd_install(t, file_get(b), true) == 1);
	KT_ASSERT(fd_install(t, file_get(a), false) == 2);
	KT_ASSERT(fd_close(t, 1) == 0 && fd_close(t, 1) == -EBADF);
	KT_ASSERT(fd_close(t, -1) == -EBADF && fd_close(t, 5000) == -EBADF);
	KT_ASSERT(fd_install(t, file_get(b), true) == 1); /* lowest free */
	KT_ASSERT(fd_install_at(t, 100, file_get(a), false) == 100);
	KT_ASSERT(fd_install_at(t, 100, file_get(b), false) == 100); /* replaces */
	KT_ASSERT(fd_install_at(t, FD_LIMIT_DEFAULT, a, false) == -EBADF);
	KT_ASSERT(fd_install_at(t, -1, a, false) == -EBADF);
	KT_ASSERT(fd_install_from(t, 50, file_get(a), false) == 50);
	KT_ASSERT(fd_install_from(t, FD_LIMIT_DEFAULT, a, false) == -EMFILE);
	KT_ASSERT(fd_install_from(t, -1, a, false) == -EINVAL);
	KT_ASSERT(fd_count(t) == 5);
	g = fd_get_file(t, 100);
	KT_ASSERT(g == b && fd_get_file(t, 99) == NULL && fd_get_file(t, -3) == NULL);
	file_put(g);
	KT_ASSERT(fd_get_cloexec(t, 1) == 1 && fd_get_cloexec(t, 0) == 0);
	KT_ASSERT(fd_set_cloexec(t, 0, true) == 0 && fd_set_cloexec(t, 7, true) == -EBADF);
	/* fork's copy shares the files; exec's close-on-exec acts on the copy only. */
	c = fdtable_clone(t);
	KT_ASSERT(c && fd_count(c) == 5 && a->refcount == 1 + 2 * 3);
	fd_close_on_exec(c);
	KT_ASSERT(fd_count(c) == 3 && fd_count(t) == 5);
	KT_ASSERT(fd_get_file(c, 0) == NULL && fd_get_file(c, 1) == NULL);
	fdtable_put(c);
	KT_ASSERT(fdtable_get(t) == t);
	fdtable_put(t);
	KT_ASSERT(fd_count(t) == 5);
	fdtable_put(t);
	KT_ASSERT(a->refcount == 1 && b->refcount == 1);
	file_put(a);
	file_put(b);
}

KTEST(fs_fd_table_limit)
{
	struct fd_table *t, *c;
	struct file *f;

	vfs_init();
	t = fdtable_create();
	f = open_null();
	KT_ASSERT(t && f);
	for (int i = 0; i < FD_LIMIT_DEFAULT; i++)
		KT_ASSERT(fd_install(t, file_get(f), false) == i);
	KT_ASSERT(fd_install(t, f, false) == -EMFILE);
	KT_ASSERT(fd_table_size(t) == FD_LIMIT_DEFAULT); /* chunk 0 doubled, then whole chunks */
	KT_ASSERT(fd_close(t, 700) == 0);
	KT_ASSERT(fd_install(t, file_get(f), false) == 700);
	KT_ASSERT(f->refcount == 1 + FD_LIMIT_DEFAULT);
	/* fork's copy holds up to the highest open fd; exec's close walks every chunk. */
	c = fdtable_clone(t);
	KT_ASSERT(c && fd_count(c) == FD_LIMIT_DEFAULT && fd_table_size(c) == FD_LIMIT_DEFAULT);
	fd_close_range(c, 10, 1000, true);
	KT_ASSERT(fd_get_cloexec(c, 9) == 0 && fd_get_cloexec(c, 10) == 1);
	KT_ASSERT(fd_get_cloexec(c, 1000) == 1 && fd_get_cloexec(c, 1001) == 0);
	fd_close_on_exec(c);
	KT_ASSERT(fd_count(c) == FD_LIMIT_DEFAULT - 991);
	fd_close_range(c, 5, ~0u, false);
	KT_ASSERT(fd_count(c) == 5 && fd_get_file(c, 1020) == NULL);
	fdtable_put(c);
	KT_ASSERT(f->refcount == 1 + FD_LIMIT_DEFAULT);
	fdtable_put(t);
	KT_ASSERT(f->refcount == 1);
	file_put(f);
}

KTEST(fs_fd_table_reserve)
{
	struct fd_table *t, *c;
	struct file *f;
	int r;

	vfs_init();
	t = fdtable_create();
	f = open_null();
	KT_ASSERT(t && f);
	KT_ASSERT(fd_install(t, file_get(f), false) == 0);
	r = fd_reserve(t);
	KT_ASSERT(r == 1);
	/* Taken, yet closed for everyone else until its file comes. */
	KT_ASSERT(fd_get_file(t, 1) == NULL && fd_close(t, 1) == -EBADF);
	KT_ASSERT(fd_install_at(t, 1, f, false) == -EBUSY);
	KT_ASSERT(fd_install(t, file_get(f), false) == 2);
	fd_unreserve(t, r);
	KT_ASSERT(fd_install(t, file_get(f), false) == 1);
	r = fd_reserve(t);
	KT_ASSERT(r == 3 && fd_count(t) == 3);
	KT_ASSERT(fd_install(t, file_get(f), false) == 4);
	/* fork's copy of a table with a reservation in it: the fd is free there. */
	c = fdtable_clone(t);
	KT_ASSERT(c && fd_count(c) == 4 && fd_install(c, file_get(f), false) == 3);
	fdtable_put(c);
	fd_install_reserved(t, r, file_get(f), true);
	KT_ASSERT(fd_get_cloexec(t, 3) == 1 && fd_count(t) == 5);
	fdtable_put(t);
	KT_ASSERT(f->refcount == 1);
	file_put(f);
}

/* Builds and removes a small tree with files, links, nodes and a mount. */
static bool fs_workout(void)
{
	static const char data[] = "0123456789abcdef";
	struct fd_table *t = fdtable_create();
	struct file *f;
	char path[32];
	bool ok = t && vfs_mkdir(NULL, "/kt_work", 0755) == 0;

	for (int i = 0; ok && i < 20; i++) {
		snprintf(path, sizeof(path), "/kt_work/f%d", i);
		ok = vfs_openat(NULL, path, O_RDWR | O_CREAT, 0644, &f) == 0;
		for (int k = 0; ok && k < 1000; k++)
			ok = vfs_write(f, KBUF(data, 16)) == 16;
		if (ok)
			ok = fd_install(t, f, i & 1) >= 0;
	}
	ok = ok && vfs_symlink("f1", NULL, "/kt_work/l") == 0 &&
	     vfs_rename(NULL, "/kt_work/f2", NULL,
			"/kt_work/a_name_longer_than_the_room_of_a_dentry", 0) == 0 &&
	     vfs_rename(NULL, "/kt_work/f3", NULL, "/kt_work/f4", 0) == 0 &&
	     vfs_setattrat(NULL, "/kt_work/f5", 0, &(struct vfs_attr){ .valid = ATTR_MODE }) == 0 &&
	     vfs_mknod(NULL, "/kt_work/n", S_IFCHR | 0600, MKDEV(1, 3)) == 0 &&
	     vfs_mkdir(NULL, "/kt_work/m", 0755) == 0 &&
	     vfs_mount("w", NULL, "/kt_work/m", "tmpfs", 0, NULL) == 0 &&
	     put_file("/kt_work/m/x", data, 16) == 0 && vfs_umount(NULL, "/kt_work/m") == 0;
	if (t)
		fdtable_put(t);
	for (int i = 0; i < 20; i++) {
		snprintf(path, sizeof(path), "/kt_work/f%d", i);
		vfs_unlink(NULL, path);
	}
	vfs_unlink(NULL, "/kt_work/l");
	vfs_unlink(NULL, "/kt_work/a_name_longer_than_the_room_of_a_dentry");
	vfs_unlink(NULL, "/kt_work/n");
	vfs_rmdir(NULL, "/kt_work/m");
	return vfs_rmdir(NULL, "/kt_work") == 0 && ok;
}

KTEST(fs_memory_returned)
{
	struct vfs_counts live;
	uint64_t free_before, pages = tmpfs_pages_in_use();

	vfs_init();
	KT_ASSERT(fs_workout()); /* warms the slab caches */
	live = vfs_live;
	free_before = free_page_count();
	for (int i = 0; i < 3; i++)
		KT_ASSERT(fs_workout());
	KT_ASSERT(counts_equal(&live));
	KT_ASSERT(tmpfs_pages_in_use() == pages);
	/* Slab caches may keep an empty slab each; file data alone is 80 pages a run. */
	KT_ASSERT(free_page_count() + 8 >= free_before);
}
