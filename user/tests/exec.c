/*
 * exec: execve and the initial process image. The program's own auxv and
 * initial stack (it was started by execve too), execve of itself as a
 * helper with argv and envp checked on the other side, static and
 * static-PIE programs, close-on-exec, "#!" scripts, execve from a thread,
 * and the errors: ENOENT, ENOTDIR, EACCES, ENOEXEC, E2BIG, EFAULT.
 *
 * Scripts and the bad files are written at run time into $TMPDIR (/tmp by
 * default). The helper programs are found next to this one, through
 * AT_EXECFN.
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <elf.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;
extern const char __ehdr_start[];
extern void _start(void);

/* The absolute path of this program (from AT_EXECFN and the cwd). */
static const char *self_path(void)
{
	static char path[PATH_MAX];
	const char *fn = (const char *)getauxval(AT_EXECFN);

	if (!path[0] && fn) {
		if (fn[0] == '/' || !getcwd(path, sizeof(path) - strlen(fn) - 2))
			snprintf(path, sizeof(path), "%s", fn);
		else
			snprintf(path + strlen(path), sizeof(path) - strlen(path), "/%s", fn);
	}
	return path;
}

/* A program next to this one: "hello", "hello-pie"... */
static const char *sibling(const char *name, char *buf, size_t size)
{
	const char *self = self_path(), *slash = strrchr(self, '/');

	snprintf(buf, size, "%.*s/%s", (int)(slash - self), self, name);
	return buf;
}

/* A scratch file path in $TMPDIR or /tmp, unique to this process. */
static const char *scratch(const char *name, char *buf, size_t size)
{
	const char *dir = getenv("TMPDIR");

	snprintf(buf, size, "%s/axl-exec-%d-%s", dir && dir[0] ? dir : "/tmp", (int)getpid(), name);
	return buf;
}

static void write_file(const char *path, const void *data, size_t len, mode_t mode)
{
	int fd = UT_NOERR(open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode));

	UT_EQ(write(fd, data, len), len);
	UT_EQ(close(fd), 0);
}

/* Forks; the child execs path with argv/envp; returns the child's status. */
static int spawn(const char *path, char *const argv[], char *const envp[])
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		execve(path, argv, envp);
		_exit(120);
	}
	return ut_wait(pid);
}

/* The errno of a failed execve, in a child (a late failure must not kill us). */
static int exec_errno(const char *path, char *const argv[], char *const envp[])
{
	volatile int *err = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1,
				 0);
	pid_t pid = UT_NOERR(fork());
	int e;

	if (pid == 0) {
		execve(path, argv, envp);
		*err = errno;
		_exit(0);
	}
	UT_EQ(ut_wait(pid), 0);
	e = *err;
	munmap((void *)err, 4096);
	return e;
}

UT_CASE(auxv_page_size_and_ids)
{
	UT_EQ(getauxval(AT_PAGESZ), 4096);
	UT_EQ(getauxval(AT_UID), getuid());
	UT_EQ(getauxval(AT_EUID), geteuid());
	UT_EQ(getauxval(AT_GID), getgid());
	UT_EQ(getauxval(AT_EGID), getegid());
	UT_EQ(getauxval(AT_SECURE), 0);
	UT_EQ(getauxval(AT_CLKTCK), 100);
	UT_NE(getauxval(AT_HWCAP), 0);
}

UT_CASE(auxv_program_headers)
{
	const Elf64_Ehdr *eh = (const Elf64_Ehdr *)__ehdr_start;
	const Elf64_Phdr *ph = (const Elf64_Phdr *)getauxval(AT_PHDR);

	UT_EQ(memcmp(eh->e_ident, ELFMAG, SELFMAG), 0);
	UT_EQ((long)ph, (long)(__ehdr_start + eh->e_phoff));
	UT_EQ(getauxval(AT_PHENT), sizeof(Elf64_Phdr));
	UT_EQ(getauxval(AT_PHNUM), eh->e_phnum);
	UT_EQ(getauxval(AT_ENTRY), (unsigned long)_start);
	int loads = 0;
	for (int i = 0; i < eh->e_phnum; i++)
		loads += ph[i].p_type == PT_LOAD;
	UT_CHECK(loads >= 1);
}

UT_CASE(auxv_random_16_bytes)
{
	const unsigned char *r = (const unsigned char *)getauxval(AT_RANDOM);
	int nonzero = 0;

	UT_CHECK(r != NULL);
	for (int i = 0; i < 16; i++)
		nonzero |= r[i];
	UT_CHECK(nonzero);
}

UT_CASE(auxv_execfn_names_this_program)
{
	const char *fn = (const char *)getauxval(AT_EXECFN), *base;
	const char *arg0 = strrchr(ut_argv[0], '/') ? strrchr(ut_argv[0], '/') + 1 : ut_argv[0];
	struct stat st;
	int fd;

	UT_CHECK(fn != NULL);
	base = strrchr(fn, '/') ? strrchr(fn, '/') + 1 : fn;
	UT_CHECK(!strcmp(base, arg0));
	fd = UT_NOERR(open(fn, O_RDONLY | O_CLOEXEC));
	UT_EQ(fstat(fd, &st), 0);
	UT_CHECK(S_ISREG(st.st_mode));
	close(fd);
}

UT_CASE(initial_stack_layout)
{
	char **p;
	Elf64_auxv_t *aux;
	int found_pagesz = 0;

	/* argc, then argv (NULL-terminated), envp (NULL-terminated), auxv. */
	UT_EQ(*(long *)(ut_argv - 1), ut_argc);
	UT_EQ((uintptr_t)(ut_argv - 1) % 16, 0); /* rsp was 16-byte aligned at entry */
	UT_CHECK(ut_argv[ut_argc] == NULL);
	UT_CHECK(environ == ut_argv + ut_argc + 1);
	for (p = environ; *p; p++)
		;
	for (aux = (Elf64_auxv_t *)(p + 1); aux->a_type != AT_NULL; aux++) {
		UT_EQ(getauxval(aux->a_type), aux->a_un.a_val);
		found_pagesz |= aux->a_type == AT_PAGESZ;
	}
	UT_CHECK(found_pagesz);
}

UT_CASE(tls_works_at_startup)
{
	static __thread int tls_value = 1234;
	unsigned long fs;

	UT_EQ(tls_value, 1234);
	UT_EQ(syscall(SYS_arch_prctl, ARCH_GET_FS, &fs), 0);
	UT_EQ(*(unsigned long *)fs, fs); /* the TCB's self pointer */
}

UT_CASE(execve_passes_argv_and_envp)
{
	char *argv[] = { (char *)self_path(), "--helper", "args", "one", "two words", "", NULL };
	char *envp[] = { "AXL_A=1", "AXL_B=two words", NULL };

	UT_EQ(spawn(self_path(), argv, envp), 0);
}

UT_CASE(execve_empty_environment)
{
	char *argv[] = { (char *)self_path(), "--helper", "noenv", NULL };
	char *envp[] = { NULL };

	UT_EQ(spawn(self_path(), argv, envp), 0);
}

UT_CASE(execve_static_and_static_pie)
{
	char path[PATH_MAX];
	char *argv[] = { "hello", "--helper", "exit", "7", NULL };

	UT_EQ(spawn(sibling("hello", path, sizeof(path)), argv, environ), 7);
	UT_EQ(spawn(sibling("hello-pie", path, sizeof(path)), argv, environ), 7);
}

UT_CASE(auxv_random_differs_between_execs)
{
	char *argv[] = { (char *)self_path(), "--helper", "random", NULL };
	int first = spawn(self_path(), argv, environ), differs = 0;

	/* The helper exits with AT_RANDOM's first byte: 4 equal bytes in a row
	 * happen by chance once in 2^24 runs. */
	for (int i = 0; i < 3; i++)
		differs |= spawn(self_path(), argv, environ) != first;
	UT_CHECK(differs);
}

UT_CASE(close_on_exec)
{
	int keep = UT_NOERR(open("/dev/null", O_RDONLY));
	int drop = UT_NOERR(open("/dev/null", O_RDONLY | O_CLOEXEC));
	char keep_s[16], drop_s[16];
	char *argv[] = { (char *)self_path(), "--helper", "fds", keep_s, drop_s, NULL };

	snprintf(keep_s, sizeof(keep_s), "%d", keep);
	snprintf(drop_s, sizeof(drop_s), "%d", drop);
	UT_EQ(spawn(self_path(), argv, environ), 0);
	close(keep);
	close(drop);
}

UT_CASE(script_runs_its_interpreter)
{
	char script[PATH_MAX], text[PATH_MAX + 64];
	char *argv[] = { "myscript", "a", "b c", NULL };

	scratch("script", script, sizeof(script));
	snprintf(text, sizeof(text), "#! %s --helper\t \nnot run\n", self_path());
	write_file(script, text, strlen(text), 0755);
	/* runs: SELF --helper SCRIPT a "b c" (the interpreter's argument is one word) */
	setenv("AXL_SCRIPT", script, 1);
	setenv("AXL_INTERP", self_path(), 1);
	UT_EQ(spawn(script, argv, environ), 0);
	unsetenv("AXL_SCRIPT");
	unsetenv("AXL_INTERP");
	unlink(script);
}

UT_CASE(script_with_missing_interpreter)
{
	char script[PATH_MAX];
	static const char text[] = "#!/nonexistent/interpreter\n";
	char *argv[] = { "x", NULL };

	scratch("badscript", script, sizeof(script));
	write_file(script, text, sizeof(text) - 1, 0755);
	UT_EQ(exec_errno(script, argv, environ), ENOENT);
	unlink(script);
}

UT_CASE(enoent_and_enotdir)
{
	char path[PATH_MAX];
	char *argv[] = { "x", NULL };

	UT_EQ(exec_errno("/nonexistent/program", argv, environ), ENOENT);
	UT_EQ(exec_errno("", argv, environ), ENOENT);
	snprintf(path, sizeof(path), "%s/x", self_path());
	UT_EQ(exec_errno(path, argv, environ), ENOTDIR);
}

UT_CASE(eacces_directory_and_no_exec_bit)
{
	char path[PATH_MAX];
	char *argv[] = { "x", NULL };
	static const char text[] = "#!/bin/sh\n";

	UT_EQ(exec_errno("/", argv, environ), EACCES);
	UT_EQ(exec_errno("/tmp", argv, environ), EACCES);
	scratch("noexec", path, sizeof(path));
	write_file(path, text, sizeof(text) - 1, 0644);
	UT_EQ(exec_errno(path, argv, environ), EACCES); /* even for root */
	unlink(path);
}

UT_CASE(enoexec_garbage_file)
{
	char path[PATH_MAX], junk[512];
	char *argv[] = { "x", NULL };

	for (unsigned i = 0; i < sizeof(junk); i++)
		junk[i] = (char)(i * 37 + 11);
	scratch("garbage", path, sizeof(path));
	write_file(path, junk, sizeof(junk), 0755);
	UT_EQ(exec_errno(path, argv, environ), ENOEXEC);
	write_file(path, "", 0, 0755); /* empty */
	UT_EQ(exec_errno(path, argv, environ), ENOEXEC);
	unlink(path);
}

UT_CASE(bad_elf_files_fail_cleanly)
{
	char path[PATH_MAX];
	char *argv[] = { "x", NULL };
	int fd = UT_NOERR(open(self_path(), O_RDONLY | O_CLOEXEC));
	static char image[4096];
	Elf64_Ehdr *eh = (Elf64_Ehdr *)image;
	int e;

	UT_EQ(read(fd, image, sizeof(image)), sizeof(image));
	close(fd);
	scratch("badelf", path, sizeof(path));

	/* The ELF header alone: the program headers are missing. Linux says
	 * ENOEXEC (some versions EIO, for the short read); either way the
	 * process survives to report it. */
	write_file(path, image, sizeof(Elf64_Ehdr), 0755);
	e = exec_errno(path, argv, environ);
	UT_CHECK(e == ENOEXEC || e == EIO);

	eh->e_machine = EM_386; /* wrong machine */
	write_file(path, image, sizeof(image), 0755);
	UT_EQ(exec_errno(path, argv, environ), ENOEXEC);

	/* (Linux does not look at e_ident[EI_CLASS]: no case for it.) */
	eh->e_machine = EM_X86_64;
	eh->e_type = ET_REL; /* not executable */
	write_file(path, image, sizeof(image), 0755);
	UT_EQ(exec_errno(path, argv, environ), ENOEXEC);

	eh->e_type = ET_EXEC;
	eh->e_phentsize = 12; /* wrong program header size */
	write_file(path, image, sizeof(image), 0755);
	UT_EQ(exec_errno(path, argv, environ), ENOEXEC);
	unlink(path);
}

UT_CASE(e2big_argument_too_long)
{
	size_t len = 256 * 1024; /* over MAX_ARG_STRLEN (128 KiB) */
	char *big = UT_NOERR(
		mmap(NULL, len + 1, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0));
	char *argv[] = { "x", big, NULL };
	char *envp[] = { big, NULL };

	memset(big, 'a', len);
	UT_EQ(exec_errno(self_path(), argv, environ), E2BIG);
	big[0] = 'A';
	big[1] = '=';
	char *argv1[] = { "x", NULL };
	UT_EQ(exec_errno(self_path(), argv1, envp), E2BIG);
	munmap(big, len + 1);
}

UT_CASE(efault_pointers)
{
	char *argv[] = { "x", NULL };
	char *bad_argv[] = { "x", (char *)1, NULL };

	UT_ERRNO(syscall(SYS_execve, 1, argv, environ), EFAULT);
	UT_ERRNO(syscall(SYS_execve, self_path(), 1, environ), EFAULT);
	UT_ERRNO(syscall(SYS_execve, self_path(), argv, 1), EFAULT);
	UT_EQ(exec_errno(self_path(), bad_argv, environ), EFAULT);
	UT_ERRNO(syscall(SYS_execve, 0xffff800000000000UL, argv, environ), EFAULT);
}

static void *exec_from_thread(void *arg)
{
	char **argv = arg;

	execve(argv[0], argv, environ);
	_exit(121);
}

static void *block(void *arg)
{
	static volatile int never;

	(void)arg;
	for (;;)
		syscall(SYS_futex, &never, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, 0, NULL);
	return NULL;
}

UT_CASE(execve_from_a_thread_ends_the_others)
{
	char *argv[] = { (char *)self_path(), "--helper", "pid", NULL };
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		pthread_t t;
		for (int i = 0; i < 3; i++)
			pthread_create(&t, NULL, block, NULL);
		pthread_create(&t, NULL, exec_from_thread, argv);
		block(NULL);
	}
	/* The new image keeps the process's pid and is alone in it. */
	UT_EQ(ut_wait(pid), 0);
}

/* ---- the helper side: "exec --helper WHAT ..." ---- */

static int helper_args(int argc, char **argv)
{
	static const char *const want_args[] = { "--helper", "args", "one", "two words", "" };
	static const char *const want_env[] = { "AXL_A=1", "AXL_B=two words" };
	int i;

	if (argc != 5)
		return 10;
	for (i = 0; i < 5; i++)
		if (strcmp(argv[i], want_args[i]))
			return 11 + i;
	if (argv[argc] != NULL)
		return 20;
	for (i = 0; environ[i]; i++)
		if (i >= 2 || strcmp(environ[i], want_env[i]))
			return 21 + i;
	return i == 2 ? 0 : 30;
}

static int helper_fds(char **argv)
{
	struct stat st;
	int keep = atoi(argv[1]), drop = atoi(argv[2]);

	if (fstat(keep, &st) != 0)
		return 1;
	if (fstat(drop, &st) == 0 || errno != EBADF)
		return 2;
	return 0;
}

/* As the interpreter of a script: argv = SELF --helper SCRIPT a "b c". */
static int helper_script(int argc, char **argv)
{
	const char *script = getenv("AXL_SCRIPT"), *interp = getenv("AXL_INTERP");

	if (argc != 4 || !script || !interp)
		return 10;
	if (strcmp(argv[1], script))
		return 11;
	if (strcmp(argv[2], "a") || strcmp(argv[3], "b c"))
		return 12;
	if (strcmp(ut_argv[0], interp))
		return 13; /* argv[0] is the interpreter's path */
	if (strcmp((const char *)getauxval(AT_EXECFN), script))
		return 14; /* AT_EXECFN names the script */
	return 0;
}

int ut_helper(int argc, char **argv)
{
	if (argc >= 2 && !strcmp(argv[1], "args"))
		return helper_args(argc, argv);
	if (argc == 2 && !strcmp(argv[1], "noenv"))
		return environ[0] == NULL ? 0 : 1;
	if (argc == 2 && !strcmp(argv[1], "random"))
		return ((unsigned char *)getauxval(AT_RANDOM))[0];
	if (argc == 4 && !strcmp(argv[1], "fds"))
		return helper_fds(argv + 1);
	if (argc == 2 && !strcmp(argv[1], "pid")) /* the thread took the leader's place */
		return getpid() == syscall(SYS_gettid) ? 0 : 1;
	if (getenv("AXL_SCRIPT"))
		return helper_script(argc, argv);
	return 99;
}
