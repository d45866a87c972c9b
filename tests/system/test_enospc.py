"""A full ext2 disk: ENOSPC comes from write(2), never only from write-back.

Space is reserved in the core when data is written (docs/ext2.md, "Space
and file size"), so:

- /tests/enospc runs on a fresh 16 MiB ext2 disk (1 and 4 KiB blocks):
  write until full gets ENOSPC from write, short counts, the file keeps
  what write accepted, fsync then succeeds, statfs counts data not yet
  written back, unlink gives the space back in the same boot, overwriting
  on a full disk needs no space, a shared mapping's write with no room is
  SIGBUS, RLIMIT_FSIZE (SIGXFSZ, EFBIG, truncate) and the largest file.
- dd onto a 64 MiB disk: 2 MiB files until the disk is full, all
  removed (small files: removing a large one takes the ext2 service past
  its watchdog under TCG when the machine is busy) (df shows the space back in the same boot), then
  `dd bs=1M count=100 conv=fsync` stops at a write with "No space left on
  device"; after the guest powered off, debugfs on the host finds the size
  the guest saw, consistent with the records dd counted, and e2fsck -fn
  finds nothing to fix.
"""
import os
import re
import subprocess
import tempfile

from guest import e2fsck_clean, mke2fs, run
from test_user import check_ut_output


def enospc_program(block_size):
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        mke2fs(img, "16M", block_size)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c",
                      "grep -q '^/dev/vda /mnt ext2 rw' /proc/mounts && "
                      "exec env ENOSPC_DIR=/mnt /tests/enospc", timeout=600)
        check_ut_output(f"enospc ({block_size}-byte blocks)", rc, out)
        e2fsck_clean(img)


def test_enospc_program_1k_blocks():
    """/tests/enospc on ext2 with 1 KiB blocks."""
    enospc_program(1024)


def test_enospc_program_4k_blocks():
    """The same with 4 KiB blocks."""
    enospc_program(4096)


DD_SCRIPT = """
set -u
grep -q '^/dev/vda /mnt ext2 rw' /proc/mounts || exit 3
i=0
while dd if=/dev/zero of=/mnt/p$i bs=1M count=2 2>/dev/null; do i=$((i+1)); done
echo "files: $i"
echo "used-full: $(df -k /mnt | tail -1 | awk '{print $3}')"
rm /mnt/p*
n=0
while [ $n -lt 60 ]; do sync; sleep 1; n=$((n+1))
    used=$(df -k /mnt | tail -1 | awk '{print $3}')
    [ "$used" -lt 8192 ] && break
done
echo "used-after-rm: $(df -k /mnt | tail -1 | awk '{print $3}')"
dd if=/dev/zero of=/mnt/f bs=1M count=100 conv=fsync
echo "dd-status: $?"
echo "size: $(stat -c %s /mnt/f)"
"""


def dd_until_full(block_size):
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        mke2fs(img, "64M", block_size)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c", DD_SCRIPT, timeout=600)
        detail = f"\n--- guest output (status {rc}) ---\n{out[-4000:]}"
        assert rc == 0, detail

        def value(key):
            m = re.search(rf"^{key}: (\d+)", out, re.M)
            assert m, f"no {key}" + detail
            return int(m.group(1))

        assert value("files") >= 20, "the 2 MiB files did not fill the disk" + detail
        assert value("used-full") > 60000, detail  # KiB: the disk was full
        assert value("used-after-rm") < 8192, "rm did not give the space back" + detail
        # dd stopped at a write, with the message of ENOSPC, not at fsync.
        assert "dd: error writing '/mnt/f': No space left on device" in out, detail
        assert value("dd-status") != 0, detail
        records = re.search(r"^(\d+)\+(\d+) records out", out, re.M)
        assert records, detail
        size = value("size")
        full = int(records.group(1))
        assert full * (1 << 20) <= size < (full + 1) * (1 << 20), \
            f"file size {size} against {full} whole records" + detail
        assert size > 55 << 20, f"ENOSPC came too early: {size} bytes" + detail
        # The disk has what the guest saw: the size, and blocks for all of it.
        stat = subprocess.run(["debugfs", "-R", "stat /f", img], capture_output=True,
                              text=True).stdout
        m = re.search(r"Size: (\d+)", stat)
        assert m and int(m.group(1)) == size, f"debugfs: {stat[:800]}" + detail
        blocks = subprocess.run(["debugfs", "-R", "blocks /f", img], capture_output=True,
                                text=True).stdout.split()
        data = (size + block_size - 1) // block_size  # no holes: every byte was written
        assert data <= len(blocks) <= data + data // (block_size // 4) + 3, \
            f"{len(blocks)} blocks (data and indirect) for {size} bytes" + detail
        e2fsck_clean(img)


def test_dd_until_full_1k_blocks():
    """dd onto a full 64 MiB disk with 1 KiB blocks: ENOSPC from write, the disk consistent."""
    dd_until_full(1024)


def test_dd_until_full_4k_blocks():
    """The same with 4 KiB blocks."""
    dd_until_full(4096)
