"""pymesos 0.3.15, unchanged, against real mesotron daemons: its MesosSchedulerDriver (JSON)
launches 100 command tasks over 3 agents, all FINISHED and (implicitly) acknowledged; and
its MesosExecutorDriver, launched by our agent as a custom executor, runs tasks.

pymesos is pinned in pyproject.toml ([tool.mesotron] pymesos-compat) and installed by
`make venv` (so by `make test`) into .venv/pymesos-compat with http-parser's pure-Python
modules (tests/testkit.install_pymesos); without it these tests fail, they never skip."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from testkit import Cluster, pymesos_path, wait_for

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
EXAMPLES = os.path.join(ROOT, "examples")


@pytest.fixture(scope="module")
def compat_path():
    return pymesos_path()  # raises (the test fails) when `make venv` did not install it


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(str(tmp_path_factory.mktemp("pymesos")), agents=3,
                 master_flags=("--allocation-interval", "50ms"), agent_flags=("--no-fsync",)) as c:
        yield c


def run_framework(cluster, compat_path, n, *extra, timeout=90):
    env = dict(os.environ, PYTHONPATH=compat_path)
    r = subprocess.run([sys.executable, os.path.join(EXAMPLES, "pymesos_framework.py"), cluster.master_addr,
                        str(n), "--timeout", str(timeout - 10), *extra],
                       capture_output=True, text=True, timeout=timeout, env=env, check=False)
    lines = [ln for ln in r.stdout.splitlines() if ln.startswith("{")]
    assert lines, (r.returncode, r.stdout[-2000:], r.stderr[-3000:])
    return r.returncode, json.loads(lines[-1]), r.stderr


def test_pymesos_scheduler_driver_100_tasks(cluster, compat_path) -> None:
    rc, summary, err = run_framework(cluster, compat_path, 100)
    assert rc == 0 and summary["finished"] == 100, (summary, err[-3000:])
    for tid, states in summary["states"].items():
        assert states == ["TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"], (tid, states)
    # implicit acknowledgements reached the agents: nothing left unacknowledged on the master
    fid = summary["framework_id"]

    def all_acked():
        st = cluster.state()
        fws = [f for f in st["frameworks"] + st["completed_frameworks"] if f["id"] == fid]
        return fws and not fws[0]["tasks"]

    wait_for(all_acked, 20, "every terminal update acknowledged")
    assert "Traceback" not in err, err[-3000:]


def test_pymesos_executor_driver(cluster, compat_path) -> None:
    executor = f"{sys.executable} {os.path.join(EXAMPLES, 'pymesos_executor.py')}"
    rc, summary, err = run_framework(cluster, compat_path, 12, "--executor", executor, timeout=60)
    assert rc == 0 and summary["finished"] == 12, (summary, err[-3000:])
    for tid, states in summary["states"].items():
        assert states == ["TASK_RUNNING", "TASK_FINISHED"], (tid, states)


def test_pymesos_health_checks_in_json(cluster, compat_path) -> None:
    """HealthCheckTest (command checks) through pymesos: the framework sets `health_check` in
    its TaskInfo JSON; a passing check shows as TASK_RUNNING with `healthy: true` (reason
    REASON_TASK_HEALTH_CHECK_STATUS_UPDATED, as Mesos's command executor forwards it) and the
    task then finishes; a failing one as `healthy: false` twice, then the executor kills the
    task: TASK_KILLED carrying `healthy: false` (Mesos sets no health reason on the terminal
    update, only on the TASK_RUNNING ones)."""
    rc, summary, err = run_framework(cluster, compat_path, 4, "--health", timeout=90)
    assert rc == 0, (summary, err[-3000:])
    health = "REASON_TASK_HEALTH_CHECK_STATUS_UPDATED"
    for tid, ups in summary["updates"].items():
        running = [u for u in ups if u["state"] == "TASK_RUNNING" and "healthy" in u]
        if int(tid[2:]) % 2 == 0:
            assert ups[-1]["state"] == "TASK_FINISHED", (tid, ups)
            assert running and running[0]["healthy"] is True and running[0]["reason"] == health, (tid, ups)
            assert all(u["healthy"] for u in running), (tid, ups)
        else:
            assert [u["healthy"] for u in running] == [False, False], (tid, ups)
            assert all(u["reason"] == health for u in running), (tid, ups)
            assert ups[-1]["state"] == "TASK_KILLED" and ups[-1].get("healthy") is False, (tid, ups)
    assert "Traceback" not in err, err[-3000:]


def test_a_missing_client_is_a_failure_not_a_skip(tmp_path, monkeypatch) -> None:
    """Without the pinned pymesos (make venv) the fixture raises: these tests fail."""
    import testkit

    monkeypatch.setattr(testkit, "PYMESOS_DIR", str(tmp_path / "nothing"))
    with pytest.raises(RuntimeError, match="run `make venv`"):
        testkit.pymesos_path()
