/*
 * inotify: every event kind (create, open, access, modify, attrib,
 * close_write/close_nowrite, delete, delete_self, move_self, moved_from and
 * moved_to with one cookie, unmount, IN_IGNORED), the watch flags
 * (IN_ONLYDIR, IN_DONT_FOLLOW, IN_EXCL_UNLINK, IN_MASK_ADD, IN_MASK_CREATE,
 * IN_ONESHOT), coalescing of identical consecutive events, the queue's
 * overflow at 16384 events, FIONREAD, a blocking read woken by another
 * process, poll and epoll, and the error paths (EBADF, EINVAL, ENOTDIR,
 * EEXIST, ENOENT, EFAULT, EAGAIN, a short read buffer). Each case works in
 * a directory of its own under $INOTIFY_BASE (default /tmp, a tmpfs):
 * tests/system/test_user.py runs them again on an ext2 root with
 * INOTIFY_BASE=/, where one case also crashes the ext2 service under a
 * watched directory. Checked on Linux.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/inotify.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAXEV 64

struct ev {
	int wd;
	uint32_t mask, cookie;
	char name[64];
};

static char dir[64];

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts))
		;
}

/* Where the cases' directories go: $INOTIFY_BASE, or /tmp. */
static const char *base(void)
{
	const char *b = getenv("INOTIFY_BASE");

	return b ? b : "/tmp";
}

/* A fresh directory for the case; files are named relative to it. */
static void fresh_dir(const char *name)
{
	char cmd[160];

	snprintf(dir, sizeof(dir), "%s%sino-%s", base(), strcmp(base(), "/") ? "/" : "", name);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	UT_EQ(system(cmd), 0);
	UT_NOERR(mkdir(dir, 0755));
}

static const char *at(const char *name)
{
	static char paths[4][128];
	static int i;
	char *p = paths[i++ & 3];

	snprintf(p, 128, "%s/%s", dir, name);
	return p;
}

/* Reads whatever is queued (fd non-blocking) into evs; returns the count. */
static int drain(int fd, struct ev *evs, int max)
{
	char buf[8192] __attribute__((aligned(8)));
	int n = 0;

	for (;;) {
		ssize_t len = read(fd, buf, sizeof(buf));

		if (len < 0) {
			UT_EQ(errno, EAGAIN);
			return n;
		}
		for (char *p = buf; p < buf + len;) {
			struct inotify_event *e = (struct inotify_event *)p;

			if (n < max) {
				evs[n].wd = e->wd;
				evs[n].mask = e->mask;
				evs[n].cookie = e->cookie;
				snprintf(evs[n].name, sizeof(evs[n].name), "%s",
					 e->len ? e->name : "");
				UT_EQ(e->len % sizeof(struct inotify_event), 0);
			}
			n++;
			p += sizeof(*e) + e->len;
		}
	}
}

/* The queue must hold exactly these (wd, mask, name) events. */
struct want {
	int wd;
	uint32_t mask;
	const char *name;
};

#define EXPECT(fd, ...)                                                         \
	do {                                                                    \
		const struct want w_[] = { __VA_ARGS__ };                       \
		expect_at(__LINE__, fd, w_, (int)(sizeof(w_) / sizeof(w_[0]))); \
	} while (0)

static void expect_at(int line, int fd, const struct want *w, int nw)
{
	struct ev evs[MAXEV];
	int n = drain(fd, evs, MAXEV);

	for (int i = 0; i < n && i < MAXEV; i++)
		if (i >= nw || evs[i].wd != w[i].wd || evs[i].mask != w[i].mask ||
		    strcmp(evs[i].name, w[i].name))
			ut_fail(__FILE__, line, "event %d: wd %d mask %#x name '%s'", i, evs[i].wd,
				evs[i].mask, evs[i].name);
	if (n != nw)
		ut_fail(__FILE__, line, "%d events, expected %d", n, nw);
}

static int new_fd(void)
{
	return UT_NOERR(inotify_init1(IN_NONBLOCK | IN_CLOEXEC));
}

static void touch(const char *path)
{
	UT_NOERR(close(UT_NOERR(open(path, O_CREAT | O_WRONLY, 0644))));
}

UT_CASE(init_and_add_watch_errors)
{
	int fd = new_fd(), pfd[2];
	char buf[64], link[64], path[64];
	ssize_t n;

	fresh_dir("errors");
	touch(at("f"));
	UT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	UT_EQ(fcntl(fd, F_GETFL) & (O_NONBLOCK | O_ACCMODE), O_NONBLOCK | O_RDONLY);
	UT_ERRNO(inotify_init1(0x10), EINVAL);
	UT_ERRNO(inotify_add_watch(fd, dir, 0), EINVAL);
	UT_ERRNO(inotify_add_watch(fd, dir, IN_OPEN | IN_MASK_ADD | IN_MASK_CREATE), EINVAL);
	UT_ERRNO(inotify_add_watch(-1, dir, IN_OPEN), EBADF);
	UT_ERRNO(inotify_add_watch(99, dir, IN_OPEN), EBADF);
	UT_NOERR(pipe(pfd));
	UT_ERRNO(inotify_add_watch(pfd[0], dir, IN_OPEN), EINVAL);
	UT_ERRNO(inotify_add_watch(fd, at("nothing"), IN_OPEN), ENOENT);
	UT_ERRNO(inotify_add_watch(fd, (const char *)8, IN_OPEN), EFAULT);
	UT_ERRNO(inotify_add_watch(fd, at("f"), IN_OPEN | IN_ONLYDIR), ENOTDIR);
	int wd = UT_NOERR(inotify_add_watch(fd, at("f"), IN_OPEN));
	UT_EQ(wd, 1);
	UT_ERRNO(inotify_add_watch(fd, at("f"), IN_OPEN | IN_MASK_CREATE), EEXIST);
	UT_EQ(inotify_add_watch(fd, at("f"), IN_CLOSE), wd); /* the same watch */
	UT_EQ(inotify_add_watch(fd, dir, IN_OPEN), 2);
	UT_ERRNO(inotify_rm_watch(fd, 77), EINVAL);
	UT_ERRNO(inotify_rm_watch(-1, wd), EBADF);
	UT_ERRNO(inotify_rm_watch(pfd[0], wd), EINVAL);
	UT_ERRNO(read(fd, buf, sizeof(buf)), EAGAIN);
	UT_ERRNO(write(fd, buf, 1), EBADF);
	touch(at("f")); /* IN_OPEN on the directory's watch, with the name "f" */
	UT_ERRNO(read(fd, buf, sizeof(struct inotify_event)), EINVAL); /* no room for the name */
	UT_EQ(ut_raw3(SYS_read, fd, 8, 64), -EFAULT);
	EXPECT(fd, { wd, IN_CLOSE_WRITE, "" }); /* EFAULT lost the first event only, as Linux */
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = UT_NOERR(readlink(path, link, sizeof(link) - 1));
	link[n] = 0;
	UT_EQ(strcmp(link, "anon_inode:inotify"), 0);
	UT_NOERR(inotify_rm_watch(fd, wd));
	UT_ERRNO(inotify_rm_watch(fd, wd), EINVAL);
	EXPECT(fd, { wd, IN_IGNORED, "" });
	close(pfd[0]);
	close(pfd[1]);
	close(fd);
}

UT_CASE(directory_events)
{
	int fd = new_fd(), f, wd;
	char c = 0;

	fresh_dir("dir");
	wd = UT_NOERR(inotify_add_watch(fd, dir, IN_ALL_EVENTS));
	f = UT_NOERR(open(at("f"), O_CREAT | O_RDWR, 0644));
	UT_EQ(write(f, "x", 1), 1);
	UT_EQ(pread(f, &c, 1, 0), 1);
	UT_NOERR(fchmod(f, 0600));
	UT_NOERR(ftruncate(f, 0));
	close(f);
	f = UT_NOERR(open(at("f"), O_RDONLY));
	close(f);
	UT_NOERR(mkdir(at("sub"), 0755));
	UT_NOERR(symlink("f", at("link")));
	UT_NOERR(link(at("f"), at("hard")));
	UT_NOERR(unlink(at("hard")));
	UT_NOERR(unlink(at("link")));
	UT_NOERR(rmdir(at("sub")));
	UT_NOERR(unlink(at("f")));
	EXPECT(fd, { wd, IN_CREATE, "f" }, { wd, IN_OPEN, "f" }, { wd, IN_MODIFY, "f" },
	       { wd, IN_ACCESS, "f" }, { wd, IN_ATTRIB, "f" }, { wd, IN_MODIFY, "f" },
	       { wd, IN_CLOSE_WRITE, "f" }, { wd, IN_OPEN, "f" }, { wd, IN_CLOSE_NOWRITE, "f" },
	       { wd, IN_CREATE | IN_ISDIR, "sub" }, { wd, IN_CREATE, "link" },
	       { wd, IN_CREATE, "hard" }, { wd, IN_DELETE, "hard" }, { wd, IN_DELETE, "link" },
	       { wd, IN_DELETE | IN_ISDIR, "sub" }, { wd, IN_DELETE, "f" });
	/* The directory itself: listing it, then removing it. */
	f = UT_NOERR(open(dir, O_RDONLY | O_DIRECTORY));
	{
		char buf[512];

		while (UT_NOERR(syscall(SYS_getdents64, f, buf, sizeof(buf))) > 0)
			;
	}
	close(f);
	UT_NOERR(rmdir(dir));
	EXPECT(fd, { wd, IN_OPEN | IN_ISDIR, "" }, { wd, IN_ACCESS | IN_ISDIR, "" },
	       { wd, IN_CLOSE_NOWRITE | IN_ISDIR, "" }, { wd, IN_DELETE_SELF, "" },
	       { wd, IN_IGNORED, "" });
	close(fd);
}

UT_CASE(file_events_to_the_end)
{
	int fd = new_fd(), f, wd;
	char c;

	fresh_dir("file");
	UT_NOERR(mkdir(at("other"), 0755));
	touch(at("f"));
	wd = UT_NOERR(inotify_add_watch(fd, at("f"), IN_ALL_EVENTS));
	f = UT_NOERR(open(at("f"), O_RDONLY));
	UT_EQ(read(f, &c, 1), 0); /* nothing read: no IN_ACCESS */
	close(f);
	UT_NOERR(chmod(at("f"), 0640));
	UT_NOERR(truncate(at("f"), 10));
	UT_NOERR(rename(at("f"), at("other/g")));
	f = UT_NOERR(open(at("other/g"), O_RDONLY));
	UT_EQ(read(f, &c, 1), 1);
	UT_NOERR(unlink(at("other/g"))); /* still open: no IN_DELETE_SELF yet */
	EXPECT(fd, { wd, IN_OPEN, "" }, { wd, IN_CLOSE_NOWRITE, "" }, { wd, IN_ATTRIB, "" },
	       { wd, IN_MODIFY, "" }, { wd, IN_MOVE_SELF, "" }, { wd, IN_OPEN, "" },
	       { wd, IN_ACCESS, "" }, { wd, IN_ATTRIB, "" });
	close(f);
	EXPECT(fd, { wd, IN_CLOSE_NOWRITE, "" }, { wd, IN_DELETE_SELF, "" },
	       { wd, IN_IGNORED, "" });
	UT_ERRNO(inotify_rm_watch(fd, wd), EINVAL); /* it went with the file */
	close(fd);
}

UT_CASE(open_with_o_trunc)
{
	int fd = new_fd(), f, wd;

	fresh_dir("trunc");
	f = UT_NOERR(open(at("f"), O_CREAT | O_WRONLY, 0644));
	UT_EQ(write(f, "abc", 3), 3);
	close(f);
	wd = UT_NOERR(inotify_add_watch(fd, at("f"), IN_ALL_EVENTS));
	close(UT_NOERR(open(at("f"), O_WRONLY | O_TRUNC)));
	EXPECT(fd, { wd, IN_OPEN, "" }, { wd, IN_MODIFY, "" }, { wd, IN_CLOSE_WRITE, "" });
	close(fd);
}

UT_CASE(moves_share_a_cookie)
{
	int fd = new_fd(), a, b, t;
	struct ev evs[MAXEV];

	fresh_dir("move");
	UT_NOERR(mkdir(at("a"), 0755));
	UT_NOERR(mkdir(at("b"), 0755));
	touch(at("a/x"));
	touch(at("b/target"));
	a = UT_NOERR(inotify_add_watch(fd, at("a"), IN_MOVE | IN_DELETE));
	b = UT_NOERR(inotify_add_watch(fd, at("b"), IN_MOVE | IN_DELETE));
	t = UT_NOERR(inotify_add_watch(fd, at("b/target"), IN_ATTRIB | IN_DELETE_SELF));
	UT_NOERR(rename(at("a/x"), at("b/y")));
	UT_NOERR(rename(at("b/y"), at("b/target"))); /* replaces a watched file */
	UT_NOERR(rename(at("b/target"), at("a/d")));
	UT_EQ(drain(fd, evs, MAXEV), 9);
	UT_EQ(evs[0].wd, a);
	UT_EQ(evs[0].mask, IN_MOVED_FROM);
	UT_EQ(strcmp(evs[0].name, "x"), 0);
	UT_EQ(evs[1].wd, b);
	UT_EQ(evs[1].mask, IN_MOVED_TO);
	UT_EQ(strcmp(evs[1].name, "y"), 0);
	UT_NE(evs[0].cookie, 0);
	UT_EQ(evs[0].cookie, evs[1].cookie);
	UT_EQ(evs[2].mask, IN_MOVED_FROM);
	UT_EQ(evs[3].mask, IN_MOVED_TO);
	UT_EQ(evs[2].cookie, evs[3].cookie);
	UT_NE(evs[2].cookie, evs[0].cookie);
	UT_EQ(strcmp(evs[3].name, "target"), 0);
	UT_EQ(evs[4].wd, t);
	UT_EQ(evs[4].mask, IN_ATTRIB); /* the replaced file's link count */
	UT_EQ(evs[5].wd, t);
	UT_EQ(evs[5].mask, IN_DELETE_SELF);
	UT_EQ(evs[6].wd, t);
	UT_EQ(evs[6].mask, IN_IGNORED);
	UT_EQ(evs[7].wd, b);
	UT_EQ(evs[7].mask, IN_MOVED_FROM);
	UT_EQ(evs[8].wd, a);
	UT_EQ(evs[8].mask, IN_MOVED_TO);
	UT_EQ(evs[7].cookie, evs[8].cookie);
	close(fd);
}

UT_CASE(coalescing_and_fionread)
{
	int fd = new_fd(), f, wd, n = -1;

	fresh_dir("coalesce");
	f = UT_NOERR(open(at("f"), O_CREAT | O_WRONLY, 0644));
	wd = UT_NOERR(inotify_add_watch(fd, at("f"), IN_MODIFY));
	UT_NOERR(ioctl(fd, FIONREAD, &n));
	UT_EQ(n, 0);
	for (int i = 0; i < 5; i++)
		UT_EQ(write(f, "abc", 3), 3);
	UT_NOERR(ioctl(fd, FIONREAD, &n));
	UT_EQ(n, sizeof(struct inotify_event)); /* five writes, one event */
	UT_NOERR(inotify_add_watch(fd, dir, IN_MODIFY));
	UT_EQ(write(f, "abc", 3), 3); /* the file's event, then the directory's with a name */
	UT_EQ(write(f, "abc", 3), 3);
	UT_NOERR(ioctl(fd, FIONREAD, &n));
	UT_EQ(n, 5 * sizeof(struct inotify_event) + 2 * 16);
	/* The directory's event comes first, then the file's, as Linux. */
	EXPECT(fd, { wd, IN_MODIFY, "" }, { 2, IN_MODIFY, "f" }, { wd, IN_MODIFY, "" },
	       { 2, IN_MODIFY, "f" }, { wd, IN_MODIFY, "" });
	close(f);
	close(fd);
}

UT_CASE(oneshot_mask_add_and_replace)
{
	int fd = new_fd(), wd;

	fresh_dir("flags");
	touch(at("f"));
	wd = UT_NOERR(inotify_add_watch(fd, at("f"), IN_OPEN | IN_ONESHOT));
	close(UT_NOERR(open(at("f"), O_RDONLY)));
	close(UT_NOERR(open(at("f"), O_RDONLY)));
	EXPECT(fd, { wd, IN_OPEN, "" }, { wd, IN_IGNORED, "" });
	wd = UT_NOERR(inotify_add_watch(fd, at("f"), IN_OPEN));
	UT_EQ(wd, 2); /* a new watch descriptor, not the freed one */
	UT_EQ(inotify_add_watch(fd, at("f"), IN_CLOSE_NOWRITE | IN_MASK_ADD), wd);
	close(UT_NOERR(open(at("f"), O_RDONLY)));
	EXPECT(fd, { wd, IN_OPEN, "" }, { wd, IN_CLOSE_NOWRITE, "" });
	UT_EQ(inotify_add_watch(fd, at("f"), IN_CLOSE_NOWRITE), wd); /* replaces IN_OPEN */
	close(UT_NOERR(open(at("f"), O_RDONLY)));
	EXPECT(fd, { wd, IN_CLOSE_NOWRITE, "" });
	close(fd);
}

UT_CASE(excl_unlink_and_dont_follow)
{
	int fd = new_fd(), f, g, wd;

	fresh_dir("excl");
	UT_NOERR(mkdir(at("d"), 0755));
	f = UT_NOERR(open(at("f"), O_CREAT | O_WRONLY, 0644));
	g = UT_NOERR(open(at("g"), O_CREAT | O_WRONLY, 0644));
	wd = UT_NOERR(inotify_add_watch(fd, dir, IN_MODIFY | IN_DELETE | IN_EXCL_UNLINK));
	UT_NOERR(unlink(at("f")));
	UT_EQ(write(f, "x", 1), 1); /* unlinked: not reported to the directory */
	UT_EQ(write(g, "x", 1), 1);
	EXPECT(fd, { wd, IN_DELETE, "f" }, { wd, IN_MODIFY, "g" });
	UT_NOERR(inotify_add_watch(fd, dir, IN_MODIFY)); /* without IN_EXCL_UNLINK */
	UT_EQ(write(f, "x", 1), 1);
	EXPECT(fd, { wd, IN_MODIFY, "f" });
	close(f);
	close(g);
	/* A symlink: followed unless IN_DONT_FOLLOW. */
	UT_NOERR(symlink("d", at("ld")));
	UT_EQ(inotify_add_watch(fd, at("ld"), IN_ATTRIB | IN_ONLYDIR), 2); /* d itself */
	UT_ERRNO(inotify_add_watch(fd, at("ld"), IN_ATTRIB | IN_ONLYDIR | IN_DONT_FOLLOW), ENOTDIR);
	UT_EQ(inotify_add_watch(fd, at("ld"), IN_ATTRIB | IN_DONT_FOLLOW), 3); /* the link */
	UT_EQ(inotify_add_watch(fd, at("d"), IN_ATTRIB | IN_MASK_ADD), 2);
	UT_NOERR(chmod(at("ld"), 0700)); /* follows: d changes */
	EXPECT(fd, { 2, IN_ATTRIB | IN_ISDIR, "" });
	close(fd);
}

UT_CASE(queue_overflow)
{
	int fd = new_fd(), f, wd;
	struct ev *evs = calloc(17000, sizeof(*evs));
	char c = 0;
	int n;

	fresh_dir("overflow");
	{
		FILE *lim = fopen("/proc/sys/fs/inotify/max_queued_events", "r");
		int max = 0, instances = 0;

		UT_CHECK(lim && fscanf(lim, "%d", &max) == 1);
		fclose(lim);
		UT_EQ(max, 16384); /* Linux's default, fixed on Axolotl */
		lim = fopen("/proc/sys/fs/inotify/max_user_instances", "r");
		UT_CHECK(lim && fscanf(lim, "%d", &instances) == 1);
		fclose(lim);
		UT_EQ(instances, 128);
	}
	f = UT_NOERR(open(at("f"), O_CREAT | O_RDWR, 0644));
	UT_EQ(write(f, "x", 1), 1);
	wd = UT_NOERR(inotify_add_watch(fd, at("f"), IN_MODIFY | IN_ACCESS));
	for (int i = 0; i < 8200; i++) { /* alternating: nothing coalesces */
		UT_EQ(pwrite(f, "x", 1, 0), 1);
		UT_EQ(pread(f, &c, 1, 0), 1);
	}
	n = drain(fd, evs, 17000);
	UT_EQ(n, 16385);
	UT_EQ(evs[0].wd, wd);
	UT_EQ(evs[16383].mask, IN_ACCESS);
	UT_EQ(evs[16384].wd, -1);
	UT_EQ(evs[16384].mask, IN_Q_OVERFLOW);
	UT_EQ(pwrite(f, "x", 1, 0), 1); /* room again */
	EXPECT(fd, { wd, IN_MODIFY, "" });
	free(evs);
	close(f);
	close(fd);
}

UT_CASE(blocking_read_poll_and_epoll)
{
	int fd = UT_NOERR(inotify_init()), ep, wd;
	struct epoll_event ee = { .events = EPOLLIN }, got;
	struct pollfd p = { fd, POLLIN, 0 };
	char buf[256];
	pid_t pid;

	fresh_dir("block");
	wd = UT_NOERR(inotify_add_watch(fd, dir, IN_CREATE));
	ep = UT_NOERR(epoll_create1(0));
	UT_NOERR(epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ee));
	UT_EQ(poll(&p, 1, 0), 0);
	UT_EQ(epoll_wait(ep, &got, 1, 0), 0);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		sleep_ms(50);
		touch(at("late"));
		_exit(0);
	}
	ssize_t n = UT_NOERR(read(fd, buf, sizeof(buf))); /* blocks until the child creates */
	struct inotify_event *e = (struct inotify_event *)buf;
	UT_EQ(n, sizeof(*e) + 16);
	UT_EQ(e->wd, wd);
	UT_EQ(e->mask, IN_CREATE);
	UT_EQ(strcmp(e->name, "late"), 0);
	UT_CHILD_OK(pid);
	touch(at("second"));
	UT_EQ(poll(&p, 1, 0), 1);
	UT_EQ(p.revents, POLLIN);
	UT_EQ(epoll_wait(ep, &got, 1, 0), 1);
	UT_EQ(got.events, EPOLLIN);
	UT_EQ(read(fd, buf, sizeof(buf)), sizeof(*e) + 16);
	UT_EQ(poll(&p, 1, 0), 0);
	close(ep);
	close(fd);
}

UT_CASE(unmount_ends_watches)
{
	int fd = new_fd(), wr, wf;
	struct ev evs[MAXEV];

	fresh_dir("umount");
	UT_NOERR(mkdir(at("mnt"), 0755));
	UT_NOERR(mount("scratch", at("mnt"), "tmpfs", 0, NULL));
	touch(at("mnt/f"));
	wr = UT_NOERR(inotify_add_watch(fd, at("mnt"), IN_CREATE));
	wf = UT_NOERR(inotify_add_watch(fd, at("mnt/f"), IN_OPEN));
	UT_NOERR(umount(at("mnt"))); /* watches do not make it busy */
	/* Each watch: IN_UNMOUNT then IN_IGNORED; which inode comes first is Linux's inode list's. */
	UT_EQ(drain(fd, evs, MAXEV), 4);
	UT_CHECK((evs[0].wd == wr && evs[2].wd == wf) || (evs[0].wd == wf && evs[2].wd == wr));
	for (int i = 0; i < 4; i += 2) {
		UT_EQ(evs[i].wd, evs[i + 1].wd);
		UT_EQ(evs[i].mask, IN_UNMOUNT | (evs[i].wd == wr ? IN_ISDIR : 0));
		UT_EQ(evs[i + 1].mask, IN_IGNORED);
	}
	close(fd);
}

/* The ext2 service's crash count in /proc/services, or -1 without one (Linux, not on ext2). */
static long ext2_crashes(void)
{
	char buf[4096], *line;
	struct statfs sf;
	ssize_t n;
	long c = -1;
	int fd;

	UT_NOERR(statfs(base(), &sf));
	fd = open("/proc/services", O_RDONLY);
	if (fd < 0 || sf.f_type != 0xEF53) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	n = UT_NOERR(read(fd, buf, sizeof(buf) - 1));
	close(fd);
	buf[n] = 0;
	line = strstr(buf, "ext2 ");
	UT_CHECK(line && sscanf(line, "ext2 served=%*u crashes=%ld", &c) == 1);
	return c;
}

/*
 * On ext2 (INOTIFY_BASE on an ext2 root) the ext2 service of Axolotl panics at the create's
 * request and is restarted; the watches live in the core with the inodes,
 * so the event comes all the same (elsewhere: the same create, no crash).
 */
UT_CASE(watches_survive_an_ext2_service_crash)
{
	int fd = new_fd(), wd, f;
	long before;

	fresh_dir("svc");
	wd = UT_NOERR(inotify_add_watch(fd, dir, IN_CREATE | IN_MODIFY));
	before = ext2_crashes();
	if (before >= 0) {
		f = UT_NOERR(open("/proc/fault_inject", O_WRONLY | O_TRUNC));
		UT_EQ(write(f, "ext2 panic next", 15), 15);
		close(f);
	}
	f = UT_NOERR(open(at("f"), O_CREAT | O_WRONLY, 0644));
	if (before >= 0)
		UT_EQ(ext2_crashes(), before + 1);
	UT_EQ(write(f, "x", 1), 1);
	close(f);
	EXPECT(fd, { wd, IN_CREATE, "f" }, { wd, IN_MODIFY, "f" });
	close(fd);
}

UT_CASE(closing_the_instance_drops_its_watches)
{
	int fd = new_fd();

	fresh_dir("close");
	touch(at("f"));
	UT_NOERR(inotify_add_watch(fd, at("f"), IN_ALL_EVENTS));
	UT_NOERR(inotify_add_watch(fd, dir, IN_ALL_EVENTS));
	touch(at("f"));
	close(fd); /* events still queued: freed with the instance */
	UT_NOERR(unlink(at("f")));
	UT_NOERR(rmdir(dir));
}
