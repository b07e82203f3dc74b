"""Codecs: core value -> protobuf -> Mesos JSON -> protobuf -> value is the identity; plus
the Mesos JSON pitfalls (field names, 64-bit ints as numbers, base64 bytes) and RecordIO."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from mesotron.core import messages as cm
from mesotron.core.resources import Reservation, Resources
from mesotron.core.values import (
    AgentInfo,
    Attribute,
    AttributeConstraint,
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
from mesotron.spec import (
    codec_executor,
    codec_internal,
    codec_scheduler,
    executor_pb2,
    scheduler_pb2,
)
from mesotron.spec.codec_values import CodecError
from mesotron.spec.wire import RecordIOReader, WireError, from_json, record, to_json

SETTINGS = settings(max_examples=150, deadline=None)

ids = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_.", min_size=1, max_size=12)
text = st.text(max_size=20)
secs = st.integers(min_value=0, max_value=10**6).map(lambda ms: ms / 1000)
uuid16 = st.binary(min_size=16, max_size=16)

resources = st.builds(
    lambda c, m, lo, n, role: Resources.parse(
        f"cpus({role}):{c};mem:{m};ports:[{lo}-{lo + n}];disk:{m * 2}" if role else
        f"cpus:{c};mem:{m};ports:[{lo}-{lo + n}]"
    ),
    st.integers(1, 64000).map(lambda x: x / 1000),
    st.integers(1, 10**6),
    st.integers(1, 60000),
    st.integers(0, 100),
    st.sampled_from(["", "eng", "a/b"]),
)
attributes = st.lists(
    st.builds(Attribute, name=ids, value=st.one_of(ids, st.integers(-1000, 1000).map(float))),
    max_size=3,
).map(tuple)
commands = st.builds(
    CommandInfo,
    value=st.one_of(st.none(), text),
    shell=st.booleans(),
    arguments=st.lists(text, max_size=3).map(tuple),
    environment=st.lists(st.tuples(ids, text), max_size=3).map(tuple),
    uris=st.lists(ids, max_size=2).map(tuple),
    user=st.one_of(st.none(), ids),
)
kill_policies = st.builds(KillPolicy, grace_period=st.one_of(st.none(), secs))
executors = st.builds(
    ExecutorInfo,
    executor_id=ids,
    framework_id=st.one_of(st.none(), ids),
    command=st.one_of(st.none(), commands),
    resources=resources,
    type=st.sampled_from(["DEFAULT", "CUSTOM"]),
    name=text,
    data=st.binary(max_size=10),
    shutdown_grace_period=st.one_of(st.none(), secs),
)
ports = st.integers(1, 65535)
health_checks = st.one_of(
    st.builds(HealthCheck, type=st.just("COMMAND"), command=commands.filter(lambda c: bool(c.value or c.arguments)),
              delay_seconds=secs, interval_seconds=secs, timeout_seconds=secs,
              consecutive_failures=st.integers(0, 10), grace_period_seconds=secs),
    st.builds(HealthCheck, type=st.just("HTTP"), http_port=ports, http_path=st.sampled_from(["/", "/health"]),
              http_scheme=st.sampled_from(["http", "https"]),
              http_statuses=st.lists(st.integers(100, 599), max_size=3).map(tuple)),
    st.builds(HealthCheck, type=st.just("TCP"), tcp_port=ports),
)
tasks = st.builds(
    TaskInfo,
    health_check=st.one_of(st.none(), health_checks),
    name=text,
    task_id=ids,
    agent_id=ids,
    resources=resources,
    command=st.one_of(st.none(), commands),
    executor=st.one_of(st.none(), executors),
    kill_policy=st.one_of(st.none(), kill_policies),
    labels=st.lists(st.tuples(ids, text), max_size=2).map(tuple),
    data=st.binary(max_size=10),
)
statuses = st.builds(
    TaskStatus,
    task_id=ids,
    state=st.sampled_from(list(TaskState)),
    source=st.one_of(st.none(), st.sampled_from(list(Source))),
    reason=st.one_of(st.none(), st.sampled_from(list(Reason))),
    message=text,
    agent_id=st.one_of(st.none(), ids),
    executor_id=st.one_of(st.none(), ids),
    timestamp=st.floats(min_value=0, max_value=2e9, allow_nan=False),
    uuid=st.one_of(st.none(), uuid16),
    healthy=st.one_of(st.none(), st.booleans()),
    data=st.binary(max_size=10),
    unreachable_time=st.one_of(st.none(), secs),
)
frameworks = st.builds(
    FrameworkInfo,
    user=text,
    name=text,
    id=st.one_of(st.none(), ids),
    roles=st.lists(st.sampled_from(["*", "eng", "ops", "a/b"]), min_size=1, max_size=3, unique=True).map(tuple),
    failover_timeout=secs,
    checkpoint=st.booleans(),
    capabilities=st.frozensets(st.sampled_from(list(Capability))),
    hostname=text,
    principal=st.one_of(st.none(), ids),
    webui_url=text,
)
agents = st.builds(
    AgentInfo, hostname=ids, id=st.one_of(st.none(), ids), port=st.integers(1, 65535),
    resources=resources, attributes=attributes,
)
masters = st.builds(
    MasterInfo, id=ids, hostname=ids,
    ip=st.tuples(*[st.integers(0, 255)] * 4).map(lambda t: ".".join(map(str, t))),
    port=st.integers(1, 65535), version=st.sampled_from(["1.11.0", "0.1.0"]),
)
offers = st.builds(
    Offer, id=ids, framework_id=ids, agent_id=ids, hostname=ids, role=st.sampled_from(["*", "eng"]),
    resources=resources, attributes=attributes, executor_ids=st.lists(ids, max_size=2).map(tuple),
)
filters = st.builds(Filters, refuse_seconds=secs)
constraints = st.lists(
    st.tuples(
        st.sampled_from(["*", "eng"]),
        st.lists(
            st.one_of(
                st.builds(AttributeConstraint, attribute=ids, predicate=st.sampled_from(["exists", "not_exists"])),
                st.builds(AttributeConstraint, attribute=ids, predicate=st.sampled_from(["equals", "not_equals"]), value=text),
            ),
            min_size=1, max_size=3,
        ).map(tuple),
    ),
    max_size=2, unique_by=lambda t: t[0],
).map(lambda xs: tuple(sorted(xs)))

operations = st.one_of(
    st.builds(cm.OpLaunch, task_infos=st.lists(tasks, max_size=2).map(tuple)),
    st.builds(cm.OpLaunchGroup, executor=executors, tasks=st.lists(tasks, max_size=2).map(tuple)),
    st.builds(cm.OpReserve, resources=resources),
    st.builds(cm.OpUnreserve, resources=resources),
)
calls = st.one_of(
    st.builds(cm.CallTeardown),
    st.builds(cm.CallAccept, offer_ids=st.lists(ids, max_size=3).map(tuple),
              operations=st.lists(operations, max_size=2).map(tuple), filters=filters),
    st.builds(cm.CallDecline, offer_ids=st.lists(ids, max_size=3).map(tuple), filters=filters),
    st.builds(cm.CallRevive, roles=st.lists(ids, max_size=2).map(tuple)),
    st.builds(cm.CallSuppress, roles=st.lists(ids, max_size=2).map(tuple)),
    st.builds(cm.CallKill, task_id=ids, agent_id=st.one_of(st.none(), ids),
              kill_policy=st.one_of(st.none(), kill_policies)),
    st.builds(cm.CallShutdown, executor_id=ids, agent_id=ids),
    st.builds(cm.CallAcknowledge, agent_id=ids, task_id=ids, uuid=uuid16),
    st.builds(cm.CallReconcile, tasks=st.lists(st.tuples(ids, st.one_of(st.none(), ids)), max_size=3).map(tuple)),
    st.builds(cm.CallMessage, agent_id=ids, executor_id=ids, data=st.binary(max_size=10)),
)
events = st.one_of(
    st.builds(cm.EventSubscribed, framework_id=ids, heartbeat_interval_seconds=secs,
              master_info=st.one_of(st.none(), masters)),
    st.builds(cm.EventOffers, offers=st.lists(offers, max_size=3).map(tuple)),
    st.builds(cm.EventRescind, offer_id=ids),
    st.builds(cm.EventUpdate, status=statuses),
    st.builds(cm.EventMessage, agent_id=ids, executor_id=ids, data=st.binary(max_size=10)),
    st.builds(cm.EventFailure, agent_id=st.one_of(st.none(), ids)),
    st.builds(cm.EventFailure, agent_id=ids, executor_id=ids, status=st.integers(-255, 255)),
    st.builds(cm.EventError, message=text),
    st.builds(cm.EventHeartbeat),
)


def _json_trip(msg, cls):
    """protobuf -> Mesos JSON bytes -> protobuf, and check the JSON is Mesos-shaped."""
    raw = to_json(msg)
    d = json.loads(raw)
    assert "frameworkId" not in raw.decode()  # field names preserved
    back = from_json(raw, cls)
    assert back == msg
    return back, d


@SETTINGS
@given(st.one_of(st.none(), ids), calls)
def test_scheduler_call_round_trip(fid, call) -> None:
    fid = fid or "F"
    m = codec_scheduler.encode_call(fid, call)
    back, _ = _json_trip(m, scheduler_pb2.Call)
    assert codec_scheduler.decode_call(back) == (fid, call)
    # binary protobuf too
    assert codec_scheduler.decode_call(scheduler_pb2.Call.FromString(m.SerializeToString())) == (fid, call)


@SETTINGS
@given(frameworks, st.lists(ids, max_size=2).map(tuple), constraints)
def test_subscribe_round_trip(fi, suppressed, cons) -> None:
    call = cm.CallSubscribe(framework_info=fi, suppressed_roles=suppressed, offer_constraints=cons)
    m = codec_scheduler.encode_call(fi.id, call)
    back, d = _json_trip(m, scheduler_pb2.Call)
    assert d["subscribe"]["framework_info"]["failover_timeout"] == fi.failover_timeout
    assert codec_scheduler.decode_call(back) == (fi.id, call)


@SETTINGS
@given(events)
def test_scheduler_event_round_trip(ev) -> None:
    m = codec_scheduler.encode_event(ev)
    back, d = _json_trip(m, scheduler_pb2.Event)
    assert d["type"] == scheduler_pb2.Event.Type.Name(m.type)
    assert codec_scheduler.decode_event(back) == ev


executor_calls = st.one_of(
    st.builds(cm.ExecutorSubscribe, framework_id=ids, executor_id=ids,
              unacknowledged_tasks=st.lists(tasks, max_size=2).map(tuple)),
    st.builds(cm.ExecutorMessage, framework_id=ids, executor_id=ids, data=st.binary(max_size=10)),
)
executor_events = st.one_of(
    st.builds(cm.ExecutorSubscribed, executor_info=executors, framework_info=frameworks,
              agent_info=agents, container_id=ids),
    st.builds(cm.ExecutorLaunch, task=tasks),
    st.builds(cm.ExecutorLaunchGroup, tasks=st.lists(tasks, max_size=2).map(tuple)),
    st.builds(cm.ExecutorKill, task_id=ids, kill_policy=st.one_of(st.none(), kill_policies)),
    st.builds(cm.ExecutorAcknowledged, task_id=ids, uuid=uuid16),
    st.builds(cm.ExecutorFrameworkMessage, data=st.binary(max_size=10)),
    st.builds(cm.ExecutorShutdown),
    st.builds(cm.ExecutorError, message=text),
)


@SETTINGS
@given(executor_calls)
def test_executor_call_round_trip(call) -> None:
    m = codec_executor.encode_call(call)
    back, _ = _json_trip(m, executor_pb2.Call)
    assert codec_executor.decode_call(back) == call


@SETTINGS
@given(ids, ids, statuses)
def test_executor_update_round_trip(fid, eid, status) -> None:
    import attrs

    status = attrs.evolve(status, source=Source.SOURCE_EXECUTOR, executor_id=eid, uuid=b"u" * 16,
                          state=TaskState.TASK_RUNNING if status.state is TaskState.TASK_STAGING else status.state)
    call = cm.ExecutorUpdate(framework_id=fid, executor_id=eid, status=status)
    back, _ = _json_trip(codec_executor.encode_call(call), executor_pb2.Call)
    assert codec_executor.decode_call(back) == call


@SETTINGS
@given(executor_events)
def test_executor_event_round_trip(ev) -> None:
    back, _ = _json_trip(codec_executor.encode_event(ev), executor_pb2.Event)
    assert codec_executor.decode_event(back) == ev


internal_messages = st.one_of(
    st.builds(cm.RegisterAgent, agent_info=agents),
    st.builds(cm.ReregisterAgent, agent_info=agents,
              tasks=st.lists(st.builds(cm.TaskRecord, framework_id=ids, task=tasks,
                                       state=st.sampled_from(list(TaskState)), executor_id=ids,
                                       status_update_state=st.one_of(st.none(), st.sampled_from(list(TaskState))),
                                       status_update_uuid=st.one_of(st.none(), uuid16)), max_size=2).map(tuple),
              executor_infos=st.lists(executors, max_size=2).map(tuple),
              frameworks=st.lists(frameworks, max_size=2).map(tuple)),
    st.builds(cm.AgentRegistered, agent_id=ids, master_info=st.one_of(st.none(), masters)),
    st.builds(cm.AgentReregistered, agent_id=ids,
              reconciliations=st.lists(st.tuples(ids, ids, st.sampled_from(list(TaskState))), max_size=2).map(tuple),
              master_info=st.one_of(st.none(), masters)),
    st.builds(cm.UnregisterAgent, agent_id=ids),
    st.builds(cm.ShutdownAgent, message=text),
    st.builds(cm.RunTask, framework_info=frameworks, task=tasks, framework_pid=text),
    st.builds(cm.RunTaskGroup, framework_info=frameworks, executor=executors, tasks=st.lists(tasks, max_size=2).map(tuple)),
    st.builds(cm.KillTask, framework_id=ids, task_id=ids, kill_policy=st.one_of(st.none(), kill_policies)),
    st.builds(cm.StatusUpdateMessage, update=st.builds(
        cm.StatusUpdate, framework_id=ids, status=statuses, uuid=uuid16,
        latest_state=st.one_of(st.none(), st.sampled_from(list(TaskState))))),
    st.builds(cm.StatusUpdateAcknowledgement, agent_id=ids, framework_id=ids, task_id=ids, uuid=uuid16),
    st.builds(cm.Ping, connected=st.booleans()),
    st.builds(cm.Pong),
    st.builds(cm.ShutdownFramework, framework_id=ids),
    st.builds(cm.ShutdownExecutorMsg, framework_id=ids, executor_id=ids),
    st.builds(cm.FrameworkToExecutor, framework_id=ids, executor_id=ids, data=st.binary(max_size=10)),
    st.builds(cm.ExecutorToFramework, agent_id=ids, framework_id=ids, executor_id=ids, data=st.binary(max_size=10)),
    st.builds(cm.ExitedExecutor, agent_id=ids, framework_id=ids, executor_id=ids, status=st.integers(-300, 300)),
    st.builds(cm.UpdateFramework, framework_info=frameworks),
    st.builds(cm.CheckpointResources, resources=st.sampled_from([
        Resources(), Resources.parse("cpus:1;mem:64").push_reservation(
            Reservation(type="DYNAMIC", role="eng", principal="p", labels=(("k", "v"),)))])),
    st.builds(codec_internal.Hello, sender=ids),
)


@SETTINGS
@given(internal_messages)
def test_internal_round_trip(msg) -> None:
    env = codec_internal.to_envelope(msg)
    back, _ = _json_trip(env, type(env))
    assert codec_internal.from_envelope(back) == msg
    assert codec_internal.decode(codec_internal.encode(msg)) == msg


def test_task_records_of_one_shape_decode_each_with_its_own_ids() -> None:
    """codec_internal's record-shape cache: records that differ only in name/ids decode to
    their own values, the caller's message is left as it was, and a cached shape does not
    excuse an invalid record (an empty task id is still a CodecError)."""
    res = Resources.parse("cpus:0.1;mem:32")

    def rec(i: int, task_id: str | None = None) -> cm.TaskRecord:
        return cm.TaskRecord(framework_id="fw", executor_id=f"e{i}", state=TaskState.TASK_RUNNING,
                             task=TaskInfo(name=f"n{i}", task_id=task_id or f"t{i}", agent_id=f"a{i}",
                                           resources=res, command=CommandInfo(value="sleep 1")))

    msg = cm.ReregisterAgent(agent_info=AgentInfo(hostname="h", id="a0", resources=res),
                             tasks=tuple(rec(i) for i in range(5)))
    env = codec_internal.to_envelope(msg)
    before = env.SerializeToString()
    assert codec_internal.from_envelope(env) == msg
    assert codec_internal.from_envelope(env) == msg  # every record a cache hit now
    assert env.SerializeToString() == before
    bad = codec_internal.to_envelope(msg)
    bad.reregister_agent.tasks[3].task.task_id.value = ""
    with pytest.raises(CodecError, match="invalid TaskInfo"):
        codec_internal.from_envelope(bad)


def _missing_field_cases() -> list[tuple[str, Any]]:
    def clear(path: str) -> Any:
        def f(env: Any) -> None:
            *parents, last = path.split(".")
            m = env.reregister_agent
            for p in parents:
                if p.startswith(("tasks", "frameworks")):
                    name = p.rstrip("0123456789")
                    m = getattr(m, name)[int(p[len(name):])]
                else:
                    m = getattr(m, p)
            m.ClearField(last)
        return f
    return [(p, clear(p)) for p in (
        "tasks3.task.name", "tasks3.task.task_id", "tasks3.task.agent_id", "tasks3.executor_id",
        "tasks3.task.task_id.value", "tasks3.task.agent_id.value", "tasks3.executor_id.value",
        "tasks3.framework_id", "tasks3.state", "tasks0.task.name", "agent_info",
        "agent_info.hostname", "frameworks0.user")]


@pytest.mark.parametrize("case", _missing_field_cases(), ids=lambda c: c[0])
def test_reregister_agent_missing_a_required_field_is_refused(case: tuple[str, Any]) -> None:
    """decode / decode_frame check a ReregisterAgent's required fields while decoding it
    (not through the envelope's IsInitialized): a record of an already checked shape that
    misses one of its ids, a record of a new shape, the AgentInfo: each is a CodecError
    naming the missing field, as the envelope check reported it."""
    from mesotron.io.wire.transport import decode_frame

    res = Resources.parse("cpus:0.1;mem:32")
    msg = cm.ReregisterAgent(
        agent_info=AgentInfo(hostname="h", id="a0", resources=res),
        frameworks=(FrameworkInfo(user="u", name="f", id="fw"),),
        tasks=tuple(cm.TaskRecord(framework_id="fw", executor_id=f"e{i}", state=TaskState.TASK_RUNNING,
                                  task=TaskInfo(name=f"n{i}", task_id=f"t{i}", agent_id="a0", resources=res,
                                                command=CommandInfo(value="sleep 1"))) for i in range(5)))
    assert codec_internal.decode(codec_internal.encode(msg)) == msg  # every shape known now
    path, clear = case
    env = codec_internal.to_envelope(msg)
    clear(env)
    assert not env.IsInitialized()
    field = path.split(".")[-1]
    for decode in (codec_internal.decode, decode_frame):
        with pytest.raises(CodecError, match=f"internal message misses .*{field}"):
            decode(env.SerializePartialToString())
    assert decode_frame(codec_internal.encode(msg)) == msg


def test_reregister_agent_fields_are_those_its_decoder_checks() -> None:
    """`_reregister_owned` checks required fields field by field: a field added to the
    message must be added there too (this test then fails)."""
    from mesotron.spec import internal_pb2 as ipb

    def kinds(desc: Any) -> set[tuple[str, str]]:
        return {(f.name, "repeated" if f.is_repeated else "required" if f.is_required else "optional")
                for f in desc.fields}

    assert kinds(ipb.ReregisterAgent.DESCRIPTOR) == {
        ("agent_info", "required"), ("tasks", "repeated"), ("executor_infos", "repeated"),
        ("frameworks", "repeated"), ("version", "optional")}
    assert kinds(ipb.TaskRecord.DESCRIPTOR) == {
        ("framework_id", "required"), ("task", "required"), ("state", "required"),
        ("executor_id", "required"), ("status_update_state", "optional"),
        ("status_update_uuid", "optional")}


# ------------------------------------------------------------------ Mesos JSON specifics
def test_int64_are_numbers_and_bytes_base64() -> None:
    task = TaskInfo(name="t", task_id="t1", agent_id="a", resources=Resources.parse("cpus:1;ports:[31000-31005]"),
                    kill_policy=KillPolicy(grace_period=2.5), command=CommandInfo(value="true"))
    d = json.loads(to_json(codec_scheduler.encode_call("F", cm.CallAccept(offer_ids=("o",), operations=(cm.OpLaunch(task_infos=(task,)),)))))
    ti = d["accept"]["operations"][0]["launch"]["task_infos"][0]
    assert ti["kill_policy"] == {"grace_period": {"nanoseconds": 2500000000}}
    ports = next(r for r in ti["resources"] if r["name"] == "ports")
    assert ports["ranges"] == {"range": [{"begin": 31000, "end": 31005}]}
    assert ti["command"]["shell"] is True
    ev = json.loads(to_json(codec_scheduler.encode_event(cm.EventUpdate(status=TaskStatus(
        task_id="t", state=TaskState.TASK_RUNNING, uuid=bytes(range(16)), agent_id="a")))))
    assert ev == {"type": "UPDATE", "update": {"status": {
        "task_id": {"value": "t"}, "state": "TASK_RUNNING", "agent_id": {"value": "a"},
        "timestamp": 0.0, "uuid": "AAECAwQFBgcICQoLDA0ODw=="}}}


def test_parse_accepts_string_ints_unknown_keys_and_null() -> None:
    raw = json.dumps({"type": "KILL", "framework_id": {"value": "F"}, "bogus": 1, "revive": None,
                      "kill": {"task_id": {"value": "t"}, "kill_policy": {"grace_period": {"nanoseconds": "1000000000"}}}})
    call = codec_scheduler.decode_call(from_json(raw.encode(), scheduler_pb2.Call))
    assert call == ("F", cm.CallKill(task_id="t", kill_policy=KillPolicy(grace_period=1.0)))


def test_pymesos_subscribe_body_decodes() -> None:
    raw = (b'{"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "alice", "name": "demo",'
           b' "hostname": "client1", "failover_timeout": 100, "capabilities": [{"type": "GPU_RESOURCES"}]}}}')
    fid, call = codec_scheduler.decode_call(from_json(raw, scheduler_pb2.Call))
    assert fid is None
    assert call.framework_info.failover_timeout == 100.0
    assert call.framework_info.capabilities == frozenset({Capability.GPU_RESOURCES})
    assert call.framework_info.roles == ("*",)


def test_validation_errors() -> None:
    import pytest

    def dec(d):
        return codec_scheduler.decode_call(from_json(json.dumps(d).encode(), scheduler_pb2.Call))

    for bad in (
        {"type": "NO_SUCH_CALL"},
        {"type": "DECLINE"},
        {"type": "DECLINE", "framework_id": {"value": "F"}},
        {"type": "SUBSCRIBE"},
        {"type": "SUBSCRIBE", "framework_id": {"value": "F"}, "subscribe": {"framework_info": {"user": "u", "name": "n"}}},
        {"type": "ACKNOWLEDGE", "framework_id": {"value": "F"},
         "acknowledge": {"agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": "!!"}},
    ):
        with pytest.raises(WireError) as e:
            dec(bad)
        assert e.value.status == 400, bad
    with pytest.raises(WireError) as e:
        from_json(b'{"type":"SUBSCRIBE","subscribe":{"framework_info":{"user":"u"}}}', scheduler_pb2.Call)
    assert e.value.status == 400 and "name" in e.value.message
    with pytest.raises(WireError):
        from_json(b"{not json", scheduler_pb2.Call)
    with pytest.raises(WireError):
        from_json(b"[1,2]", scheduler_pb2.Call)


# ------------------------------------------------------------------ RecordIO
@SETTINGS
@given(st.lists(st.binary(min_size=1, max_size=50), max_size=10), st.lists(st.integers(1, 30), min_size=1, max_size=10))
def test_recordio_any_chunking(payloads, cuts) -> None:
    stream = b"".join(record(p) for p in payloads)
    reader, got, i, k = RecordIOReader(), [], 0, 0
    while i < len(stream):
        n = cuts[k % len(cuts)]
        got += reader.feed(stream[i : i + n])
        i, k = i + n, k + 1
    assert got == payloads and reader.pending == 0


def test_recordio_rejects_garbage() -> None:
    import pytest

    with pytest.raises(WireError):
        RecordIOReader().feed(b"abc\n{}")
    assert record(b'{"type":"HEARTBEAT"}') == b'20\n{"type":"HEARTBEAT"}'


def test_agent_infos_of_one_shape_decode_each_with_its_own_name_id_and_port() -> None:
    """A ReregisterAgent's AgentInfo is decoded once per shape (its serialization without
    hostname, id and port: spec/codec_internal.py `_agent_info_owned`); later ones of the
    shape keep their own hostname, id (or none) and port, and a missing hostname is still
    refused on a known shape."""
    from mesotron.io.wire.transport import decode_frame

    res = Resources.parse("cpus:3;mem:1024;ports:[31000-31999]")
    infos = [AgentInfo(hostname=f"h{i}", id=f"shape-a{i}" if i != 2 else None, port=5051 + i,
                       resources=res) for i in range(4)]
    infos.append(AgentInfo(hostname="h9", id="shape-a9", resources=Resources.parse("cpus:1")))
    for info in infos:
        msg = cm.ReregisterAgent(agent_info=info)
        for decode in (codec_internal.decode, decode_frame):
            assert decode(codec_internal.encode(msg)) == msg
    env = codec_internal.to_envelope(cm.ReregisterAgent(agent_info=infos[1]))
    env.reregister_agent.agent_info.ClearField("hostname")
    with pytest.raises(CodecError, match="misses .*hostname"):
        decode_frame(env.SerializePartialToString())
