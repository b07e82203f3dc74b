"""The v1 master operator API (`POST /api/v1`): GET_HEALTH, GET_VERSION, GET_MASTER,
GET_STATE, GET_AGENTS, GET_FRAMEWORKS, GET_EXECUTORS, GET_TASKS, SUBSCRIBE.

The answers are built from the master machine's read-only state (the same snapshot that
serves `/master/state`), converted to v1 protobuf messages (resources as Resource arrays)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from mesotron.core.resources import Resources
from mesotron.spec import master_pb2 as mpb
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_values import master_to_pb, resources_to_pb
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
    a.agent_info.resources.extend(_res(s.get("resources")))
    a.total_resources.extend(_res(s.get("resources")))
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


def handle(d: MasterDaemon, call: mpb.Call) -> Any:
    """The Response for `call`, SUBSCRIBE for a stream, None for 202; WireError for 4xx/501."""
    t = call.type if call.HasField("type") else None
    if t is None:
        raise WireError("Failed to validate master::Call: Expecting 'type' to be present")
    r = mpb.Response(type=t)
    if t == C.GET_HEALTH:
        r.get_health.healthy = d.alive
    elif t == C.GET_VERSION:
        from mesotron.io.http.master import version_json

        v = version_json()
        r.get_version.version_info.CopyFrom(from_dict(
            {k: v[k] for k in ("version", "build_date", "build_time", "build_user")}, mpb.VersionInfo))
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
    elif t == C.SUBSCRIBE:
        return SUBSCRIBE
    else:
        raise WireError(f"Operator call {C.Type.Name(t)} is not supported by mesotron", 501)
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
