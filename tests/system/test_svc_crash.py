"""Crash tests of the storage services (issue 5, DESIGN.md section 5).

/tests/svc_crash (user/tests/svc_crash.c) runs on a fresh ext2 image: a
workload of three processes writes, fsyncs, reads back, copies, renames and
deletes files while the ext2 and blk services are made to panic and
page-fault every few requests; then a request crashed twice must fail with
EIO and the next succeed; then injected hangs must be ended by the
watchdog; then single crashes measure the recovery time. Afterwards the
host checks the image: e2fsck -fn is clean and every file of the
workload's manifests (MANIFEST-p*w*, path size seed crc32) has its
checksum, read with debugfs.
"""
import os
import re
import subprocess
import tempfile
import zlib

from guest import run
from test_user import check_ut_output

IMAGE_MB = 64


def host_files(img, dest):
    """Copies the whole file system out of img into dest with debugfs."""
    os.makedirs(dest)
    p = subprocess.run(["debugfs", "-R", f"rdump / {dest}", img], capture_output=True,
                       text=True)
    assert p.returncode == 0, p.stderr
    return dest


def check_on_host(img, tmp):
    """Returns (files, bytes synced, bytes lost) by the manifests in the image."""
    root = host_files(img, os.path.join(tmp, "out"))
    names = sorted(n for n in os.listdir(root) if n.startswith("MANIFEST-"))
    assert len(names) == 6, f"manifests: {names}"
    files = synced = lost = 0
    for name in names:
        with open(os.path.join(root, name)) as f:
            for n, line in enumerate(f):
                fields = line.split()
                assert len(fields) == 4, f"{name} line {n + 1} is torn on the disk: {line!r:.120}"
                path, size, _seed, crc = fields
                size, crc = int(size), int(crc, 16)
                assert path.startswith("/mnt/"), path
                host = os.path.join(root, path[len("/mnt/"):])
                files += 1
                synced += size
                try:
                    with open(host, "rb") as g:
                        data = g.read()
                except FileNotFoundError:
                    lost += size
                    continue
                if len(data) != size or zlib.crc32(data) != crc:
                    lost += size
    return files, synced, lost


def test_services_survive_crashes():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        with open(img, "wb") as f:
            f.truncate(IMAGE_MB << 20)
        subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", img], check=True)
        rc, out = run("--disk", img, "--", "/tests/svc_crash", timeout=300)
        check_ut_output("svc_crash", rc, out)
        m = re.search(r"^svc_crash: survived (\d+) injected crashes \(ext2 (\d+), blk (\d+)\), "
                      r"(\d+) bytes synced, (\d+) bytes lost", out, re.M)
        assert m, out[-3000:]
        crashes, ext2, blk, synced, lost = map(int, m.groups())
        assert ext2 > 100 and blk > 100 and lost == 0 and synced > 1 << 20, m.group(0)
        # The kernel log shows each crash and restart, the watchdog and the EIO.
        for svc in ("ext2", "blk"):
            crashed = len(re.findall(rf"service {svc} crashed \(", out))
            restarted = len(re.findall(rf"service {svc} restarted\b", out))
            assert crashed >= int(m.group(2 if svc == "ext2" else 3)), (svc, crashed)
            assert restarted == crashed, (svc, crashed, restarted)
            assert re.search(rf"service {svc} crashed \(watchdog", out), svc
            assert f"service {svc}: request" in out and "crashed twice: it fails with EIO" in out
        assert "KERNEL PANIC" not in out, out[-3000:]
        rec = re.search(r"^svc_crash: recovery_us median ext2 (\d+) blk (\d+)", out, re.M)
        assert rec, out[-3000:]
        # The host's view of the image after the guest shut down.
        p = subprocess.run(["e2fsck", "-fn", img], capture_output=True, text=True)
        assert p.returncode == 0, f"e2fsck -fn:\n{p.stdout}{p.stderr}"
        files, host_synced, host_lost = check_on_host(img, tmp)
        assert (host_synced, host_lost) == (synced, 0), (files, host_synced, host_lost)
        print(f"svc_crash: {crashes} injected crashes survived (ext2 {ext2}, blk {blk}); "
              f"{synced} bytes synced in {files} files, {lost} lost (host: {host_lost}); "
              f"recovery median ext2 {rec.group(1)} us, blk {rec.group(2)} us")
