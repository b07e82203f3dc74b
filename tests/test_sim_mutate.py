"""A smoke of the mutation campaign's machinery (core/sim/mutate.py): mutants are found,
applied to the live code in a child process, and judged by the simulator. The campaign
itself (`make mutate`, minutes) is not part of the test suite."""

from __future__ import annotations

import functools
import multiprocessing
from collections.abc import Callable
from typing import Any

from mesotron.core.sim import mutate

_discover_once = functools.cache(mutate.discover)


def _discovered() -> list[mutate.Mutant]:
    """mutate.discover() of today's core/ (parsed once per test process: ~1.6 s a call; the
    tests only read the list)."""
    return list(_discover_once())


def test_discovery_covers_the_protocol_modules_with_every_operator() -> None:
    ms = _discovered()
    paths = {m.path.split("/")[0] for m in ms}
    assert {"status_updates.py", "lifecycle.py", "master", "agent", "allocator"} <= paths
    assert {m.op for m in ms} == {"cmp", "arith", "bool", "not", "const", "stmt", "cond"}
    assert len({m.id for m in ms}) == len(ms)


def _in_child(m: mutate.Mutant, read: Callable[[], Any]) -> Any:
    """What `read()` returns in a forked child process with mutant `m` applied (the parent's
    code stays unmutated)."""
    ctx = multiprocessing.get_context("fork")
    q = ctx.Queue()
    p = ctx.Process(target=_applied_then_read, args=(m, read, q))
    p.start()
    value = q.get(timeout=60)
    p.join(60)
    return value


def _applied_then_read(m: mutate.Mutant, read: Callable[[], Any], q: Any) -> None:
    mutate.apply(m)
    q.put(read())


def _is_legal() -> bool:
    from mesotron.core import lifecycle
    from mesotron.core.values import TaskState as S

    return lifecycle.is_legal(S.TASK_STAGING, S.TASK_RUNNING, "executor")


def test_a_mutant_changes_the_live_function_in_a_child_only() -> None:
    m = next(x for x in _discovered()
             if x.path == "lifecycle.py" and x.scope == "is_legal" and x.op == "cmp"
             and "In->NotIn" in x.text)
    assert _in_child(m, _is_legal) is False
    assert _is_legal() is True


def _executor_status_defaults() -> dict[str, Any]:
    from mesotron.core.agent.base import AgentCore

    return dict(AgentCore._executor_status.__kwdefaults__)  # type: ignore[arg-type]


def test_a_mutant_of_a_default_installs_the_new_default() -> None:
    """(s16) A default is evaluated where the def runs, not in the code object: a mutant of
    `ack=True` in AgentCore._executor_status must change the live default (the campaign
    swapped `__code__` only before, and judged it UNCHANGED without running it)."""
    m = next(x for x in _discovered()
             if x.scope == "AgentCore._executor_status" and x.text == "True->False")
    assert _in_child(m, _executor_status_defaults)["ack"] is False
    assert _executor_status_defaults()["ack"] is True


def test_a_tiny_campaign_reports_every_mutant() -> None:
    judge = mutate.Judge(seeds=(0,), events=200, quiesce=200.0, timeout=60.0)
    rep = mutate.campaign(sample=3, seed=1, judge=judge, jobs=1)
    assert rep["sampled"] == 3
    assert sum(rep["counts"].values()) == 3
    assert {r["verdict"] for r in rep["results"]} <= set(mutate.VERDICTS)
    assert rep["kill_rate"] is None or 0.0 <= rep["kill_rate"] <= 1.0


def test_mutant_keys_are_unique_and_survive_edits_elsewhere_in_the_file() -> None:
    ms = _discovered()
    assert len({m.key for m in ms}) == len(ms)
    src = (mutate.CORE / "lifecycle.py").read_text()
    mod = "mesotron.core.lifecycle"
    base = mutate.discover_source("lifecycle.py", mod, src)
    edited = mutate.discover_source("lifecycle.py", mod, "def added(x):\n    return x < 1\n\n\n" + src)
    assert {m.key for m in base} < {m.key for m in edited}  # the new function's are added
    assert {m.id for m in base}.isdisjoint({m.id for m in edited})  # ids moved
    # the sample is a function of the keys, not of the order of discovery
    assert mutate.sample_mutants(ms, 50, 0) == mutate.sample_mutants(list(reversed(ms)), 50, 0)


def test_reviewed_equivalents_name_existing_mutants_with_a_reason() -> None:
    keys = {m.key for m in _discovered()}
    reviewed = mutate.reviewed_equivalents()
    stale = sorted(k for k in reviewed if k not in keys)
    assert not stale, f"reviewed equivalent mutants that no longer exist: {stale}"
    assert all(len(reason) > 10 for reason in reviewed.values())


def test_merge_replaces_only_the_rejudged_mutants() -> None:
    old = {"results": [{"key": "a", "verdict": "survived"}, {"key": "b", "verdict": "killed"}],
           "seconds": 1.0}
    new = {"results": [{"key": "a", "verdict": "killed"}], "seconds": 2.0}
    rep = mutate.merge(old, new)
    assert [r["verdict"] for r in rep["results"]] == ["killed", "killed"]
    assert rep["counts"]["killed"] == 2 and rep["kill_rate"] == 1.0


def test_paths_selects_mutants_by_path_prefix() -> None:
    ms = _discovered()
    chosen = mutate.select_paths(ms, "master/, lifecycle.py")
    assert chosen and all(k.startswith(("master/", "lifecycle.py")) for k in chosen)
    assert {m.key for m in ms if m.path.startswith("master/")} <= chosen
    assert not any(k.startswith("agent/") for k in chosen)
    keys = {"master/a.py::f::op::x#0", "agent/b.py::g::op::y#0"}
    assert mutate.select_paths(keys, "master/") == {"master/a.py::f::op::x#0"}


def test_the_judge_adds_production_path_runs_with_operator_traffic() -> None:
    """The `seeds` runs are the judge before s11 (explain mode, default workload: no kill
    of theirs is lost); `operator_runs` more run the allocator's fast path (judged against
    its reference cycle) with an operator's traffic and a reserving framework."""
    cfgs = mutate.Judge(seeds=(0, 1, 2)).configs()
    assert [(c.seed, c.fast_alloc, c.operator) for c in cfgs] == [
        (0, False, False), (1, False, False), (2, False, False), (1, True, True)]
    assert "reserver" in cfgs[3].kinds[:cfgs[3].frameworks]
    assert not any(c.fast_alloc for c in mutate.Judge(seeds=(0, 1), operator_runs=0).configs())


def test_paths_filter() -> None:
    assert mutate.in_paths("allocator/cycle.py", ("allocator/",))
    assert mutate.in_paths("master/operator.py", ("allocator/", "master/operator.py"))
    assert not mutate.in_paths("master/operators.py", ("master/operator.py",))
    assert not mutate.in_paths("master/tasks.py", ("allocator/", "master/operator.py"))
    assert mutate.in_paths("agent/base.py", None)


def test_paths_filter_keeps_only_the_named_files_and_folders() -> None:
    ms = _discovered()
    agent = [m for m in ms if mutate.in_paths(m.path, ("agent/", "status_updates.py"))]
    assert agent and all(m.path.startswith("agent/") or m.path == "status_updates.py"
                         for m in agent)
    assert any(m.path == "status_updates.py" for m in agent)
    assert not any(mutate.in_paths(m.path, ("agent",)) for m in ms)  # a folder needs its '/'
    assert all(mutate.in_paths(m.path, None) for m in ms)
    judge = mutate.Judge(seeds=(0,), events=50, quiesce=50.0, timeout=60.0, operator_runs=0)
    one = next(m for m in ms if m.path == "lifecycle.py")
    other = next(m for m in ms if m.path.startswith("agent/"))
    rep = mutate.campaign(sample=40, seed=1, judge=judge, jobs=1, paths=("lifecycle.py",),
                          only={one.key, other.key})
    assert [r["key"] for r in rep["results"]] == [one.key]


def test_rerun_judges_the_named_mutants_even_outside_todays_sample() -> None:
    ms = _discovered()
    drawn = {m.key for m in mutate.sample_mutants(ms, 5, 0)}
    outside = next(m for m in ms if m.key not in drawn and m.path == "lifecycle.py")
    judge = mutate.Judge(seeds=(0,), events=50, quiesce=50.0, timeout=60.0, operator_runs=0)
    rep = mutate.campaign(sample=5, seed=0, judge=judge, jobs=1, only={outside.key})
    assert [r["key"] for r in rep["results"]] == [outside.key]


def test_kill_rate_counts_unreached_mutants_against_it() -> None:
    rs = [{"verdict": v} for v in ("killed", "killed", "unchanged", "unreached", "equivalent")]
    rep = mutate.summarize(rs)
    assert rep["kill_rate"] == 0.5  # 2 / (2 killed + 1 unchanged + 1 unreached)
    assert rep["kill_rate_reached"] == round(2 / 3, 4)
    assert rep["kill_rate_proxy"] == 1.0


def test_varied_runs_judge_a_mutant_only_where_its_function_runs(monkeypatch) -> None:
    """s13: the judge's varied runs (mutate.VARIETY) are distinct runs, and a mutant is
    judged only by the runs that call its function (an OOM limitation's message: a run with
    no fault at all never makes one). (s17: the scopes each run reaches are read from the
    judge's own call of reached_scopes, not computed a second time.)"""
    ms = _discovered()
    m = next(x for x in ms if x.scope == "memory_limitation_message")
    every = mutate.Judge(seeds=(0,), events=1500, quiesce=300.0, timeout=60.0, operator_runs=0,
                         variety=len(mutate.VARIETY)).configs()
    assert len(every) == 1 + len(mutate.VARIETY)
    assert len({c.describe() + str(c.health) + str(c.kinds) for c in every}) == len(every)
    # (s21) judged by the default run and the first four varied ones: the OOM run (which
    # calls the mutant's function) and the fault-free run (which never does) are among them;
    # all sixteen profiled runs cost ~55 s of the suite for the same assertions
    judge = mutate.Judge(seeds=(0,), events=1500, quiesce=300.0, timeout=60.0, operator_runs=0,
                         variety=4)
    cfgs = judge.configs()
    assert cfgs == every[:5] and any("oom" in c.faults for c in cfgs) \
        and any(not c.faults for c in cfgs)
    calls = []
    reached_scopes = mutate.reached_scopes

    def recorded(j: mutate.Judge, chosen: list[mutate.Mutant]) -> Any:
        calls.append((j, chosen, reached_scopes(j, chosen)))
        return calls[-1][2]

    monkeypatch.setattr(mutate, "reached_scopes", recorded)
    (r,) = mutate.judge_mutants([m], judge=judge, jobs=1)
    [(j, chosen, (reached, digests))] = calls
    assert j is judge and chosen == [m]
    assert len(reached) == len(digests) == len(cfgs)
    runs = [i for i, hit in enumerate(reached) if (m.module, m.scope) in hit]
    assert runs and len(runs) < len(cfgs)
    assert not any(not cfgs[i].faults for i in runs)  # the fault-free run never calls it
    assert r["verdict"] != "unreached" and r["runs"] == len(runs)


def test_the_judge_budget_grows_with_its_runs() -> None:
    j = mutate.Judge(seeds=(0, 1, 2), operator_runs=1, timeout=30.0, variety=4)
    assert j.budget(4) == 30.0 and j.budget(2) == 30.0 and j.budget(8) == 60.0
