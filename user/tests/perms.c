/*
 * perms: file access checks. Run as root; each case makes its files as
 * root in a fresh directory under $PERMS_BASE (default /tmp: tmpfs; the
 * system tests run it again on an ext2 root), then forks children that
 * drop to uid 1000, gid 1000 with supplementary groups 2000 and 2001 (set
 * by root before setuid) and check every rule with Linux's errno: reading
 * and writing others' files, the owner/group/other classes, creating in
 * root's directories, search permission on each directory of a path (dirfd
 * walks, "..", symlinks), new files' owner and group (set-group-ID
 * directories), umask, the sticky bit, chmod/chown and the set-ID bits
 * they and writes clear, utimensat, truncate, O_NOATIME, access() with
 * real and effective ids, mknod, exec, chdir/chroot, rename, and what
 * root's capabilities override (without dropping them: capset is another
 * part of the work).
 */
#define _GNU_SOURCE
#include "linux.h"
#include "ut.h"

#include <dirent.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef RENAME_EXCHANGE
#define RENAME_EXCHANGE (1 << 1)
#endif

#define USER  1000
#define GROUP 1000
#define SUPP1 2000
#define SUPP2 2001
#define OTHER 3000 /* a group the user is not in */

static char work[256]; /* this case's directory */

/* work/name into a static buffer (one of four, so that a call may take two). */
static const char *P(const char *name)
{
	static char bufs[4][PATH_MAX];
	static int next;
	char *b = bufs[next++ & 3];

	snprintf(b, PATH_MAX, "%s/%s", work, name);
	return b;
}

static void rm_rf(const char *path)
{
	struct stat st;
	DIR *d;
	struct dirent *e;

	if (lstat(path, &st))
		return;
	if (!S_ISDIR(st.st_mode)) {
		unlink(path);
		return;
	}
	chmod(path, 0700);
	d = opendir(path);
	while (d && (e = readdir(d))) {
		char sub[PATH_MAX];

		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		snprintf(sub, sizeof(sub), "%s/%s", path, e->d_name);
		rm_rf(sub);
	}
	if (d)
		closedir(d);
	rmdir(path);
}

/* A fresh work directory, 0755 root:root, for the case. */
static void setup(void)
{
	const char *base = getenv("PERMS_BASE");

	snprintf(work, sizeof(work), "%s/perms.%d", base ? base : "/tmp", (int)getpid());
	rm_rf(work);
	UT_NOERR(mkdir(work, 0755));
	UT_NOERR(chmod(work, 0755));
	umask(022);
}

/* A file as root with this content, owner, group and mode. */
static void make_file(const char *name, const char *data, uid_t uid, gid_t gid, mode_t mode)
{
	int fd = UT_NOERR(open(P(name), O_CREAT | O_WRONLY | O_TRUNC, 0600));

	UT_EQ(write(fd, data, strlen(data)), (long)strlen(data));
	UT_NOERR(close(fd));
	UT_NOERR(chown(P(name), uid, gid));
	UT_NOERR(chmod(P(name), mode));
}

static void make_dir(const char *name, uid_t uid, gid_t gid, mode_t mode)
{
	UT_NOERR(mkdir(P(name), 0700));
	UT_NOERR(chown(P(name), uid, gid));
	UT_NOERR(chmod(P(name), mode));
}

/* Becomes uid USER, gid GROUP, groups SUPP1 and SUPP2: root sets them before it goes. */
static void drop_to_user(void)
{
	gid_t groups[] = { SUPP1, SUPP2 };

	UT_NOERR(setgroups(2, groups));
	UT_NOERR(setresgid(GROUP, GROUP, GROUP));
	UT_NOERR(setresuid(USER, USER, USER));
	UT_EQ(geteuid(), USER);
}

/* Runs fn in a child that dropped to the user; the case fails if a check there does. */
static void as_user(void (*fn)(void))
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		drop_to_user();
		umask(022);
		fn();
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

static mode_t mode_of(const char *path)
{
	struct stat st;

	UT_NOERR(lstat(path, &st));
	return st.st_mode & 07777;
}

static void owner_is(const char *path, uid_t uid, gid_t gid)
{
	struct stat st;

	UT_NOERR(lstat(path, &st));
	UT_EQ(st.st_uid, uid);
	UT_EQ(st.st_gid, gid);
}

static int open_ok(const char *path, int flags)
{
	int fd = open(path, flags, 0644);

	if (fd >= 0)
		close(fd);
	return fd >= 0 ? 0 : -1;
}

static void finish(void)
{
	rm_rf(work);
}

/* ---- reading and writing: the three classes ---- */

static void user_reads_and_writes(void)
{
	char buf[8];
	int fd;

	UT_ERRNO(open(P("root600"), O_RDONLY), EACCES);
	UT_ERRNO(open(P("root600"), O_WRONLY), EACCES);
	UT_ERRNO(open(P("root600"), O_RDWR), EACCES);
	UT_ERRNO(open(P("root644"), O_RDONLY | O_TRUNC), EACCES); /* O_TRUNC asks for write */
	UT_NOERR(open_ok(P("root600"), O_PATH));		  /* no permission on the file */
	UT_NOERR(access(P("root600"), F_OK));
	fd = UT_NOERR(open(P("root644"), O_RDONLY));
	UT_EQ(read(fd, buf, sizeof(buf)), 4);
	close(fd);
	UT_ERRNO(open(P("root644"), O_WRONLY), EACCES);
	UT_ERRNO(open(P("root644"), O_RDWR | O_APPEND), EACCES);
	/* The owner's class decides even when the others' bits would allow. */
	UT_ERRNO(open(P("mine066"), O_RDONLY), EACCES);
	/* The group's class likewise: group 1000 gets 0, the others would get r. */
	UT_ERRNO(open(P("grp604"), O_RDONLY), EACCES);
	/* A supplementary group counts. */
	UT_NOERR(open_ok(P("supp040"), O_RDONLY));
	UT_ERRNO(open(P("supp040"), O_WRONLY), EACCES);
	UT_NOERR(open_ok(P("other006"), O_RDWR));
	/* /dev/null is 0666 root: anyone. */
	UT_NOERR(open_ok("/dev/null", O_RDWR));
}

UT_CASE(read_write_classes)
{
	setup();
	make_file("root600", "data", 0, 0, 0600);
	make_file("root644", "data", 0, 0, 0644);
	make_file("mine066", "data", USER, OTHER, 0066);
	make_file("grp604", "data", 0, GROUP, 0604);
	make_file("supp040", "data", 0, SUPP2, 0040);
	make_file("other006", "data", 0, OTHER, 0006);
	as_user(user_reads_and_writes);
	/* Root reads and writes a file with no bits at all (CAP_DAC_OVERRIDE). */
	make_file("none", "data", USER, GROUP, 0000);
	UT_NOERR(open_ok(P("none"), O_RDWR));
	finish();
}

/* ---- creating: write and search on the parent ---- */

static void user_creates(void)
{
	UT_ERRNO(open(P("d755/x"), O_CREAT | O_WRONLY, 0644), EACCES);
	UT_ERRNO(mkdir(P("d755/y"), 0755), EACCES);
	UT_ERRNO(mknod(P("d755/fifo"), S_IFIFO | 0644, 0), EACCES);
	UT_ERRNO(symlink("target", P("d755/link")), EACCES);
	UT_ERRNO(link(P("d777/mine"), P("d755/hard")), EACCES);
	UT_ERRNO(rename(P("d777/mine"), P("d755/moved")), EACCES);
	/* An existing name: EEXIST before the write check, as Linux. */
	UT_ERRNO(mkdir(P("d755"), 0755), EEXIST);
	UT_ERRNO(open(P("d755/f"), O_CREAT | O_EXCL | O_WRONLY, 0644), EEXIST);
	/* O_CREAT of an existing file needs no write permission on the directory. */
	UT_NOERR(open_ok(P("d755/f"), O_CREAT | O_RDONLY));
	/* A 0700 directory: no search, so even the name's absence is hidden. */
	UT_ERRNO(open(P("d700/x"), O_CREAT | O_WRONLY, 0644), EACCES);
	UT_ERRNO(open(P("d700/f"), O_RDONLY), EACCES);
	UT_ERRNO(mkdir(P("d700/y"), 0755), EACCES);
	/* -wx: create and use names, but not list them. */
	UT_NOERR(open_ok(P("d733/new"), O_CREAT | O_WRONLY));
	UT_ERRNO(open(P("d733"), O_RDONLY | O_DIRECTORY), EACCES);
	UT_NOERR(unlink(P("d733/new")));
	/* The new file in 1777 is ours. */
	UT_NOERR(mkdir(P("d777/sub"), 0755));
	UT_NOERR(link(P("d777/mine"), P("d777/hard")));
	UT_NOERR(symlink("mine", P("d777/sym")));
	UT_NOERR(mknod(P("d777/fifo"), S_IFIFO | 0600, 0));
}

UT_CASE(create_needs_write_and_search_on_parent)
{
	setup();
	make_dir("d755", 0, 0, 0755);
	make_dir("d700", 0, 0, 0700);
	make_dir("d733", 0, 0, 0733);
	make_dir("d777", 0, 0, 0777);
	make_file("d755/f", "x", 0, 0, 0644);
	make_file("d700/f", "x", 0, 0, 0644);
	make_file("d777/mine", "x", USER, GROUP, 0644);
	as_user(user_creates);
	/* Root creates in a 0555 directory. */
	make_dir("d555", USER, GROUP, 0555);
	UT_NOERR(open_ok(P("d555/rootfile"), O_CREAT | O_WRONLY));
	finish();
}

/* ---- search permission along the path ---- */

static int dirfd_b = -1; /* a/b, opened by root before the drop */

static void user_searches(void)
{
	struct stat st;

	UT_ERRNO(stat(P("a/b/c/file"), &st), EACCES); /* a is 0700 */
	UT_ERRNO(access(P("a/b"), F_OK), EACCES);
	UT_NOERR(stat(P("a"), &st)); /* the last component's own mode does not matter */
	UT_ERRNO(chdir(P("a")), EACCES);
	/* Walks from a descriptor check the directories below it. */
	UT_ERRNO(fstatat(dirfd_b, "c/file", &st, 0), EACCES); /* b: rw-, no x */
	UT_ERRNO(openat(dirfd_b, "c", O_RDONLY | O_DIRECTORY), EACCES);
	/* A symlink into a directory we may not search. */
	UT_ERRNO(stat(P("open/link"), &st), EACCES);
	UT_NOERR(lstat(P("open/link"), &st));
	/* ".." needs search on the directory it starts from. */
	UT_ERRNO(stat(P("open/shut/.."), &st), EACCES);
	UT_NOERR(stat(P("open/shut"), &st));
}

UT_CASE(search_permission_on_every_directory)
{
	setup();
	make_dir("a", 0, 0, 0700);
	make_dir("a/b", 0, 0, 0766);
	make_dir("a/b/c", 0, 0, 0755);
	make_file("a/b/c/file", "x", 0, 0, 0644);
	make_dir("open", 0, 0, 0755);
	make_dir("open/shut", 0, 0, 0644);
	UT_NOERR(symlink(P("a/b/c/file"), P("open/link")));
	dirfd_b = UT_NOERR(open(P("a/b"), O_RDONLY | O_DIRECTORY));
	as_user(user_searches);
	close(dirfd_b);
	/* Root searches a directory with no bits (CAP_DAC_READ_SEARCH). */
	UT_NOERR(chmod(P("a"), 0));
	UT_NOERR(access(P("a/b/c/file"), R_OK));
	finish();
}

/* ---- new files: owner, group, set-group-ID directories, umask ---- */

static void user_makes_files(void)
{
	umask(0);
	UT_NOERR(open_ok(P("d777/f"), O_CREAT | O_WRONLY));
	owner_is(P("d777/f"), USER, GROUP);
	UT_NOERR(mkdir(P("d777/d"), 0777));
	owner_is(P("d777/d"), USER, GROUP);
	UT_NOERR(symlink("f", P("d777/l")));
	owner_is(P("d777/l"), USER, GROUP);
	/* In a set-group-ID directory: its group, and S_ISGID on new directories. */
	UT_NOERR(open_ok(P("sgid/f"), O_CREAT | O_WRONLY));
	owner_is(P("sgid/f"), USER, SUPP1);
	UT_NOERR(mkdir(P("sgid/d"), 0755));
	owner_is(P("sgid/d"), USER, SUPP1);
	UT_EQ(mode_of(P("sgid/d")), 02755);
	UT_NOERR(mkdir(P("sgid/d/deeper"), 0700));
	owner_is(P("sgid/d/deeper"), USER, SUPP1);
	UT_EQ(mode_of(P("sgid/d/deeper")), 02700);
	/* A group-executable set-group-ID file: kept in a group of ours... */
	UT_NOERR(close(UT_NOERR(open(P("sgid/g"), O_CREAT | O_WRONLY, 02775))));
	UT_EQ(mode_of(P("sgid/g")), 02775);
	/* ...cleared in one we are not in. */
	UT_NOERR(close(UT_NOERR(open(P("sgid_other/g"), O_CREAT | O_WRONLY, 02775))));
	owner_is(P("sgid_other/g"), USER, OTHER);
	UT_EQ(mode_of(P("sgid_other/g")), 0775);
	UT_NOERR(mknod(P("sgid_other/fifo"), S_IFIFO | 02770, 0));
	UT_EQ(mode_of(P("sgid_other/fifo")), 0770);
	/* The umask is applied. */
	umask(027);
	UT_NOERR(close(UT_NOERR(open(P("d777/masked"), O_CREAT | O_WRONLY, 0666))));
	UT_EQ(mode_of(P("d777/masked")), 0640);
	UT_NOERR(mkdir(P("d777/maskdir"), 0777));
	UT_EQ(mode_of(P("d777/maskdir")), 0750);
}

UT_CASE(new_files_owner_group_and_setgid_dirs)
{
	setup();
	make_dir("d777", 0, 0, 0777);
	make_dir("sgid", 0, SUPP1, 02777);
	make_dir("sgid_other", 0, OTHER, 02777);
	as_user(user_makes_files);
	/* Root keeps S_ISGID in a group it is not in (CAP_FSETID); its files are root's. */
	umask(0);
	UT_NOERR(close(UT_NOERR(open(P("sgid_other/r"), O_CREAT | O_WRONLY, 02755))));
	owner_is(P("sgid_other/r"), 0, OTHER);
	UT_EQ(mode_of(P("sgid_other/r")), 02755);
	umask(022);
	finish();
}

/* ---- removing and renaming: the parent's write bit, the sticky bit ---- */

static void user_removes(void)
{
	UT_ERRNO(unlink(P("d755/f")), EACCES);
	UT_ERRNO(rmdir(P("d755/sub")), EACCES);
	UT_ERRNO(unlink(P("d755/sub")), EACCES); /* EACCES before EISDIR */
	/* Sticky, root's directory: others' entries stay, ours go. */
	UT_ERRNO(unlink(P("sticky/rootf")), EPERM);
	UT_ERRNO(rmdir(P("sticky/rootd")), EPERM);
	UT_ERRNO(rename(P("sticky/rootf"), P("sticky/x")), EPERM);
	UT_ERRNO(rename(P("sticky/mine"), P("sticky/rootf")), EPERM); /* replacing it removes it */
	UT_ERRNO(rename(P("d777/f2"), P("sticky/rootf")), EPERM);
	UT_NOERR(rename(P("sticky/mine"), P("sticky/mine2")));
	UT_NOERR(unlink(P("sticky/mine2")));
	/* Sticky, our own directory: anyone's entries go. */
	UT_NOERR(unlink(P("mysticky/rootf")));
	/* Not sticky: root's file in a 0777 directory goes. */
	UT_NOERR(unlink(P("d777/rootf")));
	/* A directory moving to another parent needs write permission on it (".."). */
	UT_ERRNO(rename(P("d777/rootdir"), P("d777b/rootdir")), EACCES);
	UT_NOERR(rename(P("d777/rootdir"), P("d777/renamed")));
	UT_NOERR(rename(P("d777/mydir"), P("d777b/mydir")));
	/* Exchanging: both sides removed and made. */
	UT_ERRNO(syscall(SYS_renameat2, AT_FDCWD, P("d777/f2"), AT_FDCWD, P("d755/f"),
			 RENAME_EXCHANGE),
		 EACCES);
}

UT_CASE(remove_rename_and_the_sticky_bit)
{
	setup();
	make_dir("d755", 0, 0, 0755);
	make_file("d755/f", "x", USER, GROUP, 0666);
	make_dir("d755/sub", USER, GROUP, 0777);
	make_dir("sticky", 0, 0, 01777);
	make_file("sticky/rootf", "x", 0, 0, 0666);
	make_dir("sticky/rootd", 0, 0, 0777);
	make_file("sticky/mine", "x", USER, GROUP, 0644);
	make_dir("mysticky", USER, GROUP, 01777);
	make_file("mysticky/rootf", "x", 0, 0, 0644);
	make_dir("d777", 0, 0, 0777);
	make_dir("d777b", 0, 0, 0777);
	make_file("d777/rootf", "x", 0, 0, 0644);
	make_file("d777/f2", "x", USER, GROUP, 0644);
	make_dir("d777/rootdir", 0, 0, 0755);
	make_dir("d777/mydir", USER, GROUP, 0755);
	as_user(user_removes);
	/* Root removes from sticky directories (CAP_FOWNER) and from 0555 ones. */
	UT_NOERR(unlink(P("sticky/rootf")));
	make_file("sticky/userf", "x", USER, GROUP, 0644);
	UT_NOERR(unlink(P("sticky/userf")));
	finish();
}

/* ---- chmod and chown ---- */

static void user_chmods_and_chowns(void)
{
	UT_ERRNO(chmod(P("rootf"), 0666), EPERM);
	UT_ERRNO(chown(P("rootf"), USER, -1), EPERM);
	UT_ERRNO(chown(P("rootf"), -1, GROUP), EPERM);
	UT_ERRNO(chmod(P("d700/f"), 0600), EACCES); /* the path first */
	UT_NOERR(chmod(P("mine"), 0600));
	UT_EQ(mode_of(P("mine")), 0600);
	UT_ERRNO(chown(P("mine"), 0, -1), EPERM);
	UT_NOERR(chown(P("mine"), USER, -1));  /* to ourselves: allowed */
	UT_NOERR(chown(P("mine"), -1, SUPP1)); /* to a group of ours */
	owner_is(P("mine"), USER, SUPP1);
	UT_NOERR(chown(P("mine"), -1, GROUP));
	UT_ERRNO(chown(P("mine"), -1, OTHER), EPERM);
	UT_ERRNO(chown(P("mine"), USER, OTHER), EPERM);
	/* chmod of a file whose group we are not in: S_ISGID quietly goes. */
	UT_NOERR(chmod(P("mine_other"), 02755));
	UT_EQ(mode_of(P("mine_other")), 0755);
	UT_NOERR(chmod(P("mine_other"), 04755));
	UT_EQ(mode_of(P("mine_other")), 04755);
	/* In our group it stays. */
	UT_NOERR(chmod(P("mine"), 02750));
	UT_EQ(mode_of(P("mine")), 02750);
	/* A group change by the owner clears the set-ID bits. */
	UT_NOERR(chmod(P("mine"), 06750));
	UT_NOERR(chown(P("mine"), -1, SUPP2));
	UT_EQ(mode_of(P("mine")), 0750);
}

UT_CASE(chmod_and_chown_rules)
{
	setup();
	make_dir("d700", 0, 0, 0700);
	make_file("d700/f", "x", USER, GROUP, 0644);
	make_file("rootf", "x", 0, 0, 0644);
	make_file("mine", "x", USER, GROUP, 0644);
	make_file("mine_other", "x", USER, OTHER, 0644);
	as_user(user_chmods_and_chowns);
	/* Root changes anyone's file; a chown clears set-user-ID even for root. */
	UT_NOERR(chown(P("rootf"), USER, SUPP1));
	owner_is(P("rootf"), USER, SUPP1);
	UT_NOERR(chmod(P("rootf"), 06755));
	UT_NOERR(chown(P("rootf"), 0, -1));
	UT_EQ(mode_of(P("rootf")), 0755); /* S_ISGID too: group-executable */
	UT_NOERR(chmod(P("rootf"), 02745));
	UT_NOERR(chown(P("rootf"), USER, -1));
	UT_EQ(mode_of(P("rootf")), 02745); /* not group-executable, and root has CAP_FSETID */
	/* Directories keep theirs. */
	make_dir("sgiddir", 0, 0, 06755);
	UT_NOERR(chown(P("sgiddir"), USER, GROUP));
	UT_EQ(mode_of(P("sgiddir")), 06755);
	finish();
}

/* ---- writes and truncation clear set-ID bits ---- */

static void user_writes_setid_files(void)
{
	int fd = UT_NOERR(open(P("w"), O_WRONLY));

	UT_EQ(write(fd, "y", 1), 1);
	UT_EQ(mode_of(P("w")), 0777);
	close(fd);
	UT_NOERR(truncate(P("t"), 0));
	UT_EQ(mode_of(P("t")), 0777);
	fd = UT_NOERR(open(P("ft"), O_RDWR));
	UT_NOERR(ftruncate(fd, 1));
	UT_EQ(mode_of(P("ft")), 0777);
	close(fd);
	UT_NOERR(close(UT_NOERR(open(P("ot"), O_WRONLY | O_TRUNC))));
	UT_EQ(mode_of(P("ot")), 0777);
	/* Set-group-ID without group execute, a group not ours: goes too (Linux 6.x). */
	fd = UT_NOERR(open(P("g"), O_WRONLY));
	UT_EQ(pwrite(fd, "z", 1, 0), 1);
	UT_EQ(mode_of(P("g")), 02767 & ~02000);
	close(fd);
	/* The same in a group of ours stays. */
	fd = UT_NOERR(open(P("gmine"), O_WRONLY));
	UT_EQ(write(fd, "z", 1), 1);
	UT_EQ(mode_of(P("gmine")), 02767);
	close(fd);
}

UT_CASE(setid_bits_cleared_on_write_and_truncate)
{
	int fd;

	setup();
	make_file("w", "x", 0, 0, 06777);
	make_file("t", "x", 0, 0, 06777);
	make_file("ft", "x", 0, 0, 06777);
	make_file("ot", "x", 0, 0, 06777);
	make_file("g", "x", 0, OTHER, 02767);
	make_file("gmine", "x", 0, SUPP1, 02767);
	as_user(user_writes_setid_files);
	/* Root's writes keep them (CAP_FSETID). */
	make_file("r", "x", USER, GROUP, 06755);
	fd = UT_NOERR(open(P("r"), O_WRONLY | O_APPEND));
	UT_EQ(write(fd, "y", 1), 1);
	close(fd);
	UT_NOERR(truncate(P("r"), 0));
	UT_EQ(mode_of(P("r")), 06755);
	finish();
}

/* ---- utimensat ---- */

static int utimens(const char *path, long sec0, long nsec0, long sec1, long nsec1)
{
	struct timespec ts[2] = { { sec0, nsec0 }, { sec1, nsec1 } };

	return utimensat(AT_FDCWD, path, ts, 0);
}

static void user_sets_times(void)
{
	struct stat st;
	int fd;

	/* To now: ownership or write permission. */
	UT_NOERR(utimensat(AT_FDCWD, P("rw_others"), NULL, 0));
	UT_NOERR(utimens(P("rw_others"), 0, UTIME_NOW, 0, UTIME_NOW));
	UT_NOERR(utimes(P("rw_others"), NULL));
	UT_ERRNO(utimensat(AT_FDCWD, P("ro_others"), NULL, 0), EACCES);
	UT_ERRNO(utimens(P("ro_others"), 0, UTIME_NOW, 0, UTIME_NOW), EACCES);
	/* Anything else: ownership (EPERM), write permission is not enough. */
	UT_ERRNO(utimens(P("rw_others"), 1000, 0, 2000, 0), EPERM);
	UT_ERRNO(utimens(P("rw_others"), 0, UTIME_NOW, 0, UTIME_OMIT), EPERM);
	UT_ERRNO(utimens(P("ro_others"), 1000, 0, 2000, 0), EPERM);
	/* Nothing to change: no check at all. */
	UT_NOERR(utimens(P("ro_others"), 0, UTIME_OMIT, 0, UTIME_OMIT));
	/* Our own read-only file: anything. */
	UT_NOERR(utimens(P("mine444"), 1000, 0, 2000, 0));
	UT_NOERR(stat(P("mine444"), &st));
	UT_EQ(st.st_mtime, 2000);
	UT_EQ(st.st_atime, 1000);
	UT_NOERR(utimensat(AT_FDCWD, P("mine444"), NULL, 0));
	/* futimens on a read-only descriptor: the same rules, by the inode. */
	fd = UT_NOERR(open(P("rw_others"), O_RDONLY));
	UT_NOERR(futimens(fd, NULL));
	close(fd);
	fd = UT_NOERR(open(P("ro_others"), O_RDONLY));
	UT_ERRNO(futimens(fd, NULL), EACCES);
	close(fd);
}

UT_CASE(utimensat_rules)
{
	setup();
	make_file("rw_others", "x", 0, 0, 0666);
	make_file("ro_others", "x", 0, 0, 0644);
	make_file("mine444", "x", USER, GROUP, 0444);
	as_user(user_sets_times);
	UT_NOERR(utimens(P("ro_others"), 1000, 0, 2000, 0)); /* root: CAP_FOWNER */
	finish();
}

/* ---- truncate and O_NOATIME ---- */

static void user_truncates_and_noatime(void)
{
	int fd;

	UT_ERRNO(truncate(P("root644"), 0), EACCES);
	fd = UT_NOERR(open(P("root644"), O_RDONLY));
	UT_ERRNO(ftruncate(fd, 0), EINVAL); /* not open for writing */
	UT_ERRNO(fcntl(fd, F_SETFL, O_NOATIME), EPERM);
	close(fd);
	UT_NOERR(truncate(P("other666"), 1));
	UT_ERRNO(open(P("root644"), O_RDONLY | O_NOATIME), EPERM);
	UT_NOERR(open_ok(P("mine"), O_RDONLY | O_NOATIME));
	fd = UT_NOERR(open(P("mine"), O_RDONLY));
	UT_NOERR(fcntl(fd, F_SETFL, O_NOATIME));
	UT_CHECK(fcntl(fd, F_GETFL) & O_NOATIME);
	close(fd);
}

UT_CASE(truncate_and_noatime)
{
	setup();
	make_file("root644", "data", 0, 0, 0644);
	make_file("other666", "data", 0, 0, 0666);
	make_file("mine", "data", USER, GROUP, 0600);
	as_user(user_truncates_and_noatime);
	UT_NOERR(open_ok(P("mine"), O_RDONLY | O_NOATIME)); /* root: CAP_FOWNER */
	finish();
}

/* ---- access() with the real ids, faccessat2 with the effective ones ---- */

static void access_real_user_effective_root(void)
{
	UT_NOERR(setresuid(USER, 0, 0));
	UT_ERRNO(access(P("root600"), R_OK), EACCES);
	UT_ERRNO(access(P("d700/f"), F_OK), EACCES); /* the walk too, as the real user */
	UT_NOERR(faccessat(AT_FDCWD, P("root600"), R_OK | W_OK, AT_EACCESS));
	UT_NOERR(faccessat(AT_FDCWD, P("d700/f"), F_OK, AT_EACCESS));
	UT_NOERR(open_ok(P("root600"), O_RDONLY)); /* open goes by the effective ids */
	UT_NOERR(access(P("root644"), R_OK));
	UT_ERRNO(access(P("root644"), W_OK), EACCES);
}

static void access_real_root_effective_user(void)
{
	UT_NOERR(setresuid(0, USER, 0));
	UT_NOERR(access(P("root600"), R_OK | W_OK)); /* real root: its permitted capabilities */
	UT_ERRNO(faccessat(AT_FDCWD, P("root600"), R_OK, AT_EACCESS), EACCES);
	UT_ERRNO(open(P("root600"), O_RDONLY), EACCES);
	UT_ERRNO(access(P("root644"), X_OK), EACCES); /* root executes only with an x bit */
	UT_NOERR(access(P("x100"), X_OK));
}

static void user_access(void)
{
	UT_NOERR(access(P("supp040"), R_OK)); /* supplementary groups count */
	UT_ERRNO(access(P("supp040"), W_OK), EACCES);
	UT_ERRNO(access(P("root600"), R_OK), EACCES);
	UT_NOERR(access(P("root600"), F_OK));
	UT_ERRNO(access(P("d700/f"), F_OK), EACCES);
	UT_ERRNO(access(P("x100"), X_OK), EACCES);
}

UT_CASE(access_real_and_effective_ids)
{
	pid_t pid;

	setup();
	make_file("root600", "x", 0, 0, 0600);
	make_file("root644", "x", 0, 0, 0644);
	make_file("x100", "x", 0, 0, 0100);
	make_file("supp040", "x", 0, SUPP1, 0040);
	make_dir("d700", 0, 0, 0700);
	make_file("d700/f", "x", 0, 0, 0644);
	/* Root: R and W always, X only with an x bit, directories always searchable. */
	UT_NOERR(access(P("root600"), R_OK | W_OK));
	UT_ERRNO(access(P("root644"), X_OK), EACCES);
	UT_NOERR(access(P("x100"), X_OK));
	UT_NOERR(chmod(P("d700"), 0600));
	UT_NOERR(access(P("d700"), X_OK));
	UT_NOERR(chmod(P("d700"), 0700));
	pid = UT_NOERR(fork());
	if (pid == 0) {
		access_real_user_effective_root();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	pid = UT_NOERR(fork());
	if (pid == 0) {
		access_real_root_effective_user();
		_exit(0);
	}
	UT_CHILD_OK(pid);
	as_user(user_access);
	/* W_OK on a read-only mount: EROFS, whoever asks. */
	make_dir("ro", 0, 0, 0755);
	UT_NOERR(mount("none", P("ro"), "tmpfs", MS_RDONLY, NULL));
	UT_ERRNO(access(P("ro"), W_OK), EROFS);
	UT_NOERR(access(P("ro"), R_OK));
	UT_NOERR(umount(P("ro")));
	finish();
}

/* ---- mknod ---- */

static void user_mknods(void)
{
	UT_ERRNO(mknod(P("d777/null"), S_IFCHR | 0666, makedev(1, 3)), EPERM);
	UT_ERRNO(mknod(P("d777/blk"), S_IFBLK | 0666, makedev(7, 0)), EPERM);
	UT_ERRNO(mknod(P("d755/null"), S_IFCHR | 0666, makedev(1, 3)), EACCES); /* parent first */
	UT_NOERR(mknod(P("d777/fifo"), S_IFIFO | 0666, 0));
	UT_NOERR(mknod(P("d777/reg"), S_IFREG | 0644, 0));
	owner_is(P("d777/reg"), USER, GROUP);
}

UT_CASE(mknod_of_devices_needs_cap_mknod)
{
	setup();
	make_dir("d777", 0, 0, 0777);
	make_dir("d755", 0, 0, 0755);
	as_user(user_mknods);
	UT_NOERR(mknod(P("d777/rootnull"), S_IFCHR | 0666, makedev(1, 3)));
	finish();
}

/* ---- exec ---- */

static char self_path[PATH_MAX]; /* this program, copied */

static void copy_self(const char *dst, mode_t mode)
{
	char buf[65536];
	int in = UT_NOERR(open("/proc/self/exe", O_RDONLY));
	int out = UT_NOERR(open(dst, O_CREAT | O_WRONLY | O_TRUNC, 0600));
	ssize_t n;

	while ((n = read(in, buf, sizeof(buf))) > 0)
		UT_EQ(write(out, buf, n), n);
	UT_EQ(n, 0);
	close(in);
	close(out);
	UT_NOERR(chmod(dst, mode));
}

/* execve's errno in a child, or the exit status of what it ran (the helper: 7). */
static int exec_result(const char *path)
{
	char *argv[] = { (char *)path, "--helper", "exit", "7", NULL };
	char *envp[] = { NULL };
	pid_t pid = fork();
	int status;

	if (pid == 0) {
		execve(path, argv, envp);
		_exit(errno);
	}
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

static void user_execs(void)
{
	UT_EQ(exec_result(P("prog644")), EACCES);
	UT_EQ(exec_result(P("prog711")), 7); /* execute-only: runs */
	UT_EQ(exec_result(P("prog700")), EACCES);
	UT_EQ(exec_result(P("prog755")), 7);
	UT_EQ(exec_result(P("dir")), EACCES);
	UT_EQ(exec_result(P("script644")), EACCES);
	UT_EQ(exec_result(P("script_bad_interp")), EACCES);
}

UT_CASE(exec_needs_execute_permission)
{
	setup();
	copy_self(P("prog644"), 0644);
	copy_self(P("prog711"), 0711);
	copy_self(P("prog700"), 0700);
	copy_self(P("prog755"), 0755);
	make_dir("dir", 0, 0, 0755);
	make_file("script644", "#!/bin/sh\nexit 3\n", 0, 0, 0644);
	snprintf(self_path, sizeof(self_path), "#!%s --helper exit 9\n", P("prog644"));
	make_file("script_bad_interp", self_path, 0, 0, 0755);
	as_user(user_execs);
	/* Root too needs an x bit; a directory is never executed. */
	UT_EQ(exec_result(P("prog644")), EACCES);
	UT_EQ(exec_result(P("prog700")), 7);
	UT_EQ(exec_result(P("dir")), EACCES);
	UT_EQ(exec_result(P("script_bad_interp")), EACCES);
	/* A noexec mount. */
	make_dir("noexec", 0, 0, 0755);
	UT_NOERR(mount("none", P("noexec"), "tmpfs", MS_NOEXEC, NULL));
	copy_self(P("noexec/prog"), 0755);
	UT_EQ(exec_result(P("noexec/prog")), EACCES);
	UT_ERRNO(access(P("noexec/prog"), X_OK), EACCES);
	UT_NOERR(umount(P("noexec")));
	finish();
}

/* ---- chdir, fchdir, chroot ---- */

static int dirfd_700 = -1;

static void user_changes_directory(void)
{
	UT_ERRNO(chdir(P("d700")), EACCES);
	UT_ERRNO(fchdir(dirfd_700), EACCES);
	UT_ERRNO(chroot(P("d700")), EACCES); /* the path's error before EPERM */
	UT_ERRNO(chroot(P("d755")), EPERM);
	UT_NOERR(chdir(P("d711")));
}

UT_CASE(chdir_fchdir_chroot_need_search)
{
	setup();
	make_dir("d700", 0, 0, 0700);
	make_dir("d755", 0, 0, 0755);
	make_dir("d711", 0, 0, 0711);
	dirfd_700 = UT_NOERR(open(P("d700"), O_RDONLY | O_DIRECTORY));
	as_user(user_changes_directory);
	close(dirfd_700);
	finish();
}

/* ---- the kernel's own files ---- */

static void user_opens_kernel_files(void)
{
	UT_ERRNO(open("/proc/sys/vm/drop_caches", O_WRONLY), EACCES);
	if (access("/proc/fault_inject", F_OK) == 0) /* Axolotl's: 0644 root */
		UT_ERRNO(open("/proc/fault_inject", O_WRONLY), EACCES);
	UT_NOERR(open_ok("/proc/self/status", O_RDONLY));
	UT_NOERR(open_ok("/dev/zero", O_RDONLY));
	UT_ERRNO(mknod("/dev/perms-null", S_IFCHR | 0666, makedev(1, 3)), EACCES);
	UT_ERRNO(open("/etc/perms-new", O_CREAT | O_WRONLY, 0644), EACCES);
}

UT_CASE(kernel_files_and_etc)
{
	as_user(user_opens_kernel_files);
}

/* ---- other users of the check: inotify watches, AF_UNIX connect ---- */

static int connect_to(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0)), r;

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	r = connect(s, (struct sockaddr *)&sa, sizeof(sa));
	close(s);
	return r;
}

static void user_watches_and_connects(void)
{
	int in = UT_NOERR(inotify_init1(IN_CLOEXEC));

	UT_ERRNO(inotify_add_watch(in, P("root600"), IN_MODIFY), EACCES);
	UT_NOERR(inotify_add_watch(in, P("root644"), IN_MODIFY));
	UT_ERRNO(inotify_add_watch(in, P("d700/f"), IN_MODIFY), EACCES);
	close(in);
	UT_ERRNO(connect_to(P("sock755")), EACCES); /* no write permission on the node */
	UT_NOERR(connect_to(P("sock777")));
	UT_ERRNO(connect_to(P("root644")), EACCES); /* the permission before the type */
	UT_ERRNO(connect_to(P("other666")), ECONNREFUSED);
}

static int listen_at(const char *path, mode_t mode)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int s = UT_NOERR(socket(AF_UNIX, SOCK_STREAM, 0));

	snprintf(sa.sun_path, sizeof(sa.sun_path), "%s", path);
	UT_NOERR(bind(s, (struct sockaddr *)&sa, sizeof(sa)));
	UT_NOERR(listen(s, 8));
	UT_NOERR(chmod(path, mode));
	return s;
}

UT_CASE(inotify_watch_and_unix_connect)
{
	int s1, s2;

	setup();
	make_file("root600", "x", 0, 0, 0600);
	make_file("root644", "x", 0, 0, 0644);
	make_file("other666", "x", 0, 0, 0666);
	make_dir("d700", 0, 0, 0700);
	make_file("d700/f", "x", 0, 0, 0644);
	s1 = listen_at(P("sock755"), 0755);
	s2 = listen_at(P("sock777"), 0777);
	as_user(user_watches_and_connects);
	close(s1);
	close(s2);
	finish();
}

/* /proc/PID belongs to the process's effective ids, also after they changed. */
static void proc_pid_after_drop(void)
{
	char buf[64];
	DIR *d = opendir("/proc/self/fd"); /* as root first: the names are made now */

	UT_CHECK(d != NULL);
	closedir(d);
	drop_to_user();
	d = opendir("/proc/self/fd");
	UT_CHECK(d != NULL);
	closedir(d);
	UT_CHECK(readlink("/proc/self/fd/1", buf, sizeof(buf)) > 0);
	UT_NOERR(open_ok("/proc/self/status", O_RDONLY));
	UT_ERRNO(open("/proc/1/fd", O_RDONLY | O_DIRECTORY), EACCES); /* init's: root's */
}

UT_CASE(proc_pid_owned_by_the_process)
{
	pid_t pid = UT_NOERR(fork());

	if (pid == 0) {
		proc_pid_after_drop();
		_exit(0);
	}
	UT_CHILD_OK(pid);
}

int ut_helper(int argc, char **argv)
{
	if (argc >= 3 && !strcmp(argv[1], "exit"))
		return atoi(argv[2]);
	return 1;
}
