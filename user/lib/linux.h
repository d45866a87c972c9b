/*
 * Linux ABI values that musl's headers do not carry (musl-gcc has no
 * <linux/...> headers): futex operations, clone3's argument structure,
 * arch_prctl codes, rseq. Values as in the Linux uapi headers.
 */
#ifndef UT_LINUX_H
#define UT_LINUX_H

#include <stdint.h>

#define FUTEX_WAIT	       0
#define FUTEX_WAKE	       1
#define FUTEX_REQUEUE	       3
#define FUTEX_CMP_REQUEUE      4
#define FUTEX_WAKE_OP	       5
#define FUTEX_WAIT_BITSET      9
#define FUTEX_WAKE_BITSET      10
#define FUTEX_PRIVATE_FLAG     128
#define FUTEX_CLOCK_REALTIME   256
#define FUTEX_BITSET_MATCH_ANY 0xffffffffu

#define ARCH_SET_GS 0x1001
#define ARCH_SET_FS 0x1002
#define ARCH_GET_FS 0x1003
#define ARCH_GET_GS 0x1004

struct clone_args {
	uint64_t flags;
	uint64_t pidfd;
	uint64_t child_tid;
	uint64_t parent_tid;
	uint64_t exit_signal;
	uint64_t stack;
	uint64_t stack_size;
	uint64_t tls;
	uint64_t set_tid;
	uint64_t set_tid_size;
	uint64_t cgroup;
};
#define CLONE_ARGS_SIZE_VER0 64

struct robust_list_head_abi {
	void *list;
	long futex_offset;
	void *list_op_pending;
};

struct rseq_abi {
	uint32_t cpu_id_start;
	uint32_t cpu_id;
	uint64_t rseq_cs;
	uint32_t flags;
	uint32_t node_id;
	uint32_t mm_cid;
	char end[];
} __attribute__((aligned(32)));
#define RSEQ_FLAG_UNREGISTER 1
#define RSEQ_SIG	     0x53053053

/* Capabilities (capget, capset, prctl): the numbers the tests use, header versions, securebits. */
#define CAP_CHOWN		    0
#define CAP_KILL		    5
#define CAP_SETGID		    6
#define CAP_SETUID		    7
#define CAP_SETPCAP		    8
#define CAP_NET_RAW		    13
#define CAP_SYS_ADMIN		    21
#define CAP_SYS_TIME		    25
#define _LINUX_CAPABILITY_VERSION_1 0x19980330
#define _LINUX_CAPABILITY_VERSION_2 0x20071026
#define _LINUX_CAPABILITY_VERSION_3 0x20080522
#define SECBIT_NOROOT		    (1 << 0)
#define SECBIT_NOROOT_LOCKED	    (1 << 1)
#define SECBIT_KEEP_CAPS	    (1 << 4)
#define SECBIT_KEEP_CAPS_LOCKED	    (1 << 5)
#define SECBIT_NO_CAP_AMBIENT_RAISE (1 << 6)

struct cap_header_abi {
	uint32_t version;
	int pid;
};
struct cap_data_abi {
	uint32_t effective, permitted, inheritable;
};

#endif
