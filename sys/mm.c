/*
 * Memory system calls: mmap, munmap, mprotect, mremap, madvise, brk,
 * msync, and mlock, mlock2, munlock, mlockall, munlockall.
 * Arguments are checked here as Linux checks them; the address-space work
 * is in mm/vm.c.
 */
#include <fs/writeback.h>
#include <kernel/syscall.h>
#include <kernel/cred.h>
#include <kernel/proc.h>
#include <kernel/uaccess.h>
#include <fs/vfs.h>
#include <fs/fdtable.h>
#include <mm/vm.h>
#include <mm/slab.h>
#include <lib/compiler.h>
#include <uapi/capability.h>
#include <uapi/errno.h>
#include <uapi/resource.h>

#define MAP_SHARED	    0x01
#define MAP_PRIVATE	    0x02
#define MAP_SHARED_VALIDATE 0x03
#define MAP_TYPE	    0x0f
#define MAP_FIXED	    0x10
#define MAP_ANONYMOUS	    0x20
#define MAP_GROWSDOWN	    0x100
#define MAP_DENYWRITE	    0x800
#define MAP_EXECUTABLE	    0x1000
#define MAP_LOCKED	    0x2000
#define MAP_NORESERVE	    0x4000
#define MAP_POPULATE	    0x8000
#define MAP_NONBLOCK	    0x10000
#define MAP_STACK	    0x20000
#define MAP_HUGETLB	    0x40000
#define MAP_FIXED_NOREPLACE 0x100000
#define MAP_KNOWN                                                                                \
	(MAP_TYPE | MAP_FIXED | MAP_ANONYMOUS | MAP_GROWSDOWN | MAP_DENYWRITE | MAP_EXECUTABLE | \
	 MAP_LOCKED | MAP_NORESERVE | MAP_POPULATE | MAP_NONBLOCK | MAP_STACK | MAP_HUGETLB |    \
	 MAP_FIXED_NOREPLACE)

#define MREMAP_MAYMOVE	 1
#define MREMAP_FIXED	 2
#define MREMAP_DONTUNMAP 4

#define MADV_NORMAL	0
#define MADV_RANDOM	1
#define MADV_SEQUENTIAL 2
#define MADV_WILLNEED	3
#define MADV_DONTNEED	4
#define MADV_FREE	8

#define MLOCK_ONFAULT 1
#define MCL_CURRENT   1
#define MCL_FUTURE    2
#define MCL_ONFAULT   4

static struct vm_space *current_vm(void)
{
	return current_proc()->vm;
}

/* Linux's can_do_mlock: locking needs a nonzero RLIMIT_MEMLOCK or CAP_IPC_LOCK. */
static bool may_mlock(void)
{
	return READ_ONCE(current_proc()->rlimits[RLIMIT_MEMLOCK].cur) != 0 || capable(CAP_IPC_LOCK);
}

/* A page-aligned user range [addr, addr + len) with len rounded up; -EINVAL/-ENOMEM otherwise. */
static long check_range(uintptr_t addr, size_t *len)
{
	size_t rounded = ALIGN_UP(*len, PAGE_SIZE);

	if (addr & (PAGE_SIZE - 1) || !*len)
		return -EINVAL;
	if (rounded < *len || addr + rounded < addr || addr + rounded > USER_TASK_END)
		return -ENOMEM;
	*len = rounded;
	return 0;
}

/* Private file mapping: the area gets a copy of the file's bytes (a snapshot). */
static long fill_from_file(uintptr_t addr, size_t len, int fd, int64_t off)
{
	struct file *f = fd_get_file(current_proc()->fds, fd);
	uint8_t *buf;
	long err = 0;

	if (!f)
		return -EBADF;
	buf = kmalloc(PAGE_SIZE);
	for (size_t done = 0; buf && done < len && !err; done += PAGE_SIZE) {
		ssize_t n = kernel_read(f, buf, PAGE_SIZE, off + done);

		if (n <= 0) {
			err = n;
			break;
		}
		err = vm_write_anyway(current_vm(), addr + done, buf, n);
	}
	kfree(buf);
	file_put(f);
	return buf ? err : -ENOMEM;
}

static long map_file(uintptr_t addr, size_t len, unsigned prot, unsigned flags, int fd,
		     int64_t off);

/* MAP_LOCKED's area flag. */
static uint32_t lock_flags(unsigned map_flags)
{
	return map_flags & MAP_LOCKED ? VM_LOCKED : 0;
}

/*
 * A new mapping's pages are faulted in for MAP_POPULATE (not with
 * MAP_NONBLOCK), and when it is locked (MAP_LOCKED, mlockall's MCL_FUTURE).
 * As Linux, errors are not reported: a page left out is faulted in when
 * touched. A file page being read is not waited for (the mapping is made:
 * the call may not run again), but its read is started.
 */
static void populate_new(uintptr_t addr, size_t len, unsigned map_flags)
{
	bool all = (map_flags & (MAP_POPULATE | MAP_NONBLOCK)) == MAP_POPULATE;

	if (all || (map_flags & MAP_LOCKED) || READ_ONCE(current_vm()->lock_future))
		vm_populate(current_vm(), addr, addr + len, all ? 0 : VM_POPULATE_LOCKED);
}

SYSCALL_DEFINE6(mmap, uintptr_t, addr, size_t, len, unsigned, prot, unsigned, flags, int, fd,
		int64_t, off)
{
	unsigned type = flags & MAP_TYPE;
	bool fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE);
	size_t rounded = ALIGN_UP(len, PAGE_SIZE);
	long ret;

	if (!len || (type != MAP_SHARED && type != MAP_PRIVATE && type != MAP_SHARED_VALIDATE))
		return -EINVAL;
	if ((flags & MAP_ANONYMOUS) && type == MAP_SHARED_VALIDATE)
		return -EINVAL; /* anonymous memory takes only MAP_SHARED or MAP_PRIVATE */
	if (type == MAP_SHARED_VALIDATE && (flags & ~MAP_KNOWN))
		return -EOPNOTSUPP;
	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (off & (PAGE_SIZE - 1) || rounded < len)
		return rounded < len ? -ENOMEM : -EINVAL;
	if (fixed && (ret = check_range(addr, &len)))
		return ret;
	if ((flags & MAP_FIXED_NOREPLACE) && !vm_is_free(current_vm(), addr, addr + rounded))
		return -EEXIST;
	if ((flags & MAP_LOCKED) && !may_mlock())
		return -EPERM;
	if (!(flags & MAP_ANONYMOUS))
		ret = map_file(ALIGN_DOWN(addr, PAGE_SIZE), len, prot, flags, fd, off);
	else
		ret = vm_map(current_vm(), ALIGN_DOWN(addr, PAGE_SIZE), rounded, prot,
			     (type != MAP_PRIVATE ? VM_SHARED : 0) | lock_flags(flags),
			     flags & MAP_FIXED);
	if (ret >= 0)
		populate_new(ret, rounded, flags);
	return ret;
}

/* A copy of the file's bytes, for files without pages to map (private mappings only). */
static long map_copy(uintptr_t addr, size_t len, unsigned prot, unsigned flags, int fd, int64_t off)
{
	size_t rounded = ALIGN_UP(len, PAGE_SIZE);
	long ret;

	if ((flags & MAP_TYPE) != MAP_PRIVATE)
		return -ENODEV;
	ret = vm_map(current_vm(), addr, rounded, prot, lock_flags(flags), flags & MAP_FIXED);
	if (ret < 0)
		return ret;
	addr = ret;
	ret = fill_from_file(addr, len, fd, off);
	if (ret) {
		vm_unmap(current_vm(), addr, rounded);
		return ret;
	}
	return addr;
}

/*
 * A file mapping. Files whose pages can be mapped (get_page: ext2's page
 * cache, tmpfs) are mapped directly, shared or copy-on-write; others get a
 * private copy. The file must be open for reading, and for writing too
 * when a shared mapping may write.
 */
static long map_file(uintptr_t addr, size_t len, unsigned prot, unsigned flags, int fd, int64_t off)
{
	struct file *f = fd_get_file(current_proc()->fds, fd);
	bool shared = (flags & MAP_TYPE) != MAP_PRIVATE;
	long ret;

	if (!f)
		return -EBADF;
	if ((f->fmode & FMODE_PATH) || !(f->fmode & FMODE_READ))
		ret = (f->fmode & FMODE_PATH) ? -EBADF : -EACCES;
	else if (shared && (prot & PROT_WRITE) && !(f->fmode & FMODE_WRITE))
		ret = -EACCES;
	else if (f->inode->iops->get_page)
		ret = vm_map_file(
			current_vm(), addr, ALIGN_UP(len, PAGE_SIZE), prot,
			(shared ? VM_SHARED | (f->fmode & FMODE_WRITE ? 0 : VM_NOWRITE) : 0) |
				lock_flags(flags),
			flags & MAP_FIXED, f->dentry, (uint64_t)off >> PAGE_SHIFT);
	else
		ret = -ENOSYS;
	file_put(f);
	return ret == -ENOSYS ? map_copy(addr, len, prot, flags, fd, off) : ret;
}

SYSCALL_DEFINE2(munmap, uintptr_t, addr, size_t, len)
{
	long err = check_range(addr, &len);

	/* munmap calls any bad range invalid, where mmap says there is no room. */
	return err ? -EINVAL : vm_unmap(current_vm(), addr, len);
}

SYSCALL_DEFINE3(mprotect, uintptr_t, addr, size_t, len, unsigned, prot)
{
	long err;

	if (prot & ~(PROT_READ | PROT_WRITE | PROT_EXEC))
		return -EINVAL;
	if (!len)
		return addr & (PAGE_SIZE - 1) ? -EINVAL : 0;
	err = check_range(addr, &len);
	return err ? err : vm_protect(current_vm(), addr, len, prot);
}

SYSCALL_DEFINE3(madvise, uintptr_t, addr, size_t, len, int, advice)
{
	long err;

	if (advice != MADV_NORMAL && advice != MADV_RANDOM && advice != MADV_SEQUENTIAL &&
	    advice != MADV_WILLNEED && advice != MADV_DONTNEED && advice != MADV_FREE)
		return -EINVAL;
	if (!len)
		return addr & (PAGE_SIZE - 1) ? -EINVAL : 0;
	err = check_range(addr, &len);
	if (err)
		return err;
	if (advice == MADV_DONTNEED || advice == MADV_FREE)
		return vm_discard(current_vm(), addr, len);
	return vm_is_free(current_vm(), addr, addr + len) ? -ENOMEM : 0;
}

SYSCALL_DEFINE5(mremap, uintptr_t, old, size_t, old_len, size_t, new_len, unsigned, flags,
		uintptr_t, new_addr)
{
	size_t rounded_new = ALIGN_UP(new_len, PAGE_SIZE);
	long err;

	if (flags & ~(MREMAP_MAYMOVE | MREMAP_FIXED) || old & (PAGE_SIZE - 1) || !new_len)
		return -EINVAL;
	if ((flags & MREMAP_FIXED) && !(flags & MREMAP_MAYMOVE))
		return -EINVAL;
	if (rounded_new < new_len || !old_len)
		return -EINVAL;
	err = check_range(old, &old_len);
	if (!err && (flags & MREMAP_FIXED)) {
		size_t l = rounded_new;

		err = check_range(new_addr, &l);
		if (!err && new_addr < old + old_len && old < new_addr + l)
			err = -EINVAL; /* overlapping ranges */
	}
	if (err)
		return err;
	err = vm_remap(current_vm(), old, old_len, rounded_new, flags & MREMAP_MAYMOVE,
		       (flags & MREMAP_FIXED) ? new_addr : 0);
	if (err >= 0 && rounded_new > old_len) /* a locked area's new pages are faulted in */
		vm_populate(current_vm(), err + old_len, err + rounded_new, VM_POPULATE_LOCKED);
	return err;
}

SYSCALL_DEFINE1(brk, uintptr_t, brk)
{
	return vm_set_brk(current_vm(), brk, current_proc()->rlimits[RLIMIT_DATA].cur);
}

#define MS_ASYNC      1
#define MS_INVALIDATE 2
#define MS_SYNC	      4

/* What shared file mappings wrote becomes dirty file data; MS_SYNC also writes it out. */
SYSCALL_DEFINE3(msync, uintptr_t, addr, size_t, len, int, flags)
{
	long err;

	if ((addr & (PAGE_SIZE - 1)) || (flags & ~(MS_ASYNC | MS_INVALIDATE | MS_SYNC)) ||
	    ((flags & MS_ASYNC) && (flags & MS_SYNC)))
		return -EINVAL;
	if (ALIGN_UP(len, PAGE_SIZE) < len || addr + ALIGN_UP(len, PAGE_SIZE) < addr)
		return -ENOMEM;
	err = vm_sync_file_pages(current_vm(), addr, ALIGN_UP(len, PAGE_SIZE));
	if (!err && (flags & MS_SYNC))
		err = writeback_sync_all();
	if (!err && (flags & MS_SYNC)) /* what the mappings' files lost, as fsync reports it */
		err = vm_file_wb_error(current_vm(), addr, ALIGN_UP(len, PAGE_SIZE));
	return err;
}

/*
 * mlock's range: from the page of addr to the end of the page of addr +
 * len - 1, computed as Linux does, modulo 2^64: a len that wraps past the
 * end of the page (-1) is an empty range, and mlock of it does nothing.
 * -EINVAL when the range itself wraps.
 */
static long lock_range(uintptr_t *addr, size_t *len)
{
	uintptr_t start = ALIGN_DOWN(*addr, PAGE_SIZE);
	size_t n = (*len + (*addr - start) + PAGE_SIZE - 1) & ~(PAGE_SIZE - 1);

	if (start + n < start)
		return -EINVAL;
	*addr = start;
	*len = n;
	return 0;
}

/*
 * Linux's __mlock_posix_error_return: a page that cannot be faulted in
 * (PROT_NONE, past the end of its file, unreadable) is ENOMEM, no memory
 * EAGAIN, as POSIX has it.
 */
static long mlock_error(long err)
{
	if (err == -EFAULT || err == -ENXIO || err == -EIO)
		return -ENOMEM;
	return err == -ENOMEM ? -EAGAIN : err;
}

/*
 * Locks the range and faults it in (unless on fault). A run again after a
 * wait for a file page finds the range locked already and counts it once.
 */
static long do_mlock(uintptr_t addr, size_t len, uint32_t lock)
{
	long err;

	if (!may_mlock())
		return -EPERM;
	if ((err = lock_range(&addr, &len)) || !len)
		return err;
	err = vm_lock(current_vm(), addr, len, lock);
	if (!err && !(lock & VM_LOCKONFAULT))
		err = mlock_error(vm_populate(current_vm(), addr, addr + len, VM_POPULATE_WAITS));
	return err;
}

SYSCALL_DEFINE2(mlock, uintptr_t, addr, size_t, len)
{
	return do_mlock(addr, len, VM_LOCKED);
}

SYSCALL_DEFINE3(mlock2, uintptr_t, addr, size_t, len, unsigned, flags)
{
	if (flags & ~MLOCK_ONFAULT)
		return -EINVAL;
	return do_mlock(addr, len, VM_LOCKED | (flags & MLOCK_ONFAULT ? VM_LOCKONFAULT : 0));
}

SYSCALL_DEFINE2(munlock, uintptr_t, addr, size_t, len)
{
	long err = lock_range(&addr, &len);

	return err || !len ? err : vm_lock(current_vm(), addr, len, 0);
}

/*
 * MCL_CURRENT locks every area now (and stops MCL_FUTURE's locking unless
 * MCL_FUTURE is given too), MCL_FUTURE every area made later, MCL_ONFAULT
 * makes both lock on fault. The pages are faulted in as Linux does,
 * errors left out, except a wait for a file page (the call runs again).
 */
SYSCALL_DEFINE1(mlockall, int, flags)
{
	uint32_t lock = VM_LOCKED | (flags & MCL_ONFAULT ? VM_LOCKONFAULT : 0);
	long err;

	if (!(flags & (MCL_CURRENT | MCL_FUTURE)) ||
	    (flags & ~(MCL_CURRENT | MCL_FUTURE | MCL_ONFAULT)))
		return -EINVAL;
	if (!may_mlock())
		return -EPERM;
	err = vm_lock_all(current_vm(), flags & MCL_CURRENT, lock, flags & MCL_FUTURE ? lock : 0);
	if (err || !(flags & MCL_CURRENT) || (flags & MCL_ONFAULT))
		return err;
	err = vm_populate(current_vm(), 0, USER_TASK_END, VM_POPULATE_LOCKED | VM_POPULATE_WAITS);
	return err == -EWAIT ? err : 0;
}

SYSCALL_DEFINE0(munlockall)
{
	return vm_lock_all(current_vm(), true, 0, 0);
}
