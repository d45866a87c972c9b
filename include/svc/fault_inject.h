/*
 * Fault injection into services (svc/fault_inject.c): the rules written
 * to /proc/fault_inject or given as fault_inject= on the kernel command
 * line. A rule names a service, a kind of fault and when it fires:
 *
 *	SERVICE panic|pagefault|hang next|every N|prob P
 *	SERVICE off
 *
 * The service framework asks svc_fault_due() before each request it runs
 * (retries included) and commits the fault itself.
 */
#ifndef SVC_FAULT_INJECT_H
#define SVC_FAULT_INJECT_H

#include <lib/types.h>

enum svc_fault_kind {
	SVC_FAULT_NONE,
	SVC_FAULT_PANIC,
	SVC_FAULT_PAGEFAULT,
	SVC_FAULT_HANG,
};

enum svc_fault_when {
	SVC_WHEN_OFF,
	SVC_WHEN_NEXT,	/* the next request, once */
	SVC_WHEN_EVERY, /* every Nth request */
	SVC_WHEN_PROB,	/* each request with probability ppm / 1e6 */
};

#define SVC_FAULT_NAME_LEN 16

struct svc_fault_rule {
	char service[SVC_FAULT_NAME_LEN];
	enum svc_fault_kind kind;
	enum svc_fault_when when;
	uint32_t every; /* SVC_WHEN_EVERY */
	uint32_t ppm;	/* SVC_WHEN_PROB: 1..1000000 */
	uint64_t seen;	/* requests counted since the rule was set */
	uint64_t fired; /* faults injected by this rule */
};

/*
 * Parses one rule; words may be separated by spaces, tabs or ':' (the
 * command-line form). 0, or -EINVAL for anything else (P must be in
 * (0, 1], N at least 1).
 */
int svc_fault_parse(const char *line, struct svc_fault_rule *out);

/* Installs a parsed line as the service's rule (replacing one); 0 or -EINVAL, -ENOSPC. */
int svc_fault_configure(const char *line);
/* Whether a request of the named service must fault now, and how. */
enum svc_fault_kind svc_fault_due(const char *service);
/* The rules in force, one line each, as they would be written. */
size_t svc_fault_show(char *buf, size_t size);

#endif
