/* poll(2) event bits and struct pollfd, Linux x86-64 values (asm-generic/poll.h). */
#ifndef AXL_UAPI_POLL_H
#define AXL_UAPI_POLL_H

#include <lib/types.h>

#define POLLIN	   0x0001
#define POLLPRI	   0x0002
#define POLLOUT	   0x0004
#define POLLERR	   0x0008
#define POLLHUP	   0x0010
#define POLLNVAL   0x0020
#define POLLRDNORM 0x0040
#define POLLRDBAND 0x0080
#define POLLWRNORM 0x0100
#define POLLWRBAND 0x0200
#define POLLMSG	   0x0400
#define POLLRDHUP  0x2000

/* What a file without a poll method says: always readable and writable. */
#define DEFAULT_POLLMASK (POLLIN | POLLOUT | POLLRDNORM | POLLWRNORM)

struct pollfd {
	int32_t fd;
	int16_t events;
	int16_t revents;
};

#endif /* AXL_UAPI_POLL_H */
