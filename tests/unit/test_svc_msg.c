/*
 * Unit tests of service messages (svc/msg.c) and of the fault-injection
 * rule parser (svc/fault_inject.c): what a service reads from a request
 * it cannot trust, and what /proc/fault_inject accepts.
 */
#include "harness.h"
#include <svc/msg.h>
#include <svc/fault_inject.h>
#include <lib/string.h>
#include <uapi/errno.h>

TEST(svc_msg, fields_round_trip)
{
	uint8_t buf[64];
	struct svc_writer w;
	struct svc_reader r;
	char name[16];
	const void *p;

	svc_writer_init(&w, buf, sizeof(buf));
	svc_msg_begin(&w, 3);
	svc_put_u8(&w, 0xab);
	svc_put_u16(&w, 0x1234);
	svc_put_u32(&w, 0xdeadbeef);
	svc_put_u64(&w, 0x0102030405060708ull);
	svc_put_i64(&w, -5);
	svc_put_str(&w, "hello", 5);
	svc_put_bytes(&w, "\0\1", 2);
	CHECK(!w.overflow);
	svc_reader_init(&r, buf, w.len);
	CHECK_EQ(svc_msg_check(&r, 3), 0);
	CHECK_EQ(svc_get_u8(&r), 0xabu);
	CHECK_EQ(svc_get_u16(&r), 0x1234u);
	CHECK_EQ(svc_get_u32(&r), 0xdeadbeefu);
	CHECK_EQ(svc_get_u64(&r), 0x0102030405060708ull);
	CHECK_EQ((unsigned long long)svc_get_i64(&r), (unsigned long long)-5);
	CHECK_EQ(svc_get_str(&r, name, sizeof(name)), 5);
	CHECK_STR_EQ(name, "hello");
	CHECK_EQ(svc_get_bytes(&r, &p, 2), 2u);
	CHECK(svc_reader_done(&r));
	CHECK_EQ(buf[1], 0xabu); /* little-endian on the wire */
	CHECK_EQ(buf[2], 0x34u);
}

TEST(svc_msg, writer_overflow_sticks)
{
	uint8_t buf[6];
	struct svc_writer w;

	svc_writer_init(&w, buf, sizeof(buf));
	svc_put_u32(&w, 1);
	CHECK(!w.overflow);
	svc_put_u32(&w, 2); /* 4 more do not fit in 2 */
	CHECK(w.overflow);
	svc_put_u8(&w, 3); /* would fit, but the message is already unusable */
	CHECK(w.overflow);
	CHECK_EQ(w.len, 4u);
}

TEST(svc_msg, reader_never_runs_past_the_end)
{
	uint8_t buf[] = { 7, 1, 2, 3 };
	struct svc_reader r;

	svc_reader_init(&r, buf, sizeof(buf));
	CHECK_EQ(svc_msg_check(&r, 7), 0);
	CHECK_EQ(svc_get_u64(&r), 0ull); /* 3 bytes left: an error, zeros */
	CHECK(r.error);
	CHECK_EQ(svc_get_u8(&r), 0u); /* and it stays an error */
	CHECK(!svc_reader_done(&r));
}

TEST(svc_msg, wrong_version_is_eproto)
{
	uint8_t buf[] = { 2, 0, 0 };
	struct svc_reader r;

	svc_reader_init(&r, buf, sizeof(buf));
	CHECK_EQ(svc_msg_check(&r, 1), -EPROTO);
	CHECK(r.error);
	svc_reader_init(&r, buf, 0);
	CHECK_EQ(svc_msg_check(&r, 2), -EPROTO); /* empty */
}

TEST(svc_msg, hostile_lengths_and_strings)
{
	uint8_t big[] = { 0xff, 0xff, 0xff, 0x7f, 'a' }; /* a length far past the end */
	uint8_t nul[] = { 3, 0, 0, 0, 'a', 0, 'b' };	 /* a NUL inside a string */
	uint8_t longs[] = { 20, 0, 0, 0, 'x' };
	struct svc_reader r;
	const void *p;
	char s[8];

	svc_reader_init(&r, big, sizeof(big));
	CHECK_EQ(svc_get_bytes(&r, &p, 1u << 30), 0u);
	CHECK(r.error && p == NULL);
	svc_reader_init(&r, nul, sizeof(nul));
	CHECK_EQ(svc_get_str(&r, s, sizeof(s)), -1);
	CHECK(r.error && s[0] == 0);
	svc_reader_init(&r, longs, sizeof(longs));
	CHECK_EQ(svc_get_str(&r, s, sizeof(s)), -1); /* longer than the room: refused */
	CHECK(r.error);
}

TEST(svc_fault, rules)
{
	struct svc_fault_rule f;

	CHECK_EQ(svc_fault_parse("ext2 panic next", &f), 0);
	CHECK_STR_EQ(f.service, "ext2");
	CHECK_EQ(f.kind, SVC_FAULT_PANIC);
	CHECK_EQ(f.when, SVC_WHEN_NEXT);
	CHECK_EQ(svc_fault_parse("blk:hang:every:12\n", &f), 0);
	CHECK_EQ(f.kind, SVC_FAULT_HANG);
	CHECK_EQ(f.every, 12u);
	CHECK_EQ(svc_fault_parse("  ext2\tpagefault  prob .5", &f), 0);
	CHECK_EQ(f.ppm, 500000u);
	CHECK_EQ(svc_fault_parse("ext2 panic prob 0.000001", &f), 0);
	CHECK_EQ(f.ppm, 1u);
	CHECK_EQ(svc_fault_parse("ext2 off", &f), 0);
	CHECK_EQ(f.when, SVC_WHEN_OFF);
}

TEST(svc_fault, bad_rules)
{
	static const char *const bad[] = {
		"",
		"ext2",
		"ext2 panic",
		"ext2 panic sometimes",
		"ext2 burn next",
		"ext2 panic every",
		"ext2 panic every 0",
		"ext2 panic every 1234567890",
		"ext2 panic every 5x",
		"ext2 panic prob 0",
		"ext2 panic prob 1.1",
		"ext2 panic prob 2",
		"ext2 panic prob -1",
		"ext2 panic next now",
		"a_service_name_far_too_long panic next",
	};
	struct svc_fault_rule f;

	for (unsigned i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		CHECK_EQ(svc_fault_parse(bad[i], &f), -EINVAL);
}
