"""Pictures of a run: `mesotron sim --plot DIR` and `mesotron plot RECORD DIR` (io/cli/plot.py)."""

from __future__ import annotations

import json

from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from mesotron.io.cli import plot
from mesotron.io.cli.main import main

PNG = b"\x89PNG\r\n\x1a\n"


def test_sim_plot_writes_the_charts(tmp_path, capsys) -> None:
    out = tmp_path / "charts"
    rc = main(["sim", "--seed", "7", "--events", "3000", "--agents", "3", "--frameworks", "3",
               "--faults", "all", "--plot", str(out)])
    assert rc == 0
    printed = capsys.readouterr().out
    for name in plot.CHARTS:
        png = out / f"{name}.png"
        assert f"plot: {png}" in printed
        data = png.read_bytes()
        assert data.startswith(PNG) and len(data) > 8000, name
        assert (out / f"{name}.svg").read_text().lstrip().startswith("<?xml")
    # the record is the run's: replaying it through `mesotron plot` gives the same charts
    again = tmp_path / "again"
    assert main(["plot", str(out / "record.jsonl"), str(again)]) == 0
    assert sorted(p.name for p in again.glob("*.png")) == sorted(f"{c}.png" for c in plot.CHARTS)


def test_record_matches_the_run() -> None:
    res = simulate(SimConfig(seed=3, events=3000, agents=3, frameworks=3, record=True))
    rec = res.world.record
    kinds = {r["kind"] for r in rec}
    assert {"shares", "offer", "accept", "update", "leader"} <= kinds
    # every offer a framework heard is in the timeline too (same run, same events)
    offers_in_timeline = sum(1 for _, text in res.timeline if text.startswith("master offers "))
    assert sum(1 for r in rec if r["kind"] == "offer") == offers_in_timeline
    # tasks that FINISHED in the framework's view end their Gantt lane FINISHED
    segs = plot.task_segments(rec)
    finished = {r["task"] for r in rec if r["kind"] == "update" and r["state"] == "TASK_FINISHED"}
    ends = {}
    for lanes in segs.values():
        for task, start, _dur, state in lanes:
            ends[task] = (start, state) if task not in ends or start >= ends[task][0] else ends[task]
    assert finished and all(ends[t][1] == "TASK_FINISHED" for t in finished)
    # the record is deterministic (same seed, same record)
    res2 = simulate(SimConfig(seed=3, events=3000, agents=3, frameworks=3, record=True))
    assert json.dumps(res2.world.record, default=str) == json.dumps(rec, default=str)


def test_plot_bad_record_is_a_clear_error(tmp_path, capsys) -> None:
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"t": 1, "kind": "offer"}\nnot json\n')
    assert main(["plot", str(bad), str(tmp_path / "o")]) == 2
    assert "line 2" in capsys.readouterr().out
    assert main(["plot", str(tmp_path / "missing.jsonl"), str(tmp_path / "o")]) == 2
    assert "cannot read" in capsys.readouterr().out


def test_empty_record_still_draws(tmp_path) -> None:
    paths = plot.plot_all([], str(tmp_path))
    assert len(paths) == len(plot.CHARTS)
    for p in paths:
        with open(p, "rb") as f:
            assert f.read(8) == PNG
