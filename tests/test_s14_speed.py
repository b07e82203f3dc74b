"""s14 speed: a speed-up must not hide code from the mutation judge.

core/sim/mutate.py installs a mutant by giving the live function object of its scope the
mutated `__code__`, and finds UNREACHED mutants by the identity of that code object. A
function of the mutated modules wrapped for speed (functools.lru_cache / cache, a memoising
decorator) is no longer a function there: setting `__code__` on the wrapper changes nothing
(every mutant of it would run the original code and come out UNCHANGED) and its mutants would
all count as UNREACHED. s14-speed tried exactly that (a memo of master/queries.py's
`_res_json`) and took it back; these tests keep the next one from landing unseen.
"""

from __future__ import annotations

import functools
import importlib
from typing import Any

import pytest
from mesotron.core.sim import mutate


def _not_swappable(scopes: set[tuple[str, str]]) -> list[tuple[str, str, str]]:
    """(module, scope, what the judge finds there) for every function scope whose live
    object is not a plain function with that scope's own code (what mutate.apply swaps)."""
    bad = []
    for mod_name, scope in sorted(scopes):
        mod = importlib.import_module(mod_name)
        try:
            fn: Any = mutate._live_function(mod, scope)
        except (AttributeError, KeyError) as e:
            bad.append((mod_name, scope, f"missing: {e!r}"))
            continue
        code = getattr(fn, "__code__", None)
        if code is None or code.co_qualname != scope:
            what = f"{type(fn).__name__} with code {getattr(code, 'co_qualname', None)}"
            bad.append((mod_name, scope, what))
    return bad


def _function_scopes() -> set[tuple[str, str]]:
    return {(m.module, m.scope) for m in mutate.discover() if not m.scope.startswith("<module>:")}


def test_every_mutated_function_is_one_the_judge_can_swap() -> None:
    scopes = _function_scopes()
    assert len(scopes) > 300  # the protocol modules' functions and methods
    assert _not_swappable(scopes) == []


def test_a_memoised_function_is_reported(monkeypatch: pytest.MonkeyPatch) -> None:
    from mesotron.core import lifecycle

    scope = ("mesotron.core.lifecycle", "is_legal")
    assert scope in _function_scopes()
    assert _not_swappable({scope}) == []
    monkeypatch.setattr(lifecycle, "is_legal", functools.lru_cache(maxsize=None)(lifecycle.is_legal))
    bad = _not_swappable({scope})
    assert len(bad) == 1 and "_lru_cache_wrapper" in bad[0][2]


def test_a_derived_value_memo_cannot_answer_for_a_mutant(monkeypatch: pytest.MonkeyPatch) -> None:
    """(s22) master/queries.py's `_res_json` renders each Resources value once
    (resources.derived). The judge forks after clean runs and swaps `_render_res_json`'s code
    in place: a value rendered before the swap would answer for the mutant, so every
    simulation starts with the memo empty (run.simulate calls forget_derived first)."""
    from mesotron.core import resources
    from mesotron.core.master import queries
    from mesotron.core.resources import Resources
    from mesotron.core.sim import run
    from mesotron.core.sim.config import SimConfig

    v = Resources.parse("cpus:1;mem:64;ports:[31000-31002]")
    clean = queries._res_json(v)
    assert clean == queries._render_res_json(v)
    assert clean["ports"] == "[31000-31002]" and clean["cpus"] == 1.0
    clean["cpus"] = 99.0  # a new dict each call: the caller's change stays its own
    assert queries._res_json(v)["cpus"] == 1.0

    def mutant(res: Resources) -> dict[str, Any]:
        return {"mutant": True}

    monkeypatch.setattr(queries._render_res_json, "__code__", mutant.__code__)
    assert queries._res_json(v) != {"mutant": True}  # the memo answers: the hazard
    calls = []
    real = run.forget_derived
    monkeypatch.setattr(run, "forget_derived", lambda: (calls.append(1), real()))
    run.simulate(SimConfig(seed=1, events=50, agents=1, frameworks=1, faults="none",
                           quiesce=1.0, liveness=False))
    assert calls == [1]
    assert queries._res_json(v) == {"mutant": True}  # forgotten: the mutant's code runs
    resources.forget_derived()
