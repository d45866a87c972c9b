/*
 * unix_sockets: the socket calls on AF_UNIX sockets, checked against
 * Linux's results (the program runs on the host with the same verdicts).
 * socket's argument errors (EAFNOSUPPORT, EPROTONOSUPPORT, EINVAL,
 * ESOCKTNOSUPPORT), socketpair of the three types, stream, datagram and
 * seqpacket transfers, path names on the root file system and in /tmp
 * (an S_IFSOCK inode, EADDRINUSE, ECONNREFUSED, ENOENT), the abstract
 * namespace and autobind, listen's backlog with EAGAIN, non-blocking
 * connect and SO_ERROR, accept4's flags, getsockname/getpeername,
 * shutdown, EPIPE with SIGPIPE and with MSG_NOSIGNAL, EMSGSIZE,
 * MSG_TRUNC, MSG_PEEK (of descriptors too), MSG_WAITALL, MSG_DONTWAIT, SO_RCVTIMEO,
 * SCM_RIGHTS (a pipe, a socket, a file; MSG_CTRUNC), SCM_CREDENTIALS,
 * SO_PEERCRED, the socket options, sendmmsg/recvmmsg, the file calls on
 * sockets (read, write, poll, fcntl, dup, fstat), EBADF/ENOTSOCK/EFAULT,
 * /proc/net/unix, and a 64 MiB checksummed transfer between two
 * processes. Timing never decides a verdict.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

static void *volatile bad_ptr = (void *)1; /* hidden from the compiler's checks */
#define BAD_PTR bad_ptr

static socklen_t path_addr(struct sockaddr_un *a, const char *path)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	strcpy(a->sun_path, path);
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + strlen(path) + 1);
}

static socklen_t abstract_addr(struct sockaddr_un *a, const char *name)
{
	memset(a, 0, sizeof(*a));
	a->sun_family = AF_UNIX;
	memcpy(a->sun_path + 1, name, strlen(name));
	return (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + strlen(name));
}

/*
 * A unique name per process (the leak check runs the program again), in
 * /tmp or in $UNIX_SOCKET_DIR (the ext2 run names a directory of its root).
 */
static const char *tmp_path(const char *what)
{
	static char buf[4][108];
	static int n;
	const char *dir = getenv("UNIX_SOCKET_DIR");
	char *p = buf[n++ & 3];

	snprintf(p, 108, "%s/us-%d-%s", dir && *dir ? dir : "/tmp", (int)getpid(), what);
	return p;
}

/* A listening stream socket bound to path; returns it. */
static int listener(int type, const char *path, int backlog)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, path);
	int fd = UT_NOERR(socket(AF_UNIX, type, 0));

	unlink(path);
	UT_NOERR(bind(fd, (struct sockaddr *)&a, len));
	UT_NOERR(listen(fd, backlog));
	return fd;
}

static int connect_to(int type, const char *path)
{
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, path);
	int fd = UT_NOERR(socket(AF_UNIX, type, 0));

	UT_NOERR(connect(fd, (struct sockaddr *)&a, len));
	return fd;
}

UT_CASE(socket_argument_errors)
{
	UT_ERRNO(socket(AF_UNIX, SOCK_STREAM, 2), EPROTONOSUPPORT);
	close(UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 1))); /* PF_UNIX itself */
	UT_ERRNO(socket(AF_UNIX, SOCK_STREAM | 0x100, 0), EINVAL);
	UT_ERRNO(socket(AF_UNIX, 12, 0), EINVAL);
	UT_ERRNO(socket(AF_UNIX, SOCK_RDM, 0), ESOCKTNOSUPPORT);
	UT_ERRNO(socket(-1, SOCK_STREAM, 0), EAFNOSUPPORT);
	UT_ERRNO(socket(46, SOCK_STREAM, 0), EAFNOSUPPORT);
	int fd = UT_NOERR(socket(AF_UNIX, SOCK_RAW, 0)); /* a datagram socket */
	int type = 0;
	socklen_t len = sizeof(type);

	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, &type, &len));
	UT_EQ(type, SOCK_DGRAM);
	close(fd);
	UT_ERRNO(socketpair(AF_UNIX, SOCK_STREAM | 0x100, 0, (int[2]){ 0 }), EINVAL);
	UT_ERRNO(socketpair(AF_UNIX, SOCK_STREAM, 0, BAD_PTR), EFAULT);
}

UT_CASE(not_a_socket)
{
	int p[2];
	char c;

	UT_NOERR(pipe(p));
	UT_ERRNO(bind(p[0], (struct sockaddr *)&(struct sockaddr_un){ AF_UNIX, "x" }, 4), ENOTSOCK);
	UT_ERRNO(listen(p[0], 1), ENOTSOCK);
	UT_ERRNO(accept(p[0], NULL, NULL), ENOTSOCK);
	UT_ERRNO(send(p[1], "x", 1, 0), ENOTSOCK);
	UT_ERRNO(recv(p[0], &c, 1, 0), ENOTSOCK);
	UT_ERRNO(shutdown(p[0], SHUT_RD), ENOTSOCK);
	UT_ERRNO(getsockname(p[0], NULL, NULL), ENOTSOCK);
	UT_ERRNO(setsockopt(p[0], SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)), ENOTSOCK);
	close(p[0]);
	close(p[1]);
	UT_ERRNO(send(999, "x", 1, 0), EBADF);
	UT_ERRNO(connect(999, NULL, 0), EBADF);
	UT_ERRNO(shutdown(-1, SHUT_RD), EBADF);
}

UT_CASE(socketpair_stream_read_write)
{
	int sv[2];
	char buf[16];
	struct stat st;

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_EQ(write(sv[0], "hello", 5), 5);
	UT_EQ(send(sv[0], " world", 6, 0), 6);
	UT_EQ(read(sv[1], buf, sizeof(buf)), 11);
	UT_CHECK(!memcmp(buf, "hello world", 11));
	UT_EQ(send(sv[1], "back", 4, 0), 4);
	UT_EQ(recv(sv[0], buf, sizeof(buf), 0), 4);
	UT_NOERR(fstat(sv[0], &st));
	UT_CHECK(S_ISSOCK(st.st_mode));
	UT_ERRNO(lseek(sv[0], 0, SEEK_SET), ESPIPE);
	UT_ERRNO(recv(sv[0], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	int d = UT_NOERR(dup(sv[0]));

	UT_EQ(send(sv[1], "z", 1, 0), 1);
	UT_EQ(recv(d, buf, 1, 0), 1);
	UT_NOERR(fcntl(sv[0], F_SETFL, O_NONBLOCK));
	UT_ERRNO(read(sv[0], buf, 1), EAGAIN);
	UT_ERRNO(recv(sv[0], BAD_PTR, 1, MSG_DONTWAIT), EAGAIN);
	UT_EQ(send(sv[1], "q", 1, 0), 1);
	UT_ERRNO(recv(sv[0], BAD_PTR, 1, 0), EFAULT);
	UT_EQ(recv(sv[0], buf, 1, 0), 1); /* a bad buffer loses nothing */
	UT_EQ(buf[0], 'q');
	UT_ERRNO(send(sv[1], BAD_PTR, 10, 0), EFAULT);
	close(d);
	close(sv[0]);
	UT_EQ(read(sv[1], buf, 1), 0); /* end of file */
	close(sv[1]);
}

UT_CASE(stream_eof_epipe_and_nosignal)
{
	int sv[2];
	char c;

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	close(sv[1]);
	UT_EQ(recv(sv[0], &c, 1, 0), 0);
	UT_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	signal(SIGPIPE, SIG_IGN);
	UT_ERRNO(write(sv[0], "x", 1), EPIPE);
	signal(SIGPIPE, SIG_DFL);
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		send(sv[0], "x", 1, 0);
		_exit(0);
	}
	UT_EQ(ut_wait(pid), 128 + SIGPIPE);
	close(sv[0]);
}

UT_CASE(shutdown_directions)
{
	int sv[2];
	char c;

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_ERRNO(shutdown(sv[0], 3), EINVAL);
	UT_ERRNO(shutdown(sv[0], -1), EINVAL);
	UT_NOERR(shutdown(sv[0], SHUT_WR));
	UT_EQ(recv(sv[1], &c, 1, 0), 0);
	UT_ERRNO(send(sv[0], "x", 1, MSG_NOSIGNAL), EPIPE);
	UT_EQ(send(sv[1], "y", 1, 0), 1); /* the other way still works */
	UT_EQ(recv(sv[0], &c, 1, 0), 1);
	struct pollfd p = { sv[1], POLLIN | POLLOUT | POLLRDHUP, 0 };

	UT_EQ(poll(&p, 1, 0), 1);
	UT_EQ(p.revents & (POLLIN | POLLRDHUP), POLLIN | POLLRDHUP);
	close(sv[0]);
	close(sv[1]);
	int fd = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));

	UT_NOERR(shutdown(fd, SHUT_RDWR)); /* Linux: no ENOTCONN for AF_UNIX */
	close(fd);
}

UT_CASE(poll_readiness)
{
	int sv[2];
	char c;
	struct pollfd p[2];

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	p[0] = (struct pollfd){ sv[0], POLLIN | POLLOUT, 0 };
	UT_EQ(poll(p, 1, 0), 1);
	UT_EQ(p[0].revents, POLLOUT);
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		usleep(20000);
		send(sv[1], "x", 1, 0);
		_exit(0);
	}
	p[0] = (struct pollfd){ sv[0], POLLIN, 0 };
	UT_EQ(poll(p, 1, 10000), 1);
	UT_EQ(p[0].revents, POLLIN);
	UT_EQ(recv(sv[0], &c, 1, 0), 1);
	UT_CHILD_OK(pid);
	close(sv[1]);
	p[0] = (struct pollfd){ sv[0], POLLIN, 0 };
	UT_EQ(poll(p, 1, 0), 1);
	UT_EQ(p[0].revents & (POLLIN | POLLHUP), POLLIN | POLLHUP);
	close(sv[0]);
	int fd = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));

	p[1] = (struct pollfd){ fd, POLLIN | POLLOUT, 0 };
	UT_EQ(poll(&p[1], 1, 0), 1);
	UT_EQ(p[1].revents, POLLOUT | POLLHUP); /* not connected */
	close(fd);
}

UT_CASE(blocked_reader_woken_by_writer)
{
	int sv[2];
	char buf[8];

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		usleep(20000);
		UT_EQ(send(sv[1], "abc", 3, 0), 3);
		usleep(20000);
		UT_EQ(send(sv[1], "defgh", 5, 0), 5);
		_exit(0);
	}
	UT_EQ(recv(sv[0], buf, 8, MSG_WAITALL), 8);
	UT_CHECK(!memcmp(buf, "abcdefgh", 8));
	UT_CHILD_OK(pid);
	close(sv[0]);
	close(sv[1]);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* A signal whose handler has no SA_RESTART ends a blocked receive with EINTR. */
UT_CASE(signal_interrupts_blocked_recv)
{
	int sv[2], stop[2];
	char c;
	struct sigaction sa = { .sa_handler = on_usr1 }; /* no SA_RESTART */

	UT_NOERR(sigaction(SIGUSR1, &sa, NULL));
	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_NOERR(pipe(stop));
	pid_t parent = getpid(), pid = UT_NOERR(fork());

	if (pid == 0) {
		struct pollfd p = { stop[0], POLLIN, 0 };

		/* Signal until told to stop: one lands while the parent waits. */
		while (poll(&p, 1, 10) == 0)
			kill(parent, SIGUSR1);
		_exit(0);
	}
	UT_ERRNO(recv(sv[0], &c, 1, 0), EINTR);
	UT_EQ(write(stop[1], "s", 1), 1);
	UT_CHILD_OK(pid);
	signal(SIGUSR1, SIG_DFL);
	close(stop[0]);
	close(stop[1]);
	close(sv[0]);
	close(sv[1]);
}

UT_CASE(peek_and_fionread)
{
	int sv[2], n = 0;
	char buf[8];

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_EQ(send(sv[0], "abc", 3, 0), 3);
	UT_EQ(send(sv[0], "de", 2, 0), 2);
	UT_NOERR(ioctl(sv[1], FIONREAD, &n));
	UT_EQ(n, 5);
	UT_EQ(recv(sv[1], buf, 4, MSG_PEEK), 4);
	UT_CHECK(!memcmp(buf, "abcd", 4));
	UT_EQ(recv(sv[1], buf, 2, 0), 2);
	UT_CHECK(!memcmp(buf, "ab", 2));
	UT_EQ(recv(sv[1], buf, 8, 0), 3);
	UT_CHECK(!memcmp(buf, "cde", 3));
	close(sv[0]);
	close(sv[1]);
}

UT_CASE(dgram_pair_boundaries_and_trunc)
{
	int sv[2];
	char buf[16];
	struct iovec iov = { buf, 4 };
	struct msghdr mh = { .msg_iov = &iov, .msg_iovlen = 1 };

	UT_NOERR(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	UT_EQ(send(sv[0], "one", 3, 0), 3);
	UT_EQ(send(sv[0], "twotwo", 6, 0), 6);
	UT_EQ(send(sv[0], "three-three", 11, 0), 11);
	UT_EQ(send(sv[0], "", 0, 0), 0);
	UT_EQ(recv(sv[1], buf, sizeof(buf), 0), 3);
	UT_EQ(recv(sv[1], buf, 3, MSG_TRUNC), 6); /* the real length */
	UT_EQ(recvmsg(sv[1], &mh, 0), 4);
	UT_EQ(mh.msg_flags & MSG_TRUNC, MSG_TRUNC);
	UT_CHECK(!memcmp(buf, "thre", 4));
	UT_EQ(recv(sv[1], buf, sizeof(buf), 0), 0); /* the empty datagram */
	UT_ERRNO(recv(sv[1], buf, sizeof(buf), MSG_DONTWAIT), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

UT_CASE(dgram_emsgsize_and_full_queue)
{
	int sv[2], n;
	size_t big = 300000;
	char *p = calloc(1, big);

	UT_NOERR(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	UT_ERRNO(send(sv[0], p, big, 0), EMSGSIZE);
	for (n = 0; n < 100000 && send(sv[0], "x", 1, MSG_DONTWAIT) == 1; n++)
		;
	UT_ERRNO(send(sv[0], "x", 1, MSG_DONTWAIT), EAGAIN);
	UT_CHECK(n > 0);
	free(p);
	close(sv[0]);
	close(sv[1]);
}

UT_CASE(seqpacket_records)
{
	int sv[2];
	char buf[16];

	UT_NOERR(socketpair(AF_UNIX, SOCK_SEQPACKET, 0, sv));
	UT_EQ(send(sv[0], "first", 5, 0), 5);
	UT_EQ(send(sv[0], "second", 6, 0), 6);
	UT_EQ(recv(sv[1], buf, 3, 0), 3); /* the rest of the record is dropped */
	UT_EQ(recv(sv[1], buf, sizeof(buf), 0), 6);
	UT_CHECK(!memcmp(buf, "second", 6));
	close(sv[0]);
	UT_EQ(recv(sv[1], buf, sizeof(buf), 0), 0);
	close(sv[1]);
}

UT_CASE(path_bind_connect_accept)
{
	const char *path = tmp_path("srv");
	struct sockaddr_un a, got;
	socklen_t len = path_addr(&a, path), glen = sizeof(got);
	struct stat st;
	char buf[8];
	int l = listener(SOCK_STREAM, path, 5);

	UT_NOERR(stat(path, &st));
	UT_CHECK(S_ISSOCK(st.st_mode));
	UT_ERRNO(open(path, O_RDWR), ENXIO);
	int again = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));

	UT_ERRNO(bind(again, (struct sockaddr *)&a, len), EADDRINUSE);
	UT_ERRNO(bind(l, (struct sockaddr *)&a, len), EADDRINUSE); /* the name is checked first */
	struct sockaddr_un a2;
	socklen_t len2 = path_addr(&a2, tmp_path("srv2"));

	UT_ERRNO(bind(l, (struct sockaddr *)&a2, len2), EINVAL); /* already bound */
	UT_ERRNO(stat(a2.sun_path, &st), ENOENT);		 /* and the new name is gone */
	int c = connect_to(SOCK_STREAM, path);
	int s = UT_NOERR(accept4(l, (struct sockaddr *)&got, &glen, SOCK_CLOEXEC));

	UT_EQ(glen, sizeof(sa_family_t)); /* the client is unnamed */
	UT_EQ(fcntl(s, F_GETFD), FD_CLOEXEC);
	glen = sizeof(got);
	UT_NOERR(getpeername(c, (struct sockaddr *)&got, &glen));
	UT_EQ(glen, len);
	UT_CHECK(!strcmp(got.sun_path, path));
	glen = sizeof(got);
	UT_NOERR(getsockname(s, (struct sockaddr *)&got, &glen));
	UT_EQ(glen, len);
	glen = sizeof(got);
	UT_NOERR(getsockname(c, (struct sockaddr *)&got, &glen));
	UT_EQ(glen, sizeof(sa_family_t));
	UT_ERRNO(connect(c, (struct sockaddr *)&a, len), EISCONN);
	UT_EQ(send(c, "ping", 4, 0), 4);
	UT_EQ(recv(s, buf, sizeof(buf), 0), 4);
	UT_EQ(send(s, "pong", 4, 0), 4);
	UT_EQ(recv(c, buf, sizeof(buf), 0), 4);
	UT_CHECK(!memcmp(buf, "pong", 4));
	UT_ERRNO(sendto(c, "x", 1, 0, (struct sockaddr *)&a, len), EISCONN);
	close(c);
	close(s);
	close(l);
	/* The name stays, but nobody listens. */
	UT_ERRNO(connect(again, (struct sockaddr *)&a, len), ECONNREFUSED);
	UT_NOERR(unlink(path));
	UT_ERRNO(connect(again, (struct sockaddr *)&a, len), ENOENT);
	close(again);
}

UT_CASE(connect_errors)
{
	const char *path = tmp_path("plain");
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, path);
	int fd = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0)), f;

	f = UT_NOERR(open(path, O_CREAT | O_WRONLY, 0600));
	close(f);
	UT_ERRNO(connect(fd, (struct sockaddr *)&a, len), ECONNREFUSED); /* not a socket */
	unlink(path);
	UT_ERRNO(connect(fd, (struct sockaddr *)&a, 1), EINVAL);
	UT_ERRNO(connect(fd, BAD_PTR, len), EFAULT);
	UT_ERRNO(bind(fd, BAD_PTR, len), EFAULT);
	UT_ERRNO(bind(fd, (struct sockaddr *)&a, 200), EINVAL);
	a.sun_family = AF_INET;
	UT_ERRNO(bind(fd, (struct sockaddr *)&a, len), EINVAL);
	UT_ERRNO(listen(fd, 1), EINVAL); /* unbound */
	UT_ERRNO(accept(fd, NULL, NULL), EINVAL);
	UT_ERRNO(accept4(fd, NULL, NULL, 0x1), EINVAL);
	char c;

	UT_ERRNO(recv(fd, &c, 1, 0), EINVAL);
	UT_ERRNO(send(fd, "x", 1, 0), ENOTCONN);
	UT_ERRNO(getpeername(fd, (struct sockaddr *)&a, &(socklen_t){ sizeof(a) }), ENOTCONN);
	close(fd);
	fd = UT_NOERR(socket(AF_UNIX, SOCK_DGRAM, 0));
	UT_ERRNO(listen(fd, 1), EOPNOTSUPP);
	UT_ERRNO(accept(fd, NULL, NULL), EOPNOTSUPP);
	UT_ERRNO(send(fd, "x", 1, 0), ENOTCONN);
	close(fd);
}

UT_CASE(abstract_names_and_autobind)
{
	struct sockaddr_un a, got;
	socklen_t len, glen = sizeof(got);
	char name[32], buf[8];

	snprintf(name, sizeof(name), "us-%d", (int)getpid());
	len = abstract_addr(&a, name);
	int l = UT_NOERR(socket(AF_UNIX, SOCK_SEQPACKET, 0));

	UT_NOERR(bind(l, (struct sockaddr *)&a, len));
	int dup_l = UT_NOERR(socket(AF_UNIX, SOCK_SEQPACKET, 0));

	UT_ERRNO(bind(dup_l, (struct sockaddr *)&a, len), EADDRINUSE);
	close(dup_l);
	int other = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));

	UT_NOERR(listen(l, 1));
	UT_ERRNO(connect(other, (struct sockaddr *)&a, len), ECONNREFUSED); /* another type */
	close(other);
	int c = UT_NOERR(socket(AF_UNIX, SOCK_SEQPACKET, 0));

	UT_NOERR(connect(c, (struct sockaddr *)&a, len));
	int s = UT_NOERR(accept(l, NULL, NULL));

	UT_NOERR(getsockname(s, (struct sockaddr *)&got, &glen));
	UT_EQ(glen, len);
	UT_CHECK(!memcmp(&got, &a, len));
	UT_EQ(send(c, "rec", 3, 0), 3);
	UT_EQ(recv(s, buf, sizeof(buf), 0), 3);
	/* Autobind: a five-hex-digit abstract name. */
	other = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));
	glen = sizeof(got);
	UT_NOERR(bind(other, (struct sockaddr *)&(sa_family_t){ AF_UNIX }, sizeof(sa_family_t)));
	UT_NOERR(getsockname(other, (struct sockaddr *)&got, &glen));
	UT_EQ(glen, offsetof(struct sockaddr_un, sun_path) + 6);
	UT_EQ(got.sun_path[0], 0);
	close(c);
	close(s);
	close(l);
	close(other);
	c = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));
	UT_ERRNO(connect(c, (struct sockaddr *)&a, len), ECONNREFUSED); /* gone with its socket */
	close(c);
}

UT_CASE(backlog_nonblocking_connect_so_error)
{
	const char *path = tmp_path("bl");
	struct sockaddr_un a;
	socklen_t len = path_addr(&a, path);
	int l = listener(SOCK_STREAM, path, 0), c[4], n, err = -1;
	socklen_t elen = sizeof(err);

	for (n = 0; n < 4; n++) {
		c[n] = UT_NOERR(socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0));
		if (connect(c[n], (struct sockaddr *)&a, len) < 0) {
			UT_EQ(errno, EAGAIN);
			break;
		}
	}
	UT_CHECK(n >= 1 && n < 4); /* backlog 0 lets one (Linux: one more than the backlog) wait */
	UT_NOERR(getsockopt(c[0], SOL_SOCKET, SO_ERROR, &err, &elen));
	UT_EQ(err, 0);
	int s = UT_NOERR(accept4(l, NULL, NULL, SOCK_NONBLOCK));

	UT_EQ(fcntl(s, F_GETFL) & O_NONBLOCK, O_NONBLOCK);
	UT_NOERR(connect(c[n], (struct sockaddr *)&a, len)); /* room again */
	for (int i = 0; i <= n; i++)
		close(c[i]);
	close(s);
	s = UT_NOERR(accept(l, NULL, NULL)); /* queued connections survive their client */
	char ch;

	UT_EQ(recv(s, &ch, 1, 0), 0);
	close(s);
	UT_NOERR(fcntl(l, F_SETFL, O_NONBLOCK));
	UT_ERRNO(accept(l, NULL, NULL), EAGAIN);
	close(l);
	unlink(path);
}

UT_CASE(blocked_accept_and_connect_across_processes)
{
	const char *path = tmp_path("acc");
	int l = listener(SOCK_STREAM, path, 4);
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		usleep(20000);
		int c = connect_to(SOCK_STREAM, path);

		UT_EQ(send(c, "hi", 2, 0), 2);
		close(c);
		_exit(0);
	}
	int s = UT_NOERR(accept(l, NULL, NULL));
	char buf[4];

	UT_EQ(recv(s, buf, sizeof(buf), MSG_WAITALL), 2);
	UT_CHILD_OK(pid);
	close(s);
	close(l);
	unlink(path);
}

UT_CASE(dgram_sendto_recvfrom_and_connect)
{
	const char *spath = tmp_path("dsrv"), *cpath = tmp_path("dcli");
	struct sockaddr_un sa, ca, from;
	socklen_t slen = path_addr(&sa, spath), clen = path_addr(&ca, cpath), flen = sizeof(from);
	int srv = UT_NOERR(socket(AF_UNIX, SOCK_DGRAM, 0));
	int cli = UT_NOERR(socket(AF_UNIX, SOCK_DGRAM, 0));
	int third = UT_NOERR(socket(AF_UNIX, SOCK_DGRAM, 0));
	char buf[16];

	unlink(spath);
	unlink(cpath);
	UT_NOERR(bind(srv, (struct sockaddr *)&sa, slen));
	UT_NOERR(bind(cli, (struct sockaddr *)&ca, clen));
	UT_EQ(sendto(cli, "dg", 2, 0, (struct sockaddr *)&sa, slen), 2);
	UT_EQ(recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 2);
	UT_EQ(flen, clen);
	UT_CHECK(!strcmp(from.sun_path, cpath));
	UT_EQ(sendto(third, "anon", 4, 0, (struct sockaddr *)&sa, slen), 4);
	flen = sizeof(from);
	UT_EQ(recvfrom(srv, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen), 4);
	UT_EQ(flen, 0); /* an unnamed sender */
	/* srv connected to cli accepts only cli's datagrams. */
	UT_NOERR(connect(srv, (struct sockaddr *)&ca, clen));
	UT_ERRNO(sendto(third, "x", 1, 0, (struct sockaddr *)&sa, slen), EPERM);
	UT_EQ(send(srv, "to-cli", 6, 0), 6);
	UT_EQ(recv(cli, buf, sizeof(buf), 0), 6);
	UT_NOERR(connect(srv, (struct sockaddr *)&(sa_family_t){ AF_UNSPEC }, sizeof(sa_family_t)));
	UT_ERRNO(send(srv, "x", 1, 0), ENOTCONN);
	UT_NOERR(connect(third, (struct sockaddr *)&sa, slen));
	close(srv);
	UT_ERRNO(send(third, "x", 1, 0), ECONNREFUSED);
	close(cli);
	close(third);
	unlink(spath);
	unlink(cpath);
}

UT_CASE(socket_options)
{
	int fd = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0)), v = 0;
	socklen_t len = sizeof(v);
	struct timeval tv = { 2, 0 }, got;

	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_DOMAIN, &v, &len));
	UT_EQ(v, AF_UNIX);
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len));
	UT_EQ(v, SOCK_STREAM);
	UT_NOERR(setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &(int){ 8192 }, sizeof(int)));
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_SNDBUF, &v, &len));
	UT_EQ(v, 16384); /* doubled, as Linux */
	UT_NOERR(setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &(int){ 1 }, sizeof(int)));
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_RCVBUF, &v, &len));
	UT_EQ(v, 2304); /* the minimum */
	UT_NOERR(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){ 1 }, sizeof(int)));
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, &len));
	UT_EQ(v, 1);
	UT_NOERR(setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){ 1 }, sizeof(int)));
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_PASSCRED, &v, &len));
	UT_EQ(v, 1);
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_ACCEPTCONN, &v, &len));
	UT_EQ(v, 0);
	UT_NOERR(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	len = sizeof(got);
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &got, &len));
	UT_EQ(got.tv_sec, 2);
	UT_EQ(got.tv_usec, 0);
	UT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, 4), EINVAL);
	tv.tv_usec = 2000000;
	UT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)), EDOM);
	UT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &v, 2), EINVAL);
	UT_ERRNO(setsockopt(fd, SOL_SOCKET, 9999, &v, sizeof(v)), ENOPROTOOPT);
	UT_ERRNO(getsockopt(fd, SOL_SOCKET, 9999, &v, &len), ENOPROTOOPT);
	UT_ERRNO(setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, BAD_PTR, sizeof(v)), EFAULT);
	UT_ERRNO(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, BAD_PTR), EFAULT);
	len = 2;
	v = 0;
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_TYPE, &v, &len)); /* cut to the caller's length */
	UT_EQ(len, 2);
	struct ucred cr;

	len = sizeof(cr);
	UT_NOERR(getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len));
	UT_EQ(cr.pid, 0);
	close(fd);
}

UT_CASE(rcvtimeo_gives_eagain)
{
	int sv[2];
	struct timeval tv = { 0, 20000 };
	char c;

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_NOERR(setsockopt(sv[0], SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv)));
	UT_ERRNO(recv(sv[0], &c, 1, 0), EAGAIN);
	close(sv[0]);
	close(sv[1]);
}

UT_CASE(peercred_of_pairs_and_connections)
{
	int sv[2];
	struct ucred cr;
	socklen_t len = sizeof(cr);

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_NOERR(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len));
	UT_EQ(cr.pid, getpid());
	UT_EQ(cr.uid, geteuid());
	UT_EQ(cr.gid, getegid());
	len = 4;
	UT_NOERR(getsockopt(sv[0], SOL_SOCKET, SO_PEERCRED, &cr, &len)); /* cut short */
	UT_EQ(len, 4);
	close(sv[0]);
	close(sv[1]);
	const char *path = tmp_path("cred");
	int l = listener(SOCK_STREAM, path, 1);
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		int c = connect_to(SOCK_STREAM, path);
		struct ucred pc;
		socklen_t pl = sizeof(pc);
		char ch;

		UT_NOERR(getsockopt(c, SOL_SOCKET, SO_PEERCRED, &pc, &pl));
		UT_EQ(pc.pid, getppid()); /* the listener's */
		UT_EQ(recv(c, &ch, 1, 0), 0);
		_exit(0);
	}
	int s = UT_NOERR(accept(l, NULL, NULL));

	len = sizeof(cr);
	UT_NOERR(getsockopt(s, SOL_SOCKET, SO_PEERCRED, &cr, &len));
	UT_EQ(cr.pid, pid);
	close(s);
	UT_CHILD_OK(pid);
	close(l);
	unlink(path);
}

/* Sends fds[0..n) over sock with one byte. */
static ssize_t send_fds(int sock, const int *fds, int n)
{
	char space[CMSG_SPACE(sizeof(int) * 8)] = { 0 };
	struct iovec iov = { "F", 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = space,
			     .msg_controllen = CMSG_SPACE(sizeof(int) * n) };
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(c), fds, sizeof(int) * n);
	return sendmsg(sock, &mh, 0);
}

/* Receives up to max fds; returns how many, with msg_flags in *flags. */
static int recv_fds(int sock, int *fds, int max, size_t space_len, int rflags, int *flags)
{
	char space[CMSG_SPACE(sizeof(int) * 8)];
	char b;
	struct iovec iov = { &b, 1 };
	struct msghdr mh = {
		.msg_iov = &iov, .msg_iovlen = 1, .msg_control = space, .msg_controllen = space_len
	};
	int n = 0;

	UT_EQ(recvmsg(sock, &mh, rflags), 1);
	*flags = mh.msg_flags;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_RIGHTS) {
			int k = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int));

			for (int i = 0; i < k && n < max; i++)
				memcpy(&fds[n++], CMSG_DATA(c) + i * sizeof(int), sizeof(int));
		}
	}
	return n;
}

UT_CASE(scm_rights_pipe_socket_file)
{
	int sv[2], p[2], pair[2], got[3], flags;
	const char *path = tmp_path("file");
	char buf[8];

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_NOERR(pipe(p));
	UT_NOERR(socketpair(AF_UNIX, SOCK_DGRAM, 0, pair));
	int f = UT_NOERR(open(path, O_CREAT | O_RDWR | O_TRUNC, 0600));

	UT_EQ(write(f, "filedata", 8), 8);
	int fds[3] = { p[1], pair[1], f };

	UT_EQ(send_fds(sv[0], fds, 3), 1);
	close(p[1]);
	close(pair[1]);
	close(f);
	UT_EQ(recv_fds(sv[1], got, 3, sizeof(buf) * 0 + CMSG_SPACE(sizeof(int) * 8),
		       MSG_CMSG_CLOEXEC, &flags),
	      3);
	UT_EQ(flags & MSG_CTRUNC, 0);
	UT_EQ(fcntl(got[0], F_GETFD), FD_CLOEXEC);
	UT_EQ(write(got[0], "via", 3), 3);
	UT_EQ(read(p[0], buf, 3), 3);
	UT_EQ(send(got[1], "dg", 2, 0), 2);
	UT_EQ(recv(pair[0], buf, 8, 0), 2);
	UT_EQ(pread(got[2], buf, 8, 0), 8);
	UT_CHECK(!memcmp(buf, "filedata", 8));
	close(got[0]);
	UT_EQ(read(p[0], buf, 1), 0); /* the passed write end was the last one */
	close(got[1]);
	close(got[2]);
	close(p[0]);
	close(pair[0]);
	unlink(path);
	/* Too little control space: MSG_CTRUNC, the extra descriptors closed. */
	UT_NOERR(pipe(p));
	UT_EQ(send_fds(sv[0], p, 2), 1);
	close(p[0]);
	close(p[1]);
	UT_EQ(recv_fds(sv[1], got, 2, CMSG_LEN(sizeof(int)), 0, &flags), 1);
	UT_EQ(flags & MSG_CTRUNC, MSG_CTRUNC);
	close(got[0]);
	/* A bad descriptor. */
	UT_ERRNO(send_fds(sv[0], (int[]){ 999 }, 1), EBADF);
	/* Closed before received: the files go with the socket. */
	UT_NOERR(pipe(p));
	UT_EQ(send_fds(sv[0], p, 2), 1);
	close(p[0]);
	close(p[1]);
	close(sv[0]);
	close(sv[1]);
}

/* MSG_PEEK of descriptors installs new ones; the message keeps its own for the real receive. */
static void peek_fds_of(int type)
{
	int sv[2], p[2], peeked[2], got[2], flags;
	char c;

	UT_NOERR(socketpair(AF_UNIX, type, 0, sv));
	UT_NOERR(pipe(p));
	UT_EQ(send_fds(sv[0], p, 2), 1);
	close(p[0]);
	close(p[1]);
	UT_EQ(recv_fds(sv[1], peeked, 2, CMSG_SPACE(sizeof(int) * 2), MSG_PEEK, &flags), 2);
	UT_EQ(flags & MSG_CTRUNC, 0);
	UT_EQ(recv_fds(sv[1], got, 2, CMSG_SPACE(sizeof(int) * 2), 0, &flags), 2);
	UT_CHECK(got[0] != peeked[0] && got[1] != peeked[1]);
	/* Both pairs name the same pipe. */
	UT_EQ(write(peeked[1], "p", 1), 1);
	UT_EQ(read(got[0], &c, 1), 1);
	UT_EQ(c, 'p');
	UT_EQ(write(got[1], "g", 1), 1);
	UT_EQ(read(peeked[0], &c, 1), 1);
	UT_EQ(c, 'g');
	/* The message is gone: nothing more to peek. */
	UT_ERRNO(recv(sv[1], &c, 1, MSG_PEEK | MSG_DONTWAIT), EAGAIN);
	close(peeked[1]);
	close(got[1]);
	UT_EQ(read(got[0], &c, 1), 0); /* every write end is closed: none leaked */
	close(peeked[0]);
	close(got[0]);
	close(sv[0]);
	close(sv[1]);
}

UT_CASE(peek_gives_descriptors_too)
{
	peek_fds_of(SOCK_STREAM);
	peek_fds_of(SOCK_DGRAM);
}

UT_CASE(scm_credentials)
{
	int sv[2], on = 1;
	char space[CMSG_SPACE(sizeof(struct ucred))], b;
	struct iovec iov = { &b, 1 };
	struct msghdr mh = { .msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = space,
			     .msg_controllen = sizeof(space) };
	struct ucred *uc;

	UT_NOERR(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	UT_NOERR(setsockopt(sv[1], SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)));
	UT_EQ(send(sv[0], "c", 1, 0), 1);
	UT_EQ(recvmsg(sv[1], &mh, 0), 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&mh);

	UT_CHECK(c && c->cmsg_type == SCM_CREDENTIALS);
	uc = (struct ucred *)CMSG_DATA(c);
	UT_EQ(uc->pid, getpid());
	UT_EQ(uc->uid, getuid());
	/* Given by the sender: its own are allowed, another pid is not (unless root). */
	struct ucred mine = { getpid(), getuid(), getgid() };

	memset(space, 0, sizeof(space));
	mh.msg_controllen = sizeof(space);
	c = CMSG_FIRSTHDR(&mh);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_CREDENTIALS;
	c->cmsg_len = CMSG_LEN(sizeof(mine));
	memcpy(CMSG_DATA(c), &mine, sizeof(mine));
	UT_EQ(sendmsg(sv[0], &mh, 0), 1);
	c->cmsg_len = CMSG_LEN(4);
	UT_ERRNO(sendmsg(sv[0], &mh, 0), EINVAL);
	mh.msg_controllen = sizeof(space);
	mh.msg_control = space;
	UT_EQ(recvmsg(sv[1], &mh, 0), 1);
	mh.msg_control = BAD_PTR;
	UT_ERRNO(syscall(SYS_sendmsg, sv[0], &mh, 0), EFAULT);
	UT_ERRNO(syscall(SYS_sendmsg, sv[0], BAD_PTR, 0), EFAULT); /* musl would copy it */
	close(sv[0]);
	close(sv[1]);
}

UT_CASE(sendmsg_iovecs_and_mmsg)
{
	int sv[2];
	char a[] = "abc", b[] = "defg", out[16] = { 0 };
	struct iovec iov[2] = { { a, 3 }, { b, 4 } };
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };
	struct iovec riov[2] = { { out, 2 }, { out + 2, 10 } };
	struct msghdr rh = { .msg_iov = riov, .msg_iovlen = 2 };

	UT_NOERR(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	UT_EQ(sendmsg(sv[0], &mh, 0), 7);
	UT_EQ(recvmsg(sv[1], &rh, 0), 7);
	UT_CHECK(!memcmp(out, "abcdefg", 7));
	mh.msg_iovlen = 2000;
	UT_ERRNO(sendmsg(sv[0], &mh, 0), EMSGSIZE);
	struct mmsghdr mm[3];
	struct iovec mi[3] = { { "m1", 2 }, { "mm2", 3 }, { "mmm3", 4 } };

	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &mi[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	UT_EQ(sendmmsg(sv[0], mm, 3, 0), 3);
	UT_EQ(mm[2].msg_len, 4);
	char rb[3][8];
	struct iovec ri[3] = { { rb[0], 8 }, { rb[1], 8 }, { rb[2], 8 } };

	memset(mm, 0, sizeof(mm));
	for (int i = 0; i < 3; i++) {
		mm[i].msg_hdr.msg_iov = &ri[i];
		mm[i].msg_hdr.msg_iovlen = 1;
	}
	UT_EQ(recvmmsg(sv[1], mm, 3, MSG_WAITFORONE, NULL), 3);
	UT_EQ(mm[1].msg_len, 3);
	UT_CHECK(!memcmp(rb[2], "mmm3", 4));
	UT_EQ(send(sv[0], "one", 3, 0), 3);
	UT_EQ(recvmmsg(sv[1], mm, 3, MSG_WAITFORONE, NULL), 1);
	close(sv[0]);
	close(sv[1]);
}

UT_CASE(proc_net_unix_lists_bound_sockets)
{
	char name[32], buf[65536];
	struct sockaddr_un a;
	socklen_t len;
	int fd = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));

	snprintf(name, sizeof(name), "us-proc-%d", (int)getpid());
	len = abstract_addr(&a, name);
	UT_NOERR(bind(fd, (struct sockaddr *)&a, len));
	UT_NOERR(listen(fd, 1));
	int pf = UT_NOERR(open("/proc/net/unix", O_RDONLY));
	ssize_t n, total = 0;

	while ((n = read(pf, buf + total, sizeof(buf) - 1 - (size_t)total)) > 0)
		total += n;
	buf[total] = 0;
	close(pf);
	UT_CHECK(!strncmp(buf, "Num       RefCount Protocol Flags    Type St Inode Path", 55));
	char *line = strstr(buf, name);

	UT_CHECK(line && line[-1] == '@');
	while (line > buf && line[-1] != '\n')
		line--;
	UT_CHECK(strstr(line, " 00010000 0001 01 ") != NULL);
	close(fd);
}

/*
 * Two writer processes send 8-byte records on one end of a stream pair,
 * two reader processes read the other end in multiples of 8 bytes (a send
 * is one message, never split by such reads): every record arrives whole,
 * once. At --smp 4 the readers meet each other's copies (rd_busy).
 */
#define RECORDS 20000

UT_CASE(concurrent_readers_and_writers)
{
	int sv[2], res[2];
	pid_t w[2], r[2];
	uint64_t want = 0, got = 0;

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	UT_NOERR(pipe(res));
	for (int k = 0; k < 2; k++) {
		w[k] = UT_NOERR(fork());
		if (w[k] == 0) {
			for (uint64_t i = 1; i <= RECORDS; i++) {
				uint64_t v = i * 2 + (uint64_t)k;

				if (send(sv[0], &v, sizeof(v), 0) != sizeof(v))
					_exit(2);
			}
			_exit(0);
		}
		for (uint64_t i = 1; i <= RECORDS; i++)
			want += i * 2 + (uint64_t)k;
	}
	close(sv[0]);
	for (int k = 0; k < 2; k++) {
		r[k] = UT_NOERR(fork());
		if (r[k] == 0) {
			uint64_t buf[64], sum = 0;
			ssize_t n;

			while ((n = recv(sv[1], buf, 8 * (size_t)(1 + k * 20), 0)) > 0) {
				if (n % 8)
					_exit(3);
				for (ssize_t i = 0; i < n / 8; i++)
					sum += buf[i];
			}
			UT_EQ(write(res[1], &sum, sizeof(sum)), sizeof(sum));
			_exit(n == 0 ? 0 : 4);
		}
	}
	close(sv[1]);
	close(res[1]);
	for (int k = 0; k < 2; k++)
		UT_CHILD_OK(w[k]);
	for (int k = 0; k < 2; k++) {
		uint64_t part;

		UT_EQ(read(res[0], &part, sizeof(part)), sizeof(part));
		got += part;
	}
	for (int k = 0; k < 2; k++)
		UT_CHILD_OK(r[k]);
	UT_EQ(got, want);
	close(res[0]);
}

/* Lines of /proc/net/unix: the AF_UNIX sockets alive. */
static int unix_lines(void)
{
	char buf[4096];
	int fd = UT_NOERR(open("/proc/net/unix", O_RDONLY)), lines = 0;
	ssize_t n;

	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (ssize_t i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

UT_CASE(inflight_cycles_are_collected)
{
	int base = unix_lines(), now = 0, sv[2];

	for (int i = 0; i < 20; i++) {
		/* Each end queued on the other, then both descriptors closed. */
		UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
		UT_EQ(send_fds(sv[0], &sv[0], 1), 1);
		UT_EQ(send_fds(sv[1], &sv[1], 1), 1);
		close(sv[0]);
		close(sv[1]);
	}
	/* A datagram socket queued on itself. */
	UT_NOERR(socketpair(AF_UNIX, SOCK_DGRAM, 0, sv));
	UT_EQ(send_fds(sv[0], &sv[1], 1), 1);
	close(sv[0]);
	close(sv[1]);
	UT_CHECK(unix_lines() > base);
	/*
	 * The collector runs when an AF_UNIX socket is released (Linux: too,
	 * or later from a work queue): close one until the cycles are gone.
	 */
	for (int tries = 0; tries < 200; tries++) {
		UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
		close(sv[0]);
		close(sv[1]);
		now = unix_lines();
		if (now <= base)
			break;
		usleep(20000);
	}
	UT_CHECK(now <= base);
}

#define BIG (64u << 20)

static uint32_t fold(uint32_t sum, const unsigned char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		sum = sum * 31 + p[i];
	return sum;
}

UT_CASE(transfer_64mib_between_processes)
{
	int sv[2];
	static unsigned char buf[65536 + 13];
	uint32_t want = 0, got = 0;
	size_t total = 0;

	UT_NOERR(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		uint32_t sum = 0, seed = 12345;

		close(sv[0]);
		for (size_t sent = 0; sent < BIG;) {
			size_t n = (seed % sizeof(buf)) + 1;

			if (n > BIG - sent)
				n = BIG - sent;
			for (size_t i = 0; i < n; i++)
				buf[i] = (unsigned char)((seed = seed * 1103515245 + 12345) >> 16);
			ssize_t w = write(sv[1], buf, n);

			if (w != (ssize_t)n)
				_exit(2);
			sum = fold(sum, buf, n);
			sent += n;
		}
		UT_EQ(write(sv[1], &sum, sizeof(sum)), sizeof(sum));
		_exit(0);
	}
	close(sv[1]);
	while (total < BIG) {
		size_t want_n = BIG - total < sizeof(buf) ? BIG - total : sizeof(buf);
		ssize_t n = read(sv[0], buf, want_n);

		UT_CHECK(n > 0);
		got = fold(got, buf, (size_t)n);
		total += (size_t)n;
	}
	UT_EQ(recv(sv[0], &want, sizeof(want), MSG_WAITALL), sizeof(want));
	UT_EQ(got, want);
	UT_CHILD_OK(pid);
	close(sv[0]);
}
