"""The ext2 superblock's state says whether the file system was unmounted.

Mounted read-write, the disk's state is "not clean" until the kernel
unmounts it (at umount, or at shutdown after init exits); a power cut
leaves it "not clean", as e2fsck and dumpe2fs then report. Each mount
counts in the mount count.
"""
import os
import re
import subprocess
import tempfile

from guest import run


def superblock(img):
    out = subprocess.run(["dumpe2fs", "-h", img], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True).stdout.decode()
    state = re.search(r"^Filesystem state:\s+(.+)$", out, re.M).group(1).strip()
    count = int(re.search(r"^Mount count:\s+(\d+)$", out, re.M).group(1))
    return state, count


def test_clean_after_shutdown_not_after_power_cut():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", img, "8M"], check=True,
                       stdout=subprocess.DEVNULL)
        assert superblock(img) == ("clean", 0)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c", "echo a > /mnt/a")
        assert rc == 0, out[-2000:]
        assert superblock(img) == ("clean", 1)
        # The guest never powers off: QEMU is stopped by the timeout, like a power cut.
        rc, out = run("--quiet", "--timeout", "8", "--disk", img, "--", "/bin/sh", "-c",
                      "echo b > /mnt/b && sync && echo synced && sleep 1000")
        assert "synced" in out and rc == 124, (rc, out[-2000:])
        assert superblock(img) == ("not clean", 2)
        fsck = subprocess.run(["e2fsck", "-fn", img], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        assert fsck.returncode == 0, fsck.stdout.decode()  # synced: nothing else to fix
