/*
 * Credentials (kernel/cred.c): who a thread acts as. A struct cred is
 * immutable once published and reference-counted: threads share one until
 * one of them changes its ids, which builds a new cred (cred_prepare),
 * edits it and installs it on the calling thread alone (cred_commit), as
 * Linux's struct cred. glibc and musl make set*id calls process-wide by
 * running them in every thread.
 *
 * A thread reads its own cred without a lock (only it replaces it). Other
 * threads see a process through p->cred, its leader's cred: kill, /proc,
 * ptrace and prlimit check against that, as Linux checks the thread the
 * pid names.
 */
#ifndef KERNEL_CRED_H
#define KERNEL_CRED_H

#include <lib/types.h>
#include <uapi/capability.h>

struct process;

/* Supplementary groups: sorted, immutable, shared between creds. */
struct group_info {
	int refcount; /* (atomic) */
	unsigned count;
	uint32_t gid[];
};

struct cred {
	int refcount; /* (atomic) */
	uint32_t uid, euid, suid, fsuid;
	uint32_t gid, egid, sgid, fsgid;
	struct group_info *groups; /* NULL: none */
	uint64_t cap_inheritable, cap_permitted, cap_effective, cap_bset, cap_ambient;
	unsigned securebits; /* SECBIT_* */
};

/* Boot-time set-up of the cred cache (from proc_init). */
void cred_init(void);

/* Root with every capability: the first process's, and every kernel thread's. */
extern struct cred init_cred;

/* The calling thread's credentials; kernel threads act as init_cred. */
const struct cred *current_cred(void);
/* Whether the calling thread's effective set holds cap (CAP_*). */
bool capable(int cap);
/* Whether gid is the cred's fsgid or one of its supplementary groups. */
bool cred_in_group(const struct cred *c, uint32_t gid);
/* The same with the effective gid in place of fsgid (access(2) without AT_EACCESS uses real ids). */
bool cred_in_egroup(const struct cred *c, uint32_t gid);

/*
 * The kernel acting for a user thread as someone else (devpts making the
 * nodes of a pty its opener may not make itself): the calling thread's
 * cred becomes c until revert_creds(the returned old one). Nothing may
 * wait (-EWAIT) in between; other threads never see it (they look at
 * p->cred).
 */
const struct cred *override_creds(const struct cred *c);
void revert_creds(const struct cred *old);

const struct cred *cred_get(const struct cred *c);
void cred_put(const struct cred *c);

/*
 * A private copy of the caller's credentials to edit, or NULL when out of
 * memory; then either cred_commit (installs it on the calling thread, and
 * as the process's if the caller is its leader) or cred_abort.
 */
struct cred *cred_prepare(void);
void cred_commit(struct cred *new);
void cred_abort(struct cred *new);

/*
 * Whether uid is all of c's real, effective and saved uids and gid all of
 * its gids: another process's "same owner" rule of ptrace and prlimit.
 */
bool cred_ids_all(const struct cred *c, uint32_t uid, uint32_t gid);

/* p's credentials (its leader's), referenced. Caller keeps p alive (proc_tree_lock or a hold). */
const struct cred *proc_cred_get(struct process *p);
/* Installs c (its reference passes to p) as p's credentials; returns the old ones to put. Caller holds p->lock. */
const struct cred *proc_cred_swap_locked(struct process *p, const struct cred *c);

/*
 * Linux's capability fix-up after a change of uids (old to new): losing
 * uid 0 from all of real, effective and saved clears the permitted and
 * effective sets (unless SECBIT_KEEP_CAPS) and the ambient set; an
 * effective uid leaving 0 clears the effective set, one becoming 0 raises
 * it to the permitted set; the file-system uid moving likewise moves the
 * file-system capabilities.
 */
void cred_fixup_caps(const struct cred *old, struct cred *new);

/*
 * p's dump mode (Linux's get_dumpable): SUID_DUMP_USER when p may be
 * dumped and examined by others of its uid. PR_SET_DUMPABLE sets it; a
 * cred change of effective or file-system ids or one that gains permitted
 * capabilities sets it to /proc/sys/fs/suid_dumpable (0: SUID_DUMP_DISABLE,
 * 2: SUID_DUMP_ROOT, a core only root may read), as does exec of a set-ID
 * program or of one the caller cannot read; any other exec sets
 * SUID_DUMP_USER again. ptrace and /proc/PID ownership ask
 * proc_dumpable (mode SUID_DUMP_USER), core dumps the mode.
 */
int proc_dump_mode(struct process *p);
bool proc_dumpable(struct process *p);
void proc_set_dump_mode(struct process *p, int mode);
/* The mode a change of identity leaves: /proc/sys/fs/suid_dumpable (kernel/coredump.c). */
int coredump_suid_dumpable(void);

/* What an exec does to the credentials (kernel/cred.c: Linux's rules, with no file capabilities). */
struct exec_cred_in {
	uint32_t mode, uid, gid; /* the program file's */
	bool nosuid;		 /* on a nosuid mount: set-ID bits ignored */
	bool no_new_privs;	 /* the caller's: set-ID bits ignored, nothing gained */
	bool traced_unsafe;	 /* a tracer that may not see raised privileges (ptrace) */
	bool unreadable;	 /* the caller cannot read the file: not dumpable after */
};
struct exec_cred_out {
	struct cred *cred; /* the new credentials, to pass to cred_exec_commit */
	bool secure;	   /* AT_SECURE: ids or capabilities were raised */
	bool dumpable;	   /* the process's dumpable flag after the exec */
};
/* Computes the credentials after exec from the caller's; 0 or -ENOMEM. */
int cred_exec_prepare(const struct exec_cred_in *in, struct exec_cred_out *out);

/*
 * prctl's credential options (sys/cred.c): KEEPCAPS, NO_NEW_PRIVS,
 * CAPBSET_*, CAP_AMBIENT, SECUREBITS, DUMPABLE. Sets *handled when option
 * is one of them.
 */
long cred_prctl(int option, uint64_t a2, uint64_t a3, uint64_t a4, uint64_t a5, bool *handled);

/* Supplementary groups: a sorted copy of count gids, or NULL when out of memory. */
struct group_info *groups_alloc(const uint32_t *gid, unsigned count);
void groups_put(struct group_info *g);

#endif
