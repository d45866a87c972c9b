/*
 * Basic integer types for kernel code. Only the freestanding C headers are
 * used, so this works both in the kernel build and in host unit tests.
 */
#ifndef AXL_LIB_TYPES_H
#define AXL_LIB_TYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#endif /* AXL_LIB_TYPES_H */
