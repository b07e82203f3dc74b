"""kazoo (thread based) bridged into Trio.

- Blocking kazoo calls run in worker threads: `await trio.to_thread.run_sync(fn,
  abandon_on_cancel=True)`, so a caller's `trio.fail_after` can always give up on a call that
  hangs during a partition (the thread finishes on its own when kazoo fails the request).
- Watches and session-state listeners run on kazoo's threads (and, for watches, sometimes
  synchronously in the calling thread): they only ever call `TrioToken.run_sync_soon`, which
  never blocks, never needs the Trio thread, and never blocks kazoo's event thread.
- Session states are kazoo's simplified ones, as events on the Trio side:
  `CONNECTED` (connected; after `SUSPENDED` with the same session id, the session survived),
  `SUSPENDED` (connection lost, session fate unknown: ephemeral nodes may still exist),
  `LOST` (session expired or closed: its ephemeral nodes are gone; kazoo then opens a NEW
  session by itself and reports `CONNECTED` with a new `session_id`).
- No `timeout=` parameters: callers bound any wait with `trio.fail_after`.

    async with open_zk("127.0.0.1:2181", session_timeout=10.0) as zk:
        path = await zk.create("/mesos/json.info_", b"...", ephemeral=True, sequence=True,
                               makepath=True)
        children, watch = await zk.children_with_watch("/mesos")
        await watch.fired.wait()          # a child changed, or the connection state did

All methods must be called from the Trio thread that opened the client.
"""

from __future__ import annotations

import contextlib
import json
import logging
import math
import os
from collections.abc import AsyncIterator, Callable, Sequence
from typing import Any, TypeVar

import attrs
import trio
from kazoo.client import KazooClient
from kazoo.exceptions import (
    BadVersionError,
    ConnectionClosedError,
    ConnectionLoss,
    KazooException,
    NodeExistsError,
    NoNodeError,
    NotEmptyError,
    OperationTimeoutError,
    RolledBackError,
    SessionExpiredError,
    ZookeeperError,
)
from kazoo.protocol.states import ZnodeStat
from kazoo.retry import KazooRetry
from kazoo.security import CREATOR_ALL_ACL, READ_ACL_UNSAFE

__all__ = [
    "CONNECTED",
    "CONNECTION_ERRORS",
    "LOST",
    "SUSPENDED",
    "BadVersionError",
    "KazooException",
    "NoNodeError",
    "NodeExistsError",
    "NotEmptyError",
    "RolledBackError",
    "SessionEvent",
    "Watch",
    "ZkClient",
    "ZnodeStat",
    "ZookeeperError",
    "expire_session",
    "open_zk",
]

CONNECTED = "CONNECTED"
SUSPENDED = "SUSPENDED"
LOST = "LOST"

# Errors that mean "the outcome depends on the connection", not "the request was wrong".
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    ConnectionLoss,
    SessionExpiredError,
    ConnectionClosedError,
    OperationTimeoutError,
)

T = TypeVar("T")
log = logging.getLogger("mesotron.zk")


@attrs.frozen(kw_only=True, slots=True)
class SessionEvent:
    """A session state change as seen on the Trio side (`at` is `trio.current_time()`)."""

    state: str
    session_id: int | None
    at: float


class Watch:
    """A one-shot ZooKeeper watch: `fired` is set when the watched node (or its children)
    changed, or when the connection state changed (kazoo fires every pending watch on
    SUSPENDED and LOST, because the server-side watch may be gone). After it fires, read
    again (with a new watch)."""

    __slots__ = ("event_type", "fired")

    def __init__(self) -> None:
        self.fired = trio.Event()
        self.event_type: str | None = None

    def _fire(self, event_type: str) -> None:
        if not self.fired.is_set():
            self.event_type = event_type
            self.fired.set()


def _call_soon(token: trio.lowlevel.TrioToken, fn: Callable[..., Any], *args: Any) -> None:
    """From any thread: run fn(*args) on the Trio thread, soon. Never blocks."""
    with contextlib.suppress(trio.RunFinishedError):
        token.run_sync_soon(fn, *args)


def _repeat_hosts(hosts: str, session_timeout: float) -> str:
    """The host list repeated so that kazoo's handshake timeout is at most ~2 s.

    kazoo waits `session_timeout / len(hosts)` for the reply to a connect request. ZooKeeper
    3.8.0 (Debian bookworm) can leave that request unanswered when a client connects while
    the server is starting (it hits a NullPointerException closing the connection before its
    database is loaded). With one host kazoo would then wait a whole session timeout and the
    session would expire, although the server came back in well under a second (seen in
    tests/test_zk_election.py's restart scenario). With the list repeated, a stuck attempt
    is abandoned after ~2 s and the next attempt reconnects the same session."""
    items = [h.strip() for h in hosts.split(",") if h.strip()]
    wanted = max(3, min(30, math.ceil(session_timeout / 2.0)))
    if not items or len(items) >= wanted:
        return hosts
    return ",".join(items * math.ceil(wanted / len(items)))


class ZkClient:
    """One kazoo client (one ZooKeeper session at a time) driven from Trio. Use `open_zk`."""

    def __init__(
        self,
        hosts: str,
        *,
        session_timeout: float = 10.0,
        credentials: tuple[str, str] | None = None,
    ) -> None:
        self.hosts = hosts
        self.requested_timeout = session_timeout
        # Reconnect quickly and keep trying: a session survives a server restart only if we
        # reach the server again within the session timeout (kazoo's default backoff grows
        # to an hour).
        max_delay = max(0.05, min(1.0, session_timeout / 4))
        self._kazoo = KazooClient(
            hosts=_repeat_hosts(hosts, session_timeout),
            timeout=session_timeout,
            connection_retry=KazooRetry(
                max_tries=-1, delay=0.05, backoff=1.5, max_jitter=0.2, max_delay=max_delay
            ),
            command_retry=KazooRetry(max_tries=0),
            logger=log,
            # zk://user:pass@... as Mesos does: digest authentication, and every znode we
            # create (paths, election members, the registry) gets Mesos's ACL for that case,
            # EVERYONE_READ_CREATOR_ALL: anyone reads (leader detection needs no credentials),
            # only the creating identity writes or deletes. Without credentials: open ACLs.
            auth_data=[("digest", f"{credentials[0]}:{credentials[1]}")] if credentials else None,
            default_acl=(READ_ACL_UNSAFE + CREATOR_ALL_ACL) if credentials else None,
        )
        self._token = trio.lowlevel.current_trio_token()
        self.state = LOST  # kazoo's initial state, until the first CONNECTED
        self.session_id: int | None = None
        self.state_since = trio.current_time()
        self._state_event = trio.Event()
        self._subscribers: list[trio.MemorySendChannel[SessionEvent]] = []
        self._closing = False
        self.history: list[SessionEvent] = []  # every state change, for logs and tests
        self._kazoo.add_listener(self._listener)

    # ------------------------------------------------------------------ session state
    def _listener(self, state: str) -> None:  # kazoo's thread: never block here
        sid = self._kazoo._session_id
        _call_soon(self._token, self._on_state, str(state), sid)

    def _on_state(self, state: str, sid: int | None) -> None:  # Trio thread
        if state == CONNECTED:
            # the listener runs right after kazoo stored the negotiated session
            self.session_id = sid
        event = SessionEvent(state=state, session_id=sid, at=trio.current_time())
        self.state = state
        self.state_since = event.at
        self.history.append(event)
        old, self._state_event = self._state_event, trio.Event()
        old.set()
        for ch in list(self._subscribers):
            try:
                ch.send_nowait(event)
            except (trio.ClosedResourceError, trio.BrokenResourceError):
                self._subscribers.remove(ch)

    @property
    def state_event(self) -> trio.Event:
        """Set at the next state change. Capture it BEFORE an await to not miss a change."""
        return self._state_event

    async def wait_state_change(self) -> str:
        await self._state_event.wait()
        return self.state

    def subscribe(self) -> trio.MemoryReceiveChannel[SessionEvent]:
        """A channel of every later state change (unbounded; close it to unsubscribe)."""
        send, recv = trio.open_memory_channel[SessionEvent](math.inf)
        self._subscribers.append(send)
        return recv

    async def wait_connected(self) -> None:
        """Until the client is CONNECTED (bound it with `trio.fail_after`)."""
        while self.state != CONNECTED:
            await self._state_event.wait()

    @property
    def connected(self) -> bool:
        return self.state == CONNECTED

    @property
    def negotiated_timeout(self) -> float:
        """The session timeout the server granted (seconds); the request before connecting."""
        return self._kazoo._session_timeout / 1000.0

    @property
    def client_id(self) -> tuple[int, bytes] | None:
        """(session id, password) while connected: what `expire_session` needs."""
        cid = self._kazoo.client_id
        return None if cid is None else (int(cid[0]), bytes(cid[1]))

    @property
    def kazoo(self) -> KazooClient:
        """The underlying client, for calls not wrapped here (call it via `call`)."""
        return self._kazoo

    # ------------------------------------------------------------------ lifecycle
    async def start(self) -> None:
        """Connect (returns once CONNECTED). Bound it with `trio.fail_after`."""
        await trio.to_thread.run_sync(self._kazoo.start_async)
        await self.wait_connected()

    async def close(self) -> None:
        """Close the session (its ephemeral nodes vanish at once) and free the client."""
        if self._closing:
            return
        self._closing = True
        with trio.CancelScope(shield=True):
            await trio.to_thread.run_sync(self._stop_and_close)
        for ch in self._subscribers:
            ch.close()
        self._subscribers.clear()

    def _stop_and_close(self) -> None:
        try:
            self._kazoo.stop()
        finally:
            self._kazoo.close()

    # ------------------------------------------------------------------ calls
    async def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run a blocking kazoo call in a worker thread (cancellable by abandoning it)."""
        return await trio.to_thread.run_sync(lambda: fn(*args, **kwargs), abandon_on_cancel=True)

    async def create(
        self,
        path: str,
        value: bytes = b"",
        *,
        ephemeral: bool = False,
        sequence: bool = False,
        makepath: bool = False,
    ) -> str:
        return await self.call(
            self._kazoo.create,
            path,
            value,
            ephemeral=ephemeral,
            sequence=sequence,
            makepath=makepath,
        )

    async def ensure_path(self, path: str) -> None:
        """Create `path` and its parents (persistent, empty data) if missing."""
        await self.call(self._kazoo.ensure_path, path)

    async def get(self, path: str) -> tuple[bytes, ZnodeStat]:
        data, stat = await self.call(self._kazoo.get, path)
        return bytes(data or b""), stat

    async def get_children(self, path: str) -> list[str]:
        return list(await self.call(self._kazoo.get_children, path))

    async def exists(self, path: str) -> ZnodeStat | None:
        return await self.call(self._kazoo.exists, path)

    async def set(self, path: str, value: bytes, *, version: int = -1) -> ZnodeStat:
        return await self.call(self._kazoo.set, path, value, version=version)

    async def delete(self, path: str, *, version: int = -1, recursive: bool = False) -> None:
        await self.call(self._kazoo.delete, path, version=version, recursive=recursive)

    async def transaction(self, ops: Sequence[tuple[Any, ...]]) -> list[Any]:
        """Atomic multi-op. ops: ("check", path, version) | ("set", path, data, version) |
        ("create", path, data) | ("delete", path, version). Returns kazoo's result list:
        on failure every entry is an exception instance (the failing op's own error, e.g.
        BadVersionError or NoNodeError; RolledBackError before it, RuntimeInconsistency
        after it)."""

        def run() -> list[Any]:
            t = self._kazoo.transaction()
            for op in ops:
                kind = op[0]
                if kind == "check":
                    t.check(op[1], op[2])
                elif kind == "set":
                    t.set_data(op[1], op[2], op[3])
                elif kind == "create":
                    t.create(op[1], op[2])
                elif kind == "delete":
                    t.delete(op[1], op[2])
                else:
                    raise ValueError(f"unknown transaction op {op!r}")
            return list(t.commit())

        return await trio.to_thread.run_sync(run, abandon_on_cancel=True)

    # ------------------------------------------------------------------ watches
    def _new_watch(self) -> tuple[Watch, Callable[[Any], None]]:
        watch = Watch()
        token = self._token

        def callback(event: Any) -> None:  # kazoo's thread (or the caller's): never block
            _call_soon(token, watch._fire, str(getattr(event, "type", "NONE")))

        return watch, callback

    async def children_with_watch(self, path: str) -> tuple[list[str] | None, Watch]:
        """The children of `path` (None if it does not exist) and a one-shot watch that
        fires when they change (or the node appears), or when the connection state changes."""
        watch, cb = self._new_watch()
        try:
            children = await self.call(self._kazoo.get_children, path, watch=cb)
            return list(children), watch
        except NoNodeError:
            pass
        # watch for its creation instead; a race (created in between) just loops once more
        watch, cb = self._new_watch()
        stat = await self.call(self._kazoo.exists, path, watch=cb)
        if stat is not None:
            watch._fire("CREATED")
        return None, watch

    async def data_with_watch(self, path: str) -> tuple[tuple[bytes, ZnodeStat] | None, Watch]:
        """(data, stat) of `path` (None if missing) and a one-shot watch on it."""
        watch, cb = self._new_watch()
        try:
            data, stat = await self.call(self._kazoo.get, path, watch=cb)
            return (bytes(data or b""), stat), watch
        except NoNodeError:
            pass
        watch, cb = self._new_watch()
        stat = await self.call(self._kazoo.exists, path, watch=cb)
        if stat is not None:
            watch._fire("CREATED")
        return None, watch


async def wait_any(*events: trio.Event) -> None:
    """Return as soon as one of `events` is set."""
    if any(e.is_set() for e in events):
        return
    async with trio.open_nursery() as nursery:
        for e in events:

            async def waiter(e: trio.Event = e) -> None:
                await e.wait()
                nursery.cancel_scope.cancel()

            nursery.start_soon(waiter)


@contextlib.asynccontextmanager
async def open_zk(
    hosts: str, *, session_timeout: float = 10.0, credentials: tuple[str, str] | None = None
) -> AsyncIterator[ZkClient]:
    """A connected ZkClient; its session is closed on exit (ephemeral nodes vanish).
    Connecting waits for the server: bound it with `trio.fail_after`. `credentials`:
    (user, password) for digest authentication (`ZkUrl.credentials`)."""
    zk = ZkClient(hosts, session_timeout=session_timeout, credentials=credentials)
    try:
        await zk.start()
        yield zk
    finally:
        await zk.close()


async def expire_session(hosts: str, client_id: tuple[int, bytes]) -> None:
    """Expire a session for real, from outside (tests, chaos): attach a second client to the
    same session id and password and close it, until the server refuses that session. The
    server deletes the session's ephemeral nodes at once; the original client learns `LOST`
    when it next hears from the server
    (OPERATIONS.md §5; kazoo's own test helper only fakes it on the client side)."""

    def run() -> None:
        # The owner may reconnect and take its session back between our attach and our
        # close (then the close is lost with our connection), so repeat until the server
        # refuses the session: kazoo then hands us a fresh one instead.
        while True:
            other = KazooClient(
                hosts=hosts,
                client_id=client_id,
                logger=log,
                connection_retry=KazooRetry(max_tries=-1, delay=0.05, max_delay=0.5),
            )
            try:
                other.start(timeout=5.0)  # kazoo's own wait; our caller holds the deadline
            except other.handler.timeout_exception:
                continue  # start() stopped and closed it; the owner won the race: again
            got = other._session_id
            try:
                other.stop()
            finally:
                with contextlib.suppress(Exception):
                    other.close()
            if got != client_id[0]:
                return

    await trio.to_thread.run_sync(run, abandon_on_cancel=True)


def save_session(path: str, zk: ZkClient, hosts: str) -> None:
    """Write `zk`'s session (id, password) to `path` (mode 0600), so that tests and chaos
    tools can expire it from outside with `expire_session(*load_session(path))`."""
    cid = zk.client_id
    if cid is None:
        return
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as f:
        json.dump({"session_id": cid[0], "password": cid[1].hex(), "hosts": hosts}, f)


def load_session(path: str) -> tuple[str, tuple[int, bytes]]:
    """(hosts, client_id) as written by `save_session`."""
    with open(path) as f:
        d = json.load(f)
    return d["hosts"], (int(d["session_id"]), bytes.fromhex(d["password"]))
