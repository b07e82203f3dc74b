"""CPU per pipelined POST through io/http/client.H11Pipeline to the h11 server (both in this
process), by `max_requests_per_connection` (0: no cap).

    nice .venv/bin/python bench/pipeline_cap.py --cap 500 --requests 20000
"""

from __future__ import annotations

import argparse
import time
from typing import Any

import trio
from mesotron.io.http import server as h11_server
from mesotron.io.http.asgi import bind_socket, respond
from mesotron.io.http.client import H11Pipeline


async def app(scope: dict, receive: Any, send: Any) -> None:
    await receive()
    await respond(send, 202)


async def run(cap: int, n: int) -> tuple[float, int]:
    async with trio.open_nursery() as nursery:
        sock = bind_socket("127.0.0.1", 0)
        stop = trio.Event()
        await nursery.start(h11_server.serve_h11, app, sock, stop)
        pipe = H11Pipeline("127.0.0.1", sock.getsockname()[1], max_requests_per_connection=cap)
        nursery.start_soon(pipe.run)
        t = time.process_time()
        for _ in range(n):
            pipe.submit("/api", b"x" * 100, {"Content-Type": "application/x-protobuf"}, lambda s, b: None)
        status, _ = await pipe.post("/api", b"last", {})
        assert status == 202
        dt = time.process_time() - t
        pipe.close()
        stop.set()
    return dt, pipe.connections


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--cap", type=int, default=500)
    p.add_argument("--requests", type=int, default=20000)
    a = p.parse_args()
    dt, conns = trio.run(run, a.cap, a.requests)
    print(f"cap={a.cap}: {a.requests} POSTs {dt:.2f} CPU-s ({dt / a.requests * 1e6:.0f} us/POST, "
          f"client+server), {conns} connections")


if __name__ == "__main__":
    main()
