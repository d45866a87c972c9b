/*
 * pipes: pipe, pipe2 and FIFOs. Reads and writes, end of file once every
 * writer is gone, EPIPE with SIGPIPE (the default action kills; ignored or
 * caught, the write fails with EPIPE), PIPE_BUF atomicity with several
 * writing processes (by write and by writev), the 64 KiB capacity and EAGAIN under O_NONBLOCK,
 * readers and writers blocked until another process acts, large transfers
 * between processes (checksummed, and one write of several megabytes),
 * pipe2's flags, EFAULT and EBADF paths, FIONREAD, and FIFOs made with
 * mkfifo and opened from two processes (blocking and O_NONBLOCK opens).
 *
 * No case depends on timing for its verdict: where a process should be
 * blocked before the other side acts, the other side only sleeps a little
 * first, and the result is the same either way.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>

#define PIPE_CAPACITY 65536
#define PIPE_BUF_SIZE 4096
#define MIN(a, b)     ((a) < (b) ? (a) : (b))

/* Reads exactly n bytes (the pipe may hand them over in pieces); returns the count read. */
static size_t read_full(int fd, void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = read(fd, (char *)buf + done, n - done);

		if (r == -1 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		done += (size_t)r;
	}
	return done;
}

static void write_full(int fd, const void *buf, size_t n)
{
	size_t done = 0;

	while (done < n) {
		ssize_t r = write(fd, (const char *)buf + done, n - done);

		if (r == -1 && errno == EINTR)
			continue;
		UT_CHECK(r > 0);
		done += (size_t)r;
	}
}

static void set_nonblock(int fd)
{
	UT_NOERR(fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK));
}

/* Writes PIPE_BUF chunks without blocking until the pipe is full; returns the bytes written. */
static size_t fill(int fd)
{
	static char chunk[PIPE_BUF_SIZE];
	size_t total = 0;

	for (;;) {
		ssize_t r = write(fd, chunk, sizeof(chunk));

		if (r == -1) {
			UT_EQ(errno, EAGAIN);
			return total;
		}
		total += (size_t)r;
		UT_CHECK(total <= 16 * PIPE_CAPACITY);
	}
}

UT_CASE(read_write_basics)
{
	int p[2];
	char buf[64];
	struct stat st;

	UT_NOERR(pipe(p));
	UT_CHECK(p[0] >= 0 && p[1] >= 0 && p[0] != p[1]);
	UT_EQ(write(p[1], "hello", 5), 5);
	UT_EQ(write(p[1], " world", 6), 6);
	/* A read takes what is there, up to its size, and no more. */
	UT_EQ(read(p[0], buf, 3), 3);
	UT_CHECK(!memcmp(buf, "hel", 3));
	UT_EQ(read(p[0], buf, sizeof(buf)), 8);
	UT_CHECK(!memcmp(buf, "lo world", 8));
	/* A zero-length read or write does nothing. */
	UT_EQ(write(p[1], buf, 0), 0);
	UT_EQ(read(p[0], buf, 0), 0);
	/* Both ends are FIFOs without a position. */
	UT_NOERR(fstat(p[0], &st));
	UT_CHECK(S_ISFIFO(st.st_mode));
	UT_NOERR(fstat(p[1], &st));
	UT_CHECK(S_ISFIFO(st.st_mode));
	UT_ERRNO(lseek(p[0], 0, SEEK_CUR), ESPIPE);
	UT_ERRNO(pread(p[0], buf, 1, 0), ESPIPE);
	UT_ERRNO(pwrite(p[1], buf, 1, 0), ESPIPE);
	/* Each end works one way only. */
	UT_ERRNO(write(p[0], "x", 1), EBADF);
	UT_ERRNO(read(p[1], buf, 1), EBADF);
	UT_NOERR(close(p[0]));
	UT_NOERR(close(p[1]));
}

UT_CASE(fionread_counts_bytes)
{
	int p[2], n = -1;

	UT_NOERR(pipe(p));
	UT_NOERR(ioctl(p[0], FIONREAD, &n));
	UT_EQ(n, 0);
	UT_EQ(write(p[1], "abcdefg", 7), 7);
	UT_NOERR(ioctl(p[0], FIONREAD, &n));
	UT_EQ(n, 7);
	close(p[0]);
	close(p[1]);
}

UT_CASE(eof_when_every_writer_closes)
{
	int p[2], w2;
	char buf[16];

	UT_NOERR(pipe(p));
	w2 = UT_NOERR(dup(p[1]));
	UT_EQ(write(p[1], "abc", 3), 3);
	UT_NOERR(close(p[1]));
	UT_EQ(read(p[0], buf, sizeof(buf)), 3);
	/* One writer is left: empty is "try again", not end of file. */
	set_nonblock(p[0]);
	UT_ERRNO(read(p[0], buf, sizeof(buf)), EAGAIN);
	UT_EQ(write(w2, "d", 1), 1);
	UT_NOERR(close(w2));
	/* Bytes written before the last close are still read, then end of file. */
	UT_EQ(read(p[0], buf, sizeof(buf)), 1);
	UT_EQ(buf[0], 'd');
	UT_EQ(read(p[0], buf, sizeof(buf)), 0);
	UT_EQ(read(p[0], buf, sizeof(buf)), 0);
	close(p[0]);
}

UT_CASE(eof_wakes_blocked_reader_in_another_process)
{
	int p[2];
	char c;
	pid_t pid;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(p[0]);
		ut_sleep_ms(50);
		_exit(0); /* closes the write end */
	}
	close(p[1]);
	UT_EQ(read(p[0], &c, 1), 0);
	UT_CHILD_OK(pid);
	close(p[0]);
}

static void write_to_closed_pipe(void)
{
	int p[2];

	if (pipe(p) || close(p[0]))
		_exit(3);
	signal(SIGPIPE, SIG_DFL);
	write(p[1], "x", 1);
	_exit(4); /* not reached: SIGPIPE's default action ends the process */
}

UT_CASE(epipe_sigpipe_kills_by_default)
{
	ut_expect_signal(write_to_closed_pipe, SIGPIPE);
}

UT_CASE(epipe_with_sigpipe_ignored)
{
	int p[2];

	UT_NOERR(pipe(p));
	UT_NOERR(close(p[0]));
	signal(SIGPIPE, SIG_IGN);
	UT_ERRNO(write(p[1], "x", 1), EPIPE);
	UT_ERRNO(write(p[1], "xyz", 3), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

/* Zero bytes: a read of an empty pipe does not wait, a write with no reader raises nothing. */
static void zero_length_transfers(void)
{
	int p[2];
	char c;

	if (pipe(p))
		_exit(3);
	signal(SIGPIPE, SIG_DFL);
	if (read(p[0], &c, 0) != 0) /* a writer is open: Linux does not wait for one */
		_exit(4);
	if (close(p[0]) || write(p[1], &c, 0) != 0) /* no reader: 0, not SIGPIPE or EPIPE */
		_exit(5);
	_exit(0);
}

UT_CASE(zero_length_read_and_write)
{
	pid_t pid = UT_NOERR(fork());
	int st = 0;

	if (pid == 0)
		zero_length_transfers();
	if (!UT_POLL(waitpid(pid, &st, WNOHANG) == pid, 5)) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
		ut_fail(__FILE__, __LINE__, "a zero-length read of an empty pipe waited");
	}
	UT_CHECK(WIFEXITED(st));
	UT_EQ(WEXITSTATUS(st), 0);
}

static volatile sig_atomic_t sigpipes;

static void on_sigpipe(int sig)
{
	(void)sig;
	sigpipes++;
}

UT_CASE(epipe_with_sigpipe_caught)
{
	int p[2];

	UT_NOERR(pipe(p));
	UT_NOERR(close(p[0]));
	sigpipes = 0;
	signal(SIGPIPE, on_sigpipe);
	UT_ERRNO(write(p[1], "x", 1), EPIPE);
	UT_EQ(sigpipes, 1);
	signal(SIGPIPE, SIG_DFL);
	close(p[1]);
}

UT_CASE(blocked_writer_gets_epipe_when_reader_goes)
{
	int p[2];
	pid_t pid;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		static char chunk[PIPE_BUF_SIZE];

		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		set_nonblock(p[1]);
		UT_EQ(fill(p[1]), PIPE_CAPACITY);
		UT_NOERR(fcntl(p[1], F_SETFL, 0));
		/* Blocks (the pipe is full) until the parent closes its read end. */
		UT_ERRNO(write(p[1], chunk, sizeof(chunk)), EPIPE);
		_exit(0);
	}
	close(p[1]);
	ut_sleep_ms(100);
	UT_NOERR(close(p[0]));
	UT_CHILD_OK(pid);
}

UT_CASE(capacity_64k_then_eagain)
{
	int p[2];
	static char buf[PIPE_CAPACITY * 2];

	UT_NOERR(pipe2(p, O_NONBLOCK));
	UT_EQ(fill(p[1]), PIPE_CAPACITY);
	UT_ERRNO(write(p[1], "x", 1), EAGAIN);
	UT_ERRNO(write(p[1], buf, PIPE_BUF_SIZE), EAGAIN);
	/* Room for a whole PIPE_BUF write again. */
	UT_EQ(read(p[0], buf, PIPE_BUF_SIZE), PIPE_BUF_SIZE);
	UT_EQ(write(p[1], buf, PIPE_BUF_SIZE), PIPE_BUF_SIZE);
	UT_ERRNO(write(p[1], buf, 1), EAGAIN);
	/* Everything comes out, then EAGAIN while the writer is open. */
	UT_EQ(read(p[0], buf, sizeof(buf)), PIPE_CAPACITY);
	UT_ERRNO(read(p[0], buf, 1), EAGAIN);
	/* A non-blocking write larger than the pipe moves what fits. */
	UT_EQ(write(p[1], buf, sizeof(buf)), PIPE_CAPACITY);
	close(p[0]);
	close(p[1]);
}

/* Records of exactly PIPE_BUF bytes: writer id, sequence number, then the id repeated. */
#define WRITERS		   4
#define RECORDS_PER_WRITER 48

static void make_record(unsigned char *r, int writer, int seq)
{
	memset(r, 0x40 + writer, PIPE_BUF_SIZE);
	r[0] = (unsigned char)writer;
	r[1] = (unsigned char)seq;
}

/* One record of PIPE_BUF bytes: by write, or by writev in three segments (one write all the same). */
static ssize_t write_record(int fd, unsigned char *rec, bool vectored)
{
	struct iovec iov[3] = { { rec, 1 }, { rec + 1, 1 }, { rec + 2, PIPE_BUF_SIZE - 2 } };

	return vectored ? writev(fd, iov, 3) : write(fd, rec, PIPE_BUF_SIZE);
}

/* Several processes write records at once; each must arrive whole, in its writer's order. */
static void atomic_records(bool vectored)
{
	static unsigned char all[WRITERS * RECORDS_PER_WRITER * PIPE_BUF_SIZE];
	int p[2], next_seq[WRITERS] = { 0 };
	pid_t pids[WRITERS];

	UT_NOERR(pipe(p));
	for (int w = 0; w < WRITERS; w++) {
		pids[w] = UT_NOERR(fork());
		if (pids[w] == 0) {
			static unsigned char rec[PIPE_BUF_SIZE];

			close(p[0]);
			for (int i = 0; i < RECORDS_PER_WRITER; i++) {
				make_record(rec, w, i);
				/* Whole or not at all: never a short count. */
				UT_EQ(write_record(p[1], rec, vectored), PIPE_BUF_SIZE);
				if (i % 8 == 0)
					sched_yield();
			}
			_exit(0);
		}
	}
	close(p[1]);
	/* Read in odd sizes so that record boundaries and reads do not line up. */
	size_t got = 0;
	for (;;) {
		size_t want = MIN(sizeof(all) - got, (size_t)1000 + got % 7777);
		ssize_t r = want ? read(p[0], all + got, want) : 0;

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	UT_EQ(got, sizeof(all));
	for (size_t off = 0; off < got; off += PIPE_BUF_SIZE) {
		unsigned char *r = all + off;
		int w = r[0];

		UT_CHECK(w < WRITERS);
		UT_EQ(r[1], next_seq[w]); /* each writer's records arrive in its order */
		next_seq[w]++;
		for (int i = 2; i < PIPE_BUF_SIZE; i++)
			if (r[i] != 0x40 + w)
				ut_fail(__FILE__, __LINE__, "record at %zu mixed at byte %d", off,
					i);
	}
	for (int w = 0; w < WRITERS; w++) {
		UT_EQ(next_seq[w], RECORDS_PER_WRITER);
		UT_CHILD_OK(pids[w]);
	}
	close(p[0]);
}

UT_CASE(pipe_buf_writes_are_atomic)
{
	atomic_records(false);
}

/*
 * A writev of at most PIPE_BUF bytes is one write too (Linux): another
 * writer never comes between its segments, and a reader never gets only
 * the first ones (musl's printf flushes with a writev of two: a parent
 * reading a child's line once saw half of it, closed, and killed the
 * child with SIGPIPE).
 */
UT_CASE(writev_up_to_pipe_buf_is_atomic)
{
	int p[2];
	char line[64];
	struct iovec iov[2] = { { "first half, ", 12 }, { "second half\n", 12 } };

	atomic_records(true);
	for (int i = 0; i < 200; i++) {
		pid_t pid;

		UT_NOERR(pipe(p));
		pid = UT_NOERR(fork());
		if (pid == 0) {
			close(p[0]);
			UT_EQ(writev(p[1], iov, 2), 24);
			_exit(0);
		}
		close(p[1]);
		UT_EQ(read(p[0], line, sizeof(line)), 24); /* all of it, in one read */
		close(p[0]);
		UT_CHILD_OK(pid);
	}
}

UT_CASE(blocked_reader_woken_by_writer_process)
{
	int p[2];
	char buf[32];
	pid_t pid;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(p[0]);
		ut_sleep_ms(50);
		UT_EQ(write(p[1], "wake up", 7), 7);
		ut_sleep_ms(50);
		_exit(0);
	}
	close(p[1]);
	UT_EQ(read(p[0], buf, sizeof(buf)), 7);
	UT_CHECK(!memcmp(buf, "wake up", 7));
	UT_EQ(read(p[0], buf, sizeof(buf)), 0);
	UT_CHILD_OK(pid);
	close(p[0]);
}

UT_CASE(blocked_writer_woken_by_reader_process)
{
	int p[2];
	pid_t pid;
	static char buf[PIPE_CAPACITY + PIPE_BUF_SIZE];

	UT_NOERR(pipe(p));
	set_nonblock(p[1]);
	UT_EQ(fill(p[1]), PIPE_CAPACITY);
	UT_NOERR(fcntl(p[1], F_SETFL, 0));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(p[1]);
		ut_sleep_ms(50);
		UT_EQ(read_full(p[0], buf, PIPE_CAPACITY + 10), PIPE_CAPACITY + 10);
		_exit(0);
	}
	close(p[0]);
	/* Blocks until the child has made room. */
	memset(buf, 'z', 10);
	UT_EQ(write(p[1], buf, 10), 10);
	UT_CHILD_OK(pid);
	close(p[1]);
}

static void *reader_thread(void *arg)
{
	int fd = *(int *)arg;
	static char buf[8];

	return (void *)(intptr_t)read(fd, buf, sizeof(buf));
}

UT_CASE(blocked_reader_woken_by_writer_thread)
{
	int p[2];
	pthread_t t;
	void *r;

	UT_NOERR(pipe(p));
	UT_EQ(pthread_create(&t, NULL, reader_thread, &p[0]), 0);
	ut_sleep_ms(30);
	UT_EQ(write(p[1], "thread", 6), 6);
	UT_EQ(pthread_join(t, &r), 0);
	UT_EQ((intptr_t)r, 6);
	close(p[0]);
	close(p[1]);
}

static uint32_t xorshift(uint32_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 17;
	*s ^= *s << 5;
	return *s;
}

#define TRANSFER_BYTES (16u << 20)

UT_CASE(large_transfer_between_processes)
{
	static unsigned char buf[200000];
	uint32_t seed = 12345, expect = 0, sum = 0;
	size_t total = 0;
	int p[2];
	pid_t pid;

	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		uint32_t s = 12345, sizes = 99;
		size_t sent = 0;

		close(p[0]);
		while (sent < TRANSFER_BYTES) {
			size_t n = MIN((size_t)(1 + xorshift(&sizes) % sizeof(buf)),
				       TRANSFER_BYTES - sent);

			for (size_t i = 0; i < n; i++)
				buf[i] = (unsigned char)xorshift(&s);
			write_full(p[1], buf, n);
			sent += n;
		}
		_exit(0);
	}
	close(p[1]);
	for (;;) {
		ssize_t r = read(p[0], buf, 1 + total % 70001);

		if (r <= 0) {
			UT_EQ(r, 0);
			break;
		}
		for (ssize_t i = 0; i < r; i++) {
			sum = sum * 31 + buf[i];
			expect = expect * 31 + (unsigned char)xorshift(&seed);
		}
		total += (size_t)r;
	}
	UT_EQ(total, TRANSFER_BYTES);
	UT_EQ(sum, expect);
	UT_CHILD_OK(pid);
	close(p[0]);
}

UT_CASE(one_write_larger_than_the_pipe)
{
	const size_t n = 4u << 20;
	unsigned char *buf = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
				  0);
	int p[2];
	pid_t pid;

	UT_CHECK(buf != MAP_FAILED);
	for (size_t i = 0; i < n; i++)
		buf[i] = (unsigned char)(i * 7 + i / 4096);
	UT_NOERR(pipe(p));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(p[0]);
		/* One call: it waits for room again and again, and returns the whole count. */
		UT_EQ(write(p[1], buf, n), n);
		_exit(0);
	}
	close(p[1]);
	memset(buf, 0, n);
	UT_EQ(read_full(p[0], buf, n), n);
	for (size_t i = 0; i < n; i++)
		if (buf[i] != (unsigned char)(i * 7 + i / 4096))
			ut_fail(__FILE__, __LINE__, "byte %zu differs", i);
	UT_CHILD_OK(pid);
	close(p[0]);
	munmap(buf, n);
}

/*
 * writev into a pipe with little room: the count may be short (Linux moves
 * everything, Axolotl stops after the first segment), but what was written
 * and what is written next all arrive, and the writer can block again.
 */
UT_CASE(writev_short_then_blocking_write)
{
	static char big[PIPE_CAPACITY];
	char small[50];
	struct iovec iov[2] = { { small, sizeof(small) }, { big, PIPE_BUF_SIZE } };
	size_t total = PIPE_CAPACITY - 100;
	ssize_t r;
	int p[2];
	pid_t pid;

	memset(small, 's', sizeof(small));
	UT_NOERR(pipe(p));
	/* Leave 100 bytes of room. */
	set_nonblock(p[1]);
	UT_EQ(fill(p[1]), PIPE_CAPACITY);
	UT_EQ(read(p[0], big, 100), 100);
	UT_NOERR(fcntl(p[1], F_SETFL, 0));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		size_t got = 0;

		close(p[1]);
		ut_sleep_ms(100);
		/* Everything the parent wrote, until it closes. */
		for (;;) {
			ssize_t n = read(p[0], big, sizeof(big));

			if (n <= 0)
				break;
			got += (size_t)n;
		}
		_exit(got % 1000 == 0 ? 0 : 1);
	}
	r = writev(p[1], iov, 2);
	UT_CHECK(r == 50 || r == 50 + PIPE_BUF_SIZE);
	total += (size_t)r;
	/* Blocks until the child reads. */
	UT_EQ(write(p[1], big, PIPE_BUF_SIZE), PIPE_BUF_SIZE);
	total += PIPE_BUF_SIZE;
	if (r == 50) {
		UT_EQ(write(p[1], big, PIPE_BUF_SIZE), PIPE_BUF_SIZE);
		total += PIPE_BUF_SIZE;
	}
	/* Round the total up to a multiple of 1000 so that the child can check it. */
	write_full(p[1], big, 1000 - total % 1000);
	close(p[1]);
	close(p[0]);
	UT_CHILD_OK(pid);
}

UT_CASE(pipe2_flags)
{
	int p[2];
	char c;

	UT_NOERR(pipe2(p, O_CLOEXEC));
	UT_EQ(fcntl(p[0], F_GETFD), FD_CLOEXEC);
	UT_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	UT_EQ(fcntl(p[0], F_GETFL) & O_NONBLOCK, 0);
	close(p[0]);
	close(p[1]);

	UT_NOERR(pipe2(p, O_NONBLOCK));
	UT_EQ(fcntl(p[0], F_GETFD), 0);
	UT_CHECK(fcntl(p[0], F_GETFL) & O_NONBLOCK);
	UT_CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	UT_EQ(fcntl(p[0], F_GETFL) & O_ACCMODE, O_RDONLY);
	UT_EQ(fcntl(p[1], F_GETFL) & O_ACCMODE, O_WRONLY);
	UT_ERRNO(read(p[0], &c, 1), EAGAIN);
	close(p[0]);
	close(p[1]);

	UT_NOERR(pipe2(p, O_NONBLOCK | O_CLOEXEC));
	UT_EQ(fcntl(p[1], F_GETFD), FD_CLOEXEC);
	UT_CHECK(fcntl(p[1], F_GETFL) & O_NONBLOCK);
	close(p[0]);
	close(p[1]);

	UT_ERRNO(pipe2(p, O_APPEND), EINVAL);
	UT_ERRNO(pipe2(p, 0x7fff0000 & ~O_CLOEXEC & ~O_NONBLOCK & ~O_DIRECT), EINVAL);
}

UT_CASE(pipe2_cloexec_closes_on_exec)
{
	int p[2];
	pid_t pid;
	char fdarg[16];

	UT_NOERR(pipe2(p, O_CLOEXEC));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		snprintf(fdarg, sizeof(fdarg), "%d", p[1]);
		execl((const char *)getauxval(AT_EXECFN), "pipes", "--helper", "check-closed",
		      fdarg, (char *)NULL);
		_exit(5);
	}
	UT_CHILD_OK(pid);
	close(p[0]);
	close(p[1]);
}

int ut_helper(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "check-closed"))
		return fcntl(atoi(argv[2]), F_GETFD) == -1 && errno == EBADF ? 0 : 1;
	return 2;
}

UT_CASE(efault_paths)
{
	int p[2];
	char buf[8];

	/* The descriptor array must be writable; no descriptor is left behind. */
	UT_RAW_ERR(ut_raw1(SYS_pipe, 0), EFAULT);
	UT_RAW_ERR(ut_raw1(SYS_pipe, 1), EFAULT);
	UT_RAW_ERR(ut_raw2(SYS_pipe2, (long)0xffff800000000000UL, 0), EFAULT);
	UT_NOERR(pipe2(p, O_NONBLOCK));
	/* A write from a bad buffer moves nothing. */
	UT_RAW_ERR(ut_raw3(SYS_write, p[1], 0, 4), EFAULT);
	UT_RAW_ERR(ut_raw3(SYS_write, p[1], (long)0xffff800000000000UL, 4), EFAULT);
	UT_ERRNO(read(p[0], buf, sizeof(buf)), EAGAIN);
	/* A read into a bad buffer consumes nothing. */
	UT_EQ(write(p[1], "data", 4), 4);
	UT_RAW_ERR(ut_raw3(SYS_read, p[0], 0, 4), EFAULT);
	UT_RAW_ERR(ut_raw3(SYS_read, p[0], 8, 4), EFAULT);
	UT_EQ(read(p[0], buf, sizeof(buf)), 4);
	UT_CHECK(!memcmp(buf, "data", 4));
	close(p[0]);
	close(p[1]);
}

UT_CASE(many_pipes)
{
	int fds[200][2];
	char c;

	for (int i = 0; i < 200; i++) {
		UT_NOERR(pipe(fds[i]));
		c = (char)i;
		UT_EQ(write(fds[i][1], &c, 1), 1);
	}
	for (int i = 199; i >= 0; i--) {
		UT_EQ(read(fds[i][0], &c, 1), 1);
		UT_EQ((unsigned char)c, (unsigned char)i);
		close(fds[i][0]);
		close(fds[i][1]);
	}
}

/* FIFOs */

static char fifo_path[64];

static void make_fifo(void)
{
	snprintf(fifo_path, sizeof(fifo_path), "/tmp/pipes-fifo-%d", (int)getpid());
	unlink(fifo_path);
	UT_NOERR(mkfifo(fifo_path, 0600));
}

UT_CASE(fifo_made_by_mkfifo)
{
	struct stat st;
	mode_t old = umask(022);

	make_fifo();
	UT_NOERR(unlink(fifo_path));
	UT_NOERR(mkfifo(fifo_path, 0666));
	UT_NOERR(stat(fifo_path, &st));
	UT_CHECK(S_ISFIFO(st.st_mode));
	UT_EQ(st.st_mode & 0777, 0644);
	UT_ERRNO(mkfifo(fifo_path, 0600), EEXIST);
	UT_NOERR(unlink(fifo_path));
	umask(old);
}

UT_CASE(fifo_reader_first_then_writer)
{
	char buf[32];
	pid_t pid;
	int fd;

	make_fifo();
	pid = UT_NOERR(fork());
	if (pid == 0) {
		ut_sleep_ms(50);
		fd = UT_NOERR(open(fifo_path, O_WRONLY)); /* a reader is waiting: no wait */
		UT_EQ(write(fd, "through the fifo", 16), 16);
		close(fd);
		_exit(0);
	}
	fd = UT_NOERR(open(fifo_path, O_RDONLY)); /* waits for the writer */
	UT_EQ(read_full(fd, buf, 16), 16);
	UT_CHECK(!memcmp(buf, "through the fifo", 16));
	UT_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	UT_CHILD_OK(pid);
	unlink(fifo_path);
}

UT_CASE(fifo_writer_first_then_reader)
{
	char buf[32];
	pid_t pid;
	int fd;

	make_fifo();
	pid = UT_NOERR(fork());
	if (pid == 0) {
		fd = UT_NOERR(open(fifo_path, O_WRONLY)); /* waits for the reader */
		UT_EQ(write(fd, "second", 6), 6);
		close(fd);
		_exit(0);
	}
	ut_sleep_ms(50);
	fd = UT_NOERR(open(fifo_path, O_RDONLY));
	UT_EQ(read_full(fd, buf, 6), 6);
	UT_CHECK(!memcmp(buf, "second", 6));
	UT_EQ(read(fd, buf, sizeof(buf)), 0);
	close(fd);
	UT_CHILD_OK(pid);
	unlink(fifo_path);
}

UT_CASE(fifo_nonblocking_opens)
{
	int rd, wr, rw;
	char c;

	make_fifo();
	/* No reader: a non-blocking writer is refused. */
	UT_ERRNO(open(fifo_path, O_WRONLY | O_NONBLOCK), ENXIO);
	/* A non-blocking reader needs no writer; it reads EOF while there is none. */
	rd = UT_NOERR(open(fifo_path, O_RDONLY | O_NONBLOCK));
	UT_EQ(read(rd, &c, 1), 0);
	/* Now there is a reader. */
	wr = UT_NOERR(open(fifo_path, O_WRONLY | O_NONBLOCK));
	UT_ERRNO(read(rd, &c, 1), EAGAIN);
	UT_EQ(write(wr, "q", 1), 1);
	UT_EQ(read(rd, &c, 1), 1);
	UT_EQ(c, 'q');
	close(wr);
	UT_EQ(read(rd, &c, 1), 0);
	close(rd);
	/* O_RDWR never waits, and the bytes go when the last opener does. */
	rw = UT_NOERR(open(fifo_path, O_RDWR));
	UT_EQ(write(rw, "lost", 4), 4);
	close(rw);
	rw = UT_NOERR(open(fifo_path, O_RDWR | O_NONBLOCK));
	UT_ERRNO(read(rw, &c, 1), EAGAIN);
	close(rw);
	unlink(fifo_path);
}

UT_CASE(fifo_writer_gets_epipe_after_reader_leaves)
{
	int rd, wr;

	make_fifo();
	rd = UT_NOERR(open(fifo_path, O_RDONLY | O_NONBLOCK));
	wr = UT_NOERR(open(fifo_path, O_WRONLY));
	UT_NOERR(close(rd));
	signal(SIGPIPE, SIG_IGN);
	UT_ERRNO(write(wr, "x", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	close(wr);
	unlink(fifo_path);
}

/* Opens that wait, in both orders: the child's next open waits for the parent's "go". */
UT_CASE(fifo_many_round_trips)
{
	int go[2];
	pid_t pid;
	int fd;

	make_fifo();
	UT_NOERR(pipe(go));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		char c;

		close(go[1]);
		for (int i = 0; i < 50; i++) {
			if (i % 2)
				ut_sleep_ms(2);
			fd = UT_NOERR(open(fifo_path, O_WRONLY));
			UT_EQ(write(fd, &i, sizeof(i)), sizeof(i));
			close(fd);
			UT_EQ(read(go[0], &c, 1), 1);
		}
		_exit(0);
	}
	close(go[0]);
	for (int i = 0; i < 50; i++) {
		int v = -1;

		if (i % 3 == 0)
			ut_sleep_ms(2);
		fd = UT_NOERR(open(fifo_path, O_RDONLY));
		UT_EQ(read_full(fd, &v, sizeof(v)), sizeof(v));
		UT_EQ(v, i);
		UT_EQ(read(fd, &v, sizeof(v)), 0);
		close(fd);
		UT_EQ(write(go[1], "g", 1), 1);
	}
	UT_CHILD_OK(pid);
	close(go[1]);
	unlink(fifo_path);
}

/* Byte i of the writev stream below. */
static unsigned char stream_byte(size_t i)
{
	return (unsigned char)((i * 7 + i / 251) & 0xff);
}

/*
 * A writev whose second segment does not fit waits in the middle of it;
 * run again, it must go on where it stopped: every byte arrives once, in
 * order (a short count here made callers write part of a segment twice).
 */
UT_CASE(writev_waiting_mid_segment_keeps_the_stream)
{
	static unsigned char a[30000], b[100000];
	struct iovec iov[2] = { { a, sizeof(a) }, { b, sizeof(b) } };
	int fds[2];
	pid_t pid;

	for (size_t i = 0; i < sizeof(a); i++)
		a[i] = stream_byte(i);
	for (size_t i = 0; i < sizeof(b); i++)
		b[i] = stream_byte(sizeof(a) + i);
	UT_NOERR(pipe(fds));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		static unsigned char buf[4096];
		size_t at = 0;
		ssize_t n;

		close(fds[1]);
		usleep(50000); /* let the writer fill the pipe and wait */
		while ((n = read(fds[0], buf, sizeof(buf))) > 0)
			for (ssize_t i = 0; i < n; i++, at++)
				if (buf[i] != stream_byte(at))
					_exit(2);
		_exit(at == sizeof(a) + sizeof(b) ? 0 : 3);
	}
	close(fds[0]);
	UT_EQ(writev(fds[1], iov, 2), (ssize_t)(sizeof(a) + sizeof(b)));
	close(fds[1]);
	UT_EQ(ut_wait(pid), 0);
}

/* As Linux: sendfile reads only from files with positions, never from a pipe. */
UT_CASE(sendfile_from_a_pipe_is_einval)
{
	int fds[2], out = UT_NOERR(open("/dev/null", O_WRONLY));

	UT_NOERR(pipe(fds));
	UT_EQ(write(fds[1], "abc", 3), 3);
	UT_ERRNO(syscall(SYS_sendfile, out, fds[0], NULL, 3), EINVAL);
	char c[3];
	UT_EQ(read(fds[0], c, 3), 3); /* nothing was consumed */
	close(fds[0]);
	close(fds[1]);
	close(out);
}
