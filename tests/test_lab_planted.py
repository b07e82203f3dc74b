"""The lab's checker on planted bugs inside REAL daemons (issue 17 §2): masters and agents
started with one of the simulator's bug switches (core/sim/bugs.py, through
io/daemons/planted.py), a short campaign, and the checker must name the anomaly."""

from __future__ import annotations

import os
import re
import subprocess
import sys

import pytest
from mesotron.io.daemons.planted import ENV_ALLOW, ENV_BUG, PlantedBugRefused, planted_bug
from mesotron.io.lab import checker
from mesotron.io.lab.net import leftovers_of

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


def test_a_planted_bug_is_refused_without_the_test_only_switch() -> None:
    with pytest.raises(PlantedBugRefused, match="for tests only"):
        planted_bug({ENV_BUG: "master_keeps_finished_tasks"})
    with pytest.raises(PlantedBugRefused, match="no such bug"):
        planted_bug({ENV_BUG: "nope", ENV_ALLOW: "1"})
    with planted_bug({}):  # nothing asked: nothing planted
        pass


def test_a_daemon_refuses_a_planted_bug_and_starts_nothing() -> None:
    env = {k: v for k, v in os.environ.items() if k not in (ENV_BUG, ENV_ALLOW)}
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "master", "--port", "0"],
                       env={**env, ENV_BUG: "master_keeps_finished_tasks"},
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2 and "refused: planted bugs are for tests only" in r.stderr


CASES = [
    # bug, extra campaign arguments, the property that must fire
    pytest.param("master_keeps_finished_tasks", ["--faults", "0", "--masters", "1"], "FinalAgrees",
                 id="master_keeps_finished_tasks"),
    pytest.param("terminal_update_swallowed", ["--faults", "0", "--masters", "1", "--deadline", "15"],
                 "Terminated", id="terminal_update_swallowed"),
    pytest.param("run_task_sent_to_another_agent", ["--faults", "0", "--masters", "1", "--agents", "2",
                                                    "--deadline", "20"], "SingleAgent",
                 marks=pytest.mark.chaos, id="run_task_sent_to_another_agent"),
    # issue 17 follow-up: the three properties that had no planted bug in real daemons
    pytest.param("master_forwards_conflicting_terminal", ["--faults", "0", "--masters", "1", "--deadline", "30"],
                 "OneTerminal", id="master_forwards_conflicting_terminal"),
    pytest.param("master_forwards_running_after_terminal", ["--faults", "0", "--masters", "1", "--deadline", "30"],
                 "NoTerminalThenRunning", marks=pytest.mark.chaos, id="master_forwards_running_after_terminal"),
    # in the framework's process (the harness runs our scheduler driver): the ack is recorded
    # as the driver issues it, before the application has the update
    pytest.param("driver_acks_on_arrival", ["--faults", "0", "--masters", "1", "--deadline", "30"],
                 "AcksAreForSeen", marks=pytest.mark.chaos, id="driver_acks_on_arrival"),
    # tasks of 6-8 s: the framework is still there when the leader is killed (after 1-3 s)
    pytest.param("resubscribe_new_framework_id", ["--faults", "1", "--fault-kinds", "crash_leader", "--masters", "2",
                                      "--interval", "2", "--task-sleep", "6,8", "--deadline", "45"],
     "StableFrameworkId", marks=pytest.mark.chaos, id="resubscribe_new_framework_id"),  # a failover and a 45 s deadline: `make chaos`
]


@needs_root
@pytest.mark.parametrize("bug,extra,prop", CASES)
def test_checker_names_the_bug_planted_in_real_daemons(tmp_path, bug, extra, prop) -> None:
    report = tmp_path / "r"
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "lab", "chaos", "--seed", "5",
                        "--tasks", "12", "--frameworks", "1", "--pymesos", "0", "--agents", "1", "--zk", "1",
                        "--dir", str(report), "--plant-bug", bug, *extra],
                       env={**os.environ, ENV_ALLOW: "1"}, capture_output=True, text=True,
                       timeout=300, check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 1, out[-3000:]
    res = checker.check(checker.load(str(report / "history.jsonl")))
    assert res[prop], (prop, {k: v[:2] for k, v in res.items() if v}, out[-2000:])
    assert f"{prop}: " in out and "violations" in out
    lab_id = re.search(r"chaos: lab (\w+) up", out).group(1)  # type: ignore[union-attr]
    assert not leftovers_of(lab_id)  # nothing of that lab left behind


@needs_root
def test_the_campaign_refuses_a_planted_bug_without_the_switch(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if k != ENV_ALLOW}
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "lab", "chaos", "--plant-bug",
                        "master_keeps_finished_tasks", "--dir", str(tmp_path / "r")],
                       env=env, capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 2 and "for tests only" in r.stdout
