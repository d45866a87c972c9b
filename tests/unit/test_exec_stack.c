/*
 * Unit tests of the initial user stack builder (kernel/exec_stack.c). The
 * image is decoded back through the user addresses it contains, as a C
 * library's start code would read it: argc, argv, envp, auxv, the strings
 * and the random bytes, plus the alignment, the exact minimum size and the
 * error cases. Buffers are exact-size heap blocks, so AddressSanitizer
 * catches any write outside them.
 */
#include <stdlib.h>

#include "harness.h"
#include <kernel/exec_stack.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/elf.h>
#include <uapi/errno.h>

#define TOP	0x7ffffffff000ULL
#define BUF_MAX 8192

static const char *const test_argv[] = { "prog", "-x", "hello world" };
static const char *const test_envp[] = { "A=1", "PATH=/bin:/usr/bin" };
static const uint64_t test_auxv[][2] = { { AT_PAGESZ, 4096 },
					 { AT_ENTRY, 0x401000 },
					 { AT_PHNUM, 7 } };
static const uint8_t test_random[16] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16 };

/* A decoded image: the buffer and the user addresses it stands for. */
struct image {
	uint8_t *buf;
	size_t size;
	uint64_t top;
};

static struct exec_stack_args full_args(void)
{
	return (struct exec_stack_args){ .argv = test_argv,
					 .argc = ARRAY_SIZE(test_argv),
					 .envp = test_envp,
					 .envc = ARRAY_SIZE(test_envp),
					 .auxv = test_auxv,
					 .auxc = ARRAY_SIZE(test_auxv),
					 .random16 = test_random,
					 .execfn = "/bin/prog",
					 .platform = "x86_64",
					 .stack_top = TOP };
}

/* Pointer into the image for the @len bytes at user address @addr; fails if outside. */
static const uint8_t *at(const struct image *im, uint64_t addr, size_t len)
{
	uint64_t base = im->top - im->size;

	if (addr < base || addr > im->top || len > im->top - addr)
		test_fail(__FILE__, __LINE__, "address inside the image", NULL);
	return im->buf + (addr - base);
}

static uint64_t word(const struct image *im, uint64_t addr)
{
	uint64_t v;

	memcpy(&v, at(im, addr, 8), 8);
	return v;
}

/* The string at @addr, which must be NUL-terminated inside the image. */
static const char *str(const struct image *im, uint64_t addr)
{
	const char *s = (const char *)at(im, addr, 1);

	CHECK(strnlen(s, im->top - addr) < im->top - addr);
	return s;
}

/* Checks a NULL-terminated pointer array at *@addr against @v; moves past it. */
static void check_strings(const struct image *im, uint64_t *addr, const char *const *v, size_t n)
{
	for (size_t i = 0; i < n; i++, *addr += 8)
		CHECK_STR_EQ(str(im, word(im, *addr)), v[i]);
	CHECK_EQ(word(im, *addr), 0ULL);
	*addr += 8;
}

/* Builds into a fresh exact-size buffer; the caller frees im->buf. */
static int build(struct image *im, size_t size, const struct exec_stack_args *a, uint64_t *sp)
{
	im->buf = malloc(size ? size : 1);
	im->size = size;
	im->top = a->stack_top;
	memset(im->buf, 0xaa, size);
	return exec_build_stack(im->buf, size, a, sp);
}

/* Finds auxv entry @key after the envp terminator at @aux; 0 if absent. */
static uint64_t aux_get(const struct image *im, uint64_t aux, uint64_t key)
{
	for (;; aux += 16) {
		if (word(im, aux) == key)
			return word(im, aux + 8);
		if (word(im, aux) == AT_NULL)
			return 0;
	}
}

/* The padding between the table's end and the random bytes is zeroed. */
static void check_padding_zero(const struct image *im, uint64_t table_end, uint64_t random)
{
	CHECK(table_end <= random && random - table_end < 16);
	for (uint64_t q = table_end; q < random; q++)
		CHECK_EQ(*at(im, q, 1), 0);
}

TEST(exec_stack, full_layout)
{
	struct exec_stack_args a = full_args();
	struct image im;
	uint64_t sp, p, random, execfn, platform;
	static const uint64_t keys[] = { AT_PAGESZ, AT_ENTRY,	 AT_PHNUM, AT_RANDOM,
					 AT_EXECFN, AT_PLATFORM, AT_NULL };

	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), 0);
	CHECK_EQ(sp % 16, 0ULL);
	CHECK_EQ(word(&im, sp), 3ULL);
	p = sp + 8;
	check_strings(&im, &p, test_argv, 3);
	check_strings(&im, &p, test_envp, 2);
	for (unsigned i = 0; i < ARRAY_SIZE(keys); i++)
		CHECK_EQ(word(&im, p + 16 * i), keys[i]);
	CHECK_EQ(word(&im, p + 8), 4096ULL);
	CHECK_EQ(word(&im, p + 24), 0x401000ULL);
	CHECK_EQ(word(&im, p + 40), 7ULL);
	CHECK_EQ(word(&im, p + 6 * 16 + 8), 0ULL);
	/* Where core dumps find it: the vector, AT_NULL its last pair. */
	CHECK_EQ(sp + exec_stack_auxv_offset(&a), p);
	CHECK_EQ(exec_stack_auxv_bytes(&a), 7 * 16ULL);
	random = aux_get(&im, p, AT_RANDOM);
	execfn = aux_get(&im, p, AT_EXECFN);
	platform = aux_get(&im, p, AT_PLATFORM);
	CHECK(!memcmp(at(&im, random, 16), test_random, 16));
	/* From the top: zero word, execfn, platform, argv+envp strings, random. */
	CHECK_EQ(word(&im, TOP - 8), 0ULL);
	CHECK_EQ(execfn, TOP - 8 - sizeof("/bin/prog"));
	CHECK_STR_EQ(str(&im, execfn), "/bin/prog");
	CHECK_EQ(platform, execfn - sizeof("x86_64"));
	CHECK_STR_EQ(str(&im, platform), "x86_64");
	CHECK_EQ(word(&im, sp + 8), random + 16); /* argv[0] string right above */
	/* envp's last string ends where the platform string starts */
	CHECK_EQ(word(&im, sp + 8 * 6) + sizeof("PATH=/bin:/usr/bin"), platform);
	check_padding_zero(&im, p + 7 * 16, random);
	/* Nothing below sp was touched. */
	for (uint64_t q = TOP - BUF_MAX; q < sp; q++)
		CHECK_EQ(*at(&im, q, 1), 0xaa);
	free(im.buf);
}

TEST(exec_stack, no_platform_no_args)
{
	struct exec_stack_args a = full_args();
	struct image im;
	uint64_t sp, p;

	a.platform = NULL;
	a.argc = a.envc = a.auxc = 0;
	a.argv = a.envp = NULL;
	a.auxv = NULL;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), 0);
	CHECK_EQ(sp % 16, 0ULL);
	CHECK_EQ(word(&im, sp), 0ULL);
	CHECK_EQ(word(&im, sp + 8), 0ULL);  /* argv[] = { NULL } */
	CHECK_EQ(word(&im, sp + 16), 0ULL); /* envp[] = { NULL } */
	p = sp + 24;
	CHECK_EQ(word(&im, p), (uint64_t)AT_RANDOM);
	CHECK_EQ(word(&im, p + 16), (uint64_t)AT_EXECFN);
	CHECK_EQ(word(&im, p + 32), (uint64_t)AT_NULL);
	CHECK_EQ(word(&im, p + 40), 0ULL);
	CHECK_EQ(sp + exec_stack_auxv_offset(&a), p);
	CHECK_EQ(exec_stack_auxv_bytes(&a), 3 * 16ULL);
	/* Without platform and strings, the random bytes sit right under execfn. */
	CHECK_EQ(word(&im, p + 24), TOP - 8 - sizeof("/bin/prog"));
	CHECK_EQ(word(&im, p + 8), TOP - 8 - sizeof("/bin/prog") - 16);
	CHECK(TOP - im.size <= sp);
	free(im.buf);
}

TEST(exec_stack, alignment_for_all_lengths)
{
	static char s[64];
	const char *argv[1] = { s };
	struct exec_stack_args a = full_args();
	struct image im;
	uint64_t sp;

	a.argv = argv;
	a.argc = 1;
	for (size_t len = 0; len < sizeof(s); len++) {
		for (uint64_t top = TOP - 24; top < TOP; top += 8) {
			memset(s, 'a', len);
			s[len] = 0;
			a.stack_top = top;
			CHECK_EQ(build(&im, 1024, &a, &sp), 0);
			CHECK_EQ(sp % 16, 0ULL);
			CHECK_STR_EQ(str(&im, word(&im, sp + 8)), s);
			check_padding_zero(&im, sp + 20 * 8, aux_get(&im, sp + 6 * 8, AT_RANDOM));
			free(im.buf);
		}
	}
}

/* ASLR's pad: zero bytes between the strings and the random bytes; the rsp moves down by it. */
TEST(exec_stack, pad_below_strings)
{
	struct exec_stack_args a = full_args();
	struct image im;
	uint64_t sp0, sp, random0, random, argv0;

	CHECK_EQ(build(&im, 3 * BUF_MAX, &a, &sp0), 0);
	random0 = aux_get(&im, sp0 + 8 * 8, AT_RANDOM);
	free(im.buf);
	for (uint64_t pad = 16; pad < 8192; pad += 16 * 37) {
		a.pad = pad;
		CHECK_EQ(build(&im, 3 * BUF_MAX, &a, &sp), 0);
		CHECK_EQ(sp, sp0 - pad);
		CHECK_EQ(sp % 16, 0ULL);
		random = aux_get(&im, sp + 8 * 8, AT_RANDOM);
		argv0 = word(&im, sp + 8);
		CHECK_EQ(random, random0 - pad);
		CHECK_EQ(argv0, random0 + 16); /* the strings did not move */
		CHECK(!memcmp(at(&im, random, 16), test_random, 16));
		for (uint64_t q = random + 16; q < argv0; q++)
			CHECK_EQ(*at(&im, q, 1), 0);
		free(im.buf);
	}
	a.pad = BUF_MAX + 1;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -EINVAL);
	free(im.buf);
}

TEST(exec_stack, misaligned_buffer)
{
	struct exec_stack_args a = full_args();
	uint8_t *raw = malloc(BUF_MAX + 1);
	uint64_t sp, v;

	/* The buffer's own alignment does not matter: only user addresses do. */
	CHECK_EQ(exec_build_stack(raw + 1, BUF_MAX, &a, &sp), 0);
	memcpy(&v, raw + 1 + (sp - (TOP - BUF_MAX)), 8);
	CHECK_EQ(v, 3ULL);
	free(raw);
}

TEST(exec_stack, exact_minimum_size)
{
	struct exec_stack_args a = full_args();
	struct image im;
	uint64_t sp, sp2;
	size_t need;

	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), 0);
	free(im.buf);
	need = TOP - sp;
	CHECK_EQ(build(&im, need, &a, &sp2), 0);
	CHECK_EQ(sp2, sp);
	CHECK_EQ(word(&im, sp2), 3ULL);
	free(im.buf);
	for (size_t size = 0; size < need; size++) {
		CHECK_EQ(build(&im, size, &a, &sp2), -E2BIG);
		free(im.buf);
	}
}

TEST(exec_stack, huge_lists_are_e2big)
{
	static const char *many[20000];
	struct exec_stack_args a = full_args();
	struct image im;
	uint64_t sp;

	for (size_t i = 0; i < ARRAY_SIZE(many); i++)
		many[i] = "x";
	a.argv = many;
	a.argc = ARRAY_SIZE(many);
	CHECK_EQ(build(&im, 65536, &a, &sp), -E2BIG);
	free(im.buf);
	/* Fits once the buffer is large enough: 20000 * (8 + 2) bytes plus the rest. */
	CHECK_EQ(build(&im, 256 * 1024, &a, &sp), 0);
	CHECK_EQ(word(&im, sp), 20000ULL);
	CHECK_STR_EQ(str(&im, word(&im, sp + 8 * 20000)), "x");
	free(im.buf);
	/* Counts whose table size overflows never get their strings read. */
	a.argc = SIZE_MAX / 8;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -E2BIG);
	free(im.buf);
	a.argc = SIZE_MAX - 1;
	a.envc = 5;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -E2BIG);
	free(im.buf);
	a.argc = 1;
	a.auxc = SIZE_MAX / 2;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -E2BIG);
	free(im.buf);
}

TEST(exec_stack, long_string_is_e2big)
{
	static char s[BUF_MAX];
	const char *argv[1] = { s };
	struct exec_stack_args a = full_args();
	struct image im;
	uint64_t sp;

	memset(s, 'a', sizeof(s) - 1);
	a.argv = argv;
	a.argc = 1;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -E2BIG);
	free(im.buf);
	a.execfn = s;
	a.argc = 0;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -E2BIG);
	free(im.buf);
}

TEST(exec_stack, invalid_arguments)
{
	static const uint64_t reserved[] = { AT_NULL, AT_RANDOM, AT_EXECFN, AT_PLATFORM };
	struct exec_stack_args a = full_args();
	uint64_t aux[1][2];
	struct image im;
	uint64_t sp;

	a.random16 = NULL;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -EINVAL);
	free(im.buf);
	a = full_args();
	a.execfn = NULL;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -EINVAL);
	free(im.buf);
	a = full_args();
	a.stack_top = BUF_MAX - 1;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -EINVAL);
	free(im.buf);
	/* Entries announced without their array. */
	a = full_args();
	a.argv = NULL;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -EINVAL);
	free(im.buf);
	a = full_args();
	a.envp = NULL;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -EINVAL);
	free(im.buf);
	a = full_args();
	a.auxv = NULL;
	CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -EINVAL);
	free(im.buf);
	for (unsigned i = 0; i < ARRAY_SIZE(reserved); i++) {
		a = full_args();
		aux[0][0] = reserved[i];
		aux[0][1] = 0;
		a.auxv = (const uint64_t(*)[2])aux;
		a.auxc = 1;
		CHECK_EQ(build(&im, BUF_MAX, &a, &sp), -EINVAL);
		free(im.buf);
	}
}

TEST(exec_stack, stack_at_address_zero_end)
{
	struct exec_stack_args a = full_args();
	struct image im;
	uint64_t sp;

	/* The buffer may reach user address 0; nothing wraps below it. */
	a.stack_top = 512;
	CHECK_EQ(build(&im, 512, &a, &sp), 0);
	CHECK_EQ(sp % 16, 0ULL);
	CHECK_EQ(word(&im, sp), 3ULL);
	free(im.buf);
	a.stack_top = 200;
	CHECK_EQ(build(&im, 200, &a, &sp), -E2BIG);
	free(im.buf);
}
