"""`why`: the allocator's explain mode for one framework (core/allocator/why.py) and the
master's verdict (core/master/why.py). Every reason kind on a hand-built case; a Hypothesis
property ties the explanation to what the real allocation cycle does; a planted bug (an
explanation that ignores decline filters) is caught by that property."""

from __future__ import annotations

import copy

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mesotron.core.allocator import why
from mesotron.core.allocator.machine import (
    AddAgent,
    AddFramework,
    Allocate,
    Allocator,
    AllocatorConfig,
    DeactivateAgent,
    DeactivateFramework,
    RecoverResources,
    SuppressOffers,
    UpdateQuota,
    UpdateWeights,
)
from mesotron.core.errors import LocalError
from mesotron.core.resources import Resources
from mesotron.core.values import Attribute, AttributeConstraint

R = Resources.parse


def kinds(al: Allocator, fid: str, now: float = 0.0) -> dict[tuple[str, str], str]:
    e = why.explain(al, now, fid)
    return {(r.agent_id, r.role): r.kind for r in e.agents}


def base() -> Allocator:
    a = Allocator(AllocatorConfig())
    a.step(0, AddAgent(agent_id="a1", hostname="h1", total=R("cpus:2;mem:1024"),
                       attributes=Attribute.parse_many("rack:r1")))
    return a


def test_unknown_framework() -> None:
    assert not why.explain(base(), 0, "nope").known


def test_next_and_framework_drf_rank() -> None:
    a = base()
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    a.step(0, AddFramework(framework_id="f2", roles=("eng",)))
    assert kinds(a, "f1") == {("a1", "eng"): "next"}
    e = why.explain(a, 0, "f2")
    (r,) = e.agents
    assert r.kind == "drf_rank" and r.ahead == (("f1", 0.0),)


def test_role_drf_rank_and_weights() -> None:
    a = base()
    a.step(0, AddAgent(agent_id="a2", hostname="h2", total=R("cpus:2;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("a",)))
    a.step(0, AddFramework(framework_id="f2", roles=("b",)))
    a.step(0, Allocate())  # a1 -> f1 (role a), a2 -> f2 (role b): equal shares
    a.step(0, AddAgent(agent_id="a3", hostname="h3", total=R("cpus:2;mem:1024")))
    a.step(0, UpdateWeights(weights=(("b", 4.0),)))
    assert kinds(a, "f2")[("a3", "b")] == "next"
    r = next(x for x in why.explain(a, 0, "f1").agents if x.agent_id == "a3")
    assert r.kind == "drf_rank" and r.ahead[0][0] == "b" and "weighted" in r.message
    assert kinds(a, "f1")[("a1", "a")] == "no_available_resources"


def test_hard_blockers() -> None:
    a = base()
    a.step(0, AddAgent(agent_id="a2", hostname="h2", total=R("cpus(ops):2;mem(ops):512")))
    a.step(0, AddAgent(agent_id="a3", hostname="h3", total=R("cpus:0.001;mem:1")))
    a.step(0, AddAgent(agent_id="a4", hostname="h4", total=R("cpus:2;mem:1024")))
    a.step(0, DeactivateAgent(agent_id="a4"))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",)))
    k = kinds(a, "f1")
    assert k == {("a1", "eng"): "next", ("a2", "eng"): "reserved_for_other_roles",
                 ("a3", "eng"): "below_min_allocatable", ("a4", "eng"): "agent_inactive"}
    # a decline filter: until when
    a.step(0, Allocate())
    a.step(1, RecoverResources(framework_id="f1", agent_id="a1",
                               resources=R("cpus:2;mem:1024").allocate("eng"), refuse_seconds=60))
    e = why.explain(a, 2.0, "f1")
    r = next(x for x in e.agents if x.agent_id == "a1")
    assert r.kind == "decline_filter" and r.until == 61.0 and "59.0s from now" in r.message
    assert e.filters == (("a1", "eng", 61.0, "cpus:2;mem:1024"),) or e.filters[0][:3] == ("a1", "eng", 61.0)
    assert next(x for x in why.explain(a, 62.0, "f1").agents if x.agent_id == "a1").kind == "next"
    a.step(3, SuppressOffers(framework_id="f1"))
    assert kinds(a, "f1", 62.0)[("a1", "eng")] == "suppressed"
    a.step(3, DeactivateFramework(framework_id="f1"))
    assert kinds(a, "f1", 62.0)[("a1", "eng")] == "framework_inactive"


def test_offer_constraint() -> None:
    a = Allocator(AllocatorConfig())
    a.step(0, AddAgent(agent_id="a1", hostname="h1", total=R("cpus:2;mem:1024")))
    a.step(0, AddFramework(framework_id="f1", roles=("eng",), constraints=(
        ("eng", (AttributeConstraint(attribute="gpu", predicate="exists"),)),)))
    assert kinds(a, "f1") == {("a1", "eng"): "offer_constraint"}


def test_quota_of_other_role_goes_first() -> None:
    a = base()
    a.step(0, AddFramework(framework_id="fq", roles=("q",)))
    a.step(0, AddFramework(framework_id="f1", roles=("a",)))
    a.step(0, UpdateQuota(role="q", guarantee=R("cpus:4")))
    r = next(x for x in why.explain(a, 0, "f1").agents)
    assert r.kind == "quota_of_other_role" and r.ahead[0][0] == "q"
    assert kinds(a, "fq") == {("a1", "q"): "next"}


# ------------------------------------------------------------------ the property
OPS = st.one_of(
    st.tuples(st.just("agent"), st.sampled_from(["a1", "a2", "a3", "a4"]),
              st.sampled_from(["cpus:2;mem:1024", "cpus:1;mem:64", "cpus(r1):1;mem(r1):256;cpus:1;mem:256",
                               "cpus:0.001;mem:8"])),
    st.tuples(st.just("framework"), st.sampled_from(["f1", "f2", "f3", "f4"]),
              st.sampled_from([("r1",), ("r2",), ("r1", "r2")])),
    st.tuples(st.just("allocate")),
    st.tuples(st.just("decline"), st.integers(0, 20), st.sampled_from([0.0, 5.0, 100.0])),
    st.tuples(st.just("suppress"), st.sampled_from(["f1", "f2", "f3", "f4"])),
    st.tuples(st.just("deactivate_agent"), st.sampled_from(["a1", "a2", "a3", "a4"])),
    st.tuples(st.just("deactivate_framework"), st.sampled_from(["f1", "f2", "f3", "f4"])),
    st.tuples(st.just("weight"), st.sampled_from(["r1", "r2"]), st.sampled_from([0.5, 1.0, 3.0])),
    st.tuples(st.just("quota"), st.sampled_from(["r1", "r2"]), st.sampled_from(["", "cpus:1", "cpus:8"])),
    st.tuples(st.just("tick"), st.integers(1, 30)),
)


def build(ops: list) -> tuple[Allocator, float]:
    a = Allocator(AllocatorConfig())
    now = 0.0
    given_out: list = []
    for op in ops:
        try:
            if op[0] == "agent":
                a.step(now, AddAgent(agent_id=op[1], hostname=op[1], total=R(op[2])))
            elif op[0] == "framework":
                a.step(now, AddFramework(framework_id=op[1], roles=op[2]))
            elif op[0] == "allocate":
                given_out += a.step(now, Allocate())
            elif op[0] == "decline" and given_out:
                g = given_out.pop(op[1] % len(given_out))
                a.step(now, RecoverResources(framework_id=g.framework_id, agent_id=g.agent_id,
                                             resources=g.resources, refuse_seconds=op[2]))
            elif op[0] == "suppress":
                a.step(now, SuppressOffers(framework_id=op[1]))
            elif op[0] == "deactivate_agent":
                a.step(now, DeactivateAgent(agent_id=op[1]))
            elif op[0] == "deactivate_framework":
                a.step(now, DeactivateFramework(framework_id=op[1]))
            elif op[0] == "weight":
                a.step(now, UpdateWeights(weights=((op[1], op[2]),)))
            elif op[0] == "quota":
                a.step(now, UpdateQuota(role=op[1], guarantee=R(op[2]) if op[2] else Resources()))
            elif op[0] == "tick":
                now += op[1]
        except LocalError:
            pass
    return a, now


def explanation_matches_cycle(a: Allocator, now: float, explain=why.explain) -> list[str]:
    """The violations of the two exactness rules stated in core/allocator/why.py."""
    bad: list[str] = []
    reasons = {}
    for fid in a.framework_ids():
        for r in explain(a, now, fid).agents:
            reasons[(fid, r.agent_id, r.role)] = r.kind
    effects = copy.deepcopy(a).step(now, Allocate())
    nexts = sorted(k for k, v in reasons.items() if v == "next")
    order = a.agent_ids()
    first = effects[0].agent_id if effects else None
    for fid, aid, role in nexts:
        if first is None or order.index(aid) < order.index(first):
            bad.append(f"'next' for {fid} on {aid}/{role} but the cycle allocated nothing there first")
        elif aid == first and (fid, role) != (effects[0].framework_id, effects[0].role):
            bad.append(f"'next' for {fid} on {aid}/{role} but the cycle chose "
                       f"{effects[0].framework_id}/{effects[0].role}")
    if effects and (effects[0].framework_id, first, effects[0].role) not in nexts:
        bad.append(f"the cycle chose {effects[0].framework_id} on {first}/{effects[0].role}, "
                   f"explained as {reasons.get((effects[0].framework_id, first, effects[0].role))}")
    for e in effects:
        k = reasons.get((e.framework_id, e.agent_id, e.role))
        if k in why.HARD:
            bad.append(f"{e.framework_id} allocated {e.agent_id}/{e.role} but explained as {k}")
    return bad


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(OPS, max_size=30))
def test_explanation_matches_the_real_cycle(ops: list) -> None:
    a, now = build(ops)
    assert explanation_matches_cycle(a, now) == []


def _explain_ignoring_filters(al: Allocator, now: float, fid: str) -> why.AllocatorExplanation:
    """A planted bug: decline filters forgotten (as if every filter had expired)."""
    return why.explain(al, now + 10**9, fid)


def test_planted_bug_is_caught() -> None:
    a, now = build([("agent", "a1", "cpus:2;mem:1024"), ("framework", "f1", ("r1",)),
                    ("allocate",), ("decline", 0, 100.0)])
    assert explanation_matches_cycle(a, now) == []
    bad = explanation_matches_cycle(a, now, _explain_ignoring_filters)
    assert bad and "'next' for f1 on a1/r1 but the cycle allocated nothing" in bad[0]


# ------------------------------------------------------------------ the master's verdict
def test_master_verdicts() -> None:
    from mesotron.core.master import why as master_why
    from mesotron.core.messages import CallDecline
    from mesotron.core.values import Filters
    from test_master import Harness

    h = Harness()
    h.elect()
    assert master_why.why(h.master, h.now, "nope").verdict == "unknown"
    f1 = h.subscribe("one", roles=("eng",))
    w = master_why.why(h.master, h.now, f1)
    assert w.verdict == "no_agents" and w.to_json()["verdict"] == "no_agents"
    h.register("slave(1)@10.0.0.1:5051")
    h.tick(1.5)
    (oid,) = h.offers_of(f1)
    w = master_why.why(h.master, h.now, f1)
    assert w.verdict == "holds_offers" and w.offers[0][0] == oid
    f2 = h.subscribe("two", roles=("eng",))
    assert master_why.why(h.master, h.now, f2).verdict == "blocked"  # the one agent is offered
    h.call(f1, CallDecline(offer_ids=(oid,), filters=Filters(refuse_seconds=100.0)))
    w = master_why.why(h.master, h.now, f1)
    assert w.verdict == "blocked" and w.counts() == {"decline_filter": 1}
    assert w.to_json()["filters"][0]["until"] == pytest.approx(h.now + 100.0)
    assert master_why.why(h.master, h.now, f2).verdict == "offered_next"
    f3 = h.subscribe("three", roles=("eng",))  # the subscription runs a cycle: f2 is offered
    assert master_why.why(h.master, h.now, f2).verdict == "holds_offers"
    w = master_why.why(h.master, h.now, f3)
    assert w.verdict == "blocked" and w.counts() == {"no_available_resources": 1}
    assert f2 in w.to_json()["agents"][0]["message"]  # who holds the agent
