#!/usr/bin/env python3
"""System-call fuzzing with Debian's trinity: the implementation of `./axl fuzz`.

  ./axl fuzz [--smp N] [--calls N] [--seed S] [--children C] [--user]
             [--stall SEC] [--mem SIZE]

Boots Axolotl with a copy of the Debian root of tools/debroot.py (made
with mmdebstrap and cached in build/debian) and runs
`trinity --dangerous -N CALLS -C CHILDREN -s SEED` in it, as root, or as
nobody with --user (trinity's --dropprivs). Sockets are left out of
trinity's descriptor pool until the kernel has them.

The host watches the console: trinity's "[main] N iterations" lines are
its progress, a line the guest's shell prints every 10 s says the guest
still answers (the markers are computed by the shell: trinity's children
copy /proc files, the command line among them, onto the console). It
counts kernel faults (KERNEL FAULT, KERNEL PANIC, a service crash, a
lock-checker report: all bugs when only a user program could have caused
them), and a
stall: no progress for --stall seconds (default 300; trinity reports every
10,000 calls, about 30 s under TCG), or a guest silent for 60 s. Either
ends the run. The last line is

  fuzz: N syscalls in T s, K kernel faults, S stalls

and the exit status is 0 only when trinity finished its calls with no
fault and no stall. The console goes to build/debian/fuzz-last.log (or
--log FILE): all of it up to 20 MiB, then trinity's progress and faults.
"""
import argparse
import os
import re
import signal
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import debroot  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
AXL = os.path.join(ROOT, "axl")
LOG = os.path.join(debroot.DEB, "fuzz-last.log")
ALIVE_EVERY = 10
SILENT_LIMIT = 60
STATE_DUMP_WAIT = 15  # ./axl's state dump, then the kill
LOG_BYTES = 20 << 20

PROGRESS = re.compile(rb"\[main\] (\d+) iterations")
RAN = re.compile(rb"\[main\] Ran (\d+) syscalls")
FAULT = re.compile(rb"KERNEL FAULT|KERNEL PANIC|service \S+ crashed|lockcheck: ")


def guest_command(args):
    trinity = (f"trinity --dangerous -q -l off -N {args.calls} -C {args.children} "
               f"-s {args.seed} --disable-fds=sockets" + (" --dropprivs" if args.user else ""))
    # The markers are made by the shell: trinity's children copy /proc files, this
    # command line among them, to whatever they open. They get a /dev without the
    # console and the terminal, and no terminal on stdin: written full of random
    # bytes, the console drowned the markers and the heartbeat.
    quiet_dev = ("mount -t tmpfs tmpfs /dev && mknod -m 666 /dev/null c 1 3 && "
                 "mknod -m 666 /dev/zero c 1 5 && mknod -m 666 /dev/full c 1 7")
    return (f"{quiet_dev} && cd /tmp && "
            f"(while sleep {ALIVE_EVERY}; do echo fuzz-$((6*7))-alive; done) & "
            f"{trinity} </dev/null 2>&1 | grep -a --line-buffered '^\\[main\\]'; "
            "echo fuzz-$((6*7))-exit")


class Watch:
    """What the console has said so far (a reader thread fills it)."""

    def __init__(self, proc, log):
        self.proc, self.log = proc, log
        self.log_room = LOG_BYTES
        self.lock = threading.Lock()
        self.last_progress = self.last_alive = time.monotonic()
        self.faults, self.ran, self.iterations, self.done = 0, None, 0, False
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self):
        for line in self.proc.stdout:
            self._keep(line)
            now = time.monotonic()
            with self.lock:
                if b"fuzz-42-alive" in line:
                    self.last_alive = now
                m = PROGRESS.search(line)
                if m:
                    self.iterations = int(m.group(1))
                    self.last_progress = now
                m = RAN.search(line)
                if m:
                    self.ran = int(m.group(1))
                    self.last_progress = now
                if FAULT.search(line):
                    self.faults += 1
                if b"fuzz-42-exit" in line:
                    self.done = True

    def _keep(self, line):
        """The log takes every line up to LOG_BYTES, then only progress and faults:
        trinity's children write random bytes to the console, megabytes a minute."""
        if self.log_room > 0 or PROGRESS.search(line) or RAN.search(line) or FAULT.search(line):
            self.log.write(line)
            self.log_room -= len(line)


def stop(proc, state_dump=False):
    """Ends ./axl and its QEMU (their own process group). With state_dump,
    ./axl first asks the kernel what it is doing (SIGTERM: ./axl -h)."""
    try:
        if state_dump:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=STATE_DUMP_WAIT)
            except subprocess.TimeoutExpired:
                pass
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass


def run(args):
    image = debroot.fresh_copy()
    cmd = [AXL, "run", "--no-build", "--smp", str(args.smp), "--mem", args.mem, "--root", image,
           "--timeout", str(args.timeout), "--", "/bin/sh", "-c", guest_command(args)]
    start = time.monotonic()
    stalls = 0
    proc = None
    try:
        with open(args.log, "wb", buffering=0) as log:  # readable while it runs
            proc = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                    stderr=subprocess.STDOUT, start_new_session=True)
            watch = Watch(proc, log)
            while proc.poll() is None:
                time.sleep(1)
                now = time.monotonic()
                with watch.lock:
                    stuck = (not watch.done and now - watch.last_progress > args.stall) or \
                            now - watch.last_alive > SILENT_LIMIT
                if stuck:
                    stalls += 1
                    with watch.lock:
                        watch.log_room = LOG_BYTES  # the state dump goes into the log
                    stop(proc, state_dump=True)
                    break
            rc = proc.wait()
            time.sleep(0.2)  # the reader takes the last lines
    finally:
        if proc and proc.poll() is None:
            stop(proc)  # interrupted: no QEMU is left behind
        os.unlink(image)
    elapsed = time.monotonic() - start
    ran = watch.ran if watch.ran is not None else watch.iterations
    if rc in (123, 125):  # a lock-checker report, a panic
        watch.faults = max(watch.faults, 1)
    print(f"fuzz: {ran} syscalls in {elapsed:.0f} s, {watch.faults} kernel faults, "
          f"{stalls} stalls")
    ok = watch.ran is not None and watch.faults == 0 and stalls == 0
    if not ok:
        print(f"fuzz: see {args.log} (QEMU status {rc})", file=sys.stderr)
    return 0 if ok else 1


def main(argv):
    p = argparse.ArgumentParser(prog="axl fuzz", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smp", type=int, default=int(os.environ.get("AXL_SMP", "1")))
    p.add_argument("--calls", type=int, default=20000)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--children", type=int, default=2)
    p.add_argument("--user", action="store_true", help="as nobody (trinity --dropprivs)")
    p.add_argument("--stall", type=float, default=300, help="seconds without progress")
    p.add_argument("--mem", default="1G")
    p.add_argument("--log", default=LOG, help=f"where the console goes (default {LOG})")
    p.add_argument("--no-build", action="store_true")
    args = p.parse_args(argv)
    args.timeout = 600 + args.calls / 100
    if not args.no_build:
        subprocess.run(["make", "-s", "-C", ROOT, "kernel", "user"], check=True)
    return run(args)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
