"""File mappings of ext2 files through the page cache.

/tests/mmap_file (the same program test_user.py runs on tmpfs) runs on an
ext2 disk mounted at /mnt, twice on the same image: the second boot finds
the file the first one made and reads it through a mapping, every page
faulting in from the disk (the fault path that waits for the page cache).
e2fsck then finds the image clean. /tests/mlock's file case runs there
too: mlock of a file mapping whose pages are on the disk only waits for
each page and runs again.
"""
import os
import subprocess
import tempfile

from guest import run
from test_user import check_ut_output

# init mounted the disk (vda) at /mnt.
SCRIPT = "grep -q '^/dev/vda /mnt ext2 ' /proc/mounts && MMAP_DIR=/mnt /tests/mmap_file"


def make_image(path, block_size):
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-b", str(block_size), path, "8M"],
                   check=True, stdout=subprocess.DEVNULL)


def check_two_boots(block_size):
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        make_image(img, block_size)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c", SCRIPT)
        check_ut_output("mmap_file on ext2", rc, out)
        assert "made /mnt/mf_keep" in out, out[-3000:]
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c", SCRIPT)
        check_ut_output("mmap_file on ext2, second boot", rc, out)
        assert "read /mnt/mf_keep of an earlier run through a mapping" in out, out[-3000:]
        fsck = subprocess.run(["e2fsck", "-fn", img], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        assert fsck.returncode == 0, fsck.stdout.decode()


def test_mmap_on_ext2_1k_blocks():
    """Shared and private mappings of ext2 files (1 KiB blocks: four per page)."""
    check_two_boots(1024)


def test_mmap_on_ext2_4k_blocks():
    """The same with 4 KiB blocks."""
    check_two_boots(4096)


def test_mlock_of_ext2_file_mappings():
    """mlock reads a cache-cold ext2 file's pages in (its call waits and runs again)."""
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        make_image(img, 4096)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c",
                      "grep -q '^/dev/vda /mnt ext2 ' /proc/mounts && "
                      "MMAP_DIR=/mnt /tests/mlock mlock_of_a_file_mapping_reads_every_page_in")
        check_ut_output("mlock on ext2", rc, out)
        fsck = subprocess.run(["e2fsck", "-fn", img], stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT)
        assert fsck.returncode == 0, fsck.stdout.decode()
