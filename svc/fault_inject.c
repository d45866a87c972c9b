/*
 * Fault injection rules (include/svc/fault_inject.h). svc_fault_parse is
 * pure (the host unit tests check it); the table of rules in force is
 * written by /proc/fault_inject and the fault_inject= command-line
 * parameter and read by the service framework before each request.
 */
#include <svc/fault_inject.h>
#include <lib/string.h>
#include <lib/printf.h>
#include <uapi/errno.h>
#ifndef AXL_HOST
#include <kernel/spinlock.h>
#include <kernel/random.h>
#endif

#define MAX_WORDS 4
#define MAX_RULES 8

static bool is_separator(char c)
{
	return c == ' ' || c == '\t' || c == ':' || c == '\n';
}

/* Splits line into up to MAX_WORDS words copied into store; returns the count, -1 if more. */
static int split_words(const char *line, char store[MAX_WORDS][24])
{
	int n = 0;

	while (*line) {
		size_t len = 0;

		while (is_separator(*line))
			line++;
		if (!*line)
			break;
		if (n == MAX_WORDS)
			return -1;
		while (line[len] && !is_separator(line[len]))
			len++;
		if (len >= sizeof(store[0]))
			return -1;
		memcpy(store[n], line, len);
		store[n][len] = 0;
		line += len;
		n++;
	}
	return n;
}

/* A decimal integer of 1 to 9 digits. */
static bool parse_uint(const char *s, uint32_t *out)
{
	uint32_t v = 0;
	size_t n = 0;

	for (; s[n] >= '0' && s[n] <= '9'; n++) {
		if (n == 9)
			return false;
		v = v * 10 + (uint32_t)(s[n] - '0');
	}
	*out = v;
	return n > 0 && !s[n];
}

/* A probability "0.25", "1", ".5" as parts per million, in (0, 1e6]. */
static bool parse_prob(const char *s, uint32_t *ppm)
{
	uint32_t whole = 0, frac = 0, scale = 100000;
	size_t i = 0;

	if (s[0] == '1' && (!s[1] || s[1] == '.'))
		whole = 1, i = 1;
	else if (s[0] == '0')
		i = 1;
	if (s[i] == '.')
		for (i++; s[i] >= '0' && s[i] <= '9'; i++, scale /= 10)
			frac += (uint32_t)(s[i] - '0') * scale;
	if (s[i] || i == 0)
		return false;
	*ppm = whole ? 1000000 + frac : frac;
	return *ppm > 0 && *ppm <= 1000000;
}

static int parse_kind(const char *w, enum svc_fault_kind *kind)
{
	if (!strcmp(w, "panic"))
		*kind = SVC_FAULT_PANIC;
	else if (!strcmp(w, "pagefault"))
		*kind = SVC_FAULT_PAGEFAULT;
	else if (!strcmp(w, "hang"))
		*kind = SVC_FAULT_HANG;
	else
		return -EINVAL;
	return 0;
}

static int parse_when(char w[][24], int n, struct svc_fault_rule *r)
{
	if (n == 1 && !strcmp(w[0], "next")) {
		r->when = SVC_WHEN_NEXT;
		return 0;
	}
	if (n == 2 && !strcmp(w[0], "every") && parse_uint(w[1], &r->every) && r->every > 0) {
		r->when = SVC_WHEN_EVERY;
		return 0;
	}
	if (n == 2 && !strcmp(w[0], "prob") && parse_prob(w[1], &r->ppm)) {
		r->when = SVC_WHEN_PROB;
		return 0;
	}
	return -EINVAL;
}

int svc_fault_parse(const char *line, struct svc_fault_rule *out)
{
	char w[MAX_WORDS][24];
	int n = split_words(line, w);

	memset(out, 0, sizeof(*out));
	if (n < 2 || strlen(w[0]) >= SVC_FAULT_NAME_LEN)
		return -EINVAL;
	strlcpy(out->service, w[0], sizeof(out->service));
	if (n == 2 && !strcmp(w[1], "off")) {
		out->when = SVC_WHEN_OFF;
		return 0;
	}
	if (n < 3 || parse_kind(w[1], &out->kind))
		return -EINVAL;
	return parse_when(&w[2], n - 2, out);
}

#ifndef AXL_HOST

static spinlock_t rules_lock = SPINLOCK_INIT("fault-inject");
static struct svc_fault_rule rules[MAX_RULES]; /* (rules_lock) when == OFF: free */

static struct svc_fault_rule *find_locked(const char *service)
{
	assert_held(&rules_lock);
	for (int i = 0; i < MAX_RULES; i++)
		if (rules[i].when != SVC_WHEN_OFF && !strcmp(rules[i].service, service))
			return &rules[i];
	return NULL;
}

int svc_fault_configure(const char *line)
{
	struct svc_fault_rule r, *slot;
	unsigned long flags;
	int err = svc_fault_parse(line, &r);

	if (err)
		return err;
	flags = spin_lock_irqsave(&rules_lock);
	slot = find_locked(r.service);
	if (slot)
		slot->when = SVC_WHEN_OFF;
	if (r.when != SVC_WHEN_OFF) {
		slot = NULL;
		for (int i = 0; i < MAX_RULES && !slot; i++)
			if (rules[i].when == SVC_WHEN_OFF)
				slot = &rules[i];
		if (slot)
			*slot = r;
		else
			err = -ENOSPC;
	}
	spin_unlock_irqrestore(&rules_lock, flags);
	return err;
}

static bool fires_locked(struct svc_fault_rule *r)
{
	uint32_t x;

	assert_held(&rules_lock);
	r->seen++;
	switch (r->when) {
	case SVC_WHEN_NEXT:
		r->when = SVC_WHEN_OFF; /* once */
		return true;
	case SVC_WHEN_EVERY:
		return r->seen % r->every == 0;
	case SVC_WHEN_PROB:
		random_bytes(&x, sizeof(x));
		return x % 1000000 < r->ppm;
	case SVC_WHEN_OFF:
		break;
	}
	return false;
}

enum svc_fault_kind svc_fault_due(const char *service)
{
	unsigned long flags = spin_lock_irqsave(&rules_lock);
	struct svc_fault_rule *r = find_locked(service);
	enum svc_fault_kind kind = SVC_FAULT_NONE;

	if (r && fires_locked(r)) {
		kind = r->kind;
		r->fired++;
	}
	spin_unlock_irqrestore(&rules_lock, flags);
	return kind;
}

static const char *const kind_names[] = { "none", "panic", "pagefault", "hang" };

size_t svc_fault_show(char *buf, size_t size)
{
	unsigned long flags = spin_lock_irqsave(&rules_lock);
	size_t len = 0;

	for (int i = 0; i < MAX_RULES && len < size; i++) {
		struct svc_fault_rule *r = &rules[i];

		if (r->when == SVC_WHEN_OFF)
			continue;
		len += snprintf(buf + len, size - len, "%s %s ", r->service, kind_names[r->kind]);
		if (len >= size)
			break;
		if (r->when == SVC_WHEN_NEXT)
			len += snprintf(buf + len, size - len, "next");
		else if (r->when == SVC_WHEN_EVERY)
			len += snprintf(buf + len, size - len, "every %u", r->every);
		else if (r->ppm == 1000000)
			len += snprintf(buf + len, size - len, "prob 1");
		else
			len += snprintf(buf + len, size - len, "prob 0.%06u", r->ppm);
		if (len < size)
			len += snprintf(buf + len, size - len, " (fired %lu)\n",
					(unsigned long)r->fired);
	}
	spin_unlock_irqrestore(&rules_lock, flags);
	return len < size ? len : size;
}

#endif
