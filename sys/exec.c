/*
 * execve (layer one: copy the path and the argument arrays from user
 * memory; kernel/exec.c does the rest).
 */
#include <kernel/syscall.h>
#include <kernel/exec.h>
#include <mm/slab.h>

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
