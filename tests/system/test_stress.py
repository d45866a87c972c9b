"""stress-ng in a Debian root: a short fixed list of ./axl stress on Axolotl.

Each stressor runs alone for 2 s with --verify (stress-ng checks its own
results) in the initramfs of tools/stress.py; each must pass, with no
kernel fault or service crash in the log. The list spans processes,
signals, memory, pipes, files, event files and AF_UNIX sockets. `./axl stress` runs every stressor
beside Debian's Linux (docs/testing.md has the table).
"""
import os
import re
import subprocess

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
STRESSORS = ("cpu,fork,clone,exec,wait,zombie,kill,signal,sigq,sigsuspend,futex,switch,yield,"
             "vm,mmap,brk,malloc,fault,msync,pipe,poll,sem,hdd,dir,dentry,rename,link,flock,"
             "fallocate,seek,sync-file,eventfd,sigfd,pidfd,sockpair,sockfd")


def test_stress_ng_short_list():
    p = subprocess.run([os.path.join(ROOT, "axl"), "stress", "--no-build", "--axolotl-only",
                        "--only", STRESSORS], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=1800)
    out = p.stdout.decode("utf-8", "replace")
    summary = [line for line in out.splitlines() if line.startswith("stress: ")]
    print(summary[-1] if summary else "stress: no summary")
    n = len(STRESSORS.split(","))
    assert p.returncode == 0, out[-3000:]
    assert re.search(rf"stress: {n} stressors .*Axolotl: {n} passed, 0 failed, 0 skipped; "
                     r"0 kernel faults", out), out[-3000:]
