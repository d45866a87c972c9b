/*
 * In-kernel self-tests of procfs (fs/procfs.c, fs/procfs_show.c) through
 * kernel iobufs: the system files (meminfo, uptime, mounts, axolotl/stats,
 * cpuinfo, version), listings, missing processes, read-only behaviour,
 * consistent reads of one open file, the allocator counters behind
 * meminfo, and that using /proc gives all memory back. Self-tests run in
 * kernel threads, which belong to no process, so the files of /proc/PID
 * are tested from user space (user/tests/procfs.c).
 */
#include <kernel/ktest.h>
#include <kernel/proc.h>
#include <kernel/smp.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <fs/vfs.h>
#include <lib/compiler.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <mm/kstack.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <arch/x86_64/layout.h>
#include <uapi/errno.h>

#define KBUF(p, n) (&(struct iobuf){ (uintptr_t)(p), (n), false })
#define TEXT_MAX   8192

/* The whole of path, NUL-terminated, in a kmalloc'd buffer (*out); its length or an error. */
static ssize_t slurp(const char *path, char **out)
{
	struct file *f;
	ssize_t r = vfs_openat(NULL, path, O_RDONLY, 0, &f), n = 0;
	char *buf;

	if (r)
		return r;
	buf = kmalloc(TEXT_MAX);
	if (!buf) {
		file_put(f);
		return -ENOMEM;
	}
	do {
		r = vfs_read(f, KBUF(buf + n, TEXT_MAX - 1 - n));
		n += r > 0 ? r : 0;
	} while (r > 0);
	file_put(f);
	if (r < 0) {
		kfree(buf);
		return r;
	}
	buf[n] = '\0';
	*out = buf;
	return n;
}

/* Digits at p into *v; the position after them, or NULL when there are none. */
static const char *take_number(const char *p, uint64_t *v)
{
	const char *start = p;

	*v = 0;
	for (; *p >= '0' && *p <= '9'; p++)
		*v = *v * 10 + (uint64_t)(*p - '0');
	return p == start ? NULL : p;
}

/* The number after label (and blanks) at the start of a line of text; -1 if none. */
static int64_t value_after(const char *text, const char *label)
{
	size_t n = strlen(label);
	const char *p = text;
	uint64_t v;

	while (p && strncmp(p, label, n)) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return -1;
	for (p += n; *p == ' ' || *p == '\t';)
		p++;
	return take_number(p, &v) ? (int64_t)v : -1;
}

static int lstat_mode(const char *path)
{
	struct kstat st;
	int r = vfs_statat(NULL, path, 0, &st);

	return r ? r : (int)st.mode;
}

static int open_flags(const char *path, int flags)
{
	struct file *f;
	int r = vfs_openat(NULL, path, flags, 0644, &f);

	if (!r)
		file_put(f);
	return r;
}

KTEST(procfs_meminfo)
{
	char *t;
	int64_t total, free, slab;

	vfs_init();
	KT_ASSERT(slurp("/proc/meminfo", &t) > 0);
	total = value_after(t, "MemTotal:");
	free = value_after(t, "MemFree:");
	slab = value_after(t, "Slab:");
	/* Linux's layout: the name and colon in 16 columns, the number in 8, then " kB". */
	KT_ASSERT(!strncmp(t, "MemTotal:       ", 16));
	KT_ASSERT(strstr(t, " kB\nMemFree:") != NULL);
	KT_ASSERT(total == (int64_t)total_page_count() * 4);
	KT_ASSERT(free > 0 && free <= total);
	KT_ASSERT(value_after(t, "MemAvailable:") > 0);
	KT_ASSERT(slab > 0 && value_after(t, "SUnreclaim:") == slab);
	KT_ASSERT(value_after(t, "SReclaimable:") == 0 && value_after(t, "Buffers:") == 0);
	KT_ASSERT(value_after(t, "Cached:") >= 0 && value_after(t, "PageTables:") == 0);
	/* This test runs on a kernel thread's stack. */
	KT_ASSERT(value_after(t, "KernelStack:") >= KSTACK_PAGES * 4);
	kfree(t);
}

/* "S.CC" (seconds and hundredths) at p into *ns; the position after, or NULL. */
static const char *take_seconds(const char *p, uint64_t *ns)
{
	uint64_t sec, cs;
	const char *q = take_number(p, &sec);

	if (!q || *q != '.' || !(p = take_number(q + 1, &cs)) || p - q != 3)
		return NULL;
	*ns = sec * NSEC_PER_SEC + cs * (NSEC_PER_SEC / 100);
	return p;
}

KTEST(procfs_uptime)
{
	uint64_t before = clock_ns(), up, idle;
	const char *p;
	char *t;

	vfs_init();
	KT_ASSERT(slurp("/proc/uptime", &t) > 0);
	p = take_seconds(t, &up);
	KT_ASSERT(p && *p == ' ');
	p = take_seconds(p + 1, &idle);
	KT_ASSERT(p && p[0] == '\n' && p[1] == '\0');
	KT_ASSERT(up + NSEC_PER_SEC / 100 > before && up <= clock_ns());
	/* Idle time is summed over the CPUs, as on Linux: each CPU idles at most up. */
	KT_ASSERT(idle <= (up + NSEC_PER_SEC / 50) * smp_cpus_online());
	kfree(t);
}

KTEST(procfs_mounts)
{
	char *t;

	vfs_init();
	KT_ASSERT(slurp("/proc/mounts", &t) > 0);
	KT_ASSERT(!strncmp(t, "rootfs / tmpfs rw 0 0\n", 22));
	KT_ASSERT(strstr(t, "\ndevtmpfs /dev devtmpfs rw 0 0\n") != NULL);
	KT_ASSERT(strstr(t, "\nproc /proc proc rw 0 0\n") != NULL);
	kfree(t);
	/* A new mount shows up, its blanks escaped as on Linux, and goes away with it. */
	KT_ASSERT(vfs_mkdir(NULL, "/kt proc\tmnt", 0755) == 0);
	KT_ASSERT(vfs_mount("kt scratch", NULL, "/kt proc\tmnt", "tmpfs", 0, NULL) == 0);
	KT_ASSERT(slurp("/proc/mounts", &t) > 0);
	KT_ASSERT(strstr(t, "\nkt\\040scratch /kt\\040proc\\011mnt tmpfs rw 0 0\n") != NULL);
	kfree(t);
	KT_ASSERT(vfs_umount(NULL, "/kt proc\tmnt") == 0);
	KT_ASSERT(slurp("/proc/mounts", &t) > 0);
	KT_ASSERT(strstr(t, "scratch") == NULL);
	kfree(t);
	KT_ASSERT(vfs_rmdir(NULL, "/kt proc\tmnt") == 0);
}

/* Whether every line of t is "name value" (lower case, digits, underscores; a number). */
static bool name_value_lines(const char *t, int *lines)
{
	uint64_t v;

	for (*lines = 0; *t; ++*lines) {
		const char *p = t;

		while ((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '_')
			p++;
		if (p == t || *p != ' ' || !(p = take_number(p + 1, &v)) || *p != '\n')
			return false;
		t = p + 1;
	}
	return true;
}

static void count_one(struct process *p, void *ctx)
{
	(void)p;
	++*(int *)ctx;
}

KTEST(procfs_axolotl_stats)
{
	static const char *const names[] = {
		"threads",
		"user_threads",
		"processes",
		"wait_completed",
		"wait_polls_1",
		"wait_polls_2",
		"wait_polls_3",
		"wait_polls_4",
		"wait_polls_5plus",
		"svc_call_longest",
		"svc_call_diverged",
		"slab_pages",
		"kmalloc_large_pages",
		"kstack_pages",
		"free_pages",
		"total_pages",
		"tmpfs_pages",
		"pagecache_pages",
		"pagecache_dirty",
		"pagecache_hits",
		"pagecache_misses",
		"pagecache_written",
		"pagecache_evicted",
		"bcache_buffers",
		"bcache_hits",
		"bcache_misses",
		"bcache_writes",
		"bcache_passes",
		"vfs_inodes",
		"vfs_dentries",
		"vfs_files",
		"oom_kills",
		"oom_stalls",
		"oom_reclaimed",
		"tlb_flushes",
		"tlb_rounds",
		"tlb_early_flushes",
	};
	int lines, procs = 0;
	char *t;

	vfs_init();
	proc_for_each(count_one, &procs);
	KT_ASSERT(slurp("/proc/axolotl/stats", &t) > 0);
	KT_ASSERT(name_value_lines(t, &lines) && lines == (int)ARRAY_SIZE(names));
	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		char label[32];

		strlcpy(label, names[i], sizeof(label));
		strlcat(label, " ", sizeof(label));
		KT_ASSERT(value_after(t, label) >= 0);
	}
	KT_ASSERT(value_after(t, "threads ") >= 1 && value_after(t, "processes ") == procs);
	KT_ASSERT(value_after(t, "total_pages ") == (int64_t)total_page_count());
	KT_ASSERT(value_after(t, "slab_pages ") > 0 && value_after(t, "kstack_pages ") > 0);
	KT_ASSERT(value_after(t, "vfs_dentries ") > 0 && value_after(t, "vfs_inodes ") > 0);
	kfree(t);
}

KTEST(procfs_cpuinfo_and_version)
{
	char *t;

	vfs_init();
	KT_ASSERT(slurp("/proc/cpuinfo", &t) > 0);
	KT_ASSERT(!strncmp(t, "processor\t: 0\nvendor_id\t: ", 26));
	KT_ASSERT(strstr(t, "\nmodel name\t: ") && strstr(t, "\nflags\t\t: fpu "));
	KT_ASSERT(strstr(t, " sse2 ") && t[strlen(t) - 2] == '\n');
	kfree(t);
	KT_ASSERT(slurp("/proc/version", &t) > 0);
	KT_ASSERT(!strncmp(t, "Linux version 6.1.0-axolotl (Axolotl 0.1) ", 42));
	KT_ASSERT(strstr(t, "#1 Axolotl 0.1\n") != NULL);
	kfree(t);
	KT_ASSERT(slurp("/proc/stat", &t) > 0);
	KT_ASSERT(!strncmp(t, "cpu  ", 5) && strstr(t, "\ncpu0 ") && strstr(t, "\nbtime "));
	kfree(t);
	KT_ASSERT(slurp("/proc/loadavg", &t) > 0);
	KT_ASSERT(!strncmp(t, "0.00 0.00 0.00 ", 15));
	kfree(t);
}

/* Lines of t that start with prefix. */
static unsigned count_prefixed(const char *t, const char *prefix)
{
	size_t len = strlen(prefix);
	unsigned n = 0;

	for (const char *line = t; line; line = strchr(line, '\n')) {
		line += line != t; /* past the newline */
		n += !strncmp(line, prefix, len);
	}
	return n;
}

/* cpuinfo has a block per online CPU, stat a cpuN line per CPU, sysfs the lists. */
KTEST(procfs_and_sysfs_count_every_cpu)
{
	unsigned n = smp_cpus_online();
	char *t, want[32], name[16];

	vfs_init();
	KT_ASSERT(slurp("/proc/cpuinfo", &t) > 0);
	KT_ASSERT(count_prefixed(t, "processor\t: ") == n &&
		  count_prefixed(t, "apicid\t\t: ") == n);
	snprintf(want, sizeof(want), "\nprocessor\t: %u\n", n - 1);
	KT_ASSERT(n == 1 || strstr(t, want));
	kfree(t);
	KT_ASSERT(slurp("/proc/stat", &t) > 0);
	KT_ASSERT(count_prefixed(t, "cpu") == n + 1 && count_prefixed(t, "cpu  ") == 1);
	for (unsigned id = 0; id < n; id++) {
		snprintf(name, sizeof(name), "\ncpu%u ", id);
		KT_ASSERT(strstr(t, name));
	}
	kfree(t);
	KT_ASSERT(vfs_mkdir(NULL, "/kt_sys", 0555) == 0);
	KT_ASSERT(vfs_mount("sysfs", NULL, "/kt_sys", "sysfs", 0, NULL) == 0);
	KT_ASSERT(slurp("/kt_sys/devices/system/cpu/online", &t) > 0);
	if (n == 1)
		snprintf(want, sizeof(want), "0\n");
	else
		snprintf(want, sizeof(want), "0-%u\n", n - 1);
	KT_ASSERT(!strcmp(t, want));
	kfree(t);
	KT_ASSERT(slurp("/kt_sys/devices/system/cpu/present", &t) > 0);
	KT_ASSERT(t[0] == '0' && t[strlen(t) - 1] == '\n');
	kfree(t);
	KT_ASSERT(slurp("/kt_sys/devices/system/cpu/nosuch", &t) == -ENOENT);
	KT_ASSERT(vfs_umount(NULL, "/kt_sys") == 0);
	KT_ASSERT(vfs_rmdir(NULL, "/kt_sys") == 0);
}

KTEST(procfs_no_such_process)
{
	static const char *const missing[] = {
		"/proc/99999", "/proc/32768",  "/proc/0",	   "/proc/01",	      "/proc/-1",
		"/proc/1x",    "/proc/nosuch", "/proc/99999/stat", "/proc/axolotl/x",
	};
	char buf[16];

	vfs_init();
	for (size_t i = 0; i < ARRAY_SIZE(missing); i++) {
		KT_ASSERT(lstat_mode(missing[i]) == -ENOENT);
		KT_ASSERT(open_flags(missing[i], O_RDONLY) == -ENOENT);
	}
	/* A kernel thread has no process: /proc/self leads nowhere. */
	KT_ASSERT(lstat_mode("/proc/self") == (S_IFLNK | 0777));
	KT_ASSERT(vfs_readlink(NULL, "/proc/self", buf, sizeof(buf)) == -ENOENT);
	KT_ASSERT(open_flags("/proc/self/stat", O_RDONLY) == -ENOENT);
	KT_ASSERT(open_flags("/proc/self", O_RDONLY | O_DIRECTORY) == -ENOENT);
}

KTEST(procfs_read_only)
{
	struct vfs_attr size = { .valid = ATTR_SIZE, .size = 0 };
	struct vfs_attr mode = { .valid = ATTR_MODE, .mode = 0555 };
	struct file *f;
	char c = 'x';

	vfs_init();
	KT_ASSERT(open_flags("/proc/meminfo", O_WRONLY) == -EACCES);
	KT_ASSERT(open_flags("/proc/meminfo", O_RDWR) == -EACCES);
	KT_ASSERT(open_flags("/proc/axolotl/stats", O_WRONLY | O_APPEND) == -EACCES);
	KT_ASSERT(open_flags("/proc/meminfo", O_RDONLY | O_TRUNC) == -EACCES);
	KT_ASSERT(open_flags("/proc/new", O_WRONLY | O_CREAT) == -EACCES);
	KT_ASSERT(open_flags("/proc/axolotl/new", O_RDONLY | O_CREAT) == -EACCES);
	KT_ASSERT(open_flags("/proc", O_RDWR) == -EISDIR);
	KT_ASSERT(vfs_mkdir(NULL, "/proc/d", 0755) == -EPERM);
	KT_ASSERT(vfs_symlink("x", NULL, "/proc/l") == -EPERM);
	KT_ASSERT(vfs_mknod(NULL, "/proc/n", S_IFCHR | 0600, MKDEV(1, 3)) == -EPERM);
	KT_ASSERT(vfs_unlink(NULL, "/proc/meminfo") == -EPERM);
	KT_ASSERT(vfs_unlink(NULL, "/proc/self") == -EPERM);
	KT_ASSERT(vfs_rmdir(NULL, "/proc/axolotl") == -ENOTEMPTY);
	KT_ASSERT(vfs_setattrat(NULL, "/proc/uptime", 0, &size) == -EACCES);
	KT_ASSERT(vfs_openat(NULL, "/proc/uptime", O_RDONLY, 0, &f) == 0);
	KT_ASSERT(vfs_write(f, KBUF(&c, 1)) == -EBADF);
	KT_ASSERT(vfs_ftruncate(f, 0) == -EINVAL);
	file_put(f);
	/* The initramfs sets the mode of /proc: attributes other than the size do change. */
	KT_ASSERT(vfs_setattrat(NULL, "/proc", LOOKUP_FOLLOW, &mode) == 0);
	KT_ASSERT(lstat_mode("/proc/") == (S_IFDIR | 0555));
	KT_ASSERT(lstat_mode("/proc/meminfo") == (S_IFREG | 0444));
}

struct listing {
	struct dir_context ctx;
	int n, per_call, in_call;
	char names[24][16];
	uint64_t inos[24];
	unsigned types[24];
};

static bool take_entry(struct dir_context *ctx, const char *name, size_t len, uint64_t ino,
		       unsigned type)
{
	struct listing *l = container_of(ctx, struct listing, ctx);

	if (l->n >= (int)ARRAY_SIZE(l->names) || l->in_call >= l->per_call)
		return false;
	strlcpy(l->names[l->n], name, MIN(len + 1, sizeof(l->names[0])));
	l->inos[l->n] = ino;
	l->types[l->n] = type;
	l->n++;
	l->in_call++;
	return true;
}

/* Lists path, per_call entries per readdir call at most; the count, or an error. */
static int list_dir(const char *path, struct listing *l, int per_call)
{
	struct file *f;
	int r = vfs_openat(NULL, path, O_RDONLY | O_DIRECTORY, 0, &f);

	int before;

	memset(l, 0, sizeof(*l));
	l->ctx.emit = take_entry;
	l->per_call = per_call;
	if (r)
		return r;
	do {
		before = l->n;
		l->in_call = 0;
		r = vfs_readdir(f, &l->ctx);
	} while (!r && l->n > before);
	file_put(f);
	return r ? r : l->n;
}

static int find_name(const struct listing *l, const char *name)
{
	for (int i = 0; i < l->n; i++)
		if (!strcmp(l->names[i], name))
			return i;
	return -1;
}

KTEST(procfs_listing)
{
	static const char *const names[] = { ".",	"..",	  "meminfo", "uptime",
					     "cpuinfo", "mounts", "version", "stat",
					     "loadavg", "self",	  "axolotl" };
	struct listing *all = kzalloc(sizeof(*all)), *few = kzalloc(sizeof(*few));
	struct kstat st;
	int i;

	vfs_init();
	KT_ASSERT(all && few);
	KT_ASSERT(list_dir("/proc", all, 100) >= (int)ARRAY_SIZE(names));
	for (size_t k = 0; k < ARRAY_SIZE(names); k++)
		KT_ASSERT(find_name(all, names[k]) == (int)k);
	/* Listed inode numbers and types are what stat says. */
	KT_ASSERT(vfs_statat(NULL, "/proc/meminfo", 0, &st) == 0);
	KT_ASSERT(all->inos[2] == st.ino && all->types[2] == DT_REG);
	KT_ASSERT(vfs_statat(NULL, "/proc/axolotl", 0, &st) == 0);
	KT_ASSERT(all->inos[10] == st.ino && all->types[10] == DT_DIR);
	KT_ASSERT(vfs_statat(NULL, "/", 0, &st) == 0 && all->inos[1] == st.ino);
	KT_ASSERT(all->types[9] == DT_LNK);
	/* Listing two entries at a time gives the same. */
	KT_ASSERT(list_dir("/proc", few, 2) == all->n);
	for (i = 0; i < all->n; i++)
		KT_ASSERT(!strcmp(all->names[i], few->names[i]) && all->inos[i] == few->inos[i]);
	KT_ASSERT(list_dir("/proc/axolotl", all, 1) == 4 && find_name(all, "stats") == 2);
	KT_ASSERT(find_name(all, "profile") == 3);
	kfree(all);
	kfree(few);
}

KTEST(procfs_consistent_reads)
{
	char *whole = kmalloc(TEXT_MAX), *again = kmalloc(TEXT_MAX);
	struct file *f;
	ssize_t n = 0, r;
	char piece[10];

	vfs_init();
	KT_ASSERT(whole && again);
	KT_ASSERT(vfs_openat(NULL, "/proc/axolotl/stats", O_RDONLY, 0, &f) == 0);
	/* Small reads, then a read from the start: the same text, generated once at open. */
	while ((r = vfs_read(f, KBUF(whole + n, 7))) > 0)
		n += r;
	KT_ASSERT(r == 0 && n > 20);
	KT_ASSERT(vfs_read(f, KBUF(piece, sizeof(piece))) == 0);
	KT_ASSERT(vfs_lseek(f, 0, SEEK_END) == n);
	KT_ASSERT(vfs_lseek(f, -5, SEEK_CUR) == n - 5);
	KT_ASSERT(vfs_read(f, KBUF(piece, sizeof(piece))) == 5);
	KT_ASSERT(!memcmp(piece, whole + n - 5, 5));
	KT_ASSERT(vfs_pread(f, KBUF(piece, sizeof(piece)), 3) == sizeof(piece));
	KT_ASSERT(!memcmp(piece, whole + 3, sizeof(piece)));
	KT_ASSERT(vfs_pread(f, KBUF(piece, sizeof(piece)), n + 100) == 0);
	KT_ASSERT(vfs_lseek(f, -1, SEEK_SET) == -EINVAL);
	KT_ASSERT(vfs_lseek(f, 0, SEEK_DATA) == -EINVAL);
	KT_ASSERT(vfs_lseek(f, 0, SEEK_SET) == 0);
	KT_ASSERT(kernel_read(f, again, TEXT_MAX, 0) == n);
	KT_ASSERT(!memcmp(whole, again, (size_t)n));
	file_put(f);
	kfree(whole);
	kfree(again);
}

static uint64_t ino_of(const char *path)
{
	struct kstat st;

	return vfs_statat(NULL, path, LOOKUP_FOLLOW, &st) ? 0 : st.ino;
}

/*
 * The path walk reads a link's target without knowing its length first
 * (procfs's links are made up when read): a target plus the rest of the
 * path may take PATH_MAX - 1 bytes, one more is -ENAMETOOLONG.
 */
KTEST(procfs_link_splice_limits)
{
	char *path = kmalloc(PATH_MAX), target[10] = ".////////"; /* 9 bytes: the directory */
	size_t head;

	vfs_init();
	KT_ASSERT(path && vfs_mkdir(NULL, "/kt_sp", 0755) == 0);
	KT_ASSERT(vfs_symlink(target, NULL, "/kt_sp/l") == 0);
	strlcpy(path, "/kt_sp/l", PATH_MAX);
	head = strlen(path);
	memset(path + head, '/', PATH_MAX - 1 - 9);
	path[head + PATH_MAX - 1 - 9] = '\0';
	KT_ASSERT(ino_of(path) != 0 && ino_of(path) == ino_of("/kt_sp"));
	path[head + PATH_MAX - 1 - 9] = '/';
	path[head + PATH_MAX - 9] = '\0';
	KT_ASSERT(vfs_statat(NULL, path, LOOKUP_FOLLOW, &(struct kstat){ 0 }) == -ENAMETOOLONG);
	KT_ASSERT(vfs_unlink(NULL, "/kt_sp/l") == 0 && vfs_rmdir(NULL, "/kt_sp") == 0);
	kfree(path);
}

/* Holds its stack until *arg says go: counted before it can exit on another CPU. */
static void idle_thread(void *arg)
{
	while (!__atomic_load_n((bool *)arg, __ATOMIC_ACQUIRE))
		schedule();
}

KTEST(procfs_allocator_counters)
{
	uint64_t before = slab_pages(), mid;
	bool go = false;
	struct thread *t;
	void *p;

	p = kmalloc(64 * 1024); /* a large block: 16 pages from the page allocator */
	KT_ASSERT(p && slab_pages() >= before + 16);
	mid = slab_pages();
	kfree(p);
	KT_ASSERT(slab_pages() + 16 <= mid);
	before = kmalloc_large_pages();
	p = kmalloc(64 * 1024);
	KT_ASSERT(p && kmalloc_large_pages() >= before + 16);
	mid = kmalloc_large_pages();
	kfree(p);
	KT_ASSERT(kmalloc_large_pages() + 16 <= mid);
	before = kstack_pages();
	t = kthread_create("kt-stack", idle_thread, &go);
	KT_ASSERT(t && kstack_pages() >= before + KSTACK_PAGES);
	mid = kstack_pages();
	__atomic_store_n(&go, true, __ATOMIC_RELEASE);
	KT_ASSERT(kthread_join(t) == 0);
	KT_ASSERT(kstack_pages() + KSTACK_PAGES <= mid);
}

/* Reads every file and lists every directory of /proc once. */
static bool proc_workout(void)
{
	static const char *const files[] = { "/proc/meminfo",	     "/proc/uptime",
					     "/proc/cpuinfo",	     "/proc/mounts",
					     "/proc/version",	     "/proc/stat",
					     "/proc/loadavg",	     "/proc/axolotl/stats",
					     "/proc/axolotl/profile" };
	struct listing *l = kmalloc(sizeof(*l));
	bool ok = l != NULL;
	char *t;

	for (size_t i = 0; ok && i < ARRAY_SIZE(files); i++) {
		ok = slurp(files[i], &t) > 0;
		if (ok)
			kfree(t);
	}
	ok = ok && list_dir("/proc", l, 3) > 0 && list_dir("/proc/axolotl", l, 3) == 4;
	ok = ok && lstat_mode("/proc/12345") == -ENOENT &&
	     open_flags("/proc/self/fd", 0) == -ENOENT;
	kfree(l);
	return ok;
}

KTEST(procfs_memory_returned)
{
	struct vfs_counts live;
	uint64_t free_before;

	vfs_init();
	KT_ASSERT(proc_workout()); /* warms the slab caches */
	live = vfs_live;
	free_before = free_page_count();
	for (int i = 0; i < 3; i++)
		KT_ASSERT(proc_workout());
	KT_ASSERT(vfs_live.inodes == live.inodes && vfs_live.dentries == live.dentries);
	KT_ASSERT(vfs_live.files == live.files);
	KT_ASSERT(free_page_count() + 8 >= free_before);
}

static struct kmem_cache slabinfo_test_cache; /* its own lock; initialised once */

/*
 * The numbers of the line of /proc/slabinfo that starts with name: the
 * five before the first ':' then the two after "slabdata"; false if the
 * line is not there or not in the format.
 */
static bool slabinfo_line(const char *t, const char *name, uint64_t v[7])
{
	size_t n = strlen(name);
	const char *p = t;

	while (p && (strncmp(p, name, n) || p[n] != ' ')) {
		p = strchr(p, '\n');
		p = p ? p + 1 : NULL;
	}
	if (!p)
		return false;
	p += n;
	for (int i = 0; i < 5; i++) {
		while (*p == ' ')
			p++;
		if (!(p = take_number(p, &v[i])))
			return false;
	}
	if (strncmp(p, " : tunables ", 12) || !(p = strstr(p, " : slabdata ")))
		return false;
	p += 12;
	for (int i = 5; i < 7; i++) {
		while (*p == ' ')
			p++;
		if (!(p = take_number(p, &v[i])))
			return false;
	}
	return true;
}

/*
 * /proc/slabinfo: Linux's two header lines, then a cache's line that
 * follows its objects: a fresh cache's active objects move by the n taken
 * (plus what the last refill left in the magazine), and back to nothing,
 * its slabs too, once they are freed and the caches reclaimed.
 */
KTEST(procfs_slabinfo_counts_a_caches_objects)
{
	static bool ready;
	struct kmem_cache *c = &slabinfo_test_cache;
	enum {
		N = 100
	};
	void **objs = kmalloc(N * sizeof(void *));
	uint64_t v[7], mags;
	char *t;

	vfs_init();
	if (!ready) {
		kmem_cache_init(c, "kt-slabinfo", 200, 8);
		ready = true;
	}
	slab_reclaim();
	KT_ASSERT(objs && slurp("/proc/slabinfo", &t) > 0);
	KT_ASSERT(!strncmp(t, "slabinfo - version: 2.1\n# name ", 31));
	KT_ASSERT(strstr(t,
			 "<active_objs> <num_objs> <objsize> <objperslab> <pagesperslab> : "
			 "tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> "
			 "<num_slabs> <sharedavail>\n"));
	KT_ASSERT(slabinfo_line(t, "kmalloc-64", v));
	KT_ASSERT(slabinfo_line(t, "kt-slabinfo", v));
	KT_ASSERT(v[0] == 0 && v[1] == 0 && v[2] == c->slot_size && v[3] == c->objects_per_slab);
	KT_ASSERT(v[4] == 1 && v[5] == 0 && v[6] == 0);
	kfree(t);
	for (int i = 0; i < N; i++)
		KT_ASSERT((objs[i] = kmem_cache_alloc(c)) != NULL);
	KT_ASSERT(slurp("/proc/slabinfo", &t) > 0 && slabinfo_line(t, "kt-slabinfo", v));
	mags = 0;
	for_each_online_cpu(cpu) mags += READ_ONCE(c->mag[cpu].count);
	KT_ASSERT(v[0] == N + mags); /* the magazines' objects count as active */
	KT_ASSERT(v[6] >= (v[0] + v[3] - 1) / v[3] && v[5] <= v[6] && v[1] == v[6] * v[3]);
	kfree(t);
	for (int i = 0; i < N; i++)
		kmem_cache_free(c, objs[i]);
	slab_reclaim();
	KT_ASSERT(slurp("/proc/slabinfo", &t) > 0 && slabinfo_line(t, "kt-slabinfo", v));
	KT_ASSERT(v[0] == 0 && v[1] == 0 && v[5] == 0 && v[6] == 0);
	kfree(t);
	kfree(objs);
}
