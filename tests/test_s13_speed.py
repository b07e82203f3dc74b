"""s13 speed: the collector policy of bulk simulation lives in the shell (io/cli/gcpause.py),
core/sim/run.py's simulate() leaves gc alone (core/ stays pure), and bench/sim_digest.py's
digest of the deterministic summaries is itself deterministic."""

from __future__ import annotations

import argparse
import gc
import subprocess
import sys
import weakref
from pathlib import Path
from typing import Any

import pytest
from mesotron.core.sim.config import SimConfig
from mesotron.core.sim.run import simulate
from mesotron.core.sim.world import World
from mesotron.io.cli import sim as sim_cli
from mesotron.io.cli.gcpause import paused

ROOT = Path(__file__).resolve().parents[1]


class _Cyclic:
    def __init__(self) -> None:
        self.me = self


@pytest.fixture
def gc_state() -> Any:
    was = gc.isenabled()
    yield
    if was:
        gc.enable()
    else:
        gc.disable()


def test_paused_disables_then_restores_and_collects(gc_state: Any) -> None:
    gc.enable()
    with paused():
        assert not gc.isenabled()
        ref = weakref.ref(_Cyclic())  # garbage only a collection frees
        assert ref() is not None
    assert gc.isenabled()
    assert ref() is None  # the collection after the block freed the cycle
    gc.disable()
    with paused(collect=False):
        kept = weakref.ref(_Cyclic())
    assert not gc.isenabled()  # restored as it was: disabled
    assert kept() is not None  # no collection asked, none ran (the collector is off)
    gc.collect()
    assert kept() is None


def _gc_during_runs(monkeypatch: pytest.MonkeyPatch) -> list[bool]:
    seen: list[bool] = []
    orig = World.run_until

    def run_until(self: World, **kw: Any) -> None:
        seen.append(gc.isenabled())
        orig(self, **kw)

    monkeypatch.setattr(World, "run_until", run_until)
    return seen


def test_simulate_leaves_gc_alone(monkeypatch: pytest.MonkeyPatch, gc_state: Any) -> None:
    seen = _gc_during_runs(monkeypatch)
    gc.enable()
    simulate(SimConfig(seed=1, events=200, quiesce=50.0))
    assert seen and all(seen)  # core/ does not touch the collector
    assert gc.isenabled()


def _args(**kw: Any) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    sim_cli.add_arguments(p)
    a = p.parse_args([])
    for k, v in kw.items():
        setattr(a, k, v)
    return a


def test_the_cli_pauses_the_collector_during_runs(monkeypatch: pytest.MonkeyPatch,
                                                   capsys: Any, gc_state: Any) -> None:
    seen = _gc_during_runs(monkeypatch)
    gc.enable()
    assert sim_cli.run(_args(seed=1, events=200, quiesce=50.0, faults="none")) == 0
    assert sim_cli.run(_args(seed=1, seeds=2, events=200, quiesce=50.0, faults="none")) == 0
    assert len(seen) == 9 and not any(seen)  # 3 run_until per run, 3 runs
    assert gc.isenabled()
    out = capsys.readouterr().out
    assert "events/s" in out and "failing seeds: 0" in out


def test_sim_digest_is_deterministic() -> None:
    cmd = [sys.executable, str(ROOT / "bench" / "sim_digest.py"), "--events", "300",
           "--seeds", "2", "--shapes", "default,oom"]
    a = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    b = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    assert a == b
    lines = a.splitlines()
    assert len(lines) == 5 and lines[-1].startswith("all: ")
    # seeds differ: so do their digests (the digest reads the run, not a constant)
    assert lines[0].split(": ")[1] != lines[1].split(": ")[1]


def test_a_finished_runs_world_is_freed_only_by_the_collector(gc_state: Any) -> None:
    """Why the shell collects after each paused run (docs/performance.md, s13-speed): the
    world of a finished run sits in reference cycles that reference counting never frees."""
    gc.disable()
    res = simulate(SimConfig(seed=1, events=200, quiesce=50.0))
    ref = weakref.ref(res.world)
    del res
    assert ref() is not None
    gc.collect()
    assert ref() is None
