"""System tests of the benchmark tooling (tools/bench.py, user/bench/):
the benchmark program runs every benchmark to the end on Axolotl and
prints well-formed lines, the benchmark initramfs boots with its own init
and powers off, and the sampling profiler reports through
/proc/axolotl/profile. No test looks at the numbers: timing belongs to
./axl bench, not to make test."""
import importlib.util
import os
import re
import tempfile

from guest import ROOT, run

BENCH = os.path.join(ROOT, "build", "user", "bench", "bench")
LINE = re.compile(r"^bench (\S+) ([0-9.]+) (\d+) (ns|B)\r?$", re.M)
NAMES = ["null_syscall", "write_devnull", "stat", "open_close", "pipe_pingpong",
         "pipe_bandwidth", "unix_stream_pingpong", "unix_stream_bandwidth", "sched_yield",
         "page_fault", "mmap_munmap", "futex_pingpong", "eventfd_pingpong", "epoll_wait_idle_0",
         "epoll_wait_idle_1000", "thread_create_join", "fork_exit", "fork_exec",
         "blocked_read_1000", "blocked_read_1000_all", "blocked_read_10000",
         "blocked_read_10000_all", "blocked_epoll_10000", "blocked_epoll_10000_all"]


def bench_tool():
    spec = importlib.util.spec_from_file_location(
        "bench", os.path.join(ROOT, "tools", "bench.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_every_benchmark_runs_to_the_end():
    rc, out = run("--quiet", "--mem", "1G", "--add", BENCH + ":/bin/bench", "--",
                  "/bin/bench", timeout=600)
    assert rc == 0, f"status {rc}\n{out}"
    found = {m.group(1): (float(m.group(2)), int(m.group(3))) for m in LINE.finditer(out)}
    assert list(found) == NAMES, out
    assert all(iters > 0 for _, iters in found.values()), out


SCALING = ["scale_cpu", "scale_pipe", "scale_futex", "scale_fork_exec"]


def test_scaling_benchmarks_run_to_the_end():
    """The rows of ./axl bench --scaling, one copy per CPU (the numbers are not looked at)."""
    rc, out = run("--quiet", "--mem", "1G", "--add", BENCH + ":/bin/bench", "--",
                  "/bin/bench", "scaling", timeout=600)
    assert rc == 0, f"status {rc}\n{out}"
    found = {m.group(1): int(m.group(3)) for m in LINE.finditer(out)}
    assert list(found) == SCALING, out
    assert all(iters > 0 for iters in found.values()), out


def test_bench_initramfs_boots_its_init_and_powers_off():
    tool = bench_tool()
    with tempfile.TemporaryDirectory() as tmp:
        initrd = tool.make_initramfs(["null_syscall"], show=["/proc/version"],
                                     out=os.path.join(tmp, "bench.cpio"))
        rc, out = run("--quiet", "--initrd", initrd, "--append", "init=/sbin/init")
    assert rc == 0, f"status {rc}\n{out}"
    assert re.search(r"^benchinit: up [0-9.]+ ", out, re.M), out
    assert LINE.search(out) and "bench null_syscall " in out, out
    assert "Axolotl" in out  # /proc/version, shown after the benchmark
    assert "benchinit: done 0" in out, out


def test_profiler_reports_kernel_functions():
    rc, out = run("--quiet", "--append", "profile", "--", "/bin/cat", "/proc/axolotl/profile")
    assert rc == 0, f"status {rc}\n{out}"
    m = re.search(r"^samples +(\d+) \(250 Hz per CPU\)", out, re.M)
    assert m, out
    shares = dict(re.findall(r"^(user|idle|kernel|unknown) +(\d+) +[0-9.]+%", out, re.M))
    assert set(shares) == {"user", "idle", "kernel", "unknown"}, out
    assert sum(int(v) for v in shares.values()) == int(m.group(1)), out
    assert "kernel functions by samples" in out, out


def test_profiler_is_off_without_the_parameter():
    rc, out = run("--quiet", "--", "/bin/cat", "/proc/axolotl/profile")
    assert rc == 0, f"status {rc}\n{out}"
    assert "profiler off" in out, out
