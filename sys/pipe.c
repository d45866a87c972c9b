/*
 * pipe and pipe2 (layer one; fs/pipe.c makes the pipe). The two ends are
 * installed as the lowest free descriptors, read end first; if the array
 * cannot be written back both are closed again and the call fails with
 * -EFAULT.
 */
#include <kernel/syscall.h>
#include <kernel/proc.h>
#include <kernel/uaccess.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <fs/pipe.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>

static long do_pipe2(uintptr_t ufds, int flags)
{
	struct fd_table *t = current_proc()->fds;
	struct file *rd, *wr;
	int fds[2];
	long r;

	/* O_DIRECT (packet mode) and O_NOTIFICATION_PIPE are not supported. */
	if (flags & ~(O_CLOEXEC | O_NONBLOCK))
		return -EINVAL;
	if (!user_range_ok(ufds, sizeof(fds)))
		return -EFAULT;
	r = pipe_create(flags & O_NONBLOCK, &rd, &wr);
	if (r)
		return r;
	r = fd_install(t, rd, flags & O_CLOEXEC);
	if (r < 0) {
		file_put(rd);
		file_put(wr);
		return r;
	}
	fds[0] = (int)r;
	r = fd_install(t, wr, flags & O_CLOEXEC);
	if (r < 0) {
		file_put(wr);
		fd_close(t, fds[0]);
		return r;
	}
	fds[1] = (int)r;
	if (copy_to_user(ufds, fds, sizeof(fds))) {
		fd_close(t, fds[0]);
		fd_close(t, fds[1]);
		return -EFAULT;
	}
	return 0;
}

SYSCALL_DEFINE1(pipe, uintptr_t, fds)
{
	return do_pipe2(fds, 0);
}

SYSCALL_DEFINE2(pipe2, uintptr_t, fds, int, flags)
{
	return do_pipe2(fds, flags);
}
