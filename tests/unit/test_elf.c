/*
 * Unit tests of the ELF64 and "#!" parsers (kernel/elf.c). The images are
 * synthetic, built here like the output of musl-gcc -static (ET_EXEC) and
 * -static-pie (ET_DYN): every output field is checked, every rejection rule
 * has its own case, and truncated and randomly mutated images are fed in
 * exact-size heap buffers so that AddressSanitizer catches any read out of
 * bounds, while each accepted result is checked against the invariants.
 */
#include <stdlib.h>

#include "harness.h"
#include <kernel/elf.h>
#include <kernel/uaccess.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/elf.h>
#include <uapi/errno.h>

#define IMG_SIZE  0x3000 /* synthetic file size */
#define HEAD_LEN  4096	 /* what execve reads */
#define EXEC_BASE 0x400000ULL
#define INTERP	  "/lib/ld-musl-x86_64.so.1"
#define INTERP_AT 0x300 /* file offset of the PT_INTERP string */

/* Program header indexes in a built image */
enum {
	PH_PHDR,
	PH_LOAD_RO,
	PH_LOAD_TEXT,
	PH_LOAD_DATA,
	PH_TLS,
	PH_STACK,
	PH_INTERP,
	PH_COUNT
};

static union {
	uint8_t b[IMG_SIZE];
	Elf64_Ehdr eh;
} img;

static Elf64_Ehdr *const EH = &img.eh;

static Elf64_Phdr *ph(unsigned i)
{
	return (Elf64_Phdr *)(img.b + sizeof(Elf64_Ehdr)) + i;
}

static void set_ph(unsigned i, uint32_t type, uint32_t flags, uint64_t off, uint64_t vaddr,
		   uint64_t filesz, uint64_t memsz, uint64_t align)
{
	*ph(i) = (Elf64_Phdr){ .p_type = type,
			       .p_flags = flags,
			       .p_offset = off,
			       .p_vaddr = vaddr,
			       .p_paddr = vaddr,
			       .p_filesz = filesz,
			       .p_memsz = memsz,
			       .p_align = align };
}

/*
 * A 12 KiB image: headers+rodata page, text page, data+bss ending exactly
 * at the end of the file, plus PT_PHDR, PT_TLS, PT_GNU_STACK and, when
 * @interp, PT_INTERP. @base is 0x400000 for ET_EXEC, 0 for ET_DYN.
 */
static void build(uint16_t type, uint64_t base, bool interp)
{
	unsigned n = interp ? PH_COUNT : PH_COUNT - 1;

	memset(&img, 0, sizeof(img));
	memcpy(EH->e_ident, ELFMAG, SELFMAG);
	EH->e_ident[EI_CLASS] = ELFCLASS64;
	EH->e_ident[EI_DATA] = ELFDATA2LSB;
	EH->e_ident[EI_VERSION] = EV_CURRENT;
	EH->e_type = type;
	EH->e_machine = EM_X86_64;
	EH->e_version = EV_CURRENT;
	EH->e_entry = base + 0x1010;
	EH->e_phoff = sizeof(Elf64_Ehdr);
	EH->e_ehsize = sizeof(Elf64_Ehdr);
	EH->e_phentsize = sizeof(Elf64_Phdr);
	EH->e_phnum = n;
	set_ph(PH_PHDR, PT_PHDR, PF_R, 64, base + 64, n * 56, n * 56, 8);
	set_ph(PH_LOAD_RO, PT_LOAD, PF_R, 0, base, 0x1000, 0x1000, 0x1000);
	set_ph(PH_LOAD_TEXT, PT_LOAD, PF_R | PF_X, 0x1000, base + 0x1000, 0x1000, 0x1000, 0x1000);
	set_ph(PH_LOAD_DATA, PT_LOAD, PF_R | PF_W, 0x2e10, base + 0x3e10, 0x1f0, 0x5f0, 0x1000);
	set_ph(PH_TLS, PT_TLS, PF_R, 0x2e10, base + 0x3e10, 0x10, 0x48, 8);
	set_ph(PH_STACK, PT_GNU_STACK, PF_R | PF_W, 0, 0, 0, 0, 16);
	if (interp) {
		set_ph(PH_INTERP, PT_INTERP, PF_R, INTERP_AT, base + INTERP_AT, sizeof(INTERP),
		       sizeof(INTERP), 1);
		memcpy(img.b + INTERP_AT, INTERP, sizeof(INTERP));
	}
}

static void build_exec(void)
{
	build(ET_EXEC, EXEC_BASE, true);
}

static void build_pie(void)
{
	build(ET_DYN, 0, false);
}

/* Parses the first @head_len bytes of img from an exact-size copy (for ASan). */
static int parse_len(size_t head_len, uint64_t file_size, struct elf_info *out)
{
	uint8_t *copy = malloc(head_len ? head_len : 1);
	int ret;

	memcpy(copy, img.b, head_len);
	ret = elf_parse(copy, head_len, file_size, out);
	free(copy);
	return ret;
}

static int parse(struct elf_info *out)
{
	return parse_len(HEAD_LEN, IMG_SIZE, out);
}

static int parse_rc(void)
{
	static struct elf_info info;

	return parse(&info);
}

static void check_seg(const struct elf_segment *s, uint64_t vaddr, uint64_t memsz, uint64_t off,
		      uint64_t filesz, uint32_t prot)
{
	CHECK_EQ(s->vaddr, vaddr);
	CHECK_EQ(s->memsz, memsz);
	CHECK_EQ(s->offset, off);
	CHECK_EQ(s->filesz, filesz);
	CHECK_EQ(s->prot, prot);
}

static void check_common(const struct elf_info *inf, uint64_t base)
{
	CHECK_EQ(inf->entry, base + 0x1010);
	CHECK_EQ(inf->phentsize, 56);
	CHECK_EQ(inf->phdr_vaddr, base + 64);
	CHECK_EQ(inf->nsegs, 3u);
	check_seg(&inf->segs[0], base, 0x1000, 0, 0x1000, PROT_READ);
	check_seg(&inf->segs[1], base + 0x1000, 0x1000, 0x1000, 0x1000, PROT_READ | PROT_EXEC);
	check_seg(&inf->segs[2], base + 0x3e10, 0x5f0, 0x2e10, 0x1f0, PROT_READ | PROT_WRITE);
	CHECK_EQ(inf->lowest_vaddr, base);
	CHECK_EQ(inf->highest_vaddr, base + 0x5000);
	CHECK_EQ(inf->max_align, 0x1000ULL);
	CHECK(!inf->exec_stack);
	CHECK_EQ(inf->tls_vaddr, base + 0x3e10);
	CHECK_EQ(inf->tls_filesz, 0x10ULL);
	CHECK_EQ(inf->tls_memsz, 0x48ULL);
	CHECK_EQ(inf->tls_align, 8ULL);
}

TEST(elf, static_exec_all_fields)
{
	struct elf_info inf;

	build_exec();
	CHECK_EQ(parse(&inf), 0);
	check_common(&inf, EXEC_BASE);
	CHECK(!inf.pie);
	CHECK_EQ(inf.phnum, PH_COUNT);
	CHECK(inf.has_interp);
	CHECK_STR_EQ(inf.interp, INTERP);
}

TEST(elf, static_pie_all_fields)
{
	struct elf_info inf;

	build_pie();
	CHECK_EQ(parse(&inf), 0);
	check_common(&inf, 0);
	CHECK(inf.pie);
	CHECK_EQ(inf.phnum, PH_COUNT - 1);
	CHECK(!inf.has_interp);
	CHECK_EQ(inf.interp[0], 0);
}

TEST(elf, whole_small_file_as_head)
{
	struct elf_info inf;

	/* A 2 KiB file: one executable segment, read whole. */
	build_pie();
	ph(PH_LOAD_TEXT)->p_type = PT_NULL;
	ph(PH_LOAD_DATA)->p_type = PT_NULL;
	ph(PH_TLS)->p_type = PT_NULL;
	ph(PH_LOAD_RO)->p_flags = PF_R | PF_X;
	ph(PH_LOAD_RO)->p_filesz = 0x800;
	EH->e_entry = 0x100;
	CHECK_EQ(parse_len(0x800, 0x800, &inf), 0);
	CHECK_EQ(inf.nsegs, 1u);
	CHECK_EQ(inf.highest_vaddr, 0x1000ULL);
	CHECK_EQ(inf.phdr_vaddr, 64ULL);
	CHECK_EQ(inf.tls_memsz, 0ULL);
}

TEST(elf, exec_stack_flag)
{
	struct elf_info inf;

	build_exec();
	ph(PH_STACK)->p_flags = PF_R | PF_W | PF_X;
	CHECK_EQ(parse(&inf), 0);
	CHECK(inf.exec_stack);
	ph(PH_STACK)->p_type = PT_NULL; /* no PT_GNU_STACK: not executable */
	CHECK_EQ(parse(&inf), 0);
	CHECK(!inf.exec_stack);
}

TEST(elf, phdr_from_load_without_pt_phdr)
{
	struct elf_info inf;

	build_exec();
	ph(PH_PHDR)->p_type = PT_NOTE;
	CHECK_EQ(parse(&inf), 0);
	CHECK_EQ(inf.phdr_vaddr, EXEC_BASE + 64);
	/* Headers in no loaded segment: AT_PHDR cannot be given. */
	ph(PH_LOAD_RO)->p_type = PT_NULL;
	CHECK_EQ(parse(&inf), 0);
	CHECK_EQ(inf.phdr_vaddr, 0ULL);
	CHECK_EQ(inf.nsegs, 2u);
	CHECK_EQ(inf.lowest_vaddr, EXEC_BASE + 0x1000);
}

TEST(elf, empty_load_is_ignored)
{
	struct elf_info inf;

	build_exec();
	set_ph(PH_STACK, PT_LOAD, PF_R, 0, 0, 0, 0, 0x1000);
	CHECK_EQ(parse(&inf), 0);
	CHECK_EQ(inf.nsegs, 3u);
}

TEST(elf, segments_may_share_a_page_and_touch_user_end)
{
	struct elf_info inf;

	build_exec();
	/* Data starts on the page where text ends, and ends at USER_SPACE_END. */
	ph(PH_LOAD_TEXT)->p_filesz = ph(PH_LOAD_TEXT)->p_memsz = 0x800;
	ph(PH_LOAD_DATA)->p_vaddr = EXEC_BASE + 0x1e10;
	ph(PH_TLS)->p_vaddr = EXEC_BASE + 0x1e10;
	CHECK_EQ(parse(&inf), 0);
	CHECK_EQ(inf.highest_vaddr, EXEC_BASE + 0x3000);
	ph(PH_LOAD_DATA)->p_vaddr = USER_SPACE_END - 0x1f0;
	ph(PH_LOAD_DATA)->p_memsz = 0x1f0;
	CHECK_EQ(parse(&inf), 0);
	CHECK_EQ(inf.highest_vaddr, USER_SPACE_END);
}

TEST(elf, limits_accepted)
{
	struct elf_info inf;

	build_exec();
	/* 64 program headers, 16 of them PT_LOAD (each one page of the text). */
	EH->e_phnum = ELF_MAX_PHNUM;
	ph(PH_PHDR)->p_type = PT_NULL;
	ph(PH_INTERP)->p_type = PT_NULL;
	for (unsigned i = PH_COUNT; i < ELF_MAX_PHNUM; i++)
		set_ph(i, PT_NOTE, PF_R, 0, 0, 0, 0, 0);
	for (unsigned i = 0; i < ELF_MAX_SEGMENTS - 3; i++)
		set_ph(PH_COUNT + i, PT_LOAD, PF_R, 0x1000, EXEC_BASE + 0x10000 * (i + 1) + 0x1000,
		       0x1000, 0x1000, 0x200000);
	CHECK_EQ(parse(&inf), 0);
	CHECK_EQ(inf.nsegs, (unsigned)ELF_MAX_SEGMENTS);
	CHECK_EQ(inf.max_align, 0x200000ULL);
	CHECK_EQ(inf.phdr_vaddr, EXEC_BASE + 64);
	/* The longest PT_INTERP. */
	build_exec();
	memset(img.b + INTERP_AT, 'a', ELF_INTERP_MAX - 1);
	img.b[INTERP_AT + ELF_INTERP_MAX - 1] = 0;
	ph(PH_INTERP)->p_filesz = ELF_INTERP_MAX;
	CHECK_EQ(parse(&inf), 0);
	CHECK_EQ(strlen(inf.interp), (size_t)ELF_INTERP_MAX - 1);
}

TEST(elf, entry_at_segment_edges)
{
	struct elf_info inf;

	build_exec();
	EH->e_entry = EXEC_BASE + 0x1000;
	CHECK_EQ(parse(&inf), 0);
	EH->e_entry = EXEC_BASE + 0x1fff;
	CHECK_EQ(parse(&inf), 0);
	EH->e_entry = EXEC_BASE + 0x2000;
	CHECK_EQ(parse(&inf), -ENOEXEC);
	EH->e_entry = EXEC_BASE + 0xfff;
	CHECK_EQ(parse(&inf), -ENOEXEC);
}

/* ---- one case per rejection rule ---- */

TEST(elf, reject_short_head_or_head_past_file)
{
	struct elf_info inf;

	build_exec();
	CHECK_EQ(parse_len(sizeof(Elf64_Ehdr) - 1, IMG_SIZE, &inf), -ENOEXEC);
	CHECK_EQ(parse_len(0, IMG_SIZE, &inf), -ENOEXEC);
	CHECK_EQ(parse_len(HEAD_LEN, HEAD_LEN - 1, &inf), -ENOEXEC);
}

TEST(elf, reject_magic)
{
	for (int i = 0; i < SELFMAG; i++) {
		build_exec();
		img.b[i] ^= 0x20;
		CHECK_EQ(parse_rc(), -ENOEXEC);
	}
}

TEST(elf, reject_class_data_version)
{
	build_exec();
	EH->e_ident[EI_CLASS] = ELFCLASS32;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	EH->e_ident[EI_DATA] = ELFDATA2MSB;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	EH->e_ident[EI_VERSION] = EV_NONE;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	EH->e_version = 2;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_machine)
{
	build_exec();
	EH->e_machine = EM_386;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_type)
{
	static const uint16_t bad[] = { ET_NONE, ET_REL, ET_CORE, 0xfe00 };

	for (unsigned i = 0; i < ARRAY_SIZE(bad); i++) {
		build_exec();
		EH->e_type = bad[i];
		CHECK_EQ(parse_rc(), -ENOEXEC);
	}
}

TEST(elf, reject_phentsize)
{
	build_exec();
	EH->e_phentsize = 32;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	EH->e_phentsize = 64;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_phnum)
{
	build_exec();
	EH->e_phnum = 0;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	EH->e_phnum = ELF_MAX_PHNUM + 1;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	EH->e_phnum = PN_XNUM;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_phdrs_outside_head)
{
	struct elf_info inf;

	build_exec();
	/* Table inside the file but past the bytes read. */
	EH->e_phoff = HEAD_LEN - 56 * PH_COUNT + 8;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	EH->e_phoff = ~0ULL - 8;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	/* The table is fine in 4096 bytes but not in the first 400. */
	build_exec();
	CHECK_EQ(parse_len(400, IMG_SIZE, &inf), -ENOEXEC);
}

TEST(elf, reject_no_load)
{
	build_exec();
	ph(PH_LOAD_RO)->p_type = PT_NULL;
	ph(PH_LOAD_TEXT)->p_type = PT_NULL;
	ph(PH_LOAD_DATA)->p_type = PT_NULL;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	/* Only empty PT_LOADs count as none. */
	ph(PH_LOAD_RO)->p_type = PT_LOAD;
	ph(PH_LOAD_RO)->p_filesz = ph(PH_LOAD_RO)->p_memsz = 0;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_too_many_loads)
{
	build_exec();
	ph(PH_INTERP)->p_type = PT_NULL; /* its string is under the longer table */
	EH->e_phnum = PH_COUNT + ELF_MAX_SEGMENTS - 2;
	for (unsigned i = 0; i < ELF_MAX_SEGMENTS - 2; i++)
		set_ph(PH_COUNT + i, PT_LOAD, PF_R, 0x1000, EXEC_BASE + 0x10000 * (i + 1) + 0x1000,
		       0x1000, 0x1000, 0x1000);
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_filesz_above_memsz)
{
	build_exec();
	ph(PH_LOAD_DATA)->p_memsz = 0x1ef;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_load_past_file_end)
{
	build_exec();
	ph(PH_LOAD_DATA)->p_filesz = 0x1f1;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	ph(PH_LOAD_DATA)->p_offset = ~0ULL - 0xfff + 0xe10; /* offset + filesz wraps */
	ph(PH_LOAD_DATA)->p_vaddr = EXEC_BASE + 0x3e10;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_incongruent_offset)
{
	build_exec();
	ph(PH_LOAD_DATA)->p_offset = 0x2e00;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_overlap_and_descending)
{
	build_exec();
	ph(PH_LOAD_TEXT)->p_memsz = 0x2e11; /* one byte into the data segment */
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	/* Swap text and data: descending. */
	Elf64_Phdr t = *ph(PH_LOAD_TEXT);
	*ph(PH_LOAD_TEXT) = *ph(PH_LOAD_DATA);
	*ph(PH_LOAD_DATA) = t;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_beyond_user_space)
{
	build_exec();
	ph(PH_LOAD_DATA)->p_vaddr = USER_SPACE_END - 0x1f0; /* memsz 0x5f0: 0x400 too far */
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	ph(PH_LOAD_DATA)->p_vaddr = ~0ULL - 0x1ef; /* vaddr + memsz wraps */
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	ph(PH_LOAD_DATA)->p_memsz = ~0ULL;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_exec_below_min_vaddr)
{
	build(ET_EXEC, 0, false);
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build(ET_EXEC, ELF_MIN_VADDR, false);
	CHECK_EQ(parse_rc(), 0);
}

TEST(elf, reject_pie_span_of_1tib)
{
	build_pie();
	ph(PH_LOAD_DATA)->p_vaddr = ELF_MAX_DYN_SPAN - 0x1f0; /* ends exactly at 1 TiB */
	ph(PH_LOAD_DATA)->p_memsz = 0x1f0;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	ph(PH_LOAD_DATA)->p_vaddr -= 0x1000;
	CHECK_EQ(parse_rc(), 0);
}

TEST(elf, reject_entry_outside_exec_segment)
{
	build_exec();
	EH->e_entry = EXEC_BASE + 0x3e20; /* data */
	CHECK_EQ(parse_rc(), -ENOEXEC);
	EH->e_entry = EXEC_BASE + 0x10; /* read-only segment */
	CHECK_EQ(parse_rc(), -ENOEXEC);
	EH->e_entry = 0;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	EH->e_entry = ~0ULL;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_interp_size)
{
	build_exec();
	ph(PH_INTERP)->p_filesz = 1;
	img.b[INTERP_AT] = 0;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	memset(img.b + INTERP_AT, 'a', ELF_INTERP_MAX);
	img.b[INTERP_AT + ELF_INTERP_MAX] = 0;
	ph(PH_INTERP)->p_filesz = ELF_INTERP_MAX + 1;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_interp_not_terminated_or_empty)
{
	build_exec();
	ph(PH_INTERP)->p_filesz = sizeof(INTERP) - 1;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	img.b[INTERP_AT] = 0;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_interp_outside_head)
{
	struct elf_info inf;

	build_exec();
	ph(PH_INTERP)->p_offset = HEAD_LEN - 4; /* inside the file, not the head */
	CHECK_EQ(parse_rc(), -ENOEXEC);
	ph(PH_INTERP)->p_offset = ~0ULL - 4;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	CHECK_EQ(parse_len(INTERP_AT + sizeof(INTERP) - 1, IMG_SIZE, &inf), -ENOEXEC);
	CHECK_EQ(parse_len(INTERP_AT + sizeof(INTERP), IMG_SIZE, &inf), 0);
}

TEST(elf, reject_duplicate_headers)
{
	static const unsigned dup[] = { PH_PHDR, PH_TLS, PH_INTERP };

	for (unsigned i = 0; i < ARRAY_SIZE(dup); i++) {
		build_exec();
		EH->e_phnum = PH_COUNT + 1;
		*ph(PH_COUNT) = *ph(dup[i]);
		CHECK_EQ(parse_rc(), -ENOEXEC);
	}
}

TEST(elf, reject_pt_phdr_not_loaded)
{
	build_exec();
	ph(PH_PHDR)->p_vaddr = EXEC_BASE + 0x2000; /* hole between text and data */
	CHECK_EQ(parse_rc(), -ENOEXEC);
	ph(PH_PHDR)->p_vaddr = EXEC_BASE + 0x4400 - 8; /* runs past the end of data */
	CHECK_EQ(parse_rc(), -ENOEXEC);
	ph(PH_PHDR)->p_vaddr = ~0ULL - 8;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, reject_bad_tls)
{
	build_exec();
	ph(PH_TLS)->p_filesz = 0x49;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	ph(PH_TLS)->p_align = 24;
	CHECK_EQ(parse_rc(), -ENOEXEC);
	build_exec();
	ph(PH_TLS)->p_vaddr = USER_SPACE_END - 8;
	CHECK_EQ(parse_rc(), -ENOEXEC);
}

TEST(elf, failure_clears_output)
{
	struct elf_info inf;

	build_exec();
	EH->e_entry = 0;
	CHECK_EQ(parse(&inf), -ENOEXEC);
	CHECK_EQ(inf.nsegs, 0u);
	CHECK(!inf.has_interp);
}

/* ---- fuzzing ---- */

static uint64_t rng_state = 0x2545f4914f6cdd1dULL;

static uint64_t rng(void)
{
	rng_state ^= rng_state << 13;
	rng_state ^= rng_state >> 7;
	rng_state ^= rng_state << 17;
	return rng_state;
}

static bool covered(const struct elf_info *inf, uint64_t vaddr, uint64_t len, bool need_exec)
{
	for (unsigned i = 0; i < inf->nsegs; i++) {
		const struct elf_segment *s = &inf->segs[i];

		if (need_exec && !(s->prot & PROT_EXEC))
			continue;
		if (vaddr >= s->vaddr && vaddr - s->vaddr <= s->memsz &&
		    len <= s->memsz - (vaddr - s->vaddr))
			return true;
	}
	return false;
}

static void check_segment_invariants(const struct elf_info *inf, uint64_t file_size)
{
	for (unsigned i = 0; i < inf->nsegs; i++) {
		const struct elf_segment *s = &inf->segs[i];

		CHECK(s->memsz > 0 && s->filesz <= s->memsz);
		CHECK(s->offset <= file_size && s->filesz <= file_size - s->offset);
		CHECK_EQ(s->vaddr % 4096, s->offset % 4096);
		CHECK(s->memsz <= USER_SPACE_END && s->vaddr <= USER_SPACE_END - s->memsz);
		CHECK(s->vaddr >= inf->lowest_vaddr && s->vaddr + s->memsz <= inf->highest_vaddr);
		CHECK(s->prot <= (PROT_READ | PROT_WRITE | PROT_EXEC));
		if (i)
			CHECK(s->vaddr >= s[-1].vaddr + s[-1].memsz);
	}
}

/* Everything execve relies on after a successful parse. */
static void check_invariants(const struct elf_info *inf, uint64_t file_size)
{
	CHECK(inf->nsegs >= 1 && inf->nsegs <= ELF_MAX_SEGMENTS);
	CHECK(inf->phnum >= 1 && inf->phnum <= ELF_MAX_PHNUM);
	CHECK_EQ(inf->phentsize, 56);
	check_segment_invariants(inf, file_size);
	CHECK(inf->lowest_vaddr % 4096 == 0 && inf->highest_vaddr % 4096 == 0);
	CHECK(inf->highest_vaddr <= USER_SPACE_END);
	if (inf->pie)
		CHECK(inf->highest_vaddr - inf->lowest_vaddr < ELF_MAX_DYN_SPAN);
	else
		CHECK(inf->lowest_vaddr >= ELF_MIN_VADDR);
	CHECK(covered(inf, inf->entry, 1, true));
	if (inf->phdr_vaddr)
		CHECK(covered(inf, inf->phdr_vaddr, inf->phnum * 56ULL, false));
	if (inf->has_interp)
		CHECK(inf->interp[0] && strnlen(inf->interp, ELF_INTERP_MAX) < ELF_INTERP_MAX);
	else
		CHECK_EQ(inf->interp[0], 0);
	CHECK(inf->tls_filesz <= inf->tls_memsz);
	CHECK(inf->max_align >= 4096 && (inf->max_align & (inf->max_align - 1)) == 0);
}

TEST(elf, fuzz_truncation)
{
	struct elf_info inf;
	unsigned ok = 0;

	for (int pie = 0; pie < 2; pie++) {
		for (size_t len = 0; len <= IMG_SIZE; len++) {
			int ret;

			pie ? build_pie() : build_exec();
			ret = parse_len(MIN(len, (size_t)HEAD_LEN), len, &inf);
			CHECK(ret == 0 || ret == -ENOEXEC);
			if (ret == 0) {
				check_invariants(&inf, len);
				ok++;
			}
		}
	}
	/* Only the full file is valid: the data segment ends at its last byte. */
	CHECK_EQ(ok, 2u);
}

static uint64_t boundary_value(uint64_t file_size)
{
	static const uint64_t v[] = { 0,
				      1,
				      ~0ULL,
				      ~0ULL - 1,
				      ~0ULL - 0xfff,
				      0x7fffffffffffULL,
				      0x7ffffffff000ULL,
				      USER_SPACE_END,
				      1ULL << 40,
				      4096,
				      0xfff,
				      56,
				      64,
				      HEAD_LEN,
				      0x8000000000000000ULL };
	unsigned k = rng() % (ARRAY_SIZE(v) + 4);

	if (k < ARRAY_SIZE(v))
		return v[k];
	if (k == ARRAY_SIZE(v))
		return file_size;
	if (k == ARRAY_SIZE(v) + 1)
		return file_size - 1;
	if (k == ARRAY_SIZE(v) + 2)
		return file_size + 1;
	return rng();
}

static void mutate_phdr_field(uint64_t file_size)
{
	Elf64_Phdr *p = ph(rng() % (PH_COUNT + 1));
	uint64_t v = boundary_value(file_size);

	switch (rng() % 8) {
	case 0:
		p->p_offset = v;
		break;
	case 1:
		p->p_filesz = v;
		break;
	case 2:
		p->p_memsz = v;
		break;
	case 3:
		p->p_vaddr = v;
		break;
	case 4:
		p->p_type = rng() % 2 ? rng() % 8 : PT_GNU_STACK;
		break;
	case 5:
		p->p_flags = rng() % 8;
		break;
	case 6:
		p->p_align = v;
		break;
	default:
		p->p_vaddr += (rng() % 3 - 1) * 0x1000;
		break;
	}
}

static void mutate_ehdr_field(uint64_t file_size)
{
	switch (rng() % 4) {
	case 0:
		EH->e_phoff = boundary_value(file_size);
		break;
	case 1:
		EH->e_phnum = rng() % 3 ? rng() % 12 : (uint16_t)rng();
		break;
	case 2:
		EH->e_entry = rng() % 2 ? boundary_value(file_size) : EH->e_entry + rng() % 0x5000;
		break;
	default:
		EH->e_phoff = HEAD_LEN - 56 * (rng() % 10) - rng() % 8;
		break;
	}
}

static void mutate(uint64_t file_size)
{
	unsigned n = 1 + rng() % 4;

	for (unsigned i = 0; i < n; i++) {
		switch (rng() % 4) {
		case 0:
			img.b[rng() % 0x400] ^= 1u << (rng() % 8);
			break;
		case 1:
			img.b[rng() % IMG_SIZE] = (uint8_t)rng();
			break;
		case 2:
			mutate_phdr_field(file_size);
			break;
		default:
			mutate_ehdr_field(file_size);
			break;
		}
	}
}

TEST(elf, fuzz_random_mutations)
{
	struct elf_info inf;
	unsigned ok = 0, rejected = 0;

	for (int iter = 0; iter < 50000; iter++) {
		uint64_t file_size = rng() % 8 ? IMG_SIZE : IMG_SIZE - rng() % 0x1000;
		size_t head_len = rng() % 8 ? HEAD_LEN : 64 + rng() % (HEAD_LEN - 64);
		int ret;

		iter % 2 ? build_pie() : build_exec();
		mutate(file_size);
		ret = parse_len(head_len, file_size, &inf);
		CHECK(ret == 0 || ret == -ENOEXEC);
		if (ret == 0) {
			check_invariants(&inf, file_size);
			ok++;
		} else {
			rejected++;
		}
	}
	/* The mutations must exercise both outcomes. */
	CHECK(ok > 1000);
	CHECK(rejected > 1000);
}

/* ---- "#!" ---- */

static char interp[128], arg[128];

static int shebang(const char *s)
{
	return parse_shebang(s, strlen(s), interp, sizeof(interp), arg, sizeof(arg));
}

TEST(shebang, interpreter_and_argument)
{
	CHECK_EQ(shebang("#!/bin/sh\necho hi\n"), 0);
	CHECK_STR_EQ(interp, "/bin/sh");
	CHECK_STR_EQ(arg, "");
	CHECK_EQ(shebang("#! \t/usr/bin/env  python3 -u \t\nprint()\n"), 0);
	CHECK_STR_EQ(interp, "/usr/bin/env");
	CHECK_STR_EQ(arg, "python3 -u");
	CHECK_EQ(shebang("#!/bin/busybox\tsh"), 0); /* no newline: the file ends */
	CHECK_STR_EQ(interp, "/bin/busybox");
	CHECK_STR_EQ(arg, "sh");
	CHECK_EQ(shebang("#!/bin/sh\r\n"), 0); /* like Linux, \r is part of the name */
	CHECK_STR_EQ(interp, "/bin/sh\r");
	CHECK_EQ(shebang("#!/bin/sh   \n"), 0);
	CHECK_STR_EQ(arg, "");
}

TEST(shebang, nul_ends_the_line)
{
	static const char s[] = "#!/bin/sh -e\0 more\n";

	CHECK_EQ(parse_shebang(s, sizeof(s) - 1, interp, sizeof(interp), arg, sizeof(arg)), 0);
	CHECK_STR_EQ(interp, "/bin/sh");
	CHECK_STR_EQ(arg, "-e");
}

TEST(shebang, not_a_script_or_no_interpreter)
{
	CHECK_EQ(shebang(""), -ENOEXEC);
	CHECK_EQ(shebang("#"), -ENOEXEC);
	CHECK_EQ(shebang("#!"), -ENOEXEC);
	CHECK_EQ(shebang("#! \t \nfoo"), -ENOEXEC);
	CHECK_EQ(shebang("\x7f"
			 "ELF"),
		 -ENOEXEC);
	CHECK_EQ(shebang(" #!/bin/sh\n"), -ENOEXEC);
	CHECK_EQ(parse_shebang("#!/bin/sh", 2, interp, sizeof(interp), arg, sizeof(arg)), -ENOEXEC);
}

TEST(shebang, line_limit)
{
	static char s[400];
	char big[300];

	/* No newline in the first 256 bytes: the argument is cut, which is allowed. */
	memset(s, 'x', sizeof(s));
	memcpy(s, "#!/bin/sh ", 10);
	CHECK_EQ(parse_shebang(s, sizeof(s), interp, sizeof(interp), arg, sizeof(arg)),
		 -ENAMETOOLONG);
	CHECK_EQ(parse_shebang(s, sizeof(s), interp, sizeof(interp), big, sizeof(big)), 0);
	CHECK_EQ(strlen(big), (size_t)SHEBANG_LINE_MAX - 10);
	/* The interpreter itself reaches the limit: its path was cut off. */
	memset(s, 'x', sizeof(s));
	memcpy(s, "#!/", 3);
	CHECK_EQ(parse_shebang(s, sizeof(s), interp, sizeof(interp), arg, sizeof(arg)), -ENOEXEC);
	/* A file shorter than the limit ends the line at its end instead. */
	CHECK_EQ(parse_shebang(s, 100, interp, sizeof(interp), arg, sizeof(arg)), 0);
	CHECK_EQ(strlen(interp), 98u);
}

TEST(shebang, name_too_long)
{
	char small[8];

	CHECK_EQ(parse_shebang("#!/bin/sh", 9, small, sizeof(small), arg, sizeof(arg)), 0);
	CHECK_STR_EQ(small, "/bin/sh");
	CHECK_EQ(parse_shebang("#!/bin/dash", 11, small, sizeof(small), arg, sizeof(arg)),
		 -ENAMETOOLONG);
	CHECK_EQ(parse_shebang("#!/bin/sh -eux", 14, interp, sizeof(interp), small, 4),
		 -ENAMETOOLONG);
	CHECK_EQ(parse_shebang("#!/bin/sh -eu", 13, interp, sizeof(interp), small, 4), 0);
	CHECK_STR_EQ(small, "-eu");
	CHECK_EQ(parse_shebang("#!/bin/sh", 9, interp, 0, arg, sizeof(arg)), -ENAMETOOLONG);
}

TEST(shebang, fuzz)
{
	static const char alphabet[] = "#! \t\n\r\0/ab";

	for (int iter = 0; iter < 20000; iter++) {
		size_t len = rng() % 300, isz = 1 + rng() % 64, asz = 1 + rng() % 300;
		char *s = malloc(len ? len : 1), *in = malloc(isz), *ar = malloc(asz);
		int ret;

		for (size_t i = 0; i < len; i++)
			s[i] = alphabet[rng() % (sizeof(alphabet) - 1)];
		if (len >= 2 && rng() % 2)
			memcpy(s, "#!", 2);
		ret = parse_shebang(s, len, in, isz, ar, asz);
		CHECK(ret == 0 || ret == -ENOEXEC || ret == -ENAMETOOLONG);
		if (ret == 0) {
			CHECK(strnlen(in, isz) < isz && strnlen(ar, asz) < asz);
			CHECK(in[0] && !strchr(in, ' ') && !strchr(in, '\t') && !strchr(in, '\n'));
			CHECK(!strchr(ar, '\n'));
		}
		free(s);
		free(in);
		free(ar);
	}
}
