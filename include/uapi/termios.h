/*
 * struct termios as the TCGETS/TCSETS ioctls pass it on Linux x86-64
 * (asm-generic/termbits.h), with the flags of its default settings. The
 * console (fs/console.c) stores it; the tty line discipline will act on it.
 */
#ifndef AXL_UAPI_TERMIOS_H
#define AXL_UAPI_TERMIOS_H

#include <lib/types.h>

#define NCCS 19

struct termios {
	uint32_t c_iflag;
	uint32_t c_oflag;
	uint32_t c_cflag;
	uint32_t c_lflag;
	uint8_t c_line;
	uint8_t c_cc[NCCS];
};

_Static_assert(sizeof(struct termios) == 36, "struct termios is 36 bytes");

/* c_cc indices. */
#define VINTR	 0
#define VQUIT	 1
#define VERASE	 2
#define VKILL	 3
#define VEOF	 4
#define VTIME	 5
#define VMIN	 6
#define VSWTC	 7
#define VSTART	 8
#define VSTOP	 9
#define VSUSP	 10
#define VEOL	 11
#define VREPRINT 12
#define VDISCARD 13
#define VWERASE	 14
#define VLNEXT	 15
#define VEOL2	 16

/* The flags of Linux's default terminal settings. */
#define ICRNL	0000400
#define IXON	0002000
#define OPOST	0000001
#define ONLCR	0000004
#define B38400	0000017
#define CS8	0000060
#define CREAD	0000200
#define HUPCL	0002000
#define ISIG	0000001
#define ICANON	0000002
#define ECHO	0000010
#define ECHOE	0000020
#define ECHOK	0000040
#define ECHOCTL 0001000
#define ECHOKE	0004000
#define IEXTEN	0100000

#endif /* AXL_UAPI_TERMIOS_H */
