"""--acls on a real agent's own endpoints (io/http/agent.py, io/http/agent_operator.py): a
principal denied access_sandboxes gets 403 on the task's sandbox through /files/browse,
/files/read and the agent operator API's LIST_FILES/READ_FILE; denied access_mesos_logs, 403
on the agent's log (/slave/log, served with --log-dir); denied view_frameworks/view_tasks/
view_executors, the agent operator GET_FRAMEWORKS/GET_TASKS/GET_EXECUTORS/GET_STATE leave the
framework, task and executor out; the master web UI's /files relay passes the caller's own
credentials (the agent decides: 403, 401 without any). A principal the ACLs allow sees and
reads everything."""

from __future__ import annotations

import getpass
import json
import os
from pathlib import Path

import trio
from mesotron.core.messages import CallAccept, CallAcknowledge, EventOffers, EventUpdate, OpLaunch
from mesotron.core.resources import Resources
from mesotron.core.values import CommandInfo, FrameworkInfo, TaskInfo
from mesotron.io.wire.scheduler_client import SchedulerClient
from test_authorizer import _get, _post
from testkit import Cluster, basic_auth, wait_for

OPS, DEV = basic_auth("ops", "o"), basic_auth("dev", "d")
NONE = {"type": "NONE"}
ACLS = {
    "permissive": True,
    "access_sandboxes": [{"principals": {"values": ["dev"]}, "users": NONE}],
    "access_mesos_logs": [{"principals": {"values": ["dev"]}, "logs": NONE}],
    "view_frameworks": [{"principals": {"values": ["dev"]}, "users": NONE}],
    "view_tasks": [{"principals": {"values": ["dev"]}, "users": NONE}],
    "view_executors": [{"principals": {"values": ["dev"]}, "users": NONE}],
}


def test_agent_acls_on_real_daemons(tmp_path) -> None:
    creds = tmp_path / "creds.json"
    creds.write_text(json.dumps({"credentials": [{"principal": "ops", "secret": "o"},
                                                 {"principal": "dev", "secret": "d"}]}))
    os.chmod(creds, 0o600)
    with Cluster(str(tmp_path), agents=1, master_flags=("--allocation-interval", "50ms"),
                 agent_flags=("--no-fsync", "--authenticate-http-readonly", "--authenticate-http-readwrite",
                              "--http-credentials", str(creds), "--acls", json.dumps(ACLS),
                              "--log-dir", str(tmp_path / "agent-logs"))) as c:

        async def launch() -> str:
            with trio.fail_after(60):
                async with SchedulerClient.connect(c.master_addr, FrameworkInfo(
                        user=getpass.getuser(), name="sandboxed", failover_timeout=300.0)) as s:
                    async for ev in s.events():
                        if isinstance(ev, EventOffers):
                            o = ev.offers[0]
                            await s.call(CallAccept(offer_ids=(o.id,), operations=(OpLaunch(task_infos=(
                                TaskInfo(name="t", task_id="secret-task", agent_id=o.agent_id,
                                         resources=Resources.parse("cpus:0.1;mem:32"),
                                         command=CommandInfo(value="echo sandbox-secret; sleep 60")),)),)))
                        elif isinstance(ev, EventUpdate):
                            if ev.status.uuid is not None:
                                await s.call(CallAcknowledge(agent_id=ev.status.agent_id,
                                                             task_id=ev.status.task_id, uuid=ev.status.uuid))
                            if ev.status.state.name == "TASK_RUNNING":
                                return str(s.framework_id)
            raise AssertionError("no TASK_RUNNING")

        fid = trio.run(launch)
        ap = c.agents[0].port
        framework_dir = next((tmp_path / "agent0" / "slaves").glob(f"*/frameworks/{fid}"))

        def task_output() -> Path | None:  # the task's stdout (in the command executor's run)
            for out in framework_dir.rglob("stdout"):
                if b"sandbox-secret" in out.read_bytes():
                    return out
            return None

        stdout = wait_for(task_output, 20, "the task's output")
        sandbox = str(stdout.parent)
        eid = stdout.relative_to(framework_dir).parts[1]  # executors/<eid>/runs/...

        def op(auth: str, body: dict) -> tuple[int, bytes]:
            return _post(ap, "/api/v1", json.dumps(body), auth)

        forbidden = (403, b"403 Forbidden.")
        read = {"type": "READ_FILE", "read_file": {"path": str(stdout), "offset": 0, "length": 100}}
        listing = {"type": "LIST_FILES", "list_files": {"path": sandbox}}
        virtual = {"type": "LIST_FILES", "list_files": {"path": f"/frameworks/{fid}/executors/{eid}/runs/latest"}}
        log = {"type": "READ_FILE", "read_file": {"path": "/slave/log", "offset": 0, "length": 100}}
        # denied
        assert op(DEV, read) == forbidden
        assert op(DEV, listing) == forbidden
        assert op(DEV, virtual) == forbidden
        assert op(DEV, log) == forbidden
        assert _get(ap, f"/files/read?path={stdout}&offset=0&length=100", DEV) == forbidden
        assert _get(ap, f"/files/browse?path={sandbox}", DEV) == forbidden
        st, body = op(DEV, {"type": "GET_STATE"})
        got = json.loads(body)["get_state"]
        assert st == 200 and not got["get_tasks"].get("launched_tasks") \
            and not got["get_frameworks"].get("frameworks") and not got["get_executors"].get("executors")
        # allowed (no rule for "ops": permissive)
        st, body = op(OPS, read)
        assert st == 200 and b"sandbox-secret" in __import__("base64").b64decode(json.loads(body)["read_file"]["data"])
        assert op(OPS, listing)[0] == 200 and op(OPS, virtual)[0] == 200 and op(OPS, log)[0] == 200
        st, body = op(OPS, {"type": "GET_TASKS"})
        assert [t["task_id"]["value"] for t in json.loads(body)["get_tasks"]["launched_tasks"]] == ["secret-task"]
        assert _get(ap, f"/files/read?path={stdout}&offset=0&length=100", OPS)[0] == 200
        # the master's web UI relays /files with the caller's own credentials: the agent decides
        aid = c.state()["slaves"][0]["id"]
        relay = f"/master/ui/files/read?agent_id={aid}&path={stdout}&offset=0&length=100"
        assert _get(c.master_port, relay, DEV) == forbidden
        assert _get(c.master_port, relay)[0] == 401  # no credentials: the agent's readonly realm
        assert _get(c.master_port, relay, OPS)[0] == 200
