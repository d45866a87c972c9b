/*
 * Pseudo-terminals (drivers/pty.c, docs/tty.md): /dev/ptmx makes a pair,
 * a master (the file ptmx's open returns) and a slave, /dev/pts/N, a tty
 * of the tty layer (drivers/tty.c) with the console's line discipline.
 * devpts (fs/devpts.c), the file system mounted at /dev/pts, shows a node
 * for each slave whose master is open.
 */
#ifndef DRIVERS_PTY_H
#define DRIVERS_PTY_H

#include <lib/types.h>

#define PTY_MAX		256 /* pairs at once: the minors of major 136 */
#define PTY_SLAVE_MAJOR 136
#define PTS_GID		5 /* the group of the slaves' nodes ("tty"), as distributions mount */

/* devpts: the slave node N appears (owned by uid) in every mounted devpts, or goes. */
void devpts_add(int index, uint32_t uid);
void devpts_remove(int index);
/* The node of slave N in the first mounted devpts, referenced; -ENOENT without one. */
struct dentry;
int devpts_lookup(int index, struct dentry **out);
void devpts_init(void);

#endif /* DRIVERS_PTY_H */
