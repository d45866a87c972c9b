/*
 * Terminal ioctl numbers and struct winsize with Linux x86-64 values
 * (asm-generic/ioctls.h). The tty layer (drivers/tty.c) answers them, the
 * pty driver (drivers/pty.c) the TIOC*PT* and packet-mode ones; FIONREAD
 * is also a pipe's.
 */
#ifndef AXL_UAPI_IOCTL_H
#define AXL_UAPI_IOCTL_H

#include <lib/types.h>

#define TCGETS	    0x5401
#define TCSETS	    0x5402
#define TCSETSW	    0x5403
#define TCSETSF	    0x5404
#define TCSBRK	    0x5409
#define TCXONC	    0x540A
#define TCFLSH	    0x540B
#define TIOCEXCL    0x540C
#define TIOCNXCL    0x540D
#define TIOCSCTTY   0x540E
#define TIOCGPGRP   0x540F
#define TIOCSPGRP   0x5410
#define TIOCOUTQ    0x5411
#define TIOCSTI	    0x5412
#define TIOCGWINSZ  0x5413
#define TIOCSWINSZ  0x5414
#define FIONREAD    0x541B
#define TIOCINQ	    FIONREAD
#define FIONBIO	    0x5421
#define TIOCNOTTY   0x5422
#define TIOCSETD    0x5423
#define TIOCGETD    0x5424
#define TCSBRKP	    0x5425
#define TIOCSBRK    0x5427
#define TIOCCBRK    0x5428
#define TIOCGSID    0x5429
#define TIOCPKT	    0x5420
#define TIOCGPTN    0x80045430 /* _IOR('T', 0x30, unsigned int) */
#define TIOCSPTLCK  0x40045431 /* _IOW('T', 0x31, int) */
#define TIOCSIG	    0x40045436 /* _IOW('T', 0x36, int) */
#define TIOCGPKT    0x80045438 /* _IOR('T', 0x38, int) */
#define TIOCGPTLCK  0x80045439 /* _IOR('T', 0x39, int) */
#define TIOCGPTPEER 0x5441
#define TCGETS2	    0x802C542A /* _IOR('T', 0x2A, struct termios2) */
#define TCSETS2	    0x402C542B /* _IOW('T', 0x2B, struct termios2) */
#define TCSETSW2    0x402C542C
#define TCSETSF2    0x402C542D
#define FIONCLEX    0x5450
#define FIOCLEX	    0x5451
#define FIOQSIZE    0x5460 /* the size of a file, directory or link (a 64-bit value) */

#define N_TTY 0 /* the one line discipline (TIOCGETD) */

/* Packet mode (TIOCPKT): the status byte a pty master's read starts with. */
#define TIOCPKT_DATA	   0
#define TIOCPKT_FLUSHREAD  1
#define TIOCPKT_FLUSHWRITE 2
#define TIOCPKT_STOP	   4
#define TIOCPKT_START	   8
#define TIOCPKT_NOSTOP	   16
#define TIOCPKT_DOSTOP	   32

struct winsize {
	uint16_t ws_row;
	uint16_t ws_col;
	uint16_t ws_xpixel;
	uint16_t ws_ypixel;
};

#endif /* AXL_UAPI_IOCTL_H */
