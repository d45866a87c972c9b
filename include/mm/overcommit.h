/*
 * Overcommit accounting (mm/overcommit.c), Linux's vm.overcommit_memory:
 * address space that may need pages of its own (private writable
 * mappings, shared anonymous ones, the heap, the stack) is "committed"
 * when it is mapped and uncommitted when it goes. The policy says whether
 * a new commitment is allowed: 0 (heuristic) refuses one request larger
 * than all of memory (there is no swap), 1 allows everything, 2 (strict)
 * refuses what would take the total past CommitLimit = RAM *
 * overcommit_ratio / 100. mm/vm.c charges and uncharges; procfs shows and
 * sets the policy (/proc/sys/vm) and the totals (/proc/meminfo).
 */
#ifndef MM_OVERCOMMIT_H
#define MM_OVERCOMMIT_H

#include <lib/types.h>

#define OVERCOMMIT_GUESS  0
#define OVERCOMMIT_ALWAYS 1
#define OVERCOMMIT_NEVER  2

/* Commits pages (0) or refuses them under the policy (-ENOMEM). */
int vm_commit(uint64_t pages);
void vm_uncommit(uint64_t pages);
uint64_t vm_committed_pages(void);
/* Pages the strict policy allows in all. */
uint64_t vm_commit_limit(void);

int overcommit_mode(void);
int overcommit_ratio(void);
/* /proc/sys/vm writes: 0 or -EINVAL. */
int overcommit_set_mode(long mode);
int overcommit_set_ratio(long ratio);

#endif
