/*
 * leakcheck PROGRAM [ARGS...]: the leaked-memory check (as in xv6's
 * usertests). Runs PROGRAM three times (six with more than one CPU), one
 * after the other, and counts memory after each run has been reaped. The
 * first run warms caches up (tmpfs files stay, caches fill); after that a
 * run must give back everything it took. Between the second run and the
 * last, nothing may change:
 *
 * - every slab cache's active objects (/proc/slabinfo): exact, because
 *   after the drop below no CPU's magazine holds an object, so an active
 *   object is one in use;
 * - the pages in use outside the slab caches' slabs (/proc/axolotl/stats,
 *   one snapshot: total_pages - free_pages - (slab_pages -
 *   kmalloc_large_pages)), which counts every other page taken (user
 *   memory, page tables, kernel stacks, large kmalloc blocks, tmpfs...);
 * - after every run, no slab cache keeps an empty slab (/proc/slabinfo's
 *   active_slabs equal to num_slabs): a slab page is never lost with its
 *   objects gone.
 *
 * Free memory as a whole is not exact: the objects a run leaves cached
 * (dentries, /proc entries) are as many each time, but where they sit
 * varies from run to run. At more than one CPU each CPU's magazines place
 * them in other slabs: at 4 CPUs every run of inotify left 1359 objects
 * and the same other pages, in 72 to 80 pages of slabs (kmalloc-32: 91
 * objects in 2 to 6 slabs), and MemFree fell by up to 12 kB between the
 * second run and the sixth (the CI failed on 888, 888, 884, 880, 884, 880
 * kB). At one CPU the randomized address layout does the same: where a
 * buffer meets a page boundary decides which call takes a page fault, and
 * so the order of the kernel's allocations (inotify at one CPU with brk
 * randomized: 886 kmalloc-192 objects each run, in 43 then 44 slabs).
 *
 * Before each count, "3" goes to /proc/sys/vm/drop_caches: every cache
 * gives back what it can, the magazines are drained and empty slabs go
 * back. The file stays open from the start, so that nothing is freed
 * between the drop and the count, and the counts are read in the same
 * order each time (so what reading them allocates is the same). Before
 * the drop, a listing of /proc prunes the entries of the run's dead
 * processes: otherwise each run's would stay until the next run replaced
 * them. A run's output goes to a file in /tmp that is shown if the run
 * failed and removed before the count.
 *
 * The counts are read into buffers written all over before the first run:
 * a page of leakcheck's own faulted in between two counts was a lost page.
 * Prints one line per run (MemFree, the slab objects and their pages, the
 * other pages in use) and exits 0 when nothing leaked and every run exited
 * 0. When a count differs it prints what moved: the caches whose active
 * objects or slabs differ between the second run and the last (name,
 * before, after), and the lines of /proc/axolotl/stats that count pages or
 * objects and moved.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNS	   3
#define SMP_RUNS   6
#define MAX_CACHES 64
#define TEXT_MAX   16384

/* The lines of /proc/axolotl/stats kept and shown: page counts, then live objects. */
static const char *const stat_names[] = {
	"total_pages", "free_pages",	  "slab_pages",	    "kmalloc_large_pages", "kstack_pages",
	"tmpfs_pages", "pagecache_pages", "bcache_buffers", "vfs_inodes",	   "vfs_dentries",
	"vfs_files",   "threads",	  "user_threads",   "processes",
};
#define NSTATS	    (sizeof(stat_names) / sizeof(stat_names[0]))
#define TOTAL_PAGES 0
#define FREE_PAGES  1
#define SLAB_PAGES  2
#define LARGE_PAGES 3

/* One slab cache's line of /proc/slabinfo. */
struct cache_count {
	char name[32];
	long active, slabs, active_slabs, pages_per_slab;
};

/* The counts after one run. */
struct counts {
	long free_kb; /* MemFree */
	long stats[NSTATS];
	int ncaches;
	struct cache_count caches[MAX_CACHES];
};

/* Written all over before the first run: their pages are not faulted in between counts. */
static struct counts counts[SMP_RUNS];
static char text[TEXT_MAX];

/*
 * Lists /proc, which prunes the /proc/PID entries of the processes that
 * are gone (procfs keeps them until then); 0 or -1.
 */
static int list_proc(void)
{
	DIR *proc = opendir("/proc");

	if (!proc)
		return -1;
	while (readdir(proc))
		;
	closedir(proc);
	return 0;
}

/* Reads the file at path into buf (NUL-terminated); 0 or -1. */
static int read_text(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	size_t len = 0;
	ssize_t n = 0;

	if (fd < 0)
		return -1;
	while (len + 1 < size && (n = read(fd, buf + len, size - 1 - len)) > 0)
		len += (size_t)n;
	close(fd);
	buf[len] = 0;
	return n < 0 || len == 0 ? -1 : 0;
}

/* The number after "name" at the start of a line of text, or -1. */
static long value_of(const char *text, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && (p[len] == ' ' || p[len] == ':'))
			return strtol(p + len + 1, NULL, 10);
	return -1;
}

/* Parses /proc/slabinfo's text into c; 0 or -1. */
static int parse_slabinfo(char *text, struct counts *c)
{
	char *line = text, *next;

	c->ncaches = 0;
	if (strncmp(text, "slabinfo - version: 2.1\n", 24))
		return -1;
	for (; *line; line = next) {
		struct cache_count *cc = &c->caches[c->ncaches];
		long num_objs, objsize, objperslab;

		next = strchr(line, '\n');
		next = next ? next + 1 : line + strlen(line);
		if (*line == '#' || !strncmp(line, "slabinfo", 8))
			continue;
		if (c->ncaches == MAX_CACHES)
			return -1;
		if (sscanf(line,
			   "%31s %ld %ld %ld %ld %ld : tunables %*d %*d %*d : slabdata %ld %ld",
			   cc->name, &cc->active, &num_objs, &objsize, &objperslab,
			   &cc->pages_per_slab, &cc->active_slabs, &cc->slabs) != 8)
			return -1;
		c->ncaches++;
	}
	return c->ncaches ? 0 : -1;
}

/*
 * Drops the kernel's caches through drop (open), then reads
 * /proc/slabinfo, /proc/axolotl/stats and MemFree into c; 0 or -1.
 */
static int take_counts(int drop, struct counts *c)
{
	if (list_proc() || write(drop, "3\n", 2) != 2)
		return -1;
	if (read_text("/proc/slabinfo", text, sizeof(text)) || parse_slabinfo(text, c))
		return -1;
	if (read_text("/proc/axolotl/stats", text, sizeof(text)))
		return -1;
	for (size_t i = 0; i < NSTATS; i++)
		if ((c->stats[i] = value_of(text, stat_names[i])) < 0)
			return -1;
	if (read_text("/proc/meminfo", text, sizeof(text)))
		return -1;
	c->free_kb = value_of(text, "MemFree");
	return c->free_kb < 0 ? -1 : 0;
}

/* Pages of the slab caches' slabs. */
static long cache_pages(const struct counts *c)
{
	return c->stats[SLAB_PAGES] - c->stats[LARGE_PAGES];
}

/* Pages in use outside the slab caches' slabs. */
static long pages_outside_caches(const struct counts *c)
{
	return c->stats[TOTAL_PAGES] - c->stats[FREE_PAGES] - cache_pages(c);
}

/* Active objects of every cache. */
static long cache_objects(const struct counts *c)
{
	long n = 0;

	for (int i = 0; i < c->ncaches; i++)
		n += c->caches[i].active;
	return n;
}

/* The cache called name in c, or NULL. */
static const struct cache_count *find_cache(const struct counts *c, const char *name)
{
	for (int i = 0; i < c->ncaches; i++)
		if (!strcmp(c->caches[i].name, name))
			return &c->caches[i];
	return NULL;
}

/*
 * Prints the caches whose active objects or slabs differ between a and b
 * (a cache made in between counts as empty in a); returns how many
 * differ in active objects.
 */
static int show_cache_changes(const struct counts *a, const struct counts *b)
{
	static const struct cache_count none;
	int moved = 0;

	for (int i = 0; i < b->ncaches; i++) {
		const struct cache_count *after = &b->caches[i],
					 *before = find_cache(a, after->name);

		if (!before)
			before = &none;
		if (before->active == after->active && before->slabs == after->slabs)
			continue;
		printf("leakcheck: cache %s: active objects %ld -> %ld, slabs %ld -> %ld (%ld "
		       "page%s each)\n",
		       after->name, before->active, after->active, before->slabs, after->slabs,
		       after->pages_per_slab, after->pages_per_slab == 1 ? "" : "s");
		moved += before->active != after->active;
	}
	return moved;
}

/* Prints the kept lines of /proc/axolotl/stats that differ between a and b. */
static void show_stat_changes(const struct counts *a, const struct counts *b)
{
	for (size_t i = 0; i < NSTATS; i++)
		if (a->stats[i] != b->stats[i])
			printf("leakcheck: %s %ld -> %ld\n", stat_names[i], a->stats[i],
			       b->stats[i]);
}

#define OUTPUT "/tmp/leakcheck.out"

/* Copies the file at path to stdout. */
static void show_file(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	while (fd >= 0 && (n = read(fd, buf, sizeof(buf))) > 0)
		fwrite(buf, 1, (size_t)n, stdout);
	if (fd >= 0)
		close(fd);
}

/*
 * Runs argv to completion; returns its wait status. Its output goes to a
 * file, shown when the run failed and removed before memory is counted
 * either way.
 */
static int run_once(char **argv)
{
	int status = -1;
	pid_t pid = fork();

	if (pid == 0) {
		int out = open(OUTPUT, O_WRONLY | O_CREAT | O_TRUNC, 0600);

		if (out < 0)
			out = open("/dev/null", O_WRONLY);
		dup2(out, 1);
		dup2(out, 2);
		execv(argv[0], argv);
		_exit(127);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid)
		status = -1;
	if (status != 0) {
		printf("leakcheck: output of the failed run of %s:\n", argv[0]);
		fflush(stdout);
		show_file(OUTPUT);
	}
	unlink(OUTPUT);
	return status;
}

/* Prints the caches of c that kept an empty slab through the drop; returns how many. */
static int show_empty_slabs(const struct counts *c, int run)
{
	int kept = 0;

	for (int i = 0; i < c->ncaches; i++) {
		const struct cache_count *cc = &c->caches[i];

		if (cc->active_slabs == cc->slabs)
			continue;
		printf("leakcheck: after run %d, cache %s kept %ld empty slab%s\n", run, cc->name,
		       cc->slabs - cc->active_slabs, cc->slabs - cc->active_slabs == 1 ? "" : "s");
		kept++;
	}
	return kept;
}

/*
 * Compares the counts after the second run (a) and the last (b); prints
 * what differs and returns 1 if anything leaked, else 0.
 */
static int compare(const struct counts *a, const struct counts *b, int runs, const char *prog)
{
	long lost_pages = pages_outside_caches(b) - pages_outside_caches(a);
	int moved = show_cache_changes(a, b), failed = 0;

	if (moved) {
		printf("leakcheck: %d cache%s gained or lost objects over %d runs of %s\n", moved,
		       moved == 1 ? "" : "s", runs - 2, prog);
		failed = 1;
	}
	if (lost_pages) {
		printf("leakcheck: %ld pages lost outside the slab caches over %d runs of %s\n",
		       lost_pages, runs - 2, prog);
		failed = 1;
	}
	if (failed)
		show_stat_changes(a, b);
	return failed;
}

int main(int argc, char **argv)
{
	int failed = 0, drop, smp = sysconf(_SC_NPROCESSORS_ONLN) > 1;
	int runs = smp ? SMP_RUNS : RUNS;

	(void)argc;
	if (!argv[1]) {
		fprintf(stderr, "usage: leakcheck PROGRAM [ARGS...]\n");
		return 2;
	}
	drop = open("/proc/sys/vm/drop_caches", O_WRONLY | O_CLOEXEC);
	if (drop < 0) {
		perror("leakcheck: /proc/sys/vm/drop_caches");
		return 2;
	}
	memset(counts, 0xff, sizeof(counts));
	memset(text, 0xff, sizeof(text));
	for (int i = 0; i < runs; i++) {
		int status = run_once(argv + 1), err = take_counts(drop, &counts[i]);

		printf("leakcheck: run %d of %s: status %d, %ld kB free", i + 1, argv[1], status,
		       err ? -1 : counts[i].free_kb);
		if (err)
			printf("\nleakcheck: could not read the counts\n");
		else
			printf(", %ld slab objects in %ld pages, %ld other pages in use\n",
			       cache_objects(&counts[i]), cache_pages(&counts[i]),
			       pages_outside_caches(&counts[i]));
		failed |= status != 0 || err || show_empty_slabs(&counts[i], i + 1);
	}
	if (!failed)
		failed = compare(&counts[1], &counts[runs - 1], runs, argv[1]);
	printf("leakcheck: %s\n", failed ? "FAILED" : "no leak");
	return failed;
}
