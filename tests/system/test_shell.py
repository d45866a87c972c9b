"""Shell scripts (tests/shell/NAME.sh) run by Debian's busybox sh inside
Axolotl and compared with the same busybox binary running the same script
on this host's Linux.

In Axolotl: `./axl run --quiet -- /bin/sh /tests/shell/NAME.sh` (the default
initramfs holds the scripts under /tests/shell and busybox as /bin/sh). On
the host: `/bin/busybox sh tests/shell/NAME.sh` in a scratch directory, with
the environment init gives its command (PATH, HOME=/, TERM=linux) plus
TMPDIR=the scratch directory, default signal dispositions, no controlling
terminal and /dev/null as stdin. The busybox is Debian's busybox-static
(tools/setup.sh installs it); it prefers its own applets to PATH, so `ls`
is busybox's on both sides.

Each script makes its own input files in "${TMPDIR:-/tmp}/NAME.PID", sets
TZ=UTC0 and umask 022, and leaves out what must differ between two systems
(owners, pids, directory sizes, the current time). The comparison then
normalises only the terminal's ONLCR (\\r\\n -> \\n in the guest's output)
and the script's path in messages of the shell. Both runs must end with the
same status (0: every script ends with `echo done`).

Only the scripts in SHELL_ENABLED run in Axolotl: the kernel is known to
pass them; grow the list as it learns. Every script also runs twice on the
host, where it must exit with 0 and give the same output both times (a
script that is not deterministic on Linux would make the comparison flaky).
"""
import difflib
import os
import re
import signal
import subprocess
import tempfile

from guest import ROOT, run

SHELL_ENABLED = [  # script names (without .sh) that pass in Axolotl
    "archive", "basic", "cmdsubst", "files", "glob", "heredoc", "jobs", "pipeline", "redirect",
    "text", "trap", "kill_pipeline", "misc", "status",
]
TIMEOUT = 300

SHELL_DIR = os.path.join(ROOT, "tests", "shell")
BUSYBOX = "/bin/busybox"  # tools/mkinitramfs's default: the guest's /bin/busybox
GUEST_ENV = {"PATH": "/bin:/sbin:/usr/bin:/usr/sbin:/tests", "HOME": "/", "TERM": "linux"}
SCRIPTS = sorted(f[:-3] for f in os.listdir(SHELL_DIR) if f.endswith(".sh"))


def guest_path(name):
    return f"/tests/shell/{name}.sh"


def default_signals():
    """In the child before exec: signal dispositions and mask as init leaves them."""
    signal.pthread_sigmask(signal.SIG_SETMASK, [])
    for sig in range(1, signal.NSIG):
        try:
            signal.signal(sig, signal.SIG_DFL)
        except (OSError, ValueError):
            pass


def run_on_host(name, timeout=TIMEOUT):
    """Runs NAME.sh with the host's busybox; returns (status, normalised output)."""
    script = os.path.join(SHELL_DIR, name + ".sh")
    with tempfile.TemporaryDirectory(prefix=f"axl-sh-{name}-") as tmp:
        p = subprocess.run([BUSYBOX, "sh", script], cwd=tmp, env=dict(GUEST_ENV, TMPDIR=tmp),
                           stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=timeout, start_new_session=True,
                           preexec_fn=default_signals)
    out = p.stdout.decode("utf-8", "replace").replace(script, guest_path(name))
    return p.returncode, out


def run_in_axolotl(name, timeout=TIMEOUT):
    """Runs NAME.sh with the guest's /bin/sh; returns (status, normalised output)."""
    rc, out = run("--quiet", "--", "/bin/sh", guest_path(name), timeout=timeout)
    return rc, out.replace("\r\n", "\n")


def diff(host, guest):
    lines = difflib.unified_diff(host.splitlines(), guest.splitlines(), "Linux (host busybox)",
                                 "Axolotl", lineterm="", n=2)
    return "\n".join(list(lines)[:200])


def make_host_test(name):
    def test():
        rc1, out1 = run_on_host(name)
        assert rc1 == 0, f"{name}.sh: status {rc1} on the host\n{out1[-3000:]}"
        assert out1.endswith("done\n"), f"{name}.sh did not finish on the host\n{out1[-3000:]}"
        rc2, out2 = run_on_host(name)
        assert (rc2, out2) == (rc1, out1), \
            f"{name}.sh is not deterministic on the host:\n{diff(out1, out2)}"

    test.__name__ = f"test_host_{name}"
    test.__doc__ = f"tests/shell/{name}.sh passes on the host, twice with the same output"
    return test


def make_guest_test(name):
    def test():
        host_rc, host_out = run_on_host(name)
        rc, out = run_in_axolotl(name)
        assert out == host_out and rc == host_rc, \
            f"{name}.sh: status {rc} in Axolotl, {host_rc} on Linux\n{diff(host_out, out)}"

    test.__name__ = f"test_{name}"
    test.__doc__ = f"tests/shell/{name}.sh gives the same output in Axolotl as on Linux"
    return test


for _name in SCRIPTS:
    globals()[f"test_host_{_name}"] = make_host_test(_name)
    if _name in SHELL_ENABLED:
        globals()[f"test_{_name}"] = make_guest_test(_name)


# ---- the image: busybox and its applet links (no guest needed) ----

def test_initramfs_has_busybox_and_applet_links():
    applets = subprocess.run([BUSYBOX, "--list-full"], capture_output=True, text=True,
                             check=True).stdout.split()
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "initramfs.cpio")
        subprocess.run([os.path.join(ROOT, "tools", "mkinitramfs"), "-o", out], check=True)
        with open(out, "rb") as f:
            listing = subprocess.run(["cpio", "-itv", "--quiet"], stdin=f, capture_output=True,
                                     text=True, check=True).stdout
        bare = os.path.join(tmp, "bare.cpio")
        subprocess.run([os.path.join(ROOT, "tools", "mkinitramfs"), "--no-defaults", "-o", bare,
                        os.path.join(SHELL_DIR, "basic.sh")], check=True)
        with open(bare, "rb") as f:
            bare_listing = subprocess.run(["cpio", "-it", "--quiet"], stdin=f,
                                          capture_output=True, text=True, check=True).stdout
    entries = {}
    for line in listing.splitlines():
        m = re.match(r"(\S+)\s+\d+\s+\S+\s+\S+\s+\d+\s+\S+\s+\d+\s+\S+\s+(.*)$", line)
        assert m, line
        name, _, target = m.group(2).partition(" -> ")
        entries[name] = (m.group(1), target)
    assert entries["bin/busybox"][0] == "-rwxr-xr-x", entries["bin/busybox"]
    assert entries["sbin/init"][0] == "-rwxr-xr-x", "init must stay the project's"
    links = [a for a in applets if "/" in a and a not in ("bin/busybox", "sbin/init")]
    assert len(links) > 200, links
    for a in links:
        assert entries.get(a) == ("lrwxrwxrwx", "/bin/busybox"), (a, entries.get(a))
    for name in ("bin/sh", "bin/ls", "usr/bin/awk", "sbin/poweroff"):
        assert name in entries, name
    for name in SCRIPTS:
        assert entries[f"tests/shell/{name}.sh"][0].startswith("-rw"), name
    assert "etc/passwd" in entries and "etc/group" in entries
    assert bare_listing.split() == ["basic.sh"], bare_listing


def test_run_without_initrd_gives_the_monitor():
    # No image, so no shell: ./axl run without a command falls back to the monitor.
    rc, out = run("--no-initrd", stdin=b"poweroff 5\n", timeout=120)
    assert rc == 5, f"status {rc}\n{out[-3000:]}"
    assert "axl> " in out, out[-3000:]
