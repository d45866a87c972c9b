/*
 * Futexes (kernel/futex.c): user-space locks wait in the kernel on a key
 * derived from an address. Waiters park as stackless waits on one of a
 * fixed set of hashed buckets.
 */
#ifndef KERNEL_FUTEX_H
#define KERNEL_FUTEX_H

#include <lib/types.h>

struct vm_space;

#define FUTEX_WAIT	       0
#define FUTEX_WAKE	       1
#define FUTEX_FD	       2
#define FUTEX_REQUEUE	       3
#define FUTEX_CMP_REQUEUE      4
#define FUTEX_WAKE_OP	       5
#define FUTEX_LOCK_PI	       6
#define FUTEX_UNLOCK_PI	       7
#define FUTEX_TRYLOCK_PI       8
#define FUTEX_WAIT_BITSET      9
#define FUTEX_WAKE_BITSET      10
#define FUTEX_PRIVATE_FLAG     128
#define FUTEX_CLOCK_REALTIME   256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

void futex_init(void);
/* The futex operation of the system call; timeout is a user pointer or 0. */
long futex_op(uintptr_t uaddr, int op, uint32_t val, uintptr_t timeout, uintptr_t uaddr2,
	      uint32_t val3);
/* Wakes up to n waiters of the (process-private) futex at uaddr in vm; returns how many. */
int futex_wake_address(struct vm_space *vm, uintptr_t uaddr, int n);

#endif
