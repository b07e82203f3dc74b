"""`make test`'s balance of the two pytest workers (tests/conftest.py): which modules are
split into one xdist work unit per test."""

from __future__ import annotations

import conftest


def test_split_modules_are_one_unit_per_test_and_the_others_one_per_module():
    bug = "tests/test_sim_bugs.py::test_planted_bug_is_caught[ack_before_persist]"
    assert conftest.work_unit(bug) == bug
    assert conftest.work_unit("tests/test_tla.py::test_x[a]") == "tests/test_tla.py"
    assert conftest.work_unit("tests/test_lab.py::T::test_y") == "tests/test_lab.py"


def test_split_modules_have_no_module_fixture():
    """A split module's tests may run on both workers: a module-scoped fixture would start
    once per worker and an order between its tests would break."""
    import test_sim_bugs

    # the detection sees a module fixture where there is one (conftest's ZooKeeper server)
    assert conftest.zk_server._fixture_function_marker.scope == "module"
    for name in dir(test_sim_bugs):
        obj = getattr(test_sim_bugs, name)
        scope = getattr(getattr(obj, "_fixture_function_marker", None), "scope", None)
        assert scope not in ("module", "session", "package"), name


def test_the_longest_modules_are_handed_out_first_and_exist():
    from pathlib import Path

    here = Path(__file__).parent
    assert conftest.LONG_FIRST, "no module is handed out first"
    assert len(set(conftest.LONG_FIRST)) == len(conftest.LONG_FIRST)
    for name in conftest.LONG_FIRST:
        assert (here / name).is_file(), name
        assert name not in conftest.SPLIT_MODULES, name
    first, second = conftest.LONG_FIRST[:2]
    ranks = [conftest.unit_rank(u) for u in (
        f"tests/{first}", f"tests/{second}", "tests/test_docs_paths.py",
        "tests/test_sim_bugs.py::test_planted_bug_is_caught[ack_before_persist]")]
    assert ranks == [0, 1, len(conftest.LONG_FIRST), len(conftest.LONG_FIRST)]


def test_clean_runs_are_shared_between_the_workers_of_a_run(tmp_path, monkeypatch):
    """(s19 suite) A clean run's report left in the run's shared directory (simkit.SHARED,
    set by conftest in each xdist worker) is read by the other worker instead of a second
    simulation of the same configuration."""
    import simkit
    from mesotron.core.sim.config import SimConfig

    cfg = SimConfig(seed=3, events=40, agents=1, frameworks=1, faults="none", quiesce=20.0)
    monkeypatch.setattr(simkit, "SHARED", tmp_path)
    run = simkit.clean_failure.__wrapped__  # past the per-process cache
    assert run(cfg) is None
    (report,) = tmp_path.glob("*.json")
    assert report.name == f"{simkit.config_key(cfg)}.json"
    assert simkit.config_key(cfg) != simkit.config_key(SimConfig(seed=4, events=40, agents=1,
                                                                  frameworks=1, faults="none",
                                                                  quiesce=20.0))
    report.write_text('{"failure": "X: what the other worker saw"}')

    def no_second_run(_cfg: object) -> None:
        raise AssertionError("the configuration ran twice")

    monkeypatch.setattr(simkit, "simulate", no_second_run)
    assert run(cfg) == "X: what the other worker saw"
