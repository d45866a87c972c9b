/*
 * In-kernel self-tests of pipes and FIFOs (fs/pipe.c) through kernel
 * iobufs and non-blocking files (a kernel thread cannot wait the
 * stackless way): data through many turns of the ring, capacity, poll
 * masks, end of file, FIFO opens, and that every pipe, file, inode and
 * dentry is given back.
 */
#include <kernel/ktest.h>
#include <kernel/thread.h>
#include <fs/vfs.h>
#include <fs/pipe.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/poll.h>

#define KBUF(p, n) (&(struct iobuf){ (uintptr_t)(p), (n), false })

KTEST(pipe_ring_wraps)
{
	int64_t pipes = pipe_count(), files = vfs_live.files, inodes = vfs_live.inodes;
	static unsigned char out[PIPE_SIZE], in[PIPE_SIZE];
	struct file *rd, *wr;
	uint32_t wseq = 0, rseq = 0;
	size_t total = 0;
	ssize_t n;

	KT_ASSERT(pipe_create(O_NONBLOCK, &rd, &wr) == 0);
	KT_ASSERT(pipe_count() == pipes + 1);
	KT_ASSERT(vfs_read(rd, KBUF(in, 10)) == -EAGAIN);
	KT_ASSERT(vfs_poll(rd, false) == 0);
	KT_ASSERT(vfs_poll(wr, false) == (POLLOUT | POLLWRNORM));
	/* Writes of 5000 and reads of 3001 bytes: the ring wraps at every offset. */
	while (total < 8 * PIPE_SIZE) {
		for (size_t i = 0; i < 5000; i++)
			out[i] = (unsigned char)(wseq + i);
		n = vfs_write(wr, KBUF(out, 5000));
		KT_ASSERT(n > 0);
		wseq += (uint32_t)n;
		n = vfs_read(rd, KBUF(in, 3001));
		KT_ASSERT(n > 0);
		for (ssize_t i = 0; i < n; i++)
			KT_ASSERT(in[i] == (unsigned char)(rseq + i));
		rseq += (uint32_t)n;
		total += (size_t)n;
	}
	KT_ASSERT(vfs_poll(rd, false) == (POLLIN | POLLRDNORM));
	/* Full: exactly PIPE_SIZE bytes in, then EAGAIN and no POLLOUT. */
	while ((n = vfs_write(wr, KBUF(out, 5000))) > 0) /* not atomic: fills every byte */
		wseq += (uint32_t)n;
	KT_ASSERT(n == -EAGAIN);
	KT_ASSERT(wseq - rseq == PIPE_SIZE);
	KT_ASSERT(vfs_poll(wr, false) == 0);
	/* The writer goes: the rest, then end of file, with POLLHUP. */
	file_put(wr);
	KT_ASSERT(vfs_poll(rd, false) == (POLLIN | POLLRDNORM | POLLHUP));
	KT_ASSERT(vfs_read(rd, KBUF(in, PIPE_SIZE)) == PIPE_SIZE);
	KT_ASSERT(vfs_read(rd, KBUF(in, 1)) == 0);
	KT_ASSERT(vfs_poll(rd, false) == POLLHUP);
	file_put(rd);
	KT_ASSERT(pipe_count() == pipes);
	KT_ASSERT(vfs_live.files == files && vfs_live.inodes == inodes);
}

KTEST(pipe_fifo_opens)
{
	int64_t pipes = pipe_count();
	struct file *rd, *wr, *rw;
	char buf[8];

	vfs_init();
	KT_ASSERT(vfs_mknod(NULL, "/kt_pipe_fifo", S_IFIFO | 0600, 0) == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_pipe_fifo", O_WRONLY | O_NONBLOCK, 0, &wr) == -ENXIO);
	KT_ASSERT(pipe_count() == pipes);
	KT_ASSERT(vfs_openat(NULL, "/kt_pipe_fifo", O_RDONLY | O_NONBLOCK, 0, &rd) == 0);
	KT_ASSERT(vfs_poll(rd, false) == 0); /* no POLLHUP before a writer came */
	KT_ASSERT(vfs_openat(NULL, "/kt_pipe_fifo", O_WRONLY | O_NONBLOCK, 0, &wr) == 0);
	KT_ASSERT(vfs_openat(NULL, "/kt_pipe_fifo", O_RDWR, 0, &rw) == 0);
	KT_ASSERT(pipe_count() == pipes + 1);
	KT_ASSERT(vfs_write(wr, KBUF("fifo", 4)) == 4);
	KT_ASSERT(vfs_read(rw, KBUF(buf, 2)) == 2 && !memcmp(buf, "fi", 2));
	KT_ASSERT(vfs_read(rd, KBUF(buf, 8)) == 2 && !memcmp(buf, "fo", 2));
	file_put(wr);
	file_put(rw);
	KT_ASSERT(vfs_poll(rd, false) == POLLHUP);
	KT_ASSERT(vfs_read(rd, KBUF(buf, 8)) == 0);
	file_put(rd);
	KT_ASSERT(pipe_count() == pipes);
	KT_ASSERT(vfs_unlink(NULL, "/kt_pipe_fifo") == 0);
}
