/*
 * In-kernel self-tests of the tty line discipline (drivers/tty.c). Each
 * test makes a tty of its own whose driver writes into a capture buffer,
 * feeds bytes with tty_receive as the UART interrupt would, reads with
 * tty_read through kernel buffers (non-blocking: self-tests run in kernel
 * threads, which cannot park as user threads do), and compares what was
 * read and what went out (echo, output processing) with what Linux's
 * n_tty gives. The tty has no session or foreground group, so signal
 * characters are seen in their effects: the flushed input, the "^C" echo,
 * and the tty's signal counters.
 */
#include <kernel/ktest.h>
#include <drivers/tty.h>
#include <lib/string.h>
#include <mm/slab.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>
#include <uapi/signal.h>

#define CAPTURE_SIZE 16384

struct capture {
	size_t n;
	int throttled; /* +1 per throttle(true), -1 per throttle(false) */
	int throttle_calls;
	char buf[CAPTURE_SIZE];
};

static void cap_write(struct tty *tty, const char *s, size_t n)
{
	struct capture *c = tty->driver_data;

	for (size_t i = 0; i < n && c->n < CAPTURE_SIZE; i++)
		c->buf[c->n++] = s[i];
}

static void cap_throttle(struct tty *tty, bool stop)
{
	struct capture *c = tty->driver_data;

	c->throttled += stop ? 1 : -1;
	c->throttle_calls++;
}

static const struct tty_ops cap_ops = { .write = cap_write, .throttle = cap_throttle };

struct kt_tty {
	struct tty tty;
	struct capture cap;
};

static struct tty *new_tty(void)
{
	struct kt_tty *k = kzalloc(sizeof(*k));

	if (k)
		tty_init(&k->tty, "kt", &cap_ops, &k->cap);
	return k ? &k->tty : NULL;
}

static void free_tty(struct tty *tty)
{
	kfree(container_of(tty, struct kt_tty, tty));
}

static void feed(struct tty *tty, const char *s)
{
	tty_receive(tty, (const uint8_t *)s, strlen(s));
}

/* Whether the output since the last check is exactly s; clears it. */
static bool out_is(struct tty *tty, const char *s)
{
	struct capture *c = tty->driver_data;
	bool same = c->n == strlen(s) && !memcmp(c->buf, s, c->n);

	c->n = 0;
	return same;
}

/* A non-blocking read of up to n bytes into buf (NUL-terminated); the count or -errno. */
static ssize_t rd(struct tty *tty, char *buf, size_t n)
{
	struct iobuf b = iobuf_kernel(buf, n);
	ssize_t r = tty_read(tty, &b, O_NONBLOCK);

	if (r >= 0)
		buf[r] = '\0';
	return r;
}

static bool read_is(struct tty *tty, const char *s)
{
	char buf[512];

	return rd(tty, buf, sizeof(buf) - 1) == (ssize_t)strlen(s) && !strcmp(buf, s);
}

static ssize_t wr(struct tty *tty, const char *s)
{
	struct iobuf b = iobuf_kernel((void *)s, strlen(s));

	return tty_write(tty, &b, O_NONBLOCK);
}

static void set_flags(struct tty *tty, uint32_t lclear, uint32_t lset, uint32_t iclear,
		      uint32_t iset)
{
	struct termios t = tty->termios;

	t.c_lflag = (t.c_lflag & ~lclear) | lset;
	t.c_iflag = (t.c_iflag & ~iclear) | iset;
	tty_set_termios(tty, &t, false);
}

static void set_cc(struct tty *tty, int idx, uint8_t v)
{
	struct termios t = tty->termios;

	t.c_cc[idx] = v;
	tty_set_termios(tty, &t, false);
}

KTEST(tty_canonical_editing)
{
	struct tty *tty = new_tty();

	KT_ASSERT(tty);
	/* ERASE (DEL, and ^H), echoed as "\b \b". */
	feed(tty, "abx\x7f");
	KT_ASSERT(rd(tty, (char[8]){ 0 }, 7) == -EAGAIN); /* no line yet */
	feed(tty, "c\bd\n");
	KT_ASSERT(read_is(tty, "abd\n"));
	KT_ASSERT(out_is(tty, "abx\b \bc\b \bd\r\n"));
	/* ERASE at the start of a line does nothing, echoes nothing. */
	feed(tty, "\x7fz\n");
	KT_ASSERT(read_is(tty, "z\n") && out_is(tty, "z\r\n"));
	/* KILL (^U) with ECHOKE erases the line on the screen. */
	feed(tty, "foo\025bar\n");
	KT_ASSERT(read_is(tty, "bar\n"));
	KT_ASSERT(out_is(tty, "foo\b \b\b \b\b \bbar\r\n"));
	/* WERASE (^W): the blanks, then the word. */
	feed(tty, "one two  \x17three\n");
	KT_ASSERT(read_is(tty, "one three\n"));
	feed(tty, "a-b\x17\x17\n");
	KT_ASSERT(read_is(tty, "\n"));
	/* Two lines in, one per read; a small buffer takes a line in pieces. */
	out_is(tty, "");
	feed(tty, "first\nsecond\n");
	KT_ASSERT(read_is(tty, "first\n"));
	KT_ASSERT(rd(tty, (char[8]){ 0 }, 3) == 3);
	KT_ASSERT(read_is(tty, "ond\n"));
	KT_ASSERT(rd(tty, (char[8]){ 0 }, 7) == -EAGAIN);
	free_tty(tty);
}

KTEST(tty_eof_and_eol)
{
	struct tty *tty = new_tty();

	KT_ASSERT(tty);
	/* ^D ends the line without itself; at the start of a line a read gives 0. */
	feed(tty, "abc\x04");
	KT_ASSERT(read_is(tty, "abc"));
	feed(tty, "\x04");
	KT_ASSERT(rd(tty, (char[8]){ 0 }, 7) == 0);
	KT_ASSERT(rd(tty, (char[8]){ 0 }, 7) == -EAGAIN);
	KT_ASSERT(out_is(tty, "abc")); /* ^D is not echoed */
	/* A line that fills the buffer exactly still takes its ^D. */
	feed(tty, "xy\x04");
	KT_ASSERT(rd(tty, (char[8]){ 0 }, 2) == 2);
	KT_ASSERT(rd(tty, (char[8]){ 0 }, 7) == -EAGAIN);
	/* VEOL ends a line and stays in it. */
	set_cc(tty, VEOL, ';');
	feed(tty, "ls;");
	KT_ASSERT(read_is(tty, "ls;"));
	/* poll: readable once a line is complete. */
	feed(tty, "ab\004c\npartial");
	KT_ASSERT(tty_poll(tty, false) & POLLIN);
	KT_ASSERT(read_is(tty, "ab") && read_is(tty, "c\n"));
	KT_ASSERT(!(tty_poll(tty, false) & POLLIN));
	KT_ASSERT(tty_poll(tty, false) & POLLOUT);
	free_tty(tty);
}

KTEST(tty_input_mapping)
{
	struct tty *tty = new_tty();

	KT_ASSERT(tty);
	feed(tty, "a\r"); /* ICRNL */
	KT_ASSERT(read_is(tty, "a\n"));
	set_flags(tty, 0, 0, 0, IGNCR);
	feed(tty, "b\r\n");
	KT_ASSERT(read_is(tty, "b\n"));
	set_flags(tty, ICANON, 0, ICRNL | IGNCR, INLCR);
	feed(tty, "c\n\r");
	KT_ASSERT(read_is(tty, "c\r\r"));
	set_flags(tty, 0, 0, INLCR, ISTRIP);
	feed(tty, "\xe1");
	KT_ASSERT(read_is(tty, "a"));
	free_tty(tty);
}

KTEST(tty_echo_modes)
{
	struct tty *tty = new_tty();

	KT_ASSERT(tty);
	/* ECHOCTL: control characters as ^X; erasing one takes two columns. */
	feed(tty, "\x01\x7f\x01\n");
	KT_ASSERT(out_is(tty, "^A\b \b\b \b^A\r\n"));
	KT_ASSERT(read_is(tty, "\x01\n"));
	/* A tab is erased with as many backspaces as it took columns. */
	feed(tty, "ab\t\x7f\n");
	KT_ASSERT(out_is(tty, "ab\t\b\b\b\b\b\b\r\n"));
	KT_ASSERT(read_is(tty, "ab\n"));
	/* Without ECHOE the erase character is echoed; KILL without ECHOKE: ^U and a newline. */
	set_flags(tty, ECHOE | ECHOKE, 0, 0, 0);
	feed(tty, "ab\x7f\x15\n");
	KT_ASSERT(out_is(tty, "ab^?^U\r\n\r\n"));
	KT_ASSERT(read_is(tty, "\n"));
	/* ECHO off: nothing, but ECHONL still echoes newlines. */
	set_flags(tty, ECHO, ECHONL, 0, 0);
	feed(tty, "secret\n");
	KT_ASSERT(out_is(tty, "\r\n") && read_is(tty, "secret\n"));
	/* VLNEXT (^V) takes the next character as data; VREPRINT (^R) retypes the line. */
	set_flags(tty, ECHONL, ECHO | ECHOE | ECHOKE, 0, 0);
	feed(tty, "\x16\x03x\x12\n");
	KT_ASSERT(out_is(tty, "^\b^Cx^R\r\n^Cx\r\n"));
	KT_ASSERT(read_is(tty, "\x03x\n"));
	/* Raw mode echoes as it goes. */
	set_flags(tty, ICANON, 0, 0, 0);
	feed(tty, "q\x1b");
	KT_ASSERT(out_is(tty, "q^[") && read_is(tty, "q\x1b"));
	free_tty(tty);
}

KTEST(tty_signal_characters)
{
	struct tty *tty = new_tty();

	KT_ASSERT(tty);
	/* ^C flushes what was typed (a line and a half here) and echoes "^C". */
	feed(tty, "line\nabc");
	feed(tty, "\x03");
	KT_ASSERT(out_is(tty, "line\r\nabc^C"));
	KT_ASSERT(tty->stats.signals == 1 && tty->stats.last_signal == SIGINT);
	KT_ASSERT(rd(tty, (char[8]){ 0 }, 7) == -EAGAIN);
	feed(tty, "x");
	feed(tty, "\x1c");
	KT_ASSERT(tty->stats.last_signal == SIGQUIT && out_is(tty, "x^\\"));
	feed(tty, "\x1a");
	KT_ASSERT(tty->stats.last_signal == SIGTSTP && tty->stats.signals == 3);
	out_is(tty, "");
	/* NOFLSH keeps the input. */
	set_flags(tty, 0, NOFLSH, 0, 0);
	feed(tty, "keep\n\x03");
	KT_ASSERT(read_is(tty, "keep\n") && tty->stats.signals == 4);
	/* Without ISIG they are data; raw mode signals too. */
	set_flags(tty, ISIG | NOFLSH, 0, 0, 0);
	feed(tty, "\x03\n");
	KT_ASSERT(read_is(tty, "\x03\n") && tty->stats.signals == 4);
	set_flags(tty, ICANON, ISIG, 0, 0);
	feed(tty, "ab\x03");
	KT_ASSERT(tty->stats.signals == 5 && rd(tty, (char[8]){ 0 }, 7) == -EAGAIN);
	free_tty(tty);
}

KTEST(tty_noncanonical_reads)
{
	struct tty *tty = new_tty();
	char buf[16];

	KT_ASSERT(tty);
	set_flags(tty, ICANON | ECHO, 0, 0, 0);
	/* VMIN=1: whatever is there; ERASE and ^D are data. */
	feed(tty, "a\x7f\x04");
	KT_ASSERT(read_is(tty, "a\x7f\x04"));
	KT_ASSERT(rd(tty, buf, sizeof(buf) - 1) == -EAGAIN);
	/* VMIN=0, VTIME=0: a read returns at once, 0 when there is nothing. */
	set_cc(tty, VMIN, 0);
	KT_ASSERT(rd(tty, buf, sizeof(buf) - 1) == 0);
	feed(tty, "xyz");
	KT_ASSERT(rd(tty, buf, 2) == 2 && rd(tty, buf, 8) == 1 && buf[0] == 'z');
	/* VMIN=3 with two bytes: O_NONBLOCK takes what there is. */
	set_cc(tty, VMIN, 3);
	feed(tty, "12");
	KT_ASSERT(read_is(tty, "12"));
	/* Raw bytes become a line when canonical mode comes back (Linux's push). */
	feed(tty, "raw");
	set_flags(tty, 0, ICANON, 0, 0);
	KT_ASSERT(read_is(tty, "raw"));
	/* And a line being edited is readable once canonical mode goes. */
	feed(tty, "half");
	KT_ASSERT(rd(tty, buf, sizeof(buf) - 1) == -EAGAIN);
	set_flags(tty, ICANON, 0, 0, 0);
	KT_ASSERT(read_is(tty, "half"));
	free_tty(tty);
}

KTEST(tty_output_processing)
{
	struct tty *tty = new_tty();
	struct termios t;

	KT_ASSERT(tty);
	KT_ASSERT(wr(tty, "a\nb\n") == 4 && out_is(tty, "a\r\nb\r\n"));
	t = tty->termios;
	t.c_oflag |= ONOCR; /* a CR in column 0 is dropped */
	tty_set_termios(tty, &t, false);
	KT_ASSERT(wr(tty, "\rx\r\n") == 4 && out_is(tty, "x\r\r\n"));
	t.c_oflag = OPOST | ONLCR | XTABS | OCRNL; /* tabs as spaces, CR as NL */
	tty_set_termios(tty, &t, false);
	KT_ASSERT(wr(tty, "ab\tc\r") == 5 && out_is(tty, "ab      c\n"));
	t.c_oflag = 0;
	tty_set_termios(tty, &t, false);
	KT_ASSERT(wr(tty, "raw\n") == 4 && out_is(tty, "raw\n"));
	free_tty(tty);
}

KTEST(tty_flow_control)
{
	struct tty *tty = new_tty();

	KT_ASSERT(tty);
	feed(tty, "\x13"); /* ^S */
	KT_ASSERT(tty->stopped && wr(tty, "held") == -EAGAIN);
	feed(tty, "\x11"); /* ^Q */
	KT_ASSERT(!tty->stopped && wr(tty, "go") == 2 && out_is(tty, "go"));
	KT_ASSERT(tty->head == tty->tail); /* both were consumed */
	set_flags(tty, 0, 0, 0, IXANY);
	feed(tty, "\023k\n");
	KT_ASSERT(!tty->stopped && read_is(tty, "k\n"));
	free_tty(tty);
}

KTEST(tty_full_queue)
{
	struct tty *tty = new_tty();
	struct capture *c;
	static char big[5000];
	char buf[512];
	size_t got = 0;
	ssize_t n;

	KT_ASSERT(tty);
	c = tty->driver_data;
	set_flags(tty, ECHO, 0, 0, 0);
	/* Canonical: a line keeps TTY_BUF_SIZE - 1 bytes; its newline still fits. */
	memset(big, 'x', sizeof(big));
	tty_receive(tty, (const uint8_t *)big, sizeof(big));
	KT_ASSERT(tty_receive_room(tty)); /* one unfinished line: its end must get in */
	feed(tty, "\n");
	KT_ASSERT(!tty_receive_room(tty) && c->throttled == 1);
	while ((n = rd(tty, buf, sizeof(buf) - 1)) > 0) {
		got += (size_t)n;
		if (buf[n - 1] == '\n')
			break;
	}
	KT_ASSERT(got == TTY_BUF_SIZE && tty->stats.dropped == sizeof(big) - (TTY_BUF_SIZE - 1));
	KT_ASSERT(c->throttled == 0 && tty_receive_room(tty)); /* the read resumed the driver */
	/* Raw: the driver is throttled when the queue fills, resumed as it drains. */
	set_flags(tty, ICANON, 0, 0, 0);
	tty_receive(tty, (const uint8_t *)big, TTY_BUF_SIZE - 1);
	KT_ASSERT(!tty_receive_room(tty) && c->throttled == 1);
	KT_ASSERT(rd(tty, buf, 100) == 100 && c->throttled == 0);
	free_tty(tty);
}
