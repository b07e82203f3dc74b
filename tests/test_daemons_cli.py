"""The operator CLI against real daemons: `mesotron execute` prints mesos-execute's lines and
exits 0 only if every task finished; `mesotron ps` prints a task table in one request."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest
from testkit import Cluster


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    with Cluster(str(tmp_path_factory.mktemp("cli")), agents=2,
                 master_flags=("--allocation-interval", "50ms")) as c:
        yield c


def mesotron(*args: str, timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", *args], capture_output=True, text=True,
                          timeout=timeout, check=False)


def test_execute_lines_and_exit_codes(cluster) -> None:
    r = mesotron("execute", "--master", cluster.master_addr, "--name", "hello", "--command", "echo hi",
                 "--resources", "cpus:0.1;mem:16", "--instances", "3")
    assert r.returncode == 0, r.stdout + r.stderr
    out = r.stdout
    assert re.search(r"^Subscribed with ID \S+-\d{4}$", out, re.MULTILINE), out
    assert len(re.findall(r"^Submitted task 'hello-\d' to agent '\S+-S\d+'$", out, re.MULTILINE)) == 3, out
    for state in ("TASK_STARTING", "TASK_RUNNING", "TASK_FINISHED"):
        assert len(re.findall(rf"^Received status update {state} for task 'hello-\d'$", out, re.MULTILINE)) == 3, out
    r = mesotron("execute", "--master", cluster.master_addr, "--name", "bad", "--command", "exit 2",
                 "--resources", "cpus:0.1;mem:16")
    assert r.returncode == 1 and "Received status update TASK_FAILED for task 'bad'" in r.stdout


def test_execute_kill_after(cluster) -> None:
    r = mesotron("execute", "--master", cluster.master_addr, "--name", "long", "--command", "sleep 60",
                 "--resources", "cpus:0.1;mem:16", "--kill-after", "200ms")
    assert r.returncode == 1
    assert "Received status update TASK_KILLING for task 'long'" in r.stdout
    assert "Received status update TASK_KILLED for task 'long'" in r.stdout


def test_ps(cluster) -> None:
    mesotron("execute", "--master", cluster.master_addr, "--name", "pstask", "--command", "true",
             "--resources", "cpus:0.1;mem:16")
    r = mesotron("ps", "--master", cluster.master_addr, "--all")
    assert r.returncode == 0, r.stderr
    lines = r.stdout.splitlines()
    assert lines[0].split()[:2] == ["FRAMEWORK", "FRAMEWORK"]
    assert any("pstask" in ln and "TASK_FINISHED" in ln for ln in lines), r.stdout
    assert mesotron("ps", "--master", "127.0.0.1:1").returncode == 1
