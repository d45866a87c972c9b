/*
 * leakcheck PROGRAM [ARGS...]: the leaked-pages check (as in xv6's
 * usertests). Runs PROGRAM three times, one after the other, reading
 * MemFree from /proc/meminfo after each run has been reaped. The first run
 * warms caches up (slab caches keep an empty slab, tmpfs files stay); after
 * that, a run must give back every page it took: free memory after the
 * third run must equal free memory after the second. Prints one line per
 * run and exits 0 when nothing leaked and every run exited 0.
 *
 * Before each count, "3" goes to /proc/sys/vm/drop_caches: every cache
 * gives back what it can, empty slabs included, so the count does not
 * depend on the order in which CPUs freed objects (a slab cache keeps one
 * empty slab, or none, depending on that order). The file stays open from
 * the start, so that nothing is freed between the drop and the count.
 * Before the drop, a listing of /proc prunes the entries of the run's dead
 * processes: otherwise each run's would stay until the next run replaced
 * them, as many objects each time but in other slabs. A run's output goes
 * to a file in /tmp that is shown if the run failed and removed before the
 * count.
 *
 * With more than one CPU online, where each CPU's slab magazines place the
 * objects a run leaves cached (dentries, /proc entries) in different slabs
 * from run to run, free memory moves by one page either way between runs
 * that leak nothing (inotify at 4 CPUs: +4, -4, 0 kB). There it makes
 * SMP_RUNS runs and fails when free memory after the last is more than
 * one page below free memory after the second: a run that leaks even one
 * page each time loses four over those runs.
 */
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNS	 3
#define SMP_RUNS 6
#define NOISE_KB 4 /* one page: the most that slab placement moves free memory at SMP */

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

/* Drops the kernel's caches through drop (open), then reads MemFree; -1 on an error. */
static long mem_free_kb(int drop)
{
	char buf[4096], *p;
	int fd;
	ssize_t n;

	if (list_proc() || write(drop, "3\n", 2) != 2)
		return -1;
	fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	p = strstr(buf, "MemFree:");
	return p ? strtol(p + 8, NULL, 10) : -1;
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
 * file, shown when the run failed and removed before free memory is
 * counted either way.
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

int main(int argc, char **argv)
{
	long free_kb[SMP_RUNS];
	int failed = 0, drop, runs = sysconf(_SC_NPROCESSORS_ONLN) > 1 ? SMP_RUNS : RUNS;
	long lost, noise = runs == RUNS ? 0 : NOISE_KB;

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
	for (int i = 0; i < runs; i++) {
		int status = run_once(argv + 1);

		free_kb[i] = mem_free_kb(drop);
		printf("leakcheck: run %d of %s: status %d, %ld kB free\n", i + 1, argv[1], status,
		       free_kb[i]);
		failed |= status != 0 || free_kb[i] < 0;
	}
	lost = free_kb[1] - free_kb[runs - 1];
	if (noise ? lost > noise : lost != 0) {
		printf("leakcheck: %ld kB lost by %d runs of %s\n", lost, runs - 2, argv[1]);
		failed = 1;
	}
	printf("leakcheck: %s\n", failed ? "FAILED" : "no leak");
	return failed;
}
