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
