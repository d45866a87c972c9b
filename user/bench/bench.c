/*
 * Axolotl's microbenchmarks (DESIGN.md section 9): static musl, the same
 * binary on Axolotl and on Linux (tools/bench.py boots both). Each timed
 * benchmark runs ROUNDS rounds of N operations and prints one line
 *
 *	bench NAME NS_PER_OP ITERATIONS ns
 *
 * with the median round. The blocked-threads benchmarks instead print the
 * memory one thread blocked in read() on a pipe (blocked_epoll: in
 * epoll_wait) costs:
 *
 *	bench blocked_read_N BYTES_PER_THREAD N B
 *
 * counting the kernel's own memory (Slab + KernelStack + PageTables of
 * /proc/meminfo), and bench blocked_read_N_all for all memory taken
 * (MemTotal - MemFree: user stacks and page tables included).
 *
 * The scaling benchmarks (scale_cpu, scale_pipe, scale_futex,
 * scale_fork_exec; ./axl bench --scaling) run one copy of a benchmark per
 * online CPU at once, each in its own process (a CPU-bound loop, a pipe
 * ping-pong pair, a futex ping-pong pair of threads, fork+exec+wait), and
 * print the time per operation of all copies together: with perfect
 * scaling it halves when the CPUs double.
 *
 * Usage: bench [-r REPEAT] [NAME...] (all but the scaling ones by default;
 * "blocked" selects both blocked benchmarks, "scaling" the scaling ones;
 * -r runs each REPEAT times, for the profiler); "bench --child" is the
 * program fork+exec runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS	     5
#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

static const char *self;

static uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

static void report(const char *name, uint64_t per_round[ROUNDS], long n)
{
	qsort(per_round, ROUNDS, sizeof(uint64_t), cmp_u64);
	printf("bench %s %.1f %ld ns\n", name, (double)per_round[ROUNDS / 2] / n, n);
	fflush(stdout);
}

static void b_null_syscall(long n)
{
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
}

static int devnull = -1;

static void b_write_devnull(long n)
{
	char c = 0;

	for (long i = 0; i < n; i++)
		if (write(devnull, &c, 1) != 1)
			abort();
}

static void b_sched_yield(long n)
{
	for (long i = 0; i < n; i++)
		sched_yield();
}

static void b_fork_exit(long n)
{
	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0)
			_exit(0);
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			abort();
	}
}

static void b_fork_exec(long n)
{
	char *argv[] = { (char *)self, "--child", NULL };

	for (long i = 0; i < n; i++) {
		pid_t pid = fork();

		if (pid == 0) {
			execv(self, argv);
			_exit(127);
		}
		if (pid < 0 || waitpid(pid, NULL, 0) != pid)
			abort();
	}
}

static void *nothing(void *arg)
{
	return arg;
}

static void b_thread_create_join(long n)
{
	for (long i = 0; i < n; i++) {
		pthread_t t;

		if (pthread_create(&t, NULL, nothing, NULL) || pthread_join(t, NULL))
			abort();
	}
}

static atomic_int turn;
static long pingpong_n;

static void futex_wait(atomic_int *f, int val)
{
	syscall(SYS_futex, f, FUTEX_WAIT_PRIVATE, val, NULL, NULL, 0);
}

static void futex_wake(atomic_int *f)
{
	syscall(SYS_futex, f, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

static void *ponger(void *arg)
{
	(void)arg;
	for (long i = 0; i < pingpong_n; i++) {
		while (atomic_load(&turn) != 1)
			futex_wait(&turn, 0);
		atomic_store(&turn, 0);
		futex_wake(&turn);
	}
	return NULL;
}

/* One round trip: each side wakes the other through a futex. */
static void b_futex_pingpong(long n)
{
	pthread_t t;

	pingpong_n = n;
	atomic_store(&turn, 0);
	pthread_create(&t, NULL, ponger, NULL);
	for (long i = 0; i < n; i++) {
		atomic_store(&turn, 1);
		futex_wake(&turn);
		while (atomic_load(&turn) != 0)
			futex_wait(&turn, 1);
	}
	pthread_join(t, NULL);
}

/* Cost of one demand-zero page fault: touch fresh anonymous pages. */
static void b_page_fault(long n)
{
	char *p = mmap(NULL, n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED)
		abort();
	for (long i = 0; i < n; i++)
		p[i * 4096] = 1;
	munmap(p, n * 4096);
}

static void b_mmap_munmap(long n)
{
	for (long i = 0; i < n; i++) {
		void *p = mmap(NULL, 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			       0);

		if (p == MAP_FAILED || munmap(p, 65536))
			abort();
	}
}

static void b_stat(long n)
{
	struct stat st;

	for (long i = 0; i < n; i++)
		if (stat(self, &st))
			abort();
}

static void b_open_close(long n)
{
	for (long i = 0; i < n; i++) {
		int fd = open(self, O_RDONLY);

		if (fd < 0 || close(fd))
			abort();
	}
}

static void read_full(int fd, void *buf, size_t len)
{
	for (size_t got = 0; got < len;) {
		ssize_t r = read(fd, (char *)buf + got, len - got);

		if (r <= 0)
			abort();
		got += r;
	}
}

static void write_full(int fd, const void *buf, size_t len)
{
	for (size_t done = 0; done < len;) {
		ssize_t w = write(fd, (const char *)buf + done, len - done);

		if (w <= 0)
			abort();
		done += w;
	}
}

/*
 * The parent's side of a child process, linked by two pipes (to[1] writes,
 * from[0] reads) or by one AF_UNIX stream socket pair (to == from).
 */
struct peer {
	pid_t pid;
	int to, from;
};

enum peer_link {
	PEER_PIPES,
	PEER_UNIX_STREAM
};

/* Two one-way channels: a[1] -> a[0] to the child, b[1] -> b[0] back. */
static void peer_channels(enum peer_link link, int a[2], int b[2])
{
	if (link == PEER_PIPES) {
		if (pipe(a) || pipe(b))
			abort();
		return;
	}
	if (socketpair(AF_UNIX, SOCK_STREAM, 0, a))
		abort();
	/* One socket each way: the child reads and writes a[0], the parent a[1]. */
	b[0] = a[1];
	b[1] = a[0];
}

static void peer_start(struct peer *p, enum peer_link link, void (*child)(int in, int out, long n),
		       long n)
{
	int a[2], b[2];

	peer_channels(link, a, b);
	p->pid = fork();
	if (p->pid < 0)
		abort();
	if (p->pid == 0) {
		close(a[1]);
		if (b[0] != a[1])
			close(b[0]);
		child(a[0], b[1], n);
		_exit(0);
	}
	close(a[0]);
	if (b[1] != a[0])
		close(b[1]);
	p->to = a[1];
	p->from = b[0];
}

static void peer_end(struct peer *p)
{
	close(p->to);
	if (p->from != p->to)
		close(p->from);
	if (waitpid(p->pid, NULL, 0) != p->pid)
		abort();
}

static void echo_bytes(int in, int out, long n)
{
	char c;

	for (long i = 0; i < n; i++) {
		read_full(in, &c, 1);
		write_full(out, &c, 1);
	}
}

/* One round trip of a byte between two processes. */
static void pingpong(enum peer_link link, long n)
{
	struct peer p;
	char c = 'x';

	peer_start(&p, link, echo_bytes, n);
	for (long i = 0; i < n; i++) {
		write_full(p.to, &c, 1);
		read_full(p.from, &c, 1);
	}
	peer_end(&p);
}

/* ... over two pipes. */
static void b_pipe_pingpong(long n)
{
	pingpong(PEER_PIPES, n);
}

/* ... over an AF_UNIX stream socket pair. */
static void b_unix_stream_pingpong(long n)
{
	pingpong(PEER_UNIX_STREAM, n);
}

/* One round trip between two processes over two eventfds (a 64-bit count each way). */
static void b_eventfd_pingpong(long n)
{
	int a = eventfd(0, 0), b = eventfd(0, 0);
	uint64_t v = 1;
	pid_t pid;

	if (a < 0 || b < 0)
		abort();
	pid = fork();
	if (pid < 0)
		abort();
	if (pid == 0) {
		for (long i = 0; i < n; i++) {
			read_full(a, &v, sizeof(v));
			write_full(b, &v, sizeof(v));
		}
		_exit(0);
	}
	for (long i = 0; i < n; i++) {
		write_full(a, &v, sizeof(v));
		read_full(b, &v, sizeof(v));
	}
	if (waitpid(pid, NULL, 0) != pid)
		abort();
	close(a);
	close(b);
}

/*
 * epoll_wait (timeout 0) on an epoll with IDLE idle eventfds and one that is
 * always readable: its cost must not grow with the idle ones. The epoll is
 * made once, outside the timed rounds, and kept.
 */
static struct {
	int ep;
	int fds[1001]; /* the active one first */
	int n;
} idle_set;

static void epoll_idle(long n, int idle)
{
	struct epoll_event ev = { .events = EPOLLIN }, out[8];

	if (!idle_set.ep) {
		idle_set.ep = epoll_create1(0);
		for (int i = 0; i <= idle; i++) {
			int fd = eventfd(i == 0, 0);

			if (idle_set.ep < 0 || fd < 0 ||
			    epoll_ctl(idle_set.ep, EPOLL_CTL_ADD, fd, &ev))
				abort();
			idle_set.fds[idle_set.n++] = fd;
		}
	}
	for (long i = 0; i < n; i++)
		if (epoll_wait(idle_set.ep, out, 8, 0) != 1)
			abort();
}

/* After the rounds: the descriptors go (later benchmarks need them). */
static void epoll_idle_done(void)
{
	if (!idle_set.ep)
		return;
	for (int i = 0; i < idle_set.n; i++)
		close(idle_set.fds[i]);
	close(idle_set.ep);
	memset(&idle_set, 0, sizeof(idle_set));
}

static void b_epoll_wait_idle_0(long n)
{
	epoll_idle(n, 0);
}

static void b_epoll_wait_idle_1000(long n)
{
	epoll_idle(n, 1000);
}

#define BW_CHUNK (64 * 1024)

static void sink_chunks(int in, int out, long n)
{
	static char buf[BW_CHUNK];

	for (long i = 0; i < n; i++)
		read_full(in, buf, BW_CHUNK);
	write_full(out, "k", 1);
}

/* 64 KiB to another process: ns per 64 KiB chunk. */
static void bandwidth(enum peer_link link, long n)
{
	static char buf[BW_CHUNK];
	struct peer p;
	char c;

	memset(buf, 'b', sizeof(buf));
	peer_start(&p, link, sink_chunks, n);
	for (long i = 0; i < n; i++)
		write_full(p.to, buf, BW_CHUNK);
	read_full(p.from, &c, 1);
	peer_end(&p);
}

/* ... through a pipe. */
static void b_pipe_bandwidth(long n)
{
	bandwidth(PEER_PIPES, n);
}

/* ... through an AF_UNIX stream socket pair. */
static void b_unix_stream_bandwidth(long n)
{
	bandwidth(PEER_UNIX_STREAM, n);
}

/* Fields of /proc/meminfo in kB, -1 when absent. */
struct meminfo {
	long total, free, slab, kstack, ptables;
};

static long meminfo_field(const char *buf, const char *name)
{
	size_t len = strlen(name);

	for (const char *p = buf; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, name, len) && p[len] == ':')
			return strtol(p + len + 1, NULL, 10);
	return -1;
}

static int read_meminfo(struct meminfo *m)
{
	char buf[8192];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	m->total = meminfo_field(buf, "MemTotal");
	m->free = meminfo_field(buf, "MemFree");
	m->slab = meminfo_field(buf, "Slab");
	m->kstack = meminfo_field(buf, "KernelStack");
	m->ptables = meminfo_field(buf, "PageTables");
	return m->total < 0 || m->free < 0 || m->slab < 0 ? -1 : 0;
}

static long kernel_kb(const struct meminfo *m)
{
	return m->slab + (m->kstack > 0 ? m->kstack : 0) + (m->ptables > 0 ? m->ptables : 0);
}

#define READERS_PER_PIPE 100

static atomic_long blocked_count;

static void *blocked_reader(void *arg)
{
	char c;

	atomic_fetch_add(&blocked_count, 1);
	/* Blocks until every writer is closed: end of file. */
	if (read((int)(intptr_t)arg, &c, 1) != 0)
		abort();
	return NULL;
}

/* The same blocked in epoll_wait on an epoll watching a pipe's read end. */
static void *blocked_epoller(void *arg)
{
	struct epoll_event ev;

	atomic_fetch_add(&blocked_count, 1);
	/* Until every writer is closed: EPOLLHUP (level-triggered: every waiter sees it). */
	if (epoll_wait((int)(intptr_t)arg, &ev, 1, -1) != 1)
		abort();
	return NULL;
}

/* Linux caps threads at a share of RAM (kernel.threads-max); lift it when allowed. */
static void allow_threads(long n)
{
	int fd = open("/proc/sys/kernel/threads-max", O_WRONLY | O_CLOEXEC);
	char num[32];

	if (fd < 0)
		return;
	snprintf(num, sizeof(num), "%ld\n", n + 1000);
	if (write(fd, num, strlen(num)) < 0) {
		/* keep the old limit */
	}
	close(fd);
}

/*
 * N threads (16 KiB stacks, no guard page) blocked in read() on pipes, one
 * pipe per READERS_PER_PIPE threads (or, epoll set, in epoll_wait on an
 * epoll per pipe); memory from /proc/meminfo before they start and once
 * they all are about to block, plus a settling pause.
 */
static void blocked(long n, bool epoll)
{
	long npipes = (n + READERS_PER_PIPE - 1) / READERS_PER_PIPE;
	int(*pipes)[2] = calloc(npipes, sizeof(*pipes));
	int *eps = calloc(npipes, sizeof(*eps));
	pthread_t *threads = calloc(n, sizeof(*threads));
	struct meminfo before, after;
	struct timespec settle = { 0, 200 * 1000 * 1000 };
	pthread_attr_t attr;
	char name[64];

	if (!pipes || !threads || !eps)
		abort();
	allow_threads(n);
	for (long i = 0; i < npipes; i++) {
		struct epoll_event ev = { .events = EPOLLIN };

		if (pipe(pipes[i]))
			abort();
		if (epoll && ((eps[i] = epoll_create1(0)) < 0 ||
			      epoll_ctl(eps[i], EPOLL_CTL_ADD, pipes[i][0], &ev)))
			abort();
	}
	if (read_meminfo(&before)) {
		printf("bench: no /proc/meminfo\n");
		return;
	}
	atomic_store(&blocked_count, 0);
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 16384);
	pthread_attr_setguardsize(&attr, 0);
	for (long i = 0; i < n; i++) {
		long k = i / READERS_PER_PIPE;
		int err = pthread_create(&threads[i], &attr,
					 epoll ? blocked_epoller : blocked_reader,
					 (void *)(intptr_t)(epoll ? eps[k] : pipes[k][0]));

		if (err) {
			printf("bench: pthread_create #%ld: %s\n", i, strerror(err));
			exit(1);
		}
	}
	while (atomic_load(&blocked_count) < n)
		sched_yield();
	nanosleep(&settle, NULL);
	read_meminfo(&after);
	for (long i = 0; i < npipes; i++)
		close(pipes[i][1]);
	for (long i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
	for (long i = 0; i < npipes; i++) {
		close(pipes[i][0]);
		if (epoll)
			close(eps[i]);
	}
	snprintf(name, sizeof(name), "%s_%ld", epoll ? "blocked_epoll" : "blocked_read", n);
	printf("bench %s %.0f %ld B\n", name, (kernel_kb(&after) - kernel_kb(&before)) * 1024.0 / n,
	       n);
	printf("bench %s_all %.0f %ld B\n", name,
	       ((before.free - after.free) - (before.total - after.total)) * 1024.0 / n, n);
	fflush(stdout);
	free(pipes);
	free(eps);
	free(threads);
}

static void b_blocked(long n)
{
	blocked(n, false);
}

static void b_blocked_epoll(long n)
{
	blocked(n, true);
}

/* ---- scaling: one copy of a benchmark per online CPU, at once ---- */

/* CPU-bound work with no system call: 10,000 steps of xorshift per operation. */
static void b_spin(long n)
{
	volatile uint64_t sink;
	uint64_t x = 88172645463325252ull;

	for (long i = 0; i < n * 10000; i++) {
		x ^= x << 13;
		x ^= x >> 7;
		x ^= x << 17;
	}
	sink = x;
	(void)sink;
}

/* Online CPUs (musl counts sched_getaffinity's set); 1 if unknown. */
static long online_cpus(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);

	return n > 0 ? n : 1;
}

/*
 * Runs fn(n) in as many processes as there are CPUs, all started together
 * (a pipe closed at once releases them); returns after all have ended.
 * Each process has its own pipes and futexes: nothing is shared but the
 * kernel.
 */
static void in_parallel(void (*fn)(long n), long n)
{
	long cpus = online_cpus();
	pid_t pids[64];
	int gate[2];
	char c;

	if (cpus > 64)
		cpus = 64;
	if (pipe(gate))
		abort();
	for (long i = 0; i < cpus; i++) {
		pids[i] = fork();
		if (pids[i] < 0)
			abort();
		if (pids[i] == 0) {
			close(gate[1]);
			if (read(gate[0], &c, 1) != 0)
				_exit(1);
			fn(n);
			_exit(0);
		}
	}
	close(gate[0]);
	close(gate[1]);
	for (long i = 0; i < cpus; i++) {
		int status;

		if (waitpid(pids[i], &status, 0) != pids[i] || !WIFEXITED(status) ||
		    WEXITSTATUS(status) != 0)
			abort();
	}
}

static void b_scale_cpu(long n)
{
	in_parallel(b_spin, n);
}

static void b_scale_pipe(long n)
{
	in_parallel(b_pipe_pingpong, n);
}

static void b_scale_futex(long n)
{
	in_parallel(b_futex_pingpong, n);
}

static void b_scale_fork_exec(long n)
{
	in_parallel(b_fork_exec, n);
}

struct bench {
	const char *name;
	void (*fn)(long n);
	long n;
};

static const struct bench benches[] = {
	{ "null_syscall", b_null_syscall, 20000 },
	{ "write_devnull", b_write_devnull, 20000 },
	{ "stat", b_stat, 5000 },
	{ "open_close", b_open_close, 5000 },
	{ "pipe_pingpong", b_pipe_pingpong, 2000 },
	{ "pipe_bandwidth", b_pipe_bandwidth, 200 },
	{ "unix_stream_pingpong", b_unix_stream_pingpong, 2000 },
	{ "unix_stream_bandwidth", b_unix_stream_bandwidth, 200 },
	{ "sched_yield", b_sched_yield, 20000 },
	{ "page_fault", b_page_fault, 2000 },
	{ "mmap_munmap", b_mmap_munmap, 2000 },
	{ "futex_pingpong", b_futex_pingpong, 2000 },
	{ "eventfd_pingpong", b_eventfd_pingpong, 2000 },
	{ "epoll_wait_idle_0", b_epoll_wait_idle_0, 20000 },
	{ "epoll_wait_idle_1000", b_epoll_wait_idle_1000, 20000 },
	{ "thread_create_join", b_thread_create_join, 300 },
	{ "fork_exit", b_fork_exit, 200 },
	{ "fork_exec", b_fork_exec, 100 },
	{ "blocked_read_1000", b_blocked, 1000 },
	{ "blocked_read_10000", b_blocked, 10000 },
	{ "blocked_epoll_10000", b_blocked_epoll, 10000 },
};

/* One copy per CPU: only when asked for (by name or "scaling"). */
static const struct bench scaling_benches[] = {
	{ "scale_cpu", b_scale_cpu, 200 },
	{ "scale_pipe", b_scale_pipe, 1000 },
	{ "scale_futex", b_scale_futex, 1000 },
	{ "scale_fork_exec", b_scale_fork_exec, 50 },
};

static int is_scaling(const struct bench *b)
{
	return b >= scaling_benches && b < scaling_benches + ARRAY_LEN(scaling_benches);
}

static void run(const struct bench *b)
{
	uint64_t t[ROUNDS];

	if (b->fn == b_blocked || b->fn == b_blocked_epoll) {
		b->fn(b->n); /* one measurement, not timed */
		return;
	}
	b->fn(b->n / 10 + 1); /* warm up */
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t start = now_ns();

		b->fn(b->n);
		t[r] = now_ns() - start;
	}
	epoll_idle_done(); /* what a benchmark kept between its rounds */
	/* A scaling row did n operations in each of its processes: time per operation of all. */
	report(b->name, t, is_scaling(b) ? b->n * online_cpus() : b->n);
}

static int selected(int argc, char **argv, const struct bench *b)
{
	if (argc < 2)
		return !is_scaling(b);
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], b->name) ||
		    (!strcmp(argv[i], "blocked") && !strncmp(b->name, "blocked_", 8)) ||
		    (!strcmp(argv[i], "scaling") && is_scaling(b)))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	int repeat = 1;

	if (argc > 1 && !strcmp(argv[1], "--child"))
		return 0;
	self = argv[0];
	if (argc > 2 && !strcmp(argv[1], "-r")) {
		repeat = atoi(argv[2]);
		argv[2] = argv[0];
		argv += 2;
		argc -= 2;
	}
	devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0) {
		perror("bench: /dev/null");
		return 1;
	}
	for (int r = 0; r < repeat; r++) {
		for (size_t i = 0; i < ARRAY_LEN(benches); i++)
			if (selected(argc, argv, &benches[i]))
				run(&benches[i]);
		for (size_t i = 0; i < ARRAY_LEN(scaling_benches); i++) {
			if (!selected(argc, argv, &scaling_benches[i]))
				continue;
			printf("scaling: %s with %ld copies\n", scaling_benches[i].name,
			       online_cpus());
			run(&scaling_benches[i]);
		}
	}
	return 0;
}
