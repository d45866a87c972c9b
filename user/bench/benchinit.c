/*
 * benchinit: the init (pid 1) of the benchmark initramfs that
 * tools/bench.py boots on both Axolotl and Linux, as /init (where Linux
 * looks) and /sbin/init (where Axolotl looks). Static musl.
 *
 * 1. Mounts devtmpfs on /dev and proc on /proc (errors ignored: Axolotl
 *    mounts them itself) and opens /dev/console as fds 0, 1 and 2 when
 *    they are not open.
 * 2. Prints "benchinit: up UPTIME" (UPTIME from /proc/uptime): the host
 *    times boot-to-first-user-program by this line.
 * 3. Runs /bin/bench with the words of /etc/bench/args as its arguments
 *    and waits for it (reaping any other child).
 * 4. Copies each file named in /etc/bench/show (one path per line, e.g.
 *    /proc/axolotl/profile) to the console.
 * 5. Prints "benchinit: done STATUS" and powers off: reboot(RB_POWER_OFF)
 *    on Linux; where that fails (Axolotl has no reboot(2)) it exits, and
 *    Axolotl powers off when pid 1 exits.
 *
 * Output goes through write(2) only.
 */
#include <fcntl.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/reboot.h>
#include <sys/wait.h>
#include <unistd.h>

#define MAX_ARGS 64

static void say(const char *s)
{
	if (write(1, s, strlen(s)) < 0) {
		/* nowhere to report it */
	}
}

/* Reads a small file into buf (NUL-terminated); its length, or -1. */
static long slurp(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	long n = 0, r;

	if (fd < 0)
		return -1;
	while (n < (long)size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
		n += r;
	close(fd);
	buf[n] = 0;
	return n;
}

static void copy_to_console(const char *path)
{
	char buf[4096];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0) {
		say("benchinit: cannot open ");
		say(path);
		say("\n");
		return;
	}
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		if (write(1, buf, n) != n)
			break;
	close(fd);
}

static void setup(void)
{
	char up[64];

	mount("devtmpfs", "/dev", "devtmpfs", 0, NULL);
	mount("proc", "/proc", "proc", 0, NULL);
	if (fcntl(0, F_GETFD) < 0) {
		int fd = open("/dev/console", O_RDWR);

		if (fd >= 0) {
			dup2(fd, 0);
			dup2(fd, 1);
			dup2(fd, 2);
			if (fd > 2)
				close(fd);
		}
	}
	say("benchinit: up ");
	if (slurp("/proc/uptime", up, sizeof(up)) > 0)
		say(up); /* ends with a newline */
	else
		say("?\n");
}

/* Splits buf at white space into argv[1...]; argv[0] is /bin/bench. */
static void split_args(char *buf, char **argv)
{
	int argc = 1;

	argv[0] = "/bin/bench";
	for (char *tok = strtok(buf, " \t\n"); tok && argc < MAX_ARGS; tok = strtok(NULL, " \t\n"))
		argv[argc++] = tok;
	argv[argc] = NULL;
}

static int run_bench(void)
{
	static char args[4096];
	char *argv[MAX_ARGS + 1];
	char *envp[] = { "PATH=/bin", NULL };
	int status = 0;
	pid_t pid, w;

	if (slurp("/etc/bench/args", args, sizeof(args)) < 0)
		args[0] = 0;
	split_args(args, argv);
	pid = fork();
	if (pid == 0) {
		execve(argv[0], argv, envp);
		say("benchinit: cannot run /bin/bench\n");
		_exit(127);
	}
	if (pid < 0)
		return 126;
	while ((w = wait(&status)) != pid)
		if (w < 0)
			return 126;
	return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

static void show_files(void)
{
	static char list[4096];

	if (slurp("/etc/bench/show", list, sizeof(list)) <= 0)
		return;
	for (char *path = strtok(list, "\n"); path; path = strtok(NULL, "\n"))
		copy_to_console(path);
}

int main(void)
{
	char line[64] = "benchinit: done ";
	int status;
	size_t len;

	setup();
	status = run_bench();
	show_files();
	len = strlen(line);
	if (status >= 100)
		line[len++] = '0' + status / 100;
	if (status >= 10)
		line[len++] = '0' + status / 10 % 10;
	line[len++] = '0' + status % 10;
	line[len++] = '\n';
	line[len] = 0;
	say(line);
	sync();
	reboot(RB_POWER_OFF);
	return status;
}
