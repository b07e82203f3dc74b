"""The simulator's fast paths (s11, docs/performance.md "Simulator speed headroom") build the
same values as the plain constructions they replace.

- core/values.py `evolve`: a copy slot by slot of a frozen slotted value, validators run;
  equals `attrs.evolve`, refuses what it refuses.
- core/resources.py: `unallocate()` is computed once per value and kept (`_un`).
- core/sim/checker.py `_snap`: a ClusterSnapshot without attrs' __init__; equals the
  constructor's value.
- core/sim/checker.py `_offer_parts`: the parts of an offer `_offers_disjoint` reads, memoised
  by identity; at every call of a seeded run the verdict equals a fresh computation.
"""

from __future__ import annotations

from typing import Any

import attrs
import pytest
from mesotron.core.invariants import AgentLedger, ClusterSnapshot
from mesotron.core.messages import StatusUpdate
from mesotron.core.resources import Resources
from mesotron.core.sim import checker as checker_mod
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from mesotron.core.values import MasterInfo, TaskState, TaskStatus, evolve


def test_evolve_equals_attrs_evolve() -> None:
    s = TaskStatus(task_id="t1", state=TaskState.TASK_RUNNING, uuid=b"u" * 16, message="m")
    for changes in ({}, {"agent_id": "a1"}, {"uuid": None, "data": b"x"},
                    {"state": TaskState.TASK_FINISHED, "healthy": True}):
        got = evolve(s, **changes)
        want = attrs.evolve(s, **changes)
        assert got == want and hash(got) == hash(want) and type(got) is TaskStatus
        assert attrs.asdict(got) == attrs.asdict(want)
    assert s == TaskStatus(task_id="t1", state=TaskState.TASK_RUNNING, uuid=b"u" * 16,
                           message="m")  # the original is untouched
    u = StatusUpdate(framework_id="f", status=s, uuid=b"u" * 16)
    assert evolve(u, latest_state=TaskState.TASK_KILLED) == attrs.evolve(
        u, latest_state=TaskState.TASK_KILLED)
    # validators run as in __init__; unknown names are refused
    with pytest.raises(ValueError, match="task_id"):
        attrs.evolve(s, task_id="")
    with pytest.raises(ValueError, match="task_id"):
        evolve(s, task_id="")
    with pytest.raises(TypeError, match="nope"):
        evolve(s, nope=1)
    # any other class goes through attrs.evolve
    m = MasterInfo(id="m1", hostname="h", ip="10.0.0.1", port=5050)
    assert evolve(m, port=5051) == attrs.evolve(m, port=5051)


def test_unallocate_is_computed_once_and_equals_a_fresh_one() -> None:
    plain = Resources.parse("cpus:2;mem:512;ports:[31000-31010]")
    given = plain.allocate("web")
    assert plain.unallocate() is plain and plain.unallocate() is plain
    u = given.unallocate()
    assert u == plain and given.unallocate() is u and u.unallocate() is u
    # a value rebuilt from its items (pickle, deepcopy of machines) starts without a cache
    import pickle

    again = pickle.loads(pickle.dumps(given))
    assert again == given and again.unallocate() == plain


def test_snap_equals_the_constructor() -> None:
    key = ("f", "t")
    cases: list[dict[str, Any]] = [
        {},
        {"seen": {key: ((b"u", TaskState.TASK_RUNNING),)}, "produced": {key: ()}},
        {"agents": (AgentLedger(agent_id="a", total=Resources.parse("cpus:1")),)},
        {"acked": frozenset({("f", "t", b"u")}), "pending": {key: (b"u",)}},
        {"share_books": (("role web", 0.5, 0.5),), "allocations": ()},
    ]
    for kw in cases:
        got = checker_mod._snap(**kw)
        want = ClusterSnapshot(**kw)
        assert got == want and type(got) is ClusterSnapshot
        assert attrs.evolve(got, registry_commits=(("m", True),)) == attrs.evolve(
            want, registry_commits=(("m", True),))
    with pytest.raises(TypeError, match="nope"):
        checker_mod._snap(nope=1)
    # the shared defaults are read-only (a property cannot leak state into the next one)
    with pytest.raises(TypeError):
        checker_mod._snap().produced[key] = ()  # type: ignore[index]


def _plain_disjoint(ledger: AgentLedger) -> bool:
    """`_offers_disjoint` as it was before the memo (s10)."""
    import itertools

    ids: set[str] = set()
    spans: dict[str, list[tuple[int, int]]] = {}
    items: dict[str, set] = {}
    scalars = None
    for oid, _fw, r in ledger.offered:
        if oid in ids:
            return False
        ids.add(oid)
        for name in r.names():
            rs = r.ranges(name)
            if rs:
                spans.setdefault(name, []).extend(rs)
            xs = r.set_items(name)
            if xs:
                seen = items.setdefault(name, set())
                if seen & xs:
                    return False
                seen |= xs
        u = r.unallocate()
        scalars = u if scalars is None else scalars + u
    for ranges in spans.values():
        ranges.sort()
        for (_lo1, hi1), (lo2, _hi2) in itertools.pairwise(ranges):
            if lo2 <= hi1:
                return False
    return scalars is None or ledger.total.unallocate().contains(scalars)


def test_offer_parts_memo_gives_the_plain_verdict(monkeypatch: Any) -> None:
    real = checker_mod._offers_disjoint
    calls = [0]

    def compared(ledger: AgentLedger) -> bool:
        got = real(ledger)
        assert got == _plain_disjoint(ledger), ledger
        calls[0] += 1
        return got

    monkeypatch.setattr(checker_mod, "_offers_disjoint", compared)
    r = simulate(SimConfig(seed=7, events=4000, agents=6, frameworks=5, faults="all"))
    assert r.failure_name is None, r.failure
    assert calls[0] > 20, calls


def test_a_memo_by_id_alone_is_caught(monkeypatch: Any) -> None:
    """The comparison above can fail: a parts memo that trusts an id without checking the
    value is still the same object describes a new offer with an old offer's ports."""
    stale: dict[int, Any] = {}
    real_parts = checker_mod._offer_parts

    def by_len(r: Resources) -> Any:
        return stale.setdefault(len(r), real_parts(r))

    monkeypatch.setattr(checker_mod, "_offer_parts", by_len)
    with pytest.raises(AssertionError, match="AgentLedger"):  # the verdicts differ
        test_offer_parts_memo_gives_the_plain_verdict(monkeypatch)


def test_next_uuid_is_the_version_4_uuid_of_the_digest() -> None:
    """core/ids.py sets the version and variant bits itself (no uuid.UUID per update): the
    same bytes as `uuid.UUID(bytes=digest, version=4).bytes`."""
    import hashlib
    import uuid

    from mesotron.core.ids import IdSource

    ids = IdSource("7/master1-1")
    for n in range(1, 3001):
        digest = hashlib.sha256(f"7/master1-1/{n}".encode()).digest()[:16]
        assert ids.next_uuid() == uuid.UUID(bytes=digest, version=4).bytes
