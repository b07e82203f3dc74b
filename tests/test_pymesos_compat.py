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


def test_a_missing_client_is_a_failure_not_a_skip(tmp_path, monkeypatch) -> None:
    """Without the pinned pymesos (make venv) the fixture raises: these tests fail."""
    import testkit

    monkeypatch.setattr(testkit, "PYMESOS_DIR", str(tmp_path / "nothing"))
    with pytest.raises(RuntimeError, match="run `make venv`"):
        testkit.pymesos_path()
