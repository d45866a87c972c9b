"""ext2 read-write in the guest, on fresh images made by mke2fs on the host.

- File-system semantics: /tests/files (the program test_user.py runs on
  the root tmpfs) runs with FILES_DIR=/mnt on an ext2 disk that init
  mounted at /mnt, with 1 KiB and 4 KiB blocks. Two cases cannot hold on
  ext2 by design and are left out (NOT_ON_EXT2).
- A large tree: a host-made tree (files of many sizes up to 3 MiB, empty
  ones, deep directories, symbolic links, a hard link), /tests and
  /bin/busybox are copied into /mnt with `cp -a`, and sparse files are
  made there with dd seek; sha256sum lists of the sources and the copies
  are compared in the guest. After the guest shut down, debugfs copies
  the file system out on the host and every checksum is compared again,
  the sparse files' block counts show their holes, and `e2fsck -fn` finds
  nothing to fix. A second boot on the same image checks the copy against
  the list the first boot left on the disk (the page cache starts empty:
  every byte comes from the disk), and e2fsck is clean again.
- Root on disk: `./axl run --root IMG` with an image from tools/mkrootdisk
  (what `make run` boots): the root is ext2 on vda, a --disk image is vdb,
  which init mounts at /mnt; a file written to / in one boot is there in
  the next; both images are clean afterwards.
- Throughput: /tests/seqio writes 32 MiB with fsync in the first boot and
  reads them (content checked) in the second; the numbers are printed,
  never asserted (timing belongs in benchmarks; the content check is).
- Unmount right after deletes: their chains outlive the super block.
"""
import hashlib
import os
import random
import re
import subprocess
import tempfile

from guest import ROOT, e2fsck_clean, mke2fs, run
from test_user import check_ut_output

# Not on ext2, by design: ext2 has no fallocate (Linux's ext2 says
# EOPNOTSUPP too), and its inodes keep times in whole seconds (the case
# sets and reads back nanoseconds).
NOT_ON_EXT2 = ["fallocate_modes", "utimensat_and_utimes"]

SPARSE = {  # name: (size, [(offset, length) of data]); data bytes come from /src/big-3m
    "sparse-hole-middle": (3 << 20, [(0, 4096), ((5 << 19) + 1000, 8192)]),
    "sparse-hole-end": (9 << 20, [(1 << 20, 100)]),
}


def files_on_ext2(block_size):
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        mke2fs(img, "32M", block_size)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c",
                      "grep -q '^/dev/vda /mnt ext2 rw' /proc/mounts && "
                      "exec env FILES_DIR=/mnt /tests/files " +
                      " ".join("-" + c for c in NOT_ON_EXT2), timeout=300)
        check_ut_output(f"files on ext2 ({block_size}-byte blocks)", rc, out)
        e2fsck_clean(img)


def test_files_on_ext2_1k_blocks():
    """/tests/files in a directory of an ext2 disk with 1 KiB blocks."""
    files_on_ext2(1024)


def test_files_on_ext2_4k_blocks():
    """The same with 4 KiB blocks."""
    files_on_ext2(4096)


# ---- a large tree, twice, checked on the host ----

def make_tree(top):
    """Files of many sizes (about 8 MiB in all), directories, links; deterministic."""
    rnd = random.Random(5)
    sizes = [0, 1, 511, 512, 513, 1023, 1024, 1025, 4095, 4096, 4097, 8191, 12288, 65537,
             266240, 300000, 1 << 20, (1 << 20) + 1, 1500000]
    os.makedirs(os.path.join(top, "a", "b", "c", "d", "e"))
    for i, size in enumerate(sizes):
        sub = ["", "a", "a/b", "a/b/c/d/e"][i % 4]
        with open(os.path.join(top, sub, f"f{i:02d}-{size}"), "wb") as f:
            f.write(rnd.randbytes(size))
    with open(os.path.join(top, "big-3m"), "wb") as f:
        f.write(rnd.randbytes(3 << 20))
    many = os.path.join(top, "many")
    os.makedirs(many)
    for i in range(300):  # a directory of many blocks
        with open(os.path.join(many, f"entry-with-a-longish-name-{i:04d}"), "w") as f:
            f.write(f"{i}\n" * (i % 7))
    os.symlink("big-3m", os.path.join(top, "fast-link"))
    os.symlink("a/b/c/d/e/" + "n" * 100, os.path.join(top, "slow-link"))
    os.link(os.path.join(top, "a", "f01-1"), os.path.join(top, "hard-link"))


def sparse_content(name, big):
    size, extents = SPARSE[name]
    data = bytearray(size)
    for off, length in extents:
        data[off:off + length] = big[off:off + length]
    return bytes(data)


def copy_script():
    lines = ["set -e", "grep -q '^/dev/vda /mnt ext2 rw' /proc/mounts",
             "cp -a /src /tests /mnt/", "mkdir /mnt/bin", "cp -a /bin/busybox /mnt/bin/"]
    for name, (size, extents) in SPARSE.items():
        for off, length in extents:
            lines.append(f"dd if=/src/big-3m of=/mnt/{name} bs=1 count={length} skip={off} "
                         f"seek={off} conv=notrunc 2>/dev/null")
        lines.append(f"truncate -s {size} /mnt/{name}")
    lines += [
        # The sources' sums with /mnt's paths, then the copies' own.
        "cd / && find src tests bin/busybox -type f | sort | xargs sha256sum > /tmp/want",
        "cd /mnt && find src tests bin sparse-* -type f | sort | xargs sha256sum > SUMS",
        "grep -v ' sparse-' SUMS | diff /tmp/want - && echo 'ext2: the copy matches'",
        "/tests/seqio write /mnt/seq 32",
        "ls -lsR /mnt | wc -l",
    ]
    return "\n".join(lines) + "\n"


CHECK_SCRIPT = """set -e
cd /mnt && sha256sum -c SUMS | grep -vc ': OK$' || echo 'ext2: every file OK'
/tests/seqio read /mnt/seq
"""


def sha(data):
    return hashlib.sha256(data).hexdigest()


def check_copy_on_host(img, tmp, tree):
    """debugfs copies the file system out: every file as the host made it, holes kept."""
    out = os.path.join(tmp, "out")
    os.makedirs(out)
    p = subprocess.run(["debugfs", "-R", f"rdump / {out}", img], capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    sums = {}
    with open(os.path.join(out, "SUMS")) as f:
        for line in f:
            digest, path = line.split()
            sums[path] = digest
    compared = 0
    for top, _dirs, files in os.walk(tree):
        for name in files:
            if os.path.islink(os.path.join(top, name)):
                continue
            rel = "src/" + os.path.relpath(os.path.join(top, name), tree)
            with open(os.path.join(top, name), "rb") as f:
                want = sha(f.read())
            with open(os.path.join(out, rel), "rb") as f:
                got = sha(f.read())
            assert got == want, f"{rel}: on the disk {got}, made {want}"
            assert sums[rel] == want, f"{rel}: the guest's sum {sums[rel]}"
            compared += 1
    for rel in ("bin/busybox", "tests/files", "tests/seqio"):
        with open(os.path.join(out, rel), "rb") as f:
            assert sha(f.read()) == sums[rel], rel
    assert os.readlink(os.path.join(out, "src", "slow-link")) == "a/b/c/d/e/" + "n" * 100
    with open(os.path.join(tree, "big-3m"), "rb") as f:
        big = f.read()
    for name, (size, extents) in SPARSE.items():
        with open(os.path.join(out, name), "rb") as f:
            data = f.read()
        assert len(data) == size and data == sparse_content(name, big), name
        assert sums[name] == sha(data), name
        stat = subprocess.run(["debugfs", "-R", f"stat /{name}", img], capture_output=True,
                              text=True).stdout
        blocks = int(re.search(r"Blockcount: (\d+)", stat).group(1)) * 512
        data_bytes = sum(length for _off, length in extents)
        assert blocks < data_bytes + (64 << 10), f"{name}: {blocks} bytes of blocks: no holes?"
    return compared


def test_large_tree_copy_survives_reboot():
    """cp -a of ~20 MiB into ext2, sums in the guest, on the host, and after a reboot."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "src")
        make_tree(tree)
        img = os.path.join(tmp, "disk.img")
        mke2fs(img, "96M", 4096)
        script = os.path.join(tmp, "copy.sh")
        with open(script, "w") as f:
            f.write(copy_script())
        rc, out = run("--quiet", "--disk", img, "--add", tree + ":/src", "--add",
                      script + ":/copy.sh", "--", "/bin/sh", "/copy.sh", timeout=300)
        assert rc == 0 and "ext2: the copy matches" in out, f"status {rc}\n{out[-4000:]}"
        write = re.search(r"^seqio: wrote .*$", out, re.M)
        assert write, out[-3000:]
        e2fsck_clean(img)
        compared = check_copy_on_host(img, tmp, tree)
        assert compared > 300, compared
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c", CHECK_SCRIPT, timeout=300)
        assert rc == 0 and "ext2: every file OK" in out, f"status {rc}\n{out[-4000:]}"
        read = re.search(r"^seqio: read .*$", out, re.M)
        assert read, out[-3000:]
        e2fsck_clean(img)
        print(f"ext2 throughput (4 KiB blocks, QEMU TCG): {write.group(0)[7:]}; "
              f"{read.group(0)[7:]}")


# ---- root on disk ----

def test_root_on_disk_keeps_files_across_boots():
    """./axl run --root IMG: ext2 root on vda, --disk as vdb at /mnt; files stay."""
    with tempfile.TemporaryDirectory() as tmp:
        root_img = os.path.join(tmp, "root.img")
        subprocess.run([os.path.join(ROOT, "tools", "mkrootdisk"), "-o", root_img],
                       check=True)
        data_img = os.path.join(tmp, "data.img")
        mke2fs(data_img, "8M", 1024)
        first = ("grep -q '^/dev/vda / ext2 rw' /proc/mounts && "
                 "grep -q '^/dev/vdb /mnt ext2 rw' /proc/mounts && "
                 "echo kept-on-root > /root-file && echo kept-on-mnt > /mnt/mnt-file && "
                 "ls /sbin/init /tests/files /dev/console /proc/self >/dev/null && echo first-ok")
        rc, out = run("--quiet", "--root", root_img, "--disk", data_img, "--", "/bin/sh", "-c",
                      first)
        assert rc == 0 and "first-ok" in out, f"status {rc}\n{out[-3000:]}"
        rc, out = run("--quiet", "--root", root_img, "--disk", data_img, "--", "/bin/sh", "-c",
                      "cat /root-file /mnt/mnt-file")
        assert rc == 0 and "kept-on-root\nkept-on-mnt" in out.replace("\r", ""), out[-3000:]
        for img in (root_img, data_img):
            e2fsck_clean(img)
        # The command was written into the image for the boot and removed after.
        p = subprocess.run(["debugfs", "-R", "ls /etc/axl", root_img], capture_output=True,
                           text=True)
        assert p.returncode == 0 and "cmd" not in p.stdout.split(), p.stdout


def free_blocks(img):
    out = subprocess.run(["dumpe2fs", "-h", img], stdout=subprocess.PIPE,
                         stderr=subprocess.DEVNULL, check=True, text=True).stdout
    return int(re.search(r"^Free blocks:\s+(\d+)$", out, re.M).group(1))


def test_unmount_right_after_deletes():
    """rm of files with dirty pages, then umount at once: the deletes (which wait for a
    write-back pass) and the flusher's last hold on the files outlive the super block; they
    must finish on the mount they keep, and the disk mount again, clean, with the space back.
    (The first step's completion once touched the freed super block.)"""
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "d.img")
        mke2fs(img, "100M", 4096)
        free0 = free_blocks(img)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c",
                      "cd /; for k in 1 2 3 4 5; do "
                      "dd if=/dev/zero of=/mnt/x$k bs=1M count=8 2>/dev/null; done; "
                      "rm /mnt/x*; umount /mnt && echo unmounted; n=0; "
                      "until mount -t ext2 /dev/vda /mnt 2>/dev/null; do "
                      "n=$((n+1)); [ $n -gt 100 ] && break; sleep 0.1; done; "
                      "ls /mnt; umount /mnt && echo unmounted-again", timeout=120)
        assert rc == 0 and "unmounted-again" in out, out[-3000:]
        assert "KERNEL FAULT" not in out and "crashed" not in out, out[-3000:]
        e2fsck_clean(img)
        assert free_blocks(img) == free0, (free0, free_blocks(img))
