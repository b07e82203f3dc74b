"""--acls on the operator endpoints of a real master and agent (HTTP on loopback).

Ported cases (apache/mesos 1.11, the HTTP halves; the decisions are tested in core in
tests/test_authz_operator.py): TeardownTest.BadACLs, TeardownTest.GoodACLs, TeardownTest.Success,
TeardownTest.NoFrameworkId, DynamicWeightsTest.UnauthorizedWeightUpdateRequest,
MasterQuotaTest.AuthorizeGetUpdateQuotaRequests, ReservationEndpointsTest.BadReserveACL,
ReservationEndpointsTest.BadUnreserveACL.

Checked: every denied write answers 403 `403 Forbidden.` and the master is unchanged (its
frameworks, agents' reservations and activation, weights and quota, read back by a principal
that sees everything); a scheduler TEARDOWN of another principal's framework is refused (400,
Mesos's principal text); roles/weights are filtered by view_roles and quota by get_quotas;
/metrics/snapshot by get_endpoints on master and agent; the master's log (/master/log) by
access_mesos_logs; the operator SUBSCRIBE stream's later
events (FRAMEWORK_ADDED) by view_frameworks, per subscriber."""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys

from test_authorizer import _get, _post
from testkit import Cluster, basic_auth

OPS, DEV = basic_auth("ops", "o"), basic_auth("dev", "d")
NONE = {"type": "NONE"}


def _deny_dev(field: str) -> list[dict]:
    return [{"principals": {"values": ["dev"]}, field: NONE}]


ACLS = {
    "permissive": True,
    "teardown_frameworks": [{"principals": {"values": ["ops"]}, "framework_principals": {"values": ["ops"]}},
                            {"principals": {"values": ["dev"]}, "framework_principals": NONE}],
    "update_weights": [{"principals": {"values": ["dev"]}, "roles": NONE}],
    "update_quotas": [{"principals": {"values": ["dev"]}, "roles": NONE}],
    "get_quotas": [{"principals": {"values": ["dev"]}, "roles": NONE}],
    "reserve_resources": [{"principals": {"values": ["dev"]}, "roles": NONE}],
    "unreserve_resources": [{"principals": {"values": ["dev"]}, "reserver_principals": NONE}],
    "deactivate_agents": _deny_dev("agents"),
    "drain_agents": _deny_dev("agents"),
    "mark_agents_gone": _deny_dev("agents"),
    "view_roles": [{"principals": {"values": ["dev"]}, "roles": {"values": ["eng"]}},
                   {"principals": {"values": ["dev"]}, "roles": NONE}],
    "view_frameworks": [{"principals": {"values": ["dev"]}, "users": {"values": ["dev"]}},
                        {"principals": {"values": ["dev"]}, "users": NONE}],
    "get_endpoints": [{"principals": {"values": ["dev"]}, "paths": NONE}],
    "access_mesos_logs": [{"principals": {"values": ["dev"]}, "logs": NONE}],
}


def _cli(*argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", *argv], capture_output=True,
                          text=True, timeout=120, check=False)


def _records(conn: http.client.HTTPResponse, stop) -> list[dict]:
    """Read RecordIO records from an open stream until `stop(record)` is true."""
    out: list[dict] = []
    buf = b""
    while True:
        while b"\n" not in buf:
            buf += conn.read1(65536)
        size, _, rest = buf.partition(b"\n")
        while len(rest) < int(size):
            rest += conn.read1(65536)
        rec = json.loads(rest[:int(size)])
        buf = rest[int(size):]
        out.append(rec)
        if stop(rec):
            return out


def _subscribe_operator(port: int, auth: str) -> tuple[http.client.HTTPConnection, http.client.HTTPResponse]:
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    c.request("POST", "/api/v1", body=json.dumps({"type": "SUBSCRIBE"}), headers={
        "Content-Type": "application/json", "Accept": "application/json", "Authorization": auth})
    r = c.getresponse()
    assert r.status == 200
    _records(r, lambda rec: rec.get("type") == "SUBSCRIBED")
    return c, r


def test_operator_acls_on_real_daemons(tmp_path) -> None:
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"credentials": [{"principal": "ops", "secret": "o"},
                                                 {"principal": "dev", "secret": "d"}]}))
    os.chmod(creds, 0o600)
    acls = json.dumps(ACLS)
    with Cluster(str(tmp_path), agents=1, auth=("ops", "o"),
                 master_flags=("--authenticate-frameworks", "--authenticate-http-readonly",
                               "--authenticate-http-readwrite", "--credentials", str(creds),
                               "--acls", acls, "--log-dir", str(tmp_path / "logs")),
                 agent_flags=("--authenticate-http-readonly", "--http-credentials", str(creds),
                              "--acls", acls)) as c:
        p = c.master_port
        aid = c.state()["slaves"][0]["id"]
        streams: list[http.client.HTTPConnection] = []

        def sub(principal: str, secret: str, user: str) -> str:
            st, body = _post(p, "/api/v1/scheduler", json.dumps({"type": "SUBSCRIBE", "subscribe": {
                "framework_info": {"user": user, "name": user, "roles": ["eng"],
                                   "capabilities": [{"type": "MULTI_ROLE"}]}}}),
                basic_auth(principal, secret), keep=streams)
            assert st == 200 and b"SUBSCRIBED" in body, body
            size, _, rest = body.partition(b"\n")
            return json.loads(rest[:int(size)])["subscribed"]["framework_id"]["value"]

        # the operator SUBSCRIBE streams, opened before anything happens: later events filtered
        dev_conn, dev_stream = _subscribe_operator(p, DEV)
        ops_conn, ops_stream = _subscribe_operator(p, OPS)
        fid = sub("ops", "o", "ops")

        def call(auth: str, body: dict) -> tuple[int, bytes]:
            return _post(p, "/api/v1", json.dumps(body), auth)

        assert call(OPS, {"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [
            {"role": "eng", "weight": 2.0}, {"role": "prod", "weight": 3.0}]}})[0] == 200
        assert call(OPS, {"type": "UPDATE_QUOTA", "update_quota": {"force": True, "quota_configs": [
            {"role": "eng", "guarantees": {"cpus": {"value": 0.5}}}]}})[0] == 200

        def projection() -> tuple:
            s = c.state()
            return ([(f["id"], f["active"]) for f in s["frameworks"]],
                    [(a["id"], a.get("reserved_resources"), a.get("deactivated", False)) for a in s["slaves"]],
                    _get(p, "/master/weights", OPS)[1], _get(p, "/master/quota", OPS)[1])

        before = projection()
        dyn = [{"name": "cpus", "type": "SCALAR", "scalar": {"value": 1},
                "reservations": [{"type": "DYNAMIC", "role": "eng", "principal": "dev"}]}]
        forbidden = (403, b"403 Forbidden.")
        # TeardownTest.BadACLs: both routes
        assert _post(p, "/master/teardown", f"frameworkId={fid}", DEV) == forbidden
        assert call(DEV, {"type": "TEARDOWN", "teardown": {"framework_id": {"value": fid}}}) == forbidden
        # DynamicWeightsTest.UnauthorizedWeightUpdateRequest
        assert call(DEV, {"type": "UPDATE_WEIGHTS", "update_weights": {"weight_infos": [
            {"role": "eng", "weight": 5.0}]}}) == forbidden
        # MasterQuotaTest.AuthorizeGetUpdateQuotaRequests (update)
        assert call(DEV, {"type": "UPDATE_QUOTA", "update_quota": {"force": True, "quota_configs": [
            {"role": "eng", "guarantees": {"cpus": {"value": 1.0}}}]}}) == forbidden
        # ReservationEndpointsTest.BadReserveACL / BadUnreserveACL
        assert call(DEV, {"type": "RESERVE_RESOURCES", "reserve_resources": {
            "agent_id": {"value": aid}, "resources": dyn}}) == forbidden
        assert _post(p, "/master/reserve", f"slaveId={aid}&resources={json.dumps(dyn)}", DEV) == forbidden
        assert call(DEV, {"type": "UNRESERVE_RESOURCES", "unreserve_resources": {
            "agent_id": {"value": aid}, "resources": dyn}}) == forbidden
        for kind in ("DEACTIVATE_AGENT", "DRAIN_AGENT", "MARK_AGENT_GONE"):
            assert call(DEV, {"type": kind, kind.lower(): {"agent_id": {"value": aid}}}) == forbidden
        # a scheduler TEARDOWN of another principal's framework: Mesos's principal check
        st, body = _post(p, "/api/v1/scheduler", json.dumps({
            "type": "TEARDOWN", "framework_id": {"value": fid}}), DEV)
        assert st == 400 and b"Authenticated principal 'dev' does not match principal 'ops'" in body
        assert projection() == before, "a denied call changed the master"

        # views: roles and weights by view_roles, quota by get_quotas (MasterQuotaTest, get half)
        roles = [r["name"] for r in json.loads(_get(p, "/master/roles", DEV)[1])["roles"]]
        assert roles == ["eng"]
        assert {"eng", "prod"} <= {r["name"] for r in json.loads(_get(p, "/master/roles", OPS)[1])["roles"]}
        assert [w["role"] for w in json.loads(_get(p, "/master/weights", DEV)[1])] == ["eng"]
        got = json.loads(call(DEV, {"type": "GET_ROLES"})[1])["get_roles"].get("roles", [])
        assert [r["name"] for r in got] == ["eng"]
        assert json.loads(_get(p, "/master/quota", DEV)[1]).get("configs", []) == []
        assert [q["role"] for q in json.loads(_get(p, "/master/quota", OPS)[1])["configs"]] == ["eng"]
        # get_endpoints: /metrics/snapshot on the master and the agent
        assert _get(p, "/metrics/snapshot", DEV) == forbidden
        assert _get(p, "/metrics/snapshot", OPS)[0] == 200
        ap = c.agents[0].port
        assert _get(ap, "/metrics/snapshot", DEV) == forbidden
        assert _get(ap, "/metrics/snapshot", OPS)[0] == 200

        # access_mesos_logs: the master's log (/master/log, with --log-dir) through the operator API
        read = {"type": "READ_FILE", "read_file": {"path": "/master/log", "offset": 0, "length": 64}}
        assert call(DEV, read) == forbidden
        assert call(DEV, {"type": "LIST_FILES", "list_files": {"path": "/master/log"}}) == forbidden
        for alias in ("master/log", "/master/log/", "//master/log"):  # the same file, spelled otherwise
            assert call(DEV, {"type": "READ_FILE", "read_file": {"path": alias, "offset": 0, "length": 8}}) == forbidden
        st, body = call(OPS, read)
        assert st == 200 and json.loads(body)["read_file"]["size"] > 0

        # /master/why (ours, in the readonly realm): a framework dev may not view is unknown
        st, body = _get(p, f"/master/why?framework_id={fid}", DEV)
        assert st == 404 and json.loads(body)["verdict"] == "unknown"
        assert _get(p, f"/master/why?framework_id={fid}", OPS)[0] == 200
        assert _get(p, f"/master/why?framework_id={fid}")[0] == 401
        assert _get(p, "/master/ui/snapshot")[0] == 401

        # the operator streams: dev never saw the "ops" framework's FRAMEWORK_ADDED; after a
        # "dev" framework subscribes, dev's stream gets that one first
        dev_fid = sub("dev", "d", "dev")

        def added(fw: str):
            return lambda rec: rec.get("type") == "FRAMEWORK_ADDED" and \
                rec["framework_added"]["framework"]["framework_info"]["id"]["value"] == fw

        seen = _records(dev_stream, added(dev_fid))
        assert not [r for r in seen if r.get("type") == "FRAMEWORK_ADDED"][:-1], seen
        seen_ops = _records(ops_stream, added(dev_fid))
        assert any(added(fid)(r) for r in seen_ops), "the ops stream misses the ops framework"
        # a denied principal can still do what it may: its own framework is torn down
        assert call(OPS, {"type": "TEARDOWN", "teardown": {"framework_id": {"value": dev_fid}}})[0] == 200
        # TeardownTest.NoFrameworkId, then TeardownTest.GoodACLs / Success: "ops" may tear
        # down frameworks of principal "ops"; the framework is then a completed one
        st, body = _post(p, "/master/teardown", "", OPS)
        assert st == 400 and b"frameworkId" in body
        assert _post(p, "/master/teardown", f"frameworkId={fid}", OPS)[0] == 200
        s = c.state()
        assert fid not in [f["id"] for f in s["frameworks"]]
        assert fid in [f["id"] for f in s["completed_frameworks"]]
        # the command-line clients authenticate: `mesotron ps` (Basic) and `mesotron execute`
        # (a framework on a master with --authenticate-frameworks)
        ps = _cli("ps", "--master", f"127.0.0.1:{p}", "--principal", "ops", "--secret", "o")
        assert ps.returncode == 0 and ps.stdout.startswith("FRAMEWORK"), ps.stderr
        ps = _cli("ps", "--master", f"127.0.0.1:{p}")
        assert ps.returncode == 1 and "401" in ps.stderr, ps.stderr
        ex = _cli("execute", "--master", f"127.0.0.1:{p}", "--principal", "ops", "--secret", "o",
                  "--name", "authed", "--command", "true", "--resources", "cpus:0.1;mem:32", "--timeout", "60secs")
        assert ex.returncode == 0 and "TASK_FINISHED" in ex.stdout, (ex.stdout, ex.stderr)
        for conn in [dev_conn, ops_conn, *streams]:
            conn.close()
