/*
 * Core dumps (include/kernel/coredump.h): the decision when a fatal
 * signal is taken, the registers each thread leaves behind, and the kernel
 * thread that writes the ELF core file once the last thread is gone.
 *
 * The file is laid out as Linux's: the ELF header, a PT_NOTE header and one
 * PT_LOAD header per area of the address space, the notes (for the thread
 * that took the signal: NT_PRSTATUS, NT_PRPSINFO, NT_SIGINFO, NT_AUXV,
 * NT_FILE, NT_PRFPREG; for each other thread NT_PRSTATUS and NT_PRFPREG),
 * then from the next page boundary the areas' contents. Which contents
 * follow Linux's default coredump_filter (0x33): anonymous memory, private
 * or shared, whole; a private file mapping with pages of its own (written:
 * data, relocations) whole; of any other file mapping only a first page
 * that holds an ELF header (gdb finds the build id there); pages never
 * touched are holes in the file.
 */
#include <kernel/coredump.h>
#include <kernel/clock.h>
#include <kernel/cred.h>
#include <kernel/printk.h>
#include <kernel/proc.h>
#include <kernel/ptrace.h>
#include <kernel/signal.h>
#include <kernel/syscall.h>
#include <kernel/thread.h>
#include <kernel/uthread.h>
#include <kernel/utsname.h>
#include <fs/vfs.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <mm/vm.h>
#include <arch/x86_64/cpu_setup.h>
#include <lib/list.h>
#include <lib/printf.h>
#include <lib/string.h>
#include <uapi/elf.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/prctl.h>
#include <uapi/ptrace.h>
#include <uapi/resource.h>
#include <uapi/signal.h>
#include <uapi/stat.h>

#define NOTE_NAME     "CORE"
#define FILE_NOTE_MAX (4u << 20) /* Linux's MAX_FILE_NOTE_SIZE: larger, NT_FILE is left out */

static spinlock_t core_lock = SPINLOCK_INIT("core_pattern");
static char core_pattern[CORE_PATTERN_MAX] = "core"; /* (core_lock) */
static int core_uses_pid;			     /* (a) */
static int suid_dumpable; /* (a) the SUID_DUMP_* a change of ids leaves */

/* What NT_PRSTATUS and NT_PRPSINFO say of the process, read under its locks at the signal. */
struct proc_identity {
	int pid, ppid, pgrp, sid;
	uint32_t uid, gid; /* the dying thread's real ids */
	char comm[COMM_LEN];
	char exe[EXE_PATH_LEN];
	char psargs[80];
};

/* One thread's state, recorded as it left. */
struct core_thread {
	struct list_head node; /* in core_dump.threads */
	int tid;
	struct user_regs regs;
	struct fpu_state fpu;
	uint64_t sigpend, sighold;
	uint64_t user_ticks, system_ticks;
};

/* Lock key: (lock) lock; (c) set by coredump_prepare, then read only. */
struct core_dump {
	spinlock_t lock;
	struct list_head threads; /* (lock) struct core_thread, the signalled thread first */
	unsigned lost_threads;	  /* (lock) threads not recorded for want of memory */
	int dumper_tid;		  /* (c) the thread that took the signal */
	struct ksiginfo info;	  /* (c) */
	uint64_t limit;		  /* (c) RLIMIT_CORE (and RLIMIT_FSIZE), in bytes written */
	const struct cred *cred;  /* (c) the file is written with these, held */
	bool as_root;		  /* (c) suid_dumpable 2: fsuid 0, absolute path only */
	char *name;		  /* (c) the expanded pattern (PATH_MAX bytes) */
	struct vm_space *vm; /* (c) the image that died, held: an exec racing in cannot swap it */
	struct proc_identity id; /* (c) the process as it died, for the notes */
};

bool sig_dumps_core(int sig)
{
	switch (sig) {
	case SIGQUIT:
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGXCPU:
	case SIGXFSZ:
	case SIGSYS:
		return true;
	default:
		return false;
	}
}

/* ---- the controls ---- */

void coredump_pattern(char buf[CORE_PATTERN_MAX])
{
	unsigned long flags = spin_lock_irqsave(&core_lock);

	memcpy(buf, core_pattern, CORE_PATTERN_MAX);
	spin_unlock_irqrestore(&core_lock, flags);
}

int coredump_set_pattern(const char *pattern)
{
	unsigned long flags;

	if (strlen(pattern) >= CORE_PATTERN_MAX || pattern[0] == '|')
		return -EINVAL;
	flags = spin_lock_irqsave(&core_lock);
	strlcpy(core_pattern, pattern, CORE_PATTERN_MAX);
	spin_unlock_irqrestore(&core_lock, flags);
	return 0;
}

int coredump_uses_pid(void)
{
	return __atomic_load_n(&core_uses_pid, __ATOMIC_RELAXED);
}

int coredump_set_uses_pid(long on)
{
	if (on != 0 && on != 1)
		return -EINVAL;
	__atomic_store_n(&core_uses_pid, (int)on, __ATOMIC_RELAXED);
	return 0;
}

int coredump_suid_dumpable(void)
{
	return __atomic_load_n(&suid_dumpable, __ATOMIC_RELAXED);
}

int coredump_set_suid_dumpable(long mode)
{
	if (mode < 0 || mode > 2)
		return -EINVAL;
	__atomic_store_n(&suid_dumpable, (int)mode, __ATOMIC_RELAXED);
	return 0;
}

/* ---- the file's name ---- */

struct name_buf {
	char *s;
	size_t len;
};

__attribute__((format(__printf__, 2, 3))) static void name_add(struct name_buf *b, const char *fmt,
							       ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(b->s + b->len, PATH_MAX - b->len, fmt, ap);
	va_end(ap);
	b->len = MIN(b->len + (size_t)MAX(n, 0), (size_t)PATH_MAX - 1);
}

/*
 * A name that goes into the path (Linux's cn_esc_printf): '/' turns into
 * '!', and a name that is "." or ".." or empty cannot make a component
 * that climbs or vanishes: its first character becomes '!' (or it is "!").
 */
static void name_add_component(struct name_buf *b, const char *s)
{
	size_t start = b->len;

	name_add(b, "%s", s);
	if ((b->len - start == 1 && b->s[start] == '.') ||
	    (b->len - start == 2 && b->s[start] == '.' && b->s[start + 1] == '.'))
		b->s[start] = '!';
	if (b->len == start)
		name_add(b, "!");
	for (size_t i = start; i < b->len; i++)
		if (b->s[i] == '/')
			b->s[i] = '!';
}

static void name_add_specifier(struct name_buf *b, char c, struct thread *t, int sig,
			       uint64_t limit, const struct proc_identity *id)
{
	struct process *p = t->proc;
	char host[UTS_LEN];
	const char *base;

	switch (c) {
	case '%':
		name_add(b, "%%");
		break;
	case 'p':
	case 'P':
		name_add(b, "%d", p->pid);
		break;
	case 'i':
	case 'I':
		name_add(b, "%d", t->tid);
		break;
	case 'u':
		name_add(b, "%u", id->uid);
		break;
	case 'g':
		name_add(b, "%u", id->gid);
		break;
	case 'd':
		name_add(b, "%d", proc_dump_mode(p));
		break;
	case 's':
		name_add(b, "%d", sig);
		break;
	case 't':
		name_add(b, "%lu", (unsigned long)(realtime_ns() / 1000000000ULL));
		break;
	case 'h':
		utsname_hostname(host);
		name_add_component(b, host);
		break;
	case 'e':
		name_add_component(b, id->comm);
		break;
	case 'E':
		name_add_component(b, id->exe);
		break;
	case 'f':
		base = strrchr(id->exe, '/');
		name_add_component(b, base ? base + 1 : id->exe);
		break;
	case 'c':
		name_add(b, "%lu", (unsigned long)limit);
		break;
	default:
		break; /* an unknown specifier gives nothing, as Linux */
	}
}

/* Expands the pattern for t's dump into b (PATH_MAX bytes); Linux's format_corename. */
static void format_name(struct name_buf *b, struct thread *t, int sig, uint64_t limit,
			const struct proc_identity *id)
{
	char pattern[CORE_PATTERN_MAX];
	bool pid_in_pattern = false;

	coredump_pattern(pattern);
	b->len = 0;
	b->s[0] = 0;
	for (const char *c = pattern; *c; c++) {
		if (*c != '%') {
			name_add(b, "%c", *c);
			continue;
		}
		if (!*++c)
			break; /* a lone % at the end */
		pid_in_pattern |= *c == 'p';
		name_add_specifier(b, *c, t, sig, limit, id);
	}
	if (!pid_in_pattern && coredump_uses_pid())
		name_add(b, ".%d", t->proc->pid);
}

/* ---- the decision, and the threads' registers ---- */

void coredump_discard(struct core_dump *cd)
{
	struct core_thread *ct, *tmp;

	list_for_each_entry_safe (ct, tmp, &cd->threads, node)
		kfree(ct);
	if (cd->cred)
		cred_put(cd->cred);
	if (cd->vm)
		vm_put(cd->vm);
	kfree(cd->name);
	kfree(cd);
}

/* The process as the signal found it: ids, names and arguments read under their locks. */
static void take_identity(struct thread *t, struct proc_identity *id)
{
	struct process *p = t->proc;
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);
	size_t n;

	id->pid = p->pid;
	id->ppid = p->parent ? p->parent->pid : 0;
	id->pgrp = p->pgid;
	id->sid = p->sid;
	strlcpy(id->exe, p->exe, sizeof(id->exe));
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	id->uid = current_cred()->uid;
	id->gid = current_cred()->gid;
	flags = spin_lock_irqsave(&p->lock);
	strlcpy(id->comm, p->comm, sizeof(id->comm));
	n = MIN(p->cmdline_len, sizeof(id->psargs) - 1);
	memcpy(id->psargs, p->cmdline, n);
	spin_unlock_irqrestore(&p->lock, flags);
	for (size_t i = 0; i + 1 < n; i++)
		if (!id->psargs[i])
			id->psargs[i] = ' '; /* argv's NULs become spaces */
	if (n && !id->psargs[n - 1])
		n--;
	id->psargs[n] = 0;
}

/* The credentials the file is made with: the thread's, with fsuid 0 for a set-ID dump. */
static const struct cred *dump_cred(bool as_root)
{
	struct cred *c;

	if (!as_root)
		return cred_get(current_cred());
	c = cred_prepare(); /* a private copy, never installed */
	if (c)
		c->fsuid = 0;
	return c;
}

struct core_dump *coredump_prepare(struct thread *t, const struct ksiginfo *info)
{
	struct process *p = t->proc;
	unsigned long flags = spin_lock_irqsave(&p->lock);
	uint64_t limit = MIN(p->rlimits[RLIMIT_CORE].cur, p->rlimits[RLIMIT_FSIZE].cur);
	int mode = proc_dump_mode(p);
	struct core_dump *cd;
	struct name_buf b;

	spin_unlock_irqrestore(&p->lock, flags);
	if (p->pid == 1 || limit < PAGE_SIZE || mode == SUID_DUMP_DISABLE)
		return NULL; /* Linux's min_coredump: a limit below a page means none */
	cd = kzalloc(sizeof(*cd));
	if (!cd)
		return NULL;
	spin_init(&cd->lock, "core_dump");
	list_init(&cd->threads);
	cd->dumper_tid = t->tid;
	cd->info = *info;
	cd->limit = limit;
	cd->as_root = mode == SUID_DUMP_ROOT;
	cd->cred = dump_cred(cd->as_root);
	flags = spin_lock_irqsave(&p->lock);
	cd->vm = p->vm;
	vm_get(cd->vm);
	spin_unlock_irqrestore(&p->lock, flags);
	take_identity(t, &cd->id);
	cd->name = kmalloc(PATH_MAX);
	if (!cd->name || !cd->cred) {
		coredump_discard(cd);
		return NULL;
	}
	b.s = cd->name;
	format_name(&b, t, info->signo, limit, &cd->id);
	if (!b.len || (cd->as_root && b.s[0] != '/')) {
		if (b.len)
			pr_info("pid %d (%s): a set-ID dump needs an absolute core_pattern\n",
				p->pid, cd->id.comm);
		coredump_discard(cd);
		return NULL;
	}
	return cd;
}

void coredump_thread_exit(struct thread *t, struct core_dump *cd)
{
	struct core_thread *ct = kmalloc(sizeof(*ct));
	unsigned long flags;

	if (ct) {
		user_fpu_sync(t); /* the registers may still hold its FPU state */
		ct->tid = t->tid;
		/* A thread killed in a call shows the call, as Linux's orig_rax does. */
		thread_user_regs(t, t->restart_syscall ? t->uregs.rax : ~0ULL, &ct->regs);
		memcpy(&ct->fpu, t->fpu, sizeof(ct->fpu));
		ct->sigpend = t->sigpending.set;
		ct->sighold = t->sigmask;
		ct->user_ticks = t->user_ticks;
		ct->system_ticks = t->system_ticks;
	}
	flags = spin_lock_irqsave(&cd->lock);
	if (!ct)
		cd->lost_threads++;
	else if (t->tid == cd->dumper_tid)
		list_add(&ct->node, &cd->threads); /* first: the thread gdb shows */
	else
		list_add_tail(&ct->node, &cd->threads);
	spin_unlock_irqrestore(&cd->lock, flags);
}

/* ---- the notes ---- */

struct notes {
	uint8_t *buf; /* NULL while sizing */
	size_t len;
};

static size_t align4(size_t n)
{
	return (n + 3) & ~(size_t)3;
}

/* Appends one note with desc (NULL: zeros) of n bytes; counts only when sizing. */
static void note_add(struct notes *nt, uint32_t type, const void *desc, size_t n)
{
	Elf64_Nhdr h = { .n_namesz = sizeof(NOTE_NAME), .n_descsz = (Elf64_Word)n, .n_type = type };
	size_t at = nt->len;

	nt->len += sizeof(h) + align4(sizeof(NOTE_NAME)) + align4(n);
	if (!nt->buf)
		return;
	memset(nt->buf + at, 0, nt->len - at);
	memcpy(nt->buf + at, &h, sizeof(h));
	memcpy(nt->buf + at + sizeof(h), NOTE_NAME, sizeof(NOTE_NAME));
	if (desc)
		memcpy(nt->buf + at + sizeof(h) + align4(sizeof(NOTE_NAME)), desc, n);
}

static struct elf_timeval ticks_to_timeval(uint64_t ticks)
{
	uint64_t us = ticks * (1000000 / HZ);

	return (struct elf_timeval){ (int64_t)(us / 1000000), (int64_t)(us % 1000000) };
}

static void fill_prstatus(struct elf_prstatus *s, const struct core_thread *ct,
			  const struct proc_identity *id, int sig)
{
	memset(s, 0, sizeof(*s));
	s->pr_info.si_signo = sig;
	s->pr_cursig = (int16_t)sig;
	s->pr_sigpend = ct->sigpend;
	s->pr_sighold = ct->sighold;
	s->pr_pid = ct->tid;
	s->pr_ppid = id->ppid;
	s->pr_pgrp = id->pgrp;
	s->pr_sid = id->sid;
	s->pr_utime = ticks_to_timeval(ct->user_ticks);
	s->pr_stime = ticks_to_timeval(ct->system_ticks);
	memcpy(s->pr_reg, &ct->regs, sizeof(s->pr_reg));
	s->pr_fpvalid = 1;
}

static void fill_prpsinfo(struct elf_prpsinfo *ps, const struct proc_identity *id)
{
	memset(ps, 0, sizeof(*ps));
	ps->pr_sname = 'R';
	ps->pr_uid = id->uid;
	ps->pr_gid = id->gid;
	ps->pr_pid = id->pid;
	ps->pr_ppid = id->ppid;
	ps->pr_pgrp = id->pgrp;
	ps->pr_sid = id->sid;
	strlcpy(ps->pr_fname, id->comm, sizeof(ps->pr_fname));
	memcpy(ps->pr_psargs, id->psargs, sizeof(ps->pr_psargs));
}

/*
 * NT_FILE: the count and page size, a (start, end, offset in pages) triple
 * per file mapping, then their paths. Sized when out is NULL; filled into
 * out's size bytes otherwise (0 if a path grew past them meanwhile: a
 * rename between the two passes). 0 if it would pass FILE_NOTE_MAX.
 */
static size_t file_note(const struct vm_dump_area *areas, long n, uint8_t *out, size_t size,
			char *path)
{
	uint64_t count = 0, *triples;
	size_t names = 0, at;

	for (long i = 0; i < n; i++)
		count += areas[i].dentry != NULL;
	at = 16 + count * 24;
	triples = out ? (uint64_t *)(out + 16) : NULL;
	for (long i = 0; i < n; i++) {
		int len;

		if (!areas[i].dentry)
			continue;
		len = dentry_path(areas[i].dentry, path, PATH_MAX);
		if (len < 0)
			len = (int)strlcpy(path, "(deleted)",
					   PATH_MAX); /* unlinked: no path left */
		len = MIN(len, PATH_MAX - 1);
		if (out && at + names + (size_t)len + 1 > size)
			return 0;
		if (triples) {
			*triples++ = areas[i].start;
			*triples++ = areas[i].end;
			*triples++ = areas[i].pgoff;
			memcpy(out + at + names, path, (size_t)len + 1);
		}
		names += (size_t)len + 1;
	}
	if (at + names > FILE_NOTE_MAX)
		return 0;
	if (out) {
		uint64_t head[2] = { count, PAGE_SIZE };

		memcpy(out, head, sizeof(head));
	}
	return at + names;
}

/* What the dump needs besides the threads: areas, auxv, the file note. */
struct core_image {
	struct vm_space *vm;
	struct vm_dump_area *areas;
	long nareas;
	uint64_t auxv[64];
	size_t auxv_bytes;
	uint8_t *file_note;
	size_t file_note_len;
};

/* All the notes, into nt (sizing only when nt->buf is NULL). */
static void add_notes(struct notes *nt, struct core_dump *cd, const struct core_image *im)
{
	struct elf_prstatus st;
	struct elf_prpsinfo ps;
	uint8_t siginfo[128];
	struct core_thread *ct;
	bool first = true;

	list_for_each_entry (ct, &cd->threads, node) {
		fill_prstatus(&st, ct, &cd->id, cd->info.signo);
		note_add(nt, NT_PRSTATUS, &st, sizeof(st));
		if (first) {
			fill_prpsinfo(&ps, &cd->id);
			note_add(nt, NT_PRPSINFO, &ps, sizeof(ps));
			fill_siginfo((struct k_siginfo *)siginfo, &cd->info);
			note_add(nt, NT_SIGINFO, siginfo, sizeof(siginfo));
			note_add(nt, NT_AUXV, im->auxv, im->auxv_bytes);
			if (im->file_note_len)
				note_add(nt, NT_FILE, im->file_note, im->file_note_len);
			first = false;
		}
		note_add(nt, NT_PRFPREG, ct->fpu.area, sizeof(ct->fpu.area));
	}
}

/* ---- file operations ---- */

/*
 * The writer is a kernel thread, and making a name on ext2 sends a service
 * request with the directory's spinlock held: each file operation runs
 * as a system call would (kthread_call), waiting by running again.
 */
struct file_op {
	struct dentry *base;
	const char *name;
	struct file *f;
	void *buf;
	size_t n;
	int64_t off;
	unsigned mode;
};

static long op_unlink(void *arg)
{
	struct file_op *op = arg;

	return vfs_unlink(op->base, op->name);
}

static long op_create(void *arg)
{
	struct file_op *op = arg;

	return vfs_openat(op->base, op->name,
			  O_CREAT | O_EXCL | O_WRONLY | O_NOFOLLOW | O_LARGEFILE, op->mode, &op->f);
}

static long op_open_read(void *arg)
{
	struct file_op *op = arg;

	return vfs_open_dentry_quiet(op->base, O_RDONLY, &op->f);
}

static long op_read(void *arg)
{
	struct file_op *op = arg;

	return kernel_read(op->f, op->buf, op->n, op->off);
}

static long op_write(void *arg)
{
	struct file_op *op = arg;

	return kernel_write(op->f, op->buf, op->n, op->off);
}

static long op_truncate(void *arg)
{
	struct file_op *op = arg;

	return vfs_ftruncate(op->f, op->off);
}

/* A file mapping's file, open for reading; NULL if it cannot be. */
static struct file *open_mapped(struct dentry *d)
{
	struct file_op op = { .base = d };

	return kthread_call(op_open_read, &op) ? NULL : op.f;
}

/* Up to n bytes at off; the count, or a negative error. */
static ssize_t read_at(struct file *f, void *buf, size_t n, int64_t off)
{
	struct file_op op = { .f = f, .buf = buf, .n = n, .off = off };

	return kthread_call(op_read, &op);
}

/* ---- the areas' contents ---- */

/* Whether the file's first page starts with an ELF header (a program or library). */
static bool starts_with_elf_header(struct vm_space *vm, const struct vm_dump_area *a, uint8_t *page)
{
	struct file *f;
	ssize_t n;

	if (a->pgoff != 0)
		return false;
	if (vm_dump_page(vm, a->start, page) == 1)
		return !memcmp(page, ELFMAG, SELFMAG);
	f = open_mapped(a->dentry);
	if (!f)
		return false;
	n = read_at(f, page, SELFMAG, 0);
	file_put(f);
	return n == SELFMAG && !memcmp(page, ELFMAG, SELFMAG);
}

/* How many bytes of area a the file holds (Linux's vma_dump_size with filter 0x33). */
static uint64_t area_dump_bytes(struct vm_space *vm, const struct vm_dump_area *a, uint8_t *page)
{
	uint64_t size = a->end - a->start;

	if (!a->object || !a->dentry || (!a->file_linked && (a->flags & VM_SHARED)))
		return size; /* anonymous memory, private or shared (a memfd's too) */
	if (!(a->flags & VM_SHARED) && (a->flags & VM_COPIED))
		return size; /* a private file mapping that was written */
	return starts_with_elf_header(vm, a, page) ? PAGE_SIZE : 0;
}

/* The output file, bounded by RLIMIT_CORE in bytes written (holes are free, as Linux). */
struct core_out {
	struct file *f;
	uint64_t pos, written, limit;
};

static int out_write(struct core_out *o, const void *data, size_t n)
{
	struct file_op op = { .f = o->f, .buf = (void *)data, .n = n, .off = (int64_t)o->pos };
	long r;

	if (o->written + n > o->limit)
		return -EFBIG;
	r = kthread_call(op_write, &op);
	if (r < 0)
		return (int)r;
	o->pos += n;
	o->written += n;
	return 0;
}

/* One page of a: its own, the file's data where it never had one, or a hole. */
static int dump_page(struct core_out *o, struct vm_space *vm, const struct vm_dump_area *a,
		     uintptr_t va, uint8_t *page, struct file **file)
{
	ssize_t n;

	if (vm_dump_page(vm, va, page) == 1)
		return out_write(o, page, PAGE_SIZE);
	if (!a->dentry) {
		o->pos += PAGE_SIZE; /* never touched: zeros, left as a hole */
		return 0;
	}
	if (!*file)
		*file = open_mapped(a->dentry);
	n = *file ? read_at(*file, page, PAGE_SIZE,
			    (int64_t)((a->pgoff << PAGE_SHIFT) + (va - a->start)))
		  : 0;
	memset(page + MAX(n, 0), 0, PAGE_SIZE - (size_t)MAX(n, 0)); /* past the end: zeros */
	return out_write(o, page, PAGE_SIZE);
}

static int dump_area(struct core_out *o, struct vm_space *vm, const struct vm_dump_area *a,
		     uint64_t bytes, uint8_t *page)
{
	struct file *file = NULL;
	int err = 0;

	for (uintptr_t va = a->start; !err && va < a->start + bytes; va += PAGE_SIZE)
		err = dump_page(o, vm, a, va, page, &file);
	if (file)
		file_put(file);
	return err;
}

/* ---- the file ---- */

/*
 * Opens the core file as Linux does: the old one is unlinked (not for a
 * set-ID dump, which starts at the real root), a new one created
 * exclusively, without following a symbolic link, and kept only if it is
 * a regular file of the dumping user's with mode 0600.
 */
static int open_core_file(struct process *p, struct core_dump *cd, struct file **out)
{
	unsigned long flags = spin_lock_irqsave(&p->lock);
	struct file_op op = { .base = cd->name[0] == '/' || !p->cwd ? NULL : dentry_get(p->cwd),
			      .name = cd->name,
			      .mode = 0600 & ~p->umask };
	struct kstat st;
	int err;

	spin_unlock_irqrestore(&p->lock, flags);
	if (!cd->as_root)
		kthread_call(op_unlink,
			     &op); /* none there is fine; other errors show at the open */
	err = (int)kthread_call(op_create, &op);
	if (op.base)
		dentry_put(op.base);
	if (err)
		return err;
	*out = op.f;
	err = vfs_fstat(*out, &st);
	if (!err && (!S_ISREG(st.mode) || st.nlink != 1 || st.uid != cd->cred->fsuid ||
		     (st.mode & 0677) != 0600))
		err = -EPERM; /* the file system did not keep the owner or the mode */
	if (err) {
		file_put(*out);
		*out = NULL;
	}
	return err;
}

static void headers(uint8_t *buf, const struct core_image *im, const uint64_t *sizes,
		    size_t notes_len, uint64_t data_start)
{
	Elf64_Ehdr *eh = (Elf64_Ehdr *)buf;
	Elf64_Phdr *ph = (Elf64_Phdr *)(buf + sizeof(*eh));
	uint64_t phnum = (uint64_t)im->nareas + 1, off = data_start;

	*eh = (Elf64_Ehdr){ .e_type = ET_CORE,
			    .e_machine = EM_X86_64,
			    .e_version = EV_CURRENT,
			    .e_phoff = sizeof(*eh),
			    .e_ehsize = sizeof(*eh),
			    .e_phentsize = sizeof(*ph),
			    .e_phnum = (Elf64_Half)phnum };
	memcpy(eh->e_ident, ELFMAG, SELFMAG);
	eh->e_ident[EI_CLASS] = ELFCLASS64;
	eh->e_ident[EI_DATA] = ELFDATA2LSB;
	eh->e_ident[EI_VERSION] = EV_CURRENT;
	ph[0] = (Elf64_Phdr){ .p_type = PT_NOTE,
			      .p_offset = sizeof(*eh) + phnum * sizeof(*ph),
			      .p_filesz = notes_len };
	for (long i = 0; i < im->nareas; i++) {
		const struct vm_dump_area *a = &im->areas[i];

		ph[i + 1] = (Elf64_Phdr){
			.p_type = PT_LOAD,
			.p_flags = ((a->prot & PROT_READ) ? PF_R : 0) |
				   ((a->prot & PROT_WRITE) ? PF_W : 0) |
				   ((a->prot & PROT_EXEC) ? PF_X : 0),
			.p_offset = off,
			.p_vaddr = a->start,
			.p_filesz = sizes[i],
			.p_memsz = a->end - a->start,
			.p_align = PAGE_SIZE,
		};
		off += sizes[i];
	}
}

/* The headers and notes, into a new buffer of *len bytes (up to the first page boundary). */
static uint8_t *build_head(struct core_dump *cd, const struct core_image *im, const uint64_t *sizes,
			   uint64_t *len)
{
	size_t hdr = sizeof(Elf64_Ehdr) + ((size_t)im->nareas + 1) * sizeof(Elf64_Phdr);
	struct notes nt = { 0 };
	uint8_t *head;

	add_notes(&nt, cd, im); /* sizing */
	*len = ALIGN_UP(hdr + nt.len, PAGE_SIZE);
	head = kzalloc(*len);
	if (!head)
		return NULL;
	nt = (struct notes){ .buf = head + hdr };
	add_notes(&nt, cd, im);
	headers(head, im, sizes, nt.len, *len);
	return head;
}

/* What the notes need from the address space: the auxiliary vector and the mapped files. */
static void collect_image(struct core_image *im, char *path)
{
	im->auxv_bytes = MIN((size_t)im->vm->auxv_bytes, sizeof(im->auxv));
	if (vm_access_force(im->vm, im->vm->auxv, im->auxv, im->auxv_bytes, false))
		im->auxv_bytes = 0;
	im->file_note_len = file_note(im->areas, im->nareas, NULL, 0, path);
	im->file_note = im->file_note_len ? kmalloc(im->file_note_len) : NULL;
	if (im->file_note)
		im->file_note_len = file_note(im->areas, im->nareas, im->file_note,
					      im->file_note_len, path);
	else
		im->file_note_len = 0;
}

static int write_areas(struct core_out *o, const struct core_image *im, const uint64_t *sizes,
		       uint8_t *page)
{
	int err = 0;

	for (long i = 0; !err && i < im->nareas; i++)
		if (sizes[i])
			err = dump_area(o, im->vm, &im->areas[i], sizes[i], page);
	if (!err) {
		struct file_op op = { .f = o->f, .off = (int64_t)o->pos };

		err = (int)kthread_call(op_truncate, &op); /* a hole at the end sets the size */
	}
	return err;
}

/*
 * Writes p's core; *started when the file was made, which is when Linux
 * reports a dump in the wait status, whether or not all of it fit
 * (RLIMIT_CORE, a full disk).
 */
static int write_core(struct process *p, struct core_dump *cd, bool *started)
{
	struct core_image im = { .vm = cd->vm };
	struct core_out o = { .limit = cd->limit };
	uint8_t *page = kmalloc(PAGE_SIZE), *head = NULL;
	char *path = kmalloc(PATH_MAX);
	uint64_t *sizes = NULL, head_len;
	int err = page && path ? 0 : -ENOMEM;

	if (!err && (im.nareas = vm_dump_areas(im.vm, &im.areas)) < 0)
		err = (int)im.nareas;
	if (!err && im.nareas + 1 >= PN_XNUM)
		err = -E2BIG; /* Linux's extended numbering is not written */
	if (!err && !(sizes = kmalloc((size_t)MAX(im.nareas, 1L) * sizeof(*sizes))))
		err = -ENOMEM;
	for (long i = 0; !err && i < im.nareas; i++)
		sizes[i] = area_dump_bytes(im.vm, &im.areas[i], page);
	if (!err) {
		collect_image(&im, path);
		head = build_head(cd, &im, sizes, &head_len);
		err = head ? open_core_file(p, cd, &o.f) : -ENOMEM;
	}
	*started = !err;
	if (!err)
		err = out_write(&o, head, head_len);
	if (!err)
		err = write_areas(&o, &im, sizes, page);
	if (o.f)
		file_put(o.f);
	if (im.areas)
		vm_dump_areas_free(im.areas, im.nareas);
	kfree(im.file_note);
	kfree(head);
	kfree(sizes);
	kfree(path);
	kfree(page);
	return err;
}

/*
 * The kernel thread: writes p's core with the dying thread's credentials,
 * in p's root (a set-ID dump in the real one, as Linux), then ends p's
 * exit.
 */
static void core_writer(void *arg)
{
	struct process *p = arg;
	struct core_dump *cd = p->core;
	const struct cred *old = override_creds(cd->cred);
	struct thread *self = current_thread();
	unsigned long flags = spin_lock_irqsave(&p->lock);
	bool started = false;
	int err;

	self->walk_root = p->root && !cd->as_root ? dentry_get(p->root) : NULL;
	spin_unlock_irqrestore(&p->lock, flags);
	err = write_core(p, cd, &started);
	if (self->walk_root)
		dentry_put(self->walk_root);
	self->walk_root = NULL;
	revert_creds(old);
	if (cd->lost_threads)
		pr_info("pid %d (%s): %u threads left out of the core (no memory)\n", p->pid,
			p->comm, cd->lost_threads);
	if (err)
		pr_info("pid %d (%s): core dump at %s %s (error %d)\n", p->pid, p->comm, cd->name,
			started ? "cut short" : "not written", err);
	proc_finish_dumped(p, started);
	coredump_discard(cd);
}

bool coredump_write_later(struct process *p)
{
	struct thread *t = kthread_create("coredump", core_writer, p);

	if (!t) {
		coredump_discard(p->core); /* the exit goes on without it */
		return false;
	}
	kthread_detach(t);
	return true;
}
