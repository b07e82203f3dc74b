"""The master machine: unit tests, a bad-input property, and a Hypothesis state machine.

The state machine (`MasterMachine`) drives one master (and its successors after failover)
with schedulers, agents, timers and a registry, and after every rule checks the invariant
catalog's NoOvercommit, OfferExclusive, SingleLaunch and LegalTaskTransitions, the master's
own book-keeping consistency, and that no input was mutated.
"""

from __future__ import annotations

import copy
import json
from typing import Any

import attrs
import pytest
from hypothesis import HealthCheck, assume, given, note, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    precondition,
    rule,
)
from mesotron.core import invariants as inv
from mesotron.core import registry as reg
from mesotron.core.effects import (
    CancelTimer,
    Close,
    Disconnected,
    Received,
    RegistryResult,
    RegistryWrite,
    Reject,
    Respond,
    Send,
    SetTimer,
    TimerFired,
)
from mesotron.core.errors import LocalError
from mesotron.core.ids import IdSource
from mesotron.core.master.machine import (
    Abdicate,
    LeadershipGained,
    LeadershipLost,
    Master,
    MasterConfig,
    MembershipLost,
)
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallKill,
    CallMessage,
    CallReconcile,
    CallRevive,
    CallShutdown,
    CallSubscribe,
    CallSuppress,
    CallTeardown,
    EventError,
    EventHeartbeat,
    EventRescind,
    EventSubscribed,
    EventUpdate,
    ExitedExecutor,
    OpLaunch,
    OpLaunchGroup,
    Ping,
    Pong,
    RegisterAgent,
    ReregisterAgent,
    RunTask,
    RunTaskGroup,
    SchedulerCall,
    StatusUpdate,
    StatusUpdateMessage,
    TaskRecord,
)
from mesotron.core.resources import Resources
from mesotron.core.values import (
    AgentInfo,
    Capability,
    CommandInfo,
    ExecutorInfo,
    Filters,
    FrameworkInfo,
    MasterInfo,
    Reason,
    Source,
    TaskInfo,
    TaskState,
    TaskStatus,
)

S = TaskState
AGENT_RES = Resources.parse("cpus:2;mem:1024")
TASK_RES = Resources.parse("cpus:1;mem:128")


# ------------------------------------------------------------------ a small harness
class Harness:
    """A master plus what its shell would keep: timers, the registry, stream names."""

    def __init__(self, config: MasterConfig | None = None, generation: int = 1,
                 registry: reg.RegistryState | None = None) -> None:
        self.config = config or MasterConfig()
        self.generation = generation
        self.master = Master(master_info=MasterInfo(id=f"m{generation}", hostname="m"),
                             ids=IdSource(seed=f"test-{generation}"), config=self.config)
        self.registry = registry or reg.RegistryState()
        self.now = 0.0
        self.timers: dict[tuple[str, ...], float] = {}
        self.requests = 0
        self.streams: dict[str, str] = {}  # framework id -> stream
        self.auto_registry = True
        self.sent: list[Send] = []
        self.auto_pong = False  # agents answer pings at once, unless in `silent`
        self.silent: set[str] = set()

    def step(self, inp: Any) -> list[Any]:
        before = copy.deepcopy(inp)
        out = self.master.step(self.now, inp)
        assert inp == before, "the master mutated its input"
        for e in out:
            if isinstance(e, SetTimer):
                self.timers[e.key] = e.at
            elif isinstance(e, CancelTimer):
                self.timers.pop(e.key, None)
            elif isinstance(e, Send):
                self.sent.append(e)
                if isinstance(e.message, EventSubscribed):
                    self.streams[e.message.framework_id] = e.to
        writes = [e for e in out if isinstance(e, RegistryWrite)]
        if self.auto_pong:
            for e in list(out):
                if isinstance(e, Send) and isinstance(e.message, Ping) and e.to not in self.silent:
                    out = out + self.step(Received(sender=e.to, message=Pong()))
        if self.auto_registry:
            for w in writes:
                new = reg.apply(self.registry, w.op, self.registry.version)
                assert new is not None
                self.registry = new
                out = out + self.step(RegistryResult(op_id=w.op_id, ok=True))
        return out

    def elect(self) -> list[Any]:
        return self.step(LeadershipGained(registry=self.registry))

    def call(self, fid: str | None, call: Any, stream: str | None = "own") -> list[Any]:
        """stream="own": the framework's current stream id; None: no header."""
        self.requests += 1
        sid = self.streams.get(fid or "") if stream == "own" else stream
        out = self.step(SchedulerCall(request=f"r{self.requests}", stream_id=sid,
                                      framework_id=fid, call=call))
        responds = [e for e in out if isinstance(e, Respond)]
        assert len(responds) == 1 and out[0] is responds[0], out
        return out

    def subscribe(self, name: str = "fw", fid: str | None = None, **kw: Any) -> str:
        info = FrameworkInfo(user="u", name=name, id=fid, **kw)
        out = self.call(fid, CallSubscribe(framework_info=info), stream=None)
        subscribed = [e.message for e in out if isinstance(e, Send)
                      and isinstance(e.message, EventSubscribed)]
        assert subscribed, out
        return subscribed[0].framework_id

    def register(self, pid: str, res: Resources = AGENT_RES) -> str:
        self.step(Received(sender=pid, message=RegisterAgent(
            agent_info=AgentInfo(hostname=pid, resources=res))))
        return self.master._pids[pid]

    def tick(self, seconds: float) -> list[Any]:
        end = self.now + seconds
        out: list[Any] = []
        while True:
            due = sorted((at, key) for key, at in self.timers.items() if at <= end)
            if not due:
                break
            at, key = due[0]
            del self.timers[key]
            self.now = max(self.now, at)
            out += self.step(TimerFired(key=key))
        self.now = end
        return out

    def offers_of(self, fid: str) -> list[str]:
        return [oid for oid, o in self.master.offers.items() if o.framework_id == fid]

    def update(self, pid: str, fid: str, tid: str, state: S, uuid: bytes,
               latest: S | None = None, source: Source = Source.SOURCE_EXECUTOR) -> list[Any]:
        status = TaskStatus(task_id=tid, state=state, source=source, uuid=uuid)
        return self.step(Received(sender=pid, message=StatusUpdateMessage(update=StatusUpdate(
            framework_id=fid, status=status, uuid=uuid, latest_state=latest))))


def uuid(n: int) -> bytes:
    return n.to_bytes(16, "big")


def events(out: list[Any], kind: type) -> list[Any]:
    return [e.message for e in out if isinstance(e, Send) and isinstance(e.message, kind)]


def task(tid: str, agent: str, res: Resources = TASK_RES, **kw: Any) -> TaskInfo:
    if "executor" not in kw:
        kw.setdefault("command", CommandInfo(value="sleep 100"))
    return TaskInfo(name=tid, task_id=tid, agent_id=agent, resources=res, **kw)


def started() -> tuple[Harness, str, str]:
    h = Harness()
    h.elect()
    fid = h.subscribe()
    aid = h.register("a1")
    return h, fid, aid


# ------------------------------------------------------------------ unit tests
def test_not_leader_answers_503_and_drops_agent_messages() -> None:
    h = Harness()
    out = h.call(None, CallSubscribe(framework_info=FrameworkInfo(user="u", name="f")))
    assert out == [Respond(request="r1", status=503, message="No leader elected")]
    out = h.step(Received(sender="a1", message=RegisterAgent(agent_info=AgentInfo(hostname="h"))))
    assert not any(isinstance(e, (Send, RegistryWrite)) for e in out)


def test_subscribe_mints_ids_and_streams_in_order() -> None:
    h, fid, aid = started()
    assert fid == "m1-0000" and aid == "m1-S0"
    assert h.subscribe() == "m1-0001"
    assert list(h.master.offers) == ["m1-O0"]
    assert h.master.frameworks[fid].stream == h.streams[fid]
    assert h.master.is_leader


def test_scheduler_failover_closes_old_stream_and_discards_offers() -> None:
    h, fid, _ = started()
    old = h.streams[fid]
    assert h.offers_of(fid) == ["m1-O0"]
    out = h.call(fid, CallSubscribe(framework_info=FrameworkInfo(user="u", name="fw", id=fid)),
                 stream=None)
    assert Send(to=old, message=EventError(message="Framework failed over")) in out
    assert Close(peer=old) in out
    assert not events(out, EventRescind)  # the old offer is discarded, not rescinded
    assert h.offers_of(fid) == ["m1-O1"] and h.streams[fid] != old
    out = h.call(fid, CallRevive(), stream=old)
    assert out[0].status == 400


def test_launch_group_accounts_executor_and_tasks() -> None:
    h, fid, aid = started()
    ex = ExecutorInfo(executor_id="e1", type="DEFAULT", resources=Resources.parse("cpus:0.5;mem:64"))
    half = Resources.parse("cpus:0.5;mem:128")
    op = OpLaunchGroup(executor=ex, tasks=(task("t1", aid, half, executor=None, command=None),
                                           task("t2", aid, half, executor=None, command=None)))
    out = h.call(fid, CallAccept(offer_ids=("m1-O0",), operations=(op,)))
    groups = events(out, RunTaskGroup)
    assert len(groups) == 1 and groups[0].executor.framework_id == fid
    assert [t.task_id for t in groups[0].tasks] == ["t1", "t2"]
    used = dict(h.master.agents[aid].used)[fid]
    assert used.unallocate() == Resources.parse("cpus:1.5;mem:320")
    # the rest went back with the default 5 s filter: not re-offered within 5 s
    assert not h.master.offers
    h.tick(4.9)
    assert not h.master.offers
    h.tick(0.2)
    assert h.offers_of(fid)


def test_launch_group_without_default_executor_is_task_group_invalid() -> None:
    h, fid, aid = started()
    ex = ExecutorInfo(executor_id="e1", type="CUSTOM", command=CommandInfo(value="x"))
    op = OpLaunchGroup(executor=ex, tasks=(task("t1", aid),))
    out = h.call(fid, CallAccept(offer_ids=("m1-O0",), operations=(op,)))
    (upd,) = events(out, EventUpdate)
    assert upd.status.state is S.TASK_ERROR
    assert upd.status.reason is Reason.REASON_TASK_GROUP_INVALID
    assert not h.master.tasks


def test_kill_known_task_goes_to_agent_and_is_resent_on_reregistration() -> None:
    h, fid, aid = started()
    h.call(fid, CallAccept(offer_ids=("m1-O0",), operations=(OpLaunch(task_infos=(task("t1", aid),)),)))
    h.step(Disconnected(peer="a1"))
    out = h.call(fid, CallKill(task_id="t1"))
    assert not [e for e in out if isinstance(e, Send)]
    rec = TaskRecord(framework_id=fid, task=task("t1", aid), state=S.TASK_STAGING, executor_id="")
    out = h.step(Received(sender="a1", message=ReregisterAgent(
        agent_info=AgentInfo(hostname="a1", id=aid, resources=AGENT_RES), tasks=(rec,))))
    kills = [e for e in out if isinstance(e, Send) and type(e.message).__name__ == "KillTask"]
    assert len(kills) == 1 and kills[0].to == "a1"


def test_offer_timeout_rescinds() -> None:
    h = Harness(MasterConfig(offer_timeout=10.0))
    h.elect()
    fid = h.subscribe()
    h.register("a1")
    assert h.offers_of(fid) == ["m1-O0"]
    out = h.tick(10.0)
    assert EventRescind(offer_id="m1-O0") in events(out, EventRescind)
    assert "m1-O0" not in h.master.offers


def test_heartbeats_every_interval_while_connected() -> None:
    h = Harness(MasterConfig(heartbeat_interval=5.0))
    h.elect()
    fid = h.subscribe()
    out = h.tick(15.0)
    assert len(events(out, EventHeartbeat)) == 3
    h.step(Disconnected(peer=h.streams[fid]))
    assert not events(h.tick(15.0), EventHeartbeat)


def test_fenced_registry_write_abdicates() -> None:
    h = Harness()
    h.elect()
    fid = h.subscribe()
    h.auto_registry = False
    out = h.step(Received(sender="a1", message=RegisterAgent(agent_info=AgentInfo(hostname="h"))))
    (w,) = [e for e in out if isinstance(e, RegistryWrite)]
    # another master wrote meanwhile: our compare-and-set is fenced
    other = reg.apply(h.registry, ("admit", AgentInfo(hostname="x", id="m9-S0")), 0)
    assert other is not None and reg.apply(other, w.op, h.registry.version) is None
    out = h.step(RegistryResult(op_id=w.op_id, ok=False, message="fenced"))
    assert any(isinstance(e, Abdicate) for e in out)
    assert Close(peer=h.streams[fid]) in out
    assert not h.master.is_leader and not h.master.frameworks


def test_lost_election_membership_abdicates_leading_or_not() -> None:
    """Mesos's master exits on "Lost candidacy" whether it led or not: the decision is the
    machine's (MembershipLost -> Abdicate), the shell only exits on Abdicate."""
    h = Harness()
    h.elect()
    fid = h.subscribe()
    out = h.step(MembershipLost(reason="session expired"))
    assert Close(peer=h.streams[fid]) in out and not h.master.is_leader
    assert out[-1] == Abdicate(reason="lost ZooKeeper membership (session expired): "
                                      "committing suicide, as Mesos does")
    standby = Harness()
    assert standby.step(MembershipLost(reason="node deleted")) == [Abdicate(
        reason="lost ZooKeeper membership (node deleted): committing suicide, as Mesos does")]


def _failover_with_agents(n: int) -> tuple[Harness, list[str]]:
    """A new leader (generation 2) whose registry admitted n agents a0..a{n-1}; writes are
    held (the test answers them)."""
    h = Harness()
    h.elect()
    aids = [h.register(f"a{i}") for i in range(n)]
    h2 = Harness(generation=2, registry=h.registry)
    h2.elect()
    h2.auto_registry = False
    return h2, aids


def _reregister(h: Harness, i: int, aid: str) -> list[Any]:
    return h.step(Received(sender=f"a{i}", message=ReregisterAgent(
        agent_info=AgentInfo(hostname=f"a{i}", id=aid, resources=AGENT_RES))))


def test_registrar_batches_operations_queued_while_a_write_is_in_flight() -> None:
    """Mesos's Registrar: one store in flight; operations asked for meanwhile are applied
    together in the next store, and each agent is answered only once the write holding its
    readmission committed; all of a batch's readmissions cost one allocation cycle."""
    from mesotron.core.messages import AgentReregistered

    h, aids = _failover_with_agents(4)
    out = _reregister(h, 0, aids[0])
    (w1,) = [e for e in out if isinstance(e, RegistryWrite)]
    assert w1.op == ("reachable", AgentInfo(hostname="a0", id=aids[0], resources=AGENT_RES))
    for i in (1, 2, 3):
        out = _reregister(h, i, aids[i])
        assert not [e for e in out if isinstance(e, RegistryWrite)]
        assert not events(out, AgentReregistered)
    assert h.master.describe().count("re-registering") == 4
    assert f"registrar: write {w1.op_id} in flight, ops " in h.master.describe()
    out = h.step(RegistryResult(op_id=w1.op_id, ok=True))
    assert [m.agent_id for m in events(out, AgentReregistered)] == [aids[0]]
    (w2,) = [e for e in out if isinstance(e, RegistryWrite)]
    assert w2.op[0] == "batch" and [op[1].id for op in w2.op[1]] == aids[1:]
    new = reg.apply(h.registry, w2.op, h.registry.version)
    assert new is not None and new.version == h.registry.version + 1
    cycles = h.master.allocator.cycle
    out = h.step(RegistryResult(op_id=w2.op_id, ok=True))
    assert [m.agent_id for m in events(out, AgentReregistered)] == aids[1:]
    assert not [e for e in out if isinstance(e, RegistryWrite)]
    assert h.master.allocator.cycle == cycles + 1
    assert sorted(h.master.agents) == sorted(aids)


def test_a_failed_batch_fails_every_operation_in_it() -> None:
    """Fencing stays all-or-nothing: a fenced batch answers none of its agents, and the
    master abdicates (no later result is acted upon)."""
    from mesotron.core.messages import AgentReregistered

    h, aids = _failover_with_agents(3)
    (w1,) = [e for e in _reregister(h, 0, aids[0]) if isinstance(e, RegistryWrite)]
    _reregister(h, 1, aids[1])
    _reregister(h, 2, aids[2])
    out = h.step(RegistryResult(op_id=w1.op_id, ok=True))
    (w2,) = [e for e in out if isinstance(e, RegistryWrite)]
    out = h.step(RegistryResult(op_id=w2.op_id, ok=False, message="fenced"))
    assert not events(out, AgentReregistered)
    (ab,) = [e for e in out if isinstance(e, Abdicate)]
    assert ab.reason == "registry operation batch of 2 (reachable) failed: fenced"
    assert not h.master.is_leader and not h.master.agents
    out = h.step(RegistryResult(op_id=w2.op_id, ok=True))
    assert not events(out, AgentReregistered)


def test_a_result_for_an_operation_that_is_not_the_write_in_flight_changes_nothing() -> None:
    h, aids = _failover_with_agents(3)
    (w1,) = [e for e in _reregister(h, 0, aids[0]) if isinstance(e, RegistryWrite)]
    _reregister(h, 1, aids[1])
    before = h.master.describe()
    for op_id in (w1.op_id + 1, w1.op_id + 7):  # a queued member's id; an unknown id
        out = h.step(RegistryResult(op_id=op_id, ok=True))
        assert [e.event for e in out if hasattr(e, "event")] == ["unexpected_registry_result"]
        assert h.master.describe() == before


def test_allocation_requests_in_one_step_run_one_cycle() -> None:
    """Handlers ask for allocation; the cycle runs once, at the end of the step, so its
    offers follow everything else the step produced."""
    h, _fid, _aid = started()
    cycles = h.master.allocator.cycle
    h.auto_registry = False
    out = h.step(Received(sender="a2", message=RegisterAgent(
        agent_info=AgentInfo(hostname="a2", resources=AGENT_RES))))
    (w,) = [e for e in out if isinstance(e, RegistryWrite)]
    out = h.step(RegistryResult(op_id=w.op_id, ok=True))
    assert h.master.allocator.cycle == cycles + 1
    offers = [i for i, e in enumerate(out) if isinstance(e, Send)
              and type(e.message).__name__ == "EventOffers"]
    assert offers and all(i > j for i in offers for j, e in enumerate(out)
                          if isinstance(e, Send) and type(e.message).__name__ != "EventOffers")


def test_leadership_lost_drops_everything() -> None:
    h, fid, _ = started()
    out = h.step(LeadershipLost())
    assert Close(peer=h.streams[fid]) in out
    assert not h.master.is_leader and not h.master.agents and not h.master.offers
    assert h.call(fid, CallRevive())[0].status == 503
    with pytest.raises(LocalError):
        h.step(LeadershipGained(registry=h.registry))
        h.step(LeadershipGained(registry=h.registry))


def test_agent_reregister_timeout_marks_recovered_agents_unreachable() -> None:
    h, fid, aid = started()
    h2 = Harness(generation=2, registry=h.registry)
    h2.elect()
    assert h2.master.recovered_agents == (aid,)
    out = h2.tick(600.0)
    writes = [e for e in out if isinstance(e, RegistryWrite)]
    assert [w.op[:2] for w in writes] == [("unreachable", aid)]
    assert aid in h2.registry.unreachable_ids() and not h2.master.recovered_agents
    # the framework reconciling a task there now hears TASK_LOST (not partition-aware)
    fid2 = h2.subscribe(fid=fid)
    out = h2.call(fid2, CallReconcile(tasks=(("t1", aid),)))
    (upd,) = events(out, EventUpdate)
    assert upd.status.state is S.TASK_LOST and upd.status.unreachable_time == 600.0


def _gc_registry(n: int, *, gone: bool = False) -> reg.RegistryState:
    """n agents m0-S0..m0-S{n-1} unreachable (or gone); the LOWER the id, the NEWER the entry,
    so that oldest-first differs from id order."""
    entries = tuple((f"m0-S{i}", 1000.0 - 10 * i) for i in range(n))
    return reg.RegistryState(version=7, **{"gone" if gone else "unreachable": entries})


def test_registry_gc_by_count_many_agents_prunes_the_oldest_in_one_write() -> None:
    # PartitionTest.RegistryGcByCountManySlaves: after a failover the unreachable list comes
    # from the registry (sorted by id); the GC still prunes the OLDEST by unreachable time
    cfg = MasterConfig(registry_max_agent_count=3, registry_gc_interval=60.0)
    h = Harness(cfg, generation=2, registry=_gc_registry(10))
    h.now = 1000.0
    out = h.elect()
    assert h.timers[("registry_gc",)] == 1060.0
    assert not [e for e in out if isinstance(e, RegistryWrite)]
    out = h.tick(60.0)
    writes = [e for e in out if isinstance(e, RegistryWrite)]
    assert [w.op for w in writes] == [("prune", tuple(f"m0-S{i}" for i in range(9, 2, -1)))]
    assert h.registry.unreachable_ids() == {"m0-S0", "m0-S1", "m0-S2"}
    assert set(h.master.unreachable_agents) == h.registry.unreachable_ids()
    assert h.master.metrics()["master/slaves_unreachable"] == 3
    assert h.timers[("registry_gc",)] == 1120.0  # re-armed
    assert not [e for e in h.tick(60.0) if isinstance(e, RegistryWrite)]  # nothing left


def test_registry_gc_prunes_the_gone_list_by_count_and_age() -> None:
    # gone entries at 1000, 990, ..., 960; at 1100 max count 4 takes the oldest (960) and
    # max age 115 those older than that (970 and 980: ages 130 and 120)
    cfg = MasterConfig(registry_max_agent_count=4, registry_max_agent_age=115.0,
                       registry_gc_interval=100.0)
    h = Harness(cfg, generation=2, registry=_gc_registry(5, gone=True))
    h.now = 1000.0
    h.elect()
    out = h.tick(100.0)
    writes = [e for e in out if isinstance(e, RegistryWrite)]
    assert [w.op for w in writes] == [("prune", ("m0-S4", "m0-S3", "m0-S2"))]
    assert h.registry.gone_ids() == {"m0-S0", "m0-S1"}
    # a gone agent is still shut down; a pruned one re-registers like an unknown agent
    out = h.step(Received(sender="x1", message=ReregisterAgent(
        agent_info=AgentInfo(hostname="x1", id="m0-S0", resources=AGENT_RES))))
    assert [type(e.message).__name__ for e in out if isinstance(e, Send)] == ["ShutdownAgent"]
    out = h.step(Received(sender="x4", message=ReregisterAgent(
        agent_info=AgentInfo(hostname="x4", id="m0-S4", resources=AGENT_RES))))
    assert ("reachable", "m0-S4") in [(w.op[0], w.op[1].id) for w in out
                                      if isinstance(w, RegistryWrite)]
    assert "m0-S4" in h.master.agents and "m0-S4" in h.registry.admitted_ids()


def test_registry_gc_runs_only_on_the_leader_and_skips_entries_being_pruned() -> None:
    cfg = MasterConfig(registry_max_agent_count=1, registry_gc_interval=10.0)
    h = Harness(cfg, generation=2, registry=_gc_registry(3))
    h.elect()
    h.auto_registry = False
    first = [e for e in h.tick(10.0) if isinstance(e, RegistryWrite)]
    assert [w.op for w in first] == [("prune", ("m0-S2", "m0-S1"))]
    # the prune is still in flight at the next run: those two are not picked again
    assert not [e for e in h.tick(10.0) if isinstance(e, RegistryWrite)]
    assert len(h.master.unreachable_agents) == 3  # nothing forgotten before the commit
    out = h.step(RegistryResult(op_id=first[0].op_id, ok=True))
    assert not [e for e in out if isinstance(e, RegistryWrite)]  # no second prune was queued
    assert list(h.master.unreachable_agents) == ["m0-S0"]
    h.step(LeadershipLost())
    assert h.step(TimerFired(key=("registry_gc",))) == []


def test_unacked_terminal_task_keeps_task_but_frees_resources() -> None:
    h, fid, aid = started()
    h.call(fid, CallAccept(offer_ids=("m1-O0",), operations=(OpLaunch(task_infos=(task("t1", aid),)),),
                           filters=Filters(refuse_seconds=0)))
    h.update("a1", fid, "t1", S.TASK_RUNNING, uuid(1), latest=S.TASK_FINISHED)
    t = h.master.tasks[(fid, "t1")]
    assert t.state is S.TASK_FINISHED and t.status_update_state is S.TASK_RUNNING
    assert dict(h.master.agents[aid].used) == {}
    h.call(fid, CallAcknowledge(agent_id=aid, task_id="t1", uuid=uuid(1)))
    assert (fid, "t1") in h.master.tasks
    h.update("a1", fid, "t1", S.TASK_FINISHED, uuid(2))
    h.call(fid, CallAcknowledge(agent_id=aid, task_id="t1", uuid=uuid(2)))
    assert (fid, "t1") not in h.master.tasks
    assert h.master.frameworks[fid].completed_task_ids == ("t1",)


def test_a_stale_update_after_the_terminal_one_keeps_the_terminal_books() -> None:
    """Sim seed 35 (ReconciliationAgrees): a duplicated RUNNING delivered after FAILED made
    the master book RUNNING as the last update, so the FAILED ack removed nothing and the
    task stayed forever, answering TASK_RUNNING to reconciliation."""
    h, fid, aid = started()
    h.call(fid, CallAccept(offer_ids=("m1-O0",), operations=(OpLaunch(task_infos=(task("t1", aid),)),),
                           filters=Filters(refuse_seconds=0)))
    h.update("a1", fid, "t1", S.TASK_RUNNING, uuid(1))
    h.update("a1", fid, "t1", S.TASK_FAILED, uuid(2))
    out = h.update("a1", fid, "t1", S.TASK_RUNNING, uuid(1))  # the network's late copy
    assert [e.status.state for e in events(out, EventUpdate)] == [S.TASK_RUNNING]  # relayed
    t = h.master.tasks[(fid, "t1")]
    assert t.state is S.TASK_FAILED and t.status_update_state is S.TASK_FAILED
    assert t.status_update_uuid == uuid(2)
    h.call(fid, CallAcknowledge(agent_id=aid, task_id="t1", uuid=uuid(2)))
    assert (fid, "t1") not in h.master.tasks
    assert h.master.frameworks[fid].completed_task_ids == ("t1",)


def test_history_is_bounded() -> None:
    h = Harness(MasterConfig(max_completed_tasks_per_framework=2, max_completed_frameworks=1))
    h.elect()
    fid = h.subscribe()
    aid = h.register("a1", Resources.parse("cpus:8;mem:4096"))
    for i in range(4):
        oid = h.offers_of(fid)[0]
        h.call(fid, CallAccept(offer_ids=(oid,), operations=(OpLaunch(task_infos=(
            task(f"t{i}", aid),)),), filters=Filters(refuse_seconds=0)))
        h.update("a1", fid, f"t{i}", S.TASK_FINISHED, uuid(i))
        h.call(fid, CallAcknowledge(agent_id=aid, task_id=f"t{i}", uuid=uuid(i)))
        h.tick(1.0)
    assert h.master.frameworks[fid].completed_task_ids == ("t2", "t3")
    f2 = h.subscribe("other")
    h.call(fid, CallTeardown())
    h.call(f2, CallTeardown())
    assert list(h.master.completed_frameworks) == [f2]


def test_state_json_and_metrics() -> None:
    h, fid, aid = started()
    h.call(fid, CallAccept(offer_ids=("m1-O0",), operations=(OpLaunch(task_infos=(task("t1", aid),)),)))
    h.update("a1", fid, "t1", S.TASK_RUNNING, uuid(1))
    state = h.master.state_json()
    json.dumps(state)
    assert state["frameworks"][0]["tasks"][0]["state"] == "TASK_RUNNING"
    assert state["slaves"][0]["used_resources"]["cpus"] == 1.0
    assert state["frameworks"][0]["id"] == fid and state["leader"] == "master@127.0.0.1:5050"
    m = h.master.metrics()
    assert m["master/elected"] == 1 and m["master/tasks_running"] == 1
    assert m["master/slaves_active"] == 1 and m["master/frameworks_active"] == 1
    assert m["master/cpus_used"] == 1.0 and m["master/cpus_total"] == 2.0


def test_machine_is_deterministic_and_deep_copyable() -> None:
    def run(h: Harness) -> list[Any]:
        h.elect()
        fid = h.subscribe()
        aid = h.register("a1")
        out = h.call(fid, CallAccept(offer_ids=("m1-O0",), operations=(
            OpLaunch(task_infos=(task("t1", aid),)),)))
        return out + h.tick(10.0)

    a, b = Harness(), Harness()
    assert run(a) == run(b)
    assert a.master.describe() == b.master.describe()
    clone = copy.deepcopy(a.master)
    assert clone.describe() == a.master.describe()
    clone.step(a.now, Disconnected(peer="a1"))
    assert clone.describe() != a.master.describe()


def test_messages_from_unknown_agents_are_dropped_or_rejected() -> None:
    h, fid, aid = started()
    before = h.master.describe()
    out = h.update("stranger", fid, "t1", S.TASK_RUNNING, uuid(1))
    assert h.master.describe() == before and not [e for e in out if isinstance(e, Send)]
    out = h.step(Received(sender="a1", message="garbage"))
    assert isinstance(out[0], Reject) and h.master.describe() == before
    out = h.step(Received(sender="a1", message=ReregisterAgent(agent_info=AgentInfo(hostname="h"))))
    assert isinstance(out[0], Reject) and h.master.describe() == before
    out = h.step(Received(sender="a1", message=ExitedExecutor(
        agent_id=aid, framework_id=fid, executor_id="nope", status=1)))
    assert h.master.describe() == before


# ------------------------------------------------------------------ bad input leaves no trace
def _full_state(m: Master) -> str:
    return "\n".join([m.describe(), m.allocator.describe(), repr(m.ids),
                      repr(sorted(m.counters.items()))])


names = st.sampled_from(["m1-0000", "m1-0001", "m1-9999", "", "x"])
agents = st.sampled_from(["m1-S0", "m1-S1", "m1-S7"])
offer_ids = st.lists(st.sampled_from(["m1-O0", "m1-O1", "m1-O5", "bogus"]), max_size=3).map(tuple)
tids = st.sampled_from(["t1", "t2", "t9"])
tasks_ = st.builds(task, tids, agents, st.sampled_from([TASK_RES, Resources(),
                                                       Resources.parse("cpus:99")]))
calls = st.one_of(
    st.builds(CallSubscribe, framework_info=st.builds(
        FrameworkInfo, user=st.just("u"), name=st.just("n"), id=st.none() | names,
        roles=st.sampled_from([("*",), ("a", "a"), ("",), ("r",)]))),
    st.builds(CallTeardown),
    st.builds(CallAccept, offer_ids=offer_ids, operations=st.lists(
        st.builds(OpLaunch, task_infos=st.lists(tasks_, max_size=2).map(tuple)),
        max_size=2).map(tuple)),
    st.builds(CallDecline, offer_ids=offer_ids),
    st.builds(CallRevive), st.builds(CallSuppress),
    st.builds(CallKill, task_id=tids, agent_id=st.none() | agents),
    st.builds(CallShutdown, executor_id=st.just("e"), agent_id=agents),
    st.builds(CallAcknowledge, agent_id=agents, task_id=tids,
              uuid=st.binary(min_size=0, max_size=20)),
    st.builds(CallReconcile, tasks=st.lists(st.tuples(tids, st.none() | agents),
                                            max_size=2).map(tuple)),
    st.builds(CallMessage, agent_id=agents, executor_id=st.just("e"), data=st.just(b"x")),
    st.just("not a call"), st.none(),
    # ill-typed fields a broken codec or a fuzzer could produce
    st.sampled_from([
        CallAccept(offer_ids=(1,)), CallAccept(offer_ids=("m1-O0",), operations=("x",)),
        CallAccept(offer_ids=["m1-O0"]), CallDecline(offer_ids=(None,)),  # type: ignore[arg-type]
        CallReconcile(tasks=("t1",)), CallReconcile(tasks=(("t1", 3),)),  # type: ignore[arg-type]
        CallKill(task_id=""), CallKill(task_id=None),  # type: ignore[arg-type]
        CallRevive(roles="*"), CallMessage(agent_id="m1-S0", executor_id="e", data="s"),  # type: ignore[arg-type]
        CallSubscribe(framework_info=FrameworkInfo(user="u", name="n"), suppressed_roles=None),  # type: ignore[arg-type]
        CallSubscribe(framework_info="fw"),  # type: ignore[arg-type]
    ]),
)
bad_inputs = st.one_of(
    st.builds(SchedulerCall, request=st.just("rq"),
              stream_id=st.none() | st.sampled_from(["s-bad", "stream0"]),
              framework_id=st.none() | names, call=calls),
    st.builds(Received, sender=st.sampled_from(["a1", "a9"]), message=st.one_of(
        st.just("junk"), st.builds(Pong),
        st.builds(ReregisterAgent, agent_info=st.builds(AgentInfo, hostname=st.just("h"))),
        st.builds(ExitedExecutor, agent_id=agents, framework_id=names,
                  executor_id=st.just("e"), status=st.just(1)),
        st.builds(StatusUpdateMessage, update=st.builds(
            StatusUpdate, framework_id=names, uuid=st.binary(min_size=0, max_size=17),
            status=st.builds(TaskStatus, task_id=tids, state=st.sampled_from(list(S))))),
        st.sampled_from([
            RegisterAgent(agent_info=None), StatusUpdateMessage(update="u"),  # type: ignore[arg-type]
            ReregisterAgent(agent_info=AgentInfo(hostname="h", id="m1-S0"), tasks=("t",)),  # type: ignore[arg-type]
            ReregisterAgent(agent_info=AgentInfo(hostname="h", id="m1-S0",
                                                 resources=TASK_RES.allocate("r"))),
            ExitedExecutor(agent_id="", framework_id="f", executor_id="e", status=1),
        ]))),
)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow], deadline=None)
@given(st.lists(bad_inputs, min_size=1, max_size=8), st.booleans())
def test_rejections_leave_state_unchanged(inputs: list[Any], with_stream: bool) -> None:
    """Whatever a peer sends, a 4xx answer or a Reject means nothing changed."""
    h = Harness()
    h.elect()
    fid = h.subscribe()
    aid = h.register("a1")
    h.call(fid, CallAccept(offer_ids=("m1-O0",), operations=(OpLaunch(task_infos=(
        task("t1", aid),)),), filters=Filters(refuse_seconds=0)))
    h.tick(1.0)
    for inp in inputs:
        if with_stream and isinstance(inp, SchedulerCall) and inp.stream_id == "stream0":
            inp = attrs.evolve(inp, stream_id=h.streams[fid])
        before = _full_state(h.master)
        out = h.master.step(h.now, inp)
        note(f"{inp!r} -> {out!r}")
        rejected = any(isinstance(e, Reject) or (isinstance(e, Respond) and 400 <= e.status < 500)
                       for e in out)
        if rejected:
            assert _full_state(h.master) == before
        if isinstance(inp, SchedulerCall):
            assert sum(isinstance(e, Respond) for e in out) == 1 and isinstance(out[0], Respond)


# ------------------------------------------------------------------ the state machine
EXECUTOR_NEXT = {
    S.TASK_STAGING: [S.TASK_STARTING, S.TASK_RUNNING, S.TASK_FAILED],
    S.TASK_STARTING: [S.TASK_RUNNING, S.TASK_FAILED],
    S.TASK_RUNNING: [S.TASK_RUNNING, S.TASK_FINISHED, S.TASK_FAILED, S.TASK_KILLED],
}


class MasterMachine(RuleBasedStateMachine):
    """Schedulers, agents, timers and master failovers against the master; the catalog's
    safety properties and the master's internal consistency after every rule."""

    frameworks = Bundle("frameworks")
    agent_pids = Bundle("agent_pids")

    def __init__(self) -> None:
        super().__init__()
        self.h = Harness(MasterConfig(offer_timeout=30.0, agent_ping_timeout=10.0,
                                      max_agent_ping_timeouts=3, allocation_interval=5.0,
                                      registry_gc_interval=20.0, registry_max_agent_count=1,
                                      registry_max_agent_age=15.0))
        self.h.auto_pong = True
        self.h.elect()
        self.launches: dict[tuple[str, str], list[str]] = {}
        self.transitions: dict[tuple[str, str], list[tuple[S, str]]] = {}
        self.seen_state: dict[tuple[str, str], S] = {}
        self.producer = "master"
        self.next_task = 0
        self.next_uuid = 0
        self.pending_updates: dict[tuple[str, str], list[tuple[bytes, S]]] = {}
        self.agent_tasks: dict[str, dict[tuple[str, str], S]] = {}  # pid -> what it runs
        self.agent_ids: dict[str, str] = {}  # pid -> agent id it registered as
        self.task_infos: dict[tuple[str, str], TaskInfo] = {}  # as launched

    @initialize(target=frameworks, aware=st.booleans())
    def init_framework(self, aware: bool) -> str:
        return self.subscribe(aware)

    @initialize(target=agent_pids)
    def init_agents(self) -> Any:
        return multiple(self.register_agent(1), self.register_agent(2))

    # -- plumbing
    def _after(self, out: list[Any]) -> None:
        for e in out:
            if not isinstance(e, Send):
                continue
            msg: Any = e.message
            name = type(msg).__name__
            if name == "AgentRegistered" and self.agent_ids.get(e.to) != msg.agent_id:
                self.agent_ids[e.to] = msg.agent_id  # a fresh agent at this pid
                self.agent_tasks[e.to] = {}
            elif name == "StatusUpdateAcknowledgement":
                queue = self.pending_updates.get((msg.framework_id, msg.task_id), [])
                if queue and queue[0][0] == msg.uuid:
                    queue.pop(0)
            elif name == "ShutdownFramework":
                for key in [k for k in self.agent_tasks.get(e.to, {}) if k[0] == msg.framework_id]:
                    del self.agent_tasks[e.to][key]
            if isinstance(e.message, (RunTask, RunTaskGroup)):
                msg = e.message
                ts = (msg.task,) if isinstance(msg, RunTask) else msg.tasks
                for t in ts:
                    key = (msg.framework_info.id or "", t.task_id)
                    self.launches.setdefault(key, []).append(e.to)
                    self.agent_tasks.setdefault(e.to, {})[key] = S.TASK_STAGING
                    self.task_infos[key] = t
        gen = self.h.generation  # each master generation books a task from scratch
        for key, view in {**self.h.master.tasks, **self.h.master.unreachable_tasks}.items():
            if self.seen_state.get(key) is not view.state:
                tkey = (key[0], f"{key[1]}@m{gen}")
                self.transitions.setdefault(tkey, []).append((view.state, self.producer))
                self.seen_state[key] = view.state
        self.producer = "master"

    def _fw_ids(self) -> list[str]:
        return sorted(self.h.master.frameworks)

    # -- schedulers
    @rule(target=frameworks, aware=st.booleans())
    def subscribe(self, aware: bool) -> str:
        caps = frozenset({Capability.PARTITION_AWARE}) if aware else frozenset()
        fid = self.h.subscribe(capabilities=caps, failover_timeout=20.0)
        self._after([])
        return fid

    @rule(fid=frameworks)
    def resubscribe(self, fid: str) -> None:
        fw = self.h.master.frameworks.get(fid)
        info = fw.info if fw is not None else FrameworkInfo(user="u", name="fw", id=fid)
        self._after(self.h.call(fid, CallSubscribe(framework_info=info), stream=None))

    @rule(fid=frameworks)
    def disconnect_framework(self, fid: str) -> None:
        stream = self.h.streams.get(fid)
        if stream is not None:
            self._after(self.h.step(Disconnected(peer=stream)))

    @precondition(lambda self: self.h.master.offers)
    @rule(data=st.data())
    def accept(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(sorted(self.h.master.offers)))
        offer = self.h.master.offers[oid]
        fid = offer.framework_id
        n = data.draw(st.integers(1, 2))
        infos = []
        live = sorted(t for f, t in self.h.master.tasks if f == fid)
        for _ in range(n):
            if live and data.draw(st.booleans()):
                tid = data.draw(st.sampled_from(live))  # a duplicate: must be TASK_ERROR
            else:
                tid = f"t{self.next_task}"
                self.next_task += 1
            res = data.draw(st.sampled_from([TASK_RES, Resources.parse("cpus:0.5;mem:64"),
                                             Resources.parse("cpus:3;mem:64")]))
            infos.append(task(tid, offer.agent_id, res))
        refuse = data.draw(st.sampled_from([0.0, 5.0]))
        self._after(self.h.call(fid, CallAccept(offer_ids=(oid,), operations=(
            OpLaunch(task_infos=tuple(infos)),), filters=Filters(refuse_seconds=refuse))))

    @precondition(lambda self: self.h.master.offers)
    @rule(data=st.data())
    def decline(self, data: st.DataObject) -> None:
        oid = data.draw(st.sampled_from(sorted(self.h.master.offers)))
        fid = self.h.master.offers[oid].framework_id
        self._after(self.h.call(fid, CallDecline(offer_ids=(oid,),
                                                 filters=Filters(refuse_seconds=1.0))))

    @rule(fid=frameworks, tid=st.integers(0, 6))
    def kill(self, fid: str, tid: int) -> None:
        if fid in self.h.master.frameworks and self.h.master.frameworks[fid].connected:
            self._after(self.h.call(fid, CallKill(task_id=f"t{tid}")))

    @rule(fid=frameworks)
    def reconcile(self, fid: str) -> None:
        if fid in self.h.master.frameworks and self.h.master.frameworks[fid].connected:
            self._after(self.h.call(fid, CallReconcile()))

    @rule(fid=frameworks)
    def teardown_framework(self, fid: str) -> None:
        if fid in self.h.master.frameworks and self.h.master.frameworks[fid].connected:
            self._after(self.h.call(fid, CallTeardown()))

    def _unacked(self) -> list[Any]:
        fws = self.h.master.frameworks
        return [t for (f, _), t in self.h.master.tasks.items()
                if t.status_update_uuid is not None and fws[f].connected]

    @precondition(lambda self: self._unacked())
    @rule(data=st.data())
    def acknowledge(self, data: st.DataObject) -> None:
        t = data.draw(st.sampled_from(self._unacked()))
        fid = t.framework_id
        self._after(self.h.call(fid, CallAcknowledge(agent_id=t.agent_id, task_id=t.task_id,
                                                     uuid=t.status_update_uuid or b"")))

    # -- agents
    @rule(target=agent_pids, n=st.integers(0, 99))
    def register_agent(self, n: int) -> str:
        pid = f"a{n}"
        self._after(self.h.step(Received(sender=pid, message=RegisterAgent(
            agent_info=AgentInfo(hostname=pid, resources=AGENT_RES)))))
        return pid

    def _live_agent_tasks(self) -> list[tuple[str, tuple[str, str], S]]:
        return [(pid, k, s) for pid, ts in sorted(self.agent_tasks.items())
                for k, s in sorted(ts.items()) if s in EXECUTOR_NEXT]

    def _send_update(self, pid: str, key: tuple[str, str], new: S) -> None:
        self.agent_tasks[pid][key] = new
        self.next_uuid += 1
        # the agent forwards its oldest unacked update, with its latest state
        queue = self.pending_updates.setdefault(key, [])
        queue.append((uuid(self.next_uuid), new))
        fwd_uuid, fwd_state = queue[0]
        self.producer = "executor"
        self._after(self.h.update(pid, key[0], key[1], fwd_state, fwd_uuid, latest=new))

    @precondition(lambda self: self._live_agent_tasks())
    @rule(data=st.data())
    def agent_update(self, data: st.DataObject) -> None:
        pid, key, state = data.draw(st.sampled_from(self._live_agent_tasks()))
        self._send_update(pid, key, data.draw(st.sampled_from(EXECUTOR_NEXT[state])))

    @precondition(lambda self: self._live_agent_tasks())
    @rule(data=st.data())
    def agents_progress(self, data: st.DataObject) -> None:
        """Every live task moves on (one update each)."""
        for pid, key, state in self._live_agent_tasks():
            self._send_update(pid, key, data.draw(st.sampled_from(EXECUTOR_NEXT[state])))

    @precondition(lambda self: self._unacked())
    @rule()
    def acknowledge_all(self) -> None:
        for t in self._unacked():
            if t.framework_id in self.h.master.frameworks:
                self._after(self.h.call(t.framework_id, CallAcknowledge(
                    agent_id=t.agent_id, task_id=t.task_id, uuid=t.status_update_uuid or b"")))

    @rule(pid=agent_pids)
    def pong(self, pid: str) -> None:
        self._after(self.h.step(Received(sender=pid, message=Pong())))

    @rule(pid=agent_pids)
    def partition_agent(self, pid: str) -> None:
        """The agent stops answering pings (or starts again)."""
        self.h.silent ^= {pid}

    @rule(pid=agent_pids)
    def disconnect_agent(self, pid: str) -> None:
        self._after(self.h.step(Disconnected(peer=pid)))

    @rule(pid=agent_pids, drop_one=st.booleans())
    def reregister_agent(self, pid: str, drop_one: bool) -> None:
        aid = self.agent_ids.get(pid)
        assume(aid is not None)
        records = []
        for (fid, tid), state in sorted(self.agent_tasks.get(pid, {}).items()):
            if drop_one:
                drop_one = False  # the agent never got this task (RunTask was lost)
                del self.agent_tasks[pid][(fid, tid)]
                continue
            records.append(TaskRecord(framework_id=fid, task=self.task_infos[(fid, tid)],
                                      state=state, executor_id=""))
        self._after(self.h.step(Received(sender=pid, message=ReregisterAgent(
            agent_info=AgentInfo(hostname=pid, id=aid, resources=AGENT_RES),
            tasks=tuple(records),
            frameworks=tuple(FrameworkInfo(user="u", name="fw", id=f)
                             for f in sorted({r.framework_id for r in records}))))))

    # -- time and failover
    @rule(seconds=st.sampled_from([0.5, 1.0, 5.0, 12.0, 40.0]))
    def tick(self, seconds: float) -> None:
        self._after(self.h.tick(seconds))

    @precondition(lambda self: self.h.generation < 3)
    @rule()
    def master_failover(self) -> None:
        old = self.h
        self.h = Harness(old.config, generation=old.generation + 1, registry=old.registry)
        self.h.now = old.now
        self.h.auto_pong, self.h.silent = True, old.silent
        self.h.elect()
        self.seen_state.clear()
        self._after([])

    # -- invariants
    @invariant()
    def catalog_holds(self) -> None:
        snap = inv.ClusterSnapshot(
            agents=self.h.master.agent_ledgers(),
            launches={k: tuple(v) for k, v in self.launches.items()},
            transitions={k: tuple(v) for k, v in self.transitions.items()},
        )
        for name in ("NoOvercommit", "OfferExclusive", "SingleLaunch", "LegalTaskTransitions"):
            assert inv.SAFETY[name](snap) == [], (name, inv.SAFETY[name](snap))

    @invariant()
    def books_are_consistent(self) -> None:
        m = self.h.master
        alloc = m.allocator
        for aid, a in m.agents.items():
            # the master's books and the allocator's agree: available + offered + used == total
            offered = Resources()
            for _oid, _fw, r in a.offered:
                offered = offered + r.unallocate()
            used = Resources()
            for _fw, r in a.used:
                used = used + r.unallocate()
            assert alloc.available(aid) + offered + used == a.total.unallocate(), aid
        for oid, o in m.offers.items():
            assert oid in m.frameworks[o.framework_id].offer_ids
            assert o.agent_id in m.agents
        for (fid, tid), t in m.tasks.items():
            assert t.agent_id in m.agents and (fid, tid) in m.agents[t.agent_id].task_keys
        # every write has committed by now (auto_registry): the master's unreachable list is
        # the registry's, and no unreachable task is on an agent it has forgotten (registry GC)
        assert set(m.unreachable_agents) == self.h.registry.unreachable_ids()
        for t in m.unreachable_tasks.values():
            assert (t.agent_id in m.unreachable_agents or t.agent_id in m.agents
                    or t.agent_id in m.recovered_agents), t


MasterMachine.TestCase.settings = settings(
    max_examples=200, stateful_step_count=50, deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
TestMasterMachine = MasterMachine.TestCase


def test_reelected_master_never_reuses_ids() -> None:
    h, _, aid = started()
    h.step(LeadershipLost())
    h.elect()
    assert h.master.recovered_agents == (aid,)
    assert h.subscribe() == "m1-0001"
    assert h.register("a2") == "m1-S1"


def test_reregistering_agent_cannot_report_more_than_it_has() -> None:
    h, fid, aid = started()
    before = _full_state(h.master)
    big = TaskRecord(framework_id=fid, task=task("t1", aid, Resources.parse("cpus:3")),
                     state=S.TASK_RUNNING, executor_id="")
    out = h.step(Received(sender="a1", message=ReregisterAgent(
        agent_info=AgentInfo(hostname="a1", id=aid, resources=AGENT_RES), tasks=(big,))))
    assert isinstance(out[0], Reject) and "more than its resources" in out[0].message
    assert _full_state(h.master) == before


def test_failover_agent_reregisters_first_then_the_framework_state() -> None:
    """MasterTest.FailoverAgentReregisterFirst: after a master failover the agent running the
    framework's task re-registers first. /state lists the framework (recovered, inactive,
    disconnected, registered_time 0, no reregistered_time, nothing unregistered or
    completed); once the scheduler re-subscribes it is active, connected, not recovered, its
    registered_time is that moment and reregistered_time is again absent (equal)."""
    from mesotron.core.testing.scn_master import Driver

    d = Driver()

    def run(line: str) -> list[str]:
        cmd, *rest = line.split()
        args = [a for a in rest if "=" not in a]
        kw = dict(a.split("=", 1) for a in rest if "=" in a)
        return d.run(cmd, args, kw)

    run("elect")
    run("register a1")
    run("subscribe fw1 failover_timeout=3600")
    run("accept fw1 O0 task=t1")
    assert run("update a1 m1-0000 t1 RUNNING u1") == ["fw1 <- UPDATE t1 TASK_RUNNING EXECUTOR uuid=u1"]
    run("ack fw1 m1-S0 t1 u1")
    run("failover")
    run("tick 5")
    assert "a1 <- AgentReregistered m1-S0" in run("reregister a1 id=m1-S0 tasks=m1-0000/t1/RUNNING")

    state = d.master.state_json()
    [fw] = state["frameworks"]
    assert fw["id"] == "m1-0000"
    assert (fw["active"], fw["connected"], fw["recovered"]) == (False, False, True)
    assert fw["registered_time"] == 0 and fw["unregistered_time"] == 0
    assert "reregistered_time" not in fw
    assert [t["id"] for t in fw["tasks"]] == ["t1"]
    assert state["unregistered_frameworks"] == [] and state["completed_frameworks"] == []

    run("tick 7")  # the scheduler comes back at t=12
    assert run("subscribe fw1 id=m1-0000 failover_timeout=3600")[:2] == [
        "-> 200 stream=fw1", "fw1 <- SUBSCRIBED m1-0000"]
    state = d.master.state_json()
    [fw] = state["frameworks"]
    assert (fw["active"], fw["connected"], fw["recovered"]) == (True, True, False)
    assert fw["registered_time"] == 12.0 and fw["unregistered_time"] == 0
    assert "reregistered_time" not in fw
    assert state["unregistered_frameworks"] == [] and state["completed_frameworks"] == []


def test_reregistration_reports_executor_ids_of_custom_executor_tasks_only() -> None:
    """MasterSlaveReconciliationTest.SlaveReregisterTaskExecutorIds (MESOS-8135): a
    re-registering agent reports the executor id of a task run by a non-command executor
    (here a DEFAULT executor's task group) but not the command executor's; the master's
    /state then shows executor_id "" for the command task and the executor's id for the
    other."""
    from mesotron.core.testing import scn_agent, scn_master

    def run(d: Any, line: str) -> list[str]:
        cmd, *rest = line.split()
        return d.run(cmd, [a for a in rest if "=" not in a],
                     dict(a.split("=", 1) for a in rest if "=" in a))

    agent = scn_agent.Driver()
    for line in ("start", "detect", "registered", "run task=t1",
                 "run task=t2 executor=e1 group=t3"):
        run(agent, line)
    assert agent.agent is not None
    msg = agent.agent.reregistration_message()
    assert {r.task.task_id: r.executor_id for r in msg.tasks} == {"t1": "", "t2": "e1", "t3": "e1"}

    master = scn_master.Driver()
    run(master, "elect")
    out = master._step(Received(sender="a1", message=msg))
    assert "a1 <- AgentReregistered S1" in out, out
    [fw] = master.master.state_json()["frameworks"]
    assert {t["id"]: t["executor_id"] for t in fw["tasks"]} == {"t1": "", "t2": "e1", "t3": "e1"}
