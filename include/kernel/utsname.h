/* The system's names (sys/misc.c: uname, sethostname), for the kernel's other users. */
#ifndef KERNEL_UTSNAME_H
#define KERNEL_UTSNAME_H

#include <lib/types.h>

#define UTS_LEN 65 /* each name of struct utsname, with its NUL */

/* The host name (sethostname's), NUL-terminated, into buf of UTS_LEN bytes. */
void utsname_hostname(char buf[UTS_LEN]);

#endif /* KERNEL_UTSNAME_H */
