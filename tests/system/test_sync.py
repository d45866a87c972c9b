"""Synced data survives a power cut; special files work on ext2.

For each way of making data durable (sync, syncfs, fsync, fdatasync,
sync_file_range, msync MS_SYNC, and busybox's sync applet for the
first four), the guest writes a file of 48 MiB on an ext2 disk, makes
it durable, prints a marker, and the host kills QEMU the moment it sees
the marker. The file must then be on the image whole, byte for byte
(read with debugfs), and `e2fsck -fn` must find nothing to fix (it
checks the whole image, since a power cut leaves it "not clean").
Before sync(2) wrote anything, these files came out short. A file
written in small pieces while another process syncs in a loop, then
fsynced, must come out whole too: a write-back that took the last page
while a write was filling it once left that page clean with its tail
never written (found at 4 CPUs).

/tests/sync_calls also checks the calls' arguments and that a failed
write-back reaches every open file once (fsync, fdatasync, syncfs).
FIFOs and device nodes on ext2, made by mke2fs -d and by the guest,
open through their own layers as on tmpfs (they faulted the kernel).
"""
import os
import subprocess
import tempfile

from guest import Guest, e2fsck_clean, mke2fs, run

MIB = 48
CHUNK = 1 << 20


def pattern(mib):
    """What sync_calls writes: 32-byte records holding their offset."""
    return b"".join(b"%030d\n\0" % off for off in range(0, mib * CHUNK, 32))


def dump(img, name, out):
    subprocess.run(["debugfs", "-R", f"dump /{name} {out}", img], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    with open(out, "rb") as f:
        return f.read()


def cut_after(cmd, img, marker):
    g = Guest("--quiet", "--mem", "1G", "--disk", img, "--", "/bin/sh", "-c", cmd, timeout=300)
    try:
        g.wait_for(marker, timeout=280)
    finally:
        g.power_cut()
    return g.text()


def check_survives(kind, cmd, marker):
    want = pattern(MIB)
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "d.img")
        mke2fs(img, "160M")
        out = cut_after(cmd, img, marker)
        got = dump(img, "f", os.path.join(tmp, "f"))
        lost = len(want) - len(got) if len(got) <= len(want) else 0
        bad = next((i for i in range(0, min(len(got), len(want)), CHUNK)
                    if got[i:i + CHUNK] != want[i:i + CHUNK]), None)
        assert len(got) == len(want) and bad is None, \
            f"{kind}: {len(got)} of {len(want)} bytes on the disk ({lost} lost), first bad " \
            f"MiB at {bad}; guest said:\n{out[-1500:]}"
        e2fsck_clean(img)  # synced: nothing to fix after the power cut
        print(f"sync: {kind}: 0 of {len(want)} bytes lost after the power cut")


def helper(kind):
    return (f"/tests/sync_calls --helper write {kind} /mnt/f {MIB}", f"power-cut-now {kind}")


def test_power_cut_after_sync():
    check_survives("sync(2)", *helper("sync"))


def test_power_cut_after_syncfs():
    check_survives("syncfs(2)", *helper("syncfs"))


def test_power_cut_after_fsync():
    check_survives("fsync(2)", *helper("fsync"))


def test_power_cut_after_fdatasync():
    check_survives("fdatasync(2)", *helper("fdatasync"))


def test_power_cut_after_sync_file_range():
    check_survives("sync_file_range(2)", *helper("sync_file_range"))


def test_power_cut_after_msync():
    check_survives("msync(MS_SYNC)", *helper("msync"))


def test_power_cut_after_fsync_of_a_file_written_during_syncs():
    """Write-backs of a file that small writes are growing, then fsync: each page the
    write-backs took while a write was filling it must still reach the disk."""
    check_survives("fsync(2) after writes racing sync(2)", *helper("fsync_under_syncs"))


def test_power_cut_after_busybox_sync():
    """The shell's own sync, sync -f (syncfs) and sync -d FILE (fdatasync), one after another."""
    gen = f"/tests/sync_calls --helper write none /mnt/f {MIB}"
    for flags in ("", "-f /mnt/f", "-d /mnt/f"):
        cmd = f"{gen} && sync {flags} && echo synced-now"
        check_survives(f"busybox sync {flags}".strip(), cmd, "synced-now")


def test_sync_calls_and_writeback_errors():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "d.img")
        mke2fs(img, "32M")
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c",
                      "SYNC_DIR=/mnt /tests/sync_calls", timeout=300)
        assert rc == 0 and "ut: 6 passed, 0 failed" in out, out[-3000:]
        e2fsck_clean(img)


SPECIAL = ("mkfifo /mnt/guestfifo && (echo through-the-fifo > /mnt/guestfifo &) && "
           "cat /mnt/guestfifo && mknod /mnt/guestnull c 1 3 && echo gone > /mnt/guestnull && "
           "cat /mnt/guestnull && echo null-ok && "
           "(echo from-mke2fs > /mnt/hostfifo &) && cat /mnt/hostfifo && "
           "echo zz > /mnt/hostnull && head -c 4 /mnt/hostzero | od -An -tx1 && "
           "echo special-done")


def test_special_files_on_ext2():
    with tempfile.TemporaryDirectory() as tmp:
        src = os.path.join(tmp, "tree")
        os.mkdir(src)
        os.mkfifo(os.path.join(src, "hostfifo"))
        os.mknod(os.path.join(src, "hostnull"), 0o20666, os.makedev(1, 3))
        os.mknod(os.path.join(src, "hostzero"), 0o20666, os.makedev(1, 5))
        img = os.path.join(tmp, "d.img")
        mke2fs(img, "16M", extra=("-d", src))
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c", SPECIAL, timeout=120)
        assert rc == 0, out[-2000:]
        for want in ("through-the-fifo", "null-ok", "from-mke2fs", " 00 00 00 00",
                     "special-done"):
            assert want in out, (want, out[-2000:])
        assert "KERNEL FAULT" not in out
        e2fsck_clean(img)
        # The mount came off at shutdown: the superblock says clean.
        sb = subprocess.run(["dumpe2fs", "-h", img], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL).stdout.decode()
        assert "Filesystem state:         clean" in sb, sb
