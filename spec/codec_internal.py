"""Codec for the internal master <-> agent protocol: core messages <-> `internal_pb2.Envelope`.

`encode(msg) -> bytes` and `decode(bytes) -> msg` (raises `CodecError` on garbage). The
`Hello` frame (first frame of a connection) decodes to `Hello(sender)`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import attrs
from google.protobuf.message import DecodeError
from mesotron.core import messages as cm
from mesotron.core.values import AgentInfo, FrameworkInfo, TaskInfo
from mesotron.spec import internal_pb2 as ipb
from mesotron.spec.codec_values import (
    CodecError,
    agent_from_pb,
    agent_to_pb,
    executor_from_pb,
    executor_to_pb,
    framework_from_pb,
    framework_to_pb,
    kill_policy_from_pb,
    kill_policy_to_pb,
    master_from_pb,
    master_to_pb,
    resources_from_pb,
    resources_to_pb,
    status_from_pb,
    status_to_pb,
    task_from_pb,
    task_state_from_pb,
    task_to_pb,
)


@attrs.frozen(kw_only=True, slots=True)
class Hello:
    """First frame on a connection: the sender's process name."""

    sender: str


@attrs.frozen(kw_only=True, slots=True)
class Authentication:
    """A CRAM-MD5 handshake frame (internal.proto `Authentication`; io/wire/handshake.py).
    `kind`: MECHANISMS, START, STEP, COMPLETED, FAILED or ERROR."""

    kind: str
    mechanisms: tuple[str, ...] = ()
    mechanism: str = ""
    data: bytes = b""
    error: str = ""

    def __repr__(self) -> str:  # the data of a STEP is a challenge or a digest: not logged
        return f"Authentication(kind={self.kind!r}, mechanism={self.mechanism!r})"


def _update_to_pb(u: cm.StatusUpdate) -> ipb.StatusUpdate:
    m = ipb.StatusUpdate(uuid=u.uuid)
    m.framework_id.value = u.framework_id
    m.status.CopyFrom(status_to_pb(u.status))
    if u.latest_state is not None:
        m.latest_state = u.latest_state.value
    return m


def _update_from_pb(m: ipb.StatusUpdate) -> cm.StatusUpdate:
    return cm.StatusUpdate(
        framework_id=m.framework_id.value,
        status=status_from_pb(m.status),
        uuid=m.uuid,
        latest_state=task_state_from_pb(m.latest_state) if m.HasField("latest_state") else None,
    )


def _task_record_to_pb(r: cm.TaskRecord) -> ipb.TaskRecord:
    m = ipb.TaskRecord(state=r.state.value)
    m.framework_id.value = r.framework_id
    m.task.CopyFrom(task_to_pb(r.task))
    m.executor_id.value = r.executor_id
    if r.status_update_state is not None:
        m.status_update_state = r.status_update_state.value
    if r.status_update_uuid is not None:
        m.status_update_uuid = r.status_update_uuid
    return m


# Records of one task template differ only in the task's name and ids and the executor id
# (a re-registering agent reports thousands): each record is keyed by its serialization
# without those four fields, the first record of a key is decoded in full, and later ones
# reuse its decoded (immutable) values with their own name and ids (about a fifth of the
# decoding of a ReregisterAgent; bounded cache; a decoding error is never cached).
_RECORD_SHAPES: dict[bytes, cm.TaskRecord] = {}
_RECORD_SHAPES_MAX = 4096


def _task_record_from_pb(m: ipb.TaskRecord) -> cm.TaskRecord:
    t = m.task
    name, tid, aid, eid = t.name, t.task_id.value, t.agent_id.value, m.executor_id.value
    has_name, has_tid, has_aid, has_eid = (
        t.HasField("name"), t.HasField("task_id"), t.HasField("agent_id"), m.HasField("executor_id"))
    t.ClearField("name")
    t.ClearField("task_id")
    t.ClearField("agent_id")
    m.ClearField("executor_id")
    key = m.SerializePartialToString()
    # the message is the caller's: put the four fields back as they were
    if has_name:
        t.name = name
    if has_tid:
        t.task_id.value = tid
    if has_aid:
        t.agent_id.value = aid
    if has_eid:
        m.executor_id.value = eid
    shape = _RECORD_SHAPES.get(key)
    if shape is None:
        rec = _task_record_from_pb_full(m)
        _remember(_RECORD_SHAPES, key, rec)
        return rec
    return _record_of_shape(shape, name, tid, aid, eid)


def _remember(memo: dict[bytes, Any], key: bytes, value: Any) -> None:
    """Keep `value` under `key` in a decoding memo bounded by _RECORD_SHAPES_MAX (emptied
    when full)."""
    if len(memo) >= _RECORD_SHAPES_MAX:
        memo.clear()
    memo[key] = value


def _record_of_shape(shape: cm.TaskRecord, name: str, tid: str, aid: str,
                     eid: str) -> cm.TaskRecord:
    """A record like `shape` (decoded earlier, same serialization but for these four
    fields) with its own name and ids."""
    s = shape.task
    try:
        task = TaskInfo(name=name, task_id=tid, agent_id=aid, resources=s.resources,
                        command=s.command, executor=s.executor, kill_policy=s.kill_policy,
                        labels=s.labels, data=s.data, health_check=s.health_check)
    except ValueError as e:
        raise CodecError(f"invalid TaskInfo: {e}") from None
    return cm.TaskRecord(framework_id=shape.framework_id, task=task, state=shape.state,
                         executor_id=eid, status_update_state=shape.status_update_state,
                         status_update_uuid=shape.status_update_uuid)


# Shapes (as above) whose first record passed `IsInitialized()` in full: for a later record
# of one, only the four fields left out of the key can miss a required field.
_CHECKED_SHAPES: dict[bytes, cm.TaskRecord] = {}
_CHECKED_FRAMEWORKS: dict[bytes, FrameworkInfo] = {}  # FrameworkInfos that passed IsInitialized


def _task_record_owned(m: ipb.TaskRecord) -> cm.TaskRecord | None:
    """`_task_record_from_pb` for a record of an envelope nobody reads after decoding (see
    `decode_envelope`): its four id fields are not put back, and its required fields are
    checked here instead of by the envelope's `IsInitialized()` (a tenth of the decoding
    of a 10-task ReregisterAgent): a record of a checked shape by the presence of its name
    and ids (TaskInfo.name, task_id, agent_id, TaskRecord.executor_id and their required
    `value`), any other in full. None: a required field is missing."""
    t = m.task
    tid_m, aid_m, eid_m = t.task_id, t.agent_id, m.executor_id
    # (an id's `value` is only present in a present id: an absent sub-message reads as an
    # empty default one)
    if not (t.HasField("name") and tid_m.HasField("value") and aid_m.HasField("value")
            and eid_m.HasField("value")):
        return None
    name, tid, aid, eid = t.name, tid_m.value, aid_m.value, eid_m.value
    t.ClearField("name")
    t.ClearField("task_id")
    t.ClearField("agent_id")
    m.ClearField("executor_id")
    key = m.SerializePartialToString()
    shape = _CHECKED_SHAPES.get(key)
    if shape is None:
        t.name = name
        t.task_id.value = tid
        t.agent_id.value = aid
        m.executor_id.value = eid
        if not m.IsInitialized():
            return None
        rec = _task_record_from_pb_full(m)
        _remember(_CHECKED_SHAPES, key, rec)
        return rec
    return _record_of_shape(shape, name, tid, aid, eid)


# AgentInfos that passed IsInitialized, by their serialization without hostname, id and
# port (the agents of one machine type differ only in those): a later one of such a shape
# reuses the decoded resources and attributes
_CHECKED_AGENTS: dict[bytes, AgentInfo] = {}


def _agent_info_owned(m: Any) -> AgentInfo | None:
    """`agent_from_pb` for an owned AgentInfo, checking its required fields (None: one is
    missing): hostname and, when there is an id, its value; the rest by `IsInitialized()`
    the first time its shape is seen."""
    if not m.HasField("hostname"):
        return None
    has_id = m.HasField("id")
    if has_id and not m.id.HasField("value"):
        return None
    hostname, aid, port = m.hostname, m.id.value, m.port
    has_port = m.HasField("port")
    m.ClearField("hostname")
    m.ClearField("id")
    m.ClearField("port")
    key = m.SerializePartialToString()
    shape = _CHECKED_AGENTS.get(key)
    if shape is None:
        m.hostname = hostname
        if has_id:
            m.id.value = aid
        if has_port:
            m.port = port
        if not m.IsInitialized():
            return None
        info = agent_from_pb(m)
        _remember(_CHECKED_AGENTS, key, info)
        return info
    return AgentInfo(hostname=hostname, id=aid if has_id else None, port=port,
                     resources=shape.resources, attributes=shape.attributes)


def _reregister_owned(m: ipb.ReregisterAgent) -> cm.ReregisterAgent | None:
    """The `reregister_agent` decoder for an owned envelope, checking required fields
    itself (None: one is missing). Its fields are the four below and `version` (optional);
    tests/test_spec_codecs.py checks the message has no other field."""
    if not (m.HasField("agent_info") and all(e.IsInitialized() for e in m.executor_infos)):
        return None
    agent_info = _agent_info_owned(m.agent_info)
    if agent_info is None:
        return None
    frameworks = []
    for f in m.frameworks:  # an agent's frameworks recur in every agent's message
        key = f.SerializePartialToString()
        fw = _CHECKED_FRAMEWORKS.get(key)
        if fw is None:
            if not f.IsInitialized():
                return None
            fw = framework_from_pb(f)
            _remember(_CHECKED_FRAMEWORKS, key, fw)
        frameworks.append(fw)
    records = []
    for t in m.tasks:
        rec = _task_record_owned(t)
        if rec is None:
            return None
        records.append(rec)
    return cm.ReregisterAgent(
        agent_info=agent_info,
        tasks=tuple(records),
        executor_infos=tuple(executor_from_pb(e) for e in m.executor_infos),
        frameworks=tuple(frameworks),
        version=m.version,
    )


def _task_record_from_pb_full(m: ipb.TaskRecord) -> cm.TaskRecord:
    return cm.TaskRecord(
        framework_id=m.framework_id.value,
        task=task_from_pb(m.task),
        state=task_state_from_pb(m.state),
        executor_id=m.executor_id.value,
        status_update_state=(
            task_state_from_pb(m.status_update_state) if m.HasField("status_update_state") else None
        ),
        status_update_uuid=m.status_update_uuid if m.HasField("status_update_uuid") else None,
    )


def _enc(msg: Any, env: ipb.Envelope) -> None:
    if isinstance(msg, Hello):
        env.hello.sender = msg.sender
    elif isinstance(msg, cm.CheckpointResources):
        env.checkpoint_resources.SetInParent()
        env.checkpoint_resources.resources.extend(resources_to_pb(msg.resources, refinement=True))
    elif isinstance(msg, Authentication):
        a = env.authentication
        a.kind = ipb.Authentication.Kind.Value(msg.kind)
        a.mechanisms.extend(msg.mechanisms)
        if msg.mechanism:
            a.mechanism = msg.mechanism
        if msg.data:
            a.data = msg.data
        if msg.error:
            a.error = msg.error
    elif isinstance(msg, cm.RegisterAgent):
        env.register_agent.agent_info.CopyFrom(agent_to_pb(msg.agent_info))
        env.register_agent.version = msg.version
    elif isinstance(msg, cm.ReregisterAgent):
        r = env.reregister_agent
        r.agent_info.CopyFrom(agent_to_pb(msg.agent_info))
        r.tasks.extend(_task_record_to_pb(t) for t in msg.tasks)
        r.executor_infos.extend(executor_to_pb(e) for e in msg.executor_infos)
        r.frameworks.extend(framework_to_pb(f) for f in msg.frameworks)
        r.version = msg.version
    elif isinstance(msg, cm.AgentRegistered):
        env.agent_registered.agent_id.value = msg.agent_id
        if msg.master_info is not None:
            env.agent_registered.master_info.MergeFromString(_master_info_bytes(msg.master_info))
        if msg.ping_timeout is not None:
            env.agent_registered.connection.total_ping_timeout_seconds = msg.ping_timeout
    elif isinstance(msg, cm.AgentReregistered):
        r = env.agent_reregistered
        r.agent_id.value = msg.agent_id
        for fid, tid, state in msg.reconciliations:
            x = r.reconciliations.add(state=state.value)
            x.framework_id.value, x.task_id.value = fid, tid
        if msg.master_info is not None:
            r.master_info.MergeFromString(_master_info_bytes(msg.master_info))
        if msg.ping_timeout is not None:
            r.connection.total_ping_timeout_seconds = msg.ping_timeout
    elif isinstance(msg, cm.UnregisterAgent):
        env.unregister_agent.agent_id.value = msg.agent_id
    elif isinstance(msg, cm.ShutdownAgent):
        env.shutdown_agent.message = msg.message
    elif isinstance(msg, cm.RunTask):
        env.run_task.framework_info.CopyFrom(framework_to_pb(msg.framework_info))
        env.run_task.task.CopyFrom(task_to_pb(msg.task))
        env.run_task.framework_pid = msg.framework_pid
    elif isinstance(msg, cm.RunTaskGroup):
        r = env.run_task_group
        r.framework_info.CopyFrom(framework_to_pb(msg.framework_info))
        r.executor.CopyFrom(executor_to_pb(msg.executor))
        r.tasks.extend(task_to_pb(t) for t in msg.tasks)
    elif isinstance(msg, cm.KillTask):
        k = env.kill_task
        k.framework_id.value, k.task_id.value = msg.framework_id, msg.task_id
        if msg.kill_policy is not None:
            k.kill_policy.CopyFrom(kill_policy_to_pb(msg.kill_policy))
    elif isinstance(msg, cm.StatusUpdateMessage):
        env.status_update_message.update.CopyFrom(_update_to_pb(msg.update))
    elif isinstance(msg, cm.StatusUpdateAcknowledgement):
        a = env.status_update_acknowledgement
        a.agent_id.value, a.framework_id.value = msg.agent_id, msg.framework_id
        a.task_id.value, a.uuid = msg.task_id, msg.uuid
    elif isinstance(msg, cm.Ping):
        env.ping.connected = msg.connected
    elif isinstance(msg, cm.Pong):
        env.pong.SetInParent()
    elif isinstance(msg, cm.ShutdownFramework):
        env.shutdown_framework.framework_id.value = msg.framework_id
    elif isinstance(msg, cm.ShutdownExecutorMsg):
        s = env.shutdown_executor
        s.framework_id.value, s.executor_id.value = msg.framework_id, msg.executor_id
    elif isinstance(msg, cm.FrameworkToExecutor):
        f = env.framework_to_executor
        f.framework_id.value, f.executor_id.value, f.data = msg.framework_id, msg.executor_id, msg.data
    elif isinstance(msg, cm.ExecutorToFramework):
        f = env.executor_to_framework
        f.agent_id.value, f.framework_id.value = msg.agent_id, msg.framework_id
        f.executor_id.value, f.data = msg.executor_id, msg.data
    elif isinstance(msg, cm.ExitedExecutor):
        x = env.exited_executor
        x.agent_id.value, x.framework_id.value = msg.agent_id, msg.framework_id
        x.executor_id.value, x.status = msg.executor_id, msg.status
    elif isinstance(msg, cm.UpdateFramework):
        env.update_framework.framework_info.CopyFrom(framework_to_pb(msg.framework_info))
    else:
        raise TypeError(f"not an internal message: {msg!r}")


def to_envelope(msg: Any) -> ipb.Envelope:
    env = ipb.Envelope()
    _enc(msg, env)
    return env


def encode(msg: Any) -> bytes:
    if type(msg) is cm.Ping:  # the same two frames to every agent, every ping interval
        frame = _PING_FRAMES.get(msg.connected)
        if frame is None:
            frame = _PING_FRAMES[msg.connected] = to_envelope(msg).SerializeToString()
        return frame
    return to_envelope(msg).SerializeToString()


_PING_FRAMES: dict[bool, bytes] = {}
_MASTER_INFOS: dict[Any, bytes] = {}  # MasterInfo (a frozen value) -> its serialization


def _master_info_bytes(info: Any) -> bytes:
    """The serialized MasterInfo (every AgentRegistered/AgentReregistered carries the
    master's own: one encoding instead of one per answer; bounded)."""
    b = _MASTER_INFOS.get(info)
    if b is None:
        if len(_MASTER_INFOS) >= 64:
            _MASTER_INFOS.clear()
        b = _MASTER_INFOS[info] = master_to_pb(info).SerializeToString()
    return b


def _ping_timeout(m: Any) -> float | None:
    """The master's total ping timeout, when it sent a usable one (finite, positive)."""
    if not m.HasField("connection") or not m.connection.HasField("total_ping_timeout_seconds"):
        return None
    v = m.connection.total_ping_timeout_seconds
    return v if math.isfinite(v) and v > 0 else None


_DECODERS: dict[str, Callable[[Any], Any]] = {
    "hello": lambda m: Hello(sender=m.sender),
    "checkpoint_resources": lambda m: cm.CheckpointResources(resources=resources_from_pb(m.resources)),
    "authentication": lambda m: Authentication(
        kind=ipb.Authentication.Kind.Name(m.kind), mechanisms=tuple(m.mechanisms),
        mechanism=m.mechanism, data=m.data, error=m.error),
    "register_agent": lambda m: cm.RegisterAgent(agent_info=agent_from_pb(m.agent_info), version=m.version),
    "reregister_agent": lambda m: cm.ReregisterAgent(
        agent_info=agent_from_pb(m.agent_info),
        tasks=tuple([_task_record_from_pb(t) for t in m.tasks]),
        executor_infos=tuple(executor_from_pb(e) for e in m.executor_infos),
        frameworks=tuple(framework_from_pb(f) for f in m.frameworks),
        version=m.version,
    ),
    "agent_registered": lambda m: cm.AgentRegistered(
        agent_id=m.agent_id.value,
        master_info=master_from_pb(m.master_info) if m.HasField("master_info") else None,
        ping_timeout=_ping_timeout(m),
    ),
    "agent_reregistered": lambda m: cm.AgentReregistered(
        agent_id=m.agent_id.value,
        reconciliations=tuple(
            (r.framework_id.value, r.task_id.value, task_state_from_pb(r.state)) for r in m.reconciliations
        ),
        master_info=master_from_pb(m.master_info) if m.HasField("master_info") else None,
        ping_timeout=_ping_timeout(m),
    ),
    "unregister_agent": lambda m: cm.UnregisterAgent(agent_id=m.agent_id.value),
    "shutdown_agent": lambda m: cm.ShutdownAgent(message=m.message),
    "run_task": lambda m: cm.RunTask(
        framework_info=framework_from_pb(m.framework_info), task=task_from_pb(m.task), framework_pid=m.framework_pid
    ),
    "run_task_group": lambda m: cm.RunTaskGroup(
        framework_info=framework_from_pb(m.framework_info),
        executor=executor_from_pb(m.executor),
        tasks=tuple(task_from_pb(t) for t in m.tasks),
    ),
    "kill_task": lambda m: cm.KillTask(
        framework_id=m.framework_id.value,
        task_id=m.task_id.value,
        kill_policy=kill_policy_from_pb(m.kill_policy) if m.HasField("kill_policy") else None,
    ),
    "status_update_message": lambda m: cm.StatusUpdateMessage(update=_update_from_pb(m.update)),
    "status_update_acknowledgement": lambda m: cm.StatusUpdateAcknowledgement(
        agent_id=m.agent_id.value, framework_id=m.framework_id.value, task_id=m.task_id.value, uuid=m.uuid
    ),
    "ping": lambda m: cm.Ping(connected=m.connected),
    "pong": lambda m: cm.Pong(),
    "shutdown_framework": lambda m: cm.ShutdownFramework(framework_id=m.framework_id.value),
    "shutdown_executor": lambda m: cm.ShutdownExecutorMsg(
        framework_id=m.framework_id.value, executor_id=m.executor_id.value
    ),
    "framework_to_executor": lambda m: cm.FrameworkToExecutor(
        framework_id=m.framework_id.value, executor_id=m.executor_id.value, data=m.data
    ),
    "executor_to_framework": lambda m: cm.ExecutorToFramework(
        agent_id=m.agent_id.value, framework_id=m.framework_id.value, executor_id=m.executor_id.value, data=m.data
    ),
    "exited_executor": lambda m: cm.ExitedExecutor(
        agent_id=m.agent_id.value, framework_id=m.framework_id.value, executor_id=m.executor_id.value, status=m.status
    ),
    "update_framework": lambda m: cm.UpdateFramework(framework_info=framework_from_pb(m.framework_info)),
}


def from_envelope(env: ipb.Envelope) -> Any:
    which = env.WhichOneof("body")
    if which is None:
        raise CodecError("empty internal message")
    try:
        return _DECODERS[which](getattr(env, which))
    except ValueError as e:
        raise CodecError(f"invalid {which}: {e}") from None


def decode_envelope(env: ipb.Envelope) -> Any:
    """`from_envelope` after checking required fields (CodecError "internal message misses
    ..."), for an envelope the caller drops afterwards (it may be changed). A
    ReregisterAgent (thousands of task records in a failover) is checked as it is decoded
    (`_reregister_owned`); anything else by the envelope's `IsInitialized()`."""
    if env.WhichOneof("body") == "reregister_agent":
        try:
            msg = _reregister_owned(env.reregister_agent)
        except ValueError as e:
            raise CodecError(f"invalid reregister_agent: {e}") from None
        if msg is not None:
            return msg
    elif env.IsInitialized():
        return from_envelope(env)
    raise CodecError(f"internal message misses {', '.join(env.FindInitializationErrors())}")


def decode(data: bytes) -> Any:
    env = ipb.Envelope()
    try:
        env.ParseFromString(data)
    except DecodeError as e:
        raise CodecError(f"corrupt internal message: {e}") from None
    return decode_envelope(env)
