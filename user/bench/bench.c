/*
 * Axolotl's microbenchmarks (DESIGN.md section 9): static musl, the same
 * binary on Axolotl and on Linux. Each benchmark runs ROUNDS rounds of N
 * operations and prints one line
 *
 *	bench NAME NS_PER_OP ITERATIONS
 *
 * with the median round. Usage: bench [NAME...] (all by default);
 * "bench --child" is the program fork+exec runs.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#define FUTEX_WAIT_PRIVATE 128
#define FUTEX_WAKE_PRIVATE 129
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define ROUNDS 5

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
	printf("bench %s %.1f %ld\n", name, (double)per_round[ROUNDS / 2] / n, n);
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

struct bench {
	const char *name;
	void (*fn)(long n);
	long n;
};

static const struct bench benches[] = {
	{ "null_syscall", b_null_syscall, 20000 },
	{ "write_devnull", b_write_devnull, 20000 },
	{ "sched_yield", b_sched_yield, 20000 },
	{ "page_fault", b_page_fault, 2000 },
	{ "mmap_munmap", b_mmap_munmap, 2000 },
	{ "futex_pingpong", b_futex_pingpong, 2000 },
	{ "thread_create_join", b_thread_create_join, 300 },
	{ "fork_exit", b_fork_exit, 200 },
	{ "fork_exec", b_fork_exec, 100 },
};

static void run(const struct bench *b)
{
	uint64_t t[ROUNDS];

	b->fn(b->n / 10 + 1); /* warm up */
	for (int r = 0; r < ROUNDS; r++) {
		uint64_t start = now_ns();

		b->fn(b->n);
		t[r] = now_ns() - start;
	}
	report(b->name, t, b->n);
}

static int selected(int argc, char **argv, const char *name)
{
	if (argc < 2)
		return 1;
	for (int i = 1; i < argc; i++)
		if (!strcmp(argv[i], name))
			return 1;
	return 0;
}

int main(int argc, char **argv)
{
	if (argc > 1 && !strcmp(argv[1], "--child"))
		return 0;
	self = argv[0];
	devnull = open("/dev/null", O_WRONLY);
	if (devnull < 0) {
		perror("bench: /dev/null");
		return 1;
	}
	for (size_t i = 0; i < sizeof(benches) / sizeof(benches[0]); i++)
		if (selected(argc, argv, benches[i].name))
			run(&benches[i]);
	return 0;
}
