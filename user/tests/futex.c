/*
 * futex: the raw futex operations (WAIT, WAKE, the BITSET variants,
 * REQUEUE, CMP_REQUEUE; private and shared keys; timeouts) and what musl
 * builds on them: mutexes, condition variables, semaphores, barriers,
 * rwlocks and pthread_join, under stress with totals checked.
 *
 * No case depends on timing: where a waiter must be asleep in the kernel
 * before the wake, the waker repeats its wake until the kernel reports a
 * woken waiter.
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <limits.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define PRIV FUTEX_PRIVATE_FLAG

static long futex(volatile int *uaddr, int op, int val, const struct timespec *ts,
		  volatile int *uaddr2, int val3)
{
	return syscall(SYS_futex, uaddr, op, val, ts, uaddr2, val3);
}

/* FUTEX_REQUEUE and CMP_REQUEUE take a count where the timeout goes. */
static long requeue(volatile int *from, int op, int nwake, int nmove, volatile int *to, int cmp)
{
	return syscall(SYS_futex, from, op, nwake, (long)nmove, to, cmp);
}

static struct timespec after_ms(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_nsec += (ms % 1000) * 1000000;
	ts.tv_sec += ms / 1000 + ts.tv_nsec / 1000000000;
	ts.tv_nsec %= 1000000000;
	return ts;
}

static volatile int word;
static atomic_int ready, woken, wait_result_bad;

/* A waiter: waits on word (op, bitset) until woken; counts the wake. */
struct waiter {
	volatile int *addr;
	int op, bitset;
	atomic_int done;
};

static void *waiter(void *arg)
{
	struct waiter *w = arg;
	long r;

	atomic_fetch_add(&ready, 1);
	r = futex(w->addr, w->op, 0, NULL, NULL, w->bitset);
	if (r != 0)
		atomic_fetch_add(&wait_result_bad, 1);
	atomic_store(&w->done, 1);
	atomic_fetch_add(&woken, 1);
	return NULL;
}

static void start_waiters(pthread_t *t, struct waiter *w, int n)
{
	atomic_store(&ready, 0);
	atomic_store(&woken, 0);
	atomic_store(&wait_result_bad, 0);
	for (int i = 0; i < n; i++)
		UT_EQ(pthread_create(&t[i], NULL, waiter, &w[i]), 0);
	UT_CHECK(UT_SPIN(atomic_load(&ready) >= n, 60));
}

/*
 * Repeats a wake operation until it has woken `total` waiters in all;
 * returns the total, or a negative number after a bad result or a minute.
 */
static long wake_until(volatile int *addr, int op, int per_call, int total, int bitset)
{
	uint64_t end = ut_now_ns() + 60 * 1000000000ull;
	long sum = 0;

	while (sum < total) {
		long r = futex(addr, op, per_call, NULL, NULL, bitset);
		if (r < 0 || r > per_call)
			return -1000 - r;
		sum += r;
		if (r == 0 && ut_now_ns() > end)
			return -2000 - sum;
		if (r == 0)
			sched_yield();
	}
	return sum;
}

/* Repeats a requeue of none woken, all moved, until n were moved in all. */
static long requeue_all(volatile int *from, int op, volatile int *to, int n)
{
	uint64_t end = ut_now_ns() + 60 * 1000000000ull;
	long moved = 0;

	while (moved < n) {
		long r = requeue(from, op, 0, INT_MAX, to, 0);
		if (r < 0)
			return -1000 + r;
		moved += r;
		if (r == 0 && ut_now_ns() > end)
			return -2000 - moved; /* (a kernel that counts only the woken ones) */
		if (r == 0)
			sched_yield();
	}
	return moved;
}

UT_CASE(wait_value_mismatch_is_eagain)
{
	word = 1;
	UT_ERRNO(futex(&word, FUTEX_WAIT, 0, NULL, NULL, 0), EAGAIN);
	UT_ERRNO(futex(&word, FUTEX_WAIT | PRIV, 0, NULL, NULL, 0), EAGAIN);
	UT_ERRNO(futex(&word, FUTEX_WAIT_BITSET | PRIV, 0, NULL, NULL, 1), EAGAIN);
	word = 0;
}

UT_CASE(wake_without_waiters_is_zero)
{
	UT_EQ(futex(&word, FUTEX_WAKE, 1, NULL, NULL, 0), 0);
	UT_EQ(futex(&word, FUTEX_WAKE | PRIV, INT_MAX, NULL, NULL, 0), 0);
	UT_EQ(futex(&word, FUTEX_WAKE_BITSET | PRIV, 1, NULL, NULL, 1), 0);
}

UT_CASE(wait_relative_timeout)
{
	struct timespec ts = { 0, 20 * 1000000 };
	uint64_t start = ut_now_ns();

	word = 0;
	UT_ERRNO(futex(&word, FUTEX_WAIT | PRIV, 0, &ts, NULL, 0), ETIMEDOUT);
	UT_CHECK(ut_now_ns() - start >= 20 * 1000000);
}

UT_CASE(wait_bitset_absolute_timeouts)
{
	struct timespec ts = after_ms(CLOCK_MONOTONIC, 20);

	word = 0;
	UT_ERRNO(futex(&word, FUTEX_WAIT_BITSET | PRIV, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY),
		 ETIMEDOUT);
	struct timespec now;
	clock_gettime(CLOCK_MONOTONIC, &now);
	UT_CHECK(now.tv_sec > ts.tv_sec || (now.tv_sec == ts.tv_sec && now.tv_nsec >= ts.tv_nsec));

	ts = after_ms(CLOCK_REALTIME, 20);
	UT_ERRNO(futex(&word, FUTEX_WAIT_BITSET | PRIV | FUTEX_CLOCK_REALTIME, 0, &ts, NULL,
		       FUTEX_BITSET_MATCH_ANY),
		 ETIMEDOUT);
	/* A deadline in the past times out at once. */
	ts.tv_sec = 1;
	ts.tv_nsec = 0;
	UT_ERRNO(futex(&word, FUTEX_WAIT_BITSET | PRIV, 0, &ts, NULL, FUTEX_BITSET_MATCH_ANY),
		 ETIMEDOUT);
}

UT_CASE(wait_errors)
{
	struct timespec bad_ns = { 0, 1000000000 }, neg = { -1, 0 };
	static int aligned[2];

	word = 0;
	UT_ERRNO(futex(&word, FUTEX_WAIT_BITSET | PRIV, 0, NULL, NULL, 0), EINVAL); /* bitset 0 */
	UT_ERRNO(futex(&word, FUTEX_WAKE_BITSET | PRIV, 1, NULL, NULL, 0), EINVAL);
	UT_ERRNO(futex((volatile int *)((char *)aligned + 1), FUTEX_WAIT | PRIV, 0, NULL, NULL, 0),
		 EINVAL); /* not 4-byte aligned */
	UT_ERRNO(futex(&word, FUTEX_WAIT | PRIV, 0, &bad_ns, NULL, 0), EINVAL);
	UT_ERRNO(futex(&word, FUTEX_WAIT | PRIV, 0, &neg, NULL, 0), EINVAL);
	UT_ERRNO(futex(&word, 99 | PRIV, 0, NULL, NULL, 0), ENOSYS); /* unknown operation */
	UT_ERRNO(futex((volatile int *)8, FUTEX_WAIT | PRIV, 0, NULL, NULL, 0), EFAULT);
	UT_ERRNO(futex(&word, FUTEX_WAIT | PRIV, 0, (struct timespec *)8, NULL, 0), EFAULT);
}

UT_CASE(wake_counts_woken_waiters)
{
	enum {
		N = 3
	};
	pthread_t t[N];
	struct waiter w[N];

	word = 0;
	for (int i = 0; i < N; i++)
		w[i] = (struct waiter){ &word, FUTEX_WAIT | PRIV, 0, 0 };
	start_waiters(t, w, N);
	UT_EQ(wake_until(&word, FUTEX_WAKE | PRIV, 1, N, 0), N); /* one at a time */
	for (int i = 0; i < N; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(atomic_load(&wait_result_bad), 0);
}

UT_CASE(wake_all_at_once)
{
	enum {
		N = 8
	};
	pthread_t t[N];
	struct waiter w[N];

	word = 0;
	for (int i = 0; i < N; i++)
		w[i] = (struct waiter){ &word, FUTEX_WAIT | PRIV, 0, 0 };
	start_waiters(t, w, N);
	UT_EQ(wake_until(&word, FUTEX_WAKE | PRIV, INT_MAX, N, 0), N);
	for (int i = 0; i < N; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(atomic_load(&wait_result_bad), 0);
}

UT_CASE(bitset_wakes_only_matching_waiters)
{
	pthread_t t[2];
	struct waiter w[2] = { { &word, FUTEX_WAIT_BITSET | PRIV, 0x1, 0 },
			       { &word, FUTEX_WAIT_BITSET | PRIV, 0x2, 0 } };

	word = 0;
	start_waiters(t, w, 2);
	UT_EQ(wake_until(&word, FUTEX_WAKE_BITSET | PRIV, INT_MAX, 1, 0x2), 1);
	UT_EQ(pthread_join(t[1], NULL), 0);
	UT_EQ(atomic_load(&w[0].done), 0); /* nothing woke it */
	UT_EQ(wake_until(&word, FUTEX_WAKE_BITSET | PRIV, INT_MAX, 1, 0x1), 1);
	UT_EQ(pthread_join(t[0], NULL), 0);
	UT_EQ(atomic_load(&wait_result_bad), 0);
}

UT_CASE(plain_wake_matches_bitset_waiters)
{
	pthread_t t;
	struct waiter w = { &word, FUTEX_WAIT_BITSET | PRIV, 0x10, 0 };

	word = 0;
	start_waiters(&t, &w, 1);
	/* FUTEX_WAKE uses the bitset "match any". */
	UT_EQ(wake_until(&word, FUTEX_WAKE | PRIV, 1, 1, 0), 1);
	UT_EQ(pthread_join(t, NULL), 0);
}

UT_CASE(cmp_requeue_moves_waiters)
{
	enum {
		N = 3
	};
	static volatile int from, to;
	pthread_t t[N];
	struct waiter w[N];

	from = to = 0;
	for (int i = 0; i < N; i++)
		w[i] = (struct waiter){ &from, FUTEX_WAIT | PRIV, 0, 0 };
	start_waiters(t, w, N);
	UT_ERRNO(requeue(&from, FUTEX_CMP_REQUEUE | PRIV, 0, INT_MAX, &to, 1), EAGAIN);
	/* Wake none, move all: the return value counts the moved waiters. */
	UT_EQ(requeue_all(&from, FUTEX_CMP_REQUEUE | PRIV, &to, N), N);
	UT_EQ(futex(&from, FUTEX_WAKE | PRIV, INT_MAX, NULL, NULL, 0), 0); /* none left */
	UT_EQ(atomic_load(&woken), 0);
	UT_EQ(futex(&to, FUTEX_WAKE | PRIV, INT_MAX, NULL, NULL, 0), N);
	for (int i = 0; i < N; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(atomic_load(&wait_result_bad), 0);
}

UT_CASE(requeue_moves_then_wakes_one_and_moves_back)
{
	enum {
		N = 4
	};
	static volatile int from, to;
	pthread_t t[N];
	struct waiter w[N];

	from = to = 0;
	for (int i = 0; i < N; i++)
		w[i] = (struct waiter){ &from, FUTEX_WAIT | PRIV, 0, 0 };
	start_waiters(t, w, N);
	/* Linux counts the moved waiters in FUTEX_REQUEUE's result too. */
	UT_EQ(requeue_all(&from, FUTEX_REQUEUE | PRIV, &to, N), N);
	/* All asleep on `to` now: wake one, move the others back. */
	UT_EQ(requeue(&to, FUTEX_REQUEUE | PRIV, 1, INT_MAX, &from, 0), N);
	UT_CHECK(UT_SPIN(atomic_load(&woken) >= 1, 60));
	UT_EQ(futex(&to, FUTEX_WAKE | PRIV, INT_MAX, NULL, NULL, 0), 0);
	UT_EQ(futex(&from, FUTEX_WAKE | PRIV, INT_MAX, NULL, NULL, 0), N - 1);
	for (int i = 0; i < N; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(atomic_load(&wait_result_bad), 0);
}

UT_CASE(requeue_errors)
{
	static volatile int from, to;

	UT_ERRNO(requeue(&from, FUTEX_CMP_REQUEUE | PRIV, -1, 1, &to, 0), EINVAL);
	UT_ERRNO(requeue(&from, FUTEX_CMP_REQUEUE | PRIV, 1, -1, &to, 0), EINVAL);
	UT_ERRNO(requeue(&from, FUTEX_CMP_REQUEUE | PRIV, 1, 1, (volatile int *)3, 0), EINVAL);
}

UT_CASE(shared_futex_across_fork)
{
	volatile int *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
				 0);
	pid_t pid;

	UT_CHECK(shm != MAP_FAILED);
	shm[0] = 0; /* the futex word */
	shm[1] = 0; /* the child is about to wait */
	pid = UT_NOERR(fork());
	if (pid == 0) {
		struct timespec ts = { 1, 0 };
		shm[1] = 1;
		UT_POLL_WITH(shm[0] != 0, 60, futex(&shm[0], FUTEX_WAIT, 0, &ts, NULL, 0));
		_exit(shm[0] != 0 ? 0 : 1);
	}
	UT_CHECK(UT_SPIN(shm[1], 60));
	/* Same page, other process: a shared key must find the waiter. */
	UT_EQ(wake_until(&shm[0], FUTEX_WAKE, 1, 1, 0), 1);
	shm[0] = 1;
	futex(&shm[0], FUTEX_WAKE, 1, NULL, NULL, 0);
	UT_CHILD_OK(pid);
	munmap((void *)shm, 4096);
}

UT_CASE(private_futex_is_per_process)
{
	volatile int *shm = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
				 0);
	pid_t pid;
	int status, wrongly_woken = 0;

	UT_CHECK(shm != MAP_FAILED);
	shm[0] = 0;
	shm[1] = 0;
	pid = UT_NOERR(fork());
	if (pid == 0) {
		struct timespec ts = { 0, 50 * 1000000 };
		shm[1] = 1;
		/* Only a timeout may end this wait: the parent's private wakes
		 * at the same address belong to another process. */
		long r = futex(&shm[0], FUTEX_WAIT | PRIV, 0, &ts, NULL, 0);
		_exit(r == -1 && errno == ETIMEDOUT ? 0 : 1);
	}
	UT_CHECK(UT_SPIN(shm[1], 60));
	UT_CHECK(UT_POLL_WITH(wait4(pid, &status, WNOHANG, NULL) != 0, 60,
			      wrongly_woken += futex(&shm[0], FUTEX_WAKE | PRIV, 1, NULL, NULL, 0) >
					       0));
	UT_EQ(wrongly_woken, 0);
	UT_CHECK(WIFEXITED(status));
	UT_EQ(WEXITSTATUS(status), 0);
	munmap((void *)shm, 4096);
}

/* ---- pthread objects under stress ---- */

enum {
	THREADS = 8,
	ROUNDS = 2000
};
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static long total;

static void *mutex_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < ROUNDS; i++) {
		pthread_mutex_lock(&lock);
		long v = total;
		if (i % 64 == 0)
			sched_yield(); /* get preempted inside the critical section */
		total = v + 1;
		pthread_mutex_unlock(&lock);
	}
	return NULL;
}

UT_CASE(mutex_stress)
{
	pthread_t t[THREADS];

	total = 0;
	for (int i = 0; i < THREADS; i++)
		UT_EQ(pthread_create(&t[i], NULL, mutex_worker, NULL), 0);
	for (int i = 0; i < THREADS; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(total, THREADS * ROUNDS);
}

/* A bounded queue: producers and consumers on one mutex and two condvars. */
enum {
	QSIZE = 16,
	ITEMS = 5000,
	PRODUCERS = 4,
	CONSUMERS = 4
};
static struct {
	pthread_mutex_t m;
	pthread_cond_t not_full, not_empty;
	long items[QSIZE];
	int head, count, producers_left;
	long consumed_sum, consumed_n;
} q = { .m = PTHREAD_MUTEX_INITIALIZER,
	.not_full = PTHREAD_COND_INITIALIZER,
	.not_empty = PTHREAD_COND_INITIALIZER };

static void *producer(void *arg)
{
	long base = (long)arg * ITEMS;

	for (long i = 1; i <= ITEMS; i++) {
		pthread_mutex_lock(&q.m);
		while (q.count == QSIZE)
			pthread_cond_wait(&q.not_full, &q.m);
		q.items[(q.head + q.count++) % QSIZE] = base + i;
		pthread_cond_signal(&q.not_empty);
		pthread_mutex_unlock(&q.m);
	}
	pthread_mutex_lock(&q.m);
	if (--q.producers_left == 0)
		pthread_cond_broadcast(&q.not_empty);
	pthread_mutex_unlock(&q.m);
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	pthread_mutex_lock(&q.m);
	for (;;) {
		while (q.count == 0 && q.producers_left > 0)
			pthread_cond_wait(&q.not_empty, &q.m);
		if (q.count == 0)
			break;
		q.consumed_sum += q.items[q.head];
		q.consumed_n++;
		q.head = (q.head + 1) % QSIZE;
		q.count--;
		pthread_cond_signal(&q.not_full);
	}
	pthread_mutex_unlock(&q.m);
	return NULL;
}

UT_CASE(condvar_producer_consumer)
{
	pthread_t p[PRODUCERS], c[CONSUMERS];
	long want = 0;

	q.head = q.count = 0;
	q.producers_left = PRODUCERS;
	q.consumed_sum = q.consumed_n = 0;
	for (long i = 0; i < CONSUMERS; i++)
		UT_EQ(pthread_create(&c[i], NULL, consumer, NULL), 0);
	for (long i = 0; i < PRODUCERS; i++)
		UT_EQ(pthread_create(&p[i], NULL, producer, (void *)i), 0);
	for (int i = 0; i < PRODUCERS; i++)
		UT_EQ(pthread_join(p[i], NULL), 0);
	for (int i = 0; i < CONSUMERS; i++)
		UT_EQ(pthread_join(c[i], NULL), 0);
	for (long i = 0; i < PRODUCERS; i++)
		for (long k = 1; k <= ITEMS; k++)
			want += i * ITEMS + k;
	UT_EQ(q.consumed_n, PRODUCERS * ITEMS);
	UT_EQ(q.consumed_sum, want);
}

UT_CASE(condvar_timedwait_times_out)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	struct timespec deadline = after_ms(CLOCK_REALTIME, 20), now;

	pthread_mutex_lock(&m);
	UT_EQ(pthread_cond_timedwait(&c, &m, &deadline), ETIMEDOUT);
	pthread_mutex_unlock(&m);
	clock_gettime(CLOCK_REALTIME, &now);
	UT_CHECK(now.tv_sec > deadline.tv_sec ||
		 (now.tv_sec == deadline.tv_sec && now.tv_nsec >= deadline.tv_nsec));
}

static void *hold_lock(void *arg)
{
	pthread_mutex_t *m = arg;

	pthread_mutex_lock(m);
	atomic_store(&ready, 1);
	UT_POLL(atomic_load(&woken) != 0, 60);
	pthread_mutex_unlock(m);
	return NULL;
}

UT_CASE(mutex_timedlock_and_trylock)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	struct timespec deadline;
	pthread_t t;

	atomic_store(&ready, 0);
	atomic_store(&woken, 0);
	UT_EQ(pthread_create(&t, NULL, hold_lock, &m), 0);
	UT_CHECK(UT_SPIN(atomic_load(&ready), 60));
	UT_EQ(pthread_mutex_trylock(&m), EBUSY);
	deadline = after_ms(CLOCK_REALTIME, 20);
	UT_EQ(pthread_mutex_timedlock(&m, &deadline), ETIMEDOUT);
	atomic_store(&woken, 1);
	UT_EQ(pthread_mutex_lock(&m), 0); /* blocks until the holder lets go */
	UT_EQ(pthread_mutex_unlock(&m), 0);
	UT_EQ(pthread_join(t, NULL), 0);
}

static sem_t sem_items, sem_done;

static void *sem_worker(void *arg)
{
	(void)arg;
	for (int i = 0; i < 500; i++) {
		sem_wait(&sem_items);
		sem_post(&sem_done);
	}
	return NULL;
}

UT_CASE(semaphores)
{
	pthread_t t[4];
	struct timespec deadline;
	int v;

	UT_EQ(sem_init(&sem_items, 0, 0), 0);
	UT_EQ(sem_init(&sem_done, 0, 0), 0);
	UT_ERRNO(sem_trywait(&sem_items), EAGAIN);
	deadline = after_ms(CLOCK_REALTIME, 20);
	UT_ERRNO(sem_timedwait(&sem_items, &deadline), ETIMEDOUT);
	for (int i = 0; i < 4; i++)
		UT_EQ(pthread_create(&t[i], NULL, sem_worker, NULL), 0);
	for (int i = 0; i < 2000; i++)
		UT_EQ(sem_post(&sem_items), 0);
	for (int i = 0; i < 2000; i++)
		UT_EQ(sem_wait(&sem_done), 0);
	for (int i = 0; i < 4; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(sem_getvalue(&sem_items, &v), 0);
	UT_EQ(v, 0);
	sem_destroy(&sem_items);
	sem_destroy(&sem_done);
}

UT_CASE(process_shared_semaphore)
{
	sem_t *s = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	pid_t pid;

	UT_CHECK(s != MAP_FAILED);
	UT_EQ(sem_init(&s[0], 1, 0), 0);
	UT_EQ(sem_init(&s[1], 1, 0), 0);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		for (int i = 0; i < 200; i++) {
			sem_wait(&s[0]); /* ping */
			sem_post(&s[1]); /* pong */
		}
		_exit(0);
	}
	for (int i = 0; i < 200; i++) {
		UT_EQ(sem_post(&s[0]), 0);
		UT_EQ(sem_wait(&s[1]), 0);
	}
	UT_CHILD_OK(pid);
	munmap(s, 4096);
}

static pthread_barrier_t barrier;
static atomic_int phase_count[50];

static void *barrier_worker(void *arg)
{
	(void)arg;
	for (int round = 0; round < 50; round++) {
		atomic_fetch_add(&phase_count[round], 1);
		pthread_barrier_wait(&barrier);
		if (atomic_load(&phase_count[round]) != 4)
			atomic_fetch_add(&wait_result_bad, 1); /* someone ran ahead */
		pthread_barrier_wait(&barrier);
	}
	return NULL;
}

UT_CASE(barrier_rounds)
{
	pthread_t t[4];

	atomic_store(&wait_result_bad, 0);
	for (int i = 0; i < 50; i++)
		atomic_store(&phase_count[i], 0);
	UT_EQ(pthread_barrier_init(&barrier, NULL, 4), 0);
	for (int i = 0; i < 4; i++)
		UT_EQ(pthread_create(&t[i], NULL, barrier_worker, NULL), 0);
	for (int i = 0; i < 4; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(atomic_load(&wait_result_bad), 0);
	pthread_barrier_destroy(&barrier);
}

static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long rw_a, rw_b;

static void *rw_worker(void *arg)
{
	long writer = (long)arg;

	for (int i = 0; i < 1000; i++) {
		if (writer) {
			pthread_rwlock_wrlock(&rw);
			rw_a++;
			if (i % 50 == 0)
				sched_yield();
			rw_b++;
			pthread_rwlock_unlock(&rw);
		} else {
			pthread_rwlock_rdlock(&rw);
			if (rw_a != rw_b)
				atomic_fetch_add(&wait_result_bad, 1);
			pthread_rwlock_unlock(&rw);
		}
	}
	return NULL;
}

UT_CASE(rwlock_readers_see_consistent_state)
{
	pthread_t t[6];

	rw_a = rw_b = 0;
	atomic_store(&wait_result_bad, 0);
	for (long i = 0; i < 6; i++)
		UT_EQ(pthread_create(&t[i], NULL, rw_worker, (void *)(long)(i < 2)), 0);
	for (int i = 0; i < 6; i++)
		UT_EQ(pthread_join(t[i], NULL), 0);
	UT_EQ(rw_a, 2000);
	UT_EQ(rw_b, 2000);
	UT_EQ(atomic_load(&wait_result_bad), 0);
}

static void *slow_return(void *arg)
{
	ut_sleep_ms(5);
	return arg;
}

UT_CASE(join_waits_for_a_running_thread)
{
	pthread_t t[16];

	for (long i = 0; i < 16; i++)
		UT_EQ(pthread_create(&t[i], NULL, slow_return, (void *)i), 0);
	for (long i = 0; i < 16; i++) {
		void *v;
		UT_EQ(pthread_join(t[i], &v), 0);
		UT_EQ((long)v, i);
	}
}
