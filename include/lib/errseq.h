/*
 * Error sequences (lib/errseq.c): how write-back errors reach every open
 * file once, as Linux's errseq_t. An errseq holds the last error recorded
 * and a count of errors; each open file description keeps a sample taken
 * at open and compares it at fsync: a different value means an error
 * happened since, which that description reports once and then advances
 * its sample past. One inode's errseq serves fsync, one per super block
 * serves syncfs. Everything is atomic: no lock is needed by callers.
 */
#ifndef AXL_LIB_ERRSEQ_H
#define AXL_LIB_ERRSEQ_H

#include <lib/types.h>

/* [a] bits 0-15: the errno (positive), bit 16: seen, bits 17-63: the count of errors. */
typedef uint64_t errseq_t;

/* Records err (a negative errno; 0 does nothing). */
void errseq_set(errseq_t *es, int err);
/*
 * The sample a new opener keeps. An error nobody has reported yet is
 * still reported to it (a program that closed and reopened the file does
 * not lose it); a reported one is not.
 */
errseq_t errseq_sample(errseq_t *es);
/*
 * The error recorded since *since (a sample), or 0; advances *since and
 * marks the error seen. The caller serialises uses of one *since.
 */
int errseq_check_and_advance(errseq_t *es, errseq_t *since);

#endif /* AXL_LIB_ERRSEQ_H */
