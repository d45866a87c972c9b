"""The interactive shell, driven through a pseudo-terminal on the host the
way a person types at `./axl run` (or `make run`): wait for the shell's
prompt, type a command with a typo and erase it with backspace, run a
pipeline, start `sleep 100` and interrupt it with ^C, check that the prompt
comes back (with status 130), then `exit`.

./axl sees a terminal on its stdin, so QEMU runs in its interactive mode
(the serial console multiplexed with QEMU's monitor, Ctrl-A X to leave, the
host terminal in raw mode): every byte typed, ^C included, goes to the
guest's serial port, where the kernel's terminal and the shell's line
editing take it.

The same session also runs against the host's busybox sh in a
pseudo-terminal of its own (test_interactive_session_on_host): that checks
the driver and the expected output on Linux. The Axolotl session runs only
with INTERACTIVE_ENABLED (it needs the terminal line discipline, sessions,
process groups and job control).
"""
import fcntl
import os
import pty
import re
import signal
import struct
import subprocess
import tempfile
import termios
import threading
import time

from guest import AXL

INTERACTIVE_ENABLED = True
BUSYBOX = "/bin/busybox"
GUEST_ENV = {"PATH": "/bin:/sbin:/usr/bin:/usr/sbin:/tests", "HOME": "/", "TERM": "linux"}
# Typed as 'sh''-ready> ', so that the echo of the assignment does not match.
PROMPT = "sh-ready> "
CSI = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")
NEWLINE = re.compile(r"\r+\n")


class PtySession:
    """A program on the slave side of a new pseudo-terminal, as its controlling terminal."""

    def __init__(self, argv, env=None, cwd=None):
        self.master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))

        def child_setup():
            os.setsid()
            fcntl.ioctl(0, termios.TIOCSCTTY, 0)
            for sig in range(1, signal.NSIG):
                try:
                    signal.signal(sig, signal.SIG_DFL)
                except (OSError, ValueError):
                    pass

        self.proc = subprocess.Popen(argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=cwd, preexec_fn=child_setup)
        os.close(slave)
        self.output = b""
        self.lock = threading.Lock()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        while True:
            try:
                chunk = os.read(self.master, 4096)
            except OSError:  # EIO: every slave descriptor closed
                return
            if not chunk:
                return
            with self.lock:
                self.output += chunk

    def text(self):
        """The output so far, without terminal control sequences, \r\n as \n."""
        with self.lock:
            text = self.output.decode("utf-8", "replace")
        # busybox's line editing asks for the cursor position (ESC [ 6 n) and
        # redraws with ESC [ K: none of that is text. A new line arrives as
        # \r\n from the guest's terminal (ONLCR), and the host's pty, which
        # QEMU leaves with OPOST on, makes that \r\r\n.
        return NEWLINE.sub("\n", CSI.sub("", text))

    def wait_for(self, pattern, start=0, timeout=60):
        """Waits for regex pattern in the output after offset start; returns the match's end."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            m = re.compile(pattern).search(self.text(), start)
            if m:
                return m.end()
            if self.proc.poll() is not None and not self.reader.is_alive():
                break
            time.sleep(0.05)
        raise AssertionError(f"never saw {pattern!r}; output:\n{self.text()[-3000:]}")

    def send(self, data):
        os.write(self.master, data.encode() if isinstance(data, str) else data)

    def type_line(self, line, timeout=60):
        """Types line + Enter; returns the output up to the next prompt."""
        start = len(self.text())
        self.send(line + "\r")
        end = self.wait_for(re.escape(PROMPT), start, timeout)
        return self.text()[start:end]

    def close(self, timeout=120):
        """Waits for the program to end (killing it after timeout); returns its status."""
        try:
            rc = self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)  # ./axl and its QEMU
            rc = self.proc.wait()
        self.reader.join(timeout=10)
        os.close(self.master)
        return rc


def interactive_session(s):
    """The session: s is a PtySession running a shell (or ./axl run). Checks each step."""
    try:
        s.wait_for(r"[#$] $", timeout=120)  # the shell's first prompt
        s.type_line("PS1='sh''-ready> '")
        # A typo erased with backspace (DEL): "ecxo" becomes "echo".
        out = s.type_line("ecxo\x7f\x7fho typo-$((40 + 2))")
        assert "typo-42\n" in out and "not found" not in out, out
        out = s.type_line("echo hello | tr a-z A-Z")
        assert "HELLO\n" in out, out
        # ^C ends the foreground job; the prompt comes back long before 100 s.
        start = len(s.text())
        s.send("sleep 100\r")
        s.wait_for(r"sleep 100\n", start)  # the shell has read the line
        started = time.monotonic()
        prompt_back = None
        for _ in range(6):
            time.sleep(2)  # let the shell start sleep and hand it the terminal
            s.send("\x03")
            try:
                prompt_back = s.wait_for(re.escape(PROMPT), start, timeout=5)
                break
            except AssertionError:
                continue
        assert prompt_back, f"^C did not bring the prompt back\n{s.text()[-3000:]}"
        assert time.monotonic() - started < 60, "the prompt came back only after sleep ended"
        out = s.type_line("echo status-$?")
        assert "status-130\n" in out, out
        s.send("exit\r")
        rc = s.close()
        assert rc == 0, f"status {rc}\n{s.text()[-3000:]}"
    finally:
        if s.proc.poll() is None:
            os.killpg(s.proc.pid, signal.SIGKILL)
            s.proc.wait()


def test_interactive_session_on_host():
    """The session against the host's busybox sh, which is what Axolotl must match."""
    with tempfile.TemporaryDirectory() as tmp:
        interactive_session(PtySession([BUSYBOX, "sh"], env=GUEST_ENV, cwd=tmp))


if INTERACTIVE_ENABLED:

    def test_interactive_session_in_axolotl():
        s = PtySession([AXL, "run", "--no-build", "--quiet", "--timeout", "300"])
        interactive_session(s)
        assert "Ctrl-A X" in s.text(), "no hint on how to leave QEMU"
