"""Dynamic reservations with real daemons (ReservationTest, ReservationEndpointsTest,
OperationReconciliationTest ports): a framework RESERVEs through ACCEPT with an operation id,
gets OPERATION_FINISHED, acknowledges it, is offered the reserved resources in the
`reservations[]` format (RESERVATION_REFINEMENT); the reservation survives a master restart
(registry) and the operator UNRESERVEs it through the v1 API."""

from __future__ import annotations

import gc
import http.client
import json

import pytest
import trio
from mesotron.core.messages import (
    CallAccept,
    CallAcknowledgeOperationStatus,
    CallDecline,
    CallReconcileOperations,
    EventOffers,
    EventUpdateOperationStatus,
    OpReserve,
)
from mesotron.core.resources import Reservation, Resources
from mesotron.core.values import Capability, Filters, FrameworkInfo
from mesotron.io.wire.scheduler_client import SchedulerClient
from testkit import Cluster, Daemon, wait_for

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")


@pytest.fixture(autouse=True)
def _collect_streams():
    yield
    gc.collect()


def call(port: int, body: dict) -> tuple[int, bytes]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("POST", "/api/v1", body=json.dumps(body),
              headers={"Content-Type": "application/json", "Accept": "application/json"})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, data


RESERVED = Resources.parse("cpus:1;mem:64").push_reservation(
    Reservation(type="DYNAMIC", role="eng", principal="p"))


def test_reserve_feedback_refinement_failover_and_operator_unreserve(tmp_path) -> None:
    with Cluster(str(tmp_path), agents=1, resources="cpus:2;mem:512;disk:100",
                 master_flags=("--allocation-interval", "50ms")) as c:
        info = FrameworkInfo(user="u", name="res", roles=("eng",), principal="p",
                             capabilities=frozenset({Capability.MULTI_ROLE, Capability.RESERVATION_REFINEMENT}))
        seen: dict = {}

        async def framework() -> None:
            async with SchedulerClient.connect(c.master_addr, info) as s:
                async for ev in s.events():
                    if isinstance(ev, EventOffers):
                        for o in ev.offers:
                            if "accepted" not in seen:
                                seen["accepted"] = True
                                await s.call(CallAccept(offer_ids=(o.id,), operations=(
                                    OpReserve(resources=RESERVED, id="op1"),), filters=Filters(refuse_seconds=0)))
                            elif "status" in seen and o.resources.unallocate().contains(RESERVED):
                                seen["offer"] = o
                                await s.call(CallDecline(offer_ids=(o.id,)))
                                await s.call(CallReconcileOperations(operations=(("op1", o.agent_id),)))
                            else:
                                await s.call(CallDecline(offer_ids=(o.id,), filters=Filters(refuse_seconds=0)))
                    elif isinstance(ev, EventUpdateOperationStatus):
                        st = ev.status
                        if "status" not in seen:
                            seen["status"] = st
                            await s.call(CallAcknowledgeOperationStatus(
                                operation_id="op1", uuid=st.uuid, agent_id=st.agent_id))
                        else:
                            seen["reconciled"] = st
                            return

        async def main() -> None:
            with trio.fail_after(30):
                await framework()

        trio.run(main)
        st = seen["status"]
        assert st.state == "OPERATION_FINISHED" and st.uuid is not None
        assert seen["offer"].refinement  # offered in reservations[] form
        assert seen["reconciled"].state == "OPERATION_UNKNOWN"  # acknowledged: forgotten
        slave = c.state()["slaves"][0]
        assert slave["reserved_resources"]["eng"]["cpus"] == 1.0
        aid = slave["id"]
        # the agent checkpointed it (CheckpointResources) and reports it in its own /state
        wait_for(lambda: c.agents[0].get_json("/state").get("reserved_resources", {}).get("eng"), 10,
                 "agent checkpointed the reservation")

        assert c.master is not None
        c.master.stop(10)
        c.master = Daemon(c.master.argv, c.master.port, c.master.log_path).start()
        wait_for(lambda: c.state()["slaves"], 20, "agent re-registered")
        slave = c.state()["slaves"][0]
        assert slave["reserved_resources"]["eng"]["cpus"] == 1.0, slave
        full = slave["reserved_resources_full"]["eng"]
        assert any(r["name"] == "cpus" and r.get("reservation", {}).get("principal") == "p" for r in full), full

        # the agent restarts (kill -9, recovers under the same id): the reservation stays
        c.agents[0].kill9()
        c.agents[0] = Daemon(c.agents[0].argv, c.agents[0].port, c.agents[0].log_path).start()
        wait_for(lambda: [s["id"] for s in c.state()["slaves"] if s.get("active")] == [aid], 30,
                 "agent back under the same id")
        assert c.state()["slaves"][0]["reserved_resources"]["eng"]["cpus"] == 1.0
        assert c.agents[0].get_json("/state")["reserved_resources"]["eng"]["cpus"] == 1.0

        body = {"type": "UNRESERVE_RESOURCES", "unreserve_resources": {
            "agent_id": {"value": aid}, "resources": RESERVED.to_json(refinement=True)}}
        st_code, data = call(c.master_port, body)
        assert st_code == 200, data
        assert "eng" not in c.state()["slaves"][0]["reserved_resources"]
        wait_for(lambda: "eng" not in c.agents[0].get_json("/state")["reserved_resources"], 10,
                 "agent dropped the reservation")
        st_code, data = call(c.master_port, body)
        assert st_code == 409, data  # nothing reserved left to unreserve
        st_code, data = call(c.master_port, {"type": "GET_OPERATIONS"})
        assert st_code == 200 and json.loads(data)["get_operations"] == {}


def test_reservation_and_quota_survive_zookeeper_leader_failover(zk_server, tmp_path) -> None:
    """With the ZooKeeper registry and three masters: RESERVE_RESOURCES and UPDATE_QUOTA on
    the leader, SIGKILL it; the next leader has both once the agent re-registered."""
    from testkit import HaCluster, kill_leader

    with HaCluster(str(tmp_path), zk_server.url("/resv"), masters=3, agents=1,
                   session_timeout=1.5) as c:
        lead = c.wait_leader()
        port = c.masters[lead].port
        c.wait_agents(1)
        aid = c.state(lead)["slaves"][0]["id"]
        body = {"type": "RESERVE_RESOURCES", "reserve_resources": {
            "agent_id": {"value": aid}, "resources": RESERVED.to_json(refinement=True)}}
        st, data = call(port, body)
        assert st == 200, data
        q = {"role": "eng", "guarantees": {"cpus": {"value": 1}}, "limits": {"cpus": {"value": 2}}}
        assert call(port, {"type": "UPDATE_QUOTA", "update_quota": {"quota_configs": [q]}})[0] == 200
        _old, new = kill_leader(c)
        wait_for(lambda: c.state(new)["slaves"], 30, "agent re-registered with the new leader")
        assert c.state(new)["slaves"][0]["reserved_resources"]["eng"]["cpus"] == 1.0
        st, data = call(c.masters[new].port, {"type": "GET_QUOTA"})
        assert st == 200 and json.loads(data)["get_quota"]["status"]["configs"] == [q]
