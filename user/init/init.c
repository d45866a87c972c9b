/*
 * init: the first user program (pid 1), /sbin/init in the initramfs.
 *
 * Makes sure fds 0, 1 and 2 are open (on /dev/console), then reads the
 * command that `./axl run -- CMD ARGS...` left in /etc/axl/cmd (arguments
 * each ending with a NUL byte, argv[0] first). It runs the command as its
 * child, reaps every process that ends (orphans are reparented to init)
 * until the command itself has ended, and exits with the command's status:
 * its exit code, or 128 + N when signal N killed it. The kernel powers the
 * machine off with init's status, and ./axl exits with it.
 *
 * Without /etc/axl/cmd there is nothing to run yet: the shell arrives with
 * the next issue.
 *
 * Output goes through write(2) only: no stdio buffers to lose on exit.
 */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define CMD_FILE "/etc/axl/cmd"
#define MAX_CMD	 (128 * 1024)
#define MAX_ARGS 4096

static const char *const search_path[] = { "/bin", "/sbin", "/tests", "/usr/bin" };
static char *const child_env[] = { "PATH=/bin:/sbin:/tests:/usr/bin", "HOME=/", "TERM=linux",
				   NULL };

static char cmd_buf[MAX_CMD + 1];
static char *cmd_argv[MAX_ARGS + 1];

static void say(const char *a, const char *b, const char *c)
{
	const char *parts[] = { "init: ", a, b, c, "\n" };

	for (unsigned i = 0; i < sizeof(parts) / sizeof(parts[0]); i++)
		if (parts[i] && *parts[i])
			write(2, parts[i], strlen(parts[i]));
}

static void open_console(void)
{
	struct stat st;

	for (int fd = 0; fd < 3; fd++)
		if (fstat(fd, &st) == -1 && errno == EBADF)
			open("/dev/console", O_RDWR); /* gets the lowest free fd */
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
static int exec_command(char **argv)
{
	char path[4096];
	int err = ENOENT;

	if (strchr(argv[0], '/')) {
		execve(argv[0], argv, child_env);
		return errno;
	}
	for (unsigned i = 0; i < sizeof(search_path) / sizeof(search_path[0]); i++) {
		size_t dl = strlen(search_path[i]), nl = strlen(argv[0]);
		if (dl + 1 + nl + 1 > sizeof(path)) {
			err = ENAMETOOLONG;
			continue;
		}
		memcpy(path, search_path[i], dl);
		path[dl] = '/';
		memcpy(path + dl + 1, argv[0], nl + 1);
		execve(path, argv, child_env);
		if (errno != ENOENT && errno != ENOTDIR)
			err = errno; /* EACCES, ENOEXEC...: more telling than ENOENT */
	}
	return err;
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

	open_console();
	argc = read_command();
	if (argc < 0)
		return 127;
	if (argc == 0) {
		say("no command; the shell arrives with the next issue", NULL, NULL);
		return 0;
	}
	pid = fork();
	if (pid == -1) {
		say("fork: ", strerror(errno), NULL);
		return 127;
	}
	if (pid == 0) {
		int err = exec_command(cmd_argv);
		say(cmd_argv[0], ": ", strerror(err));
		_exit(127);
	}
	return reap_until(pid);
}
