/*
 * Creating processes and threads (kernel/clone.c): the common core of
 * clone, clone3, fork and vfork.
 */
#ifndef KERNEL_CLONE_H
#define KERNEL_CLONE_H

#include <lib/types.h>

struct process;

#define CLONE_VM	     0x00000100
#define CLONE_FS	     0x00000200
#define CLONE_FILES	     0x00000400
#define CLONE_SIGHAND	     0x00000800
#define CLONE_PIDFD	     0x00001000
#define CLONE_PTRACE	     0x00002000
#define CLONE_VFORK	     0x00004000
#define CLONE_PARENT	     0x00008000
#define CLONE_THREAD	     0x00010000
#define CLONE_SYSVSEM	     0x00040000
#define CLONE_SETTLS	     0x00080000
#define CLONE_PARENT_SETTID  0x00100000
#define CLONE_CHILD_CLEARTID 0x00200000
#define CLONE_DETACHED	     0x00400000
#define CLONE_UNTRACED	     0x00800000
#define CLONE_CHILD_SETTID   0x01000000

struct clone_args_k {
	uint64_t flags; /* CLONE_*, without the exit signal */
	int exit_signal;
	uintptr_t stack; /* new stack pointer, 0: the parent's */
	uintptr_t parent_tid, child_tid;
	uint64_t tls;
	uintptr_t pidfd; /* CLONE_PIDFD: where the parent's pidfd for the child goes */
};

/* Returns the new thread's id (to the caller; the child sees 0), or -errno. */
long do_clone(const struct clone_args_k *args);
/* A vfork child execs or exits: its parent may go on. */
void vfork_release(struct process *child);

#endif
