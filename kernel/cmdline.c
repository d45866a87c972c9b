/*
 * Kernel command line parsing (include/kernel/cmdline.h). Portable; kmain
 * parses the boot loader's line once into kernel_cmdline, and subsystems
 * look their parameters up by name.
 */
#include <kernel/cmdline.h>
#include <lib/string.h>
#include <uapi/errno.h>

struct cmdline kernel_cmdline; /* [I] parsed at boot */

/* Splits one word in place; returns the position after it. */
static char *next_word(char *p, char **word)
{
	char *out;
	bool quoted = false;

	while (*p == ' ' || *p == '\t' || *p == '\n')
		p++;
	*word = out = p;
	for (; *p && (quoted || (*p != ' ' && *p != '\t' && *p != '\n')); p++) {
		if (*p == '"')
			quoted = !quoted;
		else
			*out++ = *p;
	}
	if (*p)
		p++;
	*out = '\0';
	return p;
}

int cmdline_parse(struct cmdline *c, const char *line)
{
	char *p = c->buf, *word;

	c->count = 0;
	if (strlcpy(c->buf, line, sizeof(c->buf)) >= sizeof(c->buf))
		return -E2BIG;
	for (p = next_word(p, &word); *word; p = next_word(p, &word)) {
		char *eq = strchr(word, '=');

		if (c->count == CMDLINE_MAX_PARAMS)
			return -E2BIG;
		c->params[c->count].name = word;
		c->params[c->count].value = "";
		if (eq) {
			*eq = '\0';
			c->params[c->count].value = eq + 1;
		}
		c->count++;
	}
	return 0;
}

const char *cmdline_get(const struct cmdline *c, const char *name)
{
	/* The last occurrence wins, as on Linux. */
	for (unsigned i = c->count; i-- > 0;)
		if (!strcmp(c->params[i].name, name))
			return c->params[i].value;
	return NULL;
}

bool cmdline_has(const struct cmdline *c, const char *name)
{
	return cmdline_get(c, name) != NULL;
}

uint64_t cmdline_get_u64(const struct cmdline *c, const char *name, uint64_t def)
{
	const char *v = cmdline_get(c, name);
	uint64_t n;

	if (!v || parse_u64(v, 0, &n))
		return def;
	return n;
}
