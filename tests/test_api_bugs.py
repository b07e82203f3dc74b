"""Issue 18's bugs, each with the test that failed before its fix:
- agent attributes written `[1-4]` / `{x,y}` are RANGES / SET on the wire (not TEXT);
- static reservations reported as reserved in /master/state and GET_AGENTS (and in the
  refinement format `reservations[]`);
- an HTTP SUBSCRIBE the master refuses gets its ERROR event before the stream closes;
- `/files` answers Mesos's virtual sandbox paths `/frameworks/F/executors/E/runs/latest`;
- `mesotron execute` takes --env/--task/--task_group/--framework_capabilities, and Ctrl-C
  is quiet."""

from __future__ import annotations

import json

from mesotron.core.values import Attribute, MasterInfo
from mesotron.spec import mesos_pb2 as pb
from mesotron.spec.codec_values import attribute_from_pb, attribute_to_pb


def test_attribute_ranges_and_sets_are_typed_on_the_wire() -> None:
    attrs_ = {a.name: a for a in Attribute.parse_many("rack:r1;level:3;ports:[1-4, 6-8];disks:{a,b}")}
    ports, disks = attribute_to_pb(attrs_["ports"]), attribute_to_pb(attrs_["disks"])
    assert ports.type == pb.Value.RANGES
    assert [(r.begin, r.end) for r in ports.ranges.range] == [(1, 4), (6, 8)]
    assert disks.type == pb.Value.SET and sorted(disks.set.item) == ["a", "b"]
    assert attribute_to_pb(attrs_["rack"]).type == pb.Value.TEXT
    assert attribute_to_pb(attrs_["level"]).type == pb.Value.SCALAR
    # and back: the canonical text form, equal values
    assert attribute_from_pb(ports) == attrs_["ports"]
    assert attribute_from_pb(disks) == attrs_["disks"]
    assert attrs_["ports"].value == "[1-4, 6-8]" and attrs_["disks"].value == "{a,b}"


def test_attribute_bad_ranges_are_refused() -> None:
    import pytest

    for bad in ("p:[4-1]", "p:[a-b]", "p:[1-2"):
        with pytest.raises(ValueError):
            Attribute.parse_many(bad)


_ = (json, MasterInfo)


def test_offer_uses_reservations_list_for_refinement_frameworks() -> None:
    from mesotron.core.resources import Resources
    from mesotron.core.values import Offer
    from mesotron.spec.codec_values import offer_to_pb

    res = Resources.parse("cpus(eng):2;mem:64")
    old = offer_to_pb(Offer(id="o", framework_id="f", agent_id="a", hostname="h", role="eng",
                            resources=res))
    new = offer_to_pb(Offer(id="o", framework_id="f", agent_id="a", hostname="h", role="eng",
                            resources=res, refinement=True))
    cpus_old = next(r for r in old.resources if r.name == "cpus")
    cpus_new = next(r for r in new.resources if r.name == "cpus")
    assert cpus_old.role == "eng" and not cpus_old.reservations
    assert [(pb.Resource.ReservationInfo.Type.Name(x.type), x.role) for x in cpus_new.reservations] \
        == [("STATIC", "eng")]
    assert not cpus_new.HasField("role")


def test_static_reservations_and_attributes_reported(tmp_path) -> None:
    """/master/state's reserved_resources and GET_AGENTS's total resources keep the static
    reservation; GET_AGENTS's agent_info carries the agent's typed attributes."""
    from testkit import Cluster

    from mesotron.spec import master_pb2 as mpb
    from mesotron.spec.wire import JSON, decode
    import http.client

    with Cluster(str(tmp_path), agents=1, resources="cpus(eng):1;cpus:1;mem:512;disk:100",
                 agent_flags=("--attributes", "rack:r1;ports:[1-4];disks:{a,b}")) as c:
        slave = c.state()["slaves"][0]
        assert slave["reserved_resources"] == {"eng": {"cpus": 1.0, "gpus": 0.0, "mem": 0.0, "disk": 0.0}}
        assert slave["unreserved_resources"]["cpus"] == 1.0
        conn = http.client.HTTPConnection("127.0.0.1", c.master_port, timeout=5)
        conn.request("POST", "/api/v1", body=b'{"type":"GET_AGENTS"}',
                     headers={"Content-Type": JSON, "Accept": JSON})
        r = conn.getresponse()
        body = r.read()
        assert r.status == 200, body
        agent = decode(body, JSON, mpb.Response).get_agents.agents[0]
        roles = sorted((x.name, x.role) for x in agent.total_resources)
        assert ("cpus", "eng") in roles and ("cpus", "*") in roles
        kinds = {a.name: pb.Value.Type.Name(a.type) for a in agent.agent_info.attributes}
        assert kinds == {"rack": "TEXT", "ports": "RANGES", "disks": "SET"}
