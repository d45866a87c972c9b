/*
 * Sockets: address families, socket types, socket options, message flags,
 * control messages and the structures the socket calls pass, with Linux
 * x86-64 values (linux/socket.h, asm-generic/socket.h, linux/net.h).
 * Used by the socket layer (net/socket.c) and its calls (sys/socket.c).
 */
#ifndef AXL_UAPI_SOCKET_H
#define AXL_UAPI_SOCKET_H

#include <lib/types.h>

/* Address families (the protocol families have the same numbers). */
#define AF_UNSPEC  0
#define AF_UNIX	   1
#define AF_INET	   2
#define AF_INET6   10
#define AF_NETLINK 16
#define AF_PACKET  17
#define AF_MAX	   46 /* NPROTO: families are below it */

/* Socket types; SOCK_NONBLOCK and SOCK_CLOEXEC may be or'ed into the type. */
#define SOCK_STREAM    1
#define SOCK_DGRAM     2
#define SOCK_RAW       3
#define SOCK_RDM       4
#define SOCK_SEQPACKET 5
#define SOCK_DCCP      6
#define SOCK_PACKET    10
#define SOCK_MAX       11
#define SOCK_TYPE_MASK 0xf
#define SOCK_NONBLOCK  00004000 /* O_NONBLOCK */
#define SOCK_CLOEXEC   02000000 /* O_CLOEXEC */

#define SOL_SOCKET 1

#define SO_DEBUG	1
#define SO_REUSEADDR	2
#define SO_TYPE		3
#define SO_ERROR	4
#define SO_DONTROUTE	5
#define SO_BROADCAST	6
#define SO_SNDBUF	7
#define SO_RCVBUF	8
#define SO_KEEPALIVE	9
#define SO_OOBINLINE	10
#define SO_LINGER	13
#define SO_REUSEPORT	15
#define SO_PASSCRED	16
#define SO_PEERCRED	17
#define SO_RCVLOWAT	18
#define SO_SNDLOWAT	19
#define SO_RCVTIMEO_OLD 20
#define SO_SNDTIMEO_OLD 21
#define SO_ACCEPTCONN	30
#define SO_SNDBUFFORCE	32
#define SO_RCVBUFFORCE	33
#define SO_PROTOCOL	38
#define SO_DOMAIN	39
#define SO_RCVTIMEO	SO_RCVTIMEO_OLD
#define SO_SNDTIMEO	SO_SNDTIMEO_OLD

/* Message flags (send, recv and msg_flags). */
#define MSG_OOB		 0x1
#define MSG_PEEK	 0x2
#define MSG_DONTROUTE	 0x4
#define MSG_CTRUNC	 0x8
#define MSG_TRUNC	 0x20
#define MSG_DONTWAIT	 0x40
#define MSG_EOR		 0x80
#define MSG_WAITALL	 0x100
#define MSG_ERRQUEUE	 0x2000
#define MSG_NOSIGNAL	 0x4000
#define MSG_MORE	 0x8000
#define MSG_WAITFORONE	 0x10000
#define MSG_CMSG_CLOEXEC 0x40000000

/* Control messages of SOL_SOCKET. */
#define SCM_RIGHTS	0x01
#define SCM_CREDENTIALS 0x02
#define SCM_MAX_FD	253 /* descriptors in one SCM_RIGHTS message */

#define SHUT_RD	  0
#define SHUT_WR	  1
#define SHUT_RDWR 2

#define UIO_MAXIOV 1024 /* iovecs in one message */

struct sockaddr {
	uint16_t sa_family;
	char sa_data[14];
};

/* The largest address any family takes (struct sockaddr_storage). */
#define SOCKADDR_MAX 128

struct ucred {
	int32_t pid;
	uint32_t uid;
	uint32_t gid;
};

/* As the caller lays it out (struct user_msghdr). */
struct user_msghdr {
	uint64_t msg_name;
	int32_t msg_namelen;
	int32_t pad0;
	uint64_t msg_iov;
	uint64_t msg_iovlen;
	uint64_t msg_control;
	uint64_t msg_controllen;
	uint32_t msg_flags;
	uint32_t pad1;
};

struct user_mmsghdr {
	struct user_msghdr msg_hdr;
	uint32_t msg_len;
	uint32_t pad;
};

struct cmsghdr {
	uint64_t cmsg_len; /* header and data, without the padding after */
	int32_t cmsg_level;
	int32_t cmsg_type;
};

#define CMSG_ALIGN(len) (((len) + sizeof(uint64_t) - 1) & ~(sizeof(uint64_t) - 1))
#define CMSG_SPACE(len) (sizeof(struct cmsghdr) + CMSG_ALIGN(len))
#define CMSG_LEN(len)	(sizeof(struct cmsghdr) + (len))

struct user_timeval {
	int64_t tv_sec;
	int64_t tv_usec;
};

#endif /* AXL_UAPI_SOCKET_H */
