"""Operators' basics against real daemons: Prometheus `GET /metrics` on master and agent
(parsed by prometheus-client's own parser; Mesos names with / -> _, per-framework and per-role
labels, the three histograms), `/metrics/snapshot` unchanged, and `mesotron cat|tail|ls`
over the agent's /files API (paging, -f, clear errors)."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest
from mesotron.io.cli import files
from mesotron.io.cli.master_client import CliError
from mesotron.io.http.metrics import prom_name
from prometheus_client.parser import text_string_to_metric_families
from testkit import Cluster, http_get, wait_for


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(str(tmp_path_factory.mktemp("ops")), agents=1,
                 master_flags=("--allocation-interval", "50ms"),
                 agent_flags=("--no-fsync",)) as c:
        yield c


def mesotron(*args: str, timeout: float = 60, **kw) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", *args],
                          capture_output=True, text=True, timeout=timeout, check=False, **kw)


def execute(cluster, name: str, command: str) -> None:
    r = mesotron("execute", "--master", cluster.master_addr, "--name", name, "--command", command,
                 "--resources", "cpus:0.1;mem:16", "--timeout", "60")
    assert r.returncode == 0, r.stdout + r.stderr


def scrape(port: int) -> dict[str, list]:
    status, body = http_get(port, "/metrics")
    assert status == 200
    out: dict[str, list] = {}
    for fam in text_string_to_metric_families(body.decode()):
        for s in fam.samples:
            out.setdefault(s.name, []).append(s)
    return out


def test_prom_name() -> None:
    assert prom_name("master/tasks_running") == "master_tasks_running"
    assert prom_name("allocator/mesos/allocation_run_latency_ms") == "allocator_mesos_allocation_run_latency_ms"
    assert prom_name("system/load_1min") == "system_load_1min"
    assert prom_name("a-b.c/d") == "a_b_c_d"


def test_metrics_master_and_agent(cluster) -> None:
    execute(cluster, "metrics-task", "echo hello")
    m = scrape(cluster.master_port)
    # Mesos's names, / -> _
    for name in ("master_tasks_finished", "master_slaves_active", "master_elected",
                 "master_frameworks_active", "master_cpus_total", "master_uptime_secs"):
        assert name in m, name
    assert m["master_tasks_finished"][0].value >= 1
    assert m["master_slaves_active"][0].value == 1
    # per-framework labels (the torn-down execute framework is no longer live; a new one is
    # added below through a long task)
    # histograms: at least one allocation cycle, registry write (agent admission) and status
    # update round trip (the execute framework acknowledged its updates)
    for h in ("allocator_mesos_allocation_run_ms", "allocator_mesos_allocation_run_latency_ms",
              "registrar_state_store_ms", "master_status_update_round_trip_ms"):
        assert m[h + "_count"][0].value >= 1, h
        assert any(s.labels.get("le") == "+Inf" for s in m[h + "_bucket"]), h
    a = scrape(cluster.agents[0].port)
    for name in ("slave_tasks_running", "slave_registered", "slave_tasks_finished"):
        assert name in a, name
    assert a["slave_registered"][0].value == 1
    assert a["slave_status_update_round_trip_ms_count"][0].value >= 3  # STARTING, RUNNING, FINISHED
    # the JSON snapshot keeps Mesos's names
    status, body = http_get(cluster.master_port, "/metrics/snapshot")
    snap = json.loads(body)
    assert status == 200 and snap["master/tasks_finished"] >= 1 and "master_tasks_finished" not in snap


def test_metrics_labels_per_framework_and_role(cluster) -> None:
    p = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master",
                          cluster.master_addr, "--name", "labelled", "--command", "sleep 30",
                          "--resources", "cpus:0.1;mem:16", "--role", "analytics", "--timeout", "40"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def running():
            m = scrape(cluster.master_port)
            return [s for s in m.get("master_frameworks_tasks_active", [])
                    if s.labels["state"] == "TASK_RUNNING"] and m
        m = wait_for(running, 30, "a running task in the per-framework metrics")
        (s,) = [s for s in m["master_frameworks_tasks_active"] if s.labels["state"] == "TASK_RUNNING"]
        assert s.labels["framework_name"] == "mesotron-execute labelled" and s.value == 1
        fid = s.labels["framework_id"]
        assert [x.value for x in m["master_frameworks_subscribed"] if x.labels["framework_id"] == fid] == [1.0]
        shares = {x.labels["role"]: x.value for x in m["allocator_mesos_roles_shares_dominant"]}
        assert shares["analytics"] > 0
    finally:
        p.kill()
        p.wait()


def test_metrics_wrong_method(cluster) -> None:
    import httpx

    r = httpx.post(f"http://127.0.0.1:{cluster.master_port}/metrics")
    assert r.status_code == 405


def test_cat_ls_tail(cluster) -> None:
    execute(cluster, "files-task", "seq 1 100000; echo to-stderr >&2")
    r = mesotron("cat", "--master", cluster.master_addr, "files-task")
    assert r.returncode == 0, r.stderr
    # 588,895 bytes: more than one page (files.CHUNK) of /files/read
    assert len(r.stdout) > files.CHUNK and r.stdout == "".join(f"{i}\n" for i in range(1, 100001))
    r = mesotron("cat", "--master", cluster.master_addr, "files-task", "stderr")
    assert r.stdout == "to-stderr\n"
    r = mesotron("tail", "--master", cluster.master_addr, "-n", "3", "files-task")
    assert r.stdout == "99998\n99999\n100000\n", r.stdout
    r = mesotron("ls", "--master", cluster.master_addr, "files-task")
    assert r.returncode == 0
    names = sorted(line.split()[-1] for line in r.stdout.splitlines())
    assert names == ["stderr", "stdout"], r.stdout


def test_tail_follow(cluster) -> None:
    p = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master",
                          cluster.master_addr, "--name", "follow-task", "--command",
                          "echo first; while [ ! -e go ]; do sleep 0.05; done; echo second; sleep 30",
                          "--resources", "cpus:0.1;mem:16", "--timeout", "60"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tail = None
    try:
        wait_for(lambda: mesotron("cat", "--master", cluster.master_addr, "follow-task").stdout == "first\n",
                 30, "the task's first line")
        tail = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "tail", "-f",
                                 "--master", cluster.master_addr, "follow-task"],
                                stdout=subprocess.PIPE, text=True)
        assert tail.stdout is not None
        assert tail.stdout.readline() == "first\n"
        # let the task go on: it writes its second line only now, after tail printed the first
        r = mesotron("ls", "--master", cluster.master_addr, "follow-task")
        assert "stdout" in r.stdout
        sandbox = _sandbox_dir(cluster, "follow-task")
        open(f"{sandbox}/go", "w").close()
        t0 = time.monotonic()
        assert tail.stdout.readline() == "second\n"
        assert time.monotonic() - t0 < 20
    finally:
        if tail is not None:
            tail.kill()
            tail.wait()
            if tail.stdout is not None:
                tail.stdout.close()
        p.kill()
        p.wait()


def _sandbox_dir(cluster, task_id: str) -> str:
    from mesotron.io.cli.master_client import Http

    with Http() as http:
        return files.locate(http, cluster.master_addr, task_id, None).directory


def test_cli_errors(cluster) -> None:
    r = mesotron("cat", "--master", cluster.master_addr, "no-such-task")
    assert r.returncode == 1 and "no task with id 'no-such-task'" in r.stderr
    execute(cluster, "twice", "echo one")
    execute(cluster, "twice", "echo two")
    r = mesotron("cat", "--master", cluster.master_addr, "twice")
    assert r.returncode == 1 and "is ambiguous" in r.stderr and "--framework" in r.stderr
    fids = [f["id"] for f in cluster.state()["completed_frameworks"]
            if any(t["id"] == "twice" for t in f["completed_tasks"])]
    outs = {mesotron("cat", "--master", cluster.master_addr, "--framework", f, "twice").stdout for f in fids}
    assert outs == {"one\n", "two\n"}
    r = mesotron("cat", "--master", cluster.master_addr, "--framework", fids[0], "twice", "nofile")
    assert r.returncode == 1 and "no file 'nofile'" in r.stderr
    r = mesotron("cat", "--master", "127.0.0.1:1", "x")
    assert r.returncode == 1 and r.stderr.startswith("mesotron cat: GET")
    r = mesotron("cat", "--master", "zk://bad host/x", "x")
    assert r.returncode == 1 and "mesotron cat:" in r.stderr and "Traceback" not in r.stderr


def test_find_task_rules() -> None:
    state = {"frameworks": [{"id": "F1", "tasks": [{"id": "t", "state": "TASK_RUNNING", "slave_id": "S1"}]}],
             "completed_frameworks": [{"id": "F0", "completed_tasks": [{"id": "t", "state": "TASK_FINISHED"}]}],
             "slaves": [{"id": "S1", "pid": "slave(1)@10.0.0.1:5051"}]}
    with pytest.raises(CliError, match="ambiguous"):
        files.find_task(state, "t", None)
    assert files.find_task(state, "t", "F1")[0] == "F1"
    with pytest.raises(CliError, match="no task"):
        files.find_task(state, "u", None)
    assert files.agent_url(state, "S1") == "http://10.0.0.1:5051"
    with pytest.raises(CliError, match="not registered"):
        files.agent_url(state, "S9")


def test_why_endpoint_and_cli(cluster) -> None:
    p = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master",
                          cluster.master_addr, "--name", "why-task", "--command", "sleep 30",
                          "--resources", "cpus:0.1;mem:16", "--timeout", "40"],
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        def fid():
            for f in cluster.state()["frameworks"]:
                if any(t["id"] == "why-task" and t["state"] == "TASK_RUNNING" for t in f["tasks"]):
                    return f["id"]
            return None
        framework_id = wait_for(fid, 30, "why-task running")
        # execute suppresses once its one task is launched: blocked by suppression everywhere
        def suppressed():
            st, body = http_get(cluster.master_port, f"/master/why?framework_id={framework_id}")
            w = json.loads(body)
            return w if st == 200 and w["verdict"] == "blocked" else None
        w = wait_for(suppressed, 20, "the why verdict")
        assert w["reason_counts"] == {"suppressed": 1} and w["suppressed_roles"] == ["*"]
        assert w["agents"][0]["reason"] == "suppressed"
        r = mesotron("why", "--master", cluster.master_addr, framework_id)
        assert r.returncode == 0, r.stderr
        assert f"framework {framework_id} (mesotron-execute why-task): BLOCKED" in r.stdout
        assert "suppressed" in r.stdout and "<- this framework" in r.stdout
    finally:
        p.kill()
        p.wait()
    assert http_get(cluster.master_port, "/master/why")[0] == 400
    assert http_get(cluster.master_port, "/master/why?framework_id=x&max_agents=z")[0] == 400
    st, body = http_get(cluster.master_port, "/master/why?framework_id=nope")
    assert st == 404 and json.loads(body)["verdict"] == "unknown"
    r = mesotron("why", "--master", cluster.master_addr, "nope")
    assert r.returncode == 1 and "no framework nope" in r.stderr


def test_top_follows_the_operator_stream(cluster) -> None:
    import threading

    from mesotron.io.cli import top

    model = top.TopModel()
    stop = threading.Event()
    seen: list[str] = []

    def on_event() -> bool:
        t = model.tasks.get(next((k for k in model.tasks if k[1] == "top-task"), ("", "")))
        if t is not None and (not seen or seen[-1] != t["state"]):
            seen.append(t["state"])
        return stop.is_set() or (bool(seen) and seen[-1] == "TASK_FINISHED")

    th = threading.Thread(target=top.stream, args=(f"http://{cluster.master_addr}", model, on_event),
                          daemon=True)
    th.start()
    wait_for(lambda: model.subscribed, 20, "SUBSCRIBED")
    execute(cluster, "top-task", "true")
    th.join(30)
    stop.set()
    assert not th.is_alive() and seen[-1] == "TASK_FINISHED" and "TASK_RUNNING" in seen, seen
    assert any(a["state"] == "active" for a in model.agents.values())
    r = mesotron("top", "--master", cluster.master_addr, "--once")
    assert r.returncode == 0, r.stderr
    assert "mesotron top" in r.stdout and "agents" in r.stdout and "top-task" in r.stdout
    r = mesotron("top", "--master", "127.0.0.1:1", "--once")
    assert r.returncode == 1 and r.stderr.startswith("mesotron top:")


def test_resolve_master_through_zookeeper(zk_server) -> None:
    """`--master zk://...` for cat/tail/ls/why/top: the lowest json.info_ member's MasterInfo."""
    from kazoo.client import KazooClient
    from mesotron.core.values import MasterInfo
    from mesotron.io.cli.master_client import resolve_master
    from mesotron.io.zk.election import master_info_json

    zk = KazooClient(hosts=zk_server.hosts)
    zk.start(timeout=10)
    try:
        zk.ensure_path("/ops-test")
        with pytest.raises(CliError, match="no master is leading"):
            resolve_master(f"zk://{zk_server.hosts}/ops-test")
        for port in (7001, 7002):
            info = MasterInfo(id=f"m{port}", hostname="10.1.2.3", ip="10.1.2.3", port=port)
            zk.create("/ops-test/json.info_", master_info_json(info), sequence=True)
        assert resolve_master(f"zk://{zk_server.hosts}/ops-test") == "http://10.1.2.3:7001"
        with pytest.raises(CliError, match="no such znode"):
            resolve_master(f"zk://{zk_server.hosts}/nowhere")
    finally:
        zk.stop()
        zk.close()
