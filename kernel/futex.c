/*
 * Futexes (include/kernel/futex.h). A key names the futex: (address
 * space, address) for process-private futexes and private mappings, or
 * (shared object, offset) for MAP_SHARED memory, so that processes sharing
 * the memory meet. A waiter's key, bitset and state are kept in its call's
 * progress record (struct futex_progress); FUTEX_WAKE marks the waiters it
 * picks as woken and wakes them, and their call, run again, returns 0. The
 * futex word is compared under the bucket lock without paging anything in
 * (read_word_locked).
 */
#include <kernel/futex.h>
#include <kernel/thread.h>
#include <kernel/proc.h>
#include <kernel/time.h>
#include <kernel/uaccess.h>
#include <kernel/wait.h>
#include <kernel/clock.h>
#include <mm/vm.h>
#include <lib/compiler.h>
#include <uapi/errno.h>

#define FUTEX_BUCKETS 256

/* struct futex_progress.state */
#define FUTEX_ST_WAITING 1
#define FUTEX_ST_WOKEN	 2

struct futex_key {
	uintptr_t a, b;
};

static struct wait_source buckets[FUTEX_BUCKETS]; /* each under its own lock */

void futex_init(void)
{
	for (int i = 0; i < FUTEX_BUCKETS; i++)
		wait_source_init(&buckets[i], "futex");
}

static struct wait_source *bucket_of(const struct futex_key *k)
{
	uint64_t h = (k->a ^ (k->b * 0x9e3779b97f4a7c15ULL)) * 0xff51afd7ed558ccdULL;

	return &buckets[(h >> 32) % FUTEX_BUCKETS];
}

static int get_key(uintptr_t uaddr, bool private, struct futex_key *k)
{
	struct vm_space *vm = current_proc()->vm;

	if (!user_range_ok(uaddr, 4))
		return -EFAULT;
	if (uaddr % 4)
		return -EINVAL;
	if (!private) {
		/* A shared key needs the memory to exist (Linux looks the page up). */
		int mapped = vm_shared_key(vm, uaddr, &k->a, &k->b);

		if (mapped < 0)
			return -EFAULT;
		if (mapped)
			return 0;
	}
	k->a = (uintptr_t)vm;
	k->b = uaddr;
	return 0;
}

static bool waiter_matches(struct wait_link *l, const struct futex_key *k, uint32_t bitset)
{
	struct futex_progress *fp = progress_futex(l->wait);

	return fp->key_a == k->a && fp->key_b == k->b && (fp->bitset & bitset);
}

/* A deadline in the past, which is not 0 ("no deadline"). */
static uint64_t some_deadline(uint64_t ns)
{
	return ns ? ns : 1;
}

/*
 * The timeout of a user timespec: relative or absolute CLOCK_MONOTONIC as a
 * deadline (clock_ns), absolute CLOCK_REALTIME as a wall-clock time in
 * fp->real_deadline (its deadline moves with clock sets: realtime_deadline).
 */
static long read_timeout(uintptr_t uts, bool absolute, bool realtime, uint64_t *deadline,
			 struct futex_progress *fp)
{
	struct linux_timespec ts;
	uint64_t ns;

	*deadline = 0;
	fp->real_deadline = 0;
	if (!uts)
		return 0;
	if (copy_from_user(&ts, uts, sizeof(ts)))
		return -EFAULT;
	if (timespec_to_ns(&ts, &ns))
		return -EINVAL;
	if (absolute && realtime)
		fp->real_deadline = some_deadline(ns);
	else
		*deadline = some_deadline(absolute ? ns : deadline_after(ns));
	return 0;
}

/*
 * An absolute CLOCK_REALTIME wait, at each run: registers on clock sets
 * first, then computes the deadline, so that a set after the computation
 * wakes the call to compute it again.
 */
static long realtime_deadline(struct futex_progress *fp, uint64_t *deadline)
{
	if (!fp->real_deadline)
		return 0;
	if (clock_realtime_watch())
		return -ENOMEM;
	*deadline = some_deadline(realtime_to_monotonic(fp->real_deadline));
	return 0;
}

static void lock_two(struct wait_source *a, struct wait_source *b, unsigned long *fa,
		     unsigned long *fb);
static void unlock_two(struct wait_source *a, struct wait_source *b, unsigned long fa,
		       unsigned long fb);

/*
 * Reads the futex word with buckets a and b locked (lock_two; a == b for
 * one). The value is checked under the bucket lock as in Linux: a waker
 * stores to the word and then takes the same lock to wake, so it either
 * comes before the read (which sees its store) or finds the waiter queued;
 * no wake-up is lost. Under a spinlock a user access must not page
 * anything in (that takes locks and may wait: the lock checker reports it),
 * so the locked read is copy_from_user_nofault; when the page is not
 * there, the locks are dropped, the word is read the ordinary way (which
 * pages it in, or makes the call wait for a file page and run again) and
 * the locked read is tried again. Returns 0 with the locks held, or
 * -EFAULT with them released.
 */
static int read_word_locked(struct wait_source *a, struct wait_source *b, unsigned long *fa,
			    unsigned long *fb, uintptr_t uaddr, uint32_t *cur)
{
	assert_held(&a->lock);
	assert_held(&b->lock);
	while (copy_from_user_nofault(cur, uaddr, sizeof(*cur))) {
		unlock_two(a, b, *fa, *fb);
		if (copy_from_user(cur, uaddr, sizeof(*cur)))
			return -EFAULT;
		lock_two(a, b, fa, fb);
	}
	return 0;
}

static long futex_wait(uintptr_t uaddr, uint32_t val, uintptr_t uts, uint32_t bitset, int op)
{
	struct wait *w = current_wait();
	struct futex_progress *fp = progress_futex(w);
	bool absolute = (op & 127) == FUTEX_WAIT_BITSET;
	struct futex_key k;
	struct wait_source *b;
	unsigned long flags;
	uint32_t cur;
	long err;

	if (fp->state == FUTEX_ST_WOKEN)
		return 0;
	if (fp->state == FUTEX_ST_WAITING && (err = realtime_deadline(fp, &w->deadline_ns)))
		return err;
	if (fp->state == FUTEX_ST_WAITING && w->deadline_ns && clock_ns() >= w->deadline_ns)
		return -ETIMEDOUT;
	if (!bitset)
		return -EINVAL;
	if (fp->state == FUTEX_ST_WAITING) {
		/*
		 * Run again without a wake-up. Between its runs the thread was off
		 * the bucket (syscall_run detaches it), so a wake-up then found
		 * nobody: the word tells, as at the first run (a waker changes it
		 * before it wakes). A requeued waiter's word is another futex's:
		 * it returns, a wake-up its caller allows for (futex(2)).
		 */
		if (fp->requeued)
			return 0;
		k = (struct futex_key){ fp->key_a, fp->key_b };
		bitset = fp->bitset;
	} else {
		err = get_key(uaddr, op & FUTEX_PRIVATE_FLAG, &k);
		if (!err)
			err = read_timeout(uts, absolute, op & FUTEX_CLOCK_REALTIME,
					   &w->deadline_ns, fp);
		if (!err)
			err = realtime_deadline(fp, &w->deadline_ns);
		if (err)
			return err;
	}
	b = bucket_of(&k);
	flags = spin_lock_irqsave(&b->lock);
	if (read_word_locked(b, b, &flags, &flags, uaddr, &cur))
		return -EFAULT;
	if (cur != val) {
		spin_unlock_irqrestore(&b->lock, flags);
		/* Changed while it waited: the wake-up it missed between runs. */
		return fp->state == FUTEX_ST_WAITING ? 0 : -EAGAIN;
	}
	fp->key_a = k.a;
	fp->key_b = k.b;
	fp->bitset = bitset;
	fp->state = FUTEX_ST_WAITING;
	err = wait_block_locked(b, w->deadline_ns);
	spin_unlock_irqrestore(&b->lock, flags);
	return err;
}

/* Wakes up to n waiters on k in bucket b (locked by the caller). */
static int wake_locked(struct wait_source *b, const struct futex_key *k, int n, uint32_t bitset)
{
	struct wait_link *l, *tmp;
	int woken = 0;

	assert_held(&b->lock);
	list_for_each_entry_safe (l, tmp, &b->waiters, node) {
		if (woken >= n)
			break;
		if (!waiter_matches(l, k, bitset))
			continue;
		progress_futex(l->wait)->state = FUTEX_ST_WOKEN;
		wait_wake_locked(l);
		woken++;
	}
	return woken;
}

static long futex_wake(uintptr_t uaddr, int n, uint32_t bitset, bool private)
{
	struct futex_key k;
	struct wait_source *b;
	unsigned long flags;
	long woken;
	int err = get_key(uaddr, private, &k);

	if (err)
		return err;
	if (!bitset)
		return -EINVAL;
	b = bucket_of(&k);
	flags = spin_lock_irqsave(&b->lock);
	woken = wake_locked(b, &k, n, bitset);
	spin_unlock_irqrestore(&b->lock, flags);
	if (woken > 0)
		call_commit(); /* the waiters run: a new run would wake others */
	return woken;
}

int futex_wake_address(struct vm_space *vm, uintptr_t uaddr, int n)
{
	/* Linux wakes a thread's clear_child_tid with a shared key: meet shared waiters too. */
	struct futex_key k = { (uintptr_t)vm, uaddr };
	struct wait_source *b;
	unsigned long flags;
	int woken;

	if (vm_shared_key(vm, uaddr, &k.a, &k.b) <= 0)
		k = (struct futex_key){ (uintptr_t)vm, uaddr };
	b = bucket_of(&k);
	flags = spin_lock_irqsave(&b->lock);
	woken = wake_locked(b, &k, n, FUTEX_BITSET_MATCH_ANY);
	spin_unlock_irqrestore(&b->lock, flags);
	return woken;
}

/* Moves up to n waiters of k1 (in b1) to k2 (in b2). Both buckets locked. */
static int requeue_locked(struct wait_source *b1, const struct futex_key *k1,
			  struct wait_source *b2, const struct futex_key *k2, int n)
{
	struct wait_link *l, *tmp;
	int moved = 0;

	assert_held(&b1->lock);
	assert_held(&b2->lock);
	list_for_each_entry_safe (l, tmp, &b1->waiters, node) {
		if (moved >= n)
			break;
		if (!waiter_matches(l, k1, FUTEX_BITSET_MATCH_ANY))
			continue;
		progress_futex(l->wait)->key_a = k2->a;
		progress_futex(l->wait)->key_b = k2->b;
		progress_futex(l->wait)->requeued = 1;
		if (b1 != b2) {
			list_del(&l->node);
			list_add_tail(&l->node, &b2->waiters);
			WRITE_ONCE(l->source, b2); /* unlink looks without a lock */
		}
		moved++;
	}
	return moved;
}

static void lock_two(struct wait_source *a, struct wait_source *b, unsigned long *fa,
		     unsigned long *fb)
{
	if (a == b) {
		*fa = spin_lock_irqsave(&a->lock);
		return;
	}
	/* The lower address first; the second is subclass 1 for the lock checker. */
	if (a > b) {
		*fb = spin_lock_irqsave(&b->lock);
		*fa = spin_lock_irqsave_nested(&a->lock, 1);
	} else {
		*fa = spin_lock_irqsave(&a->lock);
		*fb = spin_lock_irqsave_nested(&b->lock, 1);
	}
}

static void unlock_two(struct wait_source *a, struct wait_source *b, unsigned long fa,
		       unsigned long fb)
{
	if (a != b && a > b) {
		spin_unlock_irqrestore(&a->lock, fa);
		spin_unlock_irqrestore(&b->lock, fb);
	} else if (a != b) {
		spin_unlock_irqrestore(&b->lock, fb);
		spin_unlock_irqrestore(&a->lock, fa);
	} else {
		spin_unlock_irqrestore(&a->lock, fa);
	}
}

static long futex_requeue(uintptr_t uaddr, int op, int nwake, int nmove, uintptr_t uaddr2,
			  uint32_t val3, bool compare)
{
	bool private = op & FUTEX_PRIVATE_FLAG;
	struct futex_key k1, k2;
	struct wait_source *b1, *b2;
	unsigned long f1 = 0, f2 = 0;
	uint32_t cur;
	long ret;

	if (nwake < 0 || nmove < 0)
		return -EINVAL;
	ret = get_key(uaddr, private, &k1);
	if (!ret)
		ret = get_key(uaddr2, private, &k2);
	if (ret)
		return ret;
	b1 = bucket_of(&k1);
	b2 = bucket_of(&k2);
	lock_two(b1, b2, &f1, &f2);
	if (compare && read_word_locked(b1, b2, &f1, &f2, uaddr, &cur))
		return -EFAULT;
	if (compare && cur != val3)
		ret = -EAGAIN;
	else
		ret = wake_locked(b1, &k1, nwake, FUTEX_BITSET_MATCH_ANY);
	if (ret >= 0) /* both forms return the woken plus the requeued */
		ret += requeue_locked(b1, &k1, b2, &k2, nmove);
	unlock_two(b1, b2, f1, f2);
	if (ret > 0)
		call_commit(); /* waiters woken or moved: a new run would do it again */
	return ret;
}

long futex_op(uintptr_t uaddr, int op, uint32_t val, uintptr_t timeout, uintptr_t uaddr2,
	      uint32_t val3)
{
	bool private = op & FUTEX_PRIVATE_FLAG;
	int cmd = op & ~(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);

	if ((op & FUTEX_CLOCK_REALTIME) && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT)
		return -ENOSYS;
	switch (cmd) {
	case FUTEX_WAIT:
		return futex_wait(uaddr, val, timeout, FUTEX_BITSET_MATCH_ANY, op);
	case FUTEX_WAIT_BITSET:
		return futex_wait(uaddr, val, timeout, val3, op);
	case FUTEX_WAKE:
		return futex_wake(uaddr, (int)val, FUTEX_BITSET_MATCH_ANY, private);
	case FUTEX_WAKE_BITSET:
		return futex_wake(uaddr, (int)val, val3, private);
	case FUTEX_REQUEUE:
		return futex_requeue(uaddr, op, (int)val, (int)timeout, uaddr2, 0, false);
	case FUTEX_CMP_REQUEUE:
		return futex_requeue(uaddr, op, (int)val, (int)timeout, uaddr2, val3, true);
	default:
		return -ENOSYS;
	}
}
