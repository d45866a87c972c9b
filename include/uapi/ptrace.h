/* Linux x86-64 values for ptrace(2): requests, options, events, regsets, struct user offsets. */
#ifndef UAPI_PTRACE_H
#define UAPI_PTRACE_H

#include <lib/types.h>

#define PTRACE_TRACEME		0
#define PTRACE_PEEKTEXT		1
#define PTRACE_PEEKDATA		2
#define PTRACE_PEEKUSR		3
#define PTRACE_POKETEXT		4
#define PTRACE_POKEDATA		5
#define PTRACE_POKEUSR		6
#define PTRACE_CONT		7
#define PTRACE_KILL		8
#define PTRACE_SINGLESTEP	9
#define PTRACE_GETREGS		12
#define PTRACE_SETREGS		13
#define PTRACE_GETFPREGS	14
#define PTRACE_SETFPREGS	15
#define PTRACE_ATTACH		16
#define PTRACE_DETACH		17
#define PTRACE_SYSCALL		24
#define PTRACE_SETOPTIONS	0x4200
#define PTRACE_GETEVENTMSG	0x4201
#define PTRACE_GETSIGINFO	0x4202
#define PTRACE_SETSIGINFO	0x4203
#define PTRACE_GETREGSET	0x4204
#define PTRACE_SETREGSET	0x4205
#define PTRACE_SEIZE		0x4206
#define PTRACE_INTERRUPT	0x4207
#define PTRACE_LISTEN		0x4208
#define PTRACE_GET_SYSCALL_INFO 0x420e

#define PTRACE_O_TRACESYSGOOD	 0x01
#define PTRACE_O_TRACEFORK	 0x02
#define PTRACE_O_TRACEVFORK	 0x04
#define PTRACE_O_TRACECLONE	 0x08
#define PTRACE_O_TRACEEXEC	 0x10
#define PTRACE_O_TRACEVFORKDONE	 0x20
#define PTRACE_O_TRACEEXIT	 0x40
#define PTRACE_O_TRACESECCOMP	 0x80
#define PTRACE_O_EXITKILL	 0x100000
#define PTRACE_O_SUSPEND_SECCOMP 0x200000
#define PTRACE_O_MASK		 0x3000ff

#define PTRACE_EVENT_FORK	1
#define PTRACE_EVENT_VFORK	2
#define PTRACE_EVENT_CLONE	3
#define PTRACE_EVENT_EXEC	4
#define PTRACE_EVENT_VFORK_DONE 5
#define PTRACE_EVENT_EXIT	6
#define PTRACE_EVENT_STOP	128

#define PTRACE_SYSCALL_INFO_NONE  0
#define PTRACE_SYSCALL_INFO_ENTRY 1
#define PTRACE_SYSCALL_INFO_EXIT  2
#define AUDIT_ARCH_X86_64	  0xc000003eu

#define NT_PRSTATUS 1
#define NT_PRFPREG  2

/* struct user: the registers (struct user_regs_struct, 27 words), then ..., u_debugreg. */
#define USER_REGS_SIZE	  216
#define USER_DEBUGREG_OFF 848
#define USER_STRUCT_SIZE  912

/* si_code of SIGTRAP */
#define TRAP_BRKPT  1
#define TRAP_TRACE  2
#define TRAP_HWBKPT 4

/* Linux's struct user_regs_struct (also the registers of a core file's NT_PRSTATUS). */
struct user_regs {
	uint64_t r15, r14, r13, r12, rbp, rbx, r11, r10, r9, r8, rax, rcx, rdx, rsi, rdi, orig_rax;
	uint64_t rip, cs, eflags, rsp, ss, fs_base, gs_base, ds, es, fs, gs;
};
_Static_assert(sizeof(struct user_regs) == USER_REGS_SIZE, "user_regs_struct");

/* Linux's struct ptrace_syscall_info. */
struct syscall_info {
	uint8_t op, pad[3];
	uint32_t arch;
	uint64_t ip, sp;
	union {
		struct {
			uint64_t nr, args[6];
		} entry;
		struct {
			int64_t rval;
			uint8_t is_error;
		} exit;
	};
};

#endif
