/* epoll(7): event bits, control operations and struct epoll_event, Linux x86-64 values. */
#ifndef AXL_UAPI_EVENTPOLL_H
#define AXL_UAPI_EVENTPOLL_H

#include <lib/types.h>

#define EPOLL_CLOEXEC 02000000 /* O_CLOEXEC */

#define EPOLL_CTL_ADD 1
#define EPOLL_CTL_DEL 2
#define EPOLL_CTL_MOD 3

/* The poll bits (uapi/poll.h) keep their values. */
#define EPOLLIN	       0x00000001u
#define EPOLLPRI       0x00000002u
#define EPOLLOUT       0x00000004u
#define EPOLLERR       0x00000008u
#define EPOLLHUP       0x00000010u
#define EPOLLNVAL      0x00000020u
#define EPOLLRDNORM    0x00000040u
#define EPOLLRDBAND    0x00000080u
#define EPOLLWRNORM    0x00000100u
#define EPOLLWRBAND    0x00000200u
#define EPOLLMSG       0x00000400u
#define EPOLLRDHUP     0x00002000u
#define EPOLLEXCLUSIVE (1u << 28)
#define EPOLLWAKEUP    (1u << 29)
#define EPOLLONESHOT   (1u << 30)
#define EPOLLET	       (1u << 31)

/* Packed on x86-64, as Linux: 12 bytes. */
struct epoll_event {
	uint32_t events;
	uint64_t data;
} __attribute__((packed));

#endif /* AXL_UAPI_EVENTPOLL_H */
