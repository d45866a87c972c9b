"""User-space tests: the programs of user/tests/ run inside Axolotl, each
booted on its own through `./axl run --quiet --timeout 300 -- /tests/NAME`.

A ut program (see user/lib/ut.h) passes when it exits with 0 and its output
has a "ut: PASS" line per case, no "ut: FAIL" line, and the summary
"ut: N passed, 0 failed". threads_blocked and fuzz_syscalls print their
own lines, checked below.

Only the programs in ENABLED run: the kernel is known to pass them. Grow
the list as the kernel learns; SKIP leaves out single cases of an enabled
program (passed to it as "-case", see ut.h). "init" in ENABLED turns on the
tests of init and of ./axl's command handling (exit statuses, --add, PATH
search). The archive tests at the end need no guest and always run.

Each program was first checked on Linux: `user/run-on-linux` runs them
there the same way (init as pid 1, in the same initramfs).
"""
import os
import re
import stat
import subprocess
import tempfile

import guest
from guest import ROOT, run

ENABLED = [
    "init", "hello", "hello-pie", "proc", "clone", "clone-pie", "mm", "mm-pie", "exec",
    "exec-pie", "futex", "time", "misc", "efault", "faults", "threads_blocked", "fuzz_syscalls",
    "procfs", "files", "hello-glibc", "proc-glibc", "clone-glibc", "mm-glibc", "futex-glibc",
    "time-glibc", "misc-glibc", "signals", "pipes", "poll", "tty", "files-glibc",
    "mmap_file", "event_apis", "unix_sockets", "ptys", "ptys-glibc", "posix_timers",
    "posix_timers-glibc", "inotify", "memfd", "settime", "creds", "creds-glibc", "perms",
    "ptrace", "rlimits", "aslr", "sched_prio", "coredump", "coredump-pie", "mlock",
]
SKIP = {}  # e.g. {"proc": ["orphan_reaped_by_init"]}
ARGS = {"threads_blocked": ["10000"], "fuzz_syscalls": ["20000"]}
TIMEOUT = 300

BUILD = os.path.join(ROOT, "build")
MKINITRAMFS = os.path.join(ROOT, "tools", "mkinitramfs")


def run_program(name, *args, timeout=TIMEOUT):
    """Boots with /tests/NAME ARGS... as the command; returns (status, output)."""
    return run("--quiet", "--", "/tests/" + name, *args, timeout=timeout)


def check_ut_output(name, rc, out):
    passed = re.findall(r"^ut: PASS (\S+)", out, re.M)
    failed = re.findall(r"^ut: FAIL (\S+?):? (.*)$", out, re.M)
    summary = re.search(r"^ut: (\d+) passed, (\d+) failed", out, re.M)
    detail = f"\n--- output of {name} (status {rc}) ---\n{out[-6000:]}"
    assert not failed, f"{name}: failed cases: " + ", ".join(f[0] for f in failed) + detail
    assert summary, f"{name}: no summary line: the program died or hung" + detail
    assert (int(summary.group(1)), int(summary.group(2))) == (len(passed), 0), detail
    assert passed, f"{name}: no case ran" + detail
    assert rc == 0, f"{name}: exit status {rc}" + detail


KERNEL_BYTES_PER_BLOCKED_THREAD_MAX = 2048  # Linux: ~22 KiB (16 KiB stack + task_struct)


def check_threads_blocked(rc, out, n=None):
    n = n or int(ARGS["threads_blocked"][0])
    assert f"blocked: {n} threads" in out, out[-3000:]
    assert f"joined: {n} threads" in out, out[-3000:]
    assert rc == 0, f"status {rc}\n{out[-3000:]}"
    before = int(re.search(r"^kernel_kb: before (-?\d+)", out, re.M).group(1))
    blocked = int(re.search(r"^kernel_kb: blocked (-?\d+)", out, re.M).group(1))
    assert before >= 0 and blocked >= 0, "no /proc/meminfo"
    per_thread = (blocked - before) * 1024 / n
    print(f"threads_blocked: {per_thread:.0f} bytes of kernel memory per blocked thread")
    assert per_thread < KERNEL_BYTES_PER_BLOCKED_THREAD_MAX, f"{per_thread:.0f} bytes per thread"


def test_threads_blocked_epoll():
    """10,000 threads blocked in epoll_wait cost what blocked futex waiters do"""
    n = int(ARGS["threads_blocked"][0])
    rc, out = run_program("threads_blocked", str(n), "--epoll")
    check_threads_blocked(rc, out, n)


def check_fuzz(rc, out):
    assert re.search(r"^fuzz: phase 1: \d+ calls in one process", out, re.M), out[-3000:]
    assert re.search(r"^fuzz: phase 2: \d+ processes", out, re.M), out[-3000:]
    assert "fuzz: survived" in out, out[-3000:]
    assert rc == 0, f"status {rc}\n{out[-3000:]}"


CHECKS = {"threads_blocked": check_threads_blocked, "fuzz_syscalls": check_fuzz}


def make_program_test(name):
    def test():
        args = ARGS.get(name, []) + ["-" + case for case in SKIP.get(name, [])]
        rc, out = run_program(name, *args)
        check = CHECKS.get(name)
        if check:
            check(rc, out)
        else:
            check_ut_output(name, rc, out)

    test.__name__ = "test_" + name.replace("-", "_")
    test.__doc__ = f"/tests/{name} passes inside Axolotl"
    return test


for _name in ENABLED:
    if _name != "init":
        globals()["test_" + _name.replace("-", "_")] = make_program_test(_name)


if "aslr" in ENABLED:
    def test_aslr_off_with_norandmaps():
        """The norandmaps kernel parameter: randomize_va_space is 0, every run at the same addresses."""
        rc, out = run("--quiet", "--append", "norandmaps", "--", "/tests/aslr", "--helper", "fixed",
                      timeout=TIMEOUT)
        assert rc == 0 and "aslr: norandmaps: ten runs" in out, f"status {rc}\n{out[-3000:]}"


# ---- the leaked-memory check: /tests/leakcheck runs a program three times (six at SMP) ----

# (program and arguments) checked for leaks; the fuzzer's random calls are not
# repeatable, and threads_blocked --exit also checks exit_group of parked threads.
LEAK_CHECKED = [["hello"], ["proc"], ["clone"], ["mm"], ["exec"], ["futex"], ["time"],
                ["misc"], ["efault"], ["faults"], ["procfs"], ["signals"], ["files"], ["pipes"], ["poll"],
                ["event_apis"], ["unix_sockets"], ["ptys"], ["posix_timers"], ["inotify"],
                ["memfd"], ["settime"], ["perms"], ["ptrace"], ["rlimits"], ["aslr"],
                ["sched_prio"], ["coredump"], ["mlock"],
                ["threads_blocked", "300", "--exit"]]


def make_leak_test(prog):
    def test():
        rc, out = run("--quiet", "--", "/tests/leakcheck", "/tests/" + prog[0], *prog[1:],
                      timeout=TIMEOUT)
        runs = re.findall(r"^leakcheck: run \d+ of \S+: status (-?\d+), (-?\d+) kB free", out, re.M)
        # 3 runs at one CPU, 6 at more (user/tests/leakcheck.c says why)
        assert len(runs) == (3 if guest.cpus() == 1 else 6), \
            f"leakcheck did not finish (status {rc})\n{out[-3000:]}"
        assert all(status == "0" for status, _ in runs), out[-3000:]
        assert "leakcheck: no leak" in out and rc == 0, out[-3000:]

    test.__name__ = "test_no_leak_" + prog[0]
    return test


for _prog in LEAK_CHECKED:
    if _prog[0] in ENABLED:
        globals()["test_no_leak_" + _prog[0]] = make_leak_test(_prog)


def leakcheck_shell(script):
    """leakcheck's output for runs of busybox sh -c SCRIPT (its own pid as $$)."""
    rc, out = run("--quiet", "--", "/tests/leakcheck", "/bin/sh", "-c", script, timeout=TIMEOUT)
    runs = re.findall(r"^leakcheck: run \d+ of \S+: status 0, \d+ kB free", out, re.M)
    assert len(runs) == (3 if guest.cpus() == 1 else 6), out[-3000:]
    assert rc != 0 and "leakcheck: FAILED" in out, out[-3000:]
    return out


def test_leakcheck_catches_objects_left_by_each_run():
    """A run that leaves an empty tmpfs file (objects, no page) fails, naming the caches."""
    out = leakcheck_shell("mkdir -p /tmp/lk && : > /tmp/lk/f$$")
    assert re.search(r"^leakcheck: cache \S+: active objects (\d+) -> (?!\1\b)\d+", out, re.M), out
    assert re.search(r"^leakcheck: \d+ caches? gained or lost objects over", out, re.M), out
    assert "pages lost outside the slab caches" not in out, out


def test_leakcheck_catches_a_page_left_by_each_run():
    """A run that leaves one page of tmpfs data fails on the pages outside the slab caches."""
    out = leakcheck_shell("mkdir -p /tmp/lk && head -c 4096 /dev/zero > /tmp/lk/f$$")
    runs = 3 if guest.cpus() == 1 else 6
    assert f"leakcheck: {runs - 2} pages lost outside the slab caches over {runs - 2} runs" \
        in out, out
    assert re.search(r"^leakcheck: tmpfs_pages \d+ -> \d+\r?$", out, re.M), out


# ---- init and ./axl's command handling ("init" in ENABLED) ----

if "init" in ENABLED:

    def test_init_passes_the_exit_status():
        rc, out = run_program("hello", "--helper", "exit", "42")
        assert rc == 42, f"status {rc}\n{out}"
        assert "hello: exiting with 42" in out, out

    def test_init_reports_death_by_signal_as_128_plus_n():
        rc, out = run_program("hello", "--helper", "segv")
        assert rc == 128 + 11, f"status {rc}\n{out}"

    def test_init_missing_command_is_127():
        rc, out = run("--quiet", "--", "/tests/no-such-program", timeout=TIMEOUT)
        assert rc == 127, f"status {rc}\n{out}"
        assert "init: /tests/no-such-program: No such file or directory" in out, out

    def test_init_without_command():
        # init runs the shell, /bin/sh, which reads the console; init ends with
        # the shell's status. ($((6 * 7)) so that the echo of the line, if the
        # terminal echoes, does not count.)
        rc, out = run("--quiet", "--append", "init=/sbin/init", timeout=TIMEOUT,
                      stdin=b"echo shell-$((6 * 7)); exit 7\n")
        assert rc == 7, f"status {rc}\n{out}"
        assert "shell-42" in out, out

    def test_add_and_path_search():
        # --add puts a copy in /bin, found through init's PATH search.
        hello = os.path.join(BUILD, "user", "tests", "hello-pie")
        rc, out = run("--quiet", "--add", hello + ":/bin/greet", "--", "greet", "--helper",
                      "exit", "5", timeout=TIMEOUT)
        assert rc == 5, f"status {rc}\n{out}"


# ---- the initramfs archive (no guest needed) ----

def parse_newc(data):
    """Entries of a newc archive: {name: (mode, data)}; checks the format on the way."""
    entries, off = {}, 0
    while True:
        assert data[off:off + 6] == b"070701", f"bad magic at {off}"
        f = [int(data[off + 6 + 8 * i:off + 14 + 8 * i], 16) for i in range(13)]
        mode, size, namesize = f[1], f[6], f[11]
        name = data[off + 110:off + 110 + namesize - 1].decode()
        assert data[off + 110 + namesize - 1] == 0, "name not NUL-terminated"
        off = (off + 110 + namesize + 3) & ~3
        if name == "TRAILER!!!":
            assert off == len(data), "data after the trailer"
            return entries
        entries[name] = (mode, data[off:off + size])
        off = (off + size + 3) & ~3


def make_archive(tmp, *args):
    out = os.path.join(tmp, "initramfs.cpio")
    subprocess.run([MKINITRAMFS, "--build", BUILD, "-o", out, *args], check=True)
    with open(out, "rb") as f:
        return f.read()


def test_initramfs_default_content_and_command():
    with tempfile.TemporaryDirectory() as tmp:
        extra = os.path.join(tmp, "extra")
        os.makedirs(os.path.join(extra, "sub"))
        with open(os.path.join(extra, "sub", "f"), "w") as f:
            f.write("data")
        os.chmod(os.path.join(extra, "sub", "f"), 0o750)
        os.symlink("sub/f", os.path.join(extra, "link"))
        data = make_archive(tmp, extra, extra + ":/opt/x/", "--", "/tests/hello", "a b", "")
        again = make_archive(tmp, extra, extra + ":/opt/x/", "--", "/tests/hello", "a b", "")
        assert data == again, "the archive is not deterministic"
        e = parse_newc(data)
        for d in ("dev", "proc", "tmp", "etc", "sbin", "tests"):
            assert stat.S_ISDIR(e[d][0]), d
        assert e["tmp"][0] & 0o7777 == 0o1777
        assert e["sbin/init"][1][:4] == b"\x7fELF"
        assert stat.S_IMODE(e["sbin/init"][0]) == 0o755
        assert "tests/hello" in e and "tests/hello-pie" in e
        assert e["etc/axl/cmd"][1] == b"/tests/hello\0a b\0\0"
        assert e["extra/sub/f"] == (stat.S_IFREG | 0o750, b"data")
        assert e["extra/link"] == (stat.S_IFLNK | 0o777, b"sub/f")
        assert e["opt/x/extra/sub/f"][1] == b"data"
        assert stat.S_ISDIR(e["opt"][0]) and stat.S_ISDIR(e["opt/x"][0])
        names = list(e)
        assert names.index("opt") < names.index("opt/x") < names.index("opt/x/extra")
        # GNU cpio reads it too.
        p = subprocess.run(["cpio", "-it", "--quiet"], input=data, capture_output=True)
        assert p.returncode == 0 and "etc/axl/cmd" in p.stdout.decode(), p.stderr


def test_initramfs_without_command_has_no_cmd_file():
    with tempfile.TemporaryDirectory() as tmp:
        e = parse_newc(make_archive(tmp))
        assert "etc/axl/cmd" not in e and "sbin/init" in e


# ---- AF_UNIX path names on ext2: the same cases with the root (and /tmp) on an ext2 disk ----

UNIX_PATH_CASES = ["path_bind_connect_accept", "connect_errors",
                   "backlog_nonblocking_connect_so_error",
                   "blocked_accept_and_connect_across_processes",
                   "dgram_sendto_recvfrom_and_connect", "peercred_of_pairs_and_connections",
                   "scm_rights_pipe_socket_file"]


def run_in_ext2_root(directory, command):
    """Runs command with an ext2 root disk (tools/mkrootdisk) once directory is made on it
    and is ext2 (the root's /tmp is a tmpfs); returns (status, output)."""
    with tempfile.TemporaryDirectory() as tmp:
        root_img = os.path.join(tmp, "root.img")
        subprocess.run([os.path.join(ROOT, "tools", "mkrootdisk"), "-o", root_img],
                       check=True, capture_output=True)
        return run("--quiet", "--root", root_img, "--", "/bin/sh", "-c",
                   "grep -q '^/dev/vda / ext2 rw' /proc/mounts && "
                   f"mkdir -p {directory} && stat -f -c %t {directory} | grep -qx ef53 && "
                   + command, timeout=TIMEOUT)


if "unix_sockets" in ENABLED:
    def test_unix_socket_path_names_on_ext2():
        """bind makes S_IFSOCK inodes in the ext2 root itself; connect finds them."""
        rc, out = run_in_ext2_root("/sockets", "UNIX_SOCKET_DIR=/sockets /tests/unix_sockets " +
                                   " ".join(UNIX_PATH_CASES))
        check_ut_output("unix_sockets on ext2", rc, out)
        assert len(re.findall(r"^ut: PASS", out, re.M)) == len(UNIX_PATH_CASES), out[-3000:]


if "inotify" in ENABLED:
    def test_inotify_on_ext2():
        """Every inotify case again in the ext2 root itself."""
        rc, out = run_in_ext2_root("/", "INOTIFY_BASE=/ /tests/inotify")
        check_ut_output("inotify on ext2", rc, out)


if "event_apis" in ENABLED:
    def test_epoll_events_buffer_in_a_file_page_on_ext2():
        """epoll_wait copies an edge-triggered event into a file page it must first read."""
        case = "epoll_edge_event_kept_when_the_buffer_is_a_file_page_being_read"
        rc, out = run_in_ext2_root("/epoll", f"EPOLL_FILE_DIR=/epoll /tests/event_apis {case}")
        check_ut_output("event_apis on ext2", rc, out)
        assert f"ut: PASS {case}" in out, out[-3000:]


if "perms" in ENABLED:
    def test_perms_on_ext2():
        """Every file access check again in the ext2 root: owners and modes kept by the service."""
        rc, out = run_in_ext2_root("/perms", "PERMS_BASE=/perms /tests/perms")
        check_ut_output("perms on ext2", rc, out)


if "unix_sockets" in ENABLED:
    def test_busybox_syslogd_and_logger_over_dev_log():
        """busybox logger sends a datagram to syslogd's AF_UNIX socket /dev/log."""
        script = ("busybox syslogd -O /tmp/log && "
                  "i=0; while [ ! -S /dev/log ] && [ $i -lt 500 ]; do sleep 0.1; i=$((i+1)); done; "
                  "busybox logger -t axltest hello-over-dev-log && "
                  "i=0; while ! grep -q hello-over-dev-log /tmp/log && [ $i -lt 500 ]; do "
                  "sleep 0.1; i=$((i+1)); done; "
                  "grep axltest /tmp/log && grep -q ' /dev/log$' /proc/net/unix && echo syslog-ok")
        rc, out = run("--quiet", "--", "/bin/sh", "-c", script, timeout=TIMEOUT)
        assert rc == 0 and "syslog-ok" in out and "hello-over-dev-log" in out, out[-3000:]


# ---- pseudo-terminals: Debian's script(1) runs a shell on a pty ----

if "ptys" in ENABLED:
    def test_debian_script_runs_a_shell_on_a_pty():
        """util-linux script (openpty: /dev/ptmx, TIOCGPTPEER) gives sh a pty: tty, ps, ttyname."""
        import sys
        sys.path.insert(0, os.path.join(ROOT, "tools"))
        import debroot
        img = debroot.fresh_copy()
        try:
            rc, out = run("--quiet", "--root", img, "--", "/usr/bin/script", "-qec",
                          "tty; ps -o tty=,comm= -p $$; readlink /proc/self/fd/0; exit 3",
                          "/dev/null", timeout=TIMEOUT)
        finally:
            os.unlink(img)
        lines = [line.strip() for line in out.splitlines()]
        assert "/dev/pts/0" in lines, out[-3000:]
        assert re.search(r"^pts/0\s+sh\r?$", out, re.M), out[-3000:]
        assert rc == 3, f"status {rc}\n{out[-3000:]}"


if "ptys" in ENABLED:
    def test_devpts_unmounted_and_mounted_again():
        """umount /dev/pts, then mount -t devpts devpts /dev/pts: ptys work on the new one."""
        script = ("umount /dev/pts && [ -z \"$(ls /dev/pts)\" ] && "
                  "mount -t devpts devpts /dev/pts && grep -q '^devpts /dev/pts devpts' /proc/mounts && "
                  "[ -c /dev/pts/ptmx ] && "
                  "/tests/ptys open_unlock_ptsname tiocgptpeer busybox_sh_session && "
                  "umount /dev/pts && echo devpts-ok")
        rc, out = run("--quiet", "--", "/bin/sh", "-c", script, timeout=TIMEOUT)
        assert rc == 0 and "devpts-ok" in out, out[-3000:]
        assert len(re.findall(r"^ut: PASS", out, re.M)) == 3, out[-3000:]
