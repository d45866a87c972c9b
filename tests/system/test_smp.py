"""SMP system tests: the stress programs of user/tests/ (smp_stress: futexes,
pipes, signals, fork/exec/wait and memory churn on threads spread over the
CPUs; tlb_shootdown: a thread on another CPU must fault at once, or see the
new page, after munmap, mprotect or a remap returned) booted at 1 and at 4
CPUs whatever the harness runs at, and the CPU count that every interface
reports (nproc, sysconf in musl and glibc, /sys/devices/system/cpu,
/proc/cpuinfo, /proc/stat), which must be the harness's (guest.cpus(); the
whole tier runs again at --smp 4 with `tools/run-tests --smp 4 system`).

Both programs were checked on Linux first (user/run-on-linux, and on the
host with 2 CPUs and under `taskset -c 0`).
"""
import re

from guest import cpus, run
from test_user import check_ut_output

TIMEOUT = 600


def run_at(cpus, *cmd):
    return run("--quiet", "--smp", str(cpus), "--", *cmd, timeout=TIMEOUT)


def check_program(name, cpus):
    rc, out = run_at(cpus, "/tests/" + name)
    check_ut_output(f"{name} at --smp {cpus}", rc, out)
    return out


def test_stress_1cpu():
    check_program("smp_stress", 1)


def test_stress_4cpus():
    check_program("smp_stress", 4)


def test_tlb_shootdown_1cpu():
    check_program("tlb_shootdown", 1)


def test_tlb_shootdown_4cpus():
    check_program("tlb_shootdown", 4)


def test_cpu_count_everywhere():
    """musl and glibc agree with the files, and all of them with the harness's count."""
    n = cpus()
    for prog in ("smp_stress", "smp_stress-glibc"):
        rc, out = run("--quiet", "--", f"/tests/{prog}", "cpu_count_everywhere",
                      timeout=TIMEOUT)
        check_ut_output(prog, rc, out)
        assert re.search(rf"^cpus: {n}\r?$", out, re.M), f"{prog}: expected {n}\n{out}"
    rc, out = run("--quiet", "--", "/bin/sh", "-c",
                  "nproc; cat /sys/devices/system/cpu/online /sys/devices/system/cpu/present",
                  timeout=TIMEOUT)
    listed = "0" if n == 1 else f"0-{n - 1}"
    assert rc == 0, f"status {rc}\n{out}"
    assert out.split() == [str(n), listed, listed], out


def test_every_cpu_is_running():
    """The banner: every CPU of the MADT found and started, at the harness's count."""
    n = cpus()
    rc, out = run("--append", "monitor", stdin=b"poweroff\n", timeout=TIMEOUT)
    assert rc == 0, f"status {rc}\n{out}"
    assert f"{n} CPU(s) found, {n} running" in out, out
