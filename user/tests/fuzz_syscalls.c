/*
 * fuzz_syscalls [COUNT] [SEED]: random system calls with random arguments;
 * the kernel must survive. Seeded (default 1) and so repeatable.
 *
 * Phase 1: one process makes COUNT calls (default 20000) that cannot harm
 * it, and must come through alive: the numbers exclude what would end,
 * block, signal or fork it, or rewrite its memory (see excluded()).
 * Phase 2: COUNT/200 short-lived processes make 200 calls each, now with
 * the memory calls (munmap, mremap, mprotect, brk, madvise, MAP_FIXED,
 * arch_prctl...) that can wreck them; each must end by exiting or by a
 * signal. Then the supervisor checks that fork, wait4 and its own memory
 * still work, prints the counts and exits 0.
 *
 * Pointer arguments are drawn from: NULL and small numbers, a scratch
 * buffer between two guard pages (so that a write through a good pointer
 * with a bad length stops at a guard, not in the fuzzer's own data), a
 * read-only page, the guard page, kernel and non-canonical addresses, and
 * a few real paths. Every fuzzing process first points fds 0-2 at
 * /dev/null and closes the rest, so that nothing reaches or waits for the
 * console. Calls that would change the machine (time, mounts, modules,
 * host files, other processes) are excluded too, so that the program is
 * safe to run on a Linux host as root (in a scratch directory).
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGE		4096UL
#define SCRATCH_PAGES	16
#define MAX_NR		470 /* a little past the last Linux number */
#define CALLS_PER_CHILD 200

/* What the fuzzing processes report, in memory shared with the supervisor. */
struct stats {
	long calls, ok;
	long last_nr, last_args[6];
	unsigned char errno_seen[4096 / 8];
};

static struct stats *stats;
static char *scratch, *readonly_page, *guard_page;
static uint64_t rng;

static const char *const paths[] = {
	"/dev/null", "/", "/tmp", "/nonexistent", "", ".", "..", "/dev/null/x", "/tests", "/etc",
};
extern const char __ehdr_start[], _end[];

static uint64_t next(void)
{
	/* splitmix64 */
	uint64_t z = (rng += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* Numbers that no fuzzing process may call (see the file comment). */
static int excluded(long nr)
{
	static const short never[] = {
		/* end, fork or signal the caller; block */
		60,
		231,
		62,
		200,
		234,
		129,
		297,
		424,
		434,
		438,
		57,
		58,
		56,
		435,
		59,
		322,
		15,
		34,
		35,
		230,
		61,
		247,
		130,
		128,
		23,
		270,
		7,
		271,
		232,
		281,
		441,
		449,
		455,
		37,
		38,
		222,
		223,
		101,
		43,
		288,
		42,
		45,
		47,
		299,
		/* objects whose reads block or that outlive the process */
		22,
		293,
		284,
		290,
		282,
		289,
		283,
		253,
		294,
		300,
		301,
		323,
		298,
		321,
		41,
		53,
		206,
		207,
		208,
		209,
		210,
		333,
		425,
		426,
		427,
		29,
		30,
		31,
		64,
		65,
		66,
		67,
		68,
		69,
		70,
		71,
		220,
		240,
		241,
		242,
		243,
		244,
		245,
		248,
		249,
		250,
		/* the machine: time, names, mounts, modules, power, ports, logs */
		169,
		164,
		227,
		159,
		305,
		170,
		171,
		165,
		166,
		167,
		168,
		155,
		161,
		163,
		179,
		443,
		175,
		176,
		313,
		246,
		320,
		172,
		173,
		103,
		153,
		272,
		308,
		428,
		429,
		430,
		431,
		432,
		433,
		442,
		467,
		134,
		162,
		306,
		/* other processes: priorities, affinity, memory, locks */
		142,
		144,
		314,
		141,
		251,
		203,
		311,
		256,
		279,
		149,
		150,
		151,
		152,
		325,
		/* files: nothing on the host may change */
		87,
		263,
		84,
		82,
		264,
		316,
		76,
		90,
		91,
		268,
		452,
		92,
		93,
		94,
		260,
		86,
		265,
		88,
		266,
		133,
		259,
		83,
		258,
		85,
		132,
		235,
		280,
		261,
		188,
		189,
		190,
		197,
		198,
		199,
		463,
		466,
		469,
		437,
		304,
		/* uretprobe, uprobe: SIGILL outside a probe; LSM attributes */
		335,
		336,
		460,
	};

	for (unsigned i = 0; i < sizeof(never) / sizeof(never[0]); i++)
		if (never[i] == nr)
			return 1;
	return 0;
}

/* Allowed only in phase 2: they can wreck the calling process. */
static int wrecks_caller(long nr)
{
	static const short wreck[] = { 11,  25,	 10,  329, 12,	28,  440, 216, 462, 237, 238, 450,
				       158, 334, 157, 135, 126, 205, 154, 160, 13,  317, 448 };

	for (unsigned i = 0; i < sizeof(wreck) / sizeof(wreck[0]); i++)
		if (wreck[i] == nr)
			return 1;
	return 0;
}

/* A number that might be taken for a pointer must not hit the program's image. */
static long not_in_image(uint64_t v)
{
	if (v >= (uint64_t)__ehdr_start && v < (uint64_t)_end + 1024 * 1024)
		v ^= 0x40000000;
	return (long)v;
}

static long random_arg(void)
{
	uint64_t r = next();

	switch (r % 16) {
	case 0:
		return 0;
	case 1:
		return 1 + (r >> 8) % 64;
	case 2:
		return -1;
	case 3:
		return not_in_image((uint32_t)(r >> 16));
	case 4:
		return not_in_image(next());
	case 5:
		return (long)(scratch + (r >> 8) % (SCRATCH_PAGES * PAGE));
	case 6:
		return (long)(scratch + SCRATCH_PAGES * PAGE - (r >> 8) % 64);
	case 7:
		return (long)(readonly_page + (r >> 8) % (2 * PAGE));
	case 8:
		return (long)guard_page;
	case 9:
		return (long)(0xffffffff80000000UL + ((r >> 8) % (1 << 20)) * 8);
	case 10:
		return (long)(0x8000000000000000UL | (r >> 4));
	case 11:
		return not_in_image(((r >> 8) % 64) * PAGE);
	case 12:
		return not_in_image(1UL << ((r >> 8) % 63));
	case 13: /* a path; or the read-only pages, a name longer than PATH_MAX */
		return (r >> 8) % 8 ? (long)paths[(r >> 16) % (sizeof(paths) / sizeof(paths[0]))]
				    : (long)readonly_page;
	case 14:
		return -100; /* AT_FDCWD */
	default:
		return not_in_image((r >> 8) & 0xfffff);
	}
}

/* Adjusts arguments that would block, harm the host or exhaust memory. */
static void fix_args(long nr, long a[6], int phase)
{
	switch (nr) {
	case 2: /* open: nothing created or truncated */
		a[1] &= ~(long)(O_CREAT | O_TRUNC | 0x400000);
		break;
	case 257: /* openat */
		a[2] &= ~(long)(O_CREAT | O_TRUNC | 0x400000);
		break;
	case 9: /* mmap: no populating, no locking; MAP_FIXED only in phase 2 */
		a[3] &= ~(long)(MAP_POPULATE | MAP_LOCKED);
		if (phase == 1)
			a[3] &= ~(long)MAP_FIXED;
		break;
	case 28: /* madvise: nothing that populates or poisons pages */
		if (a[2] == 22 || a[2] == 23 || a[2] >= 100)
			a[2] = MADV_DONTNEED;
		break;
	case 202: { /* futex: the waiting operations become wakes */
		long op = a[1] & 0x7f;
		if (op == 0 || op == 6 || op == 9 || op == 11 || op == 12 || op == 13)
			a[1] = (a[1] & ~0x7fL) | FUTEX_WAKE;
		break;
	}
	case 149: /* mlock, mlock2: at most a MiB faulted in at once */
	case 325:
		a[1] %= 1L << 20;
		break;
	case 151: /* mlockall: later mappings (of any size) are not faulted in */
		a[0] &= ~2L;
		break;
	case 302: /* prlimit64: only our own limits; phase 1 only reads them */
		a[0] = 0;
		if (phase == 1)
			a[2] = 0;
		break;
	case 16: /* ioctl: only on /dev/null (fds 0-2) or bad fds */
		a[0] = (long)(next() % 4) - 1;
		break;
	}
}

static void note_result(long nr, const long a[6], long r)
{
	stats->calls++;
	stats->last_nr = nr;
	memcpy(stats->last_args, a, sizeof(stats->last_args));
	if (r < 0 && r > -4096)
		stats->errno_seen[-r / 8] |= 1 << (-r % 8);
	else
		stats->ok++;
}

static long pick_nr(int phase)
{
	for (;;) {
		uint64_t r = next();
		long nr = r % 64 == 0 ? (long)(r >> 8) % 100000 : (long)((r >> 8) % MAX_NR);
		if (excluded(nr))
			continue;
		if (phase == 1 && wrecks_caller(nr))
			continue;
		return nr;
	}
}

static void fuzz(long count, int phase)
{
	for (long i = 0; i < count; i++) {
		long a[6], nr = pick_nr(phase);
		for (int k = 0; k < 6; k++)
			a[k] = random_arg();
		fix_args(nr, a, phase);
		stats->last_nr = nr; /* for the report, should this call kill us */
		memcpy(stats->last_args, a, sizeof(stats->last_args));
		note_result(nr, a, ut_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]));
	}
}

/* The fuzzing process's start: quiet fds, scratch memory. */
static void fuzz_setup(void)
{
	char *area;

	if (ut_raw3(SYS_close_range, 3, ~0U, 0) != 0)
		for (int fd = 3; fd < 1024; fd++)
			close(fd);
	for (int fd = 0; fd < 3; fd++)
		close(fd);
	for (int fd = 0; fd < 3; fd++)
		open("/dev/null", O_RDWR); /* 0, 1, 2 (or none if it is missing) */
	/* guard, scratch, guard, two read-only pages, guard */
	area = mmap(NULL, (SCRATCH_PAGES + 5) * PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
		    0);
	if (area == MAP_FAILED)
		_exit(90);
	scratch = area + PAGE;
	guard_page = area + (SCRATCH_PAGES + 1) * PAGE;
	readonly_page = area + (SCRATCH_PAGES + 2) * PAGE;
	if (mprotect(scratch, SCRATCH_PAGES * PAGE, PROT_READ | PROT_WRITE) ||
	    mprotect(readonly_page, 2 * PAGE, PROT_READ | PROT_WRITE))
		_exit(91);
	for (unsigned long i = 0; i < SCRATCH_PAGES * PAGE; i++)
		scratch[i] = (char)(1 + next() % 255);
	memset(readonly_page, 'a', 2 * PAGE - 1); /* one string of 8191 bytes */
	mprotect(readonly_page, 2 * PAGE, PROT_READ);
}

static void print(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void print(const char *fmt, ...)
{
	char line[512];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line) - 1, fmt, ap);
	va_end(ap);
	line[n++] = '\n';
	write(1, line, n);
}

static int distinct_errnos(void)
{
	int n = 0;

	for (unsigned i = 0; i < sizeof(stats->errno_seen); i++)
		n += __builtin_popcount(stats->errno_seen[i]);
	return n;
}

static int phase1(long count, uint64_t seed)
{
	pid_t pid;
	int status;

	memset(stats, 0, sizeof(*stats));
	pid = fork();
	if (pid == 0) {
		rng = seed;
		fuzz_setup();
		fuzz(count, 1);
		_exit(0);
	}
	if (pid < 0 || wait4(pid, &status, 0, NULL) != pid) {
		print("fuzz: phase 1: fork or wait4 failed: %s", ut_errname(errno));
		return 1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		print("fuzz: FAIL phase 1: the process %s %d after %ld calls; last: %ld(%#lx, %#lx, "
		      "%#lx, %#lx, %#lx, %#lx)",
		      WIFSIGNALED(status) ? "was killed by signal" : "exited with",
		      WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), stats->calls,
		      stats->last_nr, stats->last_args[0], stats->last_args[1], stats->last_args[2],
		      stats->last_args[3], stats->last_args[4], stats->last_args[5]);
		return 1;
	}
	print("fuzz: phase 1: %ld calls in one process, %ld succeeded, %d distinct errno values",
	      stats->calls, stats->ok, distinct_errnos());
	return 0;
}

static int phase2(long children, uint64_t seed)
{
	long exited = 0, killed = 0, by_signal[65] = { 0 };
	char sigs[256] = "";

	memset(stats, 0, sizeof(*stats));
	for (long i = 0; i < children; i++) {
		int status;
		pid_t pid = fork();
		if (pid == 0) {
			rng = seed ^ ((uint64_t)(i + 1) * 0x9e3779b97f4a7c15ULL);
			fuzz_setup();
			fuzz(CALLS_PER_CHILD, 2);
			ut_raw1(SYS_exit_group, 0); /* no libc: the process may be a wreck */
		}
		if (pid < 0 || wait4(pid, &status, 0, NULL) != pid) {
			print("fuzz: phase 2: fork or wait4 failed: %s", ut_errname(errno));
			return 1;
		}
		if (WIFEXITED(status)) {
			exited++;
		} else if (WIFSIGNALED(status)) {
			killed++;
			by_signal[WTERMSIG(status) & 63]++;
		} else {
			print("fuzz: FAIL phase 2: odd status %#x", status);
			return 1;
		}
	}
	for (int s = 1; s < 65; s++)
		if (by_signal[s])
			snprintf(sigs + strlen(sigs), sizeof(sigs) - strlen(sigs), " %d:%ld", s,
				 by_signal[s]);
	print("fuzz: phase 2: %ld processes, %ld calls, %ld exited, %ld killed by a signal "
	      "(signal:count%s), %d distinct errno values",
	      children, stats->calls, exited, killed, sigs[0] ? sigs : " none", distinct_errnos());
	return 0;
}

int main(int argc, char **argv)
{
	long count = argc > 1 ? strtol(argv[1], NULL, 0) : 20000;
	uint64_t seed = argc > 2 ? strtoull(argv[2], NULL, 0) : 1;
	static unsigned char canary[64 * 1024];
	pid_t pid;
	int status;

	if (count <= 0) {
		print("usage: fuzz_syscalls [COUNT] [SEED]");
		return 2;
	}
	for (unsigned i = 0; i < sizeof(canary); i++)
		canary[i] = (unsigned char)(i * 7);
	stats = mmap(NULL, sizeof(*stats), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
		     0);
	if (stats == MAP_FAILED) {
		print("fuzz: mmap: %s", ut_errname(errno));
		return 1;
	}
	print("fuzz: seed %llu, %ld calls per phase", (unsigned long long)seed, count);
	if (phase1(count, seed) || phase2((count + CALLS_PER_CHILD - 1) / CALLS_PER_CHILD, seed))
		return 1;
	/* The supervisor's own memory and the basic calls still work. */
	for (unsigned i = 0; i < sizeof(canary); i++)
		if (canary[i] != (unsigned char)(i * 7)) {
			print("fuzz: FAIL the supervisor's memory changed at %u", i);
			return 1;
		}
	pid = fork();
	if (pid == 0)
		_exit(42);
	if (pid < 0 || wait4(pid, &status, 0, NULL) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 42) {
		print("fuzz: FAIL fork and wait4 after fuzzing");
		return 1;
	}
	print("fuzz: survived");
	return 0;
}
