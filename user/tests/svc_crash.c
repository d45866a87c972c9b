/*
 * svc_crash: the storage services survive crashes (issue 5, DESIGN.md
 * section 5). Needs an empty ext2 disk as /dev/vda; it is mounted at /mnt
 * (or used there if init already mounted it). tests/system/test_svc_crash.py
 * runs it and checks the image afterwards.
 *
 * - workload_under_crashes: three workers write files of many sizes with
 *   seeded pseudo-random content, fsync them, read them back, copy their
 *   trees, rename, append, truncate and delete, while /proc/fault_inject
 *   makes the ext2 and blk services panic or page-fault every few requests.
 *   Every call must succeed. Each worker leaves a manifest (path, size,
 *   seed, crc32) of what it synced; after injection is off every file is
 *   checked byte by byte. Prints "svc_crash: survived N injected crashes
 *   (ext2 E, blk B), D bytes synced, L bytes lost".
 * - crash_twice_fails_with_eio_then_next_succeeds (ext2, then blk after a
 *   remount empties the caches).
 * - hang_recovered_by_watchdog (ext2 and blk).
 * - recovery_time: "next" crashes one at a time, reading recovery_us of
 *   /proc/services after each; prints the median.
 *
 * The manifests stay on the disk (MANIFEST-N) for the host's own check.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <dirent.h>
#include <stdbool.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

/* Paths here are short (under 64 bytes); gcc cannot see that d_name is. */
#pragma GCC diagnostic ignored "-Wformat-truncation"

#define TOP	 "/mnt"
#define WORKERS	 3
#define ROUNDS	 4
#define MAXFILES 256

/* ---- content, checksums ---- */

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Bytes [0, n) of the content of seed. */
static void fill(uint64_t seed, unsigned char *buf, size_t n)
{
	uint64_t s = seed;

	for (size_t i = 0; i < n; i += 8) {
		uint64_t v = splitmix(&s);

		memcpy(buf + i, &v, n - i < 8 ? n - i : 8);
	}
}

static uint32_t crc_table[256];

static uint32_t crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	if (!crc_table[1])
		for (uint32_t i = 0; i < 256; i++) {
			uint32_t v = i;

			for (int k = 0; k < 8; k++)
				v = v & 1 ? 0xedb88320u ^ (v >> 1) : v >> 1;
			crc_table[i] = v;
		}
	for (size_t i = 0; i < n; i++)
		c = crc_table[(c ^ p[i]) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* ---- /proc ---- */

static void inject(const char *rule)
{
	int fd = UT_NOERR(open("/proc/fault_inject", O_WRONLY | O_TRUNC));

	UT_EQ(write(fd, rule, strlen(rule)), (long)strlen(rule));
	UT_NOERR(close(fd));
}

struct svc_stats {
	unsigned long served, crashes, restarts, retried, failed, mean_us, worst_us, recovery_us;
};

static struct svc_stats stats(const char *name)
{
	struct svc_stats st = { 0 };
	char buf[4096], *line;
	int fd = UT_NOERR(open("/proc/services", O_RDONLY));
	ssize_t n = UT_NOERR(read(fd, buf, sizeof(buf) - 1));
	size_t len = strlen(name);
	bool found = false;

	close(fd);
	buf[n] = 0;
	for (line = buf; line && *line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL)
		if (!strncmp(line, name, len) && line[len] == ' ') {
			found = sscanf(line + len,
				       " served=%lu crashes=%lu restarts=%lu retried=%lu failed=%lu "
				       "mean_us=%lu worst_us=%lu recovery_us=%lu",
				       &st.served, &st.crashes, &st.restarts, &st.retried,
				       &st.failed, &st.mean_us, &st.worst_us, &st.recovery_us) == 8;
			break;
		}
	if (!found)
		ut_fail(__FILE__, __LINE__, "no line for %s in /proc/services:\n%s", name, buf);
	return st;
}

static void show_services(void)
{
	char buf[4096];
	int fd = UT_NOERR(open("/proc/services", O_RDONLY));
	ssize_t n = UT_NOERR(read(fd, buf, sizeof(buf) - 1));

	close(fd);
	buf[n] = 0;
	ut_printf("%s", buf);
}

/* Mounts /dev/vda at /mnt unless an ext2 file system is there already. */
static void ensure_mounted(void)
{
	char buf[8192];
	int fd = UT_NOERR(open("/proc/mounts", O_RDONLY));
	ssize_t n = UT_NOERR(read(fd, buf, sizeof(buf) - 1));

	close(fd);
	buf[n] = 0;
	if (strstr(buf, " " TOP " ext2 "))
		return;
	mkdir(TOP, 0755);
	UT_NOERR(mount("/dev/vda", TOP, "ext2", 0, NULL));
}

/* ---- files ---- */

/* Writes path with size bytes of seed's content in uneven pieces, fsyncs it. */
static void write_file(const char *path, size_t size, uint64_t seed, unsigned char *buf)
{
	int fd = UT_NOERR(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644));
	size_t off = 0, piece = 1000 + (seed % 7) * 1500;

	fill(seed, buf, size);
	while (off < size) {
		size_t n = size - off < piece ? size - off : piece;

		UT_EQ(write(fd, buf + off, n), (long)n);
		off += n;
	}
	UT_NOERR(fsync(fd));
	UT_NOERR(close(fd));
}

/* Reads path whole into buf (room for cap); returns its size, or -1 with errno. */
static ssize_t read_all(const char *path, unsigned char *buf, size_t cap)
{
	int fd = open(path, O_RDONLY);
	size_t off = 0;
	ssize_t n;

	if (fd < 0)
		return -1;
	while (off < cap && (n = read(fd, buf + off, cap - off)) > 0)
		off += (size_t)n;
	if (n < 0) {
		int e = errno;

		close(fd);
		errno = e;
		return -1;
	}
	close(fd);
	return (ssize_t)off;
}

#define MAXSIZE (320 * 1024)

/*
 * Bytes of path that differ from size bytes of seed's content (a
 * missing or short file loses what is missing).
 */
static size_t bytes_lost(const char *path, size_t size, uint64_t seed, unsigned char *want,
			 unsigned char *got)
{
	ssize_t n = read_all(path, got, MAXSIZE + 1);
	size_t lost = 0;

	fill(seed, want, size);
	if (n < 0) {
		ut_printf("svc_crash: %s: %s", path, strerror(errno));
		return size;
	}
	for (size_t i = 0; i < size; i++)
		if (i >= (size_t)n || got[i] != want[i])
			lost++;
	if (lost || (size_t)n != size)
		ut_printf("svc_crash: %s: %zu bytes wrong, size %zd instead of %zu", path, lost, n,
			  size);
	return lost;
}

struct entry {
	char path[96];
	size_t size;
	uint64_t seed;
};

struct manifest {
	int n;
	struct entry e[MAXFILES];
};

static struct entry *find(struct manifest *m, const char *path)
{
	for (int i = 0; i < m->n; i++)
		if (!strcmp(m->e[i].path, path))
			return &m->e[i];
	return NULL;
}

static void add(struct manifest *m, const char *path, size_t size, uint64_t seed)
{
	struct entry *e = find(m, path);

	if (!e) {
		UT_CHECK(m->n < MAXFILES);
		e = &m->e[m->n++];
		snprintf(e->path, sizeof(e->path), "%s", path);
	}
	e->size = size;
	e->seed = seed;
}

static void drop(struct manifest *m, const char *path)
{
	struct entry *e = find(m, path);

	UT_CHECK(e);
	*e = m->e[--m->n];
}

/* Renames every entry under prefix old to prefix new. */
static void rename_prefix(struct manifest *m, const char *old, const char *new)
{
	size_t len = strlen(old);

	for (int i = 0; i < m->n; i++)
		if (!strncmp(m->e[i].path, old, len) && m->e[i].path[len] == '/') {
			char tmp[96];

			snprintf(tmp, sizeof(tmp), "%s%s", new, m->e[i].path + len);
			snprintf(m->e[i].path, sizeof(m->e[i].path), "%s", tmp);
		}
}

static const size_t sizes[] = { 0,     1,     511,   1024,  4095,   4096,  4097,
				12288, 12289, 70000, 65536, 270000, 300000 };
#define NSIZES (sizeof(sizes) / sizeof(sizes[0]))

/* Writes the file, reads it back through a fresh descriptor and compares. */
static void write_checked(struct manifest *m, const char *path, size_t size, uint64_t seed,
			  unsigned char *a, unsigned char *b)
{
	write_file(path, size, seed, a);
	UT_EQ(read_all(path, b, MAXSIZE + 1), (long)size);
	UT_EQ(crc32(a, size), crc32(b, size));
	add(m, path, size, seed);
}

/* Copies file src to dst with read/write, fsyncs. */
static void copy_file(const char *src, const char *dst, unsigned char *buf)
{
	ssize_t n = UT_NOERR(read_all(src, buf, MAXSIZE + 1));
	int fd = UT_NOERR(open(dst, O_WRONLY | O_CREAT | O_EXCL, 0644));

	UT_EQ(write(fd, buf, (size_t)n), n);
	UT_NOERR(fsync(fd));
	UT_NOERR(close(fd));
}

/* Copies the directory tree src to dst, entries of the manifest with it. */
static void copy_tree(struct manifest *m, const char *src, const char *dst, unsigned char *buf)
{
	DIR *d = opendir(src);
	struct dirent *de;

	UT_CHECK(d);
	UT_NOERR(mkdir(dst, 0755));
	while ((de = readdir(d))) {
		char s[96], t[96];
		struct stat st;

		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		snprintf(s, sizeof(s), "%s/%s", src, de->d_name);
		snprintf(t, sizeof(t), "%s/%s", dst, de->d_name);
		UT_NOERR(lstat(s, &st));
		if (S_ISDIR(st.st_mode)) {
			copy_tree(m, s, t, buf);
		} else {
			struct entry *e = find(m, s);

			UT_CHECK(e);
			UT_EQ(st.st_size, (long)e->size);
			copy_file(s, t, buf);
			add(m, t, e->size, e->seed);
		}
	}
	closedir(d);
}

static void write_manifest(struct manifest *m, const char *path)
{
	FILE *f = fopen(path, "w");
	unsigned char *buf = malloc(MAXSIZE);

	UT_CHECK(f && buf);
	for (int i = 0; i < m->n; i++) {
		fill(m->e[i].seed, buf, m->e[i].size);
		fprintf(f, "%s %zu %llu %08x\n", m->e[i].path, m->e[i].size,
			(unsigned long long)m->e[i].seed, crc32(buf, m->e[i].size));
	}
	UT_NOERR(fflush(f));
	UT_CHECK(!ferror(f)); /* stdio drops a buffer whose write failed: say so here */
	UT_NOERR(fsync(fileno(f)));
	UT_NOERR(fclose(f));
	free(buf);
}

/* One worker: ROUNDS rounds of writing, copying, renaming, deleting. */
static void worker(int pass, int w)
{
	static struct manifest m;
	unsigned char *a = malloc(MAXSIZE + 1), *b = malloc(MAXSIZE + 1);
	char dir[64], path[96], path2[96], mpath[64];
	uint64_t seed = 1000003ull * (uint64_t)(w + 1) + 100000000ull * (uint64_t)pass;

	UT_CHECK(a && b);
	snprintf(dir, sizeof(dir), TOP "/p%dw%d", pass, w);
	UT_NOERR(mkdir(dir, 0755));
	for (int r = 0; r < ROUNDS; r++) {
		char rd[64], sub[80], cd[64];

		snprintf(rd, sizeof(rd), "%s/r%d", dir, r);
		snprintf(sub, sizeof(sub), "%s/sub", rd);
		snprintf(cd, sizeof(cd), "%s/c%d", dir, r);
		UT_NOERR(mkdir(rd, 0755));
		UT_NOERR(mkdir(sub, 0755));
		for (size_t i = 0; i < NSIZES; i++) {
			size_t size = sizes[(i + (size_t)r + (size_t)w) % NSIZES];

			snprintf(path, sizeof(path), "%s/f%zu", i % 3 ? rd : sub, i);
			write_checked(&m, path, size, seed++, a, b);
		}
		/* Copy the round's tree, rename in the copy and the tree. */
		copy_tree(&m, rd, cd, a);
		snprintf(path, sizeof(path), "%s/f1", cd);
		snprintf(path2, sizeof(path2), "%s/g1", cd);
		UT_NOERR(rename(path, path2));
		add(&m, path2, find(&m, path)->size, find(&m, path)->seed);
		drop(&m, path);
		snprintf(path, sizeof(path), "%s/sub", cd);
		snprintf(path2, sizeof(path2), "%s/moved", cd);
		UT_NOERR(rename(path, path2));
		rename_prefix(&m, path, path2);
		/* A file replaced by rename over it. */
		snprintf(path, sizeof(path), "%s/f2", rd);
		snprintf(path2, sizeof(path2), "%s/f4", rd);
		UT_NOERR(rename(path, path2));
		add(&m, path2, find(&m, path)->size, find(&m, path)->seed);
		drop(&m, path);
		/* Deletions: two files of the tree. */
		snprintf(path, sizeof(path), "%s/f5", rd);
		UT_NOERR(unlink(path));
		drop(&m, path);
		snprintf(path, sizeof(path), "%s/f7", rd);
		UT_NOERR(unlink(path));
		drop(&m, path);
		/* Rewrite a file shorter, then one longer (truncation and growth). */
		snprintf(path, sizeof(path), "%s/f8", rd);
		write_checked(&m, path, 3000, seed++, a, b);
		snprintf(path, sizeof(path), "%s/f10", rd);
		write_checked(&m, path, 290000, seed++, a, b);
		/* The copy of the round before goes, a whole tree. */
		if (r > 0) {
			char old[64];

			snprintf(old, sizeof(old), "%s/c%d", dir, r - 1);
			for (int i = m.n - 1; i >= 0; i--)
				if (!strncmp(m.e[i].path, old, strlen(old)) &&
				    m.e[i].path[strlen(old)] == '/') {
					UT_NOERR(unlink(m.e[i].path));
					drop(&m, m.e[i].path);
				}
			snprintf(path, sizeof(path), "%s/moved", old);
			UT_NOERR(rmdir(path));
			UT_NOERR(rmdir(old));
		}
	}
	snprintf(mpath, sizeof(mpath), TOP "/MANIFEST-p%dw%d", pass, w);
	write_manifest(&m, mpath);
	free(a);
	free(b);
}

/* Checks every file of the manifests; returns (bytes synced, bytes lost). */
static void check_manifests(size_t *synced, size_t *lost)
{
	unsigned char *a = malloc(MAXSIZE + 1), *b = malloc(MAXSIZE + 1);
	int files = 0;

	UT_CHECK(a && b);
	*synced = *lost = 0;
	for (int w = 0; w < 2 * WORKERS; w++) {
		char mpath[64], path[96];
		unsigned long long seed;
		unsigned crc;
		size_t size;
		FILE *f;

		snprintf(mpath, sizeof(mpath), TOP "/MANIFEST-p%dw%d", w / WORKERS, w % WORKERS);
		f = fopen(mpath, "r");
		UT_CHECK(f);
		while (fscanf(f, "%95s %zu %llu %x", path, &size, &seed, &crc) == 4) {
			fill(seed, a, size);
			UT_EQ(crc32(a, size), crc);
			*synced += size;
			*lost += bytes_lost(path, size, seed, a, b);
			files++;
		}
		fclose(f);
	}
	UT_CHECK(files > 2 * WORKERS * ROUNDS * 10);
	free(a);
	free(b);
}

static void workload(int pass)
{
	pid_t pids[WORKERS];

	for (int w = 0; w < WORKERS; w++) {
		pids[w] = UT_NOERR(fork());
		if (!pids[w]) {
			worker(pass, w);
			_exit(0);
		}
	}
	for (int w = 0; w < WORKERS; w++)
		UT_CHILD_OK(pids[w]);
}

UT_CASE(workload_under_crashes)
{
	struct svc_stats e0, b0, e1, b1;
	size_t synced, lost;

	ensure_mounted();
	sync();
	e0 = stats("ext2");
	b0 = stats("blk");
	/* Half the workers' time with panics in ext2 and page faults in blk... */
	inject("ext2 panic every 7");
	inject("blk pagefault every 11");
	workload(0);
	/* ...then the other way round, next to the trees the first part left. */
	inject("ext2 pagefault every 5");
	inject("blk panic every 13");
	workload(1);
	sync();
	inject("ext2 off");
	inject("blk off");
	e1 = stats("ext2");
	b1 = stats("blk");
	show_services();
	check_manifests(&synced, &lost);
	UT_CHECK(e1.crashes - e0.crashes > 10);
	UT_CHECK(b1.crashes - b0.crashes > 10);
	UT_EQ(e1.restarts - e0.restarts, e1.crashes - e0.crashes);
	UT_EQ(b1.restarts - b0.restarts, b1.crashes - b0.crashes);
	UT_EQ(e1.retried - e0.retried, e1.crashes - e0.crashes);
	UT_EQ(b1.retried - b0.retried, b1.crashes - b0.crashes);
	UT_EQ(e1.failed, e0.failed);
	UT_EQ(b1.failed, b0.failed);
	ut_printf("svc_crash: survived %lu injected crashes (ext2 %lu, blk %lu), %zu bytes synced, "
		  "%zu bytes lost",
		  (e1.crashes - e0.crashes) + (b1.crashes - b0.crashes), e1.crashes - e0.crashes,
		  b1.crashes - b0.crashes, synced, lost);
	UT_EQ(lost, 0);
}

UT_CASE(crash_twice_fails_with_eio_then_next_succeeds)
{
	struct svc_stats s0, s1;
	unsigned char *a = malloc(8192), *b = malloc(8192);
	ssize_t n;

	UT_CHECK(a && b);
	ensure_mounted();
	/* ext2: a mkdir crashes on its run and its retry. */
	sync();
	s0 = stats("ext2");
	inject("ext2 panic every 1");
	UT_ERRNO(mkdir(TOP "/eio-dir", 0755), EIO);
	inject("ext2 off");
	s1 = stats("ext2");
	UT_CHECK(s1.failed >= s0.failed + 1);
	UT_CHECK(s1.crashes >= s0.crashes + 2);
	UT_NOERR(mkdir(TOP "/eio-dir", 0755));
	UT_NOERR(rmdir(TOP "/eio-dir"));

	/* blk: a read of a block no cache holds (the disk is mounted afresh). */
	write_file(TOP "/eio-file", 8192, 4242, a);
	sync();
	UT_NOERR(umount(TOP));
	UT_NOERR(mount("/dev/vda", TOP, "ext2", 0, NULL));
	s0 = stats("blk");
	inject("blk panic every 1");
	n = read_all(TOP "/eio-file", b, 8192);
	UT_EQ(n, -1);
	UT_EQ(errno, EIO);
	inject("blk off");
	s1 = stats("blk");
	UT_CHECK(s1.failed >= s0.failed + 1);
	UT_CHECK(s1.crashes >= s0.crashes + 2);
	UT_EQ(read_all(TOP "/eio-file", b, 8192), 8192);
	UT_CHECK(!memcmp(a, b, 8192));
	UT_NOERR(unlink(TOP "/eio-file"));
	free(a);
	free(b);
}

UT_CASE(hang_recovered_by_watchdog)
{
	struct svc_stats s0, s1;
	unsigned char *a = malloc(8192), *b = malloc(8192);
	uint64_t t0;

	UT_CHECK(a && b);
	ensure_mounted();
	sync();
	s0 = stats("ext2");
	inject("ext2 hang next");
	t0 = ut_now_ns();
	UT_NOERR(mkdir(TOP "/hang-dir", 0755));
	s1 = stats("ext2");
	ut_printf("svc_crash: ext2 hang: mkdir took %llu ms, recovery_us=%lu",
		  (unsigned long long)((ut_now_ns() - t0) / 1000000), s1.recovery_us);
	UT_EQ(s1.crashes, s0.crashes + 1);
	UT_EQ(s1.restarts, s0.restarts + 1);
	UT_EQ(s1.failed, s0.failed);
	UT_CHECK(s1.recovery_us > 0);
	UT_NOERR(rmdir(TOP "/hang-dir"));

	write_file(TOP "/hang-file", 8192, 777, a);
	sync();
	UT_NOERR(umount(TOP));
	UT_NOERR(mount("/dev/vda", TOP, "ext2", 0, NULL));
	s0 = stats("blk");
	inject("blk hang next");
	t0 = ut_now_ns();
	UT_EQ(read_all(TOP "/hang-file", b, 8192), 8192);
	UT_CHECK(!memcmp(a, b, 8192));
	s1 = stats("blk");
	ut_printf("svc_crash: blk hang: read took %llu ms, recovery_us=%lu",
		  (unsigned long long)((ut_now_ns() - t0) / 1000000), s1.recovery_us);
	UT_EQ(s1.crashes, s0.crashes + 1);
	UT_EQ(s1.restarts, s0.restarts + 1);
	UT_EQ(s1.failed, s0.failed);
	UT_CHECK(s1.recovery_us > 0);
	UT_NOERR(unlink(TOP "/hang-file"));
	free(a);
	free(b);
}

static int cmp_ulong(const void *x, const void *y)
{
	unsigned long a = *(const unsigned long *)x, b = *(const unsigned long *)y;

	return a < b ? -1 : a > b;
}

/* One crash at a time: recovery_us after each (crash to the next served request). */
UT_CASE(recovery_time)
{
	enum {
		N = 41
	};
	unsigned long ext2_us[N], blk_us[N];
	char path[64];
	int fd;

	ensure_mounted();
	for (int i = 0; i < N; i++) {
		struct svc_stats s0 = stats("ext2"), s1;

		inject("ext2 panic next");
		snprintf(path, sizeof(path), TOP "/rec%d", i);
		fd = UT_NOERR(open(path, O_WRONLY | O_CREAT, 0644));
		UT_NOERR(close(fd));
		s1 = stats("ext2");
		UT_EQ(s1.crashes, s0.crashes + 1);
		ext2_us[i] = s1.recovery_us;
	}
	for (int i = 0; i < N; i++) {
		struct svc_stats s0 = stats("blk"), s1;

		inject("blk panic next");
		snprintf(path, sizeof(path), TOP "/rec%d", i);
		fd = UT_NOERR(open(path, O_WRONLY));
		UT_EQ(write(fd, "x", 1), 1);
		UT_NOERR(fsync(fd)); /* a write to the device */
		UT_NOERR(close(fd));
		s1 = stats("blk");
		UT_EQ(s1.crashes, s0.crashes + 1);
		blk_us[i] = s1.recovery_us;
	}
	for (int i = 0; i < N; i++) {
		snprintf(path, sizeof(path), TOP "/rec%d", i);
		UT_NOERR(unlink(path));
	}
	qsort(ext2_us, N, sizeof(ext2_us[0]), cmp_ulong);
	qsort(blk_us, N, sizeof(blk_us[0]), cmp_ulong);
	ut_printf("svc_crash: recovery_us median ext2 %lu blk %lu (min %lu/%lu, max %lu/%lu, "
		  "%d crashes each)",
		  ext2_us[N / 2], blk_us[N / 2], ext2_us[0], blk_us[0], ext2_us[N - 1],
		  blk_us[N - 1], N);
	UT_CHECK(ext2_us[0] > 0 && blk_us[0] > 0);
}
