"""A custom executor for bench/updates.py: for every task it is given, sends
`UPDATES_PER_TASK` TASK_RUNNING updates then TASK_FINISHED, as fast as the agent takes them.

`UPDATE_EXECUTOR_WIRE=http` (default): the v1 executor API over HTTP, protobuf; each task
POSTs its next update once the previous one was answered 202 (all tasks' calls pipelined on
one keep-alive connection, io/http/client.H11Pipeline, as Mesos's executor library sends).
`UPDATE_EXECUTOR_WIRE=driver`: the same v1 protobuf Calls/Events as frames on one
persistent connection to the agent's driver endpoint (io/wire/agent_driver.py,
MESOTRON_AGENT_DRIVER_ENDPOINT); each task sends its next update when the agent's
ACKNOWLEDGED for the previous one arrives (the agent acknowledges once the update is
persisted, as the HTTP 202 answers)."""

from __future__ import annotations

import contextlib
import os
import time
import uuid

import trio
from mesotron.core.messages import (
    ExecutorAcknowledged,
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorUpdate,
)
from mesotron.core.values import Source, TaskState, TaskStatus
from mesotron.io.http.client import H11Client, H11Pipeline
from mesotron.spec import codec_executor, codec_internal, executor_pb2
from mesotron.spec.wire import RecordIOReader

P = {"Content-Type": "application/x-protobuf", "Accept": "application/x-protobuf"}


def update_call(fid: str, eid: str, task_id: str, i: int, per_task: int) -> bytes:
    state = TaskState.TASK_RUNNING if i < per_task else TaskState.TASK_FINISHED
    st = TaskStatus(task_id=task_id, state=state, source=Source.SOURCE_EXECUTOR, executor_id=eid,
                    uuid=uuid.uuid4().bytes, timestamp=time.time(), message=str(i))
    return codec_executor.encode_call(ExecutorUpdate(framework_id=fid, executor_id=eid, status=st)).SerializeToString()


def task_ids(ev: object) -> list[str]:
    if isinstance(ev, ExecutorLaunch):
        return [ev.task.task_id]
    if isinstance(ev, ExecutorLaunchGroup):
        return [t.task_id for t in ev.tasks]
    return []


async def main_http(fid: str, eid: str, per_task: int) -> None:
    host, _, port = os.environ["MESOS_AGENT_ENDPOINT"].rpartition(":")

    # the calls pipelined on one keep-alive connection (as Mesos's executor library sends
    # its calls); a task's next update is sent when the previous one's 202 arrives
    from mesotron.io.http.tls import client_context_from_env

    ssl_ctx = client_context_from_env()  # TLS when the agent's LIBPROCESS_SSL_* say so
    pipe = H11Pipeline(host, int(port), ssl_context=ssl_ctx)

    def send_update(task_id: str, i: int) -> None:
        def answered(status: int, text: bytes) -> None:
            if status >= 300 or status == 0:  # raised out of pipe.run(): the executor fails
                raise RuntimeError(f"update refused: {status} {text[:200]!r}")
            if i < per_task:
                send_update(task_id, i + 1)

        pipe.submit("/api/v1/executor", update_call(fid, eid, task_id, i, per_task), P, answered)

    async with trio.open_nursery() as nursery:
        nursery.start_soon(pipe.run)
        body = codec_executor.encode_call(ExecutorSubscribe(framework_id=fid, executor_id=eid)).SerializeToString()
        # the event stream read with h11 (as io/wire/scheduler_client.py reads its stream)
        async with H11Client(host, int(port), ssl_context=ssl_ctx).stream_post("/api/v1/executor", body, P) as (status, raw):
            if status != 200:
                raise RuntimeError(f"SUBSCRIBE refused: {status}")
            reader = RecordIOReader()
            done = False
            async with contextlib.aclosing(raw) as chunks:
                async for chunk in chunks:
                    for rec in reader.feed(chunk):
                        ev = codec_executor.decode_event(executor_pb2.Event.FromString(rec))
                        for tid in task_ids(ev):
                            send_update(tid, 0)
                        done = done or isinstance(ev, ExecutorShutdown)
                    if done:
                        break
        nursery.cancel_scope.cancel()


async def main_driver(fid: str, eid: str, per_task: int) -> None:
    from mesotron.io.wire.agent_driver import ENV_ENDPOINT
    from mesotron.io.wire.transport import DriverFrame, Link, decode_frame, driver_frame

    host, _, port = os.environ[ENV_ENDPOINT].rpartition(":")
    stream = await trio.open_tcp_stream(host, int(port))
    link = Link(stream)
    link.send_frame(codec_internal.encode(codec_internal.Hello(sender=f"executor({eid})@{host}")))
    link.send_frame(driver_frame("executor_call", codec_executor.encode_call(
        ExecutorSubscribe(framework_id=fid, executor_id=eid)).SerializeToString()))
    sent: dict[str, int] = {}  # task -> index of the update in flight

    def send(task_id: str) -> None:
        i = sent[task_id]
        link.send_frame(driver_frame("executor_call", update_call(fid, eid, task_id, i, per_task)))

    async with trio.open_nursery() as nursery:
        nursery.start_soon(link.writer)
        while (frame := await link.next_frame()) is not None:
            msg = decode_frame(frame)
            if type(msg) is not DriverFrame or msg.kind not in ("executor_event", "driver_error"):
                raise RuntimeError(f"unexpected frame {msg!r}")
            if msg.kind == "driver_error":
                raise RuntimeError(f"call refused: {msg.payload.status} {msg.payload.message}")
            ev = codec_executor.decode_event(executor_pb2.Event.FromString(msg.payload))
            for tid in task_ids(ev):
                sent[tid] = 0
                send(tid)
            if isinstance(ev, ExecutorAcknowledged) and ev.task_id in sent:
                sent[ev.task_id] += 1
                if sent[ev.task_id] <= per_task:
                    send(ev.task_id)
            if isinstance(ev, ExecutorShutdown):
                break
        link.close()
        nursery.cancel_scope.cancel()


async def main() -> None:
    fid, eid = os.environ["MESOS_FRAMEWORK_ID"], os.environ["MESOS_EXECUTOR_ID"]
    per_task = int(os.environ.get("UPDATES_PER_TASK", "100"))
    if os.environ.get("UPDATE_EXECUTOR_WIRE", "http") == "driver":
        await main_driver(fid, eid, per_task)
    else:
        await main_http(fid, eid, per_task)


if __name__ == "__main__":
    trio.run(main)
