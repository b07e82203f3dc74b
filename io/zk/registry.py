"""The master's registry in ZooKeeper (`--registry zk`): one znode, versioned compare-and-set.

The pure rules live in core/registry.py (`RegistryState`, `apply(state, op, expected_version)`).
This backend keeps the leader's copy of the state and the znode's version, and commits each
write as one ZooKeeper multi-op:

    check(fence, version 0)              -- our election node still exists (optional)
    set_data(registry, new, version=v)   -- nobody wrote since we last read/wrote (CAS)

so a deposed leader -- its session expired while its process lives on, and kazoo quietly
opened a new session for it -- cannot commit: its election node is gone with the old
session, and any newer leader has bumped the znode version. `recover()` itself writes once
(a fencing write: same content, version + 1), so even a leader that never learns of its
deposition and runs without a fence node is fenced as soon as a successor recovers.

A fenced write returns None (and every later write too: the master must stop leading, exit
or rejoin as a contender -- `Abdicate` in core/master/base.py); the shell turns it into
`RegistryResult(ok=False)`. A write whose reply was lost with the connection is resolved by
reading the znode back after reconnecting: ours (committed), untouched (retry), or someone
else's (fenced). Caller bugs (malformed ops) raise ValueError, as in core/registry.py.

Data format: `MAGIC` + zlib(JSON), JSON = {"format", "version", "admitted": [AgentInfo as
Mesos v1 JSON], "unreachable": [{"agent_id", "time"}], "gone": [...]}. Compression keeps
10,000 agents well under ZooKeeper's default 1 MB znode limit (jute.maxbuffer).

Path: by default beside (never inside) the election group, `default_registry_path("/mesos")
== "/mesos-registry"`: the group must hold only `json.info_*` members (pymesos).
"""

from __future__ import annotations

import json
import zlib
from typing import Any

import attrs
from mesotron.core.registry import RegistryBook, RegistryState, apply, validate_op
from mesotron.core.values import AgentInfo
from mesotron.io.zk.bridge import CONNECTION_ERRORS, NodeExistsError, NoNodeError, ZkClient
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_values import agent_from_pb, agent_to_pb
from mesotron.spec.wire import WireError, from_dict, to_dict

FORMAT = "mesotron.registry/1"
MAGIC = b"MTRZ1\n"
MAX_ZNODE_BYTES = 1024 * 1024 - 1024  # ZooKeeper's default jute.maxbuffer, with headroom


class RegistryError(RuntimeError):
    """The registry znode holds something we cannot read, or the state is too large."""


class RegistryFenced(RuntimeError):
    """Recovery could not commit its fencing write: another master leads now."""


def default_registry_path(election_path: str) -> str:
    return election_path.rstrip("/") + "-registry"


# ------------------------------------------------------------------ serialization


AgentJsonCache = dict[int, tuple[AgentInfo, dict[str, Any]]]


def registry_to_json(state: RegistryState, cache: AgentJsonCache | None = None) -> dict[str, Any]:
    """The registry document. `cache` (id(AgentInfo) -> (the AgentInfo, its JSON)) spares
    re-encoding the agents a previous write already encoded: the registry's AgentInfo
    values are immutable and carried over from write to write (protobuf's JSON mapping is
    ~0.1 ms per agent: 1.2 s for 10,000 agents, now paid once)."""
    if cache is None:
        admitted = [to_dict(agent_to_pb(a)) for a in state.admitted]
    else:
        admitted = []
        for a in state.admitted:
            hit = cache.get(id(a))
            if hit is None or hit[0] is not a:
                hit = cache[id(a)] = (a, to_dict(agent_to_pb(a)))
            admitted.append(hit[1])
        if len(cache) > 2 * len(state.admitted) + 64:  # forget agents no longer admitted
            keep = {id(a) for a in state.admitted}
            for k in [k for k in cache if k not in keep]:
                del cache[k]
    return {
        "format": FORMAT,
        "version": state.version,
        "admitted": admitted,
        "unreachable": [{"agent_id": a, "time": t} for a, t in state.unreachable],
        "gone": [{"agent_id": a, "time": t} for a, t in state.gone],
        "settings": [[list(k), v] for k, v in state.settings],
    }


def _tuples(v: Any) -> Any:
    """JSON lists back to the tuples a registry setting holds."""
    return tuple(_tuples(x) for x in v) if isinstance(v, list) else v


def registry_from_json(d: Any) -> RegistryState:
    try:
        if not isinstance(d, dict) or d.get("format") != FORMAT:
            raise ValueError(f"not a {FORMAT} document")
        version = d["version"]
        if not isinstance(version, int) or version < 0:
            raise ValueError(f"bad version {version!r}")

        def pairs(key: str) -> tuple[tuple[str, float], ...]:
            return tuple((str(e["agent_id"]), float(e["time"])) for e in d[key])

        return RegistryState(
            version=version,
            admitted=tuple(agent_from_pb(from_dict(a, pb.AgentInfo)) for a in d["admitted"]),
            unreachable=pairs("unreachable"),
            gone=pairs("gone"),
            settings=tuple((tuple(str(x) for x in k), _tuples(v)) for k, v in d.get("settings", [])),
        )
    except (KeyError, TypeError, ValueError, WireError) as e:
        raise RegistryError(f"unreadable registry: {e}") from None


def encode_registry(state: RegistryState, cache: AgentJsonCache | None = None) -> bytes:
    text = json.dumps(registry_to_json(state, cache), separators=(",", ":"), sort_keys=True)
    data = MAGIC + zlib.compress(text.encode(), 6)
    if len(data) > MAX_ZNODE_BYTES:
        raise RegistryError(
            f"registry of {len(state.admitted)} agents is {len(data)} bytes compressed, over "
            f"ZooKeeper's znode limit ({MAX_ZNODE_BYTES}); raise jute.maxbuffer"
        )
    return data


def decode_registry(data: bytes) -> RegistryState:
    try:
        text = zlib.decompress(data[len(MAGIC) :]) if data.startswith(MAGIC) else data
        return registry_from_json(json.loads(text))
    except (zlib.error, ValueError, UnicodeDecodeError) as e:
        if isinstance(e, RegistryError):
            raise
        raise RegistryError(f"unreadable registry: {e}") from None


# ------------------------------------------------------------------ the backend


class ZkRegistry:
    """The leader's handle on the registry znode (see the module docstring).

    Invariant: after a successful `recover`/`write`, `book` is what the znode holds (up to
    the version number, which writes that changed nothing advance in memory only) and
    `znode_version` is its version; `fenced` is sticky."""

    kind = "zk"  # as io/store/registry.py's backends name themselves

    def __init__(self, zk: ZkClient, path: str, *, fence: str | None = None) -> None:
        self.zk = zk
        self.path = path
        self.fence = fence  # our election member node (ZkContender.node), if any
        self.book: RegistryBook | None = None  # what the znode holds (version: see write)
        self.znode_version: int | None = None
        self.fenced = False
        self.writes = 0
        self.skipped = 0  # writes that changed nothing, not stored (see `write`)
        self._json_cache: AgentJsonCache = {}

    async def read(self) -> tuple[RegistryState, int]:
        """(state, znode version), creating an empty registry if there is none."""
        try:
            data, stat = await self.zk.get(self.path)
        except NoNodeError:
            try:
                await self.zk.create(self.path, encode_registry(RegistryState()), makepath=True)
            except NodeExistsError:
                pass
            data, stat = await self.zk.get(self.path)
        return decode_registry(data), stat.version

    async def recover(self) -> RegistryState:
        """Read the registry and commit a fencing write (version + 1). Returns the state to
        hand to the master core (`LeadershipGained(registry=...)`). RegistryFenced if another
        master already moved on (we are not the leader any more)."""
        state, version = await self.read()
        self.znode_version = version
        bumped = attrs.evolve(state, version=state.version + 1)
        if not await self._commit(bumped):
            raise RegistryFenced(f"registry {self.path} changed under us during recovery")
        return bumped

    async def write(self, op: tuple[Any, ...]) -> RegistryState | None:
        """Apply `op` (core/registry.py) and commit it; the new state, or None if fenced."""
        if self.book is None:
            raise RuntimeError("ZkRegistry.write before recover()")
        if self.fenced:
            return None
        validate_op(op)  # ValueError for a malformed op
        if not self.book.changes(op):
            # Nothing changes (a known agent re-registering after a failover: MarkSlaveReachable
            # of an admitted agent; a redundant unreachable/remove/prune): nothing to store,
            # but the write is still fenced -- one multi-op of checks only (our election node
            # exists, the registry znode is at our version), no encoding, no data. The
            # version advances in memory only (O(1): the book keeps its lists); the next real
            # write stores it.
            if not await self._check():
                return None
            self.book.write(op, self.book.version, changes=False)
            self.skipped += 1
            return self.book.state()
        new = apply(self.book.state(), op, self.book.version)
        assert new is not None  # our own version always matches our own state
        return new if await self._commit(new) else None

    @property
    def state(self) -> RegistryState | None:
        return self.book.state() if self.book is not None else None

    async def _commit(self, new: RegistryState) -> bool:
        assert self.znode_version is not None
        data = encode_registry(new, self._json_cache)
        expected = self.znode_version
        ops: list[tuple[Any, ...]] = []
        if self.fence is not None:
            ops.append(("check", self.fence, 0))  # member nodes are never rewritten
        ops.append(("set", self.path, data, expected))
        while True:
            try:
                results = await self.zk.transaction(ops)
            except CONNECTION_ERRORS:
                outcome = await self._resolve(data, expected)
                if outcome is None:
                    continue  # not applied: try again (the fence check guards it again)
                if not outcome:
                    return self._mark_fenced()
                break
            if any(isinstance(r, Exception) for r in results):
                return self._mark_fenced()
            break
        self.book, self.znode_version = RegistryBook(new), expected + 1
        self.writes += 1
        return True

    async def _resolve(self, data: bytes, expected: int) -> bool | None:
        """After a lost reply: True (ours committed), None (nothing committed), False (some
        other writer moved the version: fenced)."""
        while True:
            await self.zk.wait_connected()
            try:
                current, stat = await self.zk.get(self.path)
            except CONNECTION_ERRORS:
                continue
            except NoNodeError:
                return False
            if stat.version == expected:
                return None
            return stat.version == expected + 1 and current == data

    async def _check(self) -> bool:
        """Still the leader, and nobody wrote since our last write? (checks only)."""
        assert self.znode_version is not None
        ops: list[tuple[Any, ...]] = []
        if self.fence is not None:
            ops.append(("check", self.fence, 0))
        ops.append(("check", self.path, self.znode_version))
        while True:
            try:
                results = await self.zk.transaction(ops)
            except CONNECTION_ERRORS:
                await self.zk.wait_connected()  # checks are idempotent: ask again
                continue
            if any(isinstance(r, Exception) for r in results):
                return self._mark_fenced()
            return True

    def _mark_fenced(self) -> bool:
        self.fenced = True
        return False
