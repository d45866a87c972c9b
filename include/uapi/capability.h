/* Linux capabilities (capget/capset, prctl's PR_CAPBSET_*): the numbers and the header versions. */
#ifndef UAPI_CAPABILITY_H
#define UAPI_CAPABILITY_H

#include <lib/types.h>

#define CAP_CHOWN	       0
#define CAP_DAC_OVERRIDE       1
#define CAP_DAC_READ_SEARCH    2
#define CAP_FOWNER	       3
#define CAP_FSETID	       4
#define CAP_KILL	       5
#define CAP_SETGID	       6
#define CAP_SETUID	       7
#define CAP_SETPCAP	       8
#define CAP_LINUX_IMMUTABLE    9
#define CAP_NET_BIND_SERVICE   10
#define CAP_NET_BROADCAST      11
#define CAP_NET_ADMIN	       12
#define CAP_NET_RAW	       13
#define CAP_IPC_LOCK	       14
#define CAP_IPC_OWNER	       15
#define CAP_SYS_MODULE	       16
#define CAP_SYS_RAWIO	       17
#define CAP_SYS_CHROOT	       18
#define CAP_SYS_PTRACE	       19
#define CAP_SYS_PACCT	       20
#define CAP_SYS_ADMIN	       21
#define CAP_SYS_BOOT	       22
#define CAP_SYS_NICE	       23
#define CAP_SYS_RESOURCE       24
#define CAP_SYS_TIME	       25
#define CAP_SYS_TTY_CONFIG     26
#define CAP_MKNOD	       27
#define CAP_LEASE	       28
#define CAP_AUDIT_WRITE	       29
#define CAP_AUDIT_CONTROL      30
#define CAP_SETFCAP	       31
#define CAP_MAC_OVERRIDE       32
#define CAP_MAC_ADMIN	       33
#define CAP_SYSLOG	       34
#define CAP_WAKE_ALARM	       35
#define CAP_BLOCK_SUSPEND      36
#define CAP_AUDIT_READ	       37
#define CAP_PERFMON	       38
#define CAP_BPF		       39
#define CAP_CHECKPOINT_RESTORE 40
#define CAP_LAST_CAP	       CAP_CHECKPOINT_RESTORE

#define CAP_FULL_SET ((1ULL << (CAP_LAST_CAP + 1)) - 1)

/* capget/capset header versions; 2 and 3 carry 64-bit sets in two data structs. */
#define _LINUX_CAPABILITY_VERSION_1 0x19980330
#define _LINUX_CAPABILITY_VERSION_2 0x20071026
#define _LINUX_CAPABILITY_VERSION_3 0x20080522

struct user_cap_header {
	uint32_t version;
	int pid;
};

struct user_cap_data {
	uint32_t effective, permitted, inheritable;
};

/* securebits (prctl PR_GET_SECUREBITS/PR_SET_SECUREBITS) */
#define SECBIT_NOROOT			   (1u << 0)
#define SECBIT_NOROOT_LOCKED		   (1u << 1)
#define SECBIT_NO_SETUID_FIXUP		   (1u << 2)
#define SECBIT_NO_SETUID_FIXUP_LOCKED	   (1u << 3)
#define SECBIT_KEEP_CAPS		   (1u << 4)
#define SECBIT_KEEP_CAPS_LOCKED		   (1u << 5)
#define SECBIT_NO_CAP_AMBIENT_RAISE	   (1u << 6)
#define SECBIT_NO_CAP_AMBIENT_RAISE_LOCKED (1u << 7)

#endif
