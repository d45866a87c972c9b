/*
 * The futex system call (layer one); the work is in kernel/futex.c, and
 * the robust-list and rseq registrations that threads libraries make.
 */
#include <kernel/syscall.h>
#include <kernel/futex.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <uapi/errno.h>

SYSCALL_DEFINE6(futex, uintptr_t, uaddr, int, op, uint32_t, val, uintptr_t, timeout, uintptr_t,
		uaddr2, uint32_t, val3)
{
	return futex_op(uaddr, op, val, timeout, uaddr2, val3);
}

#define ROBUST_LIST_HEAD_SIZE 24

SYSCALL_DEFINE2(set_robust_list, uintptr_t, head, size_t, len)
{
	if (len != ROBUST_LIST_HEAD_SIZE)
		return -EINVAL;
	current_thread()->robust_list = head;
	return 0;
}

SYSCALL_DEFINE3(get_robust_list, int, pid, uintptr_t, head_ptr, uintptr_t, len_ptr)
{
	struct thread *t = current_thread();
	uint64_t len = ROBUST_LIST_HEAD_SIZE;

	if (pid && pid != t->tid)
		return -ESRCH;
	if (copy_to_user(head_ptr, &t->robust_list, sizeof(t->robust_list)) ||
	    copy_to_user(len_ptr, &len, sizeof(len)))
		return -EFAULT;
	return 0;
}

/* Restartable sequences are not provided; C libraries fall back without them, as on Linux with rseq disabled. */
SYSCALL_DEFINE4(rseq, uintptr_t, rseq, uint32_t, len, int, flags, uint32_t, sig)
{
	(void)rseq, (void)len, (void)flags, (void)sig;
	return -ENOSYS;
}
