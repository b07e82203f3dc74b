"""A userspace relay in front of a lab master: delay, loss, duplication, reordering, one-way cuts.

This kernel has no netem and no packet filters, so these faults are made one level up, on
TCP streams. In a lab with relays (`Lab(relay=True)`), every master gets a second address
on its namespace's `eth0` (`.<100+k>`) and advertises it (`--advertise-ip`: in ZooKeeper,
in /internal/endpoint, in redirects); a relay process in the master's own namespace listens
there on the master's ports and forwards each accepted connection to the real address.
Everyone reaches the master through it: agents (their internal transport, the only
master<->agent connection: the agent dials), frameworks and operators (HTTP). Sharing the
master's namespace, the relay shares its fate: a blackhole route there, or its link down,
cuts the relayed traffic too (`Lab.partition` blackholes both addresses).

A link is (peer address, this master); each has a mode, switched by the nemesis over a Unix
socket (`<lab>/relay-<master>.sock`, one JSON object per line: `relay_call` below). Modes
apply per direction ("in": peer -> master, "out": master -> peer):

- delay_ms (+ jitter_ms): every chunk is held that long before it is written on (order
  kept: a chunk never overtakes the one before it). Latency is what a slow path looks like.
- loss + rto_ms: TCP never loses bytes silently; a lossy path shows as retransmissions, so
  a "lost" chunk (probability `loss`, drawn from the relay's seeded generator) is delivered
  `rto_ms` late, and everything behind it waits (head-of-line blocking). Loss long enough to
  kill the connection is the `reset` action: both ends see the connection break.
- cut ("in" | "out"): a one-way cut of the connections established at that moment, as TCP
  shows it. "out": the master's side of each is closed (the master sees it break) while the
  peer's side stays open and hears nothing more (it does not know); connections the peer
  opens afterwards reach the master. "in" is the mirror image.
- duplicate / reorder (internal transport only: its frames are `<u32 length><Envelope>`):
  TCP delivers a connection's bytes once and in order, so duplication and reordering are
  modelled as MESSAGES across reconnections, where they do happen to a libprocess-like
  transport. A frame picked for `duplicate` (probability, optionally only message types
  named in `kinds`) is delivered, then the connection is reset, and a copy is delivered
  again on the peer's next connection right after its first message (a retransmission from
  a connection that had already delivered it). A frame picked for `reorder` is withheld,
  the connection is reset, and it is delivered on the peer's next connection after the
  peer's first message there (an old connection's message overtaken by a newer one).
  Each is bounded by `budget` (events left); `replay` also injects, on the peer's current
  connection, the last recorded frame of a kind (a stale copy, for idempotency tests).
- drop (message types, either direction): those messages vanish while the connection lives
  on, as Mesos's own partition tests do it (DROP_PROTOBUFS of PongSlaveMessage: the master
  hears no pongs; of RunTaskMessage: a launch lost en route). Bounded by `budget` too.

Everything is reversible (`clear`) and bounded (budgets; held bytes flush on clear).
Counters (`stats`) make every mode observable. Run by the lab as
`python -m mesotron.io.lab.relay --listen IP --target IP --ports 5050,5060:framed
--control SOCK --seed N` inside the master's namespace.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import math
import os
import random
import socket
import struct
import sys
from typing import Any

import trio

_LEN = struct.Struct(">I")
MODE_KEYS = {"delay_ms": float, "jitter_ms": float, "loss": float, "rto_ms": float, "cut": str,
             "duplicate": float, "reorder": float, "kinds": list, "budget": int, "drop": list}


def frame_kind(frame: bytes) -> str:
    """The message type of an internal-transport frame (`<len><Envelope>`): the Envelope's
    body field name, or "?" for what does not decode."""
    from mesotron.spec import internal_pb2 as ipb

    env = ipb.Envelope()
    try:
        env.ParseFromString(frame[_LEN.size:])
    except Exception:  # noqa: BLE001 - a relay forwards whatever it is given
        return "?"
    return env.WhichOneof("body") or "?"


class Link:
    """One peer's link to this master: its mode, its live connections, frames to deliver on
    its next connection, and counters."""

    def __init__(self, peer: str, rng: random.Random) -> None:
        self.peer = peer
        self.rng = rng
        self.mode: dict[str, Any] = {}
        self.conns: set[Conn] = set()
        self.next_conn: list[bytes] = []  # delivered after the next connection's first message
        self.recorded: dict[str, bytes] = {}  # last "in" frame of each kind
        self.cut_conns: set[Conn] = set()  # the established connections a `cut` breaks
        self.stats = {"connections": 0, "chunks_delayed": 0, "chunks_lost": 0, "duplicated": 0,
                      "reordered": 0, "replayed": 0, "resets": 0, "cuts": 0, "dropped": 0,
                      "injected_on_reconnect": 0}
        self.changed = trio.Event()
        self.kinds: dict[str, dict[str, int]] = {"in": {}, "out": {}}  # frames forwarded, by type

    def set_mode(self, mode: dict[str, Any]) -> None:
        self.mode = mode
        self.changed.set()
        self.changed = trio.Event()

    def pick(self, key: str, kind: str) -> bool:
        p = float(self.mode.get(key, 0.0))
        if p <= 0 or int(self.mode.get("budget", 1_000_000)) <= 0:
            return False
        kinds = self.mode.get("kinds") or []
        if kinds and kind not in kinds:
            return False
        if self.rng.random() >= p:
            return False
        self.mode["budget"] = int(self.mode.get("budget", 1_000_000)) - 1
        return True


class Conn:
    def __init__(self, link: Link, down: trio.SocketStream, up: trio.SocketStream, framed: bool) -> None:
        self.link = link
        self.down = down  # the peer's side
        self.up = up  # the master's side
        self.framed = framed
        self.scope = trio.CancelScope()
        self.in_frames = 0  # frames from the peer so far (the first is its Hello)
        self.half_closed: str | None = None  # "out": we closed the master's side; "in": the peer's
        self.in_send: Any = None  # the "in" direction's queue (replay puts frames there)

    def reset(self) -> None:
        self.link.stats["resets"] += 1
        self.scope.cancel()


class Relay:
    def __init__(self, listen: str, target: str, ports: list[tuple[int, bool]], seed: int) -> None:
        self.listen = listen
        self.target = target
        self.ports = ports
        self.seed = seed
        self.links: dict[str, Link] = {}

    def link(self, peer: str) -> Link:
        if peer not in self.links:
            self.links[peer] = Link(peer, random.Random(f"{self.seed}/{peer}"))
        return self.links[peer]

    # ------------------------------------------------------------------ forwarding
    async def serve(self, control: str, *, task_status: Any = trio.TASK_STATUS_IGNORED) -> None:
        async with trio.open_nursery() as n:
            for port, framed in self.ports:
                listeners = await trio.open_tcp_listeners(port, host=self.listen)
                for lst in listeners:
                    n.start_soon(self._accept, lst, port, framed)
            with contextlib.suppress(FileNotFoundError):
                os.unlink(control)
            sock = trio.socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            await sock.bind(control)
            sock.listen(8)
            n.start_soon(self._control, trio.SocketListener(sock))
            task_status.started()

    async def _accept(self, listener: trio.SocketListener, port: int, framed: bool) -> None:
        async with trio.open_nursery() as n:
            while True:
                stream = await listener.accept()
                n.start_soon(self._conn, stream, port, framed)

    async def _conn(self, down: trio.SocketStream, port: int, framed: bool) -> None:
        try:
            peer = down.socket.getpeername()[0]
        except OSError:  # reset before we looked: nothing to relay
            await down.aclose()
            return
        link = self.link(peer)
        link.stats["connections"] += 1
        try:
            with trio.fail_after(5):
                up = await trio.open_tcp_stream(self.target, port)
        except (OSError, trio.TooSlowError):
            await down.aclose()  # the master is down: the peer sees the connection end
            return
        conn = Conn(link, down, up, framed)
        link.conns.add(conn)
        try:
            with conn.scope:
                async with trio.open_nursery() as n:
                    n.start_soon(self._pump, conn, "in")
                    n.start_soon(self._pump, conn, "out")
                    n.start_soon(self._watch_cut, conn)
        finally:
            link.conns.discard(conn)
            for s in (down, up):
                with trio.move_on_after(1) as cs:
                    cs.shield = True
                    await s.aclose()

    async def _watch_cut(self, conn: Conn) -> None:
        """A one-way cut of this connection: close one side (it sees the break), keep the
        other open and silent (it does not know)."""
        while True:
            cut = conn.link.mode.get("cut")
            if cut in ("in", "out") and conn.half_closed is None and conn in conn.link.cut_conns:
                conn.half_closed = cut
                conn.link.stats["cuts"] += 1
                side = conn.up if cut == "out" else conn.down
                with trio.move_on_after(1):
                    await side.aclose()
            await conn.link.changed.wait()

    async def _pump(self, conn: Conn, direction: str) -> None:
        """Read one direction, cut it into units (frames on framed ports, chunks else), give
        each its release time, and write them in order."""
        src, dst = (conn.down, conn.up) if direction == "in" else (conn.up, conn.down)
        # units in order; a None unit resets the connection once everything before it is written
        send, recv = trio.open_memory_channel[tuple[float, bytes | None]](math.inf)
        link = conn.link

        if direction == "in":
            conn.in_send = send

        async def writer() -> None:
            async for release, data in recv:
                delay = release - trio.current_time()
                if delay > 0:
                    await trio.sleep(delay)
                if data is None:
                    conn.reset()
                    return
                try:
                    await dst.send_all(data)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    if conn.half_closed is None:
                        conn.scope.cancel()
                        return
                    # towards the side we cut: the bytes go nowhere, nobody is told
            # the source ended (EOF): once its bytes are written, the connection ends
            if conn.half_closed is None:
                conn.scope.cancel()

        async with trio.open_nursery() as n:
            n.start_soon(writer)
            buf = bytearray()
            last = 0.0
            while True:
                try:
                    data = await src.receive_some(65536)
                except (trio.BrokenResourceError, trio.ClosedResourceError):
                    data = b""
                if not data:
                    if conn.half_closed is not None and src is (conn.up if conn.half_closed == "out"
                                                                 else conn.down):
                        await trio.sleep_forever()  # the side we cut: the other goes on alone
                    # EOF: what was queued is written, then the connection ends
                    await send.aclose()
                    return
                units = [bytes(data)]
                if conn.framed:
                    buf += data
                    units = []
                    while len(buf) >= _LEN.size:
                        (length,) = _LEN.unpack_from(buf)
                        if len(buf) < _LEN.size + length:
                            break
                        units.append(bytes(buf[:_LEN.size + length]))
                        del buf[:_LEN.size + length]
                for unit in units:
                    now = trio.current_time()
                    hold = float(link.mode.get("delay_ms", 0.0)) / 1000
                    jitter = float(link.mode.get("jitter_ms", 0.0)) / 1000
                    if jitter:
                        hold += link.rng.uniform(0, jitter)
                    if hold:
                        link.stats["chunks_delayed"] += 1
                    if link.pick("loss", "chunk"):
                        link.stats["chunks_lost"] += 1
                        hold += float(link.mode.get("rto_ms", 200.0)) / 1000
                    release = max(now + hold, last)  # never overtake the previous unit
                    last = release
                    if conn.framed:
                        k = frame_kind(unit)
                        link.kinds[direction][k] = link.kinds[direction].get(k, 0) + 1
                    if conn.framed and (direction == "out" or conn.in_frames >= 1) and \
                            frame_kind(unit) in (link.mode.get("drop") or ()):
                        # a message dropped (Mesos's tests' DROP_PROTOBUFS): the connection
                        # lives on; bounded by `budget` like the other message faults
                        if direction == "in":
                            conn.in_frames += 1
                        if int(link.mode.get("budget", 1_000_000)) > 0:
                            link.mode["budget"] = int(link.mode.get("budget", 1_000_000)) - 1
                            link.stats["dropped"] += 1
                            continue
                        if direction == "in":
                            conn.in_frames -= 1
                    if conn.framed and direction == "in":
                        conn.in_frames += 1
                        if conn.in_frames == 1:  # the Hello: names the peer
                            send.send_nowait((release, unit))
                            continue
                        kind = frame_kind(unit)
                        link.recorded[kind] = unit
                        if link.pick("reorder", kind):
                            link.stats["reordered"] += 1
                            link.next_conn.append(unit)  # withheld: the newer connection first
                            send.send_nowait((release, None))  # what came before is delivered
                            await trio.sleep_forever()
                        send.send_nowait((release, unit))
                        if conn.in_frames == 2 and link.next_conn:
                            # the new connection's first message went first; now the old ones
                            link.stats["injected_on_reconnect"] += len(link.next_conn)
                            for old in link.next_conn:
                                send.send_nowait((release, old))
                            link.next_conn = []
                        if link.pick("duplicate", kind):
                            link.stats["duplicated"] += 1
                            link.next_conn.append(unit)  # delivered again after a reconnection
                            send.send_nowait((release, None))  # the original first
                            await trio.sleep_forever()
                        continue
                    send.send_nowait((release, unit))

    # ------------------------------------------------------------------ control
    async def _control(self, listener: trio.SocketListener) -> None:
        async with trio.open_nursery() as n:
            while True:
                stream = await listener.accept()
                n.start_soon(self._control_conn, stream)

    async def _control_conn(self, stream: trio.abc.Stream) -> None:
        """One client of the control socket; a client that goes away mid-answer is dropped,
        never an error of the relay."""
        with contextlib.suppress(trio.BrokenResourceError, trio.ClosedResourceError, OSError):
            await self._control_session(stream)

    async def _control_session(self, stream: trio.abc.Stream) -> None:
        buf = b""
        async with stream:
            while True:
                try:
                    data = await stream.receive_some(65536)
                except trio.BrokenResourceError:
                    return
                if not data:
                    return
                buf += data
                while b"\n" in buf:
                    line, buf = buf.split(b"\n", 1)
                    try:
                        reply = self.command(json.loads(line))
                    except (ValueError, KeyError, TypeError) as e:
                        reply = {"ok": False, "error": str(e)}
                    await stream.send_all(json.dumps(reply).encode() + b"\n")

    def command(self, req: dict[str, Any]) -> dict[str, Any]:
        """set {peer, mode} | clear {peer?} | reset {peer} | replay {peer, kind} | stats."""
        cmd = req["cmd"]
        if cmd not in ("stats", "clear", "set", "reset", "replay"):
            raise ValueError(f"unknown command {cmd!r} (stats, clear, set, reset, replay)")
        if cmd == "stats":
            return {"ok": True, "links": {p: {"mode": lk.mode, "stats": lk.stats, "open": len(lk.conns),
                                              "kinds": lk.kinds}
                                          for p, lk in self.links.items()}}
        if cmd == "clear":
            peers = [req["peer"]] if req.get("peer") else list(self.links)
            for p in peers:
                self.link(p).set_mode({})
                for c in list(self.link(p).conns):
                    if c.half_closed:  # a cut connection cannot be mended: it ends now
                        c.reset()
            return {"ok": True}
        link = self.link(str(req["peer"]))
        if cmd == "set":
            mode = dict(req["mode"])
            for k, v in mode.items():
                if k not in MODE_KEYS:
                    raise ValueError(f"unknown mode key {k!r} (known: {sorted(MODE_KEYS)})")
                mode[k] = MODE_KEYS[k](v)
            if mode.get("cut") not in (None, "in", "out"):
                raise ValueError("cut: 'in' or 'out'")
            # a cut breaks the connections established now; later ones pass (the peer's
            # new calls reach the master, as in a one-way partition of a TCP connection)
            link.cut_conns = set(link.conns) if mode.get("cut") else set()
            link.set_mode(mode)
            return {"ok": True}
        if cmd == "reset":
            conns = list(link.conns)
            for c in conns:
                c.reset()
            return {"ok": True, "reset": len(conns)}
        if cmd == "replay":
            frame = link.recorded.get(str(req["kind"]))
            live = [c for c in link.conns if c.framed and c.in_frames >= 1]
            if frame is None or not live:
                return {"ok": False, "error": f"no recorded {req['kind']} frame or no live connection"}
            for c in live:
                with contextlib.suppress(trio.ClosedResourceError, trio.BrokenResourceError):
                    c.in_send.send_nowait((trio.current_time(), frame))  # (unless it just ended)
            link.stats["replayed"] += 1
            return {"ok": True}
        raise ValueError(f"unknown command {cmd!r}")


def relay_call(path: str, req: dict[str, Any], timeout: float = 5.0) -> dict[str, Any]:
    """One control request to a relay (blocking; for the harness)."""
    with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
        s.settimeout(timeout)
        s.connect(path)
        s.sendall(json.dumps(req).encode() + b"\n")
        buf = b""
        while not buf.endswith(b"\n"):
            chunk = s.recv(65536)
            if not chunk:
                break
            buf += chunk
    reply: dict[str, Any] = json.loads(buf)
    if not reply.get("ok"):
        raise RuntimeError(f"relay {path}: {reply.get('error')}")
    return reply


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="mesotron.io.lab.relay")
    p.add_argument("--listen", required=True)
    p.add_argument("--target", required=True)
    p.add_argument("--ports", required=True, help="5050,5060:framed")
    p.add_argument("--control", required=True, help="Unix socket path")
    p.add_argument("--seed", type=int, default=0)
    a = p.parse_args(argv)
    ports = [(int(x.split(":")[0]), x.endswith(":framed")) for x in a.ports.split(",")]
    relay = Relay(a.listen, a.target, ports, a.seed)
    try:
        trio.run(relay.serve, a.control)
    except KeyboardInterrupt:
        pass
    except OSError as e:
        print(f"relay: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
