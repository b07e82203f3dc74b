"""Codec for the v1 executor API: `executor_pb2.Call` <-> core executor messages
(ExecutorSubscribe/ExecutorUpdate/ExecutorMessage), core events <-> `executor_pb2.Event`.

HEARTBEAT calls/events have no core message: `decode_call` returns the `HEARTBEAT` marker
and the shell answers them itself (they only keep a connection alive)."""

from __future__ import annotations

from typing import Any

from mesotron.core.messages import (
    ExecutorAcknowledged,
    ExecutorError,
    ExecutorFrameworkMessage,
    ExecutorKill,
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorMessage,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorSubscribed,
    ExecutorUpdate,
    StatusUpdate,
)
from mesotron.core.values import Source, TaskState
from mesotron.spec import executor_pb2 as xpb
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_scheduler import Unsupported
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
    status_from_pb,
    status_to_pb,
    task_from_pb,
    task_to_pb,
)

C = xpb.Call
E = xpb.Event
HEARTBEAT = "HEARTBEAT"


def _invalid(msg: str) -> CodecError:
    return CodecError(f"Failed to validate executor::Call: {msg}")


def decode_call(m: xpb.Call) -> Any:
    """Validate like Mesos's `validateExecutorCall` and convert to a core message."""
    if not m.HasField("type"):
        raise _invalid("Expecting 'type' to be present")
    fid, eid = m.framework_id.value, m.executor_id.value
    if m.type == C.SUBSCRIBE:
        if not m.HasField("subscribe"):
            raise _invalid("Expecting 'subscribe' to be present")
        s = m.subscribe
        return ExecutorSubscribe(
            framework_id=fid,
            executor_id=eid,
            unacknowledged_tasks=tuple(task_from_pb(t) for t in s.unacknowledged_tasks),
            unacknowledged_updates=tuple(
                StatusUpdate(framework_id=fid, status=st, uuid=st.uuid or b"")
                for st in (status_from_pb(u.status) for u in s.unacknowledged_updates)
            ),
        )
    if m.type == C.UPDATE:
        if not m.HasField("update"):
            raise _invalid("Expecting 'update' to be present")
        st = m.update.status
        if len(st.uuid) != 16:
            raise _invalid("'uuid' is not a valid UUID")
        if st.HasField("executor_id") and st.executor_id.value != eid:
            raise _invalid("ExecutorID in Call and TaskStatus do not match")
        if st.source != pb.TaskStatus.SOURCE_EXECUTOR:
            raise _invalid("Received Call from executor with invalid source")
        if st.state == pb.TASK_STAGING:
            raise _invalid("Received TASK_STAGING from executor")
        status = status_from_pb(st)
        if status.executor_id is None:
            status = status.__class__(**{**_fields(status), "executor_id": eid})
        return ExecutorUpdate(framework_id=fid, executor_id=eid, status=status)
    if m.type == C.MESSAGE:
        if not m.HasField("message"):
            raise _invalid("Expecting 'message' to be present")
        return ExecutorMessage(framework_id=fid, executor_id=eid, data=m.message.data)
    if m.type == C.HEARTBEAT:
        return HEARTBEAT
    raise Unsupported("Received an unexpected 'UNKNOWN' call")


def _fields(v: Any) -> dict[str, Any]:
    return {a: getattr(v, a) for a in v.__slots__ if not a.startswith("__")}


def encode_call(call: Any) -> xpb.Call:
    m = xpb.Call()
    if isinstance(call, ExecutorSubscribe):
        m.type = C.SUBSCRIBE
        m.framework_id.value, m.executor_id.value = call.framework_id, call.executor_id
        m.subscribe.SetInParent()
        m.subscribe.unacknowledged_tasks.extend(task_to_pb(t) for t in call.unacknowledged_tasks)
        for u in call.unacknowledged_updates:
            m.subscribe.unacknowledged_updates.add().status.CopyFrom(status_to_pb(u.status))
    elif isinstance(call, ExecutorUpdate):
        m.type = C.UPDATE
        m.framework_id.value, m.executor_id.value = call.framework_id, call.executor_id
        m.update.status.CopyFrom(status_to_pb(call.status))
    elif isinstance(call, ExecutorMessage):
        m.type = C.MESSAGE
        m.framework_id.value, m.executor_id.value = call.framework_id, call.executor_id
        m.message.data = call.data
    else:
        raise TypeError(f"not an executor call: {call!r}")
    return m


def heartbeat_call(framework_id: str, executor_id: str) -> xpb.Call:
    m = xpb.Call(type=C.HEARTBEAT)
    m.framework_id.value, m.executor_id.value = framework_id, executor_id
    return m


def encode_event(ev: Any) -> xpb.Event:
    m = xpb.Event()
    if isinstance(ev, ExecutorSubscribed):
        m.type = E.SUBSCRIBED
        m.subscribed.executor_info.CopyFrom(executor_to_pb(ev.executor_info))
        m.subscribed.framework_info.CopyFrom(framework_to_pb(ev.framework_info))
        m.subscribed.agent_info.CopyFrom(agent_to_pb(ev.agent_info))
        m.subscribed.container_id.value = ev.container_id
    elif isinstance(ev, ExecutorLaunch):
        m.type = E.LAUNCH
        m.launch.task.CopyFrom(task_to_pb(ev.task))
    elif isinstance(ev, ExecutorLaunchGroup):
        m.type = E.LAUNCH_GROUP
        m.launch_group.task_group.tasks.extend(task_to_pb(t) for t in ev.tasks)
    elif isinstance(ev, ExecutorKill):
        m.type = E.KILL
        m.kill.task_id.value = ev.task_id
        if ev.kill_policy is not None:
            m.kill.kill_policy.CopyFrom(kill_policy_to_pb(ev.kill_policy))
    elif isinstance(ev, ExecutorAcknowledged):
        m.type = E.ACKNOWLEDGED
        m.acknowledged.task_id.value = ev.task_id
        m.acknowledged.uuid = ev.uuid
    elif isinstance(ev, ExecutorFrameworkMessage):
        m.type = E.MESSAGE
        m.message.data = ev.data
    elif isinstance(ev, ExecutorShutdown):
        m.type = E.SHUTDOWN
    elif isinstance(ev, ExecutorError):
        m.type = E.ERROR
        m.error.message = ev.message
    elif ev == HEARTBEAT:
        m.type = E.HEARTBEAT
    else:
        raise TypeError(f"not an executor event: {ev!r}")
    return m


def decode_event(m: xpb.Event) -> Any:
    t = m.type
    if t == E.SUBSCRIBED:
        s = m.subscribed
        return ExecutorSubscribed(
            executor_info=executor_from_pb(s.executor_info),
            framework_info=framework_from_pb(s.framework_info),
            agent_info=agent_from_pb(s.agent_info),
            container_id=s.container_id.value,
        )
    if t == E.LAUNCH:
        return ExecutorLaunch(task=task_from_pb(m.launch.task))
    if t == E.LAUNCH_GROUP:
        return ExecutorLaunchGroup(tasks=tuple(task_from_pb(x) for x in m.launch_group.task_group.tasks))
    if t == E.KILL:
        k = m.kill
        return ExecutorKill(
            task_id=k.task_id.value,
            kill_policy=kill_policy_from_pb(k.kill_policy) if k.HasField("kill_policy") else None,
        )
    if t == E.ACKNOWLEDGED:
        return ExecutorAcknowledged(task_id=m.acknowledged.task_id.value, uuid=m.acknowledged.uuid)
    if t == E.MESSAGE:
        return ExecutorFrameworkMessage(data=m.message.data)
    if t == E.SHUTDOWN:
        return ExecutorShutdown()
    if t == E.ERROR:
        return ExecutorError(message=m.error.message)
    if t == E.HEARTBEAT:
        return HEARTBEAT
    raise CodecError(f"unsupported executor event type {t}")


__all__ = ["HEARTBEAT", "Source", "TaskState", "decode_call", "decode_event", "encode_call", "encode_event"]
