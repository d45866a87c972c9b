/*
 * The initial user stack of a new program (kernel/exec_stack.c): argc,
 * argv, envp, the auxiliary vector and the strings they point to, laid out
 * as the x86-64 System V ABI and Linux do. execve builds the image in a
 * kernel buffer and copies it to the top of the new stack; the function is
 * pure, so the host unit tests check the layout byte by byte.
 */
#ifndef KERNEL_EXEC_STACK_H
#define KERNEL_EXEC_STACK_H

#include <lib/types.h>

struct exec_stack_args {
	const char *const *argv; /* kernel copies of the strings */
	size_t argc;
	const char *const *envp;
	size_t envc;
	const uint64_t (*auxv)[2]; /* without AT_RANDOM, AT_EXECFN, AT_PLATFORM, AT_NULL */
	size_t auxc;
	const uint8_t *random16; /* 16 bytes for AT_RANDOM */
	const char *execfn;	 /* AT_EXECFN string */
	const char *platform;	 /* AT_PLATFORM string ("x86_64"), may be NULL */
	uint64_t stack_top;	 /* user address one past the top of the stack */
	uint64_t pad;		 /* bytes left (zeroed) below the strings: ASLR's rsp offset */
};

/*
 * Lays out the stack image in @buf, which stands for the user addresses
 * [stack_top - buf_size, stack_top). From the top down: a zero word, the
 * execfn string, the platform string, the argv then envp strings (argv[0]
 * lowest, all contiguous), @pad zero bytes (ASLR's sub-page offset of the
 * stack pointer, as Linux's arch_align_stack), the 16 random bytes,
 * padding, then from the
 * initial rsp upwards: argc, argv[] and NULL, envp[] and NULL, the auxv
 * pairs (the given ones, AT_RANDOM, AT_EXECFN, AT_PLATFORM when given,
 * AT_NULL). Every byte of [*sp, stack_top) is written (the alignment
 * padding is zeroed), so that range is what execve copies out; bytes of
 * @buf below *sp are left untouched.
 *
 * Returns 0 and sets *@sp (the initial rsp: it points at argc and is
 * 16-byte aligned), -E2BIG when the image does not fit in @buf (counts
 * too large for even the pointer table fail before any array is read), or
 * -EINVAL for inconsistent arguments (no random bytes or execfn, a NULL
 * array with a nonzero count, buf_size above stack_top, an auxv entry with
 * a key the builder adds itself).
 */
int exec_build_stack(void *buf, size_t buf_size, const struct exec_stack_args *a, uint64_t *sp);

/*
 * Where exec_build_stack put the auxiliary vector: its offset in bytes
 * above the initial rsp, and its size in bytes (AT_NULL included).
 */
uint64_t exec_stack_auxv_offset(const struct exec_stack_args *a);
uint64_t exec_stack_auxv_bytes(const struct exec_stack_args *a);

#endif /* KERNEL_EXEC_STACK_H */
