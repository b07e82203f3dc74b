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
    import http.client

    from mesotron.spec import master_pb2 as mpb
    from mesotron.spec.wire import JSON, decode
    from testkit import Cluster

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


def test_http_subscribe_refused_gets_error_event_then_close(tmp_path) -> None:
    """A SUBSCRIBE for a role outside --roles: 200, one ERROR event, end of stream (Mesos
    sends FrameworkErrorMessage on the HTTP connection, then closes it)."""
    import httpx
    from mesotron.spec.wire import RecordIOReader
    from testkit import Cluster

    with Cluster(str(tmp_path), agents=0, master_flags=("--roles", "eng")) as c:
        body = json.dumps({"type": "SUBSCRIBE", "subscribe": {"framework_info": {
            "user": "u", "name": "n", "roles": ["other"],
            "capabilities": [{"type": "MULTI_ROLE"}]}}})
        with httpx.Client(timeout=10) as client:
            r = client.post(f"http://{c.master_addr}/api/v1/scheduler", content=body,
                            headers={"Content-Type": "application/json", "Accept": "application/json"})
        assert r.status_code == 200, r.text
        events = [json.loads(rec) for rec in RecordIOReader().feed(r.content)]
        assert [e["type"] for e in events] == ["ERROR"], events
        assert "other" in events[0]["error"]["message"]


def _mesotron(*args: str, timeout: float = 60):
    import subprocess
    import sys

    return subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", *args], capture_output=True,
                          text=True, timeout=timeout, check=False)


def test_execute_env_task_task_group_capabilities_and_quiet_ctrl_c(tmp_path) -> None:
    import signal
    import subprocess
    import sys

    from testkit import Cluster, wait_for

    res = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
           {"name": "mem", "type": "SCALAR", "scalar": {"value": 16}}]
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms")) as c:
        m = c.master_addr
        r = _mesotron("execute", "--master", m, "--name", "envt", "--resources", "cpus:0.1;mem:16",
                      "--command", 'test "$FOO" = bar', "--env", '{"FOO":"bar"}',
                      "--framework_capabilities", "PARTITION_AWARE")
        assert r.returncode == 0, r.stdout + r.stderr
        task = {"name": "jt", "task_id": {"value": "jt"}, "resources": res, "command": {"value": "true"}}
        path = tmp_path / "task.json"
        path.write_text(json.dumps(task))
        r = _mesotron("execute", "--master", m, "--task", f"file://{path}")
        assert r.returncode == 0 and "Received status update TASK_FINISHED for task 'jt'" in r.stdout, \
            r.stdout + r.stderr
        group = {"tasks": [dict(task, name=n, task_id={"value": n}) for n in ("g1", "g2")]}
        r = _mesotron("execute", "--master", m, "--task_group", json.dumps(group))
        assert r.returncode == 0, r.stdout + r.stderr
        for n in ("g1", "g2"):
            assert f"Received status update TASK_FINISHED for task '{n}'" in r.stdout, r.stdout
        bad = _mesotron("execute", "--master", m, "--task", "{nope")
        assert bad.returncode == 2 and "not valid JSON" in bad.stderr and "Traceback" not in bad.stderr
        p = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master", m,
                              "--name", "ctrlc", "--command", "sleep 60", "--resources", "cpus:0.1;mem:16"],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        try:
            wait_for(lambda: any(t["name"] == "ctrlc" and t["state"] == "TASK_RUNNING"
                                 for f in c.state()["frameworks"] for t in f["tasks"]), 20, "ctrlc running")
            p.send_signal(signal.SIGINT)
            _out, err = p.communicate(timeout=20)
        finally:
            if p.poll() is None:
                p.kill()
        assert p.returncode == 130 and "Traceback" not in err, err
        assert "interrupted" in err


def test_task_group_one_task_fails_the_group_is_killed(tmp_path) -> None:
    """LAUNCH_GROUP on real daemons (DefaultExecutorTest.KillTaskGroupOnTaskFailure): one
    task exits 1, the default executor kills the other one, the framework sees both end."""
    from testkit import Cluster

    res = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 0.1}},
           {"name": "mem", "type": "SCALAR", "scalar": {"value": 16}}]
    group = {"tasks": [
        {"name": "bad", "task_id": {"value": "bad"}, "resources": res, "command": {"value": "sleep 0.5; exit 1"}},
        {"name": "long", "task_id": {"value": "long"}, "resources": res, "command": {"value": "sleep 60"}}]}
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms")) as c:
        r = _mesotron("execute", "--master", c.master_addr, "--task_group", json.dumps(group), timeout=60)
        assert r.returncode == 1, r.stdout + r.stderr
        assert "Received status update TASK_FAILED for task 'bad'" in r.stdout, r.stdout
        assert "Received status update TASK_KILLED for task 'long'" in r.stdout, r.stdout


def test_files_virtual_sandbox_path(tmp_path) -> None:
    """/files/browse and /files/read answer Mesos's virtual sandbox path
    `/frameworks/F/executors/E/runs/latest` (the form the Mesos web UI and CLI use)."""
    import http.client
    import urllib.parse

    from testkit import Cluster, wait_for

    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms")) as c:
        r = _mesotron("execute", "--master", c.master_addr, "--name", "vt", "--resources",
                      "cpus:0.1;mem:16", "--command", "echo virtual-path-output")
        assert r.returncode == 0, r.stdout + r.stderr
        fid = c.state()["completed_frameworks"][0]["id"]
        base = f"/frameworks/{fid}/executors/mesotron-command-{fid}/runs/latest"

        def get(path: str) -> tuple[int, bytes]:
            conn = http.client.HTTPConnection("127.0.0.1", c.agents[0].port, timeout=10)
            conn.request("GET", path)
            resp = conn.getresponse()
            data = resp.read()
            conn.close()
            return resp.status, data

        st, data = get("/files/browse?path=" + urllib.parse.quote(base))
        assert st == 200, data
        names = {e["path"].rsplit("/", 1)[-1] for e in json.loads(data)}
        assert "stdout" in names, names
        out = base + "/tasks/vt/stdout" if "tasks" in names else base + "/stdout"
        wait_for(lambda: b"virtual-path-output" in get(
            "/files/read?offset=0&path=" + urllib.parse.quote(out))[1], 10, "task output")
        assert get("/files/browse?path=" + urllib.parse.quote(f"/frameworks/{fid}/../../../.."))[0] == 404
