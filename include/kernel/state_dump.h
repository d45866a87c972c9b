/*
 * The state dump: what every CPU and every thread is doing, printed on an
 * NMI that no CPU of the kernel sent (kernel/state_dump.c).
 */
#ifndef KERNEL_STATE_DUMP_H
#define KERNEL_STATE_DUMP_H

struct trap_frame;

/* In the NMI handler of every CPU: prints this CPU's state, in CPU order. */
void state_dump_nmi(struct trap_frame *f);

#endif
