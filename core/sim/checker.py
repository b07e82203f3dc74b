"""The simulator's checker: observes the world, keeps the history the invariant catalog
needs, and evaluates the catalog incrementally.

Every property is evaluated with the SAME functions as everywhere else
(core/invariants.py), on a `ClusterSnapshot` restricted to what the event could have
changed (the tasks, agents and commits it touched): an event that only moved a heartbeat
re-checks nothing; an update the agent accepted re-checks that task's stream. The full
snapshot (`snapshot()`) is built at quiescence and for reports.

What is observed, and where:
- produced: an update counts as accepted by the agent once the Persist of its record is
  durable (the world syncs before carrying out the next effect) or once the agent sends the
  executor its acknowledgement, whichever comes first;
- pending: the uuids the agent still holds: its status-update manager in memory, or the
  update log on its disk while it is down;
- seen / acked: what each scheduler driver received and acknowledged;
- transitions: the states of each task's stream in order, with their producer;
- launches: task processes the executors started;
- registry commits (with whether the writer held the latest fence), recovery kills,
  allocation decisions (the allocator's explain mode), the master's ledger per agent.
"""

from __future__ import annotations

import itertools
from typing import Any

from mesotron.core import invariants as inv
from mesotron.core.effects import Log, Persist, Received, Send
from mesotron.core.invariants import AgentLedger, ClusterSnapshot
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    CallAcknowledge,
    CallSubscribe,
    EventOffers,
    EventSubscribed,
    EventUpdate,
    ExecutorSubscribe,
    ExecutorUpdate,
    RunTask,
    RunTaskGroup,
    ShutdownAgent,
    ShutdownFramework,
    StatusUpdateMessage,
)
from mesotron.core.resources import Resources
from mesotron.core.status_updates import AckRecord, UpdateRecord
from mesotron.core.values import Source, TaskState

PRODUCER = {Source.SOURCE_EXECUTOR: "executor", Source.SOURCE_AGENT: "agent",
            Source.SOURCE_MASTER: "master", None: "agent"}
STAGING = TaskState.TASK_STAGING


class Violation(Exception):
    def __init__(self, name: str, message: str, time: float, event: int) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message
        self.time = time
        self.event = event


class Checker:
    """Observer of a World (see world.py for the hooks). Raises `Violation` at the first
    violated property when `fail_fast`, else collects them."""

    def __init__(self, *, fail_fast: bool = True, drf: bool = True) -> None:
        self.fail_fast = fail_fast
        self.drf = drf
        self.dirty = False
        self.checks = 0
        self.violations: list[Violation] = []
        self.produced: dict[tuple[str, str], list[tuple[bytes, TaskState]]] = {}
        self.produced_set: dict[tuple[str, str], set[bytes]] = {}
        self.seen: dict[tuple[str, str], list[tuple[bytes, TaskState]]] = {}
        self.acked: dict[tuple[str, str], set[bytes]] = {}
        self.unacked: dict[tuple[str, str], set[bytes]] = {}
        self.abandoned: set[tuple[str, str]] = set()
        self.transitions: dict[tuple[str, str], list[tuple[TaskState, str]]] = {}
        self.launches: dict[tuple[str, str], list[str]] = {}
        self.registry_commits: list[tuple[str, bool]] = []
        self.recovery_kills: list[tuple[str, str, bool]] = []
        self.decisions = 0
        self.key_agent: dict[tuple[str, str], str] = {}  # task -> agent node holding it
        self.agent_keys: dict[str, set[tuple[str, str]]] = {}
        self.unsynced: dict[str, list[tuple[tuple[str, str], bytes, TaskState, str]]] = {}
        self.volatile: set[tuple[tuple[str, str], bytes]] = set()
        self.produced_at: dict[bytes, float] = {}
        self.exec_updates: dict[bytes, tuple[tuple[str, str], TaskState]] = {}
        self.superseded: set[bytes] = set()
        self.launched_tasks = 0
        self.finished_tasks = 0
        self.lost_tasks = 0
        self.terminal_seen: dict[tuple[str, str], TaskState] = {}
        # scheduler drivers (inv.DRIVER): updates handed to applications, per driver
        # incarnation the streams that delivered SUBSCRIBED and the framework ids it used
        self.delivered: set[tuple[str, str, bytes]] = set()
        self.subscribed_streams: dict[str, set[str]] = {}
        self.framework_ids: dict[str, list[tuple[str, str | None]]] = {}
        self._ledger_agents: set[str] = set()
        self._keys_to_check: set[tuple[str, str]] = set()
        self.world: Any = None

    # ================================================================== reporting
    def fail(self, world: Any, messages: list[str]) -> None:
        for m in messages:
            name = m.split(":", 1)[0]
            v = Violation(name, m.split(":", 1)[1].strip(), world.now, world.events)
            self.violations.append(v)
            if self.fail_fast:
                raise v

    def run(self, world: Any, fn: Any, snap: ClusterSnapshot) -> None:
        self.checks += 1
        out = fn(snap)
        if out:
            self.fail(world, out)

    # ================================================================== hooks
    def on_master_start(self, world: Any, n: Any) -> None:
        pass

    def on_agent_start(self, world: Any, n: Any, rec: Any) -> None:
        if n.mode == "cleanup":
            # cleanup mode: executors are killed and the agent starts afresh; its
            # unacknowledged updates go with it (Mesos --recover=cleanup)
            self.abandoned.update(self.agent_keys.get(n.name, ()))
        self.dirty = True
        self._keys_to_check.update(self.agent_keys.get(n.name, ()))

    def on_agent_crash(self, world: Any, n: Any, stopped: bool) -> None:
        # unsynced records that survived the crash are durable now: they were accepted
        logs = n.disk.logs
        for key, uuid, state, producer in self.unsynced.pop(n.name, []):
            log = logs.get(("updates", key[0], key[1]), ())
            if any(type(r) is UpdateRecord and r.update.uuid == uuid for r in log):
                self.produce(world, n, key, uuid, state, producer)
        if stopped:
            self.abandoned.update(self.agent_keys.get(n.name, ()))
        for key in self.agent_keys.get(n.name, ()):
            if any((key, u) in self.volatile for u in self.unacked.get(key, ())):
                self.abandoned.add(key)  # never checkpointed: Mesos may lose it
        self._keys_to_check.update(self.agent_keys.get(n.name, ()))
        self.dirty = True

    def on_persist(self, world: Any, n: Any, e: Any) -> None:
        rec = e.record
        if e.append and type(rec) is UpdateRecord:
            u = rec.update
            key = (u.framework_id, u.status.task_id)
            if u.uuid not in self.produced_set.get(key, ()):
                self.unsynced.setdefault(n.name, []).append(
                    (key, u.uuid, u.status.state, PRODUCER.get(u.status.source, "agent")))

    def on_sync(self, world: Any, n: Any) -> None:
        pend = self.unsynced.pop(n.name, None)
        if pend:
            for key, uuid, state, producer in pend:
                self.produce(world, n, key, uuid, state, producer)

    def on_superseded(self, uuid: bytes) -> None:
        """The agent refused an executor's update because it had ended the task itself (a
        container limitation): acknowledged only so that it is not resent, never accepted."""
        self.superseded.add(uuid)

    def on_executor_ack(self, world: Any, n: Any, x: Any, msg: Any) -> None:
        if msg.uuid in self.superseded:
            return
        key = (x.framework_id, msg.task_id)
        if msg.uuid in self.produced_set.get(key, ()):
            return
        known = self.exec_updates.get(msg.uuid)
        if known is not None:
            self.produce(world, n, key, msg.uuid, known[1], "executor")

    def on_task_start(self, world: Any, x: Any, task_id: str) -> None:
        key = (x.framework_id, task_id)
        agents = self.launches.setdefault(key, [])
        agents.append(x.agent.name)
        self.launched_tasks += 1
        if len(agents) > 1:
            self.run(world, inv.SingleLaunch,
                     ClusterSnapshot(launches={key: tuple(agents)}))

    def on_registry_commit(self, writer: str, was_leader: bool) -> None:
        self.registry_commits.append((writer, was_leader))
        if not was_leader:
            self.run(self.world, inv.OneLeaderWrites,
                     ClusterSnapshot(registry_commits=((writer, was_leader),)))

    def on_recovery_kill(self, world: Any, n: Any, cid: str, alive: bool) -> None:
        self.recovery_kills.append((n.name, cid, alive))
        self.run(world, inv.RecoveryKeepsTasks,
                 ClusterSnapshot(recovery_kills=((n.name, cid, alive),)))

    def on_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        kind = node.kind
        if kind == "master":
            self.on_master_step(world, node, inp, effects)
        elif kind == "agent":
            self.on_agent_step(world, node, inp, effects)

    def on_agent_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        persisted: set[bytes] | None = None
        for e in effects:
            t = type(e)
            if t is Persist:
                if type(e.record) is UpdateRecord:
                    if persisted is None:
                        persisted = set()
                    persisted.add(e.record.update.uuid)
            elif t is Send and type(e.message) is StatusUpdateMessage:
                u = e.message.update
                key = (u.framework_id, u.status.task_id)
                if (persisted is None or u.uuid not in persisted) \
                        and u.uuid not in self.produced_set.get(key, ()) \
                        and not any(x[1] == u.uuid for x in self.unsynced.get(node.name, ())):
                    # accepted into a stream without a checkpoint (a framework or task the
                    # agent does not checkpoint): held in memory only
                    self.volatile.add((key, u.uuid))
                    self.produce(world, node, key, u.uuid, u.status.state,
                                 PRODUCER.get(u.status.source, "agent"))
        if type(inp) is not Received:
            return
        msg = inp.message
        t = type(msg)
        if t is ExecutorUpdate:
            st = msg.status
            if st.uuid is not None:
                self.exec_updates[st.uuid] = ((msg.framework_id, st.task_id), st.state)
        elif t is ExecutorSubscribe:
            x = world.executor_by_name(inp.sender)
            if x is not None:
                node.resubscribed.add(x.container)
        elif t is AgentRegistered or t is AgentReregistered:
            node.recovering = False
        elif t is ShutdownFramework:
            fw = msg.framework_id
            self.abandoned.update(k for k in self.agent_keys.get(node.name, ())
                                  if k[0] == fw)
        elif t is ShutdownAgent:
            self.abandoned.update(self.agent_keys.get(node.name, ()))
        else:
            name = t.__name__
            if name == "StatusUpdateAcknowledgement":
                key = (msg.framework_id, msg.task_id)
                self._keys_to_check.add(key)
                self.dirty = True

    def on_master_step(self, world: Any, node: Any, inp: Any, effects: list[Any]) -> None:
        agents: set[str] | None = None
        for e in effects:
            if type(e) is Log and e.event == "agent_removed":
                # a removed agent has nothing to offer: its ledger must be empty
                if agents is None:
                    agents = set()
                agents.add(dict(e.fields).get("agent_id", ""))
            elif type(e) is Send:
                m = e.message
                t = type(m)
                if t is EventOffers:
                    if agents is None:
                        agents = set()
                    for o in m.offers:
                        agents.add(o.agent_id)
                elif t is RunTask or t is RunTaskGroup:
                    if agents is None:
                        agents = set()
                    aid = m.task.agent_id if t is RunTask else m.tasks[0].agent_id
                    agents.add(aid)
        if agents:
            self._ledger_agents.update(agents)
            self.dirty = True
            if self.drf:
                decisions = getattr(node.machine.allocator, "last_cycle_decisions", None)
                if decisions:
                    self.decisions += len(decisions)
                    self.run(world, inv.DrfOrder, ClusterSnapshot(allocations=tuple(decisions)))
                    node.machine.allocator.last_cycle_decisions = []

    def on_scheduler_input(self, world: Any, s: Any, inp: Any) -> None:
        pass

    def on_app_event(self, world: Any, s: Any, ev: Any) -> None:
        if type(ev) is EventSubscribed:
            d = s.machine
            self.subscribed_streams.setdefault(d.name, set()).add(d.stream_id)
            self._driver_id(world, d.name, "subscribed", ev.framework_id)
        if type(ev) is not EventUpdate:
            return
        st = ev.status
        if st.uuid is not None:
            self.delivered.add((s.machine.framework_id, st.task_id, st.uuid))
        fw = s.app.framework_id or s.machine.framework_id
        key = (fw, st.task_id)
        if st.state.is_terminal and key not in self.terminal_seen:
            self.terminal_seen[key] = st.state
            if st.state is TaskState.TASK_FINISHED:
                self.finished_tasks += 1
            elif st.state in (TaskState.TASK_LOST, TaskState.TASK_GONE,
                              TaskState.TASK_DROPPED):
                self.lost_tasks += 1
        if st.uuid is None:
            return
        seen = self.seen.setdefault(key, [])
        seen.append((st.uuid, st.state))
        self.run(world, inv.UpdatesInOrder, ClusterSnapshot(
            seen={key: tuple(seen)}, produced={key: tuple(self.produced.get(key, ()))}))

    def _driver_id(self, world: Any, name: str, kind: str, fid: str | None) -> None:
        seq = self.framework_ids.setdefault(name, [])
        seq.append((kind, fid))
        self.run(world, inv.ResubscribeKeepsId, ClusterSnapshot(
            framework_ids={name: tuple(seq)}))

    def on_call(self, world: Any, s: Any, call: Any) -> None:
        c = call.call
        name = s.machine.name
        if type(c) is CallSubscribe:
            self._driver_id(world, name, "subscribe", call.framework_id)
        else:
            ok = call.stream_id in self.subscribed_streams.get(name, ())
            self.run(world, inv.NoCallBeforeSubscribed, ClusterSnapshot(
                calls={name: ((type(c).__name__, ok),)}))
        if type(c) is CallAcknowledge:
            k = (call.framework_id, c.task_id, c.uuid)
            self.run(world, inv.AckAfterDelivery, ClusterSnapshot(
                acked=frozenset({k}), delivered=frozenset({k} & self.delivered)))
            key = (call.framework_id, c.task_id)
            self.acked.setdefault(key, set()).add(c.uuid)
            un = self.unacked.get(key)
            if un:
                un.discard(c.uuid)

    # ================================================================== produced updates
    def produce(self, world: Any, n: Any, key: tuple[str, str], uuid: bytes,
                state: TaskState, producer: str) -> None:
        ps = self.produced_set.setdefault(key, set())
        if uuid in ps:
            return
        ps.add(uuid)
        self.produced.setdefault(key, []).append((uuid, state))
        self.produced_at[uuid] = world.now
        if uuid not in self.acked.get(key, ()):
            self.unacked.setdefault(key, set()).add(uuid)
        self.key_agent[key] = n.name
        self.agent_keys.setdefault(n.name, set()).add(key)
        tr = self.transitions.get(key)
        if tr is None:
            tr = self.transitions[key] = [(STAGING, "agent")]
        last = tr[-1][0]
        if state is not last and not (last.is_terminal and state.is_terminal):
            tr.append((state, producer))
            self.run(world, inv.LegalTaskTransitions,
                     ClusterSnapshot(transitions={key: tuple(tr)}))
        self._keys_to_check.add(key)
        self.dirty = True

    # ================================================================== incremental checks
    def after_event(self, world: Any) -> None:
        self.dirty = False
        if self._keys_to_check:
            keys = self._keys_to_check
            self._keys_to_check = set()
            for key in sorted(keys):
                if self.unacked.get(key) and key not in self.abandoned:
                    self.check_lost(world, key)
        if self._ledger_agents:
            ids = self._ledger_agents
            self._ledger_agents = set()
            m = world.live_leader()
            if m is not None:
                ledgers = tuple(x for x in (self.ledger(m, aid) for aid in sorted(ids))
                                if x is not None)
                self.run(world, inv.NoOvercommit, ClusterSnapshot(agents=ledgers))
                self.run(world, inv.ReservedToRole, ClusterSnapshot(agents=ledgers))
                limits = quota_limits(m.machine)
                if limits:
                    self.run(world, inv.QuotaLimitRespected, ClusterSnapshot(
                        agents=m.machine.agent_ledgers(), quota_limits=limits))
                # OfferExclusive can only fail on an agent with two or more outstanding
                # offers (with one, its bound is implied by NoOvercommit): skip the others,
                # their port ranges are costly to enumerate
                multi = tuple(x for x in ledgers if len(x.offered) > 1
                              and not _offers_disjoint(x))
                if multi:
                    self.run(world, inv.OfferExclusive, ClusterSnapshot(agents=multi))

    def ledger(self, m: Any, agent_id: str) -> AgentLedger | None:
        a = m.machine._agents.get(agent_id)  # one agent's view (the public `agents` builds all)
        if a is None:
            # not (or no longer) registered: any outstanding offer of it is an overcommit
            stale = tuple((oid, o.framework_id, o.resources)
                          for oid, o in m.machine._offers.items() if o.agent_id == agent_id)
            if not stale:
                return None
            return AgentLedger(agent_id=agent_id, total=Resources(), offered=stale)
        view = m.machine._agent_view(a)
        return AgentLedger(agent_id=agent_id, total=view.total, offered=view.offered,
                           used=view.used)

    def pending(self, world: Any, key: tuple[str, str]) -> tuple[bytes, ...]:
        name = self.key_agent.get(key)
        if name is None:
            return ()
        n = world.nodes[name]
        if n.alive and n.machine is not None:
            stream = n.machine.sum.streams.get(key)
            return tuple(u.uuid for u in stream.pending) if stream is not None else ()
        out: list[bytes] = []
        for r in n.disk.logs.get(("updates", key[0], key[1]), ()):
            t = type(r)
            if t is UpdateRecord:
                out.append(r.update.uuid)
            elif t is AckRecord and r.uuid in out:
                out.remove(r.uuid)
        return tuple(out)

    def check_lost(self, world: Any, key: tuple[str, str]) -> None:
        produced = self.produced[key]
        acked = self.acked.get(key, set())
        pending = self.pending(world, key)
        snap = ClusterSnapshot(
            produced={key: tuple(produced)},
            acked=frozenset((key[0], key[1], u) for u in acked),
            pending={key: pending})
        self.checks += 1
        out = inv.NoLostAckedWork(snap)
        if out:
            # Mesos drops the updates queued behind a terminal update once that terminal
            # update is acknowledged (the stream closes): not a loss.
            closed = any(st.is_terminal and u in acked for u, st in produced)
            if closed:
                self.abandoned.add(key)
                return
            self.fail(world, out)

    # ================================================================== full snapshot
    def snapshot(self, world: Any) -> ClusterSnapshot:
        m = world.live_leader()
        agents: tuple[AgentLedger, ...] = ()
        if m is not None:
            agents = m.machine.agent_ledgers()
        pending = {k: self.pending(world, k) for k in self.produced}
        acked = frozenset((k[0], k[1], u) for k, us in self.acked.items() for u in us)
        return ClusterSnapshot(
            agents=agents,
            produced={k: tuple(v) for k, v in self.produced.items()},
            seen={k: tuple(v) for k, v in self.seen.items()},
            acked=acked,
            pending=pending,
            abandoned=frozenset(self.abandoned),
            transitions={k: tuple(v) for k, v in self.transitions.items()},
            launches={k: tuple(v) for k, v in self.launches.items()},
            registry_commits=tuple(self.registry_commits),
            recovery_kills=tuple(self.recovery_kills),
            quota_limits=quota_limits(m.machine) if m is not None else {},
            operations=operations_heard(world),
        )

    # ================================================================== total queue
    def total_queue(self, acking: frozenset[str], horizon: float = float("inf")
                    ) -> dict[str, list[str]]:
        """Jepsen's total-queue check of status updates, per task: produced (enqueued by
        agents) vs seen (dequeued by schedulers). Updates produced after `horizon` (the
        last moments of the run) may still be on their way: not counted as lost."""
        lost, dup, unexpected, order = [], [], [], []
        for key, produced in sorted(self.produced.items()):
            seen = self.seen.get(key, [])
            seen_u = [u for u, _ in seen]
            prod_u = [u for u, _ in produced]
            if key not in self.abandoned and key[0] in acking:
                lost += [f"{key[1]} {st.name}" for u, st in produced
                         if u not in seen_u and self.produced_at.get(u, 0.0) <= horizon]
            extra = len(seen_u) - len(set(seen_u))
            if extra:
                dup.append(f"{key[1]} x{extra}")
            distinct = list(dict.fromkeys(seen_u))
            if distinct != prod_u[: len(distinct)] and all(u in prod_u for u in distinct):
                order.append(key[1])
        for key, seen in sorted(self.seen.items()):
            ps = self.produced_set.get(key, set())
            unexpected += [f"{key[1]} {st.name}" for u, st in seen if u not in ps]
        return {"lost": lost, "duplicated": dup, "unexpected": unexpected,
                "out_of_order": order}


def _offers_disjoint(ledger: AgentLedger) -> bool:
    """A fast sufficient condition for OfferExclusive on one agent (distinct offer ids,
    pairwise disjoint port ranges and set items, offered scalars within the total): when it
    holds the catalog function would find nothing; when it does not, the catalog function
    decides (and words the violation)."""
    ids = set()
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


def quota_limits(master: Any) -> dict[str, dict[str, float]]:
    """role -> {resource: limit} of the master's committed quota configs."""
    return {role: dict(q.limits) for role, q in master.quotas().items() if q.limits}


def operations_heard(world: Any) -> dict[tuple[str, str], str | None]:
    """(framework, operation id) -> the terminal state its framework heard (None: none yet),
    for the apps that send operations with ids (the `reserver`)."""
    out: dict[tuple[str, str], str | None] = {}
    for s in world.schedulers:
        ops = getattr(s.app, "ops", None)
        if ops and s.app.framework_id:
            for op_id, st in ops.items():
                out[(s.app.framework_id, op_id)] = st
    return out
# ====================================================================== issue 11: recovery
def executor_held_rows(world: Any, horizon: float) -> tuple[tuple[str, str, TaskState, float], ...]:
    """For ExecutorUpdatesDelivered: updates that live executors still hold unacknowledged,
    produced before `horizon`, while their agent is up and knows the executor (the agent is
    back). Kept apart from the Checker class (issue 12 extends it concurrently)."""
    rows = []
    for cid, x in sorted(world.executors.items()):
        a = x.agent
        if not x.alive or x.machine is None or x.machine.phase == "exited":
            continue
        if not a.alive or a.machine is None or cid not in a.machine.by_container:
            continue
        for u in x.machine.unacked.values():
            st = u.status
            if st.timestamp is not None and st.timestamp <= horizon:
                rows.append((x.machine.executor_id + "@" + a.name, st.task_id, st.state,
                             world.now - st.timestamp))
    return tuple(rows)


def reconciliation_rows(world: Any) -> tuple[inv.ReconcileRow, ...]:
    """For ReconciliationAgrees: every task the leader would answer in implicit
    reconciliation (live and unreachable tasks), beside its agent's books."""
    m = world.live_leader()
    if m is None:
        return ()
    master = m.machine
    books: dict[str, Any] = {}
    for a in world.agents:
        if a.alive and a.machine is not None and a.machine.agent_id:
            books[a.machine.agent_id] = a.machine.tasks
    registered = {aid for aid, v in master.agents.items() if v.connected and v.active}
    rows = []
    for fid, fw in sorted(master._frameworks.items()):
        answers = [(t, t.reported_state()) for _tid, t in sorted(fw.tasks.items())]
        answers += [(t, TaskState.TASK_UNREACHABLE)
                    for _tid, t in sorted(fw.unreachable_tasks.items())]
        for t, answer in answers:
            known = books.get(t.agent_id, {}).get((fid, t.task_id))
            rows.append(inv.ReconcileRow(
                framework_id=fid, task_id=t.task_id, agent_id=t.agent_id, answer=answer,
                agent_registered=t.agent_id in registered,
                agent_state=known.state if known is not None else None,
                reported=bool(t.statuses)))
    return tuple(rows)
