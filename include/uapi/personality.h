/*
 * personality(2) (Linux's include/uapi/linux/personality.h): the execution
 * domain in the low byte, flags above it.
 */
#ifndef UAPI_PERSONALITY_H
#define UAPI_PERSONALITY_H

#define PER_LINUX	  0x0000
#define PER_MASK	  0x00ff
#define ADDR_NO_RANDOMIZE 0x0040000
#define PERSONALITY_QUERY 0xffffffffu /* the argument that only reads it */

#endif
