/*
 * AF_UNIX sockets (SOCK_STREAM, SOCK_DGRAM, SOCK_SEQPACKET) on the socket
 * layer (include/net/socket.h). See docs/sockets.md.
 *
 * Data travels in messages (struct unix_msg, Linux's skbs): a sender
 * copies the caller's bytes into a new message with no lock held, then
 * appends it, locked, to the receiver's queue. A stream send is cut into
 * messages of at most UNIX_CHUNK bytes; a datagram or record is one
 * message. Each message holds a reference on its sender and counts in its
 * sender's wmem until it is consumed, which is what bounds a sender (its
 * SO_SNDBUF); datagram receivers also bound their queue's length. A
 * stream receiver that copies out marks itself rd_busy, so that another
 * reader cannot consume the head message under it.
 *
 * Names: a path name is a socket inode (S_IFSOCK) made by bind with
 * vfs_mknod on any file system; the bound socket holds its dentry, and
 * connect finds the socket whose dentry has that inode. Abstract names
 * (a leading NUL) live only in the bound list. Both are in `bound`.
 *
 * A connection is made at once (as Linux): connect makes the server's
 * socket, links the two as peers and queues the new one on the listener,
 * where accept takes it.
 *
 * Lock order: unix_lock (the bound list), then one socket's lock; two
 * socket locks are never held together (a peer is held by reference and
 * locked alone).
 */
#include <net/socket.h>
#include <fs/vfs.h>
#include <fs/procfs.h>
#include <kernel/panic.h>
#include <kernel/proc.h>
#include <kernel/syscall.h>
#include <kernel/thread.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>
#include <uapi/stat.h>
#include <uapi/un.h>

#define UNIX_CHUNK	  65536 /* bytes of one stream message, at most */
#define UNIX_DGRAM_QLEN	  10	/* datagrams a receiver queues (max_dgram_qlen) */
#define RCV_SHUTDOWN	  1
#define SEND_SHUTDOWN	  2
#define SHUTDOWN_MASK	  3
#define SUN_PATH_OFFSET	  2 /* offsetof(struct sockaddr_un, sun_path) */
#define UNIX_ADDR_MAX_LEN ((int)sizeof(struct sockaddr_un))

enum unix_state {
	UNIX_UNCONNECTED,
	UNIX_LISTENING,
	UNIX_CONNECTED,
	UNIX_CLOSED
};

struct unix_addr {
	int len; /* bytes of sun that count */
	struct sockaddr_un sun;
};

/* A message on a receive queue, or on a listener's queue a connection (conn). */
struct unix_msg {
	struct list_head node;
	struct socket *sender; /* referenced; its wmem counts len */
	struct socket *conn;   /* a listener's queue: the server's end, referenced */
	struct unix_addr from; /* the sender's name (len 0: none) */
	struct ucred cred;
	struct scm_fds *fds;
	size_t len, off; /* bytes, and bytes a stream receiver consumed */
	char data[];
};

/* Lock key: (l) the socket's lock, (u) unix_lock, (c) constant once set. */
struct unix_sock {
	struct socket *sock;	     /* (c) */
	enum unix_state state;	     /* (l) */
	unsigned shutdown;	     /* (l) RCV_SHUTDOWN, SEND_SHUTDOWN */
	struct socket *peer;	     /* (l) referenced */
	struct list_head queue;	     /* (l) struct unix_msg */
	unsigned qlen;		     /* (l) messages queued */
	size_t qbytes;		     /* (l) bytes queued, not consumed */
	size_t wmem;		     /* (l) bytes this socket has queued elsewhere */
	bool rd_busy;		     /* (l) a stream reader copies the head unlocked */
	bool dead;		     /* (l) its file was closed */
	int backlog;		     /* (l) a listener's */
	struct unix_addr *addr;	     /* (l) set once, by bind or autobind */
	struct dentry *path;	     /* (l) a path name's socket inode, referenced */
	struct ucred peercred;	     /* (l) SO_PEERCRED */
	bool has_peercred;	     /* (l) */
	struct list_head bound;	     /* (u) on bound_list when named */
	int32_t inflight;	     /* (a) times its file is in queued SCM_RIGHTS messages */
	bool file_gone;		     /* (u) its file is being released: no GC candidate */
	bool gc_candidate, gc_alive; /* (u, gc_running) the collector's marks */
	int32_t gc_refs;	     /* (u, gc_running) */
	struct list_head gc_node;    /* (gc_running) on the collector's garbage list */
	struct list_head all_node;   /* (u) on all_list (/proc/net/unix) */
};

static spinlock_t unix_lock = SPINLOCK_INIT("unix");
static LIST_HEAD(bound_list);  /* (unix_lock) */
static LIST_HEAD(all_list);    /* (unix_lock) every AF_UNIX socket alive */
static uint32_t autobind_next; /* (unix_lock) */

static const struct proto_ops unix_stream_ops, unix_dgram_ops;

static struct unix_sock *usk(struct socket *s)
{
	return s->sk;
}

static bool conn_oriented(struct socket *s)
{
	return s->type != SOCK_DGRAM;
}

/* ---- messages ---- */

static struct unix_msg *msg_alloc(size_t len)
{
	struct unix_msg *m = kmalloc(sizeof(*m) + len);

	if (m) {
		memset(m, 0, sizeof(*m));
		m->len = len;
	}
	return m;
}

static int64_t total_inflight; /* (atomic) AF_UNIX socket files in queued messages */

/* The AF_UNIX socket of a file, or NULL. */
static struct unix_sock *unix_of_file(struct file *f)
{
	struct socket *s = sock_from_file(f);

	return s && s->family == AF_UNIX ? usk(s) : NULL;
}

/* Counts the AF_UNIX sockets among fds in flight (delta 1) or out of it (-1). */
static void fds_inflight(struct scm_fds *fds, int delta)
{
	for (int i = 0; fds && i < fds->count; i++) {
		struct unix_sock *u = unix_of_file(fds->files[i]);

		if (u) {
			__atomic_fetch_add(&u->inflight, delta, __ATOMIC_ACQ_REL);
			__atomic_fetch_add(&total_inflight, delta, __ATOMIC_ACQ_REL);
		}
	}
}

/*
 * MSG_PEEK of a message with descriptors gives new references to its files
 * (installed as new descriptors, as Linux does); the message keeps its own.
 * Out of memory, the receiver gets none and MSG_CTRUNC.
 */
static struct scm_fds *peek_fds(struct kmsg *m, struct scm_fds *fds)
{
	struct scm_fds *copy;

	if (!fds)
		return NULL;
	copy = scm_fds_dup(fds);
	if (!copy)
		m->msg_flags |= MSG_CTRUNC;
	return copy;
}

/* A message leaves its queue for good: its sender gets the room back. */
static void msg_free(struct unix_msg *m)
{
	if (m->sender) {
		struct socket *s = m->sender;
		unsigned long flags = spin_lock_irqsave(&s->lock);

		usk(s)->wmem -= m->len;
		spin_unlock_irqrestore(&s->lock, flags);
		wait_wake_all(&s->wq);
		sock_put(s);
	}
	if (m->conn)
		sock_put(m->conn); /* a connection never accepted */
	fds_inflight(m->fds, -1);
	scm_fds_put(m->fds);
	kfree(m);
}

/* ---- names ---- */

/*
 * Checks an address and makes it canonical: a path's length is counted
 * to its NUL (as Linux), an abstract name keeps the length given.
 */
static int addr_parse(const void *addr, int len, struct unix_addr *out)
{
	const struct sockaddr_un *sun = addr;

	if (len < SUN_PATH_OFFSET || len > UNIX_ADDR_MAX_LEN || sun->sun_family != AF_UNIX)
		return -EINVAL;
	memset(out, 0, sizeof(*out));
	memcpy(&out->sun, sun, (size_t)len);
	if (len == SUN_PATH_OFFSET)
		out->len = len; /* autobind */
	else if (sun->sun_path[0])
		out->len = SUN_PATH_OFFSET +
			   (int)strnlen(out->sun.sun_path, (size_t)len - SUN_PATH_OFFSET) + 1;
	else
		out->len = len;
	if (out->len > UNIX_ADDR_MAX_LEN) /* a full path with no NUL: keep what fits */
		out->len = UNIX_ADDR_MAX_LEN;
	return 0;
}

static bool addr_abstract(const struct unix_addr *a)
{
	return a->len > SUN_PATH_OFFSET && !a->sun.sun_path[0];
}

/* Relative names start at the caller's working directory (base: NULL, or referenced). */
static struct dentry *name_base(const char *path)
{
	struct dentry *base;

	at_base(AT_FDCWD, path, &base); /* cannot fail for AT_FDCWD */
	return base;
}

static void base_put(struct dentry *base)
{
	if (base)
		dentry_put(base);
}

/* The bound socket named a (abstract) or with path's inode; referenced, or NULL. */
static struct socket *find_bound(const struct unix_addr *a, struct inode *inode, int type)
{
	unsigned long flags = spin_lock_irqsave(&unix_lock);
	struct socket *found = NULL;
	struct unix_sock *u;

	list_for_each_entry (u, &bound_list, bound) {
		if (inode ? (u->path && u->path->inode == inode)
			  : (!u->path && u->addr->len == a->len &&
			     !memcmp(&u->addr->sun, &a->sun, (size_t)a->len))) {
			if (type && u->sock->type != type)
				continue;
			found = sock_hold(u->sock);
			break;
		}
	}
	spin_unlock_irqrestore(&unix_lock, flags);
	return found;
}

/*
 * The socket an address names: -ENOENT and friends from the path walk,
 * -ECONNREFUSED for a file that is no socket or a name nobody has bound.
 */
static int lookup_addr(const struct unix_addr *a, int type, struct socket **out)
{
	struct dentry *d, *base;
	int r;

	if (addr_abstract(
		    a)) { /* one abstract namespace per type (a path's type is checked later) */
		*out = find_bound(a, NULL, type);
		return *out ? 0 : -ECONNREFUSED;
	}
	base = name_base(a->sun.sun_path);
	r = vfs_lookup(base, a->sun.sun_path, LOOKUP_FOLLOW, &d);
	base_put(base);
	if (!r && (r = inode_permission(d->inode, MAY_WRITE)))
		dentry_put(d); /* connecting writes to the node: before its type, as Linux */
	if (r)
		return r;
	*out = S_ISSOCK(d->inode->mode) ? find_bound(NULL, d->inode, 0) : NULL;
	dentry_put(d);
	if (!*out)
		return -ECONNREFUSED;
	return 0;
}

/* An abstract name's check, under unix_lock (bind_name claims it in the same hold). */
static bool abstract_taken(const struct unix_addr *a, int type)
{
	struct unix_sock *u;

	assert_held(&unix_lock);
	list_for_each_entry (u, &bound_list, bound)
		if (!u->path && u->sock->type == type && u->addr->len == a->len &&
		    !memcmp(&u->addr->sun, &a->sun, (size_t)a->len))
			return true;
	return false;
}

/*
 * Names s with a: a path name whose node is path (the file system keeps
 * it unique), or an abstract name (path NULL: -EADDRINUSE when taken).
 * -EINVAL when s has a name already.
 */
static int bind_name(struct socket *s, const struct unix_addr *a, struct dentry *path)
{
	struct unix_sock *u = usk(s);
	struct unix_addr *copy = kmalloc(sizeof(*copy));
	unsigned long flags, sflags;
	int r = 0;

	if (!copy)
		return -ENOMEM;
	*copy = *a;
	flags = spin_lock_irqsave(&unix_lock);
	sflags = spin_lock_irqsave(&s->lock);
	if (u->addr) {
		r = -EINVAL;
	} else if (!path && abstract_taken(a, s->type)) {
		r = -EADDRINUSE;
	} else {
		u->addr = copy;
		u->path = path;
		list_add_tail(&u->bound, &bound_list);
		copy = NULL;
	}
	spin_unlock_irqrestore(&s->lock, sflags);
	spin_unlock_irqrestore(&unix_lock, flags);
	kfree(copy);
	return r;
}

/* Autobind: an abstract name of five hex digits, the first free one. */
static int autobind(struct socket *s)
{
	struct unix_addr a;

	for (int tries = 0; tries < 0x100000; tries++) {
		unsigned long flags = spin_lock_irqsave(&unix_lock);
		uint32_t n = autobind_next++ & 0xfffff;
		int r;

		spin_unlock_irqrestore(&unix_lock, flags);
		memset(&a, 0, sizeof(a));
		a.sun.sun_family = AF_UNIX;
		for (int i = 0; i < 5; i++)
			a.sun.sun_path[1 + i] = "0123456789abcdef"[(n >> (4 * (4 - i))) & 0xf];
		a.len = SUN_PATH_OFFSET + 6;
		r = bind_name(s, &a, NULL);
		if (r != -EADDRINUSE)
			return r;
	}
	return -ENOSPC;
}

static bool is_bound(struct socket *s)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	bool r = usk(s)->addr != NULL;

	spin_unlock_irqrestore(&s->lock, flags);
	return r;
}

static int unix_bind(struct socket *s, const void *addr, int len)
{
	struct unix_addr a;
	struct dentry *d, *base;
	int r = addr_parse(addr, len, &a);

	if (r)
		return r;
	if (a.len == SUN_PATH_OFFSET)
		return is_bound(s) ? -EINVAL : autobind(s);
	if (addr_abstract(&a))
		return bind_name(s, &a, NULL);
	/*
	 * As Linux: the name first (EADDRINUSE), then whether s has one
	 * (EINVAL), both before the node is made: once made (on ext2, past the
	 * call's point of no return) nothing may wait, and taking it away
	 * again could.
	 */
	base = name_base(a.sun.sun_path);
	r = vfs_lookup(base, a.sun.sun_path, 0, &d);
	if (!r) {
		dentry_put(d);
		r = -EADDRINUSE;
	} else if (r == -ENOENT) {
		r = is_bound(s) ? -EINVAL : 0;
	}
	if (!r)
		r = vfs_mknod(base, a.sun.sun_path, S_IFSOCK | (0777 & ~current_proc()->umask), 0);
	if (r == -EEXIST)
		r = -EADDRINUSE;
	if (!r)
		r = vfs_lookup(base, a.sun.sun_path, 0, &d);
	if (!r) {
		r = bind_name(s, &a, d);
		if (r) {
			/*
			 * Another thread named s meanwhile. The node goes if that needs
			 * no wait; an unlink that would wait (ext2) leaves it, as a
			 * closed socket's node stays (docs/sockets.md).
			 */
			dentry_put(d);
			vfs_unlink(base, a.sun.sun_path);
		}
	}
	base_put(base);
	return r;
}

static int unix_getname(struct socket *s, void *addr, bool peer)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	struct unix_sock *u = usk(s);
	struct socket *p = u->peer;
	int len = SUN_PATH_OFFSET;

	if (peer) {
		if (!p || (conn_oriented(s) && u->state != UNIX_CONNECTED)) {
			spin_unlock_irqrestore(&s->lock, flags);
			return -ENOTCONN;
		}
		sock_hold(p);
		spin_unlock_irqrestore(&s->lock, flags);
		len = unix_getname(p, addr, false);
		sock_put(p);
		return len;
	}
	memset(addr, 0, sizeof(struct sockaddr_un));
	((struct sockaddr_un *)addr)->sun_family = AF_UNIX;
	if (u->addr) {
		len = u->addr->len;
		memcpy(addr, &u->addr->sun, (size_t)len);
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return len;
}

static void copy_name(struct socket *s, struct unix_addr *out)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	struct unix_sock *u = usk(s);

	out->len = 0;
	if (u->addr)
		*out = *u->addr;
	spin_unlock_irqrestore(&s->lock, flags);
}

/* ---- creation and release ---- */

static int unix_create(struct socket *s, int type, int protocol)
{
	struct unix_sock *u;
	unsigned long flags;

	if (protocol && protocol != AF_UNIX)
		return -EPROTONOSUPPORT;
	switch (type) {
	case SOCK_STREAM:
	case SOCK_SEQPACKET:
		s->ops = &unix_stream_ops;
		break;
	case SOCK_RAW: /* BSD has it; Linux makes it a datagram socket */
		s->type = SOCK_DGRAM;
		__attribute__((fallthrough));
	case SOCK_DGRAM:
		s->ops = &unix_dgram_ops;
		break;
	default:
		return -ESOCKTNOSUPPORT;
	}
	u = kzalloc(sizeof(*u));
	if (!u)
		return -ENOMEM;
	u->sock = s;
	u->state = UNIX_UNCONNECTED;
	list_init(&u->queue);
	list_init(&u->bound);
	s->sk = u;
	flags = spin_lock_irqsave(&unix_lock);
	list_add_tail(&u->all_node, &all_list);
	spin_unlock_irqrestore(&unix_lock, flags);
	return 0;
}

static void unix_destroy(struct socket *s)
{
	struct unix_sock *u = usk(s);
	unsigned long flags = spin_lock_irqsave(&unix_lock);

	list_del(&u->all_node);
	spin_unlock_irqrestore(&unix_lock, flags);
	ASSERT(list_empty(&u->queue) && !u->peer);
	kfree(u->addr);
	kfree(u);
	s->sk = NULL;
}

/* Takes every queued message off u (s->lock held) onto out. */
static void queue_take_all(struct unix_sock *u, struct list_head *out)
{
	assert_held(&u->sock->lock);
	while (!list_empty(&u->queue)) {
		struct unix_msg *m = list_first_entry(&u->queue, struct unix_msg, node);

		list_del(&m->node);
		list_add_tail(&m->node, out);
	}
	u->qlen = 0;
	u->qbytes = 0;
}

static void unix_release_sock(struct socket *s);

static void free_msgs(struct list_head *msgs)
{
	while (!list_empty(msgs)) {
		struct unix_msg *m = list_first_entry(msgs, struct unix_msg, node);

		list_del(&m->node);
		if (m->conn) /* a connection nobody accepted: close its server end */
			unix_release_sock(m->conn);
		msg_free(m);
	}
}

/* The peer of a closed connection-oriented socket sees the end (ECONNRESET with unread data). */
static void peer_hangup(struct socket *p, struct socket *s, bool unread)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct unix_sock *pu = usk(p);

	if (conn_oriented(p) && pu->peer == s) {
		pu->shutdown = SHUTDOWN_MASK;
		if (unread)
			p->err = ECONNRESET;
	}
	spin_unlock_irqrestore(&p->lock, flags);
	wait_wake_all(&p->wq);
}

static void unix_release_sock(struct socket *s)
{
	struct unix_sock *u = usk(s);
	struct dentry *path = NULL;
	struct socket *peer;
	unsigned long flags;
	LIST_HEAD(msgs);
	bool unread;

	flags = spin_lock_irqsave(&unix_lock);
	list_del(&u->bound); /* re-initialises it: harmless when not bound */
	u->file_gone = true;
	spin_unlock_irqrestore(&unix_lock, flags);
	flags = spin_lock_irqsave(&s->lock);
	u->dead = true;
	u->state = UNIX_CLOSED;
	u->shutdown = SHUTDOWN_MASK;
	peer = u->peer;
	u->peer = NULL;
	unread = !list_empty(&u->queue);
	queue_take_all(u, &msgs);
	path = u->path;
	u->path = NULL;
	spin_unlock_irqrestore(&s->lock, flags);
	wait_wake_all(&s->wq);
	if (peer) {
		peer_hangup(peer, s, unread);
		sock_put(peer);
	}
	free_msgs(&msgs);
	if (path)
		dentry_put(path);
}

/* ---- collecting descriptors in flight in unreachable cycles ---- */

static int gc_running; /* (atomic) one collection at a time, none from inside one */

/* Calls fn on every GC candidate whose file is in a message queued on u. */
static void gc_scan(struct unix_sock *u, void (*fn)(struct unix_sock *child, bool *changed),
		    bool *changed)
{
	unsigned long flags = spin_lock_irqsave(&u->sock->lock);
	struct unix_msg *m;

	list_for_each_entry (m, &u->queue, node) {
		for (int i = 0; m->fds && i < m->fds->count; i++) {
			struct unix_sock *c = unix_of_file(m->fds->files[i]);

			if (c && c->gc_candidate)
				fn(c, changed);
		}
	}
	spin_unlock_irqrestore(&u->sock->lock, flags);
}

static void gc_dec_ref(struct unix_sock *c, bool *changed)
{
	(void)changed;
	c->gc_refs--;
}

static void gc_mark_alive(struct unix_sock *c, bool *changed)
{
	if (!c->gc_alive) {
		c->gc_alive = true;
		*changed = true;
	}
}

/*
 * Marks the sockets kept alive only by messages queued on sockets that
 * are themselves kept alive only that way (Linux's collector): a
 * candidate is a socket whose every file reference is in flight; the
 * references from candidates' queues are taken off its count, and what
 * is left is held from outside (a descriptor, a queue of a reachable
 * socket, a message on its way): alive, with everything in its queue.
 * The rest is garbage: the caller empties their queues.
 */
static void gc_mark(struct list_head *garbage)
{
	unsigned long flags = spin_lock_irqsave(&unix_lock);
	struct unix_sock *u;
	bool changed;

	list_for_each_entry (u, &all_list, all_node) {
		int32_t in = __atomic_load_n(&u->inflight, __ATOMIC_ACQUIRE);
		struct file *f = u->sock->file;

		u->gc_candidate = in > 0 && !u->file_gone && f &&
				  __atomic_load_n(&f->refcount, __ATOMIC_ACQUIRE) == in;
		u->gc_alive = false;
		u->gc_refs = in;
	}
	list_for_each_entry (u, &all_list, all_node)
		if (u->gc_candidate)
			gc_scan(u, gc_dec_ref, &changed);
	list_for_each_entry (u, &all_list, all_node)
		if (u->gc_candidate && u->gc_refs > 0)
			u->gc_alive = true;
	do {
		changed = false;
		list_for_each_entry (u, &all_list, all_node)
			if (u->gc_candidate && u->gc_alive)
				gc_scan(u, gc_mark_alive, &changed);
	} while (changed);
	list_for_each_entry (u, &all_list, all_node) {
		if (u->gc_candidate && !u->gc_alive) {
			sock_hold(u->sock);
			list_add_tail(&u->gc_node, garbage);
		}
	}
	spin_unlock_irqrestore(&unix_lock, flags);
}

/* Frees the queues of unreachable sockets; their files then close the usual way. */
static void unix_gc(void)
{
	LIST_HEAD(garbage);

	if (!__atomic_load_n(&total_inflight, __ATOMIC_ACQUIRE) ||
	    __atomic_exchange_n(&gc_running, 1, __ATOMIC_ACQ_REL))
		return;
	gc_mark(&garbage);
	while (!list_empty(&garbage)) {
		struct unix_sock *u = list_first_entry(&garbage, struct unix_sock, gc_node);
		struct socket *s = u->sock;
		unsigned long flags = spin_lock_irqsave(&s->lock);
		LIST_HEAD(msgs);

		list_del(&u->gc_node);
		queue_take_all(u, &msgs);
		spin_unlock_irqrestore(&s->lock, flags);
		free_msgs(
			&msgs); /* may release other garbage: its queue is empty by then or next */
		sock_put(s);
	}
	__atomic_store_n(&gc_running, 0, __ATOMIC_RELEASE);
}

static void unix_release(struct socket *s)
{
	unix_release_sock(s);
	unix_gc();
}

/* Links a and b as connected peers (new sockets, or one new). */
static void link_peers(struct socket *a, struct socket *b, struct ucred bcred)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);
	struct unix_sock *u = usk(a);

	u->peer = sock_hold(b);
	if (conn_oriented(a))
		u->state = UNIX_CONNECTED;
	u->peercred = bcred;
	u->has_peercred = true;
	spin_unlock_irqrestore(&a->lock, flags);
}

/* Undoes link_peers (a connect that failed after linking). */
static void unlink_peer(struct socket *a)
{
	unsigned long flags = spin_lock_irqsave(&a->lock);
	struct unix_sock *u = usk(a);
	struct socket *p = u->peer;

	u->peer = NULL;
	u->state = UNIX_UNCONNECTED;
	u->has_peercred = false;
	spin_unlock_irqrestore(&a->lock, flags);
	if (p)
		sock_put(p);
}

static int unix_pair(struct socket *a, struct socket *b)
{
	struct ucred c = sock_current_cred();

	link_peers(a, b, c);
	link_peers(b, a, c);
	return 0;
}

/* ---- connection-oriented: listen, connect, accept ---- */

static int unix_listen(struct socket *s, int backlog)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	struct unix_sock *u = usk(s);
	int r = 0;

	if (!u->addr || (u->state != UNIX_UNCONNECTED && u->state != UNIX_LISTENING))
		r = -EINVAL;
	else {
		if (backlog < 0)
			backlog = 0;
		u->backlog = MIN(backlog, 4096);
		if (u->state != UNIX_LISTENING) {
			u->peercred = sock_current_cred();
			u->has_peercred = true;
		}
		u->state = UNIX_LISTENING;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (!r)
		wait_wake_all(&s->wq); /* connectors waiting for room */
	return r;
}

/* The address of a connect or sendto: parsed, and its socket looked up. */
static int connect_target(struct socket *s, const void *addr, int len, struct socket **out)
{
	struct unix_addr a;
	int r = addr_parse(addr, len, &a);

	if (r)
		return r;
	if (a.len == SUN_PATH_OFFSET)
		return -EINVAL;
	if (s->passcred && !is_bound(s) && (r = autobind(s)))
		return r;
	return lookup_addr(&a, s->type, out);
}

/* A new server end for a connection from s (it inherits from the listener l). */
static int make_server_end(struct socket *s, struct socket *l, struct socket **out)
{
	struct socket *ns;
	int r = sock_create(AF_UNIX, s->type, 0, &ns);
	struct unix_addr name;

	if (r)
		return r;
	copy_name(l, &name);
	if (name.len) {
		struct unix_addr *a = kmalloc(sizeof(*a));

		if (!a) {
			sock_put(ns);
			return -ENOMEM;
		}
		*a = name;
		usk(ns)->addr = a;
	}
	ns->passcred = READ_ONCE(l->passcred);
	ns->owner = l->owner;
	*out = ns;
	return 0;
}

static int stream_connect(struct socket *s, const void *addr, int len, unsigned fflags)
{
	struct sock_progress *sp = sock_progress();
	uint64_t deadline = sock_deadline(sp, READ_ONCE(s->sndtimeo));
	struct socket *l, *ns = NULL;
	struct unix_msg *m;
	struct unix_sock *lu;
	struct ucred lcred;
	unsigned long flags;
	int r;

	flags = spin_lock_irqsave(&s->lock);
	r = usk(s)->state == UNIX_CONNECTED	? -EISCONN
	    : usk(s)->state != UNIX_UNCONNECTED ? -EINVAL
						: 0;
	spin_unlock_irqrestore(&s->lock, flags);
	if (r)
		return r;
	r = connect_target(s, addr, len, &l);
	if (r)
		return r;
	if (l->type != s->type) {
		sock_put(l);
		return -EPROTOTYPE;
	}
	m = msg_alloc(0);
	if (!m || (r = make_server_end(s, l, &ns))) {
		kfree(m);
		sock_put(l);
		return m ? r : -ENOMEM;
	}
	lu = usk(l);
	flags = spin_lock_irqsave(&l->lock);
	lcred = lu->peercred;
	spin_unlock_irqrestore(&l->lock, flags);
	/* Linked before the listener is locked (one socket lock at a time), undone on failure. */
	link_peers(ns, s, sock_current_cred());
	link_peers(s, ns, lcred);
	flags = spin_lock_irqsave(&l->lock);
	if (lu->state != UNIX_LISTENING) {
		r = -ECONNREFUSED;
	} else if (lu->qlen > (unsigned)lu->backlog) {
		if ((fflags & O_NONBLOCK) || sock_timed_out(deadline))
			r = -EAGAIN;
		else
			r = (int)sock_wait_on(&l->wq, deadline);
	} else {
		m->conn = ns;
		list_add_tail(&m->node, &lu->queue);
		lu->qlen++;
		ns = NULL;
		m = NULL;
	}
	spin_unlock_irqrestore(&l->lock, flags);
	if (!r) {
		wait_wake_all(&l->wq);
		wait_wake_all(&s->wq); /* connected: no POLLHUP any more */
	}
	kfree(m);
	if (ns) {
		unlink_peer(s);
		unlink_peer(ns);
		sock_put(ns);
	}
	sock_put(l);
	return r;
}

static int unix_accept(struct socket *s, struct socket **out, unsigned fflags)
{
	struct sock_progress *sp = sock_progress();
	uint64_t deadline = sock_deadline(sp, READ_ONCE(s->rcvtimeo));
	struct unix_sock *u = usk(s);
	struct unix_msg *m = NULL;
	unsigned long flags;
	int r = 0;

	if (!conn_oriented(s))
		return -EOPNOTSUPP;
	flags = spin_lock_irqsave(&s->lock);
	if (u->state != UNIX_LISTENING) {
		r = -EINVAL;
	} else if (list_empty(&u->queue)) {
		r = (fflags & O_NONBLOCK) || sock_timed_out(deadline)
			    ? -EAGAIN
			    : (int)sock_wait_on(&s->wq, deadline);
	} else {
		m = list_first_entry(&u->queue, struct unix_msg, node);
		list_del(&m->node);
		u->qlen--;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (r != -EWAIT)
		sock_progress_done();
	if (!m)
		return r;
	wait_wake_all(&s->wq); /* room for a waiting connector */
	*out = m->conn;
	m->conn = NULL;
	msg_free(m);
	return 0;
}

/* ---- sending ---- */

/* The credentials and descriptors of a message: the caller's, or given ones. */
static void msg_set_scm(struct unix_msg *msg, struct kmsg *m)
{
	msg->cred = m->has_creds ? m->creds : sock_current_cred();
	msg->fds = m->fds;
	m->fds = NULL;
	fds_inflight(msg->fds, 1);
}

/*
 * Queues msg on the receiver r, from s. -EPIPE when r has stopped
 * receiving (connection-oriented), -ECONNREFUSED when it is closed
 * (datagrams); for datagrams, waits (or -EAGAIN) while r's queue is full.
 */
static int queue_msg(struct socket *s, struct socket *r, struct unix_msg *msg, unsigned flags,
		     uint64_t deadline)
{
	struct unix_sock *ru = usk(r);
	unsigned long lflags = spin_lock_irqsave(&r->lock);
	int err = 0;

	if (conn_oriented(s) && (ru->shutdown & RCV_SHUTDOWN))
		err = -EPIPE;
	else if (ru->dead)
		err = -ECONNREFUSED;
	else if (!conn_oriented(s) && ru->peer && ru->peer != s)
		err = -EPERM;
	else if (!conn_oriented(s) && ru->qlen >= UNIX_DGRAM_QLEN) {
		if ((flags & MSG_DONTWAIT) || sock_timed_out(deadline))
			err = -EAGAIN;
		else
			err = (int)sock_wait_on(&r->wq, deadline);
	}
	if (!err) {
		list_add_tail(&msg->node, &ru->queue);
		ru->qlen++;
		ru->qbytes += msg->len;
	}
	spin_unlock_irqrestore(&r->lock, lflags);
	if (!err)
		wait_wake_all(&r->wq);
	return err;
}

/*
 * Room in s's send buffer for len more bytes (always for the first
 * message when nothing is queued): 0, -EAGAIN or -EWAIT.
 */
static int wait_for_room(struct socket *s, size_t len, unsigned flags, uint64_t deadline,
			 int64_t partial)
{
	unsigned long lflags = spin_lock_irqsave(&s->lock);
	struct unix_sock *u = usk(s);
	int r = 0;

	if (u->wmem && u->wmem + len > (size_t)s->sndbuf) {
		if ((flags & MSG_DONTWAIT) || sock_timed_out(deadline)) {
			r = -EAGAIN;
		} else {
			current_wait()->partial = partial;
			r = (int)sock_wait_on(&s->wq, deadline);
		}
	} else if (!r) {
		u->wmem += len; /* reserved: the message is made next */
	}
	spin_unlock_irqrestore(&s->lock, lflags);
	return r;
}

static void unreserve(struct socket *s, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);

	usk(s)->wmem -= len;
	spin_unlock_irqrestore(&s->lock, flags);
	wait_wake_all(&s->wq);
}

/* A message of data [off, off + len) of m from s; its room is reserved. */
static int build_msg(struct socket *s, struct kmsg *m, size_t off, size_t len,
		     struct unix_msg **out)
{
	struct unix_msg *msg = msg_alloc(len);

	if (!msg) {
		unreserve(s, len);
		return -ENOMEM;
	}
	if (sock_iov_read(msg->data, &m->data, off, len)) {
		kfree(msg);
		unreserve(s, len);
		return -EFAULT;
	}
	msg->sender = sock_hold(s);
	copy_name(s, &msg->from);
	*out = msg;
	return 0;
}

/* The connected peer, referenced: -ENOTCONN, or -EPIPE after a shutdown. */
static int stream_peer(struct socket *s, struct socket **out)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	struct unix_sock *u = usk(s);
	int r = 0;

	if (u->shutdown & SEND_SHUTDOWN)
		r = -EPIPE;
	else if (u->state != UNIX_CONNECTED || !u->peer)
		r = u->state == UNIX_CLOSED ? -EPIPE : -ENOTCONN;
	else
		*out = sock_hold(u->peer);
	spin_unlock_irqrestore(&s->lock, flags);
	return r;
}

/*
 * Stream sends move what fits and wait for more, keeping the count moved
 * in the call's sock_progress; SEQPACKET sends one record, whole.
 */
static ssize_t stream_sendmsg(struct socket *s, struct kmsg *m, unsigned flags)
{
	struct sock_progress *sp = sock_progress();
	uint64_t deadline = sock_deadline(sp, READ_ONCE(s->sndtimeo));
	size_t len = m->data.len, done = sp->done;
	bool seq = s->type == SOCK_SEQPACKET;
	struct socket *peer;
	int r;

	if (m->name) {
		unsigned long lflags = spin_lock_irqsave(&s->lock);

		r = usk(s)->state == UNIX_CONNECTED ? -EISCONN : -EOPNOTSUPP;
		spin_unlock_irqrestore(&s->lock, lflags);
		return r;
	}
	if (seq && len > (size_t)READ_ONCE(s->sndbuf) - 32)
		return -EMSGSIZE;
	if (!seq && !len) {
		r = stream_peer(s, &peer);
		if (!r)
			sock_put(peer);
		return r;
	}
	do {
		/* Messages of at most half the send buffer (as Linux), so that two are in flight. */
		size_t chunk = MIN((size_t)UNIX_CHUNK,
				   MAX((size_t)READ_ONCE(s->sndbuf) / 2, 2048ul));
		size_t n = seq ? len : MIN(len - done, chunk);
		struct unix_msg *msg;

		r = stream_peer(s, &peer);
		if (r)
			break;
		r = wait_for_room(s, n, flags, deadline, (int64_t)done);
		if (!r && !(r = build_msg(s, m, done, n, &msg))) {
			if (!done)
				msg_set_scm(msg, m);
			r = queue_msg(s, peer, msg, flags, deadline);
			if (r)
				msg_free(msg);
		}
		sock_put(peer);
		if (r)
			break;
		done += n;
		sp->done = done;
		call_progress_kept(); /* a new run skips the bytes sent */
		current_wait()->partial = (int64_t)done;
	} while (done < len);
	if (r == -EWAIT)
		return r;
	return done ? (ssize_t)done : r;
}

static ssize_t dgram_sendmsg(struct socket *s, struct kmsg *m, unsigned flags)
{
	struct sock_progress *sp = sock_progress();
	uint64_t deadline = sock_deadline(sp, READ_ONCE(s->sndtimeo));
	size_t len = m->data.len;
	struct unix_msg *msg = NULL;
	struct socket *target = NULL;
	unsigned long lflags;
	int r;

	if (len > (size_t)READ_ONCE(s->sndbuf) - 32)
		return -EMSGSIZE;
	if (m->name) {
		r = connect_target(s, m->name, m->namelen, &target);
		if (r)
			return r;
	} else {
		lflags = spin_lock_irqsave(&s->lock);
		if (usk(s)->peer)
			target = sock_hold(usk(s)->peer);
		r = usk(s)->shutdown & SEND_SHUTDOWN ? -EPIPE : 0;
		spin_unlock_irqrestore(&s->lock, lflags);
		if (r || !target) {
			if (target)
				sock_put(target);
			return r ? r : -ENOTCONN;
		}
	}
	if (target->type != SOCK_DGRAM) {
		sock_put(target);
		return -EPROTOTYPE;
	}
	if (READ_ONCE(s->passcred) && !is_bound(s) && (r = autobind(s))) {
		sock_put(target);
		return r;
	}
	r = wait_for_room(s, len, flags, deadline, 0);
	if (!r && !(r = build_msg(s, m, 0, len, &msg))) {
		msg_set_scm(msg, m);
		r = queue_msg(s, target, msg, flags, deadline);
		if (r)
			msg_free(msg);
	}
	if (r == -ECONNREFUSED && !m->name) {
		/* The connected peer is gone: forget it (the next send says ENOTCONN). */
		struct socket *old = NULL;

		lflags = spin_lock_irqsave(&s->lock);
		if (usk(s)->peer == target) {
			old = target;
			usk(s)->peer = NULL;
		}
		spin_unlock_irqrestore(&s->lock, lflags);
		if (old)
			sock_put(old);
	}
	sock_put(target);
	return r ? r : (ssize_t)len;
}

/* ---- receiving ---- */

/* What a receiver delivers with a message: the sender's name and credentials. */
static void deliver_meta(struct socket *s, struct kmsg *m, const struct unix_msg *msg)
{
	if (m->name && msg->from.len) {
		memcpy(m->name, &msg->from.sun, (size_t)msg->from.len);
		m->namelen = msg->from.len;
	}
	if (READ_ONCE(s->passcred)) {
		m->creds = msg->cred;
		m->has_creds = true;
	}
}

/* Puts a datagram a receiver took back at the head of s's queue (or frees it if s closed). */
static void requeue_head(struct socket *s, struct unix_msg *msg)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	struct unix_sock *u = usk(s);
	bool dead = u->dead;

	if (!dead) {
		list_add(&msg->node, &u->queue);
		u->qlen++;
		u->qbytes += msg->len;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (dead)
		msg_free(msg);
}

static ssize_t dgram_recvmsg(struct socket *s, struct kmsg *m, unsigned flags)
{
	struct sock_progress *sp = sock_progress();
	uint64_t deadline = sock_deadline(sp, READ_ONCE(s->rcvtimeo));
	struct unix_sock *u = usk(s);
	struct unix_msg *msg = NULL;
	struct scm_fds *peeked = NULL; /* a peek's new references, never in flight */
	unsigned long lflags;
	size_t n;
	int r = 0;

	lflags = spin_lock_irqsave(&s->lock);
	if (s->err) {
		r = -s->err;
		s->err = 0;
	} else if (list_empty(&u->queue)) {
		if (conn_oriented(s) && u->state != UNIX_CONNECTED && u->state != UNIX_CLOSED)
			r = -ENOTCONN;
		else if (u->shutdown & RCV_SHUTDOWN)
			r = 0;
		else if ((flags & MSG_DONTWAIT) || sock_timed_out(deadline))
			r = -EAGAIN;
		else
			r = (int)sock_wait_on(&s->wq, deadline);
	} else {
		msg = list_first_entry(&u->queue, struct unix_msg, node);
		if (flags & MSG_PEEK) {
			/* Copied under the lock would fault: copy the bytes out first. */
		} else {
			list_del(&msg->node);
			u->qlen--;
			u->qbytes -= msg->len;
		}
	}
	if (msg && (flags & MSG_PEEK)) {
		/* A peek copies a snapshot: the message may be taken meanwhile. */
		struct unix_msg *copy = msg_alloc(msg->len);

		if (copy) {
			memcpy(copy->data, msg->data, msg->len);
			copy->from = msg->from;
			copy->cred = msg->cred;
			peeked = peek_fds(m, msg->fds);
		}
		msg = copy;
		if (!msg)
			r = -ENOMEM;
	}
	spin_unlock_irqrestore(&s->lock, lflags);
	if (!msg)
		return r;
	n = MIN(msg->len, m->data.len);
	r = sock_iov_write(&m->data, 0, msg->data, n);
	if (r) {
		/* A fault may be a page on its way in (the call runs again): keep the datagram. */
		if (flags & MSG_PEEK) {
			scm_fds_put(peeked);
			msg_free(msg);
		} else {
			requeue_head(s, msg);
		}
		return r;
	}
	if (!(flags & MSG_PEEK)) {
		call_commit();	       /* the datagram left the queue */
		wait_wake_all(&s->wq); /* senders waiting for queue room */
	}
	if (msg->len > m->data.len)
		m->msg_flags |= MSG_TRUNC;
	deliver_meta(s, m, msg);
	if (flags & MSG_PEEK) {
		m->fds = peeked;
	} else {
		fds_inflight(msg->fds, -1);
		m->fds = msg->fds;
		msg->fds = NULL;
	}
	r = (int)((flags & MSG_TRUNC) ? msg->len : n);
	msg_free(msg);
	return r;
}

/*
 * Stream receives copy from the head message with the socket marked
 * rd_busy, then consume; they end at a message carrying descriptors, and
 * (with SO_PASSCRED) before one from other credentials. MSG_WAITALL waits
 * until the whole buffer is filled, keeping the count in sock_progress.
 */
static ssize_t stream_recvmsg(struct socket *s, struct kmsg *m, unsigned flags)
{
	struct sock_progress *sp = sock_progress();
	uint64_t deadline = sock_deadline(sp, READ_ONCE(s->rcvtimeo));
	struct unix_sock *u = usk(s);
	size_t len = m->data.len, done = (flags & MSG_PEEK) ? 0 : sp->done;
	size_t target = (flags & MSG_WAITALL) ? len : MIN(len, (size_t)1);
	bool first = true;
	unsigned long lflags;
	long r = 0;

	if (s->type == SOCK_SEQPACKET)
		return dgram_recvmsg(s, m, flags);
	lflags = spin_lock_irqsave(&s->lock);
	if ((u->state != UNIX_CONNECTED && u->state != UNIX_CLOSED) || !len) {
		spin_unlock_irqrestore(&s->lock, lflags);
		return len ? -EINVAL : 0;
	}
	while (done < len) {
		struct unix_msg *msg = NULL, *it;
		size_t skip = (flags & MSG_PEEK) ? done : 0, n;
		bool fds;
		int err;

		if (u->rd_busy) { /* another reader copies (we may have let it in at msg_free) */
			if (done >= target)
				break;
			sp->done = done;
			if (done)
				call_progress_kept();
			current_wait()->partial = (int64_t)done;
			r = sock_wait_on(&s->wq, deadline);
			break;
		}
		list_for_each_entry (it, &u->queue, node) {
			if (skip < it->len - it->off) {
				msg = it;
				break;
			}
			skip -= it->len - it->off;
		}
		if (!msg) {
			if (s->err && !done) {
				r = -s->err;
				s->err = 0;
			} else if (done >= target || (u->shutdown & RCV_SHUTDOWN)) {
				r = 0;
			} else if ((flags & MSG_DONTWAIT) || sock_timed_out(deadline)) {
				r = done ? 0 : -EAGAIN;
			} else {
				sp->done = done;
				if (done)
					call_progress_kept();
				current_wait()->partial = (int64_t)done;
				r = sock_wait_on(&s->wq, deadline);
			}
			break;
		}
		if (!first &&
		    (msg->fds || (READ_ONCE(s->passcred) && (msg->cred.pid != m->creds.pid ||
							     msg->cred.uid != m->creds.uid))))
			break; /* never glue descriptors or other writers' bytes on */
		n = MIN(len - done, msg->len - msg->off - skip);
		u->rd_busy = true;
		spin_unlock_irqrestore(&s->lock, lflags);
		err = sock_iov_write(&m->data, done, msg->data + msg->off + skip, n);
		lflags = spin_lock_irqsave(&s->lock);
		u->rd_busy = false;
		if (err) {
			r = done ? 0 : err;
			break;
		}
		if (first) {
			deliver_meta(s, m, msg);
			m->creds = msg->cred; /* the glue check compares with it */
			first = false;
		}
		done += n;
		if (flags & MSG_PEEK) {
			if (msg->fds) {
				m->fds = peek_fds(m, msg->fds);
				break;
			}
			if (done >= len)
				break;
			continue;
		}
		call_commit(); /* the bytes left the queue */
		msg->off += n;
		u->qbytes -= n;
		fds = msg->fds != NULL;
		if (fds) {
			fds_inflight(msg->fds, -1);
			m->fds = msg->fds;
			msg->fds = NULL;
		}
		if (msg->off == msg->len) {
			list_del(&msg->node);
			u->qlen--;
			spin_unlock_irqrestore(&s->lock, lflags);
			msg_free(msg);
			lflags = spin_lock_irqsave(&s->lock);
		}
		if (fds || done >= len || (done >= target && list_empty(&u->queue)))
			break;
	}
	spin_unlock_irqrestore(&s->lock, lflags);
	if (r == -EWAIT)
		return r;
	if (done && !(flags & MSG_PEEK))
		wait_wake_all(&s->wq); /* a reader that met rd_busy goes on */
	if (!READ_ONCE(s->passcred))
		m->has_creds = false;
	return r < 0 ? r : (ssize_t)done;
}

static int unix_shutdown(struct socket *s, int how)
{
	unsigned long flags;
	struct socket *peer = NULL;
	unsigned mode;

	if (how < SHUT_RD || how > SHUT_RDWR)
		return -EINVAL;
	mode = (unsigned)how + 1; /* SHUT_RD 1, SHUT_WR 2, SHUT_RDWR 3 */
	flags = spin_lock_irqsave(&s->lock);
	usk(s)->shutdown |= mode;
	if (usk(s)->peer && conn_oriented(s))
		peer = sock_hold(usk(s)->peer);
	spin_unlock_irqrestore(&s->lock, flags);
	wait_wake_all(&s->wq);
	if (peer) {
		unsigned pm = (mode & RCV_SHUTDOWN ? SEND_SHUTDOWN : 0) |
			      (mode & SEND_SHUTDOWN ? RCV_SHUTDOWN : 0);

		flags = spin_lock_irqsave(&peer->lock);
		usk(peer)->shutdown |= pm;
		spin_unlock_irqrestore(&peer->lock, flags);
		wait_wake_all(&peer->wq);
		sock_put(peer);
	}
	return 0;
}

/* ---- connect for datagrams, poll, options ---- */

static int dgram_connect(struct socket *s, const void *addr, int len, unsigned fflags)
{
	const struct sockaddr_un *sun = addr;
	struct socket *target = NULL, *old;
	unsigned long flags;
	int r;

	(void)fflags;
	if (len >= (int)sizeof(uint16_t) && sun->sun_family == AF_UNSPEC) {
		target = NULL; /* dissolves the association */
	} else {
		r = connect_target(s, addr, len, &target);
		if (r)
			return r;
		if (target->type != SOCK_DGRAM) {
			sock_put(target);
			return -EPROTOTYPE;
		}
	}
	flags = spin_lock_irqsave(&s->lock);
	old = usk(s)->peer;
	usk(s)->peer = target;
	if (target) {
		usk(s)->peercred = target->owner;
		usk(s)->has_peercred = true;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (old)
		sock_put(old);
	return 0;
}

static int stream_poll(struct socket *s, bool register_wait)
{
	struct unix_sock *u = usk(s);
	unsigned long flags;
	int mask = 0;

	if (register_wait && wait_add_source(&s->wq))
		return -ENOMEM;
	flags = spin_lock_irqsave(&s->lock);
	if (s->err)
		mask |= POLLERR;
	if (u->shutdown == SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (u->shutdown & RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (!list_empty(&u->queue))
		mask |= POLLIN | POLLRDNORM;
	if (u->state == UNIX_UNCONNECTED)
		mask |= POLLHUP;
	if (u->state != UNIX_LISTENING && u->wmem * 4 <= (size_t)s->sndbuf)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	spin_unlock_irqrestore(&s->lock, flags);
	return mask;
}

/* Whether a datagram for p from s would have to wait (p's queue is full). */
static bool dgram_peer_full(struct socket *p, struct socket *s)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	bool full = usk(p)->peer != s && usk(p)->qlen >= UNIX_DGRAM_QLEN;

	spin_unlock_irqrestore(&p->lock, flags);
	return full;
}

static int dgram_poll(struct socket *s, bool register_wait)
{
	struct unix_sock *u = usk(s);
	struct socket *peer = NULL;
	unsigned long flags;
	bool writable;
	int mask = 0;

	if (register_wait && wait_add_source(&s->wq))
		return -ENOMEM;
	flags = spin_lock_irqsave(&s->lock);
	if (u->peer)
		peer = sock_hold(u->peer);
	spin_unlock_irqrestore(&s->lock, flags);
	if (peer && register_wait && wait_add_source(&peer->wq)) {
		sock_put(peer);
		return -ENOMEM;
	}
	flags = spin_lock_irqsave(&s->lock);
	if (s->err)
		mask |= POLLERR;
	if (u->shutdown == SHUTDOWN_MASK)
		mask |= POLLHUP;
	if (u->shutdown & RCV_SHUTDOWN)
		mask |= POLLRDHUP | POLLIN | POLLRDNORM;
	if (!list_empty(&u->queue))
		mask |= POLLIN | POLLRDNORM;
	writable = u->wmem * 4 <= (size_t)s->sndbuf;
	spin_unlock_irqrestore(&s->lock, flags);
	if (writable && peer && dgram_peer_full(peer, s))
		writable = false;
	if (peer)
		sock_put(peer);
	if (writable)
		mask |= POLLOUT | POLLWRNORM | POLLWRBAND;
	return mask;
}

static int unix_getopt(struct socket *s, int name, void *val, size_t *size)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	struct unix_sock *u = usk(s);

	if (name == SO_ACCEPTCONN) {
		*(int *)val = u->state == UNIX_LISTENING;
		*size = sizeof(int);
	} else {
		struct ucred none = { 0, 65534, 65534 }; /* the overflow ids */

		*(struct ucred *)val = u->has_peercred ? u->peercred : none;
		*size = sizeof(struct ucred);
	}
	spin_unlock_irqrestore(&s->lock, flags);
	return 0;
}

static int unix_inq(struct socket *s)
{
	unsigned long flags = spin_lock_irqsave(&s->lock);
	struct unix_sock *u = usk(s);
	int n;

	if (u->state == UNIX_LISTENING)
		n = -EINVAL;
	else if (s->type == SOCK_STREAM)
		n = (int)u->qbytes;
	else
		n = list_empty(&u->queue)
			    ? 0
			    : (int)list_first_entry(&u->queue, struct unix_msg, node)->len;
	spin_unlock_irqrestore(&s->lock, flags);
	return n;
}

static int unix_connect(struct socket *s, const void *addr, int len, unsigned fflags)
{
	int r = conn_oriented(s) ? stream_connect(s, addr, len, fflags)
				 : dgram_connect(s, addr, len, fflags);

	if (r != -EWAIT)
		sock_progress_done();
	return r;
}

static const struct proto_ops unix_stream_ops = {
	.family = AF_UNIX,
	.release = unix_release,
	.destroy = unix_destroy,
	.bind = unix_bind,
	.connect = unix_connect,
	.pair = unix_pair,
	.listen = unix_listen,
	.accept = unix_accept,
	.getname = unix_getname,
	.poll = stream_poll,
	.sendmsg = stream_sendmsg,
	.recvmsg = stream_recvmsg,
	.shutdown = unix_shutdown,
	.getopt = unix_getopt,
	.inq = unix_inq,
};

static int dgram_listen(struct socket *s, int backlog)
{
	(void)s;
	(void)backlog;
	return -EOPNOTSUPP;
}

static const struct proto_ops unix_dgram_ops = {
	.family = AF_UNIX,
	.release = unix_release,
	.destroy = unix_destroy,
	.bind = unix_bind,
	.connect = unix_connect,
	.pair = unix_pair,
	.listen = dgram_listen,
	.accept = unix_accept,
	.getname = unix_getname,
	.poll = dgram_poll,
	.sendmsg = dgram_sendmsg,
	.recvmsg = dgram_recvmsg,
	.shutdown = unix_shutdown,
	.getopt = unix_getopt,
	.inq = unix_inq,
};

/* ---- /proc/net/unix ---- */

int proc_show_net_unix(struct seqbuf *s, int pid)
{
	unsigned long flags = spin_lock_irqsave(&unix_lock);
	struct unix_sock *u;

	(void)pid;
	seq_printf(s, "Num       RefCount Protocol Flags    Type St Inode Path\n");
	list_for_each_entry (u, &all_list, all_node) {
		struct socket *so = u->sock;
		unsigned long sflags = spin_lock_irqsave(&so->lock);
		int st = u->state == UNIX_CONNECTED ? 3 : 1; /* SS_CONNECTED, SS_UNCONNECTED */

		if (u->dead) {
			spin_unlock_irqrestore(&so->lock, sflags);
			continue;
		}
		seq_printf(s, "0000000000000000: %08X %08X %08X %04X %02X %5lu",
			   (unsigned)__atomic_load_n(&so->refcount, __ATOMIC_RELAXED), 0u,
			   u->state == UNIX_LISTENING ? 0x10000u : 0u, (unsigned)so->type,
			   (unsigned)st, (unsigned long)so->ino);
		if (u->addr && u->addr->len > SUN_PATH_OFFSET) {
			const char *p = u->addr->sun.sun_path;
			int n = u->addr->len - SUN_PATH_OFFSET;

			seq_write(s, " ", 1);
			if (!p[0]) {
				seq_write(s, "@", 1);
				seq_write(s, p + 1, (size_t)n - 1);
			} else {
				seq_write(s, p, strnlen(p, (size_t)n));
			}
		}
		seq_write(s, "\n", 1);
		spin_unlock_irqrestore(&so->lock, sflags);
	}
	spin_unlock_irqrestore(&unix_lock, flags);
	return 0;
}

static const struct net_family unix_family = { .family = AF_UNIX, .create = unix_create };

void unix_init(void)
{
	sock_register(&unix_family);
}
