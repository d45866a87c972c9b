/*
 * creds: capabilities and what credentials decide, run as root. Each case
 * forks children that drop to other uids and gids and check one rule with
 * the error Linux gives: capget/capset (header versions, the version
 * probe, the set transitions), PR_SET_KEEPCAPS across setuid,
 * PR_SET_NO_NEW_PRIVS, the bounding set, the ambient set across exec,
 * securebits, set-user-ID and set-group-ID programs (a copy of this
 * program, chowned and chmodded at test time, that reports its ids and
 * AT_SECURE through "--helper ids"), kill permissions, init's protection
 * (recoverable checks first: init is the test's own), kill(-1), the
 * dumpable flag and /proc/PID ownership, and the privileged calls' EPERM.
 *
 * Relative where the host may differ: the caps root starts with are read,
 * not assumed (a container's bounding set may be smaller).
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define BIT(c) (1ULL << (c))

struct caps {
	uint64_t eff, perm, inh;
};

static long capget_raw(uint32_t version, int pid, struct cap_data_abi *d)
{
	struct cap_header_abi h = { version, pid };

	return syscall(SYS_capget, &h, d);
}

static struct caps caps_of(int pid)
{
	struct cap_data_abi d[2];
	struct caps c;

	UT_NOERR(capget_raw(_LINUX_CAPABILITY_VERSION_3, pid, d));
	c.eff = (uint64_t)d[1].effective << 32 | d[0].effective;
	c.perm = (uint64_t)d[1].permitted << 32 | d[0].permitted;
	c.inh = (uint64_t)d[1].inheritable << 32 | d[0].inheritable;
	return c;
}

static long caps_set(uint64_t eff, uint64_t perm, uint64_t inh)
{
	struct cap_header_abi h = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct cap_data_abi d[2] = {
		{ (uint32_t)eff, (uint32_t)perm, (uint32_t)inh },
		{ (uint32_t)(eff >> 32), (uint32_t)(perm >> 32), (uint32_t)(inh >> 32) },
	};

	return syscall(SYS_capset, &h, d);
}

static uint64_t bounding_set(void)
{
	uint64_t b = 0;

	for (int c = 0; c < 64; c++) {
		long r = prctl(PR_CAPBSET_READ, c, 0, 0, 0);

		if (r < 0)
			break;
		b |= r ? BIT(c) : 0;
	}
	return b;
}

/* All ids to uid and gid, no supplementary groups. */
static void become(uid_t uid, gid_t gid)
{
	UT_NOERR(setgroups(0, NULL));
	UT_NOERR(setresgid(gid, gid, gid));
	UT_NOERR(setresuid(uid, uid, uid));
}

static bool on_axolotl(void)
{
	struct utsname u;

	return !uname(&u) && strstr(u.release, "axolotl");
}

/* ---- the helper: what the exec'ed program sees ---- */

/* One line: uid euid suid gid egid sgid secure dumpable nnp keepcaps perm eff inh ambient(NET_RAW). */
static int helper_ids(void)
{
	uid_t u[3];
	gid_t g[3];
	struct caps c = caps_of(0);

	getresuid(&u[0], &u[1], &u[2]);
	getresgid(&g[0], &g[1], &g[2]);
	printf("%u %u %u %u %u %u %lu %d %d %d %llx %llx %llx %d\n", u[0], u[1], u[2], g[0], g[1],
	       g[2], getauxval(AT_SECURE), prctl(PR_GET_DUMPABLE, 0, 0, 0, 0),
	       prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0),
	       (unsigned long long)c.perm, (unsigned long long)c.eff, (unsigned long long)c.inh,
	       (int)prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0));
	return 0;
}

int ut_helper(int argc, char **argv)
{
	if (argc == 2 && !strcmp(argv[1], "ids"))
		return helper_ids();
	return 99;
}

struct seen {
	unsigned uid, euid, suid, gid, egid, sgid;
	unsigned long secure;
	int dumpable, nnp, keepcaps;
	unsigned long long perm, eff, inh;
	int ambient_net_raw;
};

static const char *self_path(void)
{
	static char path[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 1);

	path[n > 0 ? n : 0] = '\0';
	return path;
}

/* Forks a child that runs setup(arg) then execs prog --helper ids; returns what it printed. */
static struct seen exec_helper(const char *prog, void (*setup)(long), long arg)
{
	struct seen s;
	char buf[512];
	int fd[2];
	ssize_t n;
	pid_t pid;

	UT_NOERR(pipe(fd));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		close(fd[0]);
		if (setup)
			setup(arg);
		dup2(fd[1], 1);
		execl(prog, prog, "--helper", "ids", (char *)NULL);
		_exit(98);
	}
	close(fd[1]);
	n = read(fd[0], buf, sizeof(buf) - 1);
	close(fd[0]);
	UT_CHILD_OK(pid);
	UT_CHECK(n > 0);
	buf[n] = '\0';
	UT_EQ(sscanf(buf, "%u %u %u %u %u %u %lu %d %d %d %llx %llx %llx %d", &s.uid, &s.euid,
		     &s.suid, &s.gid, &s.egid, &s.sgid, &s.secure, &s.dumpable, &s.nnp, &s.keepcaps,
		     &s.perm, &s.eff, &s.inh, &s.ambient_net_raw),
	      14);
	return s;
}

/* ---- capget, capset ---- */

/* A hexadecimal field of /proc/self/status ("CapEff:"); 0 if absent (then the check fails). */
static unsigned long long status_field(const char *name)
{
	char buf[4096], *p;
	int fd = UT_NOERR(open("/proc/self/status", O_RDONLY));
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	UT_CHECK(n > 0);
	buf[n] = '\0';
	p = strstr(buf, name);
	UT_CHECK(p);
	return strtoull(p + strlen(name), NULL, 16);
}

UT_CASE(capget_versions_and_the_probe)
{
	struct cap_header_abi h = { 0, 0 };
	struct cap_data_abi d[2];
	struct caps c = caps_of(0);

	UT_EQ(syscall(SYS_capget, &h, NULL), 0); /* the probe: the preferred version */
	UT_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.version = 0x12345678;
	UT_ERRNO(syscall(SYS_capget, &h, d), EINVAL);
	UT_EQ(h.version, _LINUX_CAPABILITY_VERSION_3);
	h.version = 0x12345678;
	UT_ERRNO(syscall(SYS_capset, &h, d), EINVAL);
	UT_EQ(c.eff, c.perm); /* root: every capability of the bounding set */
	UT_EQ(c.perm, bounding_set());
	UT_EQ(c.inh, 0);
	memset(d, 0x5a, sizeof(d));
	UT_NOERR(capget_raw(_LINUX_CAPABILITY_VERSION_1, 0, d)); /* one 32-bit struct only */
	UT_EQ(d[0].effective, (uint32_t)c.eff);
	UT_EQ(d[1].effective, 0x5a5a5a5a);
	UT_NOERR(capget_raw(_LINUX_CAPABILITY_VERSION_2, getpid(), d));
	UT_EQ(d[1].permitted, (uint32_t)(c.perm >> 32));
	UT_EQ(status_field("CapEff:"), c.eff); /* /proc/PID/status shows the sets */
	UT_EQ(status_field("CapPrm:"), c.perm);
	UT_EQ(status_field("CapBnd:"), bounding_set());
	UT_EQ(status_field("CapInh:"), 0);
	UT_EQ(status_field("CapAmb:"), 0);
	UT_ERRNO(capget_raw(_LINUX_CAPABILITY_VERSION_3, -1, d), EINVAL);
	UT_ERRNO(capget_raw(_LINUX_CAPABILITY_VERSION_3, 4000000, d), ESRCH);
}

static void capget_other_and_capset_rules(void)
{
	uint64_t all = caps_of(0).perm, p = all & ~BIT(CAP_KILL);
	struct cap_header_abi h = { _LINUX_CAPABILITY_VERSION_3, getppid() };
	struct cap_data_abi d[2] = { { 0 } };

	UT_ERRNO(syscall(SYS_capset, &h, d), EPERM); /* only one's own */
	UT_NOERR(caps_set(p, p, 0));
	UT_EQ(caps_of(getppid()).perm, all); /* another's: the parent still has all */
	UT_EQ(caps_of(getpid()).perm, p);
	UT_ERRNO(caps_set(all, p, 0), EPERM);	 /* effective within permitted */
	UT_ERRNO(caps_set(p, all, 0), EPERM);	 /* permitted never grows */
	UT_NOERR(caps_set(0, p, 0));		 /* effective drops... */
	UT_NOERR(caps_set(p, p, 0));		 /* ...and comes back from permitted */
	UT_NOERR(caps_set(p, p, BIT(CAP_KILL))); /* CAP_SETPCAP: any bounding cap inheritable */
	p &= ~BIT(CAP_SETPCAP);
	UT_NOERR(caps_set(p, p, BIT(CAP_KILL)));
	UT_NOERR(caps_set(p, p, BIT(CAP_KILL) | BIT(CAP_NET_RAW))); /* a permitted one */
	p &= ~BIT(CAP_SYS_TIME);
	UT_NOERR(caps_set(p, p, BIT(CAP_KILL) | BIT(CAP_NET_RAW)));
	UT_ERRNO(caps_set(p, p, BIT(CAP_KILL) | BIT(CAP_SYS_TIME)), EPERM); /* neither */
	UT_NOERR(caps_set(p, p, BIT(CAP_KILL)));
	p &= ~BIT(CAP_NET_RAW);
	UT_NOERR(caps_set(p, p, BIT(CAP_KILL)));
	UT_ERRNO(caps_set(p, p, BIT(CAP_KILL) | BIT(CAP_NET_RAW)), EPERM); /* gone from both */
}

UT_CASE(capset_transitions_and_capget_of_another)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		capget_other_and_capset_rules();
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

static void bset_outside(void)
{
	uint64_t p = caps_of(0).perm & ~BIT(CAP_SYS_TIME);

	UT_NOERR(prctl(PR_CAPBSET_DROP, CAP_SYS_TIME, 0, 0, 0));
	UT_NOERR(caps_set(p, p, 0));
	/* Even with CAP_SETPCAP, the inheritable set stays within the bounding set. */
	UT_ERRNO(caps_set(p, p, BIT(CAP_SYS_TIME)), EPERM);
}

UT_CASE(bounding_set_read_drop_and_exec)
{
	pid_t pid = UT_NOERR(fork());
	struct seen s;

	if (pid == 0) {
		bset_outside();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	UT_EQ(prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0), 1);
	UT_ERRNO(prctl(PR_CAPBSET_READ, 99, 0, 0, 0), EINVAL);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_ERRNO(prctl(PR_CAPBSET_DROP, 99, 0, 0, 0), EINVAL);
		become(1000, 1000);
		UT_ERRNO(prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0), EPERM); /* CAP_SETPCAP */
		_exit(0);
	}
	UT_CHILD_OK(pid);
	s = exec_helper(self_path(), NULL, 0);
	UT_CHECK(s.perm & BIT(CAP_KILL));
}

static void drop_kill_from_bset(long unused)
{
	(void)unused;
	if (prctl(PR_CAPBSET_DROP, CAP_KILL, 0, 0, 0) || prctl(PR_CAPBSET_READ, CAP_KILL, 0, 0, 0))
		_exit(91);
}

UT_CASE(exec_as_root_gets_the_bounding_set)
{
	struct seen s = exec_helper(self_path(), drop_kill_from_bset, 0);
	uint64_t b = bounding_set();

	UT_EQ(s.perm, b & ~BIT(CAP_KILL));
	UT_EQ(s.eff, s.perm);
	UT_EQ(s.secure, 0);
	UT_EQ(s.dumpable, 1);
}

/* ---- keepcaps, securebits ---- */

static void keepcaps_rules(void)
{
	uint64_t all = caps_of(0).perm;

	UT_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 0);
	UT_ERRNO(prctl(PR_SET_KEEPCAPS, 2, 0, 0, 0), EINVAL);
	UT_NOERR(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
	UT_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	UT_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), SECBIT_KEEP_CAPS);
	UT_NOERR(setresuid(1000, 1000, 1000));
	UT_EQ(caps_of(0).perm, all); /* kept */
	UT_EQ(caps_of(0).eff, 0);    /* but not effective: euid is not 0 */
	UT_NOERR(caps_set(BIT(CAP_SETUID), all, 0));
	UT_NOERR(setresuid(0, 0, 0)); /* CAP_SETUID in effect: back to root */
}

UT_CASE(keepcaps_across_setuid)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		keepcaps_rules();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	pid = UT_NOERR(fork());
	if (pid == 0) { /* without it, leaving uid 0 empties the sets */
		UT_NOERR(setresuid(1000, 1000, 1000));
		UT_EQ(caps_of(0).perm, 0);
		UT_EQ(caps_of(0).eff, 0);
		UT_ERRNO(setresuid(0, 0, 0), EPERM);
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

static void securebits_rules(void)
{
	UT_EQ(prctl(PR_GET_SECUREBITS, 0, 0, 0, 0), 0);
	UT_ERRNO(prctl(PR_SET_SECUREBITS, 1 << 20, 0, 0, 0), EPERM); /* no such bit */
	UT_NOERR(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0));
	UT_EQ(prctl(PR_GET_KEEPCAPS, 0, 0, 0, 0), 1);
	UT_ERRNO(prctl(PR_SET_KEEPCAPS, 0, 0, 0, 0), EPERM); /* locked */
	UT_ERRNO(prctl(PR_SET_SECUREBITS, SECBIT_KEEP_CAPS_LOCKED, 0, 0, 0), EPERM);
	UT_ERRNO(prctl(PR_SET_SECUREBITS, 0, 0, 0, 0), EPERM); /* a lock is not undone */
	UT_NOERR(caps_set(caps_of(0).perm & ~BIT(CAP_SETPCAP), caps_of(0).perm, 0));
	UT_ERRNO(prctl(PR_SET_SECUREBITS,
		       SECBIT_KEEP_CAPS | SECBIT_KEEP_CAPS_LOCKED | SECBIT_NO_CAP_AMBIENT_RAISE, 0,
		       0, 0),
		 EPERM); /* CAP_SETPCAP */
}

static void set_noroot(long unused)
{
	(void)unused;
	if (prctl(PR_SET_SECUREBITS, SECBIT_NOROOT | SECBIT_NOROOT_LOCKED | SECBIT_KEEP_CAPS, 0, 0,
		  0))
		_exit(92);
}

UT_CASE(securebits_locks_and_noroot)
{
	pid_t pid = UT_NOERR(fork());
	struct seen s;

	if (pid == 0) {
		securebits_rules();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	/* SECBIT_NOROOT: uid 0 gives no capabilities at exec; KEEP_CAPS is cleared there. */
	s = exec_helper(self_path(), set_noroot, 0);
	UT_EQ(s.euid, 0);
	UT_EQ(s.perm, 0);
	UT_EQ(s.eff, 0);
	UT_EQ(s.keepcaps, 0);
}

/* ---- ambient ---- */

static void ambient_rules(void)
{
	uint64_t p = caps_of(0).perm;

	UT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 0);
	UT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0), EPERM);
	UT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, 99, 0, 0), EINVAL);
	UT_ERRNO(prctl(PR_CAP_AMBIENT, 9, CAP_NET_RAW, 0, 0), EINVAL);
	UT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 1, 0, 0), EINVAL);
	UT_NOERR(caps_set(p, p, BIT(CAP_NET_RAW) | BIT(CAP_KILL)));
	UT_NOERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0));
	UT_NOERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
	UT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 1);
	UT_NOERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_LOWER, CAP_KILL, 0, 0));
	UT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 0);
	UT_NOERR(caps_set(p, p, BIT(CAP_KILL))); /* leaving inheritable drops it from ambient */
	UT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_NET_RAW, 0, 0), 0);
	UT_NOERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0));
	UT_NOERR(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0));
	UT_EQ(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_IS_SET, CAP_KILL, 0, 0), 0);
	UT_NOERR(prctl(PR_SET_SECUREBITS, SECBIT_NO_CAP_AMBIENT_RAISE, 0, 0, 0));
	UT_ERRNO(prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_KILL, 0, 0), EPERM);
}

/* Keeps capabilities into uid 1000, with CAP_NET_RAW inheritable and (if raise) ambient. */
static void to_user_with_net_raw(long raise)
{
	uint64_t nr = BIT(CAP_NET_RAW);

	if (prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0) || setresgid(1000, 1000, 1000) ||
	    setresuid(1000, 1000, 1000) || caps_set(nr, nr, nr))
		_exit(93);
	if (raise && prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_RAISE, CAP_NET_RAW, 0, 0))
		_exit(94);
}

UT_CASE(ambient_raise_and_exec)
{
	pid_t pid = UT_NOERR(fork());
	struct seen s;

	if (pid == 0) {
		ambient_rules();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	s = exec_helper(self_path(), to_user_with_net_raw, 1);
	UT_EQ(s.euid, 1000);
	UT_EQ(s.perm, BIT(CAP_NET_RAW)); /* the ambient set carries it through exec */
	UT_EQ(s.eff, BIT(CAP_NET_RAW));
	UT_EQ(s.inh, BIT(CAP_NET_RAW));
	UT_EQ(s.ambient_net_raw, 1);
	UT_EQ(s.secure, 0);
	UT_EQ(s.keepcaps, 0); /* cleared at exec */
	s = exec_helper(self_path(), to_user_with_net_raw, 0);
	UT_EQ(s.perm, 0); /* inheritable alone gives nothing without file capabilities */
	UT_EQ(s.eff, 0);
}

/* ---- no_new_privs ---- */

static void *nnp_of_thread(void *arg)
{
	(void)arg;
	return (void *)(long)prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0);
}

static void nnp_rules(void)
{
	pthread_t th;
	void *r;
	pid_t pid;

	UT_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 0);
	UT_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL);
	UT_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 1, 1, 0, 0), EINVAL);
	UT_ERRNO(prctl(PR_GET_NO_NEW_PRIVS, 1, 0, 0, 0), EINVAL);
	UT_NOERR(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	UT_EQ(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0), 1);
	UT_EQ(status_field("NoNewPrivs:"), 1);
	UT_ERRNO(prctl(PR_SET_NO_NEW_PRIVS, 0, 0, 0, 0), EINVAL); /* never unset */
	UT_EQ(pthread_create(&th, NULL, nnp_of_thread, NULL), 0);
	UT_EQ(pthread_join(th, &r), 0);
	UT_EQ((long)r, 1); /* a new thread inherits it */
	pid = UT_NOERR(fork());
	if (pid == 0)
		_exit(prctl(PR_GET_NO_NEW_PRIVS, 0, 0, 0, 0) == 1 ? 0 : 1);
	UT_CHILD_OK(pid);
}

static void set_nnp(long unused)
{
	(void)unused;
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0))
		_exit(95);
}

UT_CASE(no_new_privs_is_inherited_and_kept_across_exec)
{
	pid_t pid = UT_NOERR(fork());
	struct seen s;

	if (pid == 0) {
		nnp_rules();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	s = exec_helper(self_path(), set_nnp, 0);
	UT_EQ(s.nnp, 1);
	UT_EQ(s.perm, bounding_set()); /* root keeps root's capabilities: nothing new */
}

/* ---- set-user-ID and set-group-ID programs ---- */

#define SUID_PROG   "/tmp/creds-suid"
#define SGID_PROG   "/tmp/creds-sgid"
#define NOREAD_PROG "/tmp/creds-noread"

/* A copy of this program at path, owned by uid:gid, with mode (chmod after chown: it clears set-ID bits). */
static void copy_self(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	char buf[8192];
	int in = UT_NOERR(open(self_path(), O_RDONLY));
	int out = UT_NOERR(open(path, O_WRONLY | O_CREAT | O_TRUNC, 0700));
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		UT_EQ(write(out, buf, n), n);
	UT_EQ(n, 0);
	close(in);
	UT_NOERR(close(out));
	UT_NOERR(chown(path, uid, gid));
	UT_NOERR(chmod(path, mode));
}

static void as_2000(long nnp)
{
	if (setgroups(0, NULL) || setresgid(2000, 2000, 2000) || setresuid(2000, 2000, 2000))
		_exit(96);
	if (nnp)
		set_nnp(0);
}

UT_CASE(setuid_program_gives_its_owner_and_at_secure)
{
	struct seen s;

	copy_self(SUID_PROG, 1000, 1000, 04755);
	s = exec_helper(SUID_PROG, as_2000, 0);
	UT_EQ(s.uid, 2000);
	UT_EQ(s.euid, 1000);
	UT_EQ(s.suid, 1000); /* the saved id follows the new effective one */
	UT_EQ(s.egid, 2000);
	UT_EQ(s.secure, 1);
	UT_EQ(s.dumpable, 0);
	UT_EQ(s.perm, 0);
	s = exec_helper(SUID_PROG, as_2000, 1); /* no_new_privs: the bit is ignored */
	UT_EQ(s.euid, 2000);
	UT_EQ(s.suid, 2000);
	UT_EQ(s.secure, 0);
	UT_EQ(s.dumpable, 1);
	/* A set-user-ID-root program run by a user gets root's capabilities. */
	copy_self(SUID_PROG, 0, 0, 04755);
	s = exec_helper(SUID_PROG, as_2000, 0);
	UT_EQ(s.euid, 0);
	UT_EQ(s.uid, 2000);
	UT_EQ(s.perm, bounding_set());
	UT_EQ(s.eff, s.perm);
	UT_EQ(s.secure, 1);
	UT_NOERR(unlink(SUID_PROG));
}

UT_CASE(setgid_program_and_unreadable_program)
{
	struct seen s;

	copy_self(SGID_PROG, 1000, 1001, 02755);
	s = exec_helper(SGID_PROG, as_2000, 0);
	UT_EQ(s.euid, 2000);
	UT_EQ(s.gid, 2000);
	UT_EQ(s.egid, 1001);
	UT_EQ(s.sgid, 1001);
	UT_EQ(s.secure, 1);
	UT_EQ(s.dumpable, 0);
	UT_NOERR(chmod(SGID_PROG, 02745)); /* set-group-ID without group execute: not honoured */
	s = exec_helper(SGID_PROG, as_2000, 0);
	UT_EQ(s.egid, 2000);
	UT_EQ(s.secure, 0);
	UT_NOERR(unlink(SGID_PROG));
	copy_self(NOREAD_PROG, 0, 0, 0711); /* runs, but cannot be read: not dumpable */
	s = exec_helper(NOREAD_PROG, as_2000, 0);
	UT_EQ(s.euid, 2000);
	UT_EQ(s.secure, 0);
	UT_EQ(s.dumpable, 0);
	UT_NOERR(unlink(NOREAD_PROG));
}

UT_CASE(nosuid_mount_ignores_setuid)
{
	struct seen s;

	UT_NOERR(mkdir("/tmp/nosuid", 0755));
	UT_NOERR(mount("tmpfs", "/tmp/nosuid", "tmpfs", MS_NOSUID, NULL));
	copy_self("/tmp/nosuid/prog", 1000, 1000, 04755);
	s = exec_helper("/tmp/nosuid/prog", as_2000, 0);
	UT_EQ(s.euid, 2000);
	UT_EQ(s.secure, 0);
	UT_NOERR(umount("/tmp/nosuid"));
	UT_NOERR(rmdir("/tmp/nosuid"));
}

/* ---- dumpable, /proc/PID ---- */

static void dumpable_rules(void)
{
	UT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 1);
	UT_ERRNO(prctl(PR_SET_DUMPABLE, 2, 0, 0, 0), EINVAL);
	UT_NOERR(prctl(PR_SET_DUMPABLE, 0, 0, 0, 0));
	UT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
	UT_NOERR(prctl(PR_SET_DUMPABLE, 1, 0, 0, 0));
	UT_NOERR(seteuid(1000)); /* a new effective uid: not dumpable */
	UT_EQ(prctl(PR_GET_DUMPABLE, 0, 0, 0, 0), 0);
}

/* A child that becomes uid/gid 1000 (dumpable again if asked) and waits to be looked at. */
static pid_t user_child(int dumpable, int *ready)
{
	int fd[2];
	pid_t pid;
	char c;

	UT_NOERR(pipe(fd));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		become(1000, 1000);
		if (dumpable)
			prctl(PR_SET_DUMPABLE, 1, 0, 0, 0);
		write(fd[1], "x", 1);
		for (;;)
			pause();
	}
	close(fd[1]);
	UT_EQ(read(fd[0], &c, 1), 1);
	close(fd[0]);
	*ready = 1;
	return pid;
}

static void stat_proc(pid_t pid, const char *what, struct stat *st)
{
	char path[64];

	snprintf(path, sizeof(path), "/proc/%d%s", pid, what);
	UT_NOERR(stat(path, st));
}

UT_CASE(dumpable_and_proc_pid_owner)
{
	pid_t pid = UT_NOERR(fork());
	struct stat st;
	int ready;

	if (pid == 0) {
		dumpable_rules();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	/* setuid left it undumpable: its entries are root's, but not the directory (Linux) */
	pid = user_child(0, &ready);
	stat_proc(pid, "", &st);
	UT_EQ(st.st_uid, 1000);
	stat_proc(pid, "/status", &st);
	UT_EQ(st.st_uid, 0);
	UT_EQ(st.st_gid, 0);
	stat_proc(pid, "/fd", &st);
	UT_EQ(st.st_uid, 0);
	kill(pid, SIGKILL);
	UT_EQ(ut_wait(pid), 128 + SIGKILL);
	pid = user_child(1, &ready);
	stat_proc(pid, "", &st);
	UT_EQ(st.st_uid, 1000);
	UT_EQ(st.st_gid, 1000);
	UT_EQ(st.st_mode & 07777, 0555);
	stat_proc(pid, "/status", &st);
	UT_EQ(st.st_uid, 1000);
	UT_EQ(st.st_mode & 07777, 0444);
	stat_proc(pid, "/fd", &st);
	UT_EQ(st.st_uid, 1000);
	UT_EQ(st.st_mode & 07777, 0500);
	kill(pid, SIGKILL);
	UT_EQ(ut_wait(pid), 128 + SIGKILL);
}

/* ---- kill ---- */

/* A child with the given ids that waits for signals; dies of the first (default actions). */
static pid_t target(uid_t r, uid_t e, uid_t s, int new_session)
{
	int fd[2];
	pid_t pid;
	char c;

	UT_NOERR(pipe(fd));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		signal(SIGUSR1, SIG_DFL);
		signal(SIGUSR2, SIG_DFL);
		if (new_session)
			setsid();
		if (setresuid(r, e, s))
			_exit(90);
		write(fd[1], "x", 1);
		for (;;)
			pause();
	}
	close(fd[1]);
	UT_EQ(read(fd[0], &c, 1), 1);
	close(fd[0]);
	return pid;
}

static void kill_rules_as_2000(pid_t other, pid_t saved_2000, pid_t eff_2000, pid_t other_sess)
{
	union sigval v = { 0 };
	int pfd;

	become(2000, 2000);
	UT_ERRNO(kill(other, 0), EPERM);
	UT_ERRNO(kill(other, SIGUSR1), EPERM);
	UT_ERRNO(syscall(SYS_tgkill, other, other, SIGUSR1), EPERM);
	UT_ERRNO(sigqueue(other, SIGUSR1, v), EPERM);
	pfd = UT_NOERR((int)syscall(SYS_pidfd_open, other, 0));
	UT_ERRNO(syscall(SYS_pidfd_send_signal, pfd, SIGUSR1, NULL, 0), EPERM);
	UT_ERRNO(kill(-other, SIGUSR1), EPERM); /* its process group: none may be signalled */
	UT_EQ(kill(other, SIGCONT), 0);		/* SIGCONT within the session */
	UT_ERRNO(kill(other_sess, SIGCONT), EPERM);
	UT_EQ(kill(saved_2000, 0), 0);	    /* our uid is its saved uid */
	UT_ERRNO(kill(eff_2000, 0), EPERM); /* only its effective uid: no */
	UT_EQ(kill(getppid(), SIGCONT), 0);
}

UT_CASE(kill_permissions)
{
	pid_t other = target(1000, 1000, 1000, 0);
	pid_t saved = target(3000, 3000, 2000, 0);
	pid_t eff = target(3000, 2000, 3000, 0);
	pid_t sess = target(1000, 1000, 1000, 1);
	pid_t pid;

	setpgid(other, other);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		kill_rules_as_2000(other, saved, eff, sess);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	pid = UT_NOERR(fork());
	if (pid == 0) { /* the same uid may; CAP_KILL may */
		become(1000, 1000);
		UT_EQ(kill(other, 0), 0);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		UT_NOERR(prctl(PR_SET_KEEPCAPS, 1, 0, 0, 0));
		UT_NOERR(setresuid(4000, 4000, 4000));
		UT_ERRNO(kill(other, 0), EPERM);
		UT_NOERR(caps_set(BIT(CAP_KILL), caps_of(0).perm, 0));
		UT_EQ(kill(other, 0), 0);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	UT_EQ(kill(other, SIGUSR1), 0); /* root */
	UT_EQ(ut_wait(other), 128 + SIGUSR1);
	for (int i = 0; i < 3; i++)
		kill((pid_t[]){ saved, eff, sess }[i], SIGKILL);
	UT_EQ(ut_wait(saved), 128 + SIGKILL);
	UT_EQ(ut_wait(eff), 128 + SIGKILL);
	UT_EQ(ut_wait(sess), 128 + SIGKILL);
}

static volatile sig_atomic_t usr2_count;

static void count_usr2(int sig)
{
	(void)sig;
	usr2_count++;
}

/* As uid 3000: kill(-1) reaches the two other uid-3000 processes, not the caller. */
static void kill_all_as_3000(void)
{
	pid_t a, b;

	become(3000, 3000);
	a = target(3000, 3000, 3000, 0);
	b = target(3000, 3000, 3000, 0);
	signal(SIGUSR2, count_usr2); /* after the fork: the targets die of it */
	UT_EQ(kill(-1, SIGUSR2), 0);
	UT_EQ(ut_wait(a), 128 + SIGUSR2);
	UT_EQ(ut_wait(b), 128 + SIGUSR2);
	UT_EQ(usr2_count, 0);
	UT_EQ(kill(-1, SIGUSR2), 0); /* only others' processes left: 0 all the same (Linux) */
}

UT_CASE(kill_minus_one_skips_caller_and_init)
{
	pid_t pid = UT_NOERR(fork());
	struct sigaction sa = { .sa_handler = count_usr2 }, old;

	if (pid == 0) {
		kill_all_as_3000();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	/* As root: everything but init and the caller, here this process too (it counts). */
	usr2_count = 0;
	UT_NOERR(sigaction(SIGUSR2, &sa, &old));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		pid_t g = target(0, 0, 0, 0);

		signal(SIGUSR2, count_usr2);
		UT_EQ(kill(-1, SIGUSR2), 0);
		UT_EQ(ut_wait(g), 128 + SIGUSR2);
		UT_EQ(usr2_count, 0);
		_exit(0);
	}
	UT_CHILD_OK(pid);
	while (usr2_count == 0)
		pause();
	UT_EQ(usr2_count, 1);
	UT_NOERR(sigaction(SIGUSR2, &old, NULL));
	UT_EQ(kill(1, 0), 0); /* init is still there */
}

/* init's state letter from /proc/1/stat. */
static char init_state(void)
{
	char buf[256], *p;
	int fd = UT_NOERR(open("/proc/1/stat", O_RDONLY));
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	UT_CHECK(n > 0);
	buf[n] = '\0';
	p = strrchr(buf, ')');
	UT_CHECK(p && p[1] == ' ');
	return p[2];
}

/* Whether init (pid 1) has a handler for sig, from SigCgt in /proc/1/status. */
static int init_catches(int sig)
{
	char buf[4096], *p;
	int fd = UT_NOERR(open("/proc/1/status", O_RDONLY));
	ssize_t n = read(fd, buf, sizeof(buf) - 1);

	close(fd);
	UT_CHECK(n > 0);
	buf[n] = '\0';
	p = strstr(buf, "SigCgt:");
	UT_CHECK(p);
	return (strtoull(p + 7, NULL, 16) >> (sig - 1)) & 1;
}

/*
 * init here is the test's own: a failure must not end it. The stop is
 * checked first and undone whatever happens; only if init ignored it are
 * the signals that would end it sent.
 */
UT_CASE(init_gets_only_signals_it_handles)
{
	struct timespec pause_ns = { 0, 200 * 1000 * 1000 };
	char state;

	UT_EQ(kill(1, 0), 0);
	UT_EQ(init_catches(SIGUSR2), 0);
	UT_EQ(init_catches(SIGTERM), 0);
	UT_EQ(kill(1, SIGSTOP), 0);
	nanosleep(&pause_ns, NULL);
	state = init_state();
	kill(1, SIGCONT);
	UT_CHECK(state != 'T' && state != 't');
	UT_EQ(kill(1, SIGUSR2), 0);
	UT_EQ(kill(1, SIGTERM), 0);
	UT_EQ(kill(1, SIGKILL), 0);
	nanosleep(&pause_ns, NULL);
	UT_EQ(kill(1, 0), 0);
	state = init_state();
	UT_CHECK(state != 'Z' && state != 'X');
}

/* ---- privileged calls ---- */

static void privileged_calls_as_1000(void)
{
	struct timespec now;
	struct timeval tv;
	int fd;

	UT_NOERR(clock_gettime(CLOCK_REALTIME, &now));
	gettimeofday(&tv, NULL);
	become(1000, 1000);
	UT_ERRNO(sethostname("x", 1), EPERM);
	UT_ERRNO(setdomainname("x", 1), EPERM);
	UT_ERRNO(clock_settime(CLOCK_REALTIME, &now), EPERM);
	UT_ERRNO(settimeofday(&tv, NULL), EPERM);
	UT_ERRNO(mount("tmpfs", "/tmp", "tmpfs", 0, NULL), EPERM);
	UT_ERRNO(chroot("/"), EPERM);
	UT_ERRNO(syscall(SYS_reboot, 0xfee1dead, 672274793, 0, NULL), EPERM); /* CAD_OFF */
	UT_ERRNO(syscall(SYS_capset, &(struct cap_header_abi){ _LINUX_CAPABILITY_VERSION_3, 0 },
			 (struct cap_data_abi[2]){ { 1, 1, 0 }, { 0, 0, 0 } }),
		 EPERM);
	/* The kernel's controls: refused at open (mode) or at write (capability). */
	fd = open("/proc/sys/vm/drop_caches", O_WRONLY);
	if (fd < 0)
		UT_EQ(errno, EACCES);
	else
		UT_ERRNO(write(fd, "1\n", 2), EPERM);
	if (on_axolotl()) {
		fd = open("/proc/fault_inject", O_WRONLY);
		if (fd < 0)
			UT_EQ(errno, EACCES);
		else
			UT_ERRNO(write(fd, "ext2 panic every 7\n", 19), EPERM);
	}
}

UT_CASE(privileged_calls_need_their_capability)
{
	pid_t pid = UT_NOERR(fork());
	struct utsname u;
	char old[65], toolong[66];

	if (pid == 0) {
		privileged_calls_as_1000();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	UT_ERRNO(syscall(SYS_reboot, 0, 0, 0, NULL), EINVAL); /* root: then the magic numbers */
	memset(toolong, 'x', sizeof(toolong));
	UT_ERRNO(sethostname(toolong, 65), EINVAL);
	UT_NOERR(gethostname(old, sizeof(old)));
	UT_NOERR(sethostname("creds-test", 10));
	UT_NOERR(uname(&u));
	UT_EQ(strcmp(u.nodename, "creds-test"), 0);
	UT_NOERR(sethostname(old, strlen(old)));
}
