/*
 * ELF64 file format and auxiliary-vector values, as the System V ABI and
 * Linux on x86-64 define them: the file header, the program headers and
 * the AT_* keys of the initial stack, used by the ELF parser
 * (kernel/elf.c), the stack builder (kernel/exec_stack.c), execve and
 * their tests; and the notes of a core file (kernel/coredump.c).
 */
#ifndef AXL_UAPI_ELF_H
#define AXL_UAPI_ELF_H

#include <lib/types.h>

typedef uint64_t Elf64_Addr;
typedef uint64_t Elf64_Off;
typedef uint16_t Elf64_Half;
typedef uint32_t Elf64_Word;
typedef int32_t Elf64_Sword;
typedef uint64_t Elf64_Xword;
typedef int64_t Elf64_Sxword;

/* e_ident[] indexes and values */
#define EI_MAG0	      0
#define EI_MAG1	      1
#define EI_MAG2	      2
#define EI_MAG3	      3
#define EI_CLASS      4
#define EI_DATA	      5
#define EI_VERSION    6
#define EI_OSABI      7
#define EI_ABIVERSION 8
#define EI_NIDENT     16

#define ELFMAG0 0x7f
#define ELFMAG1 'E'
#define ELFMAG2 'L'
#define ELFMAG3 'F'
#define ELFMAG	"\177ELF"
#define SELFMAG 4

#define ELFCLASSNONE 0
#define ELFCLASS32   1
#define ELFCLASS64   2

#define ELFDATANONE 0
#define ELFDATA2LSB 1
#define ELFDATA2MSB 2

#define EV_NONE	   0
#define EV_CURRENT 1

#define ELFOSABI_SYSV  0
#define ELFOSABI_LINUX 3

/* e_type */
#define ET_NONE 0
#define ET_REL	1
#define ET_EXEC 2
#define ET_DYN	3
#define ET_CORE 4

/* e_machine */
#define EM_386	  3
#define EM_X86_64 62

/* e_phnum value meaning "the real count is in section header 0" */
#define PN_XNUM 0xffff

typedef struct {
	unsigned char e_ident[EI_NIDENT];
	Elf64_Half e_type;
	Elf64_Half e_machine;
	Elf64_Word e_version;
	Elf64_Addr e_entry;
	Elf64_Off e_phoff;
	Elf64_Off e_shoff;
	Elf64_Word e_flags;
	Elf64_Half e_ehsize;
	Elf64_Half e_phentsize;
	Elf64_Half e_phnum;
	Elf64_Half e_shentsize;
	Elf64_Half e_shnum;
	Elf64_Half e_shstrndx;
} Elf64_Ehdr;

/* p_type */
#define PT_NULL		0
#define PT_LOAD		1
#define PT_DYNAMIC	2
#define PT_INTERP	3
#define PT_NOTE		4
#define PT_SHLIB	5
#define PT_PHDR		6
#define PT_TLS		7
#define PT_GNU_EH_FRAME 0x6474e550
#define PT_GNU_STACK	0x6474e551
#define PT_GNU_RELRO	0x6474e552
#define PT_GNU_PROPERTY 0x6474e553

/* p_flags */
#define PF_X 0x1
#define PF_W 0x2
#define PF_R 0x4

typedef struct {
	Elf64_Word p_type;
	Elf64_Word p_flags;
	Elf64_Off p_offset;
	Elf64_Addr p_vaddr;
	Elf64_Addr p_paddr;
	Elf64_Xword p_filesz;
	Elf64_Xword p_memsz;
	Elf64_Xword p_align;
} Elf64_Phdr;

/* Auxiliary vector keys (the pairs above envp on the initial stack) */
#define AT_NULL		 0
#define AT_IGNORE	 1
#define AT_EXECFD	 2
#define AT_PHDR		 3
#define AT_PHENT	 4
#define AT_PHNUM	 5
#define AT_PAGESZ	 6
#define AT_BASE		 7
#define AT_FLAGS	 8
#define AT_ENTRY	 9
#define AT_NOTELF	 10
#define AT_UID		 11
#define AT_EUID		 12
#define AT_GID		 13
#define AT_EGID		 14
#define AT_PLATFORM	 15
#define AT_HWCAP	 16
#define AT_CLKTCK	 17
#define AT_SECURE	 23
#define AT_BASE_PLATFORM 24
#define AT_RANDOM	 25
#define AT_HWCAP2	 26
#define AT_EXECFN	 31
#define AT_SYSINFO_EHDR	 33
#define AT_MINSIGSTKSZ	 51

/* Core files: a note's header, then its name and its data, each padded to 4 bytes. */
typedef struct {
	Elf64_Word n_namesz; /* with the NUL */
	Elf64_Word n_descsz;
	Elf64_Word n_type;
} Elf64_Nhdr;

/* Note types of a core file (name "CORE") */
#define NT_PRSTATUS 1	       /* struct elf_prstatus: one per thread */
#define NT_PRFPREG  2	       /* the thread's fxsave area (512 bytes) */
#define NT_PRPSINFO 3	       /* struct elf_prpsinfo */
#define NT_AUXV	    6	       /* the auxiliary vector exec gave the program */
#define NT_SIGINFO  0x53494749 /* the fatal signal's siginfo_t (128 bytes) */
#define NT_FILE	    0x46494c45 /* the mapped files: count, page size, ranges, names */

struct elf_siginfo {
	int32_t si_signo, si_code, si_errno;
};

struct elf_timeval {
	int64_t tv_sec, tv_usec;
};

/* Linux x86-64's struct elf_prstatus (336 bytes); pr_reg is struct user_regs_struct. */
struct elf_prstatus {
	struct elf_siginfo pr_info;
	int16_t pr_cursig;
	uint64_t pr_sigpend, pr_sighold;
	int32_t pr_pid, pr_ppid, pr_pgrp, pr_sid;
	struct elf_timeval pr_utime, pr_stime, pr_cutime, pr_cstime;
	uint64_t pr_reg[27];
	int32_t pr_fpvalid;
};
_Static_assert(sizeof(struct elf_prstatus) == 336, "elf_prstatus");

/* Linux x86-64's struct elf_prpsinfo (136 bytes). */
struct elf_prpsinfo {
	char pr_state, pr_sname, pr_zomb, pr_nice;
	uint64_t pr_flag;
	uint32_t pr_uid, pr_gid;
	int32_t pr_pid, pr_ppid, pr_pgrp, pr_sid;
	char pr_fname[16];
	char pr_psargs[80];
};
_Static_assert(sizeof(struct elf_prpsinfo) == 136, "elf_prpsinfo");

#endif /* AXL_UAPI_ELF_H */
