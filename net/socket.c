/*
 * The socket layer (include/net/socket.h): the family registry, struct
 * socket objects (pooled), sockfs (the internal file system whose inodes
 * give socket files their S_IFSOCK mode and inode number), the file
 * operations of socket files (read, write, poll, ioctl, close), the
 * socket options of SOL_SOCKET, and what every family's send and receive
 * share: message buffers, SCM_RIGHTS references, call progress and
 * timeouts. The families are in net/unix.c (and later net/inet.c).
 *
 * Lock order: a socket's lock, then its wait source's lock (a call that
 * waits registers under the socket's lock), then pool_lock. Two socket
 * locks are never held at once; family_lock is a leaf.
 */
#include <net/socket.h>
#include <fs/vfs.h>
#include <fs/dcache.h>
#include <kernel/panic.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/ioctl.h>
#include <uapi/poll.h>
#include <uapi/signal.h>

static spinlock_t family_lock = SPINLOCK_INIT("net-family");
static const struct net_family *families[AF_MAX]; /* (family_lock) */

static spinlock_t pool_lock = SPINLOCK_INIT("socket-pool");
static LIST_HEAD(pool);	      /* (pool_lock) freed sockets */
static int64_t sockets_alive; /* (atomic) */

static const struct file_ops socket_fops;

void sock_register(const struct net_family *fam)
{
	unsigned long flags = spin_lock_irqsave(&family_lock);

	ASSERT(fam->family > 0 && fam->family < AF_MAX && !families[fam->family]);
	families[fam->family] = fam;
	spin_unlock_irqrestore(&family_lock, flags);
}

static const struct net_family *family_find(int family)
{
	unsigned long flags = spin_lock_irqsave(&family_lock);
	const struct net_family *fam = families[family];

	spin_unlock_irqrestore(&family_lock, flags);
	return fam;
}

struct ucred sock_current_cred(void)
{
	const struct cred *c = current_cred();

	return (struct ucred){ .pid = current_proc()->pid, .uid = c->euid, .gid = c->egid };
}

static struct socket *sock_alloc(void)
{
	unsigned long flags = spin_lock_irqsave(&pool_lock);
	struct socket *s = NULL;

	if (!list_empty(&pool)) {
		s = list_first_entry(&pool, struct socket, node);
		list_del(&s->node);
	}
	spin_unlock_irqrestore(&pool_lock, flags);
	if (!s) {
		s = kzalloc(sizeof(*s));
		if (!s)
			return NULL;
		/* Once only: a pooled socket's wait source may still be taken by a late unlinker. */
		spin_init(&s->lock, "socket");
		wait_source_init(&s->wq, "socket-wait");
	}
	s->refcount = 1;
	s->family = s->type = s->protocol = 0;
	s->ops = NULL;
	s->sk = NULL;
	s->ino = 0;
	s->file = NULL;
	s->rcvbuf = s->sndbuf = SOCK_DEFAULT_BUF;
	s->rcvtimeo = s->sndtimeo = 0;
	s->passcred = s->reuseaddr = false;
	s->err = 0;
	s->owner = sock_current_cred();
	list_init(&s->node);
	__atomic_fetch_add(&sockets_alive, 1, __ATOMIC_RELAXED);
	return s;
}

struct socket *sock_hold(struct socket *s)
{
	if (__atomic_fetch_add(&s->refcount, 1, __ATOMIC_RELAXED) <= 0)
		panic("sock_hold: socket %p is free", s);
	return s;
}

void sock_put(struct socket *s)
{
	int32_t old = __atomic_fetch_sub(&s->refcount, 1, __ATOMIC_ACQ_REL);
	unsigned long flags;

	if (old <= 0)
		panic("sock_put: socket %p is already free", s);
	if (old > 1)
		return;
	if (s->ops && s->ops->destroy)
		s->ops->destroy(s);
	wait_wake_all(&s->wq);
	flags = spin_lock_irqsave(&pool_lock);
	list_add(&s->node, &pool);
	spin_unlock_irqrestore(&pool_lock, flags);
	__atomic_fetch_sub(&sockets_alive, 1, __ATOMIC_RELAXED);
}

/*
 * socket(2)'s checks in Linux's order: the family's range, the type's,
 * then whether the family is built in; the family checks the protocol.
 */
int sock_create(int family, int type, int protocol, struct socket **out)
{
	const struct net_family *fam;
	struct socket *s;
	int r;

	if (family < 0 || family >= AF_MAX)
		return -EAFNOSUPPORT;
	if (type < 0 || type >= SOCK_MAX)
		return -EINVAL;
	fam = family_find(family);
	if (!fam)
		return -EAFNOSUPPORT;
	s = sock_alloc();
	if (!s)
		return -ENOMEM;
	s->family = family;
	s->type = type;
	s->protocol = protocol;
	r = fam->create(s, type, protocol);
	if (r) {
		s->ops = NULL; /* nothing for destroy to free */
		sock_put(s);
		return r;
	}
	*out = s;
	return 0;
}

/* ---- sockfs: the inodes of socket files ---- */

static void sockfs_evict(struct inode *inode)
{
	(void)inode; /* the socket goes with its file, not its inode */
}

static const struct super_ops sockfs_super_ops = { .evict_inode = sockfs_evict };
static const struct inode_ops sockfs_inode_ops = { 0 };
static struct fs_type sockfs_type = { .name = "sockfs" };
static struct super_block *sockfs_sb_ptr; /* [I] made at first use */

static struct super_block *sockfs_sb(void)
{
	struct super_block *sb = __atomic_load_n(&sockfs_sb_ptr, __ATOMIC_ACQUIRE),
			   *expected = NULL;

	if (sb)
		return sb;
	sb = super_alloc(&sockfs_type, &sockfs_super_ops);
	if (!sb)
		return NULL;
	if (!__atomic_compare_exchange_n(&sockfs_sb_ptr, &expected, sb, false, __ATOMIC_ACQ_REL,
					 __ATOMIC_ACQUIRE)) {
		kfree(sb);
		sb = expected;
	}
	return sb;
}

/*
 * The one open of a sockfs inode is sock_alloc_file's; another one
 * (/proc/PID/fd/N) fails with -ENXIO, as on Linux.
 */
static int socket_open(struct inode *inode, struct file *f)
{
	struct socket *s = __atomic_exchange_n((struct socket **)&inode->private, NULL,
					       __ATOMIC_ACQ_REL);

	if (!s)
		return -ENXIO;
	f->private = s;
	f->fmode |= FMODE_STREAM;
	return 0;
}

int sock_alloc_file(struct socket *s, unsigned flags, struct file **out)
{
	struct super_block *sb = sockfs_sb();
	struct inode *inode;
	struct dentry *d;
	int r;

	if (!sb || !(inode = inode_alloc(sb, S_IFSOCK | 0777)))
		return -ENOMEM;
	inode->iops = &sockfs_inode_ops;
	inode->fops = &socket_fops;
	inode->private = s;
	s->ino = inode->ino;
	d = d_alloc_root(inode);
	if (!d) {
		inode_put(inode);
		return -ENOMEM;
	}
	r = vfs_open_dentry(d, O_RDWR | (flags & O_NONBLOCK), out);
	dentry_put(d); /* the file holds it */
	if (!r)
		s->file = *out;
	return r;
}

struct socket *sock_from_file(struct file *f)
{
	return f->fops == &socket_fops ? f->private : NULL;
}

/* ---- message data ---- */

int sock_iov_read(void *dst, const struct sock_iov *v, size_t off, size_t n)
{
	for (int i = 0; i < v->nseg && n; i++) {
		size_t len = v->seg[i].len, k;

		if (off >= len) {
			off -= len;
			continue;
		}
		k = MIN(n, len - off);
		if (iobuf_read(dst, &v->seg[i], off, k))
			return -EFAULT;
		dst = (char *)dst + k;
		n -= k;
		off = 0;
	}
	return 0;
}

int sock_iov_write(const struct sock_iov *v, size_t off, const void *src, size_t n)
{
	for (int i = 0; i < v->nseg && n; i++) {
		size_t len = v->seg[i].len, k;

		if (off >= len) {
			off -= len;
			continue;
		}
		k = MIN(n, len - off);
		if (iobuf_write(&v->seg[i], off, src, k))
			return -EFAULT;
		src = (const char *)src + k;
		n -= k;
		off = 0;
	}
	return 0;
}

struct scm_fds *scm_fds_dup(const struct scm_fds *fds)
{
	struct scm_fds *copy = kmalloc(sizeof(*copy) + sizeof(struct file *) * (size_t)fds->count);

	if (!copy)
		return NULL;
	copy->count = fds->count;
	for (int i = 0; i < fds->count; i++)
		copy->files[i] = file_get(fds->files[i]);
	return copy;
}

void scm_fds_put(struct scm_fds *fds)
{
	if (!fds)
		return;
	for (int i = 0; i < fds->count; i++)
		file_put(fds->files[i]);
	kfree(fds);
}

/* ---- waits ---- */

struct sock_progress *sock_progress(void)
{
	return progress_sock(current_wait());
}

uint64_t sock_deadline(struct sock_progress *sp, uint64_t timeo)
{
	if (!sp->deadline_ns)
		sp->deadline_ns = timeo ? deadline_after(timeo) : ~0ull;
	return sp->deadline_ns == ~0ull ? 0 : sp->deadline_ns;
}

bool sock_timed_out(uint64_t deadline)
{
	return deadline && clock_ns() >= deadline;
}

void sock_progress_done(void)
{
	progress_release_op(current_wait());
}

long sock_wait_on(struct wait_source *src, uint64_t deadline)
{
	unsigned long flags = spin_lock_irqsave(&src->lock);
	long r = wait_block_locked(src, deadline);

	spin_unlock_irqrestore(&src->lock, flags);
	return r;
}

/* ---- sending and receiving ---- */

static unsigned file_msg_flags(struct file *f, unsigned flags)
{
	if (READ_ONCE(f->flags) & O_NONBLOCK)
		flags |= MSG_DONTWAIT;
	return flags;
}

ssize_t sock_sendmsg(struct file *f, struct kmsg *m, unsigned flags)
{
	struct socket *s = f->private;
	ssize_t r;

	if (flags & MSG_OOB)
		return -EOPNOTSUPP;
	r = s->ops->sendmsg(s, m, file_msg_flags(f, flags));
	if (r == -EPIPE && !(flags & MSG_NOSIGNAL))
		signal_self(SIGPIPE);
	if (r != -EWAIT)
		sock_progress_done();
	return r;
}

ssize_t sock_recvmsg(struct file *f, struct kmsg *m, unsigned flags)
{
	struct socket *s = f->private;
	ssize_t r;

	if (flags & (MSG_OOB | MSG_ERRQUEUE))
		return flags & MSG_OOB ? -EOPNOTSUPP : -EAGAIN;
	r = s->ops->recvmsg(s, m, file_msg_flags(f, flags));
	if (r != -EWAIT)
		sock_progress_done();
	return r;
}

/* ---- the file operations ---- */

static ssize_t socket_read(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct kmsg m = { .data = { buf, 1, buf->len } };
	ssize_t r;

	(void)pos;
	r = sock_recvmsg(f, &m, 0);
	scm_fds_put(m.fds); /* read(2) has no room for descriptors */
	return r;
}

static ssize_t socket_write(struct file *f, const struct iobuf *buf, int64_t *pos)
{
	struct kmsg m = { .data = { buf, 1, buf->len } };

	(void)pos;
	return sock_sendmsg(f, &m, 0);
}

static int socket_poll(struct file *f, bool register_wait)
{
	struct socket *s = f->private;

	return s->ops->poll(s, register_wait);
}

static int socket_ioctl(struct file *f, unsigned cmd, uintptr_t arg)
{
	struct socket *s = f->private;
	int n;

	if (cmd != FIONREAD || !s->ops->inq)
		return -ENOTTY;
	n = s->ops->inq(s);
	if (n < 0)
		return n;
	return copy_to_user(arg, &n, sizeof(n));
}

static void socket_release(struct file *f)
{
	struct socket *s = f->private;

	s->ops->release(s);
	wait_wake_all(&s->wq);
	sock_put(s);
}

static const struct file_ops socket_fops = {
	.open = socket_open,
	.read = socket_read,
	.write = socket_write,
	.lseek = no_lseek,
	.ioctl = socket_ioctl,
	.release = socket_release,
	.poll = socket_poll,
};

/* ---- SOL_SOCKET options ---- */

/* SO_SNDBUF and SO_RCVBUF: Linux doubles the value (room for its overhead), within limits. */
static int32_t buf_size(int val, int32_t min)
{
	int64_t v = val < 0 ? 0 : val;

	v = MIN(v, (int64_t)SOCK_DEFAULT_BUF) * 2;
	return (int32_t)MAX(v, (int64_t)min);
}

static int set_timeo(uint64_t *timeo, const void *val, int len)
{
	struct user_timeval tv;

	if (len < (int)sizeof(tv))
		return -EINVAL;
	memcpy(&tv, val, sizeof(tv));
	if (tv.tv_usec < 0 || tv.tv_usec >= 1000000)
		return -EDOM;
	if (tv.tv_sec < 0 || (tv.tv_sec == 0 && tv.tv_usec == 0))
		*timeo = 0; /* no timeout (Linux: a negative one too) */
	else
		*timeo = (uint64_t)tv.tv_sec * 1000000000ull + (uint64_t)tv.tv_usec * 1000ull;
	return 0;
}

int sock_setsockopt(struct socket *s, int level, int name, const void *val, int len)
{
	unsigned long flags;
	int v = 0, r = 0;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP; /* AF_UNIX has no options of its own */
	if (name != SO_RCVTIMEO && name != SO_SNDTIMEO) {
		if (len < (int)sizeof(int))
			return -EINVAL;
		memcpy(&v, val, sizeof(v));
	}
	flags = spin_lock_irqsave(&s->lock);
	switch (name) {
	case SO_REUSEADDR:
		s->reuseaddr = v != 0;
		break;
	case SO_PASSCRED:
		s->passcred = v != 0;
		break;
	case SO_SNDBUF:
	case SO_SNDBUFFORCE:
		s->sndbuf = buf_size(v, SOCK_MIN_SNDBUF);
		break;
	case SO_RCVBUF:
	case SO_RCVBUFFORCE:
		s->rcvbuf = buf_size(v, SOCK_MIN_RCVBUF);
		break;
	case SO_RCVTIMEO:
		r = set_timeo(&s->rcvtimeo, val, len);
		break;
	case SO_SNDTIMEO:
		r = set_timeo(&s->sndtimeo, val, len);
		break;
	case SO_KEEPALIVE:
	case SO_BROADCAST:
	case SO_DONTROUTE:
	case SO_OOBINLINE:
	case SO_DEBUG:
		break; /* nothing to do for a local socket */
	default:
		r = -ENOPROTOOPT;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (!r && (name == SO_SNDBUF || name == SO_SNDBUFFORCE))
		wait_wake_all(&s->wq); /* writers may have room now */
	return r;
}

static struct user_timeval timeo_tv(uint64_t ns)
{
	return (struct user_timeval){ (int64_t)(ns / 1000000000ull),
				      (int64_t)(ns % 1000000000ull / 1000) };
}

int sock_getsockopt(struct socket *s, int level, int name, void *val, int *len)
{
	union {
		int i;
		struct ucred cred;
		struct user_timeval tv;
	} u = { 0 };
	size_t size = sizeof(int);
	unsigned long flags;
	int r = 0;

	if (level != SOL_SOCKET)
		return -EOPNOTSUPP;
	if (*len < 0)
		return -EINVAL;
	flags = spin_lock_irqsave(&s->lock);
	switch (name) {
	case SO_TYPE:
		u.i = s->type;
		break;
	case SO_DOMAIN:
		u.i = s->family;
		break;
	case SO_PROTOCOL:
		u.i = s->protocol;
		break;
	case SO_ERROR:
		u.i = s->err;
		s->err = 0;
		break;
	case SO_REUSEADDR:
		u.i = s->reuseaddr;
		break;
	case SO_PASSCRED:
		u.i = s->passcred;
		break;
	case SO_SNDBUF:
		u.i = s->sndbuf;
		break;
	case SO_RCVBUF:
		u.i = s->rcvbuf;
		break;
	case SO_KEEPALIVE:
	case SO_BROADCAST:
	case SO_DONTROUTE:
	case SO_OOBINLINE:
	case SO_DEBUG:
		break;
	case SO_RCVTIMEO:
	case SO_SNDTIMEO:
		u.tv = timeo_tv(name == SO_RCVTIMEO ? s->rcvtimeo : s->sndtimeo);
		size = sizeof(u.tv);
		break;
	case SO_PEERCRED:
	case SO_ACCEPTCONN:
		r = 1; /* the family's */
		break;
	default:
		r = -ENOPROTOOPT;
	}
	spin_unlock_irqrestore(&s->lock, flags);
	if (r == 1) {
		r = s->ops->getopt ? s->ops->getopt(s, name, &u, &size) : -ENOPROTOOPT;
	}
	if (r)
		return r;
	if (*len > (int)size)
		*len = (int)size;
	memcpy(val, &u, (size_t)*len);
	return 0;
}
