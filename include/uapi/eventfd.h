/*
 * eventfd(2), timerfd_create(2), signalfd(2) and pidfd_open(2): flags and
 * structures, Linux x86-64 values. The NONBLOCK and CLOEXEC flags are O_NONBLOCK and
 * O_CLOEXEC.
 */
#ifndef AXL_UAPI_EVENTFD_H
#define AXL_UAPI_EVENTFD_H

#include <lib/types.h>

#define EFD_SEMAPHORE 1
#define EFD_NONBLOCK  00004000
#define EFD_CLOEXEC   02000000

#define TFD_NONBLOCK		00004000
#define TFD_CLOEXEC		02000000
#define TFD_TIMER_ABSTIME	1
#define TFD_TIMER_CANCEL_ON_SET 2

#define CLOCK_REALTIME_ALARM 8
#define CLOCK_BOOTTIME_ALARM 9

#define SFD_NONBLOCK 00004000
#define SFD_CLOEXEC  02000000

#define PIDFD_NONBLOCK		   00004000
/* pidfd_send_signal's scopes (Linux 6.9 on): one at most. */
#define PIDFD_SIGNAL_THREAD	   1
#define PIDFD_SIGNAL_THREAD_GROUP  2
#define PIDFD_SIGNAL_PROCESS_GROUP 4
#define PIDFD_SIGNAL_SCOPES	   7

struct linux_itimerspec {
	int64_t interval_sec, interval_nsec;
	int64_t value_sec, value_nsec;
};

/* What a read of a signalfd gives per signal: 128 bytes. */
struct signalfd_siginfo {
	uint32_t ssi_signo;
	int32_t ssi_errno;
	int32_t ssi_code;
	uint32_t ssi_pid;
	uint32_t ssi_uid;
	int32_t ssi_fd;
	uint32_t ssi_tid;
	uint32_t ssi_band;
	uint32_t ssi_overrun;
	uint32_t ssi_trapno;
	int32_t ssi_status;
	int32_t ssi_int;
	uint64_t ssi_ptr;
	uint64_t ssi_utime;
	uint64_t ssi_stime;
	uint64_t ssi_addr;
	uint16_t ssi_addr_lsb;
	uint16_t pad2;
	int32_t ssi_syscall;
	uint64_t ssi_call_addr;
	uint32_t ssi_arch;
	uint8_t pad[28];
};

#endif /* AXL_UAPI_EVENTFD_H */
