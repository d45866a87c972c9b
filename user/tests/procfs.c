/*
 * procfs: /proc as a process sees it. Its own entries through /proc/self
 * (stat, status, maps, fd, cmdline, comm), a child's entries while it
 * lives, as a zombie and once reaped, /proc/meminfo, and that nothing in
 * /proc can be written. On Axolotl, also that the entries of processes
 * that are gone do not pile up (counted in /proc/axolotl/stats).
 *
 * The checks that need readlink or getdents64 are skipped where those give
 * ENOSYS (Axolotl has neither yet); the rest use open, read and fstat.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <dirent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

int main(int argc, char **argv); /* in user/lib/ut.c: the program's text */

static char text[65536];

/* Reads the whole of path into text, NUL-terminated: the length, or -1 with errno. */
static ssize_t slurp(const char *path)
{
	return ut_read_text(path, text, sizeof(text));
}

static ssize_t slurp_pid(int pid, const char *file)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d/%s", pid, file);
	return slurp(path);
}

/* Splits the fields after "pid (comm) " of a stat line; field f (from 1) is fields[f - 3]. */
static int stat_fields(char *line, char **fields, int max)
{
	char *p = strrchr(line, ')'), *save = NULL;
	int n = 0;

	if (!p || p[1] != ' ')
		return -1;
	for (p = strtok_r(p + 2, " \n", &save); p && n < max; p = strtok_r(NULL, " \n", &save))
		fields[n++] = p;
	return n;
}

static long field(char **fields, int f)
{
	return atol(fields[f - 3]);
}

UT_CASE(self_stat)
{
	char prefix[64], *fields[64];

	UT_CHECK(slurp("/proc/self/stat") > 0);
	snprintf(prefix, sizeof(prefix), "%d (procfs) R ", getpid());
	UT_CHECK(!strncmp(text, prefix, strlen(prefix)));
	UT_CHECK(text[strlen(text) - 1] == '\n');
	UT_EQ(2 + stat_fields(text, fields, 64), 52); /* all of Linux's fields */
	UT_EQ(field(fields, 4), getppid());
	UT_EQ(field(fields, 18), 20);	  /* priority */
	UT_EQ(field(fields, 20), 1);	  /* num_threads */
	UT_CHECK(field(fields, 22) >= 0); /* starttime */
	UT_CHECK(field(fields, 23) > 0);  /* vsize */
	UT_CHECK(field(fields, 24) >= 0); /* rss (Linux's lags for small processes) */
}

UT_CASE(self_status)
{
	char line[64];

	UT_CHECK(slurp("/proc/self/status") > 0);
	UT_CHECK(!strncmp(text, "Name:\tprocfs\n", 13));
	snprintf(line, sizeof(line), "\nPid:\t%d\n", getpid());
	UT_CHECK(strstr(text, line) != NULL);
	snprintf(line, sizeof(line), "\nTgid:\t%d\n", getpid());
	UT_CHECK(strstr(text, line) != NULL);
	snprintf(line, sizeof(line), "\nPPid:\t%d\n", getppid());
	UT_CHECK(strstr(text, line) != NULL);
	UT_CHECK(strstr(text, "\nState:\tR (running)\n") != NULL);
	UT_CHECK(strstr(text, "\nThreads:\t1\n") != NULL);
	UT_CHECK(strstr(text, "\nUid:\t0\t0\t0\t0\n") != NULL);
	UT_CHECK(strstr(text, "\nVmSize:\t") != NULL && strstr(text, "\nVmRSS:\t") != NULL);
}

/* The maps line whose range holds addr (in text, which it cuts into lines), or NULL. */
static char *maps_line_of(uintptr_t addr)
{
	char *save = NULL;

	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long start, end;

		if (sscanf(l, "%lx-%lx ", &start, &end) == 2 && start <= addr && addr < end)
			return l;
	}
	return NULL;
}

/* Whether a maps line has Linux's shape; *name is what follows the inode (or ""). */
static int maps_line_ok(const char *l, const char **name)
{
	unsigned long start, end, off, ino;
	unsigned major, minor;
	char perms[5];
	int n = 0;

	if (sscanf(l, "%lx-%lx %4s %lx %x:%x %lu %n", &start, &end, perms, &off, &major, &minor,
		   &ino, &n) != 7 ||
	    !n)
		return 0;
	*name = l + n;
	return start < end && strlen(perms) == 4 && (perms[3] == 'p' || perms[3] == 's');
}

UT_CASE(self_maps)
{
	int local = 0;
	const char *name;
	char *l;
	void *m;

	UT_CHECK(slurp("/proc/self/maps") > 0);
	l = maps_line_of((uintptr_t)&main);
	UT_CHECK(l && maps_line_ok(l, &name));
	UT_CHECK(!strncmp(strchr(l, ' ') + 1, "r-xp ", 5));
	UT_CHECK(slurp("/proc/self/maps") > 0);
	l = maps_line_of((uintptr_t)&local);
	UT_CHECK(l && maps_line_ok(l, &name) && !strcmp(name, "[stack]"));
	UT_CHECK(!strncmp(strchr(l, ' ') + 1, "rw-p ", 5));
	UT_EQ(name - l, 73); /* Linux's name column */
	/* A new mapping shows up with its protection, and goes away. */
	m = mmap(NULL, 3 * 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	UT_CHECK(m != MAP_FAILED);
	UT_CHECK(slurp("/proc/self/maps") > 0);
	l = maps_line_of((uintptr_t)m + 4096);
	UT_CHECK(l && maps_line_ok(l, &name));
	UT_CHECK(!strncmp(strchr(l, ' ') + 1, "r--p 00000000 ", 14));
	UT_EQ(munmap(m, 3 * 4096), 0);
	UT_CHECK(slurp("/proc/self/maps") > 0);
	UT_CHECK(maps_line_of((uintptr_t)m + 4096) == NULL);
}

UT_CASE(self_heap)
{
	uintptr_t cur = (uintptr_t)syscall(SYS_brk, 0), top = cur + 8192;
	const char *name;
	char *l;

	UT_EQ(syscall(SYS_brk, top), top);
	UT_CHECK(slurp("/proc/self/maps") > 0);
	l = maps_line_of(top - 1);
	UT_CHECK(l && maps_line_ok(l, &name) && !strcmp(name, "[heap]"));
	UT_CHECK(!strncmp(strchr(l, ' ') + 1, "rw-p ", 5));
	syscall(SYS_brk, cur);
}

/* Whether /proc/self/fd/N exists as a symlink (looked at, not followed). */
static int fd_link_exists(int fd)
{
	char path[64];
	struct stat st;
	int pfd, ok;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	pfd = open(path, O_PATH | O_NOFOLLOW);
	if (pfd < 0)
		return 0;
	ok = fstat(pfd, &st) == 0 && S_ISLNK(st.st_mode);
	close(pfd);
	return ok;
}

UT_CASE(self_fd)
{
	char path[64], target[256], buf[16];
	int fd, again;
	ssize_t n;

	for (int i = 0; i < 3; i++)
		UT_CHECK(fd_link_exists(i));
	UT_CHECK(!fd_link_exists(100));
	UT_ERRNO(open("/proc/self/fd/100", O_PATH | O_NOFOLLOW), ENOENT);
	fd = UT_NOERR(open("/tests/procfs", O_RDONLY));
	UT_CHECK(fd_link_exists(fd));
	/* Following the link opens the same file again. */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	again = UT_NOERR(open(path, O_RDONLY));
	UT_EQ(read(again, buf, 4), 4);
	UT_CHECK(!memcmp(buf, "\177ELF", 4));
	UT_EQ(close(again), 0);
	n = readlink(path, target, sizeof(target) - 1);
	if (n >= 0 || errno != ENOSYS) {
		UT_EQ(n, strlen("/tests/procfs"));
		target[n] = '\0';
		UT_CHECK(!strcmp(target, "/tests/procfs"));
	}
	/* Closed: the link leads nowhere (Axolotl may still list the name until it prunes it). */
	UT_EQ(close(fd), 0);
	UT_ERRNO(open(path, O_RDONLY), ENOENT);
}

UT_CASE(self_fd_listing)
{
	int seen[3] = { 0 };
	struct dirent *e;
	DIR *d = opendir("/proc/self/fd");

	UT_CHECK(d != NULL);
	errno = 0;
	while ((e = readdir(d)) != NULL)
		if (e->d_name[0] >= '0' && e->d_name[0] <= '2' && !e->d_name[1])
			seen[e->d_name[0] - '0'] = e->d_type == DT_LNK;
	if (errno == ENOSYS) {
		closedir(d);
		ut_printf("procfs: no getdents64: listing not checked");
		return;
	}
	UT_EQ(errno, 0);
	closedir(d);
	UT_CHECK(seen[0] && seen[1] && seen[2]);
}

UT_CASE(self_link)
{
	char want[16], got[16], prefix[32];
	ssize_t n = readlink("/proc/self", got, sizeof(got) - 1);
	int dir, fd;

	snprintf(want, sizeof(want), "%d", getpid());
	if (n >= 0 || errno != ENOSYS) {
		UT_EQ(n, strlen(want));
		got[n] = '\0';
		UT_CHECK(!strcmp(got, want));
	}
	dir = UT_NOERR(open("/proc/self", O_RDONLY | O_DIRECTORY));
	fd = UT_NOERR(openat(dir, "stat", O_RDONLY));
	UT_CHECK(read(fd, got, sizeof(got) - 1) > 0);
	snprintf(prefix, sizeof(prefix), "%d (", getpid());
	UT_CHECK(!strncmp(got, prefix, strlen(prefix)));
	close(fd);
	close(dir);
}

/* The child reads /proc/self/stat: it is the child's, not its parent's. */
static void child_reads_self(void)
{
	char prefix[32];

	if (slurp("/proc/self/stat") <= 0)
		_exit(1);
	snprintf(prefix, sizeof(prefix), "%d (procfs) R ", getpid());
	_exit(strncmp(text, prefix, strlen(prefix)) ? 2 : 0);
}

UT_CASE(self_follows_the_reader)
{
	pid_t pid;

	UT_CHECK(slurp("/proc/self/stat") > 0); /* the name is now known to the kernel */
	pid = UT_NOERR(fork());
	if (pid == 0)
		child_reads_self();
	UT_CHILD_OK(pid);
}

UT_CASE(self_cmdline_and_comm)
{
	size_t len = 0;
	ssize_t n = slurp("/proc/self/cmdline");
	char want[4096];

	for (int i = 0; i < ut_argc; i++) {
		size_t k = strlen(ut_argv[i]) + 1;

		UT_CHECK(len + k <= sizeof(want));
		memcpy(want + len, ut_argv[i], k);
		len += k;
	}
	UT_EQ(n, len);
	UT_CHECK(!memcmp(text, want, len));
	UT_CHECK(slurp("/proc/self/comm") > 0 && !strcmp(text, "procfs\n"));
}

static pid_t sleeper(void)
{
	pid_t pid = fork();

	if (pid == 0)
		for (;;)
			ut_sleep_ms(10);
	return pid;
}

static int stat_state(pid_t pid)
{
	char *fields[64];

	if (slurp_pid(pid, "stat") <= 0 || stat_fields(text, fields, 64) < 1)
		return -1;
	return fields[0][0];
}

UT_CASE(child_alive_zombie_reaped)
{
	pid_t pid = UT_NOERR(sleeper());
	char line[64];
	int state;

	state = stat_state(pid);
	UT_CHECK(state == 'S' || state == 'R');
	UT_CHECK(slurp_pid(pid, "status") > 0);
	snprintf(line, sizeof(line), "\nPPid:\t%d\n", getpid());
	UT_CHECK(strstr(text, line) != NULL);
	UT_CHECK(slurp_pid(pid, "cmdline") > 0); /* a fork keeps its parent's */
	UT_EQ(kill(pid, SIGKILL), 0);
	UT_CHECK(UT_POLL(stat_state(pid) == 'Z', 10));
	UT_CHECK(slurp_pid(pid, "status") > 0 && strstr(text, "\nState:\tZ (zombie)\n"));
	UT_EQ(slurp_pid(pid, "cmdline"), 0);
	UT_EQ(slurp_pid(pid, "maps"), 0);
	UT_EQ(ut_wait(pid), 128 + SIGKILL);
	UT_EQ(slurp_pid(pid, "stat"), -1);
	UT_EQ(errno, ENOENT);
	snprintf(line, sizeof(line), "/proc/%d", pid);
	UT_ERRNO(open(line, O_RDONLY | O_DIRECTORY), ENOENT);
}

/* Where a waiting process waits: the call and its arguments, as Linux shows them. */
UT_CASE(pid_syscall_shows_the_waiting_call)
{
	int p[2];
	char want[64];
	pid_t pid;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		char c;

		close(p[1]);
		_exit(read(p[0], &c, 1) == 0 ? 0 : 1); /* waits until the writer closes */
	}
	close(p[0]);
	snprintf(want, sizeof(want), "%d 0x%x ", SYS_read, p[0]);
	UT_CHECK(UT_POLL(slurp_pid(pid, "syscall") > 0 && !strncmp(text, want, strlen(want)), 10));
	close(p[1]);
	UT_EQ(ut_wait(pid), 0);
}

static long meminfo_kb(const char *name)
{
	char *p = strstr(text, name);

	return p && p[strlen(name)] == ':' ? atol(p + strlen(name) + 1) : -1;
}

UT_CASE(meminfo)
{
	long total, free;

	UT_CHECK(slurp("/proc/meminfo") > 0);
	UT_CHECK(!strncmp(text, "MemTotal:", 9));
	total = meminfo_kb("MemTotal");
	free = meminfo_kb("MemFree");
	UT_CHECK(free > 0 && free <= total);
	UT_CHECK(meminfo_kb("MemAvailable") > 0);
	UT_CHECK(strstr(text, " kB\n") != NULL);
}

UT_CASE(nothing_writable)
{
	int fd = open("/proc/meminfo", O_WRONLY);

	/* Axolotl refuses the open; Linux lets root open it and fails the write. */
	if (fd >= 0) {
		UT_EQ(write(fd, "x", 1), -1);
		close(fd);
	} else {
		UT_EQ(errno, EACCES);
	}
	fd = UT_NOERR(open("/proc/self/status", O_RDONLY));
	UT_ERRNO(write(fd, "x", 1), EBADF);
	close(fd);
	UT_EQ(open("/proc/procfs-new", O_WRONLY | O_CREAT, 0644), -1);
	UT_EQ(mkdir("/proc/procfs-dir", 0755), -1);
	UT_EQ(unlink("/proc/meminfo"), -1);
}

/* The kernel's count of dentries (Axolotl only), or -1. */
static long dentries(void)
{
	char *p;

	if (slurp("/proc/axolotl/stats") <= 0 || !(p = strstr(text, "\nvfs_dentries ")))
		return -1;
	return atol(p + strlen("\nvfs_dentries "));
}

/* Ten children looked at through /proc and reaped; one more looked at starts the pruning. */
static void look_at_children(void)
{
	pid_t pids[10];

	for (int i = 0; i < 10; i++) {
		pids[i] = UT_NOERR(sleeper());
		UT_CHECK(slurp_pid(pids[i], "stat") > 0 && slurp_pid(pids[i], "status") > 0);
	}
	for (int i = 0; i < 10; i++) {
		UT_EQ(kill(pids[i], SIGKILL), 0);
		UT_EQ(ut_wait(pids[i]), 128 + SIGKILL);
	}
	pids[0] = UT_NOERR(sleeper());
	UT_CHECK(slurp_pid(pids[0], "stat") > 0);
	UT_EQ(kill(pids[0], SIGKILL), 0);
	UT_EQ(ut_wait(pids[0]), 128 + SIGKILL);
}

UT_CASE(entries_of_the_dead_do_not_pile_up)
{
	long after_one;

	if (dentries() < 0) {
		ut_printf("procfs: no /proc/axolotl/stats (not Axolotl): not checked");
		return;
	}
	look_at_children();
	after_one = dentries();
	look_at_children();
	look_at_children();
	UT_EQ(dentries(), after_one);
}
