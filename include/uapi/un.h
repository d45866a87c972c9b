/* AF_UNIX addresses, Linux values (linux/un.h). */
#ifndef AXL_UAPI_UN_H
#define AXL_UAPI_UN_H

#include <lib/types.h>

#define UNIX_PATH_MAX 108

struct sockaddr_un {
	uint16_t sun_family; /* AF_UNIX */
	char sun_path[UNIX_PATH_MAX];
};

#endif /* AXL_UAPI_UN_H */
