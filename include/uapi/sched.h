/*
 * Scheduling policies and priorities (Linux's include/uapi/linux/sched.h,
 * sched/types.h, resource.h's PRIO_* and ioprio.h): the values of
 * sched_setscheduler, getpriority/setpriority and ioprio_get/ioprio_set.
 */
#ifndef UAPI_SCHED_H
#define UAPI_SCHED_H

#define SCHED_OTHER	    0
#define SCHED_FIFO	    1
#define SCHED_RR	    2
#define SCHED_BATCH	    3
#define SCHED_IDLE	    5
#define SCHED_DEADLINE	    6
#define SCHED_RESET_ON_FORK 0x40000000

#define MAX_RT_PRIO 100 /* real-time priorities are 1..99 */
#define MIN_NICE    (-20)
#define MAX_NICE    19

struct sched_param {
	int sched_priority;
};

#define PRIO_PROCESS 0
#define PRIO_PGRP    1
#define PRIO_USER    2

#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_WHO_PGRP	   2
#define IOPRIO_WHO_USER	   3

#define IOPRIO_CLASS_SHIFT	13
#define IOPRIO_PRIO_MASK	((1u << IOPRIO_CLASS_SHIFT) - 1)
#define IOPRIO_PRIO_CLASS(v)	(((unsigned)(v) >> IOPRIO_CLASS_SHIFT) & 7)
#define IOPRIO_PRIO_DATA(v)	((unsigned)(v)&IOPRIO_PRIO_MASK)
#define IOPRIO_PRIO_VALUE(c, d) (((unsigned)(c) << IOPRIO_CLASS_SHIFT) | (d))
#define IOPRIO_CLASS_NONE	0
#define IOPRIO_CLASS_RT		1
#define IOPRIO_CLASS_BE		2
#define IOPRIO_CLASS_IDLE	3
#define IOPRIO_NR_LEVELS	8

#endif
