/*
 * The CPUs (arch/x86_64/percpu.c, arch/x86_64/smp.c): how many are online
 * and how to reach each one's struct percpu, inter-processor interrupts,
 * running a function on the other CPUs, and stopping them. CPU ids are
 * dense, 0 is the boot CPU; a CPU, once online, stays online.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <lib/types.h>

#define MAX_CPUS 64

struct percpu;
struct trap_frame;

/* CPUs online now (1 until the others have started). */
unsigned smp_cpus_online(void);
/* CPU id's area, or NULL if that CPU is not online. */
struct percpu *smp_cpu(unsigned id);
/* This CPU's id. */
unsigned smp_this_cpu_id(void);

#define for_each_online_cpu(id) for (unsigned id = 0; id < smp_cpus_online(); id++)

/* Starts every other CPU of the MADT (boot CPU, once, after the timer). */
void smp_boot_aps(void);

/*
 * IPIs. vector: VEC_IPI_RESCHED (pick again), VEC_IPI_TLB (mm's shootdown),
 * or VEC_IPI_CALL (used by smp_call_others) from arch/x86_64/trap.h.
 */
void smp_send_ipi(unsigned cpu, unsigned vector);
void smp_send_ipi_others(unsigned vector);
#define SMP_NMI_NONE	   0
#define SMP_NMI_STOP	   1 /* a panic elsewhere: print a backtrace, halt */
#define SMP_NMI_WATCHDOG   2 /* the watchdog found the CPU still */
#define SMP_NMI_STATE_DUMP 3 /* the host asked for a state dump (kernel/state_dump.c) */
void smp_send_nmi(unsigned cpu, int reason);

/*
 * Runs fn(arg) on every other online CPU and returns when all have run it.
 * fn runs in an interrupt, or where a CPU spins with interrupts off (a
 * spinlock): it must be short, take no lock and not block. The caller may
 * hold spinlocks and have interrupts off. One call runs at a time.
 */
void smp_call_others(void (*fn)(void *arg), void *arg);
/* Runs a call waiting for this CPU (spin loops with interrupts off call it). */
void smp_poll_calls(void);

/* A panic: NMIs every other CPU, which prints its backtrace and halts. */
void smp_stop_others(void);
/* The NMI watchdog's look at the neighbour CPU, on each tick. */
void smp_watchdog_tick(void);
/* VEC_NMI's handler. */
void smp_nmi(struct trap_frame *f);

#endif
