/*
 * Program-file parsing for execve (kernel/elf.c): elf_parse() checks an
 * ELF64 x86-64 executable (static, static-PIE or dynamic) from the first
 * bytes of the file and says what to map where; parse_shebang() reads the
 * "#!interpreter [arg]" line of a script. Both are pure functions of the
 * bytes they are given, which they treat as hostile, so they are also
 * built for the host unit tests.
 */
#ifndef KERNEL_ELF_H
#define KERNEL_ELF_H

#include <lib/types.h>

/* mmap protection bits (Linux values) carried by struct elf_segment */
#ifndef PROT_READ
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4
#endif

#define ELF_MAX_SEGMENTS 16
#define ELF_MAX_PHNUM	 64
#define ELF_INTERP_MAX	 256	      /* PT_INTERP size, NUL included */
#define ELF_MIN_VADDR	 0x10000ULL   /* lowest ET_EXEC address (no page 0) */
#define ELF_MAX_DYN_SPAN (1ULL << 40) /* ET_DYN image span: below 1 TiB */
#define SHEBANG_LINE_MAX 256	      /* bytes of a script's "#!" line read */

struct elf_segment {
	uint64_t vaddr, memsz, offset, filesz;
	uint32_t prot; /* PROT_READ | PROT_WRITE | PROT_EXEC */
};

struct elf_info {
	uint64_t entry;	     /* e_entry (before load bias) */
	bool pie;	     /* ET_DYN: needs a load bias */
	uint64_t phdr_vaddr; /* program headers in memory (AT_PHDR), 0 if not loaded */
	uint16_t phnum, phentsize;
	struct elf_segment segs[ELF_MAX_SEGMENTS]; /* PT_LOAD with p_memsz > 0, file order */
	unsigned nsegs;
	uint64_t lowest_vaddr, highest_vaddr; /* page-rounded span of the PT_LOADs */
	uint64_t max_align;		      /* largest power-of-two p_align, >= 4096 */
	bool has_interp;
	char interp[ELF_INTERP_MAX];			      /* PT_INTERP path, NUL-terminated */
	bool exec_stack;				      /* PT_GNU_STACK with PF_X */
	uint64_t tls_vaddr, tls_filesz, tls_memsz, tls_align; /* PT_TLS, informative */
};

/*
 * Checks the ELF64 image whose first @head_len bytes are at @head (the
 * caller reads 4096 bytes, or the whole file when it is smaller) and whose
 * size is @file_size, and describes it in *@out. The program headers and
 * any PT_INTERP string must lie inside @head. Guarantees on success:
 * 1 <= nsegs <= ELF_MAX_SEGMENTS; each segment has 0 < memsz, filesz <=
 * memsz, offset + filesz <= file_size, vaddr and offset congruent modulo
 * 4096; segments ascend without overlapping (two may share a page); all of
 * them end at or below USER_SPACE_END (ET_EXEC: start at or above
 * ELF_MIN_VADDR; ET_DYN: highest_vaddr - lowest_vaddr < ELF_MAX_DYN_SPAN);
 * the entry lies inside a segment with PROT_EXEC. Returns 0 or -ENOEXEC.
 */
int elf_parse(const void *head, size_t head_len, uint64_t file_size, struct elf_info *out);

/*
 * Reads a "#!" line from the first @len bytes of a file, Linux style: at
 * most SHEBANG_LINE_MAX bytes, ending at a newline or NUL; spaces and tabs
 * around the interpreter are skipped, and the rest of the line, trimmed,
 * is one optional argument ("" when absent). Returns 0, -ENOEXEC (no "#!",
 * no interpreter, or an interpreter path cut off by the length limit), or
 * -ENAMETOOLONG when a string does not fit @isz / @asz bytes with its NUL.
 */
int parse_shebang(const char *head, size_t len, char *interp, size_t isz, char *arg, size_t asz);

#endif /* KERNEL_ELF_H */
