"""Bad input at the master's and agent's HTTP APIs: the exact 4xx Mesos gives, nothing
changes, the daemon keeps serving. Real daemons on loopback; a Hypothesis fuzz sends a
thousand-odd malformed requests."""

from __future__ import annotations

import json
import os

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from testkit import Cluster

J = {"Content-Type": "application/json", "Accept": "application/json"}
SUB = {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u", "name": "n"}}}


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(str(tmp_path_factory.mktemp("badinput")), agents=1) as c:
        yield c


@pytest.fixture(scope="module")
def client():
    with httpx.Client(timeout=5.0, verify=False) as c:
        yield c


def post(client, port, body, headers, path="/api/v1/scheduler"):
    if isinstance(body, dict):
        body = json.dumps(body).encode()
    return client.post(f"http://127.0.0.1:{port}{path}", content=body, headers=headers)


CASES = [
    ("malformed json", b"{not json", J, 400),
    ("missing content type", json.dumps(SUB).encode(), {}, 400),
    ("wrong content type", json.dumps(SUB).encode(), {"Content-Type": "text/plain"}, 415),
    ("unknown call type", {"type": "NO_SUCH_CALL"}, J, 400),
    ("missing required field", {"type": "SUBSCRIBE", "subscribe": {"framework_info": {"user": "u"}}}, J, 400),
    ("json array", b"[1,2,3]", J, 400),
    ("no framework id", {"type": "DECLINE", "decline": {"offer_ids": []}}, J, 400),
    ("unknown framework", {"type": "DECLINE", "framework_id": {"value": "nope"},
                           "decline": {"offer_ids": [{"value": "x"}]}}, dict(J, **{"Mesos-Stream-Id": "0f0f"}), 400),
    ("subscribe with stream id", SUB, dict(J, **{"Mesos-Stream-Id": "abc"}), 400),
    ("bad ack uuid", {"type": "ACKNOWLEDGE", "framework_id": {"value": "nope"},
                      "acknowledge": {"agent_id": {"value": "a"}, "task_id": {"value": "t"}, "uuid": "!!"}},
     dict(J, **{"Mesos-Stream-Id": "0f0f"}), 400),
    ("garbage protobuf", b"\x00\xff" * 500, {"Content-Type": "application/x-protobuf"}, 400),
    ("framework ids differ", {"type": "SUBSCRIBE", "framework_id": {"value": "a"},
                              "subscribe": {"framework_info": {"user": "u", "name": "n", "id": {"value": "b"}}}}, J, 400),
    ("unsupported accept", SUB, {"Content-Type": "application/json", "Accept": "text/html"}, 406),
]


@pytest.mark.parametrize("name,body,headers,want", CASES, ids=[c[0] for c in CASES])
def test_scheduler_bad_input(cluster, client, name, body, headers, want) -> None:
    r = post(client, cluster.master_port, body, headers)
    assert r.status_code == want, (name, r.status_code, r.text)
    assert client.get(f"http://127.0.0.1:{cluster.master_port}/health").status_code == 200


def test_get_on_scheduler_is_405(cluster, client) -> None:
    assert client.get(f"http://127.0.0.1:{cluster.master_port}/api/v1/scheduler").status_code == 405
    assert client.post(f"http://127.0.0.1:{cluster.master_port}/master/health").status_code == 405


def test_bad_input_changes_nothing(cluster, client) -> None:
    for _name, body, headers, _want in CASES:
        post(client, cluster.master_port, body, headers)
    state = cluster.state()
    assert state["frameworks"] == [] and state["completed_frameworks"] == []
    assert len(state["slaves"]) == 1


def test_version_and_redirect(cluster, client) -> None:
    v = client.get(f"http://127.0.0.1:{cluster.master_port}/version").json()
    assert all(part.isdigit() for part in v["version"].split("."))
    r = client.get(f"http://127.0.0.1:{cluster.master_port}/master/redirect", follow_redirects=False)
    assert r.status_code == 307 and r.headers["location"] == f"//127.0.0.1:{cluster.master_port}"
    snap = client.get(f"http://127.0.0.1:{cluster.master_port}/metrics/snapshot").json()
    assert snap["master/elected"] == 1 and "master/uptime_secs" in snap


def test_operator_api(cluster, client) -> None:
    base = f"http://127.0.0.1:{cluster.master_port}/api/v1"
    r = client.post(base, content=b'{"type":"GET_HEALTH"}', headers=J)
    assert r.json() == {"type": "GET_HEALTH", "get_health": {"healthy": True}}
    r = client.post(base, content=b'{"type":"GET_AGENTS"}', headers=J)
    agents = r.json()["get_agents"]["agents"]
    assert len(agents) == 1 and {x["name"] for x in agents[0]["total_resources"]} >= {"cpus", "mem"}
    r = client.post(base, content=b'{"type":"GET_STATE"}', headers=J)
    assert set(r.json()["get_state"]) >= {"get_agents", "get_frameworks", "get_tasks", "get_executors"}
    assert client.post(base, content=b'{"type":"GET_VERSION"}', headers=J).json()["get_version"]["version_info"]["version"]
    assert client.post(base, content=b'{"type":"NOPE"}', headers=J).status_code == 400
    assert client.post(base, content=b'{"type":"GET_STATE"}', headers={}).status_code == 400


def test_agent_executor_api_bad_input(cluster, client) -> None:
    port = cluster.agents[0].port
    url = "/api/v1/executor"
    sub = {"type": "SUBSCRIBE", "framework_id": {"value": "F"}, "executor_id": {"value": "E"},
           "subscribe": {"unacknowledged_tasks": [], "unacknowledged_updates": []}}
    assert post(client, port, sub, J, url).status_code == 400  # unknown framework/executor
    assert post(client, port, b"{", J, url).status_code == 400
    assert post(client, port, sub, {"Content-Type": "text/plain"}, url).status_code == 415
    assert post(client, port, {"type": "SUBSCRIBE"}, J, url).status_code == 400  # required ids
    upd = {"type": "UPDATE", "framework_id": {"value": "F"}, "executor_id": {"value": "E"},
           "update": {"status": {"task_id": {"value": "t"}, "state": "TASK_RUNNING",
                                 "source": "SOURCE_EXECUTOR", "uuid": "AAECAwQFBgcICQoLDA0ODw=="}}}
    assert post(client, port, upd, J, url).status_code == 400
    assert client.get(f"http://127.0.0.1:{port}{url}").status_code == 405
    assert client.get(f"http://127.0.0.1:{port}/health").status_code == 200


@pytest.mark.parametrize("path", ["/etc/passwd", "../../../../etc/passwd", "slaves/../../../etc/passwd",
                                  "/tmp", "meta/checkpoints", "", "slaves/nope"])
def test_files_no_path_escapes(cluster, client, path) -> None:
    port = cluster.agents[0].port
    for ep in ("browse", "read", "download"):
        r = client.get(f"http://127.0.0.1:{port}/files/{ep}", params={"path": path, "offset": 0})
        assert r.status_code in (400, 404), (ep, path, r.status_code)
        assert "root:" not in r.text


def test_files_symlink_escape(cluster, client) -> None:
    port = cluster.agents[0].port
    slaves = os.path.join(cluster.tmp, "agent0", "slaves")
    os.makedirs(slaves, exist_ok=True)
    link = os.path.join(slaves, "evil")
    if not os.path.islink(link):
        os.symlink("/etc", link)
    r = client.get(f"http://127.0.0.1:{port}/files/read", params={"path": link + "/passwd", "offset": 0})
    assert r.status_code == 404


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3),
    max_leaves=8,
)
call_types = st.sampled_from(["SUBSCRIBE", "TEARDOWN", "ACCEPT", "DECLINE", "REVIVE", "KILL", "SHUTDOWN",
                              "ACKNOWLEDGE", "RECONCILE", "MESSAGE", "SUPPRESS", "UNKNOWN", "X"])
calls = st.fixed_dictionaries(
    {"type": call_types},
    optional={"framework_id": st.one_of(json_values, st.just({"value": "nope"})),
              "subscribe": json_values, "accept": json_values, "decline": json_values,
              "kill": json_values, "acknowledge": json_values, "reconcile": json_values},
)
bodies = st.one_of(
    st.binary(max_size=200),
    json_values.map(lambda v: json.dumps(v).encode()),
    calls.map(lambda v: json.dumps(v).encode()),
)
ctypes = st.sampled_from(["application/json", "application/x-protobuf", "application/json; charset=utf-8",
                          "text/plain", "", None])


@settings(max_examples=1200, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(body=bodies, ctype=ctypes, stream=st.sampled_from([None, "abc"]))
def test_fuzz_malformed_requests(cluster, client, body, ctype, stream) -> None:
    headers = {}
    if ctype is not None:
        headers["Content-Type"] = ctype
    if stream:
        headers["Mesos-Stream-Id"] = stream
    # never a server error; a SUBSCRIBE that happens to be valid opens a stream (200): we only
    # read the status line and close it
    with client.stream("POST", f"http://127.0.0.1:{cluster.master_port}/api/v1/scheduler",
                       content=body, headers=headers) as r:
        assert r.status_code in (200, 400, 403, 406, 415, 501), (r.status_code, body)


def test_fuzz_left_master_healthy(cluster, client) -> None:
    assert client.get(f"http://127.0.0.1:{cluster.master_port}/health").status_code == 200
    with open(os.path.join(cluster.tmp, "master.log")) as f:
        log = f.read()
    assert "Traceback" not in log, log[-3000:]


def test_standby_master_redirects_or_503() -> None:
    """A master that does not lead answers 307 to the leader (protocol-relative Location
    with the /master-prefixed path and the query), or 503 while no leader is known."""
    import trio
    from mesotron.core.values import MasterInfo
    from mesotron.io.http.master import MasterApp

    class Standby:
        leading = False
        leader_info: MasterInfo | None = None

        def metrics_inc(self, *_a) -> None:
            pass

    d = Standby()
    app = MasterApp(d)  # type: ignore[arg-type]

    async def call(path: str, query: bytes = b"") -> tuple[int, dict]:
        sent: list[dict] = []

        async def receive() -> dict:
            return {"type": "http.request", "body": b"{}", "more_body": False}

        async def send(m: dict) -> None:
            sent.append(m)

        scope = {"type": "http", "method": "POST", "path": path, "query_string": query, "headers": []}
        await app(scope, receive, send)
        return sent[0]["status"], {k.decode(): v.decode() for k, v in sent[0]["headers"]}

    assert trio.run(call, "/api/v1/scheduler")[0] == 503
    d.leader_info = MasterInfo(id="m2", hostname="m2.example", ip="10.0.0.2", port=5050)
    status, headers = trio.run(call, "/api/v1/scheduler", b"x=1")
    assert status == 307 and headers["location"] == "//m2.example:5050/master/api/v1/scheduler?x=1"
    status, headers = trio.run(call, "/api/v1")
    assert status == 307 and headers["location"] == "//m2.example:5050/master/api/v1"
