"""A custom executor for bench/updates.py: for every task it is given, sends
`UPDATES_PER_TASK` TASK_RUNNING updates then TASK_FINISHED, as fast as the agent takes them
(v1 executor API over HTTP, JSON)."""

from __future__ import annotations

import contextlib
import os
import time
import uuid

import httpx
import trio
from mesotron.core.messages import (
    ExecutorLaunch,
    ExecutorLaunchGroup,
    ExecutorShutdown,
    ExecutorSubscribe,
    ExecutorUpdate,
)
from mesotron.core.values import Source, TaskState, TaskStatus
from mesotron.io.http_client import H11Client
from mesotron.spec import codec_executor, executor_pb2
from mesotron.spec.wire import RecordIOReader, from_json, to_json

J = {"Content-Type": "application/json", "Accept": "application/json"}


async def main() -> None:
    fid, eid = os.environ["MESOS_FRAMEWORK_ID"], os.environ["MESOS_EXECUTOR_ID"]
    url = f"http://{os.environ['MESOS_AGENT_ENDPOINT']}/api/v1/executor"
    per_task = int(os.environ.get("UPDATES_PER_TASK", "100"))
    done = trio.Event()

    host, _, port = os.environ["MESOS_AGENT_ENDPOINT"].rpartition(":")

    async def updates(client: httpx.AsyncClient, task_id: str) -> None:
        h = H11Client(host, int(port))
        for i in range(per_task + 1):
            state = TaskState.TASK_RUNNING if i < per_task else TaskState.TASK_FINISHED
            st = TaskStatus(task_id=task_id, state=state, source=Source.SOURCE_EXECUTOR, executor_id=eid,
                            uuid=uuid.uuid4().bytes, timestamp=time.time(), message=str(i))
            body = to_json(codec_executor.encode_call(ExecutorUpdate(framework_id=fid, executor_id=eid, status=st)))
            status, text = await h.post("/api/v1/executor", body, J)
            if status >= 300:
                raise RuntimeError(f"update refused: {status} {text[:200]!r}")
        await h.aclose_connection()

    async with httpx.AsyncClient(verify=False, trust_env=False, timeout=None) as sub, \
            httpx.AsyncClient(verify=False, trust_env=False, timeout=30, limits=httpx.Limits(max_connections=64)) as calls, \
            trio.open_nursery() as nursery:
        body = to_json(codec_executor.encode_call(ExecutorSubscribe(framework_id=fid, executor_id=eid)))
        async with sub.stream("POST", url, content=body, headers=J) as r:
            reader = RecordIOReader()
            async with contextlib.aclosing(r.aiter_raw()) as chunks:
                async for chunk in chunks:
                    for rec in reader.feed(chunk):
                        ev = codec_executor.decode_event(from_json(rec, executor_pb2.Event))
                        if isinstance(ev, ExecutorLaunch):
                            nursery.start_soon(updates, calls, ev.task.task_id)
                        elif isinstance(ev, ExecutorLaunchGroup):
                            for t in ev.tasks:
                                nursery.start_soon(updates, calls, t.task_id)
                        elif isinstance(ev, ExecutorShutdown):
                            done.set()
                    if done.is_set():
                        break
        nursery.cancel_scope.cancel()


if __name__ == "__main__":
    trio.run(main)
