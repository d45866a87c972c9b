/*
 * User address spaces (include/mm/vm.h): page tables of the lower half,
 * demand paging, copy-on-write fork, and the mapping operations behind
 * mmap, munmap, mprotect, mremap, madvise, brk and the mlock family. Called by the system
 * calls (sys/mm.c), exec, fork, and the page-fault path of user_trap and
 * of kernel accesses to user memory (arch/x86_64/trap.c).
 *
 * Every operation takes the space's lock; nothing here touches user memory
 * through user addresses (so no fault can recurse into the lock). An
 * operation that removes or downgrades translations gathers them in a TLB
 * batch (include/mm/tlb.h) and flushes it before it lets go of the lock;
 * the references of the pages it unmapped are dropped by that flush, once
 * no CPU can reach them any more.
 */
#include <mm/vm.h>
#include <mm/page.h>
#include <mm/slab.h>
#include <mm/oom.h>
#include <mm/overcommit.h>
#include <mm/tlb.h>
#include <fs/vfs.h>
#include <kernel/panic.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/thread.h>
#include <kernel/uaccess.h>
#include <arch/x86_64/cpu.h>
#include <arch/x86_64/trap.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/capability.h>
#include <uapi/errno.h>
#include <uapi/resource.h>

#define PTE_PROTNONE  (1ULL << 9) /* software bit: a page kept while PROT_NONE */
#define TABLE_FLAGS   (PTE_P | PTE_W | PTE_U)
#define USER_PML4_END 256 /* entries 0..255 map user space */

static unsigned max_map_count = 65530; /* (a) /proc/sys/vm/max_map_count, Linux's default */

unsigned vm_max_map_count(void)
{
	return __atomic_load_n(&max_map_count, __ATOMIC_RELAXED);
}

int vm_set_max_map_count(long n)
{
	if (n < 0 || n > INT32_MAX)
		return -EINVAL;
	__atomic_store_n(&max_map_count, (unsigned)n, __ATOMIC_RELAXED);
	return 0;
}

static uint64_t area_pages(const struct vm_area *a)
{
	return (a->end - a->start) / PAGE_SIZE;
}

/* The area after a in vm's list, or NULL. Caller holds vm->lock. */
static struct vm_area *next_area(struct vm_space *vm, struct vm_area *a)
{
	return list_is_last(&a->node, &vm->areas) ? NULL
						  : list_entry(a->node.next, struct vm_area, node);
}

/* Linux's data mappings (RLIMIT_DATA): private, writable, not a stack. */
static bool is_data(uint32_t prot, uint32_t flags)
{
	return (prot & PROT_WRITE) && !(flags & (VM_SHARED | VM_GROWSDOWN));
}

/*
 * Counts pages of an area of this kind in (or, negative, out of) the
 * space's totals. Caller holds vm->lock, or is the space's only user.
 */
static void tally(struct vm_space *vm, uint32_t prot, uint32_t flags, int64_t pages)
{
	vm->total_pages += (uint64_t)pages;
	if (is_data(prot, flags))
		vm->data_pages += (uint64_t)pages;
	if (flags & VM_LOCKED)
		vm->locked_pages += (uint64_t)pages;
}

/* The calling process's RLIMIT_AS and RLIMIT_DATA; NULL when both are unlimited (or a kernel thread). */
static const struct rlimit64 *mem_limits(void)
{
	const struct rlimit64 *r;

	if (!current_thread()->user)
		return NULL;
	r = current_proc()->rlimits;
	if (READ_ONCE(r[RLIMIT_AS].cur) == RLIM_INFINITY &&
	    READ_ONCE(r[RLIMIT_DATA].cur) == RLIM_INFINITY)
		return NULL;
	return r;
}

/*
 * Linux's may_expand_vm: pages more of this kind, over a space of total
 * pages of which data are data pages, stay under the caller's RLIMIT_AS
 * and, for data, RLIMIT_DATA (with Linux's exception for a soft limit of
 * 0, which the hard one bounds then).
 */
static bool may_expand_from(uint64_t total, uint64_t data, uint32_t prot, uint32_t flags,
			    uint64_t pages)
{
	const struct rlimit64 *r = mem_limits();
	uint64_t data_cur;

	if (!r)
		return true;
	if (total + pages > READ_ONCE(r[RLIMIT_AS].cur) / PAGE_SIZE)
		return false;
	data_cur = READ_ONCE(r[RLIMIT_DATA].cur) / PAGE_SIZE;
	if (!is_data(prot, flags) || data + pages <= data_cur)
		return true;
	return data_cur == 0 && data + pages <= READ_ONCE(r[RLIMIT_DATA].max) / PAGE_SIZE;
}

/* The same for vm as it is. Caller holds vm->lock. */
static bool may_expand(struct vm_space *vm, uint32_t prot, uint32_t flags, uint64_t pages)
{
	assert_held(&vm->lock);
	return may_expand_from(vm->total_pages, vm->data_pages, prot, flags, pages);
}

/* The caller's RLIMIT_MEMLOCK in pages: without bound for CAP_IPC_LOCK (and kernel threads). */
static uint64_t lock_limit(void)
{
	if (!current_thread()->user || capable(CAP_IPC_LOCK))
		return UINT64_MAX;
	return READ_ONCE(current_proc()->rlimits[RLIMIT_MEMLOCK].cur) / PAGE_SIZE;
}

/*
 * Linux's mlock_future_ok: pages more of an area with these flags stay
 * under RLIMIT_MEMLOCK (always, for an area that is not locked). Caller
 * holds vm->lock.
 */
static bool may_lock_more(struct vm_space *vm, uint32_t flags, uint64_t pages)
{
	assert_held(&vm->lock);
	return !(flags & VM_LOCKED) || vm->locked_pages + pages <= lock_limit();
}

/* Linux's accountable mappings: private writable ones, and shared anonymous memory. */
static bool accountable(uint32_t prot, uint32_t flags, const struct inode *file)
{
	return (flags & VM_SHARED) ? !file : (prot & PROT_WRITE) != 0;
}

static bool pte_has_page(pte_t e)
{
	return e & (PTE_P | PTE_PROTNONE);
}

static struct page *pte_page(pte_t e)
{
	return pfn_to_page((e & PTE_ADDR) >> PAGE_SHIFT);
}

/* Leaf flags for a page of an area; COW pages stay read-only until written. */
static pte_t leaf_flags(uint32_t prot, bool writable)
{
	pte_t f = PTE_P | PTE_U;

	if (prot == PROT_NONE)
		return PTE_PROTNONE;
	if ((prot & PROT_WRITE) && writable)
		f |= PTE_W;
	if (!(prot & PROT_EXEC))
		f |= PTE_NX;
	return f;
}

static unsigned pt_index(uintptr_t va, int level)
{
	return (va >> (12 + 9 * level)) & 511;
}

/* The leaf entry for va, creating tables if create; NULL if absent or out of memory. */
static pte_t *walk(pte_t *pml4, uintptr_t va, bool create)
{
	pte_t *table = pml4;

	for (int level = 3; level > 0; level--) {
		pte_t *e = &table[pt_index(va, level)];

		if (!(*e & PTE_P)) {
			void *next = create ? page_alloc_zeroed() : NULL;

			if (!next)
				return NULL;
			*e = virt_to_phys(next) | TABLE_FLAGS;
		}
		table = phys_to_virt(*e & PTE_ADDR);
	}
	return &table[pt_index(va, 0)];
}

typedef void (*pte_fn)(struct vm_space *vm, uintptr_t va, pte_t *e, void *ctx);

/* Calls fn for every leaf entry holding a page in [start, end), skipping absent tables. */
static void for_each_page(struct vm_space *vm, pte_t *table, int level, uintptr_t base,
			  uintptr_t start, uintptr_t end, pte_fn fn, void *ctx)
{
	uint64_t span = 1ULL << (12 + 9 * level);

	for (unsigned i = pt_index(start, level); i < 512; i++) {
		uintptr_t va = base + i * span;

		if (va >= end)
			break;
		if (level == 0) {
			if (pte_has_page(table[i]))
				fn(vm, va, &table[i], ctx);
		} else if (table[i] & PTE_P) {
			for_each_page(vm, phys_to_virt(table[i] & PTE_ADDR), level - 1, va,
				      MAX(start, va), end, fn, ctx);
		}
	}
}

static void range_pages(struct vm_space *vm, uintptr_t start, uintptr_t end, pte_fn fn, void *ctx)
{
	if (start < end)
		for_each_page(vm, vm->pml4, 3, 0, start, end, fn, ctx);
}

/* A fault made one page present or writable: a stale entry here only faults again. */
static void flush_page_here(struct vm_space *vm, uintptr_t va)
{
	if (read_cr3() == virt_to_phys(vm->pml4))
		invlpg(va);
}

struct vm_space *vm_create(void)
{
	struct vm_space *vm = kzalloc(sizeof(*vm));
	pte_t *kernel_root = phys_to_virt(kmap_root());

	if (!vm)
		return NULL;
	vm->pml4 = page_alloc_zeroed();
	if (!vm->pml4) {
		kfree(vm);
		return NULL;
	}
	memcpy(vm->pml4 + USER_PML4_END, kernel_root + USER_PML4_END,
	       (512 - USER_PML4_END) * sizeof(pte_t));
	spin_init(&vm->lock, "vm");
	list_init(&vm->areas);
	vm->refcount = 1;
	vm->stack_limit = 8ULL << 20;
	vm->stack_top = USER_STACK_TOP;
	vm->mmap_base = USER_MMAP_TOP;
	return vm;
}

void vm_get(struct vm_space *vm)
{
	__atomic_fetch_add(&vm->refcount, 1, __ATOMIC_RELAXED);
}

void vm_activate(struct vm_space *vm)
{
	tlb_switch_to(vm);
}

static void object_put(struct vm_object *s)
{
	if (!s || __atomic_sub_fetch(&s->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	for (uint64_t i = 0; i < s->npages; i++)
		if (s->pages[i])
			put_page(s->pages[i]);
	if (s->write_counted)
		s->file->iops->unmap_writable(s->file);
	if (s->file)
		inode_put(s->file);
	if (s->dentry)
		dentry_put(s->dentry);
	kfree(s->pages);
	kfree(s);
}

static struct inode *area_file(const struct vm_area *a)
{
	return a->shared ? a->shared->file : NULL;
}

static uint64_t area_index(const struct vm_area *a, uintptr_t va)
{
	return a->pgoff + (va - a->start) / PAGE_SIZE;
}

/* A shared file mapping wrote to the page at va: the file must write it back. */
static void file_page_written(const struct vm_area *a, uintptr_t va)
{
	struct inode *file = area_file(a);

	if (file && (a->flags & VM_SHARED) && file->iops->set_page_dirty)
		file->iops->set_page_dirty(file, area_index(a, va));
}

/* A shared file mapping is about to write to the page at va: its space (0, -ENOSPC). */
static int file_page_mkwrite(const struct vm_area *a, uintptr_t va)
{
	struct inode *file = area_file(a);

	if (file && (a->flags & VM_SHARED) && file->iops->page_mkwrite)
		return file->iops->page_mkwrite(file, area_index(a, va));
	return 0;
}

/* Whether a page of a may be mapped writable now (a private page others share may not). */
static bool may_write(const struct vm_area *a, struct page *p)
{
	if (a->flags & VM_SHARED)
		return !area_file(a); /* file pages: the first write faults, to dirty the page */
	return __atomic_load_n(&p->refcount, __ATOMIC_ACQUIRE) == 1;
}

struct zap_ctx {
	struct vm_area *a;
	struct tlb_batch *tlb; /* drops the page references after the flush; NULL: now */
};

/*
 * Takes a page out of the tables; a written shared file page gets dirty.
 * Entries that stay present are changed by atomic operations: another CPU
 * running the space may set the dirty bit at any moment, and a plain
 * read-modify-write would lose it (and the write it stands for).
 */
static void zap_one(struct vm_space *vm, uintptr_t va, pte_t *e, void *arg)
{
	struct zap_ctx *ctx = arg;
	pte_t old = __atomic_exchange_n(e, 0, __ATOMIC_RELAXED);
	struct page *p = pte_page(old);

	if (old & PTE_D)
		file_page_written(ctx->a, va);
	vm->resident_pages--;
	if (ctx->tlb)
		tlb_batch_put_page(ctx->tlb, p);
	else
		put_page(p);
}

/* Zaps [start, end) of area a; the translations go in tlb (or are gone already: NULL). */
static void zap_range(struct vm_space *vm, struct vm_area *a, uintptr_t start, uintptr_t end,
		      struct tlb_batch *tlb)
{
	struct zap_ctx ctx = { a, tlb };

	if (tlb)
		tlb_batch_add_range(tlb, start, end);
	range_pages(vm, start, end, zap_one, &ctx);
}

/* Frees the page tables below table (level >= 1), whose leaves were zapped. */
static void free_tables(pte_t *table, int level, unsigned limit)
{
	for (unsigned i = 0; i < limit; i++) {
		if (!(table[i] & PTE_P))
			continue;
		if (level > 1)
			free_tables(phys_to_virt(table[i] & PTE_ADDR), level - 1, 512);
		page_free_addr(phys_to_virt(table[i] & PTE_ADDR));
	}
}

/* The object's own page references may go now: the batch holds the mappings'. */
static void remove_area(struct vm_space *vm, struct vm_area *a, struct tlb_batch *tlb)
{
	if (a->flags & VM_ACCOUNT)
		vm_uncommit(area_pages(a));
	zap_range(vm, a, a->start, a->end, tlb);
	list_del(&a->node);
	vm->map_count--;
	tally(vm, a->prot, a->flags, -(int64_t)area_pages(a));
	object_put(a->shared);
	vm_area_free(a);
}

void vm_put(struct vm_space *vm)
{
	if (__atomic_sub_fetch(&vm->refcount, 1, __ATOMIC_ACQ_REL))
		return;
	tlb_release_vm(vm); /* no CPU holds a translation of it from here on */
	while (!list_empty(&vm->areas))
		remove_area(vm, list_first_entry(&vm->areas, struct vm_area, node), NULL);
	ASSERT(vm->map_count == 0 && vm->total_pages == 0 && vm->data_pages == 0 &&
	       vm->locked_pages == 0);
	free_tables(vm->pml4, 3, USER_PML4_END);
	page_free_addr(vm->pml4);
	kfree(vm);
}

/*
 * The anonymous object's page idx, referenced; allocated on first use when allocate
 * (NULL: no memory), else NULL when never touched.
 */
static struct page *anon_object_page(struct vm_object *s, uint64_t idx, bool allocate)
{
	unsigned long flags;
	struct page *p;

	if (idx >= s->npages)
		return NULL;
	flags = spin_lock_irqsave(&s->lock);
	if (!s->pages[idx] && allocate) {
		void *zero = page_alloc_zeroed_user();

		s->pages[idx] = zero ? virt_to_page(zero) : NULL;
	}
	p = s->pages[idx];
	if (p)
		get_page(p);
	spin_unlock_irqrestore(&s->lock, flags);
	return p;
}

/*
 * The page of an area's object at va, with a reference for the caller:
 * the file's (0, -EWAIT while it is read, -EIO), or the anonymous
 * object's, allocated on first use (-ENOMEM).
 */
static int object_page(struct vm_area *a, uintptr_t va, struct page **out)
{
	struct vm_object *s = a->shared;
	uint64_t idx = area_index(a, va);

	if (s->file && idx >= ((uint64_t)READ_ONCE(s->file->size) + PAGE_SIZE - 1) / PAGE_SIZE)
		return -ENXIO; /* wholly past the end of the file: SIGBUS, as Linux */
	if (s->file)
		return s->file->iops->get_page(s->file, idx, out);
	*out = anon_object_page(s, idx, true);
	return *out ? 0 : -ENOMEM;
}

/* Fills a missing page: the object's page, or a fresh zeroed one. */
static int fill_page(struct vm_space *vm, struct vm_area *a, uintptr_t va, pte_t *e, bool write)
{
	struct page *p = NULL;
	bool writable;

	if (a->shared) {
		int err = object_page(a, va, &p);

		if (err)
			return err;
	} else {
		void *zero = page_alloc_zeroed_user();

		if (!zero)
			return -ENOMEM;
		p = virt_to_page(zero);
	}
	writable = may_write(a, p);
	if (write && area_file(a) && (a->flags & VM_SHARED)) {
		int err = file_page_mkwrite(a, va);

		if (err) {
			put_page(p);
			return err;
		}
		file_page_written(a, va);
		writable = true;
	}
	*e = page_to_phys(p) | leaf_flags(a->prot, writable);
	vm->resident_pages++;
	return 0;
}

/* A private file mapping now holds a page of its own (a core dump keeps such an area whole). */
static void mark_copied(struct vm_area *a)
{
	if (a->shared)
		a->flags |= VM_COPIED;
}

/*
 * A write to a present read-only page of a writable area: shared pages
 * become writable (a file's gets dirty), private ones are copied unless
 * this mapping is the only user.
 */
static int break_cow(struct vm_area *a, uintptr_t va, pte_t *e, struct tlb_batch *tlb)
{
	struct page *old = pte_page(*e);
	void *copy;

	if (a->flags & VM_SHARED) {
		int err = file_page_mkwrite(a, va);

		if (err)
			return err;
		file_page_written(a, va);
		*e |= PTE_W;
		return 0;
	}
	if (__atomic_load_n(&old->refcount, __ATOMIC_ACQUIRE) == 1) {
		*e |= PTE_W;
		return 0;
	}
	copy = page_alloc_zeroed_user();
	if (!copy)
		return -ENOMEM;
	memcpy(copy, page_address(old), PAGE_SIZE);
	mark_copied(a);
	*e = virt_to_phys(copy) | leaf_flags(a->prot, true);
	/* Other CPUs may still read the old page: they must see the copy's writes. */
	tlb_batch_add_range(tlb, ALIGN_DOWN(va, PAGE_SIZE), ALIGN_DOWN(va, PAGE_SIZE) + PAGE_SIZE);
	tlb_batch_put_page(tlb, old);
	return 0;
}

/* Extends the stack area down to cover addr, within the stack limit. */
static struct vm_area *grow_stack(struct vm_space *vm, uintptr_t addr)
{
	struct vm_area *a = vm_area_next_from(&vm->areas, addr);
	uintptr_t page = ALIGN_DOWN(addr, PAGE_SIZE);
	struct vm_area *prev;

	if (!a || !(a->flags & VM_GROWSDOWN) || addr >= a->start ||
	    vm->stack_top - page > vm->stack_limit)
		return NULL;
	prev = a->node.prev == &vm->areas ? NULL : list_entry(a->node.prev, struct vm_area, node);
	if (prev && prev->end + STACK_GUARD_GAP > page)
		return NULL;
	if (!may_expand(vm, a->prot, a->flags, (a->start - page) / PAGE_SIZE) ||
	    !may_lock_more(vm, a->flags, (a->start - page) / PAGE_SIZE))
		return NULL; /* past RLIMIT_AS or RLIMIT_MEMLOCK (SIGSEGV, as acct_stack_growth) */
	if ((a->flags & VM_ACCOUNT) && vm_commit((a->start - page) / PAGE_SIZE))
		return NULL; /* strict overcommit: the stack cannot grow (SIGSEGV, as Linux) */
	tally(vm, a->prot, a->flags, (int64_t)((a->start - page) / PAGE_SIZE));
	a->start = page;
	return a;
}

static bool access_allowed(const struct vm_area *a, unsigned error_code)
{
	if (a->prot == PROT_NONE)
		return false;
	if ((error_code & PF_WRITE) && !(a->prot & PROT_WRITE))
		return false;
	if ((error_code & PF_FETCH) && !(a->prot & PROT_EXEC))
		return false;
	return true;
}

/* Makes the page at addr present (and writable for a write). Caller holds vm->lock. */
static int fault_locked(struct vm_space *vm, struct vm_area *a, uintptr_t addr, bool write)
{
	pte_t *e = walk(vm->pml4, addr, true);
	struct tlb_batch tlb;
	int err = 0;

	assert_held(&vm->lock);
	if (!e)
		return -ENOMEM;
	tlb_batch_init(&tlb, vm);
	if ((*e & PTE_PROTNONE) && a->prot != PROT_NONE) /* its area changed protection */
		*e = (*e & PTE_ADDR) | leaf_flags(a->prot, may_write(a, pte_page(*e)));
	if (!pte_has_page(*e))
		err = fill_page(vm, a, addr, e, write);
	else if (write && (*e & PTE_P) && !(*e & PTE_W))
		err = break_cow(a, addr, e, &tlb);
	flush_page_here(vm, ALIGN_DOWN(addr, PAGE_SIZE));
	tlb_batch_flush(&tlb);
	return err;
}

int vm_fault(struct vm_space *vm, uintptr_t addr, unsigned error_code)
{
	unsigned long flags;
	struct vm_area *a;
	int err;

	/*
	 * The access went through another root: the space this thread used was
	 * released under it (a sibling's exec, from another CPU); filling vm
	 * would not end the fault.
	 */
	if (read_cr3() != virt_to_phys(vm->pml4))
		return -EFAULT;
	flags = spin_lock_irqsave(&vm->lock);
	a = vm_area_find(&vm->areas, addr);

	if (!a)
		a = grow_stack(vm, addr);
	if (!a)
		err = -EFAULT;
	else if (!access_allowed(a, error_code))
		err = -EACCES;
	else
		err = fault_locked(vm, a, addr, error_code & PF_WRITE);
	spin_unlock_irqrestore(&vm->lock, flags);
	return err;
}

int vm_write_anyway(struct vm_space *vm, uintptr_t dst, const void *src, size_t n)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	int err = 0;

	while (n && !err) {
		size_t chunk = MIN(n, PAGE_SIZE - (dst & (PAGE_SIZE - 1)));
		struct vm_area *a = vm_area_find(&vm->areas, dst);
		pte_t *e;

		err = a ? fault_locked(vm, a, dst, true) : -EFAULT;
		if (err)
			break;
		e = walk(vm->pml4, dst, false);
		memcpy((char *)page_address(pte_page(*e)) + (dst & (PAGE_SIZE - 1)), src, chunk);
		dst += chunk;
		src = (const char *)src + chunk;
		n -= chunk;
	}
	spin_unlock_irqrestore(&vm->lock, flags);
	return err;
}

/*
 * A forced write to a read-only private page (a debugger's breakpoint in
 * text): the page is written if this mapping is its only user, else a
 * private copy replaces it; either way it stays read-only. Caller holds
 * vm->lock, the page is present.
 */
static int force_private_write(struct vm_space *vm, struct vm_area *a, uintptr_t va, pte_t *e)
{
	struct page *old = pte_page(*e);
	struct tlb_batch tlb;
	void *copy;

	assert_held(&vm->lock);
	if (__atomic_load_n(&old->refcount, __ATOMIC_ACQUIRE) == 1)
		return 0;
	copy = page_alloc_zeroed_user();
	if (!copy)
		return -ENOMEM;
	memcpy(copy, page_address(old), PAGE_SIZE);
	mark_copied(a);
	tlb_batch_init(&tlb, vm);
	*e = virt_to_phys(copy) | leaf_flags(a->prot, false);
	tlb_batch_add_range(&tlb, ALIGN_DOWN(va, PAGE_SIZE), ALIGN_DOWN(va, PAGE_SIZE) + PAGE_SIZE);
	tlb_batch_put_page(&tlb, old);
	tlb_batch_flush(&tlb);
	return 0;
}

/* One page's part of vm_access_force. Caller holds vm->lock. */
static int access_page_force(struct vm_space *vm, uintptr_t addr, void *buf, size_t n, bool write)
{
	struct vm_area *a = vm_area_find(&vm->areas, addr);
	bool direct = write && a && (a->prot & PROT_WRITE);
	pte_t *e;
	char *kaddr;
	int err;

	if (!a || a->prot == PROT_NONE || (write && !direct && (a->flags & VM_SHARED)))
		return -EFAULT;
	err = fault_locked(vm, a, addr, direct);
	if (!err && write && !direct)
		err = force_private_write(vm, a, addr, walk(vm->pml4, addr, false));
	if (err)
		return err;
	e = walk(vm->pml4, addr, false);
	kaddr = (char *)page_address(pte_page(*e)) + (addr & (PAGE_SIZE - 1));
	if (write)
		memcpy(kaddr, buf, n);
	else
		memcpy(buf, kaddr, n);
	return 0;
}

int vm_access_force(struct vm_space *vm, uintptr_t addr, void *buf, size_t n, bool write)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	int err = 0;

	while (n && !err) {
		size_t chunk = MIN(n, PAGE_SIZE - (addr & (PAGE_SIZE - 1)));

		err = access_page_force(vm, addr, buf, chunk, write);
		addr += chunk;
		buf = (char *)buf + chunk;
		n -= chunk;
	}
	spin_unlock_irqrestore(&vm->lock, flags);
	return err;
}

static void dump_area_fill(struct vm_dump_area *d, const struct vm_area *a)
{
	const struct vm_object *s = a->shared;

	*d = (struct vm_dump_area){ .start = a->start,
				    .end = a->end,
				    .prot = a->prot,
				    .flags = a->flags,
				    .pgoff = a->pgoff,
				    .object = s != NULL };
	if (s && s->file && s->dentry) {
		d->dentry = dentry_get(s->dentry);
		d->file_linked = READ_ONCE(s->file->nlink) > 0;
	}
}

long vm_dump_areas(struct vm_space *vm, struct vm_dump_area **out)
{
	for (;;) {
		unsigned want = READ_ONCE(vm->map_count);
		struct vm_dump_area *arr = kmalloc(MAX(want, 1u) * sizeof(*arr));
		unsigned long flags;
		struct vm_area *a;
		long n = 0;

		if (!arr)
			return -ENOMEM;
		flags = spin_lock_irqsave(&vm->lock);
		if (vm->map_count == want)
			list_for_each_entry (a, &vm->areas, node)
				dump_area_fill(&arr[n++], a);
		spin_unlock_irqrestore(&vm->lock, flags);
		if (n == want) {
			*out = arr;
			return n;
		}
		vm_dump_areas_free(arr, n); /* it changed meanwhile (a CLONE_VM sharer): again */
	}
}

void vm_dump_areas_free(struct vm_dump_area *areas, long n)
{
	for (long i = 0; i < n; i++)
		if (areas[i].dentry)
			dentry_put(areas[i].dentry);
	kfree(areas);
}

int vm_dump_page(struct vm_space *vm, uintptr_t va, void *buf)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	struct vm_area *a = vm_area_find(&vm->areas, va);
	pte_t *e = a ? walk(vm->pml4, va, false) : NULL;
	struct page *p = NULL;

	if (e && pte_has_page(*e)) {
		p = pte_page(*e);
		get_page(p);
	} else if (a && a->shared && !a->shared->file) {
		p = anon_object_page(a->shared, area_index(a, va), false); /* NULL: never touched */
	}
	spin_unlock_irqrestore(&vm->lock, flags);
	if (!p)
		return 0;
	memcpy(buf, page_address(p), PAGE_SIZE);
	put_page(p);
	return 1;
}

struct fork_ctx {
	struct vm_space *child;
	int err;
};

static void share_cow(struct vm_space *vm, uintptr_t va, pte_t *e, void *arg)
{
	struct fork_ctx *ctx = arg;
	pte_t *ce = ctx->err ? NULL : walk(ctx->child->pml4, va, true);

	(void)vm;
	if (!ce) {
		ctx->err = -ENOMEM;
		return;
	}
	*e &= ~PTE_W;
	*ce = *e;
	get_page(pte_page(*e));
	ctx->child->resident_pages++;
}

static int fork_area(struct vm_space *parent, struct vm_area *a, struct fork_ctx *ctx)
{
	struct vm_area *copy;

	if ((a->flags & VM_ACCOUNT) && vm_commit(area_pages(a)))
		return ctx->err = -ENOMEM; /* the child's copy is committed too */
	/* Memory locks are the parent's own (Linux's dup_mmap). */
	copy = vm_area_alloc(a->start, a->end, a->prot, a->flags & ~VM_LOCK_MASK);
	if (!copy) {
		if (a->flags & VM_ACCOUNT)
			vm_uncommit(area_pages(a));
		return ctx->err = -ENOMEM;
	}
	copy->shared = a->shared;
	copy->pgoff = a->pgoff;
	if (a->shared)
		__atomic_fetch_add(&a->shared->refcount, 1, __ATOMIC_RELAXED);
	list_add_tail(&copy->node, &ctx->child->areas);
	ctx->child->map_count++;
	tally(ctx->child, copy->prot, copy->flags, (int64_t)area_pages(copy));
	/* Shared areas fault their pages in from the object; private ones go copy-on-write. */
	if (!(a->flags & VM_SHARED))
		range_pages(parent, a->start, a->end, share_cow, ctx);
	return ctx->err;
}

struct vm_space *vm_fork(struct vm_space *parent)
{
	struct fork_ctx ctx = { vm_create(), 0 };
	struct tlb_batch tlb;
	unsigned long flags;
	struct vm_area *a;

	if (!ctx.child)
		return NULL;
	flags = spin_lock_irqsave(&parent->lock);
	list_for_each_entry (a, &parent->areas, node)
		if (fork_area(parent, a, &ctx))
			break;
	ctx.child->brk_start = parent->brk_start;
	ctx.child->brk = parent->brk;
	ctx.child->stack_limit = parent->stack_limit;
	ctx.child->stack_top = parent->stack_top;
	ctx.child->mmap_base = parent->mmap_base;
	ctx.child->auxv = parent->auxv;
	ctx.child->auxv_bytes = parent->auxv_bytes;
	/* The parent's private pages became read-only: no CPU may keep writing them. */
	tlb_batch_init(&tlb, parent);
	tlb_batch_add_range(&tlb, 0, USER_SPACE_END);
	tlb_batch_flush(&tlb);
	spin_unlock_irqrestore(&parent->lock, flags);
	if (ctx.err) {
		vm_put(ctx.child);
		return NULL;
	}
	return ctx.child;
}

/*
 * Splits the area at addr, if one spans it: -ENOMEM without memory, or
 * when limited and the space already has max_map_count areas (Linux's
 * split_vma). Caller holds vm->lock.
 */
static int split_at(struct vm_space *vm, uintptr_t addr, bool limited)
{
	struct vm_area *a = vm_area_find(&vm->areas, addr);

	assert_held(&vm->lock);
	if (!a || a->start == addr)
		return 0;
	if (limited && vm->map_count >= vm_max_map_count())
		return -ENOMEM;
	if (!vm_area_split(a, addr))
		return -ENOMEM;
	vm->map_count++;
	return 0;
}

/*
 * Splits areas so that start and end fall on area boundaries. For an
 * unmap the count may pass max_map_count for a moment (the areas go
 * next), except to punch a hole inside one area (Linux's munmap rule).
 */
static int isolate(struct vm_space *vm, uintptr_t start, uintptr_t end, bool unmap)
{
	int err;

	if (unmap && vm->map_count >= vm_max_map_count()) {
		struct vm_area *a = vm_area_find(&vm->areas, start);

		if (a && a->start < start && end < a->end)
			return -ENOMEM;
	}
	err = split_at(vm, start, !unmap);
	return err ? err : split_at(vm, end, !unmap);
}

/* Removes the (isolated) areas in [start, end); their translations go in tlb. */
static void unmap_locked(struct vm_space *vm, uintptr_t start, uintptr_t end, struct tlb_batch *tlb)
{
	struct vm_area *a = vm_area_next_from(&vm->areas, start), *next;

	assert_held(&vm->lock);
	while (a && a->start < end) {
		next = next_area(vm, a);
		remove_area(vm, a, tlb);
		a = next;
	}
}

int vm_unmap(struct vm_space *vm, uintptr_t addr, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	int err = isolate(vm, addr, addr + len, true);
	struct tlb_batch tlb;

	tlb_batch_init(&tlb, vm);
	if (!err)
		unmap_locked(vm, addr, addr + len, &tlb);
	tlb_batch_flush(&tlb);
	spin_unlock_irqrestore(&vm->lock, flags);
	return err;
}

static struct vm_object *object_create(uint64_t npages)
{
	struct vm_object *s = kzalloc(sizeof(*s));

	if (!s)
		return NULL;
	s->pages = npages ? kzalloc(npages * sizeof(*s->pages)) : NULL;
	if (npages && !s->pages) {
		kfree(s);
		return NULL;
	}
	s->refcount = 1;
	s->npages = npages;
	spin_init(&s->lock, "vm-object");
	return s;
}

/* Where a new mapping goes: the hint when free, else the highest hole. */
static uintptr_t place(struct vm_space *vm, uintptr_t hint, size_t len)
{
	if (hint >= USER_MIN_ADDR && hint + len <= USER_MMAP_TOP && hint + len > hint &&
	    vm_range_free(&vm->areas, hint, hint + len))
		return hint;
	return vm_find_hole(&vm->areas, len, vm->mmap_base);
}

long vm_map(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t prot, uint32_t flags,
	    bool fixed)
{
	return vm_map_file(vm, addr, len, prot, flags, fixed, NULL, 0);
}

/*
 * RLIMIT_AS and RLIMIT_DATA for a new mapping of [addr, addr + len): with
 * MAP_FIXED, the pages it replaces do not count (Linux's mmap_region).
 * Caller holds vm->lock.
 */
static bool may_map(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t prot, uint32_t flags,
		    bool fixed)
{
	uint64_t total = vm->total_pages, data = vm->data_pages;

	assert_held(&vm->lock);
	if (!mem_limits())
		return true;
	for (struct vm_area *a = fixed ? vm_area_next_from(&vm->areas, addr) : NULL;
	     a && a->start < addr + len; a = next_area(vm, a)) {
		uint64_t replaced = (MIN(a->end, addr + len) - MAX(a->start, addr)) / PAGE_SIZE;

		total -= replaced;
		if (is_data(a->prot, a->flags))
			data -= replaced;
	}
	return may_expand_from(total, data, prot, flags, len / PAGE_SIZE);
}

/*
 * A shared file mapping that may write is counted by the file (seals):
 * -EPERM when sealed and prot writes, else VM_NOWRITE is added to *flags
 * when sealed. *counted says whether the file counted it.
 */
static int count_writable(struct inode *file, uint32_t prot, uint32_t *flags, bool *counted)
{
	int r;

	*counted = false;
	if (!file || !(*flags & VM_SHARED) || (*flags & VM_NOWRITE) || !file->iops->map_writable)
		return 0;
	r = file->iops->map_writable(file);
	if (r == -EPERM && !(prot & PROT_WRITE)) {
		*flags |= VM_NOWRITE;
		return 0;
	}
	*counted = !r;
	return r;
}

long vm_map_file(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t prot, uint32_t flags,
		 bool fixed, struct dentry *d, uint64_t pgoff)
{
	struct inode *file = d ? d->inode : NULL;
	uint32_t account = accountable(prot, flags, file) ? VM_ACCOUNT : 0;
	struct tlb_batch tlb;
	struct vm_area *a;
	unsigned long irq;
	bool counted;
	long err = -ENOMEM;
	int r = count_writable(file, prot, &flags, &counted);

	if (r)
		return r;
	if (account && vm_commit(len / PAGE_SIZE)) {
		if (counted)
			file->iops->unmap_writable(file);
		return -ENOMEM;
	}
	a = vm_area_alloc(0, 0, prot, flags | account);
	if (a && (file || (flags & VM_SHARED)) &&
	    !(a->shared = object_create(file ? 0 : len / PAGE_SIZE))) {
		vm_area_free(a);
		a = NULL;
	}
	if (!a) {
		if (account)
			vm_uncommit(len / PAGE_SIZE);
		if (counted)
			file->iops->unmap_writable(file);
		return -ENOMEM;
	}
	if (file) {
		a->shared->write_counted = counted;
		a->shared->file = inode_get(file);
		a->shared->dentry = dentry_get(d);
		a->shared->wb_err_since = errseq_sample(&file->wb_err);
		a->pgoff = pgoff;
	}
	tlb_batch_init(&tlb, vm);
	irq = spin_lock_irqsave(&vm->lock);
	a->flags |= vm->lock_future;
	flags = a->flags;
	if (vm->map_count > vm_max_map_count())
		addr = 0; /* too many areas already (Linux's do_mmap check) */
	else if (!may_lock_more(vm, flags, len / PAGE_SIZE))
		addr = 0, err = -EAGAIN; /* MAP_LOCKED or MCL_FUTURE past RLIMIT_MEMLOCK */
	else if (!may_map(vm, addr, len, prot, flags, fixed))
		addr = 0; /* past RLIMIT_AS or RLIMIT_DATA */
	else if (fixed && isolate(vm, addr, addr + len, true) == 0)
		unmap_locked(vm, addr, addr + len, &tlb);
	else if (!fixed)
		addr = place(vm, addr, len);
	tlb_batch_flush(&tlb); /* before the new area can fault pages in over the old ones */
	if (!addr || !vm_range_free(&vm->areas, addr, addr + len)) {
		spin_unlock_irqrestore(&vm->lock, irq);
		object_put(a->shared);
		vm_area_free(a);
		if (account)
			vm_uncommit(len / PAGE_SIZE);
		return err;
	}
	a->start = addr;
	a->end = addr + len;
	vm_area_insert(&vm->areas, a);
	tally(vm, prot, flags, (int64_t)(len / PAGE_SIZE));
	vm->map_count += 1 - vm_area_merge_around(&vm->areas, a);
	spin_unlock_irqrestore(&vm->lock, irq);
	return addr;
}

static void reprotect_one(struct vm_space *vm, uintptr_t va, pte_t *e, void *ctx)
{
	struct vm_area *a = ctx;
	/* A private page others still share stays read-only (copy on write). */
	bool writable = may_write(a, pte_page(*e));
	pte_t old = *e, new;

	(void)vm;
	do /* atomic against the dirty bit (zap_one) */
		new = (old & PTE_ADDR) | leaf_flags(a->prot, writable);
	while (!__atomic_compare_exchange_n(e, &old, new, false, __ATOMIC_RELAXED,
					    __ATOMIC_RELAXED));
	if (old &
	    PTE_D) /* the new entry lost the dirty bit: a shared file page keeps it in the file */
		file_page_written(a, va);
}

/* Whether an area touching [start, end) has one of flags. Caller holds vm->lock. */
static bool range_has_flag(struct vm_space *vm, uintptr_t start, uintptr_t end, uint32_t flags)
{
	for (struct vm_area *a = vm_area_next_from(&vm->areas, start); a && a->start < end;
	     a = next_area(vm, a))
		if (a->flags & flags)
			return true;
	return false;
}

/* Whether [start, end) is covered by areas without holes. */
static bool fully_mapped(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	for (uintptr_t at = start; at < end;) {
		struct vm_area *a = vm_area_find(&vm->areas, at);

		if (!a)
			return false;
		at = a->end;
	}
	return true;
}

int vm_protect(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t prot)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	uintptr_t end = addr + len;
	struct tlb_batch tlb;
	int err = fully_mapped(vm, addr, end) ? isolate(vm, addr, end, false) : -ENOMEM;

	for (struct vm_area *a = vm_area_find(&vm->areas, addr); !err && a && a->start < end;) {
		struct vm_area *next = next_area(vm, a);

		if ((prot & PROT_WRITE) && (a->flags & VM_NOWRITE)) {
			err = -EACCES; /* as Linux without VM_MAYWRITE */
			break;
		}
		if (is_data(prot, a->flags) && !is_data(a->prot, a->flags) &&
		    !may_expand(vm, prot, a->flags, area_pages(a))) {
			err = -ENOMEM; /* becoming data past RLIMIT_DATA (Linux's mprotect_fixup) */
			break;
		}
		if (!(a->flags & VM_ACCOUNT) && accountable(prot, a->flags, area_file(a))) {
			err = vm_commit(area_pages(a)); /* a private mapping becomes writable */
			if (err)
				break;
			a->flags |= VM_ACCOUNT;
		}
		tally(vm, a->prot, a->flags, -(int64_t)area_pages(a));
		tally(vm, prot, a->flags, (int64_t)area_pages(a));
		a->prot = prot;
		range_pages(vm, a->start, a->end, reprotect_one, a);
		a = next;
	}
	if (!err)
		vm->map_count -= vm_area_merge_range(&vm->areas, addr, end);
	tlb_batch_init(&tlb, vm);
	if (end > addr)
		tlb_batch_add_range(&tlb, addr, end);
	tlb_batch_flush(&tlb);
	spin_unlock_irqrestore(&vm->lock, flags);
	return err;
}

int vm_discard(struct vm_space *vm, uintptr_t addr, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	int err = fully_mapped(vm, addr, addr + len) ? 0 : -ENOMEM;
	struct tlb_batch tlb;

	if (!err && range_has_flag(vm, addr, addr + len, VM_LOCKED))
		err = -EINVAL; /* locked pages stay (Linux's madvise_dontneed_free_valid_vma) */
	tlb_batch_init(&tlb, vm);
	/* Private pages are dropped (they read back as zeros); shared ones stay in their object. */
	for (struct vm_area *a = vm_area_next_from(&vm->areas, addr);
	     !err && a && a->start < addr + len; a = next_area(vm, a))
		zap_range(vm, a, MAX(a->start, addr), MIN(a->end, addr + len), &tlb);
	tlb_batch_flush(&tlb);
	spin_unlock_irqrestore(&vm->lock, flags);
	return err;
}

/* Gives the (whole) area a the lock flags lock; its pages are counted again. Caller holds vm->lock. */
static void set_lock_flags(struct vm_space *vm, struct vm_area *a, uint32_t lock)
{
	assert_held(&vm->lock);
	tally(vm, a->prot, a->flags, -(int64_t)area_pages(a));
	a->flags = (a->flags & ~VM_LOCK_MASK) | lock;
	tally(vm, a->prot, a->flags, (int64_t)area_pages(a));
}

/* Pages of [start, end) that VM_LOCKED areas hold. Caller holds vm->lock. */
static uint64_t locked_in(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	uint64_t pages = 0;

	for (struct vm_area *a = vm_area_next_from(&vm->areas, start); a && a->start < end;
	     a = next_area(vm, a))
		if (a->flags & VM_LOCKED)
			pages += (MIN(a->end, end) - MAX(a->start, start)) / PAGE_SIZE;
	return pages;
}

int vm_lock(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t lock)
{
	unsigned long irq = spin_lock_irqsave(&vm->lock);
	uintptr_t end = addr + len;
	int err = fully_mapped(vm, addr, end) ? 0 : -ENOMEM;

	/* Pages locked already count once (Linux's count_mm_mlocked_page_nr). */
	if (!err && (lock & VM_LOCKED) &&
	    vm->locked_pages - locked_in(vm, addr, end) + len / PAGE_SIZE > lock_limit())
		err = -ENOMEM;
	if (!err)
		err = isolate(vm, addr, end, false);
	for (struct vm_area *a = vm_area_find(&vm->areas, addr); !err && a && a->start < end;
	     a = next_area(vm, a))
		set_lock_flags(vm, a, lock);
	if (!err)
		vm->map_count -= vm_area_merge_range(&vm->areas, addr, end);
	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

int vm_lock_all(struct vm_space *vm, bool current, uint32_t lock, uint32_t future)
{
	unsigned long irq = spin_lock_irqsave(&vm->lock);
	int err = 0;
	struct vm_area *a;

	if (current && (lock & VM_LOCKED) && vm->total_pages > lock_limit()) {
		err = -ENOMEM; /* nothing changes, not even the future flags (Linux's mlockall) */
	} else {
		vm->lock_future = future;
		if (current) {
			list_for_each_entry (a, &vm->areas, node)
				set_lock_flags(vm, a, lock);
			vm->map_count -= vm_area_merge_range(&vm->areas, 0, USER_TASK_END);
		}
	}
	spin_unlock_irqrestore(&vm->lock, irq);
	return err;
}

/* Whether vm_populate faults a's pages in (how: VM_POPULATE_*). */
static bool populates(const struct vm_area *a, unsigned how)
{
	if (a->prot == PROT_NONE || (a->flags & VM_LOCKONFAULT))
		return false;
	return !(how & VM_POPULATE_LOCKED) || (a->flags & VM_LOCKED);
}

/* One page of vm_populate: private writable pages are written. Caller holds vm->lock. */
static int populate_page(struct vm_space *vm, struct vm_area *a, uintptr_t va)
{
	bool write = (a->prot & PROT_WRITE) && !(a->flags & VM_SHARED);
	pte_t *e = walk(vm->pml4, va, false);

	if (e && (*e & PTE_P) && (!write || (*e & PTE_W)))
		return 0;
	return fault_locked(vm, a, va, write);
}

/*
 * The page at *va failed with err (no lock held): 0 to go on at *va (tried
 * again, or past a page left out), or the error that ends vm_populate.
 */
static int populate_failed(int err, uintptr_t *va, unsigned how)
{
	bool waits = how & VM_POPULATE_WAITS;

	if (err == -EWAIT && !waits) {
		wait_detach(
			current_wait()); /* a file page being read: left out, its read goes on */
		*va += PAGE_SIZE;
		return 0;
	}
	if (err != -ENOMEM)
		return err;
	err = mem_fault_nomem(); /* as a fault: reclaim (0: the page is tried again), or wait */
	if (err == -EWAIT && !waits)
		wait_detach(
			current_wait()); /* no memory now: the rest is faulted in when touched */
	return err;
}

#define POPULATE_BATCH 64 /* pages vm_populate faults in per hold of vm->lock */

int vm_populate(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned how)
{
	uintptr_t va = start;
	int err = 0;

	while (va < end && !err) {
		unsigned long irq = spin_lock_irqsave(&vm->lock);
		struct vm_area *a = vm_area_next_from(&vm->areas, va);
		uintptr_t stop;

		if (!a || a->start >= end) {
			spin_unlock_irqrestore(&vm->lock, irq);
			break;
		}
		va = MAX(va, a->start);
		stop = MIN(a->end, end);
		if (a->prot == PROT_NONE && !(how & VM_POPULATE_LOCKED))
			err = -EFAULT; /* mlock of a PROT_NONE range: ENOMEM, as Linux */
		else if (!populates(a, how))
			va = stop;
		for (stop = MIN(stop, va + POPULATE_BATCH * PAGE_SIZE); !err && va < stop;
		     va += err ? 0 : PAGE_SIZE)
			err = populate_page(vm, a, va);
		spin_unlock_irqrestore(&vm->lock, irq);
		if (err)
			err = populate_failed(err, &va, how);
		if (!err && READ_ONCE(current_thread()->killed))
			err = -EINTR; /* it exits: the rest does not matter */
	}
	return err;
}

struct move_ctx {
	struct vm_space *vm;
	intptr_t delta;
	int err;
};

/* The first pass of a move: the tables for the entry's new place (all or nothing moves). */
static void prepare_move_one(struct vm_space *vm, uintptr_t va, pte_t *e, void *arg)
{
	struct move_ctx *ctx = arg;

	(void)e;
	if (!ctx->err && !walk(vm->pml4, va + ctx->delta, true))
		ctx->err = -ENOMEM;
}

/* The second pass, which cannot fail: the tables exist. The exchange keeps the dirty bit (zap_one). */
static void move_one(struct vm_space *vm, uintptr_t va, pte_t *e, void *arg)
{
	struct move_ctx *ctx = arg;
	pte_t *ne = walk(vm->pml4, va + ctx->delta, false);

	BUG_ON(!ne || *ne);
	*ne = __atomic_exchange_n(e, 0, __ATOMIC_RELAXED);
}

/* Moves the area a (already isolated) to new_start, page tables included. */
static int move_area(struct vm_space *vm, struct vm_area *a, uintptr_t new_start, size_t new_len,
		     struct tlb_batch *tlb)
{
	struct move_ctx ctx = { vm, (intptr_t)(new_start - a->start), 0 };
	uintptr_t old_start = a->start, old_end = a->end;

	range_pages(vm, old_start, old_end, prepare_move_one, &ctx);
	if (ctx.err)
		return ctx.err; /* nothing moved */
	tlb_batch_add_range(tlb, old_start, old_end);
	range_pages(vm, old_start, old_end, move_one, &ctx);
	list_del(&a->node);
	a->start = new_start;
	a->end = new_start + new_len;
	vm_area_insert(&vm->areas, a);
	return 0;
}

/* An accounted area grows by bytes: commit them (0) or -ENOMEM. */
static int charge_growth(const struct vm_area *a, size_t bytes)
{
	return (a->flags & VM_ACCOUNT) && bytes ? vm_commit(bytes / PAGE_SIZE) : 0;
}

static void uncharge_growth(const struct vm_area *a, size_t bytes)
{
	if ((a->flags & VM_ACCOUNT) && bytes)
		vm_uncommit(bytes / PAGE_SIZE);
}

static bool can_grow_in_place(struct vm_space *vm, struct vm_area *a, uintptr_t new_end)
{
	return new_end <= USER_MMAP_TOP && new_end > a->end &&
	       vm_range_free(&vm->areas, a->end, new_end);
}

long vm_remap(struct vm_space *vm, uintptr_t old, size_t old_len, size_t new_len, bool may_move,
	      uintptr_t fixed_to)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	struct vm_area *a = vm_area_find(&vm->areas, old);
	struct tlb_batch tlb;
	long ret = -EFAULT;

	tlb_batch_init(&tlb, vm);
	if (!a || old + old_len > a->end || isolate(vm, old, old + old_len, false))
		goto out_unlock;
	a = vm_area_find(&vm->areas, old);
	ret = old;
	if (new_len < old_len) {
		if (split_at(vm, old + new_len, false)) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		unmap_locked(vm, old + new_len, old + old_len, &tlb);
		old_len = new_len;
	}
	if (new_len > old_len && !may_lock_more(vm, a->flags, (new_len - old_len) / PAGE_SIZE)) {
		ret = -EAGAIN; /* a locked area past RLIMIT_MEMLOCK (Linux's vma_to_resize) */
		goto out_unlock;
	}
	if (new_len > old_len &&
	    !may_expand(vm, a->prot, a->flags, (new_len - old_len) / PAGE_SIZE)) {
		ret = -ENOMEM; /* past RLIMIT_AS or RLIMIT_DATA */
		goto out_unlock;
	}
	if (new_len <= old_len && !fixed_to) {
		/* done: shrunk (or same size) in place */
	} else if (!fixed_to && !a->shared && can_grow_in_place(vm, a, old + new_len) &&
		   !charge_growth(a, new_len - old_len)) {
		tally(vm, a->prot, a->flags, (int64_t)((new_len - old_len) / PAGE_SIZE));
		a->end = old + new_len;
	} else if (may_move && (!a->shared || new_len <= old_len)) {
		size_t grow = new_len > old_len ? new_len - old_len : 0;
		uintptr_t to = fixed_to;

		if (charge_growth(a, grow) || (to && isolate(vm, to, to + new_len, true))) {
			ret = -ENOMEM;
			goto out_unlock;
		}
		if (to)
			unmap_locked(vm, to, to + new_len, &tlb);
		else
			to = vm_find_hole(&vm->areas, new_len, vm->mmap_base);
		ret = to ? move_area(vm, a, to, new_len, &tlb) : -ENOMEM;
		if (ret == 0) {
			tally(vm, a->prot, a->flags, (int64_t)(grow / PAGE_SIZE));
			ret = to;
		} else {
			uncharge_growth(a, grow);
		}
	} else {
		ret = -ENOMEM;
	}
out_unlock:
	tlb_batch_flush(&tlb);
	spin_unlock_irqrestore(&vm->lock, flags);
	return ret;
}

/* The heap grows over [old_end, new_end), committed: 0 or -ENOMEM. Caller holds vm->lock. */
static int grow_heap(struct vm_space *vm, struct vm_area *last, uintptr_t old_end,
		     uintptr_t new_end)
{
	uint64_t pages = (new_end - old_end) / PAGE_SIZE;
	uint32_t flags = VM_HEAP | VM_ACCOUNT | vm->lock_future;
	struct vm_area *heap;

	assert_held(&vm->lock);
	if (!vm_range_free(&vm->areas, old_end, new_end) ||
	    !may_expand(vm, PROT_READ | PROT_WRITE, VM_HEAP, pages) ||
	    !may_lock_more(vm, flags, pages) || vm_commit(pages))
		return -ENOMEM;
	if (last && last->end == old_end && last->flags == flags &&
	    last->prot == (PROT_READ | PROT_WRITE)) {
		last->end = new_end;
		tally(vm, last->prot, last->flags, (int64_t)pages);
		return 0;
	}
	heap = vm->map_count > vm_max_map_count()
		       ? NULL
		       : vm_area_alloc(old_end, new_end, PROT_READ | PROT_WRITE, flags);
	if (!heap) {
		vm_uncommit(pages);
		return -ENOMEM;
	}
	vm_area_insert(&vm->areas, heap);
	vm->map_count++;
	tally(vm, heap->prot, heap->flags, (int64_t)pages);
	return 0;
}

uintptr_t vm_set_brk(struct vm_space *vm, uintptr_t brk, uint64_t data_limit)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	uintptr_t old_end = ALIGN_UP(vm->brk, PAGE_SIZE), new_end = ALIGN_UP(brk, PAGE_SIZE);
	bool populate = false;
	struct tlb_batch tlb;
	/* The heap may have been split (mprotect, munmap): grow only its last piece. */
	struct vm_area *last = old_end > vm->brk_start ? vm_area_find(&vm->areas, old_end - 1)
						       : NULL;

	if (brk < vm->brk_start || new_end > USER_MMAP_TOP ||
	    (brk > vm->brk && brk - vm->brk_start > data_limit))
		goto out; /* past RLIMIT_DATA, as Linux's check_data_rlimit */
	if (new_end > old_end) {
		if (grow_heap(vm, last, old_end, new_end))
			goto out;
	} else if (new_end < old_end) {
		if (isolate(vm, new_end, old_end, true))
			goto out;
		tlb_batch_init(&tlb, vm);
		unmap_locked(vm, new_end, old_end, &tlb);
		tlb_batch_flush(&tlb);
	}
	vm->brk = brk;
	populate = new_end > old_end && vm->lock_future == VM_LOCKED;
out:
	brk = vm->brk;
	spin_unlock_irqrestore(&vm->lock, flags);
	if (populate) /* mlockall(MCL_FUTURE): the new heap is faulted in (errors: touched later) */
		vm_populate(vm, old_end, new_end, VM_POPULATE_LOCKED);
	return brk;
}

bool vm_is_free(struct vm_space *vm, uintptr_t start, uintptr_t end)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	bool free = vm_range_free(&vm->areas, start, end);

	spin_unlock_irqrestore(&vm->lock, flags);
	return free;
}

int vm_shared_key(struct vm_space *vm, uintptr_t addr, uintptr_t *a, uintptr_t *b)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	struct vm_area *area = vm_area_find(&vm->areas, addr);
	int ret = area ? (area->flags & VM_SHARED) != 0 : -EFAULT;

	if (ret > 0) { /* a file's mappers share its inode, whoever mapped it */
		*a = area_file(area) ? (uintptr_t)area_file(area) : (uintptr_t)area->shared;
		*b = (area->pgoff << PAGE_SHIFT) + (addr - area->start);
	}
	spin_unlock_irqrestore(&vm->lock, flags);
	return ret;
}

/* Moves the hardware dirty bit of a shared file page into the file's dirty state. */
static void sync_one(struct vm_space *vm, uintptr_t va, pte_t *e, void *ctx)
{
	(void)vm;
	if (__atomic_fetch_and(e, ~PTE_D, __ATOMIC_RELAXED) & PTE_D) /* atomic: see zap_one */
		file_page_written(ctx, va);
}

int vm_file_wb_error(struct vm_space *vm, uintptr_t addr, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock), oflags;
	uintptr_t end = addr + len;
	struct vm_area *a;
	int err = 0, e;

	list_for_each_entry (a, &vm->areas, node) {
		if (a->end <= addr || a->start >= end || !area_file(a) || !(a->flags & VM_SHARED))
			continue;
		oflags = spin_lock_irqsave(&a->shared->lock);
		e = errseq_check_and_advance(&a->shared->file->wb_err, &a->shared->wb_err_since);
		spin_unlock_irqrestore(&a->shared->lock, oflags);
		err = err ? err : e;
	}
	spin_unlock_irqrestore(&vm->lock, flags);
	return err;
}

int vm_sync_file_pages(struct vm_space *vm, uintptr_t addr, size_t len)
{
	unsigned long flags = spin_lock_irqsave(&vm->lock);
	uintptr_t end = addr + len;
	struct vm_area *a;
	int err = fully_mapped(vm, addr, end) ? 0 : -ENOMEM;
	struct tlb_batch tlb;

	list_for_each_entry (a, &vm->areas, node)
		if (!err && a->end > addr && a->start < end && area_file(a) &&
		    (a->flags & VM_SHARED))
			range_pages(vm, MAX(a->start, addr), MIN(a->end, end), sync_one, a);
	/* A CPU that cached a dirty entry would not mark the page dirty again. */
	tlb_batch_init(&tlb, vm);
	if (end > addr)
		tlb_batch_add_range(&tlb, addr, end);
	tlb_batch_flush(&tlb);
	spin_unlock_irqrestore(&vm->lock, flags);
	return err;
}
