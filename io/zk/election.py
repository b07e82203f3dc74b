"""Mesos-compatible leader election and detection in ZooKeeper (MESOS-V1-API.md §6).

Layout, exactly as Mesos masters write it (so pymesos and Mesos tools can read ours):

- the group znode is the zk:// URL's path (e.g. `/mesos`), persistent, empty data, created
  (with its parents) if missing;
- each contending master creates one EPHEMERAL|SEQUENTIAL child `json.info_NNNNNNNNNN`
  holding its MasterInfo as compact JSON (`id, ip, port, pid, hostname, version, address,
  capabilities`; `ip` is the IPv4 address in network byte order read as little-endian);
- the member with the lowest sequence number leads. We never create any other child, so
  pymesos's detector (lexicographic `min()` of the children) agrees with ours (lowest
  sequence among `json.info_*`).

Contender (a master): `ZkContender(zk, path, master_info)`; `await nursery.start(c.run)`
creates the node; `c.elected` is set when it leads; `c.lost` is set when membership is lost
(its node is gone: session expired or node deleted; or the client stayed disconnected for
longer than the session timeout, when the server has surely expired the session, as Mesos's
group does). A lost contender never leads again: Mesos masters exit on it ("Lost
leadership... committing suicide!"); the daemon closes its client (or the process) and may
rejoin with a new ZkClient and a new contender. A mere SUSPENDED that reconnects to the same
session within the timeout changes nothing (no spurious loss).

Detector (agents, schedulers, standby masters): `ZkDetector(zk, path)`; `await
nursery.start(d.run)`; `d.leader` is the current leader's MasterInfo (or None) and
`await d.detect(previous)` returns as soon as it differs from `previous` (Mesos's
`MasterDetector::detect(previous)`).

URLs: `parse_zk_url("zk://[user:pass@]h1:p1,h2:p2/path")` -> `ZkUrl` or `ZkUrlError`.
"""

from __future__ import annotations

import contextlib
import json
import re
from collections.abc import AsyncIterator, Callable

import attrs
import trio
from mesotron.core.values import MasterInfo
from mesotron.io.zk.bridge import (
    CONNECTED,
    CONNECTION_ERRORS,
    LOST,
    SUSPENDED,
    NoNodeError,
    ZkClient,
    wait_any,
)
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_values import master_from_pb, master_to_pb
from mesotron.spec.wire import WireError, from_json, to_json

MASTER_INFO_JSON_LABEL = "json.info"  # Mesos src/master/constants.hpp
NODE_PREFIX = MASTER_INFO_JSON_LABEL + "_"
DEFAULT_ZK_PORT = 2181

# ------------------------------------------------------------------ zk:// URLs


class ZkUrlError(ValueError):
    """A zk:// URL that cannot be used; the message says what is wrong and shows the form."""


@attrs.frozen(kw_only=True, slots=True)
class ZkUrl:
    servers: tuple[tuple[str, int], ...]  # (host, port); IPv6 hosts without brackets
    path: str  # absolute, no trailing slash, not "/"
    credentials: tuple[str, str] | None = None  # digest auth (user, password)

    @property
    def hosts(self) -> str:
        """The kazoo connection string `h1:p1,h2:p2` (no chroot: paths are absolute)."""
        return ",".join(f"[{h}]:{p}" if ":" in h else f"{h}:{p}" for h, p in self.servers)

    def __str__(self) -> str:
        auth = f"{self.credentials[0]}:{self.credentials[1]}@" if self.credentials else ""
        return f"zk://{auth}{self.hosts}{self.path}"

    def redacted(self) -> str:
        """For logs: the password replaced by `***` (secrets are never logged)."""
        auth = f"{self.credentials[0]}:***@" if self.credentials else ""
        return f"zk://{auth}{self.hosts}{self.path}"


_FORM = "expected zk://host1:port1[,host2:port2...]/path, e.g. zk://127.0.0.1:2181/mesos"
_HOST_RE = re.compile(r"^[A-Za-z0-9](?:[A-Za-z0-9.\-_]*[A-Za-z0-9])?$")
# ZooKeeper's PathUtils.validatePath rejects these code points
_BAD_PATH_CHARS = re.compile("[\u0000-\u001f\u007f-\u009f\ud800-\uf8ff\ufff0-\uffff]")


def is_zk_url(text: str) -> bool:
    return text.strip().lower().startswith("zk://")


def validate_znode_path(path: str) -> str:
    """An absolute ZooKeeper path (not the root) or ZkUrlError."""
    if not path.startswith("/"):
        raise ZkUrlError(f"ZooKeeper path {path!r} must start with '/'")
    if path == "/":
        raise ZkUrlError(f"the ZooKeeper path must not be the root '/': {_FORM}")
    if path.endswith("/"):
        raise ZkUrlError(f"ZooKeeper path {path!r} must not end with '/'")
    for part in path[1:].split("/"):
        if part == "":
            raise ZkUrlError(f"ZooKeeper path {path!r} has an empty component ('//')")
        if part in (".", ".."):
            raise ZkUrlError(f"ZooKeeper path {path!r} has a relative component {part!r}")
    m = _BAD_PATH_CHARS.search(path)
    if m:
        raise ZkUrlError(f"ZooKeeper path {path!r} has an invalid character {m.group()!r}")
    if path == "/zookeeper" or path.startswith("/zookeeper/"):
        raise ZkUrlError(f"ZooKeeper path {path!r} is reserved by ZooKeeper")
    return path


def _parse_server(item: str, url: str) -> tuple[str, int]:
    if not item:
        raise ZkUrlError(f"empty host in {url!r}: {_FORM}")
    if item.startswith("["):  # [IPv6]:port
        end = item.find("]")
        if end < 0:
            raise ZkUrlError(f"unclosed '[' in host {item!r} of {url!r}")
        host, rest = item[1:end], item[end + 1 :]
        if not host or not re.fullmatch(r"[0-9A-Fa-f:.]+", host):
            raise ZkUrlError(f"bad IPv6 address {item!r} in {url!r}")
        if rest and not rest.startswith(":"):
            raise ZkUrlError(f"unexpected {rest!r} after {item[: end + 1]!r} in {url!r}")
        port_text = rest[1:] if rest else None
    else:
        host, sep, port_text_ = item.partition(":")
        port_text = port_text_ if sep else None
        if not _HOST_RE.match(host):
            raise ZkUrlError(f"bad host name {host!r} in {url!r}: {_FORM}")
    if port_text is None:
        return host, DEFAULT_ZK_PORT
    if not port_text.isdigit() or not port_text.isascii():
        raise ZkUrlError(f"bad port {port_text!r} for host {host!r} in {url!r}: {_FORM}")
    port = int(port_text)
    if not 1 <= port <= 65535:
        raise ZkUrlError(f"port {port} for host {host!r} out of range 1-65535 in {url!r}")
    return host, port


def parse_zk_url(url: str) -> ZkUrl:
    """Parse `zk://[user:pass@]h1:p1,h2:p2/path` (port defaults to 2181). ZkUrlError with a
    clear message for anything else."""
    if not isinstance(url, str):
        raise ZkUrlError(f"zk:// URL must be a string, not {type(url).__name__}")
    text = url.strip()
    scheme, sep, rest = text.partition("://")
    if not sep:
        raise ZkUrlError(f"{url!r} is not a zk:// URL: {_FORM}")
    if scheme.lower() != "zk":
        raise ZkUrlError(f"unsupported scheme {scheme + '://'!r} in {url!r}: {_FORM}")
    slash = rest.find("/")
    if slash < 0:
        raise ZkUrlError(f"{url!r} has no path after the hosts: {_FORM}")
    authority, path = rest[:slash], rest[slash:]
    credentials = None
    if "@" in authority:
        userinfo, _, authority = authority.rpartition("@")
        user, colon, password = userinfo.partition(":")
        if not colon or not user:
            raise ZkUrlError(f"credentials in {url!r} must be user:password@")
        credentials = (user, password)
    if not authority:
        raise ZkUrlError(f"{url!r} names no ZooKeeper server: {_FORM}")
    servers = tuple(_parse_server(item.strip(), url) for item in authority.split(","))
    if "?" in path or "#" in path:
        raise ZkUrlError(f"{url!r}: query strings and fragments are not supported")
    return ZkUrl(servers=servers, path=validate_znode_path(path), credentials=credentials)


# ------------------------------------------------------------------ node names and data


def master_info_json(info: MasterInfo) -> bytes:
    """MasterInfo as Mesos writes it into `json.info_*` nodes (compact JSON)."""
    return to_json(master_to_pb(info))


def parse_master_info(data: bytes) -> MasterInfo:
    """MasterInfo from a `json.info_*` node's data; ValueError if it is not one."""
    try:
        d = json.loads(data)
        return master_from_pb(from_json(json.dumps(d).encode(), pb.MasterInfo))
    except (ValueError, WireError, UnicodeDecodeError) as e:
        raise ValueError(f"not a MasterInfo JSON: {e}") from None


def sequence_of(child: str) -> int | None:
    """The sequence number of a Mesos `json.info_NNNNNNNNNN` member, else None.

    Mesos splits the name on '_' and wants an integer tail; we also require the json.info
    label (binary `info_` and unlabeled legacy members are not written by anything of ours)."""
    label, sep, tail = child.rpartition("_")
    if not sep or label != MASTER_INFO_JSON_LABEL or not tail.isdigit() or not tail.isascii():
        return None
    return int(tail)


def leader_child(children: list[str]) -> str | None:
    """The member with the lowest sequence number (None if there is none).

    For the layout we write (only `json.info_` + 10 digits) this equals pymesos's choice,
    `min()` over the children minus `log_replicas`."""
    members = [(seq, c) for c in children if (seq := sequence_of(c)) is not None]
    return min(members)[1] if members else None


def pymesos_leader_child(children: list[str]) -> str | None:
    """What pymesos 0.3.15's detector picks (for agreement tests)."""
    rest = [c for c in children if c != "log_replicas"]
    return min(rest) if rest else None


# ------------------------------------------------------------------ contender


class ZkContender:
    """One master's membership in the election group (see the module docstring).

    Invariants: `elected` is set only while `node` was the lowest member; once `lost` is
    set, `leading` is False forever."""

    def __init__(self, zk: ZkClient, path: str, info: MasterInfo | bytes) -> None:
        self.zk = zk
        self.path = validate_znode_path(path)
        self.data = info if isinstance(info, bytes) else master_info_json(info)
        self.node: str | None = None  # full path of our member node
        self.session_id: int | None = None  # the session that owns it
        self.leading = False
        self.elected = trio.Event()
        self.lost = trio.Event()
        self.lost_reason: str | None = None
        self.elected_at: float | None = None
        self.lost_at: float | None = None
        self.leader_child: str | None = None  # the lowest member we last saw

    @property
    def sequence(self) -> int | None:
        return None if self.node is None else sequence_of(self.node.rsplit("/", 1)[1])

    def _lose(self, reason: str) -> None:
        if not self.lost.is_set():
            self.leading = False
            self.lost_reason = reason
            self.lost_at = trio.current_time()
            self.lost.set()

    async def _create_member(self) -> str:
        """Create our node; if the reply was lost with the connection, find the node our
        session created (ephemeralOwner) instead of leaving an orphan."""
        while True:
            await self.zk.wait_connected()
            sid = self.zk.session_id
            try:
                return await self.zk.create(
                    self.path + "/" + NODE_PREFIX, self.data, ephemeral=True, sequence=True
                )
            except CONNECTION_ERRORS:
                await self.zk.wait_connected()
                if self.zk.session_id != sid:
                    continue  # that session is gone, and with it any node it made
                for child in await self.zk.get_children(self.path):
                    if sequence_of(child) is None:
                        continue
                    try:
                        data, stat = await self.zk.get(self.path + "/" + child)
                    except NoNodeError:
                        continue
                    if stat.ephemeralOwner == sid and data == self.data:
                        return self.path + "/" + child

    async def run(self, *, task_status: trio.TaskStatus[str] = trio.TASK_STATUS_IGNORED) -> None:
        """Join the group; `task_status.started(node path)`; return once membership is lost.
        Cancel it (or close the client) to withdraw."""
        await self.zk.wait_connected()
        await self.zk.ensure_path(self.path)
        self.node = await self._create_member()
        self.session_id = self.zk.session_id
        me = self.node.rsplit("/", 1)[1]
        task_status.started(self.node)
        while not self.lost.is_set():
            changed = self.zk.state_event
            if self.zk.state == LOST or self.zk.session_id != self.session_id:
                self._lose("ZooKeeper session expired")
                break
            if self.zk.state != CONNECTED:
                await self._ride_out_disconnection()
                continue
            try:
                children, watch = await self.zk.children_with_watch(self.path)
            except CONNECTION_ERRORS:
                await changed.wait()
                continue
            if children is None or me not in children:
                self._lose(f"membership node {self.node} is gone")
                break
            self.leader_child = leader_child(children)
            if self.leader_child == me and not self.leading:
                self.leading = True
                self.elected_at = trio.current_time()
                self.elected.set()
            await wait_any(watch.fired, changed)

    async def _ride_out_disconnection(self) -> None:
        """Disconnected: our session may survive if we reconnect within its timeout. Past
        it the server has surely expired it, so we stop leading (Mesos's group timer)."""
        deadline = self.zk.state_since + self.zk.negotiated_timeout
        with trio.move_on_at(deadline):
            while self.zk.state == SUSPENDED:
                await self.zk.state_event.wait()
            return  # CONNECTED (same or new session) or LOST: the run loop decides
        self._lose(
            f"disconnected from ZooKeeper for longer than the session timeout "
            f"({self.zk.negotiated_timeout:g}s)"
        )

    async def withdraw(self) -> None:
        """Delete our node (a clean shutdown without closing the session)."""
        if self.node is not None:
            with contextlib.suppress(NoNodeError):
                await self.zk.delete(self.node)
        self._lose("withdrew")


@contextlib.asynccontextmanager
async def contend(zk: ZkClient, path: str, info: MasterInfo | bytes) -> AsyncIterator[ZkContender]:
    """`async with contend(zk, "/mesos", info) as c: await c.elected.wait(); ...`
    The member node exists once the body starts; on exit the contender stops watching
    (the node stays until the session closes: close the client, or call `c.withdraw()`)."""
    contender = ZkContender(zk, path, info)
    async with trio.open_nursery() as nursery:
        await nursery.start(contender.run)
        try:
            yield contender
        finally:
            nursery.cancel_scope.cancel()


# ------------------------------------------------------------------ detector


@attrs.frozen(kw_only=True, slots=True)
class LeaderChange:
    """What a detector saw: the leading member's node name and info (None: no leader)."""

    child: str | None
    info: MasterInfo | None
    at: float


class ZkDetector:
    """Follows the group's leader (see the module docstring). `changes` records every change
    (the first entry is the initial reading)."""

    def __init__(self, zk: ZkClient, path: str) -> None:
        self.zk = zk
        self.path = validate_znode_path(path)
        self.leader: MasterInfo | None = None
        self.leader_node: str | None = None
        self.changes: list[LeaderChange] = []
        self._changed = trio.Event()
        self._ready = False

    def _report(self, child: str | None, info: MasterInfo | None) -> None:
        if self._ready and child == self.leader_node and info == self.leader:
            return
        self._ready = True
        self.leader_node, self.leader = child, info
        self.changes.append(LeaderChange(child=child, info=info, at=trio.current_time()))
        old, self._changed = self._changed, trio.Event()
        old.set()

    async def detect(self, previous: MasterInfo | None = None) -> MasterInfo | None:
        """The current leader as soon as it differs from `previous` (Mesos's detect)."""
        while not self._ready or self.leader == previous:
            await self._changed.wait()
        return self.leader

    async def wait_for(
        self, predicate: Callable[[MasterInfo | None], bool]
    ) -> MasterInfo | None:
        """Until predicate(leader) holds (tests, and `--master zk://` start-up)."""
        while not (self._ready and predicate(self.leader)):
            await self._changed.wait()
        return self.leader

    async def run(self, *, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        """Follow the leader forever; `started()` after the first reading."""
        started = False
        session: int | None = None  # the session of our last reading
        while True:
            changed = self.zk.state_event
            if self.zk.state == LOST:
                self._report(None, None)  # our session expired: we know nothing now
            if self.zk.state != CONNECTED:
                await changed.wait()
                continue
            if session is not None and self.zk.session_id != session:
                # Our session expired and kazoo already opened a new one before this task
                # saw LOST (both state changes were queued before it ran): still report "no
                # leader" first, as Mesos's detector does on expiration, so that followers
                # re-detect and re-register even when the leader is the same (a partitioned
                # agent relies on that to come back; PartitionTest.*).
                self._report(None, None)
            session = self.zk.session_id
            try:
                children, watch = await self.zk.children_with_watch(self.path)
                child = leader_child(children or [])
                info = None
                if child is not None:
                    try:
                        data, _ = await self.zk.get(self.path + "/" + child)
                    except NoNodeError:
                        continue  # it left in between: list again
                    try:
                        info = parse_master_info(data)
                    except ValueError:
                        info = None  # unreadable leader: no leader known (pymesos agrees)
            except CONNECTION_ERRORS:
                await changed.wait()
                continue
            self._report(child, info)
            if not started:
                started = True
                task_status.started()
            await wait_any(watch.fired, changed)


@contextlib.asynccontextmanager
async def detect_leader(zk: ZkClient, path: str) -> AsyncIterator[ZkDetector]:
    """`async with detect_leader(zk, "/mesos") as d: info = await d.detect()`."""
    detector = ZkDetector(zk, path)
    async with trio.open_nursery() as nursery:
        await nursery.start(detector.run)
        try:
            yield detector
        finally:
            nursery.cancel_scope.cancel()
