/*
 * The tty layer (drivers/tty.c): a terminal device with Linux's line
 * discipline (N_TTY) between a driver and the programs that read and
 * write it. The driver (the serial console, fs/console.c over
 * drivers/uart16550.c; a test's capture buffer) gives its received bytes
 * to tty_receive, from its interrupt handler, and writes what tty_write
 * and the echo produce through ops->write. File operations (read, write,
 * ioctl, poll) of the device files call the tty_* functions below.
 *
 * Sessions and job control: a tty belongs to at most one session (the
 * controlling terminal of its processes: process->ctty == tty and
 * tty->session == process->sid) and has a foreground process group,
 * which its ISIG characters signal and which alone may read it.
 *
 * A pseudo-terminal's slave (drivers/pty.c) is a tty too, the same line
 * discipline: its driver's write puts the output in the master's queue,
 * which can fill, so it has write_room; the master's writes are its
 * received bytes (tty_receive_wait, then tty_receive). A pty can be hung
 * up (tty_hangup, the master's last close) and goes away (tty_release).
 */
#ifndef DRIVERS_TTY_H
#define DRIVERS_TTY_H

#include <lib/types.h>
#include <kernel/spinlock.h>
#include <kernel/wait.h>
#include <kernel/uaccess.h>
#include <fs/vfs.h>
#include <uapi/ioctl.h>
#include <uapi/termios.h>

#define TTY_BUF_SIZE 4096 /* input queue, as Linux's N_TTY_BUF_SIZE; a power of 2 */
#define TTY_ECHO_MAX 64	  /* echo bytes gathered before they go out */

struct tty;
struct process;

struct tty_ops {
	/* Sends n bytes to the device (output processing done); with out_lock held. */
	void (*write)(struct tty *tty, const char *buf, size_t n);
	/*
	 * Optional: stop (true) or resume (false) receiving; the driver leaves
	 * bytes in the device meanwhile. Called with the tty's lock held.
	 */
	void (*throttle)(struct tty *tty, bool stop);
	/*
	 * Optional (NULL: output never waits): the room for output, at least
	 * need bytes; else -EAGAIN (nonblocking f_flags) or -EWAIT after
	 * registering the caller on the driver's wait source, or -EIO. With
	 * out_lock held; write then takes that much.
	 */
	long (*write_room)(struct tty *tty, size_t need, unsigned f_flags);
	/* Optional: POLLOUT's part of poll (NULL: always writable). */
	int (*poll_out)(struct tty *tty, bool register_wait);
	/* Optional: drop output written but not yet taken (TCOFLUSH). */
	void (*flush_output)(struct tty *tty);
	/* Optional: a TIOCPKT_* event (flush, stop, start); with the tty's lock held. */
	void (*ctrl)(struct tty *tty, int status);
	/*
	 * Optional: /dev/tty opened as this terminal (the caller's controlling
	 * one): the driver takes the file f as an open of its own (its fops,
	 * its count), or fails (-EIO: the terminal is going away).
	 */
	int (*reopen)(struct tty *tty, struct file *f);
};

/* Counters, for tests and /proc (tty's lock). */
struct tty_stats {
	uint64_t received;  /* bytes given to tty_receive */
	uint64_t dropped;   /* bytes that found no room */
	uint64_t signals;   /* ISIG characters that signalled the foreground group */
	int last_signal;    /* the last of them */
	uint64_t throttles; /* times receiving was stopped for want of room */
};

/*
 * Lock key: (l) lock = wait.lock (the input side, the settings and the
 * job-control fields), (t) written with proc_tree_lock and lock both held
 * (so either is enough to read), (o) out_lock, (c) constant.
 */
struct tty {
	const char *name;		   /* (c) */
	uint32_t dev;			   /* (c) device number (MKDEV), for /proc/PID/stat */
	const struct tty_ops *ops;	   /* (c) */
	void *driver_data;		   /* (c) */
	struct wait_source wait;	   /* readers, stopped writers; its lock is the tty's */
	spinlock_t out_lock;		   /* whole writes and echoes on the wire */
	struct termios termios;		   /* (l) */
	struct winsize winsize;		   /* (l) */
	int session;			   /* (t) sid of the session it controls, 0: none */
	int pgrp;			   /* (t) foreground process group, 0: none */
	uint32_t head;			   /* (l) input bytes stored, ever (mod 2^32) */
	uint32_t canon_head;		   /* (l) end of the completed lines (canonical mode) */
	uint32_t tail;			   /* (l) input bytes consumed, ever */
	uint32_t read_gen;		   /* (l) bumped whenever tail moves (reads, flushes) */
	uint32_t canon_column;		   /* (l) output column where the line being edited began */
	bool lnext;			   /* (l) the next byte is taken literally (VLNEXT) */
	bool stopped;			   /* (l) output stopped (VSTOP, TCOOFF) */
	bool throttled;			   /* (l) the driver was told to stop receiving */
	bool hungup;			   /* (l) reads give 0, writes and ioctls -EIO */
	bool registered;		   /* (t) on the list of ttys (node) */
	struct list_head node;		   /* (t) on the list of ttys */
	uint64_t last_rx_ns;		   /* (l) when the last byte arrived (VTIME) */
	uint32_t column;		   /* (o) output column, for tabs and erasing */
	struct tty_stats stats;		   /* (l) */
	uint8_t buf[TTY_BUF_SIZE];	   /* (l) the input queue: [tail, head) */
	uint64_t delim[TTY_BUF_SIZE / 64]; /* (l) per position: a line ends there */
};

/* Sets up tty with Linux's default settings (a 24x80 window). */
void tty_init(struct tty *tty, const char *name, const struct tty_ops *ops, void *driver_data);
/*
 * Puts a tty on the list whose sessions its session leader's exit hangs up
 * (the console, ptys' slaves).
 */
void tty_register(struct tty *tty);
/*
 * The tty goes away (a pty's last close): off the list, and no process
 * keeps it as its controlling terminal. Caller frees or reuses it after;
 * tty_reuse resets the settings and queue of such a tty (its wait source
 * stays: late waiters may still look at it).
 */
void tty_release(struct tty *tty);
void tty_reuse(struct tty *tty);
/*
 * Hang-up (a pty master's last close): the session loses the terminal,
 * its leader gets SIGHUP and SIGCONT, reads give 0 (end of file), writes
 * and ioctls -EIO, and every waiter wakes.
 */
void tty_hangup(struct tty *tty);
/*
 * An open of the tty (not O_NOCTTY: fmode lacks FMODE_NOCTTY) by a session
 * leader without a controlling terminal makes it the session's, if no
 * session has it (as Linux's tty_open).
 */
void tty_open_ctty(struct tty *tty, unsigned fmode);

/*
 * The line discipline's input: n bytes received (input processing, line
 * editing, echo, signals). Callable from an interrupt handler: it takes
 * spinlocks only and wakes readers with wait_wake_all.
 */
void tty_receive(struct tty *tty, const uint8_t *buf, size_t n);
/*
 * Whether tty_receive can take one more byte now. When not, the tty
 * records that it is throttled (ops->throttle(true)) and resumes the
 * driver (ops->throttle(false)) once a reader has made room.
 */
bool tty_receive_room(struct tty *tty);
/*
 * For a writer that feeds the tty (a pty master): how many bytes
 * tty_receive can take now (> 0), else -EAGAIN (nonblocking f_flags) or
 * -EWAIT, registered on the tty's wait source: a read that makes room
 * unthrottles the driver (ops->throttle(false)), which wakes the source.
 */
long tty_receive_wait(struct tty *tty, unsigned f_flags);
/* Bytes queued for reading (FIONREAD). */
int tty_input_count(struct tty *tty);
/* Drops what is queued for reading (TCIFLUSH). */
void tty_flush_input(struct tty *tty);

/*
 * File operations. f_flags are the file's O_* status flags (O_NONBLOCK).
 * read and write may return -EWAIT (the call runs again), -EAGAIN,
 * -ERESTARTSYS (job control stopped the caller), -EIO.
 */
ssize_t tty_read(struct tty *tty, const struct iobuf *buf, unsigned f_flags);
ssize_t tty_write(struct tty *tty, const struct iobuf *buf, unsigned f_flags);
/* fmode: the file's FMODE_* bits (TIOCSCTTY on a file not open for reading). */
int tty_ioctl(struct tty *tty, unsigned fmode, unsigned cmd, uintptr_t arg);
/* POLL* bits; with register_wait, registers the poller on the tty first. */
int tty_poll(struct tty *tty, bool register_wait);
/* TCSETS's work (TCSETSF: flush): mode changes take effect on what is queued. */
void tty_set_termios(struct tty *tty, const struct termios *t, bool flush);
/* The calling process's controlling terminal, or NULL (/dev/tty). */
struct tty *tty_current_ctty(void);

/*
 * For /proc/PID/stat: the device number of p's controlling terminal and
 * its foreground group (0 and -1 without one). Caller holds proc_tree_lock.
 */
void tty_proc_stat(const struct process *p, uint32_t *dev, int *tpgid);

/*
 * Hook of the exit path (kernel/proc.c): p's last thread is gone. A
 * session leader's exit hangs up its controlling terminal: SIGHUP and
 * SIGCONT to the foreground group, and the session loses the terminal.
 */
void tty_session_exit(struct process *p);

#endif /* DRIVERS_TTY_H */
