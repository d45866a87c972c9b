/*
 * memfd_create: flags and names (EINVAL, EFAULT, MFD_CLOEXEC, the
 * "/memfd:NAME (deleted)" name in /proc/self/fd and maps), the file itself (read,
 * write, mmap shared across fork, ftruncate, fstat), and seals: F_GET_SEALS
 * and F_ADD_SEALS with each refusal (EPERM once F_SEAL_SEAL is set or
 * without MFD_ALLOW_SEALING, EBUSY for F_SEAL_WRITE while a shared mapping
 * may write, EINVAL for unknown seals and other files), and what each seal
 * forbids in write, ftruncate, fallocate, mmap and mprotect. Checked on
 * Linux.
 */
#define _GNU_SOURCE
#include "ut.h"

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef F_SEAL_FUTURE_WRITE
#define F_SEAL_FUTURE_WRITE 0x0010
#endif

static int sealable(void)
{
	return UT_NOERR(memfd_create("seals", MFD_ALLOW_SEALING));
}

UT_CASE(create_flags_and_names)
{
	char name[300], link[400], path[64];
	struct stat st;
	int fd, pfd[2];
	ssize_t n;

	UT_ERRNO(memfd_create("x", 0x100), EINVAL);
	memset(name, 'a', 250);
	name[250] = 0; /* one more than MFD_NAME_MAX */
	UT_ERRNO(memfd_create(name, 0), EINVAL);
	name[249] = 0;
	UT_NOERR(close(UT_NOERR(memfd_create(name, 0))));
	UT_ERRNO(memfd_create((const char *)8, 0), EFAULT);
	fd = UT_NOERR(memfd_create("hello", MFD_CLOEXEC));
	UT_EQ(fcntl(fd, F_GETFD), FD_CLOEXEC);
	UT_EQ(fcntl(fd, F_GETFL) & O_ACCMODE, O_RDWR);
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = UT_NOERR(readlink(path, link, sizeof(link) - 1));
	link[n] = 0;
	UT_EQ(strcmp(link, "/memfd:hello (deleted)"), 0);
	UT_NOERR(fstat(fd, &st));
	UT_EQ(st.st_mode, S_IFREG | 0777); /* no umask, as Linux */
	UT_EQ(st.st_nlink, 0);		   /* in no directory */
	UT_EQ(st.st_size, 0);
	UT_EQ(write(fd, "data", 4), 4);
	UT_EQ(pread(fd, name, 4, 0), 4);
	UT_EQ(memcmp(name, "data", 4), 0);
	UT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL); /* no MFD_ALLOW_SEALING */
	UT_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	close(fd);
	fd = UT_NOERR(memfd_create("nocloexec", 0));
	UT_EQ(fcntl(fd, F_GETFD), 0);
	close(fd);
	UT_NOERR(pipe(pfd));
	UT_ERRNO(fcntl(pfd[0], F_GET_SEALS), EINVAL);
	UT_ERRNO(fcntl(pfd[1], F_ADD_SEALS, F_SEAL_WRITE), EINVAL);
	UT_ERRNO(fcntl(pfd[0], F_ADD_SEALS, F_SEAL_WRITE), EPERM); /* not open for writing */
	close(pfd[0]);
	close(pfd[1]);
}

/* Whether the /proc/self/maps line of addr ends with name. */
static int maps_name_is(void *addr, const char *name)
{
	static char text[65536];
	int fd = UT_NOERR(open("/proc/self/maps", O_RDONLY)), found = 0;
	ssize_t n, len = 0;
	char *save = NULL;

	while ((n = read(fd, text + len, sizeof(text) - 1 - len)) > 0)
		len += n;
	close(fd);
	text[len] = 0;
	for (char *l = strtok_r(text, "\n", &save); l; l = strtok_r(NULL, "\n", &save)) {
		unsigned long start, end;
		size_t ll = strlen(l), nl = strlen(name);

		if (sscanf(l, "%lx-%lx ", &start, &end) == 2 && start <= (unsigned long)addr &&
		    (unsigned long)addr < end)
			found = ll > nl && !strcmp(l + ll - nl, name) && l[ll - nl - 1] == ' ';
	}
	return found;
}

UT_CASE(shared_mapping_across_fork)
{
	int fd = UT_NOERR(memfd_create("shm", 0));
	char *p;
	pid_t pid;

	UT_NOERR(ftruncate(fd, 8192));
	p = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_CHECK(p != MAP_FAILED);
	UT_CHECK(maps_name_is(p + 4096, "/memfd:shm (deleted)"));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		strcpy(p + 4096, "from the child");
		_exit(0);
	}
	UT_CHILD_OK(pid);
	UT_EQ(strcmp(p + 4096, "from the child"), 0);
	{
		char buf[16] = { 0 };

		UT_EQ(pread(fd, buf, 14, 4096), 14);
		UT_EQ(strcmp(buf, "from the child"), 0);
	}
	UT_NOERR(munmap(p, 8192));
	close(fd);
}

UT_CASE(shrink_and_grow_seals)
{
	int fd = sealable();

	UT_EQ(fcntl(fd, F_GET_SEALS), 0);
	UT_ERRNO(fcntl(fd, F_ADD_SEALS, 0x100), EINVAL);
	UT_NOERR(ftruncate(fd, 8192));
	UT_NOERR(fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK));
	UT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK);
	UT_ERRNO(ftruncate(fd, 4096), EPERM);
	UT_NOERR(ftruncate(fd, 12288));
	UT_NOERR(fcntl(fd, F_ADD_SEALS, F_SEAL_GROW));
	UT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SHRINK | F_SEAL_GROW);
	UT_ERRNO(ftruncate(fd, 16384), EPERM);
	UT_NOERR(ftruncate(fd, 12288));		    /* the same size: allowed */
	UT_ERRNO(pwrite(fd, "x", 1, 12288), EPERM); /* past the end */
	UT_EQ(pwrite(fd, "x", 1, 100), 1);	    /* inside */
	UT_ERRNO(fallocate(fd, 0, 8192, 8192), EPERM);
	UT_NOERR(fallocate(fd, 0, 0, 4096));
	UT_NOERR(fcntl(fd, F_ADD_SEALS, F_SEAL_SEAL));
	UT_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EPERM);
	UT_ERRNO(fcntl(fd, F_ADD_SEALS, 0), EPERM);
	UT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_SEAL | F_SEAL_SHRINK | F_SEAL_GROW);
	close(fd);
}

UT_CASE(write_seal)
{
	int fd = sealable();
	char *p, *q;

	UT_NOERR(ftruncate(fd, 4096));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_CHECK(p != MAP_FAILED);
	UT_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY); /* a writable shared mapping */
	UT_NOERR(munmap(p, 4096));
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	UT_CHECK(p != MAP_FAILED);
	UT_ERRNO(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE), EBUSY); /* could be made writable */
	UT_NOERR(munmap(p, 4096));
	q = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
	UT_CHECK(q != MAP_FAILED);
	UT_NOERR(fcntl(fd, F_ADD_SEALS, F_SEAL_WRITE)); /* a private one does not count */
	q[0] = 'p';					/* its own copy */
	UT_ERRNO(write(fd, "x", 1), EPERM);
	UT_ERRNO(pwrite(fd, "x", 1, 0), EPERM);
	UT_ERRNO(fallocate(fd, FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, 0, 4096), EPERM);
	UT_NOERR(ftruncate(fd, 8192)); /* the size is not the write seal's */
	UT_CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
	UT_EQ(errno, EPERM);
	p = mmap(NULL, 4096, PROT_READ, MAP_SHARED, fd, 0);
	UT_CHECK(p != MAP_FAILED);
	UT_ERRNO(mprotect(p, 4096, PROT_READ | PROT_WRITE), EACCES);
	UT_EQ(p[0], 0);
	UT_NOERR(munmap(p, 4096));
	UT_NOERR(munmap(q, 4096));
	close(fd);
}

UT_CASE(future_write_seal)
{
	int fd = sealable();
	char *p;

	UT_NOERR(ftruncate(fd, 4096));
	p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	UT_CHECK(p != MAP_FAILED);
	UT_NOERR(fcntl(fd, F_ADD_SEALS, F_SEAL_FUTURE_WRITE)); /* no EBUSY: old mappings stay */
	p[0] = 'w';
	UT_ERRNO(write(fd, "x", 1), EPERM);
	UT_CHECK(mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0) == MAP_FAILED);
	UT_EQ(errno, EPERM);
	{
		char c = 0;

		UT_EQ(pread(fd, &c, 1, 0), 1);
		UT_EQ(c, 'w');
	}
	UT_NOERR(munmap(p, 4096));
	UT_EQ(fcntl(fd, F_GET_SEALS), F_SEAL_FUTURE_WRITE);
	close(fd);
}
