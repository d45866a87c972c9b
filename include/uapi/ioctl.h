/*
 * Terminal ioctl numbers and struct winsize with Linux x86-64 values
 * (asm-generic/ioctls.h). The console (fs/console.c) answers them; the
 * tty layer will take them over.
 */
#ifndef AXL_UAPI_IOCTL_H
#define AXL_UAPI_IOCTL_H

#include <lib/types.h>

#define TCGETS	   0x5401
#define TCSETS	   0x5402
#define TCSETSW	   0x5403
#define TCSETSF	   0x5404
#define TIOCSCTTY  0x540E
#define TIOCGPGRP  0x540F
#define TIOCSPGRP  0x5410
#define TIOCGWINSZ 0x5413
#define TIOCSWINSZ 0x5414
#define FIONREAD   0x541B
#define FIONBIO	   0x5421
#define FIOCLEX	   0x5451

struct winsize {
	uint16_t ws_row;
	uint16_t ws_col;
	uint16_t ws_xpixel;
	uint16_t ws_ypixel;
};

#endif /* AXL_UAPI_IOCTL_H */
