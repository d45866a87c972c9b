/*
 * The tty layer (include/drivers/tty.h): Linux's line discipline (n_tty)
 * between a terminal driver and the programs that use it, and the
 * terminal ioctls and job control. The console (fs/console.c) is its user:
 * the UART's receive interrupt calls tty_receive, the console's file
 * operations call tty_read, tty_write, tty_ioctl and tty_poll.
 *
 * Input. Each received byte goes through input processing (ISTRIP, IXON
 * flow control, ISIG signal characters, IGNCR/ICRNL/INLCR), then into the
 * input queue, a ring of TTY_BUF_SIZE bytes: [tail, head) is queued. In
 * canonical mode (ICANON), [tail, canon_head) holds completed lines and
 * [canon_head, head) the line being edited, which ERASE, WERASE and KILL
 * shorten; a line ends at a position marked in the delim bitmap (a
 * newline, VEOL, VEOL2, or VEOF stored as a NUL byte that reads skip, so
 * that ^D at the start of a line makes a read return 0). In non-canonical
 * mode every byte is readable at once and VMIN/VTIME decide when a read
 * returns. Echo (ECHO, ECHOE, ECHOK, ECHOKE, ECHONL, ECHOCTL) is gathered
 * in a small buffer and written with output processing. Signal
 * characters flush the input (unless NOFLSH) and signal the foreground
 * group once the tty's lock is dropped.
 *
 * Reads wait without a kernel stack: with the tty's lock (wait.lock) held
 * and nothing to read, a read returns wait_block_locked()'s -EWAIT and is
 * run again when tty_receive wakes it. A read copies through a small
 * buffer, so user memory is never touched under the lock: it copies the
 * bytes out, drops the lock, copies them to the caller, and consumes them
 * only then, if no other reader or flush moved the tail meanwhile
 * (read_gen); a bad buffer loses no input.
 *
 * Writes go out in chunks; a driver whose output can fill (a pty slave,
 * drivers/pty.c) says how much room it has (ops->write_room, under
 * out_lock) and a write waits for more as a read waits for input, keeping
 * the count it wrote in its struct tty_write_progress. Echoes do not wait:
 * what finds no room is lost, as on Linux.
 *
 * Hang-up (tty_hangup, a pty master's close) ends the terminal for its
 * users: reads give 0, writes and ioctls -EIO, poll every event.
 *
 * Locks: proc_tree_lock, then a tty's lock, then its out_lock, then the
 * driver's locks (a pty's); the receive path takes the tty's lock and
 * out_lock only, and sends signals after dropping them. Drivers' throttle
 * and ctrl ops run under the tty's lock.
 */
#include <kernel/cred.h>
#include <drivers/tty.h>
#include <fs/vfs.h>
#include <kernel/proc.h>
#include <kernel/signal.h>
#include <kernel/thread.h>
#include <kernel/time.h>
#include <lib/compiler.h>
#include <lib/string.h>
#include <uapi/errno.h>
#include <uapi/fcntl.h>
#include <uapi/poll.h>

#define MASK	    (TTY_BUF_SIZE - 1)
#define READ_CHUNK  256 /* bytes a read moves per step, on the stack */
#define WRITE_CHUNK 128
#define SIG_IGN_K   1
#define SPEED	    38400
#define DISABLED    0 /* __DISABLED_CHAR: the VEOF marker, and a c_cc value that disables */

enum erase_kind {
	ERASE,
	WERASE,
	KILL
};

static const struct termios default_termios = {
	.c_iflag = ICRNL | IXON,
	.c_oflag = OPOST | ONLCR,
	.c_cflag = B38400 | CS8 | CREAD | HUPCL,
	.c_lflag = ISIG | ICANON | ECHO | ECHOE | ECHOK | ECHOCTL | ECHOKE | IEXTEN,
	.c_cc = { [VINTR] = 3,
		  [VQUIT] = 28,
		  [VERASE] = 127,
		  [VKILL] = 21,
		  [VEOF] = 4,
		  [VMIN] = 1,
		  [VSTART] = 17,
		  [VSTOP] = 19,
		  [VSUSP] = 26,
		  [VREPRINT] = 18,
		  [VDISCARD] = 15,
		  [VWERASE] = 23,
		  [VLNEXT] = 22 },
};

static LIST_HEAD(ttys); /* (proc_tree_lock) registered: hung up with sessions */

/* One batch of received bytes: echo gathered and signals to send afterwards. */
struct rx {
	struct tty *tty;
	size_t nech;
	char echo[TTY_ECHO_MAX];
	uint64_t sigs; /* sigbit()s for the foreground group */
	bool wake;     /* readers or stopped writers may go on */
};

#define L_SET(tty, f) (((tty)->termios.c_lflag & (f)) != 0)
#define I_SET(tty, f) (((tty)->termios.c_iflag & (f)) != 0)

static bool is_cntrl(uint8_t c)
{
	return c < 0x20 || c == 0x7f;
}

static bool is_word(uint8_t c)
{
	return (c >= '0' && c <= '9') || ((c | 0x20) >= 'a' && (c | 0x20) <= 'z') || c == '_';
}

/* A UTF-8 continuation byte (IUTF8): it takes no column and is erased with its lead. */
static bool is_continuation(const struct tty *tty, uint8_t c)
{
	return I_SET(tty, IUTF8) && (c & 0xc0) == 0x80;
}

/* Whether c is the control character idx; a c_cc of 0 matches nothing. */
static bool is_char(const struct tty *tty, int idx, uint8_t c)
{
	return tty->termios.c_cc[idx] != DISABLED && c == tty->termios.c_cc[idx];
}

/* The settings and state of a new terminal; the locks, wait source and identity stay. */
static void tty_reset(struct tty *tty)
{
	tty->termios = default_termios;
	tty->winsize = (struct winsize){ .ws_row = 24, .ws_col = 80 };
	tty->session = tty->pgrp = 0;
	tty->head = tty->canon_head = tty->tail = 0;
	tty->read_gen = tty->canon_column = tty->column = 0;
	tty->lnext = tty->stopped = tty->throttled = tty->hungup = false;
	tty->last_rx_ns = 0;
	memset(&tty->stats, 0, sizeof(tty->stats));
	memset(tty->delim, 0, sizeof(tty->delim));
}

void tty_init(struct tty *tty, const char *name, const struct tty_ops *ops, void *driver_data)
{
	memset(tty, 0, sizeof(*tty));
	tty->name = name;
	tty->ops = ops;
	tty->driver_data = driver_data;
	wait_source_init(&tty->wait, "tty");
	spin_init(&tty->out_lock, "tty-out");
	list_init(&tty->node);
	tty_reset(tty);
}

void tty_reuse(struct tty *tty)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);

	tty_reset(tty);
	spin_unlock_irqrestore(&tty->wait.lock, flags);
}

void tty_register(struct tty *tty)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);

	if (!tty->registered) {
		list_add_tail(&tty->node, &ttys);
		tty->registered = true;
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}

/* ---- output ---- */

/* Output processing of one byte into out (room for 8); returns the count. Caller holds out_lock. */
static size_t opost_byte(struct tty *tty, uint32_t oflag, uint8_t c, char *out)
{
	size_t spaces;

	assert_held(&tty->out_lock);
	switch (c) {
	case '\n':
		if (oflag & (ONLRET | ONLCR))
			tty->column = 0;
		if (!(oflag & ONLCR))
			break;
		out[0] = '\r';
		out[1] = '\n';
		return 2;
	case '\r':
		if ((oflag & ONOCR) && tty->column == 0)
			return 0;
		if (oflag & OCRNL) {
			c = '\n';
			if (oflag & ONLRET)
				tty->column = 0;
			break;
		}
		tty->column = 0;
		break;
	case '\t':
		spaces = 8 - (tty->column & 7);
		tty->column += spaces;
		if ((oflag & TABDLY) != XTABS)
			break;
		memset(out, ' ', spaces);
		return spaces;
	case '\b':
		if (tty->column > 0)
			tty->column--;
		break;
	default:
		if (is_cntrl(c))
			break;
		if ((oflag & OLCUC) && c >= 'a' && c <= 'z')
			c -= 'a' - 'A';
		if (!is_continuation(tty, c))
			tty->column++;
	}
	out[0] = (char)c;
	return 1;
}

/* Writes n bytes to the device with output processing. Caller holds out_lock. */
static void output(struct tty *tty, uint32_t oflag, const char *s, size_t n)
{
	char out[WRITE_CHUNK * 2];
	size_t k = 0;

	assert_held(&tty->out_lock);
	if (!(oflag & OPOST)) {
		tty->ops->write(tty, s, n);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		if (k + 8 > sizeof(out)) {
			tty->ops->write(tty, out, k);
			k = 0;
		}
		k += opost_byte(tty, oflag, (uint8_t)s[i], out + k);
	}
	if (k)
		tty->ops->write(tty, out, k);
}

/* ---- echo (caller holds the tty's lock) ---- */

static void echo_flush(struct rx *rx)
{
	struct tty *tty = rx->tty;

	unsigned long flags;

	if (!rx->nech)
		return;
	flags = spin_lock_irqsave(&tty->out_lock);
	output(tty, tty->termios.c_oflag, rx->echo, rx->nech);
	spin_unlock_irqrestore(&tty->out_lock, flags);
	rx->nech = 0;
}

static void echo_raw(struct rx *rx, uint8_t c)
{
	if (rx->nech == sizeof(rx->echo))
		echo_flush(rx);
	rx->echo[rx->nech++] = (char)c;
}

/* Echoes c as typed: a control character as ^X with ECHOCTL (not tab). */
static void echo_char(struct rx *rx, uint8_t c)
{
	if (L_SET(rx->tty, ECHOCTL) && is_cntrl(c) && c != '\t') {
		echo_raw(rx, '^');
		c ^= 0x40;
	}
	echo_raw(rx, c);
}

static void echo_erase_one(struct rx *rx)
{
	echo_raw(rx, '\b');
	echo_raw(rx, ' ');
	echo_raw(rx, '\b');
}

/* The line being edited starts here: note the column (for erasing tabs). */
static void mark_canon_column(struct rx *rx)
{
	struct tty *tty = rx->tty;

	if (tty->canon_head != tty->head)
		return;
	echo_flush(rx);
	tty->canon_column = READ_ONCE(tty->column);
}

/* ---- the input queue (caller holds the tty's lock) ---- */

static uint32_t queued(const struct tty *tty)
{
	return tty->head - tty->tail;
}

static bool is_delim(const struct tty *tty, uint32_t pos)
{
	pos &= MASK;
	return tty->delim[pos / 64] & (1ULL << (pos % 64));
}

static void set_delim(struct tty *tty, uint32_t pos, bool delim)
{
	uint64_t bit = 1ULL << (pos % 64);

	pos &= MASK;
	if (delim)
		tty->delim[pos / 64] |= bit;
	else
		tty->delim[pos / 64] &= ~bit;
}

static void put_byte(struct tty *tty, uint8_t c, bool delim)
{
	tty->buf[tty->head & MASK] = c;
	set_delim(tty, tty->head, delim);
	tty->head++;
}

/* Whether one more byte (a line end: delim) fits; canonical mode keeps a slot for the line end. */
static bool fits(const struct tty *tty, bool delim)
{
	uint32_t q = queued(tty);

	if (!L_SET(tty, ICANON) || delim)
		return q < TTY_BUF_SIZE;
	return q < TTY_BUF_SIZE - 1;
}

/* The rule tty_receive_room and the unthrottling follow. */
static bool has_room(const struct tty *tty)
{
	uint32_t q = queued(tty);

	/* A canonical queue that is one unfinished line still takes its end. */
	if (L_SET(tty, ICANON) && tty->canon_head == tty->tail)
		return q < TTY_BUF_SIZE;
	return q < TTY_BUF_SIZE - 1;
}

static void unthrottle(struct tty *tty)
{
	if (tty->throttled && has_room(tty)) {
		tty->throttled = false;
		if (tty->ops->throttle)
			tty->ops->throttle(tty, false);
	}
}

static void flush_input(struct tty *tty)
{
	tty->tail = tty->canon_head = tty->head;
	tty->read_gen++;
	tty->lnext = false;
	unthrottle(tty);
	if (tty->ops->ctrl)
		tty->ops->ctrl(tty, TIOCPKT_FLUSHREAD);
}

/* Bytes a read could take now: completed lines without VEOF markers, or everything. */
static uint32_t input_count(const struct tty *tty)
{
	uint32_t n = 0;

	if (!L_SET(tty, ICANON))
		return queued(tty);
	for (uint32_t pos = tty->tail; pos != tty->canon_head; pos++)
		n += !(is_delim(tty, pos) && tty->buf[pos & MASK] == DISABLED);
	return n;
}

/* For poll: a line, or (raw) VMIN bytes when VTIME is 0, else one (Linux's input_available_p). */
static bool readable(const struct tty *tty)
{
	unsigned vmin = tty->termios.c_cc[VMIN];

	if (L_SET(tty, ICANON))
		return tty->canon_head != tty->tail;
	return queued(tty) >= (vmin && !tty->termios.c_cc[VTIME] ? vmin : 1);
}

/* ---- receiving (caller holds the tty's lock) ---- */

/* A byte stored as data, echoed. */
static void receive_ordinary(struct rx *rx, uint8_t c)
{
	struct tty *tty = rx->tty;

	if (!fits(tty, false)) {
		tty->stats.dropped++;
		return;
	}
	if (L_SET(tty, ECHO)) {
		if (c == '\n') {
			echo_raw(rx, '\n');
		} else {
			mark_canon_column(rx);
			echo_char(rx, c);
		}
	}
	put_byte(tty, c, false);
	if (!L_SET(tty, ICANON))
		rx->wake = true;
}

/* Ends the line being edited with c (a VEOF marker when c is DISABLED). */
static void end_line(struct rx *rx, uint8_t c)
{
	struct tty *tty = rx->tty;

	if (!fits(tty, true)) {
		tty->stats.dropped++;
		return;
	}
	put_byte(tty, c, true);
	tty->canon_head = tty->head;
	rx->wake = true;
}

/* How many columns the tab being erased takes (Linux's echo_erase_tab). */
static unsigned tab_width(const struct tty *tty, uint32_t tab_pos)
{
	unsigned cols = 0;
	bool after_tab = false;

	for (uint32_t pos = tab_pos; pos != tty->canon_head;) {
		uint8_t c = tty->buf[--pos & MASK];

		if (c == '\t') {
			after_tab = true;
			break;
		}
		if (is_cntrl(c))
			cols += L_SET(tty, ECHOCTL) ? 2 : 0;
		else if (!is_continuation(tty, c))
			cols++;
	}
	if (!after_tab)
		cols += tty->canon_column;
	return 8 - (cols & 7);
}

/* Echoes the erasure of c, which was at pos; typed is the erase character. */
static void echo_erased(struct rx *rx, uint8_t c, uint32_t pos, uint8_t typed, enum erase_kind kind)
{
	struct tty *tty = rx->tty;

	if (kind == ERASE && !L_SET(tty, ECHOE)) {
		echo_char(rx, typed);
	} else if (c == '\t') {
		for (unsigned n = tab_width(tty, pos); n > 0; n--)
			echo_raw(rx, '\b');
	} else if (!is_cntrl(c)) {
		echo_erase_one(rx);
	} else if (L_SET(tty, ECHOCTL)) {
		echo_erase_one(rx); /* ^X takes two columns */
		echo_erase_one(rx);
	}
}

/* Removes the last character (a whole UTF-8 sequence with IUTF8); returns its lead byte. */
static uint8_t unput_char(struct tty *tty)
{
	uint8_t c;

	do {
		c = tty->buf[--tty->head & MASK];
	} while (tty->head != tty->canon_head && is_continuation(tty, c));
	return c;
}

/* ERASE, WERASE (a word and the blanks after it) and KILL (the line), after Linux's eraser. */
static void erase(struct rx *rx, uint8_t typed, enum erase_kind kind)
{
	struct tty *tty = rx->tty;
	bool seen_word = false;

	if (tty->head == tty->canon_head)
		return;
	if (kind == KILL && (!L_SET(tty, ECHO) || !L_SET(tty, ECHOK) || !L_SET(tty, ECHOKE) ||
			     !L_SET(tty, ECHOE))) {
		tty->head = tty->canon_head;
		if (L_SET(tty, ECHO)) {
			echo_char(rx, typed);
			if (L_SET(tty, ECHOK))
				echo_raw(rx, '\n');
		}
		return;
	}
	while (tty->head != tty->canon_head) {
		uint8_t c = tty->buf[(tty->head - 1) & MASK];

		if (kind == WERASE && is_word(c))
			seen_word = true;
		else if (kind == WERASE && seen_word)
			break;
		c = unput_char(tty);
		if (L_SET(tty, ECHO))
			echo_erased(rx, c, tty->head, typed, kind);
		if (kind == ERASE)
			break;
	}
}

/* VREPRINT: the typed character, a new line, and the line being edited again. */
static void reprint(struct rx *rx, uint8_t typed)
{
	struct tty *tty = rx->tty;

	echo_char(rx, typed);
	echo_raw(rx, '\n');
	for (uint32_t pos = tty->canon_head; pos != tty->head; pos++)
		echo_char(rx, tty->buf[pos & MASK]);
}

static bool is_erase(const struct tty *tty, uint8_t c)
{
	/* ^H erases too when VERASE is DEL: terminals send either for Backspace. */
	return is_char(tty, VERASE, c) || (c == '\b' && tty->termios.c_cc[VERASE] == 0x7f);
}

/* Canonical mode's special characters; false: c is data. */
static bool receive_canon(struct rx *rx, uint8_t c)
{
	struct tty *tty = rx->tty;
	bool iexten = L_SET(tty, IEXTEN), echo = L_SET(tty, ECHO);

	if (is_erase(tty, c) || is_char(tty, VKILL, c) || (iexten && is_char(tty, VWERASE, c))) {
		erase(rx, c, is_char(tty, VKILL, c) ? KILL : is_erase(tty, c) ? ERASE : WERASE);
	} else if (iexten && is_char(tty, VLNEXT, c)) {
		tty->lnext = true;
		if (echo && L_SET(tty, ECHOCTL)) {
			echo_raw(rx, '^');
			echo_raw(rx, '\b');
		}
	} else if (iexten && echo && is_char(tty, VREPRINT, c)) {
		reprint(rx, c);
	} else if (c == '\n') {
		if (echo || L_SET(tty, ECHONL))
			echo_raw(rx, '\n');
		end_line(rx, '\n');
	} else if (is_char(tty, VEOF, c)) {
		end_line(rx, DISABLED);
	} else if (is_char(tty, VEOL, c) || is_char(tty, VEOL2, c)) {
		if (echo) {
			mark_canon_column(rx);
			echo_char(rx, c);
		}
		end_line(rx, c);
	} else {
		return false;
	}
	return true;
}

/* ISIG: ^C, ^\ and ^Z signal the foreground group. */
static bool receive_signal(struct rx *rx, uint8_t c)
{
	struct tty *tty = rx->tty;
	int sig = is_char(tty, VINTR, c)   ? SIGINT
		  : is_char(tty, VQUIT, c) ? SIGQUIT
		  : is_char(tty, VSUSP, c) ? SIGTSTP
					   : 0;

	if (!sig)
		return false;
	if (!L_SET(tty, NOFLSH)) {
		flush_input(tty);
		rx->nech = 0; /* echoes not yet out go with the input */
	}
	rx->sigs |= sigbit(sig);
	tty->stats.signals++;
	tty->stats.last_signal = sig;
	if (I_SET(tty, IXON))
		tty->stopped = false;
	if (L_SET(tty, ECHO))
		echo_char(rx, c);
	rx->wake = true;
	return true;
}

/* Output stops or restarts; a pty's master hears of it (packet mode). Caller holds the lock. */
static void set_stopped(struct tty *tty, bool stop)
{
	if (tty->stopped != stop && tty->ops->ctrl)
		tty->ops->ctrl(tty, stop ? TIOCPKT_STOP : TIOCPKT_START);
	tty->stopped = stop;
}

/* IXON: VSTOP stops output, VSTART restarts it; both are consumed. */
static bool receive_flow(struct rx *rx, uint8_t c)
{
	struct tty *tty = rx->tty;

	if (is_char(tty, VSTART, c) && (!tty->stopped || !is_char(tty, VSTOP, c))) {
		set_stopped(tty, false);
		rx->wake = true;
		return true;
	}
	if (is_char(tty, VSTOP, c)) {
		set_stopped(tty, true);
		return true;
	}
	return false;
}

static void receive_byte(struct rx *rx, uint8_t c)
{
	struct tty *tty = rx->tty;

	if (I_SET(tty, ISTRIP))
		c &= 0x7f;
	if (tty->lnext) {
		tty->lnext = false;
		receive_ordinary(rx, c);
		return;
	}
	if (I_SET(tty, IXON) && receive_flow(rx, c))
		return;
	if (L_SET(tty, ISIG) && receive_signal(rx, c))
		return;
	if (tty->stopped && I_SET(tty, IXON) && I_SET(tty, IXANY)) {
		tty->stopped = false;
		rx->wake = true;
	}
	if (c == '\r') {
		if (I_SET(tty, IGNCR))
			return;
		if (I_SET(tty, ICRNL))
			c = '\n';
	} else if (c == '\n' && I_SET(tty, INLCR)) {
		c = '\r';
	}
	if (L_SET(tty, ICANON) && receive_canon(rx, c))
		return;
	receive_ordinary(rx, c);
}

static void send_signals(uint64_t sigs, int pgrp)
{
	for (int sig = 1; sigs && pgrp; sig++) {
		struct ksiginfo info = { .signo = sig, .code = SI_KERNEL };

		if (!(sigs & sigbit(sig)))
			continue;
		sigs &= ~sigbit(sig);
		signal_send_pgrp(pgrp, &info);
	}
}

void tty_receive(struct tty *tty, const uint8_t *buf, size_t n)
{
	struct rx rx = { .tty = tty };
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	int pgrp;

	for (size_t i = 0; i < n; i++)
		receive_byte(&rx, buf[i]);
	tty->stats.received += n;
	tty->last_rx_ns = clock_ns();
	echo_flush(&rx);
	pgrp = tty->pgrp;
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	if (rx.wake)
		wait_wake_all(&tty->wait);
	send_signals(rx.sigs, pgrp);
}

bool tty_receive_room(struct tty *tty)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	bool room = has_room(tty);

	if (!room && !tty->throttled) {
		tty->throttled = true;
		tty->stats.throttles++;
		if (tty->ops->throttle)
			tty->ops->throttle(tty, true);
	}
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return room;
}

long tty_receive_wait(struct tty *tty, unsigned f_flags)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	uint32_t q = queued(tty);
	long r;

	if (tty->hungup) {
		r = -EIO;
	} else if (has_room(tty)) {
		r = q < TTY_BUF_SIZE - 1 ? TTY_BUF_SIZE - 1 - q : 1;
	} else {
		/* A read that makes room calls ops->throttle(false): writers and pollers wake. */
		if (!tty->throttled)
			tty->stats.throttles++;
		tty->throttled = true;
		r = (f_flags & O_NONBLOCK) ? -EAGAIN : wait_block_locked(&tty->wait, 0);
	}
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return r;
}

/* ---- job control ---- */

static bool is_ctty(const struct process *p, const struct tty *tty)
{
	assert_held(&proc_tree_lock);
	return p->ctty == tty && tty->session && tty->session == p->sid;
}

static bool has_ctty(const struct process *p)
{
	const struct tty *tty = p->ctty;

	return tty && is_ctty(p, tty);
}

/* The calling user process, or NULL in a kernel thread (self-tests, the kernel's opens). */
static struct process *caller(void)
{
	struct thread *t = current_thread();

	return t->user ? t->proc : NULL;
}

struct orphan_check {
	int pgid;
	bool orphaned;
};

/* Linux's will_become_orphaned_pgrp: no member has a parent outside the group in the session. */
static void check_orphan(struct process *p, void *arg)
{
	struct orphan_check *c = arg;
	struct process *parent = p->parent;

	if (p->pgid != c->pgid || p->state == PROC_ZOMBIE || !parent || parent->pid == 1)
		return;
	if (parent->pgid != c->pgid && parent->sid == p->sid)
		c->orphaned = false;
}

static bool sig_ignored(struct thread *t, int sig)
{
	return (t->sigmask & sigbit(sig)) || t->proc->sigactions[sig - 1].handler == SIG_IGN_K;
}

/*
 * Linux's tty_check_change: a process of a background group using its
 * controlling terminal gets sig (SIGTTIN for reads; SIGTTOU for writes
 * with TOSTOP and for changing the settings) and the call restarts once
 * it is continued (-ERESTARTSYS). Ignored or blocked: reads fail with
 * -EIO, the rest go on. An orphaned group cannot be stopped: -EIO.
 */
static long job_control(struct tty *tty, int sig)
{
	struct ksiginfo info = { .signo = sig, .code = SI_KERNEL };
	struct process *p = caller();
	struct orphan_check c;
	unsigned long flags;
	long ret = 0;

	if (!p)
		return 0;
	flags = spin_lock_irqsave(&proc_tree_lock);
	c = (struct orphan_check){ p->pgid, true };
	if (is_ctty(p, tty) && tty->pgrp && p->pgid != tty->pgrp) {
		proc_for_each_locked(check_orphan, &c);
		if (sig_ignored(current_thread(), sig))
			ret = sig == SIGTTIN ? -EIO : 0;
		else
			ret = c.orphaned ? -EIO : -ERESTARTSYS;
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (ret == -ERESTARTSYS)
		signal_send_pgrp(c.pgid, &info);
	return ret;
}

/* ---- read, write, poll ---- */

/* What one step of a read takes: copy bytes, then skip more (a VEOF marker); line: stop after. */
struct take {
	uint32_t copy, skip;
	bool line;
};

static bool plan_canon(const struct tty *tty, size_t want, struct take *t)
{
	uint32_t pos = tty->tail, len, content;
	bool eof;

	if (pos == tty->canon_head)
		return false;
	while (pos + 1 != tty->canon_head && !is_delim(tty, pos))
		pos++;
	len = pos - tty->tail + 1;
	eof = is_delim(tty, pos) && tty->buf[pos & MASK] == DISABLED;
	content = len - eof;
	t->copy = MIN(want, (size_t)content);
	t->line = t->copy == content;
	t->skip = t->line ? eof : 0;
	return true;
}

static int plan_all(const struct tty *tty, size_t want, struct take *t)
{
	t->copy = MIN(want, (size_t)queued(tty));
	t->skip = 0;
	t->line = false;
	return 1;
}

/* Kernel threads (self-tests) read with O_NONBLOCK: only system calls wait here. */
static long block(struct tty *tty, unsigned f_flags, uint64_t deadline)
{
	if (f_flags & O_NONBLOCK)
		return -EAGAIN;
	return wait_block_locked(&tty->wait, deadline);
}

/* VMIN = 0, VTIME > 0: the read's deadline, fixed at its first run. */
static uint64_t vtime_deadline(unsigned vtime)
{
	struct tty_read_progress *tp = progress_tty_read(current_wait());

	if (!tp->deadline_ns)
		tp->deadline_ns = clock_ns() + vtime * 100 * NSEC_PER_MSEC;
	return tp->deadline_ns;
}

/* Non-canonical reads: Linux's VMIN/VTIME rules. */
static long plan_raw(struct tty *tty, size_t want, size_t done, unsigned f_flags, struct take *t)
{
	unsigned vmin = tty->termios.c_cc[VMIN], vtime = tty->termios.c_cc[VTIME];
	uint32_t avail = queued(tty);
	uint64_t deadline = 0;

	if (done)
		return avail ? plan_all(tty, want, t) : 0;
	if (avail >= (vmin ? MIN((size_t)vmin, want) : 1))
		return plan_all(tty, want, t);
	if (!vmin && !vtime)
		return 0;
	if (avail && (f_flags & O_NONBLOCK))
		return plan_all(tty, want, t);
	if (vtime && !(f_flags & O_NONBLOCK)) {
		if (!vmin)
			deadline = vtime_deadline(vtime);
		else if (avail)
			deadline = tty->last_rx_ns + vtime * 100 * NSEC_PER_MSEC;
		if (deadline && clock_ns() >= deadline)
			return avail ? plan_all(tty, want, t) : 0;
	}
	return block(tty, f_flags, deadline);
}

/* 1: take t; 0: the read returns what it has; < 0: an error or -EWAIT. Caller holds the lock. */
static long plan_read(struct tty *tty, size_t want, size_t done, unsigned f_flags, struct take *t)
{
	assert_held(&tty->wait.lock);
	if (tty->hungup)
		return 0; /* end of file */
	if (!L_SET(tty, ICANON))
		return plan_raw(tty, want, done, f_flags, t);
	if (plan_canon(tty, want, t))
		return 1;
	return done ? 0 : block(tty, f_flags, 0);
}

static void copy_out(const struct tty *tty, char *dst, uint32_t n)
{
	for (uint32_t i = 0; i < n; i++)
		dst[i] = (char)tty->buf[(tty->tail + i) & MASK];
}

ssize_t tty_read(struct tty *tty, const struct iobuf *buf, unsigned f_flags)
{
	char bounce[READ_CHUNK];
	size_t done = 0;
	long r = job_control(tty, SIGTTIN);

	if (r || !buf->len)
		return r;
	for (;;) {
		unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
		uint32_t gen = tty->read_gen, n;
		struct take t = { 0, 0, false };

		r = plan_read(tty, buf->len - done, done, f_flags, &t);
		if (r <= 0) {
			spin_unlock_irqrestore(&tty->wait.lock, flags);
			return done ? (ssize_t)done : r;
		}
		n = MIN(t.copy, (uint32_t)READ_CHUNK);
		copy_out(tty, bounce, n);
		spin_unlock_irqrestore(&tty->wait.lock, flags);
		if (n && iobuf_write(buf, done, bounce, n))
			return done ? (ssize_t)done : -EFAULT;
		flags = spin_lock_irqsave(&tty->wait.lock);
		if (tty->read_gen != gen) { /* another reader or a flush came first */
			spin_unlock_irqrestore(&tty->wait.lock, flags);
			continue;
		}
		tty->tail += n + (n == t.copy ? t.skip : 0);
		tty->read_gen++;
		unthrottle(tty);
		spin_unlock_irqrestore(&tty->wait.lock, flags);
		call_commit(); /* the input is consumed */
		done += n;
		if ((n == t.copy && t.line) || done == buf->len)
			return (ssize_t)done;
	}
}

/* Bytes of output one byte written can become (ONLCR: 2, XTABS: 8). */
static size_t expansion(uint32_t oflag)
{
	if (!(oflag & OPOST))
		return 1;
	return (oflag & TABDLY) == XTABS ? 8 : 2;
}

/*
 * A write that cannot go on: after done bytes, r (-EWAIT: it waits, and a
 * new run skips them; else the count, or the error when there is none).
 */
static ssize_t write_stops(struct tty *tty, size_t done, long r)
{
	struct wait *w = current_wait();

	if (r == -EWAIT) {
		if (tty->ops->write_room) {
			progress_tty_write(w)->done = done;
			call_progress_kept();
		}
		w->partial = (int64_t)done;
		return r;
	}
	if (tty->ops->write_room)
		progress_release_op(w);
	return done ? (ssize_t)done : r;
}

/* Up to n bytes of in to the device (fewer when it has less room); the count or an error. */
static long write_chunk(struct tty *tty, uint32_t oflag, const char *in, size_t n, unsigned f_flags)
{
	unsigned long flags = spin_lock_irqsave(&tty->out_lock);
	size_t exp = expansion(oflag);
	long room = tty->ops->write_room ? tty->ops->write_room(tty, exp, f_flags)
					 : (long)(n * exp);

	if (room > 0) {
		n = MIN(n, (size_t)room / exp);
		output(tty, oflag, in, n);
	}
	spin_unlock_irqrestore(&tty->out_lock, flags);
	return room > 0 ? (long)n : room;
}

ssize_t tty_write(struct tty *tty, const struct iobuf *buf, unsigned f_flags)
{
	char in[WRITE_CHUNK];
	unsigned long flags;
	size_t done = 0;
	uint32_t oflag;
	long r = 0;

	if (tty->ops->write_room) {
		done = progress_tty_write(current_wait())->done;
		if (done >= buf->len)
			done = 0;
	}
	if (!done && L_SET(tty, TOSTOP))
		r = job_control(tty, SIGTTOU);
	if (r)
		return write_stops(tty, 0, r);
	flags = spin_lock_irqsave(&tty->wait.lock);
	if (tty->hungup)
		r = -EIO;
	else if (tty->stopped)
		r = block(tty, f_flags, 0); /* ^S: until ^Q (the receive path wakes us) */
	oflag = tty->termios.c_oflag;
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	if (r)
		return write_stops(tty, done, r);
	while (done < buf->len) {
		size_t n = MIN(sizeof(in), buf->len - done);

		if (iobuf_read(in, buf, done, n))
			return write_stops(tty, done, -EFAULT);
		r = write_chunk(tty, oflag, in, n, f_flags);
		if (r < 0)
			return write_stops(tty, done, r);
		call_commit(); /* on the terminal: a new run would write it twice */
		done += (size_t)r;
	}
	return write_stops(tty, done, 0);
}

int tty_poll(struct tty *tty, bool register_wait)
{
	int mask = POLLOUT | POLLWRNORM;
	unsigned long flags;

	if (tty->ops->poll_out && (mask = tty->ops->poll_out(tty, register_wait)) < 0)
		return mask;
	if (register_wait && wait_add_source(&tty->wait))
		return -ENOMEM;
	flags = spin_lock_irqsave(&tty->wait.lock);
	if (readable(tty))
		mask |= POLLIN | POLLRDNORM;
	if (tty->hungup)
		mask |= POLLIN | POLLRDNORM | POLLOUT | POLLWRNORM | POLLERR | POLLHUP;
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return mask;
}

int tty_input_count(struct tty *tty)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	int n = (int)input_count(tty);

	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return n;
}

void tty_flush_input(struct tty *tty)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);

	flush_input(tty);
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	wait_wake_all(&tty->wait); /* a writer waiting for room */
}

/* ---- settings ---- */

static int put_int(uintptr_t arg, int v)
{
	return copy_to_user(arg, &v, sizeof(v));
}

static int get_termios(struct tty *tty, uintptr_t arg, bool with_speeds)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	struct termios2 t2;

	memcpy(&t2, &tty->termios, sizeof(struct termios));
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	t2.c_ispeed = t2.c_ospeed = SPEED;
	return copy_to_user(arg, &t2, with_speeds ? sizeof(t2) : sizeof(struct termios));
}

/* Whether ^S and ^Q are the flow control (packet mode's TIOCPKT_DOSTOP). */
static bool std_flow(const struct termios *t)
{
	return (t->c_iflag & IXON) && t->c_cc[VSTOP] == 19 && t->c_cc[VSTART] == 17;
}

/*
 * A change of settings: canonical mode makes what is queued a line
 * (Linux's "push"); a pty's master hears when ^S/^Q flow control comes or goes.
 */
static void settings_changed(struct tty *tty, const struct termios *old)
{
	bool canon = L_SET(tty, ICANON), was_canon = old->c_lflag & ICANON;

	if (canon && !was_canon) {
		if (queued(tty))
			set_delim(tty, tty->head - 1, true);
		tty->canon_head = tty->head;
	}
	if (!canon)
		tty->lnext = false;
	if (!I_SET(tty, IXON) && (old->c_iflag & IXON))
		tty->stopped = false;
	if (tty->ops->ctrl && std_flow(old) != std_flow(&tty->termios))
		tty->ops->ctrl(tty, std_flow(&tty->termios) ? TIOCPKT_DOSTOP : TIOCPKT_NOSTOP);
	unthrottle(tty);
}

void tty_set_termios(struct tty *tty, const struct termios *t, bool flush)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	struct termios old = tty->termios;

	tty->termios = *t;
	if (flush)
		flush_input(tty);
	settings_changed(tty, &old);
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	wait_wake_all(&tty->wait); /* readability may have changed */
}

static int set_termios(struct tty *tty, unsigned cmd, uintptr_t arg)
{
	bool v2 = cmd == TCSETS2 || cmd == TCSETSW2 || cmd == TCSETSF2;
	struct termios2 t2;
	struct termios t;
	long r = job_control(tty, SIGTTOU);

	if (r)
		return r;
	if (copy_from_user(&t2, arg, v2 ? sizeof(t2) : sizeof(t)))
		return -EFAULT;
	memcpy(&t, &t2, sizeof(t)); /* the speeds are not kept */
	tty_set_termios(tty, &t, cmd == TCSETSF || cmd == TCSETSF2);
	return 0;
}

static int get_winsize(struct tty *tty, uintptr_t arg)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	struct winsize ws = tty->winsize;

	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return copy_to_user(arg, &ws, sizeof(ws));
}

static int set_winsize(struct tty *tty, uintptr_t arg)
{
	struct ksiginfo info = { .signo = SIGWINCH, .code = SI_KERNEL };
	struct winsize ws;
	unsigned long flags;
	bool changed;
	int pgrp;

	if (copy_from_user(&ws, arg, sizeof(ws)))
		return -EFAULT;
	flags = spin_lock_irqsave(&tty->wait.lock);
	changed = memcmp(&ws, &tty->winsize, sizeof(ws)) != 0;
	tty->winsize = ws;
	pgrp = tty->pgrp;
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	if (changed && pgrp)
		signal_send_pgrp(pgrp, &info);
	return 0;
}

static int flush_ioctl(struct tty *tty, uintptr_t arg)
{
	unsigned long flags;
	long r;

	if (arg != TCIFLUSH && arg != TCOFLUSH && arg != TCIOFLUSH)
		return -EINVAL;
	r = job_control(tty, SIGTTOU);
	if (r)
		return r;
	if (arg != TCIFLUSH && tty->ops->flush_output)
		tty->ops->flush_output(tty); /* a console's output is never queued */
	if (arg == TCOFLUSH)
		return 0;
	flags = spin_lock_irqsave(&tty->wait.lock);
	flush_input(tty);
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return 0;
}

/* TCXONC: suspend or restart output (TCOOFF, TCOON), send VSTOP or VSTART (TCIOFF, TCION). */
static int flow_ioctl(struct tty *tty, uintptr_t arg)
{
	unsigned long flags, oflags;
	long r;
	uint8_t c;

	if (arg > TCION)
		return -EINVAL;
	r = job_control(tty, SIGTTOU);
	if (r)
		return r;
	flags = spin_lock_irqsave(&tty->wait.lock);
	if (arg == TCOOFF || arg == TCOON)
		set_stopped(tty, arg == TCOOFF);
	c = tty->termios.c_cc[arg == TCIOFF ? VSTOP : VSTART];
	if ((arg == TCIOFF || arg == TCION) && c != DISABLED) {
		oflags = spin_lock_irqsave(&tty->out_lock);
		tty->ops->write(tty, (const char *)&c, 1);
		spin_unlock_irqrestore(&tty->out_lock, oflags);
	}
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	wait_wake_all(&tty->wait);
	return 0;
}

static int input_queue_ioctl(struct tty *tty, uintptr_t arg)
{
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	int n = (int)input_count(tty);

	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return put_int(arg, n);
}

/* TIOCSTI: a byte as if typed; the caller's own terminal, or root. */
static int simulate_input(struct tty *tty, uintptr_t arg)
{
	struct process *p = caller();
	unsigned long flags;
	bool allowed = true;
	uint8_t c;

	if (p) {
		flags = spin_lock_irqsave(&proc_tree_lock);
		allowed = is_ctty(p, tty) || capable(CAP_SYS_ADMIN);
		spin_unlock_irqrestore(&proc_tree_lock, flags);
	}
	if (!allowed)
		return -EPERM;
	if (copy_from_user(&c, arg, 1))
		return -EFAULT;
	tty_receive(tty, &c, 1);
	return 0;
}

/* ---- sessions and process groups ---- */

struct session_clear {
	int sid;
	struct tty *tty;
};

static void clear_ctty(struct process *p, void *arg)
{
	struct session_clear *s = arg;

	if (p->sid == s->sid && p->ctty == s->tty)
		p->ctty = NULL;
}

/*
 * The session loses its terminal; returns the foreground group that was
 * (for SIGHUP). Caller holds proc_tree_lock.
 */
static int disassociate(struct tty *tty)
{
	struct session_clear s = { tty->session, tty };
	unsigned long flags;
	int pgrp;

	assert_held(&proc_tree_lock);
	proc_for_each_locked(clear_ctty, &s);
	flags = spin_lock_irqsave(&tty->wait.lock);
	pgrp = tty->pgrp;
	tty->session = tty->pgrp = 0;
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return pgrp;
}

static void hangup_signals(int pgrp)
{
	struct ksiginfo hup = { .signo = SIGHUP, .code = SI_KERNEL };
	struct ksiginfo cont = { .signo = SIGCONT, .code = SI_KERNEL };

	if (!pgrp)
		return;
	signal_send_pgrp(pgrp, &hup);
	signal_send_pgrp(pgrp, &cont);
}

/* TIOCGPGRP, TIOCGSID: for the caller's controlling terminal only. */
static long ctty_value(struct tty *tty, uintptr_t arg, bool sid)
{
	struct process *p = caller();
	unsigned long flags;
	int v = 0;
	long r = 0;

	if (!p)
		return -ENOTTY;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (!is_ctty(p, tty))
		r = -ENOTTY;
	else
		v = sid ? tty->session : tty->pgrp;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return r ? r : put_int(arg, v);
}

struct pgrp_probe {
	int pgid;
	bool found;
};

static void probe_pgrp(struct process *p, void *arg)
{
	struct pgrp_probe *pr = arg;

	pr->found |= (p->pgid == pr->pgid || p->pid == pr->pgid) && p->state != PROC_ZOMBIE;
}

/* TIOCSPGRP's checks and change; caller holds proc_tree_lock. */
static long set_pgrp_locked(struct process *p, struct tty *tty, int pgid)
{
	struct pgrp_probe pr = { pgid, false };
	unsigned long flags;

	assert_held(&proc_tree_lock);
	if (!is_ctty(p, tty))
		return -ENOTTY;
	if (pgid < 0)
		return -EINVAL;
	if (!pgrp_exists_in_session(pgid, p->sid)) {
		proc_for_each_locked(probe_pgrp, &pr);
		return pr.found ? -EPERM : -ESRCH;
	}
	flags = spin_lock_irqsave(&tty->wait.lock);
	tty->pgrp = pgid;
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return 0;
}

static long set_pgrp(struct tty *tty, uintptr_t arg)
{
	struct process *p = caller();
	unsigned long flags;
	bool ctty;
	long r;
	int pgid;

	if (!p)
		return -ENOTTY;
	flags = spin_lock_irqsave(&proc_tree_lock);
	ctty = is_ctty(p, tty);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	if (!ctty)
		return -ENOTTY;
	r = job_control(tty, SIGTTOU);
	if (r)
		return r == -EIO ? -ENOTTY : r;
	if (copy_from_user(&pgid, arg, sizeof(pgid)))
		return -EFAULT;
	flags = spin_lock_irqsave(&proc_tree_lock);
	r = set_pgrp_locked(p, tty, pgid);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return r;
}

/* TIOCSCTTY; caller holds proc_tree_lock. arg 1 lets root take a terminal from its session. */
static long set_ctty_locked(struct process *p, struct tty *tty, unsigned fmode, uintptr_t arg)
{
	unsigned long flags;

	assert_held(&proc_tree_lock);
	if (p->pid == p->sid && tty->session == p->sid)
		return 0; /* already ours */
	if (p->pid != p->sid || has_ctty(p))
		return -EPERM;
	if (tty->session && !(arg == 1 && capable(CAP_SYS_ADMIN)))
		return -EPERM;
	if (!(fmode & FMODE_READ) && !capable(CAP_SYS_ADMIN))
		return -EPERM;
	if (tty->session)
		disassociate(tty); /* stolen: no hangup, as Linux */
	p->ctty = tty;
	flags = spin_lock_irqsave(&tty->wait.lock);
	tty->session = p->sid;
	tty->pgrp = p->pgid;
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	return 0;
}

static long set_ctty(struct tty *tty, unsigned fmode, uintptr_t arg)
{
	struct process *p = caller();
	unsigned long flags;
	long r;

	if (!p)
		return -EPERM;
	flags = spin_lock_irqsave(&proc_tree_lock);
	r = set_ctty_locked(p, tty, fmode, arg);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return r;
}

/* TIOCNOTTY: the caller gives up its terminal; a session leader takes the session's with it. */
static long drop_ctty(struct tty *tty)
{
	struct process *p = caller();
	unsigned long flags;
	int pgrp = 0;

	if (!p)
		return -ENOTTY;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (!is_ctty(p, tty)) {
		spin_unlock_irqrestore(&proc_tree_lock, flags);
		return -ENOTTY;
	}
	if (p->pid == p->sid)
		pgrp = disassociate(tty);
	p->ctty = NULL;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	hangup_signals(pgrp);
	return 0;
}

struct tty *tty_current_ctty(void)
{
	struct process *p = caller();
	struct tty *tty = NULL;
	unsigned long flags;

	if (!p)
		return NULL;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (has_ctty(p))
		tty = p->ctty;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	return tty;
}

void tty_proc_stat(const struct process *p, uint32_t *dev, int *tpgid)
{
	const struct tty *tty = p->ctty;

	*dev = 0;
	*tpgid = -1;
	if (tty && is_ctty(p, tty)) {
		*dev = tty->dev;
		*tpgid = tty->pgrp ? tty->pgrp : -1;
	}
}

void tty_session_exit(struct process *p)
{
	unsigned long flags;
	struct tty *tty;
	int pgrp = 0;

	if (p->pid != p->sid)
		return;
	flags = spin_lock_irqsave(&proc_tree_lock);
	list_for_each_entry (tty, &ttys, node) {
		if (tty->session == p->sid) {
			pgrp = disassociate(tty); /* a session has one terminal */
			break;
		}
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	hangup_signals(pgrp);
}

static void forget_tty(struct process *p, void *arg)
{
	if (p->ctty == arg)
		p->ctty = NULL;
}

void tty_release(struct tty *tty)
{
	unsigned long flags = spin_lock_irqsave(&proc_tree_lock);

	proc_for_each_locked(forget_tty, tty);
	if (tty->registered) {
		list_del(&tty->node);
		tty->registered = false;
	}
	tty->session = tty->pgrp = 0;
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}

/* The session's leader (its controlling process), held, or NULL. Caller holds proc_tree_lock. */
static struct process *session_leader(int sid)
{
	struct process *p = sid ? proc_find(sid) : NULL;

	assert_held(&proc_tree_lock);
	if (!p || p->sid != sid || p->state == PROC_ZOMBIE)
		return NULL;
	proc_hold(p);
	return p;
}

void tty_hangup(struct tty *tty)
{
	struct ksiginfo hup = { .signo = SIGHUP, .code = SI_KERNEL };
	struct ksiginfo cont = { .signo = SIGCONT, .code = SI_KERNEL };
	unsigned long flags = spin_lock_irqsave(&tty->wait.lock);
	struct process *leader;

	tty->hungup = true; /* first: no open makes it a controlling terminal again */
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	flags = spin_lock_irqsave(&proc_tree_lock);
	leader = session_leader(tty->session);
	if (tty->session)
		disassociate(tty);
	spin_unlock_irqrestore(&proc_tree_lock, flags);
	/* Not under proc_tree_lock: the flush's ctrl op wakes a pty master's pollers. */
	flags = spin_lock_irqsave(&tty->wait.lock);
	flush_input(tty);
	tty->stopped = false;
	spin_unlock_irqrestore(&tty->wait.lock, flags);
	wait_wake_all(&tty->wait);
	if (leader) { /* as Linux's tty_signal_session_leader */
		signal_send(leader, &hup);
		signal_send(leader, &cont);
		proc_unhold(leader);
	}
}

void tty_open_ctty(struct tty *tty, unsigned fmode)
{
	struct process *p = caller();
	unsigned long flags, tflags;

	if (!p || (fmode & FMODE_NOCTTY))
		return;
	flags = spin_lock_irqsave(&proc_tree_lock);
	if (p->pid == p->sid && !has_ctty(p) && !tty->session && !READ_ONCE(tty->hungup)) {
		p->ctty = tty;
		tflags = spin_lock_irqsave(&tty->wait.lock);
		tty->session = p->sid;
		tty->pgrp = p->pgid;
		spin_unlock_irqrestore(&tty->wait.lock, tflags);
	}
	spin_unlock_irqrestore(&proc_tree_lock, flags);
}

/* ---- ioctl ---- */

static long misc_ioctl(struct tty *tty, unsigned cmd, uintptr_t arg)
{
	int v;

	switch (cmd) {
	case TCSBRK:
	case TCSBRKP:
		return job_control(tty, SIGTTOU); /* output is never queued: drained */
	case TIOCSBRK:
	case TIOCCBRK:
	case TIOCEXCL:
	case TIOCNXCL:
		return 0;
	case TIOCOUTQ:
		return put_int(arg, 0);
	case TIOCGETD:
		return put_int(arg, N_TTY);
	case TIOCSETD:
		if (copy_from_user(&v, arg, sizeof(v)))
			return -EFAULT;
		return v == N_TTY ? 0 : -EINVAL;
	default:
		return -ENOTTY;
	}
}

int tty_ioctl(struct tty *tty, unsigned fmode, unsigned cmd, uintptr_t arg)
{
	if (READ_ONCE(tty->hungup))
		return cmd == TIOCSPGRP ? -ENOTTY : -EIO; /* as Linux's hung_up_tty_ioctl */
	switch (cmd) {
	case TCGETS:
	case TCGETS2:
		return get_termios(tty, arg, cmd == TCGETS2);
	case TCSETS:
	case TCSETSW:
	case TCSETSF:
	case TCSETS2:
	case TCSETSW2:
	case TCSETSF2:
		return set_termios(tty, cmd, arg);
	case TIOCGWINSZ:
		return get_winsize(tty, arg);
	case TIOCSWINSZ:
		return set_winsize(tty, arg);
	case TIOCGPGRP:
		return ctty_value(tty, arg, false);
	case TIOCSPGRP:
		return set_pgrp(tty, arg);
	case TIOCGSID:
		return ctty_value(tty, arg, true);
	case TIOCSCTTY:
		return set_ctty(tty, fmode, arg);
	case TIOCNOTTY:
		return drop_ctty(tty);
	case FIONREAD:
		return input_queue_ioctl(tty, arg);
	case TCFLSH:
		return flush_ioctl(tty, arg);
	case TCXONC:
		return flow_ioctl(tty, arg);
	case TIOCSTI:
		return simulate_input(tty, arg);
	default:
		return misc_ioctl(tty, cmd, arg);
	}
}
