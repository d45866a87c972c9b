/*
 * Terminal ioctl numbers and struct winsize with Linux x86-64 values
 * (asm-generic/ioctls.h). The tty layer (drivers/tty.c) answers them;
 * FIONREAD is also a pipe's.
 */
#ifndef AXL_UAPI_IOCTL_H
#define AXL_UAPI_IOCTL_H

#include <lib/types.h>

#define TCGETS	   0x5401
#define TCSETS	   0x5402
#define TCSETSW	   0x5403
#define TCSETSF	   0x5404
#define TCSBRK	   0x5409
#define TCXONC	   0x540A
#define TCFLSH	   0x540B
#define TIOCEXCL   0x540C
#define TIOCNXCL   0x540D
#define TIOCSCTTY  0x540E
#define TIOCGPGRP  0x540F
#define TIOCSPGRP  0x5410
#define TIOCOUTQ   0x5411
#define TIOCSTI	   0x5412
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541B
#define TIOCINQ	   FIONREAD
#define FIONBIO	   0x5421
#define TIOCNOTTY  0x5422
#define TIOCSETD   0x5423
#define TIOCGETD   0x5424
#define TCSBRKP	   0x5425
#define TIOCSBRK   0x5427
#define TIOCCBRK   0x5428
#define TIOCGSID   0x5429
#define TCGETS2	   0x802C542A /* _IOR('T', 0x2A, struct termios2) */
#define TCSETS2	   0x402C542B /* _IOW('T', 0x2B, struct termios2) */
#define TCSETSW2   0x402C542C
#define TCSETSF2   0x402C542D
#define FIOCLEX	   0x5451

#define N_TTY 0 /* the one line discipline (TIOCGETD) */

struct winsize {
	uint16_t ws_row;
	uint16_t ws_col;
	uint16_t ws_xpixel;
	uint16_t ws_ypixel;
};

#endif /* AXL_UAPI_IOCTL_H */
