"""Agents: registration, re-registration, health checks (pings), unreachable agents, and the
registry writes that make each of these durable.

Every change to the set of agents goes through the registry first (Mesos's registrar):
the master emits `RegistryWrite(op_id, op)` and acts only on `RegistryResult(op_id, ok=True)`.
A failed write means this master was deposed (fenced) or its registry is broken: it emits
`Abdicate` and drops everything, as Mesos's "Registrar aborted" exit does.
The registrar (core/master/base.py `_registry_op`) keeps ONE write in flight, as Mesos's does:
operations asked for meanwhile are committed together as one `("batch", ...)` write when
the previous result arrives; each takes effect only when its batch commits, and a failed
batch fails them all.

- RegisterAgent: new id `<master>-S<n>`, ("admit", info) -> AgentRegistered, AddAgent, pings.
- ReregisterAgent of a registered agent: reconnect; tasks the master knows but the agent did
  not report are named in AgentReregistered.reconciliations (the agent answers TASK_LOST /
  TASK_DROPPED for them); kills issued while it was away are re-sent; frameworks that were
  removed meanwhile are shut down on it.
- ReregisterAgent of an agent this master does not hold (admitted in the registry but not yet
  back after a failover, unreachable, or unknown): ("reachable", info) first, as Mesos's
  MarkSlaveReachable; then its tasks and executors are adopted, and frameworks not yet
  re-subscribed get "recovered" placeholders so the allocator's books balance whichever comes
  back first. Tasks of a previously unreachable agent come back for every framework (Mesos
  >= 1.5: non-partition-aware tasks keep running too; Mesos 1.0-1.4 shut those frameworks
  down on the agent); each framework is told the task's state again by a master update.
- Pings every agent_ping_timeout; max_agent_ping_timeouts unanswered -> ("unreachable", id,
  now) -> tasks booked TASK_UNREACHABLE, shown TASK_LOST to non-partition-aware frameworks,
  REASON_AGENT_REMOVED, offers rescinded, RemoveAgent to the allocator, FAILURE to frameworks.
- agent_reregister_timeout after a failover: agents still not back are marked unreachable;
  likewise an agent whose connection broke and that has not re-registered within
  agent_reregister_timeout, even if it answers pings (Mesos agentReregisterTimeout).
- --agent_removal_rate_limit (`config.agent_removal_rate_limit`): both kinds of removal above
  wait for a permit and are canceled if the agent came back meanwhile (`_schedule_unreachable`).
- Registry GC (Mesos `doRegistryGc`): every registry_gc_interval the leader picks, from the
  unreachable list and separately from the gone list, the entries beyond
  registry_max_agent_count (oldest first: by the time they became unreachable/gone, ties in
  the order this master learnt them) and those older than registry_max_agent_age (strictly:
  `now - time > age`), and commits ONE ("prune", ids) write. When it commits, those ids
  leave the in-memory lists and the frameworks' unreachable tasks on them are forgotten (an
  explicit reconciliation then answers as for an unknown agent: TASK_UNKNOWN, shown TASK_LOST
  to non-partition-aware frameworks). An entry no longer there at commit time (the agent
  re-registered meanwhile: RegistryGcRace) is left alone: its readmission wins, in the
  registry too (its ("reachable", ...) is applied after the prune, or the prune after it finds
  nothing). A pruned agent that comes back re-registers like an unknown one (readmitted).
  Entries whose prune is in flight are not picked again (the next run counts without them).

Books read: `_agents`, `_completed_frameworks`, `_frameworks`, `_gone`, `_marking_unreachable`,
  `_next_agent`, `_pending_ops`, `_pids`, `_pruning`, `_recovered_agents`, `_registering`,
  `_registry_inflight`, `_removal_waiting`, `_reregistering`, `_streams`, `_unreachable`,
  `config`, `master_info`, `now`.
Books written: `_agents`, `_frameworks`, `_gone`, `_marking_unreachable`, `_next_agent`,
  `_pending_ops`, `_pids`, `_pruning`, `_recovered_agents`, `_registering`,
  `_removal_waiting`, `_reregistering`, `_unreachable`.
"""

from __future__ import annotations

from typing import Any

import attrs
from mesotron.core.allocator import machine as alloc
from mesotron.core.effects import CancelTimer, Close, Log, Send, SetTimer
from mesotron.core.master.base import Abdicate, MasterCore
from mesotron.core.master.model import MAgent, MFramework, MTask
from mesotron.core.messages import (
    AgentRegistered,
    AgentReregistered,
    EventFailure,
    KillTask,
    Ping,
    Pong,
    RegisterAgent,
    ReregisterAgent,
    ShutdownAgent,
    ShutdownFramework,
    UnregisterAgent,
)
from mesotron.core.resources import Resources
from mesotron.core.values import AgentInfo, FrameworkInfo, Reason, TaskState

HEALTH_CHECK_TIMED_OUT = "health check timed out"
NOT_REREGISTERED = "agent did not re-register after master failover"
DISCONNECTED_NOT_REREGISTERED = "agent disconnected and did not re-register in time"


MINIMUM_AGENT_VERSION = "1.0.0"


def agent_version_ok(version: str) -> bool:
    """`X[.Y[.Z]][-label]` (missing components are 0, as stout's Version::parse reads them)
    at least MINIMUM_AGENT_VERSION; a pre-release label sorts below its release."""
    core, _, label = version.partition("-")
    parts = core.split(".")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return False
    have = tuple(int(p) for p in parts) + (0,) * (3 - len(parts))
    need = tuple(int(p) for p in MINIMUM_AGENT_VERSION.split("."))
    return have > need or (have == need and not label)


class AgentsMixin(MasterCore):
    @property
    def _total_ping_timeout(self) -> float:
        """Told to agents on (re-)registration (Mesos total_ping_timeout_seconds): an agent
        that has not been pinged for this long looks for a (new) leading master."""
        return self.config.agent_ping_timeout * self.config.max_agent_ping_timeouts

    # ------------------------------------------------------------------ register
    def _too_old(self, sender: str, version: str) -> list[Any]:
        """Mesos's MINIMUM_AGENT_VERSION check: an agent older than 1.0.0 (or with an
        unparsable version) is ignored, nothing is written (MasterTest.IgnoreOldAgentRegistration
        / IgnoreOldAgentReregistration). An empty version is let in (our own peers and tools
        may omit it; Mesos ignores those too)."""
        if not version or agent_version_ok(version):
            return []
        return [Log(level="warning", event="agent_version_too_old",
                    fields=(("pid", sender), ("version", version), ("minimum", MINIMUM_AGENT_VERSION)))]

    def _register_agent(self, sender: str, msg: RegisterAgent) -> list[Any]:
        if old := self._too_old(sender, msg.version):
            return old
        if sender in self._registering:
            return [Log(level="info", event="agent_registration_in_progress",
                        fields=(("pid", sender),))]
        out: list[Any] = []
        known = self._agents.get(self._pids.get(sender, ""))
        if known is not None:
            if known.connected:
                return [Send(to=sender, message=AgentRegistered(
                    agent_id=known.id, master_info=self.master_info,
                    ping_timeout=self._total_ping_timeout))]
            # a disconnected agent registering afresh (its recovery failed): the old one goes
            out += self._remove_agent(known, "a new agent registered at the same address")
        agent_id = f"{self.master_info.id}-S{self._next_agent}"
        self._next_agent += 1
        info = attrs.evolve(msg.agent_info, id=agent_id)
        op = self._op_id()
        self._registering[sender] = op
        self._pending_ops[op] = ("admit", sender, info, msg.version)
        return out + self._registry_op(op, ("admit", info))

    def _admitted(self, sender: str, info: AgentInfo, version: str) -> list[Any]:
        self._registering.pop(sender, None)
        aid = info.id or ""
        agent = MAgent(id=aid, info=info, pid=sender, version=version, registered_time=self.now)
        self._agents[aid] = agent
        self._pids[sender] = aid
        self._count("master/slave_registrations")
        out: list[Any] = [Send(to=sender, message=AgentRegistered(
            agent_id=aid, master_info=self.master_info,
            ping_timeout=self._total_ping_timeout))]
        out += self._start_pings(agent)
        out += self._alloc(alloc.AddAgent(agent_id=aid, hostname=info.hostname,
                                          total=info.resources, attributes=info.attributes))
        out.append(Log(level="info", event="agent_registered",
                       fields=(("agent_id", aid), ("pid", sender))))
        return out + self._allocate()

    # ------------------------------------------------------------------ re-register
    def _reregister_agent(self, sender: str, msg: ReregisterAgent) -> list[Any]:
        if old := self._too_old(sender, msg.version):
            return old
        info = msg.agent_info
        aid = info.id
        if aid in self._gone:
            return [Send(to=sender, message=ShutdownAgent(message="Agent has been marked gone"))]
        if aid in self._marking_unreachable or aid in self._reregistering:
            return [Log(level="info", event="agent_reregistration_ignored_in_progress",
                        fields=(("agent_id", aid),))]
        agent = self._agents.get(aid)
        if agent is not None:
            return self._reconnect_known(agent, sender, msg)
        out: list[Any] = []
        if aid in self._recovered_agents:
            # it will not be marked unreachable for missing the reregistration deadline
            del self._recovered_agents[aid]
            if not self._recovered_agents:
                out.append(CancelTimer(key=("agent_reregister_timeout",)))
        # Mesos readmits through the registry in every case (MarkSlaveReachable: moves it
        # from the unreachable list, or is a no-op for an admitted agent)
        op = self._op_id()
        self._reregistering[aid] = op
        self._pending_ops[op] = ("reachable", sender, msg)
        return [*out, *self._registry_op(op, ("reachable", info))]

    def _reconnect_known(self, agent: MAgent, sender: str, msg: ReregisterAgent) -> list[Any]:
        out: list[Any] = []
        if agent.pid != sender:
            self._pids.pop(agent.pid, None)
            agent.pid = sender
            self._pids[sender] = agent.id
        agent.connected = True
        out.append(CancelTimer(key=("agent_reregister", agent.id)))
        agent.reregistered_time = self.now
        agent.version = msg.version
        reported = {(r.framework_id, r.task.task_id) for r in msg.tasks}
        reconciliations = tuple(
            (fid, tid, task.reported_state())
            for (fid, tid), task in sorted(agent.tasks.items()) if (fid, tid) not in reported
        )
        out.append(Send(to=sender, message=AgentReregistered(
            agent_id=agent.id, reconciliations=reconciliations, master_info=self.master_info,
            ping_timeout=self._total_ping_timeout)))
        # Mesos `Master::reconcileKnownSlave`: an executor the master books on the agent that
        # the agent no longer reports ended while the two were apart (its ExitedExecutor was
        # never sent or was lost): removed, its resources recovered
        alive = {(e.framework_id, e.executor_id) for e in msg.executor_infos}
        for fid, eid in sorted(agent.executors):
            if (fid, eid) not in alive:
                out.append(Log(level="warning", event="executor_unknown_to_agent_removed", fields=(
                    ("agent_id", agent.id), ("framework_id", fid), ("executor_id", eid))))
                out += self._remove_executor(agent, fid, eid)
        for fid, tid in list(agent.killed_tasks):
            if (fid, tid) in reported:
                out.append(Send(to=sender, message=KillTask(framework_id=fid, task_id=tid)))
        out += self._shutdown_completed(agent, msg)
        out += self._maybe_reconfigure(agent, msg)
        if not agent.active:
            agent.active = True
            out += self._alloc(alloc.ActivateAgent(agent_id=agent.id))
        if self.agent_deactivated(agent.id):  # type: ignore[attr-defined]  # operator.py
            out += self._alloc(alloc.DeactivateAgent(agent_id=agent.id))
        out += self._tell_agent_reservations(agent)  # type: ignore[attr-defined]  # operations.py
        out += self._start_pings(agent)
        out.append(Log(level="info", event="agent_reregistered",
                       fields=(("agent_id", agent.id), ("pid", sender))))
        return out + self._allocate()

    def _maybe_reconfigure(self, agent: MAgent, msg: ReregisterAgent) -> list[Any]:
        """An agent restarted with other resources (SlaveRecoveryTest.
        AgentReconfigurationWithRunningTask): the new AgentInfo goes to the registry and, once
        committed, becomes the agent's total in the master and the allocator (Mesos's
        UpdateSlave + allocator updateSlave). A total that no longer holds what its tasks and
        executors use is refused (logged; the old total stays), as is any other change of
        identity (hostname, attributes): those agents must register anew."""
        info, out = self._with_reservations(msg.agent_info)  # type: ignore[attr-defined]  # operations.py
        if info.resources == agent.info.resources:
            return []
        used = Resources()
        for res in agent.used_by_framework().values():
            used = used + res.unallocate()
        if (info.hostname != agent.info.hostname or info.attributes != agent.info.attributes
                or not info.resources.unallocate().contains(used)):
            return [*out, Log(level="warning", event="agent_reconfiguration_refused", fields=(
                ("agent_id", agent.id), ("resources", str(info.resources)),
                ("used", str(used))))]
        op = self._op_id()
        self._pending_ops[op] = ("reconfigure", agent.id, info)
        return [*out, *self._registry_op(op, ("reachable", msg.agent_info))]

    def _reconfigured(self, aid: str, info: AgentInfo) -> list[Any]:
        agent = self._agents.get(aid)
        if agent is None:
            return []
        out: list[Any] = []
        for oid in list(agent.offers):  # offers of the old total
            out += self._recover_offer(oid, rescind=True)
        used = Resources()
        for res in agent.used_by_framework().values():
            used = used + res.unallocate()
        if not info.resources.unallocate().contains(used):  # launched meanwhile
            return [*out, Log(level="warning", event="agent_reconfiguration_refused", fields=(
                ("agent_id", aid), ("resources", str(info.resources)), ("used", str(used))))]
        agent.info = attrs.evolve(agent.info, resources=info.resources)
        out += self._alloc(alloc.UpdateAgent(agent_id=aid, total=info.resources))
        out.append(Log(level="info", event="agent_reconfigured",
                       fields=(("agent_id", aid), ("resources", str(info.resources)))))
        return out + self._allocate()

    def _shutdown_completed(self, agent: MAgent, msg: ReregisterAgent) -> list[Any]:
        fids = {r.framework_id for r in msg.tasks} | {
            e.framework_id for e in msg.executor_infos if e.framework_id}
        return [Send(to=agent.pid, message=ShutdownFramework(framework_id=fid))
                for fid in sorted(fids) if fid in self._completed_frameworks]

    def _readmit(self, sender: str, msg: ReregisterAgent) -> list[Any]:
        """Adopt an agent this master has no record of (after failover, or unreachable)."""
        info, out0 = self._with_reservations(msg.agent_info)  # type: ignore[attr-defined]  # operations.py
        aid = info.id or ""
        old = self._agents.get(self._pids.get(sender, ""))
        out: list[Any] = list(out0)
        if old is not None and old.id != aid:
            out += self._remove_agent(old, "a different agent re-registered at the same address")
        was_unreachable = self._unreachable.pop(aid, None) is not None
        agent = MAgent(id=aid, info=info, pid=sender, version=msg.version,
                       registered_time=self.now, reregistered_time=self.now)
        self._agents[aid] = agent
        self._pids[sender] = aid
        # frameworks this master does not know yet become "recovered" placeholders
        infos: dict[str, FrameworkInfo] = {f.id: f for f in msg.frameworks if f.id}
        needed = [r.framework_id for r in msg.tasks] + [
            e.framework_id for e in msg.executor_infos if e.framework_id]
        for fid in dict.fromkeys(needed):
            if fid in self._frameworks or fid in self._completed_frameworks:
                continue
            finfo = infos.get(fid) or FrameworkInfo(user="", name="", id=fid)
            fw = MFramework(id=fid, info=attrs.evolve(finfo, id=fid), recovered=True,
                            active=False)
            self._frameworks[fid] = fw
            out += self._alloc(alloc.AddFramework(
                framework_id=fid, roles=fw.info.roles, active=False))
        for e in msg.executor_infos:
            fw = self._frameworks.get(e.framework_id or "")
            if fw is not None:
                agent.executors[(fw.id, e.executor_id)] = e
                fw.executors[(aid, e.executor_id)] = e
        updates: list[Any] = []
        # tasks mostly share one Resources: its allocation role, computed once (None: none)
        role_of: dict[int, tuple[Any, str | None]] = {}
        frameworks, agent_tasks = self._frameworks, agent.tasks
        for rec in msg.tasks:
            fw = frameworks.get(rec.framework_id)
            ti = rec.task
            tid = ti.task_id
            if fw is None or tid in fw.tasks:
                continue
            res = ti.resources
            memo = role_of.get(id(res))
            if memo is None:
                roles = res.allocation_roles()
                memo = role_of[id(res)] = (res, min(roles) if roles else None)
            role = memo[1]
            if role is None:
                role = fw.info.roles[0] if fw.info.roles else "*"
            task = MTask(framework_id=fw.id, agent_id=aid, info=ti,
                         executor_id=rec.executor_id, resources=res, role=role, state=rec.state,
                         status_update_state=rec.status_update_state,
                         status_update_uuid=rec.status_update_uuid)
            was = fw.unreachable_tasks.pop(tid, None) if fw.unreachable_tasks else None
            if was is not None:
                task.statuses = list(was.statuses)
                updates += self._forward(fw, self._master_status(
                    fw, task.task_id, rec.state, agent_id=aid,
                    reason=Reason.REASON_AGENT_REREGISTERED,
                    message="Unreachable agent re-reregistered",
                    executor_id=rec.executor_id))
            fw.tasks[tid] = task  # (_add_task, inlined: thousands per re-registration)
            agent_tasks[(fw.id, tid)] = task
        if was_unreachable:  # only an agent marked unreachable has unreachable tasks
            self._drop_unreported_unreachable(aid)
        used = tuple(sorted(agent.used_by_framework().items()))
        out.append(Send(to=sender, message=AgentReregistered(
            agent_id=aid, master_info=self.master_info,
            ping_timeout=self._total_ping_timeout)))
        out += self._alloc(alloc.AddAgent(agent_id=aid, hostname=info.hostname,
                                          total=info.resources, attributes=info.attributes,
                                          used=used))
        if self.agent_deactivated(aid):  # type: ignore[attr-defined]  # operator.py
            out += self._alloc(alloc.DeactivateAgent(agent_id=aid))
        out += self._tell_agent_reservations(agent)  # type: ignore[attr-defined]  # operations.py
        out += updates
        out += self._shutdown_completed(agent, msg)
        out += self._start_pings(agent)
        self._count("master/slave_reregistrations")
        out.append(Log(level="info", event="agent_readmitted",
                       fields=(("agent_id", aid), ("pid", sender))))
        return out + self._allocate()

    def _drop_unreported_unreachable(self, aid: str) -> None:
        """A re-registered agent's unreachable tasks that it did not report are gone (Mesos
        `Master::__reregisterSlave` erases ALL of the agent's unreachable tasks; the ones it
        reported are live tasks again): implicit reconciliation must not keep answering
        TASK_UNREACHABLE for them (issue 11 §4). Called for an agent that was in
        `_unreachable` only: a task becomes unreachable only when its agent is marked so
        (`_drop_agent`), and the agent stays there until re-admitted or pruned (which drops
        its unreachable tasks too); agents re-registering after a failover skip the walk."""
        for fw in self._frameworks.values():
            if not fw.unreachable_tasks:
                continue
            stale = [tid for tid, t in fw.unreachable_tasks.items() if t.agent_id == aid]
            for tid in stale:
                del fw.unreachable_tasks[tid]

    # ------------------------------------------------------------------ connections, pings
    def _agent_disconnected(self, pid: str) -> list[Any]:
        agent = self._agents[self._pids[pid]]
        if not agent.connected:
            return []
        agent.connected = False
        out: list[Any] = [Log(level="info", event="agent_disconnected",
                              fields=(("agent_id", agent.id),))]
        if agent.active:
            agent.active = False
            out += self._alloc(alloc.DeactivateAgent(agent_id=agent.id))
        for oid in list(agent.offers):
            out += self._recover_offer(oid, rescind=True)
        # Mesos's agentReregisterTimeout: an agent whose connection broke must re-register
        # within agent_reregister_timeout even if it keeps answering pings
        # (MasterTest.AgentRestartNoReregister: its recovery hangs)
        out.append(self._timer(("agent_reregister", agent.id), self.config.agent_reregister_timeout))
        return out

    def _disconnected_reregister_fired(self, aid: str) -> list[Any]:
        agent = self._agents.get(aid)
        if agent is None or agent.connected:
            return []
        return self._schedule_unreachable(aid, DISCONNECTED_NOT_REREGISTERED)

    def _start_pings(self, agent: MAgent) -> list[Any]:
        agent.pinged = True
        agent.missed_pings = 0
        return [Send(to=agent.pid, message=Ping(connected=True)),
                self._timer(("ping", agent.id), self.config.agent_ping_timeout)]

    def _pong(self, sender: str, _msg: Pong) -> list[Any]:
        agent = self._agents.get(self._pids.get(sender, ""))
        if agent is None:
            return [Log(level="info", event="pong_from_unknown_agent", fields=(("pid", sender),))]
        agent.pinged = False
        agent.missed_pings = 0
        return []

    def _ping_fired(self, aid: str) -> list[Any]:
        agent = self._agents.get(aid)
        if agent is None or aid in self._marking_unreachable:
            return []
        if agent.pinged:
            agent.missed_pings += 1
            if agent.missed_pings >= self.config.max_agent_ping_timeouts:
                return self._schedule_unreachable(aid, HEALTH_CHECK_TIMED_OUT)
        agent.pinged = True
        return [Send(to=agent.pid, message=Ping(connected=agent.connected)),
                self._timer(("ping", aid), self.config.agent_ping_timeout)]

    def _unregister_agent(self, sender: str, msg: UnregisterAgent) -> list[Any]:
        agent = self._agents.get(msg.agent_id)
        if agent is None or agent.pid != sender:
            return [Log(level="warning", event="unregister_unknown_agent",
                        fields=(("pid", sender), ("agent_id", msg.agent_id)))]
        return self._remove_agent(agent, "agent unregistered")

    # ------------------------------------------------------------------ removal
    def _mark_unreachable(self, aid: str, message: str, *, counted: bool = False) -> list[Any]:
        if aid in self._marking_unreachable:
            return []
        op = self._op_id()
        self._marking_unreachable[aid] = op
        self._pending_ops[op] = ("unreachable", aid, self.now, message)
        if not counted:
            self._count("master/slave_unreachable_scheduled")
        return [CancelTimer(key=("ping", aid)),
                Log(level="warning", event="marking_agent_unreachable",
                    fields=(("agent_id", aid), ("reason", message))),
                *self._registry_op(op, ("unreachable", aid, self.now))]

    def _remove_agent(self, agent: MAgent, message: str) -> list[Any]:
        """An agent that left for good (unregistered, replaced): ("remove", id), then its
        tasks are TASK_GONE (TASK_LOST for non-partition-aware frameworks)."""
        op = self._op_id()
        self._pending_ops[op] = ("remove", agent.id, message)
        self._marking_unreachable[agent.id] = op  # no more messages from it are processed
        return [CancelTimer(key=("ping", agent.id)),
                *self._registry_op(op, ("remove", agent.id))]

    def _drop_agent(self, aid: str, message: str, *, unreachable_time: float | None) -> list[Any]:
        """Mesos `__removeSlave`: the agent leaves the master's books."""
        self._marking_unreachable.pop(aid, None)
        out: list[Any] = [CancelTimer(key=("ping", aid)), CancelTimer(key=("agent_reregister", aid))]
        if aid in self._recovered_agents:  # never came back after a failover
            del self._recovered_agents[aid]
            if unreachable_time is not None:
                self._unreachable[aid] = unreachable_time
                self._count("master/slave_unreachable_completed")
            if not self._recovered_agents:
                out.append(CancelTimer(key=("agent_reregister_timeout",)))
            return out + self._tell_agent_lost(aid)
        agent = self._agents.get(aid)
        if agent is None:
            return out
        if unreachable_time is not None:
            self._unreachable[aid] = unreachable_time
        out += self._alloc(alloc.RemoveAgent(agent_id=aid))
        state = TaskState.TASK_UNREACHABLE if unreachable_time is not None else TaskState.TASK_GONE
        for key in sorted(agent.tasks):
            task = agent.tasks[key]
            fw = self._frameworks.get(task.framework_id)
            if task.state.is_terminal:
                out += self._remove_task(task)
                continue
            # booked UNREACHABLE (GONE) for every framework; the non-partition-aware ones are
            # shown TASK_LOST (lifecycle.visible_state), as Mesos's backwards-compatible state
            booked = state
            if fw is None:
                task.state = booked
                out += self._remove_task(task)
                continue
            status = self._master_status(
                fw, task.task_id, booked, agent_id=aid, reason=Reason.REASON_AGENT_REMOVED,
                message=message, executor_id=task.executor_id,
                unreachable_time=unreachable_time)
            task.state = booked
            task.unreachable_time = unreachable_time
            task.statuses.append(status)
            out += self._remove_task(task, unreachable=unreachable_time is not None)
            out += self._forward(fw, status)
        for fid, eid in sorted(agent.executors):
            fw = self._frameworks.get(fid)
            if fw is not None:
                fw.executors.pop((aid, eid), None)
        agent.executors.clear()
        for oid in list(agent.offers):
            out += self._remove_offer(oid, rescind=True)
        del self._agents[aid]
        if self._pids.get(agent.pid) == aid:
            del self._pids[agent.pid]
        self._count("master/slave_removals")
        if unreachable_time is not None:
            self._count("master/slave_unreachable_completed")
        out.append(Log(level="warning", event="agent_removed",
                       fields=(("agent_id", aid), ("reason", message))))
        return out + self._tell_agent_lost(aid)

    def _tell_agent_lost(self, aid: str) -> list[Any]:
        out: list[Any] = []
        for fid in sorted(self._frameworks):
            out += self._send_fw(self._frameworks[fid], EventFailure(agent_id=aid))
        return out

    def _reregister_timeout_fired(self) -> list[Any]:
        out: list[Any] = []
        for aid in sorted(self._recovered_agents):
            out += self._schedule_unreachable(aid, NOT_REREGISTERED)
        return out

    # ------------------------------------------------------------------ removal permits
    def _schedule_unreachable(self, aid: str, message: str) -> list[Any]:
        """Mesos's slave removal limiter (--agent_removal_rate_limit "N/duration"): one
        permit every duration/N seconds, the first one at once (libprocess RateLimiter). An
        agent due for removal (health check failed, or not back after a failover) waits for
        its permit; when the permit comes the removal is re-checked and CANCELED if the agent
        answered a ping or re-registered meanwhile (`master/slave_unreachable_canceled`).
        Permits are taken in the order agents became due; a canceled one is spent."""
        limit = self.config.agent_removal_rate_limit
        if limit is None:
            return self._mark_unreachable(aid, message)
        if aid in self._removal_waiting or aid in self._marking_unreachable:
            return []
        permits, seconds = limit
        at = self._take_removal_permit(seconds / permits)
        if at <= self.now:
            return self._mark_unreachable(aid, message)
        self._removal_waiting[aid] = message
        self._count("master/slave_unreachable_scheduled")
        return [Log(level="info", event="agent_removal_waits_for_permit",
                    fields=(("agent_id", aid), ("at", at), ("reason", message))),
                SetTimer(key=("agent_removal_permit", aid), at=at)]

    def _removal_permit_fired(self, aid: str) -> list[Any]:
        message = self._removal_waiting.pop(aid, None)
        if message is None:
            return []
        agent = self._agents.get(aid)
        if message == NOT_REREGISTERED:
            due = aid in self._recovered_agents
        elif message == DISCONNECTED_NOT_REREGISTERED:
            due = agent is not None and not agent.connected
        else:
            due = (agent is not None and agent.pinged
                   and agent.missed_pings >= self.config.max_agent_ping_timeouts)
        if due:
            return self._mark_unreachable(aid, message, counted=True)
        self._count("master/slave_unreachable_canceled")
        out: list[Any] = [Log(level="warning", event="agent_removal_canceled",
                              fields=(("agent_id", aid), ("reason", message)))]
        if agent is not None and message == HEALTH_CHECK_TIMED_OUT and agent.connected:
            out += self._start_pings(agent)  # it answered: health checks go on
        return out

    # ------------------------------------------------------------------ registry GC
    def _gc_victims(self, entries: dict[str, float]) -> list[str]:
        """Mesos `doRegistryGc`'s selection over one list: by count (oldest first), then by
        age; entries already being pruned are out of the count."""
        live = sorted((t, i, aid) for i, (aid, t) in enumerate(entries.items())
                      if aid not in self._pruning)
        excess = max(0, len(live) - self.config.registry_max_agent_count)
        return [aid for n, (t, _i, aid) in enumerate(live)
                if n < excess or self.now - t > self.config.registry_max_agent_age]

    def _registry_gc_fired(self) -> list[Any]:
        out: list[Any] = [self._timer(("registry_gc",), self.config.registry_gc_interval)]
        unreachable = tuple(self._gc_victims(self._unreachable))
        gone = tuple(self._gc_victims(self._gone))
        if not unreachable and not gone:
            return [*out, Log(level="debug", event="registry_gc_skipped_nothing_to_prune")]
        op = self._op_id()
        self._pending_ops[op] = ("prune", unreachable, gone)
        for aid in (*unreachable, *gone):
            self._pruning[aid] = op
        self._count("master/registry_gc/scheduled", len(unreachable) + len(gone))
        out.append(Log(level="info", event="registry_gc_pruning", fields=(
            ("unreachable", len(unreachable)), ("gone", len(gone)))))
        return [*out, *self._registry_op(op, ("prune", unreachable + gone))]

    def _pruned(self, unreachable: tuple[str, ...], gone: tuple[str, ...]) -> list[Any]:
        """Mesos `_doRegistryGc`: forget what is still there (an agent re-registered
        meanwhile is being readmitted and keeps its unreachable tasks for that)."""
        for aid in (*unreachable, *gone):
            self._pruning.pop(aid, None)
        done = {aid for aid in unreachable
                if aid in self._unreachable and aid not in self._reregistering}
        for aid in sorted(done):
            del self._unreachable[aid]
        if done:
            for fid in sorted(self._frameworks):
                fw = self._frameworks[fid]
                for tid in [t for t, task in fw.unreachable_tasks.items()
                            if task.agent_id in done]:
                    del fw.unreachable_tasks[tid]
        done_gone = [aid for aid in gone if self._gone.pop(aid, None) is not None]
        skipped = len(unreachable) - len(done) + len(gone) - len(done_gone)
        self._count("master/registry_gc/pruned", len(done) + len(done_gone))
        return [Log(level="warning" if skipped else "info", event="registry_gc_done", fields=(
            ("unreachable", len(done)), ("gone", len(done_gone)), ("skipped", skipped)))]

    # ------------------------------------------------------------------ registry outcomes
    def _registry_result(self, op_id: int, ok: bool, message: str) -> list[Any]:
        """The outcome of the write in flight: every operation it carried takes effect (in
        the order they were asked for), or — fenced/failed — none does and the master
        abdicates; then the operations queued meanwhile leave as the next write."""
        inflight = self._registry_inflight
        if inflight is None or inflight[0] != op_id:
            return [Log(level="warning", event="unexpected_registry_result",
                        fields=(("op_id", op_id),))]
        if not ok:
            kinds = sorted({self._pending_ops[i][0] for i in inflight[1]})
            what = kinds[0] if len(inflight[1]) == 1 else \
                f"batch of {len(inflight[1])} ({', '.join(kinds)})"
            return self._abdicate(f"registry operation {what} failed: {message}")
        out: list[Any] = []
        for member in inflight[1]:
            out += self._registry_committed(self._pending_ops.pop(member))
        return out + self._registry_flush()

    def _registry_committed(self, pending: tuple[Any, ...]) -> list[Any]:
        kind = pending[0]
        if kind == "admit":
            _, sender, info, version = pending
            return self._admitted(sender, info, version)
        if kind == "reachable":
            _, sender, msg = pending
            self._reregistering.pop(msg.agent_info.id, None)
            return self._readmit(sender, msg)
        if kind == "unreachable":
            _, aid, when, why = pending
            return self._drop_agent(aid, why, unreachable_time=when)
        if kind == "remove":
            _, aid, why = pending
            return self._drop_agent(aid, why, unreachable_time=None)
        if kind == "reconfigure":
            _, aid, info = pending
            return self._reconfigured(aid, info)
        if kind == "prune":
            _, unreachable, gone = pending
            return self._pruned(unreachable, gone)
        if kind == "setting":
            return self._setting_committed(pending)  # type: ignore[attr-defined, no-any-return]
        if kind == "operation":
            return self._operation_committed(pending)  # type: ignore[attr-defined, no-any-return]
        if kind == "gone":
            return self._gone_committed(pending)  # type: ignore[attr-defined, no-any-return]
        raise AssertionError(f"unknown pending registry op {pending!r}")  # pragma: no cover

    def _abdicate(self, reason: str) -> list[Any]:
        streams = sorted(self._streams)
        self._reset()
        return [Log(level="critical", event="master_abdicates", fields=(("reason", reason),)),
                *[Close(peer=s) for s in streams], Abdicate(reason=reason)]
