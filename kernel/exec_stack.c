/*
 * Builds the initial user stack image of a new program
 * (include/kernel/exec_stack.h). Called by execve with kernel copies of
 * the arguments; pure and portable, so the host unit tests decode the
 * result. The image grows down from the top of the buffer; every push is
 * checked against the room left and every size against overflow, so huge
 * argument lists fail with -E2BIG instead of wrapping around.
 */
#include <kernel/exec_stack.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/elf.h>
#include <uapi/errno.h>

/* The buffer seen through the user addresses it stands for. */
struct stk {
	uint8_t *buf;
	uint64_t base; /* user address of buf[0] */
	uint64_t pos;  /* lowest user address used so far */
};

static uint8_t *at(const struct stk *s, uint64_t addr)
{
	return s->buf + (addr - s->base);
}

/* Moves pos down by @n bytes, or -E2BIG when the buffer has no room. */
static int reserve(struct stk *s, uint64_t n)
{
	if (n > s->pos - s->base)
		return -E2BIG;
	s->pos -= n;
	return 0;
}

/* Pushes @n bytes of @p; *@addr gets their user address. */
static int push_bytes(struct stk *s, const void *p, size_t n, uint64_t *addr)
{
	int err = reserve(s, n);

	if (err)
		return err;
	memcpy(at(s, s->pos), p, n);
	*addr = s->pos;
	return 0;
}

static int push_string(struct stk *s, const char *str, uint64_t *addr)
{
	return push_bytes(s, str, strlen(str) + 1, addr);
}

/* Adds the sizes of @n strings with their NULs to *@total; false on overflow. */
static bool add_strings_size(const char *const *v, size_t n, uint64_t *total)
{
	for (size_t i = 0; i < n; i++)
		if (__builtin_add_overflow(*total, strlen(v[i]) + 1, total))
			return false;
	return true;
}

/* Copies @n strings one after the other from @addr up; returns the end. */
static uint64_t copy_strings(struct stk *s, const char *const *v, size_t n, uint64_t addr)
{
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(v[i]) + 1;

		memcpy(at(s, addr), v[i], len);
		addr += len;
	}
	return addr;
}

/* Pushes the argv and envp strings as one block, argv[0] lowest. */
static int push_arg_strings(struct stk *s, const struct exec_stack_args *a, uint64_t *addr)
{
	uint64_t total = 0, end;
	int err;

	if (!add_strings_size(a->argv, a->argc, &total) ||
	    !add_strings_size(a->envp, a->envc, &total))
		return -E2BIG;
	err = reserve(s, total);
	if (err)
		return err;
	end = copy_strings(s, a->argv, a->argc, s->pos);
	copy_strings(s, a->envp, a->envc, end);
	*addr = s->pos;
	return 0;
}

/* Number of auxv pairs written: the given ones, RANDOM, EXECFN, [PLATFORM], NULL. */
static size_t aux_pairs(const struct exec_stack_args *a)
{
	return a->auxc + 3 + (a->platform != NULL);
}

/* Bytes of argc, argv[], envp[] and auxv; false on overflow. */
static bool table_size(const struct exec_stack_args *a, uint64_t *bytes)
{
	uint64_t words, aux;

	if (__builtin_add_overflow(a->argc, a->envc, &words) ||
	    __builtin_add_overflow(words, 3, &words) ||
	    __builtin_mul_overflow(aux_pairs(a), 2, &aux) ||
	    __builtin_add_overflow(words, aux, &words))
		return false;
	return !__builtin_mul_overflow(words, 8, bytes);
}

uint64_t exec_stack_auxv_offset(const struct exec_stack_args *a)
{
	return (a->argc + a->envc + 3) * 8; /* argc, argv[] and NULL, envp[] and NULL */
}

uint64_t exec_stack_auxv_bytes(const struct exec_stack_args *a)
{
	return aux_pairs(a) * 16;
}

static void put_word(struct stk *s, uint64_t *addr, uint64_t v)
{
	memcpy(at(s, *addr), &v, sizeof(v));
	*addr += sizeof(v);
}

/* Writes the pointers to @n consecutive strings at @str, then NULL; returns the end. */
static uint64_t put_string_ptrs(struct stk *s, uint64_t *addr, const char *const *v, size_t n,
				uint64_t str)
{
	for (size_t i = 0; i < n; i++) {
		put_word(s, addr, str);
		str += strlen(v[i]) + 1;
	}
	put_word(s, addr, 0);
	return str;
}

static void put_aux(struct stk *s, uint64_t *addr, uint64_t key, uint64_t val)
{
	put_word(s, addr, key);
	put_word(s, addr, val);
}

/* User addresses of what lies above the table. */
struct stack_strings {
	uint64_t execfn, platform, args, random;
};

static void write_table(struct stk *s, const struct exec_stack_args *a,
			const struct stack_strings *str)
{
	uint64_t addr = s->pos, strings;

	put_word(s, &addr, a->argc);
	strings = put_string_ptrs(s, &addr, a->argv, a->argc, str->args);
	put_string_ptrs(s, &addr, a->envp, a->envc, strings);
	for (size_t i = 0; i < a->auxc; i++)
		put_aux(s, &addr, a->auxv[i][0], a->auxv[i][1]);
	put_aux(s, &addr, AT_RANDOM, str->random);
	put_aux(s, &addr, AT_EXECFN, str->execfn);
	if (a->platform)
		put_aux(s, &addr, AT_PLATFORM, str->platform);
	put_aux(s, &addr, AT_NULL, 0);
}

/*
 * Reserves the @bytes of the table with their start (the rsp) 16-byte
 * aligned, and zeroes the padding above them: the buffer may hold stale
 * kernel data that must not reach user space.
 */
static int reserve_table(struct stk *s, uint64_t bytes)
{
	uint64_t above = s->pos;
	int err = reserve(s, bytes);

	if (err)
		return err;
	if (ALIGN_DOWN(s->pos, 16) < s->base)
		return -E2BIG;
	s->pos = ALIGN_DOWN(s->pos, 16);
	memset(at(s, s->pos + bytes), 0, above - (s->pos + bytes));
	return 0;
}

static bool aux_key_reserved(uint64_t key)
{
	return key == AT_NULL || key == AT_RANDOM || key == AT_EXECFN || key == AT_PLATFORM;
}

/* Validates @a and sets *@table to the size of argc, argv[], envp[] and auxv. */
static int check_args(size_t buf_size, const struct exec_stack_args *a, uint64_t *table)
{
	if (!a->random16 || !a->execfn || buf_size > a->stack_top || a->pad > buf_size)
		return -EINVAL;
	if ((a->argc && !a->argv) || (a->envc && !a->envp) || (a->auxc && !a->auxv))
		return -EINVAL;
	/* Too many entries fail here, before the arrays are even looked at. */
	if (!table_size(a, table) || *table > buf_size)
		return -E2BIG;
	for (size_t i = 0; i < a->auxc; i++)
		if (aux_key_reserved(a->auxv[i][0]))
			return -EINVAL;
	return 0;
}

static int push_all(struct stk *s, const struct exec_stack_args *a, uint64_t table)
{
	static const uint64_t zero;
	struct stack_strings str = { 0 };
	uint64_t unused;
	int err;

	err = push_bytes(s, &zero, sizeof(zero), &unused);
	if (!err)
		err = push_string(s, a->execfn, &str.execfn);
	if (!err && a->platform)
		err = push_string(s, a->platform, &str.platform);
	if (!err)
		err = push_arg_strings(s, a, &str.args);
	if (!err && (err = reserve(s, a->pad)) == 0)
		memset(at(s, s->pos), 0, a->pad);
	if (!err)
		err = push_bytes(s, a->random16, 16, &str.random);
	if (!err)
		err = reserve_table(s, table);
	if (!err)
		write_table(s, a, &str);
	return err;
}

int exec_build_stack(void *buf, size_t buf_size, const struct exec_stack_args *a, uint64_t *sp)
{
	struct stk s;
	uint64_t table;
	int err = check_args(buf_size, a, &table);

	if (err)
		return err;
	s.buf = buf;
	s.base = a->stack_top - buf_size;
	s.pos = a->stack_top;
	err = push_all(&s, a, table);
	if (!err)
		*sp = s.pos;
	return err;
}
