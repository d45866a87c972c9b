/*
 * In-kernel self-tests of the callback waiters (kernel/wait.c) and of
 * epoll over an eventfd (fs/eventpoll.c, fs/eventfd.c), through kernel
 * iobufs and calls that never wait (a kernel thread cannot wait the
 * stackless way): a callback stays linked across wake-ups, exclusive
 * callbacks stop at the first that woke someone, and an eventfd's write
 * reaches an epoll's ready list; every file is given back.
 */
#include <kernel/ktest.h>
#include <kernel/wait.h>
#include <fs/event.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

#define KBUF(p, n) (&(struct iobuf){ (uintptr_t)(p), (n), false })

struct counted {
	struct wait_callback cb;
	unsigned calls;
	bool woke; /* what it answers */
};

static bool count_call(struct wait_callback *cb, unsigned depth)
{
	struct counted *c = container_of(cb, struct counted, cb);

	(void)depth;
	c->calls++;
	return c->woke;
}

KTEST(wait_callback_stays_linked)
{
	struct wait_source src;
	struct counted a = { .cb = { .fn = count_call }, .woke = true };
	struct counted b = { .cb = { .fn = count_call }, .woke = false };

	wait_source_init(&src, "kt-callback");
	KT_ASSERT(!wait_has_callbacks(&src));
	wait_callback_add(&src, &a.cb);
	wait_callback_add(&src, &b.cb);
	KT_ASSERT(wait_has_callbacks(&src));
	KT_ASSERT(wait_wake_all(&src) == 1); /* a says it woke a thread, b not */
	KT_ASSERT(wait_wake_all(&src) == 1);
	KT_ASSERT(a.calls == 2 && b.calls == 2);
	KT_ASSERT(wait_wake_one(&src) == 0); /* no thread; callbacks still called */
	KT_ASSERT(a.calls == 3 && b.calls == 3);
	wait_callback_del(&a.cb);
	wait_wake_all(&src);
	KT_ASSERT(a.calls == 3 && b.calls == 4);
	wait_callback_del(&b.cb);
	wait_callback_del(&b.cb); /* twice: nothing */
	KT_ASSERT(!wait_has_callbacks(&src));
	KT_ASSERT(list_empty(&src.waiters));
}

KTEST(wait_callback_exclusive_stops_at_first_waker)
{
	struct wait_source src;
	struct counted a = { .cb = { .fn = count_call, .exclusive = true }, .woke = false };
	struct counted b = { .cb = { .fn = count_call, .exclusive = true }, .woke = true };
	struct counted c = { .cb = { .fn = count_call, .exclusive = true }, .woke = true };
	struct counted d = { .cb = { .fn = count_call }, .woke = false };

	wait_source_init(&src, "kt-callback");
	wait_callback_add(&src, &a.cb);
	wait_callback_add(&src, &b.cb);
	wait_callback_add(&src, &c.cb);
	wait_callback_add(&src, &d.cb);
	wait_wake_all(&src);
	/* a woke nobody, so b is called; b did, so c is skipped; d is not exclusive. */
	KT_ASSERT(a.calls == 1 && b.calls == 1 && c.calls == 0 && d.calls == 1);
	wait_callback_del(&a.cb);
	wait_callback_del(&b.cb);
	wait_callback_del(&c.cb);
	wait_callback_del(&d.cb);
	KT_ASSERT(!wait_has_callbacks(&src));
}

KTEST(epoll_eventfd_ready_list)
{
	int64_t files = vfs_live.files;
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data = 77 }, out[2];
	struct file *ep, *efd;
	uint64_t v = 5;

	KT_ASSERT(eventfd_create(0, EFD_NONBLOCK, &efd) == 0);
	KT_ASSERT(epoll_create(0, &ep) == 0);
	KT_ASSERT(epoll_ctl(ep, EPOLL_CTL_ADD, efd, 3, &ev) == 0);
	KT_ASSERT(epoll_ctl(ep, EPOLL_CTL_ADD, efd, 3, &ev) == -EEXIST);
	KT_ASSERT(epoll_ctl(ep, EPOLL_CTL_ADD, ep, 4, &ev) == -EINVAL);
	KT_ASSERT(epoll_collect(ep, out, 2) == 0);
	KT_ASSERT(vfs_poll(ep, false) == 0);
	KT_ASSERT(vfs_write(efd, KBUF(&v, 8)) == 8);
	KT_ASSERT(vfs_poll(ep, false) == (POLLIN | POLLRDNORM));
	KT_ASSERT(epoll_collect(ep, out, 2) == 1);
	KT_ASSERT(out[0].events == EPOLLIN && out[0].data == 77);
	KT_ASSERT(epoll_collect(ep, out, 2) == 0); /* edge-triggered: once */
	KT_ASSERT(vfs_read(efd, KBUF(&v, 8)) == 8 && v == 5);
	/* The eventfd's last reference goes: it leaves the interest list. */
	file_put(efd);
	KT_ASSERT(epoll_ctl(ep, EPOLL_CTL_DEL, ep, 3, NULL) == -EINVAL);
	file_put(ep);
	KT_ASSERT(vfs_live.files == files);
}
