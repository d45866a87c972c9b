#!/usr/bin/env python3
"""A Debian root for the fuzz and stress runs and Debian's own programs, made with mmdebstrap.

  tools/debroot.py [--image]     builds (or finds) build/debian/rootfs,
                                 and with --image build/debian/root.img

The root is Debian bookworm's minbase with trinity, stress-ng, procps and
python3 (tests/system/test_debian.py),
fetched from Debian's archive by mmdebstrap (as root: it needs to chown
and chroot), kept in build/debian/rootfs and rebuilt only when the list
below changes (build/debian/stamp). root.img is an ext2 image of it
(mke2fs -d, 1 GiB) for `./axl run --root`; each run takes a copy, so a
fuzzer's damage never reaches the next run. The project's init goes into
the copy as /sbin/init (Debian's minbase has none), put there by
`fresh_copy`, so a rebuilt init is always the one that runs.
"""
import os
import shutil
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEB = os.path.join(ROOT, "build", "debian")
ROOTFS = os.path.join(DEB, "rootfs")
IMAGE = os.path.join(DEB, "root.img")
STAMP = os.path.join(DEB, "stamp")
SUITE = "bookworm"
PACKAGES = ["trinity", "stress-ng", "procps", "python3"]
IMAGE_SIZE = "1G"
INIT = os.path.join(ROOT, "build", "user", "init")
GUEST_INIT = "/usr/sbin/init"  # /sbin is a link to usr/sbin in bookworm


def _want():
    return f"{SUITE} minbase {' '.join(sorted(PACKAGES))}\n"


def _have():
    try:
        with open(STAMP) as f:
            return f.read()
    except FileNotFoundError:
        return None


def _sudo():
    if os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        return ["sudo"]
    sys.exit("debroot: mmdebstrap needs root (or sudo)")


def ensure_rootfs(log=sys.stderr):
    """build/debian/rootfs, made when missing or when the package list changed."""
    if _have() == _want() and os.path.isdir(os.path.join(ROOTFS, "usr")):
        return ROOTFS
    if not shutil.which("mmdebstrap"):
        subprocess.run(_sudo() + ["apt-get", "install", "-y", "-qq", "mmdebstrap"], check=True,
                       stdout=subprocess.DEVNULL)
    print(f"debroot: making a Debian {SUITE} root with {', '.join(PACKAGES)} (mmdebstrap)",
          file=log, flush=True)
    os.makedirs(DEB, exist_ok=True)
    if os.path.exists(ROOTFS):
        subprocess.run(_sudo() + ["rm", "-rf", ROOTFS], check=True)
    for leftover in (IMAGE, STAMP):
        if os.path.exists(leftover):
            os.unlink(leftover)
    subprocess.run(_sudo() + ["mmdebstrap", "--quiet", "--variant=minbase",
                              "--include=" + ",".join(PACKAGES), SUITE, ROOTFS], check=True)
    with open(STAMP, "w") as f:
        f.write(_want())
    return ROOTFS


def ensure_image(log=sys.stderr):
    """build/debian/root.img, an ext2 image of the root."""
    ensure_rootfs(log)
    if os.path.exists(IMAGE) and os.path.getmtime(IMAGE) >= os.path.getmtime(STAMP):
        return IMAGE
    tmp = IMAGE + ".tmp"
    subprocess.run(_sudo() + ["mke2fs", "-q", "-F", "-t", "ext2", "-d", ROOTFS, tmp, IMAGE_SIZE],
                   check=True, stdout=subprocess.DEVNULL)
    os.replace(tmp, IMAGE)
    return IMAGE


def fresh_copy(directory=None):
    """A copy of root.img with the project's init as /sbin/init; the caller deletes it."""
    image = ensure_image()
    fd, path = tempfile.mkstemp(prefix="debroot-", suffix=".img", dir=directory or DEB)
    os.close(fd)
    subprocess.run(["cp", "--sparse=always", image, path], check=True)
    with tempfile.NamedTemporaryFile("w", suffix=".debugfs") as cmds:
        cmds.write(f"rm {GUEST_INIT}\nwrite {INIT} {GUEST_INIT}\nsif {GUEST_INIT} mode 0100755\n")
        cmds.flush()
        subprocess.run(["debugfs", "-w", "-f", cmds.name, path], check=True,
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return path


if __name__ == "__main__":
    print(ensure_image() if "--image" in sys.argv[1:] else ensure_rootfs())
