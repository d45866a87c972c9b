"""Fault injection from the kernel command line (fault_inject=SERVICE:KIND:WHEN).

The rule is in force from boot: the ext2 service crashes on every third
request while init mounts the disk and the shell copies files onto it;
everything still works, /proc/fault_inject shows the rule, /proc/services
counts the crashes, and the disk is clean afterwards.
"""
import os
import re
import subprocess
import tempfile

from guest import run

SCRIPT = ("cp -a /bin /mnt/ && sync && cmp /bin/busybox /mnt/bin/busybox && echo copied; "
          "cat /proc/fault_inject /proc/services")


def test_fault_inject_from_the_command_line():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", img, "16M"], check=True,
                       stdout=subprocess.DEVNULL)
        rc, out = run("--quiet", "--append", "fault_inject=ext2:panic:every:3", "--disk", img,
                      "--", "/bin/sh", "-c", SCRIPT, timeout=200)
        out = out.replace("\r", "")
        assert rc == 0 and "copied" in out, out[-3000:]
        assert re.search(r"^ext2 panic every 3 \(fired \d+\)$", out, re.M), out[-3000:]
        m = re.search(r"^ext2 served=\d+ crashes=(\d+) restarts=(\d+) retried=(\d+) failed=(\d+)",
                      out, re.M)
        assert m, out[-3000:]
        crashes, restarts, retried, failed = map(int, m.groups())
        assert crashes > 5 and restarts == crashes and retried == crashes and failed == 0, m.group(0)
        assert "KERNEL PANIC" not in out
        fsck = subprocess.run(["e2fsck", "-fn", img], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        assert fsck.returncode == 0, fsck.stdout.decode()
