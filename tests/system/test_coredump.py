"""Core dumps read on the host, by the tools a developer uses on them.

The guest crashes /tests/coredump (and its static-PIE build, placed at a
random address) in a directory of an ext2 disk, through three named
functions; the host takes the core off the image with debugfs. readelf
must list the notes Linux writes, a small ELF reader here checks that the
first NT_PRSTATUS is the SIGSEGV's and its rip is in crash_here, and gdb,
given the program and the core, must show the crash's backtrace. The
notes and the wait status are checked inside the guest by
user/tests/coredump.c.
"""
import os
import struct
import subprocess
import tempfile

from guest import ROOT, e2fsck_clean, mke2fs, run

BUILD = os.path.join(ROOT, "build", "user", "tests")
NT_PRSTATUS = 1


def debugfs_dump(img, path, out):
    subprocess.run(["debugfs", "-R", f"dump {path} {out}", img], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    assert os.path.getsize(out) > 0, f"{path}: not on the disk"


def crash_on_disk(prog, tmp):
    """Crashes /tests/PROG in /mnt/c of a new disk; the core's path on the host."""
    img = os.path.join(tmp, "d.img")
    mke2fs(img, "64M")
    cmd = (f"mkdir /mnt/c && cd /mnt/c && /tests/{prog} --helper crash /mnt/c; "
           "echo crash-status=$?; sync")
    rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c", cmd, timeout=120)
    assert "crash-status=139" in out, out[-2000:]  # 128 + SIGSEGV
    e2fsck_clean(img)
    core = os.path.join(tmp, "core")
    debugfs_dump(img, "/c/core", core)
    return core


def notes(core):
    """(type, desc) of each note of the core's PT_NOTE segment."""
    with open(core, "rb") as f:
        data = f.read()
    assert data[:4] == b"\x7fELF" and struct.unpack_from("<H", data, 16)[0] == 4  # ET_CORE
    phoff, = struct.unpack_from("<Q", data, 32)
    ptype, _, off, _, _, filesz = struct.unpack_from("<IIQQQQ", data, phoff)
    assert ptype == 4, "the first program header is not PT_NOTE"
    out, at = [], off
    while at < off + filesz:
        namesz, descsz, ntype = struct.unpack_from("<III", data, at)
        desc = at + 12 + (namesz + 3) // 4 * 4
        out.append((ntype, data[desc:desc + descsz]))
        at = desc + (descsz + 3) // 4 * 4
    return out


def symbol(prog, name):
    p = subprocess.run(["nm", prog], stdout=subprocess.PIPE, text=True, check=True)
    return next(int(line.split()[0], 16) for line in p.stdout.splitlines()
                if line.split()[-1] == name)


def check_core(prog):
    binary = os.path.join(BUILD, prog)
    with tempfile.TemporaryDirectory() as tmp:
        core = crash_on_disk(prog, tmp)
        p = subprocess.run(["readelf", "-n", core], stdout=subprocess.PIPE, text=True,
                           check=True)
        for note in ("NT_PRSTATUS", "NT_PRPSINFO", "NT_SIGINFO", "NT_AUXV", "NT_FILE",
                     "NT_FPREGSET"):
            assert note in p.stdout, f"readelf -n: no {note}\n{p.stdout}"
        ns = notes(core)
        assert ns[0][0] == NT_PRSTATUS and len(ns[0][1]) == 336
        cursig, = struct.unpack_from("<h", ns[0][1], 12)
        rip, = struct.unpack_from("<Q", ns[0][1], 112 + 16 * 8)
        assert cursig == 11, f"pr_cursig {cursig}"
        g = subprocess.run(["gdb", "-nx", "-batch", "-ex", "bt", "-ex", "info symbol $pc",
                            binary, core], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           text=True, timeout=120)
        bt = g.stdout
        assert "signal SIGSEGV" in bt, bt
        by_number = {}  # gdb prints frame #0 when it loads the core, then again in bt
        for line in bt.splitlines():
            if line.startswith("#"):
                name = line.split(" in ")[1] if " in " in line else line.split(None, 1)[1]
                by_number[int(line.split()[0][1:])] = name.split()[0]
        frames = [by_number[i] for i in sorted(by_number)]
        assert frames[:3] == ["crash_here", "level_two", "level_one"], bt
        assert "main" in frames, bt
        if not prog.endswith("-pie"):
            start = symbol(binary, "crash_here")
            assert start <= rip < start + 64, f"rip {rip:#x}, crash_here at {start:#x}"
        print(f"coredump: gdb on {prog}'s core: " + " <- ".join(frames))


def test_gdb_shows_the_backtrace_of_a_static_program():
    check_core("coredump")


def test_gdb_shows_the_backtrace_of_a_static_pie_at_a_random_address():
    check_core("coredump-pie")
