"""Disk fuzzing (issue 5: hostile disks): ext2 images with random bytes
flipped in their metadata, each mounted and walked in the guest; the kernel
must survive all of them.

The host makes one small image with `mke2fs -d` from a tree that has
directories (one of several blocks), small files, an empty file, a hard
link, a fast and a slow symlink and a 290 KiB file (indirect and double
indirect blocks with 1 KiB blocks). dumpe2fs and debugfs give where its
metadata is: superblock, group descriptors, block and inode bitmaps, the
used part of the inode table, directory blocks, indirect blocks, the slow
symlink's block. Image i flips 1 to 8 bytes in one of these regions (chosen
in turn, the bytes by random.Random(SEED, i): a failure names the image
and its flips, and keeps it as build/fuzz-fail-I.img); every 25th is also
cut short.

Every file is read up to 4 MiB (`head -c`), four times the image: all
the data a file can have on it. Not further, because a corrupt i_size of
gigabytes reads as gigabytes of holes, which takes minutes under TCG
(the page cache now gives clean pages back, so it no longer exhausts
memory, and the core refuses sizes past what ext2 can address: image 13
of this seed claimed 133 TB).

Each boot attaches a pristine copy as vda and up to 15 fuzzed images
(vdb...; the driver takes 16 disks) and runs fuzz.sh: mount each, find,
ls -lR, cat every file, try to write (create, mkdir, remove), unmount.
Errors (EIO, EUCLEAN, a refused mount) are fine; every image must be
walked to its end without a kernel panic, and afterwards the pristine disk
must still mount, read and write (the services are alive).
"""
import os
import random
import re
import shutil
import subprocess
import tempfile

from guest import ROOT, run

SEED = 20240505
IMAGES = 300
PER_BOOT = 15
HELLO = "hello from the pristine image\n"

# init mounted vda, the pristine disk, at /mnt: it is mounted again at the
# end, on /mnt/good, after the fuzzed images were walked.
SCRIPT = r"""
umount /mnt 2>/dev/null
for d in /dev/vd[b-z]; do
  [ -b $d ] || continue
  n=${d#/dev/}
  mkdir -p /mnt/$n
  if mount -t ext2 $d /mnt/$n 2>/dev/null; then
    timeout 60 find /mnt/$n >/dev/null 2>&1
    timeout 60 ls -lR /mnt/$n >/dev/null 2>&1
    timeout 60 find /mnt/$n -type f -exec head -c 4194304 {} + >/dev/null 2>&1
    timeout 30 sh -c "echo new >/mnt/$n/new-file; mkdir /mnt/$n/new-dir; rm -f /mnt/$n/hello; rm -rf /mnt/$n/d1/d2" >/dev/null 2>&1
    timeout 30 umount /mnt/$n 2>/dev/null || echo "fuzz: $n umount failed"
    echo "fuzz: $n mounted"
  else
    echo "fuzz: $n refused"
  fi
  grep MemFree /proc/meminfo
done
mkdir -p /mnt/good
mount -t ext2 /dev/vda /mnt/good && cat /mnt/good/hello && echo written >/mnt/good/w &&
  [ "$(cat /mnt/good/w)" = written ] && ls /mnt/good/many | wc -l && umount /mnt/good &&
  echo "fuzz: pristine ok"
cat /proc/services
echo "fuzz: end"
"""


def make_tree(top):
    rnd = random.Random(SEED)
    os.makedirs(os.path.join(top, "d1", "d2", "d3"))
    os.makedirs(os.path.join(top, "many"))
    with open(os.path.join(top, "hello"), "w") as f:
        f.write(HELLO)
    open(os.path.join(top, "empty"), "w").close()
    with open(os.path.join(top, "d1", "d2", "d3", "deep"), "w") as f:
        f.write("deep\n" * 100)
    for i in range(60):  # a directory of several blocks
        with open(os.path.join(top, "many", f"a-rather-long-file-name-{i:02d}"), "w") as f:
            f.write(str(i) * (i + 1))
    with open(os.path.join(top, "big"), "wb") as f:
        f.write(rnd.randbytes(290 * 1024))
    os.link(os.path.join(top, "hello"), os.path.join(top, "d1", "hard"))
    os.symlink("hello", os.path.join(top, "fast"))
    os.symlink("d1/d2/d3/" + "x" * 120, os.path.join(top, "slow"))


def tool(*args):
    return subprocess.run(args, capture_output=True, text=True, check=True).stdout


def regions(img):
    """{kind: [(offset, length)]} of the image's metadata."""
    dump = tool("dumpe2fs", img)
    bs = int(re.search(r"^Block size:\s+(\d+)", dump, re.M).group(1))
    isize = int(re.search(r"^Inode size:\s+(\d+)", dump, re.M).group(1))
    first_free = int(re.search(r"Free inodes: (\d+)", dump).group(1))
    sb = int(re.search(r"superblock at (\d+)", dump).group(1))
    gd = int(re.search(r"Group descriptors at (\d+)", dump).group(1))
    bb = int(re.search(r"Block bitmap at (\d+)", dump).group(1))
    ib = int(re.search(r"Inode bitmap at (\d+)", dump).group(1))
    it = int(re.search(r"Inode table at (\d+)", dump).group(1))
    r = {
        "superblock": [(1024, 256)],  # the fields in use; the rest is padding
        "group descriptors": [(gd * bs, 32)],
        "block bitmap": [(bb * bs, bs)],
        "inode bitmap": [(ib * bs, bs)],
        "inode table": [(it * bs, (first_free - 1) * isize)],
    }
    assert sb in (0, 1)

    def blocks(path, only=None):
        text = tool("debugfs", "-R", f"stat {path}", img)
        out = []
        for m in re.finditer(r"\((\w+|\d+(?:-\d+)?)\):(\d+)(?:-(\d+))?", text):
            if only and m.group(1) not in only:
                continue
            lo = int(m.group(2))
            hi = int(m.group(3) or lo)
            out += [(b * bs, bs) for b in range(lo, hi + 1)]
        return out

    r["directory blocks"] = sum((blocks(d) for d in ("/", "/d1", "/d1/d2", "/d1/d2/d3",
                                                       "/many", "/lost+found")), [])
    r["indirect blocks"] = blocks("/big", only=("IND", "DIND"))
    r["slow symlink"] = blocks("/slow")
    for k, v in r.items():
        assert v, f"no {k} found"
    return r


def fuzz_image(base, regs, i, path):
    """Writes fuzzed image i to path; returns a description of what changed."""
    rnd = random.Random(SEED * 1000003 + i)
    kinds = sorted(regs)
    kind = kinds[i % len(kinds)]
    data = bytearray(base)
    flips = []
    for _ in range(rnd.randint(1, 8)):
        off, length = rnd.choice(regs[kind])
        at = off + rnd.randrange(length)
        if rnd.random() < 0.5:
            data[at] ^= 1 << rnd.randrange(8)
        else:
            data[at] = rnd.randrange(256)
        flips.append(at)
    what = f"image {i}: {kind}, bytes at {flips}"
    if i % 25 == 24:
        cut = rnd.randrange(4, len(data) // 1024) * 1024
        del data[cut:]
        what += f", cut to {cut} bytes"
    with open(path, "wb") as f:
        f.write(data)
    return what


def check_boot(rc, out, names):
    """Fails unless the boot walked every image and the pristine disk still works."""
    assert "KERNEL PANIC" not in out, out[-4000:]
    # A fault in a service thread is contained (the service restarts); elsewhere it is not.
    for thread in re.findall(r"KERNEL FAULT: .* in thread '([^']*)'", out):
        assert thread in ("ext2", "blk"), f"a fault in thread {thread}:\n{out[-4000:]}"
    assert rc == 0, f"status {rc}\n{out[-4000:]}"
    for n in names:
        assert re.search(rf"^fuzz: {n} (mounted|refused)", out, re.M), f"{n} not walked"
    assert "fuzz: pristine ok" in out and HELLO.strip() in out, out[-4000:]
    assert "fuzz: end" in out, out[-4000:]
    return (len(re.findall(r"^fuzz: vd\w+ mounted", out, re.M)),
            len(re.findall(r"^fuzz: vd\w+ refused", out, re.M)))


def fuzz_images(lo, hi):
    """Fuzzes and walks images lo to hi - 1."""
    with tempfile.TemporaryDirectory() as tmp:
        tree = os.path.join(tmp, "tree")
        make_tree(tree)
        base_img = os.path.join(tmp, "base.img")
        with open(base_img, "wb") as f:
            f.truncate(1 << 20)
        tool("mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024", "-N", "128", "-m", "0", "-d",
             tree, base_img)
        regs = regions(base_img)
        with open(base_img, "rb") as f:
            base = f.read()
        script = os.path.join(tmp, "fuzz.sh")
        with open(script, "w") as f:
            f.write(SCRIPT)
        survived = mounted = refused = 0
        for first in range(lo, hi, PER_BOOT):
            batch = range(first, min(first + PER_BOOT, hi))
            pristine = os.path.join(tmp, "pristine.img")
            shutil.copyfile(base_img, pristine)
            disks, what = ["--disk", pristine], {}
            for k, i in enumerate(batch):
                path = os.path.join(tmp, f"fuzz{k}.img")
                what[i] = fuzz_image(base, regs, i, path)
                disks += ["--disk", path]
            names = ["vd" + chr(ord("b") + k) for k in range(len(batch))]
            rc, out = run("--quiet", *disks, "--add", script + ":/fuzz.sh", "--", "/bin/sh",
                          "/fuzz.sh", timeout=600)
            try:
                m, r = check_boot(rc, out, names)
            except AssertionError as e:
                # Keep the images of the batch: one of them did it.
                for k, i in enumerate(batch):
                    shutil.copyfile(os.path.join(tmp, f"fuzz{k}.img"),
                                    os.path.join(ROOT, "build", f"fuzz-fail-{i}.img"))
                raise AssertionError("a batch of fuzzed images failed (kept as build/fuzz-fail-"
                                     "I.img):\n" + "\n".join(what.values()) + f"\n{e}") from None
            survived += len(batch)
            mounted += m
            refused += r
        assert survived == hi - lo
        print(f"disk_fuzz: images {lo}-{hi - 1}: {survived} fuzzed images survived "
              f"({mounted} mounted and walked, {refused} refused at mount)")


# Two halves, so that tools/run-tests boots them side by side.
def test_fuzzed_images_first_half():
    fuzz_images(0, IMAGES // 2)


def test_fuzzed_images_second_half():
    fuzz_images(IMAGES // 2, IMAGES)
