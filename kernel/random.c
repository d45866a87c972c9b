/*
 * Random numbers (include/kernel/random.h). The ChaCha20 block function is
 * portable (host unit-tested against RFC 8439's test vector); seeding uses
 * the CPU and is kernel-only.
 */
#include <kernel/random.h>
#include <kernel/spinlock.h>
#include <lib/string.h>

#define ROTL(v, n) (((v) << (n)) | ((v) >> (32 - (n))))
#define QUARTER(a, b, c, d)                      \
	do {                                     \
		a += b, d ^= a, d = ROTL(d, 16); \
		c += d, b ^= c, b = ROTL(b, 12); \
		a += b, d ^= a, d = ROTL(d, 8);  \
		c += d, b ^= c, b = ROTL(b, 7);  \
	} while (0)

void chacha20_block(const uint32_t key[8], uint32_t counter, const uint32_t nonce[3],
		    uint8_t out[64])
{
	uint32_t s[16] = { 0x61707865, 0x3320646e, 0x79622d32, 0x6b206574 }, x[16];

	memcpy(&s[4], key, 32);
	s[12] = counter;
	memcpy(&s[13], nonce, 12);
	memcpy(x, s, sizeof(x));
	for (int i = 0; i < 10; i++) {
		QUARTER(x[0], x[4], x[8], x[12]);
		QUARTER(x[1], x[5], x[9], x[13]);
		QUARTER(x[2], x[6], x[10], x[14]);
		QUARTER(x[3], x[7], x[11], x[15]);
		QUARTER(x[0], x[5], x[10], x[15]);
		QUARTER(x[1], x[6], x[11], x[12]);
		QUARTER(x[2], x[7], x[8], x[13]);
		QUARTER(x[3], x[4], x[9], x[14]);
	}
	for (int i = 0; i < 16; i++) {
		uint32_t v = x[i] + s[i];

		memcpy(out + 4 * i, &v, 4);
	}
}

#ifndef AXL_HOST
#include <kernel/clock.h>
#include <arch/x86_64/cpu.h>

static spinlock_t random_lock = SPINLOCK_INIT("random");
static uint32_t key[8];	   /* (random_lock) */
static uint32_t nonce[3];  /* (random_lock) */
static uint64_t generated; /* (random_lock) blocks made */

static bool hw_random(uint64_t *v, bool seed)
{
	unsigned char ok;

	for (int tries = 0; tries < 16; tries++) {
		if (seed)
			__asm__ volatile("rdseed %0; setc %1" : "=r"(*v), "=qm"(ok));
		else
			__asm__ volatile("rdrand %0; setc %1" : "=r"(*v), "=qm"(ok));
		if (ok)
			return true;
	}
	return false;
}

void random_init(void)
{
	uint32_t r[4];
	bool has_rdrand, has_rdseed = false;
	uint64_t words[4];
	uint8_t block[64];

	cpuid(1, 0, r);
	has_rdrand = r[2] & (1u << 30);
	cpuid(0, 0, r);
	if (r[0] >= 7) {
		cpuid(7, 0, r);
		has_rdseed = r[1] & (1u << 18);
	}
	for (int i = 0; i < 4; i++) {
		uint64_t v = 0;

		if (!(has_rdseed && hw_random(&v, true)) && has_rdrand)
			hw_random(&v, false);
		words[i] = v ^ (rdtsc() * 0x9e3779b97f4a7c15ULL) ^ realtime_ns();
	}
	memcpy(key, words, sizeof(key));
	nonce[0] = (uint32_t)rdtsc();
	chacha20_block(key, 0, nonce, block);
	memcpy(key, block, sizeof(key)); /* whiten the seed */
}

void random_bytes(void *buf, size_t n)
{
	unsigned long flags = spin_lock_irqsave(&random_lock);
	uint8_t block[64];
	uint8_t *out = buf;

	while (n) {
		size_t chunk = n < 64 ? n : 64;

		chacha20_block(key, (uint32_t)++generated, nonce, block);
		memcpy(out, block, chunk);
		out += chunk;
		n -= chunk;
	}
	/* Fast key erasure: the next key comes from the stream, the old one is gone. */
	chacha20_block(key, (uint32_t)++generated, nonce, block);
	memcpy(key, block + 32, sizeof(key));
	nonce[1]++;
	spin_unlock_irqrestore(&random_lock, flags);
	memset(block, 0, sizeof(block));
}
#endif
