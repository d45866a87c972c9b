"""System tests of the CPUs (arch/x86_64/smp.c): every CPU QEMU gives
starts and counts for nproc, maxcpus= limits them, and a panic stops every
other CPU, each printing its backtrace."""
import re

from guest import run


def test_every_cpu_starts_and_counts():
    rc, out = run("--smp", "4", "--", "/bin/busybox", "nproc", timeout=180)
    assert rc == 0, f"status {rc}\n{out[-3000:]}"
    assert "smp: 4 CPUs online" in out, out[-3000:]
    assert re.search(r"^4\r?$", out, re.M), out[-3000:]


def test_maxcpus_limits_the_cpus_started():
    rc, out = run("--smp", "4", "--append", "maxcpus=2", "--", "/bin/busybox", "nproc",
                  timeout=180)
    assert rc == 0, f"status {rc}\n{out[-3000:]}"
    assert "smp: 2 CPUs online" in out, out[-3000:]
    assert re.search(r"^2\r?$", out, re.M), out[-3000:]


def test_panic_stops_every_other_cpu_with_its_backtrace():
    rc, out = run("--smp", "4", "--append", "monitor", stdin=b"panic\n", timeout=180)
    assert rc == 125, f"status {rc}\n{out[-3000:]}"
    assert "KERNEL PANIC: requested from the monitor (cpu " in out, out[-3000:]
    panicked = int(re.search(r"KERNEL PANIC: .* \(cpu (\d)\)", out).group(1))
    for cpu in set(range(4)) - {panicked}:
        assert re.search(rf"cpu {cpu} stopped in thread '[^']*' \(tid \d+\):\n"
                         r"  backtrace:\n    \[<[0-9a-f]{16}>\]", out), out[-3000:]
    assert "did not answer the stop NMI" not in out, out[-3000:]
