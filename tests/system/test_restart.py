"""The restart model's service requests (issue 11): a system call that makes
more than four requests to the ext2 service.

A host-made ext2 image holds a file nine directories deep. The guest opens
it by its whole path in one call: no directory on the way has been read
yet, so each one is read from the service (EXT2_READDIR), one more request
in each run of the call. The call keeps every request with its reply
(svc/service.c, matched in order), so /proc/axolotl/stats
says one call kept more than four (the old limit), and the file's bytes
come back right. Another boot reads the same path twice at once from two
processes, and a third runs it while the ext2 service is made to panic
every third request (each crashed request is retried once).
"""
import os
import re
import subprocess
import tempfile

from guest import e2fsck_clean, run

DEPTH = 9
TEXT = "deep file, nine directories down"


def deep_image(tmp, name="disk"):
    src = os.path.join(tmp, name + "-src")
    path = os.path.join(src, *[f"d{i}" for i in range(DEPTH)])
    os.makedirs(path)
    for i in range(DEPTH):  # a few names in every directory, so that each read has entries
        for j in range(3):
            open(os.path.join(src, *[f"d{k}" for k in range(i)], f"f{j}"), "w").close()
    with open(os.path.join(path, "file"), "w") as f:
        f.write(TEXT + "\n")
    img = os.path.join(tmp, name + ".img")
    subprocess.run(["mke2fs", "-q", "-F", "-t", "ext2", "-d", src, img, "8M"], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return img


DEEP = "/mnt/" + "/".join(f"d{i}" for i in range(DEPTH)) + "/file"


def longest(out):
    m = re.search(r"svc_call_longest (\d+)", out)
    assert m, f"no svc_call_longest in /proc/axolotl/stats:\n{out[-3000:]}"
    return int(m.group(1))


def test_call_with_more_than_four_service_requests():
    """One open through nine unread directories keeps nine requests and reads the file."""
    with tempfile.TemporaryDirectory() as tmp:
        img = deep_image(tmp)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c",
                      f"cat {DEEP} && cat /proc/axolotl/stats", timeout=180)
        assert rc == 0, f"status {rc}\n{out[-3000:]}"
        assert TEXT in out, out[-3000:]
        assert longest(out) >= DEPTH, f"longest call kept {longest(out)} requests"
        e2fsck_clean(img)


def test_deep_path_from_two_processes_and_with_crashes():
    """Two readers of the same unread path at once; then the same with ext2 crashing."""
    with tempfile.TemporaryDirectory() as tmp:
        img = deep_image(tmp)
        rc, out = run("--quiet", "--disk", img, "--", "/bin/sh", "-c",
                      f"cat {DEEP} > /tmp/a & cat {DEEP} > /tmp/b; wait; "
                      "cat /tmp/a /tmp/b; cat /proc/axolotl/stats", timeout=180)
        assert rc == 0, f"status {rc}\n{out[-3000:]}"
        assert out.count(TEXT) == 2, out[-3000:]
        e2fsck_clean(img)
        img = deep_image(tmp, "crash")
        rc, out = run("--quiet", "--disk", img, "--append", "fault_inject=ext2:panic:every:3",
                      "--", "/bin/sh", "-c", f"cat {DEEP} && cat /proc/services", timeout=180)
        assert rc == 0, f"status {rc}\n{out[-3000:]}"
        assert TEXT in out, out[-3000:]
        assert re.search(r"ext2 .*crashes=[1-9]", out), out[-3000:]
        e2fsck_clean(img)
