"""The agent's v1 operator API (`POST /api/v1` on the agent; Mesos 1.11 agent.proto).

Served: GET_HEALTH, GET_FLAGS, GET_VERSION, GET_METRICS, GET_LOGGING_LEVEL, SET_LOGGING_LEVEL,
LIST_FILES, READ_FILE, GET_STATE, GET_CONTAINERS, GET_FRAMEWORKS, GET_EXECUTORS,
GET_OPERATIONS, GET_TASKS, GET_AGENT. Every other agent call of Mesos 1.11 (nested containers,
standalone containers, ATTACH_*, resource providers, PRUNE_IMAGES) answers 501 naming it.

The answers are read from the agent machine's state (read only) and the containerizer's
statistics; nothing here changes the agent.

With --acls the daemon comes as `viewer(daemon, principal)` (io/http/auth.py): frameworks
are left out by view_frameworks (FrameworkInfo.user), executors by view_executors and tasks by
view_tasks (their command's user, else the framework's); LIST_FILES/READ_FILE answer 403 on a
sandbox the principal may not access (access_sandboxes, the framework's user) and on the
agent's log (access_mesos_logs)."""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Any

from mesotron.io.http import operator_common as common
from mesotron.io.http.auth import FORBIDDEN_BODY, can, sandbox_user
from mesotron.spec import agent_pb2 as apb
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_values import (
    agent_to_pb,
    executor_to_pb,
    framework_to_pb,
    resources_to_pb,
    task_to_pb,
)
from mesotron.spec.wire import WireError, from_dict

if TYPE_CHECKING:  # pragma: no cover
    from mesotron.io.daemons.agent import AgentDaemon

C = apb.Call
R = apb.Response

SERVED = frozenset({
    C.GET_HEALTH, C.GET_FLAGS, C.GET_VERSION, C.GET_METRICS, C.GET_LOGGING_LEVEL,
    C.SET_LOGGING_LEVEL, C.LIST_FILES, C.READ_FILE, C.GET_STATE, C.GET_CONTAINERS,
    C.GET_FRAMEWORKS, C.GET_EXECUTORS, C.GET_OPERATIONS, C.GET_TASKS, C.GET_AGENT,
})


def container_statistics(d: AgentDaemon, container_id: str) -> dict[str, Any]:
    """ResourceStatistics (as a dict of Mesos field names) of one container: from its cgroup
    counters when isolated, psutil otherwise (io/containers/stats.py)."""
    from mesotron.io.containers.stats import container_statistics as measured

    stats: dict[str, Any] = measured(d.containers, container_id)
    return stats


def files(d: AgentDaemon) -> dict[str, str]:
    """The agent's attached virtual paths (Mesos `Files::attach`): the sandboxes under their
    real path, and `/frameworks/F/executors/E/runs/<container>|latest` (Mesos's virtual
    sandbox path) under the current agent id's tree."""
    out = {os.path.join(d.work_dir, "slaves"): os.path.join(d.work_dir, "slaves")}
    aid = d.machine.agent_id
    if aid:
        out["/frameworks"] = os.path.join(d.work_dir, "slaves", aid, "frameworks")
    log_file = getattr(d, "log_file", None)
    if log_file:
        out["/slave/log"] = log_file
    return out


def _may_read(d: AgentDaemon, raw: str) -> dict[str, str]:
    """files(d), when the principal may read `raw` (with --acls): the agent's log needs
    access_mesos_logs, a sandbox access_sandboxes on its framework's user; else 403."""
    attached = files(d)
    real = common.resolve(attached, raw) if raw else None
    if real is not None:
        log_file = attached.get("/slave/log")
        if log_file is not None and real == os.path.realpath(log_file):
            if not can(d, "access_mesos_logs", None):
                raise WireError(FORBIDDEN_BODY, 403)
        elif not can(d, "access_sandboxes", sandbox_user(getattr(d, "_d", d), real)):  # unfiltered lookup
            raise WireError(FORBIDDEN_BODY, 403)
    return attached


def _task(d: AgentDaemon, t: Any) -> pb.Task:
    info = task_to_pb(t.info)
    m = pb.Task(name=info.name, state=t.state.value)
    m.task_id.CopyFrom(info.task_id)
    m.framework_id.value = t.framework_id
    m.agent_id.value = d.machine.agent_id or ""
    if t.executor_id:
        m.executor_id.value = t.executor_id
    m.resources.extend(info.resources)
    return m


def _command_user(command: Any) -> str | None:
    return getattr(command, "user", None) if command is not None else None


def _visible_frameworks(d: AgentDaemon) -> list[Any]:
    return [fw for fw in list(d.machine.frameworks.values()) + list(d.machine.completed_frameworks)
            if can(d, "view_frameworks", fw.info.user)]


def _executors(d: AgentDaemon) -> list[tuple[Any, Any, bool]]:
    """(framework entry, executor entry, completed) of every executor the agent knows (that
    the principal may view, with --acls)."""
    out = []
    for fw in _visible_frameworks(d):
        for ex in fw.executors.values():
            out.append((fw, ex, False))
        for ex in fw.completed_executors:
            out.append((fw, ex, True))
    return out


def _task_visible(d: AgentDaemon, fw: Any, ex: Any, t: Any) -> bool:
    user = _command_user(t.info.command) or _command_user(getattr(ex.info, "command", None))
    return can(d, "view_tasks", user or fw.info.user)


def _executor_visible(d: AgentDaemon, fw: Any, ex: Any) -> bool:
    return can(d, "view_executors", _command_user(getattr(ex.info, "command", None)) or fw.info.user)


def _executor_pb(fw: Any, ex: Any) -> pb.ExecutorInfo:
    m = executor_to_pb(ex.info)
    if not m.HasField("framework_id"):
        m.framework_id.value = fw.id
    return m


def get_frameworks(d: AgentDaemon) -> R.GetFrameworks:
    r = R.GetFrameworks()
    for fw in d.machine.frameworks.values():
        if can(d, "view_frameworks", fw.info.user):
            r.frameworks.add().framework_info.CopyFrom(framework_to_pb(fw.info))
    for fw in d.machine.completed_frameworks:
        if can(d, "view_frameworks", fw.info.user):
            r.completed_frameworks.add().framework_info.CopyFrom(framework_to_pb(fw.info))
    return r


def get_executors(d: AgentDaemon) -> R.GetExecutors:
    r = R.GetExecutors()
    for fw, ex, done in _executors(d):
        if not _executor_visible(d, fw, ex):
            continue
        live = ex.state != "terminated" and not done
        (r.executors if live else r.completed_executors).add().executor_info.CopyFrom(_executor_pb(fw, ex))
    return r


def get_tasks(d: AgentDaemon) -> R.GetTasks:
    r = R.GetTasks()
    for fw, ex, _done in _executors(d):
        for t in ex.tasks.values():
            if not _task_visible(d, fw, ex, t):
                continue
            if t.queued:
                r.queued_tasks.append(_task(d, t))
            elif t.state.is_terminal:
                r.terminated_tasks.append(_task(d, t))
            else:
                r.launched_tasks.append(_task(d, t))
        r.completed_tasks.extend(_task(d, t) for t in ex.completed if _task_visible(d, fw, ex, t))
    return r


def get_containers(d: AgentDaemon) -> R.GetContainers:
    r = R.GetContainers()
    for fw, ex, done in _executors(d):
        if done or ex.state == "terminated":
            continue
        c = r.containers.add(executor_name=ex.info.name)
        c.framework_id.value = fw.id
        c.executor_id.value = ex.info.executor_id
        c.container_id.value = ex.container_id
        c.container_status.container_id.value = ex.container_id
        stats = container_statistics(d, ex.container_id)
        known = {f.name for f in pb.ResourceStatistics.DESCRIPTOR.fields}
        c.resource_statistics.CopyFrom(from_dict({k: v for k, v in stats.items() if k in known},
                                                 pb.ResourceStatistics))
        # without isolation there is no enforced limit to read: report the container's resources
        lim = ex.resources()
        if lim.scalar("cpus") and "cpus_limit" not in stats:
            c.resource_statistics.cpus_limit = lim.scalar("cpus")
        if lim.scalar("mem") and "mem_limit_bytes" not in stats:
            c.resource_statistics.mem_limit_bytes = int(lim.scalar("mem") * 1024 * 1024)
    return r


def handle(d: AgentDaemon, call: apb.Call) -> Any:
    """The Response for `call`, or common.OK (200, empty body); WireError for 4xx and 501."""
    if not call.HasField("type"):
        raise WireError("Failed to validate agent::Call: Expecting 'type' to be present")
    t = call.type
    if t not in SERVED:
        raise common.unserved(C.Type.Name, t)
    name = C.Type.Name(t)
    r = apb.Response(type=R.Type.Value(name) if name in R.Type.keys() else R.UNKNOWN)  # noqa: SIM118
    if t == C.GET_HEALTH:
        r.get_health.healthy = True
    elif t == C.GET_FLAGS:
        r.get_flags.flags.extend(common.flags(d.flags))
    elif t == C.GET_VERSION:
        r.get_version.version_info.CopyFrom(common.version_info(R.GetVersion.VersionInfo))
    elif t == C.GET_METRICS:
        r.get_metrics.metrics.extend(common.metrics(d.metrics_snapshot()))
    elif t == C.GET_LOGGING_LEVEL:
        r.get_logging_level.level = common.get_logging_level()
    elif t == C.SET_LOGGING_LEVEL:
        common.set_logging_level(call)
        return common.OK
    elif t == C.LIST_FILES:
        r.list_files.file_infos.extend(common.list_files(call, _may_read(d, call.list_files.path)))
    elif t == C.READ_FILE:
        size, data = common.read_file(call, _may_read(d, call.read_file.path))
        r.read_file.size, r.read_file.data = size, data
    elif t == C.GET_STATE:
        r.get_state.get_tasks.CopyFrom(get_tasks(d))
        r.get_state.get_executors.CopyFrom(get_executors(d))
        r.get_state.get_frameworks.CopyFrom(get_frameworks(d))
    elif t == C.GET_CONTAINERS:
        r.get_containers.CopyFrom(get_containers(d))
    elif t == C.GET_FRAMEWORKS:
        r.get_frameworks.CopyFrom(get_frameworks(d))
    elif t == C.GET_EXECUTORS:
        r.get_executors.CopyFrom(get_executors(d))
    elif t == C.GET_TASKS:
        r.get_tasks.CopyFrom(get_tasks(d))
    elif t == C.GET_OPERATIONS:
        r.get_operations.SetInParent()
    elif t == C.GET_AGENT:
        info = agent_to_pb(d.machine.agent_info)
        if d.machine.agent_id:
            info.id.value = d.machine.agent_id
        r.get_agent.agent_info.CopyFrom(info)
    return r


__all__ = ["SERVED", "container_statistics", "files", "handle", "resources_to_pb"]
