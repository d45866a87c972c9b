/*
 * execve (include/kernel/exec.h). Everything that can fail is done first:
 * the file is opened and read, "#!" scripts are resolved, the ELF headers
 * are checked (kernel/elf.c), and a complete new address space is built:
 * the PT_LOAD segments, the interpreter if any, the stack with argv, envp
 * and the auxiliary vector (kernel/exec_stack.c). Only then is the old
 * program discarded, so a failed exec returns an error to a process that
 * is still intact.
 *
 * A segment's pages that hold nothing but file bytes map the file itself
 * (vm_map_file: private, so copy-on-write, and faulted in on first use):
 * every process running a program shares its text and read-only data,
 * and nothing is copied until written. Only the bytes of a page where
 * .bss begins, or of a page two segments share, are copied.
 *
 * The credentials after the exec (set-user-ID and set-group-ID programs,
 * root's capabilities, AT_SECURE, dumpability) are computed with the new
 * image, by kernel/cred.c's rules, and installed at the point of no return.
 */
#include <kernel/ptrace.h>
#include <kernel/exec.h>
#include <kernel/aslr.h>
#include <kernel/posix_timer.h>
#include <kernel/elf.h>
#include <kernel/exec_stack.h>
#include <kernel/clone.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/random.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <mm/slab.h>
#include <mm/vm.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/cpu_setup.h>
#include <arch/x86_64/gdt.h>
#include <arch/x86_64/percpu.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/elf.h>
#include <uapi/personality.h>
#include <uapi/errno.h>
#include <uapi/prctl.h>
#include <uapi/stat.h>
#include <uapi/fcntl.h>
#include <uapi/resource.h>
#include <uapi/mount.h>

#define HEAD_SIZE	 4096
#define MAX_SCRIPT_DEPTH 4
#define STACK_INITIAL	 (128 * 1024)
#define STACK_SLACK	 512
#define USER_RFLAGS	 0x202

void exec_args_init(struct exec_args *a)
{
	memset(a, 0, sizeof(*a));
}

void exec_args_free(struct exec_args *a)
{
	kfree(a->buf);
	kfree(a->offs);
	exec_args_init(a);
}

static int grow(void **p, size_t *cap, size_t need, size_t unit)
{
	size_t ncap = *cap ? *cap : 64;
	void *n;

	while (ncap < need)
		ncap *= 2;
	if (ncap == *cap)
		return 0;
	n = kmalloc(ncap * unit);
	if (!n)
		return -ENOMEM;
	if (*p)
		memcpy(n, *p, *cap * unit);
	kfree(*p);
	*p = n;
	*cap = ncap;
	return 0;
}

int exec_args_push(struct exec_args *a, const char *s, bool env)
{
	size_t len = strlen(s) + 1, n = a->argc + a->envc;

	if (len > MAX_ARG_STRLEN || a->used + len + (n + 1) * sizeof(char *) > ARG_MAX)
		return -E2BIG;
	if (grow((void **)&a->buf, &a->cap, a->used + len, 1) ||
	    grow((void **)&a->offs, &a->cap_offs, n + 1, sizeof(*a->offs)))
		return -ENOMEM;
	if (!env && a->envc)
		return -EINVAL; /* argv strings come first */
	memcpy(a->buf + a->used, s, len);
	a->offs[n] = a->used;
	a->used += len;
	if (env)
		a->envc++;
	else
		a->argc++;
	return 0;
}

static int push_user_array(struct exec_args *a, uintptr_t uarr, bool env, char *tmp)
{
	for (size_t i = 0; uarr; i++) {
		uint64_t ptr;
		long n;
		int err;

		if (copy_from_user(&ptr, uarr + i * 8, 8))
			return -EFAULT;
		if (!ptr)
			return 0;
		n = strncpy_from_user(tmp, ptr, MAX_ARG_STRLEN);
		if (n < 0)
			return n == -ENAMETOOLONG ? -E2BIG : (int)n;
		if ((err = exec_args_push(a, tmp, env)))
			return err;
	}
	return 0;
}

int exec_args_from_user(struct exec_args *a, uintptr_t uargv, uintptr_t uenvp)
{
	char *tmp = kmalloc(MAX_ARG_STRLEN);
	int err;

	if (!tmp)
		return -ENOMEM;
	err = push_user_array(a, uargv, false, tmp);
	if (!err)
		err = push_user_array(a, uenvp, true, tmp);
	kfree(tmp);
	return err;
}

struct image {
	struct file *file;
	uint64_t size;
	uint8_t *head;
	size_t head_len;
	struct elf_info elf;
};

static void image_release(struct image *im)
{
	if (im->file)
		file_put(im->file);
	kfree(im->head);
	memset(im, 0, sizeof(*im));
}

/* Opens path for execution and reads its first page. */
static int image_open(const char *path, struct image *im)
{
	struct process *p = current_proc();
	struct kstat st;
	ssize_t n;
	int err;

	memset(im, 0, sizeof(*im));
	/* A regular file the caller may execute (not necessarily read), on an exec mount. */
	err = vfs_open_exec(path[0] == '/' ? NULL : p->cwd, path, &im->file);
	if (err)
		return err;
	err = vfs_fstat(im->file, &st);
	im->size = st.size;
	if (!err &&
	    im->file->inode->iops->populate) /* all of it in memory before anything changes */
		err = im->file->inode->iops->populate(im->file->inode);
	im->head = err ? NULL : kmalloc(HEAD_SIZE);
	if (!err && !im->head)
		err = -ENOMEM;
	if (!err) {
		n = kernel_read(im->file, im->head, MIN((uint64_t)HEAD_SIZE, im->size), 0);
		err = n < 0 ? (int)n : 0;
		im->head_len = n < 0 ? 0 : n;
	}
	if (err)
		image_release(im);
	return err;
}

/* Rewrites the arguments for "#!interp [arg]": interp [arg] script argv[1...]. */
static int script_args(struct exec_args *a, const char *script, const char *interp, const char *arg)
{
	struct exec_args n;
	int err;

	exec_args_init(&n);
	err = exec_args_push(&n, interp, false);
	if (!err && *arg)
		err = exec_args_push(&n, arg, false);
	if (!err)
		err = exec_args_push(&n, script, false);
	for (size_t i = 1; !err && i < a->argc + a->envc; i++)
		err = exec_args_push(&n, a->buf + a->offs[i], i >= a->argc);
	if (err) {
		exec_args_free(&n);
		return err;
	}
	exec_args_free(a);
	*a = n;
	return 0;
}

/* Opens the program, following up to MAX_SCRIPT_DEPTH interpreters of scripts. */
static int resolve_program(const char *path, struct exec_args *a, struct image *im, char *path_buf)
{
	char interp[256], arg[256];
	int err;

	strlcpy(path_buf, path, 4096);
	for (int depth = 0; depth <= MAX_SCRIPT_DEPTH; depth++) {
		err = image_open(path_buf, im);
		if (err)
			return err;
		if (im->head_len < 2 || im->head[0] != '#' || im->head[1] != '!')
			return elf_parse(im->head, im->head_len, im->size, &im->elf);
		err = parse_shebang((const char *)im->head, im->head_len, interp, sizeof(interp),
				    arg, sizeof(arg));
		if (!err)
			err = script_args(a, path_buf, interp, arg);
		image_release(im);
		if (err)
			return err;
		strlcpy(path_buf, interp, 4096);
	}
	return -ELOOP;
}

/* Copies len file bytes at off to vaddr in the new address space (edges of segments). */
static int load_bytes(struct vm_space *vm, struct image *im, uint64_t off, uint64_t vaddr,
		      uint64_t len)
{
	uint8_t *buf = len ? kmalloc(PAGE_SIZE) : NULL;
	int err = buf || !len ? 0 : -ENOMEM;

	for (uint64_t done = 0; !err && done < len; done += PAGE_SIZE) {
		size_t n = MIN((uint64_t)PAGE_SIZE, len - done);
		ssize_t got = kernel_read(im->file, buf, n, off + done);

		if (got != (ssize_t)n)
			err = got < 0 ? (int)got : -EIO;
		else
			err = vm_write_anyway(vm, vaddr + done, buf, n);
	}
	kfree(buf);
	return err;
}

/*
 * Maps [start, end) of segment s (at vaddr): first the pages of nothing but
 * file bytes, mapping the file, then anonymous memory, into which the
 * segment's remaining file bytes are copied.
 */
static int map_segment(struct vm_space *vm, struct image *im, const struct elf_segment *s,
		       uint64_t vaddr, uint64_t start, uint64_t end)
{
	uint64_t mid = MIN(ALIGN_DOWN(vaddr + s->filesz, PAGE_SIZE), end), from;
	bool mappable = ((vaddr - s->offset) & (PAGE_SIZE - 1)) == 0 &&
			im->file->inode->iops->get_page;
	int err = 0;

	if (!mappable || mid < start)
		mid = start;
	if (mid > start)
		err = vm_map_file(vm, start, mid - start, s->prot, 0, true, im->file->dentry,
				  (s->offset + start - vaddr) >> PAGE_SHIFT) < 0
			      ? -ENOMEM
			      : 0;
	if (!err && end > mid)
		err = vm_map(vm, mid, end - mid, s->prot, 0, true) < 0 ? -ENOMEM : 0;
	from = MAX(vaddr, mid);
	if (!err && vaddr + s->filesz > from)
		err = load_bytes(vm, im, s->offset + (from - vaddr), from,
				 vaddr + s->filesz - from);
	return err;
}

/* Maps and fills the PT_LOAD segments at bias; returns the end of the highest one. */
static int load_segments(struct vm_space *vm, struct image *im, uint64_t bias, uint64_t *top)
{
	uint64_t prev_end = 0;
	uint32_t prev_prot = 0;

	for (unsigned i = 0; i < im->elf.nsegs; i++) {
		const struct elf_segment *s = &im->elf.segs[i];
		uint64_t vaddr = s->vaddr + bias;
		uint64_t start = ALIGN_DOWN(vaddr, PAGE_SIZE);
		uint64_t end = ALIGN_UP(vaddr + s->memsz, PAGE_SIZE);
		int err = 0;

		/* Two segments may share a page: it gets both protections and both's bytes. */
		if (start < prev_end) {
			err = vm_protect(vm, start, prev_end - start, prev_prot | s->prot);
			if (!err && vaddr < prev_end)
				err = load_bytes(vm, im, s->offset, vaddr,
						 MIN(s->filesz, prev_end - vaddr));
			start = prev_end;
		}
		if (!err && end > start)
			err = map_segment(vm, im, s, vaddr, start, end);
		if (err)
			return err;
		prev_end = MAX(prev_end, end);
		prev_prot = s->prot;
	}
	*top = prev_end;
	return 0;
}

static uint64_t load_bias(const struct elf_info *e, uint64_t base)
{
	return e->pie ? ALIGN_UP(base, e->max_align) - ALIGN_DOWN(e->lowest_vaddr, PAGE_SIZE) : 0;
}

struct new_image {
	struct vm_space *vm;
	uint64_t entry, sp, bias, interp_base;
	struct aslr_layout layout; /* this exec's addresses (kernel/aslr.c) */
	struct exec_cred_out creds;
};

/* The interpreter (PT_INTERP) of a dynamically linked program, mapped below the mmap base. */
static int load_interpreter(struct image *prog, struct new_image *ni, char *path_buf)
{
	struct image in;
	uint64_t span, base, top;
	int err;

	strlcpy(path_buf, prog->elf.interp, 4096);
	err = image_open(path_buf, &in);
	if (!err)
		err = elf_parse(in.head, in.head_len, in.size, &in.elf);
	if (!err && (!in.elf.pie || in.elf.has_interp))
		err = -ELIBBAD;
	if (err) {
		image_release(&in);
		return err == -ENOENT ? -ENOENT : err;
	}
	span = ALIGN_UP(in.elf.highest_vaddr, PAGE_SIZE) -
	       ALIGN_DOWN(in.elf.lowest_vaddr, PAGE_SIZE);
	base = vm_find_hole(&ni->vm->areas, span + in.elf.max_align, ni->vm->mmap_base);
	err = base ? load_segments(ni->vm, &in, load_bias(&in.elf, base), &top) : -ENOMEM;
	ni->interp_base = load_bias(&in.elf, base);
	ni->entry = in.elf.entry + ni->interp_base;
	image_release(&in);
	return err;
}

static void build_auxv(uint64_t (*aux)[2], size_t *n, struct image *im, struct new_image *ni)
{
	const struct cred *c = ni->creds.cred; /* the new program's */
	uint32_t r[4];
	size_t i = 0;

	cpuid(1, 0, r);
#define AUX(k, v) (aux[i][0] = (k), aux[i][1] = (v), i++)
	AUX(AT_PHDR, im->elf.phdr_vaddr + ni->bias);
	AUX(AT_PHENT, im->elf.phentsize);
	AUX(AT_PHNUM, im->elf.phnum);
	AUX(AT_PAGESZ, PAGE_SIZE);
	AUX(AT_BASE, ni->interp_base);
	AUX(AT_FLAGS, 0);
	AUX(AT_ENTRY, im->elf.entry + ni->bias);
	AUX(AT_UID, c->uid);
	AUX(AT_EUID, c->euid);
	AUX(AT_GID, c->gid);
	AUX(AT_EGID, c->egid);
	AUX(AT_SECURE, ni->creds.secure);
	AUX(AT_HWCAP, r[3]);
	AUX(AT_HWCAP2, 0);
	AUX(AT_CLKTCK, 100);
	AUX(AT_MINSIGSTKSZ, 2048);
#undef AUX
	*n = i;
}

/* Builds the initial stack of the new program in ni->vm. */
static int build_stack(struct exec_args *a, struct image *im, struct new_image *ni,
		       const char *execfn)
{
	uint64_t top = ni->layout.stack_top;
	size_t size = ALIGN_UP(a->used + strlen(execfn) + (a->argc + a->envc + 64) * 8 +
				       STACK_SLACK + ni->layout.sp_pad,
			       PAGE_SIZE);
	const char **ptrs = kmalloc((a->argc + a->envc + 1) * sizeof(char *));
	uint8_t *buf = kmalloc(size);
	uint64_t aux[24][2];
	uint8_t random[16];
	struct exec_stack_args s;
	int err = ptrs && buf ? 0 : -ENOMEM;

	for (size_t i = 0; !err && i < a->argc + a->envc; i++)
		ptrs[i] = a->buf + a->offs[i];
	random_bytes(random, sizeof(random));
	s = (struct exec_stack_args){ ptrs,	a->argc, ptrs + a->argc,   a->envc,
				      aux,	0,	 random,	   execfn,
				      "x86_64", top,	 ni->layout.sp_pad };
	build_auxv(aux, &s.auxc, im, ni);
	if (!err)
		err = vm_map(ni->vm, top - MAX(size, (size_t)STACK_INITIAL),
			     MAX(size, (size_t)STACK_INITIAL), PROT_READ | PROT_WRITE, VM_GROWSDOWN,
			     true) < 0
			      ? -ENOMEM
			      : 0;
	if (!err)
		err = exec_build_stack(buf, size, &s, &ni->sp);
	if (!err) {
		ni->vm->auxv = ni->sp + exec_stack_auxv_offset(&s);
		ni->vm->auxv_bytes = (uint32_t)exec_stack_auxv_bytes(&s);
	}
	if (!err)
		err = vm_write_anyway(ni->vm, ni->sp, buf + (ni->sp - (top - size)), top - ni->sp);
	kfree(ptrs);
	kfree(buf);
	return err;
}

/* The personality after exec: a set-ID exec drops ADDR_NO_RANDOMIZE and the like, as Linux. */
static uint32_t exec_personality(const struct new_image *ni)
{
	uint32_t persona = READ_ONCE(current_proc()->personality);

	return ni->creds.secure ? persona & ~(uint32_t)PER_CLEAR_ON_SETID : persona;
}

static int build_image(struct exec_args *a, struct image *im, struct new_image *ni,
		       const char *execfn, char *path_buf)
{
	uint64_t top;
	int err;

	ni->vm = vm_create();
	if (!ni->vm)
		return -ENOMEM;
	ni->vm->stack_limit = MIN(current_proc()->rlimits[RLIMIT_STACK].cur, 1ULL << 40);
	aslr_choose(exec_personality(ni), &ni->layout);
	ni->vm->stack_top = ni->layout.stack_top;
	ni->vm->mmap_base = ni->layout.mmap_base;
	ni->bias = load_bias(&im->elf, ni->layout.pie_base);
	ni->entry = im->elf.entry + ni->bias;
	err = load_segments(ni->vm, im, ni->bias, &top);
	if (!err) {
		ni->vm->brk_start = ni->vm->brk = top + ni->layout.brk_offset;
		if (im->elf.has_interp)
			err = load_interpreter(im, ni, path_buf);
	}
	if (!err)
		err = build_stack(a, im, ni, execfn);
	if (err) {
		vm_put(ni->vm);
		ni->vm = NULL;
	}
	return err;
}

/* Keeps argv (NUL-separated, cut at CMDLINE_LEN) for /proc/PID/cmdline. Caller holds p->lock. */
static void keep_cmdline(struct process *p, const struct exec_args *a)
{
	size_t len = a->envc ? a->offs[a->argc] : a->used; /* argv strings come first */

	assert_held(&p->lock);
	p->cmdline_len = MIN(len, sizeof(p->cmdline));
	if (p->cmdline_len)
		memcpy(p->cmdline, a->buf, p->cmdline_len);
}

/*
 * Waits until no other thread of p runs on a CPU (they were killed, and a
 * CPU running one was told by IPI): none may use the old address space
 * once it is freed.
 */
static void wait_others_off_cpu(struct process *p, struct thread *self)
{
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&p->lock);
		struct thread *t;
		bool busy = false;

		list_for_each_entry (t, &p->threads, proc_node)
			busy |= t != self && sched_thread_on_cpu(t);
		spin_unlock_irqrestore(&p->lock, flags);
		if (!busy)
			return;
		cpu_relax();
	}
}

/* The point of no return: the process takes the new image. */
static void commit(struct new_image *ni, const char *path, const struct exec_args *a)
{
	struct thread *t = current_thread();
	struct process *p = t->proc;
	struct vm_space *old = p->vm;
	const char *base = strrchr(path, '/');
	const struct cred *old_cred = NULL;
	unsigned long flags;

	const struct cred *old_thread_cred;

	wait_others_off_cpu(p, t); /* exec_program's claim killed them */
	flags = spin_lock_irqsave(&p->lock);
	if (t->tid != p->pid) {
		/* A thread that execs takes the process's id, as on Linux. */
		pid_free(t->tid);
		t->tid = p->pid;
	}
	/* The new credentials, the thread's and (it is the leader now) the process's. */
	old_thread_cred = t->cred;
	t->cred = ni->creds.cred;
	ni->creds.cred = NULL;
	old_cred = proc_cred_swap_locked(p, cred_get(t->cred));
	proc_set_dump_mode(p, ni->creds.dumpable ? SUID_DUMP_USER : coredump_suid_dumpable());
	__atomic_store_n(&p->personality, exec_personality(ni), __ATOMIC_RELAXED);
	p->vm = ni->vm;
	strlcpy(p->comm, base ? base + 1 : path, sizeof(p->comm));
	keep_cmdline(p, a);
	for (int i = 0; i < 64; i++)
		if (p->sigactions[i].handler > 1) /* handlers reset; SIG_IGN (1) stays */
			memset(&p->sigactions[i], 0, sizeof(p->sigactions[i]));
	spin_unlock_irqrestore(&p->lock, flags);
	cred_put(old_cred);
	cred_put(old_thread_cred);
	/*
	 * A killed sibling still queued passed the first wait; a CPU that
	 * picked it before the swap may have read the old space for user_enter
	 * and not yet marked itself in the space's CPU mask. It is on that CPU
	 * now (the pick and this check take the same run-queue lock), and
	 * leaves it to exit before the old space is freed.
	 */
	wait_others_off_cpu(p, t);
	strlcpy(t->name, p->comm, sizeof(t->name));
	vm_activate(ni->vm);
	vm_put(old);
	fd_close_on_exec(p->fds);
	memset(&t->uregs, 0, sizeof(t->uregs));
	t->uregs.rip = ni->entry;
	t->uregs.rsp = ni->sp;
	t->uregs.cs = SEL_USER_CODE;
	t->uregs.ss = SEL_USER_DATA;
	t->uregs.rflags = USER_RFLAGS;
	t->fs_base = t->gs_base = 0;
	wrmsr(MSR_FS_BASE, 0);
	wrmsr(MSR_KERNEL_GS_BASE, 0);
	fpu_init_state(t->fpu);
	fpu_restore(t->fpu);
	t->clear_child_tid = t->robust_list = 0;
	t->altstack_sp = t->altstack_size = 0; /* exec drops the alternate signal stack */
	t->altstack_flags = 0;
	vfork_release(p);
}

/*
 * Whether the caller may read the program (the VFS's one check): a
 * program it cannot read runs undumpable, so that its memory cannot be read through /proc
 * or ptrace either (Linux's would_dump).
 */
static bool exec_file_readable(const struct image *im)
{
	return inode_permission(im->file->dentry->inode, MAY_READ) == 0;
}

/* The credentials the program will run with (include/kernel/cred.h). */
static int exec_creds(struct image *im, struct exec_cred_out *out)
{
	struct thread *t = current_thread();
	struct exec_cred_in in;
	struct kstat st;
	int err = vfs_fstat(im->file, &st);

	if (err)
		return err;
	in = (struct exec_cred_in){
		.mode = st.mode,
		.uid = st.uid,
		.gid = st.gid,
		.nosuid = __atomic_load_n(&im->file->inode->sb->flags, __ATOMIC_RELAXED) &
			  MS_NOSUID,
		.no_new_privs = t->no_new_privs,
		.traced_unsafe = ptrace_unsafe_exec(t),
		.unreadable = !exec_file_readable(im),
	};
	return cred_exec_prepare(&in, out);
}

/* Remembers the program's absolute path for /proc/PID/exe. */
static void record_exe(struct image *im)
{
	struct process *p = current_proc();
	char path[EXE_PATH_LEN];
	unsigned long flags;

	if (dentry_path(im->file->dentry, path, sizeof(path)) < 0)
		path[0] = '\0';
	flags = spin_lock_irqsave(&proc_tree_lock);
	strlcpy(p->exe, path, sizeof(p->exe));
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}

int exec_program(const char *path, struct exec_args *a)
{
	char *path_buf = kmalloc(4096);
	struct new_image ni = { 0 };
	struct image im;
	int err;

	if (!path_buf)
		return -ENOMEM;
	err = resolve_program(path, a, &im, path_buf);
	if (!err)
		err = exec_creds(&im, &ni.creds);
	if (!err) {
		err = build_image(a, &im, &ni, path, path_buf);
		if (!err && (err = proc_claim_exec(current_proc(), current_thread())))
			vm_put(ni.vm); /* another thread's exec won: this thread was killed */
		if (!err) {
			int old_tid = current_thread()->tid;

			record_exe(&im);
			commit(&ni, path, a);
			ptrace_exec_event(current_thread(), old_tid);
			posix_timers_release(
				current_proc()); /* timer_create's do not survive exec */
			proc_exec_done(current_proc());
		}
	}
	if (ni.creds.cred)
		cred_abort(ni.creds.cred); /* not installed: the exec failed */
	image_release(&im);
	kfree(path_buf);
	return err;
}
