"""Runs every tests/scenarios/*.txt file; MESOTRON_REWRITE=1 rewrites the expected output."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from mesotron.core.testing import scenario

HERE = Path(__file__).parent / "scenarios"
FILES = sorted(HERE.glob("*.txt"))


@pytest.mark.parametrize("path", FILES, ids=[f"scenario-{p.stem}" for p in FILES])
def test_scenario(path: Path) -> None:
    sc = scenario.parse(path.read_text())
    results = scenario.run(sc)
    if os.environ.get("MESOTRON_REWRITE"):
        path.write_text(scenario.render(sc, results))
        return
    for case, actual in results:
        assert list(actual) == list(case.expected), (
            f"{path.name}:{case.line}: > {case.command}\n"
            f"expected:\n  " + "\n  ".join(case.expected) + "\nactual:\n  " + "\n  ".join(actual)
        )


def test_scenario_format_rejects_garbage() -> None:
    with pytest.raises(scenario.ScenarioFormatError):
        scenario.parse("no header here\n")
    with pytest.raises(scenario.ScenarioFormatError):
        scenario.parse("# c\nmachine: x\n\nnot a command\n")


def test_scenario_render_round_trips() -> None:
    text = "# t\nmachine: m\n\n> a x=1\nout 1\nout 2\n\n> b\n"
    sc = scenario.parse(text)
    assert sc.machine == "m"
    assert [c.command for c in sc.cases] == ["a x=1", "b"]
    assert scenario.split_command("a p q=1 'r s'") == ("a", ["p", "r s"], {"q": "1"})
    assert scenario.render(sc, [(c, c.expected) for c in sc.cases]) == text
