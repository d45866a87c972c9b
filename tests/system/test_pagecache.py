"""The page cache under memory pressure, on ext2.

With 256 MiB of guest memory the cache's budget is 64 MiB, so these runs
make it give clean pages back and the flusher run while programs write:

- a 96 MiB file written through a pipeline (the flusher writes earlier
  parts while later parts are being written, and the writer is throttled)
  reads back with the sum of the same stream, in the guest after pages were
  given back, and on the host from the image;
- a sparse file of 1 GiB reads back as zeros (its sum) while the cache
  stays within its budget (pagecache_evicted grows);
- e2fsck -fn finds the image clean.
"""
import hashlib
import os
import re
import subprocess
import tempfile

from guest import run

LINE = b"0123456789abcdefghijklmnopqrstuvwxyz\n"
SIZE = 96 << 20
SPARSE = 1 << 30

SCRIPT = f"""
yes {LINE.decode().strip()} | head -c {SIZE} > /mnt/big
yes {LINE.decode().strip()} | head -c {SIZE} | md5sum
md5sum /mnt/big
md5sum /mnt/sparse
grep -E 'pagecache_(pages|evicted)|total_pages' /proc/axolotl/stats
"""


def stream_md5(size):
    h = hashlib.md5()
    block = LINE * (1 << 16)
    left = size
    while left:
        chunk = block[:left]
        h.update(chunk)
        left -= len(chunk)
    return h.hexdigest()


def zeros_md5(size):
    h = hashlib.md5()
    zero = bytes(1 << 20)
    for _ in range(size >> 20):
        h.update(zero)
    return h.hexdigest()


def test_pagecache_under_pressure():
    with tempfile.TemporaryDirectory() as tmp:
        tree, img = os.path.join(tmp, "tree"), os.path.join(tmp, "disk.img")
        os.mkdir(tree)
        with open(os.path.join(tree, "sparse"), "wb") as f:
            f.truncate(SPARSE)
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", "4096", "-d", tree, img, "160M"],
                       check=True, stdout=subprocess.DEVNULL)
        rc, out = run("--quiet", "--mem", "256M", "--disk", img, "--", "/bin/sh", "-c", SCRIPT,
                      timeout=300)
        out = out.replace("\r", "")
        assert rc == 0, out[-3000:]
        want = stream_md5(SIZE)
        sums = re.findall(r"^([0-9a-f]{32})  (\S+)", out, re.M)
        assert (want, "-") in sums, f"the stream itself differs\n{out[-3000:]}"
        assert (want, "/mnt/big") in sums, f"the file read back differs\n{out[-3000:]}"
        assert (zeros_md5(SPARSE), "/mnt/sparse") in sums, out[-3000:]
        stats = dict(re.findall(r"^(\w+) (\d+)$", out, re.M))
        budget = int(stats["total_pages"]) // 4
        assert int(stats["pagecache_evicted"]) > 0, out[-3000:]
        assert int(stats["pagecache_pages"]) <= budget + 256, out[-3000:]
        fsck = subprocess.run(["e2fsck", "-fn", img], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        assert fsck.returncode == 0, fsck.stdout.decode()
        dump = subprocess.run(["debugfs", "-R", "cat /big", img], stdout=subprocess.PIPE,
                              stderr=subprocess.DEVNULL, check=True)
        assert hashlib.md5(dump.stdout).hexdigest() == want
