/*
 * init: the first user program (pid 1), /sbin/init in the initramfs.
 *
 * 1. Mounts proc on /proc, sysfs on /sys, devtmpfs on /dev, devpts on /dev/pts
 *    (gid=5,mode=620, as distributions) and tmpfs on /tmp, unless a file
 *    system is mounted there already (the kernel mounts /dev, /dev/pts and
 *    /proc itself); a kernel without mount(2) leaves /tmp on the root tmpfs.
 * 2. Makes sure fds 0, 1 and 2 are open (on /dev/console), starts a session
 *    and makes the console its controlling terminal (setsid, TIOCSCTTY).
 *    Mounts the first virtio disk that is not the root (/dev/vda when the
 *    root is the initramfs, /dev/vdb when the root is vda: the device whose
 *    st_rdev is not the st_dev of "/") at /mnt, ext2 read-write: that is
 *    the disk `./axl run --disk IMG` attaches. A disk that does not mount
 *    gets a message, and init goes on without it.
 * 3. Reads the command that `./axl run -- CMD ARGS...` left in /etc/axl/cmd
 *    (arguments each ending with a NUL byte, argv[0] first); without one it
 *    runs the shell, /bin/sh (busybox ash) as a login shell. The command or
 *    shell runs as init's child in its own process group, the terminal's
 *    foreground group, so that ^C reaches it and not init.
 * 4. Reaps every process that ends (orphans are reparented to init) until
 *    the command or shell has ended, and exits with its status: its exit
 *    code, or 128 + N when signal N killed it. The kernel powers the
 *    machine off with init's status, and ./axl exits with it.
 *
 * Steps the kernel cannot do yet (a missing system call, no job control)
 * fail quietly: init goes on without them.
 *
 * Output goes through write(2) only: no stdio buffers to lose on exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD_FILE "/etc/axl/cmd"
#define SHELL	 "/bin/sh"
#define MAX_CMD	 (128 * 1024)
#define MAX_ARGS 4096

static const char *const search_path[] = { "/bin", "/sbin", "/usr/bin", "/usr/sbin", "/tests" };
static char *const child_env[] = { "PATH=/bin:/sbin:/usr/bin:/usr/sbin:/tests", "HOME=/",
				   "TERM=linux", NULL };
/* Ignored by init, back to their defaults in its child. */
static const int job_signals[] = { SIGINT, SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU, SIGHUP };

static char cmd_buf[MAX_CMD + 1];
static char *cmd_argv[MAX_ARGS + 1];
static char *shell_argv[] = { "-sh", NULL }; /* a leading '-': a login shell */

static void say(const char *a, const char *b, const char *c)
{
	const char *parts[] = { "init: ", a, b, c, "\n" };

	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && *parts[i])
			write(2, parts[i], strlen(parts[i]));
}

/*
 * Mounts a file system of type on target unless one is mounted there already
 * (target on another device than /). EBUSY means the same; ENOSYS means a
 * kernel without mount(2), whose /tmp stays on the root tmpfs.
 */
static void mount_fs(const char *type, const char *target)
{
	struct stat root, st;

	if (stat("/", &root) == 0 && stat(target, &st) == 0 && st.st_dev != root.st_dev)
		return;
	if (mount(type, target, type, 0, NULL) == -1 && errno != EBUSY && errno != ENOSYS)
		say(target, ": mount: ", strerror(errno));
}

/* devpts on /dev/pts, unless one is there (the kernel's). */
static void mount_devpts(void)
{
	struct stat dev, pts;

	if (mkdir("/dev/pts", 0755) == -1 && errno != EEXIST)
		return;
	if (stat("/dev", &dev) == 0 && stat("/dev/pts", &pts) == 0 && pts.st_dev != dev.st_dev)
		return;
	if (mount("devpts", "/dev/pts", "devpts", MS_NOSUID | MS_NOEXEC, "gid=5,mode=620") == -1 &&
	    errno != ENODEV && errno != ENOSYS)
		say("/dev/pts", ": mount: ", strerror(errno));
}

/*
 * Mounts the first virtio disk (/dev/vda, vdb...) that is not the root at
 * /mnt, as ext2, unless a file system is mounted on /mnt already.
 */
static void mount_disk(void)
{
	char dev[] = "/dev/vda";
	struct stat root, st;

	if (stat("/", &root) == -1)
		return;
	for (char c = 'a'; c <= 'z'; c++) {
		dev[7] = c;
		if (stat(dev, &st) == -1)
			return; /* the disks are vda, vdb... without gaps */
		if (S_ISBLK(st.st_mode) && st.st_rdev != root.st_dev)
			break;
	}
	if (!S_ISBLK(st.st_mode) || st.st_rdev == root.st_dev)
		return;
	if (mkdir("/mnt", 0755) == -1 && errno != EEXIST) {
		say("/mnt: mkdir: ", strerror(errno), "; the disk is not mounted");
		return;
	}
	if (stat("/mnt", &st) == 0 && st.st_dev != root.st_dev)
		return; /* something is mounted there already */
	if (mount(dev, "/mnt", "ext2", 0, NULL) == -1)
		say(dev,
		    ": cannot mount it on /mnt as ext2, going on without it: ", strerror(errno));
}

static void open_console(void)
{
	struct stat st;

	for (int fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) == -1 && errno == EBADF)
			open("/dev/console", O_RDWR); /* gets the lowest free fd */
}

/*
 * A new session with the console as its controlling terminal. Both fail
 * harmlessly: setsid when init already leads a process group, TIOCSCTTY
 * when fd 0 is no terminal or the kernel has no sessions yet.
 */
static void take_console(void)
{
	setsid();
	ioctl(0, TIOCSCTTY, 0);
}

static void set_job_signals(void (*action)(int))
{
	for (unsigned i = 0; i < sizeof(job_signals) / sizeof(job_signals[0]); i++)
		signal(job_signals[i], action);
}

/*
 * Reads /etc/axl/cmd into cmd_argv. Returns the number of arguments, 0 when
 * there is no command, -1 when the file is unusable.
 */
static int read_command(void)
{
	int fd = open(CMD_FILE, O_RDONLY | O_CLOEXEC), argc = 0;
	size_t len = 0;
	ssize_t n;

	if (fd == -1)
		return errno == ENOENT ? 0 : (say(CMD_FILE ": ", strerror(errno), NULL), -1);
	while (len < MAX_CMD && (n = read(fd, cmd_buf + len, MAX_CMD - len)) != 0) {
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1) {
			say(CMD_FILE ": ", strerror(errno), NULL);
			close(fd);
			return -1;
		}
		len += n;
	}
	close(fd);
	if (len == MAX_CMD || (len > 0 && cmd_buf[len - 1] != '\0')) {
		say(CMD_FILE ": too long or not NUL-terminated", NULL, NULL);
		return -1;
	}
	for (size_t i = 0; i < len; i += strlen(cmd_buf + i) + 1) {
		if (argc == MAX_ARGS) {
			say(CMD_FILE ": too many arguments", NULL, NULL);
			return -1;
		}
		cmd_argv[argc++] = cmd_buf + i;
	}
	cmd_argv[argc] = NULL;
	return argc;
}

/* execve with a PATH search when argv[0] has no '/'; returns the errno. */
static int exec_command(const char *file, char **argv)
{
	char path[4096];
	int err = ENOENT;

	if (strchr(file, '/')) {
		execve(file, argv, child_env);
		return errno;
	}
	for (unsigned i = 0; i < sizeof(search_path) / sizeof(search_path[0]); i++) {
		size_t dl = strlen(search_path[i]), nl = strlen(file);
		if (dl + 1 + nl + 1 > sizeof(path)) {
			err = ENAMETOOLONG;
			continue;
		}
		memcpy(path, search_path[i], dl);
		path[dl] = '/';
		memcpy(path + dl + 1, file, nl + 1);
		execve(path, argv, child_env);
		if (errno != ENOENT && errno != ENOTDIR)
			err = errno; /* EACCES, ENOEXEC...: more telling than ENOENT */
	}
	return err;
}

/*
 * Starts file with argv as init's child, in a process group of its own that
 * becomes the terminal's foreground group. Both sides set the group, so
 * that it is set before the child runs the program whichever runs first
 * (the parent's setpgid fails with EACCES once the child has exec'd).
 */
static pid_t spawn(const char *file, char **argv)
{
	pid_t pid = fork();

	if (pid == -1) {
		say("fork: ", strerror(errno), NULL);
		return -1;
	}
	if (pid == 0) {
		int err;

		setpgid(0, 0);
		tcsetpgrp(0, getpid()); /* SIGTTOU is still ignored here */
		set_job_signals(SIG_DFL);
		err = exec_command(file, argv);
		say(file, ": ", strerror(err));
		_exit(127);
	}
	setpgid(pid, pid);
	tcsetpgrp(0, pid);
	return pid;
}

/* Reaps every child until cmd has ended; returns cmd's status for exit. */
static int reap_until(pid_t cmd)
{
	for (;;) {
		int status;
		pid_t pid = wait4(-1, &status, 0, NULL);

		if (pid == -1) {
			if (errno == EINTR)
				continue;
			say("wait4: ", strerror(errno), NULL);
			return 127;
		}
		if (pid != cmd)
			continue; /* an orphan, reaped */
		if (WIFEXITED(status))
			return WEXITSTATUS(status);
		if (WIFSIGNALED(status))
			return 128 + WTERMSIG(status);
	}
}

int main(void)
{
	int argc;
	pid_t pid;

	set_job_signals(SIG_IGN);
	mount_fs("devtmpfs", "/dev");
	mount_devpts();
	open_console();
	mount_fs("proc", "/proc");
	mount_fs("sysfs", "/sys");
	mount_fs("tmpfs", "/tmp");
	mount_disk();
	take_console();
	argc = read_command();
	if (argc < 0)
		return 127;
	if (argc > 0)
		pid = spawn(cmd_argv[0], cmd_argv);
	else
		pid = spawn(SHELL, shell_argv);
	return pid == -1 ? 127 : reap_until(pid);
}
