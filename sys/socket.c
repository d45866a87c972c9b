/*
 * The socket system calls (layer one; net/socket.c and the families do
 * the rest): socket, socketpair, bind, listen, accept, accept4, connect,
 * sendto, sendmsg, sendmmsg, recvfrom, recvmsg, recvmmsg, shutdown,
 * getsockname, getpeername, setsockopt and getsockopt. They check the
 * descriptors (-EBADF, -ENOTSOCK), copy addresses, iovecs and control
 * messages in and out (-EFAULT, -EINVAL), parse SCM_RIGHTS and
 * SCM_CREDENTIALS, and install received descriptors. See docs/sockets.md.
 */
#include <kernel/syscall.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <kernel/time.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <net/socket.h>
#include <mm/slab.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>

#define CONTROL_MAX 20480 /* control bytes of one message (Linux's optmem_max) */

/* The socket file at fd (referenced): -EBADF, -ENOTSOCK. */
static long sockfd(int fd, struct file **out, struct socket **s)
{
	struct file *f = fget(fd);

	if (!f || (f->fmode & FMODE_PATH)) {
		if (f)
			file_put(f);
		return -EBADF;
	}
	*s = sock_from_file(f);
	if (!*s) {
		file_put(f);
		return -ENOTSOCK;
	}
	*out = f;
	return 0;
}

static long addr_in(uintptr_t uaddr, int len, void *kaddr)
{
	if (len < 0 || len > SOCKADDR_MAX)
		return -EINVAL;
	if (len && copy_from_user(kaddr, uaddr, (size_t)len))
		return -EFAULT;
	return 0;
}

/* Copies klen bytes of kaddr out, cut to the caller's *ulen, and sets *ulen to klen. */
static long addr_out(const void *kaddr, int klen, uintptr_t uaddr, uintptr_t ulen)
{
	int len;

	if (!uaddr)
		return 0;
	if (copy_from_user(&len, ulen, sizeof(len)))
		return -EFAULT;
	if (len < 0)
		return -EINVAL;
	if (MIN(len, klen) > 0 && copy_to_user(uaddr, kaddr, (size_t)MIN(len, klen)))
		return -EFAULT;
	return copy_to_user(ulen, &klen, sizeof(klen));
}

/* A new socket's descriptor; on failure the socket is released. */
static long install_socket(struct socket *s, int flags)
{
	struct file *f;
	long r = sock_alloc_file(s, (unsigned)flags & O_NONBLOCK, &f);

	if (r) {
		s->ops->release(s);
		sock_put(s);
		return r;
	}
	r = fd_install(current_proc()->fds, f, flags & O_CLOEXEC);
	if (r < 0)
		file_put(f);
	return r;
}

SYSCALL_DEFINE3(socket, int, family, int, type, int, protocol)
{
	struct socket *s;
	long r;

	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	r = sock_create(family, type & SOCK_TYPE_MASK, protocol, &s);
	if (r)
		return r;
	return install_socket(s, type);
}

SYSCALL_DEFINE4(socketpair, int, family, int, type, int, protocol, uintptr_t, usv)
{
	struct fd_table *t = current_proc()->fds;
	struct socket *a, *b;
	int fds[2];
	long r;

	if (type & ~(SOCK_TYPE_MASK | SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	r = sock_create(family, type & SOCK_TYPE_MASK, protocol, &a);
	if (r)
		return r;
	if (!a->ops->pair) {
		a->ops->release(a);
		sock_put(a);
		return -EOPNOTSUPP;
	}
	r = sock_create(family, type & SOCK_TYPE_MASK, protocol, &b);
	if (r) {
		a->ops->release(a);
		sock_put(a);
		return r;
	}
	a->ops->pair(a, b);
	r = install_socket(a, type);
	if (r < 0) {
		b->ops->release(b);
		sock_put(b);
		return r;
	}
	fds[0] = (int)r;
	r = install_socket(b, type);
	if (r < 0) {
		fd_close(t, fds[0]);
		return r;
	}
	fds[1] = (int)r;
	if (copy_to_user(usv, fds, sizeof(fds))) {
		fd_close(t, fds[0]);
		fd_close(t, fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE3(bind, int, fd, uintptr_t, uaddr, int, len)
{
	char addr[SOCKADDR_MAX];
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	r = addr_in(uaddr, len, addr);
	if (!r)
		r = s->ops->bind(s, addr, len);
	file_put(f);
	return r;
}

SYSCALL_DEFINE2(listen, int, fd, int, backlog)
{
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	r = s->ops->listen(s, backlog);
	file_put(f);
	return r;
}

SYSCALL_DEFINE3(connect, int, fd, uintptr_t, uaddr, int, len)
{
	char addr[SOCKADDR_MAX];
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	r = addr_in(uaddr, len, addr);
	if (!r)
		r = s->ops->connect(s, addr, len, READ_ONCE(f->flags) & O_NONBLOCK);
	file_put(f);
	return r;
}

static long do_accept(int fd, uintptr_t uaddr, uintptr_t ulen, int flags)
{
	char addr[SOCKADDR_MAX];
	struct socket *s, *ns;
	struct file *f, *nf;
	long r, newfd;
	int len;

	if (flags & ~(SOCK_NONBLOCK | SOCK_CLOEXEC))
		return -EINVAL;
	r = sockfd(fd, &f, &s);
	if (r)
		return r;
	if (uaddr && copy_from_user(&len, ulen, sizeof(len))) {
		file_put(f);
		return -EFAULT;
	}
	r = s->ops->accept(s, &ns, READ_ONCE(f->flags) & O_NONBLOCK);
	file_put(f);
	if (r)
		return r;
	r = sock_alloc_file(ns, (unsigned)flags & O_NONBLOCK, &nf);
	if (r) {
		ns->ops->release(ns);
		sock_put(ns);
		return r;
	}
	if (uaddr) {
		len = ns->ops->getname(ns, addr, true);
		r = len < 0 ? len : addr_out(addr, len, uaddr, ulen);
		if (r) {
			file_put(nf); /* the connection is lost, as on Linux */
			return r;
		}
	}
	newfd = fd_install(current_proc()->fds, nf, flags & O_CLOEXEC);
	if (newfd < 0)
		file_put(nf);
	return newfd;
}

SYSCALL_DEFINE3(accept, int, fd, uintptr_t, uaddr, uintptr_t, ulen)
{
	return do_accept(fd, uaddr, ulen, 0);
}

SYSCALL_DEFINE4(accept4, int, fd, uintptr_t, uaddr, uintptr_t, ulen, int, flags)
{
	return do_accept(fd, uaddr, ulen, flags);
}

static long do_getname(int fd, uintptr_t uaddr, uintptr_t ulen, bool peer)
{
	char addr[SOCKADDR_MAX];
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	r = s->ops->getname(s, addr, peer);
	file_put(f);
	if (r < 0)
		return r;
	if (!uaddr)
		return -EFAULT;
	return addr_out(addr, (int)r, uaddr, ulen);
}

SYSCALL_DEFINE3(getsockname, int, fd, uintptr_t, uaddr, uintptr_t, ulen)
{
	return do_getname(fd, uaddr, ulen, false);
}

SYSCALL_DEFINE3(getpeername, int, fd, uintptr_t, uaddr, uintptr_t, ulen)
{
	return do_getname(fd, uaddr, ulen, true);
}

SYSCALL_DEFINE2(shutdown, int, fd, int, how)
{
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	r = s->ops->shutdown(s, how);
	file_put(f);
	return r;
}

SYSCALL_DEFINE5(setsockopt, int, fd, int, level, int, name, uintptr_t, uval, int, len)
{
	char val[64];
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	if (len < 0)
		r = -EINVAL;
	else if (copy_from_user(val, uval, (size_t)MIN(len, (int)sizeof(val))))
		r = -EFAULT;
	else
		r = sock_setsockopt(s, level, name, val, MIN(len, (int)sizeof(val)));
	file_put(f);
	return r;
}

SYSCALL_DEFINE5(getsockopt, int, fd, int, level, int, name, uintptr_t, uval, uintptr_t, ulen)
{
	char val[64];
	struct socket *s;
	struct file *f;
	int len;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	if (copy_from_user(&len, ulen, sizeof(len)))
		r = -EFAULT;
	else
		r = sock_getsockopt(s, level, name, val, &len);
	file_put(f);
	if (r)
		return r;
	if (copy_to_user(uval, val, (size_t)len) || copy_to_user(ulen, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}

/* ---- messages ---- */

/* A message's buffers and name, copied in from the caller's struct msghdr. */
struct msg_in {
	struct user_msghdr h;
	struct user_iovec *uiov;
	struct iobuf *seg;
	char addr[SOCKADDR_MAX];
	struct kmsg m;
};

static void msg_in_free(struct msg_in *mi)
{
	kfree(mi->uiov);
	kfree(mi->seg);
	scm_fds_put(mi->m.fds);
}

/* Builds mi->m's buffers from h (already copied in). */
static long msg_buffers(struct msg_in *mi, bool send)
{
	long r;

	if (mi->h.msg_iovlen > UIO_MAXIOV)
		return -EMSGSIZE;
	r = iov_import(mi->h.msg_iov, (int)mi->h.msg_iovlen, &mi->uiov);
	if (r)
		return r;
	mi->seg = kmalloc(sizeof(*mi->seg) * (mi->h.msg_iovlen ? mi->h.msg_iovlen : 1));
	if (!mi->seg)
		return -ENOMEM;
	mi->m.data.seg = mi->seg;
	mi->m.data.nseg = (int)mi->h.msg_iovlen;
	mi->m.data.len = 0;
	for (uint64_t i = 0; i < mi->h.msg_iovlen; i++) {
		if (!user_range_ok(mi->uiov[i].base, mi->uiov[i].len))
			return -EFAULT;
		mi->seg[i] = iobuf_user(mi->uiov[i].base, mi->uiov[i].len);
		mi->m.data.len += mi->uiov[i].len;
	}
	if (send && mi->h.msg_name) {
		r = addr_in(mi->h.msg_name, mi->h.msg_namelen, mi->addr);
		if (r)
			return r;
		mi->m.name = mi->addr;
		mi->m.namelen = mi->h.msg_namelen;
	} else if (!send) {
		mi->m.name = mi->addr;
	}
	return 0;
}

/* One SCM_RIGHTS message's descriptors, appended to *fds. */
static long scm_rights_in(const struct cmsghdr *c, struct scm_fds **fds)
{
	int n = (int)((c->cmsg_len - CMSG_LEN(0)) / sizeof(int)), have = *fds ? (*fds)->count : 0;
	const int *fd = (const int *)(c + 1);
	struct scm_fds *nf;

	if (n <= 0)
		return 0;
	if (have + n > SCM_MAX_FD)
		return -EINVAL;
	nf = kmalloc(sizeof(*nf) + sizeof(struct file *) * (size_t)(have + n));
	if (!nf)
		return -ENOMEM;
	nf->count = have;
	if (have)
		memcpy(nf->files, (*fds)->files, sizeof(struct file *) * (size_t)have);
	kfree(*fds);
	*fds = nf;
	for (int i = 0; i < n; i++) {
		struct file *f = fget(fd[i]);

		if (!f || (f->fmode & FMODE_PATH)) {
			if (f)
				file_put(f);
			return -EBADF;
		}
		nf->files[nf->count++] = f;
	}
	return 0;
}

/* Linux's rule: a process may claim its own pid, and its real, effective or saved ids. */
static long scm_creds_in(const struct cmsghdr *c, struct kmsg *m)
{
	const struct cred *cr = current_cred();
	struct ucred u;

	if (c->cmsg_len != CMSG_LEN(sizeof(u)))
		return -EINVAL;
	memcpy(&u, c + 1, sizeof(u));
	if (u.pid != current_proc()->pid && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (u.uid != cr->uid && u.uid != cr->euid && u.uid != cr->suid && !capable(CAP_SETUID))
		return -EPERM;
	if (u.gid != cr->gid && u.gid != cr->egid && u.gid != cr->sgid && !capable(CAP_SETGID))
		return -EPERM;
	m->creds = u;
	m->has_creds = true;
	return 0;
}

/* Parses the control messages of a send. */
static long control_in(struct msg_in *mi)
{
	size_t len = mi->h.msg_controllen, off = 0;
	char *buf;
	long r = 0;

	if (!len)
		return 0;
	if (len > CONTROL_MAX)
		return -ENOBUFS;
	if (len < sizeof(struct cmsghdr))
		return -EINVAL;
	buf = kmalloc(len);
	if (!buf)
		return -ENOMEM;
	if (copy_from_user(buf, mi->h.msg_control, len)) {
		kfree(buf);
		return -EFAULT;
	}
	while (!r && off + sizeof(struct cmsghdr) <= len) {
		struct cmsghdr *c = (struct cmsghdr *)(buf + off);

		if (c->cmsg_len < sizeof(*c) || c->cmsg_len > len - off) {
			r = -EINVAL;
			break;
		}
		if (c->cmsg_level == SOL_SOCKET) {
			if (c->cmsg_type == SCM_RIGHTS)
				r = scm_rights_in(c, &mi->m.fds);
			else if (c->cmsg_type == SCM_CREDENTIALS)
				r = scm_creds_in(c, &mi->m);
			else
				r = -EINVAL;
		}
		off += CMSG_ALIGN(c->cmsg_len);
	}
	kfree(buf);
	return r;
}

static long msg_copy_in(uintptr_t umsg, struct msg_in *mi, bool send)
{
	memset(mi, 0, sizeof(*mi));
	if (copy_from_user(&mi->h, umsg, sizeof(mi->h)))
		return -EFAULT;
	if (mi->h.msg_namelen < 0 && mi->h.msg_name)
		return -EINVAL;
	return msg_buffers(mi, send);
}

/* A control message out: how many bytes of the caller's control buffer it used. */
static size_t put_cmsg(struct msg_in *mi, size_t used, int type, const void *data, size_t len)
{
	struct cmsghdr c = { CMSG_LEN(len), SOL_SOCKET, type };
	size_t room = mi->h.msg_controllen - used, n;

	if (room < sizeof(c)) {
		mi->m.msg_flags |= MSG_CTRUNC;
		return 0;
	}
	if (room < CMSG_LEN(len)) {
		mi->m.msg_flags |= MSG_CTRUNC;
		c.cmsg_len = room;
	}
	n = c.cmsg_len - sizeof(c);
	if (copy_to_user(mi->h.msg_control + used, &c, sizeof(c)) ||
	    copy_to_user(mi->h.msg_control + used + sizeof(c), data, n))
		return 0;
	return MIN(CMSG_SPACE(len), room);
}

/* Installs received descriptors (as many as fit) and writes the control messages out. */
static size_t control_out(struct msg_in *mi, unsigned flags)
{
	struct scm_fds *fds = mi->m.fds;
	size_t used = 0;

	if (!mi->h.msg_control)
		mi->h.msg_controllen = 0;
	if (mi->m.has_creds)
		used += put_cmsg(mi, used, SCM_CREDENTIALS, &mi->m.creds, sizeof(mi->m.creds));
	if (fds && fds->count) {
		size_t room = mi->h.msg_controllen - used;
		int fit = room > sizeof(struct cmsghdr)
				  ? (int)MIN((room - sizeof(struct cmsghdr)) / sizeof(int),
					     (size_t)fds->count)
				  : 0;
		int *nums = kmalloc(sizeof(int) * (size_t)(fit ? fit : 1)), got = 0;

		for (int i = 0; nums && i < fit; i++) {
			long fd = fd_install(current_proc()->fds, fds->files[i],
					     flags & MSG_CMSG_CLOEXEC);

			if (fd < 0)
				break;
			fds->files[i] = NULL;
			nums[got++] = (int)fd;
		}
		if (got < fds->count)
			mi->m.msg_flags |= MSG_CTRUNC;
		if (got)
			used += put_cmsg(mi, used, SCM_RIGHTS, nums, sizeof(int) * (size_t)got);
		kfree(nums);
		for (int i = 0; i < fds->count; i++)
			if (fds->files[i])
				file_put(fds->files[i]);
		kfree(fds);
		mi->m.fds = NULL;
	}
	return used;
}

static long send_one(struct file *f, uintptr_t umsg, unsigned flags)
{
	struct msg_in mi;
	long r = msg_copy_in(umsg, &mi, true);

	if (!r)
		r = control_in(&mi);
	if (!r)
		r = sock_sendmsg(f, &mi.m, flags);
	msg_in_free(&mi);
	return r;
}

/* The results of a receive go back into the caller's msghdr. */
static long recv_done(struct msg_in *mi, uintptr_t umsg, unsigned flags)
{
	struct user_msghdr *h = &mi->h;
	size_t used = control_out(mi, flags);
	int namelen = mi->m.namelen;

	if (h->msg_name && namelen > 0 &&
	    copy_to_user(h->msg_name, mi->addr, (size_t)MIN(namelen, h->msg_namelen)))
		return -EFAULT;
	h->msg_namelen = h->msg_name ? namelen : 0;
	h->msg_controllen = used;
	h->msg_flags = mi->m.msg_flags;
	if (copy_to_user(umsg + offsetof(struct user_msghdr, msg_namelen), &h->msg_namelen,
			 sizeof(h->msg_namelen)) ||
	    copy_to_user(umsg + offsetof(struct user_msghdr, msg_controllen), &h->msg_controllen,
			 sizeof(h->msg_controllen)) ||
	    copy_to_user(umsg + offsetof(struct user_msghdr, msg_flags), &h->msg_flags,
			 sizeof(h->msg_flags)))
		return -EFAULT;
	return 0;
}

static long recv_one(struct file *f, uintptr_t umsg, unsigned flags)
{
	struct msg_in mi;
	long r = msg_copy_in(umsg, &mi, false), e;

	if (!r)
		r = sock_recvmsg(f, &mi.m, flags);
	if (r >= 0 && (e = recv_done(&mi, umsg, flags)))
		r = e;
	msg_in_free(&mi);
	return r;
}

SYSCALL_DEFINE3(sendmsg, int, fd, uintptr_t, umsg, unsigned, flags)
{
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	r = send_one(f, umsg, flags);
	file_put(f);
	return r;
}

SYSCALL_DEFINE3(recvmsg, int, fd, uintptr_t, umsg, unsigned, flags)
{
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	r = recv_one(f, umsg, flags);
	file_put(f);
	return r;
}

SYSCALL_DEFINE6(sendto, int, fd, uintptr_t, buf, size_t, len, unsigned, flags, uintptr_t, uaddr,
		int, alen)
{
	struct iobuf b = iobuf_user(buf, MIN(len, (size_t)MAX_RW_COUNT));
	struct kmsg m = { .data = { &b, 1, b.len } };
	char addr[SOCKADDR_MAX];
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);

	if (r)
		return r;
	if (!user_range_ok(buf, b.len))
		r = -EFAULT;
	else if (uaddr && !(r = addr_in(uaddr, alen, addr))) {
		m.name = addr;
		m.namelen = alen;
	}
	if (!r)
		r = sock_sendmsg(f, &m, flags);
	file_put(f);
	return r;
}

SYSCALL_DEFINE6(recvfrom, int, fd, uintptr_t, buf, size_t, len, unsigned, flags, uintptr_t, uaddr,
		uintptr_t, ulen)
{
	struct iobuf b = iobuf_user(buf, MIN(len, (size_t)MAX_RW_COUNT));
	char addr[SOCKADDR_MAX];
	struct kmsg m = { .name = addr, .data = { &b, 1, b.len } };
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s), e;

	if (r)
		return r;
	if (!user_range_ok(buf, b.len))
		r = -EFAULT;
	else
		r = sock_recvmsg(f, &m, flags);
	file_put(f);
	scm_fds_put(m.fds);
	if (r >= 0 && uaddr && (e = addr_out(addr, m.namelen, uaddr, ulen)))
		r = e;
	return r;
}

/*
 * sendmmsg and recvmmsg: one message after the other; the count done
 * survives a wait in the call's mmsg_progress. An error after the first
 * message ends the call with the count.
 */
static long do_mmsg(int fd, uintptr_t umsgs, unsigned vlen, unsigned flags, bool send,
		    uintptr_t utimeout)
{
	struct wait *w = current_wait();
	struct mmsg_progress *mp = progress_mmsg(w);
	struct socket *s;
	struct file *f;
	long r = sockfd(fd, &f, &s);
	unsigned i;

	if (r)
		return r;
	if (utimeout && !mp->deadline_ns) {
		struct user_timeval ts; /* a struct timespec: the same two 64-bit words */

		if (copy_from_user(&ts, utimeout, sizeof(ts)))
			r = -EFAULT;
		else if (ts.tv_sec < 0 || ts.tv_usec < 0 || ts.tv_usec >= 1000000000)
			r = -EINVAL;
		else
			mp->deadline_ns = deadline_after((uint64_t)ts.tv_sec * 1000000000ull +
							 (uint64_t)ts.tv_usec);
		if (r) {
			file_put(f);
			return r;
		}
	}
	vlen = MIN(vlen, (unsigned)UIO_MAXIOV);
	for (i = mp->done; i < vlen; i++) {
		uintptr_t um = umsgs + i * sizeof(struct user_mmsghdr);
		unsigned fl = flags & ~MSG_WAITFORONE;
		uint32_t n;

		if (!send && i && (flags & MSG_WAITFORONE))
			fl |= MSG_DONTWAIT;
		r = send ? send_one(f, um, fl) : recv_one(f, um, fl);
		if (r == -EWAIT && i) {
			mp->done = i;
			call_progress_kept(); /* a new run skips the messages done */
			w->partial = i;
		}
		if (r < 0)
			break;
		n = (uint32_t)r;
		if (copy_to_user(um + offsetof(struct user_mmsghdr, msg_len), &n, sizeof(n))) {
			r = -EFAULT;
			break;
		}
		if (mp->deadline_ns && clock_ns() >= mp->deadline_ns) {
			i++; /* the timeout is looked at after each message, as Linux */
			break;
		}
	}
	file_put(f);
	if (r == -EWAIT)
		return r;
	return i ? (long)i : r;
}

SYSCALL_DEFINE4(sendmmsg, int, fd, uintptr_t, msgs, unsigned, vlen, unsigned, flags)
{
	return do_mmsg(fd, msgs, vlen, flags, true, 0);
}

SYSCALL_DEFINE5(recvmmsg, int, fd, uintptr_t, msgs, unsigned, vlen, unsigned, flags, uintptr_t,
		timeout)
{
	return do_mmsg(fd, msgs, vlen, flags, false, timeout);
}
