"""The driver wire (io/wire/master_driver.py, io/wire/agent_driver.py, SchedulerClient(wire="driver")):
v1 scheduler and executor Calls/Events as frames on persistent transport connections, on a
real in-process cluster (a master and agents as `mesotron local` builds them, the agents
wired to an AgentDriver exactly as io/wire/agent_driver.py's docstring says, real executor
processes). A framework launches tasks and acknowledges every update; a connection that
breaks is the same input as an HTTP stream closing; bad frames drop the connection with a
logged error, change nothing, and the daemons keep serving; refused calls come back as
`driver_error` frames."""

from __future__ import annotations

import collections
import os
import sys
from contextlib import asynccontextmanager
from typing import Any

import pytest
import trio
from mesotron.core.agent.machine import LaunchExecutor
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallDecline,
    CallSuppress,
    CallTeardown,
    EventOffers,
    EventUpdate,
    ExecutorSubscribe,
    OpLaunch,
    Ping,
)
from mesotron.core.resources import Resources
from mesotron.core.values import (
    CommandInfo,
    ExecutorInfo,
    Filters,
    FrameworkInfo,
    TaskInfo,
    TaskState,
)
from mesotron.io.containers.launcher import sigchld_pump
from mesotron.io.daemons import agent as agent_main
from mesotron.io.daemons import master as master_main
from mesotron.io.daemons.local import _sub_args
from mesotron.io.http.asgi import bind_socket
from mesotron.io.wire.agent_driver import AgentDriver, stream_callbacks
from mesotron.io.wire.scheduler_client import SchedulerClient, SubscribeError
from mesotron.io.wire.transport import DriverFrame, Link, decode_frame, driver_frame
from mesotron.spec import codec_executor, codec_internal, codec_scheduler, scheduler_pb2

EXECUTOR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "bench", "update_executor.py")
LIMIT = 60


class RecordingLog:
    """A structlog-like logger that keeps (level, event, fields)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, str, dict[str, Any]]] = []

    def bind(self, **_: Any) -> RecordingLog:
        return self

    def _rec(self, level: str, event: str, **kw: Any) -> None:
        self.events.append((level, event, kw))

    def debug(self, event: str, **kw: Any) -> None:
        self._rec("debug", event, **kw)

    def info(self, event: str, **kw: Any) -> None:
        self._rec("info", event, **kw)

    def warning(self, event: str, **kw: Any) -> None:
        self._rec("warning", event, **kw)

    def error(self, event: str, **kw: Any) -> None:
        self._rec("error", event, **kw)

    def named(self, event: str) -> list[dict[str, Any]]:
        return [kw for _, e, kw in self.events if e == event]


def wire_agent(a: Any, log: Any) -> None:
    """The wiring io/wire/agent_driver.py documents for io/daemons/agent.py (done from outside here)."""
    attach, detach = stream_callbacks(a.streams, a.stream_formats)
    a.driver = AgentDriver(a.pid, feed=a.loop.call_nowait, attach=attach, detach=detach, log=log)
    a.loop.on(LaunchExecutor, lambda e: a.containers.launch(a.driver.with_env(e)))


@asynccontextmanager
async def local_cluster(tmp: str, agents: int = 2) -> Any:
    log = RecordingLog()
    msock = bind_socket("127.0.0.1", 0)
    margs = _sub_args(master_main, ["--ip", "127.0.0.1", "--port", str(msock.getsockname()[1]),
                                    "--registry", "memory", "--allocation-interval", "20ms"])
    master = master_main.MasterDaemon(margs, log, msock)
    daemons = []
    async with trio.open_nursery() as nursery:
        await nursery.start(sigchld_pump)
        await nursery.start(master.run)
        for i in range(agents):
            asock = bind_socket("127.0.0.1", 0)
            aargs = _sub_args(agent_main, [
                "--master", f"127.0.0.1:{master.port}", "--ip", "127.0.0.1", "--port", str(asock.getsockname()[1]),
                "--work-dir", os.path.join(tmp, f"agent{i}"), "--no-fsync", "--no-zygote",
                "--resources", "cpus:4;mem:4096;disk:1000;ports:[31000-32000]"])
            a = agent_main.AgentDaemon(aargs, log, asock)
            a.start_pump = False
            wire_agent(a, log)
            await nursery.start(a.run)
            await nursery.start(a.driver.serve, "127.0.0.1")
            daemons.append(a)
        while sum(1 for s in master.state_json().get("slaves", []) if s.get("active")) < agents:
            await trio.sleep(0.01)
        try:
            yield master, daemons, log
        finally:
            for a in daemons:
                a.containers.shutdown_all()
                a.stop.set()
            master.stop.set()
            nursery.cancel_scope.cancel()
    for a in daemons:  # reap what shutdown_all killed
        for c in list(a.containers.containers.values()):
            if c.proc is not None:
                c.proc.wait()


def update_executor(per_task: int, wire: str) -> ExecutorInfo:
    return ExecutorInfo(
        executor_id="upd", name="update executor",
        command=CommandInfo(value=f"{sys.executable} {EXECUTOR}",
                            environment=(("UPDATES_PER_TASK", str(per_task)), ("UPDATE_EXECUTOR_WIRE", wire))),
        resources=Resources.parse("cpus:0.1;mem:32"))


async def launch_and_ack(master: str, n: int, executor: ExecutorInfo | None) -> tuple[dict[str, list], Any]:
    """A framework on the driver wire: n tasks, every update acknowledged; returns the
    updates seen per task (state, message) and the client (for `rejected`)."""
    res = Resources.parse("cpus:0.01;mem:1")
    pending = [f"t{i}" for i in range(n)]
    seen: dict[str, list] = collections.defaultdict(list)
    finished = 0
    async with SchedulerClient.connect(master, FrameworkInfo(user="test", name="driver-wire"), wire="driver") as s:
        async for ev in s.events():
            if isinstance(ev, EventOffers):
                for o in ev.offers:
                    tasks = []
                    avail = o.resources.unallocate()
                    need = res + (executor.resources if executor else Resources.parse("cpus:0.1;mem:32"))
                    while pending and avail.contains(need) and len(tasks) < (n + 1) // 2:
                        tid = pending.pop()
                        if executor is None:
                            tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=res,
                                                  command=CommandInfo(value="true")))
                        else:
                            tasks.append(TaskInfo(name=tid, task_id=tid, agent_id=o.agent_id, resources=res,
                                                  executor=executor))
                        avail = avail - res
                    if tasks:
                        await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tuple(tasks)),),
                                                filters=Filters(refuse_seconds=0.0)))
                    else:
                        await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=60.0)))
                if not pending:
                    await s.call(CallSuppress())
            elif isinstance(ev, EventUpdate):
                st = ev.status
                seen[st.task_id].append((st.state, st.message))
                if st.uuid is not None:
                    assert await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid)) == 202
                if st.state.is_terminal:
                    finished += 1
                    if finished == n:
                        break
        await s.call(CallTeardown())
        return seen, s


@pytest.mark.parametrize("executor_wire", ["driver", "http"])
def test_framework_on_driver_wire_launches_and_acks(tmp_path, executor_wire) -> None:
    """Custom executors send 5 RUNNING then FINISHED per task (on the driver wire or over
    HTTP); the framework sees every update once, in order, and acks each."""
    per_task = 5

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with local_cluster(str(tmp_path)) as (master, agents, _log):
                seen, s = await launch_and_ack(f"127.0.0.1:{master.port}", 6,
                                               update_executor(per_task, executor_wire))
                assert s.rejected == []
                assert len(seen) == 6
                for tid, ups in seen.items():
                    expected = [(TaskState.TASK_RUNNING, str(i)) for i in range(per_task)]
                    assert ups == [*expected, (TaskState.TASK_FINISHED, str(per_task))], tid
                # every acknowledgement reached the agents: no update left unacknowledged
                for a in agents:
                    while any(t for t in a.machine.state_json().get("frameworks", [])
                              for t in t.get("executors", []) if t.get("tasks")):
                        await trio.sleep(0.01)

    trio.run(main)


def test_command_tasks_with_scheduler_on_driver_wire(tmp_path) -> None:
    """The built-in command executor (HTTP) under a framework on the driver wire."""

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with local_cluster(str(tmp_path)) as (master, _, _log):
                seen, s = await launch_and_ack(f"127.0.0.1:{master.port}", 8, None)
                assert s.rejected == []
                assert sorted(seen) == [f"t{i}" for i in range(8)]
                for tid, ups in seen.items():
                    assert [u[0] for u in ups] == [TaskState.TASK_STARTING, TaskState.TASK_RUNNING,
                                                   TaskState.TASK_FINISHED], tid

    trio.run(main)


def test_client_resubscribes_after_its_stream_breaks(tmp_path) -> None:
    """The client carries out its driver's decisions: when the master closes the stream (the
    master still runs), the driver re-subscribes after its backoff with the same framework
    id, on both wires; the application sees SchedulerDisconnected, then SUBSCRIBED again."""

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with local_cluster(str(tmp_path), agents=1) as (master, _, _log):
                for wire in ("http", "driver"):
                    info = FrameworkInfo(user="test", name=f"again-{wire}", failover_timeout=60.0)
                    async with SchedulerClient.connect(f"127.0.0.1:{master.port}", info, wire=wire) as s:
                        await s.subscribed.wait()
                        fid, first = s.framework_id, s.stream_id
                        # the master drops the framework's stream (its id: the master's)
                        sid = next(k for k, v in master.operator_feed.stream_framework.items()
                                   if v == fid)
                        master.streams[sid].close()
                        while s.resubscriptions < 1:
                            await trio.sleep(0.01)
                        assert s.framework_id == fid and s.stream_id not in (None, first), wire
                        kinds = []
                        while len(kinds) < 3:
                            ev = await s.next_event()
                            if type(ev).__name__ in ("EventSubscribed", "SchedulerDisconnected"):
                                kinds.append(type(ev).__name__)
                        assert kinds == ["EventSubscribed", "SchedulerDisconnected",
                                         "EventSubscribed"], (wire, kinds)
                        assert [f["id"] for f in master.state_json()["frameworks"]
                                if f["name"] == info.name] == [fid]

    trio.run(main)


def test_broken_connection_is_a_disconnect(tmp_path) -> None:
    """The framework's connection closing is Disconnected(stream): with failover_timeout 0
    the master removes the framework, as when its HTTP stream closes."""

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with local_cluster(str(tmp_path), agents=1) as (master, _, _log):
                info = FrameworkInfo(user="test", name="leaver", failover_timeout=0.0)
                async with SchedulerClient.connect(f"127.0.0.1:{master.port}", info, wire="driver") as s:
                    await s.subscribed.wait()
                    fid = s.framework_id
                    assert [f["id"] for f in master.state_json()["frameworks"]] == [fid]
                while not any(f["id"] == fid for f in master.state_json()["completed_frameworks"]):
                    await trio.sleep(0.01)
                assert master.state_json()["frameworks"] == []
                # subscribing again as the removed framework: ERROR, then the stream ends
                again = FrameworkInfo(user="test", name="leaver", id=fid)
                async with SchedulerClient.connect(f"127.0.0.1:{master.port}", again, wire="driver") as s:
                    events = [ev async for ev in s.events()]
                assert [type(e).__name__ for e in events] == ["EventError"]
                assert events[0].message == "Framework has been removed"

    trio.run(main)


async def _raw(port: int, *frames: bytes, raw: bytes = b"", half_close: bool = False) -> tuple[list[Any], bool]:
    """Send frames (envelope bytes, length-prefixed here) then raw bytes, optionally shut our
    sending side, and read frames until EOF. Returns the decoded frames received and
    whether the peer closed the connection (False: still open after 5 s of silence)."""
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    link = Link(stream)
    got: list[Any] = []
    closed = False
    try:
        await stream.send_all(b"".join(len(f).to_bytes(4, "big") + f for f in frames) + raw)
        if half_close:
            await stream.send_eof()
        with trio.move_on_after(5):
            try:
                while (frame := await link.next_frame()) is not None:
                    got.append(decode_frame(frame))
                closed = True
            except (trio.BrokenResourceError, OSError):
                closed = True
    finally:
        await trio.aclose_forcefully(stream)
    return got, closed


def hello(name: str) -> bytes:
    return codec_internal.encode(codec_internal.Hello(sender=name))


def sched_call(fid: str | None, call: Any) -> bytes:
    return driver_frame("scheduler_call", codec_scheduler.encode_call(fid, call).SerializeToString())


def test_bad_frames_drop_the_connection_and_change_nothing(tmp_path) -> None:
    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with local_cluster(str(tmp_path), agents=1) as (master, agents, log):
                before = master.state_json()
                mport, xport = master.internal_port, int(agents[0].driver.endpoint.rpartition(":")[2])
                bad_sched = [
                    ((), b"\x00\x00\x00\x05hello"),  # not an envelope (and no Hello)
                    ((), b"\xff\xff\xff\xff"),  # a frame longer than the limit
                    ((hello("scheduler(x)@h"), driver_frame("scheduler_call", b"\xff\xff\xff")), b""),
                    ((hello("scheduler(x)@h"), codec_internal.encode(Ping(connected=True))), b""),
                    ((hello("scheduler(x)@h"), driver_frame("scheduler_event", b"")), b""),
                    # a driver frame on an internal (agent-like) connection
                    ((hello("slave(9)@127.0.0.1:1"), sched_call(None, CallSuppress())), b""),
                ]
                bad_exec = [
                    ((), b"\x00\x00\x00\x03abc"),
                    ((hello("executor(x)@h"), driver_frame("executor_call", b"\x08\x08\x08")), b""),
                    ((hello("executor(x)@h"), driver_frame("executor_event", b"")), b""),
                    ((hello("executor(x)@h"), codec_internal.encode(Ping(connected=True))), b""),
                ]
                for port, cases in ((mport, bad_sched), (xport, bad_exec)):
                    for frames, raw in cases:
                        n = len(log.named("transport.bad_frame"))
                        got, closed = await _raw(port, *frames, raw=raw)
                        assert closed and got == [], (frames, raw, got)
                        assert len(log.named("transport.bad_frame")) == n + 1, (frames, raw)
                after = master.state_json()
                assert after["frameworks"] == before["frameworks"] == []
                assert [s["id"] for s in after["slaves"] if s["active"]] == [s["id"] for s in before["slaves"]]
                assert agents[0].machine.state_json().get("frameworks", []) == []
                # still serving: a framework subscribes on the driver wire
                async with SchedulerClient.connect(f"127.0.0.1:{master.port}",
                                                   FrameworkInfo(user="t", name="after"), wire="driver") as s:
                    await s.subscribed.wait()

    trio.run(main)


def test_refused_calls_come_back_as_driver_errors(tmp_path) -> None:
    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with local_cluster(str(tmp_path), agents=1) as (master, agents, _log):
                port = master.internal_port
                # before SUBSCRIBE: refused by the master (unknown framework, 400); the
                # connection stays and a SUBSCRIBE then works on it
                sub = sched_call(None, codec_scheduler_subscribe())
                got, closed = await _raw(port, hello("scheduler(a)@h"), sched_call("nope", CallSuppress()), sub)
                assert not closed
                assert isinstance(got[0], DriverFrame) and got[0].kind == "driver_error"
                assert (got[0].payload.status, got[0].payload.message) == (400, "Framework cannot be found")
                ev = scheduler_pb2.Event.FromString(got[1].payload)
                assert got[1].kind == "scheduler_event" and ev.type == scheduler_pb2.Event.SUBSCRIBED
                # a second SUBSCRIBE on a subscribed connection: the master machine refuses it
                # (400, as a SUBSCRIBE with a Mesos-Stream-Id header over HTTP); the
                # connection stays and the framework is still subscribed on it
                stream = await trio.open_tcp_stream("127.0.0.1", port)
                link = Link(stream)
                try:
                    await stream.send_all(b"".join(len(f).to_bytes(4, "big") + f
                                                   for f in (hello("scheduler(d)@h"), sub)))
                    first = decode_frame(await link.next_frame())
                    assert scheduler_pb2.Event.FromString(first.payload).type == scheduler_pb2.Event.SUBSCRIBED
                    await stream.send_all(len(sub).to_bytes(4, "big") + sub)
                    while (g := decode_frame(await link.next_frame())).kind != "driver_error":
                        pass
                    assert (g.payload.status, g.payload.message) == (
                        400, "Subscribe calls should not include the 'Mesos-Stream-Id' header")
                    assert not link.closed
                finally:
                    await trio.aclose_forcefully(stream)
                # a structurally invalid call (no type): 400 as over HTTP
                got, closed = await _raw(port, hello("scheduler(b)@h"),
                                         driver_frame("scheduler_call", scheduler_pb2.Call().SerializeToString()))
                assert [(g.kind, g.payload.status) for g in got] == [("driver_error", 400)] and closed
                # a SUBSCRIBE that fails validation ('framework_id' differs from the info's):
                # 400 as over HTTP, and the connection closes
                bad = scheduler_pb2.Call.FromString(codec_scheduler.encode_call(
                    None, codec_scheduler_subscribe()).SerializeToString())
                bad.framework_id.value = "other"
                got, closed = await _raw(port, hello("scheduler(c)@h"),
                                         driver_frame("scheduler_call", bad.SerializeToString()))
                assert [(g.kind, g.payload.status) for g in got] == [("driver_error", 400)] and closed
                # a master still recovering answers 503: the client's driver retries (with
                # its backoff) and subscribes once the master has recovered
                master.recovered = False
                early = SchedulerClient(f"127.0.0.1:{master.port}", FrameworkInfo(user="t", name="early"),
                                        wire="driver")
                async with trio.open_nursery() as nursery:
                    nursery.start_soon(early.run)
                    while early.driver.failures < 2:
                        await trio.sleep(0.01)
                    assert not early.subscribed.is_set()
                    master.recovered = True
                    await early.subscribed.wait()
                    assert early.driver.failures == 0 and early.framework_id is not None
                    early.stop()
                # a SUBSCRIBE refused with a 4xx is final (here: an agent has no scheduler
                # API: 404 or 405): SubscribeError, on both wires
                for wire in ("http", "driver"):
                    with pytest.raises(SubscribeError) as err:
                        async with SchedulerClient.connect(f"127.0.0.1:{agents[0].port}",
                                                           FrameworkInfo(user="t", name="lost"), wire=wire):
                            pass
                    assert 400 <= err.value.status < 500, (wire, err.value)
                # an executor that subscribes for an executor the agent does not know: refused, closed
                xport = int(agents[0].driver.endpoint.rpartition(":")[2])
                call = codec_executor.encode_call(ExecutorSubscribe(framework_id="f", executor_id="e"))
                got, closed = await _raw(xport, hello("executor(e)@h"),
                                         driver_frame("executor_call", call.SerializeToString()))
                assert closed and [g.kind for g in got] == ["driver_error"]
                assert 400 <= got[0].payload.status < 500
                assert agents[0].streams == {}

    trio.run(main)


def codec_scheduler_subscribe() -> Any:
    from mesotron.core.messages import CallSubscribe

    return CallSubscribe(framework_info=FrameworkInfo(user="t", name="raw"))


def test_fuzzed_frames_change_nothing(tmp_path) -> None:
    """Hundreds of malformed frames (random bytes, truncated and bit-flipped calls, random
    envelope kinds) on framework and executor connections: each connection is dropped or
    answered with a driver_error, no framework or executor appears, both daemons keep
    serving. Seeded: the same frames on every run."""
    import random

    rng = random.Random(4)
    ack = codec_scheduler.encode_call("no-such-framework", CallAcknowledge(
        agent_id="a", task_id="t", uuid=b"0123456789abcdef")).SerializeToString()
    xcall = codec_executor.encode_call(ExecutorSubscribe(framework_id="f", executor_id="e")).SerializeToString()

    def mutate(good: bytes) -> bytes:
        b = bytearray(good)
        op = rng.randrange(3)
        if op == 0:
            return bytes(b[: rng.randrange(len(b))])
        if op == 1:
            for _ in range(rng.randrange(1, 4)):
                b[rng.randrange(len(b))] ^= 1 << rng.randrange(8)
            return bytes(b)
        return bytes(rng.randrange(256) for _ in range(rng.randrange(1, 40)))

    kinds = ["scheduler_call", "scheduler_event", "executor_call", "executor_event"]

    async def main() -> None:
        with trio.fail_after(LIMIT):
            async with local_cluster(str(tmp_path), agents=1) as (master, agents, log):
                mport, xport = master.internal_port, int(agents[0].driver.endpoint.rpartition(":")[2])
                for i in range(150):
                    to_master = i % 2 == 0
                    good = ack if to_master else xcall
                    kind = ("scheduler_call" if to_master else "executor_call") if rng.random() < 0.8 \
                        else rng.choice(kinds)
                    frames = [hello(f"{'scheduler' if to_master else 'executor'}(f{i})@h"),
                              driver_frame(kind, mutate(good))]
                    raw = mutate(b"\x00\x00\x00\x10" + b"x" * 16) if rng.random() < 0.2 else b""
                    got, closed = await _raw(mport if to_master else xport, *frames, raw=raw, half_close=True)
                    assert closed
                    assert all(type(g) is DriverFrame and g.kind == "driver_error" for g in got), got
                assert master.state_json()["frameworks"] == []
                assert agents[0].streams == {}
                assert agents[0].machine.state_json().get("frameworks", []) == []
                # both outcomes occurred: connections dropped, and calls refused
                assert len(log.named("transport.bad_frame")) > 20, len(log.named("transport.bad_frame"))
                assert len(log.named("driver.call_refused")) > 5, len(log.named("driver.call_refused"))
                async with SchedulerClient.connect(f"127.0.0.1:{master.port}",
                                                   FrameworkInfo(user="t", name="after"), wire="driver") as s:
                    await s.subscribed.wait()

    trio.run(main)


def test_driver_wire_follows_the_zookeeper_leader(tmp_path) -> None:
    """`zk://` with wire="driver": the client subscribes to the elected master's transport;
    after the leader is SIGKILLed it subscribes again, same framework id, to the new one."""
    from mesotron.io.zk.server import running_zookeeper, zookeeper_available
    from testkit import HaCluster

    reason = zookeeper_available()
    if reason is not None:
        pytest.skip(reason)
    with running_zookeeper() as server:
        zk = server.url("/driver")
        with HaCluster(str(tmp_path), zk, masters=2, agents=0, session_timeout=1.5) as c:
            info = FrameworkInfo(user="t", name="ha-driver", failover_timeout=3600.0)

            async def main() -> None:
                with trio.fail_after(LIMIT):
                    async with SchedulerClient.connect(zk, info, zk_session_timeout=1.5, wire="driver") as s:
                        await s.subscribed.wait()
                        fid = s.framework_id
                        old = await trio.to_thread.run_sync(c.leader_index)
                        c.masters[old].kill9()
                        while s.resubscriptions < 1:
                            await trio.sleep(0.02)
                        assert s.framework_id == fid
                        new = await trio.to_thread.run_sync(c.wait_leader, {old})
                        assert s.leader.port == c.masters[new].port
                        state = await trio.to_thread.run_sync(c.state, new)
                        assert [f["id"] for f in state["frameworks"]] == [fid]
                        assert s.rejected == []

            trio.run(main)
