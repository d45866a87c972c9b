/*
 * Identity and limits: uname, sethostname, setdomainname, reboot, getrandom,
 * resource limits, getrusage, arch_prctl (the FS and GS bases for TLS).
 */
#include <kernel/syscall.h>
#include <kernel/config.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/rlimit.h>
#include <kernel/random.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>
#include <mm/vm.h>
#include <mm/page.h>
#include <arch/x86_64/cpu.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/resource.h>
#include <uapi/prctl.h>
#include <uapi/reboot.h>
#include <kernel/utsname.h>
#include <fs/writeback.h>

struct utsname {
	char sysname[UTS_LEN], nodename[UTS_LEN], release[UTS_LEN], version[UTS_LEN],
		machine[UTS_LEN], domainname[UTS_LEN];
};

/* The host and domain names (sethostname, setdomainname); guarded by uts_lock. */
static spinlock_t uts_lock = SPINLOCK_INIT("uts");
static char hostname[UTS_LEN] = "axolotl";  /* (uts_lock) */
static char domainname[UTS_LEN] = "(none)"; /* (uts_lock) */

void utsname_hostname(char buf[UTS_LEN])
{
	unsigned long flags = spin_lock_irqsave(&uts_lock);

	memcpy(buf, hostname, UTS_LEN);
	spin_unlock_irqrestore(&uts_lock, flags);
}

SYSCALL_DEFINE1(uname, uintptr_t, ubuf)
{
	struct utsname u;
	unsigned long flags;

	memset(&u, 0, sizeof(u));
	/* "Linux": programs check it to pick Linux behaviour, which is what we provide. */
	strlcpy(u.sysname, "Linux", UTS_LEN);
	strlcpy(u.release, "6.1.0-axolotl", UTS_LEN);
	strlcpy(u.version, "#1 Axolotl 0.1", UTS_LEN);
	strlcpy(u.machine, "x86_64", UTS_LEN);
	flags = spin_lock_irqsave(&uts_lock);
	memcpy(u.nodename, hostname, UTS_LEN);
	memcpy(u.domainname, domainname, UTS_LEN);
	spin_unlock_irqrestore(&uts_lock, flags);
	return copy_to_user(ubuf, &u, sizeof(u));
}

/* sethostname, setdomainname: len bytes (not NUL-terminated) of up to 64; CAP_SYS_ADMIN. */
static long set_uts_name(char *name, uintptr_t uname, int len)
{
	char tmp[UTS_LEN];
	unsigned long flags;

	if (len < 0 || len > UTS_LEN - 1)
		return -EINVAL;
	if (!capable(CAP_SYS_ADMIN))
		return -EPERM;
	memset(tmp, 0, sizeof(tmp));
	if (copy_from_user(tmp, uname, len))
		return -EFAULT;
	flags = spin_lock_irqsave(&uts_lock);
	memcpy(name, tmp, UTS_LEN);
	spin_unlock_irqrestore(&uts_lock, flags);
	return 0;
}

SYSCALL_DEFINE2(sethostname, uintptr_t, uname, int, len)
{
	return set_uts_name(hostname, uname, len);
}

SYSCALL_DEFINE2(setdomainname, uintptr_t, uname, int, len)
{
	return set_uts_name(domainname, uname, len);
}

static bool reboot_magic(uint32_t m1, uint32_t m2)
{
	return m1 == LINUX_REBOOT_MAGIC1 &&
	       (m2 == LINUX_REBOOT_MAGIC2 || m2 == LINUX_REBOOT_MAGIC2A ||
		m2 == LINUX_REBOOT_MAGIC2B || m2 == LINUX_REBOOT_MAGIC2C);
}

/*
 * reboot: CAP_SYS_BOOT first, then the magic numbers, as Linux. Power-off
 * and halt sync the disks and stop the machine (status 0) as init's exit
 * does; the call returns meanwhile. Ctrl-Alt-Del never reaches the kernel
 * (the serial console passes it on as bytes), so CAD_ON and CAD_OFF have
 * nothing to change. Restart, kexec and suspend: the machine layer has
 * none of them (EINVAL, Linux's answer for a command it does not know).
 */
SYSCALL_DEFINE4(reboot, uint32_t, magic1, uint32_t, magic2, uint32_t, cmd, uintptr_t, arg)
{
	(void)arg;
	if (!capable(CAP_SYS_BOOT))
		return -EPERM;
	if (!reboot_magic(magic1, magic2))
		return -EINVAL;
	switch (cmd) {
	case LINUX_REBOOT_CMD_CAD_ON:
	case LINUX_REBOOT_CMD_CAD_OFF:
		return 0;
	case LINUX_REBOOT_CMD_POWER_OFF:
	case LINUX_REBOOT_CMD_HALT:
		writeback_shutdown_then_poweroff(0);
		return 0;
	default:
		return -EINVAL;
	}
}

#define GRND_NONBLOCK 1
#define GRND_RANDOM   2
#define GRND_INSECURE 4
#define GETRANDOM_MAX 33554431

SYSCALL_DEFINE3(getrandom, uintptr_t, ubuf, size_t, len, unsigned, flags)
{
	uint8_t chunk[256];
	size_t done = 0;

	if (flags & ~(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) ||
	    (flags & GRND_RANDOM && flags & GRND_INSECURE))
		return -EINVAL;
	if (len > GETRANDOM_MAX)
		len = GETRANDOM_MAX;
	while (done < len) {
		size_t n = len - done < sizeof(chunk) ? len - done : sizeof(chunk);

		random_bytes(chunk, n);
		if (copy_to_user(ubuf + done, chunk, n))
			return done ? (long)done : -EFAULT;
		done += n;
	}
	memset(chunk, 0, sizeof(chunk));
	return done;
}

/* Resource limits: kernel/rlimit.c. The new limit is read first, the old one written last. */
static long do_prlimit(int pid, unsigned res, uintptr_t unew, uintptr_t uold)
{
	struct rlimit64 new, old;
	long r;

	if (unew && copy_from_user(&new, unew, sizeof(new)))
		return -EFAULT;
	r = rlimit_prlimit(pid, res, unew ? &new : NULL, uold ? &old : NULL);
	if (!r && uold && copy_to_user(uold, &old, sizeof(old)))
		return -EFAULT;
	return r;
}

SYSCALL_DEFINE4(prlimit64, int, pid, unsigned, res, uintptr_t, unew, uintptr_t, uold)
{
	return do_prlimit(pid, res, unew, uold);
}

SYSCALL_DEFINE2(getrlimit, unsigned, res, uintptr_t, uold)
{
	if (res >= RLIM_NLIMITS)
		return -EINVAL;
	return uold ? do_prlimit(0, res, 0, uold) : -EFAULT;
}

SYSCALL_DEFINE2(setrlimit, unsigned, res, uintptr_t, unew)
{
	return unew ? do_prlimit(0, res, unew, 0) : -EFAULT;
}

static struct linux_timeval ticks_to_timeval(uint64_t ticks)
{
	uint64_t us = ticks * (1000000 / HZ);

	return (struct linux_timeval){ us / 1000000, us % 1000000 };
}

SYSCALL_DEFINE2(getrusage, int, who, uintptr_t, uru)
{
	struct process *p = current_proc();
	struct thread *self = current_thread(), *t;
	struct linux_rusage ru;
	uint64_t ut = 0, st = 0;
	unsigned long flags;

	memset(&ru, 0, sizeof(ru));
	if (who == RUSAGE_SELF) {
		ut = p->user_ticks, st = p->system_ticks;
		flags = spin_lock_irqsave(&p->lock);
		list_for_each_entry (t, &p->threads, proc_node)
			ut += t->user_ticks, st += t->system_ticks;
		spin_unlock_irqrestore(&p->lock, flags);
		ru.ru_maxrss = p->vm->resident_pages * 4;
	} else if (who == RUSAGE_CHILDREN) {
		ut = p->child_user_ticks, st = p->child_system_ticks;
	} else if (who == RUSAGE_THREAD) {
		ut = self->user_ticks, st = self->system_ticks;
	} else {
		return -EINVAL;
	}
	ru.ru_utime = ticks_to_timeval(ut);
	ru.ru_stime = ticks_to_timeval(st);
	return copy_to_user(uru, &ru, sizeof(ru));
}

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

SYSCALL_DEFINE2(arch_prctl, int, code, uintptr_t, addr)
{
	struct thread *t = current_thread();

	switch (code) {
	case ARCH_SET_FS:
		if (addr >= USER_SPACE_END)
			return -EPERM;
		t->fs_base = addr;
		wrmsr(MSR_FS_BASE, addr);
		return 0;
	case ARCH_SET_GS:
		if (addr >= USER_SPACE_END)
			return -EPERM;
		t->gs_base = addr;
		wrmsr(MSR_KERNEL_GS_BASE, addr); /* becomes GS at swapgs on the way out */
		return 0;
	case ARCH_GET_FS:
		return copy_to_user(addr, &t->fs_base, sizeof(t->fs_base));
	case ARCH_GET_GS:
		return copy_to_user(addr, &t->gs_base, sizeof(t->gs_base));
	default:
		return -EINVAL;
	}
}

/*
 * prctl: the thread name (busybox names its applets), the harmless
 * queries, and the credential options (capabilities, securebits,
 * no_new_privs, dumpable), which sys/cred.c handles.
 */
SYSCALL_DEFINE5(prctl, int, option, uint64_t, a2, uint64_t, a3, uint64_t, a4, uint64_t, a5)
{
	struct thread *t = current_thread();
	struct process *p = t->proc;
	char name[COMM_LEN];
	int zero = 0;
	bool handled = false;
	long r = cred_prctl(option, a2, a3, a4, a5, &handled);

	if (handled)
		return r;
	switch (option) {
	case PR_SET_NAME:
		if (strncpy_from_user(name, a2, sizeof(name)) == -EFAULT)
			return -EFAULT;
		name[COMM_LEN - 1] = '\0';
		strlcpy(t->name, name, sizeof(t->name));
		if (t->tid == p->pid) /* the main thread's name is the process's */
			strlcpy(p->comm, name, sizeof(p->comm));
		return 0;
	case PR_GET_NAME:
		return copy_to_user(a2, t->tid == p->pid ? p->comm : t->name, COMM_LEN);
	case PR_GET_PDEATHSIG:
		return copy_to_user(a2, &zero, sizeof(zero));
	default:
		return -EINVAL;
	}
}

struct linux_sysinfo {
	int64_t uptime;
	uint64_t loads[3];
	uint64_t totalram, freeram, sharedram, bufferram, totalswap, freeswap;
	uint16_t procs, pad;
	uint64_t totalhigh, freehigh;
	uint32_t mem_unit;
	char reserved[4];
};

static void count_process(struct process *p, void *ctx)
{
	(void)p;
	(*(unsigned *)ctx)++;
}

SYSCALL_DEFINE1(sysinfo, uintptr_t, uinfo)
{
	struct linux_sysinfo si;
	unsigned procs = 0;

	memset(&si, 0, sizeof(si));
	si.uptime = clock_ns() / NSEC_PER_SEC;
	si.totalram = total_page_count() * PAGE_SIZE;
	si.freeram = free_page_count() * PAGE_SIZE;
	proc_for_each(count_process, &procs);
	si.procs = procs;
	si.mem_unit = 1;
	return copy_to_user(uinfo, &si, sizeof(si));
}
