"""System tests of the booted kernel, driven through ./axl run: the boot
banner, the console (serial input by interrupt through the IOAPIC), line
editing, fault containment, and the runner's exit statuses."""
import re

import guest
from guest import Guest, run

# These tests drive the kernel monitor, which the kernel runs instead of init when asked.
MONITOR = ("--append", "monitor")


def test_banner_shows_memory_and_boot_time():
    g = Guest(*MONITOR)
    g.wait_for("axl> ")
    g.send("poweroff\n")
    rc, out = g.finish()
    assert rc == 0, f"status {rc}"
    assert "Axolotl 0.1 (x86-64)" in out
    assert re.search(r"memory map:\n(  [0-9a-f]{16}-[0-9a-f]{16} .*\n)+", out), out
    m = re.search(r"memory: (\d+) KiB free of (\d+) KiB managed", out)
    assert m and 400 * 1024 < int(m.group(1)) <= int(m.group(2)) < 512 * 1024, out
    assert re.search(r"boot: \d+\.\d{3} ms in the kernel", out), out


def test_monitor_commands_over_serial_interrupts():
    g = Guest(*MONITOR)
    g.wait_for("axl> ")
    assert "threads   kernel threads" in g.command("help")
    threads = g.command("threads")
    assert re.search(r"\d+ idle0 +runnable", threads), threads
    assert re.search(r"\d+ monitor +runnable", threads), threads
    assert "up " in g.command("uptime")
    assert "nosuch: unknown command" in g.command("nosuch")
    assert "poweroff: bad status" in g.command("poweroff x")
    g.send("poweroff 42\n")
    rc, _ = g.finish()
    assert rc == 42, f"status {rc}"


def test_line_editing_erase_and_kill():
    g = Guest(*MONITOR)
    g.wait_for("axl> ")
    # A typo erased with DEL and backspace, and a killed line (^U).
    g.send("garbage\x15pwrx\x7f\x7f\x08oweroff 3\n")
    rc, _ = g.finish()
    assert rc == 3, f"status {rc}"


def test_kernel_thread_fault_is_contained():
    g = Guest(*MONITOR)
    g.wait_for("axl> ")
    out = g.command("fault")
    assert "KERNEL FAULT: page fault" in out, out
    assert "<fault_victim+" in out, out
    assert "killed by the fault above; the kernel goes on" in out, out
    assert "fault-demo exited with -1000" in out, out
    assert "up " in g.command("uptime")  # still alive
    g.send("poweroff\n")
    rc, _ = g.finish()
    assert rc == 0


def test_panic_gives_panic_status():
    rc, out = run(*MONITOR, stdin=b"panic\n")
    assert rc == 125, f"status {rc}"
    assert "KERNEL PANIC: requested from the monitor" in out, out
    assert "the kernel panicked" in out


def test_a_freed_page_written_whole_panics_at_its_next_allocation():
    # Debug builds poison freed pages; a write over all of one (a device's
    # late DMA) must not pass for a page never freed (mm/page.c).
    rc, out = run(*MONITOR, stdin=b"scribble\n")
    assert rc == 125, f"status {rc}\n{out[-3000:]}"
    assert re.search(r"page: pfn 0x[0-9a-f]+ was written while free \(offset 0\)", out), out[-3000:]
    assert "4242424242424242" in out, out[-3000:]


def test_timeout_kills_a_guest_that_never_ends():
    rc, out = run(*MONITOR, timeout=8)  # the monitor waits for input forever
    assert rc == 124, f"status {rc}"
    assert "timed out after 8" in out


def test_timeout_prints_a_state_dump_of_every_cpu_and_thread():
    # Before it kills a guest that timed out, ./axl sends an NMI (QEMU's
    # monitor); the kernel prints every CPU and every thread (kernel/state_dump.c).
    rc, out = run("--", "/bin/sh", "-c", "sleep 1000; echo never", timeout=30)
    assert rc == 124, f"status {rc}"
    for cpu in range(guest.cpus()):
        assert f"state dump: cpu {cpu}, thread " in out, out
    assert "state dump: end" in out, out
    # The shell is parked in wait4 (61) on its child-event source, sleep in nanosleep (230).
    assert re.search(r"process \d+ 'sh'\n +\d+ sh +blocked .*\n +call 61 \(.*\) at \w+, source child-event",
                     out), out
    assert re.search(r"process \d+ 'sleep'\n +\d+ sleep +sleeping .*\n +call 230 ", out), out
    assert re.search(r"\d+ ext2 +blocked .*\n  backtrace:\n.*sched_block", out), out


def test_no_selected_ktest_fails():
    rc, out = run("--append", "ktest=no_such_test", timeout=60)
    assert rc == 1, f"status {rc}"
    assert "ktest: 0 passed, 0 failed" in out


def test_quiet_keeps_log_lines_off_console():
    rc, out = run("--quiet", *MONITOR, stdin=b"poweroff\n")
    assert rc == 0
    assert "timer: TSC" not in out and "Axolotl 0.1 (x86-64)" not in out
    assert "Kernel monitor" in out  # what programs (here the monitor) print still shows
    rc, out = run(*MONITOR, stdin=b"poweroff\n")
    assert rc == 0 and "timer: TSC" in out and "Axolotl 0.1 (x86-64)" in out


def test_large_memory_above_4g():
    rc, out = run("--mem", "6G", *MONITOR, stdin=b"poweroff\n", timeout=180)
    assert rc == 0, f"status {rc}"
    m = re.search(r"memory: (\d+) KiB free of (\d+) KiB managed", out)
    assert m and int(m.group(1)) > 5 * 1024 * 1024, out


def test_small_memory():
    rc, out = run("--mem", "48M", *MONITOR, stdin=b"poweroff\n")
    assert rc == 0, f"status {rc}"
    assert "memory: " in out


def test_smp_cpus_are_found_in_madt():
    rc, out = run("--smp", "2", *MONITOR, stdin=b"poweroff\n")
    assert rc == 0
    assert "2 CPU(s) found" in out, out
