/*
 * Intrusive circular doubly-linked list. Embed a struct list_head in an
 * object and link it into a list headed by another list_head; an empty list
 * points at itself. Used by schedulers, allocators and drivers alike.
 */
#ifndef AXL_LIB_LIST_H
#define AXL_LIB_LIST_H

#include <lib/compiler.h>
#include <lib/types.h>

struct list_head {
	struct list_head *next, *prev;
};

#define LIST_HEAD_INIT(name)     \
	{                        \
		&(name), &(name) \
	}
#define LIST_HEAD(name) struct list_head name = LIST_HEAD_INIT(name)

static inline void list_init(struct list_head *head)
{
	head->next = head;
	head->prev = head;
}

/* Link @node between two adjacent entries @prev and @next. */
static inline void __list_link(struct list_head *node, struct list_head *prev,
			       struct list_head *next)
{
	next->prev = node;
	node->next = next;
	node->prev = prev;
	prev->next = node;
}

/* Insert @node right after @head (stack order). */
static inline void list_add(struct list_head *node, struct list_head *head)
{
	__list_link(node, head, head->next);
}

/* Insert @node right before @head, i.e. at the tail (queue order). */
static inline void list_add_tail(struct list_head *node, struct list_head *head)
{
	__list_link(node, head->prev, head);
}

/* Unlink @node and leave it self-linked, so list_empty(node) is true. */
static inline void list_del(struct list_head *node)
{
	node->prev->next = node->next;
	node->next->prev = node->prev;
	list_init(node);
}

static inline bool list_is_last(const struct list_head *node, const struct list_head *head)
{
	return node->next == head;
}

static inline bool list_empty(const struct list_head *head)
{
	return head->next == head;
}

/* Move @node from whatever list it is on to the tail of @head. */
static inline void list_move_tail(struct list_head *node, struct list_head *head)
{
	list_del(node);
	list_add_tail(node, head);
}

static inline size_t list_count(const struct list_head *head)
{
	const struct list_head *pos;
	size_t n = 0;

	for (pos = head->next; pos != head; pos = pos->next)
		n++;
	return n;
}

#define list_entry(ptr, type, member) container_of(ptr, type, member)

/* First entry of a list that must not be empty. */
#define list_first_entry(head, type, member) list_entry((head)->next, type, member)

#define list_for_each(pos, head) for ((pos) = (head)->next; (pos) != (head); (pos) = (pos)->next)

#define list_for_each_entry(pos, head, member)                             \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member); \
	     &(pos)->member != (head);                                     \
	     (pos) = list_entry((pos)->member.next, __typeof__(*(pos)), member))

/* Like list_for_each_entry, but @pos may be removed; @n is scratch. */
#define list_for_each_entry_safe(pos, n, head, member)                        \
	for ((pos) = list_entry((head)->next, __typeof__(*(pos)), member),    \
	    (n) = list_entry((pos)->member.next, __typeof__(*(pos)), member); \
	     &(pos)->member != (head);                                        \
	     (pos) = (n), (n) = list_entry((n)->member.next, __typeof__(*(n)), member))

#endif /* AXL_LIB_LIST_H */
