"""Per-peer limits on HTTP (Mesos has none of these; the flag names are ours, in Mesos style):

- `--max-http-connections-per-peer N`: HTTP connections open at once from one IP address;
  the one past the limit gets `503` with the message "Too many HTTP connections from <ip>
  (--max-http-connections-per-peer=N)" and is closed. Counted where connections are
  accepted, so it needs the h11 server (io/http/server.py): a daemon with this limit set
  serves HTTP with it (hypercorn has no per-peer hook).
- `--max-streams-per-peer N` (master): streaming responses (scheduler and operator
  SUBSCRIBE over HTTP) open at once from one IP address; past it the SUBSCRIBE gets
  `503` "Too many event streams from <ip> (--max-streams-per-peer=N)" before any machine sees
  it (nothing changes). A 503 (not a 4xx) because the condition is temporary: schedulers
  retry a 5xx SUBSCRIBE with backoff.

0 (the default for both) is no limit: the scale benches run thousands of peers from one
address. The agent's executor streams are not limited by peer (every executor of an agent
subscribes from the agent's own address); the connection limit applies on the agent too.
"""

from __future__ import annotations

from typing import Any

import h11
import trio

REFUSE_READ_TIMEOUT = 5.0  # how long a refused connection may take to send its request


class PerPeer:
    """Counts of something open per peer address, with a limit (0: none). `acquire` is
    synchronous (check and count at once: no await between them)."""

    def __init__(self, limit: int = 0) -> None:
        self.limit = limit
        self.counts: dict[str, int] = {}

    def acquire(self, peer: str) -> bool:
        n = self.counts.get(peer, 0)
        if self.limit and n >= self.limit:
            return False
        self.counts[peer] = n + 1
        return True

    def release(self, peer: str) -> None:
        n = self.counts.get(peer, 0) - 1
        if n > 0:
            self.counts[peer] = n
        else:
            self.counts.pop(peer, None)


def peer_of(scope: dict) -> str:
    """The client's IP address of an ASGI request ("" when the server did not say)."""
    client = scope.get("client")
    return str(client[0]) if client else ""


def streams_message(peer: str, limit: int) -> str:
    return f"Too many event streams from {peer} (--max-streams-per-peer={limit})"


async def refuse(stream: Any, status: int, text: str) -> None:
    """Read one request with h11 (bounded in time) and answer `status` with `text`, then
    close: how a connection past a limit is told why."""
    conn = h11.Connection(h11.SERVER)
    body = text.encode()
    with trio.move_on_after(REFUSE_READ_TIMEOUT):
        try:
            while True:
                ev = conn.next_event()
                if ev is h11.NEED_DATA:
                    data = await stream.receive_some(65536)
                    conn.receive_data(data)
                    if not data:
                        break
                    continue
                if isinstance(ev, h11.Request):
                    out = conn.send(h11.Response(status_code=status, headers=[
                        ("content-type", "text/plain; charset=utf-8"),
                        ("content-length", str(len(body))), ("connection", "close")]))
                    out = (out or b"") + (conn.send(h11.Data(data=body)) or b"") + \
                        (conn.send(h11.EndOfMessage()) or b"")
                    await stream.send_all(out)
                break
        except (h11.ProtocolError, trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            pass
    await trio.aclose_forcefully(stream)


def limit_connections(handler: Any, limit: int, log: Any = None) -> Any:
    """Wrap a per-connection handler of the h11 server: at most `limit` connections per peer
    IP at once; the others are answered 503 (`refuse`) and closed."""
    counter = PerPeer(limit)

    async def handle(stream: Any) -> None:
        try:
            sock = stream.socket if hasattr(stream, "socket") else stream.transport_stream.socket
            peer = str(sock.getpeername()[0])
        except (OSError, AttributeError):
            peer = ""
        if not counter.acquire(peer):
            if log is not None:
                log.warning("http.too_many_connections", peer=peer, limit=limit)
            await refuse(stream, 503, f"Too many HTTP connections from {peer} "
                                      f"(--max-http-connections-per-peer={limit})")
            return
        try:
            await handler(stream)
        finally:
            counter.release(peer)

    handle.counter = counter  # type: ignore[attr-defined]
    return handle
