/*
 * Core dumps (kernel/coredump.c): a process killed by a signal whose
 * default action dumps core (SIGQUIT, SIGILL, SIGTRAP, SIGABRT, SIGBUS,
 * SIGFPE, SIGSEGV, SIGXCPU, SIGXFSZ, SIGSYS) leaves an ELF core file that
 * gdb reads, named by /proc/sys/kernel/core_pattern and bounded by
 * RLIMIT_CORE, and its wait status has the core bit (0x80) when the file
 * was made (cut short or not, as Linux).
 *
 * User threads hold no kernel stack while they wait, so the dump is not
 * written by the dying thread. The thread that takes the signal decides
 * (coredump_prepare) and the process exits as for any fatal signal, with
 * the dump attached (proc_kill_dumping). Each thread records its
 * registers as it leaves (coredump_thread_exit). When the last one is
 * gone the process does not become a zombie yet: its address space,
 * directories and credentials are still held, and a kernel thread, which
 * may sleep on the file system, writes the file (coredump_write_later),
 * then finishes the exit (proc_finish_dumped). The parent's wait sees the
 * child only after the file is complete, as on Linux.
 */
#ifndef KERNEL_COREDUMP_H
#define KERNEL_COREDUMP_H

#include <lib/types.h>

struct thread;
struct process;
struct ksiginfo;
struct core_dump;

/* Whether sig's default action dumps core. */
bool sig_dumps_core(int sig);

/*
 * The dump of t's process for the fatal signal info, or NULL when none is
 * to be written (RLIMIT_CORE or RLIMIT_FSIZE below a page, not dumpable,
 * init, out of memory). It holds the address space, the credentials and
 * the process's ids and names as they are now; t's registers, recorded
 * when t exits, come first in the file: t is the thread gdb shows.
 */
struct core_dump *coredump_prepare(struct thread *t, const struct ksiginfo *info);
/* Frees a dump: one that lost the race to end its process (another exit came first), or done. */
void coredump_discard(struct core_dump *cd);

/* Called by every thread of a dumping process as it exits: records its registers. */
void coredump_thread_exit(struct thread *t, struct core_dump *cd);

/*
 * The last thread of p (which has p->core) is gone: starts the kernel
 * thread that writes the file and then calls proc_finish_dumped. False if
 * that thread cannot be made (the exit then goes on without a dump).
 */
bool coredump_write_later(struct process *p);

/*
 * The controls (/proc/sys/kernel/core_pattern and core_uses_pid,
 * /proc/sys/fs/suid_dumpable). The pattern names the file, relative to
 * the process's working directory unless it starts with '/', with
 * Linux's % specifiers; a pattern starting with '|' (a helper program) is
 * -EINVAL: not supported.
 */
#define CORE_PATTERN_MAX 128 /* with the NUL, as Linux's CORENAME_MAX_SIZE */
void coredump_pattern(char buf[CORE_PATTERN_MAX]);
int coredump_set_pattern(const char *pattern);
int coredump_uses_pid(void);
int coredump_set_uses_pid(long on);
int coredump_set_suid_dumpable(long mode);

#endif /* KERNEL_COREDUMP_H */
