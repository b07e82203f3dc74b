"""--acls on the operator writes and the offer operations, decided in core (core/master/operator.py
`operator_action` + `_operator_denied`, core/master/operations.py `_authorize_offer_operation`),
and the operator SUBSCRIBE events' filter (core/authorizer.py `event_visible`).

Ported cases (apache/mesos 1.11, named after them): TeardownTest.BadACLs,
DynamicWeightsTest.UnauthorizedWeightUpdateRequest, MasterQuotaTest.AuthorizeGetUpdateQuotaRequests,
ReservationEndpointsTest.BadReserveACL, ReservationEndpointsTest.BadUnreserveACL,
ReservationTest.BadACLDropReserve, ReservationTest.BadACLDropUnreserve (in core here; the
HTTP halves in tests/test_authz_daemons.py).

Property `DeniedOperatorCallChangesNothing` (Hypothesis state machine `AuthorizedOperator`):
with random ACLs over the operator actions and random principals making random operator
writes (TEARDOWN, UPDATE_WEIGHTS, UPDATE_QUOTA, RESERVE/UNRESERVE_RESOURCES, DEACTIVATE/
REACTIVATE/DRAIN_AGENT, MARK_AGENT_GONE), a call the authorizer denies is answered 403
`403 Forbidden.` and leaves `master.describe()`, the settings and the registry unchanged; an
allowed one is never 403. Shown failing on a planted bug (a master that skips the check)."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, rule, run_state_machine_as_test
from mesotron.core.authorizer import authorized, event_visible, parse_acls
from mesotron.core.effects import Respond
from mesotron.core.master import operator as op
from mesotron.core.master.machine import MasterConfig
from mesotron.core.messages import CallAccept, EventUpdateOperationStatus, OpReserve, OpUnreserve
from mesotron.core.resources import Reservation, Resources
from test_master import Harness, events

ALLOW_REGISTRATION = {
    "register_frameworks": [{"principals": {"type": "ANY"}, "roles": {"type": "ANY"}}],
    "register_agents": [{"principals": {"type": "ANY"}, "agents": {"type": "ANY"}}],
}


def dyn(text: str, role: str = "eng", principal: str | None = "p") -> Resources:
    return Resources.parse(text).push_reservation(Reservation(type="DYNAMIC", role=role, principal=principal))


def harness(acls: dict) -> Harness:
    h = Harness(config=MasterConfig(acls=parse_acls({**ALLOW_REGISTRATION, **acls})))
    h.elect()
    return h


def opcall(h: Harness, call: Any, principal: str | None) -> tuple[Respond, list[Any]]:
    h.requests += 1
    out = h.step(op.OperatorCall(request=f"op{h.requests}", call=call, principal=principal))
    responds = [e for e in out if isinstance(e, Respond)]
    assert len(responds) == 1, out
    return responds[0], out


def snapshot(h: Harness) -> tuple:
    return (h.master.describe(), repr(sorted(h.master._settings.items())), repr(h.registry))


# ------------------------------------------------------------------ unit cases
def test_teardown_bad_acls() -> None:
    """TeardownTest.BadACLs: nobody may tear down frameworks of principal 'p': 403, the
    framework stays; an allowed principal tears it down; an unknown id is still 400."""
    h = harness({"teardown_frameworks": [
        {"principals": {"values": ["ops"]}, "framework_principals": {"type": "ANY"}},
        {"principals": {"type": "ANY"}, "framework_principals": {"type": "NONE"}}]})
    fid = h.subscribe(principal="p")
    before = snapshot(h)
    for who in (None, "dev"):
        r, _ = opcall(h, op.Teardown(framework_id=fid), who)
        assert (r.status, r.message) == (403, "403 Forbidden.")
        assert snapshot(h) == before
    r, _ = opcall(h, op.Teardown(framework_id="nope"), "dev")
    assert r.status == 400 and "No framework found" in r.message
    r, _ = opcall(h, op.Teardown(framework_id=fid), "ops")
    assert r.status == 200 and fid not in h.master.frameworks


def test_unauthorized_weight_update_request() -> None:
    """DynamicWeightsTest.UnauthorizedWeightUpdateRequest: every role of the call must be
    approved (update_weights on the role)."""
    h = harness({"update_weights": [{"principals": {"values": ["ops"]}, "roles": {"values": ["eng"]}}],
                 "permissive": False})
    before = snapshot(h)
    r, _ = opcall(h, op.UpdateWeights(weights=(("eng", 2.0), ("dev", 3.0))), "ops")
    assert r.status == 403 and snapshot(h) == before
    r, _ = opcall(h, op.UpdateWeights(weights=(("eng", 2.0),)), "dev")
    assert r.status == 403 and snapshot(h) == before
    r, _ = opcall(h, op.UpdateWeights(weights=(("eng", 2.0),)), "ops")
    assert r.status == 200 and h.master.weights()["eng"] == 2.0


def test_authorize_get_update_quota_requests() -> None:
    """MasterQuotaTest.AuthorizeGetUpdateQuotaRequests (the update half in core): update_quotas
    on the role; a validation error is still 400 only for who may."""
    h = harness({"update_quotas": [{"principals": {"values": ["ops"]}, "roles": {"type": "ANY"}},
                                   {"principals": {"type": "ANY"}, "roles": {"type": "NONE"}}]})
    q = op.QuotaConfig(role="eng", guarantees=(("cpus", 0.0),), limits=(("cpus", 1.0),))
    before = snapshot(h)
    r, _ = opcall(h, op.UpdateQuota(configs=(q,), force=True), "dev")
    assert r.status == 403 and snapshot(h) == before and h.master.quotas() == {}
    r, _ = opcall(h, op.UpdateQuota(configs=(q,), force=True), "ops")
    assert r.status == 200 and h.master.quotas() == {"eng": q}


def test_agent_actions() -> None:
    """deactivate/reactivate/drain_agents, mark_agents_gone (object ANY): 403 for who may not."""
    h = harness({a: [{"principals": {"values": ["ops"]}, "agents": {"type": "ANY"}}] for a in (
        "deactivate_agents", "reactivate_agents", "drain_agents", "mark_agents_gone")}
        | {"permissive": False})
    aid = h.register("a1")
    before = snapshot(h)
    for call in (op.DeactivateAgent(agent_id=aid), op.ReactivateAgent(agent_id=aid),
                 op.DrainAgent(agent_id=aid), op.MarkAgentGone(agent_id=aid)):
        r, _ = opcall(h, call, "dev")
        assert r.status == 403, call
        assert snapshot(h) == before
    r, _ = opcall(h, op.DeactivateAgent(agent_id=aid), "ops")
    assert r.status == 200 and h.master.agent_deactivated(aid)


def test_bad_reserve_and_unreserve_acl_endpoints() -> None:
    """ReservationEndpointsTest.BadReserveACL / BadUnreserveACL: reserve_resources on the
    reservation role, unreserve_resources on the reserver principal."""
    h = harness({"reserve_resources": [{"principals": {"values": ["ops"]}, "roles": {"values": ["eng"]}}],
                 "unreserve_resources": [{"principals": {"values": ["ops"]},
                                          "reserver_principals": {"values": ["ops"]}}],
                 "permissive": False})
    aid = h.register("a1")
    before = snapshot(h)
    for who, res in (("dev", dyn("cpus:1", principal="ops")), ("ops", dyn("cpus:1", role="dev", principal="ops"))):
        r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=res), who)
        assert r.status == 403 and snapshot(h) == before
    r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal="ops")), "ops")
    assert r.status == 200
    after_reserve = snapshot(h)
    r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal="ops"),
                                         reserve=False), "dev")
    assert r.status == 403 and snapshot(h) == after_reserve
    r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal="ops"),
                                         reserve=False), "ops")
    assert r.status == 200 and not h.master._agents[aid].info.resources.reserved()


@pytest.mark.parametrize("unreserve", [False, True])
def test_bad_acl_drop_reserve_and_unreserve(unreserve) -> None:
    """ReservationTest.BadACLDropReserve / BadACLDropUnreserve: a framework whose principal may
    not reserve (unreserve) gets OPERATION_ERROR "Not authorized to reserve resources as 'p'",
    nothing is reserved (unreserved)."""
    acls = ({"unreserve_resources": [{"principals": {"type": "ANY"}, "reserver_principals": {"type": "NONE"}}]}
            if unreserve else
            {"reserve_resources": [{"principals": {"type": "ANY"}, "roles": {"type": "NONE"}}]})
    h = harness(acls)
    fid = h.subscribe(roles=("eng",), principal="p")
    aid = h.register("a1")
    if unreserve:
        r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1")), "p")
        assert r.status == 200
    h.tick(6.0)
    (oid,) = h.offers_of(fid)
    before = h.master._agents[aid].info.resources
    operation = OpUnreserve(resources=dyn("cpus:1"), id="x") if unreserve else OpReserve(resources=dyn("cpus:1"), id="x")
    out = h.call(fid, CallAccept(offer_ids=(oid,), operations=(operation,)))
    (st_,) = [e.status for e in events(out, EventUpdateOperationStatus)]
    verb = "unreserve" if unreserve else "reserve"
    assert st_.state == "OPERATION_ERROR" and st_.message == f"Not authorized to {verb} resources as 'p'"
    assert h.master._agents[aid].info.resources == before


def test_event_visible() -> None:
    acls = parse_acls({"view_frameworks": [{"principals": {"values": ["ops"]}, "users": {"type": "ANY"}},
                                           {"principals": {"type": "ANY"}, "users": {"values": ["dev"]}}],
                       "view_tasks": [{"principals": {"type": "ANY"}, "users": {"values": ["root"]}},
                                      {"principals": {"values": ["ops"]}, "users": {"type": "ANY"}}],
                       "permissive": False})
    assert event_visible(acls, "ops", "FRAMEWORK_ADDED", "prod")
    assert not event_visible(acls, "dev", "FRAMEWORK_ADDED", "prod")
    assert event_visible(acls, "dev", "FRAMEWORK_REMOVED", "dev")
    assert not event_visible(acls, "dev", "TASK_ADDED", "dev")          # view_tasks on "dev": no rule
    assert event_visible(acls, "dev", "TASK_UPDATED", "dev", "root")    # the task's own user
    assert not event_visible(acls, None, "TASK_ADDED", "prod", "root")  # view_frameworks first
    assert event_visible(acls, "dev", "AGENT_ADDED", None)
    assert event_visible(None, "dev", "TASK_ADDED", "x")


# ------------------------------------------------------------------ the property
PRINCIPALS = st.sampled_from([None, "ops", "dev", "p"])
ROLE_VALUES = st.sampled_from(["eng", "dev", "eng/%"])


def _entity(values):
    return st.one_of(st.just({"type": "ANY"}), st.just({"type": "NONE"}),
                     st.lists(values, min_size=1, max_size=2, unique=True).map(lambda v: {"values": v}))


def _rules(obj_field: str, obj_values) -> Any:
    return st.lists(st.fixed_dictionaries({
        "principals": _entity(st.sampled_from(["ops", "dev", "p"])), obj_field: _entity(obj_values)}),
        max_size=2)


ACLS = st.fixed_dictionaries({
    "permissive": st.booleans(),
    "teardown_frameworks": _rules("framework_principals", st.sampled_from(["p", "q"])),
    "update_weights": _rules("roles", ROLE_VALUES),
    "update_quotas": _rules("roles", ROLE_VALUES),
    "reserve_resources": _rules("roles", ROLE_VALUES),
    "unreserve_resources": _rules("reserver_principals", st.sampled_from(["ops", "p"])),
    "deactivate_agents": _rules("agents", st.nothing()),
    "reactivate_agents": _rules("agents", st.nothing()),
    "drain_agents": _rules("agents", st.nothing()),
    "mark_agents_gone": _rules("agents", st.nothing()),
})
ROLES = st.sampled_from(["eng", "dev", "eng/x"])


class AuthorizedOperator(RuleBasedStateMachine):
    """Random ACLs; random operator writes by random principals: DeniedOperatorCallChangesNothing."""

    def __init__(self) -> None:
        super().__init__()
        self.h: Harness | None = None
        self.fids: list[str] = []
        self.aid = ""

    @initialize(acls=ACLS)
    def configure(self, acls) -> None:
        note(f"acls={acls!r}")
        self.h = harness(acls)
        self.fids = [self.h.subscribe(name="f1", principal="p"), self.h.subscribe(name="f2", principal="q")]
        self.aid = self.h.register("a1")

    def _check(self, call: Any, principal: str | None) -> None:
        assert self.h is not None
        h = self.h
        allowed = True
        for action, obj in op.operator_action(call, lambda fid: h.master._frameworks[fid].info.principal
                                              if fid in h.master._frameworks else None):
            allowed = allowed and authorized(h.config.acls, action, principal, obj)
        if isinstance(call, op.Teardown) and call.framework_id not in h.master._frameworks:
            allowed = True  # a 400 first (Mesos looks the framework up before authorizing)
        before = snapshot(h)
        r, _ = opcall(h, call, principal)
        if allowed:
            assert r.status != 403, f"DeniedOperatorCallChangesNothing: an allowed call got 403: {call}"
        else:
            assert r.status == 403 and r.message == "403 Forbidden.", \
                f"DeniedOperatorCallChangesNothing: a denied call was not refused: {call} -> {r}"
            assert snapshot(h) == before, \
                f"DeniedOperatorCallChangesNothing: a denied call changed the master: {call}"

    @rule(principal=PRINCIPALS, i=st.integers(0, 1))
    def teardown_framework(self, principal, i) -> None:
        self._check(op.Teardown(framework_id=self.fids[i]), principal)

    @rule(principal=PRINCIPALS, roles=st.lists(ROLES, min_size=1, max_size=2, unique=True))
    def weights(self, principal, roles) -> None:
        self._check(op.UpdateWeights(weights=tuple((r, 2.0) for r in roles)), principal)

    @rule(principal=PRINCIPALS, role=ROLES)
    def quota(self, principal, role) -> None:
        self._check(op.UpdateQuota(force=True, configs=(
            op.QuotaConfig(role=role, guarantees=(("cpus", 0.5),)),)), principal)

    @rule(principal=PRINCIPALS, role=ROLES, reserver=st.sampled_from([None, "ops", "p"]),
          reserve=st.booleans())
    def reservation(self, principal, role, reserver, reserve) -> None:
        self._check(op.ReserveResources(agent_id=self.aid, resources=dyn("cpus:0.5", role=role, principal=reserver),
                                        reserve=reserve), principal)

    @rule(principal=PRINCIPALS, kind=st.sampled_from([op.DeactivateAgent, op.ReactivateAgent,
                                                      op.DrainAgent, op.MarkAgentGone]))
    def agent(self, principal, kind) -> None:
        self._check(kind(agent_id=self.aid), principal)


SETTINGS = settings(max_examples=60, stateful_step_count=10, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def test_denied_operator_call_changes_nothing() -> None:
    run_state_machine_as_test(AuthorizedOperator, settings=SETTINGS)


def test_planted_bug_fires_denied_operator_call_changes_nothing(monkeypatch) -> None:
    """A master that skips the operator ACL check (planted): the property names itself."""
    monkeypatch.setattr(op, "authorized", lambda *a: True)
    with pytest.raises(AssertionError, match="DeniedOperatorCallChangesNothing"):
        run_state_machine_as_test(AuthorizedOperator, settings=settings(
            SETTINGS, max_examples=300, database=None, phases=(Phase.generate,),
            report_multiple_bugs=False))


# ------------------------------------------------------------------ views: filter_state
USERS = st.sampled_from(["dev", "ops", "root", None])
VIEW_ACLS = st.fixed_dictionaries({
    "permissive": st.booleans(),
    "view_frameworks": _rules("users", st.sampled_from(["dev", "ops", "root"])),
    "view_tasks": _rules("users", st.sampled_from(["dev", "ops", "root"])),
    "view_executors": _rules("users", st.sampled_from(["dev", "ops", "root"])),
    "view_roles": _rules("roles", ROLE_VALUES),
})
STATE = st.fixed_dictionaries({
    "frameworks": st.lists(st.fixed_dictionaries({
        "user": USERS,
        "tasks": st.lists(st.fixed_dictionaries({"user": USERS}), max_size=4),
        "executors": st.lists(st.fixed_dictionaries({"user": USERS}), max_size=2)}), max_size=4),
    "slaves": st.lists(st.fixed_dictionaries({"reserved_resources": st.dictionaries(
        ROLES, st.just({}), max_size=3)}), max_size=3),
})


def _check_filter(acls, state, principal) -> None:
    """Property `FilterStateKeepsExactlyAllowed`: filter_state (which decides once per
    (action, object) within a call) keeps exactly the items a per-item decision allows, in
    order, and never changes its input."""
    from copy import deepcopy

    from mesotron.core import authorizer

    parsed = parse_acls(acls)
    before = deepcopy(state)
    out = authorizer.filter_state(parsed, principal, state)
    name = "FilterStateKeepsExactlyAllowed"
    assert state == before, f"{name}: the input was changed"

    def ok(action, obj):
        return authorized(parsed, action, principal, obj)

    want = [f for f in state["frameworks"] if ok("view_frameworks", f["user"])]
    assert [f["user"] for f in out["frameworks"]] == [f["user"] for f in want], f"{name}: frameworks"
    for got, f in zip(out["frameworks"], want, strict=True):
        assert got["tasks"] == [t for t in f["tasks"] if ok("view_tasks", t["user"] or f["user"])], \
            f"{name}: tasks"
        assert got["executors"] == [e for e in f["executors"] if ok("view_executors", e["user"] or f["user"])], \
            f"{name}: executors"
    for got, a in zip(out["slaves"], state["slaves"], strict=True):
        assert list(got["reserved_resources"]) == [r for r in a["reserved_resources"] if ok("view_roles", r)], \
            f"{name}: roles"


@settings(max_examples=200, deadline=None)
@given(acls=VIEW_ACLS, state=STATE, principal=PRINCIPALS)
def test_filter_state_keeps_exactly_what_the_acls_allow(acls, state, principal) -> None:
    _check_filter(acls, state, principal)


def test_planted_bug_fires_filter_state_keeps_exactly_allowed(monkeypatch) -> None:
    """A filter whose cached decision ignores the object (planted): the property names itself."""
    from mesotron.core import authorizer

    real = authorizer.authorized
    first: dict[str, bool] = {}

    def cached_by_action_only(acls, action, principal, obj):
        return first.setdefault(action, real(acls, action, principal, obj))

    def body(acls, state, principal) -> None:
        first.clear()
        _check_filter(acls, state, principal)

    monkeypatch.setattr(authorizer, "authorized", cached_by_action_only)
    with pytest.raises(AssertionError, match="FilterStateKeepsExactlyAllowed"):
        settings(max_examples=500, deadline=None, database=None, phases=(Phase.generate,))(
            given(acls=VIEW_ACLS, state=STATE, principal=PRINCIPALS)(body))()


def test_authenticated_reserve_must_name_its_principal() -> None:
    """Mesos's validation of an operator RESERVE by an authenticated principal (its texts);
    unauthenticated callers are not checked; UNRESERVE is not."""
    h = harness({})
    aid = h.register("a1")
    before = snapshot(h)
    r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal="ops")), "dev")
    assert (r.status, r.message) == (400, ("A reserve operation was attempted by authenticated principal 'dev', "
                                          "which does not match a reserved resource in the request with principal 'ops'"))
    r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal=None)), "dev")
    assert r.status == 400 and "with no principal set" in r.message
    assert snapshot(h) == before
    assert opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal="dev")), "dev")[0].status == 200
    assert opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal="x")), None)[0].status == 200
