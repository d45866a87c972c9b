/*
 * User address spaces (mm/vm_area.c, mm/vm.c): a struct vm_space holds
 * the page-table root and the ordered set of struct vm_area that says
 * what each range of user addresses is (protection, private or shared,
 * anonymous backing, stack). Pages are filled in on demand by the fault
 * handler; fork shares private pages copy-on-write.
 *
 * The set of areas is a list sorted by address, non-overlapping; the
 * functions in mm/vm_area.c manipulate it without touching page tables, so
 * that host unit tests can check them.
 */
#ifndef MM_VM_H
#define MM_VM_H

#include <lib/types.h>
#include <lib/list.h>
#include <lib/errseq.h>
#include <kernel/spinlock.h>
#include <mm/kmap.h>

#define PROT_NONE  0
#define PROT_READ  1
#define PROT_WRITE 2
#define PROT_EXEC  4

#define VM_SHARED      (1u << 0) /* MAP_SHARED: pages live in a shared object */
#define VM_GROWSDOWN   (1u << 1) /* the stack: grows down on faults below it */
#define VM_HEAP	       (1u << 2) /* the brk area */
#define VM_ACCOUNT     (1u << 3) /* its size is committed (mm/overcommit.c) */
/* A shared file mapping that may never write (file read-only or sealed): mprotect says EACCES. */
#define VM_NOWRITE     (1u << 4)
/* A private file mapping with a page copied on write (Linux: it has an anon_vma). */
#define VM_COPIED      (1u << 5)
/* mlock: the area's pages are counted in vm_space.locked_pages (RLIMIT_MEMLOCK) and faulted in. */
#define VM_LOCKED      (1u << 6)
#define VM_LOCKONFAULT (1u << 7) /* with VM_LOCKED: faulted in as touched (MLOCK_ONFAULT) */
#define VM_LOCK_MASK   (VM_LOCKED | VM_LOCKONFAULT)

#define USER_STACK_TOP	0x00007ffffffff000ULL
/* No mapping above this (Linux's TASK_SIZE): code in the last page could return to a
 * non-canonical address. */
#define USER_TASK_END	0x00007ffffffff000ULL
/* The mmap search starts below this, lowered by up to 1 TiB by ASLR (vm_space.mmap_base). */
#define USER_MMAP_TOP	0x00007f0000000000ULL
#define USER_MIN_ADDR	0x0000000000010000ULL /* like vm.mmap_min_addr */
#define STACK_GUARD_GAP (256ULL * PAGE_SIZE)  /* kept free below a growing stack */

struct inode;
struct dentry;

/*
 * Where the pages of an area come from when they are not private zero
 * pages: anonymous memory shared between the address spaces that map it
 * (MAP_SHARED|MAP_ANONYMOUS), or a file (file != NULL: its pages, from
 * file->iops->get_page, shared by MAP_SHARED areas and copied on write by
 * MAP_PRIVATE ones; the object holds a reference on the inode).
 */
struct vm_object {
	int refcount; /* (atomic) areas pointing here */
	spinlock_t lock;
	uint64_t npages;       /* (c) */
	struct page **pages;   /* (lock) anonymous: NULL until first touched */
	struct inode *file;    /* (c) a file mapping */
	struct dentry *dentry; /* (c) its name (/proc/PID/maps), referenced */
	errseq_t wb_err_since; /* (lock) file->wb_err when msync last looked (as a file's) */
	bool write_counted;    /* (c) counted by file->iops->map_writable */
};

struct vm_area {
	struct list_head node;	  /* in vm_space.areas, by address */
	uintptr_t start, end;	  /* page aligned, start < end */
	uint32_t prot;		  /* PROT_* */
	uint32_t flags;		  /* VM_* */
	struct vm_object *shared; /* the pages' object (see above), or NULL: private zero pages */
	uint64_t pgoff;		  /* first page of the area in shared */
};

/* Lock key: (l) lock. */
struct vm_space {
	spinlock_t lock;
	int refcount;		 /* (atomic) threads and users sharing it */
	pte_t *pml4;		 /* (l) page-table root */
	struct list_head areas;	 /* (l) struct vm_area, sorted */
	uintptr_t brk_start;	 /* (l) */
	uintptr_t brk;		 /* (l) current program break */
	uint64_t resident_pages; /* (l) pages mapped */
	uint64_t stack_limit;	 /* (l) RLIMIT_STACK */
	unsigned map_count;	 /* (l) areas in the list (vm.max_map_count) */
	uint64_t total_pages;	 /* (l) pages of all areas (RLIMIT_AS) */
	uint64_t data_pages;	 /* (l) of private writable non-stack areas (RLIMIT_DATA) */
	uint64_t locked_pages;	 /* (l) of VM_LOCKED areas (RLIMIT_MEMLOCK, VmLck) */
	uint32_t
		lock_future; /* (l) VM_LOCK_MASK flags new areas get (MCL_FUTURE); read alone by mmap */
	uintptr_t stack_top; /* (l) the stack's top, set by exec (kernel/aslr.c) */
	uintptr_t mmap_base; /* (l) top-down mmap search starts below it (kernel/aslr.c) */
	uintptr_t auxv;	     /* (c) the auxiliary vector exec left on the stack (core dumps) */
	uint32_t auxv_bytes; /* (c) its size */
	uint64_t cpu_mask;   /* (a) CPUs that may hold its translations (mm/tlb.c) */
};

/* mm/vm_area.c: the ordered set (portable). */
struct vm_area *vm_area_find(struct list_head *areas, uintptr_t addr);
/* The first area ending after addr (the one containing it, or the next). */
struct vm_area *vm_area_next_from(struct list_head *areas, uintptr_t addr);
bool vm_range_free(struct list_head *areas, uintptr_t start, uintptr_t end);
void vm_area_insert(struct list_head *areas, struct vm_area *a);
/* Splits a at addr (inside it); returns the upper part or NULL on no memory. */
struct vm_area *vm_area_split(struct vm_area *a, uintptr_t addr);
/* Top-down search for a free, gap-respecting hole of len bytes below top. */
uintptr_t vm_find_hole(struct list_head *areas, size_t len, uintptr_t top);
struct vm_area *vm_area_alloc(uintptr_t start, uintptr_t end, uint32_t prot, uint32_t flags);
void vm_area_free(struct vm_area *a);
/* Merges a with its neighbours where they are identical and adjacent; returns the areas freed. */
unsigned vm_area_merge_around(struct list_head *areas, struct vm_area *a);
/*
 * The same for every area of [start, end) and the ones on either side of
 * it, after a change of their flags or protection; returns the areas freed.
 */
unsigned vm_area_merge_range(struct list_head *areas, uintptr_t start, uintptr_t end);

/* mm/vm.c: address spaces. */
/* /proc/sys/vm/max_map_count: the areas a space may have (65530); set: 0 or -EINVAL. */
unsigned vm_max_map_count(void);
int vm_set_max_map_count(long n);
struct vm_space *vm_create(void);
void vm_get(struct vm_space *vm);
void vm_put(struct vm_space *vm);
/* Copy for fork: private pages copy-on-write, shared ones shared. */
struct vm_space *vm_fork(struct vm_space *parent);
/* Loads vm's page tables on this CPU (no-op if already loaded); NULL: the kernel's. */
void vm_activate(struct vm_space *vm);
/*
 * Handles a user page fault: 0, -EFAULT (no area), -EACCES (not allowed),
 * -ENOMEM, -EIO (a file page could not be read), or -EWAIT: a file page is
 * being read and the current thread is registered to wait for it (it
 * parks, then the access runs again).
 */
int vm_fault(struct vm_space *vm, uintptr_t addr, unsigned error_code);

/* Mapping calls behind the system calls (sys/mm.c); addresses are checked there. */
long vm_map(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t prot, uint32_t flags,
	    bool fixed);
/*
 * The same for the file of dentry d (d->inode->iops->get_page), from page
 * pgoff on; the area holds references on both (d names it in /proc/PID/maps).
 */
long vm_map_file(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t prot, uint32_t flags,
		 bool fixed, struct dentry *d, uint64_t pgoff);
int vm_unmap(struct vm_space *vm, uintptr_t addr, size_t len);
/* msync: pages of shared file mappings in the range that were written become dirty in the file. */
int vm_sync_file_pages(struct vm_space *vm, uintptr_t addr, size_t len);
/*
 * msync(MS_SYNC) after the write-back: the first write-back error of a
 * file shared-mapped in the range that its mapping has not reported, or 0.
 */
int vm_file_wb_error(struct vm_space *vm, uintptr_t addr, size_t len);
int vm_protect(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t prot);
int vm_discard(struct vm_space *vm, uintptr_t addr, size_t len);
long vm_remap(struct vm_space *vm, uintptr_t old, size_t old_len, size_t new_len, bool may_move,
	      uintptr_t fixed_to);
uintptr_t vm_set_brk(struct vm_space *vm, uintptr_t brk, uint64_t data_limit);
/*
 * mlock, mlock2 and munlock: the areas of [addr, addr + len) get the lock
 * flags lock (0, VM_LOCKED, or VM_LOCKED | VM_LOCKONFAULT) in place of
 * theirs. -ENOMEM when the range is not wholly mapped, or when the pages
 * it locks that are not locked yet would take the space past the caller's
 * RLIMIT_MEMLOCK (without CAP_IPC_LOCK). The caller faults them in
 * (vm_populate).
 */
int vm_lock(struct vm_space *vm, uintptr_t addr, size_t len, uint32_t lock);
/*
 * mlockall and munlockall: every area gets lock when current says so, and
 * areas made from now on get future (mmap, brk, mremap's new pages).
 * -ENOMEM when current locking would lock more than RLIMIT_MEMLOCK (Linux
 * compares the whole size of the space).
 */
int vm_lock_all(struct vm_space *vm, bool current, uint32_t lock, uint32_t future);
/*
 * Faults in the pages of [start, end) as a first access would: private
 * writable pages written (each gets its own), the others read. Holes and
 * VM_LOCKONFAULT areas are skipped, PROT_NONE ones too with
 * VM_POPULATE_LOCKED (else they end it with -EFAULT), and with it every
 * area that is not VM_LOCKED. Short of memory it reclaims as a fault
 * does. With VM_POPULATE_WAITS a wait (a file page being read, memory)
 * ends it with -EWAIT, for the caller's call to run again; without, a file
 * page being read is left out (its read goes on) and a wait for memory
 * ends it. 0, or the first error: -ENOMEM, -EIO, -ENXIO (past the end of a
 * file), -EFAULT, -EWAIT, -EINTR (the thread was killed).
 */
#define VM_POPULATE_LOCKED 1u /* only VM_LOCKED areas (mlockall, MCL_FUTURE's new areas) */
#define VM_POPULATE_WAITS  2u /* the caller's call may run again (mlock, mlockall) */
int vm_populate(struct vm_space *vm, uintptr_t start, uintptr_t end, unsigned how);
/* Whether no area touches [start, end). */
bool vm_is_free(struct vm_space *vm, uintptr_t start, uintptr_t end);
/* For a MAP_SHARED address, a key (object, offset) all its mappers share: 1; private: 0; unmapped: -EFAULT. */
int vm_shared_key(struct vm_space *vm, uintptr_t addr, uintptr_t *a, uintptr_t *b);
/*
 * ptrace's access to another address space (Linux's FOLL_FORCE): reads, or
 * writes even read-only private pages (a private copy, still read-only);
 * -EFAULT for unmapped, PROT_NONE or read-only shared memory.
 */
int vm_access_force(struct vm_space *vm, uintptr_t addr, void *buf, size_t n, bool write);
/* Copies into user memory of vm regardless of protection (exec's loader). */
int vm_write_anyway(struct vm_space *vm, uintptr_t dst, const void *src, size_t n);

/* One area as a core dump sees it (kernel/coredump.c). */
struct vm_dump_area {
	uintptr_t start, end;
	uint32_t prot, flags;
	uint64_t pgoff;	       /* first page of the area in its object */
	struct dentry *dentry; /* a file mapping's file (referenced), or NULL */
	bool object;	       /* its pages come from an object (shared memory or a file) */
	bool file_linked;      /* a file with a name (not a memfd or a deleted file) */
};
/*
 * The areas of vm, in order, in a new array (*out, n entries); -ENOMEM.
 * vm_dump_areas_free releases it.
 */
long vm_dump_areas(struct vm_space *vm, struct vm_dump_area **out);
void vm_dump_areas_free(struct vm_dump_area *areas, long n);
/*
 * Copies the page at va (page aligned) as vm sees it into buf, without
 * faulting anything in: 1 when copied, 0 when vm holds no page there (never
 * touched: zeros, or for a file mapping the file's data at that offset).
 */
int vm_dump_page(struct vm_space *vm, uintptr_t va, void *buf);

#endif
