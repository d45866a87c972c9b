/*
 * The CPUs (arch/x86_64/percpu.c, arch/x86_64/smp.c): how many are online
 * and how to reach each one's struct percpu. CPU ids are dense, 0 is the
 * boot CPU; a CPU, once online, stays online.
 */
#ifndef KERNEL_SMP_H
#define KERNEL_SMP_H

#include <lib/types.h>

#define MAX_CPUS 64

struct percpu;

/* CPUs online now (1 until the others have started). */
unsigned smp_cpus_online(void);
/* CPU id's area, or NULL if that CPU is not online. */
struct percpu *smp_cpu(unsigned id);
/* This CPU's id. */
unsigned smp_this_cpu_id(void);

#define for_each_online_cpu(id) for (unsigned id = 0; id < smp_cpus_online(); id++)

#endif
