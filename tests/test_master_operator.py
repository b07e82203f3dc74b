"""The master machine's operator writes (core/master/operator.py), deterministic, in core:
weights, quota (MasterQuotaTest's validation cases), deactivation, draining (MasterDrainingTest:
kill with the grace period, DRAINED once no live task is left, mark_gone), MARK_AGENT_GONE,
TEARDOWN; each answered only once its registry write committed, and restored by the next
leader from the registry."""

from __future__ import annotations

from typing import Any

from mesotron.core.allocator import machine as alloc_m
from mesotron.core.effects import Respond, Send
from mesotron.core.master import operator as op
from mesotron.core.messages import (
    CallAccept,
    EventOffers,
    EventRescind,
    KillTask,
    OpLaunch,
    ShutdownAgent,
)
from mesotron.core.values import KillPolicy, TaskState
from test_master import Harness, events, started, task, uuid

S = TaskState
_ = alloc_m


def opcall(h: Harness, call: Any) -> tuple[Respond, list[Any]]:
    h.requests += 1
    out = h.step(op.OperatorCall(request=f"op{h.requests}", call=call))
    responds = [e for e in out if isinstance(e, Respond)]
    assert len(responds) == 1, out
    return responds[0], out


def test_weights_go_to_the_registry_then_the_allocator() -> None:
    h, _fid, _aid = started()
    h.auto_registry = False
    r_out = h.master.step(h.now, op.OperatorCall(request="w", call=op.UpdateWeights(weights=(("eng", 2.0),))))
    assert not [e for e in r_out if isinstance(e, Respond)], "answered before the write committed"
    assert h.master.allocator.weight("eng") == 1.0
    h.auto_registry = True
    bad, _ = opcall(h, op.UpdateWeights(weights=(("eng", 3.0), ("ops", -1.0))))
    assert bad.status == 400 and "positive" in bad.message


def test_weights_quota_and_drain_survive_failover() -> None:
    h, fid, aid = started()
    assert opcall(h, op.UpdateWeights(weights=(("eng", 2.0),)))[0].status == 200
    q = op.QuotaConfig(role="eng", guarantees=(("cpus", 1.0),), limits=(("cpus", 2.0),))
    assert opcall(h, op.UpdateQuota(configs=(q,)))[0].status == 200
    assert opcall(h, op.DrainAgent(agent_id=aid, max_grace_period=2.0))[0].status == 200
    assert h.master.weights()["eng"] == 2.0 and h.master.allocator.weight("eng") == 2.0
    # a new leader reads the registry
    h2 = Harness(generation=2, registry=h.registry)
    h2.elect()
    assert h2.master.weights() == {"eng": 2.0}
    assert h2.master.allocator.weight("eng") == 2.0
    assert h2.master.quotas() == {"eng": q}
    assert h2.master.drain_state(aid) == ("DRAINED", 2.0, False)
    _ = fid


def test_quota_validation() -> None:
    h, _fid, _aid = started()  # one agent: cpus 2, mem 1024
    r, _ = opcall(h, op.UpdateQuota(configs=(op.QuotaConfig(role="eng", guarantees=(("cpus", 2.0),),
                                                             limits=(("cpus", 1.0),)),)))
    assert r.status == 400 and "above its limit" in r.message
    r, _ = opcall(h, op.UpdateQuota(configs=(op.QuotaConfig(role="eng", guarantees=(("cpus", 3.0),)),)))
    assert r.status == 400 and "exceed cluster capacity" in r.message
    r, _ = opcall(h, op.UpdateQuota(force=True, configs=(op.QuotaConfig(role="eng", guarantees=(("cpus", 3.0),)),)))
    assert r.status == 200
    r, _ = opcall(h, op.UpdateQuota(configs=(op.QuotaConfig(role="*", guarantees=(("cpus", 1.0),)),)))
    assert r.status == 400
    r, _ = opcall(h, op.UpdateQuota(configs=(op.QuotaConfig(role="eng"),)))
    assert r.status == 200 and h.master.quotas() == {}
    assert h.registry.settings == ()


def _launch(h: Harness, fid: str, aid: str, tid: str) -> None:
    h.tick(1.0)
    oid = h.offers_of(fid)[0]
    h.call(fid, CallAccept(offer_ids=(oid,), operations=(OpLaunch(task_infos=(task(tid, aid),)),)))


def test_drain_kills_tasks_with_the_grace_period_then_drained_then_gone() -> None:
    h, fid, aid = started()
    _launch(h, fid, aid, "t1")
    h.update("a1", fid, "t1", S.TASK_RUNNING, uuid(1))
    r, out = opcall(h, op.DrainAgent(agent_id=aid, max_grace_period=1.5, mark_gone=True))
    assert r.status == 200
    kills = [e for e in out if isinstance(e, Send) and isinstance(e.message, KillTask)]
    assert [(k.to, k.message.task_id, k.message.kill_policy) for k in kills] == [
        ("a1", "t1", KillPolicy(grace_period=1.5))]
    assert h.master.drain_state(aid)[0] == "DRAINING"
    offers_before = len(events(h.sent, EventOffers))
    h.tick(5.0)  # no offers while draining
    assert len(events(h.sent, EventOffers)) == offers_before and not h.offers_of(fid)
    again = h.update("a1", fid, "t1", S.TASK_KILLED, uuid(2))
    assert h.master.drain_state(aid) is not None and h.master.drain_state(aid)[0] == "DRAINED"
    assert any(isinstance(e, Send) and isinstance(e.message, ShutdownAgent) for e in again)
    assert aid in h.master._gone and aid not in h.master._agents


def test_deactivate_reactivate_and_unknown_agent() -> None:
    h, fid, aid = started()
    h.tick(1.0)
    assert h.offers_of(fid)
    r, out = opcall(h, op.DeactivateAgent(agent_id=aid))
    assert r.status == 200 and events(out, EventRescind)  # its offers are rescinded
    before = len(events(h.sent, EventOffers))
    h.tick(5.0)
    assert len(events(h.sent, EventOffers)) == before and not h.offers_of(fid)
    assert opcall(h, op.ReactivateAgent(agent_id=aid))[0].status == 200
    h.tick(1.0)
    assert len(events(h.sent, EventOffers)) == before + 1
    assert opcall(h, op.DeactivateAgent(agent_id="nope"))[0].status == 400
    assert opcall(h, op.Teardown(framework_id="nope"))[0].status == 400
    r, out = opcall(h, op.Teardown(framework_id=fid))
    assert r.status == 200 and fid not in h.master._frameworks


def test_not_leader_is_503() -> None:
    h = Harness()
    r, _ = opcall(h, op.UpdateWeights(weights=(("eng", 2.0),)))
    assert r.status == 503


# ------------------------------------------------------------------ reservations + operations
from mesotron.core import registry as reg
from mesotron.core.effects import Received
from mesotron.core.master import operations as ops
from mesotron.core.messages import (
    CallAcknowledgeOperationStatus,
    CallReconcileOperations,
    EventUpdateOperationStatus,
    OpReserve,
    OpUnreserve,
    ReregisterAgent,
)
from mesotron.core.resources import Reservation, Resources


def dyn(text: str, role: str = "eng", principal: str | None = "p") -> Resources:
    return Resources.parse(text).push_reservation(Reservation(type="DYNAMIC", role=role, principal=principal))


def eng() -> tuple[Harness, str, str]:
    h = Harness()
    h.elect()
    fid = h.subscribe(roles=("eng",), principal="p")
    aid = h.register("a1")
    h.tick(1.0)
    return h, fid, aid


def op_statuses(out: list[Any]) -> list[Any]:
    return [e.status for e in events(out, EventUpdateOperationStatus)]


def test_reserve_via_accept_finishes_after_commit_and_is_offered_reserved() -> None:
    """ReservationTest.ReserveThenUnreserve + OperationReconciliationTest: RESERVE with an id
    gets OPERATION_FINISHED (with a uuid) once the registry committed; the next offer has
    the reserved cpus; UNRESERVE gives them back."""
    h, fid, aid = eng()
    oid = h.offers_of(fid)[0]
    h.auto_registry = False
    out = h.call(fid, CallAccept(offer_ids=(oid,), operations=(OpReserve(resources=dyn("cpus:1"), id="op1"),)))
    assert not op_statuses(out), "FINISHED before the registry write committed"
    h.auto_registry = True
    writes = [e for e in out if type(e).__name__ == "RegistryWrite"]
    done: list[Any] = []
    for w in writes:
        h.registry = reg.apply(h.registry, w.op, h.registry.version)
        done += h.step(__import__("mesotron.core.effects", fromlist=["RegistryResult"]).RegistryResult(op_id=w.op_id, ok=True))
    (st,) = op_statuses(done)
    assert st.state == "OPERATION_FINISHED" and st.uuid is not None and st.agent_id == aid
    assert st.converted_resources.unallocate() == dyn("cpus:1")
    assert h.master._agents[aid].info.resources.contains(dyn("cpus:1"))
    assert h.registry.setting(("reservations", aid))
    assert h.registry.setting(("operation", fid, "op1")) == (aid, "OPERATION_FINISHED", "")
    h.tick(6.0)
    offered = Resources()
    for o in h.master.offers.values():
        offered = offered + o.resources.unallocate()
    assert offered.contains(dyn("cpus:1"))
    # acknowledge: the record is forgotten (registry too)
    h.call(fid, CallAcknowledgeOperationStatus(operation_id="op1", uuid=st.uuid, agent_id=aid))
    assert not h.master.operations_of() and h.registry.setting(("operation", fid, "op1")) is None
    # reconcile: unknown now
    out = h.call(fid, CallReconcileOperations(operations=(("op1", aid),)))
    assert [(s.operation_id, s.state, s.uuid) for s in op_statuses(out)] == [("op1", "OPERATION_UNKNOWN", None)]
    # UNRESERVE from the next offer
    oid = next(o for o, of in h.master.offers.items() if of.resources.unallocate().contains(dyn("cpus:1")))
    out = h.call(fid, CallAccept(offer_ids=(oid,), operations=(OpUnreserve(resources=dyn("cpus:1"), id="op2"),)))
    assert [s.state for s in op_statuses(out)] == ["OPERATION_FINISHED"]
    assert not h.master._agents[aid].info.resources.reserved()
    assert h.registry.setting(("reservations", aid)) is None


def test_invalid_reserve_is_operation_error_and_changes_nothing() -> None:
    h, fid, aid = eng()
    oid = h.offers_of(fid)[0]
    before = h.master._agents[aid].info.resources
    for bad, why in ((dyn("cpus:1", principal="other"), "principal"),
                     (dyn("cpus:1", role="ops"), "role"),
                     (dyn("cpus:5"), "not in the offered"),
                     (Resources.parse("cpus(eng):1"), "not dynamically reserved")):
        h.tick(6.0)
        oid = h.offers_of(fid)[0]
        out = h.call(fid, CallAccept(offer_ids=(oid,), operations=(OpReserve(resources=bad, id="x"),)))
        (st,) = op_statuses(out)
        assert st.state == "OPERATION_ERROR" and why in st.message and st.uuid is None, st
    assert h.master._agents[aid].info.resources == before and not h.master.operations_of()
    _ = oid


def test_reserve_and_launch_in_one_accept() -> None:
    h, fid, aid = eng()
    oid = h.offers_of(fid)[0]
    reserved = dyn("cpus:1;mem:128")
    t = task("t1", aid, res=reserved)
    out = h.call(fid, CallAccept(offer_ids=(oid,), operations=(
        OpReserve(resources=reserved), OpLaunch(task_infos=(t,)))))
    assert not [e for e in out if type(e).__name__ == "EventUpdate"], out
    assert ("t1" in h.master._frameworks[fid].tasks)


def test_reservations_and_unacked_operations_survive_failover() -> None:
    h, fid, aid = eng()
    oid = h.offers_of(fid)[0]
    h.call(fid, CallAccept(offer_ids=(oid,), operations=(OpReserve(resources=dyn("cpus:1"), id="op1"),)))
    static = h.master._agents[aid].info
    static = type(static)(hostname=static.hostname, port=static.port, id=aid,
                          resources=Resources.parse("cpus:2;mem:1024"), attributes=static.attributes)
    h2 = Harness(generation=2, registry=h.registry)
    h2.elect()
    h2.step(Received(sender="a1", message=ReregisterAgent(agent_info=static, version="1")))
    assert h2.master._agents[aid].info.resources.contains(dyn("cpus:1"))
    assert h2.master.allocator.total(aid).contains(dyn("cpus:1"))
    fid2 = h2.subscribe(fid=fid, roles=("eng",), principal="p")
    out = h2.call(fid2, CallReconcileOperations())
    assert [(s.operation_id, s.state) for s in op_statuses(out)] == [("op1", "OPERATION_FINISHED")]


def test_operator_reserve_resources_and_conflict() -> None:
    h, _fid, aid = eng()
    r, out = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal=None)))
    assert r.status == 200
    assert events(out, EventRescind)  # the outstanding offer was rescinded first
    assert h.master._agents[aid].info.resources.contains(dyn("cpus:1", principal=None))
    r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:5", principal=None)))
    assert r.status == 409
    r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=Resources.parse("cpus:1")))
    assert r.status == 400
    r, _ = opcall(h, op.ReserveResources(agent_id=aid, resources=dyn("cpus:1", principal=None), reserve=False))
    assert r.status == 200 and not h.master._agents[aid].info.resources.reserved()


def test_operation_state_machine_rejects_illegal_edges() -> None:
    import pytest

    ops.check_transition("o", None, "OPERATION_PENDING")
    ops.check_transition("o", "OPERATION_PENDING", "OPERATION_FINISHED")
    for old, new in (("OPERATION_FINISHED", "OPERATION_PENDING"), ("OPERATION_ERROR", "OPERATION_FINISHED"),
                     (None, "OPERATION_FINISHED")):
        with pytest.raises(ops.IllegalOperationTransition):
            ops.check_transition("o", old, new)
