/*
 * Unit tests for the header-only helpers: <lib/list.h>, the macros of
 * <lib/compiler.h> the list is built on, and BUG_ON/ASSERT from
 * <kernel/panic.h> (which also exercises the harness's EXPECT_PANIC).
 */
#include <lib/compiler.h>
#include <lib/list.h>
#include <lib/string.h>
#include <kernel/panic.h>

#include "harness.h"

struct item {
	int value;
	struct list_head node;
};

static struct item items[5];

static void fill(struct list_head *head, size_t n)
{
	list_init(head);
	for (size_t i = 0; i < n; i++) {
		items[i].value = (int)i;
		list_add_tail(&items[i].node, head);
	}
}

/* List values read as one decimal number: 3,2,1 -> 321 (a leading 0 vanishes). */
static long digits(struct list_head *head)
{
	struct item *it;
	long v = 0;

	list_for_each_entry (it, head, node)
		v = v * 10 + it->value;
	return v;
}

TEST(list, static_head_is_empty)
{
	LIST_HEAD(head);
	static LIST_HEAD(global_head);

	CHECK(list_empty(&head));
	CHECK(list_empty(&global_head));
	CHECK_EQ(list_count(&head), 0);
	CHECK_PTR_EQ(head.next, &head);
	CHECK_PTR_EQ(head.prev, &head);
}

TEST(list, add_is_stack_order)
{
	LIST_HEAD(head);

	for (int i = 1; i <= 3; i++) {
		items[i].value = i;
		list_add(&items[i].node, &head);
	}
	CHECK_EQ(digits(&head), 321);
	CHECK_EQ(list_count(&head), 3);
	CHECK_PTR_EQ(list_first_entry(&head, struct item, node), &items[3]);
}

TEST(list, add_tail_is_queue_order)
{
	struct list_head head;

	fill(&head, 5);
	CHECK_EQ(digits(&head), 1234);
	CHECK_EQ(list_count(&head), 5);
	CHECK_PTR_EQ(list_first_entry(&head, struct item, node), &items[0]);
	CHECK_PTR_EQ(list_entry(head.prev, struct item, node), &items[4]);
}

TEST(list, del_reinitialises_node)
{
	struct list_head head;

	fill(&head, 3);
	list_del(&items[1].node);
	CHECK(list_empty(&items[1].node));
	CHECK_EQ(digits(&head), 2);
	list_del(&items[0].node);
	list_del(&items[2].node);
	CHECK(list_empty(&head));
	CHECK_EQ(list_count(&head), 0);
}

TEST(list, for_each_visits_all_nodes)
{
	struct list_head head, *pos;
	size_t n = 0;

	fill(&head, 4);
	list_for_each (pos, &head) {
		CHECK_PTR_EQ(pos, &items[n].node);
		n++;
	}
	CHECK_EQ(n, 4);
}

TEST(list, for_each_entry_safe_allows_deletion)
{
	struct list_head head;
	struct item *it, *tmp;

	fill(&head, 5);
	list_for_each_entry_safe (it, tmp, &head, node) {
		if (it->value % 2 == 0)
			list_del(&it->node);
	}
	CHECK_EQ(digits(&head), 13);
	list_for_each_entry_safe (it, tmp, &head, node)
		list_del(&it->node);
	CHECK(list_empty(&head));
}

TEST(list, move_tail_between_lists)
{
	struct list_head a;
	LIST_HEAD(b);

	fill(&a, 4);
	list_move_tail(&items[0].node, &b);
	list_move_tail(&items[2].node, &b);
	list_move_tail(&items[3].node, &a); /* already last: stays last */
	CHECK_EQ(digits(&a), 13);
	CHECK_EQ(digits(&b), 2);
	CHECK_EQ(list_count(&a), 2);
	CHECK_EQ(list_count(&b), 2);
}

struct outer {
	char pad[3];
	long inner;
};

TEST(compiler, container_of_and_array_size)
{
	struct outer o = { .inner = 1 };
	int arr[7];

	CHECK_PTR_EQ(container_of(&o.inner, struct outer, inner), &o);
	CHECK_EQ(ARRAY_SIZE(arr), 7);
}

TEST(compiler, alignment)
{
	CHECK_EQ(ALIGN_UP(0x1001UL, 0x1000), 0x2000);
	CHECK_EQ(ALIGN_UP(0x1000UL, 0x1000), 0x1000);
	CHECK_EQ(ALIGN_DOWN(0x1fffUL, 0x1000), 0x1000);
	CHECK_EQ(ALIGN_UP(0xffffffffffff0001ULL, 16), 0xffffffffffff0010ULL);
	CHECK(IS_ALIGNED(64u, 16));
	CHECK(!IS_ALIGNED(65u, 16));
	CHECK_EQ(MIN(-1, 3), -1);
	CHECK_EQ(MAX(2u, 9u), 9);
	BUILD_BUG_ON(sizeof(uint32_t) != 4);
}

TEST(compiler, read_write_once)
{
	int x = 1;

	WRITE_ONCE(x, 5);
	CHECK_EQ(READ_ONCE(x), 5);
	CHECK(likely(x == 5));
	CHECK(!unlikely(x != 5));
}

TEST(panic, bug_on_and_assert)
{
	int n = 3;

	EXPECT_PANIC(BUG_ON(n == 3));
	CHECK(strstr(test_panic_message(), "n == 3") != NULL);
	EXPECT_PANIC(ASSERT(n > 5));
	CHECK(strstr(test_panic_message(), "n > 5") != NULL);
	BUG_ON(n != 3);
	ASSERT(n == 3);
}

TEST(panic, direct_call_message)
{
	EXPECT_PANIC(panic("double free of %p", (void *)0x1000));
	CHECK_STR_EQ(test_panic_message(), "double free of 0x1000");
}
