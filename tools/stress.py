#!/usr/bin/env python3
"""stress-ng's stressors on Axolotl and on Linux: the implementation of `./axl stress`.

  ./axl stress [--smp N] [--seconds S] [--only NAME,...] [--axolotl-only]

Both kernels boot ONE initramfs with the same QEMU command line (that of
./axl bench): the Debian root of tools/debroot.py (stress-ng, coreutils)
with a shell script as /init (where Linux looks) and /usr/sbin/init
(where Axolotl looks). The script runs each stressor alone,
`stress-ng --NAME 1 --timeout S --verify` (S = 2 by default) under
`timeout -s KILL` (a stressor that hangs is killed after 60 s more), and
prints `stress: NAME STATUS` (stress-ng's exit status: 0 passed, 3 no
resource and 4 not implemented are skips, 137 a hang, anything else a
failure). The list is every stressor stress-ng knows, or --only's.
Linux is Debian's linux-image-amd64, fetched as ./axl bench does.

Prints one line per stressor with both results and a summary. A stressor
that passes on Linux and not on Axolotl must be listed in
tools/stress-known.txt with the issue that will make it pass; the exit
status is non-zero for any other, and for a kernel fault or a boot that
does not finish. With --axolotl-only, Linux is not booted and every
stressor must pass or be listed. Consoles: build/debian/stress-KERNEL.log.
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench  # noqa: E402
import debroot  # noqa: E402

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
KNOWN = os.path.join(ROOT, "tools", "stress-known.txt")
AXOLOTL = os.path.join(ROOT, "build", "axolotl.elf")
LINE = re.compile(r"stress: (\S+) (\d+)\s*$")  # a stressor may leave bytes before it
FAULT = re.compile(r"KERNEL FAULT|KERNEL PANIC|service \S+ crashed|lockcheck: ")
HANG_SLACK = 60

INIT = """#!/bin/sh
# The init of ./axl stress (tools/stress.py), on Linux and on Axolotl.
export PATH=/usr/sbin:/usr/bin
mount -t proc proc /proc 2>/dev/null
mount -t sysfs sysfs /sys 2>/dev/null
mount -t devtmpfs devtmpfs /dev 2>/dev/null
cd /tmp
echo "stress: up"
list=$(cat /etc/stress/list)
[ -n "$list" ] || list=$(stress-ng --stressors)
for s in $list; do
	timeout -s KILL $(( SECONDS_EACH + {slack} )) \\
		stress-ng --$s 1 --timeout $SECONDS_EACH --verify >/tmp/stress.out 2>&1
	echo "stress: $s $?"
done
echo "stress: done"
echo o > /proc/sysrq-trigger 2>/dev/null
exit 0
"""


def status_word(rc):
    if rc is None:
        return "-"
    if rc == 0:
        return "pass"
    if rc in (3, 4):
        return "skip"
    if rc == 137:
        return "hang"
    return f"fail({rc})"


def make_initramfs(names, seconds, out):
    """The Debian root, the init script and the list, as one newc cpio."""
    rootfs = debroot.ensure_rootfs()
    with tempfile.TemporaryDirectory(dir=debroot.DEB) as tmp:
        tree = os.path.join(tmp, "tree")
        subprocess.run(["cp", "-al", rootfs, tree], check=True)
        script = INIT.replace("{slack}", str(HANG_SLACK)).replace(
            "export PATH", f"SECONDS_EACH={seconds}\nexport PATH")
        for path in ("init", "usr/sbin/init"):
            p = os.path.join(tree, path)
            if os.path.lexists(p):
                os.unlink(p)
            with open(p, "w") as f:
                f.write(script)
            os.chmod(p, 0o755)
        os.makedirs(os.path.join(tree, "etc", "stress"), exist_ok=True)
        with open(os.path.join(tree, "etc", "stress", "list"), "w") as f:
            f.write("\n".join(names) + "\n")
        files = subprocess.run(["find", "."], cwd=tree, check=True, capture_output=True).stdout
        with open(out, "wb") as f:
            subprocess.run(["cpio", "-o", "-H", "newc", "--quiet"], cwd=tree, input=files,
                           stdout=f, check=True)


def boot(kernel, append, initrd, args, timeout):
    """The console lines of one boot, which is killed after timeout seconds."""
    fd, status_path = tempfile.mkstemp(prefix="status-", dir=debroot.DEB)
    os.close(fd)
    proc = subprocess.Popen(bench.qemu_command(kernel, append, initrd, args.smp, args.mem,
                                               status_path),
                            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE)
    killer = threading.Timer(timeout, proc.kill)
    killer.start()
    try:
        lines = [raw.decode("utf-8", "replace").rstrip("\r\n") for raw in proc.stdout]
        proc.wait()
    finally:
        killer.cancel()
        os.unlink(status_path)
    return lines


def run_kernel(name, kernel, append, initrd, args, expected):
    """Boots one kernel; returns ({stressor: rc}, faults, finished)."""
    log_path = os.path.join(debroot.DEB, f"stress-{name}.log")
    output = boot(kernel, append, initrd, args, 300 + expected * (args.seconds + 20))
    with open(log_path, "w") as f:
        f.write("\n".join(output) + "\n")
    results, faults, finished = {}, 0, False
    for line in output:
        m = LINE.search(line)
        if m:
            results[m.group(1)] = int(m.group(2))
        if FAULT.search(line):
            faults += 1
        if line.startswith("stress: done"):
            finished = True
    return results, faults, finished


def read_known():
    known = {}
    if os.path.exists(KNOWN):
        with open(KNOWN) as f:
            for line in f:
                words = line.split()  # NAME #ISSUE why; a line starting with # is a comment
                if words and not words[0].startswith("#"):
                    known[words[0]] = " ".join(words[1:]) or "known"
    return known


def stressor_names(args):
    if args.only:
        return args.only.split(",")
    out = subprocess.run(["chroot", debroot.ensure_rootfs(), "stress-ng", "--stressors"],
                         capture_output=True, text=True, check=True).stdout
    return out.split()


def main(argv):
    p = argparse.ArgumentParser(prog="axl stress", description=__doc__,
                                formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--smp", type=int, default=int(os.environ.get("AXL_SMP", "1")))
    p.add_argument("--mem", default="2G")
    p.add_argument("--seconds", type=int, default=2)
    p.add_argument("--only", help="comma-separated stressors (default: all)")
    p.add_argument("--axolotl-only", action="store_true")
    p.add_argument("--no-build", action="store_true")
    args = p.parse_args(argv)
    if not args.no_build:
        subprocess.run(["make", "-s", "-C", ROOT, "kernel", "user"], check=True)
    names = stressor_names(args)
    kernels = [("axolotl", AXOLOTL, "")]  # its log shows a fault or a service crash
    if not args.axolotl_only:
        vmlinuz, _ = bench.fetch_linux()
        kernels.append(("linux", vmlinuz, bench.APPEND["linux"]))
    got, bad_boot = {}, []
    start = time.monotonic()
    fd, initrd = tempfile.mkstemp(prefix="stress-", suffix=".cpio", dir=debroot.DEB)
    os.close(fd)
    try:
        make_initramfs(names, args.seconds, initrd)
        for name, kernel, append in kernels:
            got[name] = run_kernel(name, kernel, append, initrd, args, len(names))
            if not got[name][2]:
                bad_boot.append(name)
    finally:
        os.unlink(initrd)
    return report(names, got, bad_boot, args, time.monotonic() - start)


def report(names, got, bad_boot, args, elapsed):
    known = read_known()
    ax, ax_faults, _ = got["axolotl"]
    lx = got["linux"][0] if "linux" in got else None
    unexplained, counts = [], {"pass": 0, "skip": 0, "fail": 0}
    print(f"{'stressor':24} {'axolotl':10} {'linux':10} note")
    for s in names:
        a = status_word(ax.get(s))
        lw = status_word(lx.get(s)) if lx is not None else "-"
        counts["pass" if a == "pass" else "skip" if a == "skip" else "fail"] += 1
        linux_ok = lx is None or lw == "pass"
        note = ""
        if a != "pass" and linux_ok:
            note = known.get(s, "")
            if not note and not (lx is None and a == "skip"):
                unexplained.append(s)
                note = "NOT EXPLAINED"
        print(f"{s:24} {a:10} {lw:10} {note}")
    print(f"stress: {len(names)} stressors ({elapsed:.0f} s in all); Axolotl: {counts['pass']} "
          f"passed, {counts['fail']} failed, {counts['skip']} skipped; {ax_faults} kernel "
          f"faults; {len(unexplained)} failing without an issue"
          + (f"; boots that did not finish: {', '.join(bad_boot)}" if bad_boot else ""))
    return 1 if unexplained or ax_faults or bad_boot else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
