"""The hierarchical DRF allocator: unit tests, a Hypothesis state machine (with the naive
reference allocator as an oracle), and a never-crash property over random input streams."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    initialize,
    invariant,
    precondition,
    rule,
    run_state_machine_as_test,
)
from mesotron.core.allocator import cycle as allocator_cycle
from mesotron.core.allocator.drf import ShareIndex, drf_order_holds
from mesotron.core.allocator.machine import (
    ActivateAgent,
    ActivateFramework,
    AddAgent,
    AddFramework,
    Allocate,
    Allocation,
    Allocator,
    AllocatorConfig,
    DeactivateAgent,
    DeactivateFramework,
    RecoverResources,
    RemoveAgent,
    RemoveFramework,
    ReviveOffers,
    SuppressOffers,
    UpdateAgent,
    UpdateFramework,
    UpdateQuota,
    UpdateWeights,
)
from mesotron.core.errors import LocalError
from mesotron.core.invariants import (
    AgentLedger,
    ClusterSnapshot,
    DrfOrder,
    NoOvercommit,
    OfferExclusive,
)
from mesotron.core.resources import Resources
from mesotron.core.values import Attribute, AttributeConstraint

R = Resources.parse
SETTINGS = settings(max_examples=150, stateful_step_count=35, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


def alloc(**kw) -> Allocator:
    return Allocator(AllocatorConfig(explain=True, **kw))


def offers(effects: list) -> list[tuple[str, str, str]]:
    return [(e.framework_id, e.agent_id, e.role) for e in effects]


# ------------------------------------------------------------------ unit tests
def test_whole_agent_goes_to_lowest_share_framework_and_counts_as_allocated() -> None:
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024")))
    a.step(0, AddAgent(agent_id="a2", hostname="h", total=R("cpus:2;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    a.step(0, AddFramework(framework_id="f2", roles=("eng",)))
    eff = a.step(0, Allocate())
    assert offers(eff) == [("f1", "a1", "eng"), ("f2", "a2", "eng")]
    assert eff[0].resources == R("cpus:2;mem:1024").allocate("eng")
    assert a.available("a1") == Resources()
    assert a.allocated("a1") == {"f1": R("cpus:2;mem:1024").allocate("eng")}
    assert a.dominant_share("f1") == pytest.approx(0.5)
    assert a.role_share("eng") == pytest.approx(1.0)
    assert a.step(1, Allocate()) == []  # nothing left


def test_agents_added_out_of_order_are_walked_in_id_order() -> None:
    """Cycles, agent_ids() and RemoveAgent see the agent order sorted by agent id
    whatever the order of adds and removes."""
    a = alloc()
    for aid in ("a3", "a1", "a4", "a2"):
        a.step(0, AddAgent(agent_id=aid, hostname="h", total=R("cpus:1;mem:128")))
    assert a.agent_ids() == ["a1", "a2", "a3", "a4"]
    a.step(0, RemoveAgent(agent_id="a2"))
    a.step(0, AddAgent(agent_id="a0", hostname="h", total=R("cpus:1;mem:128")))
    a.step(0, RemoveAgent(agent_id="a4"))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    assert offers(a.step(0, Allocate())) == [("f1", "a0", "eng"), ("f1", "a1", "eng"),
                                             ("f1", "a3", "eng")]
    assert a.agent_ids() == ["a0", "a1", "a3"]


def test_update_agent_changes_the_total_and_keeps_what_is_held() -> None:
    # SlaveRecoveryTest.AgentReconfigurationWithRunningTask, allocator side (Mesos updateSlave)
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024"),
                       used=(("f1", R("cpus:1;mem:512").allocate("*")),)))
    a.step(0, AddFramework(framework_id="f1", roles=("*",)))
    a.step(0, UpdateAgent(agent_id="a1", total=R("cpus:4;mem:2048")))
    assert a.total("a1") == R("cpus:4;mem:2048")
    assert a.available("a1") == R("cpus:3;mem:1536")
    assert a.dominant_share("f1") == pytest.approx(0.25)
    eff = a.step(1, Allocate())
    assert [(e.framework_id, e.resources) for e in eff] == [("f1", R("cpus:3;mem:1536").allocate("*"))]
    before = a.describe()
    with pytest.raises(LocalError, match="does not contain"):  # less than is held: refused
        a.step(2, UpdateAgent(agent_id="a1", total=R("cpus:2;mem:1024")))
    with pytest.raises(LocalError, match="unknown agent"):
        a.step(2, UpdateAgent(agent_id="nope", total=R("cpus:2")))
    assert a.describe() == before


def test_filter_only_refuses_offers_contained_in_the_filtered_resources() -> None:
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:4;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    held = a.step(0, Allocate())[0].resources
    task = R("cpus:2").allocate("eng")
    a.step(0, RecoverResources(framework_id="f1", agent_id="a1", resources=held - task,
                               refuse_seconds=100))
    assert a.step(1, Allocate()) == []  # cpus:2;mem:1024 is inside the filter
    # the task finishes: cpus:4;mem:1024 available, more than the filter holds -> offered
    a.step(2, RecoverResources(framework_id="f1", agent_id="a1", resources=task))
    assert offers(a.step(2, Allocate())) == [("f1", "a1", "eng")]


def test_fully_filtered_agent_memo_is_invalidated_by_expiry_revive_and_new_framework() -> None:
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    held = a.step(0, Allocate())[0].resources
    a.step(0, RecoverResources(framework_id="f1", agent_id="a1", resources=held,
                               refuse_seconds=10))
    assert a.step(1, Allocate()) == [] and a.step(2, Allocate()) == []
    assert offers(a.step(10, Allocate())) == [("f1", "a1", "eng")]  # expired
    a.step(10, RecoverResources(framework_id="f1", agent_id="a1", resources=held,
                                refuse_seconds=10))
    assert a.step(11, Allocate()) == []
    a.step(11, AddFramework(framework_id="f2", roles=("eng",)))
    assert offers(a.step(11, Allocate())) == [("f2", "a1", "eng")]  # new framework
    a.step(11, RecoverResources(framework_id="f2", agent_id="a1", resources=held,
                                refuse_seconds=10))
    assert a.step(12, Allocate()) == []
    a.step(12, ReviveOffers(framework_id="f2"))
    assert offers(a.step(12, Allocate())) == [("f2", "a1", "eng")]


def test_recover_of_unknown_or_unheld_resources_is_ignored() -> None:
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    a.step(0, Allocate())
    before = a.describe()
    for inp in [
        RecoverResources(framework_id="nope", agent_id="a1", resources=R("cpus:1")),
        RecoverResources(framework_id="f1", agent_id="nope", resources=R("cpus:1"),
                         refuse_seconds=5),
        RecoverResources(framework_id="f1", agent_id="a1", resources=R("cpus:9")),
        RecoverResources(framework_id="f1", agent_id="a1", resources=R("gpus:1")),
    ]:
        assert a.step(1, inp) == []
    assert a.describe() == before


def test_caller_misuse_raises_and_changes_nothing() -> None:
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    before = a.describe()
    with pytest.raises(LocalError):
        a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    with pytest.raises(LocalError):
        a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:1")))
    with pytest.raises(LocalError):
        a.step(0, AddAgent(agent_id="a2", hostname="h", total=R("cpus:1"),
                           used=(("f1", R("cpus:2")),)))
    with pytest.raises(LocalError):
        a.step(0, UpdateWeights(weights=(("eng", 2.0), ("ops", 0.0))))
    with pytest.raises(LocalError):
        a.step(0, "Allocate")
    assert a.describe() == before


def test_both_reregistration_orders_end_with_the_same_books() -> None:
    used = R("cpus:1;mem:512").allocate("eng")
    fw = AddFramework(framework_id="f1", roles=("eng",), used=(("a1", used),))
    ag = AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024"),
                  used=(("f1", used),))
    x, y = alloc(), alloc()
    x.step(0, fw)
    x.step(0, ag)
    y.step(0, ag)
    y.step(0, fw)
    assert x.describe() == y.describe()
    assert x.dominant_share("f1") == y.dominant_share("f1") == pytest.approx(0.5)


def test_agent_used_by_many_frameworks_sharing_one_value_is_claimed_in_full() -> None:
    """AddAgent sums `used` by doubling per distinct value (core/allocator/machine.py
    `core.resources.sum_shared`): 7 frameworks x one shared value + one other value."""
    one = R("cpus:1;mem:100").allocate("*")
    used = tuple((f"f{i}", one) for i in range(7)) + (("g", R("cpus:0.5").allocate("*")),)
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:8;mem:1000"), used=used))
    assert a.available("a1") == R("cpus:0.5;mem:300")
    with pytest.raises(LocalError):  # 8 x one > the total: refused, as before
        a.step(0, AddAgent(agent_id="a2", hostname="h", total=R("cpus:7.9;mem:1000"),
                           used=(*used[:7], ("f7", one))))


def test_reported_resources_without_allocation_role_take_the_framework_role() -> None:
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024"),
                       used=(("f1", R("cpus:1;mem:512")),)))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    held = R("cpus:1;mem:512").allocate("eng")
    assert a.allocated("a1") == {"f1": held}
    assert a.framework_role_share("f1", "eng") == pytest.approx(0.5)
    a.step(0, RecoverResources(framework_id="f1", agent_id="a1", resources=held))
    assert a.allocated("a1") == {} and a.available("a1") == R("cpus:2;mem:1024")


def test_star_role_framework_is_offered_and_recovers() -> None:
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("*",)))
    (e,) = a.step(0, Allocate())
    assert (e.role, e.resources.unallocate()) == ("*", R("cpus:2;mem:1024"))
    assert a.role_share("*") == pytest.approx(1.0)
    a.step(0, RecoverResources(framework_id="f1", agent_id="a1", resources=e.resources,
                               refuse_seconds=5))
    assert a.role_share("*") == 0.0 and a.step(1, Allocate()) == []
    assert [f[:3] for f in a.filters(1)] == [("f1", "*", "a1")]


def test_deepcopy_is_independent_and_describe_is_stable() -> None:
    a = alloc()
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:2;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    b = copy.deepcopy(a)
    a.step(0, Allocate())
    assert b.describe() != a.describe()
    assert offers(b.step(0, Allocate())) == [("f1", "a1", "eng")]
    assert b.describe() == a.describe()


def test_share_index_orders_by_share_then_key() -> None:
    idx = ShareIndex()
    idx.set("b", 0.5)
    idx.set("a", 0.5)
    idx.set("c", 0.1)
    assert idx.keys() == ["c", "a", "b"]
    idx.set("c", 0.9)
    idx.discard("a")
    assert idx.keys() == ["b", "c"] and len(idx) == 2


def _drf_setup() -> Allocator:
    a = alloc()
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    a.step(0, AddFramework(framework_id="f2", roles=("eng",)))
    a.step(0, AddAgent(agent_id="a1", hostname="h", total=R("cpus:4;mem:4096"),
                       used=(("f1", R("cpus:3").allocate("eng")),)))
    a.step(0, AddAgent(agent_id="a2", hostname="h", total=R("cpus:4;mem:4096")))
    return a


def test_drf_order_holds_and_a_planted_highest_share_bug_is_caught(monkeypatch) -> None:
    a = _drf_setup()
    eff = a.step(0, Allocate())
    assert offers(eff)[0] == ("f2", "a1", "eng")  # f2 has the lower share
    assert all(drf_order_holds(d) for d in a.last_cycle_decisions)
    assert DrfOrder(ClusterSnapshot(allocations=tuple(a.last_cycle_decisions))) == []

    def highest_share_first(al, now, agent, role, offerable, blocked):  # the planted bug
        elig = allocator_cycle._eligible_frameworks(al, now, agent, role, offerable)
        return max(elig, key=lambda t: (t[1], t[0]))[0] if elig else None

    monkeypatch.setattr(allocator_cycle, "_first_eligible", highest_share_first)
    b = _drf_setup()
    b.step(0, Allocate())
    assert not all(drf_order_holds(d) for d in b.last_cycle_decisions)
    assert DrfOrder(ClusterSnapshot(allocations=tuple(b.last_cycle_decisions)))


def test_state_machine_catches_the_planted_bug(monkeypatch) -> None:
    def highest_share_first(al, now, agent, role, offerable, blocked):
        # the highest share first; among equal shares the same choice as the real one (the
        # first), so every difference from the reference is a DrfOrder violation
        elig = allocator_cycle._eligible_frameworks(al, now, agent, role, offerable)
        return max(elig, key=lambda t: t[1])[0] if elig else None

    monkeypatch.setattr(allocator_cycle, "_first_eligible", highest_share_first)
    with pytest.raises(AssertionError, match=r"DrfOrder: agent \S+ role \S+ went to"):
        run_state_machine_as_test(
            AllocatorMachine,
            settings=settings(max_examples=200, stateful_step_count=35, deadline=None,
                              database=None, derandomize=True, phases=[Phase.generate],
                              suppress_health_check=list(HealthCheck)),
        )


# ------------------------------------------------------------------ strategies
AGENTS = ["a0", "a1", "a2", "a3"]
FRAMEWORKS = ["f0", "f1", "f2", "f3"]
ROLES = ["r0", "r1", "*"]
SHAPES = [
    "cpus:2;mem:1024",
    "cpus:1;mem:256;disk:100;ports:[31000-31005]",
    "cpus(r0):1;mem(r0):512;cpus:1;mem:128",
    "cpus:0.005;mem:16",
]
ATTRS = [(), Attribute.parse_many("rack:r1"), Attribute.parse_many("rack:r2;gpu:yes")]
CONSTRAINTS = [
    (),
    (("r0", (AttributeConstraint(attribute="rack", predicate="equals", value="r1"),)),),
    (("r1", (AttributeConstraint(attribute="gpu", predicate="not_exists"),)),),
]
REFUSE = st.sampled_from([None, None, 0.0, -1.0, 1.0, 5.0, 1e12])
roles_st = st.lists(st.sampled_from(ROLES), min_size=1, max_size=3, unique=True).map(tuple)


def _scalars_by_role(res: Resources, roles: tuple[str, ...]) -> dict[str, dict[str, float]]:
    default = "*" if (not roles or "*" in roles) else roles[0]
    out: dict[str, dict[str, float]] = {}
    for r in res:
        if r.scalar is not None:
            d = out.setdefault(r.allocation_role or default, {})
            d[r.name] = d.get(r.name, 0.0) + r.scalar
    return out


def _share(alloc_: dict[str, float], total: dict[str, float]) -> float:
    return max([v / total[n] for n, v in alloc_.items() if total.get(n, 0) > 0] or [0.0])


class AllocatorMachine(RuleBasedStateMachine):
    """Drives the incremental allocator and the naive reference with the same inputs; checks
    NoOvercommit, OfferExclusive, DrfOrder (with shares recomputed independently), books that
    add up, identical decisions, and that inputs are never mutated."""

    def __init__(self) -> None:
        super().__init__()
        self.now = 0.0
        self.al = Allocator(AllocatorConfig(explain=True))
        self.ref = Allocator(AllocatorConfig(naive=True))
        self.fw_roles: dict[str, tuple[str, ...]] = {}
        self.decision_errors: list[str] = []

    def step(self, inp: object) -> list[Allocation]:
        note(repr(inp))
        frozen_copy = copy.deepcopy(inp)
        eff = self.al.step(self.now, inp)
        ref = self.ref.step(self.now, inp)
        assert inp == frozen_copy, "input mutated"
        if isinstance(inp, Allocate):  # the policy first: it names what went wrong
            drf = DrfOrder(ClusterSnapshot(allocations=tuple(self.al.last_cycle_decisions)))
            assert drf == [], drf
        assert eff == ref, f"incremental {eff} != reference {ref}"
        return eff

    @initialize(shapes=st.lists(st.sampled_from(SHAPES), min_size=1, max_size=3),
                roles=st.lists(roles_st, min_size=1, max_size=3))
    def cluster(self, shapes, roles) -> None:
        for aid, shape in zip(AGENTS, shapes):
            self.step(AddAgent(agent_id=aid, hostname=aid, total=R(shape)))
        for fid, rs in zip(FRAMEWORKS, roles):
            self.step(AddFramework(framework_id=fid, roles=rs))
            self.fw_roles[fid] = rs

    # -------------------------------------------------------------- agents
    @rule(aid=st.sampled_from(AGENTS), shape=st.sampled_from(SHAPES),
          attrs=st.sampled_from(ATTRS), used_fw=st.sampled_from([None, *FRAMEWORKS]))
    def add_agent(self, aid, shape, attrs, used_fw) -> None:
        if aid in self.al.agent_ids():
            return
        used = ()
        if used_fw is not None and shape.startswith("cpus:2"):
            used = ((used_fw, R("cpus:0.5;mem:64").allocate("r0")),)
        self.step(AddAgent(agent_id=aid, hostname=aid, total=R(shape), attributes=attrs,
                           used=used))

    @rule(aid=st.sampled_from(AGENTS))
    def remove_agent(self, aid) -> None:
        self.step(RemoveAgent(agent_id=aid))

    @rule(aid=st.sampled_from(AGENTS), on=st.booleans())
    def toggle_agent(self, aid, on) -> None:
        self.step(ActivateAgent(agent_id=aid) if on else DeactivateAgent(agent_id=aid))

    # -------------------------------------------------------------- frameworks
    @rule(fid=st.sampled_from(FRAMEWORKS), roles=roles_st, sup=st.lists(st.sampled_from(ROLES)),
          cons=st.sampled_from(CONSTRAINTS), active=st.booleans(),
          used_agent=st.sampled_from([None, *AGENTS]))
    def add_framework(self, fid, roles, sup, cons, active, used_agent) -> None:
        if fid in self.fw_roles:
            return
        used = ((used_agent, R("cpus:0.5;mem:64").allocate("r0")),) if used_agent else ()
        self.step(AddFramework(framework_id=fid, roles=roles, suppressed_roles=tuple(sup),
                               constraints=cons, active=active, used=used))
        self.fw_roles[fid] = roles

    @rule(fid=st.sampled_from(FRAMEWORKS), roles=roles_st, sup=st.lists(st.sampled_from(ROLES)),
          cons=st.sampled_from(CONSTRAINTS))
    def update_framework(self, fid, roles, sup, cons) -> None:
        self.step(UpdateFramework(framework_id=fid, roles=roles, suppressed_roles=tuple(sup),
                                  constraints=cons))
        if fid in self.fw_roles:
            self.fw_roles[fid] = roles

    @rule(fid=st.sampled_from(FRAMEWORKS))
    def remove_framework(self, fid) -> None:
        self.step(RemoveFramework(framework_id=fid))
        self.fw_roles.pop(fid, None)

    @rule(fid=st.sampled_from(FRAMEWORKS), on=st.booleans())
    def toggle_framework(self, fid, on) -> None:
        self.step(ActivateFramework(framework_id=fid) if on else DeactivateFramework(
            framework_id=fid))

    @rule(fid=st.sampled_from(FRAMEWORKS), roles=st.lists(st.sampled_from(ROLES), max_size=2),
          revive=st.booleans())
    def suppress_or_revive(self, fid, roles, revive) -> None:
        cls = ReviveOffers if revive else SuppressOffers
        self.step(cls(framework_id=fid, roles=tuple(roles)))

    # -------------------------------------------------------------- resources
    @precondition(lambda self: self.al.agent_ids())
    @rule(data=st.data(), part=st.sampled_from(["all", "cpus", "mem", "ports"]),
          refuse=REFUSE)
    def recover(self, data, part, refuse) -> None:
        held = [(f, aid, r) for aid in self.al.agent_ids()
                for f, r in sorted(self.al.allocated(aid).items())]
        if not held:
            return
        fid, aid, res = data.draw(st.sampled_from(held))
        if part != "all":
            res = res.filter(lambda r: r.name == part)
        self.step(RecoverResources(framework_id=fid, agent_id=aid, resources=res,
                                   refuse_seconds=refuse))

    @rule(refuse=REFUSE)
    def decline_everything(self, refuse) -> None:
        for aid in self.al.agent_ids():
            for fid, res in sorted(self.al.allocated(aid).items()):
                self.step(RecoverResources(framework_id=fid, agent_id=aid, resources=res,
                                           refuse_seconds=refuse))

    @rule(fid=st.sampled_from(FRAMEWORKS), aid=st.sampled_from(AGENTS),
          shape=st.sampled_from(SHAPES), refuse=REFUSE)
    def recover_garbage(self, fid, aid, shape, refuse) -> None:
        self.step(RecoverResources(framework_id=fid, agent_id=aid, resources=R(shape),
                                   refuse_seconds=refuse))

    # -------------------------------------------------------------- roles
    @rule(role=st.sampled_from(ROLES), w=st.sampled_from([0.5, 1.0, 2.0, 3.0]))
    def update_weights(self, role, w) -> None:
        self.step(UpdateWeights(weights=((role, w),)))

    @rule(role=st.sampled_from(ROLES), q=st.sampled_from(["", "cpus:2", "cpus:3;mem:1024"]))
    def update_quota(self, role, q) -> None:
        self.step(UpdateQuota(role=role, guarantee=R(q)))

    @rule(dt=st.sampled_from([0.5, 1.0, 5.0, 100.0]))
    def tick(self, dt) -> None:
        self.now += dt

    @rule()
    def allocate(self) -> None:
        # shares before the cycle, recomputed from the public books
        total: dict[str, float] = {}
        held: dict[str, dict[str, dict[str, float]]] = {}
        for aid in self.al.agent_ids():
            for n, v in self.al.total(aid).scalars().items():
                total[n] = total.get(n, 0.0) + v
            for fid, res in self.al.allocated(aid).items():
                if fid not in self.fw_roles:
                    continue  # an agent's report for a framework not yet added
                for role, sc in _scalars_by_role(res, self.fw_roles[fid]).items():
                    d = held.setdefault(fid, {}).setdefault(role, {})
                    for n, v in sc.items():
                        d[n] = d.get(n, 0.0) + v
        eff = self.step(Allocate())
        decisions = self.al.last_cycle_decisions
        fw_level = [d for d in decisions if d.role]
        assert len(fw_level) == len(eff)
        for d, e in zip(fw_level, eff):
            assert (d.chosen, d.agent_id, d.role) == (e.framework_id, e.agent_id, e.role)
            for fid, share in d.eligible:
                mine = _share(held.get(fid, {}).get(d.role, {}), total)
                assert share == pytest.approx(mine, abs=1e-9), (fid, share, mine)
            sc = _scalars_by_role(e.resources, (e.role,)).get(e.role, {})
            d2 = held.setdefault(e.framework_id, {}).setdefault(e.role, {})
            for n, v in sc.items():
                d2[n] = d2.get(n, 0.0) + v
        self.decision_errors = DrfOrder(ClusterSnapshot(allocations=tuple(decisions)))

    # -------------------------------------------------------------- invariants
    @invariant()
    def catalog_holds(self) -> None:
        ledgers = []
        for aid in self.al.agent_ids():
            total = self.al.total(aid)
            alloc_ = self.al.allocated(aid)
            claimed = Resources()
            for r in alloc_.values():
                claimed = claimed + r.unallocate()
            assert claimed + self.al.available(aid) == total.unallocate(), aid
            ledgers.append(AgentLedger(
                agent_id=aid, total=total,
                offered=tuple((f"{aid}/{f}", f, r) for f, r in sorted(alloc_.items()))))
        snap = ClusterSnapshot(agents=tuple(ledgers))
        assert NoOvercommit(snap) == [], NoOvercommit(snap)
        assert OfferExclusive(snap) == [], OfferExclusive(snap)
        assert self.decision_errors == [], self.decision_errors  # "DrfOrder: ..." lines

    @invariant()
    def same_books_as_reference(self) -> None:
        for aid in self.al.agent_ids():
            assert self.al.allocated(aid) == self.ref.allocated(aid)
        for fid in self.al.framework_ids():
            assert self.al.dominant_share(fid) == pytest.approx(self.ref.dominant_share(fid))


TestAllocatorMachine = AllocatorMachine.TestCase
TestAllocatorMachine.settings = SETTINGS


# ------------------------------------------------------------------ never crashes
res_st = st.sampled_from([*SHAPES, "", "cpus:9", "cpus(r1):1", "ports:[1-2]"]).map(R)
id_fw = st.sampled_from([*FRAMEWORKS, "ghost"])
id_ag = st.sampled_from([*AGENTS, "ghost"])
any_roles = st.lists(st.sampled_from(ROLES), max_size=3).map(tuple)
inputs_st = st.one_of(
    st.builds(AddAgent, agent_id=id_ag, hostname=st.just("h"), total=res_st,
              used=st.lists(st.tuples(id_fw, res_st), max_size=2).map(tuple)),
    st.builds(RemoveAgent, agent_id=id_ag),
    st.builds(ActivateAgent, agent_id=id_ag),
    st.builds(DeactivateAgent, agent_id=id_ag),
    st.builds(AddFramework, framework_id=id_fw, roles=any_roles, suppressed_roles=any_roles,
              active=st.booleans(), used=st.lists(st.tuples(id_ag, res_st), max_size=2).map(tuple)),
    st.builds(UpdateFramework, framework_id=id_fw, roles=any_roles, suppressed_roles=any_roles),
    st.builds(RemoveFramework, framework_id=id_fw),
    st.builds(ActivateFramework, framework_id=id_fw),
    st.builds(DeactivateFramework, framework_id=id_fw),
    st.builds(RecoverResources, framework_id=id_fw, agent_id=id_ag, resources=res_st,
              refuse_seconds=st.one_of(st.none(), st.floats(allow_nan=True))),
    st.builds(SuppressOffers, framework_id=id_fw, roles=any_roles),
    st.builds(ReviveOffers, framework_id=id_fw, roles=any_roles),
    st.builds(UpdateWeights, weights=st.lists(
        st.tuples(st.sampled_from(ROLES), st.floats(allow_nan=True)), max_size=2).map(tuple)),
    st.builds(UpdateQuota, role=st.sampled_from(ROLES), guarantee=res_st),
    st.builds(Allocate),
)


@settings(max_examples=150, deadline=None, suppress_health_check=list(HealthCheck))
@given(stream=st.lists(st.tuples(st.floats(0, 20), inputs_st), max_size=40))
def test_random_input_stream_never_crashes(stream) -> None:
    a = alloc()
    now = 0.0
    for dt, inp in stream:
        now += dt
        before = a.describe()
        try:
            eff = a.step(now, inp)
        except LocalError:
            assert a.describe() == before  # misuse is refused without a state change
            continue
        assert all(isinstance(e, Allocation) for e in eff)
        for aid in a.agent_ids():
            claimed = Resources()
            for r in a.allocated(aid).values():
                claimed = claimed + r.unallocate()
            assert claimed + a.available(aid) == a.total(aid).unallocate()
