/*
 * The kernel's random numbers (kernel/random.c): a ChaCha20 stream keyed
 * at boot from RDSEED/RDRAND when the CPU has them, the TSC and the
 * clock, and re-keyed from its own output after every request so that past
 * output cannot be recomputed. Used by getrandom, AT_RANDOM, /dev/urandom.
 */
#ifndef KERNEL_RANDOM_H
#define KERNEL_RANDOM_H

#include <lib/types.h>

void random_init(void);
void random_bytes(void *buf, size_t n);
/* The ChaCha20 block function (RFC 8439), exposed for unit tests. */
void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
		    uint8_t out[64]);

#endif
