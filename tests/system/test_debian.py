"""Debian's own programs on Axolotl, booted from the Debian root of
tools/debroot.py (`./axl run --root`): what a user of unmodified Debian
binaries does first. Each program's own checks decide; the host reads
its verdict line and the exit status.

- python3 (tests/debian/python_sockets.py): socket pairs, the epoll
  selector, an asyncio AF_UNIX echo server with ten clients, asyncio
  subprocesses and signal handlers, multiprocessing over a Pipe, and
  descriptor passing.
- bash (tests/debian/users.sh): users and permissions with Debian's tools:
  useradd, a 0600 file closed to another user (setpriv, runuser, su),
  capabilities in /proc/self/status, nice/renice/chrt/ionice, prlimit and
  ulimit -f, and stack randomization with and without setarch -R.
"""
import os
import subprocess
import sys

from guest import AXL, ROOT

sys.path.insert(0, os.path.join(ROOT, "tools"))
import debroot  # noqa: E402

SCRIPTS = os.path.join(ROOT, "tests", "debian")


def copy_in(image, src, dest):
    """Writes host file src into the image as dest (debugfs, the image not mounted)."""
    subprocess.run(["debugfs", "-w", "-R", f"write {src} {dest}", image], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def run_on_debian(files, *cmd, timeout=600):
    """Boots a fresh copy of the Debian root with files ({src: dest}) in it; runs cmd."""
    image = debroot.fresh_copy()
    try:
        for src, dest in files.items():
            copy_in(image, src, dest)
        p = subprocess.run([AXL, "run", "--no-build", "--quiet", "--mem", "1G", "--root", image,
                            "--timeout", str(timeout), "--", *cmd],
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=timeout + 60)
    finally:
        os.unlink(image)
    return p.returncode, p.stdout.decode("utf-8", "replace")


def test_python3_sockets_asyncio_and_multiprocessing():
    rc, out = run_on_debian({os.path.join(SCRIPTS, "python_sockets.py"): "/root/python_sockets.py"},
                            "/usr/bin/python3", "/root/python_sockets.py")
    assert rc == 0, out[-4000:]
    assert "python-sockets: 6 checks passed" in out, out[-4000:]


def test_users_and_permissions_with_debian_tools():
    rc, out = run_on_debian({os.path.join(SCRIPTS, "users.sh"): "/root/users.sh"},
                            "/bin/bash", "/root/users.sh")
    assert rc == 0, out[-4000:]
    assert "users: 27 checks passed, 0 failed" in out, out[-4000:]
