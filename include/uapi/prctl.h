/* prctl(2) options and their arguments' values (Linux's <linux/prctl.h>). */
#ifndef UAPI_PRCTL_H
#define UAPI_PRCTL_H

#define PR_SET_PDEATHSIG    1
#define PR_GET_PDEATHSIG    2
#define PR_GET_DUMPABLE	    3
#define PR_SET_DUMPABLE	    4
#define PR_GET_KEEPCAPS	    7
#define PR_SET_KEEPCAPS	    8
#define PR_SET_NAME	    15
#define PR_GET_NAME	    16
#define PR_CAPBSET_READ	    23
#define PR_CAPBSET_DROP	    24
#define PR_GET_SECUREBITS   27
#define PR_SET_SECUREBITS   28
#define PR_SET_NO_NEW_PRIVS 38
#define PR_GET_NO_NEW_PRIVS 39
#define PR_CAP_AMBIENT	    47

/* PR_CAP_AMBIENT's second argument */
#define PR_CAP_AMBIENT_IS_SET	 1
#define PR_CAP_AMBIENT_RAISE	 2
#define PR_CAP_AMBIENT_LOWER	 3
#define PR_CAP_AMBIENT_CLEAR_ALL 4

/* PR_SET_DUMPABLE's values */
#define SUID_DUMP_DISABLE 0
#define SUID_DUMP_USER	  1
#define SUID_DUMP_ROOT	  2 /* suid_dumpable 2: dumped by and for root only */

#endif
