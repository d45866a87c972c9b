/*
 * execve (layer one: copy the path and the argument arrays from user
 * memory; kernel/exec.c does the rest), and personality, which says how
 * the next exec lays out the address space (ADDR_NO_RANDOMIZE).
 */
#include <kernel/syscall.h>
#include <kernel/exec.h>
#include <kernel/proc.h>
#include <mm/slab.h>
#include <uapi/personality.h>

SYSCALL_DEFINE3(execve, uintptr_t, upath, uintptr_t, uargv, uintptr_t, uenvp)
{
	struct exec_args a;
	char *path;
	long err = copy_path(upath, &path);

	if (err)
		return err;
	exec_args_init(&a);
	err = exec_args_from_user(&a, uargv, uenvp);
	if (!err)
		err = exec_program(path, &a);
	exec_args_free(&a);
	kfree(path);
	return err;
}

/* Returns the old personality; 0xffffffff only asks. Inherited by fork, kept by exec. */
SYSCALL_DEFINE1(personality, uint32_t, persona)
{
	struct process *p = current_proc();

	if (persona == PERSONALITY_QUERY)
		return READ_ONCE(p->personality);
	return __atomic_exchange_n(&p->personality, persona, __ATOMIC_RELAXED);
}
