"""Debian's python3 on Axolotl: the socket and event-loop paths that
unmodified Python programs take (tests/system/test_debian.py copies this
into the Debian root and runs it). Each check asserts its results; the
last line is "python-sockets: N checks passed" when all pass.

socket.socketpair, selectors.EpollSelector, an asyncio echo server on an
AF_UNIX path with ten concurrent clients, asyncio subprocesses and signal
handlers (set_wakeup_fd on a socket pair), multiprocessing over a Pipe
(a socket pair between two processes), and descriptor passing with
socket.send_fds/recv_fds.
"""
import asyncio
import multiprocessing
import os
import selectors
import signal
import socket
import sys


def socketpair_round_trip():
    a, b = socket.socketpair()
    a.sendall(b"ping" * 10000)
    got = b""
    while len(got) < 40000:
        got += b.recv(65536)
    assert got == b"ping" * 10000
    a.close()
    assert b.recv(10) == b""  # end of file
    b.close()


def epoll_selector():
    sel = selectors.EpollSelector()
    r, w = socket.socketpair()
    sel.register(r, selectors.EVENT_READ, "r")
    assert sel.select(0) == []
    w.send(b"x")
    ready = sel.select(5)
    assert [key.data for key, _ in ready] == ["r"], ready
    sel.close()
    r.close()
    w.close()


async def echo_server_and_clients(path):
    async def handle(reader, writer):
        while data := await reader.readline():
            writer.write(data.upper())
            await writer.drain()
        writer.close()

    server = await asyncio.start_unix_server(handle, path)

    async def client(i):
        reader, writer = await asyncio.open_unix_connection(path)
        for j in range(50):
            writer.write(f"hello {i} {j}\n".encode())
            await writer.drain()
            line = await reader.readline()
            assert line == f"HELLO {i} {j}\n".encode(), line
        writer.close()
        await writer.wait_closed()

    await asyncio.gather(*(client(i) for i in range(10)))
    server.close()
    await server.wait_closed()


async def subprocess_and_signal():
    proc = await asyncio.create_subprocess_exec("echo", "from-child",
                                                stdout=asyncio.subprocess.PIPE)
    out, _ = await proc.communicate()
    assert out == b"from-child\n" and proc.returncode == 0, (out, proc.returncode)
    loop = asyncio.get_running_loop()
    got = loop.create_future()
    loop.add_signal_handler(signal.SIGUSR1, got.set_result, "usr1")
    os.kill(os.getpid(), signal.SIGUSR1)
    assert await asyncio.wait_for(got, 30) == "usr1"
    loop.remove_signal_handler(signal.SIGUSR1)
    await asyncio.sleep(0.05)


def summer(conn):
    conn.send(sum(conn.recv()))
    conn.close()


def multiprocessing_pipe():
    parent, child = multiprocessing.Pipe()
    p = multiprocessing.Process(target=summer, args=(child,))
    p.start()
    parent.send(list(range(100)))
    assert parent.recv() == 4950
    p.join()
    assert p.exitcode == 0, p.exitcode


def pass_descriptors():
    a, b = socket.socketpair()
    r, w = os.pipe()
    socket.send_fds(a, [b"fd"], [w])
    os.close(w)
    msg, fds, _, _ = socket.recv_fds(b, 10, 1)
    assert msg == b"fd" and len(fds) == 1
    os.write(fds[0], b"through")
    os.close(fds[0])
    assert os.read(r, 100) == b"through"
    assert os.read(r, 100) == b""  # the passed end was the last writer
    os.close(r)
    a.close()
    b.close()


def main():
    checks = [socketpair_round_trip, epoll_selector,
              lambda: asyncio.run(echo_server_and_clients(f"/tmp/echo-{os.getpid()}.sock")),
              lambda: asyncio.run(subprocess_and_signal()), multiprocessing_pipe,
              pass_descriptors]
    for check in checks:
        check()
    print(f"python-sockets: {len(checks)} checks passed")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
