/*
 * threads_blocked [N] [--exit] [--epoll]: creates N threads (default
 * 10000), each with a 16 KiB stack and no guard page, all blocked in
 * FUTEX_WAIT on one word (with --epoll: in epoll_wait on one epoll that
 * watches an eventfd, which a write then makes ready for all); prints
 * /proc/meminfo when there is one, then the line
 * "blocked: N threads". Then it wakes them all and joins them
 * ("joined: N threads"), or with --exit leaves through exit_group with
 * all of them still blocked. Exits 0 when everything worked.
 *
 * The memory a blocked thread costs the kernel is what the design
 * minimises (DESIGN.md section 4). Before creating the threads and once
 * they are all blocked it prints "kernel_kb: before|blocked K", where K is
 * the kernel's own allocations from /proc/meminfo (Slab + KernelStack; user
 * stacks and page tables are not in it); the host side divides.
 */
#define _GNU_SOURCE
#include "linux.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/syscall.h>
#include <unistd.h>

static volatile int gate; /* 0 while the threads must stay blocked */
static atomic_int waiting, bad_wakes;
static int ep = -1, efd = -1; /* --epoll */

static void say(const char *fmt, long n, const char *extra)
{
	char line[256];
	int len = snprintf(line, sizeof(line), fmt, n, extra);

	write(1, line, len);
}

static void *blocked_thread(void *arg)
{
	(void)arg;
	atomic_fetch_add(&waiting, 1);
	while (gate == 0 && ep >= 0) {
		struct epoll_event ev;
		int r = epoll_wait(ep, &ev, 1, -1);

		if (r != 1 && !(r == -1 && errno == EINTR))
			atomic_fetch_add(&bad_wakes, 1);
	}
	while (gate == 0) {
		long r = syscall(SYS_futex, &gate, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL, NULL,
				 0);
		if (r == -1 && errno != EAGAIN && errno != EINTR)
			atomic_fetch_add(&bad_wakes, 1);
	}
	return NULL;
}

static void print_meminfo(void)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		write(1, buf, n);
	close(fd);
}

/* Slab + KernelStack from /proc/meminfo, in kB; -1 without procfs. */
static long kernel_kb(void)
{
	char buf[4096];
	int fd = open("/proc/meminfo", O_RDONLY | O_CLOEXEC);
	ssize_t n = fd < 0 ? -1 : read(fd, buf, sizeof(buf) - 1);
	long slab = -1, stack = -1;
	char *p;

	if (fd >= 0)
		close(fd);
	if (n <= 0)
		return -1;
	buf[n] = 0;
	if ((p = strstr(buf, "\nSlab:")))
		slab = strtol(p + 6, NULL, 10);
	if ((p = strstr(buf, "\nKernelStack:")))
		stack = strtol(p + 13, NULL, 10);
	return slab < 0 || stack < 0 ? -1 : slab + stack;
}

int main(int argc, char **argv)
{
	long n = 10000;
	int exit_blocked = 0;
	pthread_attr_t attr;
	pthread_t *threads;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--exit"))
			exit_blocked = 1;
		else if (!strcmp(argv[i], "--epoll"))
			ep = epoll_create1(0);
		else
			n = strtol(argv[i], NULL, 10);
	}
	if (n <= 0 || !(threads = calloc(n, sizeof(*threads)))) {
		say("threads_blocked: bad count %ld%s\n", n, "");
		return 2;
	}
	if (ep >= 0) {
		struct epoll_event ev = { .events = EPOLLIN };

		efd = eventfd(0, 0);
		if (efd < 0 || epoll_ctl(ep, EPOLL_CTL_ADD, efd, &ev)) {
			say("threads_blocked: no epoll (errno %ld)%s\n", errno, "");
			return 1;
		}
	}
	say("kernel_kb: before %ld%s\n", kernel_kb(), "");
	pthread_attr_init(&attr);
	pthread_attr_setstacksize(&attr, 16384);
	pthread_attr_setguardsize(&attr, 0);
	for (long i = 0; i < n; i++) {
		int err = pthread_create(&threads[i], &attr, blocked_thread, NULL);
		if (err) {
			say("threads_blocked: pthread_create #%ld: %s\n", i, strerror(err));
			return 1;
		}
	}
	/* Each thread counts itself just before its first wait; yield until
	 * all have, so that (nearly) all are asleep in the kernel. */
	while (atomic_load(&waiting) < n)
		sched_yield();
	for (int i = 0; i < 100; i++)
		sched_yield();
	print_meminfo();
	say("kernel_kb: blocked %ld%s\n", kernel_kb(), "");
	say("blocked: %ld threads%s\n", n, "");
	if (exit_blocked)
		exit(0); /* exit_group ends the blocked threads */

	gate = 1;
	syscall(SYS_futex, &gate, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, INT_MAX, NULL, NULL, 0);
	if (efd >= 0) {
		uint64_t one = 1; /* level-triggered: ready for every waiter */

		if (write(efd, &one, sizeof(one)) != sizeof(one))
			return 1;
	}
	for (long i = 0; i < n; i++) {
		int err = pthread_join(threads[i], NULL);
		if (err) {
			say("threads_blocked: pthread_join #%ld: %s\n", i, strerror(err));
			return 1;
		}
	}
	if (atomic_load(&bad_wakes)) {
		say("threads_blocked: %ld futex waits failed%s\n", atomic_load(&bad_wakes), "");
		return 1;
	}
	say("joined: %ld threads%s\n", n, "");
	return 0;
}
