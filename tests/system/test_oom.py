"""Memory pressure: the OOM killer, reclaim, limits, the initramfs's pages.

- In a 128 MiB machine a shell runs a memory hog, a fork bomb with
  RLIMIT_NPROC (as user 65534: root is not limited, as on Linux), a fork
  bomb without it (its leader's oom_score_adj is 1000, so that it goes
  first rather than after thousands of its descendants), and a hog next to a bigger process whose oom_score_adj
  is -1000. Each ends with the OOM killer's log line and a SIGKILL (the
  shell sees status 137); the protected process is never chosen; the shell
  survives and says "alive". Then /tests/oom runs its cases (overcommit
  policies, brk limits, RLIMIT_NPROC, oom_score_adj, a killed process
  group's memory waited for rather than its killer killed).
- With a file in the page cache of an ext2 disk (clean: read; or dirty:
  just written), a hog gets more memory than was free before it started:
  the cache gave its pages back (dirty ones after the flusher wrote them)
  before the OOM killer ran, and the file is intact afterwards.
- MemTotal does not shrink when the initramfs grows: its pages go back to
  the allocator once unpacked.
"""
import os
import re
import subprocess
import tempfile

from guest import e2fsck_clean, mke2fs, run

SCRIPT = """
/tests/oom --helper hog; echo "hog status $?"
/tests/oom --helper forkbomb 32 & pid=$!; wait $pid; echo "bomb-nproc status $?"
kill -9 -$pid 2>/dev/null
/tests/oom --helper forkbomb & pid=$!; wait $pid; echo "bomb status $?"
kill -9 -$pid 2>/dev/null
/tests/oom --helper protected; echo "protected status $?"
/tests/oom
grep oom_kills /proc/axolotl/stats
echo "shell $$ alive"
"""

KILLED = re.compile(r"oom: killed process (\d+) \((\S+)\) rss=(\d+)KiB score_adj=(-?\d+)")


def boot(*args, script, timeout=600):
    rc, out = run("--quiet", *args, "--", "/bin/sh", "-c", script, timeout=timeout)
    return rc, out.replace("\r", "")


def test_oom_killer_and_limits():
    rc, out = boot("--mem", "128M", script=SCRIPT)
    tail = out[-6000:]
    assert rc == 0, tail
    shell = re.search(r"^shell (\d+) alive$", out, re.M)
    assert shell, "the shell did not survive\n" + tail
    kills = KILLED.findall(out)
    assert kills, "no OOM kill was logged\n" + tail
    victims = {int(k[0]) for k in kills}
    assert int(shell.group(1)) not in victims, tail
    assert 1 not in victims, tail
    assert all(k[1] in ("oom", "exe") for k in kills), kills  # only the test's processes
    counted = re.search(r"^oom_kills (\d+)$", out, re.M)
    assert counted and int(counted.group(1)) == len(kills), tail
    assert "hog status 137" in out, tail
    assert "forkbomb: fork failed with EAGAIN" in out, tail
    assert "bomb-nproc status 137" in out, tail
    assert "bomb status 137" in out, tail
    protected = re.search(r"^protected: pid (\d+) holds", out, re.M)
    assert protected and int(protected.group(1)) not in victims, tail
    assert "protected: alive; the hog ended with signal 9" in out, tail
    assert "protected status 0" in out, tail
    assert "SIGSEGV" not in out and "Segmentation" not in out, tail
    summary = re.search(r"^ut: (\d+) passed, (\d+) failed", out, re.M)
    assert summary and summary.group(2) == "0" and int(summary.group(1)) >= 9, tail
    print(f"oom: {len(kills)} processes killed; the shell survived")


def meminfo_kb(out, key):
    return [int(v) for v in re.findall(rf"^{key}:\s+(\d+) kB", out, re.M)]


# A 48 MiB file in the cache (read: clean; written: dirty), then a hog.
CACHE_SCRIPT = """
{prepare}
grep MemFree /proc/meminfo
/tests/oom --helper hog; echo "hog status $?"
sync
md5sum /mnt/file
grep pagecache_evicted /proc/axolotl/stats
"""

WRITE = "yes 0123456789abcdef | head -c 50331648 > /mnt/file"
READ = WRITE + "; sync; cat /mnt/file > /dev/null"  # written out: clean


def hog_with_cache(prepare):
    with tempfile.TemporaryDirectory() as tmp:
        img = os.path.join(tmp, "disk.img")
        mke2fs(img, "128M", 4096)
        rc, out = boot("--mem", "256M", "--disk", img,
                       script=CACHE_SCRIPT.format(prepare=prepare))
        tail = out[-4000:]
        assert rc == 0, tail
        assert "hog status 137" in out, tail
        free_before = meminfo_kb(out, "MemFree")[0]
        hog_kb = max(int(k[2]) for k in KILLED.findall(out))
        # The cache's pages fed the hog: it got well past what was free.
        assert hog_kb > free_before + 24 * 1024, f"free {free_before} KiB, hog {hog_kb} KiB\n{tail}"
        want = subprocess.run("yes 0123456789abcdef | head -c 50331648 | md5sum", shell=True,
                              stdout=subprocess.PIPE, check=True).stdout.split()[0].decode()
        assert re.search(rf"^{want}  /mnt/file$", out, re.M), tail
        e2fsck_clean(img)
        return free_before, hog_kb


def test_clean_cache_reclaimed_before_oom():
    free, hog = hog_with_cache(READ)
    print(f"clean cache: {free} KiB free before, hog killed at {hog} KiB")


def test_dirty_cache_written_and_reclaimed_before_oom():
    free, hog = hog_with_cache(WRITE)
    print(f"dirty cache: {free} KiB free before, hog killed at {hog} KiB")


def test_initramfs_pages_freed():
    totals = []
    with tempfile.TemporaryDirectory() as tmp:
        big = os.path.join(tmp, "big.bin")
        with open(big, "wb") as f:
            f.write(os.urandom(32 << 20))
        for extra in ([], ["--add", big + ":/big.bin"]):
            rc, out = boot("--mem", "256M", *extra, script="grep MemTotal /proc/meminfo",
                           timeout=120)
            assert rc == 0, out[-3000:]
            totals.append(meminfo_kb(out, "MemTotal")[0])
    # 32 MiB more of initramfs: MemTotal the same (within a few pages of rounding).
    assert abs(totals[0] - totals[1]) <= 64, totals
    assert totals[0] > 240 * 1024, totals
