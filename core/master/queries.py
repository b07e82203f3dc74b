"""Read-only queries of the master: frozen views, `describe()`, `/master/state` JSON and
`/metrics/snapshot` gauges (Mesos names). None of these change any state.

Books read: `_agents`, `_completed_frameworks`, `_frameworks`, `_gone`, `_marking_unreachable`,
  `_offers`, `_pruning`, `_recovered_agents`, `_registering`, `_registry_inflight`,
  `_registry_queue`, `_reregistering`, `_settings`, `_unreachable`, `counters`, `elected_time`,
  `leader`, `master_info`, `now`.
Books written: none.
"""

from __future__ import annotations

from typing import Any

from mesotron.core import lifecycle
from mesotron.core.books import AgentLedger
from mesotron.core.master.base import MasterCore
from mesotron.core.master.model import AgentView, FrameworkView, MAgent, MFramework, MTask, TaskView
from mesotron.core.resources import Resources, derived
from mesotron.core.values import Offer, TaskState


def _res_json(res: Resources) -> dict[str, Any]:
    """Mesos's flattened resources object: cpus/gpus/mem/disk always present. (s22 speed)
    Rendered once per Resources value (resources.derived: /master/state renders every task's
    resources, completed ones included, at every poll, mostly the same few values); a new
    dict each call, so the caller may change it."""
    return dict(derived(_render_res_json, res))


def _render_res_json(res: Resources) -> dict[str, Any]:
    out: dict[str, Any] = {"cpus": 0.0, "gpus": 0.0, "mem": 0.0, "disk": 0.0}
    for name in sorted(res.names()):
        ranges = res.ranges(name)
        items = res.set_items(name)
        if ranges:
            out[name] = "[" + ", ".join(f"{a}-{b}" for a, b in ranges) + "]"
        elif items:
            out[name] = "{" + ", ".join(sorted(items)) + "}"
        else:
            out[name] = res.scalar(name)
    return out


class StateMixin(MasterCore):
    # ------------------------------------------------------------------ views
    @property
    def is_leader(self) -> bool:
        return self.leader

    @property
    def frameworks(self) -> dict[str, FrameworkView]:
        return {fid: fw.view() for fid, fw in sorted(self._frameworks.items())}

    @property
    def completed_frameworks(self) -> dict[str, FrameworkView]:
        return {fid: fw.view() for fid, fw in self._completed_frameworks.items()}

    @property
    def agents(self) -> dict[str, AgentView]:
        return {aid: self._agent_view(a) for aid, a in sorted(self._agents.items())}

    @property
    def tasks(self) -> dict[tuple[str, str], TaskView]:
        """Every task the master holds live (incl. terminal-but-unacknowledged ones)."""
        out: dict[tuple[str, str], TaskView] = {}
        for fid in sorted(self._frameworks):
            for tid, t in sorted(self._frameworks[fid].tasks.items()):
                out[(fid, tid)] = t.view()
        return out

    @property
    def unreachable_tasks(self) -> dict[tuple[str, str], TaskView]:
        return {(fid, tid): t.view() for fid in sorted(self._frameworks)
                for tid, t in self._frameworks[fid].unreachable_tasks.items()}

    def users_of(self, framework_id: str, task_id: str | None = None) -> tuple[str | None, str | None]:
        """(FrameworkInfo.user, the task's command user or None): the objects of the
        view_frameworks / view_tasks ACLs for an operator event (core/authorizer.py)."""
        fw = self._frameworks.get(framework_id) or self._completed_frameworks.get(framework_id)
        if fw is None:
            return None, None
        t = fw.tasks.get(task_id) if task_id is not None else None
        if t is None:
            return fw.info.user, None
        user = _command_user(t.info.command) or (
            _command_user(t.info.executor.command) if t.info.executor is not None else None)
        return fw.info.user, user

    @property
    def offers(self) -> dict[str, Offer]:
        return dict(sorted(self._offers.items()))

    @property
    def recovered_agents(self) -> tuple[str, ...]:
        return tuple(sorted(self._recovered_agents))

    @property
    def unreachable_agents(self) -> dict[str, float]:
        return dict(sorted(self._unreachable.items()))

    def _agent_view(self, a: MAgent) -> AgentView:
        return AgentView(
            id=a.id, info=a.info, pid=a.pid, connected=a.connected, active=a.active,
            total=a.total, used=tuple(sorted(a.used_by_framework().items())),
            offered=tuple((oid, self._offers[oid].framework_id, self._offers[oid].resources)
                          for oid in a.offers),
            task_keys=tuple(sorted(a.tasks)), registered_time=a.registered_time,
            reregistered_time=a.reregistered_time)

    def agent_ledgers(self) -> tuple[AgentLedger, ...]:
        """The master's books per agent, for the invariant catalog (NoOvercommit, ...)."""
        return tuple(
            AgentLedger(agent_id=v.id, total=v.total, offered=v.offered, used=v.used)
            for v in self.agents.values())

    # ------------------------------------------------------------------ describe
    def describe(self) -> str:
        lines = [f"master {self.master_info.id} leader={'yes' if self.leader else 'no'}"]
        for fid, fw in sorted(self._frameworks.items()):
            lines += self._describe_framework(fw)
        for aid, a in sorted(self._agents.items()):
            state = ("connected" if a.connected else "disconnected") + \
                ("" if a.active else " inactive")
            lines.append(f"agent {aid} {a.info.hostname} pid={a.pid} {state} total={a.total} "
                         f"used={a.used()} offered={self._offered(a)}")
            if a.killed_tasks:
                lines.append("  kills pending: " + " ".join(t for _f, t in a.killed_tasks))
        for aid in sorted(self._recovered_agents):
            lines.append(f"agent {aid} recovered (awaiting re-registration)")
        for aid, t in sorted(self._unreachable.items()):
            lines.append(f"agent {aid} unreachable since {t:g}")
        for aid, t in sorted(self._gone.items()):
            lines.append(f"agent {aid} gone since {t:g}")
        for pid in sorted(self._registering):
            lines.append(f"agent registering pid={pid} (registry op {self._registering[pid]})")
        for aid in sorted(self._reregistering):
            lines.append(f"agent {aid} re-registering (registry op {self._reregistering[aid]})")
        for aid in sorted(self._marking_unreachable):
            lines.append(f"agent {aid} being removed (registry op {self._marking_unreachable[aid]})")
        for aid in sorted(self._pruning):
            lines.append(f"agent {aid} being pruned (registry op {self._pruning[aid]})")
        if self._registry_queue and self._registry_inflight is not None:
            lines.append(f"registrar: write {self._registry_inflight[0]} in flight, "
                         f"ops {' '.join(str(i) for i, _ in self._registry_queue)} queued")
        for fid, fw in self._completed_frameworks.items():
            lines.append(f"completed framework {fid} {fw.info.name} "
                         f"completed_tasks={len(fw.completed_tasks)}")
        return "\n".join(lines)

    def _offered(self, a: MAgent) -> Resources:
        total = Resources()
        for oid in a.offers:
            total = total + self._offers[oid].resources
        return total

    def _describe_framework(self, fw: MFramework) -> list[str]:
        flags = ["connected" if fw.connected else "disconnected",
                 "active" if fw.active else "inactive"]
        if fw.recovered:
            flags.append("recovered")
        if fw.suppressed_roles:
            flags.append("suppressed=" + ",".join(fw.suppressed_roles))
        lines = [(f"framework {fw.id} {fw.info.name} {' '.join(flags)} "
                 f"roles={','.join(fw.info.roles)}")]
        for tid in sorted(fw.tasks):
            lines.append("  task " + self._describe_task(fw.tasks[tid]))
        for tid, t in fw.unreachable_tasks.items():
            lines.append(f"  unreachable task {tid} on {t.agent_id} {t.state.name}")
        for tid, t in fw.completed_tasks.items():
            lines.append(f"  completed task {tid} on {t.agent_id} {t.state.name}")
        for oid in fw.offers:
            o = self._offers[oid]
            lines.append(f"  offer {oid} on {o.agent_id} role={o.role} {o.resources}")
        for aid, eid in sorted(fw.executors):
            lines.append(f"  executor {eid} on {aid} {fw.executors[(aid, eid)].resources}")
        return lines

    @staticmethod
    def _describe_task(t: MTask) -> str:
        s = f"{t.task_id} on {t.agent_id} {t.state.name}"
        if t.status_update_state is not None:
            s += f" (last update {t.status_update_state.name} {(t.status_update_uuid or b'').hex()[:8]})"
        return s + f" {t.resources}"

    # ------------------------------------------------------------------ metrics
    def metrics(self) -> dict[str, float]:
        m: dict[str, float] = {
            "master/elected": 1.0 if self.leader else 0.0,
            "master/uptime_secs": self.now - (self.elected_time or self.now),
        }
        agents = list(self._agents.values())
        m["master/slaves_active"] = sum(1 for a in agents if a.active)
        m["master/slaves_inactive"] = sum(1 for a in agents if not a.active)
        m["master/slaves_connected"] = sum(1 for a in agents if a.connected)
        m["master/slaves_disconnected"] = sum(1 for a in agents if not a.connected)
        m["master/slaves_unreachable"] = len(self._unreachable)
        fws = list(self._frameworks.values())
        m["master/frameworks_active"] = sum(1 for f in fws if f.active)
        m["master/frameworks_inactive"] = sum(1 for f in fws if not f.active)
        m["master/frameworks_connected"] = sum(1 for f in fws if f.connected)
        m["master/frameworks_disconnected"] = sum(1 for f in fws if not f.connected)
        m["master/outstanding_offers"] = len(self._offers)
        states = {s: 0 for s in TaskState}
        for f in fws:
            for t in f.tasks.values():
                states[t.state] += 1
            # terminal and unreachable tasks count as their framework sees them (Mesos books
            # TASK_LOST, not GONE/UNREACHABLE, for a framework that is not partition-aware:
            # SlaveRecoveryTest.RegisterDisconnectedSlave, PartitionTest.DisconnectedFramework)
            for t in f.completed_tasks.values():
                states[lifecycle.visible_state(t.state, f.info)] += 1
            for t in f.unreachable_tasks.values():
                states[lifecycle.visible_state(t.state, f.info)] += 1
        for f in self._completed_frameworks.values():
            for t in f.completed_tasks.values():
                states[lifecycle.visible_state(t.state, f.info)] += 1
        for s, n in states.items():
            key = f"master/tasks_{s.name[5:].lower()}"
            # + tasks that never existed (validation outcomes the master answered itself)
            m[key] = float(n) + self.counters.get(key, 0.0)
        total = Resources()
        used = Resources()
        for a in agents:
            total = total + a.total.unallocate()
            used = used + a.used().unallocate()
        for name in ("cpus", "gpus", "mem", "disk"):
            t, u = total.scalar(name), used.scalar(name)
            m[f"master/{name}_total"] = t
            m[f"master/{name}_used"] = u
            m[f"master/{name}_percent"] = u / t if t else 0.0
        for k, v in self.counters.items():
            if k not in m:
                m[k] = v
        return m

    # ------------------------------------------------------------------ /master/state
    def state_json(self) -> dict[str, Any]:
        mi = self.master_info
        return {
            "version": mi.version,
            "id": mi.id,
            "pid": mi.pid,
            "hostname": mi.hostname,
            "elected_time": self.elected_time,
            "leader": mi.pid if self.leader else "",
            "leader_info": {"id": mi.id, "pid": mi.pid, "port": mi.port,
                            "hostname": mi.hostname} if self.leader else {},
            "capabilities": ["AGENT_UPDATE", "AGENT_DRAINING", "QUOTA_V2"],
            "activated_slaves": sum(1 for a in self._agents.values() if a.active),
            "deactivated_slaves": sum(1 for a in self._agents.values() if not a.active),
            "unreachable_slaves": len(self._unreachable),
            "slaves": [self._slave_json(a) for _aid, a in sorted(self._agents.items())],
            "recovered_slaves": [{"id": aid, "hostname": info.hostname}
                                 for aid, info in sorted(self._recovered_agents.items())],
            "frameworks": [self._framework_json(f) for _fid, f in sorted(self._frameworks.items())],
            "completed_frameworks": [self._framework_json(f)
                                     for f in self._completed_frameworks.values()],
            "orphan_tasks": [],
            "unregistered_frameworks": [],
        }

    def _slave_json(self, a: MAgent) -> dict[str, Any]:
        return {
            "id": a.id, "hostname": a.info.hostname, "port": a.info.port, "pid": a.pid,
            "attributes": {x.name: x.value for x in a.info.attributes},
            "registered_time": a.registered_time, "reregistered_time": a.reregistered_time,
            "resources": _res_json(a.total), "used_resources": _res_json(a.used()),
            "offered_resources": _res_json(self._offered(a)),
            "reserved_resources": {role: _res_json(a.total.reserved(role))
                                   for role in sorted(a.total.reservation_roles())},
            "unreserved_resources": _res_json(a.total.unreserved()),
            "reserved_resources_full": {role: a.total.reserved(role).to_json(refinement=False)
                                        for role in sorted(a.total.reservation_roles())},
            "unreserved_resources_full": a.total.unreserved().to_json(refinement=False),
            "active": a.active, "version": a.version,
            "deactivated": not a.active or ("deactivated", a.id) in self._settings
            or ("drain", a.id) in self._settings,
            "capabilities": [],
            **self._drain_json(a.id),
        }

    def _drain_json(self, aid: str) -> dict[str, Any]:
        """`drain_info` {state, config {max_grace_period?, mark_gone}} of a drained/draining
        agent (core/master/operator.py keeps it in the registry)."""
        v = self._settings.get(("drain", aid))
        if not v:
            return {}
        config: dict[str, Any] = {"mark_gone": bool(v[2])}
        if v[1] is not None:
            config["max_grace_period"] = {"nanoseconds": round(v[1] * 1e9)}
        return {"drain_info": {"state": v[0], "config": config}}

    def _task_json(self, t: MTask, fw_info: Any) -> dict[str, Any]:
        out = {
            "id": t.task_id, "name": t.info.name, "framework_id": t.framework_id,
            "executor_id": t.executor_id, "slave_id": t.agent_id,
            "state": lifecycle.visible_state(t.state, fw_info).name,
            "resources": _res_json(t.resources), "role": t.role,
            "statuses": [{"state": s.state.name, "timestamp": s.timestamp} for s in t.statuses],
        }
        user = _command_user(t.info.command) or (
            _command_user(t.info.executor.command) if t.info.executor is not None else None)
        if user:  # Mesos's Task.user: set only when the task's (or executor's) command names one
            out["user"] = user
        return out

    def _framework_json(self, f: MFramework) -> dict[str, Any]:
        used = Resources()
        for t in f.tasks.values():
            if not t.state.is_terminal:
                used = used + t.resources
        offered = Resources()
        for oid in f.offers:
            offered = offered + self._offers[oid].resources
        return {
            "id": f.id, "name": f.info.name, "user": f.info.user, "hostname": f.info.hostname,
            "webui_url": f.info.webui_url, "failover_timeout": f.info.failover_timeout,
            "checkpoint": f.info.checkpoint, "principal": f.info.principal,
            "roles": list(f.info.roles), "role": f.info.roles[0] if f.info.roles else "*",
            "capabilities": sorted(c.name for c in f.info.capabilities),
            "active": f.active, "connected": f.connected, "recovered": f.recovered,
            # Mesos's model: registered_time 0 for a framework recovered from its agents (it
            # has not registered with this master), reregistered_time only when it differs
            "registered_time": f.registered_time or 0,
            **({"reregistered_time": f.reregistered_time}
               if f.reregistered_time is not None and f.reregistered_time != f.registered_time
               else {}),
            "unregistered_time": f.unregistered_time or 0,
            "used_resources": _res_json(used), "offered_resources": _res_json(offered),
            "resources": _res_json(used + offered),
            "tasks": [self._task_json(t, f.info) for _tid, t in sorted(f.tasks.items())],
            "unreachable_tasks": [self._task_json(t, f.info) for t in f.unreachable_tasks.values()],
            "completed_tasks": [self._task_json(t, f.info) for t in f.completed_tasks.values()],
            "offers": [{"id": oid, "framework_id": f.id, "slave_id": self._offers[oid].agent_id,
                        "allocation_info": {"role": self._offers[oid].role},
                        "resources": _res_json(self._offers[oid].resources)} for oid in f.offers],
            "executors": [{"executor_id": eid, "name": e.name, "framework_id": f.id,
                           "slave_id": aid, "resources": _res_json(e.resources), "type": e.type,
                           **({"user": u} if (u := _command_user(e.command)) else {})}
                          for (aid, eid), e in sorted(f.executors.items())],
            "offer_constraints": {},
        }


def _command_user(command: Any) -> str | None:
    return command.user if command is not None and command.user else None
