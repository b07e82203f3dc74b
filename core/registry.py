"""The master's registry: the durable record of which agents exist (Mesos's `Registry`).

A `RegistryState` is a versioned, immutable value. Every backend (the shell's `memory`,
`local` and `zk` registries, the simulator's ZooKeeper model) keeps one and changes it only
through `apply(state, op, expected_version)`, a pure compare-and-set:

- `expected_version` must equal `state.version`, else the write is *fenced* and `apply`
  returns None (a deposed leader that still believes it leads cannot commit: OneLeaderWrites).
- On success the result has `version == state.version + 1`, even when the operation changes
  nothing (a re-admitted agent, an already-unreachable agent): the leader counts its writes,
  so versions advance one per write it issues.

Operations (the tuples a `RegistryWrite.op` carries; see core/effects.py):

| op | meaning (Mesos registry operation) |
| --- | --- |
| `("admit", agent_info)` | AdmitSlave: a newly registered agent (agent_info.id set) |
| `("unreachable", agent_id, time)` | MarkSlaveUnreachable: leaves `admitted`, enters `unreachable` |
| `("reachable", agent_info)` | MarkSlaveReachable: leaves `unreachable`, (re-)enters `admitted` |
| `("gone", agent_id, time)` | MarkSlaveGone: leaves `admitted`/`unreachable`, enters `gone` |
| `("remove", agent_id)` | RemoveSlave: the agent unregistered (shut down cleanly) |
| `("prune", agent_ids)` | PruneUnreachable: forget these ids from `unreachable` and `gone` (GC) |
| `("set", key, value)` | the operator's settings (Mesos keeps them in the registry too): `key` a tuple of strings, `("weight", role)`, `("quota", role)`, `("drain", agent_id)`, `("deactivated", agent_id)`, `("resources", agent_id)`; `value` plain data (str, float, bool, None, tuples of them); `None` deletes the key |
| `("batch", (op, ...))` | the registrar's batch: the ops above, applied in order, as ONE write |

A batch is how the master's registrar commits every operation queued while its previous
write was in flight (Mesos's `Registrar` applies all pending operations in one store): it is
one compare-and-set (the version advances by one for the whole batch), and it commits or
fails as a whole. A batch never nests and is never empty.

A gone agent is gone for good: `admit`, `reachable` and `unreachable` of a gone id change no
list (only `prune` forgets it). Note `reachable` carries the whole AgentInfo (not only the id, as the RegistryWrite docstring
abbreviates it): the registry must know the re-admitted agent's info for the next failover.

A malformed op is a caller bug (the master builds these ops itself): `ValueError`.
Entries are kept sorted by agent id so that equal registries are equal values.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.values import AgentInfo

OP_KINDS = ("admit", "unreachable", "reachable", "gone", "remove", "prune", "set", "batch")


def _plain(v: Any) -> bool:
    if v is None or isinstance(v, (str, float, int, bool)):
        return True
    return isinstance(v, tuple) and all(_plain(x) for x in v)


@attrs.frozen(kw_only=True, slots=True)
class RegistryState:
    """Invariant: an agent id appears in at most one of admitted / unreachable / gone."""

    version: int = 0
    admitted: tuple[AgentInfo, ...] = ()
    unreachable: tuple[tuple[str, float], ...] = ()  # (agent_id, unreachable since)
    gone: tuple[tuple[str, float], ...] = ()  # (agent_id, marked gone at)
    settings: tuple[tuple[tuple[str, ...], Any], ...] = ()  # (key, value), sorted by key

    def setting(self, key: tuple[str, ...]) -> Any:
        for k, v in self.settings:
            if k == key:
                return v
        return None

    def settings_of(self, kind: str) -> dict[str, Any]:
        """{name: value} of the settings `(kind, name)`."""
        return {k[1]: v for k, v in self.settings if len(k) == 2 and k[0] == kind}

    def admitted_ids(self) -> frozenset[str]:
        return frozenset(a.id for a in self.admitted if a.id is not None)

    def unreachable_ids(self) -> frozenset[str]:
        return frozenset(a for a, _ in self.unreachable)

    def gone_ids(self) -> frozenset[str]:
        return frozenset(a for a, _ in self.gone)

    def describe(self) -> str:
        lines = [f"registry version {self.version}"]
        lines += [f"  admitted {a.id} {a.hostname}" for a in self.admitted]
        lines += [f"  unreachable {a} since {t:g}" for a, t in self.unreachable]
        lines += [f"  gone {a} at {t:g}" for a, t in self.gone]
        lines += [f"  set {'/'.join(k)} = {v!r}" for k, v in self.settings]
        return "\n".join(lines)


def _agent_info(op: tuple[Any, ...]) -> AgentInfo:
    if len(op) != 2 or not isinstance(op[1], AgentInfo) or not op[1].id:
        raise ValueError(f"registry op {op!r}: expected ({op[0]!r}, AgentInfo with id)")
    return op[1]


def _id_time(op: tuple[Any, ...]) -> tuple[str, float]:
    if len(op) != 3 or not isinstance(op[1], str) or not op[1] or not isinstance(
        op[2], (int, float)
    ):
        raise ValueError(f"registry op {op!r}: expected ({op[0]!r}, agent_id, time)")
    return op[1], float(op[2])


def _sorted_infos(infos: list[AgentInfo]) -> tuple[AgentInfo, ...]:
    return tuple(sorted(infos, key=lambda a: a.id or ""))


def _sorted_pairs(pairs: list[tuple[str, float]]) -> tuple[tuple[str, float], ...]:
    return tuple(sorted(pairs))


def validate_op(op: tuple[Any, ...]) -> None:
    """Raise ValueError unless `op` is one of the documented operation tuples."""
    if not isinstance(op, tuple) or not op or op[0] not in OP_KINDS:
        raise ValueError(f"unknown registry op {op!r}")
    kind = op[0]
    if kind == "batch":
        if len(op) != 2 or not isinstance(op[1], tuple) or not op[1]:
            raise ValueError(f"registry op {op[:1]!r}...: expected ('batch', (op, ...))")
        for member in op[1]:
            if isinstance(member, tuple) and member and member[0] == "batch":
                raise ValueError("registry op: a batch does not nest")
            validate_op(member)
    elif kind in ("admit", "reachable"):
        _agent_info(op)
    elif kind in ("unreachable", "gone"):
        _id_time(op)
    elif kind == "remove":
        if len(op) != 2 or not isinstance(op[1], str) or not op[1]:
            raise ValueError(f"registry op {op!r}: expected ('remove', agent_id)")
    elif kind == "set":
        if (len(op) != 3 or not isinstance(op[1], tuple) or not op[1]
                or not all(isinstance(x, str) for x in op[1]) or not _plain(op[2])):
            raise ValueError(f"registry op {op!r}: expected ('set', (str, ...), plain value)")
    elif kind == "prune" and (len(op) != 2 or not isinstance(op[1], tuple) or not all(
        isinstance(x, str) for x in op[1]
    )):
        raise ValueError(f"registry op {op!r}: expected ('prune', (agent_id, ...))")


def ops_of(op: tuple[Any, ...]) -> tuple[tuple[Any, ...], ...]:
    """The plain operations a write carries (a batch's members, or the op itself)."""
    return op[1] if op and op[0] == "batch" else (op,)


class RegistryBook:
    """A mutable working copy of a `RegistryState` (dicts by agent id) for a backend that
    applies many writes: a write costs O(its ops), not O(registry), and `state()` gives the
    value back (sorted, cached until the next write). `apply` below is this same code on a
    fresh book, so both agree by construction."""

    def __init__(self, state: RegistryState | None = None) -> None:
        state = state or RegistryState()
        self.version = state.version
        self.admitted: dict[str, AgentInfo] = {a.id or "": a for a in state.admitted}
        self.unreachable: dict[str, float] = dict(state.unreachable)
        self.gone: dict[str, float] = dict(state.gone)
        self.settings: dict[tuple[str, ...], Any] = dict(state.settings)
        self._state: RegistryState | None = state

    def write(self, op: tuple[Any, ...], expected_version: int, *, changes: bool | None = None) -> bool:
        """Compare-and-set: False (and no change) when `expected_version` is stale.
        `changes`: `self.changes(op)` when the caller has just asked it."""
        validate_op(op)
        if expected_version != self.version:
            return False
        if changes is None:  # only matters to keep a cached value
            changes = self._state is None or self.changes(op)
        for member in ops_of(op):
            if member[0] == "set":
                if member[2] is None:
                    self.settings.pop(member[1], None)
                else:
                    self.settings[member[1]] = member[2]
                continue
            _apply_one(self.admitted, self.unreachable, self.gone, member)
        self.version += 1
        if changes or self._state is None:
            self._state = None
        else:  # same lists: keep the sorted value, only the version moves on
            self._state = attrs.evolve(self._state, version=self.version)
        return True

    def changes(self, op: tuple[Any, ...]) -> bool:
        """Would writing this (valid) operation change any list? (A known agent
        re-registering after a failover does not: `reachable` of an admitted, equal
        AgentInfo.) Members of a batch are judged one by one against the current lists,
        so a batch that changes and then restores an entry counts as a change."""
        return any(self._changes_one(m) for m in ops_of(op))

    def _changes_one(self, op: tuple[Any, ...]) -> bool:
        kind = op[0]
        if kind in ("admit", "reachable"):
            aid = op[1].id
            return aid not in self.gone and (self.admitted.get(aid) != op[1] or aid in self.unreachable)
        if kind == "unreachable":
            aid, t = _id_time(op)
            return aid not in self.gone and (self.unreachable.get(aid) != t or aid in self.admitted)
        if kind == "gone":
            aid, t = _id_time(op)
            return self.gone.get(aid) != t or aid in self.admitted or aid in self.unreachable
        if kind == "remove":
            return op[1] in self.admitted
        if kind == "prune":
            return any(a in self.unreachable or a in self.gone for a in op[1])
        if kind == "set":
            return self.settings.get(op[1]) != op[2]
        return True

    def state(self) -> RegistryState:
        if self._state is None:
            self._state = RegistryState(
                version=self.version,
                admitted=_sorted_infos(list(self.admitted.values())),
                unreachable=_sorted_pairs(list(self.unreachable.items())),
                gone=_sorted_pairs(list(self.gone.items())),
                settings=tuple(sorted(self.settings.items())),
            )
        return self._state


def _apply_one(admitted: dict[str, AgentInfo], unreachable: dict[str, float],
               gone: dict[str, float], op: tuple[Any, ...]) -> None:
    kind = op[0]
    if kind in ("admit", "reachable"):
        info = op[1]
        if info.id not in gone:  # gone is final
            admitted[info.id] = info
            unreachable.pop(info.id, None)
    elif kind == "unreachable":
        agent_id, t = _id_time(op)
        if agent_id in gone:
            return
        admitted.pop(agent_id, None)
        unreachable[agent_id] = t
    elif kind == "gone":
        agent_id, t = _id_time(op)
        admitted.pop(agent_id, None)
        unreachable.pop(agent_id, None)
        gone[agent_id] = t
    elif kind == "remove":
        admitted.pop(op[1], None)
    elif kind == "prune":
        for agent_id in op[1]:
            unreachable.pop(agent_id, None)
            gone.pop(agent_id, None)


def apply(state: RegistryState, op: tuple[Any, ...], expected_version: int) -> RegistryState | None:
    """Compare-and-set: the new state, or None when `expected_version` is stale (fenced).

    A batch applies its members in order in one pass over the registry (not one per
    member): 10,000 re-admissions after a failover are one write of O(n log n)."""
    validate_op(op)
    if expected_version != state.version:
        return None
    book = RegistryBook(state)
    book.write(op, expected_version)
    return book.state()
