/*
 * Error sequences (include/lib/errseq.h): one 64-bit word changed with
 * compare-and-swap. Portable: also built for the host unit tests.
 */
#include <lib/errseq.h>

#define ERRSEQ_ERRNO_MASK 0xffffull
#define ERRSEQ_SEEN	  (1ull << 16)
#define ERRSEQ_ONE	  (1ull << 17)

void errseq_set(errseq_t *es, int err)
{
	errseq_t old = __atomic_load_n(es, __ATOMIC_RELAXED), new;

	if (err >= 0 || -err > (int)ERRSEQ_ERRNO_MASK)
		return;
	do {
		new = ((old & ~(ERRSEQ_ONE - 1)) + ERRSEQ_ONE) | (errseq_t)-err;
	} while (!__atomic_compare_exchange_n(es, &old, new, true, __ATOMIC_ACQ_REL,
					      __ATOMIC_RELAXED));
}

errseq_t errseq_sample(errseq_t *es)
{
	errseq_t now = __atomic_load_n(es, __ATOMIC_ACQUIRE);

	if ((now & ERRSEQ_ERRNO_MASK) && !(now & ERRSEQ_SEEN))
		return 0; /* unreported: the opener gets it too */
	return now & ~ERRSEQ_SEEN;
}

int errseq_check_and_advance(errseq_t *es, errseq_t *since)
{
	errseq_t old = __atomic_load_n(es, __ATOMIC_ACQUIRE);

	if ((old & ~ERRSEQ_SEEN) == *since)
		return 0;
	while (!(old & ERRSEQ_SEEN) &&
	       !__atomic_compare_exchange_n(es, &old, old | ERRSEQ_SEEN, true, __ATOMIC_ACQ_REL,
					    __ATOMIC_ACQUIRE))
		;
	*since = old & ~ERRSEQ_SEEN;
	return -(int)(old & ERRSEQ_ERRNO_MASK);
}
