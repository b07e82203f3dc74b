"""Codec for the shared value types: core attrs values <-> mesos.v1 protobuf messages.

Convention: `x_to_pb(value) -> pb` and `x_from_pb(pb) -> value`. Decoding raises
`CodecError` (an HTTP 400 `WireError`) when a message is valid protobuf but cannot be
represented as a core value. Durations travel as nanoseconds (DurationInfo) and are float
seconds in the core.
"""

from __future__ import annotations

import socket
import struct
from collections.abc import Iterable
from typing import Any

from mesotron.core.resources import Resources
from mesotron.core.values import (
    AgentInfo,
    Attribute,
    Capability,
    CommandInfo,
    ExecutorInfo,
    Filters,
    FrameworkInfo,
    HealthCheck,
    KillPolicy,
    MasterInfo,
    Offer,
    Reason,
    Source,
    TaskInfo,
    TaskState,
    TaskStatus,
)
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.wire import WireError, from_dict, to_dict


class CodecError(WireError):
    """Valid protobuf that does not map to a core value (HTTP 400)."""


_TASK_STATES = {s.value: s for s in TaskState}
_REASONS = {r.value: r for r in Reason}
_SOURCES = {s.value: s for s in Source}
_CAPS = {c.value: c for c in Capability}


def task_state_from_pb(n: int) -> TaskState:
    try:
        return _TASK_STATES[n]
    except KeyError:
        raise CodecError(f"unknown task state {n}") from None


# ------------------------------------------------------------------ durations
def seconds_to_ns(s: float) -> int:
    return round(s * 1e9)


def ns_to_seconds(ns: int) -> float:
    return ns / 1e9


# ------------------------------------------------------------------ resources
def resources_to_pb(res: Resources, refinement: bool = False) -> list[pb.Resource]:
    """v1 Resources; `refinement`: the `reservations[]` format only (a framework with the
    RESERVATION_REFINEMENT capability), else the pre-refinement `role`/`reservation`."""
    return [from_dict(d, pb.Resource) for d in res.to_json(refinement=refinement)]


def _labels_json(m: pb.Labels) -> dict:
    return {"labels": [{"key": lb.key, "value": lb.value} if lb.HasField("value")
                       else {"key": lb.key} for lb in m.labels]}


def _resource_json(r: pb.Resource) -> dict:
    """The Mesos JSON object of one Resource, built straight from the message's fields (what
    `wire.to_dict` gives for every field `Resources.from_json` reads, without protobuf's
    pure-Python json_format walk)."""
    d: dict = {"name": r.name}
    if r.HasField("type"):
        t = r.type
        d["type"] = _VALUE_TYPES.get(t, t)
    if r.HasField("scalar"):
        d["scalar"] = {"value": r.scalar.value} if r.scalar.HasField("value") else {}
    if r.HasField("ranges"):
        d["ranges"] = {"range": [{"begin": x.begin, "end": x.end} for x in r.ranges.range]}
    if r.HasField("set"):
        d["set"] = {"item": list(r.set.item)}
    if r.HasField("role"):
        d["role"] = r.role
    if r.HasField("allocation_info"):
        ai = r.allocation_info
        d["allocation_info"] = {"role": ai.role} if ai.HasField("role") else {}
    if r.HasField("reservation"):
        rv = r.reservation
        dv: dict = {}
        if rv.HasField("principal"):
            dv["principal"] = rv.principal
        if rv.HasField("labels"):
            dv["labels"] = _labels_json(rv.labels)
        d["reservation"] = dv
    if r.reservations:
        out = []
        for rv in r.reservations:
            dv = {}
            if rv.HasField("type"):
                t = rv.type
                dv["type"] = _RESERVATION_TYPES.get(t, t)
            if rv.HasField("role"):
                dv["role"] = rv.role
            if rv.HasField("principal"):
                dv["principal"] = rv.principal
            if rv.HasField("labels"):
                dv["labels"] = _labels_json(rv.labels)
            out.append(dv)
        d["reservations"] = out
    for unsupported in ("disk", "revocable", "shared", "provider_id"):
        # present and non-empty, as json_format would render it (Resources rejects these)
        if r.HasField(unsupported) and getattr(r, unsupported).ListFields():
            d[unsupported] = True
    return d


_VALUE_TYPES = {v.number: v.name for v in pb.Value.Type.DESCRIPTOR.values}
_RESERVATION_TYPES = {
    v.number: v.name for v in pb.Resource.ReservationInfo.Type.DESCRIPTOR.values}
_RESOURCES_CACHE: dict[tuple[bytes, ...], Resources] = {}
_RESOURCES_CACHE_MAX = 4096


def resources_from_pb(items: Iterable[pb.Resource]) -> Resources:
    """Decode repeated Resource messages. Identical resource lists recur (every task of a
    template, every agent of a machine type), and `Resources` is immutable, so decoded
    values are memoised by the messages' serialized bytes (bounded)."""
    items = list(items)
    if not items:
        return Resources()
    key = tuple([r.SerializePartialToString() for r in items])
    hit = _RESOURCES_CACHE.get(key)
    if hit is not None:
        return hit
    try:
        res = Resources.from_json([_resource_json(r) for r in items])
    except (ValueError, TypeError, KeyError) as e:
        raise CodecError(f"invalid resources: {e}") from None
    if len(_RESOURCES_CACHE) >= _RESOURCES_CACHE_MAX:
        _RESOURCES_CACHE.clear()
    _RESOURCES_CACHE[key] = res
    return res


def _resources_from_pb_via_json(items: Iterable[pb.Resource]) -> Resources:
    """The reference decoder (protobuf's JSON mapping): tests check the direct one against it."""
    items = list(items)
    if not items:
        return Resources()
    try:
        return Resources.from_json([to_dict(r) for r in items])
    except (ValueError, TypeError, KeyError) as e:
        raise CodecError(f"invalid resources: {e}") from None


# ------------------------------------------------------------------ memoised decoding
# Decoded values are immutable, and the same sub-messages recur by the thousand in one
# ReregisterAgent (its frameworks, the command of every task of a template): decode each
# distinct serialization once (bounded caches; a decoding error is never cached).
_MEMO_MAX = 4096


def _memoized(cache: dict, m: Any, decode: Any) -> Any:
    key = m.SerializePartialToString()
    hit = cache.get(key)
    if hit is None:
        hit = decode(m)
        if len(cache) >= _MEMO_MAX:
            cache.clear()
        cache[key] = hit
    return hit


_COMMANDS: dict[bytes, CommandInfo] = {}
_FRAMEWORKS: dict[bytes, FrameworkInfo] = {}


def command_from_pb(m: pb.CommandInfo) -> CommandInfo:
    return _memoized(_COMMANDS, m, _command_from_pb)


def framework_from_pb(m: pb.FrameworkInfo) -> FrameworkInfo:
    return _memoized(_FRAMEWORKS, m, _framework_from_pb)


# ------------------------------------------------------------------ attributes
def attribute_to_pb(a: Attribute) -> pb.Attribute:
    if a.kind == "RANGES":
        m = pb.Attribute(name=a.name, type=pb.Value.RANGES)
        m.ranges.SetInParent()
        for lo, hi in a.ranges():
            m.ranges.range.add(begin=lo, end=hi)
        return m
    if a.kind == "SET":
        m = pb.Attribute(name=a.name, type=pb.Value.SET)
        m.set.item.extend(a.items())
        return m
    if isinstance(a.value, str):
        return pb.Attribute(name=a.name, type=pb.Value.TEXT, text=pb.Value.Text(value=a.value))
    return pb.Attribute(name=a.name, type=pb.Value.SCALAR, scalar=pb.Value.Scalar(value=a.value))


def attribute_from_pb(m: pb.Attribute) -> Attribute:
    if m.type == pb.Value.SCALAR and m.HasField("scalar"):
        return Attribute(name=m.name, value=m.scalar.value)
    if m.type == pb.Value.TEXT and m.HasField("text"):
        return Attribute(name=m.name, value=m.text.value)
    if m.type == pb.Value.RANGES:
        text = "[" + ", ".join(f"{r.begin}-{r.end}" for r in m.ranges.range) + "]"
        return Attribute(name=m.name, value=text)
    if m.type == pb.Value.SET:
        return Attribute(name=m.name, value="{" + ",".join(m.set.item) + "}")
    raise CodecError(f"attribute {m.name!r} has no value")


# ------------------------------------------------------------------ labels
def labels_to_pb(labels: tuple[tuple[str, str], ...]) -> pb.Labels:
    return pb.Labels(labels=[pb.Label(key=k, value=v) for k, v in labels])


def labels_from_pb(m: pb.Labels) -> tuple[tuple[str, str], ...]:
    return tuple((lb.key, lb.value) for lb in m.labels)


# ------------------------------------------------------------------ command / kill policy
def command_to_pb(c: CommandInfo) -> pb.CommandInfo:
    m = pb.CommandInfo(shell=c.shell, arguments=list(c.arguments))
    if c.value is not None:
        m.value = c.value
    if c.environment:
        m.environment.CopyFrom(
            pb.Environment(
                variables=[
                    pb.Environment.Variable(name=k, value=v, type=pb.Environment.Variable.VALUE)
                    for k, v in c.environment
                ]
            )
        )
    for u in c.uris:
        m.uris.add(value=u)
    if c.user is not None:
        m.user = c.user
    return m


def _command_from_pb(m: pb.CommandInfo) -> CommandInfo:
    return CommandInfo(
        value=m.value if m.HasField("value") else None,
        shell=m.shell,
        arguments=tuple(m.arguments),
        environment=tuple((v.name, v.value) for v in m.environment.variables),
        uris=tuple(u.value for u in m.uris),
        user=m.user if m.HasField("user") else None,
    )


def kill_policy_to_pb(k: KillPolicy) -> pb.KillPolicy:
    m = pb.KillPolicy()
    if k.grace_period is not None:
        m.grace_period.nanoseconds = seconds_to_ns(k.grace_period)
    return m


def kill_policy_from_pb(m: pb.KillPolicy) -> KillPolicy:
    if m.HasField("grace_period"):
        return KillPolicy(grace_period=ns_to_seconds(m.grace_period.nanoseconds))
    return KillPolicy()


_HC_TYPES = {"COMMAND": pb.HealthCheck.COMMAND, "HTTP": pb.HealthCheck.HTTP, "TCP": pb.HealthCheck.TCP}


def health_check_to_pb(h: HealthCheck) -> pb.HealthCheck:
    m = pb.HealthCheck(type=_HC_TYPES[h.type], delay_seconds=h.delay_seconds,
                       interval_seconds=h.interval_seconds, timeout_seconds=h.timeout_seconds,
                       consecutive_failures=h.consecutive_failures,
                       grace_period_seconds=h.grace_period_seconds)
    if h.command is not None:
        m.command.CopyFrom(command_to_pb(h.command))
    if h.type == "HTTP":
        m.http.port = h.http_port
        m.http.path = h.http_path
        m.http.scheme = h.http_scheme
        m.http.statuses.extend(h.http_statuses)
    if h.type == "TCP":
        m.tcp.port = h.tcp_port
    return m


def health_check_from_pb(m: pb.HealthCheck) -> HealthCheck:
    kinds = {v: k for k, v in _HC_TYPES.items()}
    kind = kinds.get(m.type)
    if kind is None:  # Mesos infers the type of pre-1.2 checks from the field that is set
        kind = "HTTP" if m.HasField("http") else "TCP" if m.HasField("tcp") else "COMMAND"
    return HealthCheck(
        type=kind, delay_seconds=m.delay_seconds, interval_seconds=m.interval_seconds,
        timeout_seconds=m.timeout_seconds, consecutive_failures=m.consecutive_failures,
        grace_period_seconds=m.grace_period_seconds,
        command=command_from_pb(m.command) if m.HasField("command") else None,
        http_port=m.http.port, http_path=m.http.path if m.http.HasField("path") else "/",
        http_scheme=m.http.scheme if m.http.HasField("scheme") else "http",
        http_statuses=tuple(m.http.statuses), tcp_port=m.tcp.port)


# ------------------------------------------------------------------ executor / task
_EXEC_TYPES = {"DEFAULT": pb.ExecutorInfo.DEFAULT, "CUSTOM": pb.ExecutorInfo.CUSTOM}


def executor_to_pb(e: ExecutorInfo) -> pb.ExecutorInfo:
    m = pb.ExecutorInfo(type=_EXEC_TYPES[e.type])
    m.executor_id.value = e.executor_id
    if e.framework_id is not None:
        m.framework_id.value = e.framework_id
    if e.command is not None:
        m.command.CopyFrom(command_to_pb(e.command))
    m.resources.extend(resources_to_pb(e.resources))
    if e.name:
        m.name = e.name
    if e.data:
        m.data = e.data
    if e.shutdown_grace_period is not None:
        m.shutdown_grace_period.nanoseconds = seconds_to_ns(e.shutdown_grace_period)
    return m


def executor_from_pb(m: pb.ExecutorInfo) -> ExecutorInfo:
    try:
        return ExecutorInfo(
            executor_id=m.executor_id.value,
            framework_id=m.framework_id.value if m.HasField("framework_id") else None,
            command=command_from_pb(m.command) if m.HasField("command") else None,
            resources=resources_from_pb(m.resources),
            type="DEFAULT" if m.type == pb.ExecutorInfo.DEFAULT else "CUSTOM",
            name=m.name,
            data=m.data,
            shutdown_grace_period=(
                ns_to_seconds(m.shutdown_grace_period.nanoseconds)
                if m.HasField("shutdown_grace_period")
                else None
            ),
        )
    except ValueError as e:
        raise CodecError(f"invalid ExecutorInfo: {e}") from None


def task_to_pb(t: TaskInfo) -> pb.TaskInfo:
    m = pb.TaskInfo(name=t.name)
    m.task_id.value = t.task_id
    m.agent_id.value = t.agent_id
    m.resources.extend(resources_to_pb(t.resources))
    if t.command is not None:
        m.command.CopyFrom(command_to_pb(t.command))
    if t.executor is not None:
        m.executor.CopyFrom(executor_to_pb(t.executor))
    if t.kill_policy is not None:
        m.kill_policy.CopyFrom(kill_policy_to_pb(t.kill_policy))
    if t.labels:
        m.labels.CopyFrom(labels_to_pb(t.labels))
    if t.data:
        m.data = t.data
    if t.health_check is not None:
        m.health_check.CopyFrom(health_check_to_pb(t.health_check))
    return m


def task_from_pb(m: pb.TaskInfo) -> TaskInfo:
    try:
        return TaskInfo(
            name=m.name,
            task_id=m.task_id.value,
            agent_id=m.agent_id.value,
            resources=resources_from_pb(m.resources),
            command=command_from_pb(m.command) if m.HasField("command") else None,
            executor=executor_from_pb(m.executor) if m.HasField("executor") else None,
            kill_policy=kill_policy_from_pb(m.kill_policy) if m.HasField("kill_policy") else None,
            labels=labels_from_pb(m.labels) if m.HasField("labels") else (),
            data=m.data,
            health_check=health_check_from_pb(m.health_check) if m.HasField("health_check") else None,
        )
    except ValueError as e:
        raise CodecError(f"invalid TaskInfo: {e}") from None


# ------------------------------------------------------------------ status
def status_to_pb(s: TaskStatus) -> pb.TaskStatus:
    m = pb.TaskStatus(state=s.state.value)
    m.task_id.value = s.task_id
    if s.source is not None:
        m.source = s.source.value
    if s.reason is not None:
        m.reason = s.reason.value
    if s.message:
        m.message = s.message
    if s.agent_id is not None:
        m.agent_id.value = s.agent_id
    if s.executor_id is not None:
        m.executor_id.value = s.executor_id
    m.timestamp = s.timestamp
    if s.uuid is not None:
        m.uuid = s.uuid
    if s.healthy is not None:
        m.healthy = s.healthy
    if s.data:
        m.data = s.data
    if s.unreachable_time is not None:
        m.unreachable_time.nanoseconds = seconds_to_ns(s.unreachable_time)
    return m


def status_from_pb(m: pb.TaskStatus) -> TaskStatus:
    try:
        return TaskStatus(
            task_id=m.task_id.value,
            state=task_state_from_pb(m.state),
            source=_SOURCES.get(m.source) if m.HasField("source") else None,
            reason=_REASONS.get(m.reason) if m.HasField("reason") else None,
            message=m.message,
            agent_id=m.agent_id.value if m.HasField("agent_id") else None,
            executor_id=m.executor_id.value if m.HasField("executor_id") else None,
            timestamp=m.timestamp,
            uuid=m.uuid if m.HasField("uuid") else None,
            healthy=m.healthy if m.HasField("healthy") else None,
            data=m.data,
            unreachable_time=(
                ns_to_seconds(m.unreachable_time.nanoseconds) if m.HasField("unreachable_time") else None
            ),
        )
    except ValueError as e:
        raise CodecError(f"invalid TaskStatus: {e}") from None


# ------------------------------------------------------------------ framework / agent / master
def framework_to_pb(f: FrameworkInfo) -> pb.FrameworkInfo:
    m = pb.FrameworkInfo(
        user=f.user,
        name=f.name,
        failover_timeout=f.failover_timeout,
        checkpoint=f.checkpoint,
    )
    if f.id is not None:
        m.id.value = f.id
    multi = Capability.MULTI_ROLE in f.capabilities
    if len(f.roles) == 1 and not multi:
        m.role = f.roles[0]
    else:
        m.roles.extend(f.roles)
    for c in sorted(f.capabilities, key=lambda c: c.value):
        m.capabilities.add(type=c.value)
    if f.hostname:
        m.hostname = f.hostname
    if f.principal is not None:
        m.principal = f.principal
    if f.webui_url:
        m.webui_url = f.webui_url
    return m


def _framework_from_pb(m: pb.FrameworkInfo) -> FrameworkInfo:
    caps = frozenset(_CAPS[c.type] for c in m.capabilities if c.type in _CAPS)
    roles = tuple(m.roles) if len(m.roles) else (m.role,)
    try:
        return FrameworkInfo(
            user=m.user,
            name=m.name,
            id=m.id.value if m.HasField("id") else None,
            roles=roles,
            failover_timeout=m.failover_timeout,
            checkpoint=m.checkpoint,
            capabilities=caps,
            hostname=m.hostname,
            principal=m.principal if m.HasField("principal") else None,
            webui_url=m.webui_url,
        )
    except ValueError as e:
        raise CodecError(f"invalid FrameworkInfo: {e}") from None


def agent_to_pb(a: AgentInfo) -> pb.AgentInfo:
    m = pb.AgentInfo(hostname=a.hostname, port=a.port)
    if a.id is not None:
        m.id.value = a.id
    m.resources.extend(resources_to_pb(a.resources))
    m.attributes.extend(attribute_to_pb(x) for x in a.attributes)
    return m


def agent_from_pb(m: pb.AgentInfo) -> AgentInfo:
    return AgentInfo(
        hostname=m.hostname,
        id=m.id.value if m.HasField("id") else None,
        port=m.port,
        resources=resources_from_pb(m.resources),
        attributes=tuple(attribute_from_pb(x) for x in m.attributes),
    )


def ip_to_uint32(ip: str) -> int:
    """Mesos's MasterInfo.ip: IPv4 in network byte order read as a little-endian integer."""
    try:
        return int(struct.unpack("<I", socket.inet_aton(ip))[0])
    except OSError:
        return 0


def master_to_pb(mi: MasterInfo) -> pb.MasterInfo:
    m = pb.MasterInfo(
        id=mi.id,
        ip=ip_to_uint32(mi.ip),
        port=mi.port,
        pid=mi.pid,
        hostname=mi.hostname,
        version=mi.version,
    )
    m.address.hostname = mi.hostname
    m.address.ip = mi.ip
    m.address.port = mi.port
    for t in (pb.MasterInfo.Capability.AGENT_UPDATE, pb.MasterInfo.Capability.AGENT_DRAINING):
        m.capabilities.add(type=t)
    return m


def master_from_pb(m: pb.MasterInfo) -> MasterInfo:
    if m.HasField("address") and m.address.ip:
        ip = m.address.ip
    else:
        ip = socket.inet_ntoa(struct.pack("<I", m.ip))
    return MasterInfo(id=m.id, hostname=m.hostname, ip=ip, port=m.port, version=m.version)


# ------------------------------------------------------------------ offers / filters
def offer_to_pb(o: Offer) -> pb.Offer:
    m = pb.Offer(hostname=o.hostname)
    m.id.value = o.id
    m.framework_id.value = o.framework_id
    m.agent_id.value = o.agent_id
    m.allocation_info.role = o.role
    m.resources.extend(resources_to_pb(o.resources, refinement=o.refinement))
    m.attributes.extend(attribute_to_pb(a) for a in o.attributes)
    for e in o.executor_ids:
        m.executor_ids.add(value=e)
    return m


def offer_from_pb(m: pb.Offer) -> Offer:
    return Offer(
        id=m.id.value,
        framework_id=m.framework_id.value,
        agent_id=m.agent_id.value,
        hostname=m.hostname,
        role=m.allocation_info.role if m.HasField("allocation_info") else "*",
        resources=resources_from_pb(m.resources),
        attributes=tuple(attribute_from_pb(a) for a in m.attributes),
        executor_ids=tuple(e.value for e in m.executor_ids),
        refinement=any(r.reservations for r in m.resources),
    )


def filters_to_pb(f: Filters) -> pb.Filters:
    return pb.Filters(refuse_seconds=f.refuse_seconds)


def filters_from_pb(m: pb.Filters) -> Filters:
    return Filters(refuse_seconds=m.refuse_seconds)
