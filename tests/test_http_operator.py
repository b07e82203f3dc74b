"""The v1 operator API's SUBSCRIBE stream on a real master: SUBSCRIBED (with get_state), then
FRAMEWORK_ADDED, TASK_ADDED, TASK_UPDATED ... FRAMEWORK_REMOVED, with the keys pymesos's
operator driver reads."""

from __future__ import annotations

import contextlib
import gc
import json

import httpx
import pytest
import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledge,
    CallTeardown,
    EventOffers,
    EventUpdate,
    OpLaunch,
)
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, FrameworkInfo, TaskInfo
from mesotron.io.wire.scheduler_client import SchedulerClient
from mesotron.spec.wire import RecordIOReader
from testkit import Cluster

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_streams():
    yield
    gc.collect()


def test_operator_subscribe_events(tmp_path) -> None:
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms")) as c:
        events: list[dict] = []

        async def operator(task_status=trio.TASK_STATUS_IGNORED) -> None:
            reader = RecordIOReader()
            async with httpx.AsyncClient(verify=False, timeout=None) as client, \
                    client.stream("POST", f"http://{c.master_addr}/api/v1", content=b'{"type":"SUBSCRIBE"}',
                                  headers={"Content-Type": "application/json"}) as r:
                assert r.status_code == 200
                task_status.started()
                async with contextlib.aclosing(r.aiter_raw()) as chunks:
                    async for chunk in chunks:
                        for rec in reader.feed(chunk):
                            events.append(json.loads(rec))
                        if any(e["type"] == "FRAMEWORK_REMOVED" for e in events):
                            return

        async def framework() -> None:
            res = Resources.parse("cpus:0.1;mem:16")
            done = 0
            launched = False
            async with SchedulerClient.connect(c.master_addr, FrameworkInfo(user="t", name="op")) as s:
                async for ev in s.events():
                    if isinstance(ev, EventOffers) and not launched:
                        launched = True
                        o = ev.offers[0]
                        tasks = tuple(TaskInfo(name=f"o{i}", task_id=f"o{i}", agent_id=o.agent_id, resources=res,
                                               command=CommandInfo(value="true")) for i in range(2))
                        await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=tasks),)))
                    elif isinstance(ev, EventUpdate):
                        st = ev.status
                        assert st.uuid is not None, (st.message, st)  # agent updates only
                        await s.call(CallAcknowledge(agent_id=st.agent_id, task_id=st.task_id, uuid=st.uuid))
                        if st.state.is_terminal:
                            done += 1
                            if done == 2:
                                await s.call(CallTeardown())
                                return

        async def main() -> None:
            with trio.fail_after(30):
                async with trio.open_nursery() as n:
                    await n.start(operator)
                    await framework()

        trio.run(main)
    types = [e["type"] for e in events]
    assert types[0] == "SUBSCRIBED" and "get_state" in events[0]["subscribed"]
    assert types.index("FRAMEWORK_ADDED") < types.index("TASK_ADDED") < types.index("TASK_UPDATED")
    assert types.count("TASK_ADDED") == 2
    added = [e["task_added"]["task"] for e in events if e["type"] == "TASK_ADDED"]
    assert {t["task_id"]["value"] for t in added} == {"o0", "o1"} and added[0]["state"] == "TASK_STAGING"
    finished = [e["task_updated"] for e in events if e["type"] == "TASK_UPDATED"
                and e["task_updated"]["state"] == "TASK_FINISHED"]
    assert len(finished) == 2
    assert events[-1]["type"] == "FRAMEWORK_REMOVED"
    assert events[-1]["framework_removed"]["framework_info"]["name"] == "op"
