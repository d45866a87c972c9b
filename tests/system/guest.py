"""Driving a booted Axolotl guest from a host test.

Guest starts `./axl run` with pipes for the serial console, collects what
the guest prints in a background thread, and lets a test wait for text and
type lines, the way a person at the console would.
"""
import os
import signal
import subprocess
import threading
import time

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
AXL = os.path.join(ROOT, "axl")


def cpus():
    """The CPUs of every guest: tools/run-tests --smp N sets AXL_SMP, which ./axl reads
    as the default of --smp. Read at each call: one run of the harness changes it."""
    return int(os.environ.get("AXL_SMP", "1"))


class Guest:
    def __init__(self, *axl_args, timeout=120):
        self.proc = subprocess.Popen(
            [AXL, "run", "--no-build", "--timeout", str(timeout), *axl_args],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=True)  # ./axl and its QEMU: one group, for power_cut
        self.output = b""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            chunk = self.proc.stdout.read1(4096)
            if not chunk:
                return
            with self.lock:
                self.output += chunk

    def text(self):
        with self.lock:
            return self.output.decode("utf-8", "replace")

    def wait_for(self, needle, timeout=60, start=0):
        """Waits until needle appears in the output after offset start; returns its end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            at = self.text().find(needle, start)
            if at >= 0:
                return at + len(needle)
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.02)
        raise AssertionError(f"guest never printed {needle!r}; output:\n{self.text()[-3000:]}")

    def send(self, data):
        self.proc.stdin.write(data.encode() if isinstance(data, str) else data)
        self.proc.stdin.flush()

    def command(self, line, prompt="axl> "):
        """Types line at the monitor prompt and returns what it printed up to the next prompt."""
        start = len(self.text())
        self.send(line + "\n")
        end = self.wait_for(prompt, start=start)
        return self.text()[start:end]

    def power_cut(self):
        """Kills QEMU at once, as pulling the plug: nothing more reaches its disks.

        ./axl dies with it, so the lock checker's reports are looked for on the
        console (they are errors: shown even with --quiet)."""
        os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self.reader.join(timeout=10)
        assert "lockcheck: " not in self.text(), \
            f"the kernel's lock checker made a report:\n{self.text()[-3000:]}"

    def finish(self, timeout=120):
        """Closes the console and returns (exit status of ./axl, full output)."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        rc = self.proc.wait(timeout=timeout)
        self.reader.join(timeout=10)
        return rc, self.text()


def mke2fs(path, size, block_size=None, extra=()):
    """A fresh ext2 image of size (mke2fs's syntax) at path."""
    blocks = ["-b", str(block_size)] if block_size else []
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", *blocks, *extra, path, size],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def e2fsck_clean(img):
    """e2fsck -fn must find nothing to fix (exit status 0)."""
    p = subprocess.run(["e2fsck", "-fn", img], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       text=True)
    assert p.returncode == 0, f"e2fsck -fn {img}: status {p.returncode}\n{p.stdout}"


def run(*axl_args, timeout=120, stdin=b""):
    """Boots, feeds stdin, waits for the end; returns (exit status, output)."""
    p = subprocess.run([AXL, "run", "--no-build", "--timeout", str(timeout), *axl_args],
                       input=stdin, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                       timeout=timeout + 60)
    return p.returncode, p.stdout.decode("utf-8", "replace")
