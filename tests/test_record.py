"""Recording a real cluster for `mesotron plot` (io/cli/record.py): the recorder's bookkeeping
on hand-made /master/state documents, and `mesotron record` against real daemons."""

from __future__ import annotations

import subprocess
import sys

from mesotron.io.cli import plot
from mesotron.io.cli.record import Recorder
from testkit import Cluster


def state(offers=(), tasks=(), leader="master@m:5050", used=None, active=True):
    return {"leader": leader,
            "slaves": [{"id": "S1", "resources": {"cpus": 4, "mem": 1024}, "active": active}],
            "frameworks": [{"id": "F1", "name": "fw", "role": "web",
                            "resources": used or {"cpus": 0, "mem": 0},
                            "offers": [{"id": o, "slave_id": "S1"} for o in offers],
                            "tasks": [{"id": t, "slave_id": "S1", "state": s} for t, s in tasks],
                            "completed_tasks": []}]}


def kinds(records):
    return [r["kind"] for r in records]


def test_recorder_turns_polls_into_records() -> None:
    r = Recorder()
    first = r.observe(100.0, state(offers=["O1"], used={"cpus": 4, "mem": 512}))
    assert kinds(first) == ["leader", "offer", "shares"]
    assert first[2]["frameworks"] == {"fw": 1.0} and first[2]["roles"] == {"web": 1.0}
    # the offer is gone and a task appeared on its agent: an accept
    second = r.observe(100.5, state(tasks=[("t1", "TASK_RUNNING")], used={"cpus": 1, "mem": 128}))
    assert kinds(second) == ["update", "accept", "shares"]
    assert second[1]["offers"] == ["O1"] and second[1]["tasks"] == 1 and second[0]["t"] == 0.5
    # an offer that goes with no new task: a decline; unchanged shares are not repeated
    r.observe(101.0, state(offers=["O2"], tasks=[("t1", "TASK_RUNNING")], used={"cpus": 1, "mem": 128}))
    third = r.observe(101.5, state(tasks=[("t1", "TASK_FINISHED")], used={"cpus": 1, "mem": 128}))
    assert kinds(third) == ["update", "decline"]
    # a new leader is recorded
    assert kinds(r.observe(102.0, state(leader="master@n:5050", tasks=[("t1", "TASK_FINISHED")],
                                        used={"cpus": 1, "mem": 128}))) == ["leader"]


def test_record_a_real_cluster_and_plot_it(tmp_path) -> None:
    rec = tmp_path / "run.jsonl"
    with Cluster(str(tmp_path), agents=2, master_flags=("--allocation-interval", "50ms")) as c:
        p = subprocess.Popen([sys.executable, "-m", "mesotron.io.cli.main", "record", "--master",
                              c.master_addr, "--interval", "0.05", str(rec)],
                             stdout=subprocess.PIPE, text=True)
        try:
            r = subprocess.run([sys.executable, "-m", "mesotron.io.cli.main", "execute", "--master",
                                c.master_addr, "--name", "rec", "--command", "sleep 0.5",
                                "--instances", "3", "--resources", "cpus:0.5;mem:32",
                                "--timeout", "60"], capture_output=True, text=True, timeout=90,
                               check=False)
            assert r.returncode == 0, r.stdout + r.stderr
        finally:
            p.send_signal(2)
            out, _ = p.communicate(timeout=20)
    assert p.returncode == 0 and "records in" in out
    records = plot.load(str(rec))
    finished = {x["task"] for x in records if x["kind"] == "update" and x["state"] == "TASK_FINISHED"}
    assert finished == {"rec-0", "rec-1", "rec-2"}
    assert sum(x["tasks"] for x in records if x["kind"] == "accept") == 3
    assert any(x["kind"] == "shares" and any(v > 0 for v in x["frameworks"].values()) for x in records)
    paths = plot.plot_all(records, str(tmp_path / "charts"))
    assert len(paths) == len(plot.CHARTS)
