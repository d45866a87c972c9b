/*
 * ELF64 and "#!" parsing for execve (include/kernel/elf.h). Pure and
 * portable: execve reads the first page of the file and calls elf_parse()
 * to learn the segments, entry point, interpreter and stack flags, or
 * parse_shebang() for scripts; the host unit tests fuzz both. The bytes
 * come from an untrusted file, so every read has a fixed size and an
 * explicit bounds check (memcpy: the buffer need not be aligned), and all
 * address arithmetic is checked against overflow.
 */
#include <kernel/elf.h>
#include <kernel/uaccess.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/elf.h>
#include <uapi/errno.h>

#define ELF_PAGE      4096ULL
#define ELF_MAX_ALIGN (1ULL << 30) /* larger p_align values are not honoured */

/* Parser state: the input and what was seen of the one-per-file headers. */
struct elf_ctx {
	const uint8_t *head;
	size_t head_len;
	uint64_t file_size;
	Elf64_Ehdr eh;
	struct elf_info *out;
	bool has_phdr, has_tls;
	uint64_t phdr_pt; /* p_vaddr of PT_PHDR */
};

/* Whether [addr, addr + len) fits below the end of user space. */
static bool in_user_space(uint64_t addr, uint64_t len)
{
	return len <= USER_SPACE_END && addr <= USER_SPACE_END - len;
}

/* Whether [off, off + len) fits in a buffer of @size bytes. */
static bool in_bounds(uint64_t off, uint64_t len, uint64_t size)
{
	return off <= size && len <= size - off;
}

static bool is_pow2(uint64_t x)
{
	return x && !(x & (x - 1));
}

static int check_ident(const Elf64_Ehdr *eh)
{
	if (memcmp(eh->e_ident, ELFMAG, SELFMAG))
		return -ENOEXEC;
	if (eh->e_ident[EI_CLASS] != ELFCLASS64 || eh->e_ident[EI_DATA] != ELFDATA2LSB)
		return -ENOEXEC;
	if (eh->e_ident[EI_VERSION] != EV_CURRENT || eh->e_version != EV_CURRENT)
		return -ENOEXEC;
	return 0;
}

static int check_ehdr(const Elf64_Ehdr *eh, size_t head_len)
{
	if (check_ident(eh))
		return -ENOEXEC;
	if (eh->e_machine != EM_X86_64)
		return -ENOEXEC;
	if (eh->e_type != ET_EXEC && eh->e_type != ET_DYN)
		return -ENOEXEC;
	if (eh->e_phentsize != sizeof(Elf64_Phdr))
		return -ENOEXEC;
	if (eh->e_phnum < 1 || eh->e_phnum > ELF_MAX_PHNUM)
		return -ENOEXEC;
	if (!in_bounds(eh->e_phoff, (uint64_t)eh->e_phnum * sizeof(Elf64_Phdr), head_len))
		return -ENOEXEC;
	return 0;
}

static uint32_t flags_to_prot(uint32_t flags)
{
	return (flags & PF_R ? PROT_READ : 0) | (flags & PF_W ? PROT_WRITE : 0) |
	       (flags & PF_X ? PROT_EXEC : 0);
}

static int add_load(struct elf_ctx *c, const Elf64_Phdr *ph)
{
	struct elf_info *out = c->out;
	struct elf_segment *s;

	if (ph->p_filesz > ph->p_memsz || !in_bounds(ph->p_offset, ph->p_filesz, c->file_size))
		return -ENOEXEC;
	if ((ph->p_vaddr ^ ph->p_offset) & (ELF_PAGE - 1))
		return -ENOEXEC;
	if (!in_user_space(ph->p_vaddr, ph->p_memsz))
		return -ENOEXEC;
	if (ph->p_memsz == 0)
		return 0; /* maps nothing; ignored as on Linux */
	if (out->nsegs == ELF_MAX_SEGMENTS)
		return -ENOEXEC;
	s = &out->segs[out->nsegs];
	if (out->nsegs && ph->p_vaddr < s[-1].vaddr + s[-1].memsz)
		return -ENOEXEC;
	s->vaddr = ph->p_vaddr;
	s->memsz = ph->p_memsz;
	s->offset = ph->p_offset;
	s->filesz = ph->p_filesz;
	s->prot = flags_to_prot(ph->p_flags);
	out->nsegs++;
	if (is_pow2(ph->p_align) && ph->p_align <= ELF_MAX_ALIGN)
		out->max_align = MAX(out->max_align, ph->p_align);
	return 0;
}

static int set_interp(struct elf_ctx *c, const Elf64_Phdr *ph)
{
	struct elf_info *out = c->out;

	if (out->has_interp || ph->p_filesz < 2 || ph->p_filesz > ELF_INTERP_MAX)
		return -ENOEXEC;
	if (!in_bounds(ph->p_offset, ph->p_filesz, c->head_len))
		return -ENOEXEC;
	memcpy(out->interp, c->head + ph->p_offset, ph->p_filesz);
	if (out->interp[ph->p_filesz - 1] != '\0' || out->interp[0] == '\0')
		return -ENOEXEC;
	out->has_interp = true;
	return 0;
}

static int set_tls(struct elf_ctx *c, const Elf64_Phdr *ph)
{
	struct elf_info *out = c->out;

	if (c->has_tls || ph->p_filesz > ph->p_memsz || !in_user_space(ph->p_vaddr, ph->p_memsz))
		return -ENOEXEC;
	if (ph->p_align > 1 && !is_pow2(ph->p_align))
		return -ENOEXEC;
	c->has_tls = true;
	out->tls_vaddr = ph->p_vaddr;
	out->tls_filesz = ph->p_filesz;
	out->tls_memsz = ph->p_memsz;
	out->tls_align = ph->p_align;
	return 0;
}

static int set_phdr(struct elf_ctx *c, const Elf64_Phdr *ph)
{
	if (c->has_phdr)
		return -ENOEXEC;
	c->has_phdr = true;
	c->phdr_pt = ph->p_vaddr;
	return 0;
}

static int handle_phdr(struct elf_ctx *c, const Elf64_Phdr *ph)
{
	switch (ph->p_type) {
	case PT_LOAD:
		return add_load(c, ph);
	case PT_INTERP:
		return set_interp(c, ph);
	case PT_TLS:
		return set_tls(c, ph);
	case PT_PHDR:
		return set_phdr(c, ph);
	case PT_GNU_STACK:
		c->out->exec_stack = ph->p_flags & PF_X;
		return 0;
	default:
		return 0; /* PT_DYNAMIC, PT_NOTE, PT_GNU_RELRO...: not the loader's business */
	}
}

/* The segment containing [vaddr, vaddr + len) in memory, or NULL. */
static const struct elf_segment *seg_covering(const struct elf_info *out, uint64_t vaddr,
					      uint64_t len)
{
	for (unsigned i = 0; i < out->nsegs; i++) {
		const struct elf_segment *s = &out->segs[i];

		if (vaddr >= s->vaddr && in_bounds(vaddr - s->vaddr, len, s->memsz))
			return s;
	}
	return NULL;
}

/* AT_PHDR: PT_PHDR when present, else the PT_LOAD whose file bytes hold the table. */
static int find_phdr_vaddr(struct elf_ctx *c)
{
	struct elf_info *out = c->out;
	uint64_t size = (uint64_t)c->eh.e_phnum * sizeof(Elf64_Phdr);

	if (c->has_phdr) {
		if (!seg_covering(out, c->phdr_pt, size))
			return -ENOEXEC;
		out->phdr_vaddr = c->phdr_pt;
		return 0;
	}
	for (unsigned i = 0; i < out->nsegs; i++) {
		const struct elf_segment *s = &out->segs[i];

		if (c->eh.e_phoff >= s->offset &&
		    in_bounds(c->eh.e_phoff - s->offset, size, s->filesz)) {
			out->phdr_vaddr = s->vaddr + (c->eh.e_phoff - s->offset);
			return 0;
		}
	}
	return 0;
}

static int check_layout(struct elf_info *out)
{
	const struct elf_segment *last = &out->segs[out->nsegs - 1];
	const struct elf_segment *entry_seg = seg_covering(out, out->entry, 1);

	out->lowest_vaddr = ALIGN_DOWN(out->segs[0].vaddr, ELF_PAGE);
	out->highest_vaddr = ALIGN_UP(last->vaddr + last->memsz, ELF_PAGE);
	if (!out->pie && out->lowest_vaddr < ELF_MIN_VADDR)
		return -ENOEXEC;
	if (out->pie && out->highest_vaddr - out->lowest_vaddr >= ELF_MAX_DYN_SPAN)
		return -ENOEXEC;
	if (!entry_seg || !(entry_seg->prot & PROT_EXEC))
		return -ENOEXEC;
	return 0;
}

static int parse_phdrs(struct elf_ctx *c)
{
	for (unsigned i = 0; i < c->eh.e_phnum; i++) {
		Elf64_Phdr ph;
		int err;

		memcpy(&ph, c->head + c->eh.e_phoff + (uint64_t)i * sizeof(ph), sizeof(ph));
		err = handle_phdr(c, &ph);
		if (err)
			return err;
	}
	return c->out->nsegs ? 0 : -ENOEXEC;
}

int elf_parse(const void *head, size_t head_len, uint64_t file_size, struct elf_info *out)
{
	struct elf_ctx c = {
		.head = head, .head_len = head_len, .file_size = file_size, .out = out
	};
	int err;

	memset(out, 0, sizeof(*out));
	if (head_len < sizeof(Elf64_Ehdr) || head_len > file_size)
		return -ENOEXEC;
	memcpy(&c.eh, head, sizeof(c.eh));
	err = check_ehdr(&c.eh, head_len);
	if (err)
		return err;
	out->entry = c.eh.e_entry;
	out->pie = c.eh.e_type == ET_DYN;
	out->phnum = c.eh.e_phnum;
	out->phentsize = c.eh.e_phentsize;
	out->max_align = ELF_PAGE;
	err = parse_phdrs(&c);
	if (!err)
		err = check_layout(out);
	if (!err)
		err = find_phdr_vaddr(&c);
	if (err)
		memset(out, 0, sizeof(*out));
	return err;
}

/* ---- "#!" scripts ---- */

static bool is_blank(char ch)
{
	return ch == ' ' || ch == '\t';
}

/* Copies [s, e) as a string into dst[size]; -ENAMETOOLONG if it does not fit. */
static int copy_word(const char *s, const char *e, char *dst, size_t size)
{
	size_t n = e - s;

	if (n >= size)
		return -ENAMETOOLONG;
	memcpy(dst, s, n);
	dst[n] = '\0';
	return 0;
}

/*
 * The end of the "#!" line in head[0, lim): the first newline or NUL.
 * Sets *cut when neither came and the file goes on past the limit.
 */
static const char *line_end(const char *head, size_t lim, size_t len, bool *cut)
{
	const char *p = head + 2;

	while (p < head + lim && *p != '\n' && *p != '\0')
		p++;
	*cut = p == head + lim && len > lim;
	return p;
}

int parse_shebang(const char *head, size_t len, char *interp, size_t isz, char *arg, size_t asz)
{
	size_t lim = MIN(len, (size_t)SHEBANG_LINE_MAX);
	const char *p, *name, *end;
	bool cut;
	int err;

	if (lim < 2 || head[0] != '#' || head[1] != '!')
		return -ENOEXEC;
	end = line_end(head, lim, len, &cut);
	for (p = head + 2; p < end && is_blank(*p); p++)
		;
	for (name = p; p < end && !is_blank(*p); p++)
		;
	if (p == name || (cut && p == end))
		return -ENOEXEC; /* no interpreter, or its path was cut off */
	err = copy_word(name, p, interp, isz);
	if (err)
		return err;
	while (p < end && is_blank(*p))
		p++;
	while (end > p && is_blank(end[-1]))
		end--;
	return copy_word(p, end, arg, asz);
}
