/*
 * System call plumbing (kernel/syscall.c). Handlers are defined with
 * SYSCALL_DEFINEn(name, type1, arg1, ...), which gives each one typed
 * parameters and a uniform entry `long sys_name(const uint64_t *args)`;
 * sys/syscalls.def lists them by Linux x86-64 number and generates the
 * dispatch table. Handlers validate and copy their arguments (layer one),
 * call the subsystem (layer two), and return a value or -errno; one that
 * must wait returns -EWAIT (include/kernel/wait.h) and is run again later.
 */
#ifndef KERNEL_SYSCALL_H
#define KERNEL_SYSCALL_H

#include <lib/types.h>

#define SYSCALL_MAX 512

#define SYSCALL_ENTRY(name) long sys_##name(const uint64_t *a)

#define SYSCALL_DEFINE0(name)            \
	static long do_sys_##name(void); \
	SYSCALL_ENTRY(name)              \
	{                                \
		(void)a;                 \
		return do_sys_##name();  \
	}                                \
	static long do_sys_##name(void)
#define SYSCALL_DEFINE1(name, t1, a1)           \
	static long do_sys_##name(t1 a1);       \
	SYSCALL_ENTRY(name)                     \
	{                                       \
		return do_sys_##name((t1)a[0]); \
	}                                       \
	static long do_sys_##name(t1 a1)
#define SYSCALL_DEFINE2(name, t1, a1, t2, a2)             \
	static long do_sys_##name(t1 a1, t2 a2);          \
	SYSCALL_ENTRY(name)                               \
	{                                                 \
		return do_sys_##name((t1)a[0], (t2)a[1]); \
	}                                                 \
	static long do_sys_##name(t1 a1, t2 a2)
#define SYSCALL_DEFINE3(name, t1, a1, t2, a2, t3, a3)               \
	static long do_sys_##name(t1 a1, t2 a2, t3 a3);             \
	SYSCALL_ENTRY(name)                                         \
	{                                                           \
		return do_sys_##name((t1)a[0], (t2)a[1], (t3)a[2]); \
	}                                                           \
	static long do_sys_##name(t1 a1, t2 a2, t3 a3)
#define SYSCALL_DEFINE4(name, t1, a1, t2, a2, t3, a3, t4, a4)                 \
	static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4);                \
	SYSCALL_ENTRY(name)                                                   \
	{                                                                     \
		return do_sys_##name((t1)a[0], (t2)a[1], (t3)a[2], (t4)a[3]); \
	}                                                                     \
	static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4)
#define SYSCALL_DEFINE5(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5)                   \
	static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5);                   \
	SYSCALL_ENTRY(name)                                                             \
	{                                                                               \
		return do_sys_##name((t1)a[0], (t2)a[1], (t3)a[2], (t4)a[3], (t5)a[4]); \
	}                                                                               \
	static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5)
#define SYSCALL_DEFINE6(name, t1, a1, t2, a2, t3, a3, t4, a4, t5, a5, t6, a6)                     \
	static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6);                      \
	SYSCALL_ENTRY(name)                                                                       \
	{                                                                                         \
		return do_sys_##name((t1)a[0], (t2)a[1], (t3)a[2], (t4)a[3], (t5)a[4], (t6)a[5]); \
	}                                                                                         \
	static long do_sys_##name(t1 a1, t2 a2, t3 a3, t4 a4, t5 a5, t6 a6)

#define SYSCALL(nr, name) SYSCALL_ENTRY(name);
#include <sys/syscalls.def>
#undef SYSCALL

struct thread;
struct file;
struct dentry;

/* Helpers shared by the sys/ files. */
long copy_path(uintptr_t upath, char **out); /* kmalloc'd copy, free with kfree */
long at_base(int dirfd, const char *path, struct dentry **base);
struct file *fget(int fd);

struct user_iovec {
	uint64_t base, len;
};

/*
 * Copies the iovec array in and checks it, as Linux: -EINVAL for a count
 * over IOV_MAX or a length over SSIZE_MAX; lengths past MAX_RW_COUNT in
 * total are cut. *out is kmalloc'd (NULL for a count of 0).
 */
long iov_import(uintptr_t uiov, int count, struct user_iovec **out);

/* Runs the system call saved in t's registers until it completes (parking t while it waits). */
void syscall_run(struct thread *t);
/* Resets the per-call wait state before a call runs (its entry, or after a ptrace entry stop). */
void syscall_prepare(struct thread *t);
/*
 * A kernel thread runs fn(arg) as syscall_run runs a call: where fn would
 * sleep with a spinlock held (the VFS holds a directory's lock across the
 * service request that makes a name on ext2), the wait returns -EWAIT
 * instead, the thread sleeps until woken, and fn runs again from its start
 * with the service replies it already had. fn must be restartable as a
 * system call is. Returns fn's result.
 */
long kthread_call(long (*fn)(void *arg), void *arg);
/* The name of a system call number, or NULL. */
const char *syscall_name(unsigned nr);

#endif
