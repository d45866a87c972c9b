#!/usr/bin/env python3
"""Where the guest instructions of one system call go, function by function.

  tools/trace-call.py BENCH CALL [--skip N] [--listing FILE]

Boots the release kernel (build/bench/release/axolotl.elf, as `./axl bench`
builds it: run that first) with the benchmark BENCH of user/bench/bench.c
under single-threaded TCG with -icount and QEMU's gdb stub, lets the kernel
enter sys_CALL N times (default 200: past the warm-up), then single-steps
from the next system call entry through the return to user mode and the
user code up to the following entry: one iteration of the benchmark's loop,
if it makes one system call per iteration. Prints the number of guest
instructions, per function (by the kernel's symbols; user code is "[user]")
and in the order they ran. The total is the `./axl bench --icount` figure of
a benchmark whose loop is that one call. --listing writes every kernel
instruction executed (gdb's x/i) to FILE.

Needs gdb. One stepping run takes seconds; the boot under -icount is most
of it.
"""
import argparse
import collections
import json
import os
import socket
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench as B  # noqa: E402

KERNEL_BASE = 0x800000000000  # addresses below are user space

GDB_SCRIPT = r'''
import bisect, collections, gdb, json
args = json.load(open(ARGS_PATH))
syms = []
for line in open(args["nm"]):
    p = line.split()
    if len(p) == 3 and p[1] in "tTwW":
        syms.append((int(p[0], 16), p[2]))
syms.sort()
addrs = [a for a, _ in syms]
names = [n for _, n in syms]
gdb.execute("set pagination off")
gdb.execute("target remote :%d" % args["port"])
gdb.execute("break sys_%s" % args["call"])
gdb.execute("continue")
gdb.execute("ignore 1 %d" % args["skip"])
gdb.execute("continue")
gdb.execute("delete")
gdb.execute("break *syscall_entry")
gdb.execute("continue")
gdb.execute("delete")
seq, listing, seen_user = [], [], False
for _ in range(args["limit"]):
    pc = int(gdb.parse_and_eval("$pc")) & 0xffffffffffffffff
    if pc < args["kernel_base"]:
        fn, seen_user = "[user]", True
    elif seen_user:
        break  # the next system call's entry
    else:
        fn = names[bisect.bisect_right(addrs, pc) - 1]
        if args["listing"]:
            listing.append(fn + "  " + gdb.execute("x/i $pc", to_string=True).strip())
    if seq and seq[-1][0] == fn:
        seq[-1][1] += 1
    else:
        seq.append([fn, 1])
    gdb.execute("stepi", to_string=True)
json.dump({"seq": seq, "listing": listing}, open(args["out"], "w"))
gdb.execute("kill")
'''


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def trace(bench, call, skip, want_listing):
    """Runs QEMU and gdb; returns the (function, count) runs in order and the listing."""
    if not os.path.exists(B.AXOLOTL):
        B.die(f"no {B.AXOLOTL}: run ./axl bench --icount first")
    initrd = B.make_initramfs([bench], out=os.path.join(B.BENCH_DIR, "trace.cpio"))
    port = free_port()
    with tempfile.TemporaryDirectory(prefix="trace-") as tmp:
        cmd = B.qemu_command(B.AXOLOTL, B.APPEND["axolotl"], initrd, 1, "1G",
                             os.path.join(tmp, "status"), icount=True)
        qemu = subprocess.Popen(cmd + ["-gdb", f"tcp:127.0.0.1:{port}", "-S"],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL)
        try:
            nm = os.path.join(tmp, "nm")
            with open(nm, "w") as f:
                subprocess.run(["nm", B.AXOLOTL], stdout=f, check=True)
            args_path, out = os.path.join(tmp, "args.json"), os.path.join(tmp, "out.json")
            with open(args_path, "w") as f:
                json.dump({"nm": nm, "port": port, "call": call, "skip": skip, "limit": 20000,
                           "kernel_base": KERNEL_BASE, "listing": want_listing, "out": out}, f)
            script = os.path.join(tmp, "trace.py")
            with open(script, "w") as f:
                f.write(GDB_SCRIPT.replace("ARGS_PATH", repr(args_path)))
            subprocess.run(["gdb", "-q", "-batch", "-x", script, B.AXOLOTL],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=900)
            if not os.path.exists(out):
                B.die(f"gdb did not finish: is {bench} a benchmark that calls {call}?")
            with open(out) as f:
                data = json.load(f)
        finally:
            qemu.kill()
            qemu.wait()
    return data["seq"], data["listing"]


def main():
    p = argparse.ArgumentParser(description="guest instructions of one system call")
    p.add_argument("bench", help="a benchmark of user/bench/bench.c, e.g. epoll_wait_idle_0")
    p.add_argument("call", help="the kernel's name of the call, e.g. epoll_pwait")
    p.add_argument("--skip", type=int, default=200, help="calls to let pass first")
    p.add_argument("--listing", help="write every kernel instruction executed to this file")
    args = p.parse_args()
    seq, listing = trace(args.bench, args.call, args.skip, bool(args.listing))
    totals = collections.Counter()
    for fn, n in seq:
        totals[fn] += n
    print(f"total {sum(totals.values())} guest instructions")
    for fn, n in totals.most_common():
        print(f"{n:6d}  {fn}")
    print("in order:")
    for fn, n in seq:
        print(f"{n:6d}  {fn}")
    if args.listing:
        with open(args.listing, "w") as f:
            f.write("\n".join(listing) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
