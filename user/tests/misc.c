/*
 * misc: the small process-wide calls. uname, getrandom, user and group
 * ids and their setters (as root), resource limits (prlimit64, getrlimit,
 * setrlimit), getrusage, sched_yield, CPU affinity and getcpu, arch_prctl,
 * set_robust_list, rseq
 * (working, or ENOSYS as when Linux has it disabled), and ENOSYS for
 * system call numbers that do not exist.
 *
 * Cases that change the process's state run in a forked child.
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <grp.h>
#include <pthread.h>
#include <sched.h>
#include <sys/fsuid.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

static int terminated(const char *s, size_t size)
{
	return memchr(s, '\0', size) != NULL;
}

UT_CASE(uname_fields)
{
	struct utsname u;

	memset(&u, 0xff, sizeof(u));
	UT_EQ(uname(&u), 0);
	UT_CHECK(terminated(u.sysname, sizeof(u.sysname)) && u.sysname[0]);
	UT_CHECK(terminated(u.nodename, sizeof(u.nodename)));
	UT_CHECK(terminated(u.release, sizeof(u.release)) && u.release[0]);
	UT_CHECK(terminated(u.version, sizeof(u.version)) && u.version[0]);
	UT_CHECK(terminated(u.machine, sizeof(u.machine)));
	UT_CHECK(terminated(u.domainname, sizeof(u.domainname)));
	UT_CHECK(!strcmp(u.machine, "x86_64"));
	/* Programs parse the release as a Linux version: digits, a dot... */
	UT_CHECK(u.release[0] >= '0' && u.release[0] <= '9' && strchr(u.release, '.'));
}

UT_CASE(getrandom_fills_buffers)
{
	unsigned char a[64], b[64], zero[64] = { 0 };

	UT_EQ(getrandom(a, sizeof(a), 0), sizeof(a));
	UT_EQ(getrandom(b, sizeof(b), GRND_NONBLOCK), sizeof(b));
	UT_CHECK(memcmp(a, zero, sizeof(a)) != 0);
	UT_CHECK(memcmp(a, b, sizeof(a)) != 0);
	UT_EQ(getrandom(a, 0, 0), 0);
	UT_EQ(getrandom(a, 1, GRND_RANDOM | GRND_NONBLOCK), 1);
}

UT_CASE(getrandom_large_and_errors)
{
	static unsigned char big[1 << 20];
	long n = getrandom(big, sizeof(big), 0);

	UT_CHECK(n > 0 && n <= (long)sizeof(big));
	UT_ERRNO(getrandom(big, 16, 0x100), EINVAL); /* unknown flag */
	UT_ERRNO(syscall(SYS_getrandom, 1, 16, 0), EFAULT);
}

UT_CASE(ids_of_root)
{
	uid_t r, e, s;
	gid_t gr, ge, gs;

	UT_EQ(getuid(), 0);
	UT_EQ(geteuid(), 0);
	UT_EQ(getgid(), 0);
	UT_EQ(getegid(), 0);
	UT_EQ(getresuid(&r, &e, &s), 0);
	UT_CHECK(r == 0 && e == 0 && s == 0);
	UT_EQ(getresgid(&gr, &ge, &gs), 0);
	UT_CHECK(gr == 0 && ge == 0 && gs == 0);
}

/* In a child: become uid/gid 1000 and check that root is gone for good. */
static int drop_root(void)
{
	uid_t r, e, s;

	if (setgid(1000) || getgid() != 1000 || getegid() != 1000)
		return 1;
	if (setuid(1000) || getuid() != 1000 || geteuid() != 1000)
		return 2;
	if (getresuid(&r, &e, &s) || r != 1000 || e != 1000 || s != 1000)
		return 3;
	if (setuid(0) != -1 || errno != EPERM)
		return 4;
	if (setgid(0) != -1 || errno != EPERM)
		return 5;
	if (setuid(1000) != 0) /* to one's own id: allowed */
		return 6;
	return 0;
}

UT_CASE(setuid_setgid_drop_root)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(drop_root());
	UT_CHILD_OK(pid);
	UT_EQ(getuid(), 0); /* the parent is untouched */
}

/* Effective id changes and back, through the saved id. */
static int swap_ids(void)
{
	uid_t r, e, s;

	if (setresgid(0, 2000, 0) || getegid() != 2000 || getgid() != 0)
		return 1;
	if (setresuid(0, 1000, 0) || geteuid() != 1000 || getuid() != 0)
		return 2;
	if (getresuid(&r, &e, &s) || r != 0 || e != 1000 || s != 0)
		return 3;
	if (seteuid(0) || geteuid() != 0) /* back through the saved id */
		return 4;
	if (setregid(3000, 3001) || getgid() != 3000 || getegid() != 3001)
		return 5;
	if (setreuid(1000, 1001) || getuid() != 1000 || geteuid() != 1001)
		return 6;
	if (setreuid(-1, 5000) != -1 || errno != EPERM) /* none of our ids: root is gone */
		return 7;
	if (setreuid(-1, 1000) || geteuid() != 1000) /* the real id is allowed */
		return 8;
	return 0;
}

UT_CASE(setresuid_setreuid_and_saved_ids)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(swap_ids());
	UT_CHILD_OK(pid);
}

/* The file-system ids follow the effective ones; setfsuid returns the old one and keeps to held ids. */
static int fs_ids(void)
{
	if (setresuid(0, 1000, 0) || setfsuid(-1) != 1000) /* -1 only asks */
		return 1;
	if (setfsuid(0) != 1000 || setfsuid(-1) != 0) /* the saved id is held */
		return 2;
	if (seteuid(0) || setuid(2000) || setfsuid(-1) != 2000)
		return 3;
	if (setfsuid(3000) != 2000 || setfsuid(-1) != 2000) /* not held: unchanged */
		return 4;
	if (setfsgid(-1) != 0)
		return 5;
	return 0;
}

UT_CASE(setfsuid_follows_euid_and_keeps_to_held_ids)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(fs_ids());
	UT_CHILD_OK(pid);
}

/* Supplementary groups: set as root, read back sorted or as given, refused once root is gone. */
static int groups(void)
{
	gid_t set[3] = { 30, 10, 20 }, got[3];
	int n;

	if (setgroups(3, set) || getgroups(0, NULL) != 3)
		return 1;
	n = getgroups(3, got);
	if (n != 3 || got[0] + got[1] + got[2] != 60)
		return 2;
	if (getgroups(2, got) != -1 || errno != EINVAL)
		return 3;
	if (setgroups(-1, set) != -1 || errno != EINVAL)
		return 4;
	if (setuid(1000) || setgroups(0, NULL) != -1 || errno != EPERM)
		return 5;
	if (getgroups(0, NULL) != 3) /* kept across the uid change */
		return 6;
	return 0;
}

UT_CASE(setgroups_getgroups_and_their_errors)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(groups());
	UT_CHILD_OK(pid);
	UT_EQ(getgroups(0, NULL), 0);
}

static volatile int thread_uid = -1;

static void *read_uid(void *arg)
{
	(void)arg;
	thread_uid = syscall(SYS_geteuid);
	return NULL;
}

/* The raw call changes only the calling thread (libc's setuid changes them all). */
static int thread_creds(void)
{
	pthread_t t;

	if (syscall(SYS_setresuid, -1, 1000, -1) || syscall(SYS_geteuid) != 1000)
		return 1;
	if (pthread_create(&t, NULL, read_uid, NULL) || pthread_join(t, NULL))
		return 2;
	if (thread_uid != 1000) /* a new thread starts with its creator's */
		return 3;
	return 0;
}

UT_CASE(credentials_are_per_thread_and_inherited_by_new_threads)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(thread_creds());
	UT_CHILD_OK(pid);
}

/* The value of a "Name:\tvalue" line of /proc/self/status, or "" */
static const char *status_line(const char *name, char *buf, size_t size)
{
	FILE *f = fopen("/proc/self/status", "r");
	size_t n = strlen(name);

	buf[0] = '\0';
	while (f && fgets(buf, size, f))
		if (!strncmp(buf, name, n) && buf[n] == ':')
			break;
		else
			buf[0] = '\0';
	if (f)
		fclose(f);
	buf[strcspn(buf, "\n")] = '\0';
	return buf[0] ? buf + n + 2 : "";
}

/* As uid 1000 with groups 7 and 9: what /proc/self/status shows. */
static int status_ids(void)
{
	gid_t g[2] = { 9, 7 };
	char buf[256];

	if (setgroups(2, g) || setresgid(5, 6, 7) || setresuid(1000, 1001, 1002))
		return 1;
	if (strcmp(status_line("Uid", buf, sizeof(buf)), "1000\t1001\t1002\t1001"))
		return 2;
	if (strcmp(status_line("Gid", buf, sizeof(buf)), "5\t6\t7\t6"))
		return 3;
	if (strcmp(status_line("Groups", buf, sizeof(buf)), "7 9 "))
		return 4;
	if (strcmp(status_line("CapEff", buf, sizeof(buf)), "0000000000000000"))
		return 5;
	if (strcmp(status_line("CapPrm", buf, sizeof(buf)), "0000000000000000"))
		return 6;
	return 0;
}

UT_CASE(proc_status_shows_ids_groups_and_capabilities)
{
	char buf[256];
	pid_t pid;

	UT_CHECK(strcmp(status_line("CapEff", buf, sizeof(buf)), "0000000000000000") != 0);
	UT_CHECK(strlen(status_line("CapBnd", buf, sizeof(buf))) == 16);
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(status_ids());
	UT_CHILD_OK(pid);
}

UT_CASE(getrlimit_and_prlimit_agree)
{
	struct rlimit rl, pl;

	UT_EQ(getrlimit(RLIMIT_NOFILE, &rl), 0);
	UT_CHECK(rl.rlim_cur <= rl.rlim_max);
	UT_CHECK(rl.rlim_cur >= 3);
	UT_EQ(prlimit(0, RLIMIT_NOFILE, NULL, &pl), 0);
	UT_EQ(pl.rlim_cur, rl.rlim_cur);
	UT_EQ(pl.rlim_max, rl.rlim_max);
	UT_EQ(prlimit(getpid(), RLIMIT_STACK, NULL, &pl), 0);
	UT_CHECK(pl.rlim_cur <= pl.rlim_max);
	UT_EQ(syscall(SYS_getrlimit, RLIMIT_STACK, &rl), 0);
	UT_EQ(rl.rlim_cur, pl.rlim_cur);
}

static int change_limits(void)
{
	struct rlimit rl, old, now;

	if (getrlimit(RLIMIT_NOFILE, &old))
		return 1;
	rl.rlim_cur = 64;
	rl.rlim_max = old.rlim_max;
	if (setrlimit(RLIMIT_NOFILE, &rl) || getrlimit(RLIMIT_NOFILE, &now) || now.rlim_cur != 64)
		return 2;
	rl.rlim_cur = 200; /* above the hard limit */
	rl.rlim_max = 100;
	if (setrlimit(RLIMIT_NOFILE, &rl) != -1 || errno != EINVAL)
		return 3;
	/* prlimit64 sets and returns the old value at once. */
	rl.rlim_cur = 32;
	rl.rlim_max = 128;
	if (prlimit(0, RLIMIT_NOFILE, &rl, &now) || now.rlim_cur != 64)
		return 4;
	if (getrlimit(RLIMIT_NOFILE, &now) || now.rlim_cur != 32 || now.rlim_max != 128)
		return 5;
	/* (Raising the hard limit again needs CAP_SYS_RESOURCE, which root in a
	 * container may lack: not checked.) */
	return 0;
}

UT_CASE(setrlimit_and_prlimit_change_limits)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(change_limits());
	UT_CHILD_OK(pid);
}

UT_CASE(rlimit_errors)
{
	struct rlimit rl;

	UT_ERRNO(syscall(SYS_getrlimit, 100, &rl), EINVAL);
	UT_ERRNO(syscall(SYS_prlimit64, 0, 100, NULL, &rl), EINVAL);
	UT_ERRNO(syscall(SYS_prlimit64, 0x3fffffff, RLIMIT_NOFILE, NULL, &rl), ESRCH);
	UT_ERRNO(syscall(SYS_getrlimit, RLIMIT_NOFILE, 1), EFAULT);
	UT_ERRNO(syscall(SYS_setrlimit, RLIMIT_NOFILE, 1), EFAULT);
	UT_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, NULL, 1), EFAULT);
	UT_ERRNO(syscall(SYS_prlimit64, 0, RLIMIT_NOFILE, 1, NULL), EFAULT);
	rl.rlim_cur = 10;
	rl.rlim_max = 5; /* cur above max */
	UT_ERRNO(syscall(SYS_setrlimit, RLIMIT_NOFILE, &rl), EINVAL);
}

UT_CASE(getrusage_who)
{
	struct rusage ru;

	UT_EQ(getrusage(RUSAGE_SELF, &ru), 0);
	UT_CHECK(ru.ru_utime.tv_usec >= 0 && ru.ru_utime.tv_usec < 1000000);
	UT_CHECK(ru.ru_stime.tv_usec >= 0 && ru.ru_stime.tv_usec < 1000000);
	UT_CHECK(ru.ru_maxrss >= 0);
	UT_EQ(getrusage(RUSAGE_CHILDREN, &ru), 0);
	UT_EQ(getrusage(RUSAGE_THREAD, &ru), 0);
	UT_ERRNO(getrusage(5, &ru), EINVAL);
	UT_ERRNO(syscall(SYS_getrusage, RUSAGE_SELF, 1), EFAULT);
}

UT_CASE(sched_yield_returns_zero)
{
	for (int i = 0; i < 100; i++)
		UT_EQ(sched_yield(), 0);
}

/* The CPUs this thread may run on, as sched_getaffinity gives them. */
static cpu_set_t allowed_cpus(void)
{
	cpu_set_t set;

	CPU_ZERO(&set);
	UT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
	return set;
}

UT_CASE(sched_getaffinity_and_getcpu)
{
	cpu_set_t set = allowed_cpus();
	unsigned long raw[16] = { 0 };
	unsigned cpu = ~0u, node = ~0u;
	long size = syscall(SYS_sched_getaffinity, 0, sizeof(raw), raw);

	/* The raw call returns the kernel's mask size in bytes, whole longs. */
	UT_CHECK(size >= (long)sizeof(long) && size <= (long)sizeof(raw) && size % 8 == 0);
	UT_CHECK(CPU_COUNT(&set) >= 1);
	UT_EQ(syscall(SYS_getcpu, &cpu, &node, NULL), 0);
	UT_CHECK(cpu < CPU_SETSIZE && node == 0);
	UT_EQ(syscall(SYS_getcpu, NULL, NULL, NULL), 0);
	UT_ERRNO(syscall(SYS_sched_getaffinity, 0, 4, raw), EINVAL); /* less than a long */
	UT_ERRNO(syscall(SYS_sched_getaffinity, 0, sizeof(raw), 1), EFAULT);
	UT_ERRNO(syscall(SYS_sched_getaffinity, 0x7ffffff0, sizeof(raw), raw), ESRCH);
	UT_ERRNO(syscall(SYS_getcpu, 1, NULL, NULL), EFAULT);
}

/* In a child: pinned to each allowed CPU in turn, it runs there; a forked child inherits it. */
static int pin_each(void)
{
	cpu_set_t set = allowed_cpus(), one, got;

	for (int c = 0; c < CPU_SETSIZE; c++) {
		unsigned cpu = ~0u;
		pid_t pid;
		int status;

		if (!CPU_ISSET(c, &set))
			continue;
		CPU_ZERO(&one);
		CPU_SET(c, &one);
		if (sched_setaffinity(0, sizeof(one), &one))
			return 1;
		sched_yield();
		if (syscall(SYS_getcpu, &cpu, NULL, NULL) || cpu != (unsigned)c)
			return 2;
		got = allowed_cpus();
		if (!CPU_EQUAL(&got, &one))
			return 3;
		pid = fork();
		if (pid == 0) {
			got = allowed_cpus();
			_exit(!CPU_EQUAL(&got, &one) || syscall(SYS_getcpu, &cpu, NULL, NULL) ||
			      cpu != (unsigned)c);
		}
		if (pid < 0 || waitpid(pid, &status, 0) != pid || status != 0)
			return 4;
	}
	CPU_ZERO(&one);
	errno = 0;
	if (sched_setaffinity(0, sizeof(one), &one) != -1 || errno != EINVAL)
		return 5; /* no CPU at all */
	return 0;
}

UT_CASE(sched_setaffinity_pins_and_is_inherited)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(pin_each());
	UT_CHILD_OK(pid);
}

/* In a child: point fs at a block of our own, read it back, restore. */
static int fs_switch(void)
{
	static unsigned long block[8];
	unsigned long old = 0, got = 0, via_fs = 0;

	block[0] = (unsigned long)block;
	block[1] = 0x1234;
	if (ut_raw2(SYS_arch_prctl, ARCH_GET_FS, &old) != 0)
		return 1;
	/* No libc calls until fs is back: errno lives in TLS. */
	if (ut_raw2(SYS_arch_prctl, ARCH_SET_FS, block) != 0)
		return 2;
	__asm__ volatile("mov %%fs:8, %0" : "=r"(via_fs));
	ut_raw2(SYS_arch_prctl, ARCH_GET_FS, &got);
	ut_raw2(SYS_arch_prctl, ARCH_SET_FS, old);
	if (via_fs != 0x1234)
		return 3;
	if (got != (unsigned long)block)
		return 4;
	return 0;
}

UT_CASE(arch_prctl_fs)
{
	unsigned long fs = 0;
	pid_t pid;

	UT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	UT_EQ(*(unsigned long *)fs, fs); /* musl's thread pointer points to itself */
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(fs_switch());
	UT_CHILD_OK(pid);
}

UT_CASE(arch_prctl_gs)
{
	unsigned long gs = 1;

	UT_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, 0x5000), 0);
	UT_EQ(syscall(SYS_arch_prctl, ARCH_GET_GS, &gs), 0);
	UT_EQ(gs, 0x5000);
	UT_EQ(syscall(SYS_arch_prctl, ARCH_SET_GS, 0), 0);
}

UT_CASE(arch_prctl_errors)
{
	UT_ERRNO(syscall(SYS_arch_prctl, 0x9999, 0), EINVAL);
	UT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_FS, 0xffff800000000000UL), EPERM);
	UT_ERRNO(syscall(SYS_arch_prctl, ARCH_SET_GS, 0x8000000000000000UL), EPERM);
	UT_ERRNO(syscall(SYS_arch_prctl, ARCH_GET_FS, 1), EFAULT);
}

static int robust_list(void)
{
	static struct robust_list_head_abi head = { &head, 0, NULL };
	struct robust_list_head_abi *got = NULL;
	size_t len = 0;

	if (syscall(SYS_set_robust_list, &head, sizeof(head)) != 0)
		return 1;
	if (syscall(SYS_get_robust_list, 0, &got, &len) != 0)
		return 2;
	if (got != &head || len != sizeof(head))
		return 3;
	if (syscall(SYS_set_robust_list, &head, sizeof(head) + 8) != -1 || errno != EINVAL)
		return 4;
	return 0;
}

UT_CASE(set_robust_list)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0)
		_exit(robust_list());
	UT_CHILD_OK(pid);
}

UT_CASE(rseq_works_or_enosys)
{
	static struct rseq_abi rs;
	long r = syscall(SYS_rseq, &rs, sizeof(rs), 0, RSEQ_SIG);

	if (r == -1 && errno == ENOSYS)
		return; /* as Linux built without CONFIG_RSEQ */
	UT_EQ(r, 0);
	UT_CHECK(rs.cpu_id < 4096);
	UT_ERRNO(syscall(SYS_rseq, &rs, sizeof(rs), 0, RSEQ_SIG), EBUSY); /* registered */
	UT_ERRNO(syscall(SYS_rseq, &rs, sizeof(rs), RSEQ_FLAG_UNREGISTER, RSEQ_SIG + 1), EPERM);
	UT_EQ(syscall(SYS_rseq, &rs, sizeof(rs), RSEQ_FLAG_UNREGISTER, RSEQ_SIG), 0);
	UT_ERRNO(syscall(SYS_rseq, (char *)&rs + 4, sizeof(rs), 0, RSEQ_SIG),
		 EINVAL); /* unaligned */
}

UT_CASE(unknown_syscall_numbers_are_enosys)
{
	/* (Not 335 or 336: Linux 6.11+ has uretprobe and uprobe there, which
	 * kill a caller outside a probe trampoline with SIGILL.) */
	static const long numbers[] = { 1000, 2000, 4096, 100000, 0x3fffffff, 0x7fffffff, -1 };

	for (unsigned i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		UT_ERRNO(syscall(numbers[i], 1, 2, 3, 4, 5, 6), ENOSYS);
}
