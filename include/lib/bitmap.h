/*
 * Bitmaps stored as arrays of unsigned long words, bit 0 being the least
 * significant bit of word 0. Used by the physical page allocator, ID
 * allocators and anything else that tracks used/free slots. Nothing here is
 * atomic: callers provide their own locking.
 */
#ifndef AXL_LIB_BITMAP_H
#define AXL_LIB_BITMAP_H

#include <lib/types.h>

#define BITS_PER_LONG	 (8 * sizeof(unsigned long))
#define BITS_TO_LONGS(n) (((n) + BITS_PER_LONG - 1) / BITS_PER_LONG)

static inline unsigned long bitmap_bit_mask(size_t bit)
{
	return 1UL << (bit % BITS_PER_LONG);
}

static inline void bitmap_set_bit(unsigned long *map, size_t bit)
{
	map[bit / BITS_PER_LONG] |= bitmap_bit_mask(bit);
}

static inline void bitmap_clear_bit(unsigned long *map, size_t bit)
{
	map[bit / BITS_PER_LONG] &= ~bitmap_bit_mask(bit);
}

static inline bool bitmap_test_bit(const unsigned long *map, size_t bit)
{
	return map[bit / BITS_PER_LONG] & bitmap_bit_mask(bit);
}

/* Set / clear bits [start, start + len). */
void bitmap_set_range(unsigned long *map, size_t start, size_t len);
void bitmap_clear_range(unsigned long *map, size_t start, size_t len);

/* Searches return the bit index found, or @nbits when there is none. */
size_t bitmap_find_next_zero(const unsigned long *map, size_t nbits, size_t start);
size_t bitmap_find_next_set(const unsigned long *map, size_t nbits, size_t start);
size_t bitmap_find_first_zero(const unsigned long *map, size_t nbits);

/* First run of @len clear bits below @nbits; @nbits if none (0 if len is 0). */
size_t bitmap_find_zero_area(const unsigned long *map, size_t nbits, size_t len);

/* Number of set bits among the first @nbits. */
size_t bitmap_weight(const unsigned long *map, size_t nbits);

#endif /* AXL_LIB_BITMAP_H */
