/*
 * Unit tests of kernel command line parsing (kernel/cmdline.c).
 */
#include "harness.h"
#include <kernel/cmdline.h>
#include <lib/printf.h>
#include <uapi/errno.h>

TEST(cmdline, names_values_and_flags)
{
	struct cmdline c;

	CHECK_EQ(cmdline_parse(&c, "  ktest=all quiet\tloglevel=7 "), 0);
	CHECK_EQ(c.count, 3u);
	CHECK_STR_EQ(cmdline_get(&c, "ktest"), "all");
	CHECK_STR_EQ(cmdline_get(&c, "quiet"), "");
	CHECK(cmdline_has(&c, "quiet"));
	CHECK(!cmdline_has(&c, "quie"));
	CHECK_EQ(cmdline_get_u64(&c, "loglevel", 1), 7ULL);
}

TEST(cmdline, quotes_last_wins_and_bad_numbers)
{
	struct cmdline c;

	CHECK_EQ(cmdline_parse(&c, "init=\"/bin/sh -c x\" a=1 a=0x10 n=12z"), 0);
	CHECK_STR_EQ(cmdline_get(&c, "init"), "/bin/sh -c x");
	CHECK_EQ(cmdline_get_u64(&c, "a", 0), 16ULL);
	CHECK_EQ(cmdline_get_u64(&c, "n", 99), 99ULL);
	CHECK_EQ(cmdline_get_u64(&c, "absent", 5), 5ULL);
}

TEST(cmdline, empty_and_too_many)
{
	struct cmdline c;
	char line[200];
	int n = 0;

	CHECK_EQ(cmdline_parse(&c, ""), 0);
	CHECK_EQ(c.count, 0u);
	for (int i = 0; i < CMDLINE_MAX_PARAMS + 1; i++)
		n += snprintf(line + n, sizeof(line) - n, "p%d ", i);
	CHECK_EQ(cmdline_parse(&c, line), -E2BIG);
}
