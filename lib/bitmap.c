/*
 * Range updates and searches over unsigned long bitmaps, see <lib/bitmap.h>.
 * Everything works a word at a time; bits past nbits in the last word are
 * never reported.
 */
#include <lib/bitmap.h>
#include <lib/compiler.h>

/* The popcount constants below assume 64-bit words. */
BUILD_BUG_ON(sizeof(unsigned long) != 8);

/* Mask of the bits of word @w that lie in [start, end); the word must overlap it. */
static unsigned long range_mask(size_t w, size_t start, size_t end)
{
	size_t lo = w * BITS_PER_LONG, hi = lo + BITS_PER_LONG;
	unsigned long mask = ~0UL;

	if (start > lo)
		mask &= ~0UL << (start - lo);
	if (end < hi)
		mask &= ~0UL >> (hi - end);
	return mask;
}

void bitmap_set_range(unsigned long *map, size_t start, size_t len)
{
	size_t end = start + len;
	size_t w;

	for (w = start / BITS_PER_LONG; len && w * BITS_PER_LONG < end; w++)
		map[w] |= range_mask(w, start, end);
}

void bitmap_clear_range(unsigned long *map, size_t start, size_t len)
{
	size_t end = start + len;
	size_t w;

	for (w = start / BITS_PER_LONG; len && w * BITS_PER_LONG < end; w++)
		map[w] &= ~range_mask(w, start, end);
}

/* First bit >= @start below @nbits whose value XOR @invert is 1. */
static size_t find_next(const unsigned long *map, size_t nbits, size_t start, unsigned long invert)
{
	size_t w;
	unsigned long word;

	if (start >= nbits)
		return nbits;
	w = start / BITS_PER_LONG;
	word = (map[w] ^ invert) & (~0UL << (start % BITS_PER_LONG));
	while (!word) {
		if (++w * BITS_PER_LONG >= nbits)
			return nbits;
		word = map[w] ^ invert;
	}
	return MIN(w * BITS_PER_LONG + __builtin_ctzl(word), nbits);
}

size_t bitmap_find_next_zero(const unsigned long *map, size_t nbits, size_t start)
{
	return find_next(map, nbits, start, ~0UL);
}

size_t bitmap_find_next_set(const unsigned long *map, size_t nbits, size_t start)
{
	return find_next(map, nbits, start, 0);
}

size_t bitmap_find_first_zero(const unsigned long *map, size_t nbits)
{
	return find_next(map, nbits, 0, ~0UL);
}

size_t bitmap_find_zero_area(const unsigned long *map, size_t nbits, size_t len)
{
	size_t start = 0, busy;

	if (!len)
		return 0;
	for (;;) {
		start = bitmap_find_next_zero(map, nbits, start);
		if (len > nbits - start)
			return nbits;
		busy = bitmap_find_next_set(map, start + len, start);
		if (busy == start + len)
			return start;
		start = busy + 1;
	}
}

/* Portable popcount: no popcnt instruction and no libgcc helper needed. */
static unsigned int popcount(unsigned long w)
{
	w -= (w >> 1) & 0x5555555555555555UL;
	w = (w & 0x3333333333333333UL) + ((w >> 2) & 0x3333333333333333UL);
	w = (w + (w >> 4)) & 0x0f0f0f0f0f0f0f0fUL;
	return (w * 0x0101010101010101UL) >> 56;
}

size_t bitmap_weight(const unsigned long *map, size_t nbits)
{
	size_t w, n = 0;

	for (w = 0; w < nbits / BITS_PER_LONG; w++)
		n += popcount(map[w]);
	if (nbits % BITS_PER_LONG)
		n += popcount(map[w] & ~(~0UL << (nbits % BITS_PER_LONG)));
	return n;
}
