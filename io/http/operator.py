"""The v1 master operator API (`POST /api/v1`): every call of Mesos 1.11's master.proto.

Served: GET_HEALTH, GET_FLAGS, GET_VERSION, GET_METRICS, GET/SET_LOGGING_LEVEL, LIST_FILES,
READ_FILE, GET_STATE, GET_AGENTS, GET_FRAMEWORKS, GET_EXECUTORS, GET_OPERATIONS, GET_TASKS,
GET_ROLES, GET_WEIGHTS, UPDATE_WEIGHTS, GET_MASTER, SUBSCRIBE, GET_MAINTENANCE_STATUS and
GET_MAINTENANCE_SCHEDULE (empty: no schedules), RESERVE_RESOURCES, UNRESERVE_RESOURCES,
DRAIN_AGENT, DEACTIVATE_AGENT,
REACTIVATE_AGENT, GET_QUOTA, UPDATE_QUOTA, SET_QUOTA and REMOVE_QUOTA (deprecated forms),
TEARDOWN, MARK_AGENT_GONE. The writes are decided by the master machine
(core/master/operator.py). 501 naming the call: UNSERVED below.

The answers are built from the master machine's read-only state (the same snapshot that
serves `/master/state`), converted to v1 protobuf messages (resources as Resource arrays)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

import attrs
from mesotron.core.resources import Resources
from mesotron.core.values import Attribute
from mesotron.io.http import operator_common as common
from mesotron.io.http.auth import FORBIDDEN_BODY, can
from mesotron.spec import master_pb2 as mpb
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_values import attribute_to_pb, master_to_pb, resources_to_pb
from mesotron.spec.wire import PROTOBUF, WireError, encode, from_dict, record

if TYPE_CHECKING:  # pragma: no cover
    from mesotron.io.daemons.master import MasterDaemon

SUBSCRIBE = object()
C = mpb.Call


def _res(flat: Any) -> list[pb.Resource]:
    """Legacy flattened resources ({"cpus": 2.0, "ports": "[1-2]"}) -> v1 Resource list."""
    if not isinstance(flat, dict):
        return []
    parts = []
    for k, v in flat.items():
        if isinstance(v, (int, float)):
            if v:
                parts.append(f"{k}:{v}")
        elif isinstance(v, str) and v:
            parts.append(f"{k}:{v.replace(' ', '')}")
    try:
        return resources_to_pb(Resources.parse(";".join(parts))) if parts else []
    except ValueError:
        return []


def _full(s: dict[str, Any]) -> list[pb.Resource] | None:
    """An agent's total resources with their reservations (the `*_full` v1 lists)."""
    if "unreserved_resources_full" not in s:
        return None
    items = list(s.get("unreserved_resources_full") or [])
    for role_items in (s.get("reserved_resources_full") or {}).values():
        items += role_items
    try:
        return [from_dict(x, pb.Resource) for x in items]
    except WireError:
        return None


def _time(seconds: Any) -> pb.TimeInfo | None:
    if isinstance(seconds, (int, float)):
        return pb.TimeInfo(nanoseconds=int(seconds * 1e9))
    return None


def _task(t: dict[str, Any]) -> pb.Task:
    m = pb.Task(name=t.get("name", ""), state=pb.TaskState.Value(t.get("state", "TASK_STAGING")))
    m.task_id.value = t["id"]
    m.framework_id.value = t.get("framework_id", "")
    m.agent_id.value = t.get("slave_id", "")
    if t.get("executor_id"):
        m.executor_id.value = t["executor_id"]
    m.resources.extend(_res(t.get("resources")))
    for s in t.get("statuses", []):
        st = m.statuses.add(state=pb.TaskState.Value(s.get("state", "TASK_STAGING")))
        st.task_id.value = t["id"]
        if "timestamp" in s:
            st.timestamp = float(s["timestamp"])
    return m


def _agent(s: dict[str, Any]) -> mpb.Response.GetAgents.Agent:
    a = mpb.Response.GetAgents.Agent(active=bool(s.get("active", True)),
                                     version=str(s.get("version", "1.11.0")), pid=s.get("pid", ""))
    a.agent_info.hostname = s.get("hostname", "")
    a.agent_info.port = int(s.get("port", 5051))
    a.agent_info.id.value = s["id"]
    total = _full(s)
    if total is None:
        total = _res(s.get("resources"))
    a.agent_info.resources.extend(total)
    a.total_resources.extend(total)
    for name, value in sorted((s.get("attributes") or {}).items()):
        try:
            a.agent_info.attributes.append(attribute_to_pb(Attribute(name=name, value=value)))
        except (ValueError, TypeError):
            continue
    drain = s.get("drain_info")
    if drain:
        a.drain_info.CopyFrom(from_dict(drain, pb.DrainInfo))
    a.allocated_resources.extend(_res(s.get("used_resources")))
    a.offered_resources.extend(_res(s.get("offered_resources")))
    rt = _time(s.get("registered_time"))
    if rt is not None:
        a.registered_time.CopyFrom(rt)
    a.deactivated = bool(s.get("deactivated", False))
    return a


def _framework(f: dict[str, Any]) -> mpb.Response.GetFrameworks.Framework:
    m = mpb.Response.GetFrameworks.Framework(
        active=bool(f.get("active", False)), connected=bool(f.get("connected", False)),
        recovered=bool(f.get("recovered", False)))
    fi = m.framework_info
    fi.user, fi.name = f.get("user", ""), f.get("name", "")
    fi.id.value = f["id"]
    fi.failover_timeout = float(f.get("failover_timeout", 0.0))
    fi.checkpoint = bool(f.get("checkpoint", False))
    if f.get("roles"):
        fi.roles.extend(f["roles"])
    elif f.get("role"):
        fi.role = f["role"]
    if f.get("hostname"):
        fi.hostname = f["hostname"]
    for c in f.get("capabilities", []):
        if c in pb.FrameworkInfo.Capability.Type.keys():  # noqa: SIM118 - protobuf enum wrapper
            fi.capabilities.add(type=pb.FrameworkInfo.Capability.Type.Value(c))
    rt = _time(f.get("registered_time"))
    if rt is not None:
        m.registered_time.CopyFrom(rt)
    m.allocated_resources.extend(_res(f.get("used_resources")))
    m.offered_resources.extend(_res(f.get("offered_resources")))
    return m


def get_agents(state: dict[str, Any]) -> mpb.Response.GetAgents:
    return mpb.Response.GetAgents(agents=[_agent(s) for s in state.get("slaves", [])])


def get_frameworks(state: dict[str, Any]) -> mpb.Response.GetFrameworks:
    return mpb.Response.GetFrameworks(
        frameworks=[_framework(f) for f in state.get("frameworks", [])],
        completed_frameworks=[_framework(f) for f in state.get("completed_frameworks", [])],
    )


def get_tasks(state: dict[str, Any]) -> mpb.Response.GetTasks:
    r = mpb.Response.GetTasks()
    for f in state.get("frameworks", []) + state.get("completed_frameworks", []):
        r.tasks.extend(_task(t) for t in f.get("tasks", []))
        r.unreachable_tasks.extend(_task(t) for t in f.get("unreachable_tasks", []))
        r.completed_tasks.extend(_task(t) for t in f.get("completed_tasks", []))
    return r


def get_executors(state: dict[str, Any]) -> mpb.Response.GetExecutors:
    r = mpb.Response.GetExecutors()
    for f in state.get("frameworks", []):
        for e in f.get("executors", []):
            x = r.executors.add()
            x.executor_info.executor_id.value = e.get("executor_id", "")
            x.executor_info.framework_id.value = f["id"]
            x.agent_id.value = e.get("slave_id", "")
    return r


def get_state(state: dict[str, Any]) -> mpb.Response.GetState:
    return mpb.Response.GetState(
        get_tasks=get_tasks(state), get_executors=get_executors(state),
        get_frameworks=get_frameworks(state), get_agents=get_agents(state))


@attrs.frozen
class MachineCall:
    """An operator call the master machine decides (core/master/operator.py)."""

    call: Any


# Mesos 1.11 master calls mesotron does not serve: 501 naming the call
UNSERVED = frozenset({C.CREATE_VOLUMES, C.DESTROY_VOLUMES, C.GROW_VOLUME, C.SHRINK_VOLUME,
                      C.UPDATE_MAINTENANCE_SCHEDULE, C.START_MAINTENANCE, C.STOP_MAINTENANCE})


def files(d: MasterDaemon) -> dict[str, str]:
    """The master's attached virtual paths (Mesos attaches its log as /master/log)."""
    log_file = getattr(d, "log_file", None)
    return {"/master/log": log_file} if log_file else {}


def _log_files(d: Any, path: str) -> dict[str, str]:
    """files(d), when the caller may read the master's log (access_mesos_logs), else 403."""
    out = files(d)
    log_file = out.get("/master/log")
    if log_file is not None and path and common.resolve(out, path) == os.path.realpath(log_file) \
            and not can(d, "access_mesos_logs", None):
        raise WireError(FORBIDDEN_BODY, 403)
    return out


def _scalars(m: Any) -> tuple[tuple[str, float], ...]:
    out = []
    for name, v in sorted(m.items()):
        out.append((name, float(v.value)))
    return tuple(out)


def _decode_write(call: mpb.Call) -> Any:
    """The core value of a write call, or WireError (400) for a missing/bad argument."""
    from mesotron.core.master import operator as op
    from mesotron.spec.codec_values import ns_to_seconds

    t = call.type

    def need(field: str) -> Any:
        if not call.HasField(field):
            raise WireError(f"Expecting '{field}' to be present")
        return getattr(call, field)

    if t == C.TEARDOWN:
        return op.Teardown(framework_id=need("teardown").framework_id.value)
    if t == C.UPDATE_WEIGHTS:
        u = need("update_weights")
        return op.UpdateWeights(weights=tuple((w.role, w.weight) for w in u.weight_infos))
    if t == C.UPDATE_QUOTA:
        u = need("update_quota")
        return op.UpdateQuota(force=u.force, configs=tuple(
            op.QuotaConfig(role=c.role, guarantees=_scalars(c.guarantees),
                           limits=_scalars(c.limits)) for c in u.quota_configs))
    if t == C.SET_QUOTA:  # deprecated (pre-1.9) form: guarantee == limit
        q = need("set_quota").quota_request
        sc = tuple(sorted((r.name, r.scalar.value) for r in q.guarantee if r.HasField("scalar")))
        return op.UpdateQuota(force=q.force, configs=(
            op.QuotaConfig(role=q.role, guarantees=sc, limits=sc),))
    if t == C.REMOVE_QUOTA:
        return op.UpdateQuota(force=True, configs=(op.QuotaConfig(role=need("remove_quota").role),))
    if t == C.DEACTIVATE_AGENT:
        return op.DeactivateAgent(agent_id=need("deactivate_agent").agent_id.value)
    if t == C.REACTIVATE_AGENT:
        return op.ReactivateAgent(agent_id=need("reactivate_agent").agent_id.value)
    if t == C.DRAIN_AGENT:
        dr = need("drain_agent")
        grace = ns_to_seconds(dr.max_grace_period.nanoseconds) if dr.HasField("max_grace_period") else None
        return op.DrainAgent(agent_id=dr.agent_id.value, max_grace_period=grace, mark_gone=dr.mark_gone)
    if t in (C.RESERVE_RESOURCES, C.UNRESERVE_RESOURCES):
        from mesotron.spec.codec_values import resources_from_pb

        reserve = t == C.RESERVE_RESOURCES
        r = need("reserve_resources" if reserve else "unreserve_resources")
        try:
            res = resources_from_pb(r.resources)
        except ValueError as e:
            raise WireError(f"Invalid resources: {e}") from None
        return op.ReserveResources(agent_id=r.agent_id.value, resources=res, reserve=reserve)
    if t == C.MARK_AGENT_GONE:
        return op.MarkAgentGone(agent_id=need("mark_agent_gone").agent_id.value)
    return None


def get_roles(d: MasterDaemon, state: dict[str, Any]) -> mpb.Response.GetRoles:
    """Every role that is whitelisted, has a framework, a weight or a quota (Mesos GET_ROLES)."""
    m = d.machine
    weights = m.weights()
    roles: dict[str, list[str]] = {r: [] for r in (m.config.roles or ())}
    used: dict[str, Resources] = {}
    from mesotron.spec.codec_values import resources_from_pb

    for r in list(weights) + list(m.quotas()):
        roles.setdefault(r, [])
    for f in state.get("frameworks", []):
        for r in f.get("roles") or ([f["role"]] if f.get("role") else []):
            roles.setdefault(r, []).append(f["id"])
    for fw in state.get("frameworks", []):
        for t in fw.get("tasks", []):
            role = t.get("role")
            if role:
                used[role] = used.get(role, Resources()) + resources_from_pb(_res(t.get("resources")))
    out = mpb.Response.GetRoles()
    for name in sorted(roles):
        if not can(d, "view_roles", name):  # --acls: roles the principal may not view are left out
            continue
        role = out.roles.add(name=name, weight=weights.get(name, 1.0))
        for fid in sorted(set(roles[name])):
            role.frameworks.add(value=fid)
        role.resources.extend(resources_to_pb(used.get(name, Resources())))
    return out


def get_operations(d: MasterDaemon) -> mpb.Response.GetOperations:
    from mesotron.spec.codec_scheduler import operation_status_to_pb, operation_to_pb

    out = mpb.Response.GetOperations()
    for rec in d.machine.operations_of():
        o = out.operations.add()
        o.framework_id.value = rec.framework_id
        o.agent_id.value = rec.agent_id
        if rec.info is not None:
            o.info.CopyFrom(operation_to_pb(rec.info))
        else:  # recovered from the registry after a failover: only its outcome is kept
            o.info.id.value = rec.operation_id
        o.latest_status.CopyFrom(operation_status_to_pb(rec.statuses[-1]))
        o.statuses.extend(operation_status_to_pb(st) for st in rec.statuses)
        o.uuid.value = rec.statuses[-1].uuid or b"\0" * 16
    return out


def get_weights(d: MasterDaemon) -> mpb.Response.GetWeights:
    out = mpb.Response.GetWeights()
    for role, w in sorted(d.machine.weights().items()):
        if not can(d, "view_roles", role):
            continue
        out.weight_infos.add(role=role, weight=w)
    return out


def get_quota(d: MasterDaemon) -> mpb.Response.GetQuota:
    out = mpb.Response.GetQuota()
    out.status.SetInParent()  # required, also when no role has a quota (protobuf answers)
    for role, q in sorted(d.machine.quotas().items()):
        if not can(d, "get_quotas", role):
            continue
        c = out.status.configs.add(role=role)
        for name, v in q.guarantees:
            c.guarantees[name].value = v
        for name, v in q.limits:
            c.limits[name].value = v
        info = out.status.infos.add(role=role)
        if q.guarantees:
            info.guarantee.extend(resources_to_pb(Resources.from_scalars(dict(q.guarantees))))
    return out


def handle(d: MasterDaemon, call: mpb.Call) -> Any:
    """The Response for `call`, SUBSCRIBE for a stream, None for 202, a MachineCall for the
    master machine to decide; WireError for 4xx/501."""
    t = call.type if call.HasField("type") else None
    if t is None or t == C.UNKNOWN:
        raise WireError("Failed to validate master::Call: Expecting 'type' to be present")
    if t in UNSERVED:
        raise common.unserved(C.Type.Name, t)
    write = _decode_write(call)
    if write is not None:
        return MachineCall(write)
    name = C.Type.Name(t)
    r = mpb.Response(type=mpb.Response.Type.Value(name) if name in mpb.Response.Type.keys()  # noqa: SIM118
                     else mpb.Response.UNKNOWN)
    if t == C.GET_HEALTH:
        r.get_health.healthy = d.alive
    elif t == C.GET_FLAGS:
        r.get_flags.flags.extend(common.flags(d.flags))
    elif t == C.GET_VERSION:
        r.get_version.version_info.CopyFrom(common.version_info(mpb.VersionInfo))
    elif t == C.GET_METRICS:
        r.get_metrics.metrics.extend(common.metrics(d.metrics_snapshot()))
    elif t == C.GET_LOGGING_LEVEL:
        r.get_logging_level.level = common.get_logging_level()
    elif t == C.SET_LOGGING_LEVEL:
        common.set_logging_level(call)
        return common.OK
    elif t == C.LIST_FILES:
        r.list_files.file_infos.extend(common.list_files(call, _log_files(d, call.list_files.path)))
    elif t == C.READ_FILE:
        size, data = common.read_file(call, _log_files(d, call.read_file.path))
        r.read_file.size, r.read_file.data = size, data
    elif t == C.GET_MASTER:
        r.get_master.master_info.CopyFrom(master_to_pb(d.master_info))
        r.get_master.start_time = d.start_time
        r.get_master.elected_time = d.start_time
    elif t == C.GET_STATE:
        r.get_state.CopyFrom(get_state(d.state_json()))
    elif t == C.GET_AGENTS:
        r.get_agents.CopyFrom(get_agents(d.state_json()))
    elif t == C.GET_FRAMEWORKS:
        r.get_frameworks.CopyFrom(get_frameworks(d.state_json()))
    elif t == C.GET_EXECUTORS:
        r.get_executors.CopyFrom(get_executors(d.state_json()))
    elif t == C.GET_TASKS:
        r.get_tasks.CopyFrom(get_tasks(d.state_json()))
    elif t == C.GET_ROLES:
        r.get_roles.CopyFrom(get_roles(d, d.state_json()))
    elif t == C.GET_WEIGHTS:
        r.get_weights.CopyFrom(get_weights(d))
    elif t == C.GET_QUOTA:
        r.get_quota.CopyFrom(get_quota(d))
    elif t == C.GET_OPERATIONS:
        r.get_operations.CopyFrom(get_operations(d))
    elif t == C.GET_MAINTENANCE_STATUS:
        r.get_maintenance_status.status.SetInParent()  # no maintenance schedules: empty
    elif t == C.GET_MAINTENANCE_SCHEDULE:
        r.get_maintenance_schedule.schedule.SetInParent()
    elif t == C.SUBSCRIBE:
        return SUBSCRIBE
    else:  # pragma: no cover - every Mesos 1.11 type is handled above
        raise common.unserved(C.Type.Name, t)
    return r


def encode_response(r: mpb.Response, fmt: str) -> bytes:
    return encode(r, fmt)


def subscribed_event(d: MasterDaemon) -> mpb.Event:
    ev = mpb.Event(type=mpb.Event.SUBSCRIBED)
    ev.subscribed.get_state.CopyFrom(get_state(d.state_json()))
    ev.subscribed.heartbeat_interval_seconds = 15.0
    return ev


class OperatorFeed:
    """Turns the master machine's effects into operator API events (TASK_ADDED, TASK_UPDATED,
    FRAMEWORK_ADDED/REMOVED, AGENT_ADDED/REMOVED) for SUBSCRIBE streams. It only observes
    what the machine already decided (a task sent to an agent, an update sent to a
    framework, an agent admitted, a framework or agent removed)."""

    def __init__(self, daemon: MasterDaemon) -> None:
        self.d = daemon
        self.stream_framework: dict[str, str] = {}

    def observe(self, effect: Any) -> list[mpb.Event]:
        from mesotron.core.effects import Log, Send
        from mesotron.core.messages import (
            AgentRegistered,
            EventSubscribed,
            EventUpdate,
            RunTask,
            RunTaskGroup,
        )
        from mesotron.spec.codec_values import status_to_pb, task_to_pb

        out: list[mpb.Event] = []
        if isinstance(effect, Send):
            msg = effect.message
            if isinstance(msg, EventSubscribed):
                self.stream_framework[effect.to] = msg.framework_id
                fw = self.framework(msg.framework_id)
                if fw is not None:
                    ev = mpb.Event(type=mpb.Event.FRAMEWORK_ADDED)
                    ev.framework_added.framework.CopyFrom(fw)
                    out.append(ev)
            elif isinstance(msg, EventUpdate):
                fid = self.stream_framework.get(effect.to)
                if fid is not None:
                    ev = mpb.Event(type=mpb.Event.TASK_UPDATED)
                    ev.task_updated.framework_id.value = fid
                    ev.task_updated.status.CopyFrom(status_to_pb(msg.status))
                    ev.task_updated.state = msg.status.state.value
                    out.append(ev)
            elif isinstance(msg, (RunTask, RunTaskGroup)):
                fid = msg.framework_info.id or ""
                tasks = (msg.task,) if isinstance(msg, RunTask) else msg.tasks
                for t in tasks:
                    info = task_to_pb(t)
                    ev = mpb.Event(type=mpb.Event.TASK_ADDED)
                    task = ev.task_added.task
                    task.name, task.state = info.name, pb.TASK_STAGING
                    task.task_id.CopyFrom(info.task_id)
                    task.agent_id.CopyFrom(info.agent_id)
                    task.framework_id.value = fid
                    task.resources.extend(info.resources)
                    if info.HasField("executor"):
                        task.executor_id.CopyFrom(info.executor.executor_id)
                    out.append(ev)
            elif isinstance(msg, AgentRegistered):
                for a in self.d.state_json().get("slaves", []):
                    if a.get("id") == msg.agent_id:
                        ev = mpb.Event(type=mpb.Event.AGENT_ADDED)
                        ev.agent_added.agent.CopyFrom(_agent(a))
                        out.append(ev)
        elif isinstance(effect, Log):
            fields = dict(effect.fields)
            if effect.event == "framework_removed" and "framework_id" in fields:
                ev = mpb.Event(type=mpb.Event.FRAMEWORK_REMOVED)
                info = ev.framework_removed.framework_info
                info.user, info.name = "", ""
                info.id.value = fields["framework_id"]
                for s in self.d.state_json().get("completed_frameworks", []):
                    if s.get("id") == fields["framework_id"]:
                        info.CopyFrom(_framework(s).framework_info)
                out.append(ev)
            elif effect.event == "agent_removed" and "agent_id" in fields:
                ev = mpb.Event(type=mpb.Event.AGENT_REMOVED)
                ev.agent_removed.agent_id.value = fields["agent_id"]
                out.append(ev)
        return out

    def framework(self, fid: str) -> mpb.Response.GetFrameworks.Framework | None:
        for f in self.d.state_json().get("frameworks", []):
            if f.get("id") == fid:
                return _framework(f)
        return None


def event_visible(d: Any, acls: Any, principal: str | None, ev: mpb.Event) -> bool:
    """May a SUBSCRIBE stream of `principal` get `ev` (core/authorizer.py event_visible)?"""
    from mesotron.core.authorizer import event_visible as decide

    kind = mpb.Event.Type.Name(ev.type)
    fid = tid = None
    if ev.type == mpb.Event.TASK_ADDED:
        fid, tid = ev.task_added.task.framework_id.value, ev.task_added.task.task_id.value
    elif ev.type == mpb.Event.TASK_UPDATED:
        fid, tid = ev.task_updated.framework_id.value, ev.task_updated.status.task_id.value
    elif ev.type == mpb.Event.FRAMEWORK_ADDED:
        fid = ev.framework_added.framework.framework_info.id.value
    elif ev.type == mpb.Event.FRAMEWORK_UPDATED:
        fid = ev.framework_updated.framework.framework_info.id.value
    elif ev.type == mpb.Event.FRAMEWORK_REMOVED:
        fid = ev.framework_removed.framework_info.id.value
    fw_user, task_user = d.machine.users_of(fid, tid) if fid else (None, None)
    return decide(acls, principal, kind, fw_user, task_user)


def heartbeat_event() -> mpb.Event:
    return mpb.Event(type=mpb.Event.HEARTBEAT)


def encode_event(ev: mpb.Event, fmt: str) -> bytes:
    return encode(ev, fmt)


__all__ = [
    "PROTOBUF",
    "SUBSCRIBE",
    "encode_event",
    "encode_response",
    "handle",
    "heartbeat_event",
    "mpb",
    "record",
    "subscribed_event",
]
