/*
 * Resource limits (kernel/rlimit.c): prlimit64's core on the calling
 * process or another one, and a copy of a process's limits for
 * /proc/PID/limits. The limits are struct process's rlimits (under its
 * lock); each is enforced where its resource is taken.
 */
#ifndef KERNEL_RLIMIT_H
#define KERNEL_RLIMIT_H

#include <lib/types.h>

struct rlimit64;

/*
 * Reads (old) and sets (new) limit res of process pid (0: the caller's)
 * at once, as Linux's prlimit64: -ESRCH (no such process), -EPERM (another
 * process whose real, effective and saved ids are not the caller's real
 * ones, without CAP_SYS_RESOURCE; raising the hard limit without it;
 * RLIMIT_NOFILE above nr_open), -EINVAL (res unknown, cur above max).
 */
int rlimit_prlimit(int pid, unsigned res, const struct rlimit64 *new, struct rlimit64 *old);
/* Copies pid's RLIM_NLIMITS limits into out: 0 or -ESRCH. */
int rlimit_get_all(int pid, struct rlimit64 *out);

#endif
