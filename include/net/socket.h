/*
 * The socket layer (net/socket.c): sockets are files. A struct socket is
 * the object behind a socket file; its family (AF_UNIX in net/unix.c,
 * AF_INET later) fills in a struct proto_ops, as file systems fill in
 * file_ops, and keeps its own state in sock->sk. The system calls
 * (sys/socket.c) check and copy their arguments, then call sock_* here,
 * which call the family's ops. See docs/sockets.md.
 *
 * Waits are stackless (include/kernel/wait.h): every readiness change of
 * a socket (data, room, a connection, a shutdown, an error) wakes its one
 * wait source, wq; a call that must wait registers there under the
 * socket's lock, after its last look, and returns -EWAIT. poll (and so
 * select and epoll) register on the same source.
 *
 * struct socket objects are never returned to kmalloc (a pool, as pipes):
 * a woken waiter may still be unlinking itself from wq on another CPU
 * after the last reference is gone.
 */
#ifndef NET_SOCKET_H
#define NET_SOCKET_H

#include <lib/types.h>
#include <lib/list.h>
#include <kernel/spinlock.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <uapi/socket.h>

typedef long ssize_t;

struct file;
struct socket;

/* The data of one message: kernel or user buffers, one after the other. */
struct sock_iov {
	const struct iobuf *seg;
	int nseg;
	size_t len; /* total of the segments' lengths */
};

/* Copy between a sock_iov at offset off and kernel memory; 0 or -EFAULT. */
int sock_iov_read(void *dst, const struct sock_iov *v, size_t off, size_t n);
int sock_iov_write(const struct sock_iov *v, size_t off, const void *src, size_t n);

/* File references of an SCM_RIGHTS message (kmalloc'd with them). */
struct scm_fds {
	int count;
	struct file *files[];
};

/*
 * A message in the kernel. Send: name/namelen (NULL, 0: none), the
 * parsed control messages (creds, fds). Receive: the family fills name
 * (SOCKADDR_MAX bytes) and namelen, creds and fds (which the caller
 * installs), and msg_flags.
 */
struct kmsg {
	void *name;
	int namelen;
	struct sock_iov data;
	struct ucred creds;
	bool has_creds;	     /* send: given by the caller; receive: to deliver */
	struct scm_fds *fds; /* owned by whoever holds the kmsg */
	unsigned msg_flags;  /* receive: MSG_TRUNC, MSG_CTRUNC... */
};

/*
 * A family's operations. Errors are negative errno values; the calls that
 * wait may return -EWAIT. flags are MSG_* (with MSG_DONTWAIT when the
 * file is O_NONBLOCK); fflags O_NONBLOCK for connect and accept.
 */
struct proto_ops {
	int family;
	/* The file is closed: disconnect, unbind, drop queued data. */
	void (*release)(struct socket *s);
	/* The last reference is gone: free s->sk. */
	void (*destroy)(struct socket *s);
	int (*bind)(struct socket *s, const void *addr, int len);
	int (*connect)(struct socket *s, const void *addr, int len, unsigned fflags);
	/* socketpair: a and b are new sockets of this family and type. */
	int (*pair)(struct socket *a, struct socket *b);
	int (*listen)(struct socket *s, int backlog);
	/* The next connection as a new socket (a reference for the caller). */
	int (*accept)(struct socket *s, struct socket **out, unsigned fflags);
	/* The socket's own (peer false) or its peer's address into addr; its length. */
	int (*getname)(struct socket *s, void *addr, bool peer);
	/* The POLL* bits; with register_wait, wait_add_source on every source first. */
	int (*poll)(struct socket *s, bool register_wait);
	ssize_t (*sendmsg)(struct socket *s, struct kmsg *m, unsigned flags);
	ssize_t (*recvmsg)(struct socket *s, struct kmsg *m, unsigned flags);
	int (*shutdown)(struct socket *s, int how);
	/* SO_PEERCRED, SO_ACCEPTCONN: the value into val, its size into *size. */
	int (*getopt)(struct socket *s, int name, void *val, size_t *size);
	/* Bytes waiting to be read (FIONREAD). */
	int (*inq)(struct socket *s);
};

/*
 * A family: create fills in s->ops and s->sk for a new socket of type
 * (SOCK_TYPE_MASK bits) and protocol, or fails with -EPROTONOSUPPORT,
 * -ESOCKTNOSUPPORT...
 */
struct net_family {
	int family;
	int (*create)(struct socket *s, int type, int protocol);
};

/* Lock key: (c) constant after creation, (l) lock, (a) atomic, (P) the pool's lock. */
struct socket {
	spinlock_t lock;	     /* the socket's state, the family's too */
	int32_t refcount;	     /* (a) the file, peers, queued messages */
	int family, type, protocol;  /* (c) */
	const struct proto_ops *ops; /* (c) */
	void *sk;		     /* (c) the family's state */
	uint64_t ino;		     /* (c) its sockfs inode number */
	struct wait_source wq;	     /* every readiness change */
	int32_t rcvbuf, sndbuf;	     /* (l) bytes, as SO_RCVBUF/SO_SNDBUF report them */
	uint64_t rcvtimeo, sndtimeo; /* (l) ns, 0: none */
	bool passcred, reuseaddr;    /* (l) */
	int err;		     /* (l) a pending error (SO_ERROR), positive */
	struct ucred owner;	     /* (c) who made it (SO_PEERCRED of the other side) */
	struct list_head node;	     /* (P) the pool, or the family's list */
	struct file *file;	     /* (c) its file, not referenced; valid until its release */
};

#define SOCK_DEFAULT_BUF 212992 /* Linux's rmem_default, wmem_default and *_max */
#define SOCK_MIN_SNDBUF	 4608
#define SOCK_MIN_RCVBUF	 2304

/* Makes a family known (at boot; never removed). */
void sock_register(const struct net_family *fam);
/* A new socket (refcount 1) of family, type, protocol: the socket(2) checks. */
int sock_create(int family, int type, int protocol, struct socket **out);
struct socket *sock_hold(struct socket *s);
void sock_put(struct socket *s);
/* A file for s (it takes the caller's reference); flags: O_NONBLOCK. */
int sock_alloc_file(struct socket *s, unsigned flags, struct file **out);
/* The socket of a socket file, or NULL for other files. */
struct socket *sock_from_file(struct file *f);
/* The caller's pid, euid and egid (SCM_CREDENTIALS, SO_PEERCRED). */
struct ucred sock_current_cred(void);

/* Sends and receives with the file's O_NONBLOCK, SIGPIPE unless MSG_NOSIGNAL. */
ssize_t sock_sendmsg(struct file *f, struct kmsg *m, unsigned flags);
ssize_t sock_recvmsg(struct file *f, struct kmsg *m, unsigned flags);
int sock_setsockopt(struct socket *s, int level, int name, const void *val, int len);
/* *len: the caller's buffer size in, the option's length out. */
int sock_getsockopt(struct socket *s, int level, int name, void *val, int *len);
void scm_fds_put(struct scm_fds *fds);
/* Another reference to each file (MSG_PEEK of descriptors); NULL when out of memory. */
struct scm_fds *scm_fds_dup(const struct scm_fds *fds);

/*
 * The call's progress record for socket waits (one per send, receive,
 * connect or accept), and the deadline of SO_RCVTIMEO/SO_SNDTIMEO (timeo
 * ns) fixed at its first run: 0 for none. sock_timed_out: it has passed.
 */
struct sock_progress *sock_progress(void);
uint64_t sock_deadline(struct sock_progress *sp, uint64_t timeo);
bool sock_timed_out(uint64_t deadline);
/* The call is over: its progress record is free for the next operation. */
void sock_progress_done(void);
/* Registers the current call on src (a socket lock held) until deadline (0: none); -EWAIT. */
long sock_wait_on(struct wait_source *src, uint64_t deadline);

/* AF_UNIX (net/unix.c). */
void unix_init(void);

#endif /* NET_SOCKET_H */
