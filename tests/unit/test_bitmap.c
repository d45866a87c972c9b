/*
 * Unit tests for lib/bitmap.c and the inline helpers in <lib/bitmap.h>:
 * range updates checked bit by bit, searches against a naive reference on
 * pseudo-random maps, and bits beyond nbits never being reported.
 */
#include <lib/bitmap.h>
#include <lib/string.h>

#include "harness.h"

#define NBITS 200

static unsigned long map[BITS_TO_LONGS(NBITS)];

static void map_fill(int byte)
{
	memset(map, byte, sizeof(map));
}

/* True when bits [start, start+len) are @in and every other bit is !@in. */
static bool range_is(size_t start, size_t len, bool in)
{
	for (size_t i = 0; i < NBITS; i++) {
		bool inside = i >= start && i < start + len;

		if (bitmap_test_bit(map, i) != (inside ? in : !in))
			return false;
	}
	return true;
}

/* Tiny deterministic generator for reproducible "random" maps. */
static unsigned long lcg_next(unsigned long *state)
{
	*state = *state * 6364136223846793005UL + 1442695040888963407UL;
	return *state >> 17;
}

static void map_random(unsigned long seed, unsigned int density)
{
	map_fill(0);
	for (size_t i = 0; i < NBITS; i++) {
		if (lcg_next(&seed) % 8 < density)
			bitmap_set_bit(map, i);
	}
}

static size_t ref_next(size_t nbits, size_t start, bool value)
{
	for (size_t i = start; i < nbits; i++) {
		if (bitmap_test_bit(map, i) == value)
			return i;
	}
	return nbits;
}

static size_t ref_zero_area(size_t nbits, size_t len)
{
	for (size_t s = 0; s + len <= nbits; s++) {
		if (ref_next(s + len, s, true) == s + len)
			return s;
	}
	return nbits;
}

TEST(bitmap, bits_to_longs)
{
	CHECK_EQ(BITS_TO_LONGS(0), 0);
	CHECK_EQ(BITS_TO_LONGS(1), 1);
	CHECK_EQ(BITS_TO_LONGS(64), 1);
	CHECK_EQ(BITS_TO_LONGS(65), 2);
	CHECK_EQ(BITS_TO_LONGS(NBITS), 4);
}

TEST(bitmap, single_bits)
{
	map_fill(0);
	bitmap_set_bit(map, 0);
	bitmap_set_bit(map, 63);
	bitmap_set_bit(map, 64);
	bitmap_set_bit(map, 199);
	CHECK_EQ(map[0], 0x8000000000000001UL);
	CHECK_EQ(map[1], 1);
	CHECK(bitmap_test_bit(map, 199));
	CHECK(!bitmap_test_bit(map, 198));
	bitmap_clear_bit(map, 63);
	CHECK_EQ(map[0], 1);
	CHECK_EQ(bitmap_weight(map, NBITS), 3);
}

TEST(bitmap, set_range_exhaustive)
{
	for (size_t start = 0; start < NBITS; start++) {
		for (size_t len = 0; start + len <= NBITS; len++) {
			map_fill(0);
			bitmap_set_range(map, start, len);
			CHECK(range_is(start, len, true));
		}
	}
}

TEST(bitmap, clear_range_exhaustive)
{
	for (size_t start = 0; start < NBITS; start++) {
		for (size_t len = 0; start + len <= NBITS; len++) {
			map_fill(0xff);
			bitmap_clear_range(map, start, len);
			CHECK(range_is(start, len, false));
		}
	}
}

TEST(bitmap, find_first_zero)
{
	map_fill(0);
	CHECK_EQ(bitmap_find_first_zero(map, NBITS), 0);
	bitmap_set_range(map, 0, 130);
	CHECK_EQ(bitmap_find_first_zero(map, NBITS), 130);
	CHECK_EQ(bitmap_find_first_zero(map, 130), 130); /* zeros past nbits */
	CHECK_EQ(bitmap_find_first_zero(map, 0), 0);
	map_fill(0xff);
	CHECK_EQ(bitmap_find_first_zero(map, NBITS), NBITS);
}

TEST(bitmap, find_next_set)
{
	map_fill(0);
	CHECK_EQ(bitmap_find_next_set(map, NBITS, 0), NBITS);
	bitmap_set_bit(map, 5);
	bitmap_set_bit(map, 70);
	bitmap_set_bit(map, 150);
	CHECK_EQ(bitmap_find_next_set(map, NBITS, 0), 5);
	CHECK_EQ(bitmap_find_next_set(map, NBITS, 5), 5);
	CHECK_EQ(bitmap_find_next_set(map, NBITS, 6), 70);
	CHECK_EQ(bitmap_find_next_set(map, NBITS, 71), 150);
	CHECK_EQ(bitmap_find_next_set(map, NBITS, 151), NBITS);
	CHECK_EQ(bitmap_find_next_set(map, 150, 71), 150); /* set bit past nbits */
	CHECK_EQ(bitmap_find_next_set(map, NBITS, NBITS + 5), NBITS);
}

TEST(bitmap, searches_match_reference)
{
	for (unsigned long seed = 1; seed < 40; seed++) {
		map_random(seed, seed % 9);
		for (size_t start = 0; start <= NBITS; start += 7) {
			CHECK_EQ(bitmap_find_next_set(map, NBITS, start),
				 ref_next(NBITS, start, true));
			CHECK_EQ(bitmap_find_next_zero(map, NBITS, start),
				 ref_next(NBITS, start, false));
		}
		for (size_t len = 1; len < 12; len++)
			CHECK_EQ(bitmap_find_zero_area(map, NBITS, len), ref_zero_area(NBITS, len));
	}
}

TEST(bitmap, find_zero_area)
{
	map_fill(0xff);
	bitmap_clear_range(map, 10, 3);
	bitmap_clear_range(map, 60, 8);	  /* crosses the word boundary at 64 */
	bitmap_clear_range(map, 190, 10); /* runs to the very end */
	CHECK_EQ(bitmap_find_zero_area(map, NBITS, 1), 10);
	CHECK_EQ(bitmap_find_zero_area(map, NBITS, 3), 10);
	CHECK_EQ(bitmap_find_zero_area(map, NBITS, 4), 60);
	CHECK_EQ(bitmap_find_zero_area(map, NBITS, 8), 60);
	CHECK_EQ(bitmap_find_zero_area(map, NBITS, 9), 190);
	CHECK_EQ(bitmap_find_zero_area(map, NBITS, 10), 190);
	CHECK_EQ(bitmap_find_zero_area(map, NBITS, 11), NBITS);
	CHECK_EQ(bitmap_find_zero_area(map, 195, 9), 195);
	CHECK_EQ(bitmap_find_zero_area(map, NBITS, 0), 0);
}

TEST(bitmap, weight)
{
	map_fill(0);
	CHECK_EQ(bitmap_weight(map, NBITS), 0);
	map_fill(0xff);
	CHECK_EQ(bitmap_weight(map, NBITS), NBITS);
	CHECK_EQ(bitmap_weight(map, 64), 64);
	CHECK_EQ(bitmap_weight(map, 70), 70);
	CHECK_EQ(bitmap_weight(map, 0), 0);
	map_fill(0);
	bitmap_set_range(map, 3, 100);
	CHECK_EQ(bitmap_weight(map, NBITS), 100);
	CHECK_EQ(bitmap_weight(map, 50), 47);
}
