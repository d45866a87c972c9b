/*
 * Errors in pointers: a function that returns a pointer returns
 * ERR_PTR(-EIO) and the like on failure; the caller tests IS_ERR() and
 * recovers the code with PTR_ERR(). The top 4095 addresses are never
 * valid objects, so the encoding cannot collide with a real pointer.
 */
#ifndef LIB_ERR_H
#define LIB_ERR_H

#include <lib/types.h>

#define MAX_ERRNO 4095

static inline void *ERR_PTR(long err)
{
	return (void *)err;
}

static inline long PTR_ERR(const void *p)
{
	return (long)p;
}

static inline bool IS_ERR(const void *p)
{
	return (uintptr_t)p >= (uintptr_t)-MAX_ERRNO;
}

static inline bool IS_ERR_OR_NULL(const void *p)
{
	return !p || IS_ERR(p);
}

#endif
