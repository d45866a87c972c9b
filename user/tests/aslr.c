/*
 * Address-space layout randomization: runs a helper (this program built as
 * a static PIE, and as a dynamic PIE with musl's loader as its interpreter)
 * ten times and compares where each region landed: the stack, a mmap, the
 * program (main), brk's distance from the program, the interpreter
 * (AT_BASE). Each must differ between runs; all must be equal under
 * personality(ADDR_NO_RANDOMIZE) and with randomize_va_space at 0; at 1,
 * everything but brk moves. Also personality(2)'s query, inheritance by
 * fork and exec (but not into a set-ID program), and the sysctl's checks.
 *
 * "aslr --helper fixed", for a boot with the norandmaps parameter, checks
 * that the sysctl reads 0 and every region is the same in ten runs.
 * "aslr --helper entropy N" measures: N runs, then per region the number
 * of distinct values and the entropy in bits (log2 of the values' span in
 * units of their alignment: exact once N runs have reached both ends).
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/personality.h>
#include <sys/stat.h>
#include <grp.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define RUNS	 10
#define SYSCTL	 "/proc/sys/kernel/randomize_va_space"
#define PIE_PROG "/tests/aslr-pie"
#define DYN_PROG "/tests/aslr-dyn"

enum {
	R_STACK,
	R_MMAP,
	R_MAIN,
	R_BRK,
	R_INTERP,
	R_PERSONA,
	NREGIONS
};
static const char *const region_names[NREGIONS] = { "stack", "mmap",   "main",
						    "brk",   "interp", "personality" };

struct sample {
	unsigned long v[NREGIONS];
};

/* The helper's side: one line with where things are. */
static int print_layout(void)
{
	volatile int local = 0;
	void *m = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned long brk = syscall(SYS_brk, 0);

	if (m == MAP_FAILED)
		return 1;
	printf("%lx %lx %lx %lx %lx %lx\n", (unsigned long)&local, (unsigned long)m,
	       (unsigned long)&print_layout, brk - (unsigned long)&print_layout, getauxval(AT_BASE),
	       (unsigned long)personality(0xffffffff));
	return local;
}

static bool as_user_2000; /* sample_once's child drops to uid 2000 before its exec */

/* Runs PROG --helper print (after personality(persona) unless -1); 0 or -1. */
static int sample_once(const char *prog, long persona, struct sample *s)
{
	char buf[256];
	int p[2], status;
	ssize_t n, got = 0;
	pid_t pid;

	if (pipe(p))
		return -1;
	pid = fork();
	if (pid == 0) {
		if (as_user_2000 && (setgroups(0, NULL) || setresgid(2000, 2000, 2000) ||
				     setresuid(2000, 2000, 2000)))
			_exit(4);
		if (persona >= 0 && personality(persona) < 0)
			_exit(2);
		dup2(p[1], 1);
		execl(prog, prog, "--helper", "print", (char *)NULL);
		_exit(3);
	}
	close(p[1]);
	while ((n = read(p[0], buf + got, sizeof(buf) - 1 - got)) > 0)
		got += n;
	close(p[0]);
	buf[got] = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
		return -1;
	return sscanf(buf, "%lx %lx %lx %lx %lx %lx", &s->v[0], &s->v[1], &s->v[2], &s->v[3],
		      &s->v[4], &s->v[5]) == NREGIONS
		       ? 0
		       : -1;
}

static void sample_runs(const char *prog, long persona, struct sample *s, int runs)
{
	for (int i = 0; i < runs; i++)
		UT_EQ(sample_once(prog, persona, &s[i]), 0);
}

static int distinct(const struct sample *s, int runs, int r)
{
	int count = 0;

	for (int i = 0; i < runs; i++) {
		int seen = 0;

		for (int j = 0; j < i && !seen; j++)
			seen = s[j].v[r] == s[i].v[r];
		count += !seen;
	}
	return count;
}

/*
 * The entropy seen, in bits: log2 of the span of the values in units of
 * their alignment (the lowest bit that ever differs). Counting the bits
 * that changed would add the carries of base + random offset.
 */
static int entropy_bits(const struct sample *s, int runs, int r)
{
	unsigned long lo = s[0].v[r], hi = s[0].v[r], diff = 0;

	for (int i = 1; i < runs; i++) {
		lo = s[i].v[r] < lo ? s[i].v[r] : lo;
		hi = s[i].v[r] > hi ? s[i].v[r] : hi;
	}
	for (int i = 0; i < runs; i++)
		diff |= s[i].v[r] - lo;
	return hi == lo ? 0 : (64 - __builtin_clzl(hi - lo)) - __builtin_ctzl(diff);
}

static void set_level(const char *level)
{
	int fd = UT_NOERR(open(SYSCTL, O_WRONLY));

	UT_EQ(write(fd, level, strlen(level)), (ssize_t)strlen(level));
	close(fd);
}

static int read_level(void)
{
	char buf[8] = { 0 };
	int fd = UT_NOERR(open(SYSCTL, O_RDONLY));

	UT_CHECK(read(fd, buf, sizeof(buf) - 1) > 0);
	close(fd);
	return atoi(buf);
}

/*
 * Every randomized region differs in every run: the stack has 22 bits of
 * pages and a sub-page offset, mmap and the program 28 bits each, so ten
 * runs collide with a chance of about 45 / 2^22 (1e-5). brk's distance
 * from the program has only 13 bits (8192 pages): a pair among 45 collides
 * with a chance of 45 / 8192 = 0.5%, too often for a test, but two
 * collisions (fewer than 9 distinct) come with a chance near 1.5e-5.
 */
static void check_random(const struct sample *s, bool brk, bool interp)
{
	UT_EQ(distinct(s, RUNS, R_STACK), RUNS);
	UT_EQ(distinct(s, RUNS, R_MMAP), RUNS);
	UT_EQ(distinct(s, RUNS, R_MAIN), RUNS);
	if (brk)
		UT_CHECK(distinct(s, RUNS, R_BRK) >= RUNS - 1);
	else
		UT_EQ(distinct(s, RUNS, R_BRK), 1);
	if (interp)
		UT_EQ(distinct(s, RUNS, R_INTERP), RUNS);
}

static void check_fixed(const struct sample *s)
{
	for (int r = 0; r < R_PERSONA; r++)
		UT_EQ(distinct(s, RUNS, r), 1);
}

UT_CASE(regions_differ_between_runs)
{
	struct sample s[RUNS];

	UT_EQ(read_level(), 2); /* the boot default, as Debian's: brk too */
	sample_runs(PIE_PROG, -1, s, RUNS);
	check_random(s, true, false);
	UT_EQ(s[0].v[R_INTERP], 0UL);	   /* a static PIE has no interpreter */
	UT_EQ(s[0].v[R_STACK] >> 44, 7UL); /* near the top of the user half */
}

UT_CASE(interpreter_differs_between_runs)
{
	struct sample s[RUNS];

	sample_runs(DYN_PROG, -1, s, RUNS);
	check_random(s, true, true);
	for (int i = 0; i < RUNS; i++) {
		UT_NE(s[i].v[R_INTERP], 0UL);
		UT_CHECK(s[i].v[R_INTERP] % 4096 == 0);
	}
}

UT_CASE(addr_no_randomize_fixes_everything)
{
	struct sample s[RUNS];

	sample_runs(PIE_PROG, ADDR_NO_RANDOMIZE, s, RUNS);
	check_fixed(s);
	UT_EQ(s[0].v[R_PERSONA], (unsigned long)ADDR_NO_RANDOMIZE); /* kept by exec */
	UT_EQ(s[0].v[R_MAIN] >> 12 << 12 >= 0x555555554000UL, 1);
	sample_runs(DYN_PROG, ADDR_NO_RANDOMIZE, s, RUNS);
	check_fixed(s);
}

UT_CASE(randomize_va_space_levels)
{
	struct sample s[RUNS];

	set_level("0");
	UT_EQ(read_level(), 0);
	sample_runs(DYN_PROG, -1, s, RUNS);
	set_level("1");
	check_fixed(s);
	UT_EQ(s[0].v[R_PERSONA], 0UL);
	sample_runs(DYN_PROG, -1, s, RUNS);
	set_level("2");
	check_random(s, false, true); /* 1: all but brk */
	UT_EQ(read_level(), 2);
}

UT_CASE(randomize_va_space_rejects_bad_values)
{
	int fd = UT_NOERR(open(SYSCTL, O_WRONLY));

	UT_ERRNO(write(fd, "3", 1), EINVAL);
	UT_ERRNO(write(fd, "-1", 2), EINVAL);
	UT_ERRNO(write(fd, "x", 1), EINVAL);
	close(fd);
	UT_EQ(read_level(), 2);
}

UT_CASE(personality_query_set_inherit)
{
	int status;
	pid_t pid;

	UT_EQ(personality(0xffffffff), PER_LINUX);
	UT_EQ(personality(PER_LINUX | ADDR_NO_RANDOMIZE), PER_LINUX);
	UT_EQ(personality(0xffffffff), ADDR_NO_RANDOMIZE);
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(personality(0xffffffff) == ADDR_NO_RANDOMIZE ? 0 : 1);
	UT_EQ(waitpid(pid, &status, 0), pid);
	UT_EQ(status, 0);
	UT_EQ(personality(PER_LINUX), ADDR_NO_RANDOMIZE);
	UT_EQ(personality(0xffffffff), PER_LINUX);
}

/* A copy of the static-PIE helper at path, set-user-ID to uid 1000. */
static void copy_setuid(const char *path)
{
	char buf[8192];
	int in = UT_NOERR(open(PIE_PROG, O_RDONLY));
	int out = UT_NOERR(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700));
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		UT_EQ(write(out, buf, n), n);
	UT_EQ(n, 0);
	close(in);
	UT_NOERR(close(out));
	UT_NOERR(chown(path, 1000, 1000));
	UT_NOERR(chmod(path, 04755));
}

/* A set-ID exec drops ADDR_NO_RANDOMIZE (Linux's PER_CLEAR_ON_SETID): its layout is random. */
UT_CASE(setuid_exec_clears_addr_no_randomize)
{
	static const char path[] = "/tmp/aslr-setuid";
	struct sample s[RUNS];

	copy_setuid(path);
	as_user_2000 = true;
	sample_runs(path, ADDR_NO_RANDOMIZE, s, RUNS);
	as_user_2000 = false;
	UT_EQ(s[0].v[R_PERSONA], 0UL);
	check_random(s, true, false);
	/* Without the set-ID bit the personality is kept. */
	UT_NOERR(chmod(path, 0755));
	as_user_2000 = true;
	sample_runs(path, ADDR_NO_RANDOMIZE, s, RUNS);
	as_user_2000 = false;
	UT_EQ(s[0].v[R_PERSONA], (unsigned long)ADDR_NO_RANDOMIZE);
	check_fixed(s);
	UT_NOERR(unlink(path));
}

/* The same stack top region in /proc/self/maps: "[stack]" ends above the initial rsp. */
UT_CASE(maps_name_the_randomized_stack)
{
	volatile int local = 0;
	unsigned long lo, hi, at = (unsigned long)&local;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "r");
	bool found = false;

	UT_CHECK(f != NULL);
	while (fgets(line, sizeof(line), f))
		if (strstr(line, "[stack]") && sscanf(line, "%lx-%lx", &lo, &hi) == 2)
			found = lo <= at && at < hi;
	fclose(f);
	UT_CHECK(found);
}

/* Last: the boot default again. */
UT_CASE(default_level_restored)
{
	set_level("2");
	UT_EQ(read_level(), 2);
}

static int measure_entropy(int runs)
{
	static const char *const progs[] = { PIE_PROG, DYN_PROG };
	struct sample *s = calloc(runs, sizeof(*s));

	if (!s)
		return 1;
	int fd = open(SYSCTL, O_WRONLY);

	if (fd < 0 || write(fd, "2", 1) != 1) /* brk too */
		return 3;
	close(fd);
	for (unsigned p = 0; p < 2; p++) {
		for (int i = 0; i < runs; i++)
			if (sample_once(progs[p], -1, &s[i]))
				return 2;
		for (int r = 0; r < R_PERSONA; r++)
			printf("aslr-entropy %s %s: %d distinct of %d, %d bits\n", progs[p],
			       region_names[r], distinct(s, runs, r), runs,
			       entropy_bits(s, runs, r));
	}
	free(s);
	return 0;
}

/* For a boot with norandmaps: randomize_va_space reads 0 and ten runs of each program agree. */
static int check_fixed_boot(void)
{
	static const char *const progs[] = { PIE_PROG, DYN_PROG };
	struct sample s[RUNS];
	char buf[8] = { 0 };
	int fd = open(SYSCTL, O_RDONLY);

	if (fd < 0 || read(fd, buf, sizeof(buf) - 1) <= 0 || strcmp(buf, "0\n"))
		return 1;
	close(fd);
	for (unsigned p = 0; p < 2; p++) {
		for (int i = 0; i < RUNS; i++)
			if (sample_once(progs[p], -1, &s[i]))
				return 2;
		for (int r = 0; r < R_PERSONA; r++)
			if (distinct(s, RUNS, r) != 1)
				return 3 + r;
	}
	printf("aslr: norandmaps: ten runs of each program at the same addresses\n");
	return 0;
}

int ut_helper(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "fixed"))
		return check_fixed_boot();
	if (argc == 2 && !strcmp(argv[1], "print"))
		return print_layout();
	if (argc == 3 && !strcmp(argv[1], "entropy"))
		return measure_entropy(atoi(argv[2]));
	return 99;
}
