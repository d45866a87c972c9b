"""System tests of the storage stack's lower half: PCI, virtio-blk as the
"blk" service, the block layer. The host writes a known pattern into a
raw image, boots the block self-tests (tests/kernel/kt_block.c) with it
attached as vda, and afterwards checks what the guest wrote into the
image's upper half; a second boot looks at /dev/vda from user space."""
import os
import re
import subprocess
import tempfile

from guest import AXL

SECTORS = 8192  # 4 MiB: the lower half holds the pattern, the upper half is for writes
TESTS = ("block_bio_check,virtq_rejects_bad_used,block_read,block_many_in_flight,"
         "block_write_flush,block_rejects_bad_requests,block_dev_node,block_service_restart,"
         "block_service_hang")


def host_sector(s):
    """Sector s of the lower half as the host writes it (pattern_byte in kt_block.c)."""
    return s.to_bytes(8, "little") + bytes((s * 31 + k) & 0xff for k in range(8, 512))


def guest_sector(s):
    """Sector s as the guest writes it into the upper half."""
    head = ((~s) & (2**64 - 1)).to_bytes(8, "little")
    return head + bytes((s * 13 + k * 3 + 0x5a) & 0xff for k in range(8, 512))


def make_image(path):
    with open(path, "wb") as f:
        for s in range(SECTORS // 2):
            f.write(host_sector(s))
        f.write(bytes(512 * (SECTORS // 2)))


def test_block_selftests_with_a_disk():
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        make_image(img)
        p = subprocess.run([AXL, "ktest", "--no-build", "--quiet", "--timeout", "120",
                            "--disk", img, TESTS], capture_output=True, text=True)
        out = p.stdout + p.stderr
        assert p.returncode == 0, f"status {p.returncode}:\n{out[-3000:]}"
        assert "skipped" not in out, out[-3000:]
        assert len(re.findall(r"ktest: PASS block_|ktest: PASS virtq_", out)) == 9, out[-3000:]
        assert "ktest: 9 passed, 0 failed" in out, out[-3000:]
        with open(img, "rb") as f:
            data = f.read()
        half = SECTORS // 2
        for s in range(half, half + 64):
            assert data[s * 512:(s + 1) * 512] == guest_sector(s), f"sector {s} not written"
        assert data[(SECTORS - 1) * 512:] == guest_sector(SECTORS - 1), "last sector"
        assert data[:half * 512] == b"".join(host_sector(s) for s in range(half)), \
            "the lower half changed"


def test_dev_vda_is_a_block_device():
    with tempfile.TemporaryDirectory() as tmp:
        imgs = [os.path.join(tmp, f"disk{i}.img") for i in range(2)]
        for img in imgs:
            with open(img, "wb") as f:
                f.truncate(1 << 20)
        p = subprocess.run([AXL, "run", "--no-build", "--quiet", "--timeout", "120",
                            "--disk", imgs[0], "--disk", imgs[1], "--",
                            "/bin/ls", "-l", "/dev/vda", "/dev/vdb"],
                           capture_output=True, text=True)
        assert p.returncode == 0, f"status {p.returncode}:\n{p.stdout}{p.stderr}"
        assert re.search(r"^brw-rw---- .* 254, +0 .*/dev/vda$", p.stdout, re.M), p.stdout
        assert re.search(r"^brw-rw---- .* 254, +16 .*/dev/vdb$", p.stdout, re.M), p.stdout
