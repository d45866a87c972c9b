/*
 * Program execution (kernel/exec.c): execve's core, shared by the system
 * call and by the kernel starting init.
 */
#ifndef KERNEL_EXEC_H
#define KERNEL_EXEC_H

#include <lib/types.h>

#define ARG_MAX	       (2UL << 20)   /* all strings and pointers: RLIMIT_STACK / 4 */
#define MAX_ARG_STRLEN (32UL * 4096) /* one string */

/* Kernel copies of the argument and environment strings. */
struct exec_args {
	char *buf; /* the strings, NUL-separated, argv then envp */
	size_t used, cap;
	uint32_t *offs; /* offsets of argc + envc strings in buf */
	size_t argc, envc, cap_offs;
};

void exec_args_init(struct exec_args *a);
void exec_args_free(struct exec_args *a);
/* Appends a string to argv (before any envp) or to envp; -E2BIG or -ENOMEM. */
int exec_args_push(struct exec_args *a, const char *s, bool env);
/* Copies NULL-terminated argv and envp arrays from user memory. */
int exec_args_from_user(struct exec_args *a, uintptr_t uargv, uintptr_t uenvp);

/* Replaces the current process's program. On success the thread's registers start the new one. */
int exec_program(const char *path, struct exec_args *a);

#endif
