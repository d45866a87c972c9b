/*
 * Unit tests for lib/errseq.c: every sample taken before an error sees it
 * once, a sample taken after a reported error does not, an unreported
 * error reaches a new opener, and errors recorded one after the other
 * are each reported to a sample that was behind both (the latest error).
 */
#include <lib/errseq.h>

#include "harness.h"

#define EIO_   5
#define ENOSPC 28

TEST(errseq, no_error_no_report)
{
	errseq_t es = 0, a = errseq_sample(&es);

	CHECK_EQ(errseq_check_and_advance(&es, &a), 0);
	errseq_set(&es, 0);
	CHECK_EQ(errseq_check_and_advance(&es, &a), 0);
}

TEST(errseq, each_opener_sees_it_once)
{
	errseq_t es = 0, a = errseq_sample(&es), b = errseq_sample(&es), c;

	errseq_set(&es, -EIO_);
	CHECK_EQ(errseq_check_and_advance(&es, &a), -EIO_);
	CHECK_EQ(errseq_check_and_advance(&es, &a), 0);
	CHECK_EQ(errseq_check_and_advance(&es, &b), -EIO_);
	CHECK_EQ(errseq_check_and_advance(&es, &b), 0);
	c = errseq_sample(&es); /* reported already: a later opener is not told */
	CHECK_EQ(errseq_check_and_advance(&es, &c), 0);
}

TEST(errseq, unreported_error_reaches_a_new_opener)
{
	errseq_t es = 0, late;

	errseq_set(&es, -ENOSPC);
	late = errseq_sample(&es);
	CHECK_EQ(errseq_check_and_advance(&es, &late), -ENOSPC);
	CHECK_EQ(errseq_check_and_advance(&es, &late), 0);
}

TEST(errseq, the_same_error_twice_is_reported_again)
{
	errseq_t es = 0, a = errseq_sample(&es);

	errseq_set(&es, -EIO_);
	CHECK_EQ(errseq_check_and_advance(&es, &a), -EIO_);
	errseq_set(&es, -EIO_);
	CHECK_EQ(errseq_check_and_advance(&es, &a), -EIO_);
	errseq_set(&es, -EIO_);
	errseq_set(&es, -ENOSPC);
	CHECK_EQ(errseq_check_and_advance(&es, &a), -ENOSPC);
	CHECK_EQ(errseq_check_and_advance(&es, &a), 0);
}

TEST(errseq, bad_values_are_ignored)
{
	errseq_t es = 0, a = errseq_sample(&es);

	errseq_set(&es, 5);
	errseq_set(&es, -70000);
	CHECK_EQ(errseq_check_and_advance(&es, &a), 0);
	CHECK_EQ(es, 0);
}
