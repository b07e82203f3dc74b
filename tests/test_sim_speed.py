"""The simulator's fast paths (s11, docs/performance.md "Simulator speed headroom") build the
same values as the plain constructions they replace.

- core/values.py `evolve`: a copy slot by slot of a frozen slotted value, validators run;
  equals `attrs.evolve`, refuses what it refuses.
- core/resources.py: `unallocate()` is computed once per value and kept (`_un`).
- core/sim/checker.py `_snap`: a ClusterSnapshot without attrs' __init__; equals the
  constructor's value.
- core/sim/checker.py `_offer_parts`: the parts of an offer `_offers_disjoint` reads, memoised
  by identity; at every call of a seeded run the verdict equals a fresh computation.
- s12 (docs/performance.md "Simulator speed headroom, continued"): core/values.py
  `fast_init` (attrs' signature and values, on every class given one); core/sim/world.py
  timer carriers (the same firings as one heap entry per setting).
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


# ---------------------------------------------------------------- s12: fast __init__s
def _sample_args(cls: type) -> list[dict[str, Any]]:
    """Keyword arguments for `cls`: the required ones only, then every one given."""
    req: dict[str, Any] = {}
    full: dict[str, Any] = {}
    for i, a in enumerate(attrs.fields(cls)):
        v = ("v", i, a.alias)  # a distinct, hashable value per field
        full[a.alias] = v
        if a.default is attrs.NOTHING:
            req[a.alias] = v
    return [req, full]


def test_fast_inits_build_what_attrs_builds() -> None:
    """Every class given a slot-storing __init__ (core/effects.py, core/messages.py,
    core/scheduler.py call `fast_inits(globals())`) has attrs' signature, builds equal values
    field by field (defaults and factories too: a fresh factory value per instance), and
    refuses missing, unknown and positional arguments as attrs' __init__ does."""
    import inspect

    import mesotron.core.books as books_mod
    import mesotron.core.effects as effects_mod
    import mesotron.core.invariants as invariants_mod
    import mesotron.core.messages as messages_mod
    import mesotron.core.scheduler as scheduler_mod
    from mesotron.core.values import _ATTRS_INITS, fast_init

    given = {c for c in _ATTRS_INITS if c.__module__ in (
        effects_mod.__name__, messages_mod.__name__, scheduler_mod.__name__,
        invariants_mod.__name__, books_mod.__name__)}
    # every attrs class of those modules that fast_init accepts was given one (s21: the
    # books the catalog reads, AgentLedger and AllocationDecision, moved to core/books.py)
    for mod in (effects_mod, messages_mod, scheduler_mod, invariants_mod, books_mod):
        for c in vars(mod).values():
            if isinstance(c, type) and attrs.has(c) and c.__module__ == mod.__name__:
                assert c in given or not fast_init(c), c
    assert {"Send", "SetTimer", "Received", "TimerFired", "SchedulerCall", "Notify",
            "AgentLedger", "AllocationDecision"} <= {c.__name__ for c in given}  # s16 speed
    assert len(given) > 60
    for cls in given:
        orig = _ATTRS_INITS[cls]
        assert inspect.signature(cls.__init__) == inspect.signature(orig), cls
        for kw in _sample_args(cls):
            got = cls(**kw)
            want = object.__new__(cls)
            orig(want, **kw)
            again = cls(**kw)
            for a in attrs.fields(cls):
                g, w = getattr(got, a.name), getattr(want, a.name)
                assert g == w and type(g) is type(w), (cls, a.name)
                if isinstance(a.default, attrs.Factory) and a.alias not in kw \
                        and isinstance(g, (list, dict, set)):  # type: ignore[arg-type]
                    assert getattr(again, a.name) is not g, (cls, a.name)  # a fresh one
            assert got == want
            try:
                assert hash(got) == hash(want)
            except TypeError:  # a mutable field value: attrs' instance is unhashable too
                with pytest.raises(TypeError):
                    hash(want)
            if attrs.fields(cls):
                with pytest.raises(attrs.exceptions.FrozenInstanceError):
                    setattr(got, attrs.fields(cls)[0].name, 1)
        req = _sample_args(cls)[0]
        for name in req:
            with pytest.raises(TypeError):
                cls(**{k: v for k, v in req.items() if k != name})
        with pytest.raises(TypeError):
            cls(**req, no_such_field=1)
        if req:
            with pytest.raises(TypeError):
                cls(*req.values())


def test_fast_init_declines_what_it_cannot_copy() -> None:
    """Validators, converters, post-init hooks, non-keyword fields: attrs' __init__ stays."""
    from mesotron.core.values import TaskStatus, fast_init

    @attrs.frozen(kw_only=True, slots=True)
    class Post:
        x: int

        def __attrs_post_init__(self) -> None:
            pass

    @attrs.frozen(slots=True)
    class Positional:
        x: int

    @attrs.frozen(kw_only=True, slots=True)
    class Converted:
        x: int = attrs.field(converter=int)

    for cls in (TaskStatus, Post, Positional, Converted):
        before = cls.__init__
        assert not fast_init(cls) and cls.__init__ is before
    assert Converted(x="3").x == 3  # type: ignore[arg-type]


# ---------------------------------------------------------------- s12: timer carriers
def test_timer_carriers_fire_as_one_entry_per_setting() -> None:
    """core/sim/world.py `World.timer`: a timer set again to fire no earlier than its heap
    entry pushes nothing (the entry carries it on). Against a plain heap with one entry per
    setting, a seeded mix of sets (earlier, later, equal), cancels and restarts fires the
    same timers at the same times in the same order."""
    import heapq
    import random

    from mesotron.core.sim.world import TIMER, Node, World

    class Probe(World):
        def __init__(self) -> None:  # the loop's books only, no cluster
            self.heap = []
            self.seq = 0
            self.timers_set = 0
            self.events = 0
            self.now = 0.0
            self.obs = None
            self.nodes = {}
            self.link_epoch = {}
            self.fired: list[tuple[float, str, Any]] = []

        def deliver(self, node: Any, inp: Any, tm: Any = None) -> None:
            self.fired.append((self.now, node.name, inp.key))

    for seed in range(40):
        rng = random.Random(seed)
        w = Probe()
        nodes = [Node(f"n{i}", "h", "agent") for i in range(3)]
        for n in nodes:
            n.alive = True
            w.nodes[n.name] = n
        # the reference: every setting its own entry, a generation per key
        ref: list[tuple] = []
        gen: dict[tuple[str, Any, int], int] = {}
        fired_ref: list[tuple[float, str, Any]] = []
        seq = 0
        t = 0.0
        for _ in range(300):
            t += rng.choice((0.0, 0.5, 1.0, 2.5))
            # fire everything due before t on both
            w.run_until(until=t)
            while ref and ref[0][0] <= t:
                at, s, name, key, inc = heapq.heappop(ref)
                n = w.nodes[name]
                if n.inc == inc and gen.get((name, key, inc)) == s:
                    del gen[(name, key, inc)]
                    fired_ref.append((at, name, key))
            w.now = t
            n = rng.choice(nodes)
            key = rng.choice(("a", "b", ("c", 1)))
            op = rng.random()
            if op < 0.7:
                at = t + rng.choice((0.0, 0.5, 1.0, 3.0, 3.0, 7.0)) - rng.choice((0.0, 1.0))
                w.timer(n, key, at)
                seq += 1
                assert w.seq == seq
                gen[(n.name, key, n.inc)] = seq
                heapq.heappush(ref, (max(at, t), seq, n.name, key, n.inc))
            elif op < 0.9:
                n.timers.pop(key, None)
                gen.pop((n.name, key, n.inc), None)
            else:  # a restart: a new incarnation, no timer set
                n.inc += 1
                n.reset_timers()
        w.run_until(until=1e9)
        for at, s, name, key, inc in sorted(ref):
            if w.nodes[name].inc == inc and gen.get((name, key, inc)) == s:
                fired_ref.append((at, name, key))
        assert w.fired == fired_ref, seed
        assert fired_ref and all(e[2] == TIMER for e in w.heap)
