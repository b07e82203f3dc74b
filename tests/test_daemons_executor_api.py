"""The v1 executor API of a real agent, driven by hand (what pymesos's MesosExecutorDriver
relies on, MESOS-V1-API.md §4): SUBSCRIBED carries the exact ids, queued tasks arrive as
LAUNCH events (LAUNCH_GROUP only for task groups), UPDATE gets 202 and ACKNOWLEDGED."""

from __future__ import annotations

import base64
import contextlib
import gc
import json
import uuid

import httpx
import pytest
import trio
from mesotron.core.messages import CallAccept, CallTeardown, EventOffers, OpLaunch
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, ExecutorInfo, FrameworkInfo, TaskInfo
from mesotron.io.wire.scheduler_client import SchedulerClient
from mesotron.spec.wire import RecordIOReader
from testkit import Cluster

# httpx's streaming responses leave inner async generators behind when a stream is cancelled
# (the client going away is how these tests end a subscription); collect them here, inside
# this module's tests, where their finalization noise is expected.
pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_streams():
    yield
    gc.collect()

J = {"Content-Type": "application/json", "Accept": "application/json"}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(str(tmp_path_factory.mktemp("execapi")), agents=1,
                 master_flags=("--allocation-interval", "50ms")) as c:
        yield c


async def launch_and_subscribe(cluster, n_tasks: int, executor_id: str):
    """Launch n tasks on a custom executor that never subscribes by itself (sleep), then
    subscribe in its place; returns (framework id, events received within 2 s)."""
    info = FrameworkInfo(user="t", name="execapi")
    ex = ExecutorInfo(executor_id=executor_id, command=CommandInfo(value="sleep 60"),
                      resources=Resources.parse("cpus:0.1;mem:32"))
    events = []
    async with SchedulerClient.connect(cluster.master_addr, info) as s:
        async for ev in s.events():
            if isinstance(ev, EventOffers):
                o = ev.offers[0]
                tasks = tuple(TaskInfo(name=f"x{i}", task_id=f"x{i}", agent_id=o.agent_id,
                                       resources=Resources.parse("cpus:0.1;mem:16"), executor=ex)
                              for i in range(n_tasks))
                assert await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tasks),))) == 202
                break
        await trio.sleep(0.5)  # the executor is registering; the tasks are queued
        port = cluster.agents[0].port
        body = {"type": "SUBSCRIBE", "framework_id": {"value": s.framework_id},
                "executor_id": {"value": executor_id},
                "subscribe": {"unacknowledged_tasks": [], "unacknowledged_updates": []}}
        reader = RecordIOReader()
        async with httpx.AsyncClient(verify=False, timeout=5.0) as c:
            with trio.fail_after(10):
                async with c.stream("POST", f"http://127.0.0.1:{port}/api/v1/executor", json=body,
                                    headers=dict(J, Connection="close")) as r:
                    assert r.status_code == 200 and "chunked" in r.headers.get("transfer-encoding", "")
                    async with contextlib.aclosing(r.aiter_raw()) as chunks:
                        async for chunk in chunks:
                            for rec in reader.feed(chunk):
                                events.append(json.loads(rec))
                                launched = sum(1 for e in events if e["type"] == "LAUNCH") + sum(
                                    len(e["launch_group"]["task_group"]["tasks"]) for e in events
                                    if e["type"] == "LAUNCH_GROUP")
                                if launched == n_tasks:
                                    # an update from the "executor": 202, then ACKNOWLEDGED
                                    tid = events[-1].get("launch", {}).get("task", {}).get("task_id", {"value": "x0"})
                                    upd = {"type": "UPDATE", "framework_id": {"value": s.framework_id},
                                           "executor_id": {"value": executor_id},
                                           "update": {"status": {"task_id": tid, "state": "TASK_RUNNING",
                                                                 "source": "SOURCE_EXECUTOR",
                                                                 "uuid": base64.b64encode(uuid.uuid4().bytes).decode()}}}
                                    async with httpx.AsyncClient(verify=False, timeout=5.0) as c2:
                                        rr = await c2.post(f"http://127.0.0.1:{port}/api/v1/executor", json=upd, headers=J)
                                        assert rr.status_code == 202, rr.text
                            if any(e["type"] == "ACKNOWLEDGED" for e in events):
                                break
        await s.call(CallTeardown())
        return s.framework_id, events


def test_subscribed_and_single_launch(cluster) -> None:
    async def main():
        with trio.fail_after(30):
            return await launch_and_subscribe(cluster, 1, "one")

    fid, events = trio.run(main)
    assert events[0]["type"] == "SUBSCRIBED"
    sub = events[0]["subscribed"]
    assert sub["executor_info"]["executor_id"] == {"value": "one"}  # exact, as pymesos asserts
    assert sub["framework_info"]["id"] == {"value": fid}
    assert set(sub) >= {"executor_info", "framework_info", "agent_info"}
    assert events[1]["type"] == "LAUNCH" and events[1]["launch"]["task"]["task_id"] == {"value": "x0"}
    acks = [e for e in events if e["type"] == "ACKNOWLEDGED"]
    assert acks and len(base64.b64decode(acks[0]["acknowledged"]["uuid"])) == 16


def test_queued_tasks_arrive_as_separate_launches(cluster) -> None:
    async def main():
        with trio.fail_after(30):
            return await launch_and_subscribe(cluster, 3, "three")

    _fid, events = trio.run(main)
    types = [e["type"] for e in events]
    assert types[:4] == ["SUBSCRIBED", "LAUNCH", "LAUNCH", "LAUNCH"], types
