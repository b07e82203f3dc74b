"""The lab (io/lab/): namespaces, a real ZooKeeper, real daemons, a short campaign with the
nemesis and the checker, teardown that leaves nothing; and the checker itself on planted
histories (each property shown failing)."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from mesotron.io.lab import checker
from mesotron.io.lab.net import leftovers

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="network namespaces need root")


def clean_history() -> list[dict]:
    return [
        {"t": 0.0, "fw": "f1", "op": "subscribed", "framework_id": "F1"},
        {"t": 0.1, "fw": "f1", "op": "launch", "task": "a", "agent": "S1"},
        {"t": 0.2, "fw": "f1", "op": "update", "task": "a", "state": "TASK_RUNNING", "agent": "S1", "uuid": "u1"},
        {"t": 0.3, "fw": "f1", "op": "ack", "task": "a", "uuid": "u1"},
        {"t": 0.4, "fw": "f1", "op": "update", "task": "a", "state": "TASK_FINISHED", "agent": "S1", "uuid": "u2"},
        {"t": 0.5, "fw": "f1", "op": "ack", "task": "a", "uuid": "u2"},
        {"t": 1.0, "op": "final", "master_tasks": {"a": "TASK_FINISHED"}, "master_frameworks": {"F1": "f1"}},
    ]


def test_checker_is_clean_on_a_clean_history() -> None:
    assert not any(checker.check(clean_history()).values())


@pytest.mark.parametrize("name,edit", [
    ("Terminated", lambda h: h.pop(4)),
    ("OneTerminal", lambda h: h.insert(5, {"t": 0.45, "fw": "f1", "op": "update", "task": "a",
                                            "state": "TASK_FAILED", "agent": "S1", "uuid": "u3"})),
    ("NoTerminalThenRunning", lambda h: h.insert(5, {"t": 0.45, "fw": "f1", "op": "update", "task": "a",
                                                      "state": "TASK_RUNNING", "agent": "S1", "uuid": "u4"})),
    ("SingleAgent", lambda h: h[2].update(agent="S2")),
    ("StableFrameworkId", lambda h: h.append({"t": 0.6, "fw": "f1", "op": "subscribed", "framework_id": "F2"})),
    ("StableFrameworkId", lambda h: h[-1].update(master_frameworks={"F1": "f1", "F9": "f1"})),
    ("AcksAreForSeen", lambda h: h.append({"t": 0.7, "fw": "f1", "op": "ack", "task": "a", "uuid": "zz"})),
    ("FinalAgrees", lambda h: h[-1].update(master_tasks={"a": "TASK_RUNNING"})),
    ("FinalAgrees", lambda h: h[-1].update(master_tasks={"a": "TASK_KILLED"})),
    ("OneWriterPerVersion", lambda h: h.extend([
        {"t": 0.8, "op": "registry_write", "version": 7, "writer": "M1", "node": "master1"},
        {"t": 0.9, "op": "registry_write", "version": 7, "writer": "M2", "node": "master2"}])),
])
def test_checker_catches_each_planted_anomaly(name, edit) -> None:
    h = clean_history()
    edit(h)
    res = checker.check(h)
    assert res[name], res  # the property this anomaly is about fires (others may too)


def test_registry_writes_from_master_logs() -> None:
    """The masters' `registry.committed` lines (text and JSON logs) become history records;
    successive versions by successive leaders are clean, one version by two is not."""
    text = ("2026-12-02T02:00:00Z [info     ] registry.committed  writer=M1 znode_version=3\n"
            "2026-12-02T02:00:01Z [info     ] master.elected      node=x\n"
            '{"event": "registry.committed", "writer": "M2", "znode_version": 4}\n')
    recs = checker.registry_writes(text, "m")
    assert recs == [{"op": "registry_write", "version": 3, "writer": "M1", "node": "m"},
                    {"op": "registry_write", "version": 4, "writer": "M2", "node": "m"}]
    h = clean_history() + recs
    assert not checker.check(h)["OneWriterPerVersion"]
    h.append({"t": 2.0, "op": "registry_write", "version": 4, "writer": "M1", "node": "m"})
    assert checker.check(h)["OneWriterPerVersion"] == ["registry version 4 written by ['M1', 'M2']"]


def test_a_master_verdict_then_the_real_end_is_explained_only_by_a_fault() -> None:
    h = clean_history()
    h.insert(4, {"t": 0.35, "fw": "f1", "op": "update", "task": "a", "state": "TASK_LOST", "agent": "S1", "uuid": None})
    assert checker.check(h)["OneTerminal"]  # no fault: unexplained
    h.insert(3, {"t": 0.32, "op": "fault", "fault": "partition", "kind": "one_way_agent"})
    assert not checker.check(h)["OneTerminal"]


def test_a_late_reconciliation_answer_is_not_a_second_end_only_if_asked_before_the_end() -> None:
    """Seen with pymesos (it reconciles by task id only) under delayed links: the question
    about an open task crossed its TASK_FINISHED; the master, having forgotten the
    acknowledged task, answered TASK_UNKNOWN. Not a second end when the question came first;
    OneTerminal when nobody asked before the end (or the verdict carries a uuid)."""
    late = {"t": 0.6, "fw": "f1", "op": "update", "task": "a", "state": "TASK_UNKNOWN", "agent": None,
            "uuid": None, "reason": "REASON_RECONCILIATION"}
    h = clean_history()
    h.insert(4, {"t": 0.35, "fw": "f1", "op": "reconcile", "tasks": ["a"]})
    h.insert(7, late)
    assert not any(checker.check(h).values()), checker.check(h)
    h = clean_history()  # asked only after the end was seen: a second terminal state
    h.insert(6, {"t": 0.55, "fw": "f1", "op": "reconcile", "tasks": ["a"]})
    h.insert(7, late)
    assert checker.check(h)["OneTerminal"]
    h = clean_history()  # asked about another task
    h.insert(4, {"t": 0.35, "fw": "f1", "op": "reconcile", "tasks": ["b"]})
    h.insert(7, late)
    assert checker.check(h)["OneTerminal"]
    h = clean_history()  # an agent's update (with a uuid) is no reconciliation answer
    h.insert(4, {"t": 0.35, "fw": "f1", "op": "reconcile", "tasks": ["a"]})
    h.insert(7, {**late, "uuid": "u9", "agent": "S1"})
    assert checker.check(h)["OneTerminal"]


@needs_root
def test_short_campaign_and_nothing_left_behind(tmp_path) -> None:
    """`mesotron lab chaos --relay` in small: 1 ZooKeeper, 2 masters behind relays, 2 agents,
    60 tasks shared by our framework f1 and a pymesos framework p2 (a process in the lab's
    client namespace, judged by the checker from the same history), 6 faults (seed 23 draws,
    whatever the timing, an agent paused, a link down, an agent killed, a lossy link, status
    updates duplicated across a reconnection, links delayed)."""
    before = leftovers()
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "lab", "chaos", "--seed", "23",
                        "--tasks", "60", "--faults", "6", "--frameworks", "2", "--masters", "2",
                        "--agents", "2", "--zk", "1", "--interval", "2", "--dir", str(tmp_path / "r"),
                        "--deadline", "240", "--relay"], capture_output=True, text=True, timeout=400,
                       check=False)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-3000:]
    assert "checker: clean" in out and "6 faults" in out and "60 tasks" in out
    assert (tmp_path / "r" / "history.jsonl").exists() and (tmp_path / "r" / "report.txt").exists()
    hist = checker.load(str(tmp_path / "r" / "history.jsonl"))
    assert any(h["op"] == "registry_write" for h in hist)  # the masters' commits were read
    kinds = {h.get("kind") for h in hist if h["op"] == "fault"}
    assert {"delay_links", "duplicate_updates"} <= kinds, kinds  # relay faults were injected
    # the pymesos framework ran in the client namespace and its whole life is in the history
    p2 = [h for h in hist if h.get("fw") == "p2"]
    start = [h for h in p2 if h["op"] == "client_start"]
    assert start and start[0]["netns"].endswith("-client1") and start[0]["pymesos"] == "0.3.15", start
    # it resolves the masters' hostnames (a redirect to the leader names it by hostname)
    assert {"master1", "master2"} <= set(start[0]["hosts"]), start
    ops = {h["op"] for h in p2}
    assert {"subscribed", "launch", "update", "ack", "all_terminal"} <= ops, ops
    assert sum(1 for h in p2 if h["op"] == "launch") == 30
    assert {h["task"] for h in p2 if h["op"] == "update" and h["state"] == "TASK_FINISHED"} == \
        {h["task"] for h in p2 if h["op"] == "launch"}
    assert leftovers() == before


@needs_root
def test_chaos_refuses_a_bad_pymesos_count_or_a_missing_pymesos(tmp_path) -> None:
    """Refused with a message before any lab is built (exit 2, no report dir, nothing left)."""
    before = leftovers()
    base = [sys.executable, "-m", "mesotron.io.cli.main", "lab", "chaos", "--frameworks", "2"]
    r = subprocess.run([*base, "--pymesos", "3", "--dir", str(tmp_path / "a")], capture_output=True,
                       text=True, timeout=60, check=False)
    assert r.returncode == 2 and "--pymesos 3: between 0 and --frameworks (2)" in r.stdout, r.stdout + r.stderr
    r = subprocess.run([*base, "--dir", str(tmp_path / "b")], capture_output=True, text=True, timeout=60,
                       check=False, env={**os.environ, "MESOTRON_PYMESOS_PATH": str(tmp_path / "none")})
    assert r.returncode == 2 and "pymesos is not installed in" in r.stdout and "--pymesos 0" in r.stdout, \
        r.stdout + r.stderr
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()
    assert leftovers() == before


@needs_root
def test_lab_down_after_a_crashed_harness(tmp_path) -> None:
    """The harness is killed -9 with a lab up: `mesotron lab down --dir` removes it all."""
    root = tmp_path / "lab"
    code = (f"from mesotron.io.lab.cluster import Lab\n"
            f"lab = Lab({str(root)!r}, masters=1, agents=1, zk=1, lab_id='zz')\n"
            f"lab.up(); print('UP', flush=True)\nimport time; time.sleep(600)\n")
    p = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        assert p.stdout.readline().strip() == "UP"
        p.kill()
        p.wait()
    finally:
        p.stdout.close()
    nss, links = leftovers()
    assert any(ns.startswith("mtlzz-") for ns in nss)
    r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "lab", "down", "--dir", str(root)],
                       capture_output=True, text=True, timeout=60, check=False)
    assert r.returncode == 0, r.stdout + r.stderr
    nss, links = leftovers()
    assert not [n for n in nss if n.startswith("mtlzz-")] and not [x for x in links if x.startswith("mtlzz")]
    assert "mtl" not in subprocess.run(["mount"], capture_output=True, text=True, check=False).stdout or \
        str(root) not in subprocess.run(["mount"], capture_output=True, text=True, check=False).stdout
