/*
 * The kernel command line as named parameters (kernel/cmdline.c):
 * "ktest=all loglevel=7 quiet" gives ktest -> "all", loglevel -> "7",
 * quiet -> "". Double quotes group a value with spaces.
 */
#ifndef KERNEL_CMDLINE_H
#define KERNEL_CMDLINE_H

#include <lib/types.h>

#define CMDLINE_MAX_PARAMS 32

struct cmdline {
	char buf[1024];
	struct {
		const char *name, *value;
	} params[CMDLINE_MAX_PARAMS];
	unsigned count;
};

/* Returns 0, or -E2BIG when the line or the number of parameters is too large. */
int cmdline_parse(struct cmdline *c, const char *line);
/* The value of name (""-string for a bare flag), or NULL if absent. */
const char *cmdline_get(const struct cmdline *c, const char *name);
bool cmdline_has(const struct cmdline *c, const char *name);
/* The value as a number, or def when absent or malformed. */
uint64_t cmdline_get_u64(const struct cmdline *c, const char *name, uint64_t def);

extern struct cmdline kernel_cmdline;

#endif
