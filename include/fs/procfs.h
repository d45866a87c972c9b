/*
 * procfs (fs/procfs.c, fs/procfs_show.c): files that describe the running
 * system, mounted on /proc by vfs_init. Nothing is stored: a file's text
 * is generated when it is opened and kept with the open file, so reads at
 * any offset see one consistent picture. fs/procfs.c is the file system
 * (names, directories, links, open files); fs/procfs_show.c says what
 * each file contains, reading the kernel's structures under their locks.
 * See docs/files.md.
 */
#ifndef FS_PROCFS_H
#define FS_PROCFS_H

#include <fs/vfs.h>

/*
 * Registers the "proc" file system type, and "sysfs" (the part of Linux's
 * /sys that programs read: /sys/devices/system/cpu/{online,possible,present}),
 * served by the same code from its own table (vfs_init).
 */
void procfs_init(void);

/* Between fs/procfs.c and fs/procfs_show.c only. */

/* A growing text buffer that a file's contents are generated into. */
struct seqbuf {
	char *buf;
	size_t len, cap;
	int err; /* the first error (-ENOMEM, -EFBIG); later output is dropped */
};

void seq_printf(struct seqbuf *s, const char *fmt, ...) __attribute__((format(__printf__, 2, 3)));
void seq_write(struct seqbuf *s, const void *data, size_t n);

/*
 * Generators, one per file: they append the file's text to s and return
 * 0, or -ENOENT when the process pid is gone. pid is 0 outside /proc/PID.
 */
typedef int (*proc_show_fn)(struct seqbuf *s, int pid);
/* Writable files: takes one line written (NUL-terminated, no newline); 0 or -errno. */
typedef int (*proc_write_fn)(const char *line);
/* The same for a file of /proc/PID. */
typedef int (*proc_pid_write_fn)(int pid, const char *line);

int proc_show_meminfo(struct seqbuf *s, int pid);
int proc_show_slabinfo(struct seqbuf *s, int pid);
int proc_show_uptime(struct seqbuf *s, int pid);
int proc_show_cpuinfo(struct seqbuf *s, int pid);
int proc_show_mounts(struct seqbuf *s, int pid);
int proc_show_version(struct seqbuf *s, int pid);
int proc_show_stat(struct seqbuf *s, int pid);
int proc_show_loadavg(struct seqbuf *s, int pid);
/* sysfs: CPU lists in Linux's format ("0-3"). */
int sys_show_cpus_online(struct seqbuf *s, int pid);
int sys_show_cpus_present(struct seqbuf *s, int pid);
int proc_show_axolotl_stats(struct seqbuf *s, int pid);
int proc_show_axolotl_profile(struct seqbuf *s, int pid);
int proc_show_services(struct seqbuf *s, int pid);
int proc_show_fault_inject(struct seqbuf *s, int pid);
int proc_show_lockcheck(struct seqbuf *s, int pid);
/* /proc/net/unix (net/unix.c). */
int proc_show_net_unix(struct seqbuf *s, int pid);
int proc_show_pid_stat(struct seqbuf *s, int pid);
int proc_show_pid_status(struct seqbuf *s, int pid);
int proc_show_pid_syscall(struct seqbuf *s, int pid);
int proc_show_pid_cmdline(struct seqbuf *s, int pid);
int proc_show_pid_maps(struct seqbuf *s, int pid);
int proc_show_pid_comm(struct seqbuf *s, int pid);
int proc_show_pid_limits(struct seqbuf *s, int pid);
int proc_show_pid_oom_score(struct seqbuf *s, int pid);
int proc_show_pid_oom_score_adj(struct seqbuf *s, int pid);
int proc_write_pid_oom_score_adj(int pid, const char *line);
int proc_show_overcommit_memory(struct seqbuf *s, int pid);
int proc_write_overcommit_memory(const char *line);
int proc_show_randomize_va_space(struct seqbuf *s, int pid);
int proc_write_randomize_va_space(const char *line);
int proc_show_core_pattern(struct seqbuf *s, int pid);
int proc_write_core_pattern(const char *line);
int proc_show_core_uses_pid(struct seqbuf *s, int pid);
int proc_write_core_uses_pid(const char *line);
int proc_show_suid_dumpable(struct seqbuf *s, int pid);
int proc_write_suid_dumpable(const char *line);
int proc_show_overcommit_ratio(struct seqbuf *s, int pid);
int proc_write_overcommit_ratio(const char *line);
int proc_show_drop_caches(struct seqbuf *s, int pid);
/* /proc/sys/fs/inotify: the fixed limits (uapi/inotify.h). */
int proc_show_inotify_max_queued_events(struct seqbuf *s, int pid);
int proc_show_inotify_max_user_instances(struct seqbuf *s, int pid);
int proc_show_inotify_max_user_watches(struct seqbuf *s, int pid);
int proc_write_drop_caches(const char *line);
/* /proc/sys/fs/nr_open and /proc/sys/vm/max_map_count: root writes them. */
int proc_show_nr_open(struct seqbuf *s, int pid);
int proc_write_nr_open(const char *line);
int proc_show_max_map_count(struct seqbuf *s, int pid);
int proc_write_max_map_count(const char *line);

/*
 * The owner of /proc/pid (pid_dir) or of what is in it: the process's
 * effective uid and gid, except that the entries of a process that is not
 * dumpable are root's (the directory is not: ps stats it), as Linux's
 * task_dump_owner; 0, 0 once it is gone.
 */
void proc_pid_owner(int pid, bool pid_dir, uint32_t *uid, uint32_t *gid);
/* Whether process pid exists (a zombie counts). */
bool proc_pid_exists(int pid);
/* Sets the bit of every process's pid in map (PID_MAX bits, cleared by the caller). */
void proc_pid_map(unsigned long *map);
/* /proc/PID/fd lists the descriptors below this (the inode numbers' room is 0xf000). */
#define PROC_FD_MAX 1024
/* Sets the bit of every open descriptor of pid in map (PROC_FD_MAX bits); 0 or -ENOENT. */
int proc_fd_map(int pid, unsigned long *map);
/* The path of pid's descriptor fd into buf (NUL-terminated): its length, or -ENOENT. */
int proc_fd_path(int pid, int fd, char *buf, size_t size);

/* /proc/PID/exe: the path of the program pid runs; -ENOENT. */
int proc_exe_path(int pid, char *buf, size_t size);

#endif /* FS_PROCFS_H */
