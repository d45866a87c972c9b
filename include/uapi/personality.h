/*
 * personality(2) (Linux's include/uapi/linux/personality.h): the execution
 * domain in the low byte, flags above it.
 */
#ifndef UAPI_PERSONALITY_H
#define UAPI_PERSONALITY_H

#define PER_LINUX	   0x0000
#define PER_MASK	   0x00ff
#define ADDR_NO_RANDOMIZE  0x0040000
#define MMAP_PAGE_ZERO	   0x0100000
#define ADDR_COMPAT_LAYOUT 0x0200000
#define READ_IMPLIES_EXEC  0x0400000
/* Dropped by an exec that raises ids or capabilities (a set-ID program). */
#define PER_CLEAR_ON_SETID \
	(READ_IMPLIES_EXEC | ADDR_NO_RANDOMIZE | ADDR_COMPAT_LAYOUT | MMAP_PAGE_ZERO)
#define PERSONALITY_QUERY 0xffffffffu /* the argument that only reads it */

#endif
