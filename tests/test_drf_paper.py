"""DRF as in the paper (Ghodsi et al., NSDI 2011, §4): examples/drf_paper.py drives the real
allocator; the figures are the paper's, and the weighted runs agree with an independent
reference implementation of weighted progressive filling written here."""

from __future__ import annotations

import importlib.util
import os
from fractions import Fraction

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def load():
    spec = importlib.util.spec_from_file_location("_drf_paper", os.path.join(ROOT, "examples", "drf_paper.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


drf = load()


def test_the_papers_worked_example() -> None:
    rows = drf.run()
    last = rows[-1]
    # the paper: A gets 3 tasks <3 CPU, 12 GB>, B gets 2 tasks <6 CPU, 2 GB>, shares 2/3 each
    assert last["tasks"] == {"A": 3, "B": 2}
    assert last["shares"]["A"] == pytest.approx(2 / 3) and last["shares"]["B"] == pytest.approx(2 / 3)
    assert last["cpus"] == pytest.approx(9) and last["mem"] == pytest.approx(14 * 1024)
    # progressive filling: each task goes to the user with the lowest dominant share before it
    prev = {"A": 0.0, "B": 0.0}
    for r in rows:
        assert prev[r["user"]] == min(prev.values())
        prev = r["shares"]
    text = "\n".join(drf.table(rows))
    assert "user A |  3 tasks,   2/3" in text and "2 tasks,   2/3" in text


def reference(weights: dict[str, float]) -> dict[str, int]:
    """Weighted DRF progressive filling (the paper's Algorithm 1 with shares divided by the
    weight), exact arithmetic; ties to the lower user name, as the allocator."""
    cap = {"cpus": Fraction(9), "mem": Fraction(18432)}
    dem = {"A": {"cpus": Fraction(1), "mem": Fraction(4096)},
           "B": {"cpus": Fraction(3), "mem": Fraction(1024)}}
    role = {"A": "a", "B": "b"}
    used = {r: Fraction(0) for r in cap}
    n = {"A": 0, "B": 0}
    blocked: set[str] = set()
    while len(blocked) < 2:
        def key(u):
            share = max(n[u] * dem[u][r] / cap[r] for r in cap)
            return (share / Fraction(weights.get(role[u], 1.0)), u)
        u = min((x for x in n if x not in blocked), key=key)
        if all(used[r] + dem[u][r] <= cap[r] for r in cap):
            n[u] += 1
            for r in cap:
                used[r] += dem[u][r]
        else:
            blocked.add(u)
    return n


@pytest.mark.parametrize("weights", [{}, {"b": 2.0}, {"a": 3.0}, {"a": 2.0, "b": 5.0}, {"b": 0.5}])
def test_weighted_drf_agrees_with_a_reference(weights) -> None:
    assert drf.run(weights)[-1]["tasks"] == reference(weights)


def test_weights_change_the_outcome() -> None:
    assert drf.run({"a": 3.0})[-1]["tasks"] == {"A": 4, "B": 1}


def test_bad_weight_is_a_clear_error(capsys) -> None:
    assert drf.main(["--weight", "b=lots"]) == 2
    assert "bad --weight" in capsys.readouterr().out
